//! CloudFront Lambda@Edge event shapes (aws_lambda_events has none): a request
//! with multi-value headers and an optional base64 body, an origin, and a response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"user-agent": [{"key": "User-Agent", "value": "..."}]}`: keys lower-case.
pub type CfHeaders = BTreeMap<String, Vec<CfHeader>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CfHeader {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudFrontEvent {
    #[serde(rename = "Records")]
    pub records: Vec<CfRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CfRecord {
    pub cf: Cf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cf {
    pub config: CfConfig,
    pub request: CfRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<CfResponse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CfConfig {
    #[serde(default)]
    pub distribution_domain_name: String,
    #[serde(default)]
    pub distribution_id: String,
    /// `viewer-request`, `origin-request`, `origin-response`, `viewer-response`.
    pub event_type: String,
    #[serde(default)]
    pub request_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CfBody {
    #[serde(default)]
    pub input_truncated: bool,
    /// `read-only` or `replace` (on the way in), `replace` when we change it.
    #[serde(default)]
    pub action: String,
    /// `base64` or `text`.
    #[serde(default)]
    pub encoding: String,
    #[serde(default)]
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CfRequest {
    #[serde(default)]
    pub client_ip: String,
    #[serde(default)]
    pub headers: CfHeaders,
    pub method: String,
    #[serde(default)]
    pub querystring: String,
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<CfBody>,
    /// The origin (custom or S3) as CloudFront sent it; passed back untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CfResponse {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    #[serde(default)]
    pub headers: CfHeaders,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `text` or `base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<String>,
}

/// What an origin-request (or viewer-request) function returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EdgeResult {
    /// A generated response: CloudFront answers with it and does not call the origin.
    Response(CfResponse),
    /// The request, possibly modified, to forward to the origin.
    Request(CfRequest),
}

pub fn header<'a>(headers: &'a CfHeaders, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|values| values.first())
        .map(|h| h.value.as_str())
}

pub fn set_header(headers: &mut CfHeaders, name: &str, value: &str) {
    headers.insert(
        name.to_ascii_lowercase(),
        vec![CfHeader {
            key: Some(name.to_string()),
            value: value.to_string(),
        }],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The origin-request sample event of the Lambda@Edge documentation, with a body.
    pub const ORIGIN_REQUEST_SAMPLE: &str = r#"{
      "Records": [{ "cf": {
        "config": { "distributionDomainName": "d111111abcdef8.cloudfront.net", "distributionId": "EDFDVBD6EXAMPLE",
                    "eventType": "origin-request", "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==" },
        "request": {
          "clientIp": "203.0.113.178",
          "headers": {
            "x-forwarded-for": [{ "key": "X-Forwarded-For", "value": "203.0.113.178" }],
            "user-agent": [{ "key": "User-Agent", "value": "Amazon CloudFront" }],
            "via": [{ "key": "Via", "value": "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)" }],
            "host": [{ "key": "Host", "value": "example.org" }],
            "cache-control": [{ "key": "Cache-Control", "value": "no-cache, cf-no-cache" }],
            "accept": [{ "key": "Accept", "value": "text/html" }, { "key": "Accept", "value": "application/json" }]
          },
          "method": "POST",
          "origin": { "custom": { "customHeaders": {}, "domainName": "example.org", "keepaliveTimeout": 5,
                      "path": "", "port": 443, "protocol": "https", "readTimeout": 30,
                      "sslProtocols": ["TLSv1", "TLSv1.1", "TLSv1.2"] } },
          "querystring": "a=1&b=2",
          "uri": "/v1/analytics/track",
          "body": { "inputTruncated": false, "action": "read-only", "encoding": "base64",
                    "data": "eyJjb250ZW50SWQiOiIxIiwiY29udGVudFR5cGUiOiJibG9nIn0=" }
        }
      } }]
    }"#;

    #[test]
    fn the_documented_origin_request_event_parses_and_round_trips() {
        let event: CloudFrontEvent = serde_json::from_str(ORIGIN_REQUEST_SAMPLE).unwrap();
        let request = &event.records[0].cf.request;
        assert_eq!(
            request.headers["accept"].len(),
            2,
            "multi-value header kept"
        );
        assert_eq!(request.body.as_ref().unwrap().encoding, "base64");
        assert_eq!(header(&request.headers, "host"), Some("example.org"));
        let again: CloudFrontEvent =
            serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(again, event);
    }

    #[test]
    fn a_result_serialises_as_a_bare_request_or_response() {
        let response = EdgeResult::Response(CfResponse {
            status: "401".into(),
            status_description: None,
            headers: CfHeaders::new(),
            body: Some("{}".into()),
            body_encoding: Some("text".into()),
        });
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["status"], "401");
        assert!(json.get("Response").is_none());
    }
}
