//! The JWKS endpoint over HTTP(S): hyper with rustls on ring and the webpki roots
//! (no reqwest, no second crypto library), so the edge package stays small.

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

use super::{JwksError, JwksSource};

/// A JWKS document larger than this is refused (Cognito's is about 1 KB).
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The TLS a JWKS fetch needs, and no more: X25519 key exchange and RSA/Ed25519
/// certificates (Cognito's endpoints present RSA chains). Leaving out the NIST
/// curves drops ring's P-256 tables, about 150 KB of the edge binary, which is
/// what keeps the Lambda@Edge zip under 1 MB. Named explicitly also because the
/// AWS SDK in the origin enables aws-lc-rs, and rustls will not pick between two.
fn tls_provider() -> rustls::crypto::CryptoProvider {
    use rustls::SignatureScheme as Scheme;
    use rustls::crypto::ring::{cipher_suite, kx_group};
    use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
    use webpki::ring as alg;
    static VERIFY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
        all: &[
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::ED25519,
        ],
        mapping: &[
            (
                Scheme::RSA_PSS_SHA512,
                &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
            ),
            (
                Scheme::RSA_PSS_SHA384,
                &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
            ),
            (
                Scheme::RSA_PSS_SHA256,
                &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (Scheme::ED25519, &[alg::ED25519]),
            (Scheme::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (Scheme::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (Scheme::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    };
    CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![kx_group::X25519],
        signature_verification_algorithms: VERIFY,
        secure_random: &RingRandom,
        key_provider: &NoClientCertificates,
    }
}

/// rustls' own ring provider would link its ECDSA key loading (and so the P-256
/// tables) for client certificates, which a JWKS fetch never presents.
#[derive(Debug)]
struct NoClientCertificates;

impl rustls::crypto::KeyProvider for NoClientCertificates {
    fn load_private_key(
        &self,
        _: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> Result<std::sync::Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "client certificates are not used".into(),
        ))
    }
}

#[derive(Debug)]
struct RingRandom;

impl rustls::crypto::SecureRandom for RingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use ring::rand::SecureRandom;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

pub struct HttpJwks {
    url: http::Uri,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

/// An HTTP/1.1 connector for `https://` (rustls on ring, the webpki roots) and
/// plain `http://` URLs; the JWKS fetcher's, and `folio smoke`'s.
pub fn https_connector() -> Result<hyper_rustls::HttpsConnector<HttpConnector>, JwksError> {
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(tls_provider())
        .map_err(|e| JwksError::Tls(e.to_string()))?
        .https_or_http()
        .enable_http1()
        .build())
}

impl HttpJwks {
    /// `url` is `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`
    /// in production; plain `http://` is accepted for local endpoints such as moto.
    pub fn new(url: &str) -> Result<Self, JwksError> {
        let url: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| JwksError::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        let connector = https_connector()?;
        Ok(Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    /// The verifier bounds this call with its own fetch timeout.
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let response = self
            .client
            .get(self.url.clone())
            .await
            .map_err(|e| JwksError::Request {
                url: self.url.to_string(),
                reason: e.to_string(),
            })?;
        if !response.status().is_success() {
            return Err(JwksError::Status(response.status().to_string()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| JwksError::Body(e.to_string()))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| JwksError::NotKeySet(e.to_string()))
    }
}
