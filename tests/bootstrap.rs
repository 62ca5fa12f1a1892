//! The origin `bootstrap` binary as Lambda runs it: started as a process, fed
//! Function URL events through a Runtime API served by this test, on DynamoDB and
//! Cognito as moto serves them.

use std::io::Read;
use std::time::Duration;

use crate::support::bootstrap::*;
use crate::support::moto::{AwsFixture, Moto};
use crate::support::runtime_api::{Outcome, RuntimeApi};
use crate::support::*;
use serde_json::{Value, json};

struct Answer {
    status: u64,
    headers: Value,
    body: Value,
}

async fn call(api: &RuntimeApi, event: Value) -> Answer {
    match api.invoke(event, Duration::from_secs(30)).await {
        Outcome::Response(r) => Answer {
            status: r["statusCode"].as_u64().expect("statusCode"),
            headers: r["headers"].clone(),
            body: r["body"]
                .as_str()
                .filter(|b| !b.is_empty())
                .map(|b| serde_json::from_str(b).expect("JSON body"))
                .unwrap_or(Value::Null),
        },
        Outcome::Error(e) => panic!("the function reported an error: {e}"),
    }
}

/// The owner's sign-in, through the function (Cognito behind it).
async fn sign_in(api: &RuntimeApi) -> Answer {
    let credentials = json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD });
    call(
        api,
        url_event("POST", "/v1/auth/login", None, Some(credentials)),
    )
    .await
}

/// A draft project named `name`, created by the owner; `featured` as given.
async fn create_project(api: &RuntimeApi, token: &str, name: &str, featured: bool) -> Answer {
    let project = json!({ "name": name, "description": "d", "longDescription": "ld",
                          "tech": ["Rust"], "company": "Acme", "featured": featured });
    call(
        api,
        url_event("POST", "/v1/projects", Some(token), Some(project)),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_the_api_through_the_runtime_api_on_moto() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let api = RuntimeApi::start().await;
    // Custom metrics cost money, so they are off unless turned on; on here.
    let mut child =
        start_bootstrap_with(&api.endpoint(), &moto, &fixture, &[("FOLIO_METRICS", "on")]);

    let login = sign_in(&api).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["user"]["role"], "owner");
    let token = login.body["token"].as_str().unwrap().to_string();

    let created = create_project(&api, &token, "Lambda", true).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();

    let public = call(&api, url_event("GET", "/v1/projects", None, None)).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.body["total"], 0, "a draft is not public");
    let published = call(
        &api,
        url_event(
            "POST",
            &format!("/v1/projects/{id}/publish"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.body);
    let public = call(
        &api,
        url_event("GET", "/v1/projects?featured=true", None, None),
    )
    .await;
    assert_eq!(public.body["total"], 1);
    assert!(
        public.headers["cache-control"]
            .as_str()
            .is_some_and(|c| c.contains("s-maxage")),
        "public answers are cacheable: {}",
        public.headers
    );

    // A scheduled item is published by the scheduler's tick (EventBridge
    // Scheduler's payload), once: the second tick finds nothing due.
    let draft = create_project(&api, &token, "Later", false).await;
    let later = draft.body["id"].as_str().unwrap().to_string();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let scheduled = call(
        &api,
        url_event(
            "POST",
            &format!("/v1/projects/{later}/schedule"),
            Some(&token),
            Some(json!({ "publishAt": at })),
        ),
    )
    .await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.body);
    assert_eq!(scheduled.body["status"], "scheduled");
    let tick: Value = serde_json::from_str(folio_origin::usecases::scheduler::TICK_EVENT).unwrap();
    let tick_result = |outcome| match outcome {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("the tick failed: {e}"),
    };
    let early = tick_result(api.invoke(tick.clone(), Duration::from_secs(30)).await);
    assert_eq!(early["published"], 0, "not due yet");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let due = tick_result(api.invoke(tick.clone(), Duration::from_secs(30)).await);
    assert_eq!(due["published"], 1);
    let again = tick_result(api.invoke(tick, Duration::from_secs(30)).await);
    assert_eq!(again["published"], 0, "published once");
    let public = call(
        &api,
        url_event("GET", &format!("/v1/projects/{later}"), None, None),
    )
    .await;
    assert_eq!(public.status, 200);
    assert_eq!(public.body["status"], "published");

    let first = call(&api, url_event("POST", "/v1/visitors/track", None, None)).await;
    let again = call(&api, url_event("POST", "/v1/visitors/track", None, None)).await;
    assert_eq!(
        (first.body["tracked"].clone(), again.body["tracked"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(again.body["count"], 1);

    let bad = call(
        &api,
        url_event(
            "POST",
            "/v1/projects",
            Some(&token),
            Some(json!({"name": null})),
        ),
    )
    .await;
    assert_eq!(bad.status, 400);
    let missing = call(&api, url_event("GET", "/v1/nothing-here", None, None)).await;
    assert_eq!(missing.status, 404);
    let forged = call(&api, url_event("GET", "/v1/auth/me", Some("a.b.c"), None)).await;
    assert_eq!(forged.status, 401);

    child.kill().unwrap();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
        .collect();
    // One span per invocation, carrying the id the Runtime API gave it (the
    // event's `requestContext.requestId` is another text here), one id per request.
    let handled: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "handled")
        .collect();
    assert!(handled.len() >= 10, "every request logs a line: {logs}");
    let mut ids = std::collections::HashSet::new();
    for line in &handled {
        assert_eq!(line["spans"].as_array().map(Vec::len), Some(1), "{line}");
        let id = line["span"]["request_id"].as_str().unwrap_or_default();
        assert!(id.starts_with("req-"), "the invocation's id: {line}");
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), handled.len(), "each request its own id");
    assert!(!logs.contains(&token), "no token is ever logged");
    let emf = lines
        .iter()
        .find(|l| l.get("VisitsTracked").is_some())
        .expect("a tracked visit is an embedded-metric-format line");
    assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], "folio");
    assert!(
        !logs.contains("203.0.113.7"),
        "no client address is ever logged"
    );
}

#[tokio::test]
async fn bootstrap_reports_missing_settings_as_an_init_error_naming_them() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    // A typo in the template (no TABLE_NAME at all) must not boot an empty local
    // store, and asking for one by name is refused with the command that runs it:
    // the Lambda links no embedded store.
    // (the settings given, the words the error must hold)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (
            &[
                ("TABLE_NAME", &fixture.settings.table_name),
                ("AWS_REGION", "us-east-1"),
            ],
            &["USER_POOL_ID", "USER_POOL_CLIENT_ID"],
        ),
        (&[], &["AWS_REGION", "TABLE_NAME", "USER_POOL_ID"]),
        (&[("FOLIO_ADAPTERS", "locale")], &["FOLIO_ADAPTERS"]),
        (
            &[
                ("FOLIO_ADAPTERS", "local"),
                ("TABLE_NAME", &fixture.settings.table_name),
                ("AWS_REGION", "us-east-1"),
                ("USER_POOL_ID", "us-east-1_Example"),
                ("USER_POOL_CLIENT_ID", "exampleclientid"),
            ],
            &["FOLIO_ADAPTERS", "folio serve"],
        ),
    ];
    for (settings, named) in cases {
        let api = RuntimeApi::start().await;
        let mut child = std::process::Command::new(crate::support::bins::origin_bootstrap())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .env("AWS_LAMBDA_FUNCTION_NAME", "folio-origin")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .envs(settings.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "start-up with {settings:?} fails");
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        for name in named {
            assert!(err.contains(name), "the error names {name}: {err}");
        }
    }
}

/// Every AWS endpoint is HTTPS in production; moto and DynamoDB Local are plain
/// HTTP. Here each sits behind a TLS proxy with a CA of its own, and the binary
/// trusts it as a user would: `SSL_CERT_FILE` for the SDK's clients (Cognito),
/// `AWS_CA_BUNDLE` for the store's own DynamoDB calls. Sign-in, a write and a
/// public read then cross TLS in the binary that ships, including the SDK's
/// client that reads its roots only on its first call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_makes_its_aws_calls_over_tls() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let services = tls::TlsProxy::start(&moto.endpoint).await;
    let dynamodb = match &fixture.settings.dynamodb.url {
        Some(engine) => tls::TlsProxy::start(engine).await,
        None => tls::TlsProxy::start(&moto.endpoint).await,
    };
    let api = RuntimeApi::start().await;
    let services_ca = services.ca_file().to_string_lossy().into_owned();
    let dynamodb_ca = dynamodb.ca_file().to_string_lossy().into_owned();
    let mut child = start_bootstrap_with(
        &api.endpoint(),
        &moto,
        &fixture,
        &[
            ("AWS_ENDPOINT_URL", &services.endpoint),
            ("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb.endpoint),
            ("SSL_CERT_FILE", &services_ca),
            ("AWS_CA_BUNDLE", &dynamodb_ca),
        ],
    );

    let public = call(&api, url_event("GET", "/v1/projects", None, None)).await;
    assert_eq!(public.status, 200, "a public read: {}", public.body);
    let login = sign_in(&api).await;
    assert_eq!(login.status, 200, "sign-in through Cognito: {}", login.body);
    let token = login.body["token"].as_str().unwrap().to_string();
    let created = create_project(&api, &token, "Over TLS", false).await;
    assert_eq!(created.status, 201, "a write: {}", created.body);
    let _ = child.kill();
    let _ = child.wait();
}
