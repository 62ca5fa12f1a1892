//! Start-up: settings read once (`settings`), the adapters built and an `App`
//! assembled, for AWS (`aws`: the origin Lambda) or for one machine (`local`:
//! `folio serve`).

pub mod aws;
pub mod error;
pub mod local;
pub mod settings;

pub use settings::OriginSettings;
