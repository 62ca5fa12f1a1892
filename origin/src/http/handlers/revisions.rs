//! An item's history and the trash: the owner reads earlier versions, restores
//! one, and brings back what they deleted.

use chrono::Utc;
use folio_shared::domain::{Content, ItemId};
use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde_json::json;

use crate::http::caller::{Caller, author};
use crate::http::handlers::content::representation;
use crate::repo::history;
use crate::usecases::app::App;
use crate::usecases::revisions;

/// A revision's number: a positive integer; anything else names nothing (404).
pub fn version(param: Option<&str>) -> Result<u64, ApiError> {
    param
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && v.len() <= 19)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| *v > 0)
        .ok_or(ApiError::NotFound)
}

pub async fn list<T: Content>(app: &App, id: &ItemId) -> Result<ApiResponse, ApiError> {
    let revisions = revisions::list::<T>(app, id).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "revisions": revisions }),
    ))
}

pub async fn get<T: Content>(
    app: &App,
    id: &ItemId,
    version: u64,
) -> Result<ApiResponse, ApiError> {
    let (revision, item) = revisions::get::<T>(app, id, version).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "revision": revision, "item": representation(app, &item).await }),
    ))
}

pub async fn restore<T: Content>(
    app: &App,
    id: &ItemId,
    version: u64,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let item = revisions::restore::<T>(app, id, version, &author(caller)).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &representation(app, &item).await,
    ))
}

pub async fn trash(app: &App) -> Result<ApiResponse, ApiError> {
    let items = history::trashed(app.store.as_ref(), Utc::now()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "items": items }),
    ))
}

pub async fn undelete<T: Content>(app: &App, id: &ItemId) -> Result<ApiResponse, ApiError> {
    let item = revisions::undelete::<T>(app, id).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &representation(app, &item).await,
    ))
}
