//! Tokens this origin has verified, kept until they expire: a token presented
//! again is accepted by one cache lookup instead of an RSA verification. Keyed by
//! the whole token, so only the very same bytes hit; bounded in bytes; each entry
//! leaves the cache when its token expires. Revocation is not cached: the origin
//! checks it on every request after this lookup (`App::authenticate`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use folio_shared::domain::unix_now;
use folio_shared::jwt::{Identity, JwtRejection, Verifier};
use moka::Expiry;
use moka::sync::Cache;

use crate::support::caches::weighed_in_bytes;

/// At most this many bytes of tokens (and their identities) are kept.
pub const MAX_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// An entry lives until its token's `exp`, never past it.
struct UntilExpiry;

impl Expiry<Arc<str>, Arc<Identity>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _token: &Arc<str>,
        identity: &Arc<Identity>,
        _created_at: Instant,
    ) -> Option<Duration> {
        let left = identity.expires_at.saturating_sub(unix_now()).max(0);
        Some(Duration::from_secs(left as u64))
    }
}

pub struct VerifiedTokens {
    verifier: Arc<Verifier>,
    cache: Cache<Arc<str>, Arc<Identity>>,
}

impl VerifiedTokens {
    pub fn new(verifier: Arc<Verifier>) -> Self {
        let cache = weighed_in_bytes(MAX_CACHE_BYTES, |token: &Arc<str>, _: &Arc<Identity>| {
            token.len() + 512
        })
        .expire_after(UntilExpiry)
        .build();
        Self { verifier, cache }
    }

    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }

    /// The identity of this very token, if it is cached and has not expired.
    fn fresh(&self, token: &str) -> Option<Arc<Identity>> {
        self.cache
            .get(token)
            .filter(|identity| identity.expires_at > unix_now())
    }

    /// Whether this very token would be accepted from the cache now.
    pub fn is_cached(&self, token: &str) -> bool {
        self.fresh(token).is_some()
    }

    /// The identity of `token`: from the cache when this very token was verified
    /// before and has not expired since, otherwise by full verification.
    pub async fn verify(&self, token: &str) -> Result<Arc<Identity>, JwtRejection> {
        if let Some(identity) = self.fresh(token) {
            return Ok(identity);
        }
        let identity = Arc::new(self.verifier.verify(token).await?);
        self.cache.insert(Arc::from(token), Arc::clone(&identity));
        Ok(identity)
    }
}
