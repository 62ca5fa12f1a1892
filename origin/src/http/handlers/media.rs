//! `POST /v1/media/uploads`: the owner asks to upload one image and gets a signed
//! URL to send it to (`crate::ports::media`).

use chrono::Utc;
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::StatusCode;
use serde_json::{Value, json};

use crate::http::request::Request;
use crate::ports::media::{
    Dimensions, IMAGE_TYPES, MAX_IMAGE_BYTES, MEDIA_PREFIX, UPLOAD_SECS, UploadGrant, upload_name,
};
use crate::support::random;
use crate::usecases::app::App;

pub const CONTENT_TYPE: &str = "contentType";
pub const SIZE: &str = "size";
pub const WIDTH: &str = "width";
pub const HEIGHT: &str = "height";

pub async fn create_upload(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let media = app.media().ok_or_else(|| {
        tracing::info!("image uploads need MEDIA_BUCKET and MEDIA_URL");
        ApiError::NotFound
    })?;
    let mut fields = request.json_fields(&[CONTENT_TYPE, SIZE, WIDTH, HEIGHT])?;
    let accepted = || {
        IMAGE_TYPES
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (content_type, extension) = match fields.take(CONTENT_TYPE) {
        Some(Value::String(t)) => IMAGE_TYPES
            .iter()
            .find(|(known, _)| *known == t)
            .copied()
            .ok_or_else(|| {
                FieldError::new(CONTENT_TYPE, format!("must be one of {}", accepted()))
            })?,
        _ => {
            return Err(FieldError::new(
                CONTENT_TYPE,
                format!("is required: one of {}", accepted()),
            )
            .into());
        }
    };
    let size = fields
        .take(SIZE)
        .and_then(|v| v.as_u64())
        .filter(|n| (1..=MAX_IMAGE_BYTES).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                SIZE,
                format!("is required: the file's size in bytes, 1 to {MAX_IMAGE_BYTES}"),
            )
        })?;
    let dimensions = declared(fields.take(WIDTH), fields.take(HEIGHT))?;
    let now = Utc::now();
    let grant = UploadGrant {
        key: format!(
            "{MEDIA_PREFIX}{}",
            upload_name(&random::token()?, dimensions, extension)
        ),
        content_type: content_type.to_string(),
        size,
        expires: now + chrono::Duration::seconds(UPLOAD_SECS),
    };
    let signed = media.sign_upload(&grant, now).await?;
    let headers: serde_json::Map<String, Value> = signed
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        &json!({
            "uploadUrl": signed.upload_url,
            "method": "PUT",
            "headers": headers,
            "url": signed.url,
            "key": grant.key,
            "expiresAt": folio_shared::domain::Timestamp::from_utc(grant.expires),
        }),
    ))
}

/// The image's dimensions, when the uploader declares them (both or neither):
/// they go into its name, so pages lay it out and pick its smaller copies
/// without a lookup, and the copies' maker holds the file to them. Too large is
/// refused here, before a byte is sent.
fn declared(width: Option<Value>, height: Option<Value>) -> Result<Option<Dimensions>, ApiError> {
    let side = |name: &'static str, value: Option<Value>| -> Result<Option<u32>, ApiError> {
        match value {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=crate::support::images::MAX_SIDE).contains(n))
                .map(Some)
                .ok_or_else(|| {
                    FieldError::new(
                        name,
                        format!(
                            "must be the image's {name} in pixels, 1 to {}",
                            crate::support::images::MAX_SIDE
                        ),
                    )
                    .into()
                }),
        }
    };
    match (side(WIDTH, width)?, side(HEIGHT, height)?) {
        (None, None) => Ok(None),
        (Some(width), Some(height)) => {
            let dimensions = Dimensions { width, height };
            match dimensions.refusal() {
                Some(why) => Err(FieldError::new(WIDTH, why).into()),
                None => Ok(Some(dimensions)),
            }
        }
        (Some(_), None) => Err(FieldError::new(HEIGHT, "is required with width").into()),
        (None, Some(_)) => Err(FieldError::new(WIDTH, "is required with height").into()),
    }
}
