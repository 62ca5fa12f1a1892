//! Content in and out: `folio_origin::usecases::portable` between the embedded store and
//! DynamoDB (moto), both ways. Nothing lost, nothing doubled: the second export is
//! the first one byte for byte, and importing again changes nothing.

use folio_origin::usecases::portable::{self, Summary};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// A store with something of everything: drafts and published items of each kind,
/// a dated post, views and a visit, an edited item's history and a deleted item.
async fn populated() -> TestServer {
    let s = TestServer::spawn().await;
    let gone = s.create("/v1/projects", project_body("Deleted")).await;
    let r = s
        .owner(
            Method::DELETE,
            &format!("/v1/projects/{}", gone["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let mut dated = blog_body("Written in 2019");
    dated["publishedAt"] = json!("2019-05-01");
    let post = s.create("/v1/blog/posts", dated).await;
    s.create("/v1/blog/posts", blog_body("Still a draft")).await;
    let project = s.create("/v1/projects", project_body("Shipped")).await;
    s.create("/v1/certifications", cert_body("Certified")).await;
    for (collection, item) in [("/v1/blog/posts", &post), ("/v1/projects", &project)] {
        s.publish(collection, item["id"].as_str().unwrap()).await;
    }
    let from_linkedin = json!({ "referrer": "https://lnkd.in/x", "url": "https://me.example/" });
    s.send(
        Method::POST,
        "/v1/visitors/track",
        None,
        Some(from_linkedin),
    )
    .await;
    let view = json!({ "contentType": "blog", "contentId": post["id"] });
    let r = s
        .send(Method::POST, "/v1/analytics/track", None, Some(view))
        .await;
    assert_eq!(r.body["tracked"], true, "{}", r.body);
    s
}

async fn export_text(s: &TestServer) -> String {
    let records = portable::export(s.server.app.store.as_ref()).await.unwrap();
    portable::to_lines(&records).unwrap()
}

async fn import_text(s: &TestServer, text: &str, dry_run: bool) -> Summary {
    portable::import(
        s.server.app.store.as_ref(),
        None,
        text,
        "us-east-1",
        dry_run,
        |_, _| {},
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn embedded_to_dynamodb_and_back_loses_nothing_and_doubles_nothing() {
    let source = populated().await;
    let first = export_text(&source).await;
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"type":"header","format":"folio-export","version":1}"#
    );
    assert!(first.contains(r#""publishedAt":"2019-05-01""#));
    assert!(first.contains(r#"{"type":"visitors","total":1}"#));
    assert!(first.contains(r#"{"type":"totalViews","views":1}"#));
    assert_eq!(first.matches(r#"{"type":"revision""#).count(), 3);
    assert_eq!(first.matches(r#"{"type":"trashed""#).count(), 1);
    // The analytics travel as each day's tallies of each table.
    for table in ["audience", "profiles", "profileReading", "readership"] {
        let record = format!(r#"{{"type":"dayTallies","table":"{table}","day":"#);
        assert_eq!(first.matches(&record).count(), 1, "{table}: {first}");
    }
    assert!(first.contains(r#""src:LinkedIn":1"#));

    let aws = TestServer::spawn_moto().await;
    let summary = import_text(&aws, &first, true).await;
    assert!(summary.created >= 8, "dry run: {summary}");
    assert_eq!(
        export_text(&aws).await.lines().count(),
        3,
        "a dry run writes nothing (header and two zero totals)"
    );
    let summary = import_text(&aws, &first, false).await;
    assert_eq!(
        (summary.updated, summary.skipped.len()),
        (0, 0),
        "{summary}"
    );
    assert_eq!(
        export_text(&aws).await,
        first,
        "DynamoDB holds what was exported"
    );
    let again = import_text(&aws, &first, false).await;
    assert_eq!(
        (again.created, again.updated),
        (0, 0),
        "importing again changes nothing: {again}"
    );
    assert_eq!(export_text(&aws).await, first);
    // What the API serves from the imported table: the dated post, public, with its date.
    let list = aws.get("/v1/blog/posts", None).await;
    assert_eq!(list.body["posts"][0]["publishedAt"], "2019-05-01");
    assert_eq!(aws.get("/v1/visitors/count", None).await.body["count"], 1);
    // The audience moved too, filters and what each visit read included.
    let narrowed = aws
        .audience(7, Some(&json!({ "sources": "LinkedIn" })))
        .await;
    assert_eq!(narrowed.body["totals"]["visitors"], 1, "{}", narrowed.text);
    assert_eq!(narrowed.body["content"][0]["views"], 1, "{}", narrowed.text);

    // And back into a fresh embedded store.
    let back = TestServer::spawn().await;
    import_text(&back, &export_text(&aws).await, false).await;
    assert_eq!(export_text(&back).await, first);
}

async fn revision_titles(s: &TestServer, path: &str) -> Vec<(u64, String)> {
    let r = s
        .owner(Method::GET, &format!("{path}/revisions"), None)
        .await;
    r.body["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["version"].as_u64().unwrap(),
                r["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// An item's history moves with it: the target lists the same revisions, can
/// restore one and the deleted item, and its next save keeps the version it
/// replaces instead of overwriting one the file brought.
#[tokio::test]
async fn the_history_and_the_trash_move_with_an_export_and_go_on_in_the_target() {
    let source = TestServer::spawn().await;
    let post = source
        .create("/v1/blog/posts", blog_body("Version one"))
        .await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}");
    for title in ["Version two", "Version three"] {
        let r = source
            .owner(Method::PUT, &path, Some(json!({ "title": title })))
            .await;
        assert_eq!(r.status, 200);
    }
    let gone = source.create("/v1/projects", project_body("Deleted")).await;
    let gone_id = gone["id"].as_str().unwrap();
    source
        .owner(Method::DELETE, &format!("/v1/projects/{gone_id}"), None)
        .await;
    let text = export_text(&source).await;

    let target = TestServer::spawn_moto().await;
    let summary = import_text(&target, &text, false).await;
    assert!(
        summary.skipped.is_empty(),
        "{summary}: {:?}",
        summary.skipped
    );
    assert_eq!(
        revision_titles(&target, &path).await,
        revision_titles(&source, &path).await
    );
    let r = target
        .owner(Method::PUT, &path, Some(json!({ "title": "Version four" })))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        revision_titles(&target, &path).await,
        [
            (3, "Version three".to_string()),
            (2, "Version two".to_string()),
            (1, "Version one".to_string())
        ],
        "the target's save kept version 3 and left the file's two alone"
    );
    let r = target
        .owner(
            Method::POST,
            &format!("/v1/trash/project/{gone_id}/restore"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "Deleted");
}

#[tokio::test]
async fn an_invalid_record_is_named_and_skipped_and_nothing_of_it_is_written() {
    let source = populated().await;
    let text = export_text(&source).await;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let blog = lines
        .iter()
        .position(|l| l.starts_with(r#"{"type":"blog""#))
        .unwrap();
    let mut record: Value = serde_json::from_str(&lines[blog]).unwrap();
    record["item"]["title"] = json!("   ");
    lines[blog] = record.to_string();
    lines.push("not json".into());
    // A day's tallies with a negative count is refused whole, by name.
    let day = chrono::Utc::now().date_naive();
    let tallies = json!({ "type": "dayTallies", "table": "audience", "day": day.to_string(),
                          "tallies": { "src:Nowhere": 2, "dev:Desktop": -1 } });
    lines.push(tallies.to_string());
    // One too large for a row (1,100 names of 380 bytes: 418 KB) is refused
    // whole too, before anything of it is written.
    let huge: serde_json::Map<String, Value> = (0..1100)
        .map(|n| (format!("src:Huge{n:04}{}", "x".repeat(372)), json!(1)))
        .collect();
    let huge = json!({ "type": "dayTallies", "table": "audience", "day": day.to_string(), "tallies": huge });
    lines.push(huge.to_string());
    let target = TestServer::spawn().await;
    let summary = import_text(&target, &(lines.join("\n") + "\n"), false).await;
    assert_eq!(summary.skipped.len(), 4, "{summary}: {:?}", summary.skipped);
    assert!(
        summary.skipped[3].contains("item limit"),
        "{:?}",
        summary.skipped
    );
    assert!(
        summary.skipped[2].contains("'tallies'") && summary.skipped[2].contains("dev:Desktop"),
        "{:?}",
        summary.skipped
    );
    let audience = target.audience(1, None).await;
    assert!(!audience.text.contains("Nowhere"), "{}", audience.text);
    assert!(
        !audience.text.contains("Huge"),
        "nothing of the large record was written"
    );
    assert!(
        summary.skipped[0].starts_with(&format!("line {}: 'title'", blog + 1)),
        "{:?}",
        summary.skipped
    );
    let id = record["item"]["id"].as_str().unwrap();
    target
        .owner(Method::GET, &format!("/v1/blog/posts/{id}"), None)
        .await
        .error(404);
    let wrong = portable::import(
        target.server.app.store.as_ref(),
        None,
        "{\"type\":\"visitors\",\"total\":1}\n",
        "local",
        false,
        |_, _| {},
    )
    .await;
    assert!(wrong.is_err(), "a file without the header is refused whole");
}

/// A file that carries images, imported where there is no media storage (an AWS
/// target without MEDIA_BUCKET): the content goes in, the images are named as
/// left out with the settings that would bring them, and nothing is refused.
#[tokio::test]
async fn images_without_a_media_storage_are_named_and_the_content_still_imports() {
    let target = TestServer::spawn().await;
    let png = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"\x89PNG\r\n\x1a\nbytes",
    );
    let mut post = blog_body("With a picture");
    post["content"] = json!("![p](http://127.0.0.1:8080/media/abc.png)");
    let fields = folio_shared::domain::Fields::parse(
        post.to_string().as_bytes(),
        &<folio_shared::domain::BlogPost as folio_shared::domain::Content>::writable(),
    )
    .unwrap();
    let meta = serde_json::from_value(json!({ "id": "with-picture", "status": "draft",
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z" }))
    .unwrap();
    let item =
        <folio_shared::domain::BlogPost as folio_shared::domain::Content>::create(&fields, meta)
            .unwrap();
    let text = portable::to_lines(&[
        portable::Record::Header {
            format: portable::FORMAT.into(),
            version: portable::VERSION,
        },
        portable::Record::Blog { item },
        portable::Record::Media {
            name: "abc.png".into(),
            content_type: "image/png".into(),
            data: png,
        },
    ])
    .unwrap();
    let summary = portable::import(
        target.server.app.store.as_ref(),
        None,
        &text,
        "local",
        false,
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 1, "{summary}");
    assert_eq!(summary.images_stored, 0);
    assert!(
        summary
            .skipped
            .iter()
            .any(|s| s.contains("1 images") && s.contains("MEDIA_BUCKET")),
        "{:?}",
        summary.skipped
    );
}

/// A store where someone saves item `id` just before each of the next `saves`
/// transactions: every write of it the import makes meets a newer version.
struct SavedMeanwhile {
    inner: std::sync::Arc<dyn folio_origin::ports::Store>,
    id: folio_shared::domain::ItemId,
    saves: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl folio_origin::ports::Store for SavedMeanwhile {
    async fn get(
        &self,
        key: &folio_origin::ports::Key,
    ) -> Result<Option<folio_origin::ports::Item>, folio_origin::ports::StoreError> {
        self.inner.get(key).await
    }

    async fn get_with(
        &self,
        key: &folio_origin::ports::Key,
        attributes: folio_origin::ports::store::Attributes,
    ) -> Result<Option<folio_origin::ports::Item>, folio_origin::ports::StoreError> {
        self.inner.get_with(key, attributes).await
    }

    async fn get_many(
        &self,
        keys: &[folio_origin::ports::Key],
    ) -> Result<Vec<Option<folio_origin::ports::Item>>, folio_origin::ports::StoreError> {
        self.inner.get_many(keys).await
    }

    async fn query(
        &self,
        query: &folio_origin::ports::Query,
    ) -> Result<Vec<folio_origin::ports::Item>, folio_origin::ports::StoreError> {
        self.inner.query(query).await
    }

    async fn transact(
        &self,
        writes: Vec<folio_origin::ports::Write>,
    ) -> Result<(), folio_origin::ports::StoreError> {
        use folio_origin::repo::content as repo;
        use folio_shared::domain::Content;
        use std::sync::atomic::Ordering;
        if self
            .saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let stored = repo::get::<folio_shared::domain::BlogPost>(self.inner.as_ref(), &self.id)
                .await
                .unwrap()
                .unwrap();
            let mut next = stored.item.clone();
            next.meta_mut().updated_at = folio_shared::domain::Timestamp::now();
            repo::replace(
                self.inner.as_ref(),
                &stored,
                next,
                "us-east-1",
                &folio_origin::repo::history::Author::new("the console"),
            )
            .await
            .unwrap();
        }
        self.inner.transact(writes).await
    }
}

/// An import that meets a save of the same item between its read and its write
/// reads the item again and replaces the newest, as it would have a moment
/// later; one that keeps meeting saves says so by the item's id.
#[tokio::test]
async fn an_import_racing_a_save_of_the_same_item_replaces_the_newest() {
    let s = TestServer::spawn().await;
    let post = s
        .create("/v1/blog/posts", blog_body("As it was exported"))
        .await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/v1/blog/posts/{id}");
    let exported = export_text(&s).await;
    s.owner(
        Method::PUT,
        &path,
        Some(json!({ "title": "Changed since" })),
    )
    .await;
    let racing = |saves| SavedMeanwhile {
        inner: s.server.app.store.clone(),
        id: folio_shared::domain::ItemId::parse("id", id).unwrap(),
        saves: std::sync::atomic::AtomicUsize::new(saves),
    };
    let store = racing(1);
    let summary = portable::import(&store, None, &exported, "us-east-1", false, |_, _| {})
        .await
        .unwrap();
    assert_eq!((summary.updated, summary.skipped.len()), (1, 0));
    let now = s.owner(Method::GET, &path, None).await;
    assert_eq!(now.body["title"], "As it was exported", "{}", now.body);

    s.owner(
        Method::PUT,
        &path,
        Some(json!({ "title": "Changed again" })),
    )
    .await;
    let store = racing(usize::MAX);
    let error = portable::import(&store, None, &exported, "us-east-1", false, |_, _| {})
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains(id) && error.contains("try the import again"),
        "{error}"
    );
}
