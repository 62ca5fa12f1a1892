//! Writes that change what readers see: the item written on the version it was
//! read at, the rebuild hooks' outbox in the same transaction, and the cached
//! public paths it affects purged after. The owner's handlers and the
//! scheduler's tick both publish through here.

use folio_shared::domain::{Content, ContentKind, ItemId, Status, Timestamp, today_utc};
use folio_shared::metrics;

use crate::repo::Stored;
use crate::repo::content as repo;
use crate::repo::history::Author;
use crate::usecases::app::App;
use crate::usecases::error::UseCaseError;
use crate::usecases::webhooks::{self, Change};

/// The cached public paths a change to an item affects: its collection (one
/// wildcard covers lists, the item, slugs, categories and the blog's feeds), its
/// view count and the sitemap.
pub fn public_paths(kind: ContentKind, id: &ItemId) -> Vec<String> {
    vec![
        format!("{}*", kind.collection_path()),
        format!("/v1/analytics/views/{kind}/{id}"),
        SITEMAP_PATH.to_string(),
        SEARCH_PATHS.to_string(),
    ]
}

/// Search answers: any change to what readers see may change any of them.
const SEARCH_PATHS: &str = "/v1/search*";

/// The sitemap lists every kind: every public change purges it.
const SITEMAP_PATH: &str = "/v1/sitemap.xml";

/// Purges what readers saw of an item, when a write changed it for them.
async fn invalidate_if_public(app: &App, change: Option<Change>, kind: ContentKind, id: &ItemId) {
    if change.is_some() {
        metrics::count("Invalidations", &[("Function", "origin")]);
        app.invalidator.invalidate(public_paths(kind, id)).await;
    }
}

/// How many times a change that names no version (no `If-Match`: a restore, a
/// delete) reads the item again when another save lands between its read and
/// its write; one that keeps losing is a conflict.
const SAVE_RACE_ATTEMPTS: usize = 3;

/// Reads item `id` and applies `change` to what it read. The caller named no
/// version to change, so a save landing between the read and the write is not a
/// failed precondition: the item is read again and `change` applied to that.
/// One that keeps losing is a conflict: "`kind` `id` kept changing while `what`".
pub async fn on_newest<T: Content, R, F>(
    app: &App,
    id: &ItemId,
    what: &str,
    mut change: impl FnMut(Stored<T>) -> F,
) -> Result<R, UseCaseError>
where
    F: std::future::Future<Output = Result<R, UseCaseError>>,
{
    for _ in 0..SAVE_RACE_ATTEMPTS {
        let stored = repo::get::<T>(app.store.as_ref(), id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        match change(stored).await {
            Err(UseCaseError::Changed) => continue,
            other => return other,
        }
    }
    Err(UseCaseError::Conflict(format!(
        "{} {id} kept changing while {what}: try again",
        T::KIND
    )))
}

/// Replaces the stored item with `next` if nobody wrote it since it was read,
/// with the rebuild hooks' outbox for what readers see change in the same
/// transaction; then purges what readers saw.
pub async fn replace_and_announce<T: Content>(
    app: &App,
    stored: &Stored<T>,
    next: T,
    author: &Author,
) -> Result<T, UseCaseError> {
    let change = Change::between(&stored.item, Some(&next));
    let outbox = webhooks::outbox(app.webhooks.as_ref(), change, &next)?;
    let saved = repo::replace_with(
        app.store.as_ref(),
        stored,
        next,
        app.tracker.region(),
        author,
        outbox,
    )
    .await?;
    invalidate_if_public(app, change, T::KIND, stored.item.id()).await;
    Ok(saved)
}

/// Moves a stored item to `target` (published or draft; a schedule is dropped) if
/// nobody wrote it since it was read, and purges what readers saw.
pub async fn change_status<T: Content>(
    app: &App,
    stored: &Stored<T>,
    target: Status,
    author: &Author,
) -> Result<T, UseCaseError> {
    let mut next = stored.item.clone();
    next.set_status(target, today_utc());
    next.meta_mut().publish_at = None;
    next.meta_mut().updated_at = Timestamp::now();
    replace_and_announce(app, stored, next, author).await
}

/// Deletes a stored item, with the rebuild hooks' outbox in the same
/// transaction; then purges what readers saw.
pub async fn remove<T: Content>(
    app: &App,
    stored: &Stored<T>,
    author: &Author,
) -> Result<(), UseCaseError> {
    let change = Change::between(&stored.item, None);
    let outbox = webhooks::outbox(app.webhooks.as_ref(), change, &stored.item)?;
    repo::delete(
        app.store.as_ref(),
        stored,
        app.tracker.region(),
        author,
        outbox,
    )
    .await?;
    invalidate_if_public(app, change, T::KIND, stored.item.id()).await;
    Ok(())
}

/// Deletes item `id` as it is now (`on_newest`): DELETE names no version.
pub async fn remove_newest<T: Content>(
    app: &App,
    id: &ItemId,
    author: &Author,
) -> Result<(), UseCaseError> {
    on_newest(app, id, "it was deleted", |stored: Stored<T>| async move {
        remove(app, &stored, author).await
    })
    .await
}

/// Writes a deleted item back as it was at `version` of its history (its
/// slug, if another item took it meanwhile, the next free one), with `extra`
/// writes in the same transaction; then announces it if readers see it.
pub async fn recreate<T: Content>(
    app: &App,
    item: T,
    version: u64,
    extra: Vec<crate::ports::store::Write>,
) -> Result<T, UseCaseError> {
    let change = (item.status() == Status::Published).then_some(Change::Published);
    let mut writes = webhooks::outbox(app.webhooks.as_ref(), change, &item)?;
    writes.extend(extra);
    let id = item.id().clone();
    let saved = repo::create_at(
        app.store.as_ref(),
        item,
        app.tracker.region(),
        version,
        writes,
    )
    .await?;
    invalidate_if_public(app, change, T::KIND, &id).await;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_shared::routes::{Caching, ROUTES, RouteId};

    /// CloudFront invalidation paths: exact, or a prefix ending in `*`.
    fn covers(pattern: &str, path: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => pattern == path,
        }
    }

    /// Every public answer kept for minutes that depends on content is purged by
    /// a change to the content it shows: a new cached route without its
    /// invalidation path fails here.
    #[test]
    fn every_cached_content_route_is_purged_by_the_changes_that_alter_it() {
        let id = ItemId::parse("id", "item-1").unwrap();
        for route in ROUTES {
            let Caching::Shared { s_maxage } = route.caching else {
                continue;
            };
            let kinds: Vec<ContentKind> = match route.id {
                RouteId::List(k) | RouteId::Get(k) => vec![k],
                RouteId::GetBlogPostBySlug | RouteId::ListBlogCategories | RouteId::BlogFeed(_) => {
                    vec![ContentKind::Blog]
                }
                RouteId::Sitemap | RouteId::ContentViews | RouteId::Search => {
                    ContentKind::ALL.to_vec()
                }
                // Every change to the redirects purges their one path (handlers::redirects).
                RouteId::ListRedirects => {
                    assert_eq!(route.path, crate::usecases::redirects::PUBLIC_PATH);
                    continue;
                }
                // Counters live seconds; the document changes with a deploy.
                RouteId::VisitorCount | RouteId::OpenApi => {
                    assert!(s_maxage <= 10 || route.id == RouteId::OpenApi);
                    continue;
                }
                other => panic!("{other:?} is cached: say what purges it"),
            };
            for kind in kinds {
                let path = route
                    .path
                    .replace("{postId}", "item-1")
                    .replace("{projectId}", "item-1")
                    .replace("{certificationId}", "item-1")
                    .replace("{slug}", "a-slug")
                    .replace("{contentType}", kind.as_str())
                    .replace("{contentId}", "item-1");
                assert!(
                    public_paths(kind, &id).iter().any(|p| covers(p, &path)),
                    "a change to a {kind} does not purge {path}"
                );
            }
        }
    }
}
