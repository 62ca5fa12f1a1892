//! The API error type and its single mapping to status, headers and JSON body.
//!
//! Every non-2xx answer folio gives, at the edge or at the origin, is built here:
//! `{"error": "<Short>", "message": "...", "statusCode": N, "details"?: {...}}`.

use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};

use crate::response::ApiResponse;

pub use crate::domain::FieldError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(FieldError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the requested resource was not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("{0}")]
    Conflict(String),
    #[error("the item changed since the ETag in If-Match was read")]
    PreconditionFailed,
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// What a write would store is over the store's per-item limit.
    #[error(
        "the item would take {size} bytes in the store; an item holds at most {limit} bytes (DynamoDB's 400 KB item size): shorten the content"
    )]
    ItemTooLarge { size: usize, limit: usize },
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    /// The client did not send the body it announced in time.
    #[error("the request body did not arrive within {secs} s")]
    RequestTimeout { secs: u64 },
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_secs: u64,
    },
    /// The message is logged, never sent: clients get a generic text.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Validation(e)
    }
}

/// Every refused token gets one message; why it was refused goes to the logs.
impl From<crate::jwt::JwtRejection> for ApiError {
    fn from(_: crate::jwt::JwtRejection) -> Self {
        ApiError::Unauthorized(crate::jwt::INVALID_TOKEN_MESSAGE.into())
    }
}

/// A body that is not a JSON object: 400, naming the field when one is at fault.
impl From<crate::domain::BodyError> for ApiError {
    fn from(e: crate::domain::BodyError) -> Self {
        match e {
            crate::domain::BodyError::Field(field) => ApiError::Validation(field),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } | ApiError::ItemTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short `error` identifier: the reason phrase of the status.
    pub fn short(&self) -> &'static str {
        self.status().canonical_reason().unwrap_or("Error")
    }

    fn message(&self) -> String {
        match self {
            ApiError::Validation(e) => format!("Invalid value for '{}': {}", e.field, e.issue),
            ApiError::Internal(_) => "An unexpected error occurred".to_string(),
            ApiError::MethodNotAllowed { allow } => {
                let names: Vec<&str> = allow.iter().map(Method::as_str).collect();
                format!("Method not allowed; this path accepts {}", names.join(", "))
            }
            other => {
                let mut text = other.to_string();
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                text
            }
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "error": self.short(),
            "message": self.message(),
            "statusCode": self.status().as_u16(),
        });
        if let ApiError::Validation(e) = self {
            body["details"] = json!({ "field": e.field, "issue": e.issue });
        }
        body
    }

    pub fn to_response(&self) -> ApiResponse {
        let mut response = ApiResponse::json(self.status(), &self.body()).no_store();
        let headers = &mut response.headers;
        match self {
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                let names: Vec<&str> = allow.iter().map(Method::as_str).collect();
                if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::TooManyRequests {
                retry_after_secs, ..
            }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_the_field_in_details() {
        let body = ApiError::from(FieldError::new("title", "must not be empty")).body();
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["error"], "Bad Request");
        assert_eq!(body["details"]["field"], "title");
    }

    #[test]
    fn unauthorized_carries_www_authenticate_bearer() {
        let r = ApiError::Unauthorized("token expired".into()).to_response();
        assert_eq!(r.status, 401);
        assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn method_not_allowed_lists_allowed_methods() {
        let r = ApiError::MethodNotAllowed {
            allow: vec![Method::GET, Method::POST],
        }
        .to_response();
        assert_eq!(r.status, 405);
        assert_eq!(r.headers[header::ALLOW], "GET, POST");
    }

    #[test]
    fn unavailable_carries_retry_after_and_internal_hides_its_cause() {
        let r = ApiError::Unavailable {
            message: "store down".into(),
            retry_after_secs: 2,
        }
        .to_response();
        assert_eq!(r.headers[header::RETRY_AFTER], "2");
        let body = ApiError::Internal("secret detail".into()).body();
        assert!(!body.to_string().contains("secret"));
    }
}
