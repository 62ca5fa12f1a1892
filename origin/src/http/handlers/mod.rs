//! One handler per operation; `handle` maps each route of the table to its handler.

mod analytics;
mod auth;
mod console;
pub mod content;
pub mod feeds;
pub mod media;
mod meta;
pub mod preview;
pub mod redirects;
pub mod render;
pub mod revisions;
pub mod search;
mod shares;
mod token_links;

use folio_shared::domain::{BlogPost, Certification, ContentKind, ItemId, Project};
use folio_shared::routes::{Matched, RouteId, decode_param};
use folio_shared::{ApiError, ApiResponse};

use crate::http::caller::Caller;
use crate::http::request::Request;
use crate::usecases::app::App;

/// Runs `$body` with `$t` bound to the content type of `$kind`.
macro_rules! with_kind {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind {
            ContentKind::Blog => {
                type $t = BlogPost;
                $body
            }
            ContentKind::Project => {
                type $t = Project;
                $body
            }
            ContentKind::Certification => {
                type $t = Certification;
                $body
            }
        }
    };
}

/// The item id of an item route. A malformed id names nothing: 404.
fn item_id(matched: &Matched<'_>) -> Result<ItemId, ApiError> {
    matched
        .first_param()
        .and_then(|v| ItemId::parse("id", v).ok())
        .ok_or(ApiError::NotFound)
}

pub async fn handle(
    app: &App,
    route: RouteId,
    matched: &Matched<'_>,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    use RouteId::*;
    match route {
        Login => auth::login(app, request).await,
        Refresh => auth::refresh(app, request).await,
        Logout => auth::logout(app, caller).await,
        ChangePassword => auth::change_password(app, request, caller).await,
        Me => auth::me(caller),
        List(kind) => with_kind!(kind, T => content::list::<T>(app, request, caller).await),
        Create(kind) => with_kind!(kind, T => content::create::<T>(app, request).await),
        Get(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => content::get::<T>(app, &id, caller).await)
        }
        Update(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => content::update::<T>(app, &id, request, caller).await)
        }
        Delete(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => content::delete::<T>(app, &id, caller).await)
        }
        Publish(kind) | Unpublish(kind) => {
            let id = item_id(matched)?;
            let publish = matches!(route, Publish(_));
            with_kind!(kind, T => content::set_status::<T>(app, &id, publish, caller).await)
        }
        CreatePreview(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => preview::create::<T>(app, &id, request).await)
        }
        ListPreviews(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => preview::list::<T>(app, &id).await)
        }
        RevokePreviewLink(kind) => {
            let id = item_id(matched)?;
            let link = matched.param("linkId").unwrap_or("");
            with_kind!(kind, T => preview::revoke_link::<T>(app, &id, link).await)
        }
        ListRevisions(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => revisions::list::<T>(app, &id).await)
        }
        GetRevision(kind) => {
            let id = item_id(matched)?;
            let version = revisions::version(matched.param("version"))?;
            with_kind!(kind, T => revisions::get::<T>(app, &id, version).await)
        }
        RestoreRevision(kind) => {
            let id = item_id(matched)?;
            let version = revisions::version(matched.param("version"))?;
            with_kind!(kind, T => revisions::restore::<T>(app, &id, version, caller).await)
        }
        ListTrash => revisions::trash(app).await,
        RestoreDeleted => {
            let kind = analytics::kind_param(matched)?;
            let id = matched
                .param("contentId")
                .and_then(|v| ItemId::parse("contentId", v).ok())
                .ok_or(ApiError::NotFound)?;
            with_kind!(kind, T => revisions::undelete::<T>(app, &id).await)
        }
        CreateUpload => media::create_upload(app, request).await,
        ListRedirects => redirects::list(app).await,
        PutRedirect => redirects::put(app, request).await,
        DeleteRedirect => redirects::delete(app, matched.param("redirectId").unwrap_or("")).await,
        WebhookDeliveries => {
            let deliveries = crate::usecases::webhooks::recent(app.store.as_ref()).await?;
            let hooks = app.webhooks.as_ref().map_or(&[][..], |h| h.urls());
            Ok(ApiResponse::json(
                http::StatusCode::OK,
                &serde_json::json!({ "urls": hooks, "deliveries": deliveries }),
            ))
        }
        RenderMarkdown => render::render(app, request).await,
        GetPreview => preview::read(app, matched.param("previewToken").unwrap_or("")).await,
        RevokePreview => preview::revoke(app, matched.param("previewToken").unwrap_or("")).await,
        Schedule(kind) => {
            let id = item_id(matched)?;
            with_kind!(kind, T => content::schedule::<T>(app, &id, request, caller).await)
        }
        GetBlogPostBySlug => {
            let slug = matched
                .param("slug")
                .and_then(decode_param)
                .ok_or(ApiError::NotFound)?;
            content::get_by_slug(app, &slug, caller).await
        }
        ListBlogCategories => content::categories(app).await,
        BlogFeed(format) => feeds::feed(app, format).await,
        Sitemap => feeds::sitemap(app).await,
        Search => search::search(app, request, caller).await,
        TrackVisit => analytics::track_visit(app, request).await,
        VisitorCount => analytics::visitor_count(app).await,
        DailyVisitorTrends => analytics::daily_trends(app, request).await,
        VisitorAudience => analytics::audience(app, request).await,
        MonthlyVisitorTrends => analytics::monthly_trends(app, request).await,
        LiveVisitors => analytics::live_visitors(app).await,
        CreateAudienceShare => shares::create(app).await,
        ListAudienceShares => shares::list(app).await,
        RevokeAudienceShare => shares::revoke(app, matched.param("linkId").unwrap_or("")).await,
        SharedAudience => {
            shares::audience(app, matched.param("shareToken").unwrap_or(""), request).await
        }
        TrackView => analytics::track_view(app, request).await,
        TrackEngagement => analytics::track_engagement(app, request).await,
        TrackerScript(version) => Ok(analytics::tracker_script(version)),
        ContentViews => {
            let kind = analytics::kind_param(matched)?;
            let id = matched
                .param("contentId")
                .and_then(|v| ItemId::parse("contentId", v).ok())
                .ok_or(ApiError::NotFound)?;
            analytics::content_views(app, kind, &id, caller).await
        }
        ContentTypeViews => {
            analytics::content_type_views(app, analytics::kind_param(matched)?).await
        }
        TopContent => analytics::top_content(app, request).await,
        TotalViews => analytics::total_views(app).await,
        Health => meta::health(app).await,
        OpenApi => Ok(meta::openapi()),
        SiteRoot => Ok(console::root()),
        PreviewPage => Ok(preview::page(app, matched.param("previewToken").unwrap_or("")).await),
        ConsolePage => Ok(console::page(upload_origin(app).as_deref())),
        ConsoleRedirect => Ok(console::redirect()),
        ConsoleAsset => console::asset(
            upload_origin(app).as_deref(),
            matched.param("file").unwrap_or(""),
        ),
    }
}

/// Where the media store's upload URLs point, when not at the API itself.
fn upload_origin(app: &App) -> Option<String> {
    app.media().and_then(|media| media.upload_origin())
}
