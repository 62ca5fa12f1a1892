//! The JWT verifier both the edge and the origin use.
//!
//! Rules (DESIGN §3): RS256 only; refuse tokens over 8 KB or not of three parts before
//! decoding; keys must be `kty=RSA` with `use` absent or `sig` and `alg` absent or
//! RS256; header `jku`/`x5u`/`x5c`/`jwk` are ignored (keys only ever come from our JWKS);
//! `iss`, `exp` (required), `nbf`, `token_use`, and `aud` (ID token) or `client_id`
//! (access token) are checked. An unknown `kid` triggers one refetch of the JWKS at a
//! time and at most one per refetch interval; known keys keep serving meanwhile.

mod crypto;
#[cfg(feature = "jwks-http")]
pub mod jwks_http;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;

pub use crypto::install as install_crypto_provider;

use crate::error::ApiError;

/// Tokens longer than this are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token was refused; `reason()` is the stable label used in logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtRejection {
    #[error("token is larger than 8 KB")]
    Oversized,
    #[error("token is malformed")]
    Malformed,
    #[error("token algorithm is not RS256")]
    UnsupportedAlgorithm,
    #[error("token header has no key id")]
    MissingKid,
    #[error("token was signed with an unknown key")]
    UnknownKid,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token has no expiry")]
    MissingExpiry,
    #[error("token issuer is not trusted")]
    WrongIssuer,
    #[error("token was issued for another client")]
    WrongAudience,
    #[error("token is neither an ID nor an access token")]
    WrongTokenUse,
    #[error("token has been revoked")]
    Revoked,
}

impl JwtRejection {
    pub fn reason(self) -> &'static str {
        match self {
            JwtRejection::Oversized => "oversized",
            JwtRejection::Malformed => "malformed",
            JwtRejection::UnsupportedAlgorithm => "unsupported_alg",
            JwtRejection::MissingKid => "missing_kid",
            JwtRejection::UnknownKid => "unknown_kid",
            JwtRejection::BadSignature => "bad_signature",
            JwtRejection::Expired => "expired",
            JwtRejection::NotYetValid => "not_yet_valid",
            JwtRejection::MissingExpiry => "missing_exp",
            JwtRejection::WrongIssuer => "wrong_iss",
            JwtRejection::WrongAudience => "wrong_aud",
            JwtRejection::WrongTokenUse => "wrong_token_use",
            JwtRejection::Revoked => "revoked",
        }
    }
}

/// What a client is told about any refused token. Why it was refused (`reason()`)
/// goes to the logs and the `JwtRejected` metric only: a reason would tell an
/// attacker which part of a forgery to fix next.
pub const INVALID_TOKEN_MESSAGE: &str = "The authentication token is invalid or expired";

impl From<JwtRejection> for ApiError {
    fn from(_: JwtRejection) -> Self {
        ApiError::Unauthorized(INVALID_TOKEN_MESSAGE.into())
    }
}

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Exact `iss`, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc`.
    pub issuer: String,
    /// The app client id: `aud` of ID tokens, `client_id` of access tokens.
    pub client_id: String,
    /// The Cognito group whose members are the owner.
    pub owner_group: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Minimum time between two JWKS fetches caused by unknown key ids.
    pub refetch_interval: Duration,
    /// Give up on a JWKS fetch after this long and keep the known keys.
    pub fetch_timeout: Duration,
}

impl VerifierConfig {
    pub fn new(issuer: &str, client_id: &str, owner_group: &str) -> Self {
        Self {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            owner_group: owner_group.to_string(),
            leeway_secs: 5,
            refetch_interval: Duration::from_secs(10),
            fetch_timeout: Duration::from_millis(1500),
        }
    }
}

/// The Region of a Cognito user pool id (`<region>_<suffix>`).
pub fn cognito_pool_region(user_pool_id: &str) -> &str {
    user_pool_id.split('_').next().unwrap_or(user_pool_id)
}

/// `iss` of a Cognito user pool's tokens.
pub fn cognito_issuer(user_pool_id: &str) -> String {
    format!(
        "https://cognito-idp.{}.amazonaws.com/{user_pool_id}",
        cognito_pool_region(user_pool_id)
    )
}

/// Where a Cognito user pool publishes its keys.
pub fn cognito_jwks_url(user_pool_id: &str) -> String {
    format!("{}/.well-known/jwks.json", cognito_issuer(user_pool_id))
}

/// Where fresh keys come from when a token names a key we do not know.
#[async_trait]
pub trait JwksSource: Send + Sync {
    async fn fetch(&self) -> Result<JwkSet, String>;
}

/// A source that never has anything new: verification uses the initial keys only.
pub struct NoRefetch;

#[async_trait]
impl JwksSource for NoRefetch {
    async fn fetch(&self) -> Result<JwkSet, String> {
        Err("JWKS refetch is disabled".into())
    }
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub is_owner: bool,
    /// `jti`, the handle revocation uses.
    pub token_id: Option<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
    /// `iat`, seconds since the epoch (0 when the token has none).
    pub issued_at: i64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    token_use: Option<String>,
    aud: Option<Audience>,
    client_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    #[serde(rename = "cognito:username")]
    username: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
    jti: Option<String>,
    /// Absent counts as issued at the epoch: before any sign-out.
    #[serde(default)]
    iat: i64,
}

type KeyMap = HashMap<String, Arc<DecodingKey>>;

pub struct Verifier {
    config: VerifierConfig,
    validation: Validation,
    keys: RwLock<Arc<KeyMap>>,
    /// Held while refetching (single flight); holds the time of the last attempt.
    refetch: tokio::sync::Mutex<Option<Instant>>,
    source: Arc<dyn JwksSource>,
    fetches: AtomicU64,
}

/// The keys of a JWKS that may verify our tokens; anything else is dropped.
fn usable_keys(set: &JwkSet) -> KeyMap {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                return None;
            };
            let use_ok = matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            );
            let alg_ok = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
            if !(use_ok && alg_ok) {
                return None;
            }
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

impl Verifier {
    pub fn new(config: VerifierConfig, initial: &JwkSet, source: Arc<dyn JwksSource>) -> Self {
        crypto::install();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&config.issuer]);
        validation.required_spec_claims = ["exp", "iss", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = config.leeway_secs;
        // Audience depends on token_use (ID: aud, access: client_id); checked below.
        validation.validate_aud = false;
        Self {
            config,
            validation,
            keys: RwLock::new(Arc::new(usable_keys(initial))),
            refetch: tokio::sync::Mutex::new(None),
            source,
            fetches: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// How many JWKS fetches unknown key ids have caused.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn lookup(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(kid).cloned()
    }

    async fn key_for(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        if let Some(key) = self.lookup(kid) {
            return Some(key);
        }
        let mut last_attempt = self.refetch.lock().await;
        // Another caller may have refreshed the keys while we waited.
        if let Some(key) = self.lookup(kid) {
            return Some(key);
        }
        if last_attempt.is_some_and(|t| t.elapsed() < self.config.refetch_interval) {
            return None;
        }
        *last_attempt = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(self.config.fetch_timeout, self.source.fetch()).await {
            Ok(Ok(set)) => {
                let fresh = usable_keys(&set);
                if fresh.is_empty() {
                    tracing::warn!("JWKS refetch returned no usable keys; keeping the known keys");
                } else {
                    let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
                    *keys = Arc::new(fresh);
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "JWKS refetch failed; keeping the known keys"),
            Err(_) => tracing::warn!("JWKS refetch timed out; keeping the known keys"),
        }
        self.lookup(kid)
    }

    /// Verifies a compact JWT and returns who it speaks for.
    pub async fn verify(&self, token: &str) -> Result<Identity, JwtRejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtRejection::Oversized);
        }
        if token.split('.').count() != 3 {
            return Err(JwtRejection::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                JwtRejection::UnsupportedAlgorithm
            }
            _ => JwtRejection::Malformed,
        })?;
        if header.alg != Algorithm::RS256 {
            return Err(JwtRejection::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(JwtRejection::MissingKid)?;
        let key = self.key_for(&kid).await.ok_or(JwtRejection::UnknownKid)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => JwtRejection::Expired,
                ErrorKind::ImmatureSignature => JwtRejection::NotYetValid,
                ErrorKind::InvalidIssuer => JwtRejection::WrongIssuer,
                ErrorKind::MissingRequiredClaim(c) if c == "exp" => JwtRejection::MissingExpiry,
                ErrorKind::InvalidSignature => JwtRejection::BadSignature,
                _ => JwtRejection::Malformed,
            }
        })?;
        let claims = data.claims;
        let client = &self.config.client_id;
        match claims.token_use.as_deref() {
            Some("id") => {
                let ok = match &claims.aud {
                    Some(Audience::One(a)) => a == client,
                    Some(Audience::Many(all)) => all.iter().any(|a| a == client),
                    None => false,
                };
                if !ok {
                    return Err(JwtRejection::WrongAudience);
                }
            }
            Some("access") => {
                if claims.client_id.as_deref() != Some(client.as_str()) {
                    return Err(JwtRejection::WrongAudience);
                }
            }
            _ => return Err(JwtRejection::WrongTokenUse),
        }
        let is_owner = claims.groups.contains(&self.config.owner_group);
        Ok(Identity {
            subject: claims.sub,
            email: claims.email,
            name: claims.name,
            username: claims.username,
            groups: claims.groups,
            is_owner,
            token_id: claims.jti,
            expires_at: claims.exp,
            issued_at: claims.iat,
        })
    }
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
