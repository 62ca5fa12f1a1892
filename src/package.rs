//! `folio package`: the deployable zips in `dist/`.
//!
//! - `dist/origin.zip`: the origin `bootstrap` for `provided.al2023` (x86_64).
//! - `dist/media.zip`: the media function's `bootstrap` (an upload's smaller
//!   copies), for the same runtime.
//! - `dist/edge.zip`: the Lambda@Edge package (python3.12 handler, the edge binary
//!   built with the size profile, the baked configuration and a JWKS snapshot).
//!
//! Both binaries are checked for x86_64 and glibc ≤ 2.34 before they are zipped.
//! They are built with cargo, or with `cargo zigbuild` against glibc 2.17 when the
//! host's toolchain links too new a glibc (`--zigbuild`), or taken as built
//! elsewhere (`--origin-binary`, `--edge-binary`).

use folio_shared::settings::{CARGO, CARGO_TARGET_DIR};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::CommandError;
use folio_edge::config::EdgeSettings;
use folio_edge::package::{
    ORIGIN_TRIGGER_LIMIT, VIEWER_TRIGGER_LIMIT, check_binary, write_zip, zip_entry,
};
use folio_shared::jwt::JwksSource;
use folio_shared::jwt::jwks_http::HttpJwks;
use jsonwebtoken::jwk::JwkSet;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";
/// zigbuild's target: the same triple, linked against glibc 2.17.
pub const ZIG_TARGET: &str = "x86_64-unknown-linux-gnu.2.17";
pub const DIST: &str = "dist";

/// Where a package's binary comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    Cargo,
    /// `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17` (pip install
    /// cargo-zigbuild ziglang).
    Zigbuild,
    /// A binary built elsewhere, checked like one built here.
    Prebuilt(PathBuf),
}

impl Build {
    /// The cargo arguments that build `bins` of `package` with `profile`.
    pub fn cargo_args<'a>(
        &self,
        profile: &'a str,
        package: &'a str,
        bins: &[&'a str],
    ) -> Vec<&'a str> {
        let (command, target) = match self {
            Build::Zigbuild => ("zigbuild", ZIG_TARGET),
            _ => ("build", TARGET),
        };
        let mut args = vec![command, "--profile", profile, "--locked", "-p", package];
        for bin in bins {
            args.extend(["--bin", bin]);
        }
        args.extend(["--target", target]);
        args
    }

    /// Builds (unless prebuilt) and returns the binary's path.
    fn binary(&self, profile: &str, package: &str, bin: &str) -> Result<PathBuf, CommandError> {
        if let Build::Prebuilt(path) = self {
            return Ok(path.clone());
        }
        cargo_build(&self.cargo_args(profile, package, &[bin]))?;
        Ok(built(profile, bin))
    }
}

/// Where cargo leaves `bin` built with `profile` (zigbuild writes under the plain
/// triple's directory too).
fn built(profile: &str, bin: &str) -> PathBuf {
    target_dir().join(TARGET).join(profile).join(bin)
}

/// The binaries `folio package all` ships, by the cargo build that makes them.
pub const ORIGIN_BINS: (&str, &str, [&str; 2]) = ("lambda", "folio-origin", ["bootstrap", "media"]);
pub const EDGE_BINS: (&str, &str, [&str; 1]) = ("edge", "folio-edge", ["edge-bootstrap"]);

/// Builds the origin's two binaries and the edge's at once, and answers them as
/// prebuilt: `(bootstrap, media, edge)`. The `lambda` and `edge` profiles lock
/// build directories of their own, and much of either build runs on one core
/// (the front end of the origin crate; the edge's single-unit LTO), so side by
/// side on two cores they take about the longer of the two instead of the sum.
pub fn build_all(
    origin: &Build,
    media: &Build,
    edge: &Build,
) -> Result<(Build, Build, Build), CommandError> {
    let mut origin_bins: Vec<&str> = Vec::new();
    if !matches!(origin, Build::Prebuilt(_)) {
        origin_bins.push(ORIGIN_BINS.2[0]);
    }
    if !matches!(media, Build::Prebuilt(_)) {
        origin_bins.push(ORIGIN_BINS.2[1]);
    }
    let builder = if matches!(origin, Build::Prebuilt(_)) {
        media
    } else {
        origin
    };
    std::thread::scope(|scope| {
        let edge_build = (!matches!(edge, Build::Prebuilt(_))).then(|| {
            scope.spawn(|| cargo_build(&edge.cargo_args(EDGE_BINS.0, EDGE_BINS.1, &EDGE_BINS.2)))
        });
        let origin_result = if origin_bins.is_empty() {
            Ok(())
        } else {
            cargo_build(&builder.cargo_args(ORIGIN_BINS.0, ORIGIN_BINS.1, &origin_bins))
        };
        let edge_result = edge_build.map_or(Ok(()), |handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(CommandError::Refused("the edge build panicked".into())))
        });
        origin_result.and(edge_result)
    })?;
    let done = |build: &Build, profile: &str, bin: &str| match build {
        Build::Prebuilt(path) => Build::Prebuilt(path.clone()),
        _ => Build::Prebuilt(built(profile, bin)),
    };
    Ok((
        done(origin, ORIGIN_BINS.0, ORIGIN_BINS.2[0]),
        done(media, ORIGIN_BINS.0, ORIGIN_BINS.2[1]),
        done(edge, EDGE_BINS.0, EDGE_BINS.2[0]),
    ))
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Runs cargo (the one running us, if any) with its progress on the terminal.
fn cargo_build(args: &[&str]) -> Result<(), CommandError> {
    let cargo = crate::env()
        .get(&CARGO)
        .unwrap_or(CARGO.default)
        .to_string();
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .map_err(|e| CommandError::Refused(format!("cannot run {cargo}: {e}")))?;
    if !status.success() && args.first() == Some(&"zigbuild") {
        return Err(CommandError::Refused(format!(
            "cargo zigbuild failed ({status}): is it installed? `pip install cargo-zigbuild ziglang`"
        )));
    }
    if status.success() {
        Ok(())
    } else {
        Err(CommandError::Refused(format!(
            "cargo {} failed ({status})",
            args.join(" ")
        )))
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(
        crate::env()
            .get(&CARGO_TARGET_DIR)
            .unwrap_or(CARGO_TARGET_DIR.default),
    )
}

/// Builds and zips the origin Lambda into `dist`.
pub fn origin(build: &Build, dist: &Path) -> Result<PathBuf, CommandError> {
    provided_zip(build, dist, "bootstrap", "origin")
}

/// Builds and zips the media function into `dist`.
pub fn media(build: &Build, dist: &Path) -> Result<PathBuf, CommandError> {
    provided_zip(build, dist, "media", "media")
}

/// `dist/<name>.zip`: binary `bin` of the origin crate as a `provided.al2023`
/// function's `bootstrap`.
fn provided_zip(
    build: &Build,
    dist: &Path,
    bin: &str,
    name: &str,
) -> Result<PathBuf, CommandError> {
    let binary = build.binary(ORIGIN_BINS.0, ORIGIN_BINS.1, bin)?;
    let bytes = std::fs::read(&binary)
        .map_err(|e| CommandError::Refused(format!("cannot read {}: {e}", binary.display())))?;
    let glibc = check_binary(&bytes, &format!("the {name} binary"))?;
    let out = dist.join(format!("{name}.zip"));
    std::fs::create_dir_all(dist)
        .map_err(|e| CommandError::Refused(format!("cannot create {}: {e}", dist.display())))?;
    let file = std::fs::File::create(&out)
        .map_err(|e| CommandError::Refused(format!("cannot create {}: {e}", out.display())))?;
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file("bootstrap", zip_entry(0o755))
        .and_then(|()| zip.write_all(&bytes).map_err(Into::into))
        .and_then(|()| zip.finish().map(|_| ()))
        .map_err(|e| CommandError::Refused(format!("cannot write {}: {e}", out.display())))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "{}: {} (binary {}, x86_64, glibc {})",
        out.display(),
        kib(size),
        kib(bytes.len() as u64),
        glibc.map_or("none".into(), |(a, b)| format!("{a}.{b}"))
    );
    if size > ORIGIN_TRIGGER_LIMIT {
        return Err(CommandError::Refused(format!(
            "{} is over Lambda's 50 MB zip limit",
            out.display()
        )));
    }
    Ok(out)
}

/// The JWKS snapshot: a file, or fetched from the pool's JWKS URL now.
async fn snapshot(settings: &EdgeSettings, file: Option<&Path>) -> Result<JwkSet, CommandError> {
    if let Some(file) = file {
        let bytes = std::fs::read(file)
            .map_err(|e| CommandError::Refused(format!("cannot read {}: {e}", file.display())))?;
        return serde_json::from_slice(&bytes)
            .map_err(|e| CommandError::Refused(format!("{} is not a JWKS: {e}", file.display())));
    }
    let url = settings.jwks_url();
    println!("==> fetching the JWKS snapshot from {url}");
    HttpJwks::new(&url)?.fetch().await.map_err(|e| {
        CommandError::Refused(format!(
            "cannot fetch the JWKS snapshot ({e}); pass --jwks-file"
        ))
    })
}

/// Builds and zips the edge with `settings` baked in, into `dist`.
pub async fn edge(
    settings: &EdgeSettings,
    jwks_file: Option<&Path>,
    build: &Build,
    dist: &Path,
) -> Result<PathBuf, CommandError> {
    let jwks = snapshot(settings, jwks_file).await?;
    if jwks.keys.is_empty() {
        return Err("the JWKS snapshot has no keys".into());
    }
    let binary = build.binary(EDGE_BINS.0, EDGE_BINS.1, EDGE_BINS.2[0])?;
    let out = dist.join("edge.zip");
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
        return Err(CommandError::Refused(format!(
            "{} is over the 50 MB Lambda@Edge limit",
            out.display()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigbuild_links_against_glibc_2_17_and_a_prebuilt_binary_is_checked_not_built() {
        let zig = Build::Zigbuild.cargo_args("lambda", "folio-origin", &["bootstrap"]);
        assert_eq!(zig[0], "zigbuild");
        assert!(zig.contains(&ZIG_TARGET));
        assert_eq!(
            Build::Cargo.cargo_args("edge", "folio-edge", &["edge-bootstrap"])[0],
            "build"
        );
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bootstrap");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let error = origin(&Build::Prebuilt(script), dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the origin binary is not an ELF"),
            "{error}"
        );
        assert!(!dir.path().join("origin.zip").exists());
    }
}
