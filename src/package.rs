//! `folio package`: the deployable zips in `dist/`.
//!
//! - `dist/origin.zip`: the origin `bootstrap` for `provided.al2023` (x86_64).
//! - `dist/edge.zip`: the Lambda@Edge package (python3.12 handler, the edge binary
//!   built with the size profile, the baked configuration and a JWKS snapshot).
//!
//! Both binaries are checked for x86_64 and glibc ≤ 2.34 before they are zipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use folio_edge::config::EdgeSettings;
use folio_edge::package::{ORIGIN_TRIGGER_LIMIT, VIEWER_TRIGGER_LIMIT, check_binary, write_zip};
use folio_shared::jwt::JwksSource;
use folio_shared::jwt::jwks_http::HttpJwks;
use jsonwebtoken::jwk::JwkSet;
use zip::write::SimpleFileOptions;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";
pub const DIST: &str = "dist";

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Runs cargo (the one running us, if any) with its progress on the terminal.
fn cargo_build(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Builds and zips the origin Lambda.
pub fn origin() -> Result<PathBuf, String> {
    cargo_build(&[
        "build",
        "--profile",
        "lambda",
        "--locked",
        "-p",
        "folio-origin",
        "--bin",
        "bootstrap",
        "--target",
        TARGET,
    ])?;
    let binary = target_dir().join(TARGET).join("lambda/bootstrap");
    let bytes =
        std::fs::read(&binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
    let glibc = check_binary(&bytes)?;
    let out = Path::new(DIST).join("origin.zip");
    std::fs::create_dir_all(DIST).map_err(|e| format!("cannot create {DIST}: {e}"))?;
    let file =
        std::fs::File::create(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)
        .and_then(|()| zip.write_all(&bytes).map_err(Into::into))
        .and_then(|()| zip.finish().map(|_| ()))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "{}: {} (binary {}, x86_64, glibc {})",
        out.display(),
        kib(size),
        kib(bytes.len() as u64),
        glibc.map_or("none".into(), |(a, b)| format!("{a}.{b}"))
    );
    if size > ORIGIN_TRIGGER_LIMIT {
        return Err(format!(
            "{} is over Lambda's 50 MB zip limit",
            out.display()
        ));
    }
    Ok(out)
}

/// The JWKS snapshot: a file, or fetched from the pool's JWKS URL now.
async fn snapshot(settings: &EdgeSettings, file: Option<&Path>) -> Result<JwkSet, String> {
    if let Some(file) = file {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        return serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a JWKS: {e}", file.display()));
    }
    let url = settings.jwks_url();
    println!("==> fetching the JWKS snapshot from {url}");
    HttpJwks::new(&url)?
        .fetch()
        .await
        .map_err(|e| format!("cannot fetch the JWKS snapshot ({e}); pass --jwks-file"))
}

/// Builds and zips the edge with `settings` baked in.
pub async fn edge(settings: &EdgeSettings, jwks_file: Option<&Path>) -> Result<PathBuf, String> {
    let jwks = snapshot(settings, jwks_file).await?;
    if jwks.keys.is_empty() {
        return Err("the JWKS snapshot has no keys".into());
    }
    cargo_build(&[
        "build",
        "--profile",
        "edge",
        "--locked",
        "-p",
        "folio-edge",
        "--bin",
        "edge-bootstrap",
        "--target",
        TARGET,
    ])?;
    let binary = target_dir().join(TARGET).join("edge/edge-bootstrap");
    let out = Path::new(DIST).join("edge.zip");
    let report = write_zip(&binary, settings, &jwks, &out)?;
    println!(
        "{}: {} (binary {}, x86_64, glibc {}, {} key(s), mode {:?})",
        out.display(),
        kib(report.zip_bytes),
        kib(report.binary_bytes),
        report
            .glibc
            .map_or("none".into(), |(a, b)| format!("{a}.{b}")),
        jwks.keys.len(),
        settings.mode,
    );
    if report.zip_bytes > VIEWER_TRIGGER_LIMIT {
        println!(
            "warning: over 1 MB: fine for origin-request, too big for a viewer-request trigger"
        );
    }
    if report.zip_bytes > ORIGIN_TRIGGER_LIMIT {
        return Err(format!(
            "{} is over the 50 MB Lambda@Edge limit",
            out.display()
        ));
    }
    Ok(out)
}
