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
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use crypto::install as install_crypto_provider;

use crate::domain::unix_now;

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

/// Why fresh keys could not be had (logged; the known keys keep verifying).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS refetch is disabled")]
    Disabled,
    #[error("invalid JWKS URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("JWKS request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("JWKS endpoint answered {0}")]
    Status(String),
    #[error("JWKS body unreadable: {0}")]
    Body(String),
    #[error("JWKS is not a key set: {0}")]
    NotKeySet(String),
}

/// Where fresh keys come from when a token names a key we do not know.
#[async_trait]
pub trait JwksSource: Send + Sync {
    async fn fetch(&self) -> Result<JwkSet, JwksError>;
}

/// A source that never has anything new: verification uses the initial keys only.
pub struct NoRefetch;

#[async_trait]
impl JwksSource for NoRefetch {
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        Err(JwksError::Disabled)
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

/// The header fields the verifier reads; `jku`, `x5u`, `x5c` and `jwk` are ignored.
#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The claims, parsed once: required ones are `Option` so that their absence gets
/// its own rejection.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<i64>,
    iss: Option<String>,
    nbf: Option<i64>,
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
        Self {
            config,
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
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtRejection::Malformed);
        };
        // Each part is decoded once: jsonwebtoken's `decode` parses the header three
        // times and the claims twice, a fifth of a first verification's cost.
        let Header { alg, kid } = decoded_json(header)?;
        if alg != "RS256" {
            return Err(JwtRejection::UnsupportedAlgorithm);
        }
        let kid = kid.ok_or(JwtRejection::MissingKid)?;
        let key = self.key_for(&kid).await.ok_or(JwtRejection::UnknownKid)?;
        // The signature is judged before any claim: an unsigned token learns nothing.
        let signed = &token[..header.len() + 1 + payload.len()];
        match jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &key, Algorithm::RS256) {
            Ok(true) => {}
            Ok(false) => return Err(JwtRejection::BadSignature),
            Err(_) => return Err(JwtRejection::Malformed),
        }
        let claims: Claims = decoded_json(payload)?;
        let (subject, expires_at) = self.check_time_and_issuer(&claims, unix_now())?;
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
            subject: subject.to_string(),
            email: claims.email,
            name: claims.name,
            username: claims.username,
            groups: claims.groups,
            is_owner,
            token_id: claims.jti,
            expires_at,
            issued_at: claims.iat,
        })
    }

    /// `exp` (required), `nbf`, `iss` (required, ours) and `sub` (required), with
    /// the configured leeway on both times. Returns the subject and the expiry.
    fn check_time_and_issuer<'c>(
        &self,
        claims: &'c Claims,
        now: i64,
    ) -> Result<(&'c str, i64), JwtRejection> {
        let exp = claims.exp.ok_or(JwtRejection::MissingExpiry)?;
        let (Some(iss), Some(sub)) = (&claims.iss, &claims.sub) else {
            return Err(JwtRejection::Malformed);
        };
        let leeway = i64::try_from(self.config.leeway_secs).unwrap_or(i64::MAX);
        if exp < now.saturating_sub(leeway) {
            return Err(JwtRejection::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(leeway))
        {
            return Err(JwtRejection::NotYetValid);
        }
        if *iss != self.config.issuer {
            return Err(JwtRejection::WrongIssuer);
        }
        Ok((sub, exp))
    }
}

/// A base64url (unpadded) part of a token, parsed as JSON.
fn decoded_json<T: DeserializeOwned>(part: &str) -> Result<T, JwtRejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtRejection::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtRejection::Malformed)
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use jsonwebtoken::{EncodingKey, encode};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use serde_json::{Value, json};

    use super::*;

    const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test";
    const CLIENT: &str = "client";

    /// One 2048-bit key for the module (key generation is slow in debug builds).
    fn key() -> &'static (EncodingKey, JwkSet) {
        static KEY: OnceLock<(EncodingKey, JwkSet)> = OnceLock::new();
        KEY.get_or_init(|| {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("key");
            let jwks = serde_json::from_value(json!({ "keys": [{
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
                "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()) }] }))
            .expect("jwks");
            let der = key.to_pkcs1_der().expect("der");
            (EncodingKey::from_rsa_der(der.as_bytes()), jwks)
        })
    }

    fn verifier() -> Verifier {
        Verifier::new(
            VerifierConfig::new(ISSUER, CLIENT, "owner"),
            &key().1,
            Arc::new(NoRefetch),
        )
    }

    fn claims() -> Value {
        let now = unix_now();
        json!({ "sub": "user-1", "iss": ISSUER, "aud": CLIENT, "token_use": "id",
            "exp": now + 600, "iat": now, "cognito:groups": ["owner"], "jti": "t1" })
    }

    fn signed_with(header: &Value, claims: &Value) -> String {
        crypto::install();
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let message = format!("{}.{}", part(header), part(claims));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key().0, Algorithm::RS256)
            .expect("signature");
        format!("{message}.{signature}")
    }

    fn signed(claims: &Value) -> String {
        signed_with(
            &json!({ "alg": "RS256", "kid": "k1", "typ": "JWT" }),
            claims,
        )
    }

    fn with(change: impl Fn(&mut serde_json::Map<String, Value>)) -> String {
        let mut c = claims();
        change(c.as_object_mut().expect("object"));
        signed(&c)
    }

    fn verdict(token: &str) -> Result<Identity, JwtRejection> {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(verifier().verify(token))
    }

    #[test]
    fn a_good_token_gives_its_identity() {
        let claims = claims();
        let identity = verdict(&signed(&claims)).expect("accepted");
        assert_eq!(identity.subject, "user-1");
        assert!(identity.is_owner);
        assert_eq!(identity.token_id.as_deref(), Some("t1"));
        assert_eq!(identity.expires_at, claims["exp"].as_i64().unwrap());
        // The same token through jsonwebtoken's own encoder is accepted too.
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        let theirs = encode(&header, &claims, &key().0).expect("token");
        assert!(verdict(&theirs).is_ok());
    }

    #[test]
    fn each_claim_rule_gives_its_own_rejection() {
        use JwtRejection as R;
        let now = unix_now();
        let set = |name: &str, value: Value| with(|c| _ = c.insert(name.into(), value.clone()));
        let without = |name: &str| with(|c| _ = c.remove(name));
        let cases = [
            ("expired", set("exp", json!(now - 60)), R::Expired),
            ("no exp", without("exp"), R::MissingExpiry),
            ("exp a word", set("exp", json!("soon")), R::Malformed),
            ("nbf ahead", set("nbf", json!(now + 60)), R::NotYetValid),
            ("no iss", without("iss"), R::Malformed),
            ("other iss", set("iss", json!("https://x")), R::WrongIssuer),
            ("no sub", without("sub"), R::Malformed),
            ("other aud", set("aud", json!("other")), R::WrongAudience),
            (
                "refresh",
                set("token_use", json!("refresh")),
                R::WrongTokenUse,
            ),
        ];
        for (case, token, rejection) in cases {
            assert_eq!(verdict(&token).err(), Some(rejection), "{case}");
        }
    }

    #[test]
    fn times_within_the_leeway_are_accepted() {
        let now = unix_now();
        assert!(verdict(&with(|c| _ = c.insert("exp".into(), json!(now - 3)))).is_ok());
        assert!(verdict(&with(|c| _ = c.insert("nbf".into(), json!(now + 3)))).is_ok());
    }

    #[test]
    fn the_signature_is_judged_before_any_claim() {
        let expired = with(|c| _ = c.insert("exp".into(), json!(0)));
        let (message, signature) = expired.rsplit_once('.').expect("three parts");
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let forged = format!("{message}.{flipped}{}", &signature[1..]);
        assert_eq!(verdict(&forged).err(), Some(JwtRejection::BadSignature));
    }

    #[test]
    fn headers_and_shapes_are_refused_before_the_key_is_used() {
        let good = signed(&claims());
        let (message, signature) = good.rsplit_once('.').expect("three parts");
        let cases: Vec<(&str, String, JwtRejection)> = vec![
            (
                "HS256",
                signed_with(&json!({ "alg": "HS256", "kid": "k1" }), &claims()),
                JwtRejection::UnsupportedAlgorithm,
            ),
            (
                "none",
                signed_with(&json!({ "alg": "none", "kid": "k1" }), &claims()),
                JwtRejection::UnsupportedAlgorithm,
            ),
            (
                "no alg",
                signed_with(&json!({ "kid": "k1" }), &claims()),
                JwtRejection::Malformed,
            ),
            (
                "no kid",
                signed_with(&json!({ "alg": "RS256" }), &claims()),
                JwtRejection::MissingKid,
            ),
            (
                "unknown kid",
                signed_with(&json!({ "alg": "RS256", "kid": "k2" }), &claims()),
                JwtRejection::UnknownKid,
            ),
            ("four parts", format!("{good}.x"), JwtRejection::Malformed),
            ("two parts", message.to_string(), JwtRejection::Malformed),
            (
                "padded signature",
                format!("{message}.{signature}="),
                JwtRejection::Malformed,
            ),
            (
                "oversized",
                format!("{message}.{}", "A".repeat(MAX_TOKEN_BYTES)),
                JwtRejection::Oversized,
            ),
        ];
        for (case, token, rejection) in cases {
            assert_eq!(verdict(&token).err(), Some(rejection), "{case}");
        }
    }
}
