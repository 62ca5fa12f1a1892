//! A `ring`-backed crypto provider for jsonwebtoken, RS256 only.
//!
//! jsonwebtoken 11 compiles without a backend and panics at the first verification
//! unless one is installed. Its two built-in backends are aws-lc-rs (a C/CMake build,
//! large for a 1 MB Lambda@Edge zip) and RustCrypto's `rsa` (slow verification and an
//! open timing advisory). `ring` is small, fast and already our only crypto, so we
//! install this provider instead; every other algorithm is refused.

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
