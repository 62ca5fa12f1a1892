//! The HTTP pipeline, in one place: a request resolved against the route table,
//! its caller authenticated, its handler run, the caching rules applied, and one
//! span per request with its id.

use std::sync::LazyLock;

use folio_shared::policy::MAX_BODY_BYTES;
use folio_shared::response::{IMMUTABLE, PRIVATE_NO_STORE};
use folio_shared::routes::{Caching, RouteTable, loggable_path};
use folio_shared::{ApiError, ApiResponse};
use http::{Method, StatusCode, header};
use tracing::Instrument;

use crate::http::caller::{Caller, authenticate};
use crate::http::handlers;
use crate::http::request::{Request, etag, etag_matches};
use crate::usecases::app::App;

/// The route table, built once per process.
static ROUTE_TABLE: LazyLock<RouteTable> = LazyLock::new(RouteTable::new);

pub async fn handle(app: &App, request: Request) -> ApiResponse {
    let span = tracing::info_span!(
        "request",
        request_id = %request.request_id,
        method = %request.method,
        path = %loggable_path(&request.path),
        status = tracing::field::Empty,
    );
    async {
        let mut response = match dispatch(app, &request).await {
            Ok(response) => response,
            Err(error) => {
                if let ApiError::Internal(cause) = &error {
                    tracing::error!(%cause, "request failed");
                }
                error.to_response()
            }
        };
        if let Ok(id) = request.request_id.parse() {
            response.headers.insert("x-request-id", id);
        }
        if request.method == Method::HEAD {
            response.body.clear();
        }
        tracing::Span::current().record("status", response.status);
        tracing::info!("handled");
        response
    }
    .instrument(span)
    .await
}

async fn dispatch(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let matched = ROUTE_TABLE.resolve(&request.method, &request.path)?;
    let route = matched.route;
    if route.is_owner_change() && !app.regions.is_home() {
        return Err(not_home(app));
    }
    let caller = authenticate(app, request, route.access).await?;
    let response = handlers::handle(app, route.id, &matched, request, &caller).await?;
    Ok(apply_caching(request, route.caching, &caller, response))
}

/// An owner's change reaching another Region's origin: CloudFront sends changes
/// to the home Region only (origin failover is for GET, HEAD and OPTIONS), so this
/// is a caller going around it, and nothing is written.
fn not_home(app: &App) -> ApiError {
    ApiError::Unavailable {
        message: format!(
            "Changes are made in the home Region ({}); this is {}, which serves reads. Try again when the home Region answers",
            app.regions.home, app.regions.this
        ),
        retry_after_secs: 30,
    }
}

/// ETag, `If-None-Match` and `Cache-Control` for successful answers.
fn apply_caching(
    request: &Request,
    caching: Caching,
    caller: &Caller,
    mut response: ApiResponse,
) -> ApiResponse {
    let read = request.method == Method::GET || request.method == Method::HEAD;
    if !read || response.status != 200 {
        if !response.headers.contains_key(header::CACHE_CONTROL) {
            response = response.no_store();
        }
        return response;
    }
    // A handler answering a body it keeps gives the tag `etag` made of the same
    // bytes when it kept them (a list's page); any other body is hashed here.
    let tag = match response.headers.get(header::ETAG) {
        Some(kept) => kept.to_str().unwrap_or_default().to_owned(),
        None => {
            let tag = etag(&response.body);
            response = response.header(header::ETAG, &tag);
            tag
        }
    };
    response = match caching {
        // Answers that depend on the caller never go into a shared cache.
        _ if caller.is_some() => response.cache_control(PRIVATE_NO_STORE),
        Caching::Shared { s_maxage } => response.cache_control(&format!(
            "public, max-age=0, s-maxage={s_maxage}, stale-while-revalidate=60, stale-if-error=86400"
        )),
        Caching::Never => response.cache_control(PRIVATE_NO_STORE),
        Caching::Immutable => response
            .cache_control(IMMUTABLE),
    };
    if request
        .header(header::IF_NONE_MATCH)
        .is_some_and(|v| etag_matches(v, &tag))
    {
        response.status = StatusCode::NOT_MODIFIED.as_u16();
        response.body.clear();
        response.headers.remove(header::CONTENT_TYPE);
    }
    response
}
