//! CloudFront's cache in the stand-in: keyed as the cache policy says, keeps an
//! answer as long as its `Cache-Control` allows ("Manage how long content stays in
//! the cache (expiration)": `s-maxage`, else `max-age`, bounded by the policy's
//! MinTTL/MaxTTL; MinTTL 0 honours `no-store`), keeps error answers for the
//! distribution's error caching minimum TTL, and drops paths on invalidation.
//! Past its lifetime an answer is kept for its `stale-while-revalidate` and
//! `stale-if-error` windows, which the distribution serves it in
//! (`Freshness`, `crate::standin::Distribution`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use folio_origin::support::caches::weighed_in_bytes;
use folio_shared::caching;
use http::{HeaderMap, header};
use moka::sync::Cache;

#[derive(Debug)]
pub struct CachedResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub stored_at: Instant,
    pub ttl: Duration,
    /// `stale-while-revalidate` and `stale-if-error`, past `ttl`.
    pub while_revalidate: Duration,
    pub if_error: Duration,
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Served at once; a fresh copy is fetched in the background.
    StaleWhileRevalidate,
    /// Served only if the origin answers 500, 502, 503 or 504, or fails.
    StaleIfError,
    Expired,
}

impl CachedResponse {
    pub fn freshness(&self, now: Instant) -> Freshness {
        let age = now.saturating_duration_since(self.stored_at);
        if age < self.ttl {
            Freshness::Fresh
        } else if age < self.ttl + self.while_revalidate {
            Freshness::StaleWhileRevalidate
        } else if age < self.ttl + self.if_error {
            Freshness::StaleIfError
        } else {
            Freshness::Expired
        }
    }

    pub fn etag(&self) -> Option<&str> {
        self.headers.get(header::ETAG).and_then(|v| v.to_str().ok())
    }
}

struct TtlFromEntry;

impl moka::Expiry<String, Arc<CachedResponse>> for TtlFromEntry {
    fn expire_after_create(
        &self,
        _: &String,
        value: &Arc<CachedResponse>,
        _: Instant,
    ) -> Option<Duration> {
        Some(value.ttl + value.while_revalidate.max(value.if_error))
    }
}

/// What an entry really holds on the heap: the key (moka keeps it in the entry and
/// its queues), the body, every header, and about 1 KiB of fixed cost (the header
/// map's table, the `Arc`, moka's node and timer). Weighing less than this let the
/// bound be exceeded several times over (BENCHMARKS.md, peak RSS).
fn entry_bytes(key: &str, value: &CachedResponse) -> usize {
    let headers: usize = value
        .headers
        .iter()
        .map(|(name, v)| name.as_str().len() + v.len() + 64)
        .sum();
    2 * key.len() + value.body.len() + headers + 1024
}

pub struct ResponseCache {
    entries: Cache<String, Arc<CachedResponse>>,
}

/// How long a shared cache may keep a response, from its `Cache-Control`.
pub fn shared_ttl(headers: &HeaderMap) -> Option<Duration> {
    caching::shared_ttl(headers.get(header::CACHE_CONTROL)?.to_str().ok()?)
}

impl ResponseCache {
    pub fn new(max_bytes: u64) -> Self {
        let entries = weighed_in_bytes(max_bytes, |k: &String, v: &Arc<CachedResponse>| {
            entry_bytes(k, v)
        })
        .expire_after(TtlFromEntry)
        .support_invalidation_closures()
        .build();
        Self { entries }
    }

    /// The cache key: the path, the query string as the API reads it, and a hash of
    /// the `Authorization` header (the cache policy puts it in the key).
    pub fn key(path: &str, query: Option<&str>, authorization: Option<&[u8]>) -> String {
        let mut key = caching::cache_key(path, query.unwrap_or(""));
        if let Some(auth) = authorization {
            key.push('|');
            key.push_str(&folio_shared::digest::sha256_hex_prefix(auth, 12));
        }
        key
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.entries.get(key)
    }

    pub fn insert(&self, key: String, response: CachedResponse) {
        self.entries.insert(key, Arc::new(response));
    }

    /// Drops every entry under the paths (`/x*` is a prefix, `/x` one path with any query).
    pub fn purge(&self, paths: &[String]) {
        for path in paths {
            let path = path.clone();
            let result = self
                .entries
                .invalidate_entries_if(move |key, _| caching::invalidation_covers(&path, key));
            if result.is_err() {
                // Closures are enabled at build time; failing that, drop everything.
                self.entries.invalidate_all();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_the_query_and_separate_callers() {
        let a = ResponseCache::key("/v1/projects", Some("b=2&a=1"), None);
        assert_eq!(a, ResponseCache::key("/v1/projects", Some("a=1&b=2"), None));
        assert_ne!(
            a,
            ResponseCache::key("/v1/projects", Some("a=1&b=2"), Some(b"Bearer x"))
        );
    }

    #[test]
    fn purge_drops_prefixes_and_exact_paths_only() {
        let cache = ResponseCache::new(1 << 20);
        let entry = || CachedResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"{}"),
            stored_at: Instant::now(),
            ttl: Duration::from_secs(60),
            while_revalidate: Duration::ZERO,
            if_error: Duration::ZERO,
        };
        for k in [
            "/v1/blog/posts",
            "/v1/blog/posts/1",
            "/v1/projects?limit=1",
            "/v1/visitors/count",
        ] {
            cache.insert(k.to_string(), entry());
        }
        cache.purge(&["/v1/blog/*".into(), "/v1/projects".into()]);
        assert!(cache.get("/v1/blog/posts").is_none());
        assert!(cache.get("/v1/blog/posts/1").is_none());
        assert!(cache.get("/v1/projects?limit=1").is_none());
        assert!(cache.get("/v1/visitors/count").is_some());
    }

    #[test]
    fn an_entry_is_fresh_then_stale_while_revalidating_then_stale_if_error_then_gone() {
        let at = Instant::now();
        let entry = CachedResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            stored_at: at,
            ttl: Duration::from_secs(60),
            while_revalidate: Duration::from_secs(60),
            if_error: Duration::from_secs(86400),
        };
        let after = |s| entry.freshness(at + Duration::from_secs(s));
        assert_eq!(after(59), Freshness::Fresh);
        assert_eq!(after(60), Freshness::StaleWhileRevalidate);
        assert_eq!(after(119), Freshness::StaleWhileRevalidate);
        assert_eq!(after(120), Freshness::StaleIfError);
        assert_eq!(after(86459), Freshness::StaleIfError);
        assert_eq!(after(86460), Freshness::Expired);
    }
}
