//! The edge's response cache: public GET answers kept in the function's memory,
//! filled from origin-response events, bounded in bytes and entries. An entry
//! lives for the answer's `s-maxage`, but never longer than the edge TTL: the edge
//! never hears of CloudFront invalidations, so the edge TTL bounds how long a
//! publish can stay invisible.

use std::sync::Arc;
use std::time::{Duration, Instant};

use folio_shared::caching;
use moka::sync::Cache;

use crate::events::{CfResponse, header};

#[derive(Debug)]
pub struct Cached {
    pub response: CfResponse,
    pub etag: Option<String>,
    pub stored_at: Instant,
    ttl: Duration,
}

struct OwnTtl;

impl moka::Expiry<String, Arc<Cached>> for OwnTtl {
    fn expire_after_create(&self, _: &String, value: &Arc<Cached>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
    /// The longest an answer stays at the edge, whatever its `s-maxage`.
    pub edge_ttl: Duration,
}

impl Default for CacheLimits {
    fn default() -> Self {
        Self {
            max_bytes: 16 * 1024 * 1024,
            max_entries: 2_000,
            edge_ttl: Duration::from_secs(30),
        }
    }
}

pub struct EdgeCache {
    entries: Cache<String, Arc<Cached>>,
    edge_ttl: Duration,
}

fn size_of(response: &CfResponse) -> u64 {
    let headers: usize = response
        .headers
        .iter()
        .map(|(k, v)| k.len() + v.iter().map(|h| h.value.len() + 16).sum::<usize>())
        .sum();
    (response.body.as_ref().map_or(0, String::len) + headers + 128) as u64
}

impl EdgeCache {
    pub fn new(limits: CacheLimits) -> Self {
        // Every entry weighs at least max_bytes / max_entries, so both bounds hold.
        let floor = (limits.max_bytes / limits.max_entries.max(1)).max(1);
        let entries = Cache::builder()
            .max_capacity(limits.max_bytes)
            .weigher(move |key: &String, value: &Arc<Cached>| {
                let weight = (key.len() as u64 + size_of(&value.response)).max(floor);
                u32::try_from(weight).unwrap_or(u32::MAX)
            })
            .expire_after(OwnTtl)
            .build();
        Self {
            entries,
            edge_ttl: limits.edge_ttl,
        }
    }

    pub fn key(uri: &str, querystring: &str) -> String {
        caching::cache_key(uri, querystring)
    }

    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.entries.get(key)
    }

    /// Keeps a response if a shared cache may: 200, shared `Cache-Control`, and a
    /// body (CloudFront puts bodies only into request events; `folio serve` and
    /// tests hand them over). Returns whether it was kept.
    pub fn store(&self, key: String, response: &CfResponse) -> bool {
        let ttl = header(&response.headers, "cache-control").and_then(caching::shared_ttl);
        let (Some(ttl), true, Some(_)) = (ttl, response.status == "200", &response.body) else {
            return false;
        };
        let cached = Cached {
            etag: header(&response.headers, "etag").map(str::to_string),
            response: response.clone(),
            stored_at: Instant::now(),
            ttl: ttl.min(self.edge_ttl),
        };
        self.entries.insert(key, Arc::new(cached));
        true
    }

    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    pub fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }
}
