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

use bytes::Bytes;
use folio_shared::domain::{ContentKind, Status};
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
    body: Bytes,
}

/// Documents made of the newest items, by name (a feed's path): a feed whose
/// items did not change is sent again for a read of their heads. A few entries,
/// one per name.
#[derive(Default)]
pub struct Documents(Mutex<HashMap<&'static str, Arc<Document>>>);

impl Documents {
    /// The document `name` if it was made of exactly `items`, at their versions.
    pub fn get(&self, name: &'static str, items: &[Listed]) -> Option<Bytes> {
        let kept = self.0.lock().ok()?.get(name).cloned()?;
        (kept.made_of == items).then(|| kept.body.clone())
    }

    pub fn keep(&self, name: &'static str, made_of: Vec<Listed>, body: Bytes) {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(name, Arc::new(Document { made_of, body }));
        }
    }
}

/// What pages may hold, in bytes of body.
const PAGES_BYTES: u64 = 8 * 1024 * 1024;

/// What a first page answered: its kind, status and length (`limit`).
pub type PageAsked = (ContentKind, Status, usize);

/// A first page as sent, the items (at their versions) and the total it was
/// made of, and the tag its sender gave its bytes.
pub struct Page {
    made_of: Vec<Listed>,
    total: usize,
    pub body: Bytes,
    pub tag: Arc<str>,
}

/// First pages of lists, by what they answered: a page whose items and total
/// did not change is sent again as it was, shared, instead of being written
/// from its items' representations, hashed and compared again (an 86 KB page
/// of 20 posts, three passes over its bytes; issue 33). One entry per page
/// asked for, weighed in bytes.
pub struct Pages(Cache<PageAsked, Arc<Page>>);

impl Default for Pages {
    fn default() -> Self {
        Self(
            weighed_in_bytes(PAGES_BYTES, |_, page: &Arc<Page>| {
                page.body.len() + page.tag.len()
            })
            .build(),
        )
    }
}

impl Pages {
    /// The page kept for `asked` if it was made of exactly `items` and `total`.
    pub fn get(&self, asked: PageAsked, items: &[Listed], total: usize) -> Option<Arc<Page>> {
        self.0
            .get(&asked)
            .filter(|page| page.total == total && page.made_of == items)
    }

    pub fn keep(
        &self,
        asked: PageAsked,
        made_of: Vec<Listed>,
        total: usize,
        body: Bytes,
        tag: &str,
    ) {
        let page = Page {
            made_of,
            total,
            body,
            tag: tag.into(),
        };
        self.0.insert(asked, Arc::new(page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Key;

    fn listed(id: &str, version: u64) -> Listed {
        Listed {
            key: Key::new(format!("BLOG#{id}"), "META"),
            version,
            updated_at: "2026-12-07T00:00:00Z".into(),
        }
    }

    /// A kept page is answered only for the same items at the same versions,
    /// and the same total; anything else is made again.
    #[test]
    fn a_page_is_answered_only_while_its_items_and_total_are_unchanged() {
        let pages = Pages::default();
        let asked = (ContentKind::Blog, Status::Published, 2);
        let items = vec![listed("a", 3), listed("b", 1)];
        pages.keep(asked, items.clone(), 7, Bytes::from_static(b"{}"), "\"t\"");
        let kept = pages.get(asked, &items, 7).expect("kept");
        assert_eq!((&kept.body[..], &*kept.tag), (&b"{}"[..], "\"t\""));
        assert!(pages.get(asked, &items, 8).is_none(), "another total");
        let edited = vec![listed("a", 4), listed("b", 1)];
        assert!(pages.get(asked, &edited, 7).is_none(), "an item edited");
        let reordered = vec![listed("b", 1), listed("a", 3)];
        assert!(pages.get(asked, &reordered, 7).is_none(), "another order");
        assert!(pages.get(asked, &items[..1], 7).is_none(), "fewer items");
        let other = (ContentKind::Blog, Status::Published, 3);
        assert!(pages.get(other, &items, 7).is_none(), "another length");
        let drafts = (ContentKind::Blog, Status::Draft, 2);
        assert!(pages.get(drafts, &items, 7).is_none(), "another status");
    }
}
