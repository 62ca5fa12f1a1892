//! The edge decision: answer (CORS preflight, 401/403/404/405/413, with the same
//! error bodies as the origin) or forward the request to the origin.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::jwt::{Verifier, bearer_token};
use folio_shared::routes::{Access, RouteTable};
use folio_shared::{ApiError, ApiResponse};
use http::{Method, StatusCode};
use ring::digest;

use crate::events::{CfHeaders, CfRequest, CfResponse, EdgeResult, header, set_header};

/// Largest body CloudFront hands an origin-request function; beyond it the body
/// arrives truncated and cannot be forwarded intact.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Headers only the edge may set: any copy from the viewer is dropped.
const INTERNAL_HEADERS: &[&str] = &["x-folio-edge", "x-amz-content-sha256"];

#[derive(Debug, Clone, Default)]
pub struct EdgeConfig {
    /// Origins allowed to call the API from a browser (`*` allows any).
    pub allowed_origins: Vec<String>,
}

pub struct Edge {
    verifier: Arc<Verifier>,
    routes: RouteTable,
    config: EdgeConfig,
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
    EdgeResult::Response(to_cf_response(error.to_response()))
}

impl Edge {
    pub fn new(verifier: Arc<Verifier>, config: EdgeConfig) -> Self {
        Self {
            verifier,
            routes: RouteTable::new(),
            config,
        }
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

    /// The origin-request decision for one request.
    pub async fn origin_request(&self, mut request: CfRequest) -> EdgeResult {
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
