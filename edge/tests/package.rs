//! The Lambda@Edge package tested as it ships: built, unzipped, and run under the
//! real `awslambdaric` (PyPI) against a Runtime API served by this test, in exec
//! mode (the handler module execs the Rust binary) and in pipe mode (the binary
//! stays a child of Python).

#[allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;
use folio_edge::config::{EdgeSettings, RunMode};
use folio_edge::package::{unzip, write_zip};
use folio_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

fn venv_python() -> PathBuf {
    let python = folio_testkit::package_dir().join("../.venv/bin/python");
    assert!(
        python.exists(),
        "the venv with awslambdaric is missing: run ./scripts/test (it installs it)"
    );
    python
}

fn settings(mode: RunMode) -> EdgeSettings {
    EdgeSettings {
        user_pool_id: "us-east-1_Test".into(),
        client_id: CLIENT_ID.into(),
        owner_group: "owner".into(),
        allowed_origins: vec!["https://portfolio.example".into()],
        jwks_url: Some("http://127.0.0.1:9/.well-known/jwks.json".into()),
        issuer: None,
        mode,
        metrics: false,
    }
}

/// Builds the package from the test build of the edge binary and unpacks it.
fn unpacked(keys: &Keys, mode: RunMode) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("edge.zip");
    let report = write_zip(
        Path::new(env!("CARGO_BIN_EXE_edge-bootstrap")),
        &settings(mode),
        &keys.jwks(),
        &zip,
    )
    .expect("package builds");
    assert!(report.zip_bytes > 0);
    let root = dir.path().join("task");
    unzip(&zip, &root).unwrap();
    for file in ["handler.py", "bootstrap", "folio-edge.json", "jwks.json"] {
        assert!(root.join(file).exists(), "{file} is in the package");
    }
    dir
}

/// `python -m awslambdaric handler.handler` in the unpacked task root, as the
/// python3.12 managed runtime starts it.
fn start_runtime(task_root: &Path, api: &RuntimeApi) -> Child {
    Command::new(venv_python())
        .args(["-m", "awslambdaric", "handler.handler"])
        .current_dir(task_root)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
        .env("LAMBDA_TASK_ROOT", task_root)
        .env("_HANDLER", "handler.handler")
        .env("AWS_LAMBDA_FUNCTION_NAME", "us-east-1.folio-edge")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "3")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python starts")
}

async fn invoke(api: &RuntimeApi, event: Value) -> Value {
    match api.invoke(event, Duration::from_secs(30)).await {
        Outcome::Response(value) => value,
        Outcome::Error(error) => panic!("the function failed: {error}"),
    }
}

/// The same conversation in both modes: pass-through, refusal, verified owner
/// write with its payload hash and the caller handed on.
async fn drive(api: &RuntimeApi, keys: &Keys) {
    let public = get("/v1/projects", "", &[]);
    assert!(forwarded(&invoke(api, public.clone()).await));

    let anonymous_delete =
        request_event("origin-request", "DELETE", "/v1/projects/p1", "", &[], None);
    let refused = invoke(api, anonymous_delete).await;
    assert_eq!(refused["status"], "401");

    let token = keys.token(&["owner"]);
    let owner = format!("Bearer {token}");
    let write = request_event(
        "origin-request",
        "POST",
        "/v1/visitors/track",
        "",
        &[("Authorization", &owner)],
        Some(b"{}"),
    );
    let passed = invoke(api, write).await;
    assert!(forwarded(&passed));
    assert!(header(&passed, "x-amz-content-sha256").is_some());
    assert_eq!(
        header(&passed, "x-folio-caller-token"),
        Some(token.as_str())
    );
    assert!(
        forwarded(&invoke(api, public).await),
        "no edge response cache: public GETs go on to CloudFront's origin fetch"
    );
}

fn exe_of(pid: u32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/exe")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_runs_under_awslambdaric_in_exec_mode() {
    let keys = Keys::new();
    let dir = unpacked(&keys, RunMode::Exec);
    let api = RuntimeApi::start().await;
    let mut runtime = start_runtime(&dir.path().join("task"), &api);
    drive(&api, &keys).await;
    assert!(
        exe_of(runtime.id()).ends_with("bootstrap"),
        "the Python process became the Rust binary"
    );
    assert!(api.init_error().is_none());
    runtime.kill().unwrap();
    let _ = runtime.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_runs_under_awslambdaric_in_pipe_mode() {
    let keys = Keys::new();
    let dir = unpacked(&keys, RunMode::Pipe);
    let api = RuntimeApi::start().await;
    let mut runtime = start_runtime(&dir.path().join("task"), &api);
    drive(&api, &keys).await;
    assert!(
        exe_of(runtime.id()).to_string_lossy().contains("python"),
        "Python stays in charge and talks to the binary over pipes"
    );
    runtime.kill().unwrap();
    let _ = runtime.wait();
}

#[tokio::test]
async fn a_package_without_its_configuration_fails_init_loudly() {
    let keys = Keys::new();
    let dir = unpacked(&keys, RunMode::Exec);
    let root = dir.path().join("task");
    std::fs::remove_file(root.join("jwks.json")).unwrap();
    let api = RuntimeApi::start().await;
    let mut runtime = start_runtime(&root, &api);
    let status = tokio::task::spawn_blocking(move || runtime.wait().unwrap())
        .await
        .unwrap();
    assert!(
        !status.success(),
        "start-up fails instead of serving without keys"
    );
}
