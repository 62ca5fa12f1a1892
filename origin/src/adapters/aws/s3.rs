//! Uploads to S3: a presigned `PUT` (Signature Version 4 in the query string,
//! "Authenticating Requests: Using Query Parameters", Amazon S3 API Reference).
//! `Content-Type` and `Content-Length` are signed, so S3 refuses any other type or
//! size. The bucket is private; CloudFront reads it through Origin Access Control
//! on the `/media/*` behaviour (template.yaml).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use folio_shared::digest::{aws_signing_key, aws_uri_encode, hex, sha256_hex};
use ring::hmac;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::ports::media::{
    CREATE_ONLY, MAX_IMAGE_BYTES, MEDIA_PREFIX, MediaError, MediaObjects, MediaStore, SignedUpload,
    StoredObject, UPLOAD_SECS, UploadGrant, object_type,
};

/// AWS credentials for signing (the origin's role in Lambda).
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// A presigned `PUT` of `path` on `host`, valid `expires_secs` from `now`, with
/// `content-length`, `content-type`, `host` and `if-none-match: *` signed: one
/// object of that type and size, created once (`CREATE_ONLY`).
#[allow(clippy::too_many_arguments)]
pub fn presign_put(
    credentials: &AwsCredentials,
    region: &str,
    scheme: &str,
    host: &str,
    path: &str,
    content_type: &str,
    size: u64,
    now: DateTime<Utc>,
    expires_secs: i64,
) -> String {
    let size = size.to_string();
    let target = Target { scheme, host, path };
    presign(
        credentials,
        region,
        "PUT",
        &target,
        &[
            ("content-length", &size),
            ("content-type", content_type),
            ("if-none-match", CREATE_ONLY.1),
        ],
        now,
        expires_secs,
    )
}

/// Where a presigned request goes.
pub struct Target<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub path: &'a str,
}

/// A presigned request: `method` on `target`, with `headers` (lower-case names,
/// sorted) and `host` signed, the payload unsigned.
pub fn presign(
    credentials: &AwsCredentials,
    region: &str,
    method: &str,
    target: &Target<'_>,
    headers: &[(&str, &str)],
    now: DateTime<Utc>,
    expires_secs: i64,
) -> String {
    presign_query(
        credentials,
        region,
        method,
        target,
        &[],
        headers,
        now,
        expires_secs,
    )
}

/// `presign` of a request with its own query parameters (a bucket listing's),
/// signed with the rest, sorted.
#[allow(clippy::too_many_arguments)]
pub fn presign_query(
    credentials: &AwsCredentials,
    region: &str,
    method: &str,
    target: &Target<'_>,
    parameters: &[(&str, &str)],
    headers: &[(&str, &str)],
    now: DateTime<Utc>,
    expires_secs: i64,
) -> String {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/s3/aws4_request");
    let mut signed: Vec<(&str, &str)> = headers.to_vec();
    signed.push(("host", target.host));
    signed.sort_unstable();
    let signed_names = signed.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(";");
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let mut query = vec![
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_string()),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", credentials.access_key_id),
        ),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires_secs.to_string()),
        ("X-Amz-SignedHeaders", signed_names.clone()),
    ];
    if let Some(token) = &credentials.session_token {
        query.push(("X-Amz-Security-Token", token.clone()));
    }
    query.extend(parameters.iter().map(|(k, v)| (*k, v.to_string())));
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{}={}", aws_uri_encode(k, false), aws_uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_path = aws_uri_encode(target.path, true);
    let canonical_request = format!(
        "{method}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{signed_names}\nUNSIGNED-PAYLOAD"
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = aws_signing_key(&credentials.secret_access_key, date, region, "s3");
    let signature = hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref());
    format!(
        "{}://{}{canonical_path}?{canonical_query}&X-Amz-Signature={signature}",
        target.scheme, target.host
    )
}

/// Where the signing credentials come from: the SDK's provider chain.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    async fn credentials(&self) -> Result<AwsCredentials, MediaError>;
}

pub struct S3Media {
    pub bucket: String,
    pub region: String,
    /// `https://<bucket>.s3.<region>.amazonaws.com` style by default; a custom
    /// endpoint (moto) is addressed path-style: `<endpoint>/<bucket>/<key>`.
    pub endpoint: Option<url::Url>,
    /// The public address `/media/…` is served at.
    pub public_base: String,
    pub credentials: Box<dyn CredentialSource>,
}

impl S3Media {
    /// Where an object's upload goes: scheme, host and path. An endpoint of its own
    /// (moto) is addressed path-style, S3 itself virtual-hosted.
    fn target(&self, key: &str) -> (String, String, String) {
        match &self.endpoint {
            Some(endpoint) => {
                let host = match endpoint.port() {
                    Some(port) => format!("{}:{port}", endpoint.host_str().unwrap_or("")),
                    None => endpoint.host_str().unwrap_or("").to_string(),
                };
                (
                    endpoint.scheme().to_string(),
                    host,
                    format!("/{}/{key}", self.bucket),
                )
            }
            None => (
                "https".to_string(),
                format!("{}.s3.{}.amazonaws.com", self.bucket, self.region),
                format!("/{key}"),
            ),
        }
    }
}

#[async_trait]
impl MediaStore for S3Media {
    fn public_base(&self) -> &str {
        &self.public_base
    }

    fn upload_origin(&self) -> Option<String> {
        let (scheme, host, _) = self.target("");
        Some(format!("{scheme}://{host}"))
    }

    async fn sign_upload(
        &self,
        grant: &UploadGrant,
        now: DateTime<Utc>,
    ) -> Result<SignedUpload, MediaError> {
        let credentials = self.credentials.credentials().await?;
        let (scheme, host, path) = self.target(&grant.key);
        let expires_secs = (grant.expires - now).num_seconds().clamp(1, UPLOAD_SECS);
        let upload_url = presign_put(
            &credentials,
            &self.region,
            &scheme,
            &host,
            &path,
            &grant.content_type,
            grant.size,
            now,
            expires_secs,
        );
        Ok(SignedUpload {
            upload_url,
            headers: vec![
                ("Content-Type".into(), grant.content_type.clone()),
                (CREATE_ONLY.0.into(), CREATE_ONLY.1.into()),
            ],
            url: format!("{}/{}", self.public_base.trim_end_matches('/'), grant.key),
        })
    }
}

/// The bucket's objects for the bulk commands (export, import): a presigned `GET`
/// and a presigned create-only `PUT`, signed as the upload URLs are, so one
/// signer serves both and no S3 SDK is linked in for two calls.
pub struct S3Objects {
    pub media: S3Media,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl S3Objects {
    pub fn new(media: S3Media) -> Result<Self, MediaError> {
        let connector = folio_shared::jwt::jwks_http::https_connector()
            .map_err(|e| MediaError::Storage(e.to_string()))?;
        Ok(Self {
            media,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, Bytes), MediaError> {
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| MediaError::Storage(format!("S3 cannot be reached: {e}")))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_IMAGE_BYTES as usize + 64 * 1024)
                .collect()
                .await
                .map_err(|e| MediaError::Storage(format!("S3's answer: {e}")))?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(std::time::Duration::from_secs(60), call)
            .await
            .map_err(|_| MediaError::Storage("S3 did not answer within 60 s".into()))?
    }

    /// A presigned `method` without a body on `media/<name>` (a name of ours), sent.
    async fn send_to_object(
        &self,
        method: http::Method,
        name: &str,
    ) -> Result<(http::StatusCode, Bytes), MediaError> {
        object_type(name)
            .ok_or_else(|| MediaError::Storage(format!("{name:?} is not a media name")))?;
        let credentials = self.media.credentials.credentials().await?;
        let (scheme, host, path) = self.media.target(&format!("{MEDIA_PREFIX}{name}"));
        let target = Target {
            scheme: &scheme,
            host: &host,
            path: &path,
        };
        let url = presign(
            &credentials,
            &self.media.region,
            method.as_str(),
            &target,
            &[],
            Utc::now(),
            300,
        );
        let request = http::Request::builder()
            .method(method)
            .uri(url)
            .body(Full::new(Bytes::new()))
            .map_err(|e| MediaError::Storage(e.to_string()))?;
        self.send(request).await
    }
}

#[async_trait]
impl MediaObjects for S3Objects {
    fn public_base(&self) -> &str {
        &self.media.public_base
    }

    async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaError> {
        match self.send_to_object(http::Method::GET, name).await? {
            (status, body) if status.is_success() => Ok(Some(body.to_vec())),
            // Without s3:ListBucket a missing key is 403 (the origin's role has none).
            (http::StatusCode::NOT_FOUND | http::StatusCode::FORBIDDEN, _) => Ok(None),
            (status, body) => Err(MediaError::Storage(format!(
                "GET {name}: {status} {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))),
        }
    }

    async fn put(&self, name: &str, content_type: &str, bytes: &[u8]) -> Result<bool, MediaError> {
        object_type(name)
            .ok_or_else(|| MediaError::Storage(format!("{name:?} is not a media name")))?;
        let credentials = self.media.credentials.credentials().await?;
        let (scheme, host, path) = self.media.target(&format!("{MEDIA_PREFIX}{name}"));
        let url = presign_put(
            &credentials,
            &self.media.region,
            &scheme,
            &host,
            &path,
            content_type,
            bytes.len() as u64,
            Utc::now(),
            300,
        );
        let request = http::Request::put(url)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::CONTENT_LENGTH, bytes.len())
            .header(CREATE_ONLY.0, CREATE_ONLY.1)
            .body(Full::new(Bytes::copy_from_slice(bytes)))
            .map_err(|e| MediaError::Storage(e.to_string()))?;
        match self.send(request).await? {
            (status, _) if status.is_success() => Ok(true),
            // There already (If-None-Match: *): S3 answers 412, or 409 to a race.
            (http::StatusCode::PRECONDITION_FAILED | http::StatusCode::CONFLICT, _) => Ok(false),
            (status, body) => Err(MediaError::Storage(format!(
                "PUT {name}: {status} {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))),
        }
    }

    /// `ListObjectsV2` under `media/`, page by page ("ListObjectsV2", Amazon S3
    /// API Reference): the origin's role may list that prefix only.
    async fn list(&self) -> Result<Vec<StoredObject>, MediaError> {
        let credentials = self.media.credentials.credentials().await?;
        let (scheme, host, path) = self.media.target("");
        let target = Target {
            scheme: &scheme,
            host: &host,
            path: &path,
        };
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut parameters = vec![("list-type", "2"), ("prefix", MEDIA_PREFIX)];
            if let Some(token) = &token {
                parameters.push(("continuation-token", token));
            }
            let url = presign_query(
                &credentials,
                &self.media.region,
                "GET",
                &target,
                &parameters,
                &[],
                Utc::now(),
                300,
            );
            let request = http::Request::get(url)
                .body(Full::new(Bytes::new()))
                .map_err(|e| MediaError::Storage(e.to_string()))?;
            let (status, body) = self.send(request).await?;
            let text = String::from_utf8_lossy(&body);
            if !status.is_success() {
                return Err(MediaError::Storage(format!(
                    "LIST {MEDIA_PREFIX}: {status} {}",
                    &text[..text.len().min(200)]
                )));
            }
            let page = listing(&text);
            objects.extend(page.objects);
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(objects),
            }
        }
    }

    async fn delete(&self, name: &str) -> Result<(), MediaError> {
        match self.send_to_object(http::Method::DELETE, name).await? {
            // S3 answers 204 whether or not the key was there ("DeleteObject",
            // Amazon S3 API Reference).
            (status, _) if status.is_success() || status == http::StatusCode::NOT_FOUND => Ok(()),
            (status, body) => Err(MediaError::Storage(format!(
                "DELETE {name}: {status} {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))),
        }
    }
}

/// One page of a `ListObjectsV2` answer.
struct Listing {
    objects: Vec<StoredObject>,
    next: Option<String>,
}

/// The text between the first `<tag>` and `</tag>` of `xml` at or after `from`,
/// and where it ends.
fn element<'a>(xml: &'a str, tag: &str, from: usize) -> Option<(&'a str, usize)> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = from + xml[from..].find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some((&xml[start..end], end + close.len()))
}

/// The objects of a `ListObjectsV2` page whose keys are media names (ours are
/// plain `[A-Za-z0-9_./-]`, so nothing in them is escaped), and the token of the
/// next page when it is truncated.
fn listing(xml: &str) -> Listing {
    let mut objects = Vec::new();
    let mut at = 0;
    while let Some((contents, end)) = element(xml, "Contents", at) {
        at = end;
        let key = element(contents, "Key", 0).map(|(k, _)| k);
        let modified = element(contents, "LastModified", 0)
            .and_then(|(m, _)| DateTime::parse_from_rfc3339(m).ok())
            .map(|m| m.with_timezone(&Utc));
        if let (Some(name), Some(modified)) =
            (key.and_then(|k| k.strip_prefix(MEDIA_PREFIX)), modified)
            && object_type(name).is_some()
        {
            objects.push(StoredObject {
                name: name.to_string(),
                modified,
            });
        }
    }
    let truncated = element(xml, "IsTruncated", 0).is_some_and(|(t, _)| t == "true");
    let next = element(xml, "NextContinuationToken", 0)
        .map(|(t, _)| t.replace("&amp;", "&"))
        .filter(|_| truncated);
    Listing { objects, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same request presigned by botocore 1.43 (AWS's own Python signer,
    /// `S3SigV4QueryAuth`, its clock fixed, `If-None-Match: *` among the headers)
    /// has this signature: ours must agree byte for byte. (botocore lists the
    /// query in another order; the signature covers it sorted.)
    #[test]
    fn a_listing_page_gives_our_objects_and_the_next_pages_token() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>media/</Prefix>
<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>media/abc.1200x800.png</Key><LastModified>2026-12-04T10:00:00.000Z</LastModified><Size>5</Size></Contents>
<Contents><Key>media/sized/abc-480.webp</Key><LastModified>2026-12-04T10:00:01.000Z</LastModified></Contents>
<Contents><Key>media/not ours.txt</Key><LastModified>2026-12-04T10:00:01.000Z</LastModified></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>"#;
        let page = listing(xml);
        let names: Vec<&str> = page.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, vec!["abc.1200x800.png", "sized/abc-480.webp"]);
        assert_eq!(
            page.objects[0].modified.to_rfc3339(),
            "2026-12-04T10:00:00+00:00"
        );
        assert_eq!(
            page.next.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
        assert_eq!(
            listing(&xml.replace("<IsTruncated>true", "<IsTruncated>false")).next,
            None
        );
    }

    #[test]
    fn presigned_puts_match_botocore() {
        let credentials = AwsCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("session-token/with+chars=".into()),
        };
        let now = DateTime::parse_from_rfc3339("2026-11-27T19:29:15Z")
            .unwrap()
            .with_timezone(&Utc);
        let url = presign_put(
            &credentials,
            "eu-west-1",
            "https",
            "folio-media.s3.eu-west-1.amazonaws.com",
            "/media/abc_DEF-1.png",
            "image/png",
            1234,
            now,
            900,
        );
        assert_eq!(
            url,
            "https://folio-media.s3.eu-west-1.amazonaws.com/media/abc_DEF-1.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261127%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T192915Z&X-Amz-Expires=900&X-Amz-Security-Token=session-token%2Fwith%2Bchars%3D&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match&X-Amz-Signature=7475f2ecab248c5652ce5405c3829871fd06c6c0e04111c99b73150da442a86b"
        );
    }
}
