//! SHA-256 digests as lower-case hex, once: SigV4's hashes, the names of
//! content-addressed files, cache keys and ids derived from paths; and SigV4's
//! URI encoding and signing key, for the stand-in's OAC and S3 upload URLs.

use ring::digest;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    out
}

/// Lower-case hex of `bytes`, after what `out` holds.
pub fn hex_into(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// The bytes of lower- or upper-case hex; `None` for an odd length or a non-digit.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// SigV4's URI encoding ("Create a signed AWS API request", IAM User Guide):
/// unreserved characters stay, every other byte is `%XX`; `/` stays in paths.
pub fn aws_uri_encode(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// SigV4's signing key: `date`, `region`, `service` and `aws4_request` chained
/// through HMAC-SHA-256 from the secret.
pub fn aws_signing_key(secret: &str, date: &str, region: &str, service: &str) -> ring::hmac::Key {
    use ring::hmac;
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), service);
    let k_signing = step(k_service.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
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
        assert_eq!(unhex("000fA5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(aws_uri_encode("a b/c~", true), "a%20b/c~");
        assert_eq!(aws_uri_encode("a/b", false), "a%2Fb");
    }
}
