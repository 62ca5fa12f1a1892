//! Reading files the owner did not write: a content directory being migrated, a
//! theme, a starter, an export from elsewhere. Nothing here follows a symbolic link
//! (a `leak.md -> ~/.aws/credentials` in a starter must not become a published
//! post), and nothing reads what is not a regular file (a named pipe would hang the
//! import, `/dev/zero` would never end). Every read is bounded.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntrustedFileError {
    #[error("a symbolic link (folio imports no links: copy the file in instead)")]
    Link,
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("{size} bytes; at most {max} are read")]
    TooLarge { size: u64, max: u64 },
    #[error("cannot read it: {0}")]
    Io(String),
}

/// What kind of thing a directory entry is, without following a link.
pub fn kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a named pipe"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a file"
    }
}

/// The bytes of the regular file at `path`, at most `max` of them. A link at
/// `path` is refused by the open itself (`O_NOFOLLOW`), and a pipe or device by
/// the check of what was opened (`O_NONBLOCK`: opening a pipe does not wait).
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, UntrustedFileError> {
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => UntrustedFileError::Link,
            _ => UntrustedFileError::Io(e.to_string()),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| UntrustedFileError::Io(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(UntrustedFileError::NotRegular(kind(meta.file_type())));
    }
    if meta.len() > max {
        return Err(UntrustedFileError::TooLarge {
            size: meta.len(),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while it is read still stops at the bound.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| UntrustedFileError::Io(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(UntrustedFileError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// `read_bounded`, as UTF-8 text.
pub fn read_text_bounded(path: &Path, max: u64) -> Result<String, UntrustedFileError> {
    String::from_utf8(read_bounded(path, max)?)
        .map_err(|_| UntrustedFileError::Io("it is not UTF-8 text".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_a_pipe_a_device_and_a_huge_file_are_refused_and_a_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("post.md");
        std::fs::write(&file, "hello").unwrap();
        assert_eq!(read_text_bounded(&file, 5).unwrap(), "hello");
        assert_eq!(
            read_bounded(&file, 4),
            Err(UntrustedFileError::TooLarge { size: 5, max: 4 })
        );
        let link = dir.path().join("leak.md");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_bounded(&link, 100), Err(UntrustedFileError::Link));
        let pipe = dir.path().join("pipe.md");
        let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            read_bounded(&pipe, 100),
            Err(UntrustedFileError::NotRegular("a named pipe"))
        );
        assert_eq!(
            read_bounded(Path::new("/dev/zero"), 100),
            Err(UntrustedFileError::NotRegular("a device"))
        );
    }
}
