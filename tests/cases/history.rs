//! Nothing the owner writes is lost: every save keeps the version it replaced,
//! any version can be read and restored (a restore is undoable), and a deleted
//! item comes back within 30 days. Through the stand-in, on every backend.

use chrono::{Duration, Utc};
use folio_origin::repo::history::{KEEP_DAYS, KEEP_NEWEST, TRASH_DAYS};
use folio_origin::usecases::scheduler;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn edit(s: &TestServer, path: &str, body: Value) -> Value {
    let r = s.owner(Method::PUT, path, Some(body)).await;
    assert_eq!(r.status, 200, "edit {path}: {}", r.body);
    r.body
}

async fn revisions(s: &TestServer, path: &str) -> Vec<Value> {
    let r = s
        .owner(Method::GET, &format!("{path}/revisions"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["revisions"].as_array().unwrap().clone()
}

fn versions(revisions: &[Value]) -> Vec<u64> {
    revisions
        .iter()
        .map(|r| r["version"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_restore_brings_back_the_exact_words_keeps_the_publication_and_can_be_undone() {
    let s = TestServer::spawn().await;
    // Words whose bytes a careless copy would change: trailing spaces (a hard
    // break), a tab, CRLF, combining marks, an emoji. (The API trims a text's
    // ends on the way in; what is stored is what comes back.)
    let first = "First words  \nwith a tab\there\r\nCafe\u{301} 🦀";
    let mut body = blog_body("The first title");
    body["content"] = json!(first);
    let post = s.create("/v1/blog/posts", body).await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}");
    s.publish("/v1/blog/posts", id).await;
    edit(
        &s,
        &path,
        json!({ "content": "Second words", "tags": ["rust", "aws"] }),
    )
    .await;
    let live = s.get(&path, None).await;
    assert_eq!(live.body["content"], "Second words");

    // Newest first: the publication (status changed), then the edit.
    let listed = revisions(&s, &path).await;
    assert_eq!(versions(&listed), [2, 1]);
    assert_eq!(listed[0]["changed"], json!(["content", "tags"]));
    assert_eq!(listed[0]["replacedBy"], OWNER_EMAIL);
    assert_eq!(listed[0]["title"], "The first title");
    assert!(
        listed[1]["changed"]
            .as_array()
            .unwrap()
            .contains(&json!("status")),
        "{listed:?}"
    );
    let r = s
        .owner(Method::GET, &format!("{path}/revisions"), None)
        .await;
    s.conforms(&r, "get", "/blog/posts/{postId}/revisions")
        .await;

    // Version 2 is the published post with the first words, byte for byte.
    let r = s
        .owner(Method::GET, &format!("{path}/revisions/2"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["item"]["content"], first);
    s.conforms(&r, "get", "/blog/posts/{postId}/revisions/{version}")
        .await;

    let r = s
        .owner(Method::POST, &format!("{path}/revisions/2/restore"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(
        &r,
        "post",
        "/blog/posts/{postId}/revisions/{version}/restore",
    )
    .await;
    assert_eq!(r.body["content"], first);
    assert_eq!(r.body["tags"], json!(["rust"]));
    assert_eq!(
        r.body["status"], "published",
        "a restore does not unpublish"
    );
    // Readers see it at once: the restore purged the cached copy.
    let public = s.get(&path, None).await;
    assert_eq!(public.body["content"], first);

    // The restore is a save like any other: what it replaced can come back.
    let listed = revisions(&s, &path).await;
    assert_eq!(versions(&listed), [3, 2, 1]);
    let r = s
        .owner(Method::POST, &format!("{path}/revisions/3/restore"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["content"], "Second words");
    assert_eq!(s.get(&path, None).await.body["content"], "Second words");

    // A version that never was, or a malformed one, names nothing.
    for bad in ["99", "0", "x", "-1", "1e3"] {
        let r = s
            .owner(Method::GET, &format!("{path}/revisions/{bad}"), None)
            .await;
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
    }
    // The history is the owner's alone.
    let r = s.get(&format!("{path}/revisions"), None).await;
    assert_eq!(r.status, 401);
    let other = s.non_owner_token().await;
    let r = s.get(&format!("{path}/revisions/2"), Some(&other)).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn sixty_edits_keep_every_revision_for_ninety_days_and_the_newest_fifty_after() {
    let s = TestServer::spawn().await;
    let post = s.create("/v1/blog/posts", blog_body("Edited often")).await;
    let path = format!("/v1/blog/posts/{}", post["id"].as_str().unwrap());
    for n in 0..60 {
        edit(&s, &path, json!({ "content": format!("Draft number {n}") })).await;
    }
    // Younger than 90 days: all 60 kept, whichever rule keeps more.
    let listed = revisions(&s, &path).await;
    assert_eq!(listed.len(), 60);
    assert_eq!(versions(&listed).first(), Some(&60));

    // The tick, 91 days on, removes what is past the newest 50.
    let later = Utc::now() + Duration::days(KEEP_DAYS + 1);
    let swept = scheduler::sweep(&s.server.app, later).await.unwrap();
    assert_eq!(swept.revisions, 60 - KEEP_NEWEST);
    let listed = revisions(&s, &path).await;
    assert_eq!(versions(&listed), (11..=60).rev().collect::<Vec<u64>>());
    // The oldest kept still reads whole.
    let r = s
        .owner(Method::GET, &format!("{path}/revisions/11"), None)
        .await;
    assert_eq!(r.body["item"]["content"], "Draft number 9");
    // Run again: nothing more to remove.
    let again = scheduler::sweep(&s.server.app, later).await.unwrap();
    assert_eq!(again.revisions, 0);
}

#[tokio::test]
async fn a_deleted_post_can_be_restored_for_thirty_days_then_it_and_its_history_are_gone() {
    let s = TestServer::spawn().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Deleted by mistake"))
        .await;
    let id = post["id"].as_str().unwrap().to_string();
    let path = format!("/v1/blog/posts/{id}");
    let published = s.publish("/v1/blog/posts", &id).await;
    let slug = published["slug"].as_str().unwrap().to_string();
    let r = s.owner(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&path, None).await.status, 404);

    let r = s.owner(Method::GET, "/v1/trash", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.conforms(&r, "get", "/trash").await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["contentType"], "blog");
    assert_eq!(items[0]["title"], "Deleted by mistake");

    let restore = format!("/v1/trash/blog/{id}/restore");
    let r = s.owner(Method::POST, &restore, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "published");
    assert_eq!(r.body["slug"], slug.as_str());
    // Readers have it back at its address (the cached 404s were purged).
    assert_eq!(s.get(&path, None).await.status, 200);
    let by_slug = s.get(&format!("/v1/blog/posts/by-slug/{slug}"), None).await;
    assert_eq!(by_slug.status, 200, "{}", by_slug.body);
    // Restored once: the trash no longer lists it, a second restore is refused.
    let r = s.owner(Method::GET, "/v1/trash", None).await;
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(s.owner(Method::POST, &restore, None).await.status, 404);
    // Its history says it was deleted, and goes on from there.
    let listed = revisions(&s, &path).await;
    assert_eq!(listed[0]["deleted"], true);
    assert_eq!(versions(&listed), [2, 1]);
    edit(&s, &path, json!({ "excerpt": "Edited after coming back" })).await;
    assert_eq!(versions(&revisions(&s, &path).await), [3, 2, 1]);

    // Deleted again and left 31 days: the tick removes it and its history.
    assert_eq!(s.owner(Method::DELETE, &path, None).await.status, 204);
    let later = Utc::now() + Duration::days(TRASH_DAYS + 1);
    let swept = scheduler::sweep(&s.server.app, later).await.unwrap();
    assert_eq!(swept.deleted_items, 1);
    assert_eq!(swept.revisions, 4);
    assert_eq!(s.owner(Method::POST, &restore, None).await.status, 404);
    let r = s
        .owner(Method::GET, &format!("{path}/revisions"), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn a_190000_character_post_edited_twenty_times_keeps_every_version_within_dynamodbs_limits() {
    let s = TestServer::spawn().await;
    let long = |n: usize| {
        format!(
            "{n:06} {}",
            "A long paragraph of words. ".repeat(7_037).trim_end()
        )
    };
    assert!(long(0).chars().count() >= 190_000 && long(0).len() <= 200_000);
    let mut body = blog_body("A very long post");
    body["content"] = json!(long(0));
    let post = s.create("/v1/blog/posts", body).await;
    let path = format!("/v1/blog/posts/{}", post["id"].as_str().unwrap());
    for n in 1..=20 {
        edit(&s, &path, json!({ "content": long(n) })).await;
    }
    let listed = revisions(&s, &path).await;
    assert_eq!(listed.len(), 20);
    for version in [1, 12, 20] {
        let r = s
            .owner(Method::GET, &format!("{path}/revisions/{version}"), None)
            .await;
        assert_eq!(r.status, 200);
        let content = r.body["item"]["content"].as_str().unwrap_or_default();
        assert!(
            content == long(version as usize - 1),
            "revision {version} reads back {} characters, not the version's",
            content.len()
        );
    }
}

#[tokio::test]
async fn projects_and_certifications_keep_their_history_too() {
    let s = TestServer::spawn().await;
    for (collection, body, field) in [
        ("/v1/projects", project_body("Old name"), "name"),
        ("/v1/certifications", cert_body("Old name"), "name"),
    ] {
        let item = s.create(collection, body).await;
        let path = format!("{collection}/{}", item["id"].as_str().unwrap());
        edit(&s, &path, json!({ field: "New name" })).await;
        let listed = revisions(&s, &path).await;
        assert_eq!(listed[0]["changed"], json!([field]), "{collection}");
        assert_eq!(listed[0]["title"], "Old name");
        let r = s
            .owner(Method::POST, &format!("{path}/revisions/1/restore"), None)
            .await;
        assert_eq!(r.body[field], "Old name", "{collection}: {}", r.body);
        assert_eq!(s.owner(Method::DELETE, &path, None).await.status, 204);
        let kind = if collection == "/v1/projects" {
            "project"
        } else {
            "certification"
        };
        let id = item["id"].as_str().unwrap();
        let r = s
            .owner(
                Method::POST,
                &format!("/v1/trash/{kind}/{id}/restore"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{collection}: {}", r.body);
        assert_eq!(r.body[field], "Old name");
    }
}

/// `request` (owner's, no body) sent while `saves` saves without If-Match of
/// the item at `path` land at the same time: its answer and theirs.
async fn racing_saves(
    s: &TestServer,
    request: (Method, &str),
    path: &str,
    round: usize,
    saves: usize,
) -> (Resp, Vec<Resp>) {
    let saves = (0..saves).map(|i| {
        s.owner(
            Method::PUT,
            path,
            Some(json!({ "excerpt": format!("round {round} save {i}") })),
        )
    });
    tokio::join!(
        s.owner(request.0, request.1, None),
        futures::future::join_all(saves)
    )
}

/// A restore names a revision, not the current version it replaces, so a save
/// landing between its read and its write is no failed precondition: it applies
/// itself to the newest version. Found by Schemathesis with two workers: 412,
/// which the restore does not document.
#[tokio::test]
async fn a_restore_racing_other_saves_applies_itself_to_the_newest_never_a_412() {
    let s = TestServer::spawn().await;
    let post = s
        .create("/v1/blog/posts", blog_body("The first title"))
        .await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}");
    edit(&s, &path, json!({ "title": "The second title" })).await;
    let restore = format!("{path}/revisions/1/restore");
    let mut restored = 0;
    for round in 0..25 {
        let (r, _) = racing_saves(&s, (Method::POST, &restore), &path, round, 6).await;
        assert!(
            r.status == 200 || r.status == 409,
            "round {round}: {} {}",
            r.status,
            r.body
        );
        if r.status == 200 {
            assert_eq!(r.body["title"], "The first title");
            restored += 1;
        }
    }
    assert!(restored > 0, "no restore got through");
}

/// A delete names no version either, nor does a save without If-Match: one
/// landing between another's read and write makes that one read the item again
/// and apply itself to the newest, never a 412 (which says an If-Match failed).
/// After the delete, the post is gone and its newest save is in the trash.
#[tokio::test]
async fn a_delete_racing_saves_without_if_match_deletes_the_newest_and_nothing_answers_412() {
    let s = TestServer::spawn().await;
    let mut deleted = 0;
    for round in 0..15 {
        let post = s
            .create("/v1/blog/posts", blog_body(&format!("Round {round}")))
            .await;
        let id = post["id"].as_str().unwrap().to_string();
        let path = format!("/v1/blog/posts/{id}");
        let (r, saved) = racing_saves(&s, (Method::DELETE, &path), &path, round, 6).await;
        assert!(
            r.status == 204 || r.status == 409,
            "round {round}: {} {}",
            r.status,
            r.body
        );
        for save in &saved {
            assert!(
                [200, 404, 409].contains(&save.status),
                "round {round}: a save answered {} {}",
                save.status,
                save.body
            );
        }
        if r.status == 204 {
            deleted += 1;
            assert_eq!(s.owner(Method::GET, &path, None).await.status, 404);
            let trash = s.owner(Method::GET, "/v1/trash", None).await;
            assert!(
                trash.text.contains(&id),
                "round {round}: the deleted post is in the trash"
            );
        }
    }
    assert!(deleted > 0, "no delete got through");
}

/// Publishing names no version: saves landing meanwhile are read again, and the
/// item ends published with every save that answered 200.
#[tokio::test]
async fn a_publish_racing_saves_publishes_the_newest_never_a_412() {
    let s = TestServer::spawn().await;
    let mut published = 0;
    for round in 0..10 {
        let post = s
            .create("/v1/blog/posts", blog_body(&format!("Round {round}")))
            .await;
        let path = format!("/v1/blog/posts/{}", post["id"].as_str().unwrap());
        let publish = format!("{path}/publish");
        let (r, saved) = racing_saves(&s, (Method::POST, &publish), &path, round, 5).await;
        assert!(
            r.status == 200 || r.status == 409,
            "round {round}: {} {}",
            r.status,
            r.body
        );
        assert!(
            saved
                .iter()
                .all(|save| save.status == 200 || save.status == 409),
            "round {round}: {:?}",
            saved.iter().map(|save| save.status).collect::<Vec<_>>()
        );
        if r.status == 200 {
            published += 1;
            let now = s.owner(Method::GET, &path, None).await;
            assert_eq!(now.body["status"], "published", "round {round}");
        }
    }
    assert!(published > 0, "no publish got through");
}
