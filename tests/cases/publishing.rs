//! What readers and frontends get beyond the stored fields: rendered HTML, feeds
//! and the sitemap, through the stand-in.

use reqwest::Method;
use serde_json::json;

use crate::support::hooks;
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

#[tokio::test]
async fn a_preview_link_reads_one_draft_until_it_expires_or_is_revoked() {
    let s = TestServer::spawn().await;
    let draft = s.create("/v1/blog/posts", blog_body("Secret draft")).await;
    let id = draft["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}/preview");

    for bad in [
        json!({ "expiresInHours": 0 }),
        json!({ "expiresInHours": 721 }),
        json!({ "expiresInHours": "1" }),
        json!({ "other": 1 }),
    ] {
        let r = s.owner(Method::POST, &path, Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let r = s
        .owner(Method::POST, "/v1/blog/posts/nope/preview", Some(json!({})))
        .await;
    assert_eq!(r.status, 404);
    let r = s.send(Method::POST, &path, None, Some(json!({}))).await;
    assert_eq!(r.status, 401, "only the owner makes links");

    let r = s.owner(Method::POST, &path, Some(json!({}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s.conforms(&r, "post", "/blog/posts/{postId}/preview").await;
    let link = r.body.clone();
    let expires =
        chrono::DateTime::parse_from_rfc3339(link["expiresAt"].as_str().unwrap()).unwrap();
    let hours =
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((71.9..=72.0).contains(&hours), "default 72 h, got {hours}");
    let preview_path = link["path"].as_str().unwrap().to_string();

    // Anyone holding the link reads the draft, with its HTML; nothing is cached.
    let before = s.origin_requests();
    for _ in 0..2 {
        let r = s.get(&preview_path, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["item"]["title"], "Secret draft");
        assert_eq!(r.body["item"]["status"], "draft");
        assert!(r.body["item"]["contentHtml"].is_string());
        assert_eq!(r.header("cache-control"), Some("private, no-store"));
        assert_eq!(r.header("x-robots-tag"), Some("noindex, nofollow"));
        s.conforms(&r, "get", "/preview/{previewToken}").await;
    }
    assert_eq!(
        s.origin_requests(),
        before + 2,
        "preview answers are never cached"
    );
    // The draft stays private everywhere else and is listed nowhere.
    assert_eq!(
        s.get(&format!("/v1/blog/posts/{id}"), None).await.status,
        404
    );
    assert!(
        !s.get("/v1/blog/posts", None)
            .await
            .post_titles()
            .contains(&"Secret draft")
    );
    // A guessed or altered token opens nothing.
    let token = link["token"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        &token[..42],
        if token.ends_with('A') { 'B' } else { 'A' }
    );
    assert_eq!(
        s.get(&format!("/v1/preview/{flipped}"), None).await.status,
        404
    );
    assert_eq!(s.get("/v1/preview/short", None).await.status, 404);

    // Revoked: gone, and revoking again is a 404.
    let r = s.owner(Method::DELETE, &preview_path, None).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&preview_path, None).await.status, 404);
    assert_eq!(
        s.owner(Method::DELETE, &preview_path, None).await.status,
        404
    );

    // Expired: a link whose time has passed opens nothing (its row is aged in the
    // store, as an hour passing would).
    let r = s
        .owner(Method::POST, &path, Some(json!({ "expiresInHours": 1 })))
        .await;
    let short = r.body["path"].as_str().unwrap().to_string();
    let key = folio_origin::ports::keys::preview(&folio_shared::digest::sha256_hex(
        r.body["token"].as_str().unwrap().as_bytes(),
    ));
    assert_eq!(s.get(&short, None).await.status, 200);
    let store = &s.server.app.store;
    let mut row = store.get(&key).await.unwrap().expect("the link's row");
    row.expires_at = Some(chrono::Utc::now().timestamp() - 1);
    store
        .transact(vec![folio_origin::ports::store::Write::Put {
            item: row,
            condition: folio_origin::ports::store::Condition::None,
        }])
        .await
        .unwrap();
    assert_eq!(s.get(&short, None).await.status, 404, "expired");

    // Deleting the item takes its links with it.
    let r = s
        .owner(Method::POST, &path, Some(json!({ "expiresInHours": 2 })))
        .await;
    let live = r.body["path"].as_str().unwrap().to_string();
    assert_eq!(
        s.owner(Method::DELETE, &format!("/v1/blog/posts/{id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(s.get(&live, None).await.status, 404);
}

/// The owner sees an item's live links (ids and times, never tokens) and
/// revokes any one of them without its token.
#[tokio::test]
async fn the_owner_lists_an_items_preview_links_and_revokes_one_by_its_id() {
    let s = TestServer::spawn().await;
    let draft = s
        .create("/v1/projects", project_body("Previewed project"))
        .await;
    let item = format!("/v1/projects/{}", draft["id"].as_str().unwrap());
    let mut made = Vec::new();
    for _ in 0..2 {
        let r = s
            .owner(Method::POST, &format!("{item}/preview"), Some(json!({})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        made.push(r.body.clone());
    }
    let r = s
        .owner(Method::GET, &format!("{item}/previews"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "get", "/projects/{projectId}/previews")
        .await;
    let links = r.body["links"].as_array().unwrap().clone();
    assert_eq!(links.len(), 2, "{}", r.body);
    let ids: Vec<&str> = links.iter().map(|l| l["id"].as_str().unwrap()).collect();
    for link in &made {
        assert!(ids.contains(&link["id"].as_str().unwrap()), "{ids:?}");
        assert!(
            !r.text.contains(link["token"].as_str().unwrap()),
            "no token is listed"
        );
    }
    assert_eq!(
        s.get(&format!("{item}/previews"), None).await.status,
        401,
        "only the owner"
    );

    let first = made[0]["id"].as_str().unwrap();
    let r = s
        .owner(Method::DELETE, &format!("{item}/previews/{first}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        s.get(made[0]["path"].as_str().unwrap(), None).await.status,
        404
    );
    assert_eq!(
        s.get(made[1]["path"].as_str().unwrap(), None).await.status,
        200
    );
    let r = s
        .owner(Method::GET, &format!("{item}/previews"), None)
        .await;
    assert_eq!(r.body["links"].as_array().unwrap().len(), 1);
    for gone in [first, "0123456789abcdef", "not-a-link-id"] {
        let r = s
            .owner(Method::DELETE, &format!("{item}/previews/{gone}"), None)
            .await;
        assert_eq!(r.status, 404, "{gone}");
    }
    // Another item's link is not this item's to revoke.
    let other = s
        .create("/v1/projects", project_body("Other project"))
        .await;
    let other = format!("/v1/projects/{}", other["id"].as_str().unwrap());
    let second = made[1]["id"].as_str().unwrap();
    let r = s
        .owner(Method::DELETE, &format!("{other}/previews/{second}"), None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        s.get(made[1]["path"].as_str().unwrap(), None).await.status,
        200
    );
}

/// A preview link opens as a page for a person: the item's HTML under a "not
/// published" banner, noindex, no script; a dead link is a page saying so.
#[tokio::test]
async fn a_preview_link_opens_as_a_page_a_person_can_read() {
    let s = TestServer::spawn().await;
    let mut body = blog_body("<script>alert(1)</script> & friends");
    body["content"] = json!("Some **bold** words.");
    let draft = s.create("/v1/blog/posts", body).await;
    let r = s
        .owner(
            Method::POST,
            &format!("/v1/blog/posts/{}/preview", draft["id"].as_str().unwrap()),
            Some(json!({})),
        )
        .await;
    let page_path = r.body["pagePath"].as_str().unwrap().to_string();
    assert_eq!(
        page_path.replacen("/preview/", "/v1/preview/", 1),
        r.body["path"]
    );
    let page = s.get(&page_path, None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.header("x-robots-tag"), Some("noindex, nofollow"));
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(
        page.text.contains("Preview, not published"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<strong>bold</strong>"), "{}", page.text);
    assert!(
        page.text
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends")
    );
    assert!(!page.text.contains("<script>"));
    let dead = s
        .get("/preview/3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None)
        .await;
    assert_eq!(dead.status, 404);
    assert!(dead.text.contains("not available"), "{}", dead.text);
}

/// A link outlives nothing the owner ends: signing out everywhere ends every
/// preview link made until then, as it ends every session; links made after
/// work again.
#[tokio::test]
async fn signing_out_everywhere_ends_every_preview_link() {
    let s = TestServer::spawn().await;
    let draft = s.create("/v1/blog/posts", blog_body("Shared draft")).await;
    let path = format!("/v1/blog/posts/{}/preview", draft["id"].as_str().unwrap());
    let r = s.owner(Method::POST, &path, Some(json!({}))).await;
    let shared = r.body["path"].as_str().unwrap().to_string();
    assert_eq!(s.get(&shared, None).await.status, 200);

    let r = s.owner(Method::POST, "/v1/auth/logout", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        s.get(&shared, None).await.status,
        404,
        "ended with the sessions"
    );

    let login = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["token"].as_str().unwrap();
    let r = s
        .send(Method::POST, &path, Some(token), Some(json!({})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let fresh = r.body["path"].as_str().unwrap().to_string();
    assert_eq!(s.get(&fresh, None).await.status, 200, "a new link works");
    assert_eq!(s.get(&shared, None).await.status, 404);
}

#[tokio::test]
async fn a_scheduled_post_is_published_on_time_by_the_local_scheduler_and_invalidated_once() {
    let s = TestServer::spawn().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Goes out later"))
        .await;
    let id = post["id"].as_str().unwrap().to_string();
    let schedule = format!("/v1/blog/posts/{id}/schedule");

    for bad in [
        json!({ "publishAt": "tomorrow" }),
        json!({ "publishAt": "2030-02-30T09:00:00Z" }),
        json!({ "publishAt": 1_900_000_000 }),
        json!({}),
    ] {
        let r = s.owner(Method::POST, &schedule, Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }

    // Read the public answers first, so the stand-in caches them.
    assert_eq!(
        s.get(&format!("/v1/blog/posts/{id}"), None).await.status,
        404
    );
    assert_eq!(s.get("/v1/blog/posts", None).await.body["total"], 0);
    let at = in_secs(2);
    let r = s
        .owner(Method::POST, &schedule, Some(json!({ "publishAt": at })))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "post", "/blog/posts/{postId}/schedule")
        .await;
    assert_eq!(r.body["status"], "scheduled");
    assert_eq!(r.body["publishAt"], at);
    // Owner-only until then: not public, not in the feed, listed as scheduled.
    assert_eq!(
        s.get(&format!("/v1/blog/posts/{id}"), None).await.status,
        404
    );
    assert!(
        !s.get("/v1/blog/feed.atom", None)
            .await
            .text
            .contains("Goes out later")
    );
    let r = s.get("/v1/blog/posts?status=scheduled", None).await;
    assert_eq!(r.status, 401, "only the owner lists scheduled items");
    let r = s
        .get("/v1/blog/posts?status=scheduled", Some(&s.owner_token))
        .await;
    assert_eq!(r.post_titles(), ["Goes out later"]);

    // Published by the scheduler within a second of its time, nobody online.
    let due = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    let published_at = loop {
        let r = s.get(&format!("/v1/blog/posts/{id}"), None).await;
        if r.status == 200 {
            break chrono::Utc::now();
        }
        assert!(
            chrono::Utc::now() < due + chrono::Duration::seconds(5),
            "not published 5 s after its time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let late = (published_at - due.with_timezone(&chrono::Utc)).num_milliseconds();
    assert!(late <= 1_000, "published {late} ms after its time");
    let r = s.get(&format!("/v1/blog/posts/{id}"), None).await;
    assert_eq!(r.body["status"], "published");
    assert!(r.body.get("publishAt").is_none(), "the schedule is spent");
    assert_eq!(
        s.get("/v1/blog/posts", None).await.post_titles(),
        ["Goes out later"]
    );
    // The same invalidation as a manual publish, once.
    let views = format!("/v1/analytics/views/blog/{id}");
    let purges = s.invalidations_after_publish(&views).await;
    assert_eq!(purges, 1, "{:?}", s.server.purge.invalidated());

    // A published item cannot be scheduled.
    let r = s
        .owner(
            Method::POST,
            &schedule,
            Some(json!({ "publishAt": in_secs(60) })),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // A time already past is due: the next tick publishes it.
    let late = s.create("/v1/blog/posts", blog_body("Overdue")).await;
    let late_id = late["id"].as_str().unwrap();
    let r = s
        .schedule(
            "/v1/blog/posts",
            late_id,
            json!("2000-01-01T00:00:00+01:00"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["publishAt"].as_str()),
        (200, Some("1999-12-31T23:00:00Z"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s
        .get(&format!("/v1/blog/posts/{late_id}"), None)
        .await
        .status
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "an overdue post is published at the next tick"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_triggers_at_once_publish_a_scheduled_item_exactly_once() {
    let s = TestServer::spawn().await;
    let mut ids = Vec::new();
    for title in [
        "Twice triggered",
        "Cancelled by unpublish",
        "Published by hand",
    ] {
        let post = s.create("/v1/blog/posts", blog_body(title)).await;
        let id = post["id"].as_str().unwrap().to_string();
        let r = s
            .schedule("/v1/blog/posts", &id, json!(in_secs(3600)))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        ids.push(id);
    }
    // Unpublish takes a scheduled item back to draft; publish makes it public now.
    let r = s.unpublish("/v1/blog/posts", &ids[1]).await;
    assert_eq!(
        (r["status"].as_str(), r.get("publishAt")),
        (Some("draft"), None)
    );
    let r = s.publish("/v1/blog/posts", &ids[2]).await;
    assert_eq!(r["status"], "published");

    // Two ticks an hour ahead, racing (EventBridge retries, two Regions, the
    // local loop): one publishes, the other finds nothing left to do.
    let app = &s.server.app;
    let later = chrono::Utc::now() + chrono::Duration::seconds(3700);
    let (a, b) = tokio::join!(
        folio_origin::usecases::scheduler::tick(app, later),
        folio_origin::usecases::scheduler::tick(app, later)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.published.len() + b.published.len(),
        1,
        "published once: {a:?} {b:?}"
    );
    let published = a.published.iter().chain(&b.published).next().unwrap();
    assert_eq!(published.1.as_str(), ids[0]);
    assert_eq!(
        s.get(&format!("/v1/blog/posts/{}", ids[1]), None)
            .await
            .status,
        404,
        "the cancelled one stays a draft"
    );
    let views = format!("/v1/analytics/views/blog/{}", ids[0]);
    let purges = s.times_invalidated(&views);
    assert_eq!(purges, 1);
}

const HOOK_SECRET: &str = "a-test-secret-of-at-least-32-characters";

/// Waits until `count` requests reached the receiver.
async fn receive(receiver: &hooks::HookReceiver, count: usize) -> Vec<hooks::Received> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = receiver.received();
        if got.len() >= count || std::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn rebuild_hooks_get_one_signed_delivery_per_public_change_retried_after_a_500() {
    // The receiver answers 500 to the first request: folio must retry it.
    let receiver = hooks::HookReceiver::start(HOOK_SECRET, 1).await;
    let settings = folio_origin::usecases::webhooks::WebhookSettings::new(
        vec![receiver.url.clone()],
        HOOK_SECRET.to_string(),
    )
    .unwrap();
    let s = TestServer::spawn_with_webhooks(settings).await;

    // A draft's life is private: no hook.
    let post = s.create("/v1/blog/posts", blog_body("Hooked post")).await;
    let id = post["id"].as_str().unwrap().to_string();
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({ "excerpt": "draft edit" })),
        )
        .await;
    assert_eq!(r.status, 200);
    // Four public changes: publish, update, unpublish, then publish and delete.
    let started = std::time::Instant::now();
    s.publish("/v1/blog/posts", &id).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the write is not delayed"
    );
    let first = receive(&receiver, 2).await;
    assert_eq!(first[0].answered, 500);
    assert_eq!(
        first[1].delivery, first[0].delivery,
        "the retry is the same delivery"
    );
    assert_eq!(first[1].event["type"], "content.published");
    assert_eq!(first[1].event["contentId"], id.as_str());
    assert_eq!(first[1].event["slug"], post["slug"]);
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({ "excerpt": "public edit" })),
        )
        .await;
    assert_eq!(r.status, 200);
    receive(&receiver, 3).await;
    s.unpublish("/v1/blog/posts", &id).await;
    receive(&receiver, 4).await;
    s.publish("/v1/blog/posts", &id).await;
    receive(&receiver, 5).await;
    assert_eq!(
        s.owner(Method::DELETE, &format!("/v1/blog/posts/{id}"), None)
            .await
            .status,
        204
    );
    let got = receive(&receiver, 6).await;
    // Settle: nothing more arrives.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let got_later = receiver.received();
    assert_eq!(
        got_later.len(),
        got.len(),
        "no duplicate deliveries: {got_later:#?}"
    );

    assert!(
        got.iter().all(|r| r.signature_ok),
        "every request is signed: {got:#?}"
    );
    let delivered: Vec<&str> = got
        .iter()
        .filter(|r| r.answered == 200)
        .map(|r| r.event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        delivered,
        [
            "content.published",
            "content.updated",
            "content.unpublished",
            "content.published",
            "content.deleted"
        ]
    );
    let mut ids: Vec<&str> = got
        .iter()
        .filter(|r| r.answered == 200)
        .map(|r| r.delivery.as_str())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "one delivery per change");

    // The owner sees the deliveries, with the retry counted.
    let r = s.get("/v1/webhooks/deliveries", Some(&s.owner_token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "get", "/webhooks/deliveries").await;
    assert_eq!(r.body["urls"][0], receiver.url.as_str());
    let deliveries = r.body["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 5);
    assert!(deliveries.iter().all(|d| d["state"] == "delivered"));
    let retried = deliveries
        .iter()
        .find(|d| d["id"] == first[0].delivery.as_str())
        .unwrap();
    assert_eq!(
        (retried["attempts"].as_u64(), retried["lastStatus"].as_u64()),
        (Some(2), Some(200))
    );
    assert_eq!(s.get("/v1/webhooks/deliveries", None).await.status, 401);
}

/// A small but real PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_uploaded_image_is_stored_served_and_set_as_a_cover() {
    let s = TestServer::spawn().await;
    let ask = |body: serde_json::Value| s.owner(Method::POST, "/v1/media/uploads", Some(body));
    for bad in [
        json!({ "contentType": "image/svg+xml", "size": 10 }),
        json!({ "contentType": "image/png", "size": 0 }),
        json!({ "contentType": "image/png", "size": 5 * 1024 * 1024 + 1 }),
        json!({ "contentType": "image/png" }),
        json!({ "contentType": "image/png", "size": 10, "name": "x" }),
    ] {
        assert_eq!(ask(bad.clone()).await.status, 400, "{bad}");
    }
    let anonymous = s
        .send(
            Method::POST,
            "/v1/media/uploads",
            None,
            Some(json!({ "contentType": "image/png", "size": 10 })),
        )
        .await;
    assert_eq!(anonymous.status, 401);

    let r = ask(json!({ "contentType": "image/png", "size": PNG.len() })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s.conforms(&r, "post", "/media/uploads").await;
    let upload_url = r.body["uploadUrl"].as_str().unwrap().to_string();
    let url = r.body["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/media/", s.base)) && url.ends_with(".png"),
        "{url}"
    );
    let client = reqwest::Client::new();
    let put = |body: Vec<u8>, content_type: &'static str, target: String| {
        let client = client.clone();
        async move {
            client
                .put(target)
                .header("content-type", content_type)
                .header("if-none-match", "*")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // What the grant does not cover is refused, as S3 refuses it.
    assert_eq!(
        put(PNG.to_vec(), "image/gif", upload_url.clone()).await,
        403,
        "another type"
    );
    assert_eq!(
        put(PNG[..40].to_vec(), "image/png", upload_url.clone()).await,
        403,
        "another size"
    );
    let tampered = upload_url.replace(&format!("size={}", PNG.len()), "size=40");
    assert_eq!(
        put(PNG[..40].to_vec(), "image/png", tampered).await,
        403,
        "a forged size"
    );
    let mut not_png = PNG.to_vec();
    not_png[1] = b'X';
    assert_eq!(
        put(not_png, "image/png", upload_url.clone()).await,
        400,
        "not a PNG"
    );
    assert_eq!(
        reqwest::get(&url).await.unwrap().status(),
        403,
        "nothing stored yet"
    );

    let without_the_condition = client
        .put(upload_url.clone())
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        without_the_condition.status(),
        403,
        "the signed If-None-Match: * left out"
    );
    assert_eq!(
        put(PNG.to_vec(), "image/png", upload_url.clone()).await,
        200
    );
    // Single-use: other bytes of the same size cannot replace what readers are
    // served `immutable`.
    let mut other = PNG.to_vec();
    *other.last_mut().unwrap() ^= 0xFF;
    assert_eq!(
        put(other, "image/png", upload_url.clone()).await,
        412,
        "a second upload"
    );
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert!(
        got.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);

    // The URL goes into items: a post's cover, a project's image, Markdown.
    let mut body = blog_body("With a cover");
    body["coverImage"] = json!(url);
    body["content"] = json!(format!("![a picture]({url})"));
    let post = s.create("/v1/blog/posts", body).await;
    assert_eq!(post["coverImage"], url.as_str());
    assert!(
        post["contentHtml"]
            .as_str()
            .unwrap()
            .contains(&format!("<img src=\"{url}\""))
    );
    let mut project = project_body("With an image");
    project["imageUrl"] = json!(url);
    assert_eq!(
        s.create("/v1/projects", project).await["imageUrl"],
        url.as_str()
    );
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{}", post["id"].as_str().unwrap()),
            Some(json!({ "coverImage": null })),
        )
        .await;
    assert_eq!(r.body["coverImage"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_slow_hook_receiver_never_delays_a_scheduled_publication() {
    // Every delivery takes 3 s to be answered (within folio's 4 s timeout).
    let receiver =
        hooks::HookReceiver::start_with_delay(HOOK_SECRET, 0, std::time::Duration::from_secs(3))
            .await;
    let settings = folio_origin::usecases::webhooks::WebhookSettings::new(
        vec![receiver.url.clone()],
        HOOK_SECRET.to_string(),
    )
    .unwrap();
    let s = TestServer::spawn_with_webhooks(settings).await;
    let first = s
        .create("/v1/blog/posts", blog_body("Keeps the receiver busy"))
        .await;
    s.publish("/v1/blog/posts", first["id"].as_str().unwrap())
        .await;
    let later = s.create("/v1/blog/posts", blog_body("Still on time")).await;
    let id = later["id"].as_str().unwrap().to_string();
    let at = in_secs(1);
    let r = s.schedule("/v1/blog/posts", &id, json!(at)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let due = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    loop {
        if s.get(&format!("/v1/blog/posts/{id}"), None).await.status == 200 {
            break;
        }
        let late = chrono::Utc::now() - due.with_timezone(&chrono::Utc);
        assert!(
            late.num_milliseconds() <= 1_000,
            "publication waited on the hook receiver"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And both changes still reach the receiver.
    assert_eq!(receive(&receiver, 2).await.len(), 2);
}

/// No link to a post breaks when its title changes while it is unpublished: the
/// old slug answers 301 to the new one (through the stand-in), as long as the
/// post is published; a draft that was never public releases its old slug, and
/// nothing about an unpublished post leaks through an old address.
#[tokio::test]
async fn an_old_slug_of_a_published_post_redirects_to_its_new_one() {
    let s = TestServer::spawn().await;
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let by_slug = |slug: &str| {
        no_follow
            .get(format!("{}/v1/blog/posts/by-slug/{slug}", s.base))
            .send()
    };
    let post = s.create("/v1/blog/posts", blog_body("First name")).await;
    let id = post["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    s.unpublish("/v1/blog/posts", id).await;
    let mut renamed = blog_body("Second name");
    renamed["publishedAt"] = post["publishedAt"].clone();
    let r = s
        .owner(Method::PUT, &format!("/v1/blog/posts/{id}"), Some(renamed))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["slug"], "second-name");
    assert_eq!(
        by_slug("first-name").await.unwrap().status(),
        404,
        "while the post is unpublished, its old address tells nothing"
    );
    s.publish("/v1/blog/posts", id).await;
    let moved = by_slug("first-name").await.unwrap();
    assert_eq!(moved.status(), 301);
    assert_eq!(
        moved.headers()["location"],
        "/v1/blog/posts/by-slug/second-name"
    );
    let followed = s.get("/v1/blog/posts/by-slug/first-name", None).await;
    assert_eq!(
        (followed.status, followed.body["id"].as_str()),
        (200, Some(id))
    );
    // A draft never published gives its old slug back when renamed.
    let draft = s.create("/v1/blog/posts", blog_body("Draft name")).await;
    let draft_id = draft["id"].as_str().unwrap();
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{draft_id}"),
            Some(blog_body("Draft renamed")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The origin remembers which post a slug led to; it must not answer with the
    // renamed draft once another post holds the slug (read it first, then rename).
    let r = s
        .get("/v1/blog/posts/by-slug/draft-renamed", Some(&s.owner_token))
        .await;
    assert_eq!(r.body["id"].as_str(), Some(draft_id));
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{draft_id}"),
            Some(blog_body("Draft renamed twice")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let again = s.create("/v1/blog/posts", blog_body("Draft name")).await;
    assert_eq!(
        again["slug"], "draft-name",
        "the released slug is free again"
    );
    let taker = s.create("/v1/blog/posts", blog_body("Draft renamed")).await;
    assert_eq!(taker["slug"], "draft-renamed");
    let r = s
        .get("/v1/blog/posts/by-slug/draft-renamed", Some(&s.owner_token))
        .await;
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (200, taker["id"].as_str()),
        "the slug's new holder, not the post it led to before"
    );
}

/// The owner's redirects: public to read (cached, and purged when they change),
/// the owner's to write; chains collapse to one hop, loops and addresses that are
/// not the site's are refused by field, and one is deleted by its id.
#[tokio::test]
async fn redirects_are_kept_one_hop_each_and_served_to_the_frontend() {
    let s = TestServer::spawn().await;
    let put = |from: &str, to: &str| {
        s.owner(
            Method::PUT,
            "/v1/redirects",
            Some(json!({ "from": from, "to": to })),
        )
    };
    let r = s.get("/v1/redirects", None).await;
    assert_eq!(
        (r.status, r.body["redirects"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    s.conforms(&r, "get", "/redirects").await;
    let r = put("/blog/old", "/blog/mid").await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "put", "/redirects").await;
    assert_eq!(put("/blog/mid", "/blog/new").await.status, 200);
    let r = s.get("/v1/redirects", None).await;
    let pairs: Vec<(String, String)> = r.body["redirects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().into(),
                r["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("/blog/mid".to_string(), "/blog/new".to_string()),
            ("/blog/old".to_string(), "/blog/new".to_string()),
        ],
        "the chain collapsed, and the cached list was purged by the change"
    );
    let loop_back = put("/blog/new", "/blog/old").await;
    assert_eq!(loop_back.status, 409, "a loop: {}", loop_back.body);
    for (from, to) in [
        ("blog/x", "/y"),
        ("//evil.example/x", "/y"),
        ("/x y", "/y"),
        ("/x", "javascript:alert(1)"),
    ] {
        let r = put(from, to).await;
        assert_eq!(r.status, 400, "{from} → {to}: {}", r.body);
    }
    let anonymous = s
        .send(
            Method::PUT,
            "/v1/redirects",
            None,
            Some(json!({ "from": "/a", "to": "/b" })),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    let id = r.body["redirects"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.owner(Method::DELETE, &format!("/v1/redirects/{id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        s.owner(Method::DELETE, &format!("/v1/redirects/{id}"), None)
            .await
            .status,
        404
    );
    let r = s.get("/v1/redirects", None).await;
    assert_eq!(r.body["redirects"].as_array().map(Vec::len), Some(1));
}

/// The titles of a list answer, in its order.
fn titles(list: &serde_json::Value, field: &str) -> Vec<String> {
    list[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_list_sends_each_item_as_it_is_now_whatever_it_sent_before() {
    // Lists send the representations they kept by version: every change of an
    // item must show in the next list, and nothing kept may outlive the item.
    let s = TestServer::spawn().await;
    let mut ids = Vec::new();
    for title in ["First", "Second", "Third"] {
        let post = s.create("/v1/blog/posts", blog_body(title)).await;
        let id = post["id"].as_str().unwrap().to_string();
        s.publish("/v1/blog/posts", &id).await;
        ids.push(id);
    }
    async fn list(s: &TestServer) -> serde_json::Value {
        s.get("/v1/blog/posts?limit=10", Some(&s.owner_token))
            .await
            .body
    }
    let first = s.get("/v1/blog/posts?limit=10", Some(&s.owner_token)).await;
    let before = first.body.clone();
    assert_eq!(titles(&before, "posts"), ["Third", "Second", "First"]);
    // Read again, then again from the page the origin kept: the same bytes
    // under the same tag.
    for time in ["again", "kept"] {
        let again = s.get("/v1/blog/posts?limit=10", Some(&s.owner_token)).await;
        assert_eq!(again.text, first.text, "{time}");
        assert_eq!(again.headers["etag"], first.headers["etag"], "{time}");
    }

    // An edit of the title and the Markdown shows, HTML included.
    let mut edit = blog_body("Second, edited");
    edit["content"] = json!("Now with *emphasis*.");
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{}", ids[1]),
            Some(edit),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let edited = s.get("/v1/blog/posts?limit=10", Some(&s.owner_token)).await;
    assert_ne!(edited.headers["etag"], first.headers["etag"]);
    let after = edited.body;
    assert_eq!(
        titles(&after, "posts"),
        ["Third", "Second, edited", "First"]
    );
    assert_eq!(
        after["posts"][1]["contentHtml"],
        "<p>Now with <em>emphasis</em>.</p>\n"
    );
    assert_eq!(
        after["posts"][1], r.body,
        "the list's item is the item's answer"
    );

    // Unpublished, it leaves the public list and joins the drafts, as it is now.
    s.unpublish("/v1/blog/posts", &ids[1]).await;
    assert_eq!(titles(&list(&s).await, "posts"), ["Third", "First"]);
    let drafts = s
        .get("/v1/blog/posts?status=draft", Some(&s.owner_token))
        .await
        .body;
    assert_eq!(titles(&drafts, "posts"), ["Second, edited"]);
    assert_eq!(drafts["posts"][0]["status"], "draft");
    assert_eq!(drafts["total"], 1);

    // Deleted, it is gone from every list.
    let r = s
        .owner(Method::DELETE, &format!("/v1/blog/posts/{}", ids[0]), None)
        .await;
    assert_eq!(r.status, 204);
    let last = list(&s).await;
    assert_eq!(titles(&last, "posts"), ["Third"]);
    assert_eq!(last["total"], 1);
    let one = s
        .get(&format!("/v1/blog/posts/{}", ids[2]), None)
        .await
        .body;
    assert_eq!(last["posts"][0], one, "by id, the same representation");
}

/// Polls until `url` answers 200 (the copies are made after the upload is
/// answered, as S3's event starts the media function), or fails after 30 s.
async fn fetched_when_made(url: &str) -> Vec<u8> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = reqwest::get(url).await.unwrap();
        if r.status() == 200 {
            assert_eq!(r.headers()["content-type"], "image/webp");
            return r.bytes().await.unwrap().to_vec();
        }
        assert!(std::time::Instant::now() < deadline, "{url} was never made");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Uploads `bytes` as the console does, declaring `width` × `height`: the
/// grant (asserted 201), then the PUT (asserted 200). The grant's answer, and the
/// stem of the image's name (what its copies are named after).
async fn upload_declaring(
    s: &TestServer,
    content_type: &str,
    bytes: Vec<u8>,
    (width, height): (u32, u32),
) -> (Resp, String) {
    let grant = s
        .owner(
            Method::POST,
            "/v1/media/uploads",
            Some(json!({ "contentType": content_type, "size": bytes.len(), "width": width, "height": height })),
        )
        .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    let put = reqwest::Client::new()
        .put(grant.body["uploadUrl"].as_str().unwrap())
        .header("content-type", content_type)
        .header("if-none-match", "*")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let stem = grant.body["key"]
        .as_str()
        .unwrap()
        .trim_start_matches("media/")
        .split('.')
        .next()
        .unwrap()
        .to_string();
    (grant, stem)
}

#[tokio::test]
async fn an_image_uploaded_with_its_size_gets_smaller_copies_and_pages_lay_it_out() {
    use crate::support::pictures::{picture, size_of};
    let s = TestServer::spawn().await;
    let ask = |body: serde_json::Value| s.owner(Method::POST, "/v1/media/uploads", Some(body));
    // Refused before a byte is sent: a size too large, or half a size.
    for bad in [
        json!({ "contentType": "image/png", "size": 10, "width": 6_001, "height": 10 }),
        json!({ "contentType": "image/png", "size": 10, "width": 10, "height": 8_000 }),
        json!({ "contentType": "image/png", "size": 10, "width": 0, "height": 10 }),
        json!({ "contentType": "image/png", "size": 10, "width": 100 }),
        json!({ "contentType": "image/png", "size": 10, "width": "100", "height": 100 }),
    ] {
        let r = ask(bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }

    let jpeg = picture("image/jpeg", 1200, 800);
    let (r, stem) = upload_declaring(&s, "image/jpeg", jpeg.clone(), (1200, 800)).await;
    s.conforms(&r, "post", "/media/uploads").await;
    let url = r.body["url"].as_str().unwrap().to_string();
    assert!(
        url.ends_with(".1200x800.jpg"),
        "the name carries the size: {url}"
    );

    let copy = |width: u32| format!("{}/media/sized/{stem}-{width}.webp", s.base);
    for (width, height) in [(960, 640), (480, 320)] {
        let webp = fetched_when_made(&copy(width)).await;
        assert_eq!(size_of(&webp), (width, height));
        assert!(
            webp.len() < jpeg.len(),
            "{width}: a copy is smaller than the original"
        );
    }
    assert_eq!(
        reqwest::get(copy(1600)).await.unwrap().status(),
        403,
        "no copy wider than the image"
    );
    // A copy is made, never uploaded.
    let forged = reqwest::Client::new()
        .put(copy(480))
        .header("content-type", "image/webp")
        .body(b"RIFF0000WEBP".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let mut body = blog_body("With a sized cover");
    body["coverImage"] = json!(url);
    body["content"] = json!(format!(
        "Text.\n\n![a \"quoted\" picture]({url} \"Its title\")\n\n![elsewhere](https://images.example/a.png)"
    ));
    let post = s.create("/v1/blog/posts", body).await;
    let sources = &post["coverImageSources"];
    assert_eq!(
        (sources["width"].as_u64(), sources["height"].as_u64()),
        (Some(1200), Some(800))
    );
    let srcset = format!("{} 480w, {} 960w, {url} 1200w", copy(480), copy(960));
    assert_eq!(sources["srcset"], srcset.as_str());
    assert_eq!(sources["candidates"].as_array().unwrap().len(), 3);
    let html = post["contentHtml"].as_str().unwrap();
    let escaped_srcset = srcset.replace('&', "&amp;");
    for attribute in [
        "width=\"1200\"".to_string(),
        "height=\"800\"".to_string(),
        format!("srcset=\"{escaped_srcset}\""),
        "sizes=\"(max-width: 1200px) 100vw, 1200px\"".to_string(),
        "loading=\"lazy\"".to_string(),
        "alt=\"a &quot;quoted&quot; picture\"".to_string(),
        "title=\"Its title\"".to_string(),
    ] {
        assert!(html.contains(&attribute), "{attribute} missing: {html}");
    }
    // Another site's image is lazy, and nothing is guessed about its size.
    assert!(
        html.contains("<img src=\"https://images.example/a.png\" alt=\"elsewhere\" loading=\"lazy\" decoding=\"async\">"),
        "{html}"
    );
    // The preview is the published HTML, byte for byte.
    let preview = s
        .owner(
            Method::POST,
            "/v1/render",
            Some(json!({ "markdown": post["content"] })),
        )
        .await;
    assert_eq!(preview.body["html"], post["contentHtml"]);
    // The answer with its sources goes back with PUT unchanged.
    let id = post["id"].as_str().unwrap();
    let back = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(post.clone()),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    s.publish("/v1/blog/posts", id).await;
    let public = s
        .get(
            &format!("/v1/blog/posts/by-slug/{}", post["slug"].as_str().unwrap()),
            None,
        )
        .await;
    s.conforms(&public, "get", "/blog/posts/by-slug/{slug}")
        .await;
    assert_eq!(public.body["coverImageSources"], *sources);

    // An upload that is not the size it declared gets no copies; pages still
    // get the size declared (the owner's word), and its copies' addresses fail
    // over to the image itself in no browser, so the declared size must be right:
    // the console reads it from the file.
    let png = picture("image/png", 600, 400);
    let (_, lying_stem) = upload_declaring(&s, "image/png", png, (1000, 400)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        reqwest::get(format!("{}/media/sized/{lying_stem}-480.webp", s.base))
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn uploads_no_item_links_to_are_swept_a_day_later_with_their_copies() {
    use crate::support::pictures::picture;
    use folio_origin::usecases::media_sweep::{Swept, sweep_orphans};
    let s = TestServer::spawn().await;
    // Uploads a 1000 × 600 PNG with its size; its URL once its copies are made.
    let upload = |seed: u8| {
        let s = &s;
        async move {
            let mut png = picture("image/png", 1000, 600);
            png.push(seed);
            let (grant, stem) = upload_declaring(s, "image/png", png, (1000, 600)).await;
            let url = grant.body["url"].as_str().unwrap().to_string();
            fetched_when_made(&format!("{}/media/sized/{stem}-480.webp", s.base)).await;
            (url, stem)
        }
    };
    let (cover, _) = upload(1).await;
    let (in_an_old_revision, _) = upload(2).await;
    let (in_a_deleted_post, _) = upload(3).await;
    let (never_linked, never_linked_stem) = upload(4).await;

    let mut body = blog_body("Linked by its cover");
    body["coverImage"] = json!(cover);
    s.create("/v1/blog/posts", body).await;
    // Linked by a path on this host in Markdown, then edited away: the revision keeps it.
    let path = in_an_old_revision.trim_start_matches(&s.base).to_string();
    let mut body = blog_body("Edited");
    body["content"] = json!(format!("![then]({path})"));
    let edited = s.create("/v1/blog/posts", body).await;
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{}", edited["id"].as_str().unwrap()),
            Some(json!({ "content": "No picture now." })),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut body = blog_body("Deleted, restorable for 30 days");
    body["content"] = json!(format!("![gone]({in_a_deleted_post})"));
    let deleted = s.create("/v1/blog/posts", body).await;
    let r = s
        .owner(
            Method::DELETE,
            &format!("/v1/blog/posts/{}", deleted["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert!(r.status == 204 || r.status == 200, "{}", r.status);

    let app = &s.server.app;
    let objects = app
        .media_objects()
        .expect("folio serve sweeps its media directory");
    let now = chrono::Utc::now();
    assert_eq!(
        sweep_orphans(app.store.as_ref(), objects.as_ref(), now)
            .await
            .unwrap(),
        Swept::default(),
        "an upload less than a day old is kept, linked or not"
    );
    let tomorrow = now + chrono::Duration::hours(25);
    assert_eq!(
        sweep_orphans(app.store.as_ref(), objects.as_ref(), tomorrow)
            .await
            .unwrap(),
        Swept {
            uploads: 1,
            copies: 2
        }
    );
    let status = |url: String| async move { reqwest::get(url).await.unwrap().status().as_u16() };
    assert_eq!(
        status(never_linked.clone()).await,
        403,
        "the unlinked upload is gone"
    );
    assert_eq!(
        status(format!(
            "{}/media/sized/{never_linked_stem}-480.webp",
            s.base
        ))
        .await,
        403,
        "and its copies"
    );
    for kept in [cover, in_an_old_revision, in_a_deleted_post] {
        assert_eq!(status(kept.clone()).await, 200, "{kept} is linked");
    }
    assert_eq!(
        sweep_orphans(app.store.as_ref(), objects.as_ref(), tomorrow)
            .await
            .unwrap(),
        Swept::default(),
        "nothing more to sweep"
    );
}
