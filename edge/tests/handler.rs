//! Every decision of the edge, driven by CloudFront Lambda@Edge events in the
//! documented shapes (multi-value headers, base64 bodies, query strings).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::support::*;
use async_trait::async_trait;
use folio_edge::{CloudFrontEvent, EdgeConfig};
use folio_shared::jwt::JwksSource;
use folio_shared::jwt::jwks_http::HttpJwks;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};

fn config() -> EdgeConfig {
    EdgeConfig {
        allowed_origins: vec!["https://portfolio.example".into()],
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

    let token = keys.token(&["owner"]);
    let owner = format!("Bearer {token}");
    let passed = run(&edge, post("a=1", &[("Authorization", &owner)])).await;
    assert!(forwarded(&passed), "{passed}");
    assert_eq!(
        header(&passed, "x-folio-caller-token"),
        Some(token.as_str()),
        "the verified token is handed on in a header OAC does not overwrite"
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
    // A stolen, valid owner token in the hand-off header, without Authorization.
    let stolen = keys.token(&["owner"]);
    let spoofed = [
        ("x-amz-content-sha256", "0000"),
        ("x-folio-caller-token", stolen.as_str()),
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
    assert!(
        passed["headers"].get("x-folio-caller-token").is_none(),
        "only a token the edge verified from Authorization is handed on"
    );
    let create = request_event(
        "origin-request",
        "POST",
        "/v1/projects",
        "",
        &[("x-folio-caller-token", stolen.as_str())],
        Some(b"{}"),
    );
    assert_eq!(status(&run(&edge, create).await), "401");
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
async fn public_gets_always_go_to_the_origin_the_edge_keeps_no_response_cache() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    for _ in 0..3 {
        let passed = run(&edge, get("/v1/projects", "featured=true", &[])).await;
        assert!(forwarded(&passed), "{passed}");
        assert!(passed["headers"].get("x-folio-caller-token").is_none());
    }
    assert_eq!(edge.stats.forwarded.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn origin_response_events_are_not_handled_they_carry_no_body() {
    // "Lambda@Edge event structure": origin-response events have no body, so the
    // edge has nothing to do there and the template associates none.
    let keys = Keys::new();
    let edge = keys.edge(config());
    let request = get("/v1/projects", "", &[]);
    let event = response_event(&request, 200, "public, s-maxage=300", "{}");
    let event: CloudFrontEvent = serde_json::from_value(event).unwrap();
    assert!(edge.handle(event).await.is_err());
}

#[tokio::test]
async fn the_query_is_normalised_at_viewer_request_and_left_alone_at_origin_request() {
    let keys = Keys::new();
    let edge = keys.edge(config());
    let query = "%6fffset=1000&limit=1&limit=100&utm_source=x";
    let at_viewer = run(
        &edge,
        request_event("viewer-request", "GET", "/v1/projects", query, &[], None),
    )
    .await;
    assert_eq!(at_viewer["querystring"], "limit=1&offset=1000");
    // At origin-request CloudFront has built the cache key from the query already;
    // the origin must read exactly what the key holds.
    let at_origin = run(&edge, get("/v1/projects", "limit=1&offset=1000", &[])).await;
    assert_eq!(at_origin["querystring"], "limit=1&offset=1000");
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
    async fn fetch(&self) -> Result<JwkSet, folio_shared::jwt::JwksError> {
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
