//! The CloudFront policies folio deploys, written once. The edge (preflights, the
//! caller hand-off), `folio serve`'s CloudFront stand-in (cache key, origin request
//! policy, response headers policy) and `template.yaml` (held equal by
//! tests/template_test.py through `folio cloudfront-policies`) all read these.

use serde_json::{Value, json};

/// The header in which the edge hands the verified caller's token to the origin.
///
/// Origin Access Control with `SigningBehavior: always` replaces the viewer's
/// `Authorization` with its SigV4 signature ("Restrict access to an AWS Lambda
/// function URL origin", CloudFront Developer Guide), so the bearer token cannot
/// travel in `Authorization`. The edge strips any copy a viewer sends, and sets it
/// only from a token it verified; the origin verifies the token again. Not on the
/// disallowed list of "Restrictions on all edge functions" (`X-Amz-Cf-*`,
/// `X-Amzn-*`, `X-Edge-*`, …).
pub const CALLER_TOKEN_HEADER: &str = "x-folio-caller-token";

/// The largest request body folio accepts, everywhere: the edge, the origin and
/// `folio serve`. CloudFront hands an origin-request function at most 1 MB of
/// body, truncated beyond ("Restrictions on Lambda@Edge", body size with the
/// include-body option), so a larger one cannot be forwarded intact.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Headers only the edge may set: a viewer's copy is dropped before anything reads it.
pub const EDGE_ONLY_HEADERS: &[&str] = &[CALLER_TOKEN_HEADER, "x-amz-content-sha256"];

/// The response headers policy's CORS configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cors {
    pub allow_methods: &'static [&'static str],
    pub allow_headers: &'static [&'static str],
    pub expose_headers: &'static [&'static str],
    pub max_age_secs: u32,
}

pub const CORS: Cors = Cors {
    allow_methods: &["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allow_headers: &["Authorization", "Content-Type", "If-Match", "If-None-Match"],
    expose_headers: &["ETag", "Location", "Retry-After", "WWW-Authenticate"],
    max_age_secs: 600,
};

impl Cors {
    pub fn allow_methods_value(&self) -> String {
        self.allow_methods.join(", ")
    }

    pub fn allow_headers_value(&self) -> String {
        self.allow_headers.join(", ")
    }

    pub fn expose_headers_value(&self) -> String {
        self.expose_headers.join(", ")
    }

    /// Whether a browser origin is on the allow-list (`*` allows any).
    pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
        allowed.iter().any(|o| o == "*" || o == origin)
    }
}

/// Query parameters the API reads. Anything else (`utm_*`, `fbclid`, cache
/// busters…) cannot change an answer, so it is dropped before the cache key.
/// At most 10: "Query strings per cache policy", CloudFront Developer Guide,
/// Quotas (cloudfront-limits.html), held by a test.
pub const CACHE_KEY_QUERY_STRINGS: &[&str] = &[
    "status", "featured", "type", "category", "tag", "limit", "offset", "days", "months", "q",
];

/// Request headers in the cache key (and so forwarded to the origin request).
pub const CACHE_KEY_HEADERS: &[&str] = &["Authorization"];

/// Cache policy TTLs: the origin's `Cache-Control` decides; MinTTL 0 so that
/// `no-store` is honoured ("Controlling the cache key", CloudFront Developer Guide).
pub const MIN_TTL_SECS: u64 = 0;
pub const DEFAULT_TTL_SECS: u64 = 0;
pub const MAX_TTL_SECS: u64 = 86_400;

/// The distribution's error caching minimum TTLs (`CustomErrorResponses`): how
/// long CloudFront keeps an error answer of that status ("How CloudFront processes
/// HTTP 4xx and 5xx status codes from your origin").
pub const ERROR_CACHING_MIN_TTL: &[(u16, u64)] =
    &[(404, 10), (500, 0), (502, 0), (503, 0), (504, 0)];

/// Security headers the policy adds only when the origin sent none (`Override:
/// false`: "whether CloudFront overrides the … header received from the origin",
/// CloudFront API Reference, ResponseHeadersPolicyContentSecurityPolicy): the
/// console at `/admin/` runs scripts and so sends its own [`console_csp`]; every
/// API answer sends none and gets the policy's `default-src 'none'`.
pub const ORIGIN_MAY_SET: &[&str] = &["content-security-policy"];

/// The console's Content-Security-Policy: its own scripts, styles and the API on
/// the same origin, nothing else (no inline code, no third party, no framing).
/// Uploads go where the media store's URLs point: `upload_origin`, the one S3
/// bucket (`https://<bucket>.s3.<region>.amazonaws.com`), never all of AWS; under
/// `folio serve` they go to the page's own origin (`None`).
pub fn console_csp(upload_origin: Option<&str>) -> String {
    let connect = match upload_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src {connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Viewer headers the origin request policy forwards besides the cache key's.
pub const ORIGIN_REQUEST_HEADERS: &[&str] = &[
    "CloudFront-Viewer-Address",
    // The visit's country for the audience tables ("Add CloudFront request headers":
    // the two-letter code CloudFront determines from the viewer's address).
    "CloudFront-Viewer-Country",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Origin",
    "User-Agent",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
];

/// Security headers of the response headers policy (name, value). Each overrides
/// the origin's (`Override: true`) but those in [`ORIGIN_MAY_SET`].
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

/// The origin request policy's headers. With the edge at viewer-request, what it
/// adds (the caller hand-off, the payload hash) must be forwarded by the policy to
/// reach the origin; at origin-request the edge runs after the policies, so viewers'
/// copies of those headers are never forwarded at all.
pub fn origin_request_headers(edge_at_viewer_request: bool) -> Vec<&'static str> {
    let mut headers = ORIGIN_REQUEST_HEADERS.to_vec();
    if edge_at_viewer_request {
        headers.extend(EDGE_ONLY_HEADERS);
    }
    headers
}

/// Whether a viewer's header (any case) reaches the origin under the two policies.
pub fn forwarded_to_origin(name: &str, edge_at_viewer_request: bool) -> bool {
    CACHE_KEY_HEADERS
        .iter()
        .copied()
        .chain(origin_request_headers(edge_at_viewer_request))
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// The query string exactly as the API will read it, in canonical form: names and
/// values decoded as the origin decodes them (`application/x-www-form-urlencoded`),
/// only the parameters the API reads, the first value of a repeated name, sorted by
/// name, encoded again. Two requests with different answers never normalise alike,
/// and the cache key is built from this string, so they never share a key.
/// `cloudfront/viewer-request.js` is the same function for CloudFront Functions
/// (`tests/fixtures/query_normalisation.json` holds both to the same cases).
pub fn normalise_query(query: &str) -> String {
    let mut kept: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if CACHE_KEY_QUERY_STRINGS.contains(&name.as_ref()) && !kept.iter().any(|(n, _)| *n == name)
        {
            kept.push((name.into_owned(), value.into_owned()));
        }
    }
    kept.sort();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish()
}

/// Origin failover between the home Region's origin and another Region's
/// ("Optimize high availability with CloudFront origin failover" and "Request and
/// response behavior for origin groups", CloudFront Developer Guide). folio serves
/// reads and writes on the same paths, and a cache behaviour whose target is an
/// origin group may not allow POST, PUT, PATCH or DELETE; so the behaviour's
/// origin is the home Region's, and the viewer-request CloudFront Function makes
/// an origin group of the two for the methods CloudFront fails over at all
/// (`cf.createRequestOriginGroup`, "Helper methods for origin modification").
/// It names origins the distribution defines, whose settings (OAC included)
/// apply as configured. Writes keep the home origin, with one exception: a
/// tracking beacon that the home origin failed is sent again by the tracking
/// script with [`Failover::retry_query`], and the function sends that one to the
/// other Region's origin (`cf.selectRequestOriginById`, same page: "uses all the
/// same settings" of that origin). A beacon is counted once per visitor however
/// often it arrives, and owner changes are refused outside the home Region.
pub struct Failover {
    /// The distribution's origin ids: the home Region's and the other Region's.
    pub home_origin_id: &'static str,
    pub failover_origin_id: &'static str,
    /// The only viewer methods CloudFront fails over.
    pub methods: &'static [&'static str],
    /// The primary's answers that send the request to the secondary (CloudFront
    /// accepts 403, 404, 500, 502, 503, 504; a 403 or 404 from folio is an answer).
    pub status_codes: &'static [u16],
    /// The origins' `ConnectionAttempts` (1–3) and `ConnectionTimeout` (1–10 s),
    /// and `OriginReadTimeout` (1–60 s): an unreachable primary costs a viewer
    /// attempts × connection timeout before the secondary is tried; one that
    /// does not answer costs attempts × read timeout (for custom origins the
    /// attempts also count response timeouts).
    pub connection_attempts: u32,
    pub connection_timeout_secs: u64,
    pub read_timeout_secs: u64,
    /// The query parameter of a tracking beacon sent again after the home origin
    /// failed it (`origin/tracker/2.js`); only on [`Failover::retry_paths`], and
    /// dropped before the origin sees the query.
    pub retry_query: &'static str,
}

pub const FAILOVER: Failover = Failover {
    home_origin_id: "origin",
    failover_origin_id: "origin-failover",
    methods: &["GET", "HEAD", "OPTIONS"],
    status_codes: &[500, 502, 503, 504],
    connection_attempts: 2,
    connection_timeout_secs: 2,
    // Above the origin function's own timeout (template.yaml, `Timeout`), so a
    // slow answer is not mistaken for a dead Region.
    read_timeout_secs: 12,
    retry_query: "failover",
};

impl Failover {
    /// Whether a viewer request with `method` goes to the origin group.
    pub fn fails_over(&self, method: &str) -> bool {
        self.methods.contains(&method)
    }

    /// The paths whose `POST` the other Region's origin takes when it carries
    /// [`Failover::retry_query`]: the tracking routes, and nothing else.
    pub fn retry_paths(&self) -> impl Iterator<Item = &'static str> {
        crate::routes::ROUTES
            .iter()
            .filter(|route| route.access == crate::routes::Access::Tracking)
            .map(|route| route.path)
    }

    /// Whether a viewer's request is a tracking beacon resent for the other
    /// Region (`querystring` as the viewer sent it, before normalisation).
    pub fn is_retry(&self, method: &str, path: &str, querystring: &str) -> bool {
        method == "POST"
            && self.retry_paths().any(|p| p == path)
            && querystring
                .split('&')
                .any(|pair| pair.split('=').next() == Some(self.retry_query))
    }
}

/// Every policy above as one JSON document (`folio cloudfront-policies`), in the
/// shape of the template's CloudFormation properties.
pub fn document() -> Value {
    json!({
        "callerTokenHeader": CALLER_TOKEN_HEADER,
        "cachePolicy": {
            "MinTTL": MIN_TTL_SECS,
            "DefaultTTL": DEFAULT_TTL_SECS,
            "MaxTTL": MAX_TTL_SECS,
            "Headers": CACHE_KEY_HEADERS,
            "QueryStrings": CACHE_KEY_QUERY_STRINGS,
        },
        "originRequestPolicy": {
            "Headers": origin_request_headers(false),
            "HeadersWithEdgeAtViewerRequest": origin_request_headers(true),
        },
        "errorCachingMinTTL": ERROR_CACHING_MIN_TTL
            .iter()
            .map(|(code, ttl)| json!({ "ErrorCode": code, "ErrorCachingMinTTL": ttl }))
            .collect::<Vec<_>>(),
        "cors": {
            "AccessControlAllowMethods": CORS.allow_methods,
            "AccessControlAllowHeaders": CORS.allow_headers,
            "AccessControlExposeHeaders": CORS.expose_headers,
            "AccessControlMaxAgeSec": CORS.max_age_secs,
        },
        "securityHeaders": SECURITY_HEADERS.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "securityHeadersOriginMaySet": ORIGIN_MAY_SET,
        "failover": {
            "HomeOriginId": FAILOVER.home_origin_id,
            "FailoverOriginId": FAILOVER.failover_origin_id,
            "Methods": FAILOVER.methods,
            "StatusCodes": FAILOVER.status_codes,
            "ConnectionAttempts": FAILOVER.connection_attempts,
            "ConnectionTimeout": FAILOVER.connection_timeout_secs,
            "OriginReadTimeout": FAILOVER.read_timeout_secs,
            "RetryQuery": FAILOVER.retry_query,
            "RetryPaths": FAILOVER.retry_paths().collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a resent tracking beacon may reach the other Region with POST; an
    /// owner's change carrying the parameter still goes home (and the parameter
    /// must be the exact name, as the CloudFront Function reads it).
    #[test]
    fn only_a_tracking_post_with_the_retry_parameter_goes_to_the_other_region() {
        assert_eq!(
            FAILOVER.retry_paths().collect::<Vec<_>>(),
            [
                "/v1/visitors/track",
                "/v1/analytics/track",
                "/v1/analytics/engagement"
            ]
        );
        for path in FAILOVER.retry_paths() {
            assert!(FAILOVER.is_retry("POST", path, "failover=1"), "{path}");
            assert!(FAILOVER.is_retry("POST", path, "a=b&failover"), "{path}");
            assert!(!FAILOVER.is_retry("POST", path, ""), "{path}");
            assert!(!FAILOVER.is_retry("POST", path, "failovers=1"), "{path}");
            assert!(!FAILOVER.is_retry("GET", path, "failover=1"), "{path}");
        }
        assert!(!FAILOVER.is_retry("POST", "/v1/blog/posts", "failover=1"));
        assert!(!FAILOVER.is_retry("PUT", "/v1/redirects", "failover=1"));
    }

    #[derive(serde::Deserialize)]
    struct Case {
        query: String,
        normalised: String,
    }

    /// The cases `cloudfront/viewer-request.test.mjs` runs against the JS twin.
    #[test]
    fn normalisation_matches_the_shared_cases() {
        let cases: Vec<Case> = serde_json::from_str(include_str!(
            "../../tests/fixtures/query_normalisation.json"
        ))
        .unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            assert_eq!(
                normalise_query(&case.query),
                case.normalised,
                "{}",
                case.query
            );
        }
    }

    #[test]
    fn an_encoded_name_is_the_name_the_origin_reads() {
        assert_eq!(normalise_query("%6fffset=1000"), "offset=1000");
        assert_ne!(normalise_query("%6fffset=1000"), normalise_query(""));
    }

    #[test]
    fn a_repeated_name_keeps_its_first_value_so_order_matters() {
        assert_eq!(normalise_query("limit=1&limit=100"), "limit=1");
        assert_eq!(normalise_query("limit=100&limit=1"), "limit=100");
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for q in [
            "tag=a+b&limit=2",
            "tag=%E6%97%A5&x=1",
            "status=all&featured=true",
        ] {
            let once = normalise_query(q);
            assert_eq!(normalise_query(&once), once);
        }
    }

    #[test]
    fn the_caller_token_header_is_edge_only_and_never_forwarded_from_viewers() {
        assert!(EDGE_ONLY_HEADERS.contains(&CALLER_TOKEN_HEADER));
        assert!(!forwarded_to_origin(CALLER_TOKEN_HEADER, false));
        assert!(forwarded_to_origin("authorization", false));
    }
}
