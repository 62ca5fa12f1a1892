//! Images the owner uploads (a post's cover, a project's image, pictures inside
//! Markdown): the origin hands out a short-lived, signed upload URL for one object
//! of one type and one size; the bytes go straight to storage, never through the
//! API; readers fetch them from `/media/…` through the same distribution.
//!
//! - Production: an S3 presigned `PUT` (Signature Version 4 in the query string,
//!   "Authenticating Requests: Using Query Parameters", Amazon S3 API Reference).
//!   `Content-Type` and `Content-Length` are signed, so S3 refuses any other type
//!   or size. The bucket is private; CloudFront reads it through Origin Access
//!   Control on the `/media/*` behaviour (template.yaml).
//! - `folio serve`: the same contract, kept by `folio serve` itself: an
//!   HMAC-signed URL to `/media/<key>` on its own address, the file written under
//!   the data directory, served back like CloudFront would serve the bucket.
//!
//! Production's settings, `MEDIA_BUCKET` and `MEDIA_URL`, are defined in
//! `folio_shared::settings`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Where media live, in keys and in URL paths (CloudFront's `/media/*`).
pub const MEDIA_PREFIX: &str = "media/";
/// The largest image accepted.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// How long an upload URL works.
pub const UPLOAD_SECS: i64 = 15 * 60;
/// The header that makes an upload single-use: it creates the object or fails
/// (`412`) when one is there already, so a URL cannot overwrite what readers get
/// served `immutable` for a year. S3 supports it on `PutObject` ("Prevent object
/// overwrites with conditional writes", Amazon S3 User Guide:
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>);
/// it is signed into the URL, so the uploader cannot leave it out.
pub const CREATE_ONLY: (&str, &str) = ("If-None-Match", "*");
/// The image types accepted, with their file extension. No SVG: it can carry script.
pub const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
    ("image/avif", "avif"),
];

/// The media type of an extension we issued.
pub fn type_of_extension(extension: &str) -> Option<&'static str> {
    IMAGE_TYPES
        .iter()
        .find(|(_, ext)| *ext == extension)
        .map(|(t, _)| *t)
}

/// Whether `bytes` start like an image of `content_type` (its magic number).
pub fn looks_like(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "image/avif" => bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && &bytes[8..12] == b"avif",
        _ => false,
    }
}

/// An upload the owner may make: one object, one type, one size, until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    /// `media/<random>.<ext>`.
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub expires: DateTime<Utc>,
}

/// Where to send the bytes, and what readers will fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUpload {
    pub upload_url: String,
    /// Headers the upload must carry exactly (they are signed).
    pub headers: Vec<(String, String)>,
    /// The image's public address.
    pub url: String,
}

/// Why an upload could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// No credentials to sign with right now (the role's are being refreshed).
    #[error("no AWS credentials to sign an upload with: {0}")]
    NoCredentials(String),
    #[error(transparent)]
    NoEntropy(#[from] crate::support::random::NoEntropy),
}

/// Storage for uploaded images: S3 in production, the data directory locally.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn sign_upload(
        &self,
        grant: &UploadGrant,
        now: DateTime<Utc>,
    ) -> Result<SignedUpload, MediaError>;

    /// The origin (`scheme://host[:port]`) upload URLs point at, when it is not
    /// the API's own: the console's CSP lets the browser reach that one, no other.
    fn upload_origin(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_first_bytes() {
        assert!(looks_like("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(looks_like("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(looks_like("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!looks_like("image/png", b"<svg onload=alert(1)>"));
        assert!(!looks_like("image/svg+xml", b"<svg/>"));
    }
}
