//! Adapters of the ports (`crate::ports`), one folder per environment:
//! `local` makes up `folio serve` (embedded store, local issuer, local purge,
//! media under the data directory), `aws` is production (DynamoDB, Cognito,
//! CloudFront, S3). `resilience` wraps either to inject faults in tests.

pub mod aws;
pub mod local;
pub mod resilience;
