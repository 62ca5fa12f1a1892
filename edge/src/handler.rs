//! The edge decisions. On a request (origin-request or viewer-request): answer it
//! (CORS preflight, 401/403/404/405/413 with the origin's error bodies) or forward
//! it to the origin with the verified caller's token in the hand-off header.
//!
//! The edge keeps no response cache: CloudFront gives origin-response events no
//! body ("Lambda@Edge event structure"), so such a cache could never fill in
//! production. CloudFront's own cache, keyed by the cache policy, serves public
//! reads; answers the edge generates at origin-request are cached by it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::jwt::{Verifier, bearer_token};
use folio_shared::metrics;
use folio_shared::policy::{CALLER_TOKEN_HEADER, CORS, Cors, EDGE_ONLY_HEADERS, normalise_query};
use folio_shared::routes::{Access, RouteTable};
use folio_shared::{ApiError, ApiResponse};
use http::{Method, StatusCode};

use crate::events::{
    CfHeaders, CfRequest, CfResponse, CloudFrontEvent, EdgeResult, header, set_header,
};

pub use folio_shared::policy::MAX_BODY_BYTES;

#[derive(Debug, Clone, Default)]
pub struct EdgeConfig {
    /// Origins allowed to call the API from a browser (`*` allows any).
    pub allowed_origins: Vec<String>,
}

/// What the edge did, for tests, benchmarks and metrics.
#[derive(Debug, Default)]
pub struct EdgeStats {
    pub forwarded: AtomicU64,
    pub refused: AtomicU64,
}

pub struct Edge {
    verifier: Arc<Verifier>,
    routes: RouteTable,
    config: EdgeConfig,
    pub stats: EdgeStats,
}

/// An event the edge cannot handle (CloudFront then answers 502/503).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event has no record")]
    NoRecord,
    #[error("event type {0:?} is not handled by folio's edge")]
    UnsupportedEventType(String),
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
            config,
            stats: EdgeStats::default(),
        }
    }

    /// One Lambda@Edge event in, what CloudFront expects back: the request (to
    /// forward) or a generated response. Only request events are handled; the
    /// template associates the function with origin-request (or viewer-request).
    pub async fn handle(&self, event: CloudFrontEvent) -> Result<serde_json::Value, EventError> {
        let record = event
            .records
            .into_iter()
            .next()
            .ok_or(EventError::NoRecord)?;
        let cf = record.cf;
        let result = match cf.config.event_type.as_str() {
            "origin-request" => self.origin_request(cf.request).await,
            "viewer-request" => self.viewer_request(cf.request).await,
            other => return Err(EventError::UnsupportedEventType(other.to_string())),
        };
        // Serialising our own plain structs cannot fail.
        Ok(serde_json::to_value(result).unwrap_or(serde_json::Value::Null))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        Cors::origin_allowed(&self.config.allowed_origins, origin)
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
            ("access-control-allow-methods", &CORS.allow_methods_value()),
            ("access-control-allow-headers", &CORS.allow_headers_value()),
            ("access-control-max-age", &CORS.max_age_secs.to_string()),
            ("vary", "Origin"),
        ] {
            response = response.header(http::HeaderName::from_static(name), value);
        }
        EdgeResult::Response(to_cf_response(response))
    }

    /// The decision at viewer-request, where no CloudFront Function may run beside
    /// Lambda@Edge ("Restrictions on all edge functions"): the query string is first
    /// normalised as the CloudFront Function would, before CloudFront builds the
    /// cache key from it.
    pub async fn viewer_request(&self, mut request: CfRequest) -> EdgeResult {
        request.querystring = normalise_query(&request.querystring);
        self.origin_request(request).await
    }

    /// The decision at origin-request. The query string is left as it is: the
    /// cache key was built from it already, and the origin must read the same.
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
        for name in EDGE_ONLY_HEADERS {
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
        let token = match header(&request.headers, "authorization") {
            None => None,
            Some(value) => match bearer_token(value) {
                Some(token) => Some(token.to_string()),
                None => {
                    return refuse(ApiError::Unauthorized(
                        "Authorization must be 'Bearer <token>'".into(),
                    ));
                }
            },
        };
        let identity = match &token {
            None => None,
            Some(token) => match self.verifier.verify(token).await {
                Ok(identity) => Some(identity),
                Err(rejection) => {
                    tracing::info!(reason = rejection.reason(), "token rejected at the edge");
                    metrics::count(
                        "JwtRejected",
                        &[("Function", "edge"), ("Reason", rejection.reason())],
                    );
                    return refuse(rejection.into());
                }
            },
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
        // The verified caller travels on in a header OAC leaves alone (it replaces
        // Authorization with its signature); the origin verifies the token again.
        if let Some(token) = &token {
            set_header(&mut request.headers, CALLER_TOKEN_HEADER, token);
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
                let hash = folio_shared::digest::sha256_hex(&bytes);
                set_header(&mut request.headers, "x-amz-content-sha256", &hash);
            }
        }
        EdgeResult::Request(request)
    }
}
