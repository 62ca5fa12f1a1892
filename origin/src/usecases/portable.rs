//! folio's portable format: everything a store holds that a portfolio owner would
//! miss (posts, projects, certifications, view and visitor counts, daily visitor
//! rows) as JSON Lines, one record a line, in a fixed order so that two exports of
//! the same content are the same bytes, whatever store they came from.
//!
//! ```text
//! {"type":"header","format":"folio-export","version":1}
//! {"type":"revision","contentType":"blog","id":"...","revision":{...},"item":{...}}
//! {"type":"trashed","contentType":"blog","id":"...","version":3,...}
//! {"type":"blog","item":{...a BlogPost as GET answers it...}}
//! {"type":"project","item":{...}}
//! {"type":"certification","item":{...}}
//! {"type":"views","contentType":"blog","contentId":"...","views":12}
//! {"type":"visitorsDay","day":"2026-11-27","visitors":3}
//! {"type":"visitors","total":40}
//! {"type":"totalViews","views":95}
//! {"type":"dayTallies","table":"audience","day":"2026-11-27","tallies":{"src:LinkedIn":2,…}}
//! {"type":"redirect","from":"/blog/3.0","to":"/blog/3-0"}
//! {"type":"media","name":"3f2a….png","contentType":"image/png","data":"<base64>"}
//! ```
//!
//! Images travel in the file: every `/media/<name>` an item links to (cover,
//! image, pictures in the Markdown) is a `media` record, so a site moved from
//! `folio serve` to AWS keeps its images. Importing stores each one in the
//! target's media storage (never replacing an object) and rewrites the items'
//! links from the source's address to the target's. An image the source no longer
//! has is named, and its links are left as they were.
//!
//! Every item's history travels too (`crate::repo::history`): its revisions,
//! oldest first, before the items, so an item created by the import carries on
//! from the version its history ends at; and the deleted items still
//! restorable.
//!
//! The analytics travel as each day's tallies per table (`dayTallies`: where
//! visits came from, their profiles, what each profile read, views and reads
//! per item), summed over every Region's rows and shards.
//!
//! Counts are summed over every Region's rows. Importing sets them: this Region's
//! row takes the difference, so an import run twice (or killed and run again) ends
//! with the same counts. Each content item is written in a transaction of its own
//! (the item, its slug, its category count) and compared first, so re-running an
//! import changes nothing that is already there.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use folio_shared::FieldError;
use folio_shared::domain::{
    BlogPost, BodyError, Certification, Content, ContentKind, Fields, ItemId, Project, Status,
};
use serde::{Deserialize, Serialize};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::ports::keys;
use crate::ports::media::{MAX_IMAGE_BYTES, MediaObjects, looks_like, parse_name};
use crate::ports::store::{Query, SortKeyRange, Store, StoreError, Write};
use crate::repo::RepoError;
use crate::repo::content as repo;
use crate::repo::history::{self, Author};
use crate::usecases::error::UseCaseError;
use crate::usecases::{audience, redirects, tracking};

pub const FORMAT: &str = "folio-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Record {
    Header {
        format: String,
        version: u32,
    },
    /// An earlier version of an item, and the item as it was then.
    #[serde(rename_all = "camelCase")]
    Revision {
        content_type: ContentKind,
        id: ItemId,
        revision: history::Revision,
        item: serde_json::Value,
    },
    /// A deleted item the owner can still restore (its last version is a
    /// `revision` record).
    Trashed(history::Trashed),
    Blog {
        item: BlogPost,
    },
    Project {
        item: Project,
    },
    Certification {
        item: Certification,
    },
    #[serde(rename_all = "camelCase")]
    Views {
        content_type: ContentKind,
        content_id: String,
        views: i64,
    },
    VisitorsDay {
        day: NaiveDate,
        visitors: i64,
    },
    Visitors {
        total: i64,
    },
    TotalViews {
        views: i64,
    },
    /// One day's tallies of one of the analytics tables, every Region's and
    /// shard's summed. Importing sets them, as it sets the counts.
    DayTallies {
        table: TallyTable,
        day: NaiveDate,
        tallies: BTreeMap<String, i64>,
    },
    /// One of the owner's redirects (`crate::usecases::redirects`).
    Redirect {
        from: String,
        to: String,
    },
    /// An image: `media/<name>`, its bytes in standard base64.
    #[serde(rename_all = "camelCase")]
    Media {
        name: String,
        content_type: String,
        data: String,
    },
}

/// The analytics tables kept as a day's tallies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TallyTable {
    /// Where visits came from and on what (`keys::audience_on`).
    Audience,
    /// The visits' profiles (`keys::audience_profiles_on`).
    Profiles,
    /// What each profile read (`keys::profiled_reading_on`).
    ProfileReading,
    /// Views, reads and time on page per item (`keys::readership_on`).
    Readership,
}

/// The most tallies one `dayTallies` record may set, and the longest name.
const MAX_DAY_TALLIES: usize = 100_000;
const MAX_TALLY_NAME: usize = 400;

impl TallyTable {
    const ALL: [TallyTable; 4] = [
        Self::Audience,
        Self::Profiles,
        Self::ProfileReading,
        Self::Readership,
    ];

    fn partition(self) -> &'static str {
        match self {
            Self::Audience => keys::AUDIENCE,
            Self::Profiles => keys::AUDIENCE_PROFILES,
            Self::ProfileReading => keys::PROFILED_READING,
            Self::Readership => keys::READERSHIP,
        }
    }

    fn entity_type(self) -> &'static str {
        match self {
            Self::Audience => keys::entity::AUDIENCE,
            Self::Profiles => keys::entity::AUDIENCE_PROFILES,
            Self::ProfileReading => keys::entity::PROFILED_READING,
            Self::Readership => keys::entity::READERSHIP,
        }
    }

    /// This Region's row of `day` a tally named `name` is kept in.
    fn row_of(self, day: NaiveDate, region: &str, name: &str) -> crate::ports::store::Key {
        match self {
            Self::Audience => keys::audience_on(day, region),
            Self::Profiles => {
                keys::audience_profiles_on(day, region, audience::profile_shard(name))
            }
            Self::ProfileReading => {
                keys::profiled_reading_on(day, region, audience::reading_shard(name).unwrap_or('A'))
            }
            Self::Readership => keys::readership_on(day, region),
        }
    }
}

/// Every day's tallies of `table`, summed over Regions and shards.
async fn day_tallies(
    store: &dyn Store,
    table: TallyTable,
) -> Result<BTreeMap<NaiveDate, BTreeMap<String, i64>>, UseCaseError> {
    let rows = store
        .query(&Query::table(
            table.partition(),
            SortKeyRange::BeginsWith("DAY#".into()),
        ))
        .await?;
    let mut days: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    for row in rows {
        if let Some(day) = keys::day_of_visits_row(&row.sk) {
            let sums = days.entry(day).or_default();
            for (name, n) in row.tallies {
                *sums.entry(name).or_default() += n;
            }
        }
    }
    for sums in days.values_mut() {
        sums.retain(|_, n| *n != 0);
    }
    days.retain(|_, sums| !sums.is_empty());
    Ok(days)
}

/// Sets the day's tallies of `table` to `target`: this Region's rows take the
/// difference from every Region's sum, so an import run twice ends the same.
async fn set_day_tallies(
    store: &dyn Store,
    table: TallyTable,
    day: NaiveDate,
    target: BTreeMap<String, i64>,
    region: &str,
    dry_run: bool,
) -> Result<Result<Outcome, FieldError>, UseCaseError> {
    let rows = store
        .query(&Query::table(
            table.partition(),
            keys::visits_between(day, day),
        ))
        .await?;
    let mut current: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        for (name, n) in &row.tallies {
            *current.entry(name.clone()).or_default() += n;
        }
    }
    // Each row's changes, by its sort key (one Tally write a row).
    let mut by_row: BTreeMap<String, (crate::ports::store::Key, Vec<(String, i64)>)> =
        BTreeMap::new();
    let names: BTreeSet<&String> = current.keys().chain(target.keys()).collect();
    for name in names {
        let delta =
            target.get(name).copied().unwrap_or(0) - current.get(name).copied().unwrap_or(0);
        if delta != 0 {
            let key = table.row_of(day, region, name);
            by_row
                .entry(key.sk.clone())
                .or_insert_with(|| (key, Vec::new()))
                .1
                .push((name.clone(), delta));
        }
    }
    if by_row.is_empty() {
        return Ok(Ok(Outcome::Unchanged));
    }
    // Every row as it would be, checked before anything is written: a record
    // too large for DynamoDB's items is refused whole.
    for (sk, (key, by)) in &by_row {
        let mut after = rows
            .iter()
            .find(|row| &row.sk == sk)
            .cloned()
            .unwrap_or_else(|| crate::ports::store::Item {
                pk: key.pk.clone(),
                sk: key.sk.clone(),
                entity_type: table.entity_type().into(),
                ..Default::default()
            });
        for (name, delta) in by {
            *after.tallies.entry(name.clone()).or_default() += delta;
        }
        let size = crate::ports::store::item_size(&after);
        if size > crate::ports::store::limits::MAX_ITEM_BYTES {
            return Ok(Err(FieldError::new(
                "tallies",
                format!(
                    "too many for one row of the day ({size} bytes, DynamoDB's item limit is {})",
                    crate::ports::store::limits::MAX_ITEM_BYTES
                ),
            )));
        }
    }
    if !dry_run {
        for (key, by) in by_row.into_values() {
            let write = Write::Tally {
                key,
                entity_type: table.entity_type().into(),
                by,
                listed_at: None,
            };
            match store.transact(vec![write]).await {
                Ok(()) => {}
                Err(StoreError::Limit(limit)) => {
                    return Ok(Err(FieldError::new(
                        "tallies",
                        format!("too many for one row of the day: {limit}"),
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(Ok(if rows.is_empty() {
        Outcome::Created
    } else {
        Outcome::Updated
    }))
}

/// An absolute link to a media object inside some text:
/// `http(s)://<host>/media/<name>`, at `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLink {
    pub range: std::ops::Range<usize>,
    /// Where the link's `/media/` starts (the end of its base).
    pub path_start: usize,
    pub name: String,
}

/// Every absolute link to a media object in `text` (a record's JSON, a post's
/// Markdown), in order. Linear in the text's length.
pub fn media_links(text: &str) -> Vec<MediaLink> {
    const MARK: &str = "/media/";
    let bytes = text.as_bytes();
    let host = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']');
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(MARK) {
        let at = from + found;
        from = at + MARK.len();
        let name_end = from
            + bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .count();
        // A sentence may end right after a link: its full stop is not the name's.
        let name = text[from..name_end].trim_end_matches('.');
        if parse_name(name).is_none() {
            continue;
        }
        // The host, walked back at most as far as a host name can be long (so a
        // text of many `/media/` marks stays linear).
        let mut start = at;
        while start > 0 && at - start <= 300 && host(bytes[start - 1]) {
            start -= 1;
        }
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| text[..start].ends_with(s));
        let Some(scheme) = scheme else { continue };
        if start == at {
            continue;
        }
        links.push(MediaLink {
            range: start - scheme.len()..from + name.len(),
            path_start: at,
            name: name.to_string(),
        });
    }
    links
}

/// `text` with every link to one of `names` pointing at `base` instead.
pub fn rewrite_media_links(text: &str, names: &BTreeSet<String>, base: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for link in media_links(text) {
        if names.contains(&link.name) {
            out.push_str(&text[last..link.range.start]);
            out.push_str(base.trim_end_matches('/'));
            last = link.path_start;
        }
    }
    out.push_str(&text[last..]);
    out
}

fn header() -> Record {
    Record::Header {
        format: FORMAT.into(),
        version: VERSION,
    }
}

async fn items<T: Content>(store: &dyn Store) -> Result<Vec<T>, UseCaseError> {
    let mut items = repo::list::<T>(store, &Status::ALL).await?;
    items.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
    Ok(items)
}

/// Every record of a store, in the format's order.
pub async fn export(store: &dyn Store) -> Result<Vec<Record>, UseCaseError> {
    let mut out = vec![header()];
    let posts = items::<BlogPost>(store).await?;
    let projects = items::<Project>(store).await?;
    let certifications = items::<Certification>(store).await?;
    let trashed = history::all_trashed(store).await?;
    let mut histories: Vec<(ContentKind, ItemId)> = posts
        .iter()
        .map(|i| (ContentKind::Blog, i.id().clone()))
        .chain(
            projects
                .iter()
                .map(|i| (ContentKind::Project, i.id().clone())),
        )
        .chain(
            certifications
                .iter()
                .map(|i| (ContentKind::Certification, i.id().clone())),
        )
        .chain(trashed.iter().map(|t| (t.content_type, t.id.clone())))
        .collect();
    histories.sort_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
    histories.dedup();
    for (kind, id) in histories {
        for (revision, item) in history::export(store, kind, &id).await? {
            out.push(Record::Revision {
                content_type: kind,
                id: id.clone(),
                revision,
                item,
            });
        }
    }
    let mut trashed = trashed;
    trashed.sort_by(|a, b| {
        (a.content_type.as_str(), a.id.as_str()).cmp(&(b.content_type.as_str(), b.id.as_str()))
    });
    out.extend(trashed.into_iter().map(Record::Trashed));
    out.extend(posts.into_iter().map(|item| Record::Blog { item }));
    out.extend(projects.into_iter().map(|item| Record::Project { item }));
    out.extend(
        certifications
            .into_iter()
            .map(|item| Record::Certification { item }),
    );
    for kind in ContentKind::ALL {
        for (id, views) in tracking::views_by_item(store, kind).await? {
            out.push(Record::Views {
                content_type: kind,
                content_id: id,
                views,
            });
        }
    }
    let rows = store
        .query(&Query::table(
            keys::VISITS,
            SortKeyRange::BeginsWith("DAY#".into()),
        ))
        .await?;
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for row in rows {
        if let Some(day) = keys::day_of_visits_row(&row.sk) {
            *days.entry(day).or_insert(0) += row.count;
        }
    }
    out.extend(
        days.into_iter()
            .map(|(day, visitors)| Record::VisitorsDay { day, visitors }),
    );
    out.push(Record::Visitors {
        total: tracking::visitor_count(store).await?,
    });
    out.push(Record::TotalViews {
        views: tracking::total_views(store).await?,
    });
    for table in TallyTable::ALL {
        for (day, tallies) in day_tallies(store, table).await? {
            out.push(Record::DayTallies {
                table,
                day,
                tallies,
            });
        }
    }
    out.extend(
        redirects::list(store)
            .await?
            .into_iter()
            .map(|r| Record::Redirect {
                from: r.from,
                to: r.to,
            }),
    );
    Ok(out)
}

/// The names of the images the items of `records` link to.
pub fn linked_media(records: &[Record]) -> Result<BTreeSet<String>, UseCaseError> {
    let mut names = BTreeSet::new();
    for record in records {
        if matches!(
            record,
            Record::Blog { .. }
                | Record::Project { .. }
                | Record::Certification { .. }
                | Record::Revision { .. }
        ) {
            let json =
                serde_json::to_string(record).map_err(|e| UseCaseError::Corrupt(e.to_string()))?;
            names.extend(media_links(&json).into_iter().map(|l| l.name));
        }
    }
    Ok(names)
}

/// The images named (`linked_media`), as `media` records sorted by name; and the
/// names of those `media` does not have.
pub async fn export_media(
    names: BTreeSet<String>,
    media: &dyn MediaObjects,
) -> Result<(Vec<Record>, Vec<String>), UseCaseError> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let Some(content_type) = parse_name(&name) else {
            continue;
        };
        match media.get(&name).await? {
            Some(bytes) => found.push(Record::Media {
                name,
                content_type: content_type.to_string(),
                data: STANDARD.encode(bytes),
            }),
            None => missing.push(name),
        }
    }
    Ok((found, missing))
}

/// A `media` record's bytes, held to the rules an upload is held to: a name
/// folio issues, the type its extension names, at most `MAX_IMAGE_BYTES`, and
/// bytes that start like that type.
fn image_of(name: &str, content_type: &str, data: &str) -> Result<Vec<u8>, FieldError> {
    let Some(expected) = parse_name(name) else {
        return Err(FieldError::new(
            "name",
            "is not a media name like <name>.png",
        ));
    };
    if expected != content_type {
        return Err(FieldError::new(
            "contentType",
            format!("is not {expected}, the type of {name}"),
        ));
    }
    if data.len() as u64 > MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(FieldError::new(
            "data",
            format!("is larger than {MAX_IMAGE_BYTES} bytes"),
        ));
    }
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| FieldError::new("data", format!("is not base64: {e}")))?;
    if !looks_like(content_type, &bytes) {
        return Err(FieldError::new(
            "data",
            format!("does not start like a {content_type} file"),
        ));
    }
    Ok(bytes)
}

/// The records as the file holds them: one JSON object a line.
pub fn to_lines(records: &[Record]) -> Result<String, UseCaseError> {
    let mut text = String::new();
    for record in records {
        text.push_str(
            &serde_json::to_string(record).map_err(|e| UseCaseError::Corrupt(e.to_string()))?,
        );
        text.push('\n');
    }
    Ok(text)
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Images stored in the target's media storage, and those it had already.
    pub images_stored: usize,
    pub images_present: usize,
    /// `line N: what was wrong`, for each record left out.
    pub skipped: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} skipped",
            self.created,
            self.updated,
            self.unchanged,
            self.skipped.len()
        )?;
        if self.images_stored + self.images_present > 0 {
            write!(
                f,
                "; images: {} stored, {} there already",
                self.images_stored, self.images_present
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Summary {
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// Holds an item from a file to the rules the API applies to the same fields, so
/// an import stores nothing the API would have refused.
fn check<T: Content>(item: &T) -> Result<(), FieldError> {
    ItemId::parse("id", item.id().as_str())?;
    let json = serde_json::to_value(item).map_err(|e| FieldError::new("item", e.to_string()))?;
    let writable: serde_json::Map<String, serde_json::Value> = T::writable()
        .into_iter()
        .filter_map(|name| json.get(name).map(|v| (name.to_string(), v.clone())))
        .collect();
    let body = serde_json::to_vec(&writable).map_err(|e| FieldError::new("item", e.to_string()))?;
    let fields = Fields::parse(&body, &T::writable()).map_err(|e| match e {
        BodyError::Field(e) => e,
        other => FieldError::new("item", other.to_string()),
    })?;
    T::create(&fields, item.meta().clone()).map(|_| ())
}

/// A revision's item, held to its kind's rules like an item of the file.
fn check_revision(
    kind: ContentKind,
    id: &ItemId,
    item: &serde_json::Value,
) -> Result<(), FieldError> {
    ItemId::parse("id", id.as_str())?;
    fn of<T: Content>(id: &ItemId, item: &serde_json::Value) -> Result<(), FieldError> {
        let item: T = serde_json::from_value(item.clone())
            .map_err(|e| FieldError::new("item", e.to_string()))?;
        if item.id() != id {
            return Err(FieldError::new("item", "is another item's version"));
        }
        check(&item)
    }
    match kind {
        ContentKind::Blog => of::<BlogPost>(id, item),
        ContentKind::Project => of::<Project>(id, item),
        ContentKind::Certification => of::<Certification>(id, item),
    }
}

/// How many times an item is read again when a write lands while it is imported.
const IMPORT_ATTEMPTS: usize = 3;

impl From<history::Put> for Outcome {
    fn from(put: history::Put) -> Self {
        match put {
            history::Put::Created => Outcome::Created,
            history::Put::Updated => Outcome::Updated,
            history::Put::Unchanged => Outcome::Unchanged,
        }
    }
}

async fn import_item<T: Content + PartialEq>(
    store: &dyn Store,
    item: T,
    region: &str,
    dry_run: bool,
) -> Result<Outcome, UseCaseError> {
    // A write landing between the read and the import's own (a save in the
    // console, or an attempt whose answer was lost, then retried) is read again:
    // the import replaces what it finds, as it would have a moment later.
    let mut created = false;
    for _ in 0..IMPORT_ATTEMPTS {
        let written = match repo::get::<T>(store, item.id()).await? {
            Some(stored) if stored.item == item => {
                return Ok(if created {
                    Outcome::Created
                } else {
                    Outcome::Unchanged
                });
            }
            Some(_) if dry_run => return Ok(Outcome::Updated),
            Some(stored) => {
                match repo::replace(store, &stored, item.clone(), region, &Author::import()).await {
                    Err(RepoError::Changed) => None,
                    other => Some(other.map(|_| Outcome::Updated)),
                }
            }
            None if dry_run => return Ok(Outcome::Created),
            None => {
                created = true;
                match create_after_history(store, item.clone(), region).await {
                    // Created meanwhile ("exists"), or its history moved on.
                    Err(RepoError::Changed | RepoError::Conflict(_)) => None,
                    other => Some(other.map(|_| Outcome::Created)),
                }
            }
        };
        if let Some(written) = written {
            return written.map_err(UseCaseError::from);
        }
    }
    Err(UseCaseError::Conflict(format!(
        "{} kept changing while it was imported: try the import again",
        item.id()
    )))
}

/// Creates an item at the version after the newest its history holds (the
/// file's revisions come before its items), so its next save never overwrites
/// a revision.
async fn create_after_history<T: Content>(
    store: &dyn Store,
    item: T,
    region: &str,
) -> Result<T, RepoError> {
    let version = history::newest(store, T::KIND, item.id())
        .await?
        .map_or(1, |v| v + 1);
    repo::create_at(store, item, region, version, Vec::new()).await
}

/// Sets a count summed over Regions to `target` by adding the difference to this
/// Region's row: idempotent, and no other Region's row is written.
async fn set_count(
    store: &dyn Store,
    partition: &str,
    every_region: SortKeyRange,
    this_region: crate::ports::store::Key,
    target: i64,
    dry_run: bool,
) -> Result<Outcome, UseCaseError> {
    let rows = store.query(&Query::table(partition, every_region)).await?;
    let current: i64 = rows.iter().map(|r| r.count).sum();
    if current == target {
        return Ok(Outcome::Unchanged);
    }
    if !dry_run {
        store
            .transact(vec![Write::Increment {
                key: this_region,
                entity_type: keys::entity::COUNTER.into(),
                by: target - current,
                label: None,
            }])
            .await?;
    }
    Ok(if rows.is_empty() {
        Outcome::Created
    } else {
        Outcome::Updated
    })
}

/// A `dayTallies` record's tallies: at most [`MAX_DAY_TALLIES`], each named
/// (1 to [`MAX_TALLY_NAME`] bytes) and not negative.
fn check_tallies(tallies: &BTreeMap<String, i64>) -> Result<(), FieldError> {
    if tallies.len() > MAX_DAY_TALLIES {
        return Err(FieldError::new(
            "tallies",
            format!("at most {MAX_DAY_TALLIES} a day and table"),
        ));
    }
    match tallies
        .iter()
        .find(|(name, n)| name.is_empty() || name.len() > MAX_TALLY_NAME || **n < 0)
    {
        Some((name, _)) => Err(FieldError::new(
            "tallies",
            format!(
                "each must be named (1 to {MAX_TALLY_NAME} bytes) and not negative; `{}` is not",
                name.chars().take(40).collect::<String>()
            ),
        )),
        None => Ok(()),
    }
}

/// Imports one record (the header is checked by the caller).
pub async fn import_record(
    store: &dyn Store,
    record: Record,
    region: &str,
    dry_run: bool,
) -> Result<Result<Outcome, FieldError>, UseCaseError> {
    let checked = match &record {
        Record::Blog { item } => check(item),
        Record::Project { item } => check(item),
        Record::Certification { item } => check(item),
        Record::Views { content_id, .. } => ItemId::parse("contentId", content_id).map(|_| ()),
        Record::Revision {
            content_type,
            id,
            item,
            ..
        } => check_revision(*content_type, id, item),
        Record::Trashed(trashed) => ItemId::parse("id", trashed.id.as_str()).map(|_| ()),
        Record::DayTallies { tallies, .. } => check_tallies(tallies),
        Record::Media { .. } => Err(FieldError::new(
            "type",
            "an image is stored by a whole file's import, which knows the media storage",
        )),
        _ => Ok(()),
    };
    if let Err(e) = checked {
        return Ok(Err(e));
    }
    let outcome = match record {
        Record::Header { .. } | Record::Media { .. } => Outcome::Unchanged,
        Record::Revision {
            content_type,
            id,
            revision,
            item,
        } => history::put(store, content_type, &id, &revision, &item, dry_run)
            .await?
            .into(),
        Record::Trashed(trashed) => history::put_trashed(store, &trashed, dry_run).await?.into(),
        Record::Redirect { from, to } => {
            let existing = redirects::list(store).await?;
            match existing.iter().find(|r| r.from == from) {
                Some(r) if r.to == to => Outcome::Unchanged,
                _ if dry_run => Outcome::Created,
                found => {
                    if let Err(e) = redirects::put(store, &from, &to).await {
                        return match e {
                            UseCaseError::Invalid(field) => Ok(Err(field)),
                            other => Err(other),
                        };
                    }
                    if found.is_some() {
                        Outcome::Updated
                    } else {
                        Outcome::Created
                    }
                }
            }
        }
        Record::Blog { item } => import_item(store, item, region, dry_run).await?,
        Record::Project { item } => import_item(store, item, region, dry_run).await?,
        Record::Certification { item } => import_item(store, item, region, dry_run).await?,
        Record::Views {
            content_type,
            content_id,
            views,
        } => {
            let id = ItemId::parse("contentId", &content_id)?;
            set_count(
                store,
                &keys::views_partition(content_type),
                keys::views_of_item(&id),
                keys::views_of(content_type, &id, region),
                views,
                dry_run,
            )
            .await?
        }
        Record::VisitorsDay { day, visitors } => {
            set_count(
                store,
                keys::VISITS,
                keys::visits_between(day, day),
                keys::visits_on(day, region),
                visitors,
                dry_run,
            )
            .await?
        }
        Record::Visitors { total } => {
            set_count(
                store,
                keys::VISITS,
                keys::totals(),
                keys::total(keys::VISITS, region),
                total,
                dry_run,
            )
            .await?
        }
        Record::TotalViews { views } => {
            set_count(
                store,
                keys::TOTAL_VIEWS,
                keys::totals(),
                keys::total(keys::TOTAL_VIEWS, region),
                views,
                dry_run,
            )
            .await?
        }
        Record::DayTallies {
            table,
            day,
            tallies,
        } => match set_day_tallies(store, table, day, tallies, region, dry_run).await? {
            Ok(outcome) => outcome,
            Err(refused) => return Ok(Err(refused)),
        },
    };
    Ok(Ok(outcome))
}

/// Stores one image, never replacing an object; `true` when stored, `false`
/// when the target had it already.
async fn import_media(
    media: &dyn MediaObjects,
    name: &str,
    content_type: &str,
    data: &str,
    dry_run: bool,
) -> Result<Result<bool, FieldError>, UseCaseError> {
    let bytes = match image_of(name, content_type, data) {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(e)),
    };
    if dry_run {
        return Ok(Ok(true));
    }
    let stored = media.put(name, content_type, &bytes).await?;
    // Smaller copies are derived, so an export leaves them out: made again here.
    // An image that gets none is still imported, as an upload would be.
    match super::images::make_smaller(media, name).await {
        Ok(_) => {}
        Err(e) if e.is_the_uploads_fault() => tracing::info!("{name}: no smaller copies: {e}"),
        Err(super::images::ImagesError::Media(e)) => return Err(e.into()),
        Err(e) => tracing::warn!("{name}: no smaller copies: {e}"),
    }
    Ok(Ok(stored))
}

/// Imports a file's text. A line that is not a valid record is named in the
/// summary and skipped; nothing of it is written. Images go to `media`, and the
/// items' links to them are rewritten to its address; without one they are
/// named as skipped and the links left alone. `progress` hears the number of
/// lines done after each line.
pub async fn import(
    store: &dyn Store,
    media: Option<&dyn MediaObjects>,
    text: &str,
    region: &str,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<Summary, UseCaseError> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut summary = Summary::default();
    match lines.first().map(|l| serde_json::from_str::<Record>(l)) {
        Some(Ok(Record::Header { format, version })) if format == FORMAT && version == VERSION => {}
        _ => {
            return Err(UseCaseError::Refused(format!(
                "line 1: not a {FORMAT} file of version {VERSION} (its first line must be the header)"
            )));
        }
    }
    // The images the file carries: links to them are rewritten to the target.
    let carried: BTreeSet<String> = lines
        .iter()
        .filter(|l| l.contains("\"type\":\"media\""))
        .filter_map(|l| match serde_json::from_str::<Record>(l) {
            Ok(Record::Media { name, .. }) => Some(name),
            _ => None,
        })
        .collect();
    if !carried.is_empty() && media.is_none() {
        // The content goes in; the images wait for a target with media storage
        // (running the import again with it brings them and rewrites the links).
        summary.skipped.push(format!(
            "{} images: this target has no media storage (set MEDIA_BUCKET and MEDIA_URL); links to them are left as they were",
            carried.len()
        ));
    }
    for (n, line) in lines.iter().enumerate().skip(1) {
        let number = n + 1;
        let rewritten;
        let line = match media {
            Some(media) if !carried.is_empty() => {
                rewritten = rewrite_media_links(line, &carried, media.public_base());
                rewritten.as_str()
            }
            _ => line,
        };
        match serde_json::from_str::<Record>(line) {
            Err(e) => summary.skipped.push(format!("line {number}: {e}")),
            Ok(Record::Media {
                name,
                content_type,
                data,
            }) => {
                let Some(media) = media else { continue };
                match import_media(media, &name, &content_type, &data, dry_run).await? {
                    Ok(true) => summary.images_stored += 1,
                    Ok(false) => summary.images_present += 1,
                    Err(e) => summary
                        .skipped
                        .push(format!("line {number}: '{}' {}", e.field, e.issue)),
                }
            }
            Ok(record) => match import_record(store, record, region, dry_run).await? {
                Ok(outcome) => summary.count(outcome),
                Err(e) => summary
                    .skipped
                    .push(format!("line {number}: '{}' {}", e.field, e.issue)),
            },
        }
        progress(number, lines.len());
    }
    Ok(summary)
}
