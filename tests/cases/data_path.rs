//! The data path held to DynamoDB's rules on every backend (the suite runs on the
//! embedded store, on moto and on Amazon's DynamoDB Local), and its failure paths
//! run on demand through the fault-injecting wrappers of the ports.

use folio_origin::adapters::resilience::Fault;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

/// Renaming a draft so that its first slug candidate is its own current slug must
/// not put a Put and a Delete of the same slug row in one transaction (DynamoDB
/// refuses that with a ValidationException).
#[tokio::test]
async fn renaming_a_draft_onto_its_own_slug_keeps_the_slug_and_answers_200() {
    let s = TestServer::spawn().await;
    let first = s.create("/v1/blog/posts", blog_body("Hello")).await;
    assert_eq!(first["slug"], "hello");
    let second = s.create("/v1/blog/posts", blog_body("Hello")).await;
    assert_eq!(second["slug"], "hello-2");
    let id = second["id"].as_str().unwrap();
    let renamed = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({ "title": "Hello 2" })),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["slug"], "hello-2");
    assert_eq!(renamed.body["title"], "Hello 2");
    let by_slug = s
        .get("/v1/blog/posts/by-slug/hello-2", Some(&s.owner_token))
        .await;
    assert_eq!(by_slug.body["id"], id);
    // And a rename elsewhere frees the old slug for others.
    let moved = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({ "title": "Elsewhere" })),
        )
        .await;
    assert_eq!(moved.body["slug"], "elsewhere");
    let third = s.create("/v1/blog/posts", blog_body("Hello")).await;
    assert_eq!(third["slug"], "hello-2");
}

/// A post whose stored item would pass DynamoDB's 400 KB is a 413 naming the limit
/// on every backend, never a 500 on one and a 201 on another.
#[tokio::test]
async fn a_post_over_the_400_kb_item_limit_is_413_naming_the_limit() {
    let s = TestServer::spawn().await;
    let mut big = blog_body("Large");
    // 110,000 characters of four bytes each: within maxLength, over 400 KB.
    big["content"] = json!("😀".repeat(110_000));
    let r = s.owner(Method::POST, "/v1/blog/posts", Some(big)).await;
    let error = r.error(413);
    assert!(
        error["message"].as_str().unwrap().contains("400000 bytes"),
        "{error}"
    );
    let all = s
        .get("/v1/blog/posts?status=all", Some(&s.owner_token))
        .await;
    assert_eq!(all.body["total"], 0, "nothing stored");
    let mut long = blog_body("Too long");
    long["content"] = json!("x".repeat(folio_shared::domain::MARKDOWN_MAX_CHARS + 1));
    let r = s.owner(Method::POST, "/v1/blog/posts", Some(long)).await;
    assert_eq!(r.error(400)["details"]["field"], "content");
}

/// DynamoDB's TransactionConflict (which the SDK does not retry) is retried, and
/// a write that keeps conflicting is a 503 with Retry-After, with nothing written.
#[tokio::test]
async fn transaction_conflicts_are_retried_and_persistent_ones_are_503() {
    let s = TestServer::spawn().await;
    s.faults.fail_next(3, Fault::TransactionConflict);
    let created = s
        .create("/v1/projects", project_body("After conflicts"))
        .await;
    assert_eq!(
        s.faults.pending(),
        0,
        "the three conflicts were met and retried"
    );
    assert_eq!(created["name"], "After conflicts");

    s.faults.fail_next(20, Fault::TransactionConflict);
    let r = s
        .owner(Method::POST, "/v1/projects", Some(project_body("Never")))
        .await;
    r.error(503);
    assert!(r.header("retry-after").is_some());
    let left = s.faults.pending();
    assert_eq!(left, 20 - 8, "eight attempts, then 503");
    s.faults.clear();
    let all = s.get("/v1/projects?status=all", Some(&s.owner_token)).await;
    let names: Vec<&str> = all.body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Never"), "{names:?}");
}

/// Throttling and timeouts of the store become 503 with Retry-After and a JSON
/// error; of the identity provider, 429 (throttled) or 503.
#[tokio::test]
async fn throttling_and_timeouts_are_503_or_429_with_retry_after_never_500() {
    let s = TestServer::spawn().await;
    for fault in [Fault::Throttled, Fault::Timeout, Fault::Unreachable] {
        s.faults.fail_next(1, fault.clone());
        let r = s.get("/v1/projects?status=all", Some(&s.owner_token)).await;
        r.error(503);
        assert!(r.header("retry-after").is_some(), "{fault:?}");
    }
    s.faults.fail_next(1, Fault::Throttled);
    let r = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    r.error(429);
    assert!(r.header("retry-after").is_some());
    s.faults.fail_next(1, Fault::Unreachable);
    s.login(OWNER_EMAIL, OWNER_PASSWORD).await.error(503);
    assert_eq!(s.login(OWNER_EMAIL, OWNER_PASSWORD).await.status, 200);
}
