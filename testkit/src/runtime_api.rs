//! A Lambda Runtime API served by the test (the 2018-06-01 interface the managed
//! runtimes and lambda_runtime speak): events go in with `invoke`, the function's
//! answers come back. Shared by the origin and edge binary tests.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

/// What the function answered to one event.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value)>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<Value>,
    next_calls: u64,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
    counter: std::sync::atomic::AtomicU64,
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

async fn handle(
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["2018-06-01", "runtime", "invocation", "next"]) => loop {
            let notified = arrived.notified();
            let next = {
                let mut s = state.lock().unwrap();
                s.next_calls += 1;
                s.queue.pop_front()
            };
            if let Some((id, event)) = next {
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis()
                    + 30_000;
                let mut r = reply(StatusCode::OK, serde_json::to_vec(&event).unwrap());
                let h = r.headers_mut();
                h.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
                h.insert(
                    "lambda-runtime-deadline-ms",
                    deadline.to_string().parse().unwrap(),
                );
                h.insert(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:folio"
                        .parse()
                        .unwrap(),
                );
                h.insert(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".parse().unwrap(),
                );
                h.insert("content-type", "application/json".parse().unwrap());
                return Ok(r);
            }
            notified.await;
        },
        (
            "POST",
            [
                "2018-06-01",
                "runtime",
                "invocation",
                id,
                kind @ ("response" | "error"),
            ],
        ) => {
            let outcome = if *kind == "response" {
                Outcome::Response(json())
            } else {
                Outcome::Error(json())
            };
            if let Some(tx) = state.lock().unwrap().waiting.remove(*id) {
                let _ = tx.send(outcome);
            }
            Ok(reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}".to_vec()))
        }
        ("POST", ["2018-06-01", "runtime", "init", "error"]) => {
            state.lock().unwrap().init_error = Some(json());
            Ok(reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}".to_vec()))
        }
        _ => Ok(reply(StatusCode::NOT_FOUND, Vec::new())),
    }
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let arrived = Arc::new(Notify::new());
        let (s, a) = (Arc::clone(&state), Arc::clone(&arrived));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (s, a) = (Arc::clone(&s), Arc::clone(&a));
                tokio::spawn(async move {
                    let service =
                        service_fn(move |req| handle(Arc::clone(&s), Arc::clone(&a), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            state,
            arrived,
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function under test.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Queues one event and waits (up to `timeout`) for the function's answer.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Outcome {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = format!("req-{n:04}");
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.state.lock().unwrap();
            s.waiting.insert(id.clone(), tx);
            s.queue.push_back((id, event));
        }
        self.arrived.notify_waiters();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => panic!(
                "no answer within {timeout:?}; init error: {:?}",
                self.state.lock().unwrap().init_error
            ),
        }
    }

    /// Whether the function has polled `/next` (finished its init).
    pub fn ready(&self) -> bool {
        self.state.lock().unwrap().next_calls > 0
    }

    /// Waits until the function polls `/next` (it has finished its init).
    pub async fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.state.lock().unwrap().next_calls == 0 {
            assert!(
                Instant::now() < deadline,
                "the function never asked for an event"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn init_error(&self) -> Option<Value> {
        self.state.lock().unwrap().init_error.clone()
    }
}
