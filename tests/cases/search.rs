//! Search over what readers can see (and, for the owner, every status), through
//! the stand-in on every backend:
//! ranked, drafts never found, snippets escaped, cached like other public
//! reads and purged when content changes.

use reqwest::Method;
use serde_json::json;

use crate::support::*;

fn ids(r: &Resp) -> Vec<String> {
    r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_ranks_title_matches_first_never_finds_drafts_and_is_purged_on_publish() {
    let s = TestServer::spawn().await;
    let mut in_body = blog_body("Notes from a conference");
    in_body["content"] =
        json!("We ran **Kubernetes** for a year. <script>alert(1)</script> [docs](https://k8s.io)");
    let in_body = s.create("/v1/blog/posts", in_body).await;
    let in_title = s
        .create("/v1/blog/posts", blog_body("Kubernetes in production"))
        .await;
    let mut project = project_body("Cluster tooling");
    project["tech"] = json!(["Kubernetes", "Rust"]);
    let project = s.create("/v1/projects", project).await;
    let mut draft = blog_body("Kubernetes secrets I have not published");
    draft["content"] = json!("Still a draft about Kubernetes.");
    let draft = s.create("/v1/blog/posts", draft).await;
    for (collection, item) in [
        ("/v1/blog/posts", &in_body),
        ("/v1/blog/posts", &in_title),
        ("/v1/projects", &project),
    ] {
        s.publish(collection, item["id"].as_str().unwrap()).await;
    }

    let r = s.get("/v1/search?q=kubernetes", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "get", "/search").await;
    let found = ids(&r);
    assert_eq!(found.len(), 3, "{}", r.body);
    assert_eq!(
        found[0],
        in_title["id"].as_str().unwrap(),
        "the title match first"
    );
    assert!(!found.contains(&draft["id"].as_str().unwrap().to_string()));
    let hit = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == in_body["id"])
        .unwrap();
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>Kubernetes</mark>"), "{snippet}");
    assert!(
        !snippet.contains("<script") && !snippet.contains("k8s.io"),
        "{snippet}"
    );
    assert_eq!(hit["slug"], in_body["slug"]);
    // A typo and a prefix find the same.
    assert_eq!(ids(&s.get("/v1/search?q=kubernets", None).await).len(), 3);
    assert_eq!(
        ids(&s.get("/v1/search?q=kube&limit=1", None).await).len(),
        1
    );

    // Cached like other public reads...
    let before = s.origin_requests();
    let again = s.get("/v1/search?q=kubernetes", None).await;
    assert_eq!(again.body, r.body);
    assert_eq!(s.origin_requests(), before, "answered from the cache");
    // ...and purged when what readers see changes: the draft, published, is found.
    s.publish("/v1/blog/posts", draft["id"].as_str().unwrap())
        .await;
    let r = s.get("/v1/search?q=kubernetes", None).await;
    assert_eq!(ids(&r).len(), 4, "{}", r.body);
    s.unpublish("/v1/blog/posts", draft["id"].as_str().unwrap())
        .await;
    assert_eq!(ids(&s.get("/v1/search?q=kubernetes", None).await).len(), 3);
    // An edit of a published item's words is searched at once.
    let path = format!("/v1/projects/{}", project["id"].as_str().unwrap());
    let r = s
        .owner(Method::PUT, &path, Some(json!({ "tech": ["Nomad"] })))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ids(&s.get("/v1/search?q=kubernetes", None).await).len(), 2);
    assert_eq!(ids(&s.get("/v1/search?q=nomad", None).await).len(), 1);

    // No words, or too many characters: a 400 naming q.
    for bad in ["/v1/search", "/v1/search?q=%20%20"] {
        let r = s.get(bad, None).await;
        assert_eq!(r.error(400)["details"]["field"], "q", "{bad}");
    }
    let long = "a".repeat(101);
    let r = s.get(&format!("/v1/search?q={long}"), None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_owner_searches_every_status_and_no_one_else_can() {
    let s = TestServer::spawn().await;
    let mut draft = blog_body("Gardening notes");
    draft["content"] = json!("Tomatoes want sun.");
    let draft = s.create("/v1/blog/posts", draft).await;
    let published = s.create("/v1/blog/posts", blog_body("Tomatoes")).await;
    s.publish("/v1/blog/posts", published["id"].as_str().unwrap())
        .await;
    let (draft_id, published_id) = (
        draft["id"].as_str().unwrap().to_string(),
        published["id"].as_str().unwrap().to_string(),
    );

    let all = s
        .get("/v1/search?q=tomatoes&status=all", Some(&s.owner_token))
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    s.conforms(&all, "get", "/search").await;
    assert_eq!(ids(&all), [published_id.clone(), draft_id.clone()]);
    let statuses: Vec<_> = all.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["published", "draft"]);
    assert_eq!(
        all.header("cache-control"),
        Some("private, no-store"),
        "the owner's answer is never kept by a shared cache"
    );
    let drafts = s
        .get("/v1/search?q=tomatoes&status=draft", Some(&s.owner_token))
        .await;
    assert_eq!(ids(&drafts), [draft_id.as_str()]);

    // Without status, the owner gets the readers' answer: no draft, no status.
    let readers = s.get("/v1/search?q=tomatoes", Some(&s.owner_token)).await;
    assert_eq!(ids(&readers), [published_id.as_str()]);
    assert!(readers.body["results"][0].get("status").is_none());

    // Anyone else asking for drafts is refused, and a bad status is a 400.
    let anonymous = s.get("/v1/search?q=tomatoes&status=all", None).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let reader = s.non_owner_token().await;
    let signed_in = s
        .get("/v1/search?q=tomatoes&status=draft", Some(&reader))
        .await;
    assert_eq!(signed_in.status, 403, "{}", signed_in.body);
    let bad = s
        .get("/v1/search?q=tomatoes&status=hidden", Some(&s.owner_token))
        .await;
    assert_eq!(bad.error(400)["details"]["field"], "status");

    // The owner's index follows edits like the readers' does.
    let path = format!("/v1/blog/posts/{draft_id}");
    let r = s
        .owner(
            Method::PUT,
            &path,
            Some(json!({ "content": "Peppers want sun." })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = s
        .get("/v1/search?q=tomatoes&status=all", Some(&s.owner_token))
        .await;
    assert_eq!(ids(&all), [published_id]);
}
