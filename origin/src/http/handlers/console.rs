//! The owner's console at `/admin/`: one page and its assets, embedded in the
//! binary so that `folio serve` and the origin Lambda serve the same bytes. Asset
//! names carry a hash of their content, so they can be cached for ever and a deploy
//! is seen at once (the page itself is never kept by a shared cache).

use std::sync::OnceLock;

use folio_shared::digest::sha256_hex_prefix;
use folio_shared::policy::console_csp;
use folio_shared::{ApiError, ApiResponse};
use http::{HeaderValue, StatusCode, header};

/// The console's scripts, one per concern, in the order the page loads them
/// (each registers itself on `globalThis.folio`; `app.js` boots the page).
const JS: &str = "text/javascript; charset=utf-8";

/// The files under `origin/console/`, with the name the page refers to them by.
const SOURCES: &[(&str, &str, &[u8])] = &[
    ("kinds.js", JS, include_bytes!("../../../console/kinds.js")),
    (
        "format.js",
        JS,
        include_bytes!("../../../console/format.js"),
    ),
    (
        "schema.js",
        JS,
        include_bytes!("../../../console/schema.js"),
    ),
    ("dom.js", JS, include_bytes!("../../../console/dom.js")),
    (
        "charts.js",
        JS,
        include_bytes!("../../../console/charts.js"),
    ),
    ("api.js", JS, include_bytes!("../../../console/api.js")),
    (
        "preview.js",
        JS,
        include_bytes!("../../../console/preview.js"),
    ),
    (
        "audience.js",
        JS,
        include_bytes!("../../../console/audience.js"),
    ),
    (
        "dashboard.js",
        JS,
        include_bytes!("../../../console/dashboard.js"),
    ),
    ("list.js", JS, include_bytes!("../../../console/list.js")),
    (
        "editor.js",
        JS,
        include_bytes!("../../../console/editor.js"),
    ),
    (
        "shares.js",
        JS,
        include_bytes!("../../../console/shares.js"),
    ),
    (
        "account.js",
        JS,
        include_bytes!("../../../console/account.js"),
    ),
    (
        "redirects.js",
        JS,
        include_bytes!("../../../console/redirects.js"),
    ),
    (
        "history.js",
        JS,
        include_bytes!("../../../console/history.js"),
    ),
    (
        "search.js",
        JS,
        include_bytes!("../../../console/search.js"),
    ),
    ("app.js", JS, include_bytes!("../../../console/app.js")),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../console/app.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../../console/icon.svg"),
    ),
];
const PAGE: &str = include_str!("../../../console/index.html");

struct Asset {
    /// `app.<hash>.js`: the name the page links to.
    hashed_name: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

struct Console {
    page: Vec<u8>,
    assets: Vec<Asset>,
}

/// The first 16 hex digits of the SHA-256 of the bytes.
fn content_hash(bytes: &[u8]) -> String {
    sha256_hex_prefix(bytes, 8)
}

fn hashed(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

fn console() -> &'static Console {
    static CONSOLE: OnceLock<Console> = OnceLock::new();
    CONSOLE.get_or_init(|| {
        let assets: Vec<Asset> = SOURCES
            .iter()
            .map(|(name, content_type, bytes)| Asset {
                hashed_name: hashed(name, &content_hash(bytes)),
                content_type,
                bytes,
            })
            .collect();
        // `{{asset:app.js}}` in the page becomes `/admin/assets/app.<hash>.js`.
        let mut page = PAGE.to_string();
        for ((name, _, _), asset) in SOURCES.iter().zip(&assets) {
            page = page.replace(
                &format!("{{{{asset:{name}}}}}"),
                &format!("/admin/assets/{}", asset.hashed_name),
            );
        }
        Console {
            page: page.into_bytes(),
            assets,
        }
    })
}

/// A console answer; `upload_origin` is where the media store's upload URLs
/// point (`MediaStore::upload_origin`), the one other origin the CSP allows.
fn with_type(
    upload_origin: Option<&str>,
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> ApiResponse {
    let mut response = ApiResponse::empty(status);
    response.body = body.into();
    response
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(csp) = HeaderValue::from_str(&console_csp(upload_origin)) {
        response
            .headers
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

pub fn page(upload_origin: Option<&str>) -> ApiResponse {
    with_type(
        upload_origin,
        StatusCode::OK,
        "text/html; charset=utf-8",
        console().page.clone(),
    )
}

/// `/`: a person who opens the API's address learns where to go. (No JSON for
/// programs: CloudFront does not forward `Accept` to the origin, and programs
/// start from `/v1/openapi.json`.)
pub fn root() -> ApiResponse {
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"data:,\"><title>folio</title></head><body>\
<h1>folio</h1><p>This address serves a portfolio's API.</p><ul>\
<li><a href=\"/admin/\">The owner's console</a></li>\
<li><a href=\"/v1/openapi.json\">The API document</a> (OpenAPI 3)</li>\
<li><a href=\"/v1/health\">Health</a></li></ul></body></html>\n";
    let mut response = ApiResponse::empty(StatusCode::OK);
    response.body = page.as_bytes().to_vec().into();
    response.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `/admin` → `/admin/`, so that the page's relative world starts at the folder.
pub fn redirect() -> ApiResponse {
    ApiResponse::empty(StatusCode::MOVED_PERMANENTLY).header(header::LOCATION, "/admin/")
}

/// An asset by its hashed name; any other name (an older deploy's, say) is a 404.
pub fn asset(upload_origin: Option<&str>, file: &str) -> Result<ApiResponse, ApiError> {
    let asset = console()
        .assets
        .iter()
        .find(|a| a.hashed_name == file)
        .ok_or(ApiError::NotFound)?;
    Ok(with_type(
        upload_origin,
        StatusCode::OK,
        asset.content_type,
        asset.bytes.to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    /// The console reads each list answer's items by its `listKey`: the field the
    /// API names (`ContentKind::list_field`).
    #[test]
    fn the_consoles_list_keys_are_the_apis_list_fields() {
        let kinds = include_str!("../../../console/kinds.js");
        for kind in folio_shared::domain::ContentKind::ALL {
            let entry = kinds
                .split_once(&format!("{}: {{", kind.as_str()))
                .map(|(_, rest)| rest.split("},").next().unwrap_or(""))
                .unwrap_or_else(|| panic!("kinds.js has no entry for {kind}"));
            assert!(
                entry.contains(&format!("listKey: \"{}\"", kind.list_field())),
                "kinds.js's {kind} lists its items under another key than the API's {}",
                kind.list_field()
            );
        }
    }

    use super::*;

    #[test]
    fn the_page_links_every_asset_by_its_hash_and_each_is_served() {
        let page = String::from_utf8(page(None).body.to_vec()).unwrap();
        assert!(!page.contains("{{"), "a placeholder was left in the page");
        for asset in &console().assets {
            let link = format!("/admin/assets/{}", asset.hashed_name);
            assert!(page.contains(&link), "{link} is not linked");
            let served = self::asset(None, &asset.hashed_name).unwrap();
            assert_eq!(served.body, asset.bytes);
            assert_eq!(served.headers[header::CONTENT_TYPE], asset.content_type);
        }
        assert_eq!(asset(None, "app.js").unwrap_err(), ApiError::NotFound);
    }

    /// The console may reach its own origin and the one bucket uploads go to;
    /// nothing else of AWS.
    #[test]
    fn the_console_may_connect_to_its_own_origin_and_the_upload_bucket_only() {
        let csp = |origin| {
            page(origin).headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let bucket = "https://folio-media.s3.eu-west-1.amazonaws.com";
        assert!(csp(Some(bucket)).contains(&format!("connect-src 'self' {bucket};")));
        assert!(csp(None).contains("connect-src 'self';"));
        assert!(!csp(Some(bucket)).contains("*.amazonaws.com"));
    }

    #[test]
    fn a_changed_file_gets_another_name() {
        assert_ne!(content_hash(b"one"), content_hash(b"two"));
        assert_eq!(hashed("app.js", "abcd"), "app.abcd.js");
    }
}
