//! Cold start of the origin binary: process start to the first answer through a
//! Runtime API, against moto (a public list: one DynamoDB Query). SDK clients are
//! set up once, in the init phase this measures; the JWKS is fetched by the first
//! token, not at start-up.
//!
//! Then the warm binary's CPU per invocation, as Lambda would bill it: the
//! `bootstrap` process's user + system time (`/proc/<pid>/stat`, all its threads)
//! over many invocations of an uncached list of 20 posts and of a new visitor's
//! track, Runtime API round trips included.
//!
//! `cargo bench --bench coldstart` (20 starts and 300 warm
//! invocations per request, release build); under `cargo test` it runs one start
//! and a few invocations as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use folio_origin::repo::content as repo;
use folio_shared::domain::{BlogPost, Content, Fields, Meta, Status, today_utc};

use support::bootstrap::*;
use support::moto::{AwsFixture, Moto};
use support::runtime_api::{Outcome, RuntimeApi};
use support::*;

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let runs = if benchmarking { 20 } else { 1 };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let moto = Moto::start();
        let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let api = RuntimeApi::start().await;
            let started = Instant::now();
            let mut child = start_bootstrap(&api.endpoint(), &moto, &fixture);
            let outcome = api
                .invoke(
                    url_event("GET", "/v1/projects", None, None),
                    Duration::from_secs(30),
                )
                .await;
            let elapsed = started.elapsed();
            let _ = child.kill();
            let _ = child.wait();
            match outcome {
                Outcome::Response(r) if r["statusCode"] == 200 => samples.push(elapsed),
                other => panic!("first invocation failed: {other:?}"),
            }
        }
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "origin cold start (process start → first response, {runs} runs): \
             min {:.1} ms, median {:.1} ms, max {:.1} ms",
            ms(samples[0]),
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() - 1]),
        );
        warm(&moto, &fixture, if benchmarking { 300 } else { 5 }).await;
    });
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// CPU time (user + system, every thread) a child process has used so far.
fn cpu_of(child: &Child) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).expect("stat");
    // Fields after the command name (which may hold spaces) end with ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat format") + 2..]
        .split(' ')
        .collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    Duration::from_secs_f64(ticks / ticks_per_second())
}

/// Reads a child's output as it comes, so its logs never fill the pipe.
fn drain(child: &mut Child) {
    let streams: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for mut stream in streams {
        std::thread::spawn(move || std::io::copy(&mut stream, &mut std::io::sink()));
    }
}

/// A new visitor's track event: an address and a browser no one had before.
fn new_visitor(n: usize) -> serde_json::Value {
    let mut event = url_event("POST", "/v1/visitors/track", None, None);
    event["headers"]["cloudfront-viewer-address"] =
        format!("198.51.{}.{}:443", (n / 250) % 250, n % 250).into();
    event["headers"]["user-agent"] = format!("Mozilla/5.0 Firefox/{n}.0").into();
    event
}

/// Makes the `n`-th event of one kind of request.
type EventOf = fn(usize) -> serde_json::Value;

/// The warm bootstrap's CPU per invocation of each request.
async fn warm(moto: &Moto, fixture: &AwsFixture, invocations: usize) {
    let store = fixture
        .settings
        .dynamodb_store(&fixture.sdk)
        .expect("store");
    let store: Arc<dyn folio_origin::ports::Store> = Arc::new(store);
    for n in 0..20 {
        let body = serde_json::json!({
            "title": format!("Post number {n}"),
            "excerpt": "What this post is about, in a sentence or two.",
            "content": "Some *Markdown* with a [link](https://example.com) and `code`.\n\n".repeat(5),
            "category": format!("category-{}", n % 4),
            "tags": [format!("tag-{}", n % 7)],
        });
        let fields =
            Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).expect("fields");
        let mut post = BlogPost::create(&fields, Meta::new_draft()).expect("post");
        post.set_status(Status::Published, today_utc());
        repo::create(store.as_ref(), post, &fixture.settings.region)
            .await
            .expect("seeded post");
    }
    let api = RuntimeApi::start().await;
    let mut child = start_bootstrap(&api.endpoint(), moto, fixture);
    drain(&mut child);
    let list = |_: usize| url_event("GET", "/v1/blog/posts", None, None);
    let shapes: [(&str, EventOf); 2] = [
        ("list of 20 posts", list),
        ("track, new visitor", new_visitor),
    ];
    for (name, event) in &shapes {
        // Warm-up: connections open, caches filled, as in a warm execution environment.
        for n in 0..5 {
            answered(
                api.invoke(event(1_000_000 + n), Duration::from_secs(30))
                    .await,
            );
        }
        let before = cpu_of(&child);
        let started = Instant::now();
        for n in 0..invocations {
            answered(api.invoke(event(n), Duration::from_secs(30)).await);
        }
        let cpu = (cpu_of(&child) - before) / invocations as u32;
        let wall = started.elapsed() / invocations as u32;
        println!(
            "warm bootstrap, {name} ({invocations} invocations): {:.3} ms CPU, {:.2} ms wall per invocation",
            cpu.as_secs_f64() * 1000.0,
            wall.as_secs_f64() * 1000.0
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn answered(outcome: Outcome) {
    match outcome {
        Outcome::Response(r) if r["statusCode"] == 200 => {}
        other => panic!("invocation failed: {other:?}"),
    }
}
