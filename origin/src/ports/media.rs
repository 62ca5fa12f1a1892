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
    /// Storage answered otherwise than the contract says, or could not be reached.
    #[error("media storage: {0}")]
    Storage(String),
}

/// A media object's name under `media/`: `<stem>.<ext>`, the stem of
/// `[A-Za-z0-9_-]`, the extension one of `IMAGE_TYPES`; its media type.
pub fn parse_name(name: &str) -> Option<&'static str> {
    let (stem, extension) = name.rsplit_once('.')?;
    let safe = !stem.is_empty()
        && stem.len() <= 128
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    safe.then(|| type_of_extension(extension)).flatten()
}

/// The name an image is stored under when the bulk commands bring it in: its
/// content's digest, so the same image brought twice is one object, and a name
/// never points at other bytes.
pub fn content_name(bytes: &[u8], content_type: &str) -> Option<String> {
    let (_, extension) = IMAGE_TYPES.iter().find(|(t, _)| *t == content_type)?;
    Some(format!(
        "{}.{extension}",
        folio_shared::digest::sha256_hex_prefix(bytes, 16)
    ))
}

/// The media objects themselves, for the bulk commands (export, import): read one,
/// create one. The request path never uses this; readers fetch `/media/…` from
/// the distribution.
#[async_trait]
pub trait MediaObjects: Send + Sync {
    /// Where readers fetch `media/<name>`: `<public_base>/media/<name>`.
    fn public_base(&self) -> &str;

    /// The bytes of `media/<name>`; `None` when there is no such object.
    async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaError>;

    /// Creates `media/<name>`, never replacing one: `false` when it was there
    /// already (names are digests of the content, so it holds the same bytes).
    async fn put(&self, name: &str, content_type: &str, bytes: &[u8]) -> Result<bool, MediaError>;
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

    #[test]
    fn a_media_name_is_one_safe_segment_with_an_image_extension() {
        assert_eq!(parse_name("abc-1_2.png"), Some("image/png"));
        for bad in [
            "../x.png",
            "a/b.png",
            "x.svg",
            ".png",
            "x",
            "x.png.exe",
            "x y.png",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
        let name = content_name(b"\x89PNG\r\n\x1a\n", "image/png").unwrap();
        assert_eq!(parse_name(&name), Some("image/png"));
        assert_eq!(content_name(b"<svg/>", "image/svg+xml"), None);
    }
}
