//! What a public read costs as the catalogue grows: store rows read per request
//! (a counting wrapper around the `Store` port) and median latency of an uncached
//! list, a filtered list, one item's view count, the categories and the sitemap,
//! at 10, 1,000 and 10,000 published posts of 5 to 20 KB of Markdown, on the
//! embedded store and on DynamoDB (moto, seeded in bulk: see `BulkSeed`). *Data
//! read* is the bytes of the rows' `Data` (the items' JSON) the store returned.
//! Requests go through the origin's `App::handle`, as the Lambda's do, with no
//! cache in front.
//!
//! `cargo bench --bench catalogue` (sizes from CATALOGUE_SIZES, default
//! 10,1000,10000; CATALOGUE_BACKENDS, default embedded,moto; with
//! AWS_ENDPOINT_URL_DYNAMODB set, the moto backend's DynamoDB is that endpoint, e.g.
//! DynamoDB Local). Each size also shows the list as an unmigrated store reads it
//! (every item), for comparison.
//!
//! Requests run on the origin Lambda's runtime (`folio_origin::http::lambda::runtime`,
//! one thread); CATALOGUE_RUNTIME=multi runs them on tokio's multi-threaded one
//! instead. CATALOGUE_ONLY=<request name>[;<request name>…] measures only those
//! requests and CATALOGUE_SAMPLES=<n> sets how many times each.
//!
//! CATALOGUE_TLS=1 sends the store's DynamoDB calls over TLS, as to the real
//! endpoint: through a TLS-terminating proxy (`folio_testkit::tls`) run in a
//! child process, so its CPU is not counted as the app's.

#[path = "../tests/support/counting.rs"]
#[allow(dead_code)]
mod counting;
#[path = "../tests/support/moto.rs"]
#[allow(dead_code)]
mod moto;
use folio_testkit::tls;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use counting::CountingStore;
use folio_origin::adapters::aws::dynamo::DynamoStore;
use folio_origin::http::request::Request;
use folio_origin::ports::keys;
use folio_origin::ports::store::limits;
use folio_origin::ports::{Condition, Item, Key, Query, Store, StoreError, Write};
use folio_origin::repo::content::{self as repo, Walk};
use folio_origin::usecases::app::App;
use folio_origin::wiring::local::{LOCAL_REGION, Local, LocalConfig};
use folio_shared::domain::{
    BlogPost, Content, ContentKind, Fields, ItemId, Meta, Status, today_utc,
};
use http::{HeaderMap, Method};

/// Requests measured per shape (a few under `cargo test`, which runs this once
/// as a smoke test of the bench itself).
fn samples() -> usize {
    if let Some(n) = std::env::var("CATALOGUE_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if benchmarking() { 50 } else { 3 }
}

fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn sizes() -> Vec<usize> {
    let default = if benchmarking() {
        "10,1000,10000"
    } else {
        "10"
    };
    std::env::var("CATALOGUE_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// Whether CATALOGUE_ONLY (request names, separated by `;`) leaves `name` out.
fn skipped(name: &str) -> bool {
    std::env::var("CATALOGUE_ONLY").is_ok_and(|only| !only.split(';').any(|n| n == name))
}

/// CATALOGUE_SHORT=1: posts of about 300 bytes, like `folio seed`'s, to measure
/// the app's own work per request rather than JSON and HTML of large bodies.
fn short_posts() -> bool {
    std::env::var("CATALOGUE_SHORT").is_ok_and(|v| v == "1")
}

/// A deterministic stream of numbers (no dependency on a random crate).
fn mix(n: u64) -> u64 {
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Post `n`: 5 to 20 KB of Markdown, one of 8 categories, 3 of 30 tags.
fn post(n: usize) -> BlogPost {
    let r = mix(n as u64);
    let paragraph = "Some *Markdown* with a [link](https://example.com) and `code`.\n\n";
    let bytes = if short_posts() {
        300
    } else {
        5_000 + (r % 15_000) as usize
    };
    let content = format!(
        "# Post {n}\n\n{}",
        paragraph.repeat(bytes / paragraph.len())
    );
    let tags: Vec<String> = (0..3)
        .map(|i| format!("tag-{}", (r >> (8 * i)) % 30))
        .collect();
    let body = serde_json::json!({
        "title": format!("Post number {n}"),
        "excerpt": "What this post is about, in a sentence or two.",
        "content": content,
        "category": format!("category-{}", (r >> 32) % 8),
        "tags": tags,
    });
    let fields = Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).unwrap();
    let mut post = BlogPost::create(&fields, Meta::new_draft()).unwrap();
    post.set_status(Status::Published, today_utc());
    post
}

fn get(path_and_query: &str) -> Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    Request {
        method: Method::GET,
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: HeaderMap::new(),
        body: Vec::new(),
        client_address: "203.0.113.7".into(),
        request_id: "bench".into(),
    }
}

struct Figure {
    rows: usize,
    /// Bytes of the rows' `Data` (the items' JSON) read per request.
    data_bytes: usize,
    median: Duration,
    /// This process's CPU time per request (user + system): the app's own work,
    /// SDK and HTTP client included; moto and DynamoDB Local run in processes of
    /// their own.
    cpu: Duration,
}

/// CPU time this process has used so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The name `CATALOGUE_ONLY` knows the comparison of one DynamoDB call by.
const CALL_FLOOR: &str = "one GetItem";

/// Stands for "a new visitor's track" among the paths measured.
const TRACK: &str = "track, new visitor";

/// A number no visitor has had yet in this run.
fn next_visitor() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A new visitor's visit: an address and a browser of its own per request.
fn new_visitor(n: usize) -> Request {
    let mut request = get("/v1/visitors/track");
    request.method = Method::POST;
    request.client_address = format!("198.51.{}.{}", (n / 250) % 250, n % 250);
    request.headers.insert(
        http::header::USER_AGENT,
        format!("Mozilla/5.0 (X11; Linux x86_64) Firefox/{n}.0")
            .parse()
            .unwrap(),
    );
    request
}

/// One line of the table.
fn report(backend: &str, size: usize, name: &str, f: &Figure) {
    println!(
        "| {backend} | {size} | {name} | {} | {:.1} KB | {:.2} ms | {:.3} ms |",
        f.rows,
        f.data_bytes as f64 / 1000.0,
        f.median.as_secs_f64() * 1000.0,
        f.cpu.as_secs_f64() * 1000.0
    );
}

async fn measure(app: &App, counting: &CountingStore, path: &str) -> Figure {
    let request = |n: usize| {
        if path == TRACK {
            new_visitor(n)
        } else {
            get(path)
        }
    };
    // Warm-up: the render cache holds the page's HTML, as it would in a warm Lambda.
    for _ in 0..3 {
        let r = folio_origin::http::handle(app, request(next_visitor())).await;
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let mut times = Vec::with_capacity(samples());
    let mut rows = 0;
    let mut data_bytes = 0;
    let cpu_before = cpu_time();
    for _ in 0..samples() {
        let request = request(next_visitor());
        counting.take();
        counting.take_data_bytes();
        let started = Instant::now();
        let r = folio_origin::http::handle(app, request).await;
        times.push(started.elapsed());
        rows = counting.take().rows;
        data_bytes = counting.take_data_bytes();
        assert_eq!(r.status, 200);
    }
    let cpu = (cpu_time() - cpu_before) / samples() as u32;
    times.sort();
    Figure {
        rows,
        data_bytes,
        median: times[samples() / 2],
        cpu,
    }
}

/// Takes one published post back to a row an older folio wrote (layout 0), so
/// lists read the way they did before index rows, or gives it its layout again.
async fn set_legacy(store: &dyn Store, id: &str, legacy: bool) {
    let id = ItemId::parse("id", id).expect("a post id");
    let key = keys::content(ContentKind::Blog, &id);
    let row = store.get(&key).await.unwrap().expect("the post");
    let layout = if legacy { 0 } else { repo::INDEXED_LAYOUT };
    let write = Write::Put {
        item: Item { layout, ..row },
        condition: Condition::None,
    };
    store.transact(vec![write]).await.unwrap();
    if legacy {
        let marker = keys::indexed_marker(ContentKind::Blog, Status::Published);
        let delete = Write::Delete {
            key: marker,
            condition: Condition::None,
        };
        store.transact(vec![delete]).await.unwrap();
    }
}

/// Seeds moto in bulk: the writes of each `repo::create` are kept, not sent.
/// `flush` then sends the tally and counter changes summed by row, through the
/// adapter's own writes (one ADD of each sum), and loads the new rows with
/// BatchWriteItem. moto copies every table on each TransactWriteItems to be able
/// to roll it back, so 10,000 posts written one transaction each would take
/// hours and many GB (and at 10,000 posts one such copy outlasts the SDK's
/// timeout); the few summed transactions go first, while the table is small. The
/// rows that result are the ones the per-post transactions would have left;
/// `run` checks the totals they give.
struct BulkSeed {
    target: Arc<DynamoStore>,
    /// The SDK's client of the same table, for the bulk load.
    admin: aws_sdk_dynamodb::Client,
    rows: Mutex<Vec<Item>>,
    /// Every tally and counter change since the last flush, summed by row.
    changes: Mutex<BTreeMap<(String, String), Write>>,
}

impl BulkSeed {
    fn new(target: Arc<DynamoStore>, admin: aws_sdk_dynamodb::Client) -> Self {
        Self {
            target,
            admin,
            rows: Mutex::default(),
            changes: Mutex::default(),
        }
    }

    async fn flush(&self) {
        let sums: Vec<Write> = std::mem::take(&mut *self.changes.lock().unwrap())
            .into_values()
            .collect();
        for chunk in sums.chunks(limits::MAX_TRANSACTION_ACTIONS) {
            self.target.transact(chunk.to_vec()).await.unwrap();
        }
        let rows = std::mem::take(&mut *self.rows.lock().unwrap());
        folio::dynamo_admin::load_rows(&self.admin, self.target.table(), &rows)
            .await
            .unwrap();
    }
}

#[async_trait::async_trait]
impl Store for BulkSeed {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.target.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.target.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut changes = self.changes.lock().unwrap();
        for write in writes {
            let key = write.key();
            let key = (key.pk, key.sk);
            match (write, changes.get_mut(&key)) {
                // A new post's rows: the bench's titles and ids are all distinct.
                (Write::Put { item, .. }, _) => self.rows.lock().unwrap().push(item),
                (Write::Tally { by, .. }, Some(Write::Tally { by: sum, .. })) => {
                    for (name, n) in by {
                        match sum.iter_mut().find(|(known, _)| *known == name) {
                            Some((_, total)) => *total += n,
                            None => sum.push((name, n)),
                        }
                    }
                }
                (
                    Write::Increment { by, label, .. },
                    Some(Write::Increment {
                        by: sum,
                        label: last,
                        ..
                    }),
                ) => {
                    *sum += by;
                    if label.is_some() {
                        *last = label;
                    }
                }
                (write @ (Write::Tally { .. } | Write::Increment { .. }), None) => {
                    changes.insert(key, write);
                }
                (other, _) => panic!("a new post wrote {other:?}"),
            }
        }
        Ok(())
    }
}

async fn run(backend: &str, store: Arc<dyn Store>, bulk: Option<BulkSeed>, sizes: &[usize]) {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::open(&LocalConfig::plain(
        dir.path().to_path_buf(),
        "http://127.0.0.1/bench",
    ))
    .unwrap();
    repo::migrate_all(store.as_ref(), LOCAL_REGION, Walk::UnlessMarked, |_, _| {})
        .await
        .unwrap();
    let (app, counting) = counting::counted_app(&local, Arc::clone(&store));
    // The sitemap needs a site to link to.
    let site = Some(folio_origin::usecases::site::Site::at("https://jane.dev").unwrap());
    let app = app.with_site(site);
    let mut written = 0;
    let mut some_id = None;
    for &size in sizes {
        let seeding = Instant::now();
        let writer: &dyn Store = match &bulk {
            Some(bulk) => bulk,
            None => store.as_ref(),
        };
        while written < size {
            match repo::create(writer, post(written), LOCAL_REGION).await {
                Ok(created) => {
                    some_id.get_or_insert_with(|| created.id().to_string());
                }
                // moto ignores the idempotency token the SDK puts on every
                // TransactWriteItems: a retry of a write that was applied (the
                // first attempt timed out on a busy moto) finds the post there.
                Err(folio_origin::repo::RepoError::Changed) => {}
                Err(e) => panic!("post {written}: {e}"),
            }
            written += 1;
        }
        if let Some(bulk) = &bulk {
            bulk.flush().await;
        }
        // However the posts were written, the list counts every one of them
        // (with a filter too, so the tallies were summed per name).
        for path in ["/v1/blog/posts?limit=1", "/v1/blog/posts?limit=1&tag=tag-7"] {
            let listed = folio_origin::http::handle(&app, get(path)).await;
            let listed: serde_json::Value = serde_json::from_slice(&listed.body).unwrap();
            let total = listed["total"].as_u64().unwrap() as usize;
            let expected = (0..written)
                .filter(|&n| !path.contains("tag=") || post(n).tags.iter().any(|t| t == "tag-7"))
                .count();
            assert_eq!(total, expected, "{backend}, {path}: the total");
        }
        eprintln!(
            "{backend}: {size} posts written in {:.1?}",
            seeding.elapsed()
        );
        let id = some_id.clone().unwrap();
        let views = format!("/v1/analytics/views/{}/{id}", ContentKind::Blog);
        let shapes = [
            ("list", "/v1/blog/posts".to_string()),
            ("list, offset 100", "/v1/blog/posts?offset=100".to_string()),
            ("filtered by tag", "/v1/blog/posts?tag=tag-7".to_string()),
            (
                "filtered by category",
                "/v1/blog/posts?category=category-3".to_string(),
            ),
            ("item view count", views),
            ("categories", "/v1/blog/categories".to_string()),
            ("sitemap", "/v1/sitemap.xml".to_string()),
            (TRACK, TRACK.to_string()),
        ];
        for (name, path) in &shapes {
            if skipped(name) {
                continue;
            }
            let f = measure(&app, &counting, path).await;
            report(backend, size, name, &f);
        }
        // The sitemap as a store without catalogue entries answers it: from the
        // items.
        const SITEMAP_FROM_ITEMS: &str = "sitemap, before catalogue entries (reads the posts)";
        if !skipped(SITEMAP_FROM_ITEMS) {
            let marker = keys::catalogue_marker(ContentKind::Blog);
            let saved = store
                .get(&marker)
                .await
                .unwrap()
                .expect("the catalogue marker");
            let delete = Write::Delete {
                key: marker,
                condition: Condition::None,
            };
            store.transact(vec![delete]).await.unwrap();
            let f = measure(&app, &counting, "/v1/sitemap.xml").await;
            report(backend, size, SITEMAP_FROM_ITEMS, &f);
            let put_back = Write::Put {
                item: saved,
                condition: Condition::None,
            };
            store.transact(vec![put_back]).await.unwrap();
        }
        const UNMIGRATED: &str = "list, unmigrated store (reads everything)";
        if skipped(UNMIGRATED) {
            continue;
        }
        set_legacy(store.as_ref(), &id, true).await;
        let f = measure(&app, &counting, "/v1/blog/posts").await;
        report(backend, size, UNMIGRATED, &f);
        set_legacy(store.as_ref(), &id, false).await;
        repo::migrate_all(store.as_ref(), LOCAL_REGION, Walk::UnlessMarked, |_, _| {})
            .await
            .unwrap();
    }
}

/// Whether CATALOGUE_TLS=1 asks for the store's calls over TLS.
fn over_tls() -> bool {
    std::env::var("CATALOGUE_TLS").as_deref() == Ok("1")
}

/// Set in the child process that runs the TLS proxy: the engine to forward to.
const PROXY_UPSTREAM: &str = "CATALOGUE_TLS_PROXY_UPSTREAM";

/// The child's part: runs a `tls::TlsProxy` in front of `upstream`, prints its
/// endpoint and CA file, and runs until the parent closes its standard input.
fn serve_tls_proxy(upstream: &str) {
    use std::io::{Read, Write as _};
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let proxy = runtime.block_on(tls::TlsProxy::start(upstream));
    println!("{}\n{}", proxy.endpoint, proxy.ca_file().display());
    std::io::stdout().flush().expect("stdout");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(proxy);
}

/// The TLS proxy's child process; killed when dropped.
struct ProxyProcess(std::process::Child);

impl ProxyProcess {
    /// Starts it in front of `upstream`: its endpoint and its CA file.
    fn start(upstream: &str) -> (Self, folio_origin::adapters::aws::dynamo::DynamoEndpoint) {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(std::env::current_exe().expect("this bench"))
            .env(PROXY_UPSTREAM, upstream)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("TLS proxy started");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut line = || lines.next().expect("a line").expect("readable");
        let (url, ca_file) = (line(), line());
        let endpoint = folio_origin::adapters::aws::dynamo::DynamoEndpoint {
            url: Some(url),
            ca_bundle: Some(ca_file.into()),
        };
        (Self(child), endpoint)
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    if let Ok(upstream) = std::env::var(PROXY_UPSTREAM) {
        return serve_tls_proxy(&upstream);
    }
    let sizes = sizes();
    let backends = std::env::var("CATALOGUE_BACKENDS").unwrap_or_else(|_| "embedded,moto".into());
    // The origin Lambda's own runtime, unless CATALOGUE_RUNTIME=multi asks for
    // tokio's multi-threaded one (what the origin ran on before, for comparison).
    let runtime = if std::env::var("CATALOGUE_RUNTIME").as_deref() == Ok("multi") {
        tokio::runtime::Runtime::new()
    } else {
        folio_origin::http::lambda::runtime()
    }
    .expect("tokio runtime");
    println!("| store | posts | request | rows read | data read | median | app CPU |");
    println!("|---|---|---|---|---|---|---|");
    runtime.block_on(async {
        for backend in backends.split(',') {
            match backend.trim() {
                "embedded" => {
                    let dir = tempfile::tempdir().unwrap();
                    let store = folio_origin::adapters::local::embedded::EmbeddedStore::open(
                        &dir.path().join("bench.redb"),
                    )
                    .unwrap();
                    run("embedded", Arc::new(store), None, &sizes).await;
                }
                "moto" => {
                    let moto = moto::Moto::start();
                    let fixture = moto::AwsFixture::create(
                        &moto,
                        "owner@folio.test",
                        "Correct-horse-battery-st4ple",
                    )
                    .await;
                    let mut settings = fixture.settings.clone();
                    let engine = settings
                        .dynamodb
                        .url
                        .clone()
                        .unwrap_or(moto.endpoint.clone());
                    let _proxy = over_tls().then(|| {
                        let (process, endpoint) = ProxyProcess::start(&engine);
                        settings.dynamodb = endpoint;
                        process
                    });
                    let store = Arc::new(settings.dynamodb_store(&fixture.sdk).expect("store"));
                    // AWS_ENDPOINT_URL_DYNAMODB sends DynamoDB to DynamoDB Local,
                    // which is written post by post as the origin writes; moto is
                    // seeded in bulk (`BulkSeed`).
                    let name = match (
                        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some(),
                        over_tls(),
                    ) {
                        (true, false) => "DynamoDB Local",
                        (true, true) => "DynamoDB Local, over TLS",
                        (false, false) => "moto",
                        (false, true) => "moto, over TLS",
                    };
                    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
                        run(name, store.clone(), None, &sizes).await;
                    } else {
                        let bulk = BulkSeed::new(
                            Arc::clone(&store),
                            folio::dynamo_admin::client(&fixture.settings, &fixture.sdk),
                        );
                        run(name, store.clone(), Some(bulk), &sizes).await;
                    }
                    // The bare and SDK rows of the call floor send plain HTTP.
                    if !skipped(CALL_FLOOR) && !over_tls() {
                        let endpoint = settings
                            .dynamodb
                            .url
                            .as_deref()
                            .or(fixture.sdk.endpoint_url())
                            .expect("a DynamoDB endpoint");
                        let target = call_floor::Target {
                            endpoint,
                            region: &settings.region,
                            table: &settings.table_name,
                            credentials: call_floor::credentials(&fixture.sdk).await,
                        };
                        let row = keys::indexed_marker(ContentKind::Blog, Status::Published);
                        let list = keys::content_by_status(ContentKind::Blog, Status::Published);
                        let sdk = folio::dynamo_admin::client(&settings, &fixture.sdk);
                        call_floor::report(name, &store, &sdk, target, row, &list).await;
                    }
                }
                other => panic!("CATALOGUE_BACKENDS: unknown backend {other:?}; use embedded,moto"),
            }
        }
    });
}

/// What one DynamoDB call costs this process at the least, beside what it costs
/// through the SDK: the same GetItem of the same row, and the same Query of a
/// list's first 24 rows, sent by `DynamoStore` and as bare HTTP/1.1 requests
/// (signed with aws-sigv4, the SDK's own signer, on a kept-alive hyper
/// connection, the JSON answer parsed). It tells how much of a request's CPU a
/// leaner DynamoDB client could save; folio ships the SDK.
mod call_floor {
    use std::time::{Duration, Instant, SystemTime};

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::ProvideCredentials;
    use aws_sdk_dynamodb::types::AttributeValue;
    use bytes::Bytes;
    use folio_origin::adapters::aws::dynamo::{DynamoStore, GSI1, attr, sigv4};
    use folio_origin::ports::{Key, Store};
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    use serde_json::json;

    use super::{cpu_time, samples};

    pub struct Target<'a> {
        pub endpoint: &'a str,
        pub region: &'a str,
        pub table: &'a str,
        pub credentials: Credentials,
    }

    /// Rows a list's first page reads: its head and 20 items and one more.
    const PAGE: usize = 24;

    /// `(median, CPU)` per call of `call`, after a warm-up.
    async fn per_call<F: AsyncFnMut()>(mut call: F) -> (Duration, Duration) {
        for _ in 0..20 {
            call().await;
        }
        let mut times = Vec::with_capacity(samples());
        let cpu_before = cpu_time();
        for _ in 0..samples() {
            let started = Instant::now();
            call().await;
            times.push(started.elapsed());
        }
        let cpu = (cpu_time() - cpu_before) / samples() as u32;
        times.sort();
        (times[samples() / 2], cpu)
    }

    /// A signed DynamoDB request of `operation` with `body`.
    fn bare_request(
        target: &Target<'_>,
        operation: &str,
        body: &serde_json::Value,
    ) -> http::Request<Full<Bytes>> {
        let body = body.to_string();
        let host = target
            .endpoint
            .split_once("://")
            .map_or(target.endpoint, |(_, rest)| rest)
            .trim_end_matches('/');
        let mut request = http::Request::post(target.endpoint)
            .header("host", host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDB_20120810.{operation}"))
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        sigv4::sign_with_aws_sigv4(
            &mut request,
            &target.credentials,
            target.region,
            SystemTime::now(),
            target.endpoint,
            body.as_bytes(),
        )
        .unwrap();
        request
    }

    /// Prints the rows of the table: a GetItem of `row` and a Query of the first
    /// rows of the GSI1 partition `list`, each through the SDK and bare.
    pub async fn report(
        backend: &str,
        store: &DynamoStore,
        sdk: &aws_sdk_dynamodb::Client,
        target: Target<'_>,
        row: Key,
        list: &str,
    ) {
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let bare = async |operation: &str, body: &serde_json::Value| {
            let response = client
                .request(bare_request(&target, operation, body))
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()
        };

        let (median, cpu) = per_call(async || {
            store.get(&row).await.unwrap().expect("the row");
        })
        .await;
        line(backend, "one GetItem through DynamoStore", 1, median, cpu);
        let (median, cpu) = per_call(async || {
            sdk.get_item()
                .table_name(target.table)
                .key(attr::PK, AttributeValue::S(row.pk.clone()))
                .key(attr::SK, AttributeValue::S(row.sk.clone()))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
                .expect("the row");
        })
        .await;
        line(
            backend,
            "one GetItem through aws-sdk-dynamodb",
            1,
            median,
            cpu,
        );
        let get = json!({
            "TableName": target.table,
            "Key": {attr::PK: {"S": row.pk}, attr::SK: {"S": row.sk}},
            "ConsistentRead": true,
        });
        let (median, cpu) = per_call(async || {
            assert!(bare("GetItem", &get).await["Item"].is_object());
        })
        .await;
        line(
            backend,
            "one GetItem, bare signed HTTP request",
            1,
            median,
            cpu,
        );

        let query = folio_origin::ports::Query::gsi1(list).first(PAGE);
        // PAGE, or fewer when the catalogue is small.
        let rows = store.query(&query).await.unwrap().len();
        let (median, cpu) = per_call(async || {
            assert_eq!(store.query(&query).await.unwrap().len(), rows);
        })
        .await;
        line(
            backend,
            "one Query of a page through DynamoStore",
            rows,
            median,
            cpu,
        );
        let (median, cpu) = per_call(async || {
            let answer = sdk
                .query()
                .table_name(target.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", attr::GSI1PK)
                .expression_attribute_values(":pk", AttributeValue::S(list.to_string()))
                .scan_index_forward(false)
                .limit(PAGE as i32)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.items().len(), rows);
        })
        .await;
        line(
            backend,
            "one Query of a page through aws-sdk-dynamodb",
            rows,
            median,
            cpu,
        );
        let query = json!({
            "TableName": target.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": attr::GSI1PK},
            "ExpressionAttributeValues": {":pk": {"S": list}},
            "ScanIndexForward": false,
            "Limit": PAGE,
        });
        let (median, cpu) = per_call(async || {
            let answer = bare("Query", &query).await;
            assert_eq!(answer["Items"].as_array().map(Vec::len), Some(rows));
        })
        .await;
        line(
            backend,
            "one Query of a page, bare signed HTTP request",
            rows,
            median,
            cpu,
        );
    }

    fn line(backend: &str, name: &str, rows: usize, median: Duration, cpu: Duration) {
        println!(
            "| {backend} | | {name} | {rows} | | {:.2} ms | {:.3} ms |",
            median.as_secs_f64() * 1000.0,
            cpu.as_secs_f64() * 1000.0
        );
    }

    /// The credentials the SDK would sign with.
    pub async fn credentials(sdk: &aws_config::SdkConfig) -> Credentials {
        sdk.credentials_provider()
            .expect("credentials")
            .provide_credentials()
            .await
            .expect("credentials")
    }
}
