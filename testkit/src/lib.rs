//! Test support shared across the workspace's crates (instead of `#[path]`
//! includes): `runtime_api`, the Lambda Runtime API a test serves to a packaged
//! binary; `tls`, a TLS-terminating proxy with a certificate authority of its own;
//! `package_dir`, where the running test's package is checked out.

pub mod runtime_api;
pub mod tls;

use std::path::PathBuf;

/// The directory of the running test's package, read when the test runs: cargo
/// sets `CARGO_MANIFEST_DIR` for every test it runs ("Environment variables Cargo
/// sets for crates", The Cargo Book). Not `env!`, which would bake in the checkout
/// the test was built in: cargo does not count that path among what makes a build
/// stale, so a build reused from another clone's directory would read that clone's
/// files (scripts/build_cache_sources). A bench run directly, outside cargo, runs
/// from the repository root.
pub fn package_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}
