//! Shared-cache rules of the CloudFront stand-in and the origin: ETags, what a
//! shared cache may keep, for how long, and under which key.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A strong ETag of a representation: XXH3's 128-bit hash of the body. It needs
/// no resistance to forgery (only the owner writes what it covers), only to chance,
/// and a list of 20 long posts is half a megabyte: SHA-256 took a quarter of
/// that request's CPU, XXH3 a small fraction (BENCHMARKS.md).
pub fn etag(body: &[u8]) -> String {
    let hash = xxhash_rust::xxh3::xxh3_128(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(hash.to_be_bytes()))
}

/// Whether an `If-None-Match` / `If-Match` header value names `etag` (or `*`).
pub fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

/// How long a shared cache may keep a response with this `Cache-Control`:
/// `s-maxage` (else `max-age`), never for `private`, `no-store` or `no-cache`.
pub fn shared_ttl(cache_control: &str) -> Option<Duration> {
    let mut ttl = None;
    for directive in cache_control.split(',').map(str::trim) {
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

/// How long past its lifetime a shared cache may still serve a response:
/// `stale-while-revalidate` (served at once while the cache fetches a fresh copy
/// in the background) and `stale-if-error` (served when the origin answers 500,
/// 502, 503 or 504, or cannot be reached). CloudFront honours both ("Manage how
/// long content stays in the cache (expiration)", CloudFront Developer Guide;
/// supported since 2023-05-17). Zero when absent or not a number.
pub fn stale_windows(cache_control: &str) -> (Duration, Duration) {
    let mut while_revalidate = 0;
    let mut if_error = 0;
    for directive in cache_control.split(',').map(str::trim) {
        if let Some(n) = directive.strip_prefix("stale-while-revalidate=") {
            while_revalidate = n.parse::<u64>().unwrap_or(0);
        } else if let Some(n) = directive.strip_prefix("stale-if-error=") {
            if_error = n.parse::<u64>().unwrap_or(0);
        }
    }
    (
        Duration::from_secs(while_revalidate),
        Duration::from_secs(if_error),
    )
}

/// The key of a public answer: the path and the query string as the API reads it
/// (`policy::normalise_query`: decoded, de-duplicated, known names only, sorted).
pub fn cache_key(path: &str, query: &str) -> String {
    let query = crate::policy::normalise_query(query);
    if query.is_empty() {
        return path.to_string();
    }
    format!("{path}?{query}")
}

/// The path of a cache key.
pub fn key_path(key: &str) -> &str {
    key.split(['?', '|']).next().unwrap_or(key)
}

/// Whether an invalidation path (`/x*` a prefix, `/x` one path) covers a key.
pub fn invalidation_covers(path: &str, key: &str) -> bool {
    match path.strip_suffix('*') {
        Some(prefix) => key_path(key).starts_with(prefix),
        None => key_path(key) == path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_windows_are_read_from_cache_control() {
        assert_eq!(
            stale_windows(
                "public, max-age=0, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400"
            ),
            (Duration::from_secs(60), Duration::from_secs(86400))
        );
        assert_eq!(
            stale_windows("public, s-maxage=60"),
            (Duration::ZERO, Duration::ZERO)
        );
        assert_eq!(
            stale_windows("stale-if-error=x"),
            (Duration::ZERO, Duration::ZERO)
        );
    }

    #[test]
    fn etags_follow_the_body_and_stay_the_same_across_releases() {
        let tag = etag(br#"{"posts":[]}"#);
        assert_eq!(tag, etag(br#"{"posts":[]}"#));
        assert_ne!(tag, etag(br#"{"posts":[{}]}"#));
        assert_eq!(tag.len(), 24, "{tag}");
        // Pinned: a new hash would make every client's cached copy look changed.
        assert_eq!(etag(b""), "\"maoG0wFHmNhgAcMkRo1Jfw\"");
    }

    #[test]
    fn only_shared_cacheable_answers_get_a_ttl() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(shared_ttl("public, max-age=0, s-maxage=300"), secs(300));
        assert_eq!(shared_ttl("public, max-age=60"), secs(60));
        assert_eq!(shared_ttl("private, no-store"), None);
        assert_eq!(shared_ttl("no-store"), None);
        assert_eq!(shared_ttl("public, max-age=0"), None);
        assert_eq!(shared_ttl(""), None);
    }

    #[test]
    fn keys_sort_known_parameters_and_drop_the_rest() {
        let key = cache_key(
            "/v1/projects",
            "utm_source=x&limit=5&featured=true&fbclid=1",
        );
        assert_eq!(key, "/v1/projects?featured=true&limit=5");
        assert_eq!(key, cache_key("/v1/projects", "featured=true&limit=5"));
        assert_eq!(cache_key("/v1/projects", "utm_campaign=a"), "/v1/projects");
        assert_ne!(
            cache_key("/v1/projects", "%6fffset=1000"),
            cache_key("/v1/projects", "")
        );
    }

    #[test]
    fn invalidations_cover_prefixes_and_exact_paths_only() {
        assert!(invalidation_covers("/v1/blog/*", "/v1/blog/posts?limit=1"));
        assert!(invalidation_covers(
            "/v1/projects",
            "/v1/projects?limit=1|abc"
        ));
        assert!(!invalidation_covers("/v1/projects", "/v1/projects/1"));
    }
}
