//! The cache-invalidator port: tells the shared cache in front of the origin that
//! some paths changed.

use async_trait::async_trait;

#[async_trait]
pub trait Invalidator: Send + Sync {
    /// Invalidates the paths (a trailing `*` is a prefix wildcard). Failures are the
    /// adapter's to retry and log: a write never fails because of them.
    async fn invalidate(&self, paths: Vec<String>);
}

/// The paths of one change as every adapter sends them: sorted, each once.
pub fn normalise(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths.dedup();
    paths
}
