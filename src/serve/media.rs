//! `/media/…` under `folio serve`: the stand-in for the S3 bucket behind
//! CloudFront's `/media/*` behaviour. It takes the uploads `LocalMedia` signed
//! (as S3 takes presigned PUTs) and serves the files back (as CloudFront serves
//! the bucket through Origin Access Control).
//!
//! Kept as strict as S3, or stricter:
//! - the upload must carry the signed `Content-Type` and exactly the signed size,
//!   before the URL expires; anything else is 403, as S3 answers a presigned URL
//!   whose signed headers differ ("Authenticating Requests: Using Query
//!   Parameters", Amazon S3 API Reference);
//! - the bytes must start like the signed image type (S3 cannot check this; the
//!   stand-in does, so a client that sends the wrong file fails here first);
//! - an upload is single-use: it must carry the signed `If-None-Match: *` (else
//!   403, as S3 answers a request without a signed header), and an object already
//!   at the key is `412 Precondition Failed`, as S3 answers a conditional write
//!   ("Prevent object overwrites with conditional writes", Amazon S3 User Guide);
//!   two at once: one wins, the other is 412 (S3: 409 or 412);
//! - a missing object is 403, not 404: S3 answers 403 to a caller without
//!   `s3:ListBucket` (CloudFront's OAC policy grants only `s3:GetObject`), per
//!   "How do I troubleshoot 403 errors from Amazon S3" and the GetObject reference.
//!
//! A stored upload starts the making of its smaller copies
//! (`usecases::images`), after the upload is answered, as S3's event starts the
//! media function in production: S3 delivers event notifications asynchronously
//! ("Amazon S3 Event Notifications", Amazon S3 User Guide), so a client never
//! finds the copies there the moment its upload is answered, here either.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use folio_origin::adapters::local::media::{LocalMedia, MediaDir};
use folio_origin::ports::media::{
    CREATE_ONLY, MAX_IMAGE_BYTES, MEDIA_PREFIX, MediaStore, looks_like, object_type, parse_name,
};
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

/// The files and the key that signs their uploads.
pub struct MediaSite {
    pub media: std::sync::Arc<LocalMedia>,
    pub dir: PathBuf,
}

fn answer(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Message>{message}</Message></Error>\n"
    ))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

/// The name under `media/` of an object we issued or made (`object_type`:
/// an upload, or one of its smaller copies), and its type. Anything else
/// names nothing.
fn file_name(path: &str) -> Option<(&str, &'static str)> {
    let name = path.strip_prefix('/')?.strip_prefix(MEDIA_PREFIX)?;
    Some((name, object_type(name)?))
}

fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub async fn handle(
    site: &MediaSite,
    parts: &http::request::Parts,
    body: Incoming,
) -> Response<Full<Bytes>> {
    let Some((name, content_type)) = file_name(parts.uri.path()) else {
        return answer(StatusCode::FORBIDDEN, "Access Denied");
    };
    let path = site.dir.join(name);
    match parts.method {
        Method::GET | Method::HEAD => {
            serve(&path, content_type, parts.method == Method::HEAD).await
        }
        // Only uploads are uploaded: a smaller copy is made, never sent.
        Method::PUT if parse_name(name).is_some() => {
            upload(site, parts, body, name, content_type, &path).await
        }
        Method::PUT => answer(StatusCode::FORBIDDEN, "Access Denied"),
        _ => answer(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    }
}

async fn serve(path: &Path, content_type: &'static str, head: bool) -> Response<Full<Bytes>> {
    let Ok(bytes) = tokio::fs::read(path).await else {
        return answer(StatusCode::FORBIDDEN, "Access Denied");
    };
    let length = bytes.len();
    let mut response = Response::new(Full::new(if head {
        Bytes::new()
    } else {
        Bytes::from(bytes)
    }));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    // Keys are random and never rewritten: cache for good.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(folio_shared::response::IMMUTABLE),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn upload(
    site: &MediaSite,
    parts: &http::request::Parts,
    body: Incoming,
    name: &str,
    content_type: &'static str,
    path: &Path,
) -> Response<Full<Bytes>> {
    let query = parts.uri.query().unwrap_or("");
    let (Some(size), Some(expires), Some(signature)) = (
        query_value(query, "size").and_then(|v| v.parse::<u64>().ok()),
        query_value(query, "expires").and_then(|v| v.parse::<i64>().ok()),
        query_value(query, "signature"),
    ) else {
        return answer(
            StatusCode::FORBIDDEN,
            "Access Denied: not a signed upload URL",
        );
    };
    let sent_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = format!("{MEDIA_PREFIX}{name}");
    if let Err(reason) = site.media.verify(
        &key,
        sent_type,
        size,
        expires,
        signature,
        chrono::Utc::now(),
    ) {
        return answer(StatusCode::FORBIDDEN, reason);
    }
    if sent_type != content_type {
        return answer(
            StatusCode::FORBIDDEN,
            "the Content-Type is not the one signed",
        );
    }
    let create_only = parts
        .headers
        .get(CREATE_ONLY.0)
        .is_some_and(|v| v.as_bytes() == CREATE_ONLY.1.as_bytes());
    if !create_only {
        return answer(
            StatusCode::FORBIDDEN,
            "the signed If-None-Match: * is missing",
        );
    }
    if tokio::fs::symlink_metadata(path).await.is_ok() {
        return answer(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed: an object exists at this key",
        );
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared != Some(size) {
        return answer(
            StatusCode::FORBIDDEN,
            "the Content-Length is not the size signed",
        );
    }
    let limit = usize::try_from(size.min(MAX_IMAGE_BYTES)).unwrap_or(0);
    let Ok(Ok(collected)) = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        Limited::new(body, limit).collect(),
    )
    .await
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            "the body is larger than signed, or too slow",
        );
    };
    let bytes = collected.to_bytes();
    if bytes.len() as u64 != size {
        return answer(StatusCode::BAD_REQUEST, "the body is not the size signed");
    }
    if !looks_like(content_type, &bytes) {
        return answer(
            StatusCode::BAD_REQUEST,
            "the body is not an image of the signed type",
        );
    }
    // Written beside, then linked in: a reader never sees half a file, and the
    // link fails when an object got there first (create-only, like the header).
    static PARTIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = PARTIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = path.with_extension(format!("partial-{}-{n}", std::process::id()));
    let private = std::fs::Permissions::from_mode(0o600);
    if tokio::fs::write(&partial, &bytes).await.is_err()
        || tokio::fs::set_permissions(&partial, private).await.is_err()
    {
        let _ = tokio::fs::remove_file(&partial).await;
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not store the file",
        );
    }
    let linked = tokio::fs::hard_link(&partial, path).await;
    let _ = tokio::fs::remove_file(&partial).await;
    match linked {
        Ok(()) => {
            make_smaller_copies(site, name);
            answer(StatusCode::OK, "stored")
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => answer(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed: an object exists at this key",
        ),
        Err(_) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not store the file",
        ),
    }
}

/// Makes the upload's smaller copies in the background, as the media function
/// does on S3's event; what it cannot do is logged, as that function logs it.
fn make_smaller_copies(site: &MediaSite, name: &str) {
    let objects = MediaDir {
        dir: site.dir.clone(),
        public_base: site.media.public_base().to_string(),
    };
    let name = name.to_string();
    // One image at a time: a 36-megapixel one takes 144 MB while it is made
    // smaller, and a burst of uploads should not take that many times over.
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    tokio::spawn(async move {
        let Ok(_turn) = ONE_AT_A_TIME.acquire().await else {
            return;
        };
        match folio_origin::usecases::images::make_smaller(&objects, &name).await {
            Ok(made) => tracing::info!(
                image = %name,
                copies = made.copies.len(),
                "made the upload's smaller copies"
            ),
            Err(e) => tracing::warn!(image = %name, "no smaller copies: {e}"),
        }
    });
}
