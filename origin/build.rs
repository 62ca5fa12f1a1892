//! The origin Lambda (`bootstrap`) links as a position-dependent executable.
//!
//! As a PIE, the dynamic loader applied 57,185 relative relocations at every
//! cold start: it read 1.3 MB of `.rela.dyn` and wrote (so copied) 1 MB of
//! `.data.rel.ro`. That was a quarter of the start's CPU and 1.7 MiB of its RSS
//! (BENCHMARKS.md, "The origin links without PIE"; issue 33). glibc's packed
//! relocations (DT_RELR) would shrink the table but need glibc 2.36, and Lambda's
//! provided.al2023 has 2.34.
//!
//! What it gives up: the binary's own code and data load at a fixed address, so
//! ASLR no longer hides them; libc, the heap, the stacks and every mapping stay
//! randomised. The media function and `folio` stay PIE: neither has a start to
//! save.

fn main() {
    // Lambda runs Linux; another OS's linker may not take the flag.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bin=bootstrap=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
