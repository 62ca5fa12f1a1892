//! The production cache invalidator: one CloudFront CreateInvalidation per change,
//! with a caller reference derived from the change so a retried request is not
//! billed twice. Failures are retried with backoff and logged; they never fail the
//! write that caused them (the edge TTL bounds staleness anyway).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use folio_shared::digest::sha256_hex_prefix;

use crate::ports::Invalidator;
use crate::ports::invalidator::normalise;

/// Attempts per change before giving up (and logging).
const ATTEMPTS: u32 = 3;

pub struct CloudFrontInvalidator {
    client: Client,
    distribution_id: String,
    retry_delay: Duration,
}

/// `folio-<hash of the paths>-<change id>`: unique per change, identical across
/// retries of that change (CloudFront then answers with the first invalidation).
fn caller_reference(paths: &[String], change_id: &str) -> String {
    let hex = sha256_hex_prefix(paths.join("\n").as_bytes(), 8);
    format!("folio-{hex}-{change_id}")
}

/// Why CloudFront did not take an invalidation (logged; the port never fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum InvalidationError {
    #[error("the invalidation batch cannot be built: {0}")]
    Batch(String),
    #[error("{0}")]
    Refused(String),
}

impl CloudFrontInvalidator {
    pub fn new(client: Client, distribution_id: impl Into<String>) -> Self {
        Self {
            client,
            distribution_id: distribution_id.into(),
            retry_delay: Duration::from_millis(200),
        }
    }

    /// Sends one invalidation; returns its id.
    async fn create(&self, paths: &[String], reference: &str) -> Result<String, InvalidationError> {
        let quantity =
            i32::try_from(paths.len()).map_err(|e| InvalidationError::Batch(e.to_string()))?;
        let batch = InvalidationBatch::builder()
            .caller_reference(reference)
            .paths(
                Paths::builder()
                    .quantity(quantity)
                    .set_items(Some(paths.to_vec()))
                    .build()
                    .map_err(|e| InvalidationError::Batch(e.to_string()))?,
            )
            .build()
            .map_err(|e| InvalidationError::Batch(e.to_string()))?;
        let output = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| {
                InvalidationError::Refused(format!(
                    "{:?}",
                    aws_sdk_cloudfront::error::DisplayErrorContext(e)
                ))
            })?;
        Ok(output
            .invalidation()
            .map(|i| i.id().to_string())
            .unwrap_or_default())
    }
}

#[async_trait]
impl Invalidator for CloudFrontInvalidator {
    async fn invalidate(&self, paths: Vec<String>) {
        let paths = normalise(paths);
        if paths.is_empty() {
            return;
        }
        let reference = caller_reference(&paths, &uuid::Uuid::now_v7().simple().to_string());
        for attempt in 1..=ATTEMPTS {
            match self.create(&paths, &reference).await {
                Ok(id) => {
                    tracing::info!(invalidation_id = %id, paths = ?paths, "cloudfront invalidation created");
                    return;
                }
                Err(error) if attempt < ATTEMPTS => {
                    tracing::warn!(attempt, %error, "cloudfront invalidation failed; retrying");
                    tokio::time::sleep(self.retry_delay * 2u32.pow(attempt - 1)).await;
                }
                Err(error) => {
                    tracing::error!(
                        %error,
                        paths = ?paths,
                        caller_reference = %reference,
                        "cloudfront invalidation failed; content stays stale until the edge TTL passes"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_reference_ignores_path_order_but_not_the_change() {
        let a = normalise(vec!["/v1/projects*".into(), "/v1/x".into()]);
        let b = normalise(vec!["/v1/x".into(), "/v1/projects*".into(), "/v1/x".into()]);
        assert_eq!(a, b);
        assert_eq!(caller_reference(&a, "c1"), caller_reference(&b, "c1"));
        assert_ne!(caller_reference(&a, "c1"), caller_reference(&a, "c2"));
    }
}
