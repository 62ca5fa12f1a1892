//! Health and the API description.

use std::sync::OnceLock;

use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde_json::json;

use crate::ports::keys;
use crate::usecases::app::App;

/// Healthy when the store answers a read.
pub async fn health(app: &App) -> Result<ApiResponse, ApiError> {
    app.store
        .get(&keys::salt(folio_shared::domain::today_utc()))
        .await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    ))
}

pub fn openapi() -> ApiResponse {
    static DOCUMENT: OnceLock<bytes::Bytes> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        serde_json::to_vec(&crate::http::openapi::document())
            .unwrap_or_default()
            .into()
    });
    ApiResponse::json_bytes(StatusCode::OK, body.clone())
}
