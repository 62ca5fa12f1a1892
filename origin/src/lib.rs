//! The folio origin: the `/v1` API behind a Lambda Function URL.
//!
//! - `app`: request → route → auth → handler → caching, in one place
//! - `handlers`: one function per operation
//! - `ports`: the store, identity and invalidator traits; `adapters`: their implementations
//! - `repo`: domain operations over the store; `keys`: the single-table key layout
//! - `lambda`: Function URL events in and out
//! - `media`: signed image uploads (S3 presigned PUTs, or `folio serve`'s own)
//! - `portable`: the export format, and export and import over any store
//! - `render`: Markdown to sanitised HTML for readers
//! - `scheduler`: publishes scheduled items when they are due (one `tick`)
//! - `site`: the owner's frontend, which feeds and the sitemap link to
//! - `webhooks`: rebuild hooks, sent from an outbox by the scheduler's tick
//! - `verified_tokens`: tokens verified once, accepted again by a lookup until they expire

pub mod adapters;
pub mod app;
pub mod aws;
mod handlers;
pub mod keys;
pub mod lambda;
pub mod local;
pub mod login_throttle;
pub mod media;
pub mod openapi;
pub mod portable;
pub mod ports;
pub mod private_files;
pub mod random;
pub mod render;
pub mod repo;
pub mod request;
pub mod scheduler;
pub mod site;
pub mod tracking_limit;
pub mod verified_tokens;
pub mod webhooks;

pub use app::App;
pub use handlers::public_paths;
