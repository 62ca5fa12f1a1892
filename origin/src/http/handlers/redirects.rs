//! `/v1/redirects`: the owner's table of old addresses and where they lead now,
//! public to read (the frontend applies it), the owner's to change.

use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde_json::json;

use crate::http::request::Request;
use crate::usecases::app::App;
use crate::usecases::redirects;

pub async fn list(app: &App) -> Result<ApiResponse, ApiError> {
    let redirects = redirects::list(app.store.as_ref()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "redirects": redirects }),
    ))
}

pub async fn put(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&["from", "to"])?;
    let from = fields.required_text("from", 1, redirects::MAX_PATH_CHARS)?;
    let to = fields.required_text("to", 1, folio_shared::domain::rules::MAX_URL_CHARS)?;
    let redirect = redirects::put(app.store.as_ref(), &from, &to).await?;
    app.invalidator
        .invalidate(vec![redirects::PUBLIC_PATH.into()])
        .await;
    Ok(ApiResponse::json(StatusCode::OK, &redirect))
}

pub async fn delete(app: &App, id: &str) -> Result<ApiResponse, ApiError> {
    redirects::delete(app.store.as_ref(), id).await?;
    app.invalidator
        .invalidate(vec![redirects::PUBLIC_PATH.into()])
        .await;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}
