//! DynamoDB's JSON protocol (`DynamoDB_20120810`, `application/x-amz-json-1.0`)
//! on a pool of kept-alive HTTP/1.1 connections, each request signed with SigV4
//! (`sigv4`: what `aws-sigv4`, the SDK's own signer, writes for them, with the
//! day's signing key kept; `aws-sigv4` itself for an endpoint with a path). The
//! store's four calls (GetItem, BatchGetItem, Query, TransactWriteItems) go this
//! way rather than through aws-sdk-dynamodb, whose per-call machinery costs more
//! CPU than the rest of a request (README, "Crates"; BENCHMARKS.md). What the SDK
//! would do for them is done here too, and said where: the retry policy and
//! timeouts of `CallPolicy::AWS`, an idempotency token per transaction,
//! credentials from the SDK's own provider chain, refreshed before they expire.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use bytes::Bytes;
use folio_shared::settings::{AWS_CA_BUNDLE, AWS_ENDPOINT_URL_DYNAMODB, Env};
use http::{HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::adapters::aws::call_policy::CallPolicy;
use crate::adapters::aws::dynamo::sigv4;
use crate::adapters::aws::error::deepest;

/// The header DynamoDB names each answer with ("Errors", DynamoDB Developer Guide:
/// the request ID AWS Support asks for).
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// What folio's calls say they are (the SDK sends `aws-sdk-rust/…`): who is
/// calling shows in CloudTrail and in AWS Support's view of a request.
const USER_AGENT: &str = concat!("folio/", env!("CARGO_PKG_VERSION"), " dynamodb-json-1.0");

/// How a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// DynamoDB answered with an error: the code is the part of `__type` after
    /// `#` ("Errors", DynamoDB Developer Guide, "Error components").
    Service {
        status: u16,
        code: String,
        message: String,
        /// One per action of a cancelled transaction, in order.
        cancellation_reasons: Vec<CancellationReason>,
        /// DynamoDB's `x-amzn-RequestId`: what AWS Support asks for.
        request_id: Option<String>,
    },
    /// No answer: unreachable, timed out, or the connection failed.
    Transport(String),
    /// An answer folio cannot read (a proxy in the way, or a bug).
    Malformed(String),
}

/// Why one action of a cancelled transaction was cancelled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CancellationReason {
    /// `"None"`, `"ConditionalCheckFailed"`, `"TransactionConflict"`, …
    pub code: Option<String>,
    /// The item whose condition failed, as DynamoDB's JSON, when the action asked
    /// for it (`ReturnValuesOnConditionCheckFailure`).
    pub item: Option<String>,
}

impl CallError {
    /// Worth another attempt after a pause, and `Unavailable` to the caller once
    /// the attempts run out: no answer, a 5xx, or a code the SDK's standard retry
    /// mode counts as throttling or transient. The codes are the SDK's own lists
    /// (`aws_runtime::retries::classifiers`), so both clients agree ("Retry
    /// behavior", AWS SDKs and Tools Reference Guide; "Error retries and
    /// exponential backoff", DynamoDB Developer Guide).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Service { status, code, .. } => {
                *status >= 500
                    || THROTTLING_ERRORS.contains(&code.as_str())
                    || TRANSIENT_ERRORS.contains(&code.as_str())
            }
            CallError::Malformed(_) => false,
        }
    }

    /// The credentials were refused as expired: fetched again and tried once more.
    fn is_expired_credentials(&self) -> bool {
        matches!(self, CallError::Service { code, .. } if code == "ExpiredTokenException")
    }
}

/// An answer's body read as `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CallError> {
    serde_json::from_slice(bytes)
        .map_err(|e| CallError::Malformed(format!("an answer folio cannot read: {e}")))
}

/// The error body DynamoDB sends with a 4xx or 5xx.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "__type", default)]
    kind: String,
    // DynamoDB spells it `message`; some errors (and moto) `Message`.
    #[serde(alias = "Message", default)]
    message: String,
    #[serde(rename = "CancellationReasons", default)]
    cancellation_reasons: Vec<Reason>,
}

#[derive(Deserialize)]
struct Reason {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
    #[serde(rename = "Item", default)]
    item: Option<Box<serde_json::value::RawValue>>,
}

/// The signing identity, kept until five minutes before it expires: the SDK's
/// identity cache does the same ("Identity caching", AWS SDK for Rust guide).
/// Lambda's role credentials come from the environment and do not expire while
/// the instance lives.
struct CachedCredentials {
    provider: SharedCredentialsProvider,
    current: RwLock<Option<Credentials>>,
    refresh: tokio::sync::Mutex<()>,
}

const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

impl CachedCredentials {
    fn fresh(credentials: &Credentials) -> bool {
        credentials
            .expiry()
            .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
    }

    fn cached(&self) -> Option<Credentials> {
        let current = self.current.read().ok()?;
        current.as_ref().filter(|c| Self::fresh(c)).cloned()
    }

    async fn get(&self) -> Result<Credentials, CallError> {
        if let Some(credentials) = self.cached() {
            return Ok(credentials);
        }
        // One refresh at a time; the others wait and take its result.
        let _refreshing = self.refresh.lock().await;
        if let Some(credentials) = self.cached() {
            return Ok(credentials);
        }
        let credentials = self.provider.provide_credentials().await.map_err(|e| {
            CallError::Transport(format!(
                "no AWS credentials to sign with ({e}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ))
        })?;
        if let Ok(mut current) = self.current.write() {
            *current = Some(credentials.clone());
        }
        Ok(credentials)
    }

    fn forget(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}

/// One DynamoDB endpoint in one Region, signed with one set of credentials.
pub struct DynamoHttp {
    endpoint: Uri,
    endpoint_text: String,
    host: HeaderValue,
    region: String,
    /// For an endpoint at its root; `None` signs with aws-sigv4.
    signer: Option<sigv4::Signer>,
    policy: CallPolicy,
    credentials: CachedCredentials,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// The operations folio's own client sends, each named as `X-Amz-Target` names
/// it: the four calls of the request path, and no other. Every other call (the
/// table, bulk loads, any new access pattern) goes through aws-sdk-dynamodb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetItem,
    BatchGetItem,
    Query,
    TransactWriteItems,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetItem => "GetItem",
            Operation::BatchGetItem => "BatchGetItem",
            Operation::Query => "Query",
            Operation::TransactWriteItems => "TransactWriteItems",
        }
    }

    /// Its `X-Amz-Target`.
    fn target(self) -> &'static str {
        match self {
            Operation::GetItem => "DynamoDB_20120810.GetItem",
            Operation::BatchGetItem => "DynamoDB_20120810.BatchGetItem",
            Operation::Query => "DynamoDB_20120810.Query",
            Operation::TransactWriteItems => "DynamoDB_20120810.TransactWriteItems",
        }
    }
}

/// Where folio's own DynamoDB calls go and which roots their TLS trusts, beyond
/// what the SDK configuration says (Region, credentials, `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamoEndpoint {
    /// `AWS_ENDPOINT_URL_DYNAMODB`: DynamoDB elsewhere than the other services (the
    /// test suite's DynamoDB Local beside moto). Read here, not left to the SDK,
    /// because an endpoint set in code for every service would win over it.
    pub url: Option<String>,
    /// `AWS_CA_BUNDLE`: a PEM file of the certificate authorities to trust instead
    /// of Mozilla's roots (a proxy that inspects TLS, a local endpoint with its own
    /// CA), the setting the AWS SDKs and CLI read for it ("General configuration
    /// settings", AWS SDKs and Tools Reference Guide).
    pub ca_bundle: Option<PathBuf>,
}

impl DynamoEndpoint {
    /// Reads both settings (empty is unset).
    pub fn from_env(env: &Env) -> Self {
        Self {
            url: env.get(&AWS_ENDPOINT_URL_DYNAMODB).map(String::from),
            ca_bundle: env.get(&AWS_CA_BUNDLE).map(PathBuf::from),
        }
    }
}

/// Why the store's client could not be set up: one line, naming the setting and
/// the fix where one is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("no AWS Region for DynamoDB: set AWS_REGION")]
    NoRegion,
    #[error(
        "no AWS credentials provider for DynamoDB: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials,
    #[error("TLS set-up for DynamoDB failed: {0}")]
    Tls(String),
    #[error(
        "setting AWS_CA_BUNDLE: {path}: {reason}: name a PEM file of CA certificates, or unset it"
    )]
    CaBundle { path: String, reason: String },
    #[error("the DynamoDB endpoint {endpoint:?} is not a URL: {reason}")]
    NotUrl { endpoint: String, reason: String },
    #[error("the DynamoDB endpoint {0:?} names no host")]
    NoHost(String),
    #[error(
        "setting {setting}: folio's DynamoDB client does not support {what}: unset it, or use a Region of the aws or aws-cn partition, or name the endpoint in AWS_ENDPOINT_URL_DYNAMODB"
    )]
    Unsupported { setting: &'static str, what: String },
}

/// The TLS settings of the calls: Mozilla's roots (`webpki-roots`, compiled in,
/// so a cold start parses no certificate file), or those of `AWS_CA_BUNDLE`.
fn tls_config(ca_bundle: Option<&Path>) -> Result<rustls::ClientConfig, ConnectError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    match ca_bundle {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let unreadable = |e: &dyn std::fmt::Display| ConnectError::CaBundle {
                path: path.display().to_string(),
                reason: e.to_string(),
            };
            for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
                let certificate = certificate.map_err(|e| unreadable(&e))?;
                roots.add(certificate).map_err(|e| unreadable(&e))?;
            }
            if roots.is_empty() {
                return Err(unreadable(&"no certificate in it"));
            }
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

impl DynamoHttp {
    /// `endpoint` is `https://dynamodb.<region>.amazonaws.com` in production
    /// ("Amazon DynamoDB endpoints and quotas", AWS General Reference), or a local
    /// `http://` one (moto, DynamoDB Local). TLS trusts Mozilla's roots, or the
    /// PEM file `ca_bundle` names.
    pub fn new(
        endpoint: &str,
        ca_bundle: Option<&Path>,
        region: &str,
        provider: SharedCredentialsProvider,
        policy: CallPolicy,
    ) -> Result<Self, ConnectError> {
        let endpoint_text = endpoint.trim_end_matches('/').to_string() + "/";
        let uri: Uri =
            endpoint_text
                .parse()
                .map_err(|e: http::uri::InvalidUri| ConnectError::NotUrl {
                    endpoint: endpoint.to_string(),
                    reason: e.to_string(),
                })?;
        let host = uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .ok_or_else(|| ConnectError::NoHost(endpoint.to_string()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(policy.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(ca_bundle)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let at_root = uri.path() == "/" && uri.query().is_none();
        Ok(Self {
            endpoint: uri,
            endpoint_text,
            host,
            region: region.to_string(),
            signer: at_root.then(|| sigv4::Signer::new(region)),
            policy,
            credentials: CachedCredentials {
                provider,
                current: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
            },
            // DynamoDB closes a connection idle for a while; a request that finds
            // its pooled connection closed before sending is sent on a new one.
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
        })
    }

    /// Sends `body` as `operation` and reads the answer as `T` (`call_bytes`).
    pub async fn call<T: DeserializeOwned>(
        &self,
        operation: Operation,
        body: Vec<u8>,
    ) -> Result<T, CallError> {
        let bytes = self.call_bytes(operation, body).await?;
        parse(&bytes)
    }

    /// Sends `body` as `operation` and returns the answer's body, under the call
    /// policy: each attempt bounded, transient failures tried again after a
    /// jittered pause that doubles, all within the operation's deadline.
    pub async fn call_bytes(
        &self,
        operation: Operation,
        body: Vec<u8>,
    ) -> Result<Bytes, CallError> {
        let body = Bytes::from(body);
        let deadline = Instant::now() + self.policy.operation_timeout;
        let mut attempt = 1;
        let mut refreshed = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let limit = self.policy.attempt_timeout.min(left);
            let result = match tokio::time::timeout(limit, self.attempt(operation, &body)).await {
                Ok(result) => result,
                Err(_) => Err(CallError::Transport(format!(
                    "no answer within {} ms: check the network, AWS_REGION and AWS_ENDPOINT_URL",
                    limit.as_millis()
                ))),
            };
            let error = match result {
                Ok(bytes) => return Ok(bytes),
                Err(error) => error,
            };
            if error.is_expired_credentials() && !refreshed {
                refreshed = true;
                self.credentials.forget();
                continue;
            }
            if !error.is_transient() || attempt >= self.policy.max_attempts {
                return Err(error);
            }
            let pause = self.policy.backoff(attempt);
            if Instant::now() + pause >= deadline {
                return Err(error);
            }
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// One signed request; the body of a 200, or the error DynamoDB answered.
    async fn attempt(&self, operation: Operation, body: &Bytes) -> Result<Bytes, CallError> {
        let request = self.signed(operation, body).await?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| CallError::Transport(transport_cause(&e)))?;
        let status = response.status();
        let request_id = response
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| CallError::Transport(format!("the answer was cut off: {e}")))?
            .to_bytes();
        if status == StatusCode::OK {
            return Ok(bytes);
        }
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(error) => CallError::Service {
                status: status.as_u16(),
                code: error
                    .kind
                    .rsplit_once('#')
                    .map_or(error.kind.as_str(), |(_, code)| code)
                    .to_string(),
                // A cancelled transaction's reasons say what went wrong (an item
                // grown past 400 KB): their messages join the error's.
                message: std::iter::once(error.message)
                    .chain(
                        error
                            .cancellation_reasons
                            .iter()
                            .filter_map(|r| r.message.clone()),
                    )
                    .collect::<Vec<_>>()
                    .join(": "),
                cancellation_reasons: error
                    .cancellation_reasons
                    .into_iter()
                    .map(|r| CancellationReason {
                        code: r.code,
                        item: r.item.map(|item| item.get().to_string()),
                    })
                    .collect(),
                request_id,
            },
            // A 5xx from something in front of DynamoDB: transient all the same.
            Err(_) => CallError::Service {
                status: status.as_u16(),
                code: format!("HTTP {}", status.as_u16()),
                message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
                cancellation_reasons: Vec::new(),
                request_id,
            },
        })
    }

    async fn signed(
        &self,
        operation: Operation,
        body: &Bytes,
    ) -> Result<Request<Full<Bytes>>, CallError> {
        let credentials = self.credentials.get().await?;
        let mut request = Request::post(self.endpoint.clone())
            .header(http::header::HOST, self.host.clone())
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(sigv4::CONTENT_TYPE),
            )
            .header("x-amz-target", HeaderValue::from_static(operation.target()))
            .header(
                http::header::USER_AGENT,
                HeaderValue::from_static(USER_AGENT),
            )
            .body(Full::new(body.clone()))
            .map_err(|e| CallError::Malformed(e.to_string()))?;
        // An endpoint at its root (every real one, moto's and DynamoDB Local's)
        // is signed by folio's signer; one with a path, by aws-sigv4, which
        // normalises and encodes it.
        if let (Some(signer), Ok(host)) = (&self.signer, self.host.to_str()) {
            let signature = signer.sign(
                &credentials,
                SystemTime::now(),
                host,
                operation.target(),
                body,
            );
            let headers = request.headers_mut();
            let value = |text: String| {
                HeaderValue::try_from(text)
                    .map_err(|e| CallError::Malformed(format!("signing: {e}")))
            };
            headers.insert("x-amz-date", value(signature.amz_date)?);
            if let Some(token) = signature.security_token {
                headers.insert("x-amz-security-token", value(token)?);
            }
            headers.insert(http::header::AUTHORIZATION, value(signature.authorization)?);
            return Ok(request);
        }
        sigv4::sign_with_aws_sigv4(
            &mut request,
            &credentials,
            &self.region,
            SystemTime::now(),
            &self.endpoint_text,
            body,
        )
        .map_err(|e| CallError::Malformed(format!("signing: {e}")))?;
        Ok(request)
    }
}

/// A transport error by its innermost cause, which says what happened.
fn transport_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let cause = deepest(error);
    let fix = if cause.contains("certificate") {
        "if a proxy or the endpoint has its own certificate authority, name its PEM file in AWS_CA_BUNDLE"
    } else {
        "check the network, AWS_REGION and AWS_ENDPOINT_URL"
    };
    format!("cannot reach DynamoDB ({cause}): {fix}")
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    fn service(status: u16, code: &str) -> CallError {
        CallError::Service {
            status,
            code: code.into(),
            message: String::new(),
            cancellation_reasons: Vec::new(),
            request_id: None,
        }
    }

    /// A DynamoDB stand-in on 127.0.0.1 that answers each request with the next
    /// scripted `(status, body)` and keeps the `Authorization` header of each.
    struct Scripted {
        endpoint: String,
        signed_with: Arc<Mutex<Vec<String>>>,
        user_agents: Arc<Mutex<Vec<String>>>,
        _serving: tokio::task::JoinHandle<()>,
    }

    impl Scripted {
        async fn start(answers: &[(u16, &str)]) -> Self {
            use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
            let answers: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::new(Mutex::new(
                answers.iter().map(|(s, b)| (*s, b.to_string())).collect(),
            ));
            let signed_with = Arc::new(Mutex::new(Vec::new()));
            let user_agents = Arc::new(Mutex::new(Vec::new()));
            let agents = Arc::clone(&user_agents);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            let log = Arc::clone(&signed_with);
            let serving = tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (answers, log) = (Arc::clone(&answers), Arc::clone(&log));
                    let agents = Arc::clone(&agents);
                    tokio::spawn(async move {
                        let mut stream = BufReader::new(stream);
                        loop {
                            let (mut length, mut authorization) = (0, String::new());
                            loop {
                                let mut line = String::new();
                                if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                let line = line.trim_end();
                                if line.is_empty() {
                                    break;
                                }
                                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                                match name.to_ascii_lowercase().as_str() {
                                    "content-length" => length = value.trim().parse().unwrap(),
                                    "authorization" => authorization = value.trim().into(),
                                    "user-agent" => {
                                        agents.lock().unwrap().push(value.trim().into())
                                    }
                                    _ => {}
                                }
                            }
                            let mut body = vec![0; length];
                            stream.read_exact(&mut body).await.unwrap();
                            log.lock().unwrap().push(authorization);
                            let next = answers.lock().unwrap().pop_front();
                            let (status, body) = next.expect("no answer left in the script");
                            let answer = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-RequestId: REQ{}\r\ncontent-length: {}\r\n\r\n{body}",
                                log.lock().unwrap().len(),
                                body.len()
                            );
                            stream.get_mut().write_all(answer.as_bytes()).await.unwrap();
                        }
                    });
                }
            });
            Self {
                endpoint,
                signed_with,
                user_agents,
                _serving: serving,
            }
        }

        fn requests(&self) -> usize {
            self.signed_with.lock().unwrap().len()
        }

        /// The access key each request was signed with, in order.
        fn access_keys(&self) -> Vec<String> {
            let log = self.signed_with.lock().unwrap();
            log.iter()
                .map(|a| {
                    let credential = a.split("Credential=").nth(1).unwrap_or("");
                    credential.split('/').next().unwrap_or("").to_string()
                })
                .collect()
        }
    }

    /// Hands out `AK1`, `AK2`, … each expiring `lifetime` from now.
    #[derive(Debug)]
    struct Issued {
        lifetime: Duration,
        count: Arc<AtomicUsize>,
    }

    impl ProvideCredentials for Issued {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
            let expiry = SystemTime::now() + self.lifetime;
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AK{n}"),
                "secret",
                None,
                Some(expiry),
                "test",
            )))
        }
    }

    /// A client of `endpoint`, and how many times it fetched credentials.
    fn client(endpoint: &str, lifetime: Duration) -> (DynamoHttp, Arc<AtomicUsize>) {
        let issued = Arc::new(AtomicUsize::new(0));
        let provider = SharedCredentialsProvider::new(Issued {
            lifetime,
            count: Arc::clone(&issued),
        });
        let http = DynamoHttp::new(endpoint, None, "eu-west-1", provider, CallPolicy::AWS)
            .expect("client");
        (http, issued)
    }

    async fn get(http: &DynamoHttp) -> Result<serde_json::Value, CallError> {
        http.call(Operation::GetItem, b"{}".to_vec()).await
    }

    const EXPIRED: &str = r#"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#;

    #[tokio::test]
    async fn refused_credentials_are_fetched_again_and_the_call_sent_once_more() {
        let dynamo =
            Scripted::start(&[(400, EXPIRED), (200, "{}"), (400, EXPIRED), (400, EXPIRED)]).await;
        let (http, issued) = client(&dynamo.endpoint, Duration::from_secs(3600));
        assert_eq!(get(&http).await, Ok(serde_json::json!({})));
        assert_eq!(dynamo.access_keys(), ["AK1", "AK2"]);
        // Refused again right after a fetch: one more fetch, then the error.
        let error = get(&http).await.unwrap_err();
        assert!(error.is_expired_credentials(), "{error:?}");
        assert_eq!(dynamo.access_keys(), ["AK1", "AK2", "AK2", "AK3"]);
        assert_eq!(issued.load(Ordering::SeqCst), 3);
    }

    /// Every endpoint folio knows (DynamoDB's, moto's, DynamoDB Local's) is at
    /// its root and signed by `sigv4`; one with a path is signed by aws-sigv4,
    /// which normalises and encodes the path. Both reach the endpoint signed.
    #[tokio::test]
    async fn an_endpoint_at_its_root_is_signed_by_folios_signer_and_one_with_a_path_by_aws_sigv4() {
        let dynamo = Scripted::start(&[(200, "{}"); 2]).await;
        let (at_root, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        assert!(at_root.signer.is_some());
        get(&at_root).await.unwrap();
        let (with_path, _) = client(
            &format!("{}/proxy", dynamo.endpoint),
            Duration::from_secs(3600),
        );
        assert!(with_path.signer.is_none());
        get(&with_path).await.unwrap();
        assert_eq!(dynamo.access_keys(), ["AK1", "AK1"]);
    }

    #[tokio::test]
    async fn credentials_are_kept_until_five_minutes_before_they_expire() {
        let dynamo = Scripted::start(&[(200, "{}"); 6]).await;
        let (lasting, issued) = client(&dynamo.endpoint, Duration::from_secs(3600));
        for _ in 0..3 {
            get(&lasting).await.unwrap();
        }
        assert_eq!(issued.load(Ordering::SeqCst), 1, "kept while fresh");
        let (expiring, issued) = client(&dynamo.endpoint, Duration::from_secs(120));
        for _ in 0..3 {
            get(&expiring).await.unwrap();
        }
        assert_eq!(
            issued.load(Ordering::SeqCst),
            3,
            "fetched again inside 5 minutes of expiry"
        );
    }

    #[tokio::test]
    async fn transient_answers_are_tried_three_times_in_all_and_others_once() {
        const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#;
        const INVALID: &str =
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#;
        let dynamo = Scripted::start(&[(500, "{}"), (400, THROTTLED), (200, "{}")]).await;
        let (http, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        assert!(get(&http).await.is_ok(), "the third attempt answers");
        assert_eq!(dynamo.requests(), 3);

        let dynamo = Scripted::start(&[(503, "busy"), (503, "busy"), (503, "busy")]).await;
        let (http, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        let error = get(&http).await.unwrap_err();
        assert!(
            matches!(&error, CallError::Service { status: 503, .. }),
            "{error:?}"
        );
        assert_eq!(dynamo.requests(), 3, "three attempts in all");

        let dynamo = Scripted::start(&[(400, INVALID)]).await;
        let (http, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        let error = get(&http).await.unwrap_err();
        assert!(
            matches!(&error, CallError::Service { code, .. } if code == "ValidationException"),
            "{error:?}"
        );
        assert_eq!(dynamo.requests(), 1, "not tried again");

        let dynamo = Scripted::start(&[(200, "not json")]).await;
        let (http, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        assert!(matches!(get(&http).await, Err(CallError::Malformed(_))));
    }

    #[tokio::test]
    async fn errors_keep_dynamodbs_request_id_and_calls_say_they_are_folio() {
        const INVALID: &str =
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#;
        let dynamo = Scripted::start(&[(400, INVALID)]).await;
        let (http, _) = client(&dynamo.endpoint, Duration::from_secs(3600));
        let error = get(&http).await.unwrap_err();
        assert!(
            matches!(&error, CallError::Service { request_id: Some(id), .. } if id == "REQ1"),
            "{error:?}"
        );
        let agents = dynamo.user_agents.lock().unwrap().clone();
        assert_eq!(agents.len(), 1);
        assert!(agents[0].starts_with("folio/"), "{agents:?}");
    }

    #[test]
    fn throttling_server_errors_and_silence_are_tried_again_and_nothing_else() {
        assert!(service(400, "ProvisionedThroughputExceededException").is_transient());
        assert!(service(400, "ThrottlingException").is_transient());
        assert!(service(400, "RequestLimitExceeded").is_transient());
        assert!(service(400, "TransactionInProgressException").is_transient());
        assert!(service(408, "RequestTimeoutException").is_transient());
        assert!(service(500, "InternalServerError").is_transient());
        assert!(service(503, "HTTP 503").is_transient());
        assert!(CallError::Transport("reset".into()).is_transient());
        assert!(!service(400, "ConditionalCheckFailedException").is_transient());
        assert!(!service(400, "TransactionCanceledException").is_transient());
        assert!(!service(400, "ValidationException").is_transient());
        assert!(!CallError::Malformed("x".into()).is_transient());
    }
}
