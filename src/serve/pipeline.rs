//! One request through the local stand-ins for CloudFront: cache → edge
//! (an origin-request event) → origin (a Function URL event) → cache.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use folio_edge::Edge;
use folio_edge::events::{CfBody, CfHeader, CfHeaders, CfRequest, CfResponse, EdgeResult};
use folio_origin::App;
use folio_origin::lambda::{VIEWER_ADDRESS_HEADER, request_from_event, response_to_event};
use folio_shared::ApiError;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};

use super::cache::{CachedResponse, ResponseCache, shared_ttl};

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
}

pub struct Pipeline {
    pub edge: Edge,
    pub origin: Arc<App>,
    pub cache: Arc<ResponseCache>,
    pub stats: Arc<Stats>,
    allowed_origins: Vec<String>,
    request_prefix: String,
}

fn error_reply(error: ApiError) -> Reply {
    let response = error.to_response();
    Reply {
        status: response.status,
        headers: response.headers,
        body: Bytes::from(response.body),
    }
}

fn cf_headers(headers: &HeaderMap) -> CfHeaders {
    let mut out = CfHeaders::new();
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            out.entry(name.as_str().to_string())
                .or_default()
                .push(CfHeader {
                    key: Some(name.as_str().to_string()),
                    value: v.to_string(),
                });
        }
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

/// A Lambda response body, text or base64, as bytes.
fn decode_body(body: Option<String>, base64: bool) -> Bytes {
    match body {
        None => Bytes::new(),
        Some(b) if base64 => Bytes::from(STANDARD.decode(b).unwrap_or_default()),
        Some(b) => Bytes::from(b),
    }
}

fn reply_from_cf(response: CfResponse) -> Reply {
    let body = decode_body(
        response.body,
        response.body_encoding.as_deref() == Some("base64"),
    );
    Reply {
        status: response.status.parse().unwrap_or(502),
        headers: http_headers(&response.headers),
        body,
    }
}

/// The Function URL event CloudFront's origin request becomes.
fn function_url_event(request: CfRequest, request_id: &str) -> LambdaFunctionUrlRequest {
    let mut event = LambdaFunctionUrlRequest::default();
    let mut headers = HeaderMap::new();
    for (name, values) in &request.headers {
        let joined: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&joined.join(",")),
        ) {
            headers.insert(n, v);
        }
    }
    event.version = Some("2.0".into());
    event.raw_path = Some(request.uri.clone());
    event.raw_query_string = Some(request.querystring.clone());
    event.headers = headers;
    if let Some(body) = request.body {
        event.is_base64_encoded = body.encoding == "base64";
        event.body = Some(body.data);
    }
    event.request_context.request_id = Some(request_id.to_string());
    event.request_context.time_epoch = chrono::Utc::now().timestamp_millis();
    event.request_context.http.method = Some(request.method);
    event.request_context.http.path = Some(request.uri);
    event.request_context.http.source_ip = Some(request.client_ip);
    event
}

impl Pipeline {
    pub fn new(
        edge: Edge,
        origin: Arc<App>,
        cache: Arc<ResponseCache>,
        allowed_origins: Vec<String>,
    ) -> Self {
        let prefix: u32 = rand_prefix();
        Self {
            edge,
            origin,
            cache,
            stats: Arc::new(Stats::default()),
            allowed_origins,
            request_prefix: format!("{prefix:08x}"),
        }
    }

    fn request_id(&self, n: u64) -> String {
        format!("{}-{n:012x}", self.request_prefix)
    }

    pub async fn handle(
        &self,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        peer: SocketAddr,
    ) -> Reply {
        let n = self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut reply = self.respond(method, uri, headers, body, peer, n).await;
        self.add_cors(headers, &mut reply);
        reply
    }

    async fn respond(
        &self,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        peer: SocketAddr,
        n: u64,
    ) -> Reply {
        let path = uri.path();
        let cache_key = (method == Method::GET).then(|| {
            ResponseCache::key(
                path,
                uri.query(),
                headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()),
            )
        });
        if let Some(key) = &cache_key
            && let Some(hit) = self.cache.get(key)
        {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return hit_reply(&hit, headers);
        }
        let request_id = self.request_id(n);
        let mut cf_request = CfRequest {
            client_ip: peer.ip().to_string(),
            headers: cf_headers(headers),
            method: method.as_str().to_string(),
            querystring: uri.query().unwrap_or("").to_string(),
            uri: path.to_string(),
            body: (!body.is_empty()).then(|| CfBody {
                input_truncated: false,
                action: "read-only".into(),
                encoding: "base64".into(),
                data: STANDARD.encode(&body),
            }),
            origin: None,
        };
        // CloudFront adds the viewer's address; a viewer-sent copy never survives.
        folio_edge::events::set_header(
            &mut cf_request.headers,
            VIEWER_ADDRESS_HEADER,
            &peer.to_string(),
        );
        let forwarded = match self.edge.origin_request(cf_request).await {
            EdgeResult::Response(response) => {
                self.stats.edge_answers.fetch_add(1, Ordering::Relaxed);
                return reply_from_cf(response);
            }
            EdgeResult::Request(request) => request,
        };
        self.stats.origin_requests.fetch_add(1, Ordering::Relaxed);
        let event = function_url_event(forwarded, &request_id);
        let response = match request_from_event(event) {
            Ok(request) => response_to_event(self.origin.handle(request).await),
            Err(e) => return error_reply(ApiError::BadRequest(e)),
        };
        let body = decode_body(response.body, response.is_base64_encoded);
        let reply = Reply {
            status: u16::try_from(response.status_code).unwrap_or(502),
            headers: response.headers,
            body,
        };
        if let Some(key) = cache_key
            && reply.status == 200
            && let Some(ttl) = shared_ttl(&reply.headers)
        {
            self.cache.insert(
                key,
                CachedResponse {
                    status: reply.status,
                    headers: reply.headers.clone(),
                    body: reply.body.clone(),
                    stored_at: Instant::now(),
                    ttl,
                },
            );
        }
        reply
    }

    /// The response-headers policy: CORS for allowed browser origins.
    fn add_cors(&self, request_headers: &HeaderMap, reply: &mut Reply) {
        let Some(origin) = request_headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        if reply
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        {
            return;
        }
        if self.allowed_origins.iter().any(|o| o == "*" || o == origin)
            && let Ok(v) = HeaderValue::from_str(origin)
        {
            reply.headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            reply
                .headers
                .append(header::VARY, HeaderValue::from_static("Origin"));
            reply.headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("ETag, Location, Retry-After"),
            );
        }
    }
}

fn hit_reply(hit: &CachedResponse, request_headers: &HeaderMap) -> Reply {
    let mut headers = hit.headers.clone();
    headers.insert(
        header::AGE,
        HeaderValue::from(hit.stored_at.elapsed().as_secs()),
    );
    headers.insert("x-cache", HeaderValue::from_static("Hit from folio"));
    let not_modified = match (
        request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
        hit.etag(),
    ) {
        (Some(sent), Some(tag)) => folio_shared::caching::etag_matches(sent, tag),
        _ => false,
    };
    if not_modified {
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

fn rand_prefix() -> u32 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut b);
    u32::from_le_bytes(b)
}
