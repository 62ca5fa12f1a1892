//! `GET /v1/search`: the published items matching a query, ranked.

use folio_shared::domain::query::{SEARCH_LIMIT, SEARCH_QUERY};
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::StatusCode;

use crate::http::request::Request;
use crate::usecases::app::App;
use crate::usecases::search::{self, MAX_QUERY_CHARS};

pub async fn search(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
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
    let results = search::search(app.store.as_ref(), &app.search, query, limit).await?;
    Ok(ApiResponse::json(StatusCode::OK, &results))
}
