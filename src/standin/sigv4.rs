//! AWS Signature Version 4 for the stand-in: Origin Access Control signs each origin
//! request with it, and the Function URL stand-in (`AuthType: AWS_IAM`) checks it.
//! Canonical request, string to sign and signing key as in the IAM User Guide's
//! "Create a signed AWS API request" (Signature Version 4).

use folio_shared::digest::{hex, sha256_hex};
use ring::hmac;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name Lambda Function URLs are signed for.
pub const SERVICE: &str = "lambda";
/// A signature older (or newer) than this is refused, as AWS does.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// What is signed: the request as the origin will receive it.
#[derive(Debug, Clone)]
pub struct Signable<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Lower-case names; each value already joined as it travels.
    pub headers: &'a [(String, String)],
    pub payload_hash: &'a str,
}

use folio_shared::digest::aws_uri_encode as uri_encode;

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (uri_encode(&k, false), uri_encode(&v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_request(request: &Signable<'_>, signed: &[&str]) -> String {
    let mut headers = String::new();
    for name in signed {
        let value = request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str());
        let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
        headers.push_str(&format!("{name}:{folded}\n"));
    }
    // The path arrives percent-encoded; non-S3 services encode each segment again.
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        uri_encode(request.path, true),
        canonical_query(request.query),
        headers,
        signed.join(";"),
        request.payload_hash
    )
}

fn signing_key(secret: &str, date: &str, region: &str) -> hmac::Key {
    folio_shared::digest::aws_signing_key(secret, date, region, SERVICE)
}

fn signature(
    request: &Signable<'_>,
    signed: &[&str],
    amz_date: &str,
    region: &str,
    secret: &str,
) -> String {
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{SERVICE}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request(request, signed).as_bytes())
    );
    hex(hmac::sign(
        &signing_key(secret, date, region),
        string_to_sign.as_bytes(),
    )
    .as_ref())
}

/// The `Authorization` value for a request whose headers already hold `host` and
/// `x-amz-date` (and `x-amz-content-sha256`, when present, is signed too).
pub fn authorization(
    request: &Signable<'_>,
    credentials: &Credentials,
    region: &str,
    amz_date: &str,
) -> String {
    let mut signed: Vec<&str> = request
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| matches!(*n, "host" | "x-amz-date" | "x-amz-content-sha256"))
        .collect();
    signed.sort_unstable();
    signed.dedup();
    let date = &amz_date[..8.min(amz_date.len())];
    format!(
        "{ALGORITHM} Credential={}/{date}/{region}/{SERVICE}/aws4_request, SignedHeaders={}, Signature={}",
        credentials.access_key_id,
        signed.join(";"),
        signature(
            request,
            &signed,
            amz_date,
            region,
            &credentials.secret_access_key
        )
    )
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed")]
    Missing,
    #[error("the Authorization header is not a SigV4 signature")]
    Malformed,
    #[error("unknown access key")]
    UnknownKey,
    #[error("the signature is not valid for this request")]
    Mismatch,
    #[error("the signature's date is too far from now")]
    Expired,
}

/// Checks a SigV4 `Authorization` against the request, as an `AWS_IAM` Function URL does.
pub fn verify(
    request: &Signable<'_>,
    authorization: Option<&str>,
    credentials: &Credentials,
    region: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), SignatureError> {
    let value = authorization.ok_or(SignatureError::Missing)?;
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or(SignatureError::Malformed)?
        .trim();
    let mut credential = None;
    let mut signed_headers = None;
    let mut sig = None;
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => sig = Some(v),
            _ => return Err(SignatureError::Malformed),
        }
    }
    let (credential, signed_headers, sig) = match (credential, signed_headers, sig) {
        (Some(c), Some(h), Some(s)) => (c, h, s),
        _ => return Err(SignatureError::Malformed),
    };
    let mut scope = credential.split('/');
    if scope.next() != Some(credentials.access_key_id.as_str()) {
        return Err(SignatureError::UnknownKey);
    }
    let signed: Vec<&str> = signed_headers.split(';').collect();
    if !signed.contains(&"host") || !signed.contains(&"x-amz-date") {
        return Err(SignatureError::Malformed);
    }
    let amz_date = request
        .headers
        .iter()
        .find(|(n, _)| n == "x-amz-date")
        .map(|(_, v)| v.as_str())
        .ok_or(SignatureError::Malformed)?;
    let when = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| SignatureError::Malformed)?
        .and_utc();
    if (now - when).num_seconds().abs() > MAX_SKEW_SECS {
        return Err(SignatureError::Expired);
    }
    let expected = signature(
        request,
        &signed,
        amz_date,
        region,
        &credentials.secret_access_key,
    );
    // A local stand-in: timing side channels are not part of what it models.
    if expected != sig {
        return Err(SignatureError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    fn headers(date: &str) -> Vec<(String, String)> {
        vec![
            ("host".into(), "abc.lambda-url.us-east-1.on.aws".into()),
            ("x-amz-date".into(), date.into()),
        ]
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let now = chrono::Utc::now();
        let date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let h = headers(&date);
        let hash = sha256_hex(b"");
        let request = Signable {
            method: "GET",
            path: "/v1/projects",
            query: "limit=5",
            headers: &h,
            payload_hash: &hash,
        };
        let auth = authorization(&request, &credentials(), "us-east-1", &date);
        assert_eq!(
            verify(&request, Some(&auth), &credentials(), "us-east-1", now),
            Ok(())
        );
        let tampered = Signable {
            query: "limit=6",
            ..request.clone()
        };
        assert_eq!(
            verify(&tampered, Some(&auth), &credentials(), "us-east-1", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&request, None, &credentials(), "us-east-1", now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(
                &request,
                Some("Bearer abc"),
                &credentials(),
                "us-east-1",
                now
            ),
            Err(SignatureError::Malformed)
        );
        let later = now + chrono::Duration::minutes(20);
        assert_eq!(
            verify(&request, Some(&auth), &credentials(), "us-east-1", later),
            Err(SignatureError::Expired)
        );
    }
}
