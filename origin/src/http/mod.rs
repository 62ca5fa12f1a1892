//! The HTTP layer: a request resolved against the route table, its caller
//! authenticated, its handler run and the caching rules applied (`pipeline`);
//! `ApiError` is built here and nowhere below. `lambda` turns Function URL events
//! into `Request`s and answers back, and `log_lines` writes the Lambdas' JSON log
//! lines; `openapi` is folio's API document.

pub mod caller;
pub mod error;
pub mod handlers;
pub mod lambda;
pub mod log_lines;
pub mod openapi;
pub mod pipeline;
pub mod request;

pub use caller::{Caller, is_owner};
pub use pipeline::handle;
