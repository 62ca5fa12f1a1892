//! Uploads no item links to, removed a day after they were made (an image
//! uploaded and never saved into an item), with their smaller copies; run by the
//! tick once a day (`sweep_daily`).

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};

use crate::ports::Store;
use crate::ports::media::{MEDIA_PREFIX, MediaObjects, copy_stem, upload_stem};
use crate::usecases::error::UseCaseError;

/// How long an upload may stay unlinked before the sweep removes it: long
/// enough to upload in the evening and save the post in the morning.
pub const UNLINKED_HOURS: i64 = 24;

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub uploads: usize,
    pub copies: usize,
}

/// Every media name mentioned anywhere in `text` (`/media/<name>`, on any host
/// or none): a mention keeps an upload, whatever links to it.
fn mentioned(text: &str, into: &mut BTreeSet<String>) {
    let marker = format!("/{MEDIA_PREFIX}");
    let mut from = 0;
    while let Some(found) = text[from..].find(&marker) {
        let start = from + found + marker.len();
        let len = text[start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
            .count();
        from = start;
        let name = text[start..start + len].trim_end_matches('.');
        if let Some(stem) = upload_stem(name).or_else(|| copy_stem(name)) {
            into.insert(stem.to_string());
        }
    }
}

/// Removes the uploads made more than `UNLINKED_HOURS` before `now` whose stem
/// nothing in the store mentions, with their copies, and copies whose upload is
/// gone. Every record of the store is read, so drafts, earlier revisions and
/// deleted items (restorable for 30 days) keep their images.
pub async fn sweep_orphans(
    store: &dyn Store,
    objects: &dyn MediaObjects,
    now: DateTime<Utc>,
) -> Result<Swept, UseCaseError> {
    let mut kept = BTreeSet::new();
    for record in super::portable::export(store).await? {
        let json =
            serde_json::to_string(&record).map_err(|e| UseCaseError::Corrupt(e.to_string()))?;
        mentioned(&json, &mut kept);
    }
    let listed = objects.list().await?;
    let cutoff = now - chrono::Duration::hours(UNLINKED_HOURS);
    let mut removed: HashSet<String> = HashSet::new();
    let mut present: HashSet<String> = HashSet::new();
    let mut swept = Swept::default();
    for object in &listed {
        let Some(stem) = upload_stem(&object.name) else {
            continue;
        };
        if object.modified < cutoff && !kept.contains(stem) {
            objects.delete(&object.name).await?;
            removed.insert(stem.to_string());
            swept.uploads += 1;
        } else {
            present.insert(stem.to_string());
        }
    }
    for object in &listed {
        let Some(stem) = copy_stem(&object.name) else {
            continue;
        };
        let orphan = removed.contains(stem)
            || (!present.contains(stem) && object.modified < cutoff && !kept.contains(stem));
        if orphan {
            objects.delete(&object.name).await?;
            swept.copies += 1;
        }
    }
    Ok(swept)
}

/// `sweep_orphans`, at most once a UTC day in this process: the tick runs every
/// minute and the sweep reads every record.
pub async fn sweep_daily(
    app: &crate::usecases::app::App,
    now: DateTime<Utc>,
) -> Result<Swept, UseCaseError> {
    let Some(objects) = app.media_objects() else {
        return Ok(Swept::default());
    };
    let today = now.date_naive();
    {
        let Ok(mut last) = app.media_swept_on.lock() else {
            return Ok(Swept::default());
        };
        if *last == Some(today) {
            return Ok(Swept::default());
        }
        *last = Some(today);
    }
    let swept = sweep_orphans(app.store.as_ref(), objects.as_ref(), now).await;
    if swept.is_err()
        && let Ok(mut last) = app.media_swept_on.lock()
    {
        // Failed: the next tick tries again.
        *last = None;
    }
    let swept = swept?;
    if swept != Swept::default() {
        tracing::info!(
            uploads = swept.uploads,
            copies = swept.copies,
            "removed unlinked uploads"
        );
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_mention_of_an_upload_or_its_copy_keeps_it() {
        let mut kept = BTreeSet::new();
        mentioned(
            r#"{"coverImage":"https://cdn.example/media/aaa.10x10.png","content":"![x](/media/bbb.png). See /media/sized/ccc-480.webp and /media/../etc and /media/"}"#,
            &mut kept,
        );
        assert_eq!(
            kept.into_iter().collect::<Vec<_>>(),
            vec!["aaa".to_string(), "bbb".into(), "ccc".into()]
        );
    }
}
