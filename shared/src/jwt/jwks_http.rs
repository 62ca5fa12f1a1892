//! The JWKS endpoint over HTTP(S): hyper with rustls on ring and the webpki roots
//! (no reqwest, no second crypto library), so the edge package stays small.

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

use super::JwksSource;

/// A JWKS document larger than this is refused (Cognito's is about 1 KB).
const MAX_JWKS_BYTES: usize = 64 * 1024;

pub struct HttpJwks {
    url: http::Uri,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpJwks {
    /// `url` is `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`
    /// in production; plain `http://` is accepted for local endpoints such as moto.
    pub fn new(url: &str) -> Result<Self, String> {
        let url: http::Uri = url
            .parse()
            .map_err(|e| format!("invalid JWKS URL {url:?}: {e}"))?;
        // ring named explicitly: the AWS SDK in the same binary enables aws-lc-rs,
        // and rustls refuses to guess between two providers.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("TLS set-up failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The pool's JWKS URL as Cognito publishes it.
    pub fn cognito_url(region: &str, user_pool_id: &str) -> String {
        format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}/.well-known/jwks.json")
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    /// The verifier bounds this call with its own fetch timeout.
    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .client
            .get(self.url.clone())
            .await
            .map_err(|e| format!("JWKS request to {} failed: {e}", self.url))?;
        if !response.status().is_success() {
            return Err(format!("JWKS endpoint answered {}", response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| format!("JWKS body unreadable: {e}"))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| format!("JWKS is not a key set: {e}"))
    }
}
