//! What the origin does, whoever asks: the HTTP handlers and the scheduler's tick
//! both call in here, never into each other. Nothing here knows HTTP.
//!
//! - `error`: the use cases' one error type
//! - `app`: the state every use case and handler shares (ports, caches, settings)
//! - `publishing`: writes that change what readers see, with their cache purge
//!   and rebuild-hook outbox
//! - `scheduler`: publishes scheduled items when due (one `tick`)
//! - `webhooks`: rebuild hooks, sent from an outbox by the tick
//! - `revisions`: earlier versions read and restored, deleted items brought back
//! - `portable`: the export format, and export and import over any store
//! - `search`: ranked search over the published items
//! - `render`: Markdown to sanitised HTML; `site`: the owner's frontend
//! - `images`: an upload's smaller copies, made once after it is stored;
//!   `media_sweep`: uploads nothing links to, removed a day later
//! - `representations`: items as readers get them, kept by version
//! - `tracking`: deduplicated visits and views, counted without storing an address;
//!   `audience` (where a visit came from, on what) and `readership` (views, reads
//!   and time on page per item) are the aggregates it keeps
//! - `login_throttle`, `tracking_limit`: what one client may do
//! - `verified_tokens`: tokens verified once, accepted again by a lookup

pub mod app;
pub mod audience;
pub mod error;
pub mod images;
pub mod login_throttle;
pub mod media_sweep;
pub mod portable;
pub mod publishing;
pub mod readership;
pub mod redirects;
pub mod render;
pub mod representations;
pub mod revisions;
pub mod scheduler;
pub mod search;
pub mod site;
pub mod tracking;
pub mod tracking_limit;
pub mod verified_tokens;
pub mod webhooks;
