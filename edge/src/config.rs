//! The edge's configuration. Lambda@Edge has no environment variables, so it is
//! baked into the package as `folio-edge.json` beside the binary, with the JWKS
//! snapshot as `jwks.json` (both written by `folio package edge`).

use std::path::Path;
use std::time::Duration;

use folio_shared::jwt::{VerifierConfig, cognito_issuer, cognito_jwks_url};
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};

use crate::handler::EdgeConfig;

pub const CONFIG_FILE: &str = "folio-edge.json";
pub const JWKS_FILE: &str = "jwks.json";

/// How the Python handler runs the binary (see `package`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// The handler module `os.execv`s the binary, which serves the Runtime API.
    #[default]
    Exec,
    /// The handler keeps the binary as a child and exchanges events over pipes.
    Pipe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EdgeSettings {
    pub user_pool_id: String,
    pub client_id: String,
    #[serde(default = "default_owner_group")]
    pub owner_group: String,
    /// Browser origins allowed to call the API (`*` for any).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Override of the pool's JWKS URL (local endpoints such as moto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// Override of the issuer (local issuers); Cognito's is derived from the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default)]
    pub mode: RunMode,
    /// CloudWatch custom metrics as EMF lines (`FOLIO_METRICS=on` when packaged):
    /// off by default, since each metric costs money in every Region the edge runs in.
    #[serde(default)]
    pub metrics: bool,
}

fn default_owner_group() -> String {
    "owner".into()
}

/// Baked settings that cannot be read: the package is broken, rebuild it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{CONFIG_FILE} is invalid: {0}")]
    Invalid(String),
    #[error("{CONFIG_FILE}: userPoolId and clientId are required")]
    Required,
    #[error("{JWKS_FILE} is not a key set: {0}")]
    NotKeySet(String),
}

impl EdgeSettings {
    /// Reads `folio-edge.json` and `jwks.json` from `dir`; errors name the file.
    pub fn load(dir: &Path) -> Result<(Self, JwkSet), SettingsError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| SettingsError::Read {
                path: dir.join(name).display().to_string(),
                reason: e.to_string(),
            })
        };
        let settings: Self = serde_json::from_slice(&read(CONFIG_FILE)?)
            .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        if settings.user_pool_id.is_empty() || settings.client_id.is_empty() {
            return Err(SettingsError::Required);
        }
        let jwks: JwkSet = serde_json::from_slice(&read(JWKS_FILE)?)
            .map_err(|e| SettingsError::NotKeySet(e.to_string()))?;
        Ok((settings, jwks))
    }

    pub fn issuer(&self) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| cognito_issuer(&self.user_pool_id))
    }

    pub fn jwks_url(&self) -> String {
        self.jwks_url
            .clone()
            .unwrap_or_else(|| cognito_jwks_url(&self.user_pool_id))
    }

    pub fn verifier_config(&self) -> VerifierConfig {
        let mut config = VerifierConfig::new(&self.issuer(), &self.client_id, &self.owner_group);
        // The edge answers in milliseconds; a slow JWKS endpoint must not hold it.
        config.fetch_timeout = Duration::from_millis(800);
        config
    }

    pub fn edge_config(&self) -> EdgeConfig {
        EdgeConfig {
            allowed_origins: self.allowed_origins.clone(),
        }
    }
}
