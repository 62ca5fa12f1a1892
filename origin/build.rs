//! How the origin Lambda (`bootstrap`) links.
//!
//! **Without PIE.** As a PIE, the dynamic loader applied 57,185 relative
//! relocations at every cold start: it read 1.3 MB of `.rela.dyn` and wrote (so
//! copied) 1 MB of `.data.rel.ro`. That was a quarter of the start's CPU and 1.7 MiB
//! of its RSS (BENCHMARKS.md, "The origin links without PIE"; issue 33). glibc's
//! packed relocations (DT_RELR) would shrink the table but need glibc 2.36, and
//! Lambda's provided.al2023 has 2.34. What it gives up: the binary's own code and
//! data load at a fixed address, so ASLR no longer hides them; libc, the heap, the
//! stacks and every mapping stay randomised. The media function and `folio` stay
//! PIE: neither has a start to save.
//!
//! **Its hot functions together.** `hot-functions.txt` (written by
//! `scripts/hot_functions` from the bench's profiles) lists the functions warm
//! invocations run, hottest first; the linker lays them out in that order, in
//! 1.3 MB instead of scattered over 15 MB of text: fewer pages to fault in at the
//! start, fewer instruction-TLB and cache misses when an invocation runs after
//! the instance idled (BENCHMARKS.md, "The hot functions laid out together").
//! It is lld's option (`--symbol-ordering-file`), and lld is what rustc links
//! with on x86_64 Linux by default since Rust 1.90; a build that names its own
//! linker (cargo-zigbuild, mold, a `linker` setting) or changes the linker's
//! features links without it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=hot-functions.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    // Lambda runs Linux; another OS's linker may not take the flags.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    println!("cargo:rustc-link-arg-bin=bootstrap=-no-pie");
    if default_lld()
        && let Some(order) = hot_functions()
    {
        println!(
            "cargo:rustc-link-arg-bin=bootstrap=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // A name the file lists but the build no longer has is skipped quietly.
        println!("cargo:rustc-link-arg-bin=bootstrap=-Wl,--no-warn-symbol-ordering");
    }
}

/// The list, copied into the build's own directory: a build cache shared by
/// clones keeps this script's output, and a path into the clone that ran it
/// would not outlive that clone.
fn hot_functions() -> Option<std::path::PathBuf> {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR")?).join("hot-functions.txt");
    std::fs::copy(
        std::path::Path::new(&package).join("hot-functions.txt"),
        &out,
    )
    .ok()?;
    Some(out)
}

/// Whether this build links with rustc's own lld: x86_64 GNU/Linux, no linker
/// named for the target (`RUSTC_LINKER`, which Cargo sets for a build script when
/// one is), and no `-C linker…` option in the flags.
fn default_lld() -> bool {
    let target_is = |name: &str, value: &str| std::env::var(name).as_deref() == Ok(value);
    target_is("CARGO_CFG_TARGET_ARCH", "x86_64")
        && target_is("CARGO_CFG_TARGET_ENV", "gnu")
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !std::env::var("CARGO_ENCODED_RUSTFLAGS")
            .unwrap_or_default()
            .contains("linker")
}
