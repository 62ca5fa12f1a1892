//! Visitor and view tracking, counts and trends.

use folio_shared::domain::query::{DAYS, MONTHS, TOP_LIMIT};
use folio_shared::domain::{ContentKind, ItemId, Status, today_utc};
use folio_shared::metrics;
use folio_shared::routes::Matched;
use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::http::caller::{Caller, is_owner};
use crate::http::request::Request;
use crate::ports::keys;
use crate::repo::content as content_repo;
use crate::usecases::app::App;
use crate::usecases::audience::{self, Dimension, VisitContext};
use crate::usecases::tracking::{self, Outcome};

pub fn kind_param(matched: &Matched<'_>) -> Result<ContentKind, ApiError> {
    Ok(ContentKind::parse(
        matched.param("contentType").unwrap_or(""),
    )?)
}

/// A visit may say where it came from (`referrer`, the landing page's `url`); the
/// endpoint takes no body too, as it always did.
fn visit_context(request: &Request) -> Result<VisitContext, ApiError> {
    let mut visit = VisitContext {
        country: request.header(audience::COUNTRY_HEADER).map(str::to_string),
        ..VisitContext::default()
    };
    if !request.body.iter().all(u8::is_ascii_whitespace) {
        let fields = request.json_fields(&["referrer", "url"])?;
        visit.referrer = fields.text("referrer", 0, audience::MAX_URL_CHARS)?;
        visit.url = fields.text("url", 0, audience::MAX_URL_CHARS)?;
    }
    Ok(visit)
}

pub async fn track_visit(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let visit = visit_context(request)?;
    let outcome = app
        .tracker
        .track_visit(
            app.store.as_ref(),
            today_utc(),
            &request.client_address,
            request.user_agent(),
            &visit,
        )
        .await?;
    if outcome == Outcome::Counted {
        metrics::count("VisitsTracked", &[("Function", "origin")]);
    }
    let count = tracking::visitor_count(app.store.as_ref()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "count": count, "tracked": outcome == Outcome::Counted }),
    ))
}

pub async fn visitor_count(app: &App) -> Result<ApiResponse, ApiError> {
    let count = tracking::visitor_count(app.store.as_ref()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "count": count }),
    ))
}

pub async fn daily_trends(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let days = DAYS.int(&request.query)?;
    let today = today_utc();
    let first = today - chrono::Duration::days(days as i64 - 1);
    let rows = tracking::visits_per_day(app.store.as_ref(), first, today).await?;
    let trends: Vec<Value> = rows
        .iter()
        .map(|(day, n)| json!({ "date": day.format("%b %d").to_string(), "visitors": n, "day": day.to_string() }))
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "trends": trends }),
    ))
}

/// Where the visits of the last `days` days came from and on what: one table per
/// dimension, most visitors first.
pub async fn audience(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let days = DAYS.int(&request.query)?;
    let today = today_utc();
    let first = today - chrono::Duration::days(days as i64 - 1);
    let tables = tracking::audience_between(app.store.as_ref(), first, today).await?;
    let rows = |dimension: Dimension| -> Vec<Value> {
        tables
            .get(&dimension)
            .map(|table| {
                table
                    .iter()
                    .map(|(value, visitors)| match dimension {
                        Dimension::Referrer => {
                            let (source, page) = audience::source_and_page(value);
                            json!({ "source": source, "page": page, "visitors": visitors })
                        }
                        _ => json!({ "value": value, "visitors": visitors }),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut body = Map::new();
    body.insert("from".into(), json!(first.to_string()));
    body.insert("to".into(), json!(today.to_string()));
    for dimension in Dimension::ALL {
        body.insert(dimension.field().into(), Value::Array(rows(dimension)));
    }
    Ok(ApiResponse::json(StatusCode::OK, &Value::Object(body)))
}

pub async fn monthly_trends(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let months = MONTHS.int(&request.query)?;
    let rows = tracking::visits_per_month(app.store.as_ref(), today_utc(), months as u32).await?;
    let trends: Vec<Value> = rows
        .iter()
        .map(|(month, n)| {
            json!({ "month": month.format("%b").to_string(), "visitors": n, "yearMonth": month.format("%Y-%m").to_string() })
        })
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "trends": trends }),
    ))
}

pub async fn track_view(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&["contentId", "contentType"])?;
    let kind = ContentKind::parse(&fields.required_text("contentType", 1, 20)?)?;
    let id = ItemId::parse("contentId", &fields.required_text("contentId", 1, 64)?)?;
    let outcome = app
        .tracker
        .track_view(
            app.store.as_ref(),
            today_utc(),
            &request.client_address,
            request.user_agent(),
            kind,
            &id,
        )
        .await?;
    if outcome == Outcome::Counted {
        metrics::count(
            "ViewsTracked",
            &[("Function", "origin"), ("ContentType", kind.as_str())],
        );
    }
    if outcome != Outcome::Counted {
        // Every answer about a non-public item is the same 404: a visitor who
        // viewed a post before it was unpublished learns nothing more than others.
        published_or_404(app, kind, &id, &None).await?;
    }
    let views = tracking::views_of(app.store.as_ref(), kind, &id).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "views": views, "tracked": outcome == Outcome::Counted }),
    ))
}

/// One GetItem, without the item's data: the item exists and is published (or the caller is the owner).
async fn published_or_404(
    app: &App,
    kind: ContentKind,
    id: &ItemId,
    caller: &Caller,
) -> Result<(), ApiError> {
    let head = content_repo::head(app.store.as_ref(), &keys::content(kind, id)).await?;
    let published = Some(Status::Published.as_str());
    match head {
        Some(head) if head.status.as_deref() == published || is_owner(caller) => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

pub async fn content_views(
    app: &App,
    kind: ContentKind,
    id: &ItemId,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    published_or_404(app, kind, id, caller).await?;
    let views = tracking::views_of(app.store.as_ref(), kind, id).await?;
    let body = json!({ "contentId": id, "contentType": kind, "views": views });
    Ok(ApiResponse::json(StatusCode::OK, &body))
}

/// Views of every existing item of a kind (0 for items never viewed).
async fn stats(app: &App, kind: ContentKind) -> Result<Vec<(String, i64)>, ApiError> {
    let views = tracking::views_by_item(app.store.as_ref(), kind).await?;
    let ids = content_repo::ids(app.store.as_ref(), kind).await?;
    Ok(ids
        .into_iter()
        .map(|(id, _)| {
            let n = views.get(&id).copied().unwrap_or(0);
            (id, n)
        })
        .collect())
}

pub async fn content_type_views(app: &App, kind: ContentKind) -> Result<ApiResponse, ApiError> {
    let stats: Map<String, Value> = stats(app, kind)
        .await?
        .into_iter()
        .map(|(id, n)| (id, json!(n)))
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "contentType": kind, "stats": stats }),
    ))
}

pub async fn top_content(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let limit = TOP_LIMIT.int(&request.query)?;
    let mut body = json!({});
    for (kind, field) in [
        (ContentKind::Blog, "blogs"),
        (ContentKind::Project, "projects"),
        (ContentKind::Certification, "certifications"),
    ] {
        let mut rows = stats(app, kind).await?;
        rows.retain(|(_, n)| *n > 0);
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let top: Vec<Value> = rows
            .into_iter()
            .take(limit)
            .map(|(id, n)| json!({ "contentId": id, "views": n }))
            .collect();
        body[field] = Value::Array(top);
    }
    Ok(ApiResponse::json(StatusCode::OK, &body))
}

pub async fn total_views(app: &App) -> Result<ApiResponse, ApiError> {
    let total = tracking::total_views(app.store.as_ref()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "totalViews": total }),
    ))
}
