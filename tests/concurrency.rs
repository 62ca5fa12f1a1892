//! Exactness under concurrency: duplicates count once, one of racing updates wins.

use crate::support::*;
use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

async fn owner_count(s: &TestServer, path: &str, field: &str) -> i64 {
    // The owner's reads bypass the shared cache, so they see the store as it is now.
    s.get(path, Some(&s.owner_token)).await.body[field]
        .as_i64()
        .expect("integer count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_visits_from_fifty_visitors_count_fifty() {
    let s = TestServer::spawn().await;
    let before = owner_count(&s, "/v1/visitors/count", "count").await;
    let requests = (0..500).map(|i| {
        let req = s
            .client
            .post(format!("{}/v1/visitors/track", s.base))
            .header("user-agent", format!("Mozilla/5.0 visitor-{}", i % 50));
        TestServer::finish(req)
    });
    let responses = join_all(requests).await;
    assert_eq!(
        counted(&responses),
        50,
        "exactly one tracked=true per visitor"
    );
    assert_eq!(
        owner_count(&s, "/v1/visitors/count", "count").await - before,
        50
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_views_from_fifty_visitors_count_fifty() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Popular")).await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let body = json!({ "contentId": id, "contentType": "blog" });
    let requests = (0..500).map(|i| {
        let req = s
            .client
            .post(format!("{}/v1/analytics/track", s.base))
            .header("user-agent", format!("Mozilla/5.0 reader-{}", i % 50))
            .json(&body);
        TestServer::finish(req)
    });
    let responses = join_all(requests).await;
    assert_eq!(counted(&responses), 50);
    assert_eq!(
        owner_count(&s, &format!("/v1/analytics/views/blog/{id}"), "views").await,
        50
    );
    assert_eq!(
        owner_count(&s, "/v1/analytics/total-views", "totalViews").await,
        50
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_with_the_same_if_match_let_exactly_one_win() {
    let s = TestServer::spawn().await;
    let project = s.create("/v1/projects", project_body("Raced")).await;
    let path = format!("/v1/projects/{}", project["id"].as_str().unwrap());
    let etag = s
        .get(&path, Some(&s.owner_token))
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let requests = (0..20).map(|i| {
        let req = s
            .client
            .request(Method::PUT, format!("{}{path}", s.base))
            .bearer_auth(&s.owner_token)
            .header("if-match", &etag)
            .json(&json!({ "name": format!("writer {i}") }));
        TestServer::finish(req)
    });
    let responses = join_all(requests).await;
    let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "statuses: {:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(responses.iter().all(|r| r.status == 200 || r.status == 412));
    let stored = s.get(&path, Some(&s.owner_token)).await;
    assert_eq!(
        stored.body["name"], winners[0].body["name"],
        "the winner's write is the stored one"
    );
}

/// Every listed id of a list, page by page, as the owner (who bypasses the cache).
async fn listed_ids(s: &TestServer, query: &str) -> (i64, Vec<String>) {
    let mut ids = Vec::new();
    let mut total = 0;
    for offset in (0..).step_by(7) {
        let page = s
            .get(
                &format!("/v1/blog/posts?{query}&limit=7&offset={offset}"),
                Some(&s.owner_token),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        total = page.body["total"].as_i64().expect("total");
        let posts = page.body["posts"].as_array().expect("posts").clone();
        if posts.is_empty() {
            break;
        }
        ids.extend(posts.iter().map(|p| p["id"].as_str().unwrap().to_string()));
    }
    (total, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishing_keeps_list_totals_and_pages_exact() {
    let s = TestServer::spawn().await;
    let mut ids = Vec::new();
    for i in 0..24 {
        let mut body = blog_body(&format!("Raced post {i}"));
        body["tags"] = json!([
            "shared",
            format!("own-{i}"),
            if i % 2 == 0 { "even" } else { "odd" }
        ]);
        ids.push(
            s.create("/v1/blog/posts", body).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Every post published at once: all of them add to the same tally rows.
    let publishes = ids.iter().map(|id| {
        let req = s
            .client
            .request(
                Method::POST,
                format!("{}/v1/blog/posts/{id}/publish", s.base),
            )
            .bearer_auth(&s.owner_token);
        TestServer::finish(req)
    });
    assert_all_ok(&join_all(publishes).await);
    // A third taken back at once, while the others are retagged.
    let changes = ids.iter().enumerate().map(|(i, id)| {
        let req = if i % 3 == 0 {
            s.client.request(
                Method::POST,
                format!("{}/v1/blog/posts/{id}/unpublish", s.base),
            )
        } else {
            s.client
                .request(Method::PUT, format!("{}/v1/blog/posts/{id}", s.base))
                .json(&json!({ "tags": ["shared", "retagged"] }))
        };
        TestServer::finish(req.bearer_auth(&s.owner_token))
    });
    assert_all_ok(&join_all(changes).await);

    for (query, expected) in [
        ("status=published", 16),
        ("status=draft", 8),
        ("status=all", 24),
        ("status=published&tag=shared", 16),
        ("status=published&tag=retagged", 16),
        ("status=published&tag=even", 0),
        ("status=draft&tag=even", 4),
        ("status=all&tag=odd", 4),
        ("status=published&category=backend&tag=retagged", 16),
    ] {
        let (total, listed) = listed_ids(&s, query).await;
        assert_eq!(total, expected, "{query}: total");
        assert_eq!(
            listed.len() as i64,
            expected,
            "{query}: pages list every item once"
        );
        let mut unique = listed.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "{query}: no item twice");
    }
}
