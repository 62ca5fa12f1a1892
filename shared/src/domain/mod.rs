//! The portfolio domain: content kinds, validated newtypes and the input rules.

mod blog;
mod certification;
mod content;
mod field_error;
mod fields;
mod project;
pub mod query;
pub mod rules;
mod types;

pub mod password;

pub use blog::{BlogPost, CONTENT_HTML, COVER_IMAGE_SOURCES, read_time, slugify};
pub use password::{PASSWORD_POLICY, PasswordPolicy};

/// The longest Markdown body (blog `content`, project `longDescription`), in
/// characters. What is stored is also held to DynamoDB's 400 KB per item, so a
/// body within this length can still be refused with 413 when its characters
/// take many bytes.
pub const MARKDOWN_MAX_CHARS: usize = 200_000;
pub use certification::Certification;
pub use content::{Content, Meta, PUBLISH_AT};
pub use field_error::FieldError;
pub use fields::{BodyError, Fields, MAX_SECRET_CHARS};
pub use project::{IMAGE_SOURCES, LONG_DESCRIPTION_HTML, Project};
pub use query::{Facet, ListQuery, StatusFilter, bounded_int};
pub use types::{
    CertType, ContentKind, Email, HttpUrl, ItemId, Status, Timestamp, is_url_safe, today_utc,
    unix_now,
};
