//! The local adapters `folio serve` runs on: an embedded transactional store, a
//! token issuer shaped like Cognito, a purge of the stand-in's cache, and media
//! stored under the data directory.

pub mod embedded;
pub mod issuer;
pub mod media;
pub mod purge;
