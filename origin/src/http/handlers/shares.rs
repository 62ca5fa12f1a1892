//! Share links: a read-only, revocable link to the audience, for someone without
//! an account (a client, a manager). The token is the credential: only its
//! SHA-256 is stored, answers are never cached and are marked noindex, and logs
//! never show it (`loggable_path`). The owner lists links by id (the first 16
//! hex digits of the hash, never the token) and revokes any. A link lives until
//! it is revoked: unlike a preview link it is meant to outlast sessions, so
//! signing out everywhere does not end it.

use folio_shared::digest::sha256_hex;
use folio_shared::domain::{ContentKind, Status};
use folio_shared::routes::SHARED_PREFIX;
use folio_shared::{ApiError, ApiResponse};
use http::{HeaderName, StatusCode};
use serde_json::{Value, json};

use crate::http::handlers::analytics;
use crate::http::handlers::token_links;
use crate::http::request::Request;
use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Query, Write};
use crate::repo::content as repo;
use crate::support::random;
use crate::usecases::app::App;

/// The most links the owner may keep at once (and the list shows).
pub const MAX_SHARES: usize = 20;
/// The console's page that opens a link (the token stays in the fragment, which
/// no request carries).
const PAGE: &str = "/admin/#/shared/";

async fn links(app: &App) -> Result<Vec<Item>, ApiError> {
    let rows = app
        .store
        .query(&Query::gsi1(keys::AUDIENCE_SHARES).first(MAX_SHARES + 1))
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| token_links::link_id(row).is_some())
        .collect())
}

pub async fn create(app: &App) -> Result<ApiResponse, ApiError> {
    if links(app).await?.len() >= MAX_SHARES {
        return Err(ApiError::Conflict(format!(
            "At most {MAX_SHARES} share links at once: revoke one first"
        )));
    }
    let link = token_links::new_link(
        keys::audience_share,
        entity::AUDIENCE_SHARE,
        keys::AUDIENCE_SHARES.into(),
    )?;
    let token = link.token;
    app.store
        .transact(vec![Write::Put {
            item: link.row,
            condition: Condition::NotExists,
        }])
        .await?;
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        &json!({
            "token": token,
            "id": link.id,
            "createdAt": link.created,
            "path": format!("{SHARED_PREFIX}{token}/audience"),
            "pagePath": format!("{PAGE}{token}"),
        }),
    ))
}

pub async fn list(app: &App) -> Result<ApiResponse, ApiError> {
    let links: Vec<Value> = links(app)
        .await?
        .iter()
        .map(|row| json!({ "id": token_links::link_id(row), "createdAt": row.created_at }))
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "links": links }),
    ))
}

pub async fn revoke(app: &App, link: &str) -> Result<ApiResponse, ApiError> {
    if !token_links::is_link_id(link) {
        return Err(ApiError::NotFound);
    }
    let row = links(app)
        .await?
        .into_iter()
        .find(|row| token_links::link_id(row) == Some(link))
        .ok_or(ApiError::NotFound)?;
    token_links::delete(app, &row).await
}

/// The audience as the owner sees it, through a live link. What they read is
/// limited to what is published now: an item unpublished since, or a draft, is
/// nobody else's business.
pub async fn audience(app: &App, token: &str, request: &Request) -> Result<ApiResponse, ApiError> {
    if !random::is_token_shaped(token) {
        return Err(ApiError::NotFound);
    }
    app.store
        .get(&keys::audience_share(&sha256_hex(token.as_bytes())))
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut body = analytics::audience_body(app, request).await?;
    let mut published = std::collections::HashSet::new();
    for kind in ContentKind::ALL {
        for (id, status) in repo::ids(app.store.as_ref(), kind).await? {
            if status == Status::Published {
                published.insert((kind, id));
            }
        }
    }
    if let Some(Value::Array(content)) = body.get_mut("content") {
        content.retain(|row| {
            let kind = row["contentType"]
                .as_str()
                .and_then(|k| ContentKind::parse(k).ok());
            let id = row["contentId"].as_str().map(str::to_string);
            kind.zip(id).is_some_and(|pair| published.contains(&pair))
        });
    }
    Ok(ApiResponse::json(StatusCode::OK, &Value::Object(body))
        .header(HeaderName::from_static("x-robots-tag"), "noindex, nofollow"))
}
