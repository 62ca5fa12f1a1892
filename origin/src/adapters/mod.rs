//! Adapters of the ports. `embedded`, `local_issuer` and `local_purge` make up the
//! local mode (`folio serve`); `dynamo`, `cognito` and
//! `cloudfront` are the production adapters (AWS mode, `crate::aws`).

pub mod aws_error;
pub mod call_policy;
pub mod cloudfront;
pub mod cognito;
pub mod dynamo;
pub mod embedded;
pub mod local_issuer;
pub mod local_purge;
pub mod resilience;
