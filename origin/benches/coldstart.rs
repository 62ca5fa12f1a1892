//! Cold start of the origin binary: process start to the first answer through a
//! Runtime API, against moto (a public list: one DynamoDB Query). SDK clients are
//! set up once, in the init phase this measures; the JWKS is fetched by the first
//! token, not at start-up.
//!
//! `cargo bench -p folio-origin --bench coldstart` (20 starts, release build);
//! under `cargo test` it runs one start as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

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
    });
}
