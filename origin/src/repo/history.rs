//! What an item was: every save keeps the version it replaces, and a deletion
//! keeps the last one, so the owner can read, compare and restore any of them.
//!
//! A revision is two rows in the item's history partition, written in the same
//! transaction as the save that replaces it: a small summary (who, when, which
//! fields changed), listed without reading any item, and the item as it was, in
//! a row of its own (an item fits in 400 KB, so its copy does too; the live
//! row never grows with its history).
//!
//! Kept: an item's newest `KEEP_NEWEST` revisions, and every revision younger
//! than `KEEP_DAYS`, whichever keeps more. Once a revision falls out of the
//! newest, its summary is listed under `HISTORY#AGING` by when it was replaced,
//! and the tick removes it when it is old enough (`sweep`). A deleted item stays
//! restorable for `TRASH_DAYS`; then the tick removes it and its history.

use chrono::{DateTime, Duration, Utc};
use folio_shared::domain::{Content, ContentKind, ItemId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::keys;
use crate::ports::store::{Condition, Item, Key, Store, Write};
use crate::repo::{RepoError, Stored};

/// Revisions of an item kept whatever their age.
pub const KEEP_NEWEST: usize = 50;
/// Revisions younger than this are kept however many there are.
pub const KEEP_DAYS: i64 = 90;
/// How long a deleted item can be restored.
pub const TRASH_DAYS: i64 = 30;
/// Rows the tick removes per run: a backlog drains over the next ticks.
const SWEEP_BATCH: usize = 25;

/// Who made a change, as the history names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author(String);

impl Author {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The scheduler's publications.
    pub fn scheduler() -> Self {
        Self::new("scheduler")
    }

    /// An import (`folio import`, `folio import-markdown`).
    pub fn import() -> Self {
        Self::new("import")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One revision, as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// The item's version this revision holds.
    pub version: u64,
    /// When this version was saved (its `updatedAt`).
    pub saved_at: String,
    /// When the save (or deletion) that replaced it happened.
    pub replaced_at: String,
    /// Who replaced it.
    pub replaced_by: String,
    /// The fields the replacing save changed (`updatedAt` aside); empty for a
    /// deletion.
    pub changed: Vec<String>,
    /// Whether the item was deleted when this version was current.
    #[serde(default)]
    pub deleted: bool,
    /// The item's title (or name) at this version.
    pub title: String,
}

/// A deleted item the owner can still restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trashed {
    pub content_type: ContentKind,
    pub id: ItemId,
    /// The revision holding the item as it was deleted.
    pub version: u64,
    pub title: String,
    pub deleted_at: String,
    pub deleted_by: String,
    /// When it can no longer be restored.
    pub restorable_until: String,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> RepoError {
    RepoError::Corrupt(format!("corrupt {what}: {e}"))
}

fn as_object<T: Content>(item: &T) -> Result<serde_json::Map<String, Value>, RepoError> {
    match serde_json::to_value(item).map_err(|e| corrupt("item", e))? {
        Value::Object(map) => Ok(map),
        other => Err(corrupt("item", format!("not an object: {other}"))),
    }
}

/// The fields that differ between two versions of an item, `updatedAt` aside.
fn changed_fields(
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| name.as_str() != "updatedAt" && before.get(*name) != after.get(*name))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

fn title_of(fields: &serde_json::Map<String, Value>) -> String {
    ["title", "name"]
        .iter()
        .find_map(|name| fields.get(*name).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

/// A row of an item's history: a revision's summary or its item.
fn history_row(key: Key, entity: &str, replaced_at: &str, data: String) -> Write {
    // Unconditional: an id imported again over an old history overwrites it,
    // rather than failing the save.
    Write::Put {
        item: Item {
            pk: key.pk,
            sk: key.sk,
            entity_type: entity.into(),
            created_at: Some(replaced_at.to_string()),
            data: Some(data),
            ..Item::default()
        },
        condition: Condition::None,
    }
}

/// The row listing a deleted item, by when it was deleted.
fn trash_row(trashed: &Trashed) -> Result<Write, RepoError> {
    let key = keys::trashed(trashed.content_type, &trashed.id);
    Ok(Write::Put {
        item: Item {
            pk: key.pk,
            sk: key.sk,
            gsi1pk: Some(keys::TRASH.into()),
            gsi1sk: Some(format!(
                "{}#{}#{}",
                trashed.deleted_at,
                trashed.content_type.as_str(),
                trashed.id
            )),
            entity_type: keys::entity::TRASHED.into(),
            data: Some(serde_json::to_string(trashed).map_err(|e| corrupt("trash row", e))?),
            ..Item::default()
        },
        condition: Condition::None,
    })
}

/// The writes that keep `old` as a revision, replaced at `at` by `author` with
/// `new`; with `None`, deleted, and then also listed as restorable for
/// `TRASH_DAYS`. They go in the same transaction as the change. The old item is
/// serialised once: its fields compared, its title read and its copy written.
pub fn keep<T: Content>(
    old: &Stored<T>,
    new: Option<&T>,
    author: &Author,
    at: &Timestamp,
) -> Result<Vec<Write>, RepoError> {
    let id = old.item.id();
    let before = as_object(&old.item)?;
    let changed = match new {
        Some(new) => changed_fields(&before, &as_object(new)?),
        None => Vec::new(),
    };
    let title = title_of(&before);
    let item = serde_json::to_string(&before).map_err(|e| corrupt("item", e))?;
    let revision = Revision {
        version: old.version,
        saved_at: old.item.meta().updated_at.as_str().to_string(),
        replaced_at: at.as_str().to_string(),
        replaced_by: author.as_str().to_string(),
        changed,
        deleted: new.is_none(),
        title,
    };
    let data = serde_json::to_string(&revision).map_err(|e| corrupt("revision", e))?;
    let mut writes = vec![
        history_row(
            keys::revision(T::KIND, id, old.version),
            keys::entity::REVISION,
            &revision.replaced_at,
            data,
        ),
        history_row(
            keys::revision_body(T::KIND, id, old.version),
            keys::entity::REVISION_BODY,
            &revision.replaced_at,
            item,
        ),
    ];
    if new.is_none() {
        let until = at
            .to_utc()
            .map(|t| Timestamp::from_utc(t + Duration::days(TRASH_DAYS)))
            .unwrap_or_else(|| at.clone());
        writes.push(trash_row(&Trashed {
            content_type: T::KIND,
            id: id.clone(),
            version: old.version,
            title: revision.title,
            deleted_at: revision.replaced_at,
            deleted_by: revision.replaced_by,
            restorable_until: until.as_str().to_string(),
        })?);
    }
    Ok(writes)
}

fn revision_of(row: &Item) -> Result<Revision, RepoError> {
    serde_json::from_str(row.data.as_deref().unwrap_or("null")).map_err(|e| corrupt("revision", e))
}

fn trashed_of(row: &Item) -> Result<Trashed, RepoError> {
    serde_json::from_str(row.data.as_deref().unwrap_or("null")).map_err(|e| corrupt("trash row", e))
}

/// An item's revisions, newest first.
pub async fn list(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
) -> Result<Vec<Revision>, RepoError> {
    store
        .query(&keys::revisions(kind, id))
        .await?
        .iter()
        .map(revision_of)
        .collect()
}

/// One revision and the item as it was then.
pub async fn get<T: Content>(
    store: &dyn Store,
    id: &ItemId,
    version: u64,
) -> Result<Option<(Revision, T)>, RepoError> {
    let rows = store
        .get_many(&[
            keys::revision(T::KIND, id, version),
            keys::revision_body(T::KIND, id, version),
        ])
        .await?;
    let (Some(Some(summary)), Some(Some(body))) = (rows.first(), rows.get(1)) else {
        return Ok(None);
    };
    let item = serde_json::from_str(body.data.as_deref().unwrap_or("null"))
        .map_err(|e| corrupt("revision", e))?;
    Ok(Some((revision_of(summary)?, item)))
}

/// The deleted items still restorable at `now`, the latest first.
pub async fn trashed(store: &dyn Store, now: DateTime<Utc>) -> Result<Vec<Trashed>, RepoError> {
    let now = Timestamp::from_utc(now);
    let mut items: Vec<Trashed> = store
        .query(&keys::trash())
        .await?
        .iter()
        .map(trashed_of)
        .filter(|t| {
            t.as_ref()
                .map_or(true, |t| t.restorable_until.as_str() > now.as_str())
        })
        .collect::<Result<_, _>>()?;
    items.sort_by(|a, b| b.deleted_at.cmp(&a.deleted_at));
    Ok(items)
}

/// A deleted item still restorable at `now`, with the row that lists it.
pub async fn trashed_item(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
    now: DateTime<Utc>,
) -> Result<Option<Trashed>, RepoError> {
    let now = Timestamp::from_utc(now);
    match store.get(&keys::trashed(kind, id)).await? {
        Some(row) => {
            let trashed = trashed_of(&row)?;
            Ok((trashed.restorable_until.as_str() > now.as_str()).then_some(trashed))
        }
        None => Ok(None),
    }
}

/// The summary of a revision past the newest, listed for the tick to remove
/// when it is old enough.
fn aging(mut row: Item, revision: &Revision) -> Item {
    row.gsi1pk = Some(keys::HISTORY_AGING.into());
    row.gsi1sk = Some(format!(
        "{}#{}#{:010}",
        revision.replaced_at, row.pk, revision.version
    ));
    row
}

fn cutoff(now: DateTime<Utc>, days: i64) -> Timestamp {
    Timestamp::from_utc(now - Duration::days(days))
}

fn remove_revision(summary: &Key) -> Vec<Write> {
    let body = Key::new(summary.pk.clone(), summary.sk.replacen("REV#", "BODY#", 1));
    vec![
        Write::Delete {
            key: summary.clone(),
            condition: Condition::None,
        },
        Write::Delete {
            key: body,
            condition: Condition::None,
        },
    ]
}

/// After a save that made revision `newest` of an item: the revisions now past
/// the newest `KEEP_NEWEST` are removed when older than `KEEP_DAYS`, listed for
/// the tick otherwise. Best effort, after the save: what fails here is done by
/// the next save or left for the tick.
pub async fn age(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
    newest: u64,
    now: DateTime<Utc>,
) {
    if newest <= KEEP_NEWEST as u64 {
        return;
    }
    let Ok(rows) = store.query(&keys::revisions(kind, id)).await else {
        return;
    };
    let old_enough = cutoff(now, KEEP_DAYS);
    for row in rows.into_iter().skip(KEEP_NEWEST) {
        let Ok(revision) = revision_of(&row) else {
            continue;
        };
        let writes = if revision.replaced_at.as_str() <= old_enough.as_str() {
            remove_revision(&row.key())
        } else if row.gsi1pk.is_none() {
            vec![Write::Put {
                item: aging(row, &revision),
                condition: Condition::None,
            }]
        } else {
            continue;
        };
        if let Err(e) = store.transact(writes).await {
            tracing::warn!(error = %e, "could not age a revision; the next save retries");
        }
    }
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub revisions: usize,
    pub deleted_items: usize,
}

/// The tick's part: removes revisions past the newest that are older than
/// `KEEP_DAYS`, and deleted items (with their history) past `TRASH_DAYS`.
pub async fn sweep(store: &dyn Store, now: DateTime<Utc>) -> Result<Swept, RepoError> {
    let mut swept = Swept::default();
    let old = cutoff(now, KEEP_DAYS);
    for row in store
        .query(&keys::due_by(
            keys::HISTORY_AGING,
            old.as_str(),
            SWEEP_BATCH,
        ))
        .await?
    {
        store.transact(remove_revision(&row.key())).await?;
        swept.revisions += 1;
    }
    let expired = cutoff(now, TRASH_DAYS);
    for row in store
        .query(&keys::due_by(keys::TRASH, expired.as_str(), SWEEP_BATCH))
        .await?
    {
        let trashed = trashed_of(&row)?;
        // Restored or imported again since: the history belongs to a live item.
        let live = store
            .get(&keys::content(trashed.content_type, &trashed.id))
            .await?
            .is_some();
        if !live {
            swept.revisions += remove_history(store, trashed.content_type, &trashed.id).await?;
        }
        store
            .transact(vec![Write::Delete {
                key: row.key(),
                condition: Condition::None,
            }])
            .await?;
        swept.deleted_items += 1;
    }
    Ok(swept)
}

/// Removes every row of an item's history, a transaction of at most 100 at a time.
async fn remove_history(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
) -> Result<usize, RepoError> {
    let mut removed = 0;
    loop {
        let rows = store
            .query(&keys::whole_history(kind, id).first(100))
            .await?;
        if rows.is_empty() {
            return Ok(removed);
        }
        removed += rows.iter().filter(|r| r.sk.starts_with("REV#")).count();
        let deletes = rows
            .iter()
            .map(|row| Write::Delete {
                key: row.key(),
                condition: Condition::None,
            })
            .collect();
        store.transact(deletes).await?;
    }
}

/// An item's history as an export carries it: each revision with the item as
/// it was (as JSON), oldest first.
pub async fn export(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
) -> Result<Vec<(Revision, Value)>, RepoError> {
    let rows = store.query(&keys::whole_history(kind, id)).await?;
    let mut bodies: std::collections::HashMap<&str, &Item> = rows
        .iter()
        .filter_map(|row| row.sk.strip_prefix("BODY#").map(|v| (v, row)))
        .collect();
    let mut out = Vec::new();
    for row in &rows {
        let Some(version) = row.sk.strip_prefix("REV#") else {
            continue;
        };
        let Some(body) = bodies.remove(version) else {
            continue;
        };
        let item = serde_json::from_str(body.data.as_deref().unwrap_or("null"))
            .map_err(|e| corrupt("revision", e))?;
        out.push((revision_of(row)?, item));
    }
    Ok(out)
}

/// The newest version an item's history holds: a recreated item (an import
/// into a store that kept its history) carries on after it.
pub async fn newest(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
) -> Result<Option<u64>, RepoError> {
    Ok(store
        .query(&keys::revisions(kind, id).first(1))
        .await?
        .first()
        .map(revision_of)
        .transpose()?
        .map(|r| r.version))
}

/// What putting a revision from an export did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Updated,
    Unchanged,
}

/// Stores a revision from an export (`item`: the item as it was, already held
/// to its kind's rules by the caller), unless the same is there.
pub async fn put(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
    revision: &Revision,
    item: &Value,
    dry_run: bool,
) -> Result<Put, RepoError> {
    let summary = keys::revision(kind, id, revision.version);
    let body = keys::revision_body(kind, id, revision.version);
    let data = serde_json::to_string(revision).map_err(|e| corrupt("revision", e))?;
    let item = serde_json::to_string(item).map_err(|e| corrupt("revision", e))?;
    let rows = store.get_many(&[summary.clone(), body.clone()]).await?;
    let same = |row: Option<&Option<Item>>, text: &str| {
        row.and_then(Option::as_ref)
            .and_then(|r| r.data.as_deref())
            .is_some_and(|d| d == text)
    };
    let outcome = match (same(rows.first(), &data), same(rows.get(1), &item)) {
        (true, true) => return Ok(Put::Unchanged),
        _ if rows.iter().any(Option::is_some) => Put::Updated,
        _ => Put::Created,
    };
    if dry_run {
        return Ok(outcome);
    }
    store
        .transact(vec![
            history_row(summary, keys::entity::REVISION, &revision.replaced_at, data),
            history_row(
                body,
                keys::entity::REVISION_BODY,
                &revision.replaced_at,
                item,
            ),
        ])
        .await?;
    Ok(outcome)
}

/// Lists a deleted item from an export as restorable, unless it lives.
pub async fn put_trashed(
    store: &dyn Store,
    trashed: &Trashed,
    dry_run: bool,
) -> Result<Put, RepoError> {
    if store
        .get(&keys::content(trashed.content_type, &trashed.id))
        .await?
        .is_some()
    {
        return Ok(Put::Unchanged);
    }
    let key = keys::trashed(trashed.content_type, &trashed.id);
    let data = serde_json::to_string(trashed).map_err(|e| corrupt("trash row", e))?;
    let outcome = match store.get(&key).await? {
        Some(row) if row.data.as_deref() == Some(data.as_str()) => return Ok(Put::Unchanged),
        Some(_) => Put::Updated,
        None => Put::Created,
    };
    if !dry_run {
        store.transact(vec![trash_row(trashed)?]).await?;
    }
    Ok(outcome)
}

/// Every deleted item's row, restorable or not yet swept.
pub async fn all_trashed(store: &dyn Store) -> Result<Vec<Trashed>, RepoError> {
    store
        .query(&keys::trash())
        .await?
        .iter()
        .map(trashed_of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> serde_json::Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn changed_fields_name_every_difference_but_the_save_time() {
        let before = object(json!({"title": "A", "tags": ["x"], "updatedAt": "1", "gone": 1}));
        let after = object(json!({"title": "B", "tags": ["x"], "updatedAt": "2", "new": 2}));
        assert_eq!(changed_fields(&before, &after), ["gone", "new", "title"]);
    }

    #[test]
    fn a_revision_summary_names_its_body_row() {
        let id = ItemId::parse("id", "a").unwrap();
        let summary = keys::revision(ContentKind::Blog, &id, 7);
        let writes = remove_revision(&summary);
        assert_eq!(
            writes[1].key(),
            keys::revision_body(ContentKind::Blog, &id, 7)
        );
    }
}
