//! SHA-256 digests as lower-case hex, once: SigV4's hashes, the names of
//! content-addressed files, cache keys and ids derived from paths.

use ring::digest;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The SHA-256 of `bytes`, as 64 hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha256_hex_prefix(bytes, 32)
}

/// The first `n` bytes of the SHA-256 of `bytes`, as `2n` hex digits.
pub fn sha256_hex_prefix(bytes: &[u8], n: usize) -> String {
    let digest = digest::digest(&digest::SHA256, bytes);
    hex(&digest.as_ref()[..n.min(32)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_nothing_is_sha256s() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(sha256_hex_prefix(b"", 4), "e3b0c442");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
