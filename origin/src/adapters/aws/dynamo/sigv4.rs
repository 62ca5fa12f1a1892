//! Signature Version 4 for the store's calls, the way `aws-sigv4` signs them with
//! its default settings, byte for byte (`signs_as_aws_sigv4_does` holds the two
//! equal), for a fraction of the work: these requests always have the same
//! shape (`POST /`, no query, five headers), so the canonical request is written
//! straight out, and the signing key, which depends only on the secret, the day,
//! the Region and the service, is derived once a day instead of on every call.
//! "Create a signed AWS API request", IAM User Guide:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chrono::{DateTime, Datelike, Timelike, Utc};
use folio_shared::digest::hex_into;
use ring::{digest, hmac};

pub const SERVICE: &str = "dynamodb";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Signs `request` (to `url`, with `body`) with `aws-sigv4` and its default
/// settings: the store's client for an endpoint with a path, which `aws-sigv4`
/// normalises and encodes, and the reference `Signer` is held equal to.
pub fn sign_with_aws_sigv4<B>(
    request: &mut http::Request<B>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    url: &str,
    body: &[u8],
) -> Result<(), String> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str(), value)));
    let signable = SignableRequest::new("POST", url, headers, SignableBody::Bytes(body))
        .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

/// The headers a signed call adds to the request.
pub struct Signature {
    pub amz_date: String,
    pub security_token: Option<String>,
    pub authorization: String,
}

/// Signs one endpoint's calls in one Region.
pub struct Signer {
    region: String,
    /// The last day's signing key, with the secret and the day it is for.
    kept: Mutex<Option<(String, String, hmac::Key)>>,
}

impl Signer {
    pub fn new(region: &str) -> Self {
        Self {
            region: region.to_string(),
            kept: Mutex::new(None),
        }
    }

    /// The signature of `POST /` to `host` with `target` (`X-Amz-Target`) and
    /// `body`, at `time`.
    pub fn sign(
        &self,
        credentials: &Credentials,
        time: SystemTime,
        host: &str,
        target: &str,
        body: &[u8],
    ) -> Signature {
        let at = DateTime::<Utc>::from(time);
        let mut amz_date = String::with_capacity(16);
        let _ = write!(
            amz_date,
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            at.year(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
        let day = &amz_date[..8];
        let token = credentials.session_token();
        let signed_headers = if token.is_some() {
            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        } else {
            "content-type;host;x-amz-date;x-amz-target"
        };
        let mut canonical = String::with_capacity(256 + host.len());
        canonical.push_str("POST\n/\n\ncontent-type:");
        canonical.push_str(CONTENT_TYPE);
        canonical.push_str("\nhost:");
        canonical.push_str(host);
        canonical.push_str("\nx-amz-date:");
        canonical.push_str(&amz_date);
        if let Some(token) = token {
            canonical.push_str("\nx-amz-security-token:");
            canonical.push_str(token.trim());
        }
        canonical.push_str("\nx-amz-target:");
        canonical.push_str(target);
        canonical.push_str("\n\n");
        canonical.push_str(signed_headers);
        canonical.push('\n');
        hex_into(
            &mut canonical,
            digest::digest(&digest::SHA256, body).as_ref(),
        );
        let scope = format!("{day}/{}/{SERVICE}/aws4_request", self.region);
        let mut to_sign = String::with_capacity(160);
        to_sign.push_str("AWS4-HMAC-SHA256\n");
        to_sign.push_str(&amz_date);
        to_sign.push('\n');
        to_sign.push_str(&scope);
        to_sign.push('\n');
        hex_into(
            &mut to_sign,
            digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref(),
        );
        let signature = hmac::sign(
            &self.key(credentials.secret_access_key(), day),
            to_sign.as_bytes(),
        );
        let mut authorization = String::with_capacity(256);
        authorization.push_str("AWS4-HMAC-SHA256 Credential=");
        authorization.push_str(credentials.access_key_id());
        authorization.push('/');
        authorization.push_str(&scope);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(signed_headers);
        authorization.push_str(", Signature=");
        hex_into(&mut authorization, signature.as_ref());
        Signature {
            amz_date,
            security_token: token.map(str::to_string),
            authorization,
        }
    }

    /// `kSigning` for `secret` on `day` (`yyyymmdd`), kept until either changes.
    fn key(&self, secret: &str, day: &str) -> hmac::Key {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((kept_day, kept_secret, key)) = kept.as_ref()
            && kept_day == day
            && kept_secret == secret
        {
            return key.clone();
        }
        let step = |key: &[u8], data: &str| {
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        };
        let date = step(format!("AWS4{secret}").as_bytes(), day);
        let region = step(date.as_ref(), &self.region);
        let service = step(region.as_ref(), SERVICE);
        let signing = step(service.as_ref(), "aws4_request");
        let key = hmac::Key::new(hmac::HMAC_SHA256, signing.as_ref());
        *kept = Some((day.to_string(), secret.to_string(), key.clone()));
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The headers `aws-sigv4` adds to the same request, with the same settings
    /// the store's client used before this signer.
    fn reference(
        credentials: &Credentials,
        region: &str,
        time: SystemTime,
        host: &str,
        target: &str,
        body: &[u8],
    ) -> (String, Option<String>, String) {
        let url = format!("http://{host}/");
        let mut request = http::Request::post(&url)
            .header(http::header::HOST, host)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-target", target)
            .header(http::header::USER_AGENT, "folio")
            .body(())
            .unwrap();
        sign_with_aws_sigv4(&mut request, credentials, region, time, &url, body).unwrap();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        (
            header("x-amz-date").unwrap(),
            header("x-amz-security-token"),
            header("authorization").unwrap(),
        )
    }

    /// Every request shape the store sends, with and without a session token, on
    /// two days, after a secret rotated, to a host with and without a port: the
    /// same three headers `aws-sigv4` writes.
    #[test]
    fn signs_as_aws_sigv4_does() {
        let permanent = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let session = Credentials::new(
            "ASIAEXAMPLE",
            "secret/with+signs",
            Some("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==".into()),
            None,
            "test",
        );
        let rotated = Credentials::new("AKIDEXAMPLE", "another-secret", None, None, "test");
        let day_one = UNIX_EPOCH + Duration::from_secs(1_796_515_199); // 23:59:59 UTC
        let bodies: [&[u8]; 3] = [
            b"",
            b"{\"TableName\":\"folio\",\"Key\":{\"PK\":{\"S\":\"POST#1\"},\"SK\":{\"S\":\"META\"}}}",
            "{\"x\":\"é€😀\\n\"}".as_bytes(),
        ];
        for region in ["us-east-1", "eu-west-1"] {
            let signer = Signer::new(region);
            for time in [
                day_one,
                day_one + Duration::from_secs(1),
                day_one + Duration::from_secs(86_400 * 40 + 7),
            ] {
                for credentials in [&permanent, &session, &rotated, &permanent] {
                    for host in ["dynamodb.us-east-1.amazonaws.com", "127.0.0.1:8000"] {
                        for target in [
                            "DynamoDB_20120810.GetItem",
                            "DynamoDB_20120810.TransactWriteItems",
                        ] {
                            for body in bodies {
                                let ours = signer.sign(credentials, time, host, target, body);
                                let (date, token, authorization) =
                                    reference(credentials, region, time, host, target, body);
                                assert_eq!(ours.amz_date, date);
                                assert_eq!(ours.security_token, token);
                                assert_eq!(
                                    ours.authorization, authorization,
                                    "{region} {host} {target}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
