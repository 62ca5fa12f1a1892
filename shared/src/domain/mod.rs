//! The portfolio domain: content kinds, validated newtypes and the input rules.

mod blog;
mod certification;
mod content;
mod fields;
mod project;
mod query;
mod types;

pub use blog::{BlogPost, read_time, slugify};
pub use certification::{CertType, Certification};
pub use content::{Content, Meta};
pub use fields::Fields;
pub use project::Project;
pub use query::{ListQuery, StatusFilter, bounded_int};
pub use types::{ContentKind, Email, HttpUrl, ItemId, Status, Timestamp, today_utc};
