//! The request every handler sees, whatever event it arrived in.

use folio_shared::ApiError;
use folio_shared::domain::Fields;
use http::{HeaderMap, Method, header};

const JSON: &str = "application/json";
/// What a tracking endpoint's body may be labelled (the API document lists these).
pub const BEACON_MEDIA_TYPES: &[&str] = &[JSON, "text/plain"];

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The viewer's address, used only inside the visitor hash; never stored or logged.
    pub client_address: String,
    pub request_id: String,
}

impl Request {
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn user_agent(&self) -> &str {
        self.header(header::USER_AGENT).unwrap_or("")
    }

    /// The body as a JSON object with only `allowed` fields; 415 unless JSON.
    pub fn json_fields(&self, allowed: &[&str]) -> Result<Fields, ApiError> {
        self.fields_if(allowed, &[JSON])
    }

    /// A tracking body: JSON sent as `application/json`, or as `text/plain`, which
    /// is what `navigator.sendBeacon` and `fetch` send a string as. A page on
    /// another origin can send `text/plain` without a CORS preflight (the Fetch
    /// standard's CORS-safelisted request headers), so a tracked page costs one
    /// request, not two.
    pub fn beacon_fields(&self, allowed: &[&str]) -> Result<Fields, ApiError> {
        self.fields_if(allowed, BEACON_MEDIA_TYPES)
    }

    fn fields_if(&self, allowed: &[&str], media_types: &[&str]) -> Result<Fields, ApiError> {
        let content_type = self.header(header::CONTENT_TYPE).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !media_types.iter().any(|m| mime.eq_ignore_ascii_case(m)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        Ok(Fields::parse(&self.body, allowed)?)
    }
}

pub use folio_shared::caching::{etag, etag_matches};
