use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::rules::MAX_URL_CHARS;

use crate::domain::FieldError;

/// The three kinds of portfolio content; each has its own collection under `/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    Blog,
    Project,
    Certification,
}

impl ContentKind {
    pub const ALL: [ContentKind; 3] = [
        ContentKind::Blog,
        ContentKind::Project,
        ContentKind::Certification,
    ];

    /// The name used in the API (`contentType`) and in analytics paths.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Blog => "blog",
            ContentKind::Project => "project",
            ContentKind::Certification => "certification",
        }
    }

    /// The URL prefix of the collection: every cached path of this kind starts with it.
    /// The field of a list answer that holds the items (`{"posts": […]}`); the
    /// console's `listKey` (origin/console/kinds.js) is held equal by a test.
    pub fn list_field(self) -> &'static str {
        match self {
            ContentKind::Blog => "posts",
            ContentKind::Project => "projects",
            ContentKind::Certification => "certifications",
        }
    }

    pub fn collection_path(self) -> &'static str {
        match self {
            ContentKind::Blog => "/v1/blog/",
            ContentKind::Project => "/v1/projects",
            ContentKind::Certification => "/v1/certifications",
        }
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value {
            "blog" => Ok(ContentKind::Blog),
            "project" => Ok(ContentKind::Project),
            "certification" => Ok(ContentKind::Certification),
            _ => Err(FieldError::new(
                "contentType",
                "must be one of blog, project, certification",
            )),
        }
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Published,
    /// Owner-only until its `publishAt`, then published by the scheduler.
    Scheduled,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Published, Status::Scheduled, Status::Draft];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Scheduled => "scheduled",
        }
    }
}

/// An item id as it may appear in a path and a store key: 1–64 characters of
/// `[A-Za-z0-9_-]`, so it can never smuggle a key separator (`#`) or a path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// The longest id, and the document's `pattern` of one.
    pub const MAX_LEN: usize = 64;
    pub const PATTERN: &'static str = "^[A-Za-z0-9_-]+$";

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let ok = !value.is_empty() && value.len() <= Self::MAX_LEN && is_url_safe(value);
        if ok {
            Ok(Self(value.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1-64 characters of letters, digits, '-' or '_'",
            ))
        }
    }

    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(uuid_v7_like())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 48 bits of milliseconds then 80 random bits, hex: sortable by creation, unguessable.
fn uuid_v7_like() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let millis = Utc::now().timestamp_millis().max(0) as u64;
    let mut random = [0u8; 10];
    // SystemRandom only fails if the OS has no entropy source, which we cannot run without.
    let _ = SystemRandom::new().fill(&mut random);
    let mut out = format!("{:012x}", millis & 0xFFFF_FFFF_FFFF);
    for b in random {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A normalised (lower-case, trimmed) e-mail address with a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let v = value.trim().to_ascii_lowercase();
        let valid = v.len() <= 254
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !v.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(v))
        } else {
            Err(FieldError::new(field, "must be an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute http(s) URL, as stored in `githubUrl`, `liveUrl`, `imageUrl`, `credentialUrl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "must be an absolute http or https URL");
        if value.len() > MAX_URL_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_URL_CHARS} characters"),
            ));
        }
        // An RFC 3986 URI (the document's `format: uri` and `URL_PATTERN`): the
        // WHATWG parser below would quietly repair much that is not one.
        if !is_rfc3986_http_uri(value) {
            return Err(bad());
        }
        let url = url::Url::parse(value).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        Ok(Self(value.to_string()))
    }
}

/// Whether `value` is an absolute `http`/`https` URI by RFC 3986's grammar, with a
/// non-empty host: `scheme "://" [userinfo "@"] host [":" port] path ["?" query]
/// ["#" fragment]`, every other character unreserved, a sub-delimiter or a valid
/// percent-escape.
fn is_rfc3986_http_uri(value: &str) -> bool {
    fn unreserved_or_sub(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
    }
    /// Every byte in `allowed` (or a `%XX` escape).
    fn all(part: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
        let mut i = 0;
        while i < part.len() {
            if part[i] == b'%' {
                if i + 2 >= part.len()
                    || !(part[i + 1].is_ascii_hexdigit() && part[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
            } else if allowed(part[i]) {
                i += 1;
            } else {
                return false;
            }
        }
        true
    }
    let bytes = value.as_bytes();
    let rest = if bytes.len() > 8 && bytes[..8].eq_ignore_ascii_case(b"https://") {
        &bytes[8..]
    } else if bytes.len() > 7 && bytes[..7].eq_ignore_ascii_case(b"http://") {
        &bytes[7..]
    } else {
        return false;
    };
    let authority_end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => {
            if !all(&authority[..at], |b| unreserved_or_sub(b) || b == b':') {
                return false;
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    let host = if host_port.first() == Some(&b'[') {
        let Some(close) = host_port.iter().position(|&b| b == b']') else {
            return false;
        };
        let inner = &host_port[1..close];
        let port = &host_port[close + 1..];
        if inner.is_empty()
            || !inner
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(b))
            || !(port.is_empty() || (port[0] == b':' && port[1..].iter().all(u8::is_ascii_digit)))
        {
            return false;
        }
        inner
    } else {
        let (host, port) = match host_port.iter().rposition(|&b| b == b':') {
            Some(colon) => (&host_port[..colon], &host_port[colon + 1..]),
            None => (host_port, &[][..]),
        };
        if !port.iter().all(u8::is_ascii_digit) || !all(host, unreserved_or_sub) {
            return false;
        }
        host
    };
    if host.is_empty() {
        return false;
    }
    let (before_fragment, fragment) = match tail.iter().position(|&b| b == b'#') {
        Some(hash) => (&tail[..hash], &tail[hash + 1..]),
        None => (tail, &[][..]),
    };
    let pchar = |b: u8| unreserved_or_sub(b) || b":@".contains(&b);
    let (path, query) = match before_fragment.iter().position(|&b| b == b'?') {
        Some(q) => (&before_fragment[..q], &before_fragment[q + 1..]),
        None => (before_fragment, &[][..]),
    };
    all(path, |b| pchar(b) || b == b'/')
        && all(query, |b| pchar(b) || b"/?".contains(&b))
        && all(fragment, |b| pchar(b) || b"/?".contains(&b))
}

/// RFC 3339 UTC timestamp with second precision, e.g. `2024-03-15T10:30:00Z`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_utc(time: DateTime<Utc>) -> Self {
        Self(time.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    /// Any RFC 3339 date-time (any offset), as UTC to the second, within years
    /// 0000–9999 once in UTC: stored times are compared as text, which orders only
    /// four-digit years (`-0001-…` or `+10000-…` would sort outside the scheduler's
    /// due query and never be published). No leap second (`:60`): it would be
    /// stored as given and mean nothing to the clock.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                "must be an RFC 3339 date-time in years 0000-9999 (in UTC), e.g. 2030-01-31T09:00:00Z",
            )
        };
        let time = DateTime::parse_from_rfc3339(value)
            .map_err(|_| invalid())?
            .with_timezone(&Utc);
        use chrono::{Datelike, Timelike};
        if !(0..=9999).contains(&time.year()) || time.nanosecond() >= 1_000_000_000 {
            return Err(invalid());
        }
        Ok(Self::from_utc(time))
    }

    /// The instant, for comparisons with the clock.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.0)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Whether `text` is all letters, digits, '-' and '_': what ids are made of,
/// and base64url's alphabet (tokens, hashes), so it never holds a key separator
/// (`#`), a path segment or anything a URL must escape.
pub fn is_url_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

/// Seconds since the Unix epoch, the unit of JWT times and of the stores' expiries.
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// What a certification is: a certification or a course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertType {
    Certification,
    Course,
}

impl CertType {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "certification" => Some(CertType::Certification),
            "course" => Some(CertType::Course),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertType::Certification => "certification",
            CertType::Course => "course",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_outside_years_0000_to_9999_in_utc_or_on_a_leap_second_are_refused() {
        for bad in [
            "0000-01-01T00:00:00+00:01",
            "+10000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-00:01",
            "2030-01-01T00:00:60Z",
            "2030-02-30T00:00:00Z",
            "tomorrow",
        ] {
            assert!(Timestamp::parse("publishAt", bad).is_err(), "{bad}");
        }
        for (good, stored) in [
            ("0000-01-01T00:01:00+00:01", "0000-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
            ("2030-01-31T10:00:00+01:00", "2030-01-31T09:00:00Z"),
        ] {
            assert_eq!(
                Timestamp::parse("publishAt", good).unwrap().as_str(),
                stored
            );
        }
    }

    #[test]
    fn urls_follow_rfc_3986_not_the_lenient_parser() {
        for ok in [
            "https://example.com",
            "http://example.com:8080/a/b?c=d&e=%20#top",
            "HTTPS://user:pw@example.com/",
            "https://[2001:db8::1]:443/x",
            "https://07/",
        ] {
            assert!(HttpUrl::parse("u", ok).is_ok(), "{ok}");
        }
        for bad in [
            "HttPs://_+eJ@G=NkAp@07",
            "https://example.com/a b",
            " https://example.com",
            "https://",
            "https://example.com/%zz",
            "https://example.com/%2",
            "ftp://example.com",
            "https://exa\"mple.com",
            "https://example.com/é",
            "https://example.com:80a/",
        ] {
            assert!(HttpUrl::parse("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn item_ids_refuse_key_separators_and_paths() {
        assert!(ItemId::parse("id", "proj-1").is_ok());
        for bad in ["", "a#b", "a/b", "a b", &"x".repeat(65)] {
            assert!(ItemId::parse("id", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = ItemId::generate();
        let b = ItemId::generate();
        assert_ne!(a, b);
        assert!(ItemId::parse("id", a.as_str()).is_ok());
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(HttpUrl::parse("u", "https://github.com/x/y").is_ok());
        for bad in [
            "github.com/x",
            "javascript:alert(1)",
            "ftp://x.org/a",
            "",
            "https://",
        ] {
            assert!(HttpUrl::parse("u", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("e", " Owner@Example.COM ").unwrap().as_str(),
            "owner@example.com"
        );
        assert!(Email::parse("e", "no-at-sign").is_err());
        assert!(Email::parse("e", "a@b").is_err());
    }
}
