//! The edge binary. In the Lambda@Edge package the Python handler `os.execv`s it
//! and it serves the Runtime API through lambda_runtime; with `--pipe` it reads one
//! JSON event per line on stdin and writes one JSON result per line on stdout.
//! Configuration and the JWKS snapshot sit beside the binary (`folio_edge::config`).

use std::sync::Arc;

use folio_edge::config::EdgeSettings;
use folio_edge::{CloudFrontEvent, Edge};
use folio_shared::jwt::Verifier;
use folio_shared::jwt::jwks_http::HttpJwks;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn build_edge() -> Result<Edge, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the binary: {e}"))?;
    let dir = exe.parent().ok_or("the binary has no directory")?;
    let (settings, snapshot) = EdgeSettings::load(dir).map_err(|e| e.to_string())?;
    if settings.metrics {
        // Logs go to stderr: stdout is the event channel in pipe mode.
        folio_shared::metrics::enable(folio_shared::metrics::Sink::Stderr);
    }
    let source = Arc::new(HttpJwks::new(&settings.jwks_url()).map_err(|e| e.to_string())?);
    let verifier = Arc::new(Verifier::new(settings.verifier_config(), &snapshot, source));
    Ok(Edge::new(verifier, settings.edge_config()))
}

async fn handle(edge: &Edge, event: Value) -> Result<Value, Error> {
    let event: CloudFrontEvent =
        serde_json::from_value(event).map_err(|e| format!("not a CloudFront event: {e}"))?;
    Ok(edge.handle(event).await?)
}

/// The fallback mode: events over pipes from a Python parent process.
async fn serve_pipe(edge: Edge) -> Result<(), Error> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(event) => match handle(&edge, event).await {
                Ok(result) => serde_json::json!({ "result": result }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            },
            Err(e) => serde_json::json!({ "error": format!("invalid JSON event: {e}") }),
        };
        let mut out = serde_json::to_vec(&reply)?;
        out.push(b'\n');
        stdout.write_all(&out).await?;
        stdout.flush().await?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Logs go to stderr: stdout is the event channel in pipe mode.
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_current_span(true)
        .without_time()
        .init();
    let edge = build_edge().map_err(|e| format!("edge start-up failed: {e}"))?;
    if std::env::args().any(|a| a == "--pipe") {
        return serve_pipe(edge).await;
    }
    let edge = Arc::new(edge);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let edge = Arc::clone(&edge);
        async move { handle(&edge, event.payload).await }
    }))
    .await
}
