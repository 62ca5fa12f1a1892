//! What ships, end to end: `dist/edge.zip` under the real `awslambdaric` and the
//! origin `bootstrap` from `dist/origin.zip`, each behind a Runtime API served by
//! this test, with the CloudFront stand-in between them, on the AWS adapters
//! against moto; and the media function from `dist/media.zip` on S3's events. Run twice: with OAC's SigV4 value reaching the origin in
//! `Authorization`, and with no `Authorization` at all.
//!
//! `folio package all` must have built `dist/` first (`./scripts/test` does).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::support::moto::{AwsFixture, Moto, REGION};
use crate::support::runtime_api::{Outcome, RuntimeApi};
use crate::support::{OWNER_EMAIL, OWNER_PASSWORD, audience_query, blog_body};
use async_trait::async_trait;
use bytes::Bytes;
use folio::standin::cache::ResponseCache;
use folio::standin::function_url::AuthorizationAfterOac;
use folio::standin::{Distribution, FunctionError, LambdaFunction, OriginHealth, StandinConfig};
use folio_edge::config::{EdgeSettings, RunMode};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};

fn root() -> PathBuf {
    folio_testkit::package_dir()
}

fn shipped(name: &str) -> PathBuf {
    let zip = root().join("dist").join(name);
    assert!(
        zip.exists(),
        "{} is missing: build the packages first with `folio package all` (./scripts/test does)",
        zip.display()
    );
    zip
}

fn unpack(zip: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    folio_edge::package::unzip(zip, dir.path()).expect("the zip unpacks");
    dir
}

/// A function running as its own process, invoked through a Runtime API.
struct ViaRuntimeApi(RuntimeApi);

#[async_trait]
impl LambdaFunction for ViaRuntimeApi {
    async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
        match self.0.invoke(event, Duration::from_secs(30)).await {
            Outcome::Response(value) => Ok(value),
            Outcome::Error(error) => Err(FunctionError::new(error)),
        }
    }
}

/// The function's output, kept beside it to explain a failed start.
fn log(task: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(task.join("function.log"))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

/// Waits for a function's first `/next`, or fails with what it printed.
async fn ready(api: &RuntimeApi, task: &Path, name: &str, process: &mut Running) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !api.ready() {
        if std::time::Instant::now() > deadline || api.init_error().is_some() {
            let output = std::fs::read_to_string(task.join("function.log")).unwrap_or_default();
            panic!(
                "the {name} never asked for an event (init error {:?}, process {:?}); it printed:\n{output}",
                api.init_error(),
                process.0.try_wait()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bootstrap` of an unpacked `provided.al2023` zip as Lambda starts it: only
/// the runtime's variables (the Runtime API, the function's name, memory and
/// version, its Region) and credentials for moto at `moto`; its output beside it.
fn provided(
    task: &Path,
    api: &RuntimeApi,
    moto: &Moto,
    name: &str,
    memory_mb: &str,
    region: &str,
) -> Command {
    let mut command = Command::new(task.join("bootstrap"));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", region)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .stdout(log(task))
        .stderr(log(task));
    command
}

/// The origin as Lambda runs `provided.al2023`: `bootstrap` from the zip, with the
/// template's environment.
fn start_origin(task: &Path, api: &RuntimeApi, moto: &Moto, fixture: &AwsFixture) -> Running {
    start_origin_in(task, api, moto, fixture, REGION)
}

/// The origin in `region`, in a site whose home is [`REGION`] (the template's and
/// replica.yaml's environment).
fn start_origin_in(
    task: &Path,
    api: &RuntimeApi,
    moto: &Moto,
    fixture: &AwsFixture,
    region: &str,
) -> Running {
    let s = &fixture.settings;
    let child = provided(task, api, moto, "folio-origin", "256", region)
        .env("HOME_REGION", REGION)
        .env("FOLIO_ADAPTERS", "aws")
        .env("TABLE_NAME", &s.table_name)
        .env("USER_POOL_ID", &s.user_pool_id)
        .env("USER_POOL_CLIENT_ID", &s.client_id)
        .env("JWKS_URL", &s.jwks_url)
        .spawn()
        .expect("the origin bootstrap starts");
    Running(child)
}

/// The edge as Lambda@Edge runs python3.12: `python -m awslambdaric
/// handler.handler` in the unpacked zip, its settings baked for this user pool.
async fn start_edge(task: &Path, api: &RuntimeApi, fixture: &AwsFixture) -> Running {
    let s = &fixture.settings;
    let settings = EdgeSettings {
        user_pool_id: s.user_pool_id.clone(),
        client_id: s.client_id.clone(),
        owner_group: s.owner_group.clone(),
        allowed_origins: vec!["https://portfolio.example".into()],
        jwks_url: Some(s.jwks_url.clone()),
        issuer: None,
        mode: RunMode::Exec,
        metrics: false,
    };
    let jwks = reqwest::get(&s.jwks_url)
        .await
        .expect("moto serves the pool's JWKS")
        .text()
        .await
        .unwrap();
    std::fs::write(
        task.join(folio_edge::config::CONFIG_FILE),
        serde_json::to_vec(&settings).unwrap(),
    )
    .unwrap();
    std::fs::write(task.join(folio_edge::config::JWKS_FILE), jwks).unwrap();
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "the venv with awslambdaric is missing: run ./scripts/test (it installs it)"
    );
    let child = Command::new(python)
        .args(["-m", "awslambdaric", "handler.handler"])
        .current_dir(task)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
        .env("LAMBDA_TASK_ROOT", task)
        .env("_HANDLER", "handler.handler")
        .env("AWS_LAMBDA_FUNCTION_NAME", "us-east-1.folio-edge")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "us-east-1")
        .stdout(log(task))
        .stderr(log(task))
        .spawn()
        .expect("awslambdaric starts");
    Running(child)
}

struct Viewer<'a> {
    distribution: &'a Arc<Distribution>,
}

impl Viewer<'_> {
    /// The owner's sign-in through the distribution: their token.
    async fn sign_in(&self, case: &str) -> String {
        let (status, login) = self
            .call(
                Method::POST,
                "/v1/auth/login",
                &[],
                Some(json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD })),
            )
            .await;
        assert_eq!(status, 200, "{case}: owner sign-in: {login}");
        login["token"].as_str().unwrap().to_string()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut map = HeaderMap::new();
        map.insert(
            "user-agent",
            HeaderValue::from_static("Mozilla/5.0 (artifacts)"),
        );
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let body = match body {
            Some(b) => {
                map.insert("content-type", HeaderValue::from_static("application/json"));
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let reply = self
            .distribution
            .handle(
                method,
                &path.parse().unwrap(),
                &map,
                body,
                "203.0.113.50:41000".parse().unwrap(),
            )
            .await;
        let value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (reply.status, value)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_edge_and_origin_serve_the_api_through_the_stand_in_on_moto() {
    let edge_zip = shipped("edge.zip");
    let origin_zip = shipped("origin.zip");
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;

    for after_oac in [
        AuthorizationAfterOac::Signature,
        AuthorizationAfterOac::Absent,
    ] {
        let origin_task = unpack(&origin_zip);
        let edge_task = unpack(&edge_zip);
        let origin_api = RuntimeApi::start().await;
        let edge_api = RuntimeApi::start().await;
        let mut origin = start_origin(origin_task.path(), &origin_api, &moto, &fixture);
        let mut edge = start_edge(edge_task.path(), &edge_api, &fixture).await;
        ready(&origin_api, origin_task.path(), "origin", &mut origin).await;
        ready(&edge_api, edge_task.path(), "edge", &mut edge).await;
        let distribution = Distribution::new(
            Arc::new(ViaRuntimeApi(edge_api)),
            Arc::new(ViaRuntimeApi(origin_api)),
            Arc::new(ResponseCache::new(1 << 20)),
            StandinConfig {
                allowed_origins: vec!["https://portfolio.example".into()],
                authorization_after_oac: after_oac,
                ..StandinConfig::default()
            },
        );
        let viewer = Viewer {
            distribution: &distribution,
        };
        let case = format!("{after_oac:?}");

        let token = viewer.sign_in(&case).await;
        let bearer = format!("Bearer {token}");
        let owner = [("authorization", bearer.as_str())];

        let title = format!("Shipped {case}");
        let (status, post) = viewer
            .call(
                Method::POST,
                "/v1/blog/posts",
                &owner,
                Some(blog_body(&title)),
            )
            .await;
        assert_eq!(status, 201, "{case}: create: {post}");
        let id = post["id"].as_str().unwrap().to_string();
        let (status, draft) = viewer
            .call(Method::GET, &format!("/v1/blog/posts/{id}"), &owner, None)
            .await;
        assert_eq!(
            (status, draft["status"].as_str()),
            (200, Some("draft")),
            "{case}"
        );
        let (status, _) = viewer
            .call(Method::GET, &format!("/v1/blog/posts/{id}"), &[], None)
            .await;
        assert_eq!(status, 404, "{case}: the public never sees a draft");
        let (status, published) = viewer
            .call(
                Method::POST,
                &format!("/v1/blog/posts/{id}/publish"),
                &owner,
                None,
            )
            .await;
        assert_eq!(status, 200, "{case}: publish: {published}");
        let (status, list) = viewer.call(Method::GET, "/v1/blog/posts", &[], None).await;
        assert_eq!(status, 200, "{case}");
        assert!(
            list["posts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["title"] == title.as_str()),
            "{case}: {list}"
        );
        // The owner's console ships inside the origin zip and keeps its own CSP
        // through the response headers policy (`Override: false` for that header).
        let page = distribution
            .handle(
                Method::GET,
                &"/admin/".parse().unwrap(),
                &HeaderMap::new(),
                Bytes::new(),
                "203.0.113.50:41000".parse().unwrap(),
            )
            .await;
        assert_eq!(page.status, 200, "{case}: console page");
        assert_eq!(
            page.headers["content-security-policy"],
            folio_shared::policy::console_csp(None),
            "{case}"
        );
        assert!(
            String::from_utf8_lossy(&page.body).contains("<title>folio console</title>"),
            "{case}"
        );
        // A new visitor per variant (one table for both): a browser of its own.
        let agent = format!("Mozilla/5.0 (artifacts {case})");
        // It came from LinkedIn and claims a country of its own: the country the
        // origin records is CloudFront's (the stand-in maps 203.0.113.0/24 to JP).
        let (status, tracked) = viewer
            .call(
                Method::POST,
                "/v1/visitors/track",
                &[("user-agent", &agent), ("cloudfront-viewer-country", "ZZ")],
                Some(json!({ "referrer": "https://lnkd.in/share", "url": "https://me.example/" })),
            )
            .await;
        assert_eq!(
            (status, tracked["tracked"].as_bool()),
            (200, Some(true)),
            "{case}"
        );
        let (status, audience) = viewer
            .call(Method::GET, "/v1/visitors/audience?days=1", &owner, None)
            .await;
        assert_eq!(status, 200, "{case}: {audience}");
        let values = |table: &str| -> Vec<String> {
            audience[table]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["value"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(values("countries"), ["JP"], "{case}");
        assert!(
            values("sources").contains(&"LinkedIn".to_string()),
            "{case}: {audience}"
        );

        // The tracking script, a view and its engagement beacon, as a site's page
        // sends them (text/plain, no preflight).
        let script = distribution
            .handle(
                Method::GET,
                &"/v1/tracker/3.js".parse().unwrap(),
                &HeaderMap::new(),
                Bytes::new(),
                "203.0.113.50:41000".parse().unwrap(),
            )
            .await;
        assert_eq!(script.status, 200, "{case}: tracker script");
        assert!(
            String::from_utf8_lossy(&script.body).contains("sendBeacon"),
            "{case}: the script itself"
        );
        let item = json!({ "contentType": "blog", "contentId": id });
        let (status, viewed) = viewer
            .call(
                Method::POST,
                "/v1/analytics/track",
                &[("user-agent", &agent)],
                Some(item.clone()),
            )
            .await;
        assert_eq!(
            (status, viewed["tracked"].as_bool()),
            (200, Some(true)),
            "{case}: {viewed}"
        );
        let mut engaged = item.clone();
        engaged["seconds"] = json!(40);
        engaged["scrolled"] = json!(80);
        let (status, read) = viewer
            .call(
                Method::POST,
                "/v1/analytics/engagement",
                &[
                    ("user-agent", &agent),
                    ("content-type", "text/plain;charset=UTF-8"),
                ],
                Some(engaged),
            )
            .await;
        assert_eq!(
            (status, read["read"].as_bool()),
            (200, Some(true)),
            "{case}: {read}"
        );

        // A share link's audience, narrowed: the viewer function keeps `q`, the
        // edge lets the token-less public route through.
        let (status, share) = viewer
            .call(Method::POST, "/v1/visitors/shares", &owner, None)
            .await;
        assert_eq!(status, 201, "{case}: share: {share}");
        let query = audience_query(1, Some(&json!({ "sources": "LinkedIn" })));
        let path = format!("{}?{query}", share["path"].as_str().unwrap());
        let (status, shared) = viewer.call(Method::GET, &path, &[], None).await;
        assert_eq!(status, 200, "{case}: shared audience: {shared}");
        assert_eq!(shared["filter"], json!({ "sources": "LinkedIn" }), "{case}");
        assert_eq!(shared["countries"][0]["value"], "JP", "{case}: {shared}");
        assert!(
            shared["content"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["contentId"] == id.as_str() && c["reads"] == 1),
            "{case}: the read, published: {shared}"
        );

        // A viewer who sends the hand-off header with a stolen (valid) token and no
        // valid Authorization creates nothing.
        let stolen = token.as_str();
        for extra in [None, Some("Bearer forged.token.value")] {
            let mut headers = vec![("x-folio-caller-token", stolen)];
            if let Some(a) = extra {
                headers.push(("authorization", a));
            }
            let (status, _) = viewer
                .call(
                    Method::POST,
                    "/v1/blog/posts",
                    &headers,
                    Some(blog_body("Smuggled")),
                )
                .await;
            assert_eq!(status, 401, "{case}: smuggled caller header");
        }
        let stats = &distribution.stats;
        use std::sync::atomic::Ordering::Relaxed;
        assert_eq!(stats.validation_failures.load(Relaxed), 0, "{case}");
        assert_eq!(stats.iam_refusals.load(Relaxed), 0, "{case}");
    }
}

/// A global table's replication, as this test does it: moto keeps each Region's
/// tables apart, so the other Region gets the table and a copy of every row the
/// home Region has now (DynamoDB copies asynchronously; here, at a known moment).
async fn replicate(moto: &Moto, table: &str, to: &str) {
    let sdk = moto.sdk().await;
    let home = aws_sdk_dynamodb::Client::new(&sdk);
    let other = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .region(aws_sdk_dynamodb::config::Region::new(to.to_string()))
            .build(),
    );
    folio::dynamo_admin::create_table(&other, table)
        .await
        .expect("the replica's table");
    let mut start = None;
    loop {
        let page = home
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan of the home Region's table");
        for item in page.items() {
            other
                .put_item()
                .table_name(table)
                .set_item(Some(item.clone()))
                .send()
                .await
                .expect("row copied");
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
}

/// The shipped origin in two Regions behind the stand-in: with the home one
/// unreachable, a public read and the owner's own read come from the other
/// Region's `bootstrap` after the origin's connection attempts, a change answers
/// CloudFront's 502 and reaches neither, a visit the tracking script resends
/// with `?failover=1` is counted by the other Region's `bootstrap`, and once the
/// home Region is back the change goes through there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_origin_in_two_regions_answers_reads_while_the_home_one_is_down() {
    const OTHER: &str = "eu-west-1";
    let (edge_zip, origin_zip) = (shipped("edge.zip"), shipped("origin.zip"));
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let (home_task, other_task, edge_task) =
        (unpack(&origin_zip), unpack(&origin_zip), unpack(&edge_zip));
    let (home_api, other_api, edge_api) = (
        RuntimeApi::start().await,
        RuntimeApi::start().await,
        RuntimeApi::start().await,
    );
    let mut home = start_origin_in(home_task.path(), &home_api, &moto, &fixture, REGION);
    let mut other = start_origin_in(other_task.path(), &other_api, &moto, &fixture, OTHER);
    let mut edge = start_edge(edge_task.path(), &edge_api, &fixture).await;
    ready(&home_api, home_task.path(), "home origin", &mut home).await;
    ready(&other_api, other_task.path(), "other origin", &mut other).await;
    ready(&edge_api, edge_task.path(), "edge", &mut edge).await;
    let distribution = Distribution::regional(
        Arc::new(ViaRuntimeApi(edge_api)),
        vec![
            (
                REGION.to_string(),
                Arc::new(ViaRuntimeApi(home_api)) as Arc<dyn LambdaFunction>,
            ),
            (
                OTHER.to_string(),
                Arc::new(ViaRuntimeApi(other_api)) as Arc<dyn LambdaFunction>,
            ),
        ],
        Arc::new(ResponseCache::new(1 << 20)),
        StandinConfig::default(),
    );
    let viewer = Viewer {
        distribution: &distribution,
    };
    let bearer = format!("Bearer {}", viewer.sign_in("two Regions").await);
    let owner = [("authorization", bearer.as_str())];
    let (status, post) = viewer
        .call(
            Method::POST,
            "/v1/blog/posts",
            &owner,
            Some(blog_body("Both Regions")),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let id = post["id"].as_str().unwrap();
    let (status, _) = viewer
        .call(
            Method::POST,
            &format!("/v1/blog/posts/{id}/publish"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, 200);
    replicate(&moto, &fixture.settings.table_name, OTHER).await;
    let requests = |i: usize| {
        distribution.origins()[i]
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(
        requests(1),
        0,
        "the other Region waits while the home one answers"
    );

    distribution.set_health(REGION, OriginHealth::Unreachable);
    let (status, list) = viewer
        .call(Method::GET, "/v1/blog/posts?limit=5", &[], None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["posts"][0]["title"], "Both Regions");
    let (status, own) = viewer
        .call(Method::GET, &format!("/v1/blog/posts/{id}"), &owner, None)
        .await;
    assert_eq!(
        (status, own["status"].as_str()),
        (200, Some("published")),
        "{own}"
    );
    assert_eq!(requests(1), 2, "both reads came from {OTHER}");
    let (status, _) = viewer
        .call(
            Method::POST,
            "/v1/blog/posts",
            &owner,
            Some(blog_body("Waits")),
        )
        .await;
    assert_eq!(status, 502, "a change never fails over");
    assert_eq!(requests(1), 2);
    // A visit: the first try meets the outage; tracker/3.js sends it again with
    // `?failover=1`, which the viewer function gives to the other Region.
    let visit = json!({ "url": "https://me.example/" });
    let (status, _) = viewer
        .call(Method::POST, "/v1/visitors/track", &[], Some(visit.clone()))
        .await;
    assert_eq!(status, 502);
    let (status, resent) = viewer
        .call(
            Method::POST,
            "/v1/visitors/track?failover=1",
            &[],
            Some(visit),
        )
        .await;
    assert_eq!(
        (status, resent["tracked"].as_bool()),
        (200, Some(true)),
        "counted in {OTHER}: {resent}"
    );
    assert_eq!(requests(1), 3);

    distribution.set_health(REGION, OriginHealth::Up);
    let (status, created) = viewer
        .call(
            Method::POST,
            "/v1/blog/posts",
            &owner,
            Some(blog_body("Back home")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(requests(1), 3);
}

/// The media function as Lambda runs `provided.al2023`: `bootstrap` from
/// `dist/media.zip` with the template's environment, invoked with S3's "Object
/// Created" as EventBridge delivers it (`origin/fixtures/s3-object-created.json`),
/// against a bucket on moto.
#[tokio::test]
async fn the_shipped_media_function_makes_an_uploads_smaller_copies_in_s3_on_moto() {
    use crate::support::pictures::{picture, size_of};
    use folio_origin::ports::media::{Dimensions, MediaObjects, content_name, smaller_name};
    let media_zip = shipped("media.zip");
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let objects = crate::ports::moto_bucket(&moto, &fixture).await;
    let bucket = objects.media.bucket.clone();

    let task = unpack(&media_zip);
    let api = RuntimeApi::start().await;
    let child = provided(task.path(), &api, &moto, "folio-media", "1024", REGION)
        .env("MEDIA_BUCKET", &bucket)
        .spawn()
        .expect("the media bootstrap starts");
    let mut running = Running(child);
    ready(&api, task.path(), "media function", &mut running).await;

    let event_for = |key: &str| {
        let mut event: Value =
            serde_json::from_str(include_str!("../origin/fixtures/s3-object-created.json"))
                .unwrap();
        event["detail"]["bucket"]["name"] = json!(bucket);
        event["detail"]["object"]["key"] = json!(key);
        event
    };
    let invoke = |event: Value| {
        let api = &api;
        async move {
            match api.invoke(event, Duration::from_secs(30)).await {
                Outcome::Response(value) => value,
                Outcome::Error(error) => panic!("the media function failed: {error}"),
            }
        }
    };

    let size = Dimensions {
        width: 1000,
        height: 600,
    };
    let jpeg = picture("image/jpeg", size.width, size.height);
    let name = content_name(&jpeg, "image/jpeg", Some(size)).unwrap();
    assert!(objects.put(&name, "image/jpeg", &jpeg).await.unwrap());
    let answer = invoke(event_for(&format!("media/{name}"))).await;
    let copies = answer["copies"].as_array().expect("copies made").clone();
    assert_eq!(copies.len(), 2, "{answer}");
    for (width, height) in [(960, 576), (480, 288)] {
        let copy = smaller_name(&name, width).unwrap();
        let webp = objects
            .get(&copy)
            .await
            .unwrap()
            .expect("stored in the bucket");
        assert_eq!(size_of(&webp), (width, height));
        // Its own copy raises an event too, which it ignores.
        let ignored = invoke(event_for(&format!("media/{copy}"))).await;
        assert!(ignored["ignored"].is_string(), "{ignored}");
    }

    // Not the size it declared: refused, and done (nothing to retry).
    let lying = content_name(
        &jpeg,
        "image/jpeg",
        Some(Dimensions {
            width: 10,
            height: 6,
        }),
    )
    .unwrap();
    objects.put(&lying, "image/jpeg", &jpeg).await.unwrap();
    let refused = invoke(event_for(&format!("media/{lying}"))).await;
    assert!(
        refused["refused"].as_str().unwrap().contains("declares"),
        "{refused}"
    );
    // Storage that lacks the upload is an error, for Lambda to retry.
    let missing = api
        .invoke(
            event_for("media/missing.100x100.png"),
            Duration::from_secs(30),
        )
        .await;
    assert!(matches!(missing, Outcome::Error(_)), "{missing:?}");
}

/// The shipped origin is a position-dependent executable (`origin/build.rs`):
/// its cold start applies no relative relocation, which as a PIE was a quarter
/// of the start's CPU and 1.7 MiB of its RSS. A build that loses the link flag
/// (another linker, a new profile) fails here, not in a benchmark read later.
#[test]
fn the_shipped_origin_loads_at_its_linked_address_and_relocates_nothing_at_start() {
    const ET_EXEC: u16 = 2;
    let dir = unpack(&shipped("origin.zip"));
    let binary = std::fs::read(dir.path().join("bootstrap")).unwrap();
    assert_eq!(&binary[..4], b"\x7fELF");
    let e_type = u16::from_le_bytes([binary[16], binary[17]]);
    assert_eq!(
        e_type, ET_EXEC,
        "ELF type {e_type}: the bootstrap was linked as a PIE"
    );
}
