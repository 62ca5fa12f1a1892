//! `folio serve`'s media: uploads signed with a key of this process, checked and
//! stored by `folio serve` (src/serve), under the data directory; the same
//! contract as S3's presigned `PUT`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use folio_shared::digest::{hex, unhex};
use ring::hmac;

use crate::ports::media::{CREATE_ONLY, MediaError, MediaStore, SignedUpload, UploadGrant};
use crate::support::random::{self, NoEntropy};

/// `folio serve`'s media: uploads signed with a key of this process, checked
/// and stored by `folio serve` (src/serve), under the data directory.
pub struct LocalMedia {
    /// `http://127.0.0.1:<port>`: where `/media/…` is served.
    pub base_url: String,
    key: hmac::Key,
}

impl LocalMedia {
    pub fn new(base_url: &str) -> Result<Self, NoEntropy> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            key: hmac::Key::new(hmac::HMAC_SHA256, &random::bytes::<32>()?),
        })
    }

    fn message(key: &str, content_type: &str, size: u64, expires: i64) -> String {
        format!("{key}\n{content_type}\n{size}\n{expires}")
    }

    fn tag(&self, key: &str, content_type: &str, size: u64, expires: i64) -> String {
        let message = Self::message(key, content_type, size, expires);
        hex(hmac::sign(&self.key, message.as_bytes()).as_ref())
    }

    /// Checks an upload's signature against what it carries; the grant it names.
    pub fn verify(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires: i64,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), &'static str> {
        let raw = unhex(signature);
        let message = Self::message(key, content_type, size, expires);
        // hmac::verify compares in constant time.
        if raw.is_none_or(|raw| hmac::verify(&self.key, message.as_bytes(), &raw).is_err()) {
            return Err("the signature does not match this key, type and size");
        }
        if now.timestamp() > expires {
            return Err("the upload URL has expired");
        }
        Ok(())
    }
}

#[async_trait]
impl MediaStore for LocalMedia {
    async fn sign_upload(
        &self,
        grant: &UploadGrant,
        _now: DateTime<Utc>,
    ) -> Result<SignedUpload, MediaError> {
        let expires = grant.expires.timestamp();
        let signature = self.tag(&grant.key, &grant.content_type, grant.size, expires);
        Ok(SignedUpload {
            upload_url: format!(
                "{}/{}?size={}&expires={expires}&signature={signature}",
                self.base_url, grant.key, grant.size
            ),
            headers: vec![
                ("Content-Type".into(), grant.content_type.clone()),
                (CREATE_ONLY.0.into(), CREATE_ONLY.1.into()),
            ],
            url: format!("{}/{}", self.base_url, grant.key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_signatures_bind_key_type_size_and_time() {
        let media = LocalMedia::new("http://127.0.0.1:1").unwrap();
        let now = Utc::now();
        let expires = now.timestamp() + 60;
        let sig = media.tag("media/a.png", "image/png", 10, expires);
        assert!(
            media
                .verify("media/a.png", "image/png", 10, expires, &sig, now)
                .is_ok()
        );
        assert!(
            media
                .verify("media/b.png", "image/png", 10, expires, &sig, now)
                .is_err()
        );
        assert!(
            media
                .verify("media/a.png", "image/gif", 10, expires, &sig, now)
                .is_err()
        );
        assert!(
            media
                .verify("media/a.png", "image/png", 11, expires, &sig, now)
                .is_err()
        );
        let later = now + chrono::Duration::seconds(61);
        assert!(
            media
                .verify("media/a.png", "image/png", 10, expires, &sig, later)
                .is_err()
        );
    }
}
