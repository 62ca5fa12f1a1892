//! Test support: a real `folio serve` on a random port, an HTTP client, token
//! forging with the local issuer's key, and response checks against the
//! project's own OpenAPI document.
#![allow(dead_code)]

pub mod bins;
pub mod bootstrap;
pub mod counting;
pub mod hooks;
pub mod moto;
pub mod pictures;
pub mod schema;

#[allow(unused_imports)] // the coldstart bench includes this module and uses only runtime_api
pub use folio_testkit::{runtime_api, tls};

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio::serve::{self, Backend, RunningServer, ServeConfig};
use folio::standin::StandinConfig;
use folio_origin::adapters::resilience::FaultPlan;
use folio_origin::wiring::local::Local;
use folio_shared::domain::Email;
use reqwest::Method;
use serde_json::{Value, json};

pub const OWNER_EMAIL: &str = "owner@folio.test";
pub const OWNER_PASSWORD: &str = "Correct-horse-battery-st4ple";
pub const READER_EMAIL: &str = "reader@folio.test";
/// The Regions of [`TestServer::spawn_two_regions`]: the home Region is the
/// stack's (us-east-1, where Lambda@Edge lives), as moto's fixture is.
pub const HOME_REGION: &str = "us-east-1";
pub const OTHER_REGION: &str = "eu-west-1";

/// Which adapters the end-to-end suites run on: `FOLIO_TEST_BACKEND=moto` runs them
/// on DynamoDB, Cognito and CloudFront as served by moto; anything else (or unset)
/// on the embedded store and local issuer.
pub fn backend_is_moto() -> bool {
    std::env::var("FOLIO_TEST_BACKEND").is_ok_and(|b| b == "moto")
}

pub struct TestServer {
    pub server: RunningServer,
    pub client: reqwest::Client,
    pub base: String,
    pub owner_token: String,
    pub refresh_token: String,
    pub data_dir: tempfile::TempDir,
    /// Failures to inject into the origin's store and identity ports.
    pub faults: FaultPlan,
    /// The other Region's, when there are two (`spawn_two_regions`).
    pub other_faults: Option<FaultPlan>,
    /// The moto server and what was created on it (moto backend only).
    pub moto: Option<(moto::Moto, moto::AwsFixture)>,
    spec: std::sync::OnceLock<Arc<Value>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body parsed, when it is JSON; `Null` otherwise.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Resp {
    /// The titles of a blog list answer, in the order listed.
    pub fn post_titles(&self) -> Vec<&str> {
        self.body["posts"]
            .as_array()
            .expect("a list of posts")
            .iter()
            .map(|p| p["title"].as_str().unwrap_or_default())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the shape of a folio error body and returns it.
    pub fn error(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body {}", self.body);
        assert_eq!(self.body["statusCode"], status, "{}", self.body);
        assert!(
            self.body["error"].is_string() && self.body["message"].is_string(),
            "{}",
            self.body
        );
        &self.body
    }
}

impl TestServer {
    /// The owner's audience of the last `days` days, narrowed to `filter`.
    pub async fn audience(&self, days: u32, filter: Option<&Value>) -> Resp {
        let path = format!("/v1/visitors/audience?{}", audience_query(days, filter));
        self.get(&path, Some(&self.owner_token)).await
    }

    /// A server on the backend `FOLIO_TEST_BACKEND` names, with the owner signed in.
    pub async fn spawn() -> Self {
        Self::spawn_on(backend_is_moto(), StandinConfig::default()).await
    }

    /// A server whose CloudFront stand-in is set up as given.
    pub async fn spawn_standin(standin: StandinConfig) -> Self {
        Self::spawn_on(backend_is_moto(), standin).await
    }

    /// A server on the AWS adapters against its own moto, whatever the environment.
    pub async fn spawn_moto() -> Self {
        Self::spawn_on(true, StandinConfig::default()).await
    }

    /// A server on the backend `FOLIO_TEST_BACKEND` names, notifying `hooks`.
    pub async fn spawn_with_webhooks(
        hooks: folio_origin::usecases::webhooks::WebhookSettings,
    ) -> Self {
        Self::spawn_full(
            backend_is_moto(),
            StandinConfig::default(),
            Some(hooks),
            None,
        )
        .await
    }

    /// A server with two origins over the one store: the home Region's
    /// ([`HOME_REGION`]) and [`OTHER_REGION`]'s, on the backend `FOLIO_TEST_BACKEND` names.
    pub async fn spawn_two_regions() -> Self {
        let regions = serve::TwoRegions {
            home: HOME_REGION.into(),
            other: OTHER_REGION.into(),
            other_faults: Some(FaultPlan::new()),
        };
        Self::spawn_full(
            backend_is_moto(),
            StandinConfig::default(),
            None,
            Some(regions),
        )
        .await
    }

    async fn spawn_on(moto: bool, standin: StandinConfig) -> Self {
        Self::spawn_full(moto, standin, None, None).await
    }

    async fn spawn_full(
        moto: bool,
        standin: StandinConfig,
        webhooks: Option<folio_origin::usecases::webhooks::WebhookSettings>,
        regions: Option<serve::TwoRegions>,
    ) -> Self {
        let faults = FaultPlan::new();
        let other_faults = regions.as_ref().and_then(|r| r.other_faults.clone());
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (backend, moto) = if moto {
            let moto = moto::Moto::start();
            let fixture = moto::AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
            let backend = Backend::Aws {
                settings: Box::new(fixture.settings.clone()),
                sdk: Box::new(fixture.sdk.clone()),
            };
            (backend, Some((moto, fixture)))
        } else {
            (Backend::Embedded, None)
        };
        let server = serve::start(ServeConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            // A directory folio creates itself, so its mode is folio's doing.
            data_dir: data_dir.path().join("folio"),
            allowed_origins: vec!["https://portfolio.example".into()],
            token_ttl_secs: 3600,
            backend,
            standin,
            faults: Some(faults.clone()),
            owner: Some((
                Email::parse("email", OWNER_EMAIL).unwrap(),
                Some(OWNER_PASSWORD.to_string()),
            )),
            site: Some(test_site()),
            webhooks,
            regions,
        })
        .await
        .expect("server starts");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let base = server.base_url.clone();
        let mut this = Self {
            server,
            client,
            base,
            owner_token: String::new(),
            refresh_token: String::new(),
            data_dir,
            faults,
            other_faults,
            moto,
            spec: std::sync::OnceLock::new(),
        };
        let login = this.login(OWNER_EMAIL, OWNER_PASSWORD).await;
        assert_eq!(login.status, 200, "owner login: {}", login.body);
        this.owner_token = login.body["token"].as_str().unwrap().to_string();
        this.refresh_token = login.body["refreshToken"].as_str().unwrap().to_string();
        this
    }

    /// `POST /v1/auth/login` with these credentials.
    pub async fn login(&self, email: &str, password: &str) -> Resp {
        let body = json!({ "email": email, "password": password });
        self.send(Method::POST, "/v1/auth/login", None, Some(body))
            .await
    }

    /// A request by the owner with a raw body of the given content type.
    pub async fn owner_raw_body(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let req = self
            .raw(method, path)
            .await
            .bearer_auth(&self.owner_token)
            .header("content-type", content_type)
            .body(body);
        Self::finish(req).await
    }

    pub async fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("user-agent", "Mozilla/5.0 (folio tests)");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::finish(req).await
    }

    /// A visit from a desktop browser at `ip` (a loopback address, so one
    /// visitor each), landing on the site's home page; `query` follows the path
    /// (`""`, or `"?failover=1"` as `tracker/3.js` resends it).
    pub async fn track_visit(&self, ip: &str, query: &str) -> Resp {
        Self::finish(
            client_from(ip)
                .post(format!("{}/v1/visitors/track{query}", self.base))
                .header("user-agent", DESKTOP_CHROME)
                .json(&json!({ "url": "https://me.example/" })),
        )
        .await
    }

    pub async fn finish(req: reqwest::RequestBuilder) -> Resp {
        let response = req.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body read");
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.contains("json"));
        let body = if bytes.is_empty() || !json {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)))
        };
        Resp {
            status,
            headers,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Sends `requests` with at most `in_flight` open at once, answers in order.
    /// moto answers one call at a time, so hundreds at once queue past the
    /// client's attempt timeout there and test the stand-in's capacity instead of
    /// folio's exactness (DynamoDB itself has no such queue).
    pub async fn finish_all(
        requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
        in_flight: usize,
    ) -> Vec<Resp> {
        use futures::stream::StreamExt;
        futures::stream::iter(requests.into_iter().map(Self::finish))
            .buffered(in_flight)
            .collect()
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn owner(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.send(method, path, Some(&self.owner_token.clone()), body)
            .await
    }

    pub fn origin_requests(&self) -> u64 {
        self.server
            .stats
            .origin_requests
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The project's own OpenAPI document, as served.
    pub async fn spec(&self) -> Arc<Value> {
        if let Some(s) = self.spec.get() {
            return Arc::clone(s);
        }
        let doc = self.get("/v1/openapi.json", None).await;
        assert_eq!(doc.status, 200);
        let doc = Arc::new(doc.body);
        let _ = self.spec.set(Arc::clone(&doc));
        doc
    }

    /// Asserts that `resp` is documented for `method path` (spec path, no /v1) and
    /// that its body matches the documented schema.
    pub async fn conforms(&self, resp: &Resp, method: &str, path: &str) {
        let spec = self.spec().await;
        schema::check_response(&spec, method, path, resp.status, &resp.body);
    }

    /// Everything the store holds, as text: the embedded store's files byte for
    /// byte (free pages included), or every DynamoDB item.
    pub async fn stored_text(&self) -> String {
        if let Some((_, fixture)) = &self.moto {
            return fixture.table_text().await;
        }
        fn walk(dir: &std::path::Path, out: &mut Vec<u8>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.extend(std::fs::read(&path).unwrap());
                }
            }
        }
        let mut bytes = Vec::new();
        walk(self.data_dir.path(), &mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The local issuer and store; tests that forge tokens run on the embedded backend.
    pub fn local(&self) -> &Local {
        self.server
            .local
            .as_deref()
            .expect("this test forges tokens with the local issuer: embedded backend only")
    }

    /// Signs arbitrary claims with the local issuer's real key.
    pub fn sign(&self, claims: &Value) -> String {
        let issuer = &self.local().issuer;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(issuer.key_id().to_string());
        jsonwebtoken::encode(&header, claims, issuer.signing_key()).expect("sign")
    }

    /// Valid ID-token claims for `groups`, as the local issuer would issue them.
    pub fn claims(&self, groups: &[&str]) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "sub": "user-123", "iss": self.base, "aud": folio_origin::wiring::local::LOCAL_CLIENT_ID, "token_use": "id",
            "email": "visitor@folio.test", "cognito:username": "visitor@folio.test", "cognito:groups": groups,
            "iat": now, "exp": now + 600, "jti": format!("jti-{now}-{}", groups.len())
        })
    }

    /// A valid token of a signed-in user who is not the owner: forged with the local
    /// issuer's key, or from a real sign-in of a second Cognito user on moto.
    pub async fn non_owner_token(&self) -> String {
        let Some((_, fixture)) = &self.moto else {
            return self.sign(&self.claims(&["readers"]));
        };
        fixture.add_user(READER_EMAIL, OWNER_PASSWORD).await;
        let login = self.login(READER_EMAIL, OWNER_PASSWORD).await;
        assert_eq!(login.status, 200, "reader login: {}", login.body);
        login.body["token"].as_str().unwrap().to_string()
    }

    pub async fn create(&self, collection: &str, body: Value) -> Value {
        let r = self.owner(Method::POST, collection, Some(body)).await;
        assert_eq!(r.status, 201, "create {collection}: {}", r.body);
        r.body
    }

    pub async fn publish(&self, collection: &str, id: &str) -> Value {
        let r = self
            .owner(Method::POST, &format!("{collection}/{id}/publish"), None)
            .await;
        assert_eq!(r.status, 200, "publish: {}", r.body);
        r.body
    }

    /// `POST {collection}/{id}/schedule` for `publish_at` (any JSON: the
    /// refusals are tested with it too).
    pub async fn schedule(&self, collection: &str, id: &str, publish_at: Value) -> Resp {
        self.owner(
            Method::POST,
            &format!("{collection}/{id}/schedule"),
            Some(json!({ "publishAt": publish_at })),
        )
        .await
    }

    /// How many times the stand-in's cache was told to invalidate `path`.
    /// How often `path` was invalidated after a tick's publish: the tick
    /// invalidates after its publishing write, so a reader may see the item
    /// before the purge; this waits (up to 10 s) for the first, then through two
    /// more ticks (twice a second) for any second.
    pub async fn invalidations_after_publish(&self, path: &str) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.times_invalidated(path) == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        self.times_invalidated(path)
    }

    pub fn times_invalidated(&self, path: &str) -> usize {
        self.server
            .purge
            .invalidated()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    pub async fn unpublish(&self, collection: &str, id: &str) -> Value {
        let r = self
            .owner(Method::POST, &format!("{collection}/{id}/unpublish"), None)
            .await;
        assert_eq!(r.status, 200, "unpublish: {}", r.body);
        r.body
    }
}

/// `secs` from now, as the API's timestamps are written (RFC 3339, whole seconds).
pub fn in_secs(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The frontend the test servers' feeds and sitemap link to.
pub const SITE_URL: &str = "https://jane.example";

pub fn test_site() -> folio_origin::usecases::site::Site {
    folio_origin::usecases::site::Site::at(SITE_URL).expect("site URL")
}

/// A client whose requests come from `ip` (a loopback address: the stand-in's
/// test mapping gives some of them a country, and each is another visitor).
/// Asserts every answer is a 200, naming those that are not.
pub fn assert_all_ok(responses: &[Resp]) {
    let failed: Vec<_> = responses
        .iter()
        .filter(|r| r.status != 200)
        .map(|r| (r.status, r.body.to_string()))
        .collect();
    assert!(failed.is_empty(), "every call succeeds; failed: {failed:?}");
}

/// How many tracking answers counted their visit, view or read (`tracked:
/// true`), once every one of them is a 200.
pub fn counted(responses: &[Resp]) -> usize {
    assert_all_ok(responses);
    responses
        .iter()
        .filter(|r| r.body["tracked"] == true)
        .count()
}

/// A person's browser (Chrome on Windows): counted, never filtered as a bot.
pub const DESKTOP_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The audience's query string: the `days` days ending today, narrowed to
/// `filter` (a JSON object of table names to values, URL-encoded as `q`).
pub fn audience_query(days: u32, filter: Option<&Value>) -> String {
    match filter {
        None => format!("days={days}"),
        Some(filter) => {
            let q: String =
                url::form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect();
            format!("days={days}&q={q}")
        }
    }
}

pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn blog_body(title: &str) -> Value {
    json!({ "title": title, "excerpt": "An excerpt", "content": "Some words here", "category": "Backend", "tags": ["rust"] })
}

pub fn project_body(name: &str) -> Value {
    json!({ "name": name, "description": "d", "longDescription": "ld", "tech": ["Rust"], "company": "Acme", "featured": false })
}

pub fn cert_body(name: &str) -> Value {
    json!({ "name": name, "issuer": "AWS", "icon": "🏆", "type": "certification", "featured": true,
            "description": "desc", "dateEarned": "2024-06-15" })
}
