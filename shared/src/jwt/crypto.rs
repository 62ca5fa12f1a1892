//! A `ring`-backed crypto provider for jsonwebtoken, RS256 only.
//!
//! jsonwebtoken 11 compiles without a backend and panics at the first verification
//! unless one is installed. Its two built-in backends are aws-lc-rs (a C/CMake build,
//! large for a 1 MB Lambda@Edge zip) and RustCrypto's `rsa` (slow verification and an
//! open timing advisory). `ring` is small, fast and already our only crypto, so we
//! install this provider instead; every other algorithm is refused.
//!
//! With the feature `parsed-rsa-keys` (the origin's, which links AWS-LC anyway
//! through the AWS SDK's TLS), JWKS keys are verified with AWS-LC, each key parsed
//! once: ring parses the modulus and recomputes its Montgomery constants on every
//! verification, about a quarter of its cost (BENCHMARKS.md, "Work per request").

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result as JwtResult, new_error};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature::{self as sig, KeyPair};
use signature::{Signer, Verifier};

struct Rs256Signer(EncodingKey);

impl Signer<Vec<u8>> for Rs256Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let pair = sig::RsaKeyPair::from_der(self.0.as_bytes())
            .or_else(|_| sig::RsaKeyPair::from_pkcs8(self.0.as_bytes()))
            .map_err(|_| signature::Error::new())?;
        let mut out = vec![0; pair.public().modulus_len()];
        pair.sign(
            &sig::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            msg,
            &mut out,
        )
        .map_err(|_| signature::Error::new())?;
        Ok(out)
    }
}

impl JwtSigner for Rs256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

struct Rs256Verifier(DecodingKey);

impl Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let params = &sig::RSA_PKCS1_2048_8192_SHA256;
        let outcome = match self.0.kind() {
            #[cfg(feature = "parsed-rsa-keys")]
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                return parsed_keys::verify(n, e, msg, signature)
                    .map_err(|_| signature::Error::new());
            }
            #[cfg(not(feature = "parsed-rsa-keys"))]
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                sig::RsaPublicKeyComponents { n, e }.verify(params, msg, signature)
            }
            DecodingKeyKind::SecretOrDer(der) => {
                sig::UnparsedPublicKey::new(params, der).verify(msg, signature)
            }
        };
        outcome.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

/// RS256 keys (JWKS modulus and exponent) parsed once by AWS-LC and kept for the
/// process. A pool's JWKS holds two or three keys; the bound only matters if
/// keys keep rotating in a long-lived process.
#[cfg(feature = "parsed-rsa-keys")]
mod parsed_keys {
    use std::sync::{Arc, RwLock};

    use aws_lc_rs::signature::{
        ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    };

    /// Keys kept at most; the oldest goes first.
    const MAX_KEYS: usize = 8;

    type Parsed = (Vec<u8>, Vec<u8>, Arc<ParsedPublicKey>);

    static KEYS: RwLock<Vec<Parsed>> = RwLock::new(Vec::new());

    fn kept_key(keys: &[Parsed], n: &[u8], e: &[u8]) -> Option<Arc<ParsedPublicKey>> {
        keys.iter()
            .find(|(kn, ke, _)| kn == n && ke == e)
            .map(|(_, _, key)| Arc::clone(key))
    }

    fn parsed(n: &[u8], e: &[u8]) -> Result<Arc<ParsedPublicKey>, ()> {
        let keys = KEYS.read().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = kept_key(&keys, n, e) {
            return Ok(key);
        }
        drop(keys);
        // The size range (2048 to 8192 bits) is checked by each verification.
        let key = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map(Arc::new)
            .map_err(|_| ())?;
        let mut keys = KEYS.write().unwrap_or_else(|p| p.into_inner());
        // Another thread may have parsed the same key meanwhile: keep one copy.
        if let Some(kept) = kept_key(&keys, n, e) {
            return Ok(kept);
        }
        if keys.len() >= MAX_KEYS {
            keys.remove(0);
        }
        keys.push((n.to_vec(), e.to_vec(), Arc::clone(&key)));
        Ok(key)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 of `msg` under the key (`n`, `e`).
    pub(super) fn verify(n: &[u8], e: &[u8], msg: &[u8], signature: &[u8]) -> Result<(), ()> {
        parsed(n, e)?.verify_sig(msg, signature).map_err(|_| ())
    }

    /// How many keys are kept (for tests of the bound).
    #[cfg(test)]
    pub(super) fn kept() -> usize {
        KEYS.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    match alg {
        Algorithm::RS256 => Ok(Box::new(Rs256Signer(key.clone()))),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    match alg {
        Algorithm::RS256 => Ok(Box::new(Rs256Verifier(key.clone()))),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn rsa_components_from_private(der: &[u8]) -> JwtResult<(Vec<u8>, Vec<u8>)> {
    let pair = sig::RsaKeyPair::from_der(der)
        .or_else(|_| sig::RsaKeyPair::from_pkcs8(der))
        .map_err(|_| new_error(ErrorKind::InvalidRsaKey("not an RSA private key".into())))?;
    let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    Ok((public.n, public.e))
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private,
        rsa_pub_components_from_public_key: |_| Err(new_error(ErrorKind::InvalidKeyFormat)),
        ec_pub_components_from_private_key: |_, _| Err(new_error(ErrorKind::InvalidKeyFormat)),
        ed_pub_components_from_private_key: |_, _| Err(new_error(ErrorKind::InvalidKeyFormat)),
        compute_digest: |_, _| Err(new_error(ErrorKind::InvalidAlgorithm)),
    },
};

/// Installs the provider for the process; idempotent. Called by everything that signs
/// or verifies, so no entry point can forget it.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider was installed first; ours is then unused and
        // the other one answers, which is still a working backend.
        let _ = PROVIDER.install_default();
    });
}

#[cfg(all(test, feature = "parsed-rsa-keys"))]
mod tests {
    use rsa::traits::PublicKeyParts;

    use super::*;

    /// A key of `bits`: its modulus, exponent, and RS256 signature of `msg`
    /// (made with the `rsa` crate, since ring signs with no key under 2048 bits).
    fn signed(bits: usize, msg: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).expect("key");
        // EMSA-PKCS1-v1_5 (RFC 8017 section 9.2): SHA-256's DigestInfo, then the hash.
        let mut digest_info = vec![
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        digest_info.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, msg).as_ref());
        let signature = key
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info)
            .expect("signature");
        (key.n().to_bytes_be(), key.e().to_bytes_be(), signature)
    }

    fn ring_verdict(n: &[u8], e: &[u8], msg: &[u8], signature: &[u8]) -> bool {
        sig::RsaPublicKeyComponents { n, e }
            .verify(&sig::RSA_PKCS1_2048_8192_SHA256, msg, signature)
            .is_ok()
    }

    /// What is checked: n, e, the message, the signature, and whether it holds.
    type Case<'a> = (&'a str, &'a [u8], &'a [u8], &'a [u8], &'a [u8], bool);

    #[test]
    fn parsed_keys_give_the_verdicts_ring_gives() {
        let msg = b"header.claims";
        let (n, e, good) = signed(2048, msg);
        let (other_n, other_e, other_signature) = signed(2048, msg);
        let (short_n, short_e, short_signature) = signed(1024, msg);
        let mut flipped = good.clone();
        flipped[17] ^= 1;
        let cases: Vec<Case> = vec![
            ("its own signature", &n, &e, msg, &good, true),
            ("again, from the parsed key", &n, &e, msg, &good, true),
            ("another message", &n, &e, b"header.claimz", &good, false),
            ("a changed signature", &n, &e, msg, &flipped, false),
            (
                "another key's signature",
                &n,
                &e,
                msg,
                &other_signature,
                false,
            ),
            (
                "the other key",
                &other_n,
                &other_e,
                msg,
                &other_signature,
                true,
            ),
            ("a signature cut short", &n, &e, msg, &good[..255], false),
            ("no signature", &n, &e, msg, &[], false),
            (
                "a 1024-bit key",
                &short_n,
                &short_e,
                msg,
                &short_signature,
                false,
            ),
            (
                "a modulus that is no key",
                &[0u8; 256],
                &e,
                msg,
                &good,
                false,
            ),
        ];
        for (case, n, e, msg, signature, expected) in cases {
            assert_eq!(ring_verdict(n, e, msg, signature), expected, "ring: {case}");
            assert_eq!(
                parsed_keys::verify(n, e, msg, signature).is_ok(),
                expected,
                "parsed key: {case}"
            );
        }
    }

    #[test]
    fn the_parsed_key_store_stays_bounded() {
        let msg = b"header.claims";
        let (n, _, signature) = signed(2048, msg);
        // Distinct keys: one modulus with twelve exponents (each parses; none verifies).
        for e in (3u8..).step_by(2).take(12) {
            assert!(parsed_keys::verify(&n, &[e], msg, &signature).is_err());
            assert!(
                parsed_keys::kept() <= 8,
                "{} keys kept",
                parsed_keys::kept()
            );
        }
    }
}
