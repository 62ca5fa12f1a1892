//! What readers and frontends get beyond the stored fields: rendered HTML, feeds
//! and the sitemap, through the stand-in.

use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn readers_get_sanitised_html_beside_the_markdown_and_a_get_body_still_goes_back_with_put() {
    let s = TestServer::spawn().await;
    let hostile = "# Hello\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> ~~old~~ https://example.com";
    let mut body = blog_body("Rendered post");
    body["content"] = json!(hostile);
    let post = s.create("/v1/blog/posts", body).await;
    let id = post["id"].as_str().unwrap();
    let html = post["contentHtml"].as_str().expect("contentHtml on create");
    assert!(
        html.contains("<h1>Hello</h1>") && html.contains("<del>old</del>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"https://example.com\""), "{html}");
    for live in ["<script", "javascript:", "onerror"] {
        assert!(!html.contains(live), "{live} survived: {html}");
    }
    assert_eq!(post["content"], hostile, "the Markdown is kept as written");
    s.publish("/v1/blog/posts", id).await;

    // Public item, by slug and list all carry the same HTML.
    let r = s.get(&format!("/v1/blog/posts/{id}"), None).await;
    assert_eq!(r.body["contentHtml"], html);
    s.conforms(&r, "get", "/blog/posts/{postId}").await;
    let slug = r.body["slug"].as_str().unwrap().to_string();
    let r = s.get(&format!("/v1/blog/posts/by-slug/{slug}"), None).await;
    assert_eq!(r.body["contentHtml"], html);
    let r = s.get("/v1/blog/posts", None).await;
    assert_eq!(r.body["posts"][0]["contentHtml"], html);
    s.conforms(&r, "get", "/blog/posts").await;

    // The GET answer goes back with PUT (contentHtml is read-only and matches),
    // under the GET answer's ETag.
    let r = s
        .get(&format!("/v1/blog/posts/{id}"), Some(&s.owner_token))
        .await;
    let etag = r.header("etag").unwrap().to_string();
    let mut back = r.body.clone();
    back["title"] = json!("Rendered post, renamed");
    let put = s
        .raw(Method::PUT, &format!("/v1/blog/posts/{id}"))
        .await
        .bearer_auth(&s.owner_token)
        .header("if-match", &etag)
        .json(&back);
    let r = TestServer::finish(put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A changed contentHtml is refused by name; so is one on create.
    back = r.body.clone();
    back["contentHtml"] = json!("<p>mine</p>");
    let r = s
        .owner(Method::PUT, &format!("/v1/blog/posts/{id}"), Some(back))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["details"]["field"], "contentHtml", "{}", r.body);
    let mut create = blog_body("With HTML");
    create["contentHtml"] = json!("<p>x</p>");
    let r = s.owner(Method::POST, "/v1/blog/posts", Some(create)).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Projects render their long description the same way.
    let mut project = project_body("Rendered project");
    project["longDescription"] =
        json!("| a | b |\n|---|---|\n| 1 | 2 |\n\n<a href=\"javascript:x\" onclick=\"x\">y</a>");
    let project = s.create("/v1/projects", project).await;
    let html = project["longDescriptionHtml"].as_str().unwrap();
    assert!(html.contains("<td>1</td>"), "{html}");
    assert!(
        !html.contains("javascript:") && !html.contains("onclick"),
        "{html}"
    );
    let r = s
        .get(
            &format!("/v1/projects/{}", project["id"].as_str().unwrap()),
            Some(&s.owner_token),
        )
        .await;
    s.conforms(&r, "get", "/projects/{projectId}").await;
}
