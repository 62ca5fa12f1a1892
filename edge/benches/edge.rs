//! Warm per-event cost of the edge handler: a pass-through (public GET) and a
//! verified owner request (JWT verification), each from the JSON event to the
//! JSON result, as the binary handles them.
//!
//! `cargo bench -p folio-edge --bench edge`

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use folio_edge::EdgeConfig;
use support::*;

fn edge(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let keys = Keys::new();
    let edge = keys.edge(EdgeConfig::default());

    let miss = get("/v1/blog/posts", "featured=true", &[]);
    c.bench_function("edge/pass_through", |b| {
        b.iter(|| rt.block_on(run(&edge, miss.clone())))
    });

    let owner = format!("Bearer {}", keys.token(&["owner"]));
    let verified = owner_delete(&owner);
    c.bench_function("edge/jwt_verified_owner_request", |b| {
        b.iter(|| rt.block_on(run(&edge, verified.clone())))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = edge
}
criterion_main!(benches);
