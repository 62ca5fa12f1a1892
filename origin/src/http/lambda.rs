//! The edge of the program: Lambda Function URL events in and out.

use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::ApiResponse;
use folio_shared::settings::{Env, SSL_CERT_DIR, SSL_CERT_FILE};
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use moka::sync::Cache;
use serde_json::value::RawValue;

use crate::http::request::Request;
use crate::support::caches::weighed_in_bytes;

/// The viewer address CloudFront forwards (`ip:port`, IPv6 bare or bracketed).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

fn viewer_ip(value: &str) -> &str {
    let without_port = value.rsplit_once(':').map(|(ip, _)| ip).unwrap_or(value);
    without_port.trim_start_matches('[').trim_end_matches(']')
}

/// The CA bundle file to read the system's trusted roots from, if the environment
/// names no certificate location itself: the bundle the system keeps (what
/// `openssl-probe` finds, as rustls-native-certs would), so the trust store stays
/// the system's. Without `SSL_CERT_FILE`, rustls-native-certs reads the bundle *and*
/// every file of the certificate directory, which on Amazon Linux 2023 (like
/// Debian) holds one file per root already in the bundle (the layout golang/go#79018
/// describes): about 150 more files to open and parse for no new root, most of the
/// origin's cold start. `probe` runs only when its answer is needed.
pub fn system_ca_bundle(
    env_file: Option<&std::ffi::OsStr>,
    env_dir: Option<&std::ffi::OsStr>,
    probe: impl FnOnce() -> Option<std::path::PathBuf>,
) -> Option<std::path::PathBuf> {
    if env_file.is_some() || env_dir.is_some() {
        return None;
    }
    probe()
}

/// Keeps freed memory in the process. By default glibc gives the heap's free top
/// back to the kernel past 128 KiB and serves each allocation of 128 KiB or more
/// with a mapping of its own, so an invocation answering ≈ 100 KB (a list of 20
/// posts with their HTML) faulted fresh, zeroed pages in on every call: about a
/// sixth of that invocation's CPU (`BENCHMARKS.md`, issue 33). An execution
/// environment serves one invocation at a time for hours; keeping up to 32 MiB
/// freed costs nothing the next invocation does not use again.
///
/// # Safety
///
/// Changes the allocator's settings: call it before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub unsafe fn keep_freed_memory() {
    use std::ffi::c_int;
    // glibc's <malloc.h>.
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_TOP_PAD: c_int = -2;
    const M_MMAP_THRESHOLD: c_int = -3;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // SAFETY: mallopt only sets allocator parameters; the caller guarantees no
    // other thread is allocating.
    unsafe {
        mallopt(M_TRIM_THRESHOLD, 32 << 20);
        mallopt(M_TOP_PAD, 4 << 20);
        mallopt(M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Elsewhere the allocator's defaults stay.
///
/// # Safety
///
/// None needed; kept `unsafe` to match the Linux one.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub unsafe fn keep_freed_memory() {}

/// Sets `SSL_CERT_FILE` to `system_ca_bundle`'s choice.
///
/// # Safety
///
/// Sets an environment variable: call it before any other thread exists.
pub unsafe fn read_roots_from_the_system_bundle(env: &Env) {
    let bundle = system_ca_bundle(
        env.get(&SSL_CERT_FILE).map(std::ffi::OsStr::new),
        env.get(&SSL_CERT_DIR).map(std::ffi::OsStr::new),
        || openssl_probe::probe().cert_file,
    );
    if let Some(bundle) = bundle {
        // SAFETY: the caller guarantees no other thread reads the environment.
        unsafe { std::env::set_var(SSL_CERT_FILE.name, bundle) };
    }
}

/// An invocation that is neither a Function URL request the origin can read nor
/// the scheduler's tick.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not a Function URL event nor a tick: {0}")]
    Unknown(String),
    #[error("bad method")]
    Method,
    #[error("body is not valid base64")]
    Body,
}

/// What the origin Lambda is invoked with: a Function URL request, or the
/// scheduler's tick (`{"folio":"tick"}`, sent by EventBridge Scheduler with an
/// IAM role; a Function URL request can never take this shape, its body is a
/// string inside the event).
#[derive(Debug)]
pub enum Invocation {
    Tick,
    Http(Box<LambdaFunctionUrlRequest>),
}

/// The tick exactly: one key, one value, nothing else.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Tick {
    #[serde(rename = "folio")]
    _tag: TickTag,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum TickTag {
    Tick,
}

impl Invocation {
    /// Parses the event's JSON once, straight into the request (through a
    /// `serde_json::Value` every key and string was allocated twice). An event
    /// that cannot spell the tick's key, neither as is nor escaped, is not parsed
    /// as a tick at all: failing that parse built and formatted an error on every
    /// invocation.
    pub fn parse(payload: &str) -> Result<Self, EventError> {
        let may_be_a_tick = payload.contains("folio") || payload.contains("\\u");
        if may_be_a_tick && serde_json::from_str::<Tick>(payload).is_ok() {
            return Ok(Self::Tick);
        }
        serde_json::from_str(payload)
            .map(|event| Self::Http(Box::new(event)))
            .map_err(|e| EventError::Unknown(e.to_string()))
    }
}

pub fn request_from_event(event: LambdaFunctionUrlRequest) -> Result<Request, EventError> {
    let http = &event.request_context.http;
    let method: Method = http
        .method
        .as_deref()
        .unwrap_or("GET")
        .parse()
        .map_err(|_| EventError::Method)?;
    let path = event
        .raw_path
        .clone()
        .or_else(|| http.path.clone())
        .unwrap_or_else(|| "/".into());
    let query =
        url::form_urlencoded::parse(event.raw_query_string.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let body = match (&event.body, event.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(b), true) => STANDARD.decode(b).map_err(|_| EventError::Body)?,
        (Some(b), false) => b.clone().into_bytes(),
    };
    let client_address = event
        .headers
        .get(VIEWER_ADDRESS_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| viewer_ip(v).to_string())
        .or_else(|| http.source_ip.clone())
        .unwrap_or_default();
    Ok(Request {
        method,
        path,
        query,
        headers: event.headers,
        body,
        client_address,
        request_id: event.request_context.request_id.unwrap_or_default(),
    })
}

/// The Lambdas' logs: JSON lines to stdout (CloudWatch Logs), each with its
/// request's span, no time (CloudWatch stamps each line), filtered by `RUST_LOG`.
pub fn init_logging(filter: tracing_subscriber::filter::Targets) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(filter)
        .with(crate::http::log_lines::JsonLines::new(std::io::stdout))
        .init();
}

/// The tokio runtime the origin Lambda runs on: one thread. Lambda hands an
/// execution environment one invocation at a time ("this execution environment
/// is busy and cannot process other requests",
/// <https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html>), so
/// worker threads add nothing but cross-thread wake-ups: on the multi-threaded
/// runtime each DynamoDB call cost about 1.6 times the CPU (BENCHMARKS.md, "Work
/// per request"). I/O still overlaps within an invocation; blocking work (password
/// hashing) still goes to tokio's blocking pool. The benches build the same
/// runtime, so they measure what ships.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

pub fn response_to_event(response: ApiResponse) -> LambdaFunctionUrlResponse {
    let mut out = LambdaFunctionUrlResponse::default();
    out.status_code = i64::from(response.status);
    out.headers = response.headers;
    if !response.body.is_empty() {
        let (text, base64) = text_or_base64(&response.body);
        out.body = Some(text.into_owned());
        out.is_base64_encoded = base64;
    }
    out
}

/// A Function URL answer's body: the text, or base64 of bytes that are not UTF-8
/// (then `isBase64Encoded`).
fn text_or_base64(body: &[u8]) -> (std::borrow::Cow<'_, str>, bool) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.into(), false),
        Err(_) => (STANDARD.encode(body).into(), true),
    }
}

/// A Function URL answer as the runtime sends it: `LambdaFunctionUrlResponse`'s
/// fields, written the same, with the body a JSON string made before
/// (`EscapedBodies`). The fields are the response payload format of "Invoking
/// Lambda function URLs" (Request and response payloads, Lambda Developer
/// Guide): `statusCode`, `headers`, `body`, `isBase64Encoded`, `cookies`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionUrlAnswer {
    status_code: i64,
    #[serde(serialize_with = "first_values")]
    headers: http::HeaderMap,
    body: Option<Arc<RawValue>>,
    is_base64_encoded: bool,
    cookies: Vec<String>,
}

/// Each header's first value, as `aws_lambda_events` writes a response's.
fn first_values<S: serde::Serializer>(
    headers: &http::HeaderMap,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error, SerializeMap};
    let mut map = serializer.serialize_map(Some(headers.keys_len()))?;
    for (name, value) in headers.keys().filter_map(|k| Some((k, headers.get(k)?))) {
        let value = value.to_str().map_err(S::Error::custom)?;
        map.serialize_entry(name.as_str(), value)?;
    }
    map.end()
}

/// What the cache of escaped bodies may hold, in bytes (each body twice: as
/// sent, to compare, and escaped).
const ESCAPED_BODIES_BYTES: u64 = 8 * 1024 * 1024;
/// Bodies shorter than this are escaped each time: a post by slug (≈ 2.7 KB) is
/// worth finding, its escaping was a tenth of that invocation's instructions.
const WORTH_KEEPING: usize = 1024;

/// A body as sent, and as a JSON string (base64 if it is not UTF-8).
struct Escaped {
    body: Bytes,
    json: Arc<RawValue>,
    base64: bool,
}

/// Answers' bodies as JSON strings, by their bytes. A body sent again (a list
/// every edge location asks for once, the owner's list between two edits) is
/// shared instead of escaped again: serde_json's escaping of a list's 86 KB,
/// one byte at a time, was 22–29 % of the invocation's CPU (`perf`,
/// BENCHMARKS.md). Kept by the body's ETag (`caching::etag`, which the pipeline
/// has computed for every read, or the handler kept with a body it keeps), so a
/// read's body is hashed once; on a hit the bytes are the same buffer (a kept
/// page answered again) or compared, since a hash is not a proof, and a body
/// found kept is not checked for UTF-8 again.
pub struct EscapedBodies(Cache<String, Arc<Escaped>>);

impl Default for EscapedBodies {
    fn default() -> Self {
        Self(
            weighed_in_bytes(ESCAPED_BODIES_BYTES, |_, kept: &Arc<Escaped>| {
                kept.body.len() + kept.json.get().len()
            })
            .build(),
        )
    }
}

/// Whether `a` and `b` are the same bytes: one shared buffer, or equal ones.
fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

impl EscapedBodies {
    /// The body as a JSON string, and whether it is base64 (bytes that are not UTF-8).
    fn escaped(
        &self,
        headers: &http::HeaderMap,
        body: Bytes,
    ) -> Result<(Arc<RawValue>, bool), serde_json::Error> {
        if body.len() < WORTH_KEEPING {
            return Self::escape(&body);
        }
        let key = match headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
        {
            Some(tag) => tag.to_owned(),
            None => folio_shared::caching::etag(&body),
        };
        if let Some(kept) = self.0.get(&key)
            && same_bytes(&kept.body, &body)
        {
            return Ok((Arc::clone(&kept.json), kept.base64));
        }
        let (json, base64) = Self::escape(&body)?;
        let kept = Escaped {
            body,
            json: Arc::clone(&json),
            base64,
        };
        self.0.insert(key, Arc::new(kept));
        Ok((json, base64))
    }

    /// The body as a JSON string, as `response_to_event` writes it.
    fn escape(body: &[u8]) -> Result<(Arc<RawValue>, bool), serde_json::Error> {
        let (text, base64) = text_or_base64(body);
        Ok((serde_json::value::to_raw_value(&text)?.into(), base64))
    }

    /// The answer the runtime sends for `response`.
    pub fn answer(&self, response: ApiResponse) -> Result<FunctionUrlAnswer, serde_json::Error> {
        let ApiResponse {
            status,
            headers,
            body,
        } = response;
        let (body, is_base64_encoded) = if body.is_empty() {
            (None, false)
        } else {
            let (json, base64) = self.escaped(&headers, body)?;
            (Some(json), base64)
        };
        Ok(FunctionUrlAnswer {
            status_code: i64::from(status),
            headers,
            body,
            is_base64_encoded,
            cookies: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime sends what it sent when it serialised the event itself, byte
    /// for byte, for every kind of body, escaped the first time and kept the
    /// next: quotes, backslashes, every control character, text beyond ASCII,
    /// long and short, none, and bytes that are not UTF-8 (base64).
    #[test]
    fn an_answer_is_the_function_url_response_byte_for_byte_kept_or_not() {
        let bodies_cache = EscapedBodies::default();
        let controls: String = (0u8..0x20).map(char::from).collect();
        let bodies: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"{\"posts\":[]}".to_vec(),
            format!("a{controls}b\\\"\u{7f}é€😀 \u{2028}<p class=\"x\">\n</p>").into_bytes(),
            "x".repeat(17).into_bytes(),
            "\"".repeat(9).into_bytes(),
            format!("{}\"{}", "a".repeat(7), "b".repeat(8)).into_bytes(),
            vec![0xff, 0xfe, b'"'],
            // Every ASCII byte, between multi-byte characters, long enough to be kept.
            (0..6000u32)
                .map(|n| match n % 131 {
                    128 => 'é',
                    129 => '€',
                    130 => '😀',
                    b => char::from(b as u8),
                })
                .collect::<String>()
                .into_bytes(),
            // Long bytes that are not UTF-8: base64, kept as such.
            (0..5000u32).map(|n| (n % 256) as u8).collect(),
        ];
        for body in bodies {
            let mut response = ApiResponse::empty(http::StatusCode::OK);
            response.body = body.clone().into();
            response.headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
                .headers
                .insert("x-note", http::HeaderValue::from_static("\"body\":null"));
            // A header of two values: the first is sent, as before.
            response
                .headers
                .append("x-note", http::HeaderValue::from_static("second"));
            let expected = serde_json::to_string(&response_to_event(response.clone())).unwrap();
            // Kept, the same body is found in the same buffer, or in another.
            let mut copied = response.clone();
            copied.body = Bytes::copy_from_slice(&body);
            for (time, response) in [
                ("first", response.clone()),
                ("kept", response),
                ("kept, another buffer", copied),
            ] {
                let answer = bodies_cache.answer(response).unwrap();
                let sent = serde_json::to_string(&answer).unwrap();
                assert_eq!(sent, expected, "{time}: {body:?}");
            }
        }
        // Another body is escaped for itself, not answered with a kept one, even
        // under the ETag of a kept body (bodies are kept by their tag).
        for tag in [
            None,
            Some(folio_shared::caching::etag(&"x".repeat(5000).into_bytes())),
        ] {
            let mut kept = ApiResponse::empty(http::StatusCode::OK);
            kept.body = "x".repeat(5000).into_bytes().into();
            let mut other = ApiResponse::empty(http::StatusCode::OK);
            other.body = "y".repeat(5000).into_bytes().into();
            if let Some(tag) = &tag {
                kept = kept.header(http::header::ETAG, tag);
                other = other.header(http::header::ETAG, tag);
            }
            bodies_cache.answer(kept).unwrap();
            let sent = serde_json::to_string(&bodies_cache.answer(other).unwrap()).unwrap();
            assert!(sent.contains(&"y".repeat(5000)), "{tag:?}");
        }
    }

    #[test]
    fn the_roots_are_read_from_the_system_bundle_unless_the_environment_names_a_location() {
        use std::ffi::OsStr;
        use std::path::PathBuf;
        let bundle = || Some(PathBuf::from("/etc/pki/tls/certs/ca-bundle.crt"));
        assert_eq!(system_ca_bundle(None, None, bundle), bundle());
        // The owner's own choice stands, file or directory, and nothing is probed.
        let mine = Some(OsStr::new("/opt/my-roots.pem"));
        let not_probed = || -> Option<PathBuf> { panic!("probed for an unused bundle") };
        assert_eq!(system_ca_bundle(mine, None, not_probed), None);
        assert_eq!(system_ca_bundle(None, mine, not_probed), None);
        // No bundle on the system: rustls-native-certs searches as before.
        assert_eq!(system_ca_bundle(None, None, || None), None);
    }

    #[test]
    fn a_tick_and_a_function_url_event_are_told_apart() {
        // The payload template.yaml's TickSchedule sends.
        let tick = include_str!("../../fixtures/scheduler-tick.json");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(tick).unwrap(),
            serde_json::from_str::<serde_json::Value>(crate::usecases::scheduler::TICK_EVENT)
                .unwrap()
        );
        assert!(matches!(Invocation::parse(tick), Ok(Invocation::Tick)));
        // The tick with its key or value escaped is still the tick.
        for spelled in [
            r#"{"\u0066\u006f\u006c\u0069\u006f": "tick"}"#,
            r#"{"folio": "\u0074ick"}"#,
        ] {
            assert!(
                matches!(Invocation::parse(spelled), Ok(Invocation::Tick)),
                "{spelled}"
            );
        }
        // A Function URL request whose body is the tick's text is still a request.
        let parsed = Invocation::parse(include_str!("../../fixtures/function-url-request.json"));
        let Ok(Invocation::Http(event)) = parsed else {
            panic!("{parsed:?}");
        };
        let request = request_from_event(*event).unwrap();
        assert_eq!(
            request.body,
            crate::usecases::scheduler::TICK_EVENT.as_bytes()
        );
        assert_eq!(request.client_address, "203.0.113.7");
        // Anything more or other than the tick is neither.
        for other in [
            r#"{"folio": "tick", "more": 1}"#,
            r#"{"folio": "tock"}"#,
            r#"{"folio": ["tick"]}"#,
            "{}",
            "[]",
        ] {
            assert!(Invocation::parse(other).is_err(), "{other}");
        }
    }

    #[test]
    fn viewer_address_loses_its_port() {
        assert_eq!(viewer_ip("203.0.113.7:4431"), "203.0.113.7");
        assert_eq!(viewer_ip("[2001:db8::1]:443"), "2001:db8::1");
    }
}
