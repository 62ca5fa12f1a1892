//! Two Regions behind the stand-in, on every backend: one table (or store) read
//! by the home Region's origin and another's, CloudFront's origin-group failover
//! between them, and what stays the home Region's alone.

use std::sync::atomic::Ordering;
use std::time::Duration;

use folio::standin::OriginHealth;
use folio_origin::usecases::scheduler;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

fn other_region_requests(s: &TestServer) -> u64 {
    s.server.pipeline.origins()[1]
        .requests
        .load(Ordering::SeqCst)
}

/// With the home Region's store endpoint down its origin answers 503, and
/// CloudFront asks the other Region's for reads (readers' and the owner's);
/// with its origin unreachable, the same after the origin's connection
/// attempts. A change is never sent elsewhere: it answers the home Region's
/// failure, and after recovery nothing is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_answer_from_the_other_region_while_the_home_region_is_down_and_changes_wait() {
    let s = TestServer::spawn_two_regions().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Written at home"))
        .await;
    let id = post["id"].as_str().unwrap();
    s.publish("/v1/blog/posts", id).await;
    s.create("/v1/blog/posts", blog_body("A draft")).await;
    assert_eq!(other_region_requests(&s), 0, "the other Region waits");

    s.faults.set_outage(true);
    let r = s.get("/v1/blog/posts?limit=7", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.post_titles(), ["Written at home"]);
    let r = s
        .get("/v1/blog/posts?status=draft&limit=7", Some(&s.owner_token))
        .await;
    assert_eq!(r.status, 200, "the owner's reads fail over too: {}", r.body);
    assert_eq!(r.post_titles(), ["A draft"]);
    let served_elsewhere = other_region_requests(&s);
    assert_eq!(served_elsewhere, 2);

    let r = s
        .owner(Method::POST, "/v1/blog/posts", Some(blog_body("Lost?")))
        .await;
    let error = r.error(503);
    assert!(
        error["message"].as_str().unwrap().contains("data store"),
        "{error}"
    );
    assert!(r.header("retry-after").is_some());
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(blog_body("Changed?")),
        )
        .await;
    r.error(503);
    assert_eq!(
        other_region_requests(&s),
        served_elsewhere,
        "a change never goes to the other Region"
    );
    s.faults.set_outage(false);

    s.server
        .pipeline
        .set_health(HOME_REGION, OriginHealth::Unreachable);
    let r = s.get("/v1/blog/posts?limit=8", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.post_titles(), ["Written at home"]);
    let r = s
        .owner(Method::POST, "/v1/blog/posts", Some(blog_body("Lost too?")))
        .await;
    assert_eq!(r.status, 502, "CloudFront's answer: no origin was reached");
    s.server.pipeline.set_health(HOME_REGION, OriginHealth::Up);
    assert!(s.server.pipeline.stats.failovers.load(Ordering::Relaxed) >= 3);

    let r = s
        .get("/v1/blog/posts?status=all&limit=20", Some(&s.owner_token))
        .await;
    let mut titles = r.post_titles();
    titles.sort_unstable();
    assert_eq!(
        titles,
        ["A draft", "Written at home"],
        "nothing lost or doubled"
    );
}

/// An owner's change that reaches another Region's origin (a caller going
/// around CloudFront) is refused before anything is read or written, naming
/// both Regions; that origin's tick does nothing.
#[tokio::test]
async fn the_other_regions_origin_refuses_changes_and_never_ticks() {
    let s = TestServer::spawn_two_regions().await;
    let other = s.server.other_app.clone().expect("two Regions");
    assert!(!other.regions.is_home());
    let response = folio_origin::http::handle(
        &other,
        folio_origin::http::request::Request {
            method: http::Method::POST,
            path: "/v1/blog/posts".into(),
            query: Vec::new(),
            headers: http::HeaderMap::new(),
            body: serde_json::to_vec(&blog_body("Sent around CloudFront")).unwrap(),
            client_address: "192.0.2.1:1".into(),
            request_id: "r-1".into(),
        },
    )
    .await;
    assert_eq!(response.status, 503);
    assert!(response.headers.contains_key("retry-after"));
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(HOME_REGION) && message.contains(OTHER_REGION),
        "{message}"
    );
    let report = scheduler::tick(&other, chrono::Utc::now()).await.unwrap();
    assert!(report.published.is_empty() && report.deliveries == 0);
    let r = s
        .get("/v1/blog/posts?status=all", Some(&s.owner_token))
        .await;
    assert_eq!(r.body["total"], 0, "nothing was written");
}

/// A post falls due while the home Region's store is down: the home
/// scheduler's tries fail, the other Region's origin does not tick, readers
/// (served by the other Region) do not see it; once the store is back it is
/// published, and invalidated, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_due_during_the_outage_is_published_once_after_recovery() {
    let s = TestServer::spawn_two_regions().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Due in the outage"))
        .await;
    let id = post["id"].as_str().unwrap();
    let r = s.schedule("/v1/blog/posts", id, json!(in_secs(1))).await;
    assert_eq!(r.status, 200, "{}", r.body);

    s.faults.set_outage(true);
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let other = s.server.other_app.clone().unwrap();
    let report = scheduler::tick(&other, chrono::Utc::now()).await.unwrap();
    assert!(
        report.published.is_empty(),
        "only the home Region publishes"
    );
    let r = s.get("/v1/blog/posts?limit=9", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.post_titles().is_empty(),
        "not published while the home Region is down"
    );

    s.faults.set_outage(false);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = s
            .get("/v1/blog/posts?status=all&limit=3", Some(&s.owner_token))
            .await;
        if r.body["posts"][0]["status"] == "published" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never published: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let views = format!("/v1/analytics/views/blog/{id}");
    let purges = s.invalidations_after_publish(&views).await;
    assert_eq!(
        purges,
        1,
        "published once: {:?}",
        s.server.purge.invalidated()
    );
}

/// A tracking beacon the home Region failed (its origin unreachable: CloudFront's
/// 502; its store down: folio's 503) is sent again by `tracker/3.js` with
/// `?failover=1`, which the viewer-request function sends to the other Region's
/// origin: counted there once, not again when resent, nor when the visitor
/// returns home after recovery; the count summed over Regions is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_the_home_region_failed_is_counted_once_by_the_other_region() {
    let s = TestServer::spawn_two_regions().await;
    let track = |ip, query| s.track_visit(ip, query);

    s.server
        .pipeline
        .set_health(HOME_REGION, OriginHealth::Unreachable);
    assert_eq!(track("127.0.0.2", "").await.status, 502);
    assert_eq!(other_region_requests(&s), 0, "a first try stays home");
    let resent = track("127.0.0.2", "?failover=1").await;
    assert_eq!(resent.status, 200, "{}", resent.text);
    assert_eq!(resent.body["tracked"], true);
    assert_eq!(
        track("127.0.0.2", "?failover=1").await.body["tracked"],
        false
    );
    assert_eq!(other_region_requests(&s), 2);
    s.server.pipeline.set_health(HOME_REGION, OriginHealth::Up);

    s.faults.set_outage(true);
    track("127.0.0.3", "").await.error(503);
    let resent = track("127.0.0.3", "?failover=1").await;
    assert_eq!(resent.body["tracked"], true, "{}", resent.text);
    s.faults.set_outage(false);

    for ip in ["127.0.0.2", "127.0.0.3"] {
        let home = track(ip, "").await;
        assert_eq!(home.body["tracked"], false, "{ip} was counted elsewhere");
    }
    assert_eq!(track("127.0.0.4", "").await.body["tracked"], true);
    assert_eq!(other_region_requests(&s), 3, "nothing else left home");
    let count = s.get("/v1/visitors/count", None).await;
    assert_eq!(count.body["count"], 3, "{}", count.body);

    // The visitor counted by the other Region views a post at home: the home
    // origin finds the visit's profile on its replicated marker, so the view
    // counts under the visit in a filtered audience too.
    let post = s.create("/v1/blog/posts", blog_body("Read at home")).await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let view = TestServer::finish(
        client_from("127.0.0.2")
            .post(format!("{}/v1/analytics/track", s.base))
            .header("user-agent", DESKTOP_CHROME)
            .json(&json!({ "contentType": "blog", "contentId": id })),
    )
    .await;
    assert_eq!(view.body["tracked"], true, "{}", view.text);
    let narrowed = s.audience(1, Some(&json!({ "landingPages": "/" }))).await;
    assert_eq!(
        narrowed.body["content"],
        json!([{ "contentType": "blog", "contentId": id, "views": 1, "reads": 0, "medianSeconds": null }]),
        "{}",
        narrowed.text
    );
}

/// Tracker 4.js sends the token a visit answered back with the page's view: the
/// other Region's origin, which did not count the visit, counts the view under
/// the visit's profile on the token's word (no read of the visit). The token
/// holds for its own visitor only: another visitor sending it is counted as a
/// visitor with no visit; text not shaped like a token is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_sent_with_its_visits_token_counts_under_that_visit_in_the_other_region() {
    let s = TestServer::spawn_two_regions().await;
    let post = s
        .create("/v1/blog/posts", blog_body("Read elsewhere"))
        .await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let visit = s.track_visit("127.0.0.2", "").await;
    assert_eq!(visit.body["tracked"], true, "{}", visit.text);
    s.conforms(&visit, "post", "/visitors/track").await;
    let token = visit.body["visit"]
        .as_str()
        .expect("a counted visit answers its token")
        .to_string();
    let s = &s;
    let view = |ip: &'static str, token: serde_json::Value| {
        let url = format!("{}/v1/analytics/track?failover=1", s.base);
        let body = json!({ "contentType": "blog", "contentId": id, "visit": token });
        async move {
            TestServer::finish(
                client_from(ip)
                    .post(url)
                    .header("user-agent", DESKTOP_CHROME)
                    .json(&body),
            )
            .await
        }
    };
    for bad in [
        json!(""),
        json!("not a token"),
        json!(42),
        json!(format!("{token}x")),
        json!(format!(" {token}")),
    ] {
        let refused = view("127.0.0.2", bad.clone()).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.text);
        assert!(refused.text.contains("visit"), "{}", refused.text);
    }
    let before = other_region_requests(s);
    let counted = view("127.0.0.2", json!(token)).await;
    assert_eq!(counted.body["tracked"], true, "{}", counted.text);
    assert_eq!(
        other_region_requests(s),
        before + 1,
        "the other Region's origin counted it"
    );
    let borrowed = view("127.0.0.3", json!(token)).await;
    assert_eq!(borrowed.body["tracked"], true, "{}", borrowed.text);
    let views = |r: &Resp| r.body["content"][0]["views"].clone();
    let everyone = s.audience(1, None).await;
    assert_eq!(views(&everyone), 2, "{}", everyone.text);
    let narrowed = s.audience(1, Some(&json!({ "landingPages": "/" }))).await;
    assert_eq!(
        views(&narrowed),
        1,
        "only the token's own visitor's view is the visit's: {}",
        narrowed.text
    );
}
