//! Test support shared across the workspace's crates (instead of `#[path]`
//! includes): `runtime_api`, the Lambda Runtime API a test serves to a packaged
//! binary; `tls`, a TLS-terminating proxy with a certificate authority of its own.

pub mod runtime_api;
pub mod tls;
