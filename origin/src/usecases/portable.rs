//! folio's portable format: everything a store holds that a portfolio owner would
//! miss (posts, projects, certifications, view and visitor counts, daily visitor
//! rows) as JSON Lines, one record a line, in a fixed order so that two exports of
//! the same content are the same bytes, whatever store they came from.
//!
//! ```text
//! {"type":"header","format":"folio-export","version":1}
//! {"type":"blog","item":{...a BlogPost as GET answers it...}}
//! {"type":"project","item":{...}}
//! {"type":"certification","item":{...}}
//! {"type":"views","contentType":"blog","contentId":"...","views":12}
//! {"type":"visitorsDay","day":"2026-11-27","visitors":3}
//! {"type":"visitors","total":40}
//! {"type":"totalViews","views":95}
//! ```
//!
//! Counts are summed over every Region's rows. Importing sets them: this Region's
//! row takes the difference, so an import run twice (or killed and run again) ends
//! with the same counts. Each content item is written in a transaction of its own
//! (the item, its slug, its category count) and compared first, so re-running an
//! import changes nothing that is already there.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use folio_shared::FieldError;
use folio_shared::domain::{
    BlogPost, BodyError, Certification, Content, ContentKind, Fields, ItemId, Project, Status,
};
use serde::{Deserialize, Serialize};

use crate::ports::keys;
use crate::ports::store::{Query, SortKeyRange, Store, Write};
use crate::repo::RepoError;
use crate::repo::content as repo;
use crate::usecases::error::UseCaseError;
use crate::usecases::tracking;

pub const FORMAT: &str = "folio-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Record {
    Header {
        format: String,
        version: u32,
    },
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
    out.extend(
        items::<BlogPost>(store)
            .await?
            .into_iter()
            .map(|item| Record::Blog { item }),
    );
    out.extend(
        items::<Project>(store)
            .await?
            .into_iter()
            .map(|item| Record::Project { item }),
    );
    out.extend(
        items::<Certification>(store)
            .await?
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
    Ok(out)
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
        )
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

async fn import_item<T: Content + PartialEq>(
    store: &dyn Store,
    item: T,
    region: &str,
    dry_run: bool,
) -> Result<Outcome, UseCaseError> {
    match repo::get::<T>(store, item.id()).await? {
        Some(stored) if stored.item == item => Ok(Outcome::Unchanged),
        Some(_) if dry_run => Ok(Outcome::Updated),
        Some(stored) => {
            repo::replace(store, &stored, item, region).await?;
            Ok(Outcome::Updated)
        }
        None if dry_run => Ok(Outcome::Created),
        None => match repo::create(store, item.clone(), region).await {
            Ok(_) => Ok(Outcome::Created),
            // Written meanwhile: by an attempt whose answer was lost (a timeout, then
            // the SDK's retry), or by someone else. Compare again instead of failing.
            Err(RepoError::Changed | RepoError::Conflict(_)) => {
                match repo::get::<T>(store, item.id()).await? {
                    Some(stored) if stored.item == item => Ok(Outcome::Created),
                    Some(stored) => {
                        repo::replace(store, &stored, item, region).await?;
                        Ok(Outcome::Updated)
                    }
                    None => Err(UseCaseError::Conflict(format!(
                        "{} could not be written: try the import again",
                        item.id()
                    ))),
                }
            }
            Err(e) => Err(e.into()),
        },
    }
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
        _ => Ok(()),
    };
    if let Err(e) = checked {
        return Ok(Err(e));
    }
    let outcome = match record {
        Record::Header { .. } => Outcome::Unchanged,
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
    };
    Ok(Ok(outcome))
}

/// Imports a file's text. A line that is not a valid record is named in the
/// summary and skipped; nothing of it is written. `progress` hears the number of
/// lines done after each line.
pub async fn import(
    store: &dyn Store,
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
    for (n, line) in lines.iter().enumerate().skip(1) {
        let number = n + 1;
        match serde_json::from_str::<Record>(line) {
            Err(e) => summary.skipped.push(format!("line {number}: {e}")),
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
