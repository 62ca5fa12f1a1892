//! The edge decisions. On a request (origin-request or viewer-request): answer it
//! (CORS preflight, 401/403/404/405/413 with the origin's error bodies, or a public
//! answer from the edge cache) or forward it to the origin. On an origin response:
//! keep it in the edge cache when a shared cache may.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::caching::etag_matches;
use folio_shared::jwt::{Verifier, bearer_token};
use folio_shared::metrics;
use folio_shared::routes::{Access, Caching, RouteTable};
use folio_shared::{ApiError, ApiResponse};
use http::{Method, StatusCode};
use ring::digest;

use crate::cache::{CacheLimits, Cached, EdgeCache};
use crate::events::{
    CfHeaders, CfRequest, CfResponse, CloudFrontEvent, EdgeResult, header, set_header,
};

/// Largest body CloudFront hands an origin-request function; beyond it the body
/// arrives truncated and cannot be forwarded intact.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Headers only the edge may set: any copy from the viewer is dropped.
const INTERNAL_HEADERS: &[&str] = &["x-folio-edge", "x-amz-content-sha256"];

#[derive(Debug, Clone, Default)]
pub struct EdgeConfig {
    /// Origins allowed to call the API from a browser (`*` allows any).
    pub allowed_origins: Vec<String>,
    pub cache: CacheLimits,
}

/// What the edge did, for tests, benchmarks and metrics.
#[derive(Debug, Default)]
pub struct EdgeStats {
    pub cache_hits: AtomicU64,
    pub forwarded: AtomicU64,
    pub refused: AtomicU64,
}

pub struct Edge {
    verifier: Arc<Verifier>,
    routes: RouteTable,
    config: EdgeConfig,
    cache: EdgeCache,
    pub stats: EdgeStats,
}

/// An event the edge cannot handle (CloudFront then answers 502/503).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event has no record")]
    NoRecord,
    #[error("event type {0:?} is not handled by folio's edge")]
    UnsupportedEventType(String),
    #[error("origin-response event without a response")]
    NoResponse,
}

fn to_cf_response(response: ApiResponse) -> CfResponse {
    let mut headers = CfHeaders::new();
    for (name, value) in &response.headers {
        if let Ok(v) = value.to_str() {
            set_header(&mut headers, name.as_str(), v);
        }
    }
    let body =
        (!response.body.is_empty()).then(|| String::from_utf8_lossy(&response.body).into_owned());
    CfResponse {
        status: response.status.to_string(),
        status_description: StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(str::to_string),
        headers,
        body_encoding: body.as_ref().map(|_| "text".to_string()),
        body,
    }
}

fn refuse(error: ApiError) -> EdgeResult {
    tracing::info!(status = error.status().as_u16(), "answered at the edge");
    EdgeResult::Response(to_cf_response(error.to_response()))
}

impl Edge {
    pub fn new(verifier: Arc<Verifier>, config: EdgeConfig) -> Self {
        Self {
            verifier,
            routes: RouteTable::new(),
            cache: EdgeCache::new(config.cache),
            config,
            stats: EdgeStats::default(),
        }
    }

    pub fn cache(&self) -> &EdgeCache {
        &self.cache
    }

    /// One Lambda@Edge event in, what CloudFront expects back: the request or a
    /// generated response for request events, the response for origin-response.
    pub async fn handle(&self, event: CloudFrontEvent) -> Result<serde_json::Value, EventError> {
        let record = event
            .records
            .into_iter()
            .next()
            .ok_or(EventError::NoRecord)?;
        let cf = record.cf;
        let out = match cf.config.event_type.as_str() {
            "origin-request" | "viewer-request" => {
                serde_json::to_value(self.origin_request(cf.request).await)
            }
            "origin-response" => {
                let response = cf.response.ok_or(EventError::NoResponse)?;
                serde_json::to_value(self.origin_response(&cf.request, response))
            }
            other => return Err(EventError::UnsupportedEventType(other.to_string())),
        };
        // Serialising our own plain structs cannot fail.
        Ok(out.unwrap_or(serde_json::Value::Null))
    }

    /// Keeps a public answer in the edge cache; the response goes on unchanged.
    pub fn origin_response(&self, request: &CfRequest, response: CfResponse) -> CfResponse {
        let public_get = request.method == "GET"
            && header(&request.headers, "authorization").is_none()
            && self
                .routes
                .resolve(&Method::GET, &request.uri)
                .is_ok_and(|m| matches!(m.route.caching, Caching::Shared { .. }));
        if public_get {
            self.cache.store(
                EdgeCache::key(&request.uri, &request.querystring),
                &response,
            );
        }
        response
    }

    /// A cached answer, or 304 when the viewer has it already.
    fn answer_from_cache(&self, hit: &Cached, request: &CfRequest) -> EdgeResult {
        self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
        metrics::count("EdgeCacheHits", &[("Function", "edge")]);
        let mut response = hit.response.clone();
        set_header(
            &mut response.headers,
            "age",
            &hit.stored_at.elapsed().as_secs().to_string(),
        );
        set_header(&mut response.headers, "x-edge-cache", "hit");
        let revalidated = match (header(&request.headers, "if-none-match"), &hit.etag) {
            (Some(sent), Some(tag)) => etag_matches(sent, tag),
            _ => false,
        };
        if revalidated {
            response.status = "304".into();
            response.status_description = Some("Not Modified".into());
            response.headers.remove("content-type");
            response.body = None;
            response.body_encoding = None;
        }
        EdgeResult::Response(response)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.config
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o == origin)
    }

    /// Answers a CORS preflight for an allowed origin; others get 403.
    fn preflight(&self, request: &CfRequest) -> EdgeResult {
        let origin = header(&request.headers, "origin").unwrap_or("");
        if !self.origin_allowed(origin) {
            return refuse(ApiError::Forbidden("Origin not allowed".into()));
        }
        let mut response = ApiResponse::empty(StatusCode::NO_CONTENT).no_store();
        for (name, value) in [
            ("access-control-allow-origin", origin),
            (
                "access-control-allow-methods",
                "GET, POST, PUT, DELETE, OPTIONS",
            ),
            (
                "access-control-allow-headers",
                "Authorization, Content-Type, If-Match, If-None-Match",
            ),
            ("access-control-max-age", "600"),
            ("vary", "Origin"),
        ] {
            response = response.header(http::HeaderName::from_static(name), value);
        }
        EdgeResult::Response(to_cf_response(response))
    }

    /// The request decision (origin-request or viewer-request) for one request.
    pub async fn origin_request(&self, request: CfRequest) -> EdgeResult {
        let result = self.decide(request).await;
        let counter = match &result {
            EdgeResult::Request(_) => &self.stats.forwarded,
            EdgeResult::Response(r) if r.status.starts_with('4') => &self.stats.refused,
            EdgeResult::Response(_) => return result,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    async fn decide(&self, mut request: CfRequest) -> EdgeResult {
        for name in INTERNAL_HEADERS {
            request.headers.remove(*name);
        }
        let Ok(method) = request.method.parse::<Method>() else {
            return refuse(ApiError::BadRequest("Unknown method".into()));
        };
        if method == Method::OPTIONS {
            return self.preflight(&request);
        }
        let route = match self.routes.resolve(&method, &request.uri) {
            Ok(matched) => matched.route,
            Err(error) => return refuse(error),
        };
        let token = header(&request.headers, "authorization");
        let identity = match token {
            None => None,
            Some(value) => {
                let Some(token) = bearer_token(value) else {
                    return refuse(ApiError::Unauthorized(
                        "Authorization must be 'Bearer <token>'".into(),
                    ));
                };
                match self.verifier.verify(token).await {
                    Ok(identity) => Some(identity),
                    Err(rejection) => {
                        tracing::info!(reason = rejection.reason(), "token rejected at the edge");
                        metrics::count(
                            "JwtRejected",
                            &[("Function", "edge"), ("Reason", rejection.reason())],
                        );
                        return refuse(rejection.into());
                    }
                }
            }
        };
        match route.access {
            Access::Owner | Access::Authenticated if identity.is_none() => {
                return refuse(ApiError::Unauthorized(
                    "Authentication token is missing".into(),
                ));
            }
            Access::Owner if !identity.as_ref().is_some_and(|i| i.is_owner) => {
                return refuse(ApiError::Forbidden("Only the owner may do this".into()));
            }
            _ => {}
        }
        // Anonymous public reads may come from the edge cache.
        if method == Method::GET
            && token.is_none()
            && matches!(route.caching, Caching::Shared { .. })
            && let Some(hit) = self
                .cache
                .get(&EdgeCache::key(&request.uri, &request.querystring))
        {
            return self.answer_from_cache(&hit, &request);
        }
        if let Some(body) = &request.body {
            if body.input_truncated {
                return refuse(ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                });
            }
            // Origin Access Control signs the payload: the Function URL needs its hash.
            if method == Method::POST || method == Method::PUT {
                let bytes = if body.encoding == "base64" {
                    match STANDARD.decode(&body.data) {
                        Ok(bytes) => bytes,
                        Err(_) => {
                            return refuse(ApiError::BadRequest("Body is not valid base64".into()));
                        }
                    }
                } else {
                    body.data.clone().into_bytes()
                };
                let hash = digest::digest(&digest::SHA256, &bytes);
                let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                set_header(&mut request.headers, "x-amz-content-sha256", &hex);
            }
        }
        EdgeResult::Request(request)
    }
}
