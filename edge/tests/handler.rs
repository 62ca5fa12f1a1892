//! Every decision of the edge, driven by CloudFront Lambda@Edge events in the
//! documented shapes (multi-value headers, base64 bodies, query strings).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use folio_edge::cache::CacheLimits;
use folio_edge::{CloudFrontEvent, EdgeConfig};
use folio_shared::jwt::JwksSource;
use folio_shared::jwt::jwks_http::HttpJwks;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};
use support::*;

fn config() -> EdgeConfig {
    EdgeConfig {
        allowed_origins: vec!["https://portfolio.example".into()],
        cache: CacheLimits::default(),
    }
}

fn status(result: &Value) -> &str {
    result["status"].as_str().unwrap_or("")
}

fn error_body(result: &Value) -> Value {
    serde_json::from_str(result["body"].as_str().expect("a body")).expect("JSON error body")
}

#[tokio::test]
async fn cors_preflight_is_answered_at_the_edge_for_allowed_origins_only() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let preflight = |origin: &str| {
        request_event(
            "origin-request",
            "OPTIONS",
            "/v1/blog/posts",
            "",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
            ],
            None,
        )
    };
    let ok = run(&edge, preflight("https://portfolio.example")).await;
    assert_eq!(status(&ok), "204");
    assert_eq!(
        header(&ok, "access-control-allow-origin"),
        Some("https://portfolio.example")
    );
    assert!(
        header(&ok, "access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    let refused = run(&edge, preflight("https://evil.example")).await;
    assert_eq!(status(&refused), "403");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused_at_the_edge_with_json_errors() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let missing = run(&edge, get("/v1/nope", "", &[])).await;
    assert_eq!(status(&missing), "404");
    assert_eq!(error_body(&missing)["statusCode"], 404);
    let patch = request_event("origin-request", "PATCH", "/v1/projects/p1", "", &[], None);
    let not_allowed = run(&edge, patch).await;
    assert_eq!(status(&not_allowed), "405");
    assert!(header(&not_allowed, "allow").unwrap().contains("PUT"));
}

#[tokio::test]
async fn tokens_are_checked_at_the_edge_and_forwarded_intact() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let body = br#"{"name":"P","description":"d","longDescription":"l","tech":[],"company":"c","featured":false}"#;

    let post = |query: &str, headers: &[(&str, &str)]| {
        request_event(
            "origin-request",
            "POST",
            "/v1/projects",
            query,
            headers,
            Some(body),
        )
    };
    let refused = run(&edge, post("", &[])).await;
    assert_eq!(status(&refused), "401");
    assert_eq!(
        header(&refused, "www-authenticate").map(|v| v.starts_with("Bearer")),
        Some(true)
    );

    let bad = run(&edge, post("", &[("Authorization", "Bearer not.a.token")])).await;
    assert_eq!(status(&bad), "401");

    let reader = format!("Bearer {}", keys.token(&["readers"]));
    let forbidden = run(&edge, post("", &[("Authorization", &reader)])).await;
    assert_eq!(status(&forbidden), "403");

    let owner = format!("Bearer {}", keys.token(&["owner"]));
    let passed = run(&edge, post("a=1", &[("Authorization", &owner)])).await;
    assert!(forwarded(&passed), "{passed}");
    assert_eq!(
        header(&passed, "authorization"),
        Some(owner.as_str()),
        "token intact"
    );
    assert_eq!(passed["querystring"], "a=1");
    assert_eq!(
        passed["headers"]["accept"].as_array().unwrap().len(),
        2,
        "multi-value headers kept"
    );
    let expected = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = expected
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        header(&passed, "x-amz-content-sha256"),
        Some(hex.as_str()),
        "OAC payload hash"
    );
    assert_eq!(edge.stats.forwarded.load(Ordering::Relaxed), 1);
    assert_eq!(edge.stats.refused.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn viewer_supplied_internal_headers_never_reach_the_origin() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let spoofed = [
        ("x-amz-content-sha256", "0000"),
        ("x-folio-edge", "trusted"),
    ];
    let event = request_event(
        "origin-request",
        "POST",
        "/v1/visitors/track",
        "",
        &spoofed,
        Some(b"{}"),
    );
    let passed = run(&edge, event).await;
    assert!(forwarded(&passed));
    assert_ne!(header(&passed, "x-amz-content-sha256"), Some("0000"));
    assert!(passed["headers"].get("x-folio-edge").is_none());
}

#[tokio::test]
async fn a_truncated_body_is_refused_with_413() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let mut event = request_event(
        "origin-request",
        "POST",
        "/v1/visitors/track",
        "",
        &[],
        Some(b"{}"),
    );
    event["Records"][0]["cf"]["request"]["body"]["inputTruncated"] = json!(true);
    let refused = run(&edge, event).await;
    assert_eq!(status(&refused), "413");
}

#[tokio::test]
async fn a_second_public_get_is_answered_from_the_edge_cache_with_304_support() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let request = get("/v1/projects", "utm_source=x&featured=true", &[]);
    assert!(
        forwarded(&run(&edge, request.clone()).await),
        "first GET goes to the origin"
    );
    let body = r#"{"projects":[],"total":0,"limit":20,"offset":0}"#;
    let stored = run(
        &edge,
        response_event(&request, 200, "public, max-age=0, s-maxage=300", body),
    )
    .await;
    assert_eq!(
        stored["status"], "200",
        "the origin response goes on unchanged"
    );

    // Same query in another order, tracking parameter dropped: the same entry.
    let again = run(&edge, get("/v1/projects", "featured=true&fbclid=abc", &[])).await;
    assert_eq!(status(&again), "200");
    assert_eq!(again["body"], body);
    assert_eq!(header(&again, "x-edge-cache"), Some("hit"));
    assert_eq!(
        edge.stats.forwarded.load(Ordering::Relaxed),
        1,
        "origin reached once"
    );

    let etag = folio_shared::caching::etag(body.as_bytes());
    let revalidate = run(
        &edge,
        get("/v1/projects", "featured=true", &[("If-None-Match", &etag)]),
    )
    .await;
    assert_eq!(status(&revalidate), "304");
    assert!(revalidate.get("body").is_none_or(Value::is_null));
}

#[tokio::test]
async fn owner_requests_and_errors_never_enter_or_leave_the_edge_cache() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let owner = format!("Bearer {}", keys.token(&["owner"]));
    let owner_get = get("/v1/projects", "status=all", &[("Authorization", &owner)]);
    run(
        &edge,
        response_event(&owner_get, 200, "public, s-maxage=300", "{\"owner\":true}"),
    )
    .await;
    assert_eq!(
        edge.cache().entry_count(),
        0,
        "an authorised answer is not stored"
    );

    let public = get("/v1/blog/posts", "", &[]);
    run(
        &edge,
        response_event(&public, 200, "private, no-store", "{}"),
    )
    .await;
    run(
        &edge,
        response_event(
            &get("/v1/blog/categories", "", &[]),
            503,
            "public, s-maxage=60",
            "{}",
        ),
    )
    .await;
    assert_eq!(
        edge.cache().entry_count(),
        0,
        "no-store and errors are not stored"
    );

    // A cached public answer is not served to a signed-in caller.
    run(
        &edge,
        response_event(&public, 200, "public, s-maxage=300", "{\"posts\":[]}"),
    )
    .await;
    assert_eq!(edge.cache().entry_count(), 1);
    let signed_in = run(
        &edge,
        get("/v1/blog/posts", "", &[("Authorization", &owner)]),
    )
    .await;
    assert!(forwarded(&signed_in));
}

#[tokio::test]
async fn the_edge_ttl_bounds_how_long_a_publish_stays_invisible() {
    let keys = Keys::new();
    let edge = keys.edge(EdgeConfig {
        cache: CacheLimits {
            edge_ttl: Duration::from_millis(300),
            ..CacheLimits::default()
        },
        ..config()
    });
    let request = get("/v1/projects", "", &[]);
    run(
        &edge,
        response_event(&request, 200, "public, s-maxage=300", "{\"v\":1}"),
    )
    .await;
    assert_eq!(run(&edge, request.clone()).await["body"], "{\"v\":1}");
    // The owner publishes; CloudFront's invalidation does not reach the edge, but
    // the entry lives at most the edge TTL, not the answer's s-maxage.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        forwarded(&run(&edge, request.clone()).await),
        "stale entry gone after the edge TTL"
    );
    run(
        &edge,
        response_event(&request, 200, "public, s-maxage=300", "{\"v\":2}"),
    )
    .await;
    assert_eq!(run(&edge, request).await["body"], "{\"v\":2}");
}

#[tokio::test]
async fn the_edge_cache_is_bounded_in_entries_and_bytes() {
    let keys = Keys::new();
    let edge = keys.edge(EdgeConfig {
        cache: CacheLimits {
            max_bytes: 64 * 1024,
            max_entries: 10,
            edge_ttl: Duration::from_secs(60),
        },
        ..config()
    });
    let body = "x".repeat(2_000);
    for i in 0..100 {
        let request = get(&format!("/v1/projects/p{i}"), "", &[]);
        run(
            &edge,
            response_event(&request, 200, "public, s-maxage=300", &body),
        )
        .await;
    }
    assert!(
        edge.cache().entry_count() <= 10,
        "{}",
        edge.cache().entry_count()
    );
    assert!(edge.cache().weighted_size() <= 64 * 1024);
}

#[tokio::test]
async fn viewer_request_events_get_the_same_decisions() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let event = request_event("viewer-request", "DELETE", "/v1/projects/p1", "", &[], None);
    assert_eq!(status(&run(&edge, event).await), "401");
    let public = request_event("viewer-request", "GET", "/v1/projects", "", &[], None);
    assert!(forwarded(&run(&edge, public).await));
}

#[tokio::test]
async fn other_event_types_are_an_error_not_a_guess() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let mut event = get("/v1/projects", "", &[]);
    event["Records"][0]["cf"]["config"]["eventType"] = json!("viewer-response");
    let event: CloudFrontEvent = serde_json::from_value(event).unwrap();
    assert!(edge.handle(event).await.is_err());
}

/// A JWKS endpoint that counts its fetches and serves a fixed set.
struct CountingJwks {
    keys: JwkSet,
    fetches: AtomicU64,
}

#[async_trait]
impl JwksSource for CountingJwks {
    async fn fetch(&self) -> Result<JwkSet, String> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.keys.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_random_kids_cause_at_most_one_jwks_fetch() {
    let keys = Keys::new();
    let source = Arc::new(CountingJwks {
        keys: keys.jwks(),
        fetches: AtomicU64::new(0),
    });
    let edge = Arc::new(folio_edge::Edge::new(
        keys.verifier(source.clone()),
        config(),
    ));
    let claims = keys.claims(&["owner"]);
    let token = keys.sign_with_kid(&claims, "x");
    let (_, rest) = token.split_once('.').unwrap();
    let tasks = (0..10_000).map(|i| {
        let edge = Arc::clone(&edge);
        // A fresh header per token naming a kid nobody published.
        let header = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!(r#"{{"alg":"RS256","typ":"JWT","kid":"random-{i}"}}"#),
        );
        let forged = format!("Bearer {header}.{rest}");
        tokio::spawn(async move {
            run(&edge, get("/v1/auth/me", "", &[("Authorization", &forged)])).await
        })
    });
    for task in tasks {
        assert_eq!(status(&task.await.unwrap()), "401");
    }
    assert!(
        source.fetches.load(Ordering::SeqCst) <= 1,
        "fetches: {}",
        source.fetches.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn with_the_jwks_endpoint_down_known_keys_verify_and_unknown_kids_get_401() {
    let keys = Keys::new();
    // Nothing listens on port 9 of localhost: every refetch fails fast.
    let down = Arc::new(HttpJwks::new("http://127.0.0.1:9/.well-known/jwks.json").unwrap());
    let edge = folio_edge::Edge::new(keys.verifier(down), config());
    let owner = format!("Bearer {}", keys.token(&["owner"]));
    let known = run(&edge, owner_delete(&owner)).await;
    assert!(
        forwarded(&known),
        "the snapshot keys keep verifying: {known}"
    );
    let unknown = format!(
        "Bearer {}",
        keys.sign_with_kid(&keys.claims(&["owner"]), "rotated-key")
    );
    let refused = run(
        &edge,
        get("/v1/auth/me", "", &[("Authorization", &unknown)]),
    )
    .await;
    assert_eq!(status(&refused), "401", "not a 5xx");
}
