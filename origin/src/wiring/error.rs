//! Why the origin could not start: one line each, naming the setting and the fix
//! where a setting is at fault.

use folio_shared::jwt::JwksError;

use crate::adapters::aws::dynamo::ConnectError;
use crate::adapters::local::issuer::KeyError;
use crate::ports::StoreError;
use crate::support::private_files::FileError;
use crate::usecases::site::SiteError;
use crate::usecases::webhooks::{SendError, WebhookError};

/// A setting that is missing or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting{} {}: set {} in the environment", if .0.len() > 1 { "s" } else { "" }, .0.join(", "), if .0.len() > 1 { "them" } else { "it" })]
    Missing(Vec<&'static str>),
    #[error("setting {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A use case's setting that does not parse is a setting that is invalid.
impl From<SiteError> for ConfigError {
    fn from(e: SiteError) -> Self {
        ConfigError::Invalid {
            name: e.name,
            reason: e.reason,
        }
    }
}

impl From<WebhookError> for ConfigError {
    fn from(e: WebhookError) -> Self {
        ConfigError::Invalid {
            name: e.name,
            reason: e.reason,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    IssuerKey(#[from] KeyError),
    #[error(transparent)]
    Webhooks(#[from] SendError),
    #[error(transparent)]
    DynamoDb(#[from] ConnectError),
    #[error(transparent)]
    Jwks(#[from] JwksError),
    #[error("setting AWS_ENDPOINT_URL is invalid: {0}")]
    MediaEndpoint(String),
    #[error("the S3 client for images cannot be built: {0}")]
    MediaClient(String),
}
