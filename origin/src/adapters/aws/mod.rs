//! The production adapters: DynamoDB (folio's own client for the request path,
//! the SDK for the rest), Cognito, CloudFront invalidations and S3 uploads.

pub mod call_policy;
pub mod cloudfront;
pub mod cognito;
pub mod dynamo;
pub mod error;
pub mod s3;
