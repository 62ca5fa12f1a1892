//! Visitor and view tracking, counts and trends.

use folio_shared::domain::FieldError;
use folio_shared::domain::Fields;
use folio_shared::domain::query::{
    AUDIENCE_FILTER, DAYS, MONTHS, PERIOD_DAYS, PERIOD_OFFSET, TOP_LIMIT,
};
use folio_shared::domain::{ContentKind, ItemId, Status, today_utc};
use folio_shared::metrics;
use folio_shared::routes::{Matched, TrackerVersion};
use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::http::caller::{Caller, is_owner};
use crate::http::request::Request;
use crate::ports::keys;
use crate::repo::content as content_repo;
use crate::usecases::app::App;
use crate::usecases::audience::{self, Dimension, VisitContext};
use crate::usecases::readership::{self, Engagement, Readership};
use crate::usecases::tracking::{self, ItemEvent, Outcome, VisitToken};

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
        let fields = request.beacon_fields(&["referrer", "url"])?;
        visit.referrer = fields.text("referrer", 0, audience::MAX_URL_CHARS)?;
        visit.url = fields.text("url", 0, audience::MAX_URL_CHARS)?;
    }
    Ok(visit)
}

pub async fn track_visit(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let visit = visit_context(request)?;
    let tracked = app
        .tracker
        .track_visit(
            app.store.as_ref(),
            today_utc(),
            &request.client_address,
            request.user_agent(),
            &visit,
        )
        .await?;
    let counted = tracked.outcome == Outcome::Counted;
    if counted {
        metrics::count("VisitsTracked", &[("Function", "origin")]);
    }
    let count = app.tracker.recent_visitor_count(app.store.as_ref()).await?;
    let mut answer = json!({ "count": count, "tracked": counted });
    if let Some(visit) = tracked.visit {
        answer[VISIT_TOKEN] = visit.as_str().into();
    }
    Ok(ApiResponse::json(StatusCode::OK, &answer))
}

/// The field of a visit's answer that holds its `VisitToken`, and of a view's
/// and an engagement's body that sends it back (tracker 4.js).
pub const VISIT_TOKEN: &str = "visit";

/// The `VisitToken` a view or an engagement sent back, if any.
fn visit_token(fields: &Fields) -> Result<Option<VisitToken>, ApiError> {
    if !fields.has(VISIT_TOKEN) {
        return Ok(None);
    }
    // Exactly as sent: a token is not text to tidy.
    let text = fields.required_secret(VISIT_TOKEN)?;
    Ok(Some(VisitToken::parse(&text).map_err(|e| {
        ApiError::from(FieldError::new(VISIT_TOKEN, e.to_string()))
    })?))
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

/// The audience's narrowing (`q`): a JSON object of a table's name to one of its
/// values, for the tables a narrowing may name.
fn narrowing(request: &Request) -> Result<audience::Narrowing, ApiError> {
    let Some(text) = request
        .query
        .iter()
        .find(|(name, _)| name == AUDIENCE_FILTER.name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
    else {
        return Ok(Vec::new());
    };
    let refuse = |why: String| ApiError::from(FieldError::new(AUDIENCE_FILTER.name, why));
    let object: Map<String, Value> = serde_json::from_str(text).map_err(|_| {
        refuse(
            "must be a JSON object of table names to values, e.g. {\"sources\":\"LinkedIn\"}"
                .into(),
        )
    })?;
    object
        .into_iter()
        .map(|(field, value)| {
            let dimension = Dimension::ALL
                .into_iter()
                .find(|d| d.field() == field && audience::narrows_by(*d))
                .ok_or_else(|| refuse(format!("cannot narrow by `{field}`")))?;
            match value {
                Value::String(v)
                    if !v.is_empty() && v.chars().count() <= audience::MAX_VALUE_CHARS =>
                {
                    Ok((dimension, v))
                }
                _ => Err(refuse(format!(
                    "`{field}` must be a value of its table (text of 1 to {} characters)",
                    audience::MAX_VALUE_CHARS
                ))),
            }
        })
        .collect()
}

/// How many items the audience's content table lists.
const CONTENT_ROWS: usize = 50;

/// Where the visits of `days` days (ending `offset` days before today) came
/// from and on what (one table per dimension, most visitors first), what they
/// read, and the period's totals beside those of the `days` days before it.
pub async fn audience(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let body = audience_body(app, request).await?;
    Ok(ApiResponse::json(StatusCode::OK, &Value::Object(body)))
}

/// The audience's answer, for the owner's route and a share link's.
pub async fn audience_body(app: &App, request: &Request) -> Result<Map<String, Value>, ApiError> {
    let days = PERIOD_DAYS.int(&request.query)? as i64;
    let offset = PERIOD_OFFSET.int(&request.query)? as i64;
    let last = today_utc() - chrono::Duration::days(offset);
    let first = last - chrono::Duration::days(days - 1);
    let (earlier_first, earlier_last) = (
        first - chrono::Duration::days(days),
        first - chrono::Duration::days(1),
    );
    let narrowing = narrowing(request)?;
    let store = app.store.as_ref();
    // Narrowed, the reading is the narrowed visits'; else every view's.
    let (tables, narrowed, reading, earlier_reading) = if narrowing.is_empty() {
        let (tables, [reading, earlier_reading]) = tokio::try_join!(
            tracking::audience_between(store, first, last),
            tracking::readership_in(store, [(first, last), (earlier_first, earlier_last)])
        )?;
        (tables, None, reading, earlier_reading)
    } else {
        let narrowed = tracking::audience_narrowed(
            store,
            (first, last),
            (earlier_first, earlier_last),
            &narrowing,
        )
        .await?;
        let within = narrowed.within;
        let counts = (
            within.visitors,
            narrowed.visitors_before,
            within.not_broken_down,
        );
        (
            within.tables,
            Some(counts),
            narrowed.reading,
            narrowed.reading_before,
        )
    };
    // Narrowed, the visitors are the profiles'; else the days' counters.
    let visits = match narrowed {
        Some(_) => Vec::new(),
        None => tracking::visits_per_day(store, earlier_first, last).await?,
    };
    let visitors_between = |from, to| -> i64 {
        visits
            .iter()
            .filter(|(day, _)| (from..=to).contains(day))
            .map(|(_, n)| n)
            .sum()
    };
    let totals = |visitors: i64, reading: &Readership| {
        json!({ "visitors": visitors, "views": reading.views(), "reads": reading.reads(),
                "medianSeconds": reading.median_seconds() })
    };
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
    let mut content: Vec<_> = reading
        .items
        .iter()
        .filter(|(_, item)| item.views > 0 || item.reads > 0)
        .collect();
    content.sort_by(|a, b| {
        (b.1.views, b.1.reads)
            .cmp(&(a.1.views, a.1.reads))
            .then_with(|| a.0.cmp(b.0))
    });
    let content: Vec<Value> = content
        .into_iter()
        .take(CONTENT_ROWS)
        .map(|((kind, id), item)| {
            json!({ "contentType": kind, "contentId": id, "views": item.views,
                    "reads": item.reads, "medianSeconds": item.median_seconds() })
        })
        .collect();
    let mut body = Map::new();
    body.insert("from".into(), json!(first.to_string()));
    body.insert("to".into(), json!(last.to_string()));
    let (visitors, visitors_before) = match narrowed {
        Some((within, before, not_broken_down)) => {
            body.insert(
                "filter".into(),
                narrowing
                    .iter()
                    .map(|(d, v)| (d.field().to_string(), json!(v)))
                    .collect(),
            );
            body.insert("notBrokenDown".into(), json!(not_broken_down));
            (within, before)
        }
        None => (
            visitors_between(first, last),
            visitors_between(earlier_first, earlier_last),
        ),
    };
    body.insert("totals".into(), totals(visitors, &reading));
    body.insert(
        "previous".into(),
        json!({ "from": earlier_first.to_string(), "to": earlier_last.to_string(),
                "totals": totals(visitors_before, &earlier_reading) }),
    );
    body.insert("content".into(), Value::Array(content));
    for dimension in Dimension::ALL {
        body.insert(dimension.field().into(), Value::Array(rows(dimension)));
    }
    Ok(body)
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

/// The item a view or an engagement beacon is about.
fn tracked_item(fields: &Fields) -> Result<(ContentKind, ItemId), ApiError> {
    let kind = ContentKind::parse(&fields.required_text("contentType", 1, 20)?)?;
    let id = ItemId::parse(
        "contentId",
        &fields.required_text("contentId", 1, ItemId::MAX_LEN)?,
    )?;
    Ok((kind, id))
}

/// Counts a view or a beacon. Every answer about a non-public item is the same
/// 404: a visitor who viewed a post before it was unpublished learns nothing more
/// than others.
async fn count_item(
    app: &App,
    request: &Request,
    kind: ContentKind,
    id: &ItemId,
    event: ItemEvent,
    visit: Option<&VisitToken>,
) -> Result<bool, ApiError> {
    let outcome = app
        .tracker
        .track_item(
            app.store.as_ref(),
            today_utc(),
            &request.client_address,
            request.user_agent(),
            kind,
            id,
            event,
            visit,
        )
        .await?;
    if outcome != Outcome::Counted {
        published_or_404(app, kind, id, &None).await?;
    }
    Ok(outcome == Outcome::Counted)
}

pub async fn track_view(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.beacon_fields(&["contentId", "contentType", VISIT_TOKEN])?;
    let (kind, id) = tracked_item(&fields)?;
    let visit = visit_token(&fields)?;
    let tracked = count_item(app, request, kind, &id, ItemEvent::View, visit.as_ref()).await?;
    if tracked {
        metrics::count(
            "ViewsTracked",
            &[("Function", "origin"), ("ContentType", kind.as_str())],
        );
    }
    let views = app
        .tracker
        .recent_views_of(app.store.as_ref(), kind, &id)
        .await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "views": views, "tracked": tracked }),
    ))
}

/// A view's one engagement beacon (`navigator.sendBeacon` when the page is hidden):
/// how long the page was visible and how far it was scrolled.
pub async fn track_engagement(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.beacon_fields(&[
        "contentId",
        "contentType",
        ENGAGEMENT_SECONDS,
        ENGAGEMENT_SCROLLED,
        VISIT_TOKEN,
    ])?;
    let (kind, id) = tracked_item(&fields)?;
    let visit = visit_token(&fields)?;
    let engagement = Engagement {
        seconds: fields.required_whole(
            ENGAGEMENT_SECONDS,
            readership::MAX_SECONDS.into(),
            "the seconds the page was visible",
        )? as u32,
        scrolled_percent: fields.required_whole(
            ENGAGEMENT_SCROLLED,
            100,
            "how far down the page was scrolled, in percent",
        )? as u32,
    };
    let tracked = count_item(
        app,
        request,
        kind,
        &id,
        ItemEvent::Engagement(engagement),
        visit.as_ref(),
    )
    .await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "tracked": tracked, "read": tracked && engagement.is_read() }),
    ))
}

pub const ENGAGEMENT_SECONDS: &str = "seconds";
pub const ENGAGEMENT_SCROLLED: &str = "scrolled";

pub async fn live_visitors(app: &App) -> Result<ApiResponse, ApiError> {
    let visitors = tracking::live_visitors(app.store.as_ref(), chrono::Utc::now()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "visitors": visitors, "windowSeconds": tracking::LIVE_SECS }),
    ))
}

/// A tracking script (`origin/tracker/<n>.js`): its bytes never change at its path.
pub fn tracker_script(version: TrackerVersion) -> ApiResponse {
    let mut response = ApiResponse::empty(StatusCode::OK);
    response.body = bytes::Bytes::from_static(tracker_source(version).as_bytes());
    response.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    response
}

pub fn tracker_source(version: TrackerVersion) -> &'static str {
    match version {
        TrackerVersion::One => include_str!("../../../tracker/1.js"),
        TrackerVersion::Two => include_str!("../../../tracker/2.js"),
        TrackerVersion::Three => include_str!("../../../tracker/3.js"),
        TrackerVersion::Four => include_str!("../../../tracker/4.js"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `/v1/tracker/<n>.js` is cached for a year by browsers and CloudFront, so
    /// a script's bytes may never change: a change belongs in a new script at a
    /// new path (`/v1/tracker/5.js`), with the old ones kept for the pages that
    /// still load them.
    #[test]
    fn the_tracker_scripts_bytes_never_change_at_their_paths() {
        for (version, sha256) in [
            (
                TrackerVersion::One,
                "af0716e6fb7e22bab122ba1842cec9f7e0a77fdb59d628b82d5afe979c6e541b",
            ),
            (
                TrackerVersion::Two,
                "8339a5994c4ac23c072c08d5c39f59275a685cc636d95493c5bf51b9599a76ae",
            ),
            (
                TrackerVersion::Three,
                "32cbff59c15ad56b20b09e9c6fd2196c1f58d66f0fc14459b10f9a653fc48803",
            ),
            (
                TrackerVersion::Four,
                "fcf7510c605ad67b5dd42778003819223c4d4112d7e76182b4e4e1d2c171f7f4",
            ),
        ] {
            let source = tracker_source(version);
            let digest = ring::digest::digest(&ring::digest::SHA256, source.as_bytes());
            let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                hex, sha256,
                "tracker {version:?} changed: publish the change as a new script at a new path instead"
            );
            let served = tracker_script(version);
            assert_eq!(served.body, source.as_bytes());
            assert_eq!(
                served.headers[http::header::CONTENT_TYPE],
                "text/javascript; charset=utf-8"
            );
        }
    }
}
