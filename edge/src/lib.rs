//! The folio edge: a Lambda@Edge function that verifies JWTs, answers CORS
//! preflights and refusals itself, and forwards the rest to the origin with the
//! verified caller handed on.
//!
//! - `events`: CloudFront's Lambda@Edge event shapes
//! - `handler`: the decisions
//! - `config`: the configuration baked into the package; `package`: building it

pub mod config;
pub mod events;
pub mod handler;
pub mod package;

pub use events::{CfRequest, CfResponse, CloudFrontEvent, EdgeResult};
pub use handler::{Edge, EdgeConfig};
