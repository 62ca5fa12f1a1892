//! The Lambda@Edge package: `handler.py` (python3.12), the `bootstrap` binary, the
//! baked `folio-edge.json` and the `jwks.json` snapshot, zipped. The binary is
//! checked first: Lambda@Edge runs x86_64 only, on Amazon Linux 2023 (glibc 2.34).

use std::io::Write;
use std::path::Path;

use jsonwebtoken::jwk::JwkSet;
use zip::write::SimpleFileOptions;

use crate::config::{CONFIG_FILE, EdgeSettings, JWKS_FILE};

pub const HANDLER_MODULE: &str = include_str!("../python/handler.py");
/// The quota for viewer triggers; origin triggers allow 50 MB.
pub const VIEWER_TRIGGER_LIMIT: u64 = 1024 * 1024;
pub const ORIGIN_TRIGGER_LIMIT: u64 = 50 * 1024 * 1024;
/// The newest glibc symbol version a binary may need (Amazon Linux 2023).
pub const MAX_GLIBC: (u32, u32) = (2, 34);

const ELF_MAGIC: &[u8] = b"\x7fELF";
const ELF_CLASS_64: u8 = 2;
const EM_X86_64: u16 = 62;

/// Why a package could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{what} is not an ELF executable (build it for Linux)")]
    NotElf { what: String },
    #[error(
        "{what} is for ELF machine {machine}, not x86_64 (Lambda here runs x86_64 only); build with --target x86_64-unknown-linux-gnu"
    )]
    NotX86 { what: String, machine: u16 },
    #[error(
        "{what} needs glibc {}.{}, Lambda runs {}.{}: run `folio package --zigbuild` (after `pip install cargo-zigbuild ziglang`) to link against glibc 2.17, or pass a binary built elsewhere with --origin-binary / --edge-binary",
        .needs.0, .needs.1, MAX_GLIBC.0, MAX_GLIBC.1
    )]
    Glibc { what: String, needs: (u32, u32) },
    #[error("cannot {action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot write {name} into {path}: {reason}")]
    Entry {
        name: String,
        path: String,
        reason: String,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(String) -> PackageError {
    let path = path.display().to_string();
    move |reason| PackageError::Io {
        action,
        path,
        reason,
    }
}

/// The newest `GLIBC_x.y` symbol version named in the binary, if any.
pub fn newest_glibc(binary: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_";
    let mut newest = None;
    let mut i = 0;
    while let Some(pos) = binary[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + pos + needle.len();
        let version: String = binary[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|b| *b as char)
            .collect();
        let mut parts = version.split('.').filter_map(|p| p.parse::<u32>().ok());
        if let (Some(major), Some(minor)) = (parts.next(), parts.next()) {
            newest = newest.max(Some((major, minor)));
        }
        i = start;
    }
    newest
}

/// Refuses what Lambda cannot run: not a 64-bit ELF for x86_64, or one that needs
/// a newer glibc than Amazon Linux 2023's. `what` names the binary in the error
/// ("the origin binary", "the edge binary"). Returns the glibc it needs.
pub fn check_binary(binary: &[u8], what: &str) -> Result<Option<(u32, u32)>, PackageError> {
    let what = what.to_string();
    if binary.len() < 20 || &binary[..4] != ELF_MAGIC {
        return Err(PackageError::NotElf { what });
    }
    let machine = u16::from_le_bytes([binary[18], binary[19]]);
    if binary[4] != ELF_CLASS_64 || machine != EM_X86_64 {
        return Err(PackageError::NotX86 { what, machine });
    }
    let glibc = newest_glibc(binary);
    if let Some(needs) = glibc
        && needs > MAX_GLIBC
    {
        return Err(PackageError::Glibc { what, needs });
    }
    Ok(glibc)
}

#[derive(Debug, Clone)]
pub struct PackageReport {
    pub zip_bytes: u64,
    pub binary_bytes: u64,
    pub glibc: Option<(u32, u32)>,
}

/// A Lambda zip's entry: Deflate (the one method Lambda unzips besides storing)
/// at its highest level. The default level made `dist/origin.zip` 3 % larger
/// (9,634 KiB instead of 9,320 for the same binary) to save a second of packaging.
pub fn zip_entry(mode: u32) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .unix_permissions(mode)
}

/// Checks `binary` and writes the package to `out`.
pub fn write_zip(
    binary: &Path,
    settings: &EdgeSettings,
    jwks: &JwkSet,
    out: &Path,
) -> Result<PackageReport, PackageError> {
    let bytes =
        std::fs::read(binary).map_err(|e| io("read the edge binary", binary)(e.to_string()))?;
    let glibc = check_binary(&bytes, "the edge binary")?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir)(e.to_string()))?;
    }
    let file = std::fs::File::create(out).map_err(|e| io("create", out)(e.to_string()))?;
    let mut zip = zip::ZipWriter::new(file);
    let text = zip_entry(0o644);
    let executable = zip_entry(0o755);
    let entries: [(&str, Vec<u8>, SimpleFileOptions); 4] = [
        ("handler.py", HANDLER_MODULE.as_bytes().to_vec(), text),
        ("bootstrap", bytes, executable),
        (CONFIG_FILE, pretty(settings)?, text),
        (JWKS_FILE, pretty(jwks)?, text),
    ];
    let binary_bytes = entries[1].1.len() as u64;
    for (name, content, options) in entries {
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(&content).map_err(Into::into))
            .map_err(|e| PackageError::Entry {
                name: name.to_string(),
                path: out.display().to_string(),
                reason: e.to_string(),
            })?;
    }
    zip.finish().map_err(|e| io("finish", out)(e.to_string()))?;
    let zip_bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(PackageReport {
        zip_bytes,
        binary_bytes,
        glibc,
    })
}

/// Unpacks a package (for tests and for `folio package` to inspect what it built).
pub fn unzip(package: &Path, into: &Path) -> Result<(), PackageError> {
    let file = std::fs::File::open(package).map_err(|e| io("open", package)(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| io("read", package)(e.to_string()))?;
    archive
        .extract(into)
        .map_err(|e| io("extract", package)(e.to_string()))
}

fn pretty<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, PackageError> {
    serde_json::to_vec_pretty(value).map_err(|e| PackageError::Entry {
        name: "settings".into(),
        path: String::new(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(machine: u16, tail: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(ELF_MAGIC);
        b[4] = ELF_CLASS_64;
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b.extend_from_slice(tail);
        b
    }

    #[test]
    fn refuses_other_architectures_and_non_elf_files() {
        assert!(check_binary(b"#!/bin/sh\n", "the edge binary").is_err());
        let arm = check_binary(&elf(183, b""), "the origin binary")
            .unwrap_err()
            .to_string();
        assert!(arm.starts_with("the origin binary"), "{arm}");
        assert!(arm.contains("x86_64"), "{arm}");
        assert_eq!(check_binary(&elf(EM_X86_64, b""), "x").ok(), Some(None));
    }

    #[test]
    fn refuses_binaries_needing_a_newer_glibc_than_lambda() {
        let ok = elf(EM_X86_64, b"\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0");
        assert_eq!(check_binary(&ok, "x").ok(), Some(Some((2, 34))));
        let new = elf(EM_X86_64, b"\0GLIBC_2.34\0GLIBC_2.38\0");
        let error = check_binary(&new, "the origin binary")
            .unwrap_err()
            .to_string();
        assert!(error.contains("glibc 2.38"), "{error}");
        assert!(
            error.contains("folio package --zigbuild"),
            "advice that works: {error}"
        );
    }
}
