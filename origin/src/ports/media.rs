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

pub use crate::support::images::Dimensions;

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

/// A media object's name under `media/`: `<stem>[.<width>x<height>].<ext>`, the
/// stem of `[A-Za-z0-9_-]`, the dimensions (when the uploader declared them) in
/// decimal, the extension one of `IMAGE_TYPES`; its media type.
pub fn parse_name(name: &str) -> Option<&'static str> {
    parts(name).map(|p| p.content_type)
}

/// The parts of a media name (`parse_name`).
struct Parts<'a> {
    stem: &'a str,
    dimensions: Option<Dimensions>,
    content_type: &'static str,
}

fn parts(name: &str) -> Option<Parts<'_>> {
    let (rest, extension) = name.rsplit_once('.')?;
    let (stem, dimensions) = match rest.split_once('.') {
        Some((stem, declared)) => (stem, Some(parse_dimensions(declared)?)),
        None => (rest, None),
    };
    let safe = !stem.is_empty() && stem.len() <= 128 && folio_shared::domain::is_url_safe(stem);
    let content_type = type_of_extension(extension)?;
    safe.then_some(Parts {
        stem,
        dimensions,
        content_type,
    })
}

/// `<width>x<height>`, each 1 to 5 digits without a leading zero.
fn parse_dimensions(text: &str) -> Option<Dimensions> {
    let (w, h) = text.split_once('x')?;
    let number = |s: &str| {
        (!s.is_empty()
            && s.len() <= 5
            && !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u32>().ok())
        .flatten()
    };
    Some(Dimensions {
        width: number(w)?,
        height: number(h)?,
    })
}

/// The name an upload of `extension` gets: a random stem, and the dimensions
/// the uploader declared, so that readers' pages know an image's size and its
/// smaller copies from its address alone (no lookup when rendering).
pub fn upload_name(stem: &str, dimensions: Option<Dimensions>, extension: &str) -> String {
    match dimensions {
        Some(d) => format!("{stem}.{}x{}.{extension}", d.width, d.height),
        None => format!("{stem}.{extension}"),
    }
}

/// The dimensions a media name declares, if any.
pub fn declared_dimensions(name: &str) -> Option<Dimensions> {
    parts(name)?.dimensions
}

/// The widths smaller copies are made at (those narrower than the image).
pub const SMALLER_WIDTHS: &[u32] = &[480, 960, 1600];
/// Where the smaller copies live, under `MEDIA_PREFIX`: out of the uploads'
/// one-segment names, so a copy is never taken for an upload.
pub const SMALLER_DIR: &str = "sized/";
/// The type of every smaller copy.
pub const SMALLER_TYPE: &str = "image/webp";

/// The name of `name`'s copy at `width`: `sized/<stem>-<width>.webp`.
pub fn smaller_name(name: &str, width: u32) -> Option<String> {
    let parts = parts(name)?;
    Some(format!("{SMALLER_DIR}{}-{width}.webp", parts.stem))
}

/// The media type of any object under `media/`: an upload (`parse_name`) or a
/// smaller copy (`smaller_name`).
pub fn object_type(name: &str) -> Option<&'static str> {
    match name.strip_prefix(SMALLER_DIR) {
        Some(copy) => {
            let (stem, width) = copy.strip_suffix(".webp")?.rsplit_once('-')?;
            let width: u32 = width.parse().ok()?;
            (SMALLER_WIDTHS.contains(&width) && parts(&format!("{stem}.webp")).is_some())
                .then_some(SMALLER_TYPE)
        }
        None => parse_name(name),
    }
}

/// What a page needs to show an image at the right size: its dimensions, and
/// the addresses of its copies by width, the image itself the widest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sources {
    pub width: u32,
    pub height: u32,
    /// `srcset`-ready: `<url> <width>w`, narrowest first.
    pub srcset: String,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    pub url: String,
    pub width: u32,
}

/// The sources of the image at `url` when it is one of ours: its path is
/// `/media/<name>` with declared dimensions, and it is relative or on
/// `public_base` (where `/media/` is served). Smaller copies are listed only for
/// the types they are made of (PNG, JPEG, WebP).
pub fn sources(url: &str, public_base: Option<&str>) -> Option<Sources> {
    let path_at = if url.starts_with('/') {
        0
    } else {
        let base = public_base?.trim_end_matches('/');
        url.strip_prefix(base)
            .filter(|rest| rest.starts_with('/'))?;
        base.len()
    };
    let name = url[path_at..]
        .strip_prefix('/')?
        .strip_prefix(MEDIA_PREFIX)?;
    let parts = parts(name)?;
    let dimensions = parts.dimensions?;
    let prefix = &url[..path_at];
    let mut candidates: Vec<Candidate> =
        if crate::support::images::makes_smaller(parts.content_type) {
            SMALLER_WIDTHS
                .iter()
                .filter(|w| **w < dimensions.width)
                .filter_map(|w| {
                    Some(Candidate {
                        url: format!("{prefix}/{MEDIA_PREFIX}{}", smaller_name(name, *w)?),
                        width: *w,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
    candidates.push(Candidate {
        url: url.to_string(),
        width: dimensions.width,
    });
    let srcset = candidates
        .iter()
        .map(|c| format!("{} {}w", c.url, c.width))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Sources {
        width: dimensions.width,
        height: dimensions.height,
        srcset,
        candidates,
    })
}

/// The name an image is stored under when the bulk commands bring it in: its
/// content's digest, so the same image brought twice is one object, and a name
/// never points at other bytes; with its dimensions when they are known (as an
/// upload declares them).
pub fn content_name(
    bytes: &[u8],
    content_type: &str,
    dimensions: Option<Dimensions>,
) -> Option<String> {
    let (_, extension) = IMAGE_TYPES.iter().find(|(t, _)| *t == content_type)?;
    let digest = folio_shared::digest::sha256_hex_prefix(bytes, 16);
    Some(upload_name(&digest, dimensions, extension))
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

    /// Every object under `media/` that is ours (uploads and their copies), for
    /// the sweep of uploads no item links to.
    async fn list(&self) -> Result<Vec<StoredObject>, MediaError>;

    /// Removes `media/<name>`; one that is not there is not an error.
    async fn delete(&self, name: &str) -> Result<(), MediaError>;
}

/// An object under `media/`, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its name under `media/` (`object_type` knows it).
    pub name: String,
    pub modified: DateTime<Utc>,
}

/// The upload a smaller copy was made of: its stem (`sized/<stem>-<width>.webp`).
pub fn copy_stem(name: &str) -> Option<&str> {
    let copy = name.strip_prefix(SMALLER_DIR)?;
    object_type(name)?;
    Some(copy.strip_suffix(".webp")?.rsplit_once('-')?.0)
}

/// The stem of an upload's name (what its copies are named after).
pub fn upload_stem(name: &str) -> Option<&str> {
    parts(name).map(|p| p.stem)
}

/// Storage for uploaded images: S3 in production, the data directory locally.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Where readers fetch `media/<name>`: `<public_base>/media/<name>`.
    fn public_base(&self) -> &str;

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
    fn a_name_may_declare_its_size_and_names_its_smaller_copies() {
        let size = Dimensions {
            width: 1200,
            height: 800,
        };
        let name = upload_name("Ab_c-1", Some(size), "jpg");
        assert_eq!(name, "Ab_c-1.1200x800.jpg");
        assert_eq!(parse_name(&name), Some("image/jpeg"));
        assert_eq!(declared_dimensions(&name), Some(size));
        assert_eq!(declared_dimensions("Ab_c-1.jpg"), None);
        for bad in [
            "a.0x5.png",
            "a.012x5.png",
            "a.5x.png",
            "a.5x5x5.png",
            "a.123456x5.png",
            "a..png",
            "a.b.png",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
        assert_eq!(
            smaller_name(&name, 480).as_deref(),
            Some("sized/Ab_c-1-480.webp")
        );
        assert_eq!(object_type("sized/Ab_c-1-480.webp"), Some("image/webp"));
        // Only the widths made, and only one segment under sized/.
        for bad in [
            "sized/Ab_c-1-500.webp",
            "sized/a/b-480.webp",
            "sized/../x-480.webp",
            "sized/x-480.png",
        ] {
            assert_eq!(object_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn sources_list_the_copies_narrower_than_the_image_then_the_image() {
        let base = Some("https://cdn.example");
        let s = sources("https://cdn.example/media/k.1000x500.webp", base).unwrap();
        assert_eq!((s.width, s.height), (1000, 500));
        assert_eq!(
            s.candidates.iter().map(|c| c.width).collect::<Vec<_>>(),
            vec![480, 960, 1000]
        );
        assert_eq!(
            s.candidates[0].url,
            "https://cdn.example/media/sized/k-480.webp"
        );
        assert!(
            sources("/media/k.300x200.png", None).unwrap().srcset == "/media/k.300x200.png 300w"
        );
        // Not ours, or no size declared: nothing known.
        assert_eq!(
            sources("https://elsewhere.example/media/k.1000x500.png", base),
            None
        );
        assert_eq!(sources("https://cdn.example/media/k.png", base), None);
        assert_eq!(
            sources("https://cdn.example.evil/media/k.1000x500.png", base),
            None
        );
        assert_eq!(sources("//cdn.example/media/k.1000x500.png", base), None);
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
        let name = content_name(b"\x89PNG\r\n\x1a\n", "image/png", None).unwrap();
        assert_eq!(parse_name(&name), Some("image/png"));
        assert_eq!(content_name(b"<svg/>", "image/svg+xml", None), None);
    }
}
