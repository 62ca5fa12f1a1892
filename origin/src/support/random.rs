//! Secrets from the operating system's generator: salts, keys and bearer tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// The operating system's generator gave no bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random generator gave no bytes")]
pub struct NoEntropy;

/// `N` random bytes; fails only when the OS has no entropy to give.
pub fn bytes<const N: usize>() -> Result<[u8; N], NoEntropy> {
    let mut out = [0u8; N];
    SystemRandom::new().fill(&mut out).map_err(|_| NoEntropy)?;
    Ok(out)
}

/// A bearer token of 256 random bits, URL-safe base64 (43 characters).
pub fn token() -> Result<String, NoEntropy> {
    Ok(URL_SAFE_NO_PAD.encode(bytes::<32>()?))
}

/// Whether `text` could be a token `token` made: checked before any store read.
pub fn is_token_shaped(text: &str) -> bool {
    text.len() == 43 && folio_shared::domain::is_url_safe(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let (a, b) = (token().unwrap(), token().unwrap());
        assert!(is_token_shaped(&a) && is_token_shaped(&b));
        assert_ne!(a, b);
        assert!(!is_token_shaped("short"));
        assert!(!is_token_shaped(&format!("{}/", &a[..42])));
    }
}
