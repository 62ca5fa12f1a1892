//! Origin Access Control and the Lambda Function URL behind it.
//!
//! OAC (`SigningBehavior: always`, `OriginAccessControlOriginType: lambda`) signs
//! every origin request with SigV4 and so *replaces* the viewer's `Authorization`
//! ("Restrict access to an AWS Lambda function URL origin", CloudFront Developer
//! Guide; the CDK's `Signing.SIGV4_ALWAYS`). The Function URL (`AuthType:
//! AWS_IAM`) refuses a request without a valid signature, and Lambda does not take
//! unsigned payloads: on PUT and POST `x-amz-content-sha256` must carry the body's
//! SHA-256 (same page). Only then does it build the payload format 2.0 event
//! ("Invoking Lambda function URLs", Lambda Developer Guide).

use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlRequestContextAuthorizerDescription,
    LambdaFunctionUrlRequestContextAuthorizerIamDescription,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use folio_shared::digest::sha256_hex;

use super::sigv4::{self, Credentials, Signable, SignatureError};

/// The Region of the stand-in's single origin (`folio serve` without `--regions`).
pub const DEFAULT_REGION: &str = "us-east-1";
/// The address the Function URL sees as the caller: a CloudFront edge server, never
/// the viewer (who reaches the origin only in `CloudFront-Viewer-Address`).
pub const CLOUDFRONT_SOURCE_IP: &str = "130.176.0.1";
const ACCOUNT_ID: &str = "123456789012";

/// A Function URL's host in `region`, as CloudFront's origin domain:
/// `<url-id>.lambda-url.<region>.on.aws`.
pub fn function_url_host(region: &str) -> String {
    format!("folio0standin.lambda-url.{region}.on.aws")
}

/// What reaches the origin function in `Authorization` once OAC has signed the
/// request: the documentation does not say whether the Function URL passes the
/// signature on, so the tests run both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorizationAfterOac {
    /// The SigV4 value OAC wrote.
    #[default]
    Signature,
    /// No `Authorization` header at all.
    Absent,
}

/// A request on its way from CloudFront to the origin.
#[derive(Debug, Clone)]
pub struct OriginRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names, one value each (multi-values joined with `,`).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl OriginRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_string(), value.to_string()));
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| n != name);
    }

    /// The payload hash the signature covers: the edge's `x-amz-content-sha256`,
    /// else the hash of an empty body.
    fn payload_hash(&self) -> String {
        self.header("x-amz-content-sha256")
            .map_or_else(|| sha256_hex(b""), str::to_string)
    }

    fn signable<'a>(&'a self, payload_hash: &'a str) -> Signable<'a> {
        Signable {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            payload_hash,
        }
    }
}

/// Why the Function URL refused a request: AWS answers 403 `{"Message":"Forbidden"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Signature(#[from] SignatureError),
    #[error("x-amz-content-sha256 is missing or does not match the body")]
    PayloadHash,
}

pub struct OriginAccessControl {
    credentials: Credentials,
}

impl OriginAccessControl {
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }

    /// Signs the request for the Function URL `to`, as OAC does: for its host and
    /// Region, overwriting whatever `Authorization` the request had.
    pub fn sign(
        &self,
        request: &mut OriginRequest,
        to: &FunctionUrl,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        request.set_header("host", &to.host);
        request.set_header("x-amz-date", &amz_date);
        request.remove_header("authorization");
        let hash = request.payload_hash();
        let authorization = sigv4::authorization(
            &request.signable(&hash),
            &self.credentials,
            &to.region,
            &amz_date,
        );
        request.set_header("authorization", &authorization);
    }
}

pub struct FunctionUrl {
    credentials: Credentials,
    pub authorization_after_oac: AuthorizationAfterOac,
    pub region: String,
    pub host: String,
}

impl FunctionUrl {
    /// The Function URL of an origin in [`DEFAULT_REGION`].
    pub fn new(credentials: Credentials, authorization_after_oac: AuthorizationAfterOac) -> Self {
        Self::in_region(credentials, authorization_after_oac, DEFAULT_REGION)
    }

    /// The Function URL of an origin in `region`: it takes only signatures
    /// scoped to its own Region (SigV4's credential scope).
    pub fn in_region(
        credentials: Credentials,
        authorization_after_oac: AuthorizationAfterOac,
        region: &str,
    ) -> Self {
        Self {
            credentials,
            authorization_after_oac,
            region: region.to_string(),
            host: function_url_host(region),
        }
    }

    /// The IAM check, then the payload format 2.0 event.
    pub fn accept(
        &self,
        mut request: OriginRequest,
        request_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<LambdaFunctionUrlRequest, Refused> {
        let hash = request.payload_hash();
        if !request.body.is_empty() && hash != sha256_hex(&request.body) {
            return Err(Refused::PayloadHash);
        }
        sigv4::verify(
            &request.signable(&hash),
            request.header("authorization"),
            &self.credentials,
            &self.region,
            now,
        )?;
        if self.authorization_after_oac == AuthorizationAfterOac::Absent {
            request.remove_header("authorization");
        }
        Ok(self.event(request, request_id, now))
    }

    fn event(
        &self,
        request: OriginRequest,
        request_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> LambdaFunctionUrlRequest {
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(n, v);
            }
        }
        let mut event = LambdaFunctionUrlRequest::default();
        event.version = Some("2.0".into());
        event.raw_path = Some(request.path.clone());
        event.raw_query_string = Some(request.query.clone());
        event.query_string_parameters = url::form_urlencoded::parse(request.query.as_bytes())
            .into_owned()
            .collect();
        event.headers = headers;
        if !request.body.is_empty() {
            // Text bodies arrive as text, anything else base64-encoded.
            match std::str::from_utf8(&request.body) {
                Ok(text) if is_text(request.header("content-type")) => {
                    event.body = Some(text.to_string())
                }
                _ => {
                    event.body = Some(STANDARD.encode(&request.body));
                    event.is_base64_encoded = true;
                }
            }
        }
        let context = &mut event.request_context;
        context.account_id = Some("anonymous".into());
        context.request_id = Some(request_id.to_string());
        context.domain_name = Some(self.host.clone());
        context.domain_prefix = self.host.split('.').next().map(str::to_string);
        context.time_epoch = now.timestamp_millis();
        let mut iam = LambdaFunctionUrlRequestContextAuthorizerIamDescription::default();
        iam.access_key = Some(self.credentials.access_key_id.clone());
        iam.account_id = Some(ACCOUNT_ID.into());
        iam.caller_id = Some("cloudfront.amazonaws.com".into());
        let mut authorizer = LambdaFunctionUrlRequestContextAuthorizerDescription::default();
        authorizer.iam = Some(iam);
        context.authorizer = Some(authorizer);
        context.http.method = Some(request.method.clone());
        context.http.path = Some(request.path.clone());
        context.http.protocol = Some("HTTP/1.1".into());
        context.http.source_ip = Some(CLOUDFRONT_SOURCE_IP.into());
        context.http.user_agent = request.header("user-agent").map(str::to_string);
        event
    }
}

fn is_text(content_type: Option<&str>) -> bool {
    let mime = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/") || mime.ends_with("json") || mime.ends_with("xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "ASIASTANDIN".into(),
            secret_access_key: "standin-secret".into(),
        }
    }

    fn post(body: &'static str) -> OriginRequest {
        OriginRequest {
            method: "POST".into(),
            path: "/v1/blog/posts".into(),
            query: String::new(),
            headers: vec![
                ("authorization".into(), "Bearer viewer.token.here".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    /// "Restrict access to an AWS Lambda function URL origin": OAC overwrites the
    /// viewer's Authorization with its signature.
    #[test]
    fn oac_replaces_the_viewers_authorization_with_a_signature() {
        let oac = OriginAccessControl::new(credentials());
        let url = FunctionUrl::new(credentials(), AuthorizationAfterOac::Signature);
        let mut request = post("{}");
        request.set_header("x-amz-content-sha256", &sha256_hex(b"{}"));
        oac.sign(&mut request, &url, chrono::Utc::now());
        let authorization = request.header("authorization").unwrap();
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=ASIASTANDIN/"));
        assert!(!authorization.contains("viewer.token"));
    }

    /// Same page: POST/PUT need x-amz-content-sha256; an AWS_IAM URL refuses unsigned requests.
    #[test]
    fn the_function_url_refuses_unsigned_requests_and_unhashed_bodies() {
        let url = FunctionUrl::new(credentials(), AuthorizationAfterOac::Signature);
        let now = chrono::Utc::now();
        assert_eq!(
            url.accept(post(""), "r", now).unwrap_err(),
            Refused::Signature(SignatureError::Malformed)
        );
        let oac = OriginAccessControl::new(credentials());
        let mut unhashed = post("{\"a\":1}");
        oac.sign(&mut unhashed, &url, now);
        assert_eq!(
            url.accept(unhashed, "r", now).unwrap_err(),
            Refused::PayloadHash
        );
        let mut wrong = post("{\"a\":1}");
        wrong.set_header("x-amz-content-sha256", &sha256_hex(b"{}"));
        oac.sign(&mut wrong, &url, now);
        assert_eq!(
            url.accept(wrong, "r", now).unwrap_err(),
            Refused::PayloadHash
        );
        let mut good = post("{\"a\":1}");
        good.set_header("x-amz-content-sha256", &sha256_hex(b"{\"a\":1}"));
        oac.sign(&mut good, &url, now);
        let event = url.accept(good, "r", now).unwrap();
        assert_eq!(event.body.as_deref(), Some("{\"a\":1}"));
        assert_eq!(
            event.request_context.http.source_ip.as_deref(),
            Some(CLOUDFRONT_SOURCE_IP)
        );
    }

    /// SigV4 scopes a signature to one Region ("Elements of an AWS API request
    /// signature", IAM User Guide): a Function URL in another Region than the one
    /// OAC signed for refuses the request, so an origin reached by failover must
    /// be signed for its own Region.
    #[test]
    fn a_function_url_refuses_a_signature_for_another_region() {
        let oac = OriginAccessControl::new(credentials());
        let now = chrono::Utc::now();
        let home =
            FunctionUrl::in_region(credentials(), AuthorizationAfterOac::Signature, "eu-west-1");
        let replica =
            FunctionUrl::in_region(credentials(), AuthorizationAfterOac::Signature, "us-east-1");
        let mut request = post("");
        request.method = "GET".into();
        oac.sign(&mut request, &home, now);
        assert!(matches!(
            replica.accept(request.clone(), "r", now),
            Err(Refused::Signature(_))
        ));
        let event = home.accept(request, "r", now).unwrap();
        assert_eq!(
            event.request_context.domain_name.as_deref(),
            Some("folio0standin.lambda-url.eu-west-1.on.aws")
        );
    }

    #[test]
    fn after_oac_the_origin_sees_the_signature_or_nothing_in_authorization() {
        let oac = OriginAccessControl::new(credentials());
        let now = chrono::Utc::now();
        for (mode, expect_signature) in [
            (AuthorizationAfterOac::Signature, true),
            (AuthorizationAfterOac::Absent, false),
        ] {
            let mut request = post("");
            request.method = "GET".into();
            let url = FunctionUrl::new(credentials(), mode);
            oac.sign(&mut request, &url, now);
            let event = url.accept(request, "r", now).unwrap();
            let seen = event
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(seen.is_some(), expect_signature);
            assert!(seen.is_none_or(|v| v.starts_with("AWS4-HMAC-SHA256")));
        }
    }
}
