//! The origin's binary, for the tests and benches of the `folio` package that run
//! it as a process. Cargo names only a package's own binaries to its tests
//! (`CARGO_BIN_EXE_*`), so it is built here, once per test run, into the same
//! target directory.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The origin Lambda's `bootstrap`: `FOLIO_ORIGIN_BINARY` if set (e.g. the one
/// `folio package` zipped, the `lambda` profile), else the debug build.
pub fn origin_bootstrap() -> PathBuf {
    if let Some(path) = std::env::var_os("FOLIO_ORIGIN_BINARY") {
        return path.into();
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| build("folio-origin", "bootstrap"))
        .clone()
}

/// Builds `bin` of `package` in the profile of the running test, returns its path.
///
/// It builds every binary with the workspace's tests (`--workspace --tests
/// --bins`), as `scripts/test` does before it runs them: the same feature set as
/// `cargo test --workspace`, so the dependencies are not built again and after
/// `scripts/test`'s build this is a fingerprint check.
fn build(package: &str, bin: &str) -> PathBuf {
    // <target>/<profile>/deps/<this test>: the binary goes to <target>/<profile>.
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a cargo target directory")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet", "--workspace", "--tests", "--bins"]);
    // Cargo runs this test with the package's variables set (`CARGO_PKG_NAME`,
    // `CARGO_MANIFEST_DIR`, …). Build scripts that declare them
    // `rerun-if-env-changed` (ring's does) would see other values than in the
    // outer build and build everything again: the child gets none of them.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_the_test = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*name);
        if set_for_the_test {
            command.env_remove(&*name);
        }
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    let status = command.status().expect("cargo runs");
    assert!(
        status.success(),
        "cargo build -p {package} --bin {bin} failed"
    );
    let path = dir.join(bin);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}
