//! The owner's undo: an item's earlier versions read and restored, and a
//! deleted item brought back within `history::TRASH_DAYS`. Restoring is itself
//! a save, kept in the history like any other, so it can be undone too.

use chrono::Utc;
use folio_shared::domain::{Content, ItemId, Status, Timestamp};
use serde_json::Value;

use crate::ports::keys;
use crate::ports::store::{Condition, Write};
use crate::repo::Stored;
use crate::repo::content::{self as repo};
use crate::repo::history::{self, Author, Revision};
use crate::usecases::app::App;
use crate::usecases::error::UseCaseError;
use crate::usecases::publishing;

/// What a restore leaves as the item is now: whether and when it is published
/// and where it lives. A restore brings back what the item said, not its
/// publication (publish or unpublish for that).
const KEPT_ON_RESTORE: &[&str] = &[
    "id",
    "status",
    "createdAt",
    "publishAt",
    "publishedAt",
    "slug",
];

/// An item's revisions, newest first; 404 when neither the item nor a history
/// of it exists.
pub async fn list<T: Content>(app: &App, id: &ItemId) -> Result<Vec<Revision>, UseCaseError> {
    let revisions = history::list(app.store.as_ref(), T::KIND, id).await?;
    if revisions.is_empty() && repo::get::<T>(app.store.as_ref(), id).await?.is_none() {
        return Err(UseCaseError::NotFound);
    }
    Ok(revisions)
}

/// One revision and the item as it was.
pub async fn get<T: Content>(
    app: &App,
    id: &ItemId,
    version: u64,
) -> Result<(Revision, T), UseCaseError> {
    history::get::<T>(app.store.as_ref(), id, version)
        .await?
        .ok_or(UseCaseError::NotFound)
}

fn to_object<T: Content>(item: &T) -> Result<serde_json::Map<String, Value>, UseCaseError> {
    match serde_json::to_value(item) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(UseCaseError::Corrupt(format!(
            "{} is not an object",
            item.id()
        ))),
    }
}

/// The item as revision `version` had it, its publication as it is now.
fn restored<T: Content>(current: &T, revision: &T) -> Result<T, UseCaseError> {
    let now = to_object(current)?;
    let mut then = to_object(revision)?;
    for name in KEPT_ON_RESTORE {
        match now.get(*name) {
            Some(value) => then.insert((*name).to_string(), value.clone()),
            None => then.remove(*name),
        };
    }
    let mut item: T = serde_json::from_value(Value::Object(then))
        .map_err(|e| UseCaseError::Corrupt(format!("revision of {}: {e}", current.id())))?;
    item.meta_mut().updated_at = Timestamp::now();
    Ok(item)
}

/// Makes revision `version` the item's current content (kept as a new save:
/// the version it replaces becomes a revision in turn), on the item as it is
/// now: the caller names no version of it (`publishing::on_newest`).
pub async fn restore<T: Content>(
    app: &App,
    id: &ItemId,
    version: u64,
    author: &Author,
) -> Result<T, UseCaseError> {
    let (_, then) = get::<T>(app, id, version).await?;
    let what = format!("revision {version} was restored");
    let then = &then;
    publishing::on_newest(app, id, &what, |stored: Stored<T>| async move {
        let next = restored(&stored.item, then)?;
        publishing::replace_and_announce(app, &stored, next, author).await
    })
    .await
}

/// Brings a deleted item back as it was when deleted (a scheduled item whose
/// time passed meanwhile is published by the next tick), while its trash row
/// says it is restorable.
pub async fn undelete<T: Content>(app: &App, id: &ItemId) -> Result<T, UseCaseError> {
    let store = app.store.as_ref();
    let trashed = history::trashed_item(store, T::KIND, id, Utc::now())
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let (_, mut item) = history::get::<T>(store, id, trashed.version)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    if item.status() == Status::Scheduled && item.meta().publish_at.is_none() {
        item.meta_mut().status = Status::Draft;
    }
    // The trash row goes in the same transaction: two restores, one item.
    let claim = Write::Delete {
        key: keys::trashed(T::KIND, id),
        condition: Condition::Exists,
    };
    match publishing::recreate(app, item, trashed.version + 1, vec![claim]).await {
        Err(UseCaseError::Changed) => Err(UseCaseError::Conflict(format!(
            "{} {id} was restored or recreated meanwhile",
            T::KIND
        ))),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_shared::domain::{BlogPost, Fields, Meta};

    fn post(title: &str, content: &str) -> BlogPost {
        let body = serde_json::json!({
            "title": title, "excerpt": "e", "content": content,
            "category": "c", "tags": ["t"], "publishedAt": "2026-01-02"
        });
        let fields = Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).unwrap();
        BlogPost::create(&fields, Meta::new_draft()).unwrap()
    }

    #[test]
    fn a_restore_brings_back_the_words_and_keeps_the_publication() {
        let then = post("Old title", "old words");
        let mut now = then.clone();
        now.title = "New title".into();
        now.content = "new words".into();
        now.slug = "new-title".into();
        now.published_at = "2026-03-04".into();
        now.meta.status = Status::Published;
        let back = restored(&now, &then).unwrap();
        assert_eq!(back.title, "Old title");
        assert_eq!(back.content, "old words");
        assert_eq!(back.slug, "new-title");
        assert_eq!(back.published_at, "2026-03-04");
        assert_eq!(back.meta.status, Status::Published);
        assert_eq!(back.meta.id, now.meta.id);
    }
}
