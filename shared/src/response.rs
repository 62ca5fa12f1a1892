//! The response both handlers produce before it is turned into a Lambda event shape.

use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;

/// `Cache-Control` for anything that must never be stored by a shared cache.
pub const NO_STORE: &str = "no-store";
/// `Cache-Control` for answers that depend on who asked (owner views, auth).
pub const PRIVATE_NO_STORE: &str = "private, no-store";
/// `Cache-Control` for what never changes at its address (the console's hashed
/// assets, uploaded images under random keys): kept for a year by browsers and
/// shared caches alike.
pub const IMMUTABLE: &str = "public, max-age=31536000, s-maxage=31536000, immutable";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// Shared, not copied, when a handler answers a body it keeps (a list's page).
    pub body: bytes::Bytes,
}

impl ApiResponse {
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Self {
        // serde_json::to_vec's own first capacity.
        Self::json_sized(status, value, 128)
    }

    /// `json`, written into `capacity` bytes reserved first: a body whose size is
    /// known beforehand (a page of kept representations, 86 KB) is not copied
    /// again each time its buffer doubles.
    pub fn json_sized<T: Serialize + ?Sized>(
        status: StatusCode,
        value: &T,
        capacity: usize,
    ) -> Self {
        let mut body = Vec::with_capacity(capacity);
        // Serialising our own plain data types cannot fail; fall back to an empty
        // object rather than panic if it ever did.
        if serde_json::to_writer(&mut body, value).is_err() {
            body = b"{}".to_vec();
        }
        Self::json_bytes(status, body.into())
    }

    /// A JSON answer whose bytes are made already (a document made once, a page
    /// kept whole): shared, not serialised again.
    pub fn json_bytes(status: StatusCode, body: bytes::Bytes) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Self {
            status: status.as_u16(),
            headers,
            body,
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status: status.as_u16(),
            headers: HeaderMap::new(),
            body: bytes::Bytes::new(),
        }
    }

    pub fn cache_control(mut self, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(header::CACHE_CONTROL, v);
        }
        self
    }

    pub fn no_store(self) -> Self {
        self.cache_control(NO_STORE)
    }

    pub fn header(mut self, name: http::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}
