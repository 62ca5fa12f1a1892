//! Preview links: the owner hands someone a link that reads one item (a draft,
//! usually) until it expires or is revoked. The link's token is the credential:
//! only its SHA-256 is stored, answers are never cached, and logs never show it.
//! Signing out everywhere and changing the password end every link created until
//! then (`keys::previews_valid_since`), as they end every session. The owner can
//! list an item's live links (by id: the first 16 hex digits of the token's hash,
//! never the token) and revoke any of them.

use chrono::{DateTime, Duration, Utc};
use folio_shared::digest::sha256_hex;
use folio_shared::domain::{
    BlogPost, Certification, Content, ContentKind, ItemId, Project, Timestamp,
};
use folio_shared::routes::{PREVIEW_PAGE_PREFIX, PREVIEW_PREFIX};
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::{HeaderName, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::http::handlers::content::representation;
use crate::http::handlers::token_links;
use crate::http::request::Request;
use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Query, Write};
use crate::repo::content as repo;
use crate::support::markup::xml;
use crate::support::random;
use crate::usecases::app::App;

/// How long a link lives unless the owner says otherwise, and at most.
pub const DEFAULT_PREVIEW_HOURS: u64 = 72;
pub const MAX_PREVIEW_HOURS: u64 = 720;
/// The body field naming a link's lifetime.
pub const EXPIRES_IN_HOURS: &str = "expiresInHours";
/// The most links an item's list shows (the newest).
const MAX_LISTED: usize = 100;

/// What a preview row points at.
#[derive(Serialize, Deserialize)]
struct Target {
    kind: ContentKind,
    id: String,
}

fn expires_in_hours(request: &Request) -> Result<u64, ApiError> {
    let mut fields = request.json_fields(&[EXPIRES_IN_HOURS])?;
    match fields.take(EXPIRES_IN_HOURS) {
        None => Ok(DEFAULT_PREVIEW_HOURS),
        Some(value) => value
            .as_u64()
            .filter(|h| (1..=MAX_PREVIEW_HOURS).contains(h))
            .ok_or_else(|| {
                FieldError::new(
                    EXPIRES_IN_HOURS,
                    format!("must be an integer from 1 to {MAX_PREVIEW_HOURS}"),
                )
                .into()
            }),
    }
}

pub async fn create<T: Content>(
    app: &App,
    id: &ItemId,
    request: &Request,
) -> Result<ApiResponse, ApiError> {
    let hours = expires_in_hours(request)?;
    repo::get::<T>(app.store.as_ref(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let expires = Utc::now() + Duration::hours(i64::try_from(hours).unwrap_or(1));
    let target = Target {
        kind: T::KIND,
        id: id.to_string(),
    };
    // Listed under the item.
    let link = token_links::new_link(
        keys::preview,
        entity::PREVIEW,
        keys::previews_of(T::KIND, id),
    )?;
    let token = link.token;
    let row = Item {
        data: Some(serde_json::to_string(&target).map_err(|e| ApiError::Internal(e.to_string()))?),
        // The store stops returning the row at this second; DynamoDB's TTL deletes it later.
        expires_at: Some(expires.timestamp()),
        ..link.row
    };
    app.store
        .transact(vec![Write::Put {
            item: row,
            condition: Condition::NotExists,
        }])
        .await?;
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        &json!({
            "token": token,
            "path": format!("{PREVIEW_PREFIX}{token}"),
            "pagePath": format!("{PREVIEW_PAGE_PREFIX}{token}"),
            "expiresAt": Timestamp::from_utc(expires),
            "contentType": T::KIND,
            "contentId": id,
            "id": link.id,
        }),
    ))
}

/// When the owner last ended every link (signing out everywhere), in unix seconds.
async fn valid_since(app: &App) -> Result<i64, ApiError> {
    Ok(app
        .store
        .get(&keys::previews_valid_since())
        .await?
        .map_or(i64::MIN, |row| row.count))
}

fn created_secs(row: &Item) -> i64 {
    row.created_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp())
}

/// An item's live links, newest first: not expired (the store leaves those out)
/// and not ended by a sign-out everywhere.
async fn live_links<T: Content>(app: &App, id: &ItemId) -> Result<Vec<Item>, ApiError> {
    repo::get::<T>(app.store.as_ref(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let since = valid_since(app).await?;
    let rows = app
        .store
        .query(&Query::gsi1(keys::previews_of(T::KIND, id)).first(MAX_LISTED))
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| created_secs(row) > since && token_links::link_id(row).is_some())
        .collect())
}

pub async fn list<T: Content>(app: &App, id: &ItemId) -> Result<ApiResponse, ApiError> {
    let links: Vec<serde_json::Value> = live_links::<T>(app, id)
        .await?
        .iter()
        .map(|row| {
            json!({
                "id": token_links::link_id(row),
                "createdAt": row.created_at,
                "expiresAt": row.expires_at.and_then(|t| DateTime::from_timestamp(t, 0)).map(Timestamp::from_utc),
            })
        })
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "links": links }),
    ))
}

pub async fn revoke_link<T: Content>(
    app: &App,
    id: &ItemId,
    link: &str,
) -> Result<ApiResponse, ApiError> {
    if !token_links::is_link_id(link) {
        return Err(ApiError::NotFound);
    }
    let row = live_links::<T>(app, id)
        .await?
        .into_iter()
        .find(|row| token_links::link_id(row) == Some(link))
        .ok_or(ApiError::NotFound)?;
    token_links::delete(app, &row).await
}

/// The preview row a token names, if it is live: not expired, not revoked, and
/// created after the owner last signed out everywhere.
async fn find(app: &App, token: &str) -> Result<Item, ApiError> {
    if !random::is_token_shaped(token) {
        return Err(ApiError::NotFound);
    }
    let link_key = keys::preview(&sha256_hex(token.as_bytes()));
    let since_key = keys::previews_valid_since();
    let (link, since) = tokio::join!(app.store.get(&link_key), app.store.get(&since_key));
    let link = link?.ok_or(ApiError::NotFound)?;
    if since?.is_some_and(|since| created_secs(&link) <= since.count) {
        return Err(ApiError::NotFound);
    }
    Ok(link)
}

async fn item_json<T: Content>(app: &App, id: &ItemId) -> Result<serde_json::Value, ApiError> {
    let stored = repo::get::<T>(app.store.as_ref(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    serde_json::to_value(representation(app, &stored.item).await)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// What a live link opens: the item's kind, its representation (drafts included,
/// with its HTML) and when the link expires.
async fn open(
    app: &App,
    token: &str,
) -> Result<(ContentKind, serde_json::Value, Option<Timestamp>), ApiError> {
    let row = find(app, token).await?;
    let target: Target = row
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .ok_or_else(|| ApiError::Internal("unreadable preview row".into()))?;
    let id = ItemId::parse("id", &target.id).map_err(|_| ApiError::NotFound)?;
    // A deleted item takes its links with it.
    let item = match target.kind {
        ContentKind::Blog => item_json::<BlogPost>(app, &id).await?,
        ContentKind::Project => item_json::<Project>(app, &id).await?,
        ContentKind::Certification => item_json::<Certification>(app, &id).await?,
    };
    let expires_at = row
        .expires_at
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .map(Timestamp::from_utc);
    Ok((target.kind, item, expires_at))
}

pub async fn read(app: &App, token: &str) -> Result<ApiResponse, ApiError> {
    let (kind, item, expires_at) = open(app, token).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "contentType": kind, "expiresAt": expires_at, "item": item }),
    )
    // A draft must not turn up in a search engine through a shared link.
    .header(HeaderName::from_static("x-robots-tag"), "noindex, nofollow"))
}

/// The page's own policy: no script at all; its one stylesheet inline; images
/// from anywhere over HTTPS (a cover may live on another host) or this origin.
const PAGE_CSP: &str = "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn html_page(status: StatusCode, title: &str, body: &str) -> ApiResponse {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex, nofollow\"><link rel=\"icon\" href=\"data:,\"><title>{}</title>\
<style>body{{font:17px/1.6 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#1d1d1f}}\
.banner{{background:#fff4d6;border:1px solid #e0b84a;padding:.6rem .8rem;border-radius:.4rem}}\
img{{max-width:100%;height:auto}}pre{{overflow-x:auto;background:#f4f4f5;padding:.8rem}}</style></head>\
<body>{body}</body></html>\n",
        xml(title)
    );
    let mut response = ApiResponse::empty(status);
    response.body = page.into_bytes().into();
    response.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static(PAGE_CSP),
    );
    response.header(HeaderName::from_static("x-robots-tag"), "noindex, nofollow")
}

/// A preview link opened by a person: the item as a page, with a banner saying it
/// is a preview; a link that opens nothing is a page saying so (404).
pub async fn page(app: &App, token: &str) -> ApiResponse {
    let (kind, item, expires_at) = match open(app, token).await {
        Ok(opened) => opened,
        Err(ApiError::NotFound) => {
            return html_page(
                StatusCode::NOT_FOUND,
                "Preview not available",
                "<h1>This preview is not available</h1><p>The link has expired or was revoked, \
or the item was deleted. Ask for a new link.</p>",
            );
        }
        Err(_) => {
            return html_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Preview unavailable",
                "<h1>The preview cannot be shown right now</h1><p>Try again in a moment.</p>",
            );
        }
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let title = [text("title"), text("name")]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or("Preview");
    let cover = [text("coverImage"), text("imageUrl")]
        .into_iter()
        .find(|u| u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'));
    // The item's rendered Markdown, sanitised by the renderer; else its plain text.
    let html = item
        .as_object()
        .and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.ends_with("Html"))
                .and_then(|(_, v)| v.as_str().map(String::from))
        })
        .unwrap_or_else(|| format!("<p>{}</p>", xml(text("description"))));
    let until = expires_at
        .map(|t| format!(" This link works until {} (UTC).", xml(t.as_str())))
        .unwrap_or_default();
    let body = format!(
        "<p class=\"banner\" role=\"note\"><strong>Preview, not published.</strong> \
You are reading a {kind} before it is public; please do not share this link.{until}</p>\
<h1>{}</h1>{}<article>{html}</article>",
        xml(title),
        cover
            .map(|src| format!("<p><img src=\"{}\" alt=\"\"></p>", xml(src)))
            .unwrap_or_default(),
    );
    html_page(StatusCode::OK, title, &body)
}

pub async fn revoke(app: &App, token: &str) -> Result<ApiResponse, ApiError> {
    let row = find(app, token).await?;
    token_links::delete(app, &row).await
}
