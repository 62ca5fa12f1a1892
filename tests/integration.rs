//! folio's integration tests, in one test binary (one link instead of one per
//! file): the end-to-end suites through the CloudFront stand-in on every backend,
//! the ports' contract on every adapter, the AWS adapters against moto, the
//! shipped zips and binaries as processes. `FOLIO_TEST_BACKEND=moto` runs the
//! end-to-end suites on moto (`cargo test --test integration -- api:: concurrency::`).

mod support;

mod api;
mod artifacts;
mod aws;
mod bootstrap;
mod concurrency;
mod jwt_edge;
mod ports;
mod process;
