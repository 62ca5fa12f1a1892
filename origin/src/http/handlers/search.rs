//! `GET /v1/search`: the items matching a query, ranked: the published ones for
//! anyone, those of any status for the owner who asks (`status`).

use folio_shared::domain::query::{SEARCH_LIMIT, SEARCH_QUERY, StatusFilter};
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::StatusCode;

use crate::http::caller::{Caller, is_owner, owner_only};
use crate::http::request::Request;
use crate::usecases::app::App;
use crate::usecases::search::{self, MAX_QUERY_CHARS, Searcher};

pub async fn search(
    app: &App,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let query = request
        .query
        .iter()
        .find(|(name, _)| name == SEARCH_QUERY.name)
        .map(|(_, value)| value.trim())
        .unwrap_or_default();
    if query.is_empty() {
        return Err(
            FieldError::new(SEARCH_QUERY.name, "is required: the words to look for").into(),
        );
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(FieldError::new(
            SEARCH_QUERY.name,
            format!("is longer than {MAX_QUERY_CHARS} characters"),
        )
        .into());
    }
    let limit = SEARCH_LIMIT.int(&request.query)?;
    let searcher = match StatusFilter::parse(&request.query)? {
        // Readers' search, even for the owner: the answer a reader gets.
        StatusFilter::Published => Searcher::Reader,
        filter if is_owner(caller) => Searcher::Owner(filter.statuses()),
        _ => {
            return Err(owner_only(
                caller,
                "Only the owner may search drafts and scheduled items",
            ));
        }
    };
    let results = search::search(app.store.as_ref(), &app.search, searcher, query, limit).await?;
    Ok(ApiResponse::json(StatusCode::OK, &results))
}
