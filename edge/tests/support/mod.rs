//! Edge test support: CloudFront events in the shapes of the Lambda@Edge
//! documentation's samples, and real RS256 tokens from a local issuer.
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use folio_edge::{CloudFrontEvent, Edge, EdgeConfig};
use folio_shared::jwt::{JwksSource, NoRefetch, Verifier, VerifierConfig};
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
pub const CLIENT_ID: &str = "edge-test-client";

/// An RS256 key pair of the test's own, published as a JWKS the way Cognito
/// publishes its keys (`kty=RSA`, `use=sig`, `alg=RS256`, a `kid`).
pub struct Keys {
    signing_key: jsonwebtoken::EncodingKey,
    kid: String,
    jwks: JwkSet,
}

impl Keys {
    pub fn new() -> Self {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        folio_shared::jwt::install_crypto_provider();
        let private = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("an RSA key");
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let kid = folio_shared::digest::sha256_hex(n.as_bytes())[..16].to_string();
        let jwks = serde_json::from_value(json!({ "keys": [
            { "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e }
        ] }))
        .expect("a JWKS");
        Self {
            signing_key: jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
            kid,
            jwks,
        }
    }

    pub fn jwks(&self) -> JwkSet {
        self.jwks.clone()
    }

    pub fn claims(&self, groups: &[&str]) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({ "sub": "u-1", "iss": ISSUER, "aud": CLIENT_ID, "token_use": "id",
                "email": "a@b.test", "cognito:username": "a@b.test", "cognito:groups": groups,
                "iat": now, "exp": now + 600, "jti": format!("j-{now}") })
    }

    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.signing_key).unwrap()
    }

    pub fn token(&self, groups: &[&str]) -> String {
        self.sign_with_kid(&self.claims(groups), &self.kid)
    }

    pub fn verifier(&self, source: Arc<dyn JwksSource>) -> Arc<Verifier> {
        Arc::new(Verifier::new(
            VerifierConfig::new(ISSUER, CLIENT_ID, "owner"),
            &self.jwks(),
            source,
        ))
    }

    pub fn edge(&self, config: EdgeConfig) -> Edge {
        Edge::new(self.verifier(Arc::new(NoRefetch)), config)
    }
}

/// A request event (`origin-request` or `viewer-request`) shaped like the
/// documentation's sample: multi-value headers with their original case in `key`.
pub fn request_event(
    event_type: &str,
    method: &str,
    uri: &str,
    querystring: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Value {
    let mut h = json!({
        "host": [{ "key": "Host", "value": "d111111abcdef8.cloudfront.net" }],
        "user-agent": [{ "key": "User-Agent", "value": "Mozilla/5.0 (edge test)" }],
        "accept": [{ "key": "Accept", "value": "application/json" }, { "key": "Accept", "value": "*/*" }],
        "via": [{ "key": "Via", "value": "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)" }],
    });
    for (name, value) in headers {
        h[name.to_ascii_lowercase()] = json!([{ "key": name, "value": value }]);
    }
    let mut request = json!({
        "clientIp": "203.0.113.178",
        "headers": h,
        "method": method,
        "querystring": querystring,
        "uri": uri,
    });
    if event_type == "origin-request" {
        request["origin"] = json!({ "custom": {
            "customHeaders": {}, "domainName": "abc.lambda-url.us-east-1.on.aws", "keepaliveTimeout": 5,
            "path": "", "port": 443, "protocol": "https", "readTimeout": 30, "sslProtocols": ["TLSv1.2"] } });
    }
    if let Some(bytes) = body {
        request["body"] = json!({ "inputTruncated": false, "action": "read-only",
                                  "encoding": "base64", "data": STANDARD.encode(bytes) });
    }
    json!({ "Records": [{ "cf": {
        "config": { "distributionDomainName": "d111111abcdef8.cloudfront.net", "distributionId": "EDFDVBD6EXAMPLE",
                    "eventType": event_type, "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==" },
        "request": request
    } }] })
}

/// An owner-only request (`DELETE /v1/projects/p1`) carrying `authorization`.
pub fn owner_delete(authorization: &str) -> Value {
    request_event(
        "origin-request",
        "DELETE",
        "/v1/projects/p1",
        "",
        &[("Authorization", authorization)],
        None,
    )
}

pub fn get(uri: &str, querystring: &str, headers: &[(&str, &str)]) -> Value {
    request_event("origin-request", "GET", uri, querystring, headers, None)
}

/// The origin-response event for `request_event`: the response as the origin gave
/// it, with a body (CloudFront itself sends none; `folio serve` and tests do).
pub fn response_event(
    request_event: &Value,
    status: u16,
    cache_control: &str,
    body: &str,
) -> Value {
    let mut event = request_event.clone();
    let cf = &mut event["Records"][0]["cf"];
    cf["config"]["eventType"] = json!("origin-response");
    cf["response"] = json!({
        "status": status.to_string(),
        "statusDescription": "OK",
        "headers": {
            "cache-control": [{ "key": "Cache-Control", "value": cache_control }],
            "content-type": [{ "key": "Content-Type", "value": "application/json" }],
            "etag": [{ "key": "ETag", "value": folio_shared::caching::etag(body.as_bytes()) }],
        },
        "body": body,
        "bodyEncoding": "text",
    });
    event
}

pub async fn run(edge: &Edge, event: Value) -> Value {
    let event: CloudFrontEvent = serde_json::from_value(event).expect("a CloudFront event");
    edge.handle(event).await.expect("handled")
}

/// Whether the result is the request going on to the origin (it has a `uri`).
pub fn forwarded(result: &Value) -> bool {
    result.get("uri").is_some()
}

pub fn header<'a>(result: &'a Value, name: &str) -> Option<&'a str> {
    result["headers"][name][0]["value"].as_str()
}
