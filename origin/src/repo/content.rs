//! Content items in the single table: one row per item, listed through GSI1 by
//! kind and status, blog slugs held unique by a row of their own, and the public
//! category list kept as count rows written in the same transaction.

use folio_shared::ApiError;
use folio_shared::domain::{Content, ContentKind, ItemId, Status, slugify};

use crate::keys;
use crate::ports::store::{Condition, Item, Query, Store, StoreError, Write};

/// An item with the version its row had when read.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub item: T,
    pub version: u64,
}

fn to_row<T: Content>(item: &T, version: u64) -> Result<Item, ApiError> {
    let meta = item.meta();
    let data = serde_json::to_string(item).map_err(|e| ApiError::Internal(e.to_string()))?;
    let key = keys::content(T::KIND, &meta.id);
    Ok(Item {
        pk: key.pk,
        sk: key.sk,
        gsi1pk: Some(keys::content_by_status(T::KIND, meta.status)),
        // Scheduled items are listed by when they go out: the scheduler reads the
        // due ones first with one bounded query.
        gsi1sk: Some(match (&meta.status, &meta.publish_at) {
            (Status::Scheduled, Some(at)) => format!("{}#{}", at.as_str(), meta.id),
            _ => format!("{}#{}", item.sort_key(), meta.id),
        }),
        entity_type: T::KIND.as_str().to_string(),
        status: Some(meta.status.as_str().to_string()),
        created_at: Some(meta.created_at.as_str().to_string()),
        updated_at: Some(meta.updated_at.as_str().to_string()),
        data: Some(data),
        version,
        ..Item::default()
    })
}

fn from_row<T: Content>(row: &Item) -> Result<Stored<T>, ApiError> {
    let data = row.data.as_deref().unwrap_or("null");
    let item = serde_json::from_str(data)
        .map_err(|e| ApiError::Internal(format!("corrupt {} row {}: {e}", T::KIND, row.pk)))?;
    Ok(Stored {
        item,
        version: row.version,
    })
}

/// The category-count changes of a write from `before` to `after` (`None`: no item),
/// as increments of this Region's rows; empty when the public list is unchanged.
fn category_changes<T: Content>(before: Option<&T>, after: Option<&T>, region: &str) -> Vec<Write> {
    let old = before.and_then(Content::listed_category);
    let new = after.and_then(Content::listed_category);
    let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
    if let (Some(a), Some(b)) = (old, new)
        && same(a, b)
    {
        return Vec::new();
    }
    let change = |category: &str, by: i64| Write::Increment {
        key: keys::category_count(category, region),
        entity_type: keys::entity::CATEGORY_COUNT.into(),
        by,
        label: (by > 0).then(|| category.to_string()),
    };
    old.map(|c| change(c, -1))
        .into_iter()
        .chain(new.map(|c| change(c, 1)))
        .collect()
}

/// The categories of published posts, summed over every Region's rows, in
/// case-insensitive order: one Query on the aggregate rows.
pub async fn categories(store: &dyn Store) -> Result<Vec<String>, ApiError> {
    let rows = store
        .query(&Query::table(keys::CATEGORIES, keys::every_category()))
        .await?;
    let mut totals: std::collections::BTreeMap<String, (i64, Option<String>)> =
        std::collections::BTreeMap::new();
    for row in rows {
        let Some(name) = keys::category_of_row(&row.sk) else {
            continue;
        };
        let entry = totals.entry(name.to_string()).or_default();
        entry.0 += row.count;
        if entry.1.is_none() {
            entry.1 = row.data.clone();
        }
    }
    Ok(totals
        .into_iter()
        .filter(|(_, (count, _))| *count > 0)
        .map(|(name, (_, label))| label.unwrap_or(name))
        .collect())
}

pub async fn get<T: Content>(
    store: &dyn Store,
    id: &ItemId,
) -> Result<Option<Stored<T>>, ApiError> {
    match store.get(&keys::content(T::KIND, id)).await? {
        Some(row) => Ok(Some(from_row(&row)?)),
        None => Ok(None),
    }
}

/// The item a slug row points at.
pub async fn get_by_slug<T: Content>(
    store: &dyn Store,
    slug: &str,
) -> Result<Option<Stored<T>>, ApiError> {
    let Some(row) = store.get(&keys::slug(slug)).await? else {
        return Ok(None);
    };
    let Some(id) = row
        .data
        .as_deref()
        .and_then(|d| ItemId::parse("id", d).ok())
    else {
        return Ok(None);
    };
    get(store, &id).await
}

/// The newest `limit` items in one status: one bounded GSI1 Query.
pub async fn newest<T: Content>(
    store: &dyn Store,
    status: Status,
    limit: usize,
) -> Result<Vec<T>, ApiError> {
    store
        .query(&Query::gsi1(keys::content_by_status(T::KIND, status)).first(limit))
        .await?
        .iter()
        .map(|row| from_row::<T>(row).map(|s| s.item))
        .collect()
}

/// Scheduled items whose time has come (`publishAt` at or before `now`), the
/// earliest first, at most `limit`: one bounded GSI1 Query. GSI reads are
/// eventually consistent; callers read each item again before acting on it.
pub async fn due<T: Content>(
    store: &dyn Store,
    now: &str,
    limit: usize,
) -> Result<Vec<T>, ApiError> {
    let query = keys::due_by(
        keys::content_by_status(T::KIND, Status::Scheduled),
        now,
        limit,
    );
    store
        .query(&query)
        .await?
        .iter()
        .map(|row| from_row::<T>(row).map(|s| s.item))
        .collect()
}

/// Every item in the given statuses, newest first (one GSI1 Query per status).
pub async fn list<T: Content>(store: &dyn Store, statuses: &[Status]) -> Result<Vec<T>, ApiError> {
    let mut rows = Vec::new();
    for status in statuses {
        rows.extend(
            store
                .query(&Query::gsi1(keys::content_by_status(T::KIND, *status)))
                .await?,
        );
    }
    if statuses.len() > 1 {
        rows.sort_by(|a, b| b.gsi1sk.cmp(&a.gsi1sk));
    }
    rows.iter()
        .map(|row| from_row::<T>(row).map(|s| s.item))
        .collect()
}

/// The ids and statuses of every item of a kind, without decoding the items.
pub async fn ids(store: &dyn Store, kind: ContentKind) -> Result<Vec<(String, Status)>, ApiError> {
    let mut out = Vec::new();
    for status in Status::ALL {
        for row in store
            .query(&Query::gsi1(keys::content_by_status(kind, status)))
            .await?
        {
            if let Some(id) = row.pk.split_once('#').map(|(_, id)| id.to_string()) {
                out.push((id, status));
            }
        }
    }
    Ok(out)
}

fn slug_row(slug: &str, id: &ItemId) -> Item {
    let key = keys::slug(slug);
    Item {
        pk: key.pk,
        sk: key.sk,
        entity_type: keys::entity::SLUG.into(),
        data: Some(id.to_string()),
        ..Item::default()
    }
}

/// Slug candidates: the base, then `base-2`, `base-3`, ...
fn slug_candidate(base: &str, attempt: usize) -> String {
    if attempt == 0 {
        base.to_string()
    } else {
        format!("{base}-{}", attempt + 1)
    }
}

const SLUG_ATTEMPTS: usize = 100;

/// Writes `item` with a unique slug from `base` (the first free candidate) and
/// `extra`, retrying with the next candidate while the slug is taken. `current` is
/// the slug the item holds now: its row is released, or kept as it is when a
/// candidate is that same slug (DynamoDB allows one operation per item in a
/// transaction, so the row is neither put nor deleted then).
async fn write_with_new_slug<T: Content>(
    store: &dyn Store,
    item: &mut T,
    base: &str,
    version: u64,
    extra: Vec<Write>,
    content_condition: Condition,
    current: Option<&str>,
) -> Result<(), ApiError> {
    for attempt in 0..SLUG_ATTEMPTS {
        let slug = slug_candidate(base, attempt);
        let keeps_current = current == Some(slug.as_str());
        item.set_slug(slug.clone());
        let mut writes = Vec::new();
        if !keeps_current {
            writes.push(Write::Put {
                item: slug_row(&slug, &item.meta().id),
                condition: Condition::NotExists,
            });
        }
        writes.push(Write::Put {
            item: to_row(item, version)?,
            condition: content_condition.clone(),
        });
        if let Some(old) = current.filter(|_| !keeps_current) {
            writes.push(Write::Delete {
                key: keys::slug(old),
                condition: Condition::None,
            });
        }
        writes.extend(extra.iter().cloned());
        match store.transact(writes).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { index: 0 }) if !keeps_current => continue,
            Err(StoreError::ConditionFailed { .. }) => return Err(ApiError::PreconditionFailed),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(format!("No free slug near '{base}'")))
}

/// Writes a new item as given (a new draft, or an import: its id, dates, status
/// and slug kept; a slug another item holds gets the next free candidate), with the
/// category count a published post adds. Refused if the id exists.
pub async fn create<T: Content>(
    store: &dyn Store,
    mut item: T,
    region: &str,
) -> Result<T, ApiError> {
    let categories = category_changes(None, Some(&item), region);
    match item.slug().map(str::to_string) {
        Some(base) => {
            write_with_new_slug(
                store,
                &mut item,
                &base,
                1,
                categories,
                Condition::NotExists,
                None,
            )
            .await?
        }
        None => {
            let mut writes = vec![Write::Put {
                item: to_row(&item, 1)?,
                condition: Condition::NotExists,
            }];
            writes.extend(categories);
            match store.transact(writes).await {
                Ok(()) => {}
                Err(StoreError::ConditionFailed { .. }) => {
                    return Err(ApiError::Conflict(format!("{} exists", item.id())));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(item)
}

/// Replaces `old` with `new` if nobody wrote the item since `old` was read;
/// otherwise `PreconditionFailed`. A draft's slug follows its title.
pub async fn replace<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    new: T,
    region: &str,
) -> Result<T, ApiError> {
    replace_with(store, old, new, region, Vec::new()).await
}

/// `replace`, with `extra` writes (a webhook outbox) in the same transaction.
pub async fn replace_with<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    mut new: T,
    region: &str,
    extra: Vec<Write>,
) -> Result<T, ApiError> {
    let version = old.version + 1;
    let condition = Condition::VersionIs(old.version);
    let mut aggregates = category_changes(Some(&old.item), Some(&new), region);
    aggregates.extend(extra);
    let reslug = match (old.item.slug_source(), new.slug_source(), old.item.slug()) {
        (Some(before), Some(after), Some(old_slug)) if slugify(before) != slugify(after) => {
            Some((slugify(after), old_slug.to_string()))
        }
        _ => None,
    };
    if let Some((base, old_slug)) = reslug {
        write_with_new_slug(
            store,
            &mut new,
            &base,
            version,
            aggregates,
            condition,
            Some(&old_slug),
        )
        .await?;
        return Ok(new);
    }
    let mut writes = vec![Write::Put {
        item: to_row(&new, version)?,
        condition,
    }];
    writes.extend(aggregates);
    match store.transact(writes).await {
        Ok(()) => Ok(new),
        Err(StoreError::ConditionFailed { .. }) => Err(ApiError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the item (and its slug and category count), with `extra` writes (a
/// webhook outbox) in the same transaction.
pub async fn delete<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    region: &str,
    extra: Vec<Write>,
) -> Result<(), ApiError> {
    let mut writes = vec![Write::Delete {
        key: keys::content(T::KIND, &old.item.meta().id),
        condition: Condition::VersionIs(old.version),
    }];
    if let Some(slug) = old.item.slug() {
        writes.push(Write::Delete {
            key: keys::slug(slug),
            condition: Condition::None,
        });
    }
    writes.extend(category_changes(Some(&old.item), None, region));
    writes.extend(extra);
    match store.transact(writes).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. }) => Err(ApiError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
