//! The folio edge: a Lambda@Edge function that verifies JWTs, answers CORS
//! preflights and refusals itself, and forwards the rest to the origin.

pub mod events;
pub mod handler;

pub use events::{CfRequest, CfResponse, CloudFrontEvent, EdgeResult};
pub use handler::{Edge, EdgeConfig};
