//! Start-up: settings read once (`settings`), the adapters built and an `App`
//! assembled, for AWS (`aws`) or for one machine (`local`).

pub mod aws;
pub mod error;
pub mod local;
pub mod settings;

pub use settings::{Adapters, OriginSettings};
