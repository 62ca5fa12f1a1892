//! The production path through the CloudFront stand-in: each test names the AWS
//! behaviour it holds folio to (the rules themselves are unit-tested beside the
//! stand-in in `src/standin/`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use folio::standin::cache::ResponseCache;
use folio::standin::function_url::AuthorizationAfterOac;
use folio::standin::{Distribution, EventType, FunctionError, LambdaFunction, StandinConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// "Restrict access to an AWS Lambda function URL origin": OAC overwrites the
/// viewer's Authorization. The owner's writes still work, whether the Function URL
/// passes the signature on or drops the header.
#[tokio::test]
async fn owner_writes_survive_oac_whatever_the_function_url_leaves_in_authorization() {
    for after_oac in [
        AuthorizationAfterOac::Signature,
        AuthorizationAfterOac::Absent,
    ] {
        let s = TestServer::spawn_standin(StandinConfig {
            authorization_after_oac: after_oac,
            ..StandinConfig::default()
        })
        .await;
        let post = s.create("/v1/blog/posts", blog_body("Through OAC")).await;
        let id = post["id"].as_str().unwrap();
        let draft = s
            .get(&format!("/v1/blog/posts/{id}"), Some(&s.owner_token))
            .await;
        assert_eq!(draft.status, 200, "{after_oac:?}: owner reads the draft");
        s.publish("/v1/blog/posts", id).await;
        let public = s.get("/v1/blog/posts", None).await;
        assert_eq!(public.body["total"], 1, "{after_oac:?}");
        let stats = &s.server.pipeline.stats;
        assert_eq!(stats.iam_refusals.load(Ordering::Relaxed), 0);
    }
}

/// The hand-off header is the edge's alone: a viewer who sends it with a stolen
/// (valid) owner token and no valid Authorization creates nothing.
#[tokio::test]
async fn a_viewer_sent_caller_header_with_a_stolen_token_creates_nothing() {
    let s = TestServer::spawn().await;
    for authorization in [None, Some("Bearer forged.token.value")] {
        let mut req = s
            .raw(Method::POST, "/v1/blog/posts")
            .await
            .header("x-folio-caller-token", &s.owner_token)
            .json(&blog_body("Smuggled"));
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        let r = TestServer::finish(req).await;
        r.error(401);
    }
    let all = s
        .get("/v1/blog/posts?status=all", Some(&s.owner_token))
        .await;
    assert_eq!(all.body["total"], 0, "{}", all.body);
}

/// "Restrictions on all edge functions": no result of the real edge breaks a rule
/// (no disallowed header added, no read-only header touched, sizes within quota)
/// and the Function URL accepts every request the edge forwards.
#[tokio::test]
async fn no_edge_result_fails_cloudfront_validation_across_every_kind_of_answer() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Valid")).await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let etag = s.get(&format!("/v1/blog/posts/{id}"), None).await;
    let tag = etag.header("etag").unwrap().to_string();
    let _ = TestServer::finish(
        s.raw(Method::GET, &format!("/v1/blog/posts/{id}"))
            .await
            .header("if-none-match", &tag),
    )
    .await;
    let _ = TestServer::finish(
        s.raw(Method::OPTIONS, "/v1/projects")
            .await
            .header("origin", "https://portfolio.example")
            .header("access-control-request-method", "POST"),
    )
    .await;
    let _ = s.get("/v1/nope", None).await; // 404 at the edge
    let _ = s.send(Method::PATCH, "/v1/projects/x", None, None).await; // 405
    let _ = s
        .send(Method::POST, "/v1/projects", None, Some(json!({})))
        .await; // 401
    let _ = s
        .send(
            Method::POST,
            "/v1/projects",
            Some("garbage"),
            Some(json!({})),
        )
        .await;
    let _ = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({"title": "Edited"})),
        )
        .await;
    let _ = s.send(Method::POST, "/v1/visitors/track", None, None).await;
    let stats = &s.server.pipeline.stats;
    assert_eq!(stats.validation_failures.load(Ordering::Relaxed), 0);
    assert_eq!(stats.iam_refusals.load(Ordering::Relaxed), 0);
    assert!(stats.edge_answers.load(Ordering::Relaxed) >= 4);
}

/// An edge function that adds a header of its choosing to every forwarded request.
struct AddsHeader(&'static str);

#[async_trait]
impl LambdaFunction for AddsHeader {
    async fn invoke(&self, mut event: Value) -> Result<Value, FunctionError> {
        let mut request = event["Records"][0]["cf"]["request"].take();
        request["headers"][self.0] = json!([{ "key": self.0, "value": "1" }]);
        Ok(request)
    }
}

/// Answers every origin request with 200 and counts nothing: the test looks at
/// what the stand-in does before it.
struct Ok200;

#[async_trait]
impl LambdaFunction for Ok200 {
    async fn invoke(&self, _: Value) -> Result<Value, FunctionError> {
        Ok(json!({ "statusCode": 200, "headers": {}, "body": "{}" }))
    }
}

async fn status_through(edge: AddsHeader) -> u16 {
    let distribution = Distribution::new(
        Arc::new(edge),
        Arc::new(Ok200),
        Arc::new(ResponseCache::new(1 << 20)),
        StandinConfig::default(),
    );
    let reply = distribution
        .handle(
            http::Method::GET,
            &"/v1/projects".parse().unwrap(),
            &http::HeaderMap::new(),
            bytes::Bytes::new(),
            "203.0.113.9:4000".parse().unwrap(),
        )
        .await;
    reply.status
}

/// "Restrictions on all edge functions": a result adding X-Edge-* (as the old edge
/// cache's `x-edge-cache` did) or touching a read-only header is answered 502.
#[tokio::test]
async fn the_stand_in_answers_502_when_an_edge_result_breaks_a_rule() {
    assert_eq!(status_through(AddsHeader("x-edge-cache")).await, 502);
    assert_eq!(status_through(AddsHeader("x-cache")).await, 502);
    assert_eq!(status_through(AddsHeader("if-none-match")).await, 502);
    assert_eq!(status_through(AddsHeader("x-folio-anything")).await, 200);
}

/// "Quotas on Lambda@Edge": at viewer-request the body is exposed truncated at
/// 40 KB, and the edge refuses a truncated body rather than forward half of it.
#[tokio::test]
async fn at_viewer_request_bodies_over_40_kb_are_refused_not_cut() {
    let s = TestServer::spawn_standin(StandinConfig {
        edge_event: EventType::ViewerRequest,
        ..StandinConfig::default()
    })
    .await;
    let mut big = blog_body("Big");
    big["content"] = json!("word ".repeat(10_000));
    let r = s.owner(Method::POST, "/v1/blog/posts", Some(big)).await;
    r.error(413);
    let small = s
        .owner(Method::POST, "/v1/blog/posts", Some(blog_body("Small")))
        .await;
    assert_eq!(small.status, 201, "{}", small.body);
}

/// The cache key is the query as the origin reads it: an encoded name is the name,
/// and of a repeated name the first wins, so answers that differ never share a key.
#[tokio::test]
async fn the_cache_key_cannot_be_poisoned_by_encoded_or_repeated_parameters() {
    let s = TestServer::spawn().await;
    for name in ["One", "Two", "Three"] {
        let p = s.create("/v1/projects", project_body(name)).await;
        s.publish("/v1/projects", p["id"].as_str().unwrap()).await;
    }
    let poisoned = s.get("/v1/projects?%6fffset=1000", None).await;
    assert_eq!(poisoned.status, 200);
    assert_eq!(poisoned.body["projects"].as_array().unwrap().len(), 0);
    let clean = s.get("/v1/projects", None).await;
    assert_eq!(
        clean.body["projects"].as_array().unwrap().len(),
        3,
        "the plain list is not the offset one"
    );
    let one = s.get("/v1/projects?limit=1&limit=100", None).await;
    let hundred = s.get("/v1/projects?limit=100&limit=1", None).await;
    assert_eq!(one.body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(hundred.body["projects"].as_array().unwrap().len(), 3);
}

/// One CORS definition: the exposed headers a browser may read are the same here
/// as in the template's response headers policy (tests/template_test.py).
#[tokio::test]
async fn cors_exposes_the_headers_of_the_one_definition() {
    let s = TestServer::spawn().await;
    let r = TestServer::finish(
        s.raw(Method::GET, "/v1/projects")
            .await
            .header("origin", "https://portfolio.example"),
    )
    .await;
    let exposed = r.header("access-control-expose-headers").unwrap();
    assert_eq!(
        exposed,
        folio_shared::policy::CORS.expose_headers_value(),
        "{exposed}"
    );
    assert!(exposed.contains("Location") && exposed.contains("WWW-Authenticate"));
    assert_eq!(
        r.header("x-frame-options"),
        Some("DENY"),
        "security headers"
    );
}

/// The console is served through the same distribution as the API. Its page keeps
/// its own Content-Security-Policy because the response headers policy sets that
/// header with `Override: false` (CloudFront API Reference,
/// ResponseHeadersPolicyContentSecurityPolicy), while API answers still get
/// `default-src 'none'`; the page is never kept by the shared cache, its hashed
/// assets are.
#[tokio::test]
async fn the_console_keeps_its_csp_its_page_is_never_cached_and_its_assets_are() {
    let s = TestServer::spawn().await;
    let stats = &s.server.pipeline.stats;
    let fetch = |path: &str| {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = format!("{}{path}", s.base);
        async move {
            let r = client.get(url).send().await.unwrap();
            let headers = r.headers().clone();
            (r.status().as_u16(), headers, r.text().await.unwrap())
        }
    };
    let (status, headers, html) = fetch("/admin/").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-security-policy"],
        folio_shared::policy::console_csp(None)
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let api = s.get("/v1/health", None).await;
    assert_eq!(
        api.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    let hits = stats.cache_hits.load(Ordering::Relaxed);
    fetch("/admin/").await;
    assert_eq!(
        stats.cache_hits.load(Ordering::Relaxed),
        hits,
        "the page must not be served from the shared cache"
    );
    let script = html
        .split('"')
        .find(|part| part.starts_with("/admin/assets/app.") && part.ends_with(".js"))
        .expect("the page links its script by hashed name")
        .to_string();
    let (status, headers, _) = fetch(&script).await;
    assert_eq!(status, 200);
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    fetch(&script).await;
    assert_eq!(
        stats.cache_hits.load(Ordering::Relaxed),
        hits + 1,
        "a hashed asset is served from the cache the second time"
    );
    let (status, headers, _) = fetch("/admin").await;
    assert_eq!(
        (status, &headers["location"]),
        (
            301,
            &"/admin/".parse::<reqwest::header::HeaderValue>().unwrap()
        )
    );
    assert_eq!(fetch("/admin/assets/app.0000.js").await.0, 404);
}
