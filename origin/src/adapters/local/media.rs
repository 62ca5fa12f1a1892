//! `folio serve`'s media: uploads signed with a key of this process, checked and
//! stored by `folio serve` (src/serve), under the data directory; the same
//! contract as S3's presigned `PUT`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use folio_shared::digest::{hex, unhex};
use ring::hmac;

use crate::ports::media::{
    CREATE_ONLY, MAX_IMAGE_BYTES, MediaError, MediaObjects, MediaStore, SMALLER_DIR, SignedUpload,
    StoredObject, UploadGrant, object_type,
};
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
    fn public_base(&self) -> &str {
        &self.base_url
    }

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

/// The files `folio serve` serves at `/media/…`: `<data dir>/media/<name>`, for
/// the bulk commands.
pub struct MediaDir {
    pub dir: std::path::PathBuf,
    /// The address `folio serve` will serve them at (`http://127.0.0.1:8080`).
    pub public_base: String,
}

impl MediaDir {
    fn path(&self, name: &str) -> Result<std::path::PathBuf, MediaError> {
        object_type(name)
            .map(|_| self.dir.join(name))
            .ok_or_else(|| MediaError::Storage(format!("{name:?} is not a media name")))
    }
}

#[async_trait]
impl MediaObjects for MediaDir {
    fn public_base(&self) -> &str {
        &self.public_base
    }

    async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let path = self.path(name)?;
        // Bounded, and never through a link: the directory may have been tampered with.
        let read = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            use std::os::unix::fs::MetadataExt;
            let seen = match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_file() => meta,
                Ok(_) => return Err(format!("{} is not a regular file", path.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            };
            let file = std::fs::File::open(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            // The file opened is the one looked at (not a link swapped in between).
            let opened = file
                .metadata()
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if (opened.dev(), opened.ino()) != (seen.dev(), seen.ino()) {
                return Err(format!("{} changed while being read", path.display()));
            }
            let mut bytes = Vec::new();
            file.take(MAX_IMAGE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if bytes.len() as u64 > MAX_IMAGE_BYTES {
                return Err(format!("{} is larger than an image may be", path.display()));
            }
            Ok(Some(bytes))
        })
        .await
        .map_err(|e| MediaError::Storage(e.to_string()))?;
        read.map_err(MediaError::Storage)
    }

    async fn put(&self, name: &str, _content_type: &str, bytes: &[u8]) -> Result<bool, MediaError> {
        use std::io::Write;
        let path = self.path(name)?;
        // A smaller copy's name has a directory of its own (`sized/`).
        let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
            return Err(MediaError::Storage(format!("{name:?} is not a media name")));
        };
        crate::support::private_files::ensure_dir(&self.dir)
            .and_then(|()| crate::support::private_files::ensure_dir(dir))
            .map_err(|e| MediaError::Storage(e.to_string()))?;
        if std::fs::symlink_metadata(&path).is_ok() {
            return Ok(false);
        }
        let tmp = dir.join(format!(".{}.part", file.to_string_lossy()));
        let _ = std::fs::remove_file(&tmp);
        let mut file = crate::support::private_files::create_new(&tmp)
            .map_err(|e| MediaError::Storage(e.to_string()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| MediaError::Storage(format!("cannot write {}: {e}", tmp.display())))?;
        // A hard link creates the name only if it is free: create-only, as S3's
        // If-None-Match: * is; the temporary name goes either way.
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(MediaError::Storage(format!(
                "cannot write {}: {e}",
                path.display()
            ))),
        }
    }

    async fn list(&self) -> Result<Vec<StoredObject>, MediaError> {
        let mut all = self.listed(&self.dir, "")?;
        all.extend(self.listed(&self.dir.join(SMALLER_DIR), SMALLER_DIR)?);
        Ok(all)
    }

    async fn delete(&self, name: &str) -> Result<(), MediaError> {
        match std::fs::remove_file(self.path(name)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(MediaError::Storage(format!("cannot remove {name}: {e}"))),
        }
    }
}

impl MediaDir {
    /// The files of one directory whose names (`prefix` + file name) are ours.
    fn listed(&self, dir: &std::path::Path, prefix: &str) -> Result<Vec<StoredObject>, MediaError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(MediaError::Storage(format!(
                    "cannot list {}: {e}",
                    dir.display()
                )));
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.file_type().is_file() || object_type(&name).is_none() {
                continue;
            }
            let modified = meta
                .modified()
                .map(DateTime::<Utc>::from)
                .map_err(|e| MediaError::Storage(e.to_string()))?;
            out.push(StoredObject { name, modified });
        }
        Ok(out)
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
