//! Content items in the single table: one row per item, listed through GSI1 by
//! kind and status, blog slugs held unique by a row of their own, and the public
//! category list kept as count rows written in the same transaction.
//!
//! Lists cost what they return, not what the catalogue holds: each item has an
//! index row per filter value it carries (`tag=rust`), listed through GSI1 in the
//! same order as the items, and every Region keeps one tally row per kind and
//! status counting the items and each filter value, all written in the item's
//! transactions. A page is one bounded Query (and, filtered, one GetItem per item
//! returned); its `total` is one Query of the tally rows. The tally rows are also
//! listed at the head of their list's GSI1 partition, so an unfiltered first page
//! reads its items and its total with one Query.

use std::collections::{BTreeMap, HashMap};

use folio_shared::domain::{Content, ContentKind, Facet, ItemId, ListQuery, Status, slugify};

use crate::ports::keys;
use crate::ports::store::{
    Attributes, Condition, Item, Key, Query, SortKeyRange, Store, StoreError, Write,
};
use crate::repo::history::{self, Author};
use crate::repo::{RepoError, Stored};

/// The layout of content rows whose index rows and tallies exist (rows written
/// before it have layout 0 until `folio migrate` indexes them).
pub const INDEXED_LAYOUT: u32 = 1;

/// The tally of every item of a kind and status, beside one per facet.
const ALL: &str = "all";

/// The GSI1 sort key of an item and of its index rows: newest first when read
/// descending. Scheduled items are listed by when they go out, so the scheduler
/// reads the due ones first with one bounded query.
fn list_order<T: Content>(item: &T) -> String {
    let meta = item.meta();
    match (&meta.status, &meta.publish_at) {
        (Status::Scheduled, Some(at)) => format!("{}#{}", at.as_str(), meta.id),
        _ => format!("{}#{}", item.sort_key(), meta.id),
    }
}

/// The item's index rows: one per facet, numbered within each filter (tags 0 to
/// 49), so a changed value rewrites its row in place and an edit touches at most
/// one row per slot (DynamoDB allows 100 actions per transaction). A row's `Data`
/// holds the item's single-valued facets, so a list asking for two filters checks
/// the second on the rows of the first without reading the items.
fn index_rows<T: Content>(item: &T) -> Vec<Item> {
    let meta = item.meta();
    let facets = item.facets();
    let single: Vec<String> = facets
        .iter()
        .filter(|f| !f.is_multi_valued())
        .map(ToString::to_string)
        .collect();
    // A JSON array: values are free text, so no separator could be trusted.
    let single = serde_json::to_string(&single).unwrap_or_else(|_| "[]".into());
    let order = list_order(item);
    let mut slot: BTreeMap<&str, usize> = BTreeMap::new();
    facets
        .iter()
        .map(|facet| {
            let n = slot.entry(facet.name).or_default();
            let key = keys::facet_row(T::KIND, &meta.id, facet.name, *n);
            *n += 1;
            Item {
                pk: key.pk,
                sk: key.sk,
                gsi1pk: Some(keys::content_by_facet(T::KIND, meta.status, facet)),
                gsi1sk: Some(order.clone()),
                entity_type: keys::entity::LIST_INDEX.into(),
                data: Some(single.clone()),
                ..Item::default()
            }
        })
        .collect()
}

/// The tallies an item adds to its status's row: `all` and one per facet.
fn tally_names<T: Content>(item: &T) -> Vec<String> {
    std::iter::once(ALL.to_string())
        .chain(item.facets().iter().map(ToString::to_string))
        .collect()
}

/// The index-row and tally writes that take the store from `before` to `after`
/// (`None`: no item, or an item written before index rows existed).
fn list_changes<T: Content>(before: Option<&T>, after: Option<&T>, region: &str) -> Vec<Write> {
    let old: BTreeMap<String, Item> = before
        .map(index_rows)
        .unwrap_or_default()
        .into_iter()
        .map(|row| (row.sk.clone(), row))
        .collect();
    let new = after.map(index_rows).unwrap_or_default();
    let mut writes = Vec::new();
    for row in &new {
        if old.get(&row.sk) != Some(row) {
            writes.push(Write::Put {
                item: row.clone(),
                condition: Condition::None,
            });
        }
    }
    for (sk, row) in &old {
        if !new.iter().any(|r| &r.sk == sk) {
            writes.push(Write::Delete {
                key: row.key(),
                condition: Condition::None,
            });
        }
    }
    let mut tallies: BTreeMap<Status, BTreeMap<String, i64>> = BTreeMap::new();
    for (item, by) in [(before, -1), (after, 1)] {
        if let Some(item) = item {
            let row = tallies.entry(item.status()).or_default();
            for name in tally_names(item) {
                *row.entry(name).or_default() += by;
            }
        }
    }
    for (status, by) in tallies {
        let by: Vec<(String, i64)> = by.into_iter().filter(|(_, n)| *n != 0).collect();
        if !by.is_empty() {
            writes.push(listed_tally(T::KIND, status, region, by));
        }
    }
    writes
}

/// The tally rows and facet names that `writes` count down: what may be at zero
/// after them. (`all` is one name per row and stays.)
fn counted_down(writes: &[Write]) -> Vec<(Key, Vec<String>)> {
    writes
        .iter()
        .filter_map(|write| match write {
            Write::Tally { key, by, .. } => {
                let names: Vec<String> = by
                    .iter()
                    .filter(|(name, n)| *n < 0 && name != ALL)
                    .map(|(name, _)| name.clone())
                    .collect();
                (!names.is_empty()).then(|| (key.clone(), names))
            }
            _ => None,
        })
        .collect()
}

/// Removes the tallies a change left at zero, so a kind's tally row does not keep
/// every tag ever used until DynamoDB's 400 KB item limit refuses the next new
/// one. After the change, best effort: one read of the row, one write that
/// removes the names still at 0 on that condition (a concurrent change that
/// counts one up again makes it fail, and the name stays, counted).
async fn prune_tallies(store: &dyn Store, counted_down: Vec<(Key, Vec<String>)>) {
    for (key, names) in counted_down {
        let Ok(Some(row)) = store.get(&key).await else {
            continue;
        };
        let zero: Vec<String> = names
            .into_iter()
            .filter(|name| row.tallies.get(name) == Some(&0))
            .collect();
        if !zero.is_empty() {
            // A failure leaves a zero, which reads as nothing: nothing to undo.
            let _ = store
                .transact(vec![Write::Untally { key, names: zero }])
                .await;
        }
    }
}

/// Adds `by` to this Region's tally row of a kind and status, and lists the row at
/// the head of the list it counts.
fn listed_tally(kind: ContentKind, status: Status, region: &str, by: Vec<(String, i64)>) -> Write {
    let key = keys::tally(kind, status, region);
    Write::Tally {
        listed_at: Some(keys::list_head(kind, status, &key.sk)),
        key,
        entity_type: keys::entity::LIST_TALLY.into(),
        by,
    }
}

/// Every write that keeps what is derived from an item (category counts, index
/// rows, tallies) in step with a change from `before` to `after`.
fn derived_changes<T: Content>(
    before: Option<&Stored<T>>,
    after: Option<&T>,
    region: &str,
) -> Vec<Write> {
    let mut writes = category_changes(before.map(|s| &s.item), after, region);
    let indexed_before = before.filter(|s| s.indexed).map(|s| &s.item);
    writes.extend(list_changes(indexed_before, after, region));
    writes.extend(catalogue_change(before.map(|s| &s.item), after));
    writes
}

/// An item's catalogue entry: what the sitemap and the owner's view statistics
/// need of it (status, slug, last change), a hundred bytes or so in place of the
/// whole item.
fn catalogue_row<T: Content>(item: &T) -> Item {
    let key = keys::catalogue_entry(T::KIND, item.id());
    let entry = EntryData {
        status: item.status(),
        slug: item.slug().map(str::to_string),
        updated_at: item.meta().updated_at.as_str().to_string(),
        order: list_order(item),
    };
    Item {
        pk: key.pk,
        sk: key.sk,
        entity_type: keys::entity::CATALOGUE_ENTRY.into(),
        // A struct of strings always serialises.
        data: serde_json::to_string(&entry).ok(),
        ..Item::default()
    }
}

/// The catalogue-entry write of a change from `before` to `after`: written with
/// every write of an item (its status, slug or date may have changed), deleted
/// with the item.
fn catalogue_change<T: Content>(before: Option<&T>, after: Option<&T>) -> Option<Write> {
    match (before, after) {
        (_, Some(item)) => Some(Write::Put {
            item: catalogue_row(item),
            condition: Condition::None,
        }),
        (Some(item), None) => Some(Write::Delete {
            key: keys::catalogue_entry(T::KIND, item.id()),
            condition: Condition::None,
        }),
        (None, None) => None,
    }
}

/// The `Data` of a catalogue entry.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryData {
    status: Status,
    slug: Option<String>,
    updated_at: String,
    /// The item's place in its list (`list_order`): the sitemap lists newest first.
    order: String,
}

/// One item as its catalogue entry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub status: Status,
    pub slug: Option<String>,
    pub updated_at: String,
}

/// Every item of a kind, newest first, read from the catalogue entries: one
/// Query of small rows. `None` while some item may lack its entry (before
/// `folio migrate`).
pub async fn catalogue(
    store: &dyn Store,
    kind: ContentKind,
) -> Result<Option<Vec<Entry>>, RepoError> {
    let rows = store
        .query(&Query::table(keys::catalogue(kind), SortKeyRange::All))
        .await?;
    if !rows.iter().any(|row| row.sk == keys::CATALOGUE_COMPLETE) {
        return Ok(None);
    }
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows
        .into_iter()
        .filter(|row| row.sk != keys::CATALOGUE_COMPLETE)
    {
        let data: EntryData = serde_json::from_str(row.data.as_deref().unwrap_or("null"))
            .map_err(|e| RepoError::Corrupt(format!("corrupt catalogue entry {}: {e}", row.sk)))?;
        entries.push((
            data.order,
            Entry {
                id: row.sk,
                status: data.status,
                slug: data.slug,
                updated_at: data.updated_at,
            },
        ));
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(Some(entries.into_iter().map(|(_, entry)| entry).collect()))
}

fn to_row<T: Content>(item: &T, version: u64) -> Result<Item, RepoError> {
    let meta = item.meta();
    let data = serde_json::to_string(item).map_err(|e| RepoError::Corrupt(e.to_string()))?;
    let key = keys::content(T::KIND, &meta.id);
    Ok(Item {
        pk: key.pk,
        sk: key.sk,
        gsi1pk: Some(keys::content_by_status(T::KIND, meta.status)),
        gsi1sk: Some(list_order(item)),
        layout: INDEXED_LAYOUT,
        entity_type: T::KIND.as_str().to_string(),
        status: Some(meta.status.as_str().to_string()),
        created_at: Some(meta.created_at.as_str().to_string()),
        updated_at: Some(meta.updated_at.as_str().to_string()),
        data: Some(data),
        version,
        ..Item::default()
    })
}

fn from_row<T: Content>(row: &Item) -> Result<Stored<T>, RepoError> {
    let data = row.data.as_deref().unwrap_or("null");
    let item = serde_json::from_str(data)
        .map_err(|e| RepoError::Corrupt(format!("corrupt {} row {}: {e}", T::KIND, row.pk)))?;
    Ok(Stored {
        item,
        version: row.version,
        indexed: row.layout >= INDEXED_LAYOUT,
    })
}

/// The items rows hold, in the rows' order.
fn items_from_rows<T: Content>(rows: &[Item]) -> Result<Vec<T>, RepoError> {
    rows.iter()
        .map(|row| from_row::<T>(row).map(|s| s.item))
        .collect()
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
pub async fn categories(store: &dyn Store) -> Result<Vec<String>, RepoError> {
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
) -> Result<Option<Stored<T>>, RepoError> {
    match store.get(&keys::content(T::KIND, id)).await? {
        Some(row) => Ok(Some(from_row(&row)?)),
        None => Ok(None),
    }
}

/// The item a slug row points at.
pub async fn get_by_slug<T: Content>(
    store: &dyn Store,
    slug: &str,
) -> Result<Option<Stored<T>>, RepoError> {
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

/// Which item a slug last led to, kept in the process. Never trusted alone: a hit
/// is used only when the item read still has that slug (slugs are unique among
/// current slugs, so it is the one), else the slug row is read again.
pub struct SlugCache(moka::sync::Cache<String, SlugLed>);

#[derive(Clone)]
struct SlugLed {
    id: ItemId,
    /// The item as it was when it was read with this very slug: at that version
    /// it still has it, since every write moves the version.
    checked: Option<Listed>,
}

impl Default for SlugCache {
    fn default() -> Self {
        Self(moka::sync::Cache::new(10_000))
    }
}

/// `get_by_slug` in one read when `cache` knows the slug's item.
pub async fn get_by_slug_cached<T: Content>(
    store: &dyn Store,
    cache: &SlugCache,
    slug: &str,
) -> Result<Option<Stored<T>>, RepoError> {
    if let Some(led) = cache.0.get(slug)
        && let Some(stored) = get::<T>(store, &led.id).await?
        && stored.item.slug() == Some(slug)
    {
        cache.0.insert(slug.to_string(), SlugLed::checked(&stored));
        return Ok(Some(stored));
    }
    let found = get_by_slug::<T>(store, slug).await?;
    match &found {
        Some(stored) if stored.item.slug() == Some(slug) => {
            cache.0.insert(slug.to_string(), SlugLed::checked(stored));
        }
        Some(stored) => cache.0.insert(
            slug.to_string(),
            SlugLed {
                id: stored.item.id().clone(),
                checked: None,
            },
        ),
        None => cache.0.invalidate(slug),
    }
    Ok(found)
}

impl SlugLed {
    fn checked<T: Content>(stored: &Stored<T>) -> Self {
        Self {
            id: stored.item.id().clone(),
            checked: Some(Listed::of(stored)),
        }
    }
}

/// An item as its row says without its data: which version it is at, and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub listed: Listed,
    pub status: Option<String>,
}

/// The item `slug` last led to, with what `kept` holds of it, if `cache` saw it
/// with that slug, `kept` holds something of it, and it has not changed since:
/// one read without its data. `None` says nothing: read the item
/// (`get_by_slug_cached`).
pub async fn unchanged_by_slug<K>(
    store: &dyn Store,
    cache: &SlugCache,
    slug: &str,
    kept: impl Fn(&Listed) -> Option<K>,
) -> Result<Option<(Head, K)>, RepoError> {
    let Some(checked) = cache.0.get(slug).and_then(|led| led.checked) else {
        return Ok(None);
    };
    let Some(value) = kept(&checked) else {
        return Ok(None);
    };
    let Some(head) = self::head(store, &checked.key).await? else {
        return Ok(None);
    };
    Ok((head.listed == checked).then_some((head, value)))
}

/// The head of the item at `key`: one read without its data.
pub async fn head(store: &dyn Store, key: &Key) -> Result<Option<Head>, RepoError> {
    let row = store
        .get_with(key, Attributes::WithoutData { tallies: &[] })
        .await?;
    Ok(row.map(|mut row| Head {
        status: row.status.take(),
        listed: Listed::of_row(row),
    }))
}

/// Scheduled items whose time has come (`publishAt` at or before `now`), the
/// earliest first, at most `limit`: one bounded GSI1 Query. GSI reads are
/// eventually consistent; callers read each item again before acting on it.
pub async fn due<T: Content>(
    store: &dyn Store,
    now: &str,
    limit: usize,
) -> Result<Vec<T>, RepoError> {
    let query = keys::due_by(
        keys::content_by_status(T::KIND, Status::Scheduled),
        now,
        limit,
    );
    items_from_rows(&store.query(&query).await?)
}

/// One page of a list and how many items the whole list holds.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// The tallies of one kind and status summed over every Region's row, or `None`
/// while some item of it has no index rows yet (before `folio migrate`).
async fn tallies(
    store: &dyn Store,
    kind: ContentKind,
    status: Status,
) -> Result<Option<BTreeMap<String, i64>>, RepoError> {
    let rows = store
        .query(&Query::table(
            keys::tallies(kind, status),
            SortKeyRange::All,
        ))
        .await?;
    if !holds_the_marker(&rows) {
        return Ok(None);
    }
    Ok(Some(sum_tallies(&rows)))
}

/// Whether these tally rows include the list's `INDEXED` marker: every item of the
/// list has its index rows, so the summed tallies are its counts.
fn holds_the_marker(rows: &[Item]) -> bool {
    rows.iter().any(|row| row.sk == keys::INDEXED)
}

/// Every tally of the Regions' rows, summed by name.
fn sum_tallies(rows: &[Item]) -> BTreeMap<String, i64> {
    let mut sum = BTreeMap::new();
    for (name, n) in rows.iter().flat_map(|row| &row.tallies) {
        *sum.entry(name.clone()).or_insert(0) += n;
    }
    sum
}

/// The items of `statuses` that `query` asks for, newest first, one page of them,
/// with the total: read in proportion to the page (offset included), never the
/// whole catalogue, once the store is indexed.
pub async fn page<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
    query: &ListQuery,
) -> Result<Page<T>, RepoError> {
    let facets = query.facets();
    match first_page::<T>(store, statuses, query).await? {
        FirstPage::Whole(page) => return Ok(page),
        FirstPage::NotIndexed => return page_by_reading_all(store, statuses, query).await,
        FirstPage::NotAsked => {}
    }
    let mut sums = Vec::with_capacity(statuses.len());
    for status in statuses {
        match tallies(store, T::KIND, *status).await? {
            Some(sum) => sums.push(sum),
            None => return page_by_reading_all(store, statuses, query).await,
        }
    }
    let total_of = |name: &str| -> usize {
        let n: i64 = sums.iter().filter_map(|s| s.get(name)).sum();
        usize::try_from(n).unwrap_or(0)
    };
    let wanted = query.offset + query.limit;
    let one = match facets.as_slice() {
        [] => None,
        [facet] => Some(facet),
        several => return walk_and_check(store, statuses, query, several, total_of).await,
    };
    let total = total_of(&one.map_or_else(|| ALL.to_string(), ToString::to_string));
    if query.offset >= total {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let mut rows = Vec::new();
    for status in statuses {
        let partition = match one {
            None => keys::content_by_status(T::KIND, *status),
            Some(facet) => keys::content_by_facet(T::KIND, *status, facet),
        };
        rows.extend(
            store
                .query(&keys::list_items(partition).first(wanted))
                .await?,
        );
    }
    let page = newest_page(rows, query);
    let items = match one {
        // Unfiltered, the rows are the items themselves.
        None => items_from_rows(&page)?,
        Some(_) => items_of(store, &page).await?,
    };
    Ok(Page {
        items: still_listed(items, statuses, query),
        total,
    })
}

/// What reading an unfiltered list's first page first found.
enum FirstPage<T> {
    /// The page and its total.
    Whole(Page<T>),
    /// Some item of the list has no index rows yet (before `folio migrate`):
    /// there is no total to read.
    NotIndexed,
    /// Not an unfiltered first page of one status, or its head was longer than
    /// the Query allowed for.
    NotAsked,
}

thread_local! {
    /// How many rows a first page's Query allows for the list's head: the marker
    /// and a tally row per Region, so two in one Region, until a longer head is
    /// met (a global table with more Regions); then the longest met, so the items
    /// read past the page stay one, not one per Region that might exist. Kept per
    /// thread: the origin Lambda runs on one, and a worker learns it at most once.
    static LIST_HEAD_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(2) };
}

/// Reads the first page of an unfiltered list in one status with one Query: the
/// list's head (its tally rows and marker, listed above every item), the page, and
/// one row more, which tells a list that fits its page from a longer one. Only
/// while the head is not listed yet (a store before `folio migrate`) does a longer
/// list read its tallies next, from their own partition. The rows come with
/// `attributes`.
async fn first_rows(
    store: &dyn Store,
    kind: ContentKind,
    statuses: &[Status],
    query: &ListQuery,
    attributes: Attributes,
) -> Result<FirstPage<Item>, RepoError> {
    let [status] = statuses else {
        return Ok(FirstPage::NotAsked);
    };
    if query.offset > 0 || !query.facets().is_empty() {
        return Ok(FirstPage::NotAsked);
    }
    // GSI1 lags the table: a row no longer in the list's status is left out
    // (unfiltered, its status is all that decides).
    let listed = |row: &Item| row.status.as_deref() == Some(status.as_str());
    let partition = keys::content_by_status(kind, *status);
    let head_rows = LIST_HEAD_ROWS.get();
    let asked = head_rows + query.limit + 1;
    let rows = store
        .query(&Query::gsi1(partition).first(asked).with(attributes))
        .await?;
    let read_to_the_end = rows.len() < asked;
    let (head, rows): (Vec<Item>, Vec<Item>) = rows
        .into_iter()
        .partition(|row| keys::is_list_head(row.gsi1sk.as_deref()));
    if head.len() > head_rows {
        LIST_HEAD_ROWS.set(head.len());
    }
    if read_to_the_end {
        let mut items: Vec<Item> = rows.into_iter().filter(|row| listed(row)).collect();
        let total = items.len();
        items.truncate(query.limit);
        return Ok(FirstPage::Whole(Page { items, total }));
    }
    if rows.len() <= query.limit {
        // A head longer than this read allowed for: the page is read again (and
        // the next first page allows for it).
        return Ok(FirstPage::NotAsked);
    }
    let total = if holds_the_marker(&head) {
        sum_tallies(&head).get(ALL).copied().unwrap_or(0)
    } else {
        match tallies(store, kind, *status).await? {
            Some(sum) => sum.get(ALL).copied().unwrap_or(0),
            None => return Ok(FirstPage::NotIndexed),
        }
    };
    let items = newest_page(rows, query)
        .into_iter()
        .filter(|row| listed(row))
        .collect();
    Ok(FirstPage::Whole(Page {
        items,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

/// `first_rows` with the items of the rows.
async fn first_page<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
    query: &ListQuery,
) -> Result<FirstPage<T>, RepoError> {
    Ok(
        match first_rows(store, T::KIND, statuses, query, Attributes::All).await? {
            FirstPage::Whole(Page { items, total }) => FirstPage::Whole(Page {
                items: still_listed(items_from_rows(&items)?, statuses, query),
                total,
            }),
            FirstPage::NotIndexed => FirstPage::NotIndexed,
            FirstPage::NotAsked => FirstPage::NotAsked,
        },
    )
}

/// An item of a list as its row says, without its data: which item, at which
/// version. What readers get of it is kept by version elsewhere (the origin's
/// cache of representations), so a list whose items did not change reads none of
/// their bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Listed {
    pub key: Key,
    pub version: u64,
    pub updated_at: String,
}

/// The first page of an unfiltered list in one status, as `Listed` rows, with
/// its total: one Query that reads no item's data (and the tallies, while the
/// list's head does not hold its total). `None` when the query is not such a
/// page, or the list is not indexed yet: `page` answers it.
pub async fn first_page_listed(
    store: &dyn Store,
    kind: ContentKind,
    status: Status,
    query: &ListQuery,
) -> Result<Option<Page<Listed>>, RepoError> {
    let attributes = Attributes::WithoutData { tallies: &[ALL] };
    let FirstPage::Whole(page) = first_rows(store, kind, &[status], query, attributes).await?
    else {
        return Ok(None);
    };
    Ok(Some(Page {
        items: page.items.into_iter().map(Listed::of_row).collect(),
        total: page.total,
    }))
}

/// The newest `limit` items in one status, as `Listed` rows: one bounded GSI1
/// Query that reads no item's data.
pub async fn newest_listed(
    store: &dyn Store,
    kind: ContentKind,
    status: Status,
    limit: usize,
) -> Result<Vec<Listed>, RepoError> {
    let query = keys::list_items(keys::content_by_status(kind, status))
        .first(limit)
        .with(Attributes::WithoutData { tallies: &[] });
    Ok(store
        .query(&query)
        .await?
        .into_iter()
        .map(Listed::of_row)
        .collect())
}

impl Listed {
    /// An item's row, or its row in a list (a GSI1 row of the same item).
    fn of_row(row: Item) -> Self {
        Self {
            key: Key::new(row.pk, keys::META),
            version: row.version,
            updated_at: row.updated_at.unwrap_or_default(),
        }
    }

    /// How a list would name `stored`.
    pub fn of<T: Content>(stored: &Stored<T>) -> Self {
        Self {
            key: keys::content(T::KIND, stored.item.id()),
            version: stored.version,
            updated_at: stored.item.meta().updated_at.as_str().to_string(),
        }
    }
}

/// The items at `keys`, in their order (`None`: no such item): one batch read.
pub async fn get_many<T: Content>(
    store: &dyn Store,
    keys: &[Key],
) -> Result<Vec<Option<Stored<T>>>, RepoError> {
    store
        .get_many(keys)
        .await?
        .iter()
        .map(|row| row.as_ref().map(from_row::<T>).transpose())
        .collect()
}

/// Two filters at once: walks the index rows of one (the tag, whose rows carry the
/// single-valued facets; else the rarer value) and checks the others on them,
/// without reading the items.
async fn walk_and_check<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
    query: &ListQuery,
    several: &[Facet],
    total_of: impl Fn(&str) -> usize,
) -> Result<Page<T>, RepoError> {
    let walked = several
        .iter()
        .find(|f| f.is_multi_valued())
        .or_else(|| several.iter().min_by_key(|f| total_of(&f.to_string())))
        .ok_or_else(|| RepoError::Corrupt("no filter to walk".into()))?;
    let others: Vec<String> = several
        .iter()
        .filter(|f| *f != walked)
        .map(ToString::to_string)
        .collect();
    let mut rows = Vec::new();
    for status in statuses {
        let partition = keys::content_by_facet(T::KIND, *status, walked);
        rows.extend(store.query(&Query::gsi1(partition)).await?);
    }
    rows.retain(|row| {
        let single: Vec<String> = row
            .data
            .as_deref()
            .and_then(|data| serde_json::from_str(data).ok())
            .unwrap_or_default();
        others.iter().all(|f| single.contains(f))
    });
    let total = rows.len();
    let items = items_of(store, &newest_page(rows, query)).await?;
    Ok(Page {
        items: still_listed(items, statuses, query),
        total,
    })
}

/// The rows of one page of rows read from one or more status partitions.
fn newest_page(mut rows: Vec<Item>, query: &ListQuery) -> Vec<Item> {
    rows.sort_by(|a, b| b.gsi1sk.cmp(&a.gsi1sk));
    rows.into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect()
}

/// The items index rows point at, in their order: one batch read.
async fn items_of<T: Content>(store: &dyn Store, rows: &[Item]) -> Result<Vec<T>, RepoError> {
    let keys: Vec<Key> = rows
        .iter()
        .map(|row| Key::new(row.pk.clone(), keys::META))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for row in store.get_many(&keys).await?.into_iter().flatten() {
        items.push(from_row::<T>(&row)?.item);
    }
    Ok(items)
}

/// GSI1 is eventually consistent: an item written a moment ago may still sit under
/// its old status or filter value; such an item is left out rather than shown
/// where it no longer belongs.
fn still_listed<T: Content>(items: Vec<T>, statuses: &[Status], query: &ListQuery) -> Vec<T> {
    items
        .into_iter()
        .filter(|item| statuses.contains(&item.status()) && item.matches(query))
        .collect()
}

/// The list as read before index rows existed: every item, filtered and paged in
/// memory, until the store is marked indexed. Having read every item of these
/// statuses anyway, it marks them indexed when each was written with its index
/// rows (a new table): lazily, what `folio migrate` would do.
async fn page_by_reading_all<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
    query: &ListQuery,
) -> Result<Page<T>, RepoError> {
    let rows = rows_of::<T>(store, statuses).await?;
    if rows.iter().all(|row| row.layout >= INDEXED_LAYOUT)
        && let Err(e) = mark_indexed(store, T::KIND, statuses).await
    {
        tracing::warn!(error = %e, "could not mark the lists indexed");
    }
    let mut matching = Vec::new();
    for row in &rows {
        let item = from_row::<T>(row)?.item;
        if item.matches(query) {
            matching.push(item);
        }
    }
    let total = matching.len();
    let items = matching
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    Ok(Page { items, total })
}

/// Marks `statuses` of a kind indexed, once every item of them is counted. The
/// marker is listed at the head of its list too (a first page then reads its total
/// there) when every Region's tally row is: each Region lists its own row when it
/// next counts, or when `folio migrate` runs there, never another Region's (on a
/// global table two Regions writing one row can lose a count).
async fn mark_indexed(
    store: &dyn Store,
    kind: ContentKind,
    statuses: &[Status],
) -> Result<(), RepoError> {
    let mut writes = Vec::with_capacity(statuses.len());
    for status in statuses {
        let tally_rows = store
            .query(&Query::table(
                keys::tallies(kind, *status),
                SortKeyRange::All,
            ))
            .await?;
        let listed = tally_rows
            .iter()
            .all(|row| row.sk == keys::INDEXED || row.gsi1pk.is_some());
        let key = keys::indexed_marker(kind, *status);
        let at = listed.then(|| keys::list_head(kind, *status, &key.sk));
        writes.push(Write::Put {
            item: Item {
                gsi1pk: at.as_ref().map(|k| k.pk.clone()),
                gsi1sk: at.map(|k| k.sk),
                pk: key.pk,
                sk: key.sk,
                entity_type: keys::entity::INDEXED_MARKER.into(),
                layout: INDEXED_LAYOUT,
                ..Item::default()
            },
            condition: Condition::None,
        });
    }
    store.transact(writes).await?;
    Ok(())
}

/// How far the markers of a kind go: one GetItem per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marked {
    /// Some status is not marked: some item may not be counted.
    No,
    /// Every status is marked, and some marker is not listed at its list's head.
    Indexed,
    /// Every status is marked and every marker listed.
    Listed,
}

async fn marked(store: &dyn Store, kind: ContentKind) -> Result<Marked, RepoError> {
    let mut listed = true;
    for status in Status::ALL {
        match store.get(&keys::indexed_marker(kind, status)).await? {
            None => return Ok(Marked::No),
            Some(marker) => listed &= marker.gsi1pk.is_some(),
        }
    }
    Ok(if listed {
        Marked::Listed
    } else {
        Marked::Indexed
    })
}

/// Which items `migrate` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// No item when the kind is marked indexed already, and nothing at all when
    /// its markers are listed too (`folio serve`'s start).
    UnlessMarked,
    /// Every item, to index any an older folio wrote after a first run and to mend
    /// the catalogue entries it left out of date (`folio migrate`, run again after
    /// a deploy replaced the older version).
    Everything,
}

/// What `migrate` did to one kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// Items given their index rows and counted now.
    pub indexed: usize,
    /// Items that had them already.
    pub already: usize,
    /// Catalogue entries written: missing, or not matching their item.
    pub entries: usize,
    /// Catalogue entries removed: their item was deleted (by an older folio,
    /// which knew nothing of entries).
    pub orphans: usize,
}

/// Walks every item of a kind once and brings it up to date, each item in one
/// transaction conditional on its version (a concurrent write wins and the item
/// is read again):
///
/// - its catalogue entry, where it is missing or does not match the item (an
///   older folio wrote the item), unless the kind's catalogue is marked complete
///   already; entries whose item is gone are removed, and the catalogue is
///   marked complete;
/// - its index rows and its place in this Region's tallies, where an older folio
///   wrote it without them; then this Region's tally rows are listed at the head
///   of their lists and every status is marked indexed, so lists read the
///   bounded way.
///
/// Safe beside a running service and safe to run again. On a global table, run
/// it in one Region, then (with nothing left to index, only its own tally rows to
/// list) in each other Region that runs an origin.
pub async fn migrate<T: Content>(
    store: &dyn Store,
    region: &str,
    walk: Walk,
    mut progress: impl FnMut(Migrated),
) -> Result<Migrated, RepoError> {
    let mut done = Migrated::default();
    let (marked, catalogued) = match walk {
        Walk::UnlessMarked => (
            marked(store, T::KIND).await?,
            store.get(&keys::catalogue_marker(T::KIND)).await?.is_some(),
        ),
        Walk::Everything => (Marked::No, false),
    };
    let index = marked == Marked::No;
    if index || !catalogued {
        // The entries as they are, read before the items: an item created after
        // this read was written with its entry, so an entry read here whose item
        // the walk does not meet is checked, not assumed, to be an orphan.
        let mut entries: HashMap<String, Item> = HashMap::new();
        if !catalogued {
            for row in store
                .query(&Query::table(keys::catalogue(T::KIND), SortKeyRange::All))
                .await?
            {
                entries.insert(row.sk.clone(), row);
            }
        }
        for status in Status::ALL {
            let rows = store
                .query(&keys::list_items(keys::content_by_status(T::KIND, status)))
                .await?;
            for row in rows {
                let stored = from_row::<T>(&row)?;
                let existing = entries.remove(stored.item.id().as_str());
                let wants_entry = |item: &T| {
                    let entry = catalogue_row(item);
                    let current = existing.as_ref().map(|row| (&row.entity_type, &row.data));
                    (!catalogued && current != Some((&entry.entity_type, &entry.data)))
                        .then_some(entry)
                };
                // What the last attempt wrote: (index rows, entry).
                let attempted = std::cell::Cell::new((false, false));
                let written = write_unless_changed(store, stored, |current| {
                    let entry = wants_entry(&current.item);
                    let index_rows = index && !current.indexed;
                    attempted.set((index_rows, entry.is_some()));
                    let mut writes = Vec::new();
                    if index_rows {
                        writes.push(Write::Put {
                            item: to_row(&current.item, current.version + 1)?,
                            condition: Condition::VersionIs(current.version),
                        });
                        writes.extend(list_changes(None, Some(&current.item), region));
                    }
                    if let Some(entry) = entry {
                        if writes.is_empty() {
                            writes.push(Write::Check {
                                key: keys::content(T::KIND, current.item.id()),
                                condition: Condition::VersionIs(current.version),
                            });
                        }
                        writes.push(Write::Put {
                            item: entry,
                            condition: Condition::None,
                        });
                    }
                    Ok((!writes.is_empty()).then_some(writes))
                })
                .await?;
                let (index_rows, entry) = attempted.get();
                match written {
                    Written::Gone => {}
                    Written::Yes | Written::NotNeeded => {
                        let wrote = written == Written::Yes;
                        if index {
                            if wrote && index_rows {
                                done.indexed += 1;
                            } else {
                                done.already += 1;
                            }
                        }
                        done.entries += usize::from(wrote && entry);
                    }
                }
                progress(done);
            }
        }
        if !catalogued {
            for sk in entries
                .into_keys()
                .filter(|sk| sk.as_str() != keys::CATALOGUE_COMPLETE)
            {
                done.orphans += remove_orphan(store, T::KIND, &sk).await?;
                progress(done);
            }
            mark_catalogued(store, T::KIND).await?;
        }
    }
    if marked == Marked::Listed {
        return Ok(done);
    }
    // This Region's tally rows are listed at the head of their lists (created at
    // zero where it has counted nothing yet), then the markers.
    let own_rows = Status::ALL
        .into_iter()
        .map(|status| listed_tally(T::KIND, status, region, Vec::new()))
        .collect();
    store.transact(own_rows).await?;
    mark_indexed(store, T::KIND, &Status::ALL).await?;
    Ok(done)
}

/// Removes the catalogue entry `sk` unless its item exists (the walk missed an
/// item that moved between statuses meanwhile): 1 if it was removed.
async fn remove_orphan(store: &dyn Store, kind: ContentKind, sk: &str) -> Result<usize, RepoError> {
    let entry = Key::new(keys::catalogue(kind), sk);
    let Ok(id) = ItemId::parse("id", sk) else {
        return Ok(0);
    };
    let removal = vec![
        Write::Check {
            key: keys::content(kind, &id),
            condition: Condition::NotExists,
        },
        Write::Delete {
            key: entry,
            condition: Condition::None,
        },
    ];
    match store.transact(removal).await {
        Ok(()) => Ok(1),
        Err(StoreError::ConditionFailed { .. }) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// The marker that lets the sitemap and the statistics read a kind's entries.
async fn mark_catalogued(store: &dyn Store, kind: ContentKind) -> Result<(), RepoError> {
    let marker = keys::catalogue_marker(kind);
    store
        .transact(vec![Write::Put {
            item: Item {
                pk: marker.pk,
                sk: marker.sk,
                entity_type: keys::entity::CATALOGUE_MARKER.into(),
                ..Item::default()
            },
            condition: Condition::None,
        }])
        .await?;
    Ok(())
}

/// What `write_unless_changed` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Yes,
    /// The item, as last read, needed no write.
    NotNeeded,
    /// The item was deleted meanwhile.
    Gone,
}

/// Applies the writes `writes_for` asks for an item (`None`: none needed), in a
/// transaction whose writes check the item's version: when a concurrent write
/// changed the item first, the item is read again and asked about again.
async fn write_unless_changed<T: Content>(
    store: &dyn Store,
    mut current: Stored<T>,
    writes_for: impl Fn(&Stored<T>) -> Result<Option<Vec<Write>>, RepoError>,
) -> Result<Written, RepoError> {
    loop {
        let Some(writes) = writes_for(&current)? else {
            return Ok(Written::NotNeeded);
        };
        match store.transact(writes).await {
            Ok(()) => return Ok(Written::Yes),
            Err(StoreError::ConditionFailed { .. }) => {
                match get::<T>(store, current.item.id()).await? {
                    Some(again) => current = again,
                    None => return Ok(Written::Gone),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `migrate` for every kind; `progress` hears each kind's running figures.
pub async fn migrate_all(
    store: &dyn Store,
    region: &str,
    walk: Walk,
    mut progress: impl FnMut(ContentKind, Migrated),
) -> Result<Migrated, RepoError> {
    use folio_shared::domain::{BlogPost, Certification, Project};
    let blog = migrate::<BlogPost>(store, region, walk, |m| progress(ContentKind::Blog, m)).await?;
    let projects =
        migrate::<Project>(store, region, walk, |m| progress(ContentKind::Project, m)).await?;
    let certifications = migrate::<Certification>(store, region, walk, |m| {
        progress(ContentKind::Certification, m)
    })
    .await?;
    Ok(Migrated {
        indexed: blog.indexed + projects.indexed + certifications.indexed,
        already: blog.already + projects.already + certifications.already,
        entries: blog.entries + projects.entries + certifications.entries,
        orphans: blog.orphans + projects.orphans + certifications.orphans,
    })
}

/// Every row of a kind in the given statuses, newest first (one GSI1 Query per
/// status).
async fn rows_of<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
) -> Result<Vec<Item>, RepoError> {
    let mut rows = Vec::new();
    for status in statuses {
        rows.extend(
            store
                .query(&keys::list_items(keys::content_by_status(T::KIND, *status)))
                .await?,
        );
    }
    if statuses.len() > 1 {
        rows.sort_by(|a, b| b.gsi1sk.cmp(&a.gsi1sk));
    }
    Ok(rows)
}

/// Every item in the given statuses, newest first: for what returns them all
/// (the sitemap, an export).
pub async fn list<T: Content>(store: &dyn Store, statuses: &[Status]) -> Result<Vec<T>, RepoError> {
    items_from_rows(&rows_of::<T>(store, statuses).await?)
}

/// The ids and statuses of every item of a kind: from the catalogue entries, or,
/// in a store `folio migrate` has not given them yet, from the items.
pub async fn ids(store: &dyn Store, kind: ContentKind) -> Result<Vec<(String, Status)>, RepoError> {
    if let Some(entries) = catalogue(store, kind).await? {
        return Ok(entries.into_iter().map(|e| (e.id, e.status)).collect());
    }
    let mut out = Vec::new();
    for status in Status::ALL {
        for row in store
            .query(&keys::list_items(keys::content_by_status(kind, status)))
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
/// the slug the item holds now and whether links to it may exist: its row is
/// released, or kept pointing at the item (so the old address can redirect; the
/// slug stays taken), or kept as it is when a candidate is that same slug
/// (DynamoDB allows one operation per item in a transaction, so the row is
/// neither put nor deleted then).
async fn write_with_new_slug<T: Content>(
    store: &dyn Store,
    item: &mut T,
    base: &str,
    version: u64,
    extra: Vec<Write>,
    content_condition: Condition,
    current: Option<(&str, bool)>,
) -> Result<(), RepoError> {
    let (current, linked) = current.map_or((None, false), |(slug, linked)| (Some(slug), linked));
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
        if let Some(old) = current.filter(|_| !keeps_current && !linked) {
            writes.push(Write::Delete {
                key: keys::slug(old),
                condition: Condition::None,
            });
        }
        writes.extend(extra.iter().cloned());
        match store.transact(writes).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { index: 0, .. }) if !keeps_current => continue,
            Err(StoreError::ConditionFailed { .. }) => return Err(RepoError::Changed),
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Conflict(format!("No free slug near '{base}'")))
}

/// Writes a new item as given (a new draft, or an import: its id, dates, status
/// and slug kept; a slug another item holds gets the next free candidate), with the
/// category count a published post adds. Refused if the id exists.
pub async fn create<T: Content>(store: &dyn Store, item: T, region: &str) -> Result<T, RepoError> {
    create_at(store, item, region, 1, Vec::new()).await
}

/// `create`, at `version` (an item restored after deletion carries on from the
/// version its history ends at), with `extra` writes in the same transaction.
pub async fn create_at<T: Content>(
    store: &dyn Store,
    mut item: T,
    region: &str,
    version: u64,
    extra: Vec<Write>,
) -> Result<T, RepoError> {
    let mut derived = derived_changes(None, Some(&item), region);
    derived.extend(extra);
    match item.slug().map(str::to_string) {
        Some(base) => {
            write_with_new_slug(
                store,
                &mut item,
                &base,
                version,
                derived,
                Condition::NotExists,
                None,
            )
            .await?
        }
        None => {
            let mut writes = vec![Write::Put {
                item: to_row(&item, version)?,
                condition: Condition::NotExists,
            }];
            writes.extend(derived);
            match store.transact(writes).await {
                Ok(()) => {}
                Err(StoreError::ConditionFailed { index: 0, .. }) => {
                    return Err(RepoError::Conflict(format!("{} exists", item.id())));
                }
                Err(StoreError::ConditionFailed { .. }) => return Err(RepoError::Changed),
                Err(e) => return Err(e.into()),
            }
        }
    }
    count_change(store, region).await;
    Ok(item)
}

/// Replaces `old` with `new` if nobody wrote the item since `old` was read;
/// otherwise `PreconditionFailed`. A draft's slug follows its title. `old` is
/// kept as a revision, replaced by `author` at `new`'s `updatedAt`.
pub async fn replace<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    new: T,
    region: &str,
    author: &Author,
) -> Result<T, RepoError> {
    replace_with(store, old, new, region, author, Vec::new()).await
}

/// `replace`, with `extra` writes (a webhook outbox) in the same transaction.
pub async fn replace_with<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    mut new: T,
    region: &str,
    author: &Author,
    extra: Vec<Write>,
) -> Result<T, RepoError> {
    let version = old.version + 1;
    let condition = Condition::VersionIs(old.version);
    let mut aggregates = derived_changes(Some(old), Some(&new), region);
    let counted_down = counted_down(&aggregates);
    aggregates.extend(history::keep(
        old,
        Some(&new),
        author,
        &new.meta().updated_at,
    )?);
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
            Some((&old_slug, old.item.slug_may_be_linked())),
        )
        .await?;
        after_replace(store, old, region, counted_down).await;
        return Ok(new);
    }
    let mut writes = vec![Write::Put {
        item: to_row(&new, version)?,
        condition,
    }];
    writes.extend(aggregates);
    match store.transact(writes).await {
        Ok(()) => {
            after_replace(store, old, region, counted_down).await;
            Ok(new)
        }
        Err(StoreError::ConditionFailed { .. }) => Err(RepoError::Changed),
        Err(e) => Err(e.into()),
    }
}

/// How many content writes every Region counted: what search's index was
/// built at, read back to know whether it is current.
pub async fn changes(store: &dyn Store) -> Result<i64, RepoError> {
    Ok(store
        .query(&keys::every_content_change())
        .await?
        .iter()
        .map(|row| row.count)
        .sum())
}

/// Counts a content write, after it: outside its transaction, so writes of
/// different items never contend for the counter. A failure leaves search's
/// index as it was until the next write counts.
async fn count_change(store: &dyn Store, region: &str) {
    let counted = store
        .transact(vec![Write::Increment {
            key: keys::content_changes(region),
            entity_type: keys::entity::COUNTER.into(),
            by: 1,
            label: None,
        }])
        .await;
    if let Err(e) = counted {
        tracing::warn!(error = %e, "a content write was not counted; search may lag until the next");
    }
}

/// The best-effort upkeep after a save: the write counted, tallies at zero
/// pruned, old revisions aged.
async fn after_replace<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    region: &str,
    counted_down: Vec<(Key, Vec<String>)>,
) {
    count_change(store, region).await;
    prune_tallies(store, counted_down).await;
    history::age(
        store,
        T::KIND,
        old.item.id(),
        old.version,
        chrono::Utc::now(),
    )
    .await;
}

/// Deletes the item (and its slug and category count), with `extra` writes (a
/// webhook outbox) in the same transaction. Its last version is kept as a
/// revision, and the item is listed as restorable (`history::TRASH_DAYS`).
pub async fn delete<T: Content>(
    store: &dyn Store,
    old: &Stored<T>,
    region: &str,
    author: &Author,
    extra: Vec<Write>,
) -> Result<(), RepoError> {
    let now = folio_shared::domain::Timestamp::now();
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
    let derived = derived_changes(Some(old), None, region);
    let counted_down = counted_down(&derived);
    writes.extend(derived);
    writes.extend(history::keep(old, None, author, &now)?);
    writes.extend(extra);
    match store.transact(writes).await {
        Ok(()) => {
            count_change(store, region).await;
            prune_tallies(store, counted_down).await;
            Ok(())
        }
        Err(StoreError::ConditionFailed { .. }) => Err(RepoError::Changed),
        Err(e) => Err(e.into()),
    }
}
