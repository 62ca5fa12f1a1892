//! The edge binary as Lambda runs it, through a Runtime API served here:
//! init to first response (process start → first answer, exec'd directly as the
//! handler module would), and peak RSS after a load run of mixed events.
//!
//! `FOLIO_EDGE_BINARY=target/edge/edge-bootstrap cargo bench -p folio-edge --bench
//! edge_coldstart` (the shipped size-profile binary; 20 starts, then 20,000 events).
//! Under `cargo test` it runs one start and a few events of the test build.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use folio_edge::config::{EdgeSettings, RunMode};
use folio_edge::package::{unzip, write_zip};
use folio_testkit::runtime_api::{Outcome, RuntimeApi};
use support::*;

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let (starts, events) = if benchmarking { (20, 20_000) } else { (1, 20) };
    let keys = Keys::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = EdgeSettings {
        user_pool_id: "us-east-1_Test".into(),
        client_id: CLIENT_ID.into(),
        owner_group: "owner".into(),
        allowed_origins: vec![],
        jwks_url: Some("http://127.0.0.1:9/jwks.json".into()),
        issuer: None,
        mode: RunMode::Exec,
        metrics: false,
    };
    let zip = dir.path().join("edge.zip");
    // FOLIO_EDGE_BINARY measures another build, e.g. the size-profile one that ships.
    let binary = std::env::var_os("FOLIO_EDGE_BINARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_BIN_EXE_edge-bootstrap")).to_path_buf());
    let report = write_zip(&binary, &settings, &keys.jwks(), &zip).expect("package");
    let root = dir.path().join("task");
    unzip(&zip, &root).expect("unzip");
    println!(
        "package of this build: {} bytes zipped, binary {} bytes",
        report.zip_bytes, report.binary_bytes
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let owner = format!("Bearer {}", keys.token(&["owner"]));
        let mut samples = Vec::new();
        for start in 0..starts {
            let api = RuntimeApi::start().await;
            let began = Instant::now();
            let mut child = Command::new(root.join("bootstrap"))
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
                .env("AWS_LAMBDA_FUNCTION_NAME", "us-east-1.folio-edge")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("edge starts");
            let first = api
                .invoke(get("/v1/projects", "", &[]), Duration::from_secs(10))
                .await;
            samples.push(began.elapsed());
            assert!(matches!(first, Outcome::Response(_)), "{first:?}");
            if start + 1 == starts {
                // The load run: pass-throughs, bodies hashed for OAC, verified tokens.
                for i in 0..events {
                    let event = match i % 4 {
                        0 => get(&format!("/v1/projects/p{}", i % 500), "", &[]),
                        1 => request_event(
                            "origin-request",
                            "POST",
                            "/v1/visitors/track",
                            "",
                            &[],
                            Some(&[b'x'; 2_000][..]),
                        ),
                        2 => owner_delete(&owner),
                        _ => get("/v1/blog/posts", &format!("offset={i}"), &[]),
                    };
                    let outcome = api.invoke(event, Duration::from_secs(10)).await;
                    assert!(matches!(outcome, Outcome::Response(_)));
                }
                let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                    .unwrap_or_default();
                let peak = status
                    .lines()
                    .find(|l| l.starts_with("VmHWM"))
                    .unwrap_or("VmHWM: ?");
                println!("edge peak RSS after {events} events: {}", peak.trim_start_matches("VmHWM:").trim());
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "edge cold start (process start → first response, {starts} runs): min {:.1} ms, median {:.1} ms, max {:.1} ms",
            ms(samples[0]),
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() - 1])
        );
    });
}
