//! What only the AWS adapters can show: failures of the services themselves, and
//! several Regions writing one (global) table.

use std::sync::Arc;

use crate::support::*;
use folio::serve::{self, Backend, ServeConfig};
use folio_origin::ports::keys;
use folio_origin::ports::{Query, Store};
use reqwest::Method;

fn assert_unavailable(r: &Resp, what: &str) {
    assert_eq!(r.status, 503, "{what}: {}", r.body);
    r.error(503);
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: 503 without a numeric Retry-After"));
    assert!(retry > 0);
}

#[tokio::test]
async fn moto_stopped_mid_run_answers_503_with_retry_after() {
    let mut s = TestServer::spawn_moto().await;
    let before = s.create("/v1/projects", project_body("Before")).await;
    s.moto.as_mut().unwrap().0.stop();

    let write = s
        .owner(Method::POST, "/v1/projects", Some(project_body("During")))
        .await;
    assert_unavailable(&write, "create while DynamoDB is down");
    let id = before["id"].as_str().unwrap();
    let read = s
        .get(&format!("/v1/projects/{id}"), Some(&s.owner_token))
        .await;
    assert_unavailable(&read, "owner read while DynamoDB is down");
    let track = s.send(Method::POST, "/v1/visitors/track", None, None).await;
    assert_unavailable(&track, "tracking while DynamoDB is down");
    let login = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_unavailable(&login, "sign-in while Cognito is down");
}

/// A missing table (a wrong TABLE_NAME, a deleted stack) is a clear 503 with
/// Retry-After on reads and writes, never a 500.
#[tokio::test]
async fn a_missing_table_answers_503_not_500() {
    let s = TestServer::spawn_moto().await;
    let fixture = &s.moto.as_ref().unwrap().1;
    folio::dynamo_admin::client(&fixture.settings, &fixture.sdk)
        .delete_table()
        .table_name(&fixture.settings.table_name)
        .send()
        .await
        .expect("table deleted");
    let read = s.get("/v1/projects?status=all", Some(&s.owner_token)).await;
    assert_unavailable(&read, "owner list without a table");
    let write = s
        .owner(Method::POST, "/v1/projects", Some(project_body("Nowhere")))
        .await;
    assert_unavailable(&write, "create without a table");
}

/// A write whose DynamoDB call times out answers 503; whatever DynamoDB did with
/// it, the post and its slug row are there together or not at all.
#[tokio::test]
async fn a_write_cut_off_by_a_hung_store_is_all_or_nothing() {
    let s = TestServer::spawn_moto().await;
    let pid = {
        let (moto, _) = s.moto.as_ref().unwrap();
        moto.pid()
    };
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    let write = s
        .owner(Method::POST, "/v1/blog/posts", Some(blog_body("Cut Off")))
        .await;
    signal("-CONT");
    assert_unavailable(&write, "create while DynamoDB hangs");

    let listed = s
        .get("/v1/blog/posts?status=all", Some(&s.owner_token))
        .await;
    assert_eq!(listed.status, 200);
    let in_list = listed.body["posts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["slug"] == "cut-off");
    let by_slug = s
        .get("/v1/blog/posts/by-slug/cut-off", Some(&s.owner_token))
        .await;
    assert_eq!(
        in_list,
        by_slug.status == 200,
        "post and slug row landed together or not at all"
    );
}

/// Requests open at once against moto: enough that the two Regions' counted
/// writes race on the same rows, few enough that moto's one-call-at-a-time
/// queue stays under the client's 3 s attempt timeout on a 2-core machine.
const MOTO_IN_FLIGHT: usize = 24;

/// Two origins in different Regions on one table: each increments its own
/// counter rows, and the sum is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_regions_writing_one_table_count_exactly() {
    let s = TestServer::spawn_moto().await;
    let fixture = &s.moto.as_ref().unwrap().1;
    let mut other_region = fixture.settings.clone();
    other_region.region = "eu-west-1".into();
    let dir = tempfile::tempdir().unwrap();
    let second = serve::start(ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        allowed_origins: vec![],
        token_ttl_secs: 600,
        backend: Backend::Aws {
            settings: Box::new(other_region),
            sdk: Box::new(fixture.sdk.clone()),
        },
        standin: Default::default(),
        faults: None,
        owner: None,
        site: None,
        webhooks: None,
        regions: None,
    })
    .await
    .unwrap();
    let bases = [s.base.clone(), second.base_url.clone()];

    // 100 visitors, each sending three tracks spread over both Regions, from
    // LinkedIn with one of three campaigns.
    let requests = (0..300).map(|i| {
        s.client
            .post(format!("{}/v1/visitors/track", bases[i % 2]))
            .header("user-agent", format!("Mozilla/5.0 visitor-{}", i % 100))
            .json(&serde_json::json!({
                "referrer": "https://lnkd.in/abc",
                "url": format!("https://me.example/?utm_campaign=c{}", i % 100 % 3),
            }))
    });
    let responses = TestServer::finish_all(requests, MOTO_IN_FLIGHT).await;
    assert_eq!(counted(&responses), 100);

    let store = Arc::new(
        fixture
            .settings
            .dynamodb_store(&fixture.sdk)
            .expect("store"),
    );
    let totals = store
        .query(&Query::table(keys::VISITS, keys::totals()))
        .await
        .unwrap();
    let regions: Vec<_> = totals.iter().map(|r| r.sk.as_str()).collect();
    assert_eq!(
        regions,
        ["TOTAL#eu-west-1", "TOTAL#us-east-1"],
        "one row per Region"
    );
    assert_eq!(totals.iter().map(|r| r.count).sum::<i64>(), 100);
    for base in &bases {
        let count = s
            .client
            .get(format!("{base}/v1/visitors/count"))
            .bearer_auth(&s.owner_token)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(count["count"], 100, "both Regions read the exact sum");
    }

    // 40 of the visitors view a post, then send two engagement beacons each, one
    // to each Region: one view and one read each. (Many at once: every counted
    // one commits on the same rows.)
    let post = s
        .create("/v1/blog/posts", blog_body("Read across Regions"))
        .await;
    let id = post["id"].as_str().unwrap().to_string();
    s.publish("/v1/blog/posts", &id).await;
    let item = serde_json::json!({ "contentType": "blog", "contentId": id });
    let mut beacon = item.clone();
    beacon["seconds"] = 40.into();
    beacon["scrolled"] = 10.into();
    for (path, body, rounds) in [
        ("/v1/analytics/track", &item, 1),
        ("/v1/analytics/engagement", &beacon, 2),
    ] {
        let requests = (0..40 * rounds).map(|i| {
            s.client
                .post(format!("{}{path}", bases[(i + i / 40) % 2]))
                .header("user-agent", format!("Mozilla/5.0 visitor-{}", i % 40))
                .header("content-type", "text/plain")
                .body(body.to_string())
        });
        let responses = TestServer::finish_all(requests, MOTO_IN_FLIGHT).await;
        assert_eq!(
            counted(&responses),
            40,
            "{path}: once per visitor, whichever Region"
        );
    }
    let audience = s
        .get("/v1/visitors/audience?days=1", Some(&s.owner_token))
        .await;
    assert_eq!(
        audience.body["totals"],
        serde_json::json!({ "visitors": 100, "views": 40, "reads": 40, "medianSeconds": 45 }),
        "{}",
        audience.text
    );
    assert_eq!(
        audience.body["sources"],
        serde_json::json!([{ "value": "LinkedIn", "visitors": 100 }])
    );
    let campaigns: i64 = audience.body["utmCampaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["visitors"].as_i64().unwrap())
        .sum();
    assert_eq!(
        campaigns, 100,
        "each visit's campaign once, whichever Region"
    );
    second.shutdown().await;
}
