//! Items as readers get them (their fields and the HTML of their Markdown, as
//! JSON), kept by version. A list of items that did not change then reads their
//! rows without data and sends what is kept, instead of reading, parsing and
//! serialising each item again: a list of 20 posts with their HTML is ≈ 90 KB,
//! and parsing and writing those bytes was most of the list's CPU (issue 33).
//!
//! Never stale: the key is the item's version and last change, which every write
//! moves, and an entry is only ever read under the version it was made from.
//!
//! Documents made of the newest items (the feeds) are kept the same way, with
//! the items and versions they were made from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use moka::sync::Cache;
use serde_json::value::RawValue;

use crate::repo::content::Listed;
use crate::support::caches::weighed_in_bytes;

/// What the cache may hold, in bytes of JSON.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

pub struct Representations(Cache<Listed, Arc<RawValue>>);

impl Default for Representations {
    fn default() -> Self {
        Self(
            weighed_in_bytes(CACHE_BYTES, |listed: &Listed, json: &Arc<RawValue>| {
                json.get().len() + listed.key.pk.len()
            })
            .build(),
        )
    }
}

impl Representations {
    /// The representation of the item at this version, if kept.
    pub fn get(&self, listed: &Listed) -> Option<Arc<RawValue>> {
        self.0.get(listed)
    }

    pub fn keep(&self, listed: Listed, json: Arc<RawValue>) {
        self.0.insert(listed, json);
    }
}

/// A document made of listed items, and the items (at their versions) it was made of.
struct Document {
    made_of: Vec<Listed>,
    body: Arc<str>,
}

/// Documents made of the newest items, by name (a feed's path): a feed whose
/// items did not change is sent again for a read of their heads. A few entries,
/// one per name.
#[derive(Default)]
pub struct Documents(Mutex<HashMap<&'static str, Arc<Document>>>);

impl Documents {
    /// The document `name` if it was made of exactly `items`, at their versions.
    pub fn get(&self, name: &'static str, items: &[Listed]) -> Option<Arc<str>> {
        let kept = self.0.lock().ok()?.get(name).cloned()?;
        (kept.made_of == items).then(|| Arc::clone(&kept.body))
    }

    pub fn keep(&self, name: &'static str, made_of: Vec<Listed>, body: Arc<str>) {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(name, Arc::new(Document { made_of, body }));
        }
    }
}
