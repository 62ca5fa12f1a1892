//! The CloudFront stand-in: what happens between the viewer, the edge function and
//! the origin's Function URL, as AWS documents it. `folio serve` and every
//! end-to-end test go through it; the edge and the origin are called through their
//! Lambda event shapes (in process, or as real processes under a Runtime API in
//! the packaged-artifact test).
//!
//! One request:
//! 1. the viewer-request CloudFront Function (`cloudfront/viewer-request.js`, its
//!    Rust twin `policy::normalise_query`): the query string as the API reads it;
//!    an oversized `Authorization` refused;
//! 2. the cache, keyed by the cache policy (path, that query string,
//!    `Authorization`);
//! 3. on a miss, the origin-request event: only the headers the cache and origin
//!    request policies forward, plus those CloudFront adds (`rules`), the body
//!    base64-encoded and truncated at 1 MB with `inputTruncated`;
//! 4. the function's result validated (`rules`); a broken one is a 502; a
//!    generated response is cached under the cache policy;
//! 5. Origin Access Control signs the request, replacing `Authorization`
//!    (`function_url`); the Function URL checks the signature and payload hash and
//!    builds the payload 2.0 event;
//! 6. the origin's answer cached per its `Cache-Control`, then the response headers
//!    policy (CORS, security headers) applied.

pub mod cache;
pub mod function_url;
pub mod rules;
pub mod sigv4;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use folio_edge::Edge;
use folio_edge::events::{
    Cf, CfBody, CfConfig, CfHeader, CfHeaders, CfRecord, CfRequest, CfResponse, CloudFrontEvent,
    header as cf_header,
};
use folio_origin::App;
use folio_origin::http::lambda::{VIEWER_ADDRESS_HEADER, request_from_event, response_to_event};
use folio_origin::usecases::audience::COUNTRY_HEADER;
use folio_shared::caching;
use folio_shared::policy::{self, CORS, Cors, SECURITY_HEADERS};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use serde_json::Value;

use cache::{CachedResponse, Freshness, ResponseCache, shared_ttl};
use function_url::{AuthorizationAfterOac, FunctionUrl, OriginAccessControl, OriginRequest};
pub use rules::EventType;
use sigv4::Credentials;

/// A function that failed instead of answering (Lambda's `errorMessage`):
/// CloudFront answers 502 for an edge function, a Function URL 502 for the origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FunctionError {
    pub message: String,
}

impl FunctionError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }
}

/// A Lambda function as CloudFront and a Function URL call it: JSON in, JSON out.
#[async_trait]
pub trait LambdaFunction: Send + Sync {
    async fn invoke(&self, event: Value) -> Result<Value, FunctionError>;
}

/// The edge handler in this process, behind its event shape.
pub struct InProcessEdge(pub Edge);

#[async_trait]
impl LambdaFunction for InProcessEdge {
    async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
        let event: CloudFrontEvent = serde_json::from_value(event).map_err(FunctionError::new)?;
        self.0.handle(event).await.map_err(FunctionError::new)
    }
}

/// The origin application in this process, behind the Function URL event shape.
pub struct InProcessOrigin(pub Arc<App>);

#[async_trait]
impl LambdaFunction for InProcessOrigin {
    async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
        let event: LambdaFunctionUrlRequest =
            serde_json::from_value(event).map_err(FunctionError::new)?;
        let request = request_from_event(event).map_err(FunctionError::new)?;
        serde_json::to_value(response_to_event(
            folio_origin::http::handle(&self.0, request).await,
        ))
        .map_err(FunctionError::new)
    }
}

/// What the HTTP layer sends back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Counters for tests and the load report.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub cache_hits: AtomicU64,
    pub edge_answers: AtomicU64,
    pub origin_requests: AtomicU64,
    /// Function results CloudFront would have refused (answered 502).
    pub validation_failures: AtomicU64,
    /// Requests the Function URL refused (answered 403).
    pub iam_refusals: AtomicU64,
    /// Answers served past their lifetime (`stale-while-revalidate`, `stale-if-error`).
    pub stale_served: AtomicU64,
    /// Requests the origin group sent on to the secondary origin.
    pub failovers: AtomicU64,
}

/// How an origin's Region is doing, as CloudFront would find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginHealth {
    /// Its Function URL answers.
    Up,
    /// No connection can be made: each attempt waits out the connection timeout.
    Unreachable,
    /// Connections open but no answer comes: each attempt waits out the read timeout.
    Silent,
}

impl OriginHealth {
    fn from_u8(n: u8) -> Self {
        match n {
            1 => Self::Unreachable,
            2 => Self::Silent,
            _ => Self::Up,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Self::Up => 0,
            Self::Unreachable => 1,
            Self::Silent => 2,
        }
    }
}

/// One origin of the distribution: the origin function behind its Function URL,
/// in its Region.
pub struct RegionalOrigin {
    pub region: String,
    function: Arc<dyn LambdaFunction>,
    function_url: FunctionUrl,
    health: std::sync::atomic::AtomicU8,
    /// Requests that reached its function.
    pub requests: AtomicU64,
}

/// The origins' connection attempts and timeouts (the template's, from
/// [`policy::FAILOVER`]; tests may shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginTimeouts {
    pub connection_attempts: u32,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for OriginTimeouts {
    fn default() -> Self {
        Self {
            connection_attempts: policy::FAILOVER.connection_attempts,
            connection_timeout: Duration::from_secs(policy::FAILOVER.connection_timeout_secs),
            read_timeout: Duration::from_secs(policy::FAILOVER.read_timeout_secs),
        }
    }
}

/// What one try of an origin came to.
enum Attempt {
    /// The edge function answered at origin-request: not the origin's answer,
    /// so never a reason to fail over.
    Edge(Reply),
    /// The origin (or its Function URL) answered.
    Answered(Reply),
    /// No answer: CloudFront's own 502 (no connection) or 504 (timed out).
    NoAnswer(Reply),
}

/// The origin's answers on which a copy in its `stale-if-error` window is served
/// instead ("Manage how long content stays in the cache (expiration)", CloudFront
/// Developer Guide). A failed origin function reaches the viewer as 502, so it is
/// among them; the page names no other status, so no other is.
pub const STALE_IF_ERROR_STATUSES: [u16; 4] = [500, 502, 503, 504];

#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// The response headers policy's allowed browser origins (`*` for any).
    pub allowed_origins: Vec<String>,
    /// Where the edge function is associated (the template's `EdgeTrigger`).
    pub edge_event: EventType,
    pub authorization_after_oac: AuthorizationAfterOac,
    pub origin_timeouts: OriginTimeouts,
}

impl Default for StandinConfig {
    fn default() -> Self {
        Self {
            allowed_origins: vec!["*".into()],
            edge_event: EventType::OriginRequest,
            authorization_after_oac: AuthorizationAfterOac::Signature,
            origin_timeouts: OriginTimeouts::default(),
        }
    }
}

pub struct Distribution {
    edge: Arc<dyn LambdaFunction>,
    /// The home Region's origin first, then the failover origin (an origin group
    /// has two members).
    origins: Vec<RegionalOrigin>,
    oac: OriginAccessControl,
    pub cache: Arc<ResponseCache>,
    pub stats: Arc<Stats>,
    config: StandinConfig,
    request_prefix: String,
}

/// The viewer-request CloudFront Function's limit on `Authorization`.
const MAX_AUTHORIZATION_BYTES: usize = 8192;

/// CloudFront-Viewer-Country as the stand-in gives it. CloudFront looks the
/// viewer's address up in its geolocation data ("Add CloudFront request headers",
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html>);
/// the stand-in has this test mapping instead: the documentation ranges (RFC 5737,
/// RFC 3849) and three loopback addresses a test can send from. Any other address
/// gets no header, as the stricter reading of a lookup that can fail, and a
/// viewer's own copy never reaches the origin.
pub const TEST_COUNTRIES: &[(&str, &str)] = &[
    ("127.0.0.2", "DE"),
    ("127.0.0.3", "JP"),
    ("127.0.0.4", "BR"),
    ("192.0.2.", "US"),
    ("198.51.100.", "DE"),
    ("203.0.113.", "JP"),
    ("2001:db8:", "FR"),
];

/// The country of `ip` under [`TEST_COUNTRIES`].
pub fn test_country(ip: std::net::IpAddr) -> Option<&'static str> {
    let text = ip.to_string();
    TEST_COUNTRIES
        .iter()
        .find(|(prefix, _)| {
            if prefix.ends_with(['.', ':']) {
                text.starts_with(prefix)
            } else {
                text == *prefix
            }
        })
        .map(|(_, country)| *country)
}

fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Reply {
        status,
        headers,
        body: body.into(),
    }
}

/// CloudFront's own error page, as it answers when a function result fails
/// validation or the origin refuses it.
fn cloudfront_error(status: u16, what: &str) -> Reply {
    reply(
        status,
        "text/html",
        format!(
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>{status} ERROR</H1><H2>The request could not be satisfied.</H2><HR noshade size=\"1px\">{what}</BODY></HTML>\n"
        ),
    )
}

fn cf_headers<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> CfHeaders {
    let mut out = CfHeaders::new();
    for (name, value) in headers {
        out.entry(name.to_ascii_lowercase())
            .or_default()
            .push(CfHeader {
                key: Some(name.to_string()),
                value: value.to_string(),
            });
    }
    out
}

fn http_headers(headers: &CfHeaders) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, values) in headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(v) = HeaderValue::from_str(&value.value) {
                out.append(name.clone(), v);
            }
        }
    }
    out
}

fn reply_from_cf(response: CfResponse) -> Reply {
    let body = match (response.body, response.body_encoding.as_deref()) {
        (None, _) => Bytes::new(),
        (Some(b), Some("base64")) => Bytes::from(STANDARD.decode(b).unwrap_or_default()),
        (Some(b), _) => Bytes::from(b),
    };
    Reply {
        status: response.status.parse().unwrap_or(502),
        headers: http_headers(&response.headers),
        body,
    }
}

fn event(event_type: EventType, request: &CfRequest, request_id: &str) -> Value {
    let event = CloudFrontEvent {
        records: vec![CfRecord {
            cf: Cf {
                config: CfConfig {
                    distribution_domain_name: "d111111abcdef8.cloudfront.net".into(),
                    distribution_id: "EDFDVBD6EXAMPLE".into(),
                    event_type: event_type.name().into(),
                    request_id: request_id.into(),
                },
                request: request.clone(),
                response: None,
            },
        }],
    };
    serde_json::to_value(event).unwrap_or(Value::Null)
}

/// The body as a request event exposes it ("Restrictions on Lambda@Edge", include
/// body: base64, truncated at the event's limit with `inputTruncated`).
fn exposed_body(body: &Bytes, event: EventType) -> Option<CfBody> {
    if body.is_empty() {
        return None;
    }
    let limit = event.body_exposed_limit();
    let shown = &body[..body.len().min(limit)];
    Some(CfBody {
        input_truncated: body.len() > limit,
        action: "read-only".into(),
        encoding: "base64".into(),
        data: STANDARD.encode(shown),
    })
}

enum Decided {
    Forward(CfRequest),
    Answer(Reply),
}

impl Distribution {
    /// A distribution with one origin, in [`function_url::DEFAULT_REGION`].
    pub fn new(
        edge: Arc<dyn LambdaFunction>,
        origin: Arc<dyn LambdaFunction>,
        cache: Arc<ResponseCache>,
        config: StandinConfig,
    ) -> Arc<Self> {
        Self::regional(
            edge,
            vec![(function_url::DEFAULT_REGION.to_string(), origin)],
            cache,
            config,
        )
    }

    /// A distribution with an origin per Region: the home Region's first, and
    /// the failover origin second (more are refused: an origin group has two).
    pub fn regional(
        edge: Arc<dyn LambdaFunction>,
        origins: Vec<(String, Arc<dyn LambdaFunction>)>,
        cache: Arc<ResponseCache>,
        config: StandinConfig,
    ) -> Arc<Self> {
        assert!(
            (1..=2).contains(&origins.len()),
            "an origin, or an origin group of two"
        );
        // The distribution's OAC signs as CloudFront's service principal; the
        // Function URL trusts exactly these credentials.
        let secret = format!("{:032x}", random_u128());
        let credentials = Credentials {
            access_key_id: "ASIACLOUDFRONTOAC".into(),
            secret_access_key: secret,
        };
        let origins = origins
            .into_iter()
            .map(|(region, function)| RegionalOrigin {
                function_url: FunctionUrl::in_region(
                    credentials.clone(),
                    config.authorization_after_oac,
                    &region,
                ),
                region,
                function,
                health: std::sync::atomic::AtomicU8::new(OriginHealth::Up.to_u8()),
                requests: AtomicU64::new(0),
            })
            .collect();
        Arc::new(Self {
            edge,
            origins,
            oac: OriginAccessControl::new(credentials),
            cache,
            stats: Arc::new(Stats::default()),
            config,
            request_prefix: format!("{:08x}", random_u128() as u32),
        })
    }

    /// Takes `region`'s origin down, or brings it back (tests, `folio serve --regions`).
    pub fn set_health(&self, region: &str, health: OriginHealth) -> bool {
        match self.origins.iter().find(|o| o.region == region) {
            Some(origin) => {
                origin.health.store(health.to_u8(), Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// The origins, home first.
    pub fn origins(&self) -> &[RegionalOrigin] {
        &self.origins
    }

    fn request_id(&self, n: u64) -> String {
        format!("{}-{n:012x}", self.request_prefix)
    }

    pub async fn handle(
        self: &Arc<Self>,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        peer: SocketAddr,
    ) -> Reply {
        let n = self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut reply = self.respond(method, uri, headers, body, peer, n).await;
        self.response_headers_policy(headers, &mut reply);
        reply
    }

    async fn respond(
        self: &Arc<Self>,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        peer: SocketAddr,
        n: u64,
    ) -> Reply {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        let sizes = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        match rules::viewer_request_size(method.as_str(), host, path_and_query, sizes) {
            Ok(()) => {}
            Err(too_big @ rules::Oversize::Url(_)) => {
                return cloudfront_error(414, &too_big.to_string());
            }
            Err(too_big @ rules::Oversize::Request(_)) => {
                return cloudfront_error(431, &too_big.to_string());
            }
        }
        let request_id = self.request_id(n);
        let viewer_headers: Vec<(&str, &str)> = headers
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
            // Disallowed headers are never exposed to functions nor forwarded.
            .filter(|(k, _)| !rules::is_disallowed(k))
            .collect();
        let mut request = CfRequest {
            client_ip: peer.ip().to_string(),
            headers: cf_headers(viewer_headers.iter().copied()),
            method: method.as_str().to_string(),
            querystring: uri.query().unwrap_or("").to_string(),
            uri: uri.path().to_string(),
            body: None,
            origin: None,
        };
        let mut first = FirstOrigin::Behaviour;
        match self.config.edge_event {
            EventType::OriginRequest => {
                // The CloudFront Function on viewer-request.
                match viewer_function(&mut request) {
                    Ok(chosen) => first = chosen,
                    Err(refusal) => return *refusal,
                }
            }
            EventType::ViewerRequest => {
                request.body = exposed_body(&body, EventType::ViewerRequest);
                match self
                    .run_edge(EventType::ViewerRequest, request, &request_id)
                    .await
                {
                    // Answers generated at viewer-request are never cached.
                    Decided::Answer(reply) => return reply,
                    Decided::Forward(forwarded) => request = forwarded,
                }
            }
        }
        // CloudFront caches HEAD too (CachedMethods GET, HEAD); the stand-in keeps
        // only GET answers, so a body-less HEAD answer can never be served to a GET.
        let cacheable = method == Method::GET;
        let key = cacheable.then(|| {
            ResponseCache::key(
                &request.uri,
                Some(&request.querystring),
                cf_header(&request.headers, "authorization").map(str::as_bytes),
            )
        });
        let stale = match key.as_ref().and_then(|key| self.cache.get(key)) {
            Some(hit) => match hit.freshness(Instant::now()) {
                Freshness::Fresh => {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return hit_reply(&hit, headers);
                }
                // Served at once; the fresh copy comes from a fetch in the background.
                Freshness::StaleWhileRevalidate => {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                    let me = Arc::clone(self);
                    let (request, peer, key) = (request.clone(), peer, key.clone());
                    let request_id = format!("{request_id}-revalidate");
                    tokio::spawn(async move {
                        let reply = me
                            .fetch(
                                request,
                                Bytes::new(),
                                peer,
                                &request_id,
                                FirstOrigin::Behaviour,
                            )
                            .await;
                        // A failed revalidation leaves the stale copy in its windows.
                        if !STALE_IF_ERROR_STATUSES.contains(&reply.status) {
                            me.keep(key, &reply);
                        }
                    });
                    return hit_reply(&hit, headers);
                }
                Freshness::StaleIfError => Some(hit),
                Freshness::Expired => None,
            },
            None => None,
        };
        let reply = self.fetch(request, body, peer, &request_id, first).await;
        if let Some(hit) = stale
            && STALE_IF_ERROR_STATUSES.contains(&reply.status)
        {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
            return hit_reply(&hit, headers);
        }
        self.keep(key, &reply);
        reply
    }

    /// The request's way to the origin, as CloudFront takes it on a cache miss:
    /// the origin request policy, the edge function at origin-request (its own
    /// answers are the reply), OAC, the Function URL. With two origins and the
    /// viewer-request CloudFront Function in place, a GET, HEAD or OPTIONS goes to
    /// the origin group the function makes ([`policy::FAILOVER`]): the home
    /// origin, then the other when the home one answers a failover status, cannot
    /// be reached or times out; the edge function runs again for the second
    /// ("Use origin failover with Lambda@Edge functions"). A resent tracking
    /// beacon starts, and stays, at the other Region's origin when there is one.
    /// The reply is not cached here.
    async fn fetch(
        &self,
        mut request: CfRequest,
        body: Bytes,
        peer: SocketAddr,
        request_id: &str,
        first: FirstOrigin,
    ) -> Reply {
        // What reaches the origin request: the policies' headers and CloudFront's own.
        let at_viewer = self.config.edge_event == EventType::ViewerRequest;
        request
            .headers
            .retain(|name, _| policy::forwarded_to_origin(name, at_viewer));
        let address = peer.to_string();
        let forwarded_for = peer.ip().to_string();
        request
            .headers
            .retain(|name, _| !name.eq_ignore_ascii_case(COUNTRY_HEADER));
        if let Some(country) = test_country(peer.ip()) {
            folio_edge::events::set_header(&mut request.headers, COUNTRY_HEADER, country);
        }
        for (name, value) in [
            (VIEWER_ADDRESS_HEADER, address.as_str()),
            ("x-forwarded-for", forwarded_for.as_str()),
            ("via", "2.0 standin.cloudfront.net (CloudFront)"),
        ] {
            folio_edge::events::set_header(&mut request.headers, name, value);
        }
        if !body.is_empty() {
            folio_edge::events::set_header(
                &mut request.headers,
                "content-length",
                &body.len().to_string(),
            );
        }
        // The group is the viewer-request CloudFront Function's doing: with the
        // edge at viewer-request there is no such function, and no group.
        let group = self.origins.len() == 2
            && self.config.edge_event == EventType::OriginRequest
            && policy::FAILOVER.fails_over(&request.method);
        // With one origin the function has no other to select.
        let start = usize::from(first == FirstOrigin::Failover && self.origins.len() == 2);
        // The request is kept for the second origin only when there is a group.
        let second = group.then(|| (request.clone(), body.clone()));
        let primary = self.attempt(start, request, body, request_id).await;
        let failed = match primary {
            Attempt::Edge(reply) => return reply,
            Attempt::Answered(reply) if !policy::FAILOVER.status_codes.contains(&reply.status) => {
                return reply;
            }
            Attempt::Answered(reply) | Attempt::NoAnswer(reply) => reply,
        };
        let Some((request, body)) = second else {
            return failed;
        };
        self.stats.failovers.fetch_add(1, Ordering::Relaxed);
        match self.attempt(1, request, body, request_id).await {
            Attempt::Edge(reply) | Attempt::Answered(reply) | Attempt::NoAnswer(reply) => reply,
        }
    }

    /// One origin's try: CloudFront's Host for it, the edge function at
    /// origin-request, then the origin.
    async fn attempt(
        &self,
        index: usize,
        mut request: CfRequest,
        body: Bytes,
        request_id: &str,
    ) -> Attempt {
        let origin = &self.origins[index];
        folio_edge::events::set_header(&mut request.headers, "host", &origin.function_url.host);
        let forwarded = match self.config.edge_event {
            EventType::OriginRequest => {
                request.body = exposed_body(&body, EventType::OriginRequest);
                match self
                    .run_edge(EventType::OriginRequest, request, request_id)
                    .await
                {
                    // Responses generated at origin-request are cached by CloudFront
                    // ("Generate HTTP responses in request triggers"): the caller keeps it.
                    Decided::Answer(reply) => return Attempt::Edge(reply),
                    Decided::Forward(forwarded) => forwarded,
                }
            }
            EventType::ViewerRequest => request,
        };
        self.to_origin(origin, forwarded, body, request_id).await
    }

    /// Calls the edge function and validates its result as CloudFront does.
    async fn run_edge(
        &self,
        event_type: EventType,
        request: CfRequest,
        request_id: &str,
    ) -> Decided {
        let result = match self
            .edge
            .invoke(event(event_type, &request, request_id))
            .await
        {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(%error, "edge function failed");
                // "Lambda@Edge function errors" surface as 502 (or 503 when throttled).
                return Decided::Answer(cloudfront_error(
                    502,
                    "The Lambda function returned an error.",
                ));
            }
        };
        let checked = if result.get("status").is_some() {
            serde_json::from_value::<CfResponse>(result)
                .map_err(|_| rules::Violation::Shape)
                .and_then(|response| {
                    rules::check_response(event_type, &response).map(|()| {
                        self.stats.edge_answers.fetch_add(1, Ordering::Relaxed);
                        Decided::Answer(reply_from_cf(response))
                    })
                })
        } else {
            serde_json::from_value::<CfRequest>(result)
                .map_err(|_| rules::Violation::Shape)
                .and_then(|returned| {
                    rules::check_request(event_type, &request, &returned)
                        .map(|()| Decided::Forward(returned))
                })
        };
        checked.unwrap_or_else(|violation| {
            self.stats
                .validation_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%violation, "edge function result failed validation");
            Decided::Answer(cloudfront_error(
                502,
                &format!("The Lambda function result failed validation: {violation}."),
            ))
        })
    }

    /// OAC signs for this origin's Function URL; the Function URL checks and
    /// invokes the origin function. An origin that is down costs what the
    /// origin's attempts and timeouts say ("Controlling origin timeouts and
    /// attempts"), then CloudFront's 502 or 504.
    async fn to_origin(
        &self,
        origin: &RegionalOrigin,
        forwarded: CfRequest,
        body: Bytes,
        request_id: &str,
    ) -> Attempt {
        self.stats.origin_requests.fetch_add(1, Ordering::Relaxed);
        let timeouts = self.config.origin_timeouts;
        match OriginHealth::from_u8(origin.health.load(Ordering::SeqCst)) {
            OriginHealth::Up => {}
            OriginHealth::Unreachable => {
                tokio::time::sleep(timeouts.connection_timeout * timeouts.connection_attempts)
                    .await;
                return Attempt::NoAnswer(cloudfront_error(
                    502,
                    "CloudFront wasn't able to connect to the origin.",
                ));
            }
            OriginHealth::Silent => {
                tokio::time::sleep(timeouts.read_timeout * timeouts.connection_attempts).await;
                return Attempt::NoAnswer(origin_timed_out());
            }
        }
        let mut origin_request = OriginRequest {
            method: forwarded.method,
            path: forwarded.uri,
            query: forwarded.querystring,
            headers: forwarded
                .headers
                .iter()
                .filter(|(name, _)| *name != "content-length")
                .map(|(name, values)| {
                    let joined: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
                    (name.clone(), joined.join(","))
                })
                .collect(),
            // With IncludeBody read-only, the viewer's whole body goes to the origin.
            body,
        };
        let now = chrono::Utc::now();
        self.oac
            .sign(&mut origin_request, &origin.function_url, now);
        let event = match origin.function_url.accept(origin_request, request_id, now) {
            Ok(event) => event,
            Err(refused) => {
                self.stats.iam_refusals.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%refused, "Function URL refused the origin request");
                return Attempt::Answered(reply(
                    403,
                    "application/json",
                    r#"{"Message":"Forbidden"}"#,
                ));
            }
        };
        origin.requests.fetch_add(1, Ordering::Relaxed);
        // A real invocation is not timed: on the stand-in's backends an answer can
        // take far longer than on AWS (moto answers one call at a time), and there
        // the function's own 10 s timeout ends it before the read timeout would.
        // An origin that never answers is `OriginHealth::Silent`.
        let invoked = match serde_json::to_value(event) {
            Ok(event) => origin.function.invoke(event).await,
            Err(e) => Err(FunctionError::new(e)),
        };
        match invoked {
            Ok(value) => Attempt::Answered(function_url_response(value)),
            Err(error) => {
                tracing::warn!(%error, "origin function failed");
                Attempt::Answered(reply(
                    502,
                    "application/json",
                    r#"{"Message":"Internal Server Error"}"#,
                ))
            }
        }
    }

    /// Keeps an answer as CloudFront's cache would.
    fn keep(&self, key: Option<String>, reply: &Reply) {
        let Some(key) = key else { return };
        let ttl = match reply.status {
            200 => shared_ttl(&reply.headers),
            status => policy::ERROR_CACHING_MIN_TTL
                .iter()
                .find(|(code, _)| *code == status)
                .map(|(_, ttl)| Duration::from_secs(*ttl))
                .filter(|ttl| !ttl.is_zero()),
        };
        let Some(ttl) = ttl.map(|t| t.min(Duration::from_secs(policy::MAX_TTL_SECS))) else {
            return;
        };
        let (while_revalidate, if_error) = match reply.status {
            200 => reply
                .headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .map_or((Duration::ZERO, Duration::ZERO), caching::stale_windows),
            _ => (Duration::ZERO, Duration::ZERO),
        };
        self.cache.insert(
            key,
            CachedResponse {
                status: reply.status,
                headers: reply.headers.clone(),
                body: reply.body.clone(),
                stored_at: Instant::now(),
                ttl,
                while_revalidate,
                if_error,
            },
        );
    }

    /// The response headers policy: CORS for allowed browser origins (the origin's
    /// own CORS headers win, `OriginOverride: false`) and the security headers
    /// (replacing the origin's, but those the origin may set: `Override: false`).
    fn response_headers_policy(&self, request_headers: &HeaderMap, reply: &mut Reply) {
        for (name, value) in SECURITY_HEADERS {
            if policy::ORIGIN_MAY_SET.contains(name) && reply.headers.contains_key(*name) {
                continue;
            }
            reply.headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let Some(origin) = request_headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        if reply
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            || !Cors::origin_allowed(&self.config.allowed_origins, origin)
        {
            return;
        }
        if let Ok(v) = HeaderValue::from_str(origin) {
            reply.headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            reply
                .headers
                .append(header::VARY, HeaderValue::from_static("Origin"));
            if let Ok(v) = HeaderValue::from_str(&CORS.expose_headers_value()) {
                reply
                    .headers
                    .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
    }
}

/// The Function URL's reading of a function's answer ("Invoking Lambda function
/// URLs", response payload format): `statusCode`, `headers`, `body`,
/// `isBase64Encoded` and `cookies` are each optional; an answer without
/// `statusCode` is a 200 whose body is the answer itself.
fn function_url_response(value: Value) -> Reply {
    if value.get("statusCode").is_none() {
        let mut answer = reply(200, "application/json", value.to_string());
        answer.headers.remove(header::CACHE_CONTROL);
        return answer;
    }
    let status = value["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s));
    let Some(status) = status else {
        return reply(
            502,
            "application/json",
            r#"{"Message":"Internal Server Error"}"#,
        );
    };
    let mut headers = HeaderMap::new();
    if let Some(map) = value["headers"].as_object() {
        for (name, v) in map {
            if let (Ok(n), Some(Ok(v))) = (
                HeaderName::from_bytes(name.as_bytes()),
                v.as_str().map(HeaderValue::from_str),
            ) {
                headers.append(n, v);
            }
        }
    }
    for cookie in value["cookies"].as_array().into_iter().flatten() {
        if let Some(Ok(v)) = cookie.as_str().map(HeaderValue::from_str) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    let body = match (value["body"].as_str(), value["isBase64Encoded"].as_bool()) {
        (None, _) => Bytes::new(),
        (Some(b), Some(true)) => match STANDARD.decode(b) {
            Ok(bytes) => Bytes::from(bytes),
            Err(_) => {
                return reply(
                    502,
                    "application/json",
                    r#"{"Message":"Internal Server Error"}"#,
                );
            }
        },
        (Some(b), _) => Bytes::from(b.to_string()),
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The origin a request starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstOrigin {
    /// The cache behaviour's: the home Region's (or the group the function makes).
    Behaviour,
    /// The other Region's, chosen by the viewer-request function for a resent
    /// tracking beacon ([`policy::Failover::is_retry`]).
    Failover,
}

/// The viewer-request CloudFront Function (`cloudfront/viewer-request.js`):
/// refuses an `Authorization` no token fits in, picks the other Region's origin
/// for a resent tracking beacon, normalises the query string.
fn viewer_function(request: &mut CfRequest) -> Result<FirstOrigin, Box<Reply>> {
    if cf_header(&request.headers, "authorization")
        .is_some_and(|v| v.len() > MAX_AUTHORIZATION_BYTES)
    {
        let body = serde_json::json!({
            "error": "Unauthorized",
            "message": folio_shared::jwt::INVALID_TOKEN_MESSAGE,
            "statusCode": 401,
        });
        let mut refusal = reply(401, "application/json", body.to_string());
        refusal.headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return Err(Box::new(refusal));
    }
    let retry = policy::FAILOVER.is_retry(&request.method, &request.uri, &request.querystring);
    request.querystring = policy::normalise_query(&request.querystring);
    Ok(if retry {
        FirstOrigin::Failover
    } else {
        FirstOrigin::Behaviour
    })
}

/// CloudFront's answer when the origin's response timed out.
fn origin_timed_out() -> Reply {
    cloudfront_error(
        504,
        "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.",
    )
}

fn hit_reply(hit: &CachedResponse, request_headers: &HeaderMap) -> Reply {
    let mut headers = hit.headers.clone();
    headers.insert(
        header::AGE,
        HeaderValue::from(hit.stored_at.elapsed().as_secs()),
    );
    headers.insert("x-cache", HeaderValue::from_static("Hit from cloudfront"));
    let not_modified = match (
        request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
        hit.etag(),
    ) {
        (Some(sent), Some(tag)) => folio_shared::caching::etag_matches(sent, tag),
        _ => false,
    };
    if not_modified && hit.status == 200 {
        headers.remove(header::CONTENT_TYPE);
        return Reply {
            status: 304,
            headers,
            body: Bytes::new(),
        };
    }
    Reply {
        status: hit.status,
        headers,
        body: hit.body.clone(),
    }
}

fn random_u128() -> u128 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut b);
    u128::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// An edge that forwards every request unchanged.
    struct PassThrough;

    #[async_trait]
    impl LambdaFunction for PassThrough {
        async fn invoke(&self, mut event: Value) -> Result<Value, FunctionError> {
            Ok(event["Records"][0]["cf"]["request"].take())
        }
    }

    /// An edge that answers every request itself with the given status.
    struct Answers(&'static str, &'static str);

    #[async_trait]
    impl LambdaFunction for Answers {
        async fn invoke(&self, _: Value) -> Result<Value, FunctionError> {
            Ok(json_response(self.0, self.1))
        }
    }

    fn json_response(status: &str, cache_control: &str) -> Value {
        serde_json::json!({
            "status": status,
            "headers": { "cache-control": [{ "key": "Cache-Control", "value": cache_control }] },
            "body": "{}",
            "bodyEncoding": "text",
        })
    }

    /// An origin that records the Function URL events it gets.
    #[derive(Default)]
    struct Recorder {
        events: Mutex<Vec<Value>>,
        status: u16,
        cache_control: &'static str,
    }

    impl Recorder {
        /// An origin answering 200 with `Cache-Control: no-store`.
        fn answering_ok() -> Arc<Self> {
            Arc::new(Recorder {
                status: 200,
                cache_control: "no-store",
                ..Recorder::default()
            })
        }
    }

    #[async_trait]
    impl LambdaFunction for Recorder {
        async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
            if let Ok(mut events) = self.events.lock() {
                events.push(event);
            }
            Ok(serde_json::json!({
                "statusCode": self.status,
                "headers": { "cache-control": self.cache_control, "content-type": "application/json" },
                "body": "{}",
            }))
        }
    }

    fn distribution(edge: Arc<dyn LambdaFunction>, origin: Arc<Recorder>) -> Arc<Distribution> {
        Distribution::new(
            edge,
            origin,
            Arc::new(ResponseCache::new(1 << 20)),
            StandinConfig::default(),
        )
    }

    async fn get(d: &Arc<Distribution>, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        d.handle(
            Method::GET,
            &uri.parse().unwrap(),
            &map,
            Bytes::new(),
            "198.51.100.4:5000".parse().unwrap(),
        )
        .await
    }

    /// "Control origin requests with a policy" / "Add CloudFront request headers":
    /// only the cache key's and the origin request policy's headers reach the
    /// origin; CloudFront-Viewer-Address is CloudFront's, never the viewer's copy.
    #[tokio::test]
    async fn only_policy_headers_reach_the_origin_and_the_viewer_address_is_cloudfronts() {
        let origin = Recorder::answering_ok();
        let d = distribution(Arc::new(PassThrough), Arc::clone(&origin));
        get(
            &d,
            "/v1/projects",
            &[
                ("cookie", "session=1"),
                ("x-custom", "1"),
                ("user-agent", "Mozilla/5.0"),
                ("cloudfront-viewer-address", "10.9.9.9:1"),
                ("cloudfront-viewer-country", "ZZ"),
            ],
        )
        .await;
        let events = origin.events.lock().unwrap();
        let headers = &events[0]["headers"];
        assert!(headers.get("cookie").is_none() && headers.get("x-custom").is_none());
        assert_eq!(headers["user-agent"], "Mozilla/5.0");
        assert_eq!(headers["cloudfront-viewer-address"], "198.51.100.4:5000");
        // The country is CloudFront's (the test mapping's), never the viewer's.
        assert_eq!(headers["cloudfront-viewer-country"], "DE");
        assert_eq!(
            events[0]["requestContext"]["http"]["sourceIp"],
            function_url::CLOUDFRONT_SOURCE_IP
        );
    }

    #[test]
    fn the_test_mapping_gives_documentation_and_test_loopback_addresses_a_country_and_no_other() {
        let country = |ip: &str| test_country(ip.parse().unwrap());
        assert_eq!(country("198.51.100.7"), Some("DE"));
        assert_eq!(country("127.0.0.3"), Some("JP"));
        assert_eq!(country("2001:db8::1"), Some("FR"));
        assert_eq!(country("127.0.0.1"), None);
        assert_eq!(country("127.0.0.20"), None);
        assert_eq!(country("10.0.0.1"), None);
    }

    /// "Manage how long content stays in the cache": s-maxage decides; MinTTL 0
    /// means no-store is honoured.
    #[tokio::test]
    async fn the_cache_keeps_what_cache_control_allows_and_nothing_else() {
        for (cache_control, origin_calls) in [("public, s-maxage=60", 1), ("no-store", 2)] {
            let origin = Arc::new(Recorder {
                status: 200,
                cache_control,
                ..Recorder::default()
            });
            let d = distribution(Arc::new(PassThrough), Arc::clone(&origin));
            get(&d, "/v1/projects?utm_source=x", &[]).await;
            let second = get(&d, "/v1/projects", &[]).await;
            assert_eq!(
                origin.events.lock().unwrap().len(),
                origin_calls,
                "{cache_control}"
            );
            if origin_calls == 1 {
                assert_eq!(second.headers["x-cache"], "Hit from cloudfront");
            }
        }
    }

    /// "Generate HTTP responses in request triggers": a response generated at
    /// origin-request is cached like an origin's; the distribution's error caching
    /// minimum TTL keeps a 404 even with no-store ("How CloudFront processes HTTP 4xx
    /// and 5xx status codes", the stricter reading).
    #[tokio::test]
    async fn generated_answers_and_404s_are_cached_by_their_rules() {
        let origin = Arc::new(Recorder::default());
        let edge = Arc::new(Answers("404", "no-store"));
        let d = distribution(edge, Arc::clone(&origin));
        get(&d, "/v1/nope", &[]).await;
        let again = get(&d, "/v1/nope", &[]).await;
        assert_eq!(again.status, 404);
        assert_eq!(again.headers["x-cache"], "Hit from cloudfront");
        let refusing = distribution(Arc::new(Answers("401", "no-store")), origin);
        get(&refusing, "/v1/auth/me", &[]).await;
        let again = get(&refusing, "/v1/auth/me", &[]).await;
        assert!(again.headers.get("x-cache").is_none(), "a 401 is not kept");
    }

    /// The viewer-request CloudFront Function: an Authorization no token fits in
    /// is refused before anything else runs.
    #[tokio::test]
    async fn an_oversized_authorization_is_refused_by_the_viewer_function() {
        let origin = Arc::new(Recorder::default());
        let d = distribution(Arc::new(PassThrough), Arc::clone(&origin));
        let huge = format!("Bearer {}", "a".repeat(9000));
        let reply = get(&d, "/v1/auth/me", &[("authorization", &huge)]).await;
        assert_eq!(reply.status, 401);
        assert!(origin.events.lock().unwrap().is_empty());
    }

    /// "Quotas" (CloudFront Developer Guide): a URL of at most 8,192 bytes and a
    /// request (line and headers) of at most 20,480, refused before any function
    /// or the origin runs; requests at the limits pass.
    #[tokio::test]
    async fn requests_past_cloudfronts_size_quotas_are_refused_before_the_origin() {
        let origin = Recorder::answering_ok();
        let d = distribution(Arc::new(PassThrough), Arc::clone(&origin));
        let host = [("host", "folio.example")];
        // "https://folio.example" is 21 bytes.
        let path = |len: usize| format!("/v1/blog/posts?tag={}", "a".repeat(len - 21 - 19));
        let reply = get(&d, &path(rules::MAX_VIEWER_URL_BYTES + 1), &host).await;
        assert_eq!(reply.status, 414);
        assert!(String::from_utf8_lossy(&reply.body).contains("8,192"));
        let reply = get(&d, &path(rules::MAX_VIEWER_URL_BYTES), &host).await;
        assert_eq!(reply.status, 200, "a URL at the quota");
        assert_eq!(origin.events.lock().unwrap().len(), 1);

        // GET / HTTP/1.1 (16 bytes with its line end), host (21), the blank line
        // (2), and the cookie's line ("cookie: " and the line end, 10).
        let cookie = |request: usize| "c".repeat(request - 16 - 21 - 2 - 10);
        let too_big = cookie(rules::MAX_VIEWER_REQUEST_BYTES + 1);
        let reply = get(&d, "/", &[host[0], ("cookie", &too_big)]).await;
        assert_eq!(reply.status, 431);
        assert!(String::from_utf8_lossy(&reply.body).contains("20,480"));
        let at_quota = cookie(rules::MAX_VIEWER_REQUEST_BYTES);
        let reply = get(&d, "/", &[host[0], ("cookie", &at_quota)]).await;
        assert_ne!(reply.status, 431, "a request at the quota");
        assert_eq!(origin.events.lock().unwrap().len(), 2);
    }

    /// An origin whose answer the test changes: a status, a body, a Cache-Control.
    struct Switchable {
        answer: Mutex<(u16, &'static str, &'static str)>,
        calls: std::sync::atomic::AtomicUsize,
        last_query: Mutex<String>,
    }

    impl Switchable {
        fn new(cache_control: &'static str) -> Arc<Self> {
            Arc::new(Self {
                answer: Mutex::new((200, "v1", cache_control)),
                calls: Default::default(),
                last_query: Default::default(),
            })
        }
        fn set(&self, status: u16, body: &'static str) {
            let mut answer = self.answer.lock().unwrap();
            answer.0 = status;
            answer.1 = body;
        }
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
        /// The query string of the last Function URL event it was given.
        fn last_query(&self) -> String {
            self.last_query.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl LambdaFunction for Switchable {
        async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            *self.last_query.lock().unwrap() = event["rawQueryString"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (status, body, cache_control) = *self.answer.lock().unwrap();
            Ok(serde_json::json!({
                "statusCode": status,
                "headers": { "cache-control": cache_control, "content-type": "text/plain" },
                "body": body,
            }))
        }
    }

    fn over(origin: &Arc<Switchable>) -> Arc<Distribution> {
        Distribution::new(
            Arc::new(PassThrough),
            Arc::clone(origin) as Arc<dyn LambdaFunction>,
            Arc::new(ResponseCache::new(1 << 20)),
            StandinConfig::default(),
        )
    }

    /// "Manage how long content stays in the cache (expiration)": past its
    /// lifetime, within `stale-if-error`, a copy is served when the origin answers
    /// 500, 502, 503 or 504; any other answer (a 404, a fresh 200) is the viewer's.
    #[tokio::test]
    async fn a_stale_copy_is_served_when_the_origin_fails_within_stale_if_error() {
        let origin = Switchable::new("public, s-maxage=1, stale-if-error=60");
        let d = over(&origin);
        assert_eq!(get(&d, "/v1/projects", &[]).await.body, "v1");
        for status in [500, 502, 503, 504] {
            origin.set(status, "down");
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let reply = get(&d, "/v1/projects", &[]).await;
            assert_eq!(
                (reply.status, reply.body.as_ref()),
                (200, &b"v1"[..]),
                "on {status}"
            );
        }
        assert_eq!(
            origin.calls(),
            5,
            "each expired request still asks the origin first"
        );
        assert_eq!(d.stats.stale_served.load(Ordering::Relaxed), 4);
        origin.set(404, "gone");
        assert_eq!(
            get(&d, "/v1/projects", &[]).await.status,
            404,
            "a 404 is not an error the copy covers"
        );
    }

    /// Without `stale-if-error`, an expired copy is never served: the origin's
    /// failure is the viewer's.
    #[tokio::test]
    async fn without_stale_if_error_the_origins_failure_reaches_the_viewer() {
        let origin = Switchable::new("public, s-maxage=1");
        let d = over(&origin);
        assert_eq!(get(&d, "/v1/projects", &[]).await.body, "v1");
        origin.set(503, "down");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(get(&d, "/v1/projects", &[]).await.status, 503);
    }

    /// Within `stale-while-revalidate` the copy is served at once and a fresh one
    /// fetched in the background, which the next viewer gets.
    #[tokio::test]
    async fn a_stale_copy_is_served_at_once_while_a_fresh_one_is_fetched() {
        let origin = Switchable::new("public, s-maxage=1, stale-while-revalidate=30");
        let d = over(&origin);
        assert_eq!(get(&d, "/v1/projects", &[]).await.body, "v1");
        origin.set(200, "v2");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            get(&d, "/v1/projects", &[]).await.body,
            "v1",
            "the stale copy, at once"
        );
        for _ in 0..100 {
            if origin.calls() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(origin.calls(), 2, "one revalidation in the background");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(get(&d, "/v1/projects", &[]).await.body, "v2");
        assert_eq!(origin.calls(), 2, "the revalidated copy is fresh");
    }

    /// A revalidation that fails keeps the stale copy; it is not replaced by the error.
    #[tokio::test]
    async fn a_failed_revalidation_keeps_the_stale_copy() {
        let origin =
            Switchable::new("public, s-maxage=1, stale-while-revalidate=30, stale-if-error=60");
        let d = over(&origin);
        assert_eq!(get(&d, "/v1/projects", &[]).await.body, "v1");
        origin.set(502, "down");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for _ in 0..3 {
            let reply = get(&d, "/v1/projects", &[]).await;
            assert_eq!((reply.status, reply.body.as_ref()), (200, &b"v1"[..]));
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// An edge at origin-request that forwards and counts its calls.
    #[derive(Default)]
    struct CountingEdge(std::sync::atomic::AtomicUsize);

    #[async_trait]
    impl LambdaFunction for CountingEdge {
        async fn invoke(&self, mut event: Value) -> Result<Value, FunctionError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(event["Records"][0]["cf"]["request"].take())
        }
    }

    const SHORT: OriginTimeouts = OriginTimeouts {
        connection_attempts: 2,
        connection_timeout: Duration::from_millis(100),
        read_timeout: Duration::from_millis(300),
    };

    /// A distribution over two switchable origins: eu-west-1 (home) and us-east-1.
    fn two_regions(
        edge: Arc<dyn LambdaFunction>,
        edge_event: EventType,
    ) -> (Arc<Distribution>, Arc<Switchable>, Arc<Switchable>) {
        let home = Switchable::new("no-store");
        let other = Switchable::new("no-store");
        let d = Distribution::regional(
            edge,
            vec![
                (
                    "eu-west-1".into(),
                    Arc::clone(&home) as Arc<dyn LambdaFunction>,
                ),
                (
                    "us-east-1".into(),
                    Arc::clone(&other) as Arc<dyn LambdaFunction>,
                ),
            ],
            Arc::new(ResponseCache::new(1 << 20)),
            StandinConfig {
                edge_event,
                origin_timeouts: SHORT,
                ..StandinConfig::default()
            },
        );
        (d, home, other)
    }

    async fn call(d: &Arc<Distribution>, method: Method, uri: &str) -> Reply {
        d.handle(
            method,
            &uri.parse().unwrap(),
            &HeaderMap::new(),
            Bytes::new(),
            "198.51.100.4:5000".parse().unwrap(),
        )
        .await
    }

    /// "Request and response behavior for origin groups": a GET the home origin
    /// answers with a failover status (500, 502, 503, 504) goes to the other
    /// Region's, and the origin-request function runs once per origin ("Use origin
    /// failover with Lambda@Edge functions"); any other answer, a 404 included,
    /// is the viewer's.
    #[tokio::test]
    async fn a_read_fails_over_to_the_other_region_on_the_failover_statuses_only() {
        let edge = Arc::new(CountingEdge::default());
        let (d, home, other) = two_regions(edge.clone(), EventType::OriginRequest);
        other.set(200, "from us-east-1");
        for status in policy::FAILOVER.status_codes {
            home.set(*status, "home failing");
            let reply = call(&d, Method::GET, "/v1/projects").await;
            assert_eq!(
                (reply.status, reply.body.as_ref()),
                (200, &b"from us-east-1"[..]),
                "on {status}"
            );
        }
        assert_eq!(
            edge.0.load(Ordering::SeqCst),
            8,
            "the edge runs for each origin"
        );
        assert_eq!(d.stats.failovers.load(Ordering::Relaxed), 4);
        home.set(404, "not here");
        assert_eq!(call(&d, Method::GET, "/v1/projects").await.status, 404);
        home.set(200, "home");
        // (The 404 is cached for its error caching TTL: another path.)
        assert_eq!(
            call(&d, Method::GET, "/v1/certifications").await.body,
            "home"
        );
        assert_eq!(other.calls(), 4, "the other Region only after a failure");
    }

    /// "CloudFront fails over to the secondary origin only when the HTTP method of
    /// the viewer request is GET, HEAD, or OPTIONS": a write meets the home
    /// origin's failure, and the other Region never sees it.
    #[tokio::test]
    async fn a_write_never_fails_over() {
        let (d, home, other) = two_regions(Arc::new(PassThrough), EventType::OriginRequest);
        home.set(503, "home failing");
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(call(&d, method, "/v1/projects").await.status, 503);
        }
        d.set_health("eu-west-1", OriginHealth::Unreachable);
        assert_eq!(call(&d, Method::POST, "/v1/projects").await.status, 502);
        assert_eq!(other.calls(), 0);
    }

    /// "Controlling origin timeouts and attempts": an unreachable home origin costs
    /// attempts × connection timeout, a silent one attempts × read timeout, then
    /// the read goes to the other Region; with both down the viewer gets
    /// CloudFront's 502 or 504.
    #[tokio::test]
    async fn an_unreachable_or_silent_home_origin_fails_over_after_its_timeouts() {
        let (d, home, other) = two_regions(Arc::new(PassThrough), EventType::OriginRequest);
        other.set(200, "from us-east-1");
        for (health, waited) in [
            (OriginHealth::Unreachable, SHORT.connection_timeout * 2),
            (OriginHealth::Silent, SHORT.read_timeout * 2),
        ] {
            d.set_health("eu-west-1", health);
            let started = Instant::now();
            let reply = call(&d, Method::GET, "/v1/projects").await;
            assert_eq!(reply.body, "from us-east-1", "{health:?}");
            assert!(
                started.elapsed() >= waited,
                "{health:?} waited its timeouts"
            );
        }
        d.set_health("us-east-1", OriginHealth::Unreachable);
        d.set_health("eu-west-1", OriginHealth::Unreachable);
        assert_eq!(call(&d, Method::GET, "/v1/projects").await.status, 502);
        d.set_health("us-east-1", OriginHealth::Silent);
        assert_eq!(call(&d, Method::GET, "/v1/projects").await.status, 504);
        d.set_health("eu-west-1", OriginHealth::Up);
        home.set(200, "home again");
        assert_eq!(
            call(&d, Method::GET, "/v1/projects").await.body,
            "home again"
        );
    }

    /// A tracking beacon the home Region failed is sent again with `?failover`
    /// by `origin/tracker/3.js` and `4.js`; the viewer-request function selects the other
    /// Region's origin for it ("Helper methods for origin modification",
    /// `selectRequestOriginById`), the origin never sees the parameter, and no
    /// other write (nor a first try) leaves home.
    #[tokio::test]
    async fn a_resent_tracking_beacon_goes_to_the_other_region_and_nothing_else_does() {
        let (d, home, other) = two_regions(Arc::new(PassThrough), EventType::OriginRequest);
        other.set(200, "from us-east-1");
        d.set_health("eu-west-1", OriginHealth::Unreachable);
        assert_eq!(
            call(&d, Method::POST, "/v1/visitors/track").await.status,
            502
        );
        assert_eq!(
            call(&d, Method::POST, "/v1/blog/posts?failover=1")
                .await
                .status,
            502
        );
        assert_eq!(other.calls(), 0);
        for path in policy::FAILOVER.retry_paths() {
            let reply = call(&d, Method::POST, &format!("{path}?failover=1&limit=5")).await;
            assert_eq!(reply.body, "from us-east-1", "{path}");
            assert_eq!(other.last_query(), "limit=5", "the parameter is dropped");
        }
        assert_eq!(other.calls(), 3);
        // Back up, a resent beacon still goes where the script sent it.
        d.set_health("eu-west-1", OriginHealth::Up);
        home.set(200, "home");
        call(&d, Method::POST, "/v1/visitors/track?failover=1").await;
        assert_eq!((home.calls(), other.calls()), (0, 4));
    }

    /// With one origin the function has no other to choose: a resent beacon goes home.
    #[tokio::test]
    async fn with_one_origin_a_resent_beacon_goes_home() {
        let origin = Switchable::new("no-store");
        origin.set(200, "home");
        let d = Distribution::regional(
            Arc::new(PassThrough),
            vec![(
                "eu-west-1".into(),
                Arc::clone(&origin) as Arc<dyn LambdaFunction>,
            )],
            Arc::new(ResponseCache::new(1 << 20)),
            StandinConfig::default(),
        );
        let reply = call(&d, Method::POST, "/v1/visitors/track?failover=1").await;
        assert_eq!(reply.body, "home");
    }

    /// The origin group is the viewer-request CloudFront Function's doing; with
    /// the edge at viewer-request there is no CloudFront Function, so no failover.
    #[tokio::test]
    async fn with_the_edge_at_viewer_request_there_is_no_origin_group() {
        let (d, home, other) = two_regions(Arc::new(PassThrough), EventType::ViewerRequest);
        home.set(503, "home failing");
        assert_eq!(call(&d, Method::GET, "/v1/projects").await.status, 503);
        assert_eq!(other.calls(), 0);
    }
}
