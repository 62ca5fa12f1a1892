//! Blog posts, projects and certifications: one set of handlers for every kind.

use folio_shared::domain::{
    BlogPost, Content, Fields, ItemId, ListQuery, Meta, PUBLISH_AT, Status, Timestamp,
};
use folio_shared::{ApiError, ApiResponse, FieldError};
use http::{StatusCode, header};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;

use crate::http::caller::{Caller, author, is_owner, owner_only};
use crate::http::request::{Request, etag, etag_matches};
use crate::ports::Key;
use crate::ports::media::{Sources, sources};
use crate::repo::Stored;
use crate::repo::content::{self as repo, Listed};
use crate::usecases::app::App;
use crate::usecases::error::UseCaseError;
use crate::usecases::publishing::{self, change_status, replace_and_announce};

/// An item as readers get it: its stored fields, and the HTML of its Markdown.
#[derive(Serialize)]
pub struct Representation<'a, T> {
    #[serde(flatten)]
    item: &'a T,
    #[serde(flatten)]
    rendered: Rendered,
    #[serde(flatten)]
    image: ImageSources,
}

/// The added field with the item's picture's size and smaller copies, when it
/// is one of ours whose name declares its size (`ports::media::sources`).
struct ImageSources(Option<(&'static str, Sources)>);

impl ImageSources {
    fn of<T: Content>(app: &App, item: &T) -> Self {
        Self(item.image().and_then(|(name, url)| {
            sources(url, app.renderer.media_base()).map(|found| (name, found))
        }))
    }
}

impl Serialize for ImageSources {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(usize::from(self.0.is_some())))?;
        if let Some((name, sources)) = &self.0 {
            map.serialize_entry(name, sources)?;
        }
        map.end()
    }
}

/// The added HTML field, if the kind has one (a map of zero or one entry), its
/// value already a JSON string.
struct Rendered(Option<(&'static str, Arc<RawValue>)>);

impl Serialize for Rendered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(usize::from(self.0.is_some())))?;
        if let Some((name, html)) = &self.0 {
            map.serialize_entry(name, &**html)?;
        }
        map.end()
    }
}

pub async fn representation<'a, T: Content>(app: &App, item: &'a T) -> Representation<'a, T> {
    let rendered = match item.markdown() {
        Some((name, markdown)) => Some((name, app.renderer.render_json(markdown).await)),
        None => None,
    };
    Representation {
        item,
        rendered: Rendered(rendered),
        image: ImageSources::of(app, item),
    }
}

/// The representations of a page of items: what the render cache lacks is
/// rendered in one blocking task.
async fn representations<'a, T: Content>(app: &App, items: &[&'a T]) -> Vec<Representation<'a, T>> {
    let markdowns: Vec<&str> = items
        .iter()
        .filter_map(|item| item.markdown().map(|(_, markdown)| markdown))
        .collect();
    let mut html = app.renderer.render_many(&markdowns).await.into_iter();
    items
        .iter()
        .copied()
        .map(|item| Representation {
            item,
            rendered: Rendered(
                item.markdown()
                    .and_then(|(name, _)| html.next().map(|h| (name, h))),
            ),
            image: ImageSources::of(app, item),
        })
        .collect()
}

async fn item_response<T: Content>(app: &App, status: StatusCode, item: &T) -> ApiResponse {
    ApiResponse::json(status, &representation(app, item).await)
}

/// The JSON of a representation, to keep.
fn to_json<T: Serialize>(representation: &T) -> Result<Arc<RawValue>, ApiError> {
    serde_json::value::to_raw_value(representation)
        .map(Arc::from)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A stored item's representation: kept from an earlier answer at this
/// version, or made and kept.
async fn kept_representation<T: Content>(
    app: &App,
    stored: &Stored<T>,
) -> Result<Arc<RawValue>, ApiError> {
    let listed = Listed::of(stored);
    if let Some(json) = app.representations.get(&listed) {
        return Ok(json);
    }
    let json = to_json(&representation(app, &stored.item).await)?;
    app.representations.keep(listed, Arc::clone(&json));
    Ok(json)
}

/// The representations of a listed page, in its order: those kept are sent as
/// they are; the rest are read in one batch, made and kept. An item that left
/// the list since its row was read (deleted, or no longer in `status`) is left
/// out, as `repo::content::page` leaves it out.
async fn kept_representations<T: Content>(
    app: &App,
    listed: &[Listed],
    status: Status,
) -> Result<(Vec<Arc<RawValue>>, bool), ApiError> {
    let mut kept: Vec<Option<Arc<RawValue>>> =
        listed.iter().map(|l| app.representations.get(l)).collect();
    let missing: Vec<Key> = listed
        .iter()
        .zip(&kept)
        .filter(|(_, json)| json.is_none())
        .map(|(l, _)| l.key.clone())
        .collect();
    let all_kept = missing.is_empty();
    if !all_kept {
        let read = repo::get_many::<T>(app.store.as_ref(), &missing).await?;
        let still: Vec<&Stored<T>> = read
            .iter()
            .flatten()
            .filter(|stored| stored.item.status() == status)
            .collect();
        let items: Vec<&T> = still.iter().map(|stored| &stored.item).collect();
        let made = representations(app, &items).await;
        let mut by_key: HashMap<Key, Arc<RawValue>> = HashMap::with_capacity(made.len());
        for (stored, representation) in still.iter().zip(&made) {
            let listed = Listed::of(*stored);
            let json = to_json(representation)?;
            app.representations.keep(listed.clone(), Arc::clone(&json));
            by_key.insert(listed.key, json);
        }
        for (slot, l) in kept.iter_mut().zip(listed) {
            if slot.is_none() {
                *slot = by_key.remove(&l.key);
            }
        }
    }
    Ok((kept.into_iter().flatten().collect(), all_kept))
}

/// Loads an item; drafts exist only for the owner (the public gets 404, not 403).
async fn load_visible<T: Content>(
    app: &App,
    id: &ItemId,
    caller: &Caller,
) -> Result<Stored<T>, ApiError> {
    let stored = repo::get::<T>(app.store.as_ref(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if stored.item.status() != Status::Published && !is_owner(caller) {
        return Err(ApiError::NotFound);
    }
    Ok(stored)
}

pub async fn list<T: Content>(
    app: &App,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let query = ListQuery::parse(&request.query)?;
    if query.status.statuses() != [Status::Published] && !is_owner(caller) {
        return Err(owner_only(caller, "Only the owner may list drafts"));
    }
    let field = T::KIND.list_field();
    if let [status] = query.status.statuses()
        && let Some(page) =
            repo::first_page_listed(app.store.as_ref(), T::KIND, *status, &query).await?
    {
        let asked = (T::KIND, *status, query.limit);
        if let Some(kept) = app.pages.get(asked, &page.items, page.total) {
            let response = ApiResponse::json_bytes(StatusCode::OK, kept.body.clone());
            return Ok(response.header(header::ETAG, &kept.tag));
        }
        let (items, all_kept) = kept_representations::<T>(app, &page.items, *status).await?;
        // The items, a comma after each, and the page's few members around them.
        let size = items.iter().map(|item| item.get().len() + 1).sum::<usize>() + 128;
        let body = PageBody {
            total: page.total,
            query: &query,
            field,
            items,
        };
        let response = ApiResponse::json_sized(StatusCode::OK, &body, size);
        if !all_kept {
            return Ok(response);
        }
        // Made of kept representations only, so of its items' versions alone:
        // kept with its tag for the next time they are the same.
        let tag = etag(&response.body);
        app.pages
            .keep(asked, page.items, page.total, response.body.clone(), &tag);
        return Ok(response.header(header::ETAG, &tag));
    }
    let page = repo::page::<T>(app.store.as_ref(), query.status.statuses(), &query).await?;
    let items: Vec<&T> = page.items.iter().collect();
    let items = representations(app, &items).await;
    let body = PageBody {
        total: page.total,
        query: &query,
        field,
        items,
    };
    Ok(ApiResponse::json(StatusCode::OK, &body))
}

/// A page as the API returns it, serialised straight to bytes (through a
/// `serde_json::Value` it cost an eighth of an uncached list's CPU).
struct PageBody<'a, I> {
    total: usize,
    query: &'a ListQuery,
    /// The kind's list field: `posts`, `projects` or `certifications`.
    field: &'static str,
    /// Representations, made now or kept.
    items: Vec<I>,
}

impl<T: Serialize> Serialize for PageBody<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("total", &self.total)?;
        map.serialize_entry("limit", &self.query.limit)?;
        map.serialize_entry("offset", &self.query.offset)?;
        map.serialize_entry(self.field, &self.items)?;
        map.end()
    }
}

pub async fn get<T: Content>(
    app: &App,
    id: &ItemId,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let stored = load_visible::<T>(app, id, caller).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &*kept_representation(app, &stored).await?,
    ))
}

pub async fn get_by_slug(app: &App, slug: &str, caller: &Caller) -> Result<ApiResponse, ApiError> {
    // The post this slug led to, unchanged since it was sent: its row's head (no
    // data) says which version it is at, and that version's answer is kept.
    let kept = |listed: &Listed| app.representations.get(listed);
    if let Some((head, json)) =
        repo::unchanged_by_slug(app.store.as_ref(), &app.slugs, slug, kept).await?
    {
        if head.status.as_deref() != Some(Status::Published.as_str()) && !is_owner(caller) {
            return Err(ApiError::NotFound);
        }
        return Ok(ApiResponse::json(StatusCode::OK, &*json));
    }
    let stored = repo::get_by_slug_cached::<BlogPost>(app.store.as_ref(), &app.slugs, slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    if stored.item.status() != Status::Published && !is_owner(caller) {
        return Err(ApiError::NotFound);
    }
    // An old slug of the post (its title changed while it was a draft again):
    // the old address leads to the current one.
    if stored.item.slug != slug {
        let location = format!("/v1/blog/posts/by-slug/{}", stored.item.slug);
        return Ok(ApiResponse::json(
            StatusCode::MOVED_PERMANENTLY,
            &json!({ "message": "This post's slug changed", "slug": stored.item.slug }),
        )
        .header(header::LOCATION, &location));
    }
    Ok(ApiResponse::json(
        StatusCode::OK,
        &*kept_representation(app, &stored).await?,
    ))
}

pub async fn categories(app: &App) -> Result<ApiResponse, ApiError> {
    let categories = repo::categories(app.store.as_ref()).await?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        &json!({ "categories": categories }),
    ))
}

/// The names a body may carry: the writable fields and the read-only ones.
fn accepted<T: Content>() -> Vec<&'static str> {
    let mut names = T::writable();
    names.extend(T::READ_ONLY);
    names
}

pub async fn create<T: Content>(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&accepted::<T>())?;
    if let Some(name) = T::READ_ONLY.iter().find(|n| fields.has(n)) {
        return Err(FieldError::new(*name, "is set by the server; leave it out").into());
    }
    let item = T::create(&fields, Meta::new_draft())?;
    let item = repo::create(app.store.as_ref(), item, app.tracker.region()).await?;
    let location = format!("{}/{}", request.path.trim_end_matches('/'), item.id());
    // A new item is a draft: nothing public changed, nothing to invalidate.
    Ok(item_response(app, StatusCode::CREATED, &item)
        .await
        .header(header::LOCATION, &location))
}

/// Checks `If-Match` against the stored item's current representation.
async fn check_if_match<T: Content>(
    app: &App,
    request: &Request,
    stored: &Stored<T>,
) -> Result<(), ApiError> {
    let Some(expected) = request.header(header::IF_MATCH) else {
        return Ok(());
    };
    let current = kept_representation(app, stored).await?;
    if etag_matches(expected, &etag(current.get().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

pub async fn update<T: Content>(
    app: &App,
    id: &ItemId,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&accepted::<T>())?;
    if fields.is_empty() {
        return Err(ApiError::BadRequest(
            "Request body must name at least one field to change".into(),
        ));
    }
    let attempt = |stored: Stored<T>| save_on(app, request, caller, stored, fields.clone());
    let saved = if request.header(header::IF_MATCH).is_some() {
        // The precondition names one version: a save landing after it was
        // checked fails it (412).
        let stored = repo::get::<T>(app.store.as_ref(), id)
            .await?
            .ok_or(ApiError::NotFound)?;
        attempt(stored).await?
    } else {
        // No precondition: a save landing between the read and the write makes
        // this one read the item again and apply itself to the newest.
        publishing::on_newest(app, id, "it was saved", attempt).await?
    }?;
    Ok(item_response(app, StatusCode::OK, &saved).await)
}

/// One attempt at a save of `fields` over `stored`: `Ok(Err(_))` refuses the
/// request itself, `Err(UseCaseError::Changed)` says another write landed since
/// `stored` was read.
async fn save_on<T: Content>(
    app: &App,
    request: &Request,
    caller: &Caller,
    stored: Stored<T>,
    mut fields: Fields,
) -> Result<Result<T, ApiError>, UseCaseError> {
    // A body read with GET may come back as it is: its read-only fields must
    // still be the stored values (so a stale copy is refused by name). The stored
    // item is serialised only when the body carries one of them.
    let mut current = None;
    for name in T::READ_ONLY {
        let Some(sent) = fields.take(name) else {
            continue;
        };
        if current.is_none() {
            match serde_json::to_value(representation(app, &stored.item).await) {
                Ok(value) => current = Some(value),
                Err(e) => return Ok(Err(ApiError::Internal(e.to_string()))),
            }
        }
        if current.as_ref().and_then(|c| c.get(*name)) != Some(&sent) {
            return Ok(Err(FieldError::new(
                *name,
                "is read-only: send the stored value or leave it out",
            )
            .into()));
        }
    }
    // An invalid body is a 400 whatever `If-Match` says: validate, then compare.
    let mut next = stored.item.clone();
    if let Err(e) = next.update(&fields) {
        return Ok(Err(e.into()));
    }
    if let Err(e) = check_if_match(app, request, &stored).await {
        return Ok(Err(e));
    }
    if fields.is_empty() {
        // Only read-only fields, all matching: nothing to change.
        return Ok(Ok(stored.item));
    }
    next.meta_mut().updated_at = Timestamp::now();
    replace_and_announce(app, &stored, next, &author(caller))
        .await
        .map(Ok)
}

pub async fn delete<T: Content>(
    app: &App,
    id: &ItemId,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    // DELETE documents no 412: a save landing meanwhile is read again.
    publishing::remove_newest::<T>(app, id, &author(caller)).await?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

pub async fn set_status<T: Content>(
    app: &App,
    id: &ItemId,
    publish: bool,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let target = if publish {
        Status::Published
    } else {
        Status::Draft
    };
    let what = if publish {
        "it was published"
    } else {
        "it was unpublished"
    };
    // The request names no version: a save landing meanwhile is read again.
    let saved = publishing::on_newest(app, id, what, |stored: Stored<T>| async move {
        if stored.item.status() == target {
            return Ok(stored.item);
        }
        change_status(app, &stored, target, &author(caller)).await
    })
    .await?;
    Ok(item_response(app, StatusCode::OK, &saved).await)
}

/// Schedules an unpublished item to be published at `publishAt` (owner-only until
/// then; a time already past is due at once). A published item is refused:
/// unpublish it first.
pub async fn schedule<T: Content>(
    app: &App,
    id: &ItemId,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let mut fields = request.json_fields(&[PUBLISH_AT])?;
    let at = match fields.take(PUBLISH_AT) {
        Some(serde_json::Value::String(text)) => Timestamp::parse(PUBLISH_AT, &text)?,
        _ => return Err(FieldError::new(PUBLISH_AT, "is required: an RFC 3339 date-time").into()),
    };
    // Any valid time: one already past is due, and the next tick publishes it.
    // The request names no version: a save landing meanwhile is read again.
    let saved = publishing::on_newest(app, id, "it was scheduled", |stored: Stored<T>| {
        let at = at.clone();
        async move {
            if stored.item.status() == Status::Published {
                return Ok(Err(ApiError::Conflict(format!(
                    "This {} is already published: unpublish it to schedule it",
                    T::KIND
                ))));
            }
            let mut next = stored.item.clone();
            next.meta_mut().status = Status::Scheduled;
            next.meta_mut().publish_at = Some(at);
            next.meta_mut().updated_at = Timestamp::now();
            // Nothing public changes until the scheduler publishes it.
            repo::replace(
                app.store.as_ref(),
                &stored,
                next,
                app.tracker.region(),
                &author(caller),
            )
            .await
            .map(Ok)
            .map_err(UseCaseError::from)
        }
    })
    .await??;
    Ok(item_response(app, StatusCode::OK, &saved).await)
}
