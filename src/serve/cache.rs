//! A CloudFront-like response cache: keeps public GET answers for their
//! `s-maxage`, never keeps private or no-store ones, and drops paths on invalidation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, header};
use moka::sync::Cache;

#[derive(Debug)]
pub struct CachedResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub stored_at: Instant,
    pub ttl: Duration,
}

impl CachedResponse {
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
        Some(value.ttl)
    }
}

pub struct ResponseCache {
    entries: Cache<String, Arc<CachedResponse>>,
}

/// How long a shared cache may keep a response, from its `Cache-Control`.
pub fn shared_ttl(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::CACHE_CONTROL)?.to_str().ok()?;
    let mut ttl = None;
    for directive in value.split(',').map(str::trim) {
        match directive {
            "private" | "no-store" | "no-cache" => return None,
            d => {
                if let Some(n) = d.strip_prefix("s-maxage=") {
                    ttl = n.parse::<u64>().ok();
                } else if let Some(n) = d.strip_prefix("max-age=")
                    && ttl.is_none()
                {
                    ttl = n.parse::<u64>().ok();
                }
            }
        }
    }
    ttl.filter(|t| *t > 0).map(Duration::from_secs)
}

/// The path part of a cache key.
fn key_path(key: &str) -> &str {
    key.split(['?', '|']).next().unwrap_or(key)
}

impl ResponseCache {
    pub fn new(max_bytes: u64) -> Self {
        let entries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &String, v: &Arc<CachedResponse>| {
                (k.len() + v.body.len() + 256)
                    .try_into()
                    .unwrap_or(u32::MAX)
            })
            .expire_after(TtlFromEntry)
            .support_invalidation_closures()
            .build();
        Self { entries }
    }

    /// The cache key: path, query parameters in sorted order, and a hash of the
    /// `Authorization` header (CloudFront's cache policy puts it in the key).
    pub fn key(path: &str, query: Option<&str>, authorization: Option<&[u8]>) -> String {
        let mut key = String::with_capacity(path.len() + 16);
        key.push_str(path);
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            let mut pairs: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).collect();
            pairs.sort_unstable();
            key.push('?');
            key.push_str(&pairs.join("&"));
        }
        if let Some(auth) = authorization {
            let hash = ring::digest::digest(&ring::digest::SHA256, auth);
            key.push('|');
            for b in &hash.as_ref()[..12] {
                key.push_str(&format!("{b:02x}"));
            }
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
            let result =
                self.entries
                    .invalidate_entries_if(move |key, _| match path.strip_suffix('*') {
                        Some(prefix) => key_path(key).starts_with(prefix),
                        None => key_path(key) == path,
                    });
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

    fn cc(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, value.parse().unwrap());
        h
    }

    #[test]
    fn only_shared_cacheable_answers_get_a_ttl() {
        assert_eq!(
            shared_ttl(&cc("public, max-age=0, s-maxage=300")),
            Some(Duration::from_secs(300))
        );
        assert_eq!(shared_ttl(&cc("private, no-store")), None);
        assert_eq!(shared_ttl(&cc("no-store")), None);
        assert_eq!(shared_ttl(&cc("public, max-age=0")), None);
        assert_eq!(shared_ttl(&HeaderMap::new()), None);
    }

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
}
