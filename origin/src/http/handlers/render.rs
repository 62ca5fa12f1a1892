//! `POST /v1/render`: Markdown rendered by the code that renders what readers get
//! (`contentHtml`, `longDescriptionHtml`), so the console's preview is the
//! published HTML byte for byte.

use folio_shared::domain::MARKDOWN_MAX_CHARS;
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::StatusCode;
use serde_json::json;

use crate::http::request::Request;
use crate::usecases::app::App;

/// The request's one field: the Markdown, as the owner would save it.
pub const MARKDOWN: &str = "markdown";
/// The answer's one field.
pub const HTML: &str = "html";

pub async fn render(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&[MARKDOWN])?;
    // Trimmed as a Markdown field is stored, so the HTML is what publishing gives.
    let markdown = fields
        .text(MARKDOWN, 0, MARKDOWN_MAX_CHARS)?
        .ok_or_else(|| FieldError::new(MARKDOWN, "is required"))?;
    // Rendering is CPU work: off the async workers.
    let html = app
        .renderer
        .render_fresh(markdown)
        .await
        .map_err(ApiError::Internal)?;
    Ok(ApiResponse::json(StatusCode::OK, &json!({ HTML: html })))
}
