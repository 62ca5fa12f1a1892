//! Work nobody asks for at the moment it is due: scheduled items are published
//! when their time comes, and rebuild hooks are sent (`webhooks`). One `tick` does it; in production EventBridge Scheduler
//! invokes the origin with a tick every minute (template.yaml), and `folio serve`
//! ticks twice a second.
//!
//! Exactly once: each due item is published with a conditional write on the
//! version it was read at, so of two ticks racing (two Regions, a retry, a slow
//! invocation overlapping the next) one publishes, invalidates and notifies, and
//! the other finds the condition failed and does nothing.

use chrono::{DateTime, Utc};
use folio_shared::domain::ItemId;
use folio_shared::domain::{
    BlogPost, Certification, Content, ContentKind, Project, Status, Timestamp,
};

use crate::repo::content as repo;
use crate::repo::history::{self, Author};
use crate::usecases::app::App;
use crate::usecases::error::UseCaseError;
use crate::usecases::publishing::change_status;

/// Items published per kind per tick: a backlog drains over the next ticks.
pub const DUE_BATCH: usize = 25;

/// The invocation payload EventBridge Scheduler sends to the origin.
pub const TICK_EVENT: &str = r#"{"folio":"tick"}"#;

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// The items this tick published (not those another tick got to first).
    pub published: Vec<(ContentKind, ItemId)>,
    /// Rebuild-hook deliveries this tick attempted.
    pub deliveries: usize,
    /// Old revisions and expired deleted items this tick removed.
    pub swept: history::Swept,
    /// Uploads no item links to, and their copies, this tick removed.
    pub media_swept: crate::usecases::media_sweep::Swept,
}

async fn publish_due_of<T: Content>(
    app: &App,
    now: DateTime<Utc>,
    report: &mut TickReport,
) -> Result<(), UseCaseError> {
    let now_text = Timestamp::from_utc(now);
    for candidate in repo::due::<T>(app.store.as_ref(), now_text.as_str(), DUE_BATCH).await? {
        // The index may lag: read the item itself before acting on it.
        let Some(stored) = repo::get::<T>(app.store.as_ref(), candidate.id()).await? else {
            continue;
        };
        let due = stored.item.status() == Status::Scheduled
            && stored
                .item
                .meta()
                .publish_at
                .as_ref()
                .and_then(Timestamp::to_utc)
                .is_some_and(|at| at <= now);
        if !due {
            continue;
        }
        match change_status(app, &stored, Status::Published, &Author::scheduler()).await {
            Ok(item) => {
                tracing::info!(kind = %T::KIND, id = %item.id(), "scheduled item published");
                report.published.push((T::KIND, item.id().clone()));
            }
            // Another tick (or the owner) changed it first: theirs stands.
            Err(UseCaseError::Changed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Publishes every scheduled item due at `now`.
pub async fn publish_due(app: &App, now: DateTime<Utc>) -> Result<TickReport, UseCaseError> {
    let mut report = TickReport::default();
    publish_due_of::<BlogPost>(app, now, &mut report).await?;
    publish_due_of::<Project>(app, now, &mut report).await?;
    publish_due_of::<Certification>(app, now, &mut report).await?;
    Ok(report)
}

/// The whole tick: publishes what is due, then sends the rebuild hooks that are
/// due (this tick's publications among them), then removes history past its
/// keeping (`history::sweep`). `folio serve` runs the two parts
/// in loops of their own, so a slow hook receiver never delays a publication.
/// Only the home Region's origin ticks: another Region's tick does nothing, so a
/// post is published, and its hooks sent, once.
pub async fn tick(app: &App, now: DateTime<Utc>) -> Result<TickReport, UseCaseError> {
    if !app.regions.is_home() {
        tracing::info!(home = %app.regions.home, "not the home Region: the scheduler runs there");
        return Ok(TickReport::default());
    }
    let mut report = publish_due(app, now).await?;
    report.deliveries = crate::usecases::webhooks::deliver_due(
        app.store.as_ref(),
        app.webhooks.as_ref(),
        Utc::now(),
    )
    .await?;
    report.swept = sweep(app, now).await?;
    // The day's sweep of unlinked uploads fails alone: publishing went out, and
    // the next tick tries the sweep again.
    report.media_swept = crate::usecases::media_sweep::sweep_daily(app, now)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "the sweep of unlinked uploads failed");
            Default::default()
        });
    Ok(report)
}

/// Removes revisions and deleted items past their keeping.
pub async fn sweep(app: &App, now: DateTime<Utc>) -> Result<history::Swept, UseCaseError> {
    Ok(history::sweep(app.store.as_ref(), now).await?)
}
