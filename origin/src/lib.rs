//! The folio origin: the `/v1` API behind a Lambda Function URL. Layers import
//! one way (docs/ARCHITECTURE.md): `http` → `usecases` → `repo` → `ports` ←
//! `adapters`; `wiring` builds them at start; `usecases::app::App` is the state they share.
//!
//! - `http`: request → route → auth → handler → caching; Function URL events
//! - `usecases`: publishing, scheduling, hooks, import/export, rendering, limits
//! - `repo`: domain operations over the store; `repo::keys`: the single-table layout
//! - `ports`: the store, identity, invalidator and media traits
//! - `adapters`: their implementations, `local` and `aws`
//! - `wiring`: settings and start-up for AWS and for `folio serve`
//! - `events`: the media function's events (S3's, through EventBridge)
//! - `support`: randomness, private files, escaping, images

pub mod adapters;
pub mod events;
pub mod http;
pub mod ports;
pub mod repo;
pub mod support;
pub mod usecases;
pub mod wiring;

pub use usecases::app::App;
