//! Files of the data directory that hold secrets (password hashes, the daily
//! visitor salts, the issuer's signing key) are private from the moment they exist:
//! the directory is created 0700 and each file 0600 by the call that creates it,
//! never widened first and narrowed after. An existing directory or file that
//! others can read is narrowed at start-up, and a failure to do so is an error.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// A private file or directory that could not be made or kept private.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} can be read by other users and cannot be made private: {source}", path.display())]
    NotPrivate {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FileError {
    let path = path.to_path_buf();
    move |source| FileError::Io {
        action,
        path,
        source,
    }
}

fn narrow(path: &Path, mode: u32) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(io("read", path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
            |source| FileError::NotPrivate {
                path: path.to_path_buf(),
                source,
            },
        )?;
    }
    Ok(())
}

/// Creates `dir` (and its parents) private, or makes an existing one private.
pub fn ensure_dir(dir: &Path) -> Result<(), FileError> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(io("create the data directory", dir))?;
    }
    narrow(dir, DIR_MODE)
}

/// Makes sure `path` exists and is private: created empty with mode 0600 if it is
/// missing (for stores that fill an empty file themselves), narrowed if it exists.
pub fn ensure_file(path: &Path) -> Result<(), FileError> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => narrow(path, FILE_MODE),
        Err(e) => Err(io("create", path)(e)),
    }
}

/// Creates `path` as a new private file (0600 from its creation) and opens it for
/// reading and writing. Refused when anything is there already, a symbolic link
/// included (`O_EXCL` never follows one).
pub fn create_new(path: &Path) -> Result<File, FileError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(io("create", path))
}

/// Writes `bytes` to `path` through a private temporary file, then renames it in
/// (a symbolic link at `path` is replaced, never written through).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = create_new(&tmp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_private_from_creation_and_narrowed_when_found_open() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data/nested");
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        let store = dir.join("folio.redb");
        ensure_file(&store).unwrap();
        assert_eq!(mode(&store), FILE_MODE);
        let key = dir.join("issuer.key");
        write_new(&key, b"secret").unwrap();
        assert_eq!(mode(&key), FILE_MODE);
        assert_eq!(std::fs::read(&key).unwrap(), b"secret");

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure_dir(&dir).unwrap();
        ensure_file(&store).unwrap();
        assert_eq!((mode(&dir), mode(&store)), (DIR_MODE, FILE_MODE));
    }
}
