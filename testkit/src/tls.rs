//! A TLS-terminating proxy on 127.0.0.1 in front of a plain-HTTP engine (moto,
//! DynamoDB Local), its certificate issued by a certificate authority of its own.
//! The real DynamoDB endpoint is HTTPS only ("Amazon DynamoDB endpoints and
//! quotas", AWS General Reference); the local engines are plain HTTP, so without
//! this no test would cross the TLS code of folio's own DynamoDB calls.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TlsProxy {
    /// `https://localhost:<port>`: the name the certificate is issued to.
    pub endpoint: String,
    /// The proxy's certificate authority, as a PEM file (for `AWS_CA_BUNDLE`).
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
    accepting: JoinHandle<()>,
}

impl TlsProxy {
    /// Listens on a free port and forwards every connection, decrypted, to
    /// `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("server key");
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .expect("server params")
            .signed_by(&key, &issuer)
            .expect("server certificate");

        let dir = tempfile::tempdir().expect("temp dir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).expect("CA file written");

        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    // As a server does: what is written goes out now, not after
                    // the client's delayed ACK (Nagle's algorithm).
                    let _ = client.set_nodelay(true);
                    // A client that gives up on the handshake just ends here.
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut engine) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let _ = engine.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                });
            }
        });
        Self {
            endpoint: format!("https://localhost:{port}"),
            ca_file,
            _dir: dir,
            accepting,
        }
    }

    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}
