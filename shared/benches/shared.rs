//! Route matching. (JWT verification: `cargo bench -p folio-origin --bench tokens`.)

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use folio_shared::routes::RouteTable;
use http::Method;

fn routes(c: &mut Criterion) {
    let table = RouteTable::new();
    c.bench_function("route_match/item", |b| {
        b.iter(|| {
            table
                .resolve(
                    black_box(&Method::GET),
                    black_box("/v1/blog/posts/0123456789abcdef"),
                )
                .is_ok()
        })
    });
    c.bench_function("route_match/not_found", |b| {
        b.iter(|| {
            table
                .resolve(black_box(&Method::GET), black_box("/v1/nothing/here"))
                .is_err()
        })
    });
}

criterion_group!(benches, routes);
criterion_main!(benches);
