//! The whole /v1 API through a real `folio serve` (edge → cache → origin).

#[path = "cases/contract.rs"]
mod contract;
#[path = "cases/data_path.rs"]
mod data_path;
#[path = "cases/history.rs"]
mod history;
#[path = "cases/markdown.rs"]
mod markdown;
#[path = "cases/portable.rs"]
mod portable;
#[path = "cases/publishing.rs"]
mod publishing;
#[path = "cases/regions.rs"]
mod regions;
#[path = "cases/search.rs"]
mod search;
#[path = "cases/standin.rs"]
mod standin;

use crate::support::*;
use folio_shared::routes::{Access, ROUTES};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_operation_answers_with_its_documented_shape() {
    let s = TestServer::spawn().await;
    let t = s.owner_token.clone();
    // Auth
    let r = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    s.conforms(&r, "post", "/auth/login").await;
    assert_eq!(r.body["user"]["role"], "owner");
    let r = s
        .send(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refreshToken": s.refresh_token })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "post", "/auth/refresh").await;
    let r = s.get("/v1/auth/me", Some(&t)).await;
    s.conforms(&r, "get", "/auth/me").await;
    assert_eq!(r.body["email"], OWNER_EMAIL);

    // Content: create, get, update, publish, list, unpublish, delete for each kind.
    for (collection, spec_path, body) in [
        ("/v1/blog/posts", "/blog/posts", blog_body("Shapes post")),
        ("/v1/projects", "/projects", project_body("Shapes project")),
        (
            "/v1/certifications",
            "/certifications",
            cert_body("Shapes cert"),
        ),
    ] {
        let item_path: &'static str = match spec_path {
            "/blog/posts" => "/blog/posts/{postId}",
            "/projects" => "/projects/{projectId}",
            _ => "/certifications/{certificationId}",
        };
        let r = s.owner(Method::POST, collection, Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        s.conforms(&r, "post", spec_path).await;
        let id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["status"], "draft");
        assert_eq!(
            r.header("location"),
            Some(format!("{collection}/{id}").as_str())
        );
        let r = s.get(&format!("{collection}/{id}"), Some(&t)).await;
        s.conforms(&r, "get", item_path).await;
        let update = match spec_path {
            "/blog/posts" => json!({ "excerpt": "Changed" }),
            "/projects" => json!({ "company": "Changed" }),
            _ => json!({ "issuer": "Changed" }),
        };
        let r = s
            .owner(Method::PUT, &format!("{collection}/{id}"), Some(update))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        s.conforms(&r, "put", item_path).await;
        let r = s
            .owner(Method::POST, &format!("{collection}/{id}/publish"), None)
            .await;
        s.conforms(
            &r,
            "post",
            Box::leak(format!("{item_path}/publish").into_boxed_str()),
        )
        .await;
        assert_eq!(r.body["status"], "published");
        let r = s.get(collection, None).await;
        s.conforms(&r, "get", spec_path).await;
        assert_eq!(r.body["total"], 1);
        let r = s.get(&format!("{collection}/{id}"), None).await;
        assert_eq!(r.status, 200);
        let r = s
            .owner(Method::POST, &format!("{collection}/{id}/unpublish"), None)
            .await;
        s.conforms(
            &r,
            "post",
            Box::leak(format!("{item_path}/unpublish").into_boxed_str()),
        )
        .await;
        assert_eq!(r.body["status"], "draft");
        let r = s
            .owner(Method::DELETE, &format!("{collection}/{id}"), None)
            .await;
        assert_eq!(r.status, 204);
        s.conforms(&r, "delete", item_path).await;
        let r = s.get(&format!("{collection}/{id}"), Some(&t)).await;
        s.conforms(&r, "get", item_path).await;
        assert_eq!(r.status, 404);
    }

    // Blog extras: slug lookup and categories.
    let post = s.create("/v1/blog/posts", blog_body("Hello Slugs")).await;
    let id = post["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    let r = s.get("/v1/blog/posts/by-slug/hello-slugs", None).await;
    s.conforms(&r, "get", "/blog/posts/by-slug/{slug}").await;
    assert_eq!(r.body["id"], id);
    let r = s.get("/v1/blog/categories", None).await;
    s.conforms(&r, "get", "/blog/categories").await;
    assert_eq!(r.body["categories"], json!(["Backend"]));

    // Tracking and analytics.
    let r = s.send(Method::POST, "/v1/visitors/track", None, None).await;
    s.conforms(&r, "post", "/visitors/track").await;
    assert_eq!(
        (&r.body["count"], &r.body["tracked"]),
        (&json!(1), &json!(true))
    );
    let token = r.body["visit"].as_str().expect("a counted visit's token");
    assert!(
        folio_origin::usecases::tracking::VisitToken::parse(token).is_ok(),
        "{token}"
    );
    let r = s.get("/v1/visitors/count", None).await;
    s.conforms(&r, "get", "/visitors/count").await;
    let r = s.get("/v1/visitors/trends/daily?days=7", Some(&t)).await;
    s.conforms(&r, "get", "/visitors/trends/daily").await;
    assert_eq!(r.body["trends"].as_array().unwrap().len(), 7);
    assert_eq!(
        r.body["trends"][6]["visitors"], 1,
        "today is last and counts the visit"
    );
    let r = s.get("/v1/visitors/trends/monthly", Some(&t)).await;
    s.conforms(&r, "get", "/visitors/trends/monthly").await;
    assert_eq!(r.body["trends"].as_array().unwrap().len(), 6);
    assert_eq!(r.body["trends"][5]["visitors"], 1);
    let r = s
        .send(
            Method::POST,
            "/v1/analytics/track",
            None,
            Some(json!({ "contentId": id, "contentType": "blog" })),
        )
        .await;
    s.conforms(&r, "post", "/analytics/track").await;
    assert_eq!(r.body, json!({ "views": 1, "tracked": true }));
    let r = s.get(&format!("/v1/analytics/views/blog/{id}"), None).await;
    s.conforms(&r, "get", "/analytics/views/{contentType}/{contentId}")
        .await;
    assert_eq!(r.body["views"], 1);
    let r = s.get("/v1/analytics/views/blog", Some(&t)).await;
    s.conforms(&r, "get", "/analytics/views/{contentType}")
        .await;
    assert_eq!(r.body["stats"][id], 1);
    let r = s.get("/v1/analytics/top-content", Some(&t)).await;
    s.conforms(&r, "get", "/analytics/top-content").await;
    assert_eq!(r.body["blogs"][0], json!({ "contentId": id, "views": 1 }));
    let r = s.get("/v1/analytics/total-views", Some(&t)).await;
    s.conforms(&r, "get", "/analytics/total-views").await;
    assert_eq!(r.body["totalViews"], 1);

    // Meta and logout (last: it revokes the owner's token).
    let r = s.get("/v1/health", None).await;
    s.conforms(&r, "get", "/health").await;
    let r = s.owner(Method::POST, "/v1/auth/logout", None).await;
    s.conforms(&r, "post", "/auth/logout").await;
}

#[tokio::test]
async fn the_document_covers_every_route_of_the_table() {
    let s = TestServer::spawn().await;
    let spec = s.spec().await;
    assert_eq!(spec["openapi"], "3.0.3");
    for route in ROUTES {
        let path = route.path.strip_prefix("/v1").unwrap();
        let op = &spec["paths"][path][route.method.as_str().to_lowercase()];
        assert_eq!(
            op["operationId"], route.operation_id,
            "{} {}",
            route.method, route.path
        );
    }
}

#[tokio::test]
async fn drafts_are_invisible_to_the_public_everywhere() {
    let s = TestServer::spawn().await;
    let reader = s.non_owner_token().await;
    let mut draft = blog_body("Secret Plans");
    draft["category"] = json!("Hidden");
    let post = s.create("/v1/blog/posts", draft).await;
    let project = s
        .create("/v1/projects", project_body("Secret project"))
        .await;
    let cert = s
        .create("/v1/certifications", cert_body("Secret cert"))
        .await;
    let ids = [
        ("/v1/blog/posts", "blog", post["id"].as_str().unwrap()),
        ("/v1/projects", "project", project["id"].as_str().unwrap()),
        (
            "/v1/certifications",
            "certification",
            cert["id"].as_str().unwrap(),
        ),
    ];
    for (collection, kind, id) in ids {
        for token in [None, Some(reader.as_str())] {
            let list = s.get(collection, token).await;
            assert_eq!(list.body["total"], 0, "{collection} lists a draft");
            s.get(&format!("{collection}/{id}"), token).await.error(404);
            s.get(&format!("/v1/analytics/views/{kind}/{id}"), token)
                .await
                .error(404);
        }
        let tracked = s
            .send(
                Method::POST,
                "/v1/analytics/track",
                None,
                Some(json!({ "contentId": id, "contentType": kind })),
            )
            .await;
        tracked.error(404);
        s.get(&format!("{collection}?status=draft"), None)
            .await
            .error(401);
        s.get(&format!("{collection}?status=all"), Some(&reader))
            .await
            .error(403);
        let owner_view = s
            .get(&format!("{collection}?status=all"), Some(&s.owner_token))
            .await;
        assert_eq!(owner_view.body["total"], 1);
        assert_eq!(
            s.get(&format!("{collection}/{id}"), Some(&s.owner_token))
                .await
                .status,
            200
        );
    }
    s.get("/v1/blog/posts/by-slug/secret-plans", None)
        .await
        .error(404);
    assert_eq!(
        s.get("/v1/blog/categories", None).await.body["categories"],
        json!([])
    );
    assert_eq!(
        s.get("/v1/analytics/views/blog", Some(&s.owner_token))
            .await
            .body["stats"][ids[0].2],
        0
    );
}

#[tokio::test]
async fn owner_operations_refuse_anonymous_with_401_and_others_with_403() {
    let s = TestServer::spawn().await;
    let reader = s.non_owner_token().await;
    for route in ROUTES.iter().filter(|r| r.access == Access::Owner) {
        let path = route
            .path
            .replace("{postId}", "x")
            .replace("{projectId}", "x")
            .replace("{certificationId}", "x")
            .replace("{contentType}", "blog");
        let method = Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        let anon = s.send(method.clone(), &path, None, Some(json!({}))).await;
        anon.error(401);
        assert_eq!(anon.header("www-authenticate"), Some("Bearer"), "{path}");
        s.send(method, &path, Some(&reader), Some(json!({})))
            .await
            .error(403);
    }
    let me = s.get("/v1/auth/me", Some(&reader)).await;
    assert_eq!(
        me.body["role"], "public",
        "non-owners are signed in, with the public role"
    );
}

#[tokio::test]
async fn invalid_input_is_400_naming_the_field() {
    let s = TestServer::spawn().await;
    let cases = [
        (
            "/v1/blog/posts",
            json!({ "excerpt": "e", "content": "c", "category": "x", "tags": ["a"] }),
            "title",
        ),
        (
            "/v1/blog/posts",
            json!({ "title": "t".repeat(201), "excerpt": "e", "content": "c", "category": "x", "tags": ["a"] }),
            "title",
        ),
        (
            "/v1/blog/posts",
            json!({ "title": "t", "excerpt": "e", "content": "c", "category": "x", "tags": [] }),
            "tags",
        ),
        (
            "/v1/projects",
            json!({ "name": "n", "description": "d", "longDescription": "l", "tech": ["r"], "company": "c", "githubUrl": "not a url" }),
            "githubUrl",
        ),
        (
            "/v1/projects",
            json!({ "name": "n", "description": "d", "longDescription": "l", "tech": ["r"], "company": "c", "featured": "yes" }),
            "featured",
        ),
        (
            "/v1/certifications",
            json!({ "name": "n", "issuer": "i", "icon": "x", "type": "badge", "description": "d", "dateEarned": "2024-01-01" }),
            "type",
        ),
        (
            "/v1/certifications",
            json!({ "name": "n", "issuer": "i", "icon": "x", "type": "course", "description": "d", "dateEarned": "15/06/2024" }),
            "dateEarned",
        ),
    ];
    for (path, body, field) in cases {
        let r = s.owner(Method::POST, path, Some(body.clone())).await;
        assert_eq!(r.error(400)["details"]["field"], field, "{path} {body}");
        s.conforms(&r, "post", path.strip_prefix("/v1").unwrap())
            .await;
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=x", "offset"),
        ("status=nope", "status"),
    ] {
        let r = s.get(&format!("/v1/blog/posts?{query}"), None).await;
        assert_eq!(r.error(400)["details"]["field"], field);
    }
    let r = s
        .get("/v1/visitors/trends/daily?days=91", Some(&s.owner_token))
        .await;
    assert_eq!(r.error(400)["details"]["field"], "days");
    let r = s
        .send(
            Method::POST,
            "/v1/analytics/track",
            None,
            Some(json!({ "contentId": "1", "contentType": "video" })),
        )
        .await;
    assert_eq!(r.error(400)["details"]["field"], "contentType");
    let r = s.login(OWNER_EMAIL, "wrong").await;
    r.error(401);
    let r = s.login("nobody@folio.test", "wrong").await;
    assert_eq!(
        r.error(401)["message"],
        "Invalid email or password",
        "unknown users look like wrong passwords"
    );
}

#[tokio::test]
async fn unknown_fields_and_explicit_nulls_are_refused_and_the_item_is_unchanged() {
    let s = TestServer::spawn().await;
    let mut body = project_body("Untouched");
    body["githubUrl"] = json!("https://github.com/me/untouched");
    let project = s.create("/v1/projects", body).await;
    let path = format!("/v1/projects/{}", project["id"].as_str().unwrap());
    for (bad, field) in [
        (json!({ "name": "Changed", "color": "red" }), "color"),
        (json!({ "name": "Changed", "tech": null }), "tech"),
        (json!({ "name": null }), "name"),
        (json!({ "featured": null }), "featured"),
        (
            json!({ "name": "Changed", "liveUrl": "ftp://nope" }),
            "liveUrl",
        ),
    ] {
        let r = s.owner(Method::PUT, &path, Some(bad)).await;
        assert_eq!(r.error(400)["details"]["field"], field);
        assert_eq!(
            s.get(&path, Some(&s.owner_token)).await.body,
            project,
            "item changed by a refused update"
        );
    }
    let create = s.owner(Method::POST, "/v1/blog/posts", Some(json!({ "title": "t", "excerpt": "e", "content": "c", "category": "x", "tags": ["a"], "author": "me" }))).await;
    assert_eq!(create.error(400)["details"]["field"], "author");
    // Nullable URLs: null clears them, and a cleared URL reads back as null.
    let cleared = s
        .owner(Method::PUT, &path, Some(json!({ "githubUrl": null })))
        .await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.body["githubUrl"].is_null());
}

#[tokio::test]
async fn if_match_guards_updates_and_if_none_match_answers_304() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Conditional")).await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}");
    s.publish("/v1/blog/posts", id).await;
    let first = s.get(&path, None).await;
    let etag = first
        .header("etag")
        .expect("public GET has an ETag")
        .to_string();
    assert!(etag.starts_with('"'), "strong ETag");
    let not_modified = TestServer::finish(
        s.raw(Method::GET, &path)
            .await
            .header("if-none-match", &etag),
    )
    .await;
    assert_eq!(not_modified.status, 304);
    let stale = "\"stale\"";
    let r = TestServer::finish(
        s.raw(Method::PUT, &path)
            .await
            .bearer_auth(&s.owner_token)
            .header("if-match", stale)
            .json(&json!({ "title": "Lost update" })),
    )
    .await;
    r.error(412);
    let owner_etag = s
        .get(&path, Some(&s.owner_token))
        .await
        .header("etag")
        .unwrap()
        .to_string();
    assert_eq!(owner_etag, etag, "one representation, one ETag");
    let ok = TestServer::finish(
        s.raw(Method::PUT, &path)
            .await
            .bearer_auth(&s.owner_token)
            .header("if-match", &etag)
            .json(&json!({ "title": "Kept update" })),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        ok.body["slug"], "conditional",
        "published slugs do not follow the title"
    );
    let again = TestServer::finish(
        s.raw(Method::PUT, &path)
            .await
            .bearer_auth(&s.owner_token)
            .header("if-match", &etag)
            .json(&json!({ "title": "Second" })),
    )
    .await;
    again.error(412);
    let fresh = s.get(&path, None).await;
    assert_eq!(
        fresh.body["title"], "Kept update",
        "the publish-side invalidation purged the cached copy"
    );
}

#[tokio::test]
async fn lists_filter_sort_and_paginate() {
    let s = TestServer::spawn().await;
    for i in 0..5 {
        let mut body = blog_body(&format!("Post {i}"));
        body["category"] = json!(if i % 2 == 0 { "Even" } else { "Odd" });
        body["tags"] = json!(if i == 4 {
            vec!["special", "rust"]
        } else {
            vec!["rust"]
        });
        let post = s.create("/v1/blog/posts", body).await;
        s.publish("/v1/blog/posts", post["id"].as_str().unwrap())
            .await;
    }
    let page = s.get("/v1/blog/posts?limit=2&offset=1", None).await;
    assert_eq!(
        (
            page.body["total"].as_i64(),
            page.body["limit"].as_i64(),
            page.body["offset"].as_i64()
        ),
        (Some(5), Some(2), Some(1))
    );
    assert_eq!(page.body["posts"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.get("/v1/blog/posts?category=even", None).await.body["total"],
        3
    );
    assert_eq!(
        s.get("/v1/blog/posts?tag=special", None).await.body["posts"][0]["title"],
        "Post 4"
    );
    let all = s.get("/v1/blog/posts", None).await;
    let titles = all.post_titles();
    assert_eq!(
        titles,
        ["Post 4", "Post 3", "Post 2", "Post 1", "Post 0"],
        "newest first"
    );
    assert_eq!(
        s.get("/v1/blog/categories", None).await.body["categories"],
        json!(["Even", "Odd"])
    );

    let a = s.create("/v1/projects", project_body("A")).await;
    let mut featured = project_body("B");
    featured["featured"] = json!(true);
    let b = s.create("/v1/projects", featured).await;
    for p in [&a, &b] {
        s.publish("/v1/projects", p["id"].as_str().unwrap()).await;
    }
    let only = s.get("/v1/projects?featured=true", None).await;
    assert_eq!(
        (
            only.body["total"].as_i64(),
            only.body["projects"][0]["name"].as_str()
        ),
        (Some(1), Some("B"))
    );
    let mut course = cert_body("Course");
    course["type"] = json!("course");
    for body in [cert_body("Cert"), course] {
        let c = s.create("/v1/certifications", body).await;
        s.publish("/v1/certifications", c["id"].as_str().unwrap())
            .await;
    }
    assert_eq!(
        s.get("/v1/certifications?type=course", None).await.body["certifications"][0]["name"],
        "Course"
    );
}

/// A title in any language gives a readable slug, and the post is found by it
/// through the stand-in with the slug percent-encoded as browsers send it.
#[tokio::test]
async fn slugs_in_every_language_find_their_post() {
    let s = TestServer::spawn().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Héllo Wörld! 日本"))
        .await;
    assert_eq!(post["slug"], "hello-world-日本");
    s.publish("/v1/blog/posts", post["id"].as_str().unwrap())
        .await;
    let r = s
        .get(
            "/v1/blog/posts/by-slug/hello-world-%E6%97%A5%E6%9C%AC",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["title"], "Héllo Wörld! 日本");
    s.get("/v1/blog/posts/by-slug/hello-world-%E6%97", None)
        .await
        .error(404);
}

#[tokio::test]
async fn slugs_are_unique_and_follow_draft_titles() {
    let s = TestServer::spawn().await;
    let first = s.create("/v1/blog/posts", blog_body("Same Title")).await;
    let second = s.create("/v1/blog/posts", blog_body("Same Title")).await;
    assert_eq!(
        (first["slug"].as_str(), second["slug"].as_str()),
        (Some("same-title"), Some("same-title-2"))
    );
    let path = format!("/v1/blog/posts/{}", second["id"].as_str().unwrap());
    let renamed = s
        .owner(
            Method::PUT,
            &path,
            Some(json!({ "title": "Another Title" })),
        )
        .await;
    assert_eq!(renamed.body["slug"], "another-title");
    let third = s.create("/v1/blog/posts", blog_body("Same Title")).await;
    assert_eq!(third["slug"], "same-title-2", "the old slug was released");
    let long = "word ".repeat(401);
    let mut body = blog_body("Long read");
    body["content"] = json!(long);
    assert_eq!(
        s.create("/v1/blog/posts", body).await["readTime"],
        "3 min read"
    );
}

#[tokio::test]
async fn logout_revokes_the_token_and_refresh_tokens() {
    let s = TestServer::spawn().await;
    let refreshed = s
        .send(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refreshToken": s.refresh_token })),
        )
        .await;
    assert_eq!(refreshed.status, 200);
    let second_token = refreshed.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.owner(Method::POST, "/v1/auth/logout", None).await.status,
        200
    );
    s.get("/v1/auth/me", Some(&s.owner_token)).await.error(401);
    s.owner(
        Method::POST,
        "/v1/projects",
        Some(project_body("after logout")),
    )
    .await
    .error(401);
    let r = s
        .send(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refreshToken": s.refresh_token })),
        )
        .await;
    r.error(401);
    // Sign-out is everywhere: another ID token of the owner (another device, a
    // refresh) issued before it is refused too, on both identity adapters.
    s.get("/v1/auth/me", Some(&second_token)).await.error(401);
    // Signing in again works at once, and the new token is accepted.
    let again = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(again.status, 200);
    let fresh = again.body["token"].as_str().unwrap();
    assert_eq!(s.get("/v1/auth/me", Some(fresh)).await.status, 200);
}

#[tokio::test]
async fn protocol_errors_are_json_with_the_right_status() {
    let s = TestServer::spawn().await;
    let unknown = s.get("/v1/does-not-exist", None).await;
    unknown.error(404);
    let wrong = s.send(Method::PATCH, "/v1/projects", None, None).await;
    wrong.error(405);
    assert_eq!(wrong.header("allow"), Some("GET, POST, HEAD"));
    let big = "x".repeat(1024 * 1024 + 10);
    let r = s
        .owner_raw_body(Method::POST, "/v1/projects", "application/json", big)
        .await;
    r.error(413);
    let r = s
        .owner_raw_body(Method::POST, "/v1/projects", "text/plain", "name=x")
        .await;
    r.error(415);
    let r = s
        .owner_raw_body(
            Method::POST,
            "/v1/projects",
            "application/json",
            "{not json",
        )
        .await;
    r.error(400);
    let pre = TestServer::finish(
        s.raw(Method::OPTIONS, "/v1/projects")
            .await
            .header("origin", "https://portfolio.example")
            .header("access-control-request-method", "POST"),
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://portfolio.example")
    );
    let denied = TestServer::finish(
        s.raw(Method::OPTIONS, "/v1/projects")
            .await
            .header("origin", "https://evil.example"),
    )
    .await;
    denied.error(403);
}

#[tokio::test]
async fn public_reads_are_cached_and_publishing_purges_them() {
    let s = TestServer::spawn().await;
    let before = s.origin_requests();
    let first = s.get("/v1/projects", None).await;
    let second = s.get("/v1/projects", None).await;
    assert_eq!(first.body, second.body);
    assert_eq!(
        s.origin_requests() - before,
        1,
        "the second read was answered from the cache"
    );
    assert_eq!(second.header("x-cache"), Some("Hit from cloudfront"));
    assert!(first.header("cache-control").unwrap().contains("s-maxage="));
    let owner_read = s.get("/v1/projects", Some(&s.owner_token)).await;
    assert_eq!(
        owner_read.header("cache-control"),
        Some("private, no-store")
    );
    let p = s.create("/v1/projects", project_body("Fresh")).await;
    assert_eq!(
        s.get("/v1/projects", None).await.body["total"],
        0,
        "a draft changes nothing public"
    );
    s.publish("/v1/projects", p["id"].as_str().unwrap()).await;
    assert_eq!(
        s.get("/v1/projects", None).await.body["total"],
        1,
        "publish invalidated the cached list"
    );
    let invalidated = s.server.purge.invalidated();
    assert!(
        invalidated.contains(&"/v1/projects*".to_string()),
        "{invalidated:?}"
    );
}

#[tokio::test]
async fn tracking_counts_people_not_bots_and_answers_integers() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Counted")).await;
    let id = post["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    let bot = TestServer::finish(
        s.raw(Method::POST, "/v1/visitors/track")
            .await
            .header("user-agent", "Googlebot/2.1"),
    )
    .await;
    assert_eq!(bot.body, json!({ "count": 0, "tracked": false }));
    let view = json!({ "contentId": id, "contentType": "blog" });
    let bot_view = TestServer::finish(
        s.raw(Method::POST, "/v1/analytics/track")
            .await
            .header("user-agent", "curl/8.5")
            .json(&view),
    )
    .await;
    assert_eq!(bot_view.body, json!({ "views": 0, "tracked": false }));
    for ua in ["Mozilla/5.0 A", "Mozilla/5.0 A", "Mozilla/5.0 B"] {
        TestServer::finish(
            s.raw(Method::POST, "/v1/visitors/track")
                .await
                .header("user-agent", ua),
        )
        .await;
        TestServer::finish(
            s.raw(Method::POST, "/v1/analytics/track")
                .await
                .header("user-agent", ua)
                .json(&view),
        )
        .await;
    }
    let count = s.get("/v1/visitors/count", Some(&s.owner_token)).await;
    assert!(
        count.body["count"].is_i64(),
        "counts are numbers, not strings"
    );
    assert_eq!(count.body["count"], 2);
    assert_eq!(
        s.get(&format!("/v1/analytics/views/blog/{id}"), None)
            .await
            .body["views"],
        2
    );
    let missing = s
        .send(
            Method::POST,
            "/v1/analytics/track",
            None,
            Some(json!({ "contentId": "nope", "contentType": "blog" })),
        )
        .await;
    missing.error(404);
}

#[tokio::test]
async fn categories_follow_publish_edit_unpublish_and_delete() {
    let s = TestServer::spawn().await;
    let categories =
        || async { s.get("/v1/blog/categories", None).await.body["categories"].clone() };
    let mut body = blog_body("Alpha");
    body["category"] = json!("Rust");
    let a = s.create("/v1/blog/posts", body).await;
    let a = a["id"].as_str().unwrap().to_string();
    assert_eq!(categories().await, json!([]), "a draft lists no category");
    s.publish("/v1/blog/posts", &a).await;
    assert_eq!(categories().await, json!(["Rust"]));

    let mut body = blog_body("Beta");
    body["category"] = json!("rust");
    let b = s.create("/v1/blog/posts", body).await;
    let b = b["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &b).await;
    let one = categories().await;
    assert_eq!(
        one.as_array().unwrap().len(),
        1,
        "categories fold case: {one}"
    );

    let moved = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{a}"),
            Some(json!({ "category": "Go" })),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(categories().await, json!(["Go", "rust"]));

    s.unpublish("/v1/blog/posts", &b).await;
    assert_eq!(categories().await, json!(["Go"]));

    let deleted = s
        .owner(Method::DELETE, &format!("/v1/blog/posts/{a}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(categories().await, json!([]));
}

#[tokio::test]
async fn head_answers_every_get_route_without_a_body() {
    let s = TestServer::spawn().await;
    for path in ["/v1/health", "/v1/projects", "/v1/visitors/count"] {
        let r = TestServer::finish(s.raw(Method::HEAD, path).await).await;
        assert_eq!(r.status, 200, "HEAD {path}");
        assert_eq!(r.body, serde_json::Value::Null, "HEAD {path} has no body");
    }
    let listed = TestServer::finish(s.raw(Method::HEAD, "/v1/projects").await).await;
    assert!(listed.header("etag").is_some());
    let r = s.send(Method::PATCH, "/v1/health", None, None).await;
    r.error(405);
    assert!(
        r.header("allow").unwrap().contains("HEAD"),
        "{:?}",
        r.header("allow")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_secrets_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::spawn().await;
    if s.server.local.is_none() {
        return; // the AWS backend keeps nothing on disk
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // An uploaded image too: the media directory holds drafts' pictures.
    let upload = s
        .owner(
            Method::POST,
            "/v1/media/uploads",
            Some(json!({ "contentType": "image/gif", "size": 6 })),
        )
        .await;
    let stored = reqwest::Client::new()
        .put(upload.body["uploadUrl"].as_str().unwrap())
        .header("content-type", "image/gif")
        .header("if-none-match", "*")
        .body(b"GIF89a".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    let dir = &s.data_dir.path().join("folio");
    let mut pending = vec![dir.clone()];
    let mut files = 0;
    while let Some(dir) = pending.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files += 1;
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
    assert!(files >= 3, "the store, the key and the image were checked");
}

/// A flood of clients that announce a body and never send it neither stalls the
/// server nor holds its connections: health keeps answering, and each slow client
/// is answered 408 and dropped once the body-read timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_neither_stall_the_server_nor_hold_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::spawn().await;
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(s.server.addr).await.unwrap();
        stream
            .write_all(
                b"POST /v1/visitors/track HTTP/1.1\r\nHost: folio\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n",
            )
            .await
            .unwrap();
        slow.push(stream);
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..5 {
        let health = client
            .get(format!("{}/v1/health", s.base))
            .send()
            .await
            .expect("health answers during the flood");
        assert_eq!(health.status(), 200);
    }
    for mut stream in slow {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(
            folio::serve::BODY_READ_TIMEOUT + std::time::Duration::from_secs(20),
            stream.read_to_end(&mut answer),
        )
        .await;
        assert!(read.is_ok(), "the slow connection was closed");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    }
}

/// Sign-in neither tells which emails exist (an unknown one costs the same
/// password-hash work as a known one) nor lets a password be guessed at will
/// (429 with Retry-After after repeated failures from one network, the right
/// password included), nor lets a guesser keep the owner out from elsewhere.
#[tokio::test]
async fn sign_in_hides_which_accounts_exist_and_stops_guessing() {
    let s = TestServer::spawn().await;
    let timed = |email: String, password: &'static str| {
        let s = &s;
        async move {
            let started = std::time::Instant::now();
            let r = s.login(&email, password).await;
            (r.status, started.elapsed())
        }
    };
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for i in 0..4 {
        unknown.push(timed(format!("nobody{i}@folio.test"), "Wrong-passw0rd-123").await);
        known.push(timed(OWNER_EMAIL.to_string(), "Wrong-passw0rd-123").await);
    }
    assert!(
        unknown
            .iter()
            .chain(&known)
            .all(|(status, _)| *status == 401)
    );
    // The timing is the local issuer's; on moto, Cognito's own answers it.
    if s.moto.is_none() {
        let median = |v: &mut Vec<(u16, std::time::Duration)>| {
            v.sort_by_key(|(_, d)| *d);
            v[v.len() / 2].1
        };
        let (u, k) = (median(&mut unknown), median(&mut known));
        // Same order of magnitude: before, an unknown email took 0.3 ms and a
        // known one 15-35 ms.
        assert!(u * 10 > k && k * 10 > u, "unknown {u:?} vs known {k:?}");
    }
    // The fifth failure for the account locks it; the right password waits too.
    let fifth = s.login(OWNER_EMAIL, "Wrong-passw0rd-123").await;
    assert_eq!(fifth.status, 401);
    let locked = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    locked.error(429);
    assert!(locked.header("retry-after").is_some());
    // The guesser locked their own network out, not the owner: from another
    // address (the stand-in reads it from the connection, as CloudFront does) the
    // right password signs in.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = TestServer::finish(
        elsewhere
            .post(format!("{}/v1/auth/login", s.base))
            .json(&json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD })),
    )
    .await;
    assert_eq!(r.status, 200, "the owner from another network: {}", r.body);
}

/// Every tracking answer about a non-public item is the same 404, also for a
/// visitor whose view of it was counted while it was published.
#[tokio::test]
async fn tracking_a_view_of_an_unpublished_item_is_404_for_everyone() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Soon gone")).await;
    let id = post["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    let view = json!({ "contentId": id, "contentType": "blog" });
    let first = s
        .send(
            Method::POST,
            "/v1/analytics/track",
            None,
            Some(view.clone()),
        )
        .await;
    assert_eq!(first.body["tracked"], true, "{}", first.body);
    s.unpublish("/v1/blog/posts", id).await;
    let again = s
        .send(Method::POST, "/v1/analytics/track", None, Some(view))
        .await;
    again.error(404);
}

/// One client rotating User-Agents adds at most the per-minute limit of new
/// visitors; past it 429 with Retry-After, while a visitor counted already is
/// still answered normally.
#[tokio::test]
async fn a_client_rotating_user_agents_is_limited_and_counted_visitors_are_not() {
    use folio_origin::usecases::tracking_limit::VISITS_PER_MINUTE;
    let s = TestServer::spawn().await;
    let track = |agent: String| {
        let s = &s;
        async move {
            TestServer::finish(
                s.raw(Method::POST, "/v1/visitors/track")
                    .await
                    .header("user-agent", agent),
            )
            .await
        }
    };
    for i in 0..VISITS_PER_MINUTE {
        let r = track(format!("Mozilla/5.0 rotating-{i}")).await;
        assert_eq!(r.status, 200, "visitor {i}: {}", r.body);
    }
    let over = track("Mozilla/5.0 rotating-over".into()).await;
    over.error(429);
    assert!(over.header("retry-after").is_some());
    let known = track("Mozilla/5.0 rotating-0".into()).await;
    assert_eq!(
        known.status, 200,
        "an already counted visitor is never refused"
    );
    assert_eq!(known.body["tracked"], false);
}

/// The owner changes their password: the current one is checked, the new one
/// must meet the policy, and every session ends (both identity adapters).
#[tokio::test]
async fn the_owner_changes_the_password_and_every_session_ends() {
    let s = TestServer::spawn().await;
    let change =
        |current: &str, new: &str| json!({ "currentPassword": current, "newPassword": new });
    let weak = s
        .owner(
            Method::POST,
            "/v1/auth/password",
            Some(change(OWNER_PASSWORD, "short")),
        )
        .await;
    assert_eq!(weak.error(400)["details"]["field"], "newPassword");
    let wrong = s
        .owner(
            Method::POST,
            "/v1/auth/password",
            Some(change("Not-the-passw0rd", "Another-passw0rd-9")),
        )
        .await;
    assert_eq!(wrong.error(403)["message"], "The current password is wrong");
    let reader = s.non_owner_token().await;
    s.send(
        Method::POST,
        "/v1/auth/password",
        Some(&reader),
        Some(change(OWNER_PASSWORD, "Another-passw0rd-9")),
    )
    .await
    .error(403);
    let done = s
        .owner(
            Method::POST,
            "/v1/auth/password",
            Some(change(OWNER_PASSWORD, "Another-passw0rd-9")),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    s.get("/v1/auth/me", Some(&s.owner_token)).await.error(401);
    s.login(OWNER_EMAIL, OWNER_PASSWORD).await.error(401);
    let again = s.login(OWNER_EMAIL, "Another-passw0rd-9").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let token = again.body["token"].as_str().unwrap();
    assert_eq!(s.get("/v1/auth/me", Some(token)).await.status, 200);
}

/// Whoever opens the API's address is pointed to the console and the API
/// document, not answered a JSON 404.
#[tokio::test]
async fn the_site_root_points_a_person_to_the_console_and_the_api_document() {
    let s = TestServer::spawn().await;
    let page = s.get("/", None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    for link in ["href=\"/admin/\"", "href=\"/v1/openapi.json\""] {
        assert!(page.text.contains(link), "{link}: {}", page.text);
    }
    assert_eq!(s.get("/v1/openapi.json", None).await.status, 200);
    assert_eq!(s.get("/admin/", None).await.status, 200);
}

/// Issue 30: a custom range is `days` days ending `offset` days before today
/// (the console turns two dates into them): only its days are counted, its
/// previous period is the as many days before it, and an offset past two years
/// is refused naming the parameter.
#[tokio::test]
async fn the_audience_of_a_custom_range_counts_only_its_days() {
    let s = TestServer::spawn().await;
    let visit = s.track_visit("127.0.0.2", "").await;
    assert_eq!(visit.body["tracked"], true, "{}", visit.text);
    let today = chrono::Utc::now().date_naive();
    let day = |back: i64| (today - chrono::Duration::days(back)).to_string();
    let audience = |query: &'static str| {
        let s = &s;
        async move {
            let r = s
                .get(
                    &format!("/v1/visitors/audience?{query}"),
                    Some(&s.owner_token),
                )
                .await;
            assert_eq!(r.status, 200, "{query}: {}", r.body);
            r
        }
    };
    let r = audience("days=1").await;
    assert_eq!(
        (r.body["from"].as_str(), r.body["to"].as_str()),
        (Some(day(0).as_str()), Some(day(0).as_str()))
    );
    assert_eq!(r.body["totals"]["visitors"], 1);
    let r = audience("days=1&offset=1").await;
    assert_eq!(
        (r.body["from"].as_str(), r.body["to"].as_str()),
        (Some(day(1).as_str()), Some(day(1).as_str()))
    );
    assert_eq!(
        r.body["totals"]["visitors"], 0,
        "today is outside yesterday"
    );
    assert_eq!(r.body["sources"], json!([]));
    let r = audience("days=7&offset=1").await;
    assert_eq!(
        (r.body["from"].as_str(), r.body["to"].as_str()),
        (Some(day(7).as_str()), Some(day(1).as_str()))
    );
    assert_eq!(r.body["previous"]["to"].as_str(), Some(day(8).as_str()));
    assert_eq!(r.body["previous"]["from"].as_str(), Some(day(14).as_str()));
    s.conforms(&r, "get", "/visitors/audience").await;
    let r = audience("days=2&offset=0").await;
    assert_eq!(r.body["totals"]["visitors"], 1);
    assert_eq!(r.body["previous"]["totals"]["visitors"], 0);
    for bad in ["offset=731", "offset=-1", "offset=yesterday"] {
        let r = s
            .get(
                &format!("/v1/visitors/audience?days=7&{bad}"),
                Some(&s.owner_token),
            )
            .await;
        let error = r.error(400);
        assert!(
            error["message"].as_str().unwrap().contains("offset"),
            "{bad}: {error}"
        );
    }
}

/// Issue 30: a counted visit adds where it came from and on what to the day's
/// audience, once per visitor and day; the country is CloudFront's (the stand-in's
/// test mapping by address), never the viewer's own header; only the owner reads it.
#[tokio::test]
async fn a_visit_adds_its_source_campaign_country_and_device_to_the_days_audience_once() {
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
    const WINDOWS: &str = DESKTOP_CHROME;
    let s = TestServer::spawn().await;
    // Loopback addresses the stand-in's test mapping places in DE and JP.
    let visit = |client: reqwest::Client, ua: &'static str, body: Option<serde_json::Value>| {
        let url = format!("{}/v1/visitors/track", s.base);
        async move {
            let mut req = client
                .post(url)
                .header("user-agent", ua)
                .header("cloudfront-viewer-country", "ZZ");
            if let Some(body) = body {
                req = req.json(&body);
            }
            TestServer::finish(req).await
        }
    };
    let linkedin = json!({
        "referrer": "https://www.linkedin.com/in/someone/?trk=public_post",
        "url": "https://me.example/blog/a-post?x=1"
    });
    let counted = visit(client_from("127.0.0.2"), IPHONE, Some(linkedin.clone())).await;
    assert_eq!(counted.status, 200, "{}", counted.text);
    assert_eq!(counted.body["tracked"], true);
    s.conforms(&counted, "post", "/visitors/track").await;
    // The same reader again, from elsewhere on the site: a repeat adds nothing.
    let again =
        json!({ "referrer": "https://me.example/blog/a-post", "url": "https://me.example/about" });
    let repeat = visit(client_from("127.0.0.2"), IPHONE, Some(again)).await;
    assert_eq!(repeat.body["tracked"], false);
    let campaign = json!({ "url": "https://me.example/?utm_source=newsletter&utm_medium=email&utm_campaign=launch" });
    visit(client_from("127.0.0.3"), WINDOWS, Some(campaign)).await;
    // A frontend that sends no body is counted as before: direct, no country.
    assert_eq!(
        visit(client_from("127.0.0.1"), WINDOWS, None).await.body["tracked"],
        true
    );
    assert_eq!(
        visit(client_from("127.0.0.1"), "Googlebot/2.1", Some(linkedin))
            .await
            .body["tracked"],
        false
    );
    let bad = visit(
        client_from("127.0.0.1"),
        "Mozilla/5.0 C",
        Some(json!({ "referrer": 7 })),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    assert_eq!(s.get("/v1/visitors/audience", None).await.status, 401);
    let audience = s
        .get("/v1/visitors/audience?days=7", Some(&s.owner_token))
        .await;
    assert_eq!(audience.status, 200, "{}", audience.text);
    s.conforms(&audience, "get", "/visitors/audience").await;
    let table = |name: &str| -> Vec<(String, i64)> {
        audience.body[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["value"].as_str().unwrap().to_string(),
                    row["visitors"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let pairs = |expected: &[(&str, i64)]| -> Vec<(String, i64)> {
        expected.iter().map(|(v, n)| (v.to_string(), *n)).collect()
    };
    assert_eq!(
        table("sources"),
        pairs(&[("Direct / None", 1), ("LinkedIn", 1), ("newsletter", 1)])
    );
    assert_eq!(
        audience.body["referrers"],
        json!([{ "source": "LinkedIn", "page": "/in/someone/", "visitors": 1 }])
    );
    assert_eq!(table("utmCampaigns"), pairs(&[("launch", 1)]));
    assert_eq!(table("utmMediums"), pairs(&[("email", 1)]));
    assert_eq!(table("countries"), pairs(&[("DE", 1), ("JP", 1)]));
    assert_eq!(table("devices"), pairs(&[("Desktop", 2), ("Mobile", 1)]));
    assert_eq!(table("browsers"), pairs(&[("Chrome", 2), ("Safari", 1)]));
    assert_eq!(
        table("operatingSystems"),
        pairs(&[("Windows", 2), ("iOS", 1)])
    );
    assert_eq!(
        table("landingPages"),
        pairs(&[("/", 1), ("/blog/a-post", 1)])
    );
    assert_eq!(
        table("filtered"),
        pairs(&[("Bot", 1)]),
        "the crawler is counted as filtered, once"
    );
    assert_eq!(audience.body["totals"]["visitors"], 3);
    assert_eq!(
        s.get("/v1/visitors/count", None).await.body["count"],
        3,
        "the audience never changes the count"
    );
    // Nothing that identifies a reader was stored: no address, no User-Agent, no
    // referrer's query string (the whole store, byte for byte or item by item).
    let stored = s.stored_text().await;
    assert!(
        stored.contains("LinkedIn"),
        "the scan sees the audience rows"
    );
    for secret in [
        "127.0.0.2",
        "127.0.0.3",
        "Mobile/15E148",
        "Win64; x64",
        "Googlebot",
        "trk=public_post",
        "me.example",
    ] {
        assert!(!stored.contains(secret), "{secret:?} was stored");
    }

    // Narrowed to one value of a table, every other table counts only the visits
    // that had it, and so does the period's visitors.
    let s = &s;
    let narrowed = |filter: serde_json::Value| async move { s.audience(7, Some(&filter)).await };
    let from_linkedin = narrowed(json!({ "sources": "LinkedIn" })).await;
    assert_eq!(from_linkedin.status, 200, "{}", from_linkedin.text);
    s.conforms(&from_linkedin, "get", "/visitors/audience")
        .await;
    let rows = |r: &Resp, name: &str| r.body[name].clone();
    assert_eq!(from_linkedin.body["totals"]["visitors"], 1);
    assert_eq!(
        from_linkedin.body["filter"],
        json!({ "sources": "LinkedIn" })
    );
    assert_eq!(from_linkedin.body["notBrokenDown"], 0);
    assert_eq!(
        rows(&from_linkedin, "countries"),
        json!([{ "value": "DE", "visitors": 1 }])
    );
    assert_eq!(
        rows(&from_linkedin, "devices"),
        json!([{ "value": "Mobile", "visitors": 1 }])
    );
    assert_eq!(
        rows(&from_linkedin, "referrers"),
        json!([{ "source": "LinkedIn", "page": "/in/someone/", "visitors": 1 }])
    );
    assert_eq!(rows(&from_linkedin, "utmCampaigns"), json!([]));
    assert_eq!(
        rows(&from_linkedin, "filtered"),
        json!([{ "value": "Bot", "visitors": 1 }]),
        "what was filtered is no visit's value: it stays the period's"
    );
    // Two values at once: both required.
    let desktop_in_japan = narrowed(json!({ "devices": "Desktop", "countries": "JP" })).await;
    assert_eq!(desktop_in_japan.body["totals"]["visitors"], 1);
    assert_eq!(
        rows(&desktop_in_japan, "sources"),
        json!([{ "value": "newsletter", "visitors": 1 }])
    );
    let nobody = narrowed(json!({ "devices": "Mobile", "countries": "JP" })).await;
    assert_eq!(nobody.body["totals"]["visitors"], 0);
    assert_eq!(rows(&nobody, "sources"), json!([]));
    for (bad, names) in [
        (json!({ "referrers": "LinkedIn" }), "referrers"),
        (json!({ "sources": 7 }), "sources"),
        (json!({ "sources": "" }), "sources"),
        (json!(["sources"]), "JSON object"),
    ] {
        let r = narrowed(bad.clone()).await;
        let error = r.error(400);
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains('q') && message.contains(names),
            "{bad}: {error}"
        );
    }
}

/// Issue 30: "from LinkedIn" narrows what they read too. A view and a read count
/// under the profile of the visitor's visit that day (kept on the visit's
/// marker), so a filtered answer lists the views and reads of the visits that
/// had the value; a view with no counted visit before it is in the full table
/// only. Time on page is not broken down.
#[tokio::test]
async fn what_they_read_narrows_to_the_visits_that_had_the_filtered_value() {
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
    let s = TestServer::spawn().await;
    let mut ids = Vec::new();
    for title in ["Case study", "Notes"] {
        let post = s.create("/v1/blog/posts", blog_body(title)).await;
        let id = post["id"].as_str().unwrap().to_string();
        s.publish("/v1/blog/posts", &id).await;
        ids.push(id);
    }
    let (case_study, notes) = (ids[0].as_str(), ids[1].as_str());
    let send =
        |from: &'static str, ua: &'static str, path: &'static str, body: serde_json::Value| {
            let url = format!("{}{path}", s.base);
            async move {
                let r = TestServer::finish(
                    client_from(from)
                        .post(url)
                        .header("user-agent", ua)
                        .json(&body),
                )
                .await;
                assert_eq!(r.status, 200, "{path}: {}", r.text);
                assert_eq!(r.body["tracked"], true, "{path}: {}", r.text);
            }
        };
    let item = |id: &str| json!({ "contentType": "blog", "contentId": id });
    let linkedin = json!({ "referrer": "https://www.linkedin.com/feed/", "url": "https://me.example/blog/case-study" });
    // From LinkedIn on a phone: reads the case study, glances at the notes.
    send("127.0.0.2", IPHONE, "/v1/visitors/track", linkedin).await;
    send("127.0.0.2", IPHONE, "/v1/analytics/track", item(case_study)).await;
    let mut read = item(case_study);
    read["seconds"] = json!(95);
    read["scrolled"] = json!(100);
    send("127.0.0.2", IPHONE, "/v1/analytics/engagement", read).await;
    send("127.0.0.2", IPHONE, "/v1/analytics/track", item(notes)).await;
    // Direct, on a desktop: the case study only.
    send("127.0.0.3", DESKTOP_CHROME, "/v1/visitors/track", json!({})).await;
    send(
        "127.0.0.3",
        DESKTOP_CHROME,
        "/v1/analytics/track",
        item(case_study),
    )
    .await;
    // A frontend that calls the view endpoint alone: counted, never broken down.
    send(
        "127.0.0.4",
        DESKTOP_CHROME,
        "/v1/analytics/track",
        item(notes),
    )
    .await;

    let s = &s;
    let audience = |filter: Option<serde_json::Value>| async move {
        let r = s.audience(7, filter.as_ref()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        s.conforms(&r, "get", "/visitors/audience").await;
        r
    };
    let content = |r: &Resp| -> Vec<(String, i64, i64)> {
        r.body["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let id = row["contentId"].as_str().unwrap();
                let name = if id == case_study {
                    "case study"
                } else {
                    "notes"
                };
                (
                    name.to_string(),
                    row["views"].as_i64().unwrap(),
                    row["reads"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let rows = |expected: &[(&str, i64, i64)]| -> Vec<(String, i64, i64)> {
        expected
            .iter()
            .map(|(n, v, r)| (n.to_string(), *v, *r))
            .collect()
    };
    let everyone = audience(None).await;
    assert_eq!(
        content(&everyone),
        rows(&[("case study", 2, 1), ("notes", 2, 0)])
    );
    assert_eq!(everyone.body["totals"]["views"], 4);

    let from_linkedin = audience(Some(json!({ "sources": "LinkedIn" }))).await;
    assert_eq!(
        content(&from_linkedin),
        rows(&[("case study", 1, 1), ("notes", 1, 0)])
    );
    assert_eq!(from_linkedin.body["totals"]["views"], 2);
    assert_eq!(from_linkedin.body["totals"]["reads"], 1);
    assert_eq!(
        from_linkedin.body["totals"]["medianSeconds"],
        json!(null),
        "time on page is not broken down"
    );
    assert_eq!(
        from_linkedin.body["content"][0]["medianSeconds"],
        json!(null)
    );

    let direct = audience(Some(json!({ "sources": "Direct / None" }))).await;
    assert_eq!(content(&direct), rows(&[("case study", 1, 0)]));
    let on_phones_direct = audience(Some(
        json!({ "sources": "Direct / None", "devices": "Mobile" }),
    ))
    .await;
    assert_eq!(content(&on_phones_direct), rows(&[]));

    // Only hashes of the profile and the item are stored with the reading.
    let stored = s.stored_text().await;
    for secret in ["127.0.0.2", "Mobile/15E148", "linkedin.com/feed"] {
        assert!(!stored.contains(secret), "{secret:?} was stored");
    }
}

/// A page's one engagement beacon makes its view a read (30 s visible, or 75 %
/// scrolled) once per visitor, item and day; the owner's audience shows the
/// period's views, reads and median time on page, per item and in total. Beacons
/// arrive as text/plain (navigator.sendBeacon, no CORS preflight).
#[tokio::test]
async fn an_engagement_beacon_counts_a_read_once_with_its_time_on_page() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Read me")).await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let draft = s.create("/v1/blog/posts", blog_body("Not yet")).await;
    let beacon = |client: reqwest::Client, path: &'static str, body: serde_json::Value| {
        let url = format!("{}{path}", s.base);
        async move {
            TestServer::finish(
                client
                    .post(url)
                    .header(
                        "user-agent",
                        "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                    )
                    .header("content-type", "text/plain;charset=UTF-8")
                    .body(body.to_string()),
            )
            .await
        }
    };
    let item = json!({ "contentType": "blog", "contentId": id });
    let view = beacon(
        client_from("127.0.0.2"),
        "/v1/analytics/track",
        item.clone(),
    )
    .await;
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.body["tracked"], true);
    let engaged = |seconds: u32, scrolled: u32| {
        let mut body = item.clone();
        body["seconds"] = json!(seconds);
        body["scrolled"] = json!(scrolled);
        body
    };
    let read = beacon(
        client_from("127.0.0.2"),
        "/v1/analytics/engagement",
        engaged(45, 10),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body, json!({ "tracked": true, "read": true }));
    s.conforms(&read, "post", "/analytics/engagement").await;
    let again = beacon(
        client_from("127.0.0.2"),
        "/v1/analytics/engagement",
        engaged(600, 100),
    )
    .await;
    assert_eq!(
        again.body,
        json!({ "tracked": false, "read": false }),
        "one beacon per visitor, item and day"
    );
    let glance = beacon(
        client_from("127.0.0.3"),
        "/v1/analytics/engagement",
        engaged(3, 20),
    )
    .await;
    assert_eq!(glance.body, json!({ "tracked": true, "read": false }));
    let mut on_draft = engaged(40, 0);
    on_draft["contentId"] = draft["id"].clone();
    assert_eq!(
        beacon(
            client_from("127.0.0.3"),
            "/v1/analytics/engagement",
            on_draft
        )
        .await
        .status,
        404,
        "a draft's id is never counted (nor grows the day's row)"
    );
    for bad in [
        engaged(86_401, 0),
        json!({ "contentType": "blog", "contentId": id, "seconds": -1, "scrolled": 0 }),
        json!({ "contentType": "blog", "contentId": id, "seconds": 3, "scrolled": 101 }),
        json!({ "contentType": "blog", "contentId": id, "seconds": 3 }),
    ] {
        let r = beacon(
            client_from("127.0.0.4"),
            "/v1/analytics/engagement",
            bad.clone(),
        )
        .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let xml = TestServer::finish(
        client_from("127.0.0.4")
            .post(format!("{}/v1/analytics/engagement", s.base))
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
            )
            .header("content-type", "application/xml")
            .body(engaged(40, 0).to_string()),
    )
    .await;
    assert_eq!(xml.status, 415, "{}", xml.text);

    let audience = s
        .get("/v1/visitors/audience?days=1", Some(&s.owner_token))
        .await;
    assert_eq!(audience.status, 200, "{}", audience.text);
    s.conforms(&audience, "get", "/visitors/audience").await;
    // Beacons of 45 s and 3 s: the median is the top of the 0–5 s bucket.
    assert_eq!(
        audience.body["totals"],
        json!({ "visitors": 0, "views": 1, "reads": 1, "medianSeconds": 5 })
    );
    assert_eq!(
        audience.body["content"],
        json!([{ "contentType": "blog", "contentId": id, "views": 1, "reads": 1, "medianSeconds": 5 }])
    );
    assert_eq!(
        audience.body["previous"]["totals"],
        json!({ "visitors": 0, "views": 0, "reads": 0, "medianSeconds": null })
    );
}

/// One `<script>` tag on the owner's site loads the tracker from the API's own
/// address: JavaScript, kept by browsers and CloudFront for a year (its bytes never
/// change at this path), so the second load costs the origin nothing.
#[tokio::test]
async fn the_tracking_script_is_served_as_javascript_and_cached_for_good() {
    let s = TestServer::spawn().await;
    let first = s.get("/v1/tracker/1.js", None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(
        first
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    let cache = first.header("cache-control").unwrap();
    assert!(
        cache.contains("immutable") && cache.contains("max-age=31536000"),
        "{cache}"
    );
    assert!(first.text.contains("visitors/track") && first.text.contains("sendBeacon"));
    let origin = s.origin_requests();
    let second = s.get("/v1/tracker/1.js", None).await;
    assert_eq!(second.text, first.text);
    assert_eq!(
        s.origin_requests(),
        origin,
        "the second load is the cache's"
    );
}

/// The owner sees how many distinct visitors were tracked in the last five
/// minutes, repeat visits included, bots and referrer spam left out; a spam
/// visit is counted as filtered and nowhere else.
#[tokio::test]
async fn live_visitors_are_the_distinct_people_tracked_in_the_last_five_minutes() {
    let s = TestServer::spawn().await;
    let visit = |client: reqwest::Client, ua: &'static str, referrer: &'static str| {
        let url = format!("{}/v1/visitors/track", s.base);
        async move {
            TestServer::finish(
                client
                    .post(url)
                    .header("user-agent", ua)
                    .header("content-type", "text/plain")
                    .body(
                        json!({ "referrer": referrer, "url": "https://me.example/" }).to_string(),
                    ),
            )
            .await
        }
    };
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0";
    assert_eq!(s.get("/v1/visitors/live", None).await.status, 401);
    let empty = s.get("/v1/visitors/live", Some(&s.owner_token)).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    s.conforms(&empty, "get", "/visitors/live").await;
    assert_eq!(empty.body, json!({ "visitors": 0, "windowSeconds": 300 }));
    assert_eq!(
        visit(client_from("127.0.0.2"), FIREFOX, "").await.body["tracked"],
        true
    );
    assert_eq!(
        visit(client_from("127.0.0.2"), FIREFOX, "").await.body["tracked"],
        false
    );
    assert_eq!(
        visit(client_from("127.0.0.3"), FIREFOX, "").await.body["tracked"],
        true
    );
    let spam = visit(
        client_from("127.0.0.4"),
        FIREFOX,
        "https://semalt.com/crawler",
    )
    .await;
    assert_eq!(spam.status, 200, "{}", spam.text);
    assert_eq!(spam.body["tracked"], false);
    let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
    assert_eq!(
        visit(client_from("127.0.0.4"), headless, "").await.body["tracked"],
        false
    );
    let live = s.get("/v1/visitors/live", Some(&s.owner_token)).await;
    assert_eq!(live.body["visitors"], 2, "{}", live.text);
    let audience = s
        .get("/v1/visitors/audience?days=1", Some(&s.owner_token))
        .await;
    assert_eq!(
        audience.body["filtered"],
        json!([{ "value": "Bot", "visitors": 1 }, { "value": "Referrer spam", "visitors": 1 }])
    );
    assert_eq!(audience.body["totals"]["visitors"], 2);
    assert!(
        !audience.text.contains("semalt"),
        "a spam referrer is no source: {}",
        audience.text
    );
}

/// Issue 30: the owner makes a read-only link to the audience. Anyone holding it
/// reads the numbers (never cached, marked noindex), and of what was read only
/// what is published now; only the owner lists and revokes links; a revoked
/// link opens nothing; the token itself is never stored.
#[tokio::test]
async fn a_share_link_shows_the_audience_read_only_until_it_is_revoked() {
    let s = TestServer::spawn().await;
    let kept = s.create("/v1/blog/posts", blog_body("Still public")).await;
    let pulled = s.create("/v1/blog/posts", blog_body("Pulled later")).await;
    let ids: Vec<String> = [&kept, &pulled]
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        s.publish("/v1/blog/posts", id).await;
        let view = TestServer::finish(
            client_from("127.0.0.2")
                .post(format!("{}/v1/analytics/track", s.base))
                .header("user-agent", DESKTOP_CHROME)
                .json(&json!({ "contentType": "blog", "contentId": id })),
        )
        .await;
        assert_eq!(view.body["tracked"], true, "{}", view.text);
    }
    s.unpublish("/v1/blog/posts", &ids[1]).await;

    assert_eq!(
        s.send(Method::POST, "/v1/visitors/shares", None, None)
            .await
            .status,
        401
    );
    let created = s.owner(Method::POST, "/v1/visitors/shares", None).await;
    assert_eq!(created.status, 201, "{}", created.text);
    s.conforms(&created, "post", "/visitors/shares").await;
    let token = created.body["token"].as_str().unwrap().to_string();
    let path = created.body["path"].as_str().unwrap().to_string();
    assert!(created.body["pagePath"].as_str().unwrap().ends_with(&token));

    let shared = s.get(&format!("{path}?days=7"), None).await;
    assert_eq!(shared.status, 200, "{}", shared.text);
    s.conforms(&shared, "get", "/shared/{shareToken}/audience")
        .await;
    let header = |name: &str| {
        shared
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(
        header("cache-control").contains("no-store"),
        "{:?}",
        shared.headers
    );
    assert!(header("x-robots-tag").contains("noindex"));
    let read: Vec<&str> = shared.body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contentId"].as_str().unwrap())
        .collect();
    assert_eq!(
        read,
        vec![ids[0].as_str()],
        "an unpublished item is not shown"
    );
    let owners = s
        .get("/v1/visitors/audience?days=7", Some(&s.owner_token))
        .await;
    assert_eq!(owners.body["content"].as_array().unwrap().len(), 2);
    // The link narrows like the owner's page does.
    let query = audience_query(7, Some(&json!({ "devices": "Mobile" })));
    let narrowed = s.get(&format!("{path}?{query}"), None).await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert_eq!(narrowed.body["filter"], json!({ "devices": "Mobile" }));

    for wrong in [
        "/v1/shared/3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/audience",
        "/v1/shared/short/audience",
    ] {
        assert_eq!(s.get(wrong, None).await.status, 404, "{wrong}");
    }
    let listed = s.get("/v1/visitors/shares", Some(&s.owner_token)).await;
    assert_eq!(listed.status, 200);
    s.conforms(&listed, "get", "/visitors/shares").await;
    assert_eq!(listed.body["links"][0]["id"], created.body["id"]);
    assert!(!listed.text.contains(&token), "a list never shows a token");
    assert_eq!(s.get("/v1/visitors/shares", None).await.status, 401);
    assert!(
        !s.stored_text().await.contains(&token),
        "only the token's hash is stored"
    );

    let id = created.body["id"].as_str().unwrap();
    let revoked = s
        .owner(Method::DELETE, &format!("/v1/visitors/shares/{id}"), None)
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_eq!(s.get(&format!("{path}?days=7"), None).await.status, 404);
    let again = s
        .owner(Method::DELETE, &format!("/v1/visitors/shares/{id}"), None)
        .await;
    assert_eq!(again.status, 404);
}
