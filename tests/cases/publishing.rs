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

/// A percent-encoded path segment, as a frontend URL carries a slug.
fn encoded(slug: &str) -> String {
    slug.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn feeds_carry_the_newest_published_posts_link_to_the_frontend_and_are_purged_on_publish() {
    let s = TestServer::spawn().await;
    let published = s
        .create("/v1/blog/posts", blog_body("Ampersands & <angles> in 日本"))
        .await;
    let id = published["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    let draft = s.create("/v1/blog/posts", blog_body("Still a draft")).await;
    let slug = published["slug"].as_str().unwrap();
    let url = format!("{SITE_URL}/blog/{}", encoded(slug));

    let atom = s.get("/v1/blog/feed.atom", None).await;
    assert_eq!(atom.status, 200, "{}", atom.text);
    assert_eq!(
        atom.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert!(
        atom.text
            .contains("<title>Ampersands &amp; &lt;angles&gt; in 日本</title>"),
        "{}",
        atom.text
    );
    assert!(
        atom.text.contains(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>"
        )),
        "{}",
        atom.text
    );
    assert!(
        atom.text
            .contains(&format!("href=\"{}/v1/blog/feed.atom\"", s.base)),
        "self link to the API: {}",
        atom.text
    );
    assert!(!atom.text.contains("Still a draft"), "drafts stay private");
    assert!(
        atom.header("cache-control")
            .unwrap()
            .contains("s-maxage=300")
    );

    let rss = s.get("/v1/blog/feed.rss", None).await;
    assert_eq!(
        rss.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    assert!(
        rss.text
            .contains(&format!("<guid isPermaLink=\"true\">{url}</guid>")),
        "{}",
        rss.text
    );
    let json = s.get("/v1/blog/feed.json", None).await;
    assert_eq!(
        json.header("content-type"),
        Some("application/feed+json; charset=utf-8")
    );
    let feed: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["items"][0]["url"], url);
    assert_eq!(feed["items"][0]["content_html"], published["contentHtml"]);
    assert_eq!(feed["items"].as_array().unwrap().len(), 1);

    // Cached like content: the second read never reaches the origin ...
    let before = s.origin_requests();
    let again = s.get("/v1/blog/feed.atom", None).await;
    assert_eq!(again.text, atom.text);
    assert_eq!(
        s.origin_requests(),
        before,
        "the second read is a cache hit"
    );
    // ... and publishing purges it.
    s.publish("/v1/blog/posts", draft["id"].as_str().unwrap())
        .await;
    let atom = s.get("/v1/blog/feed.atom", None).await;
    assert!(
        atom.text.contains("Still a draft"),
        "publish purged the feed"
    );
    let json = s.get("/v1/blog/feed.json", None).await;
    let feed: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);

    // A bounded number of entries, newest first.
    for i in 0..20 {
        let mut body = blog_body(&format!("Bulk post {i}"));
        body["publishedAt"] = json!(format!("2030-01-{:02}", i + 1));
        let post = s.create("/v1/blog/posts", body).await;
        s.publish("/v1/blog/posts", post["id"].as_str().unwrap())
            .await;
    }
    let json = s.get("/v1/blog/feed.json", None).await;
    let feed: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    let titles: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 20);
    assert_eq!(titles[0], "Bulk post 19");
    assert!(!titles.contains(&"Still a draft"), "the oldest fell off");
}

#[tokio::test]
async fn the_sitemap_lists_every_published_item_and_follows_unpublish() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Mapped post")).await;
    let project = s
        .create("/v1/projects", project_body("Mapped project"))
        .await;
    let cert = s
        .create("/v1/certifications", cert_body("Mapped cert"))
        .await;
    let hidden = s
        .create("/v1/projects", project_body("Hidden project"))
        .await;
    for (collection, item) in [
        ("/v1/blog/posts", &post),
        ("/v1/projects", &project),
        ("/v1/certifications", &cert),
    ] {
        s.publish(collection, item["id"].as_str().unwrap()).await;
    }
    let r = s.get("/v1/sitemap.xml", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let locs = |text: &str| -> Vec<String> {
        text.split("<loc>")
            .skip(1)
            .map(|p| p.split("</loc>").next().unwrap().to_string())
            .collect()
    };
    let expected = [
        format!("{SITE_URL}/"),
        format!("{SITE_URL}/blog/{}", post["slug"].as_str().unwrap()),
        format!("{SITE_URL}/projects/{}", project["id"].as_str().unwrap()),
        format!("{SITE_URL}/certifications/{}", cert["id"].as_str().unwrap()),
    ];
    assert_eq!(locs(&r.text), expected);
    assert!(!r.text.contains(hidden["id"].as_str().unwrap()));

    // Unpublishing a project purges the sitemap.
    s.unpublish("/v1/projects", project["id"].as_str().unwrap())
        .await;
    let r = s.get("/v1/sitemap.xml", None).await;
    assert_eq!(locs(&r.text).len(), 3, "{}", r.text);
}
