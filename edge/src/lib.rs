//! The folio edge: a Lambda@Edge function that verifies JWTs, answers CORS
//! preflights, refusals and cached public reads itself, and forwards the rest to
//! the origin.
//!
//! - `events`: CloudFront's Lambda@Edge event shapes
//! - `handler`: the decisions; `cache`: the in-function response cache
//! - `config`: the configuration baked into the package; `package`: building it

pub mod cache;
pub mod config;
pub mod events;
pub mod handler;
pub mod package;

pub use events::{CfRequest, CfResponse, CloudFrontEvent, EdgeResult};
pub use handler::{Edge, EdgeConfig};
