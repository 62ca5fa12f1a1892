//! A rebuild-hook receiver for the tests: a real HTTP server on 127.0.0.1 that
//! checks each request's signature, records it, and answers 500 to the first
//! `fail_first` requests (to make folio retry), 200 after.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub delivery: String,
    pub event: Value,
    pub signature_ok: bool,
    pub answered: u16,
}

pub struct HookReceiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

/// Checks `t=<ts>,v1=<hex>` against HMAC-SHA-256 of `<ts>.<body>` under `secret`,
/// and that the timestamp is recent (replays are refused by age).
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut ts = None;
    let mut sig = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => ts = v.parse::<i64>().ok(),
            Some(("v1", v)) => sig = Some(v.to_string()),
            _ => {}
        }
    }
    let (Some(ts), Some(sig)) = (ts, sig) else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return false;
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(body);
    let Some(raw) = folio_shared::digest::unhex(&sig) else {
        return false;
    };
    ring::hmac::verify(&key, &signed, &raw).is_ok()
}

impl HookReceiver {
    pub async fn start(secret: &str, fail_first: usize) -> Self {
        Self::start_with_delay(secret, fail_first, std::time::Duration::ZERO).await
    }

    /// A receiver that takes `delay` to answer each request.
    pub async fn start_with_delay(
        secret: &str,
        fail_first: usize,
        delay: std::time::Duration,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = Arc::clone(&received);
        let secret = secret.to_string();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = Arc::clone(&log);
                let secret = secret.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let log = Arc::clone(&log);
                        let secret = secret.clone();
                        async move {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_string()
                            };
                            let (signature, delivery) =
                                (header("x-folio-signature"), header("x-folio-delivery"));
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            tokio::time::sleep(delay).await;
                            let mut log = log.lock().unwrap();
                            let answered = if log.len() < fail_first { 500 } else { 200 };
                            log.push(Received {
                                delivery,
                                event: serde_json::from_slice(&body).unwrap_or(Value::Null),
                                signature_ok: verify(&secret, &signature, &body),
                                answered,
                            });
                            let mut response = hyper::Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = hyper::StatusCode::from_u16(answered).unwrap();
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
