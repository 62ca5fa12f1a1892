use chrono::NaiveDate;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::FieldError;
use crate::domain::query::Facet;
use crate::domain::rules::FieldRule;
use crate::domain::{ContentKind, Fields, ItemId, ListQuery, Status, Timestamp};

/// The field naming when a scheduled item is published.
pub const PUBLISH_AT: &str = "publishAt";

/// The fields every content item carries, whatever its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub id: ItemId,
    pub status: Status,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When a scheduled item becomes published (RFC 3339, UTC); only while scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
}

impl Meta {
    /// A new item: a fresh id, created as a draft now.
    pub fn new_draft() -> Self {
        let now = Timestamp::now();
        Self {
            id: ItemId::generate(),
            status: Status::Draft,
            created_at: now.clone(),
            updated_at: now,
            publish_at: None,
        }
    }
}

/// A kind of portfolio content. The origin's handlers and the store are written once,
/// generic over this trait; each kind supplies its fields and rules.
pub trait Content: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: ContentKind;
    /// Every field a create or update body may carry, with its rules: validation
    /// and the API document's request schemas are both derived from it.
    const FIELDS: &'static [FieldRule];

    /// Fields a `GET` answer carries that a `PUT` may send back unchanged: accepted
    /// when equal to the stored item's, refused by name otherwise.
    const READ_ONLY: &'static [&'static str] =
        &["id", "status", "createdAt", "updatedAt", PUBLISH_AT];

    /// The Markdown field a reader also gets as sanitised HTML, if the kind has one:
    /// (the added HTML field's name, the Markdown). The HTML is derived on read,
    /// never stored, so exports and imports carry the Markdown alone.
    fn markdown(&self) -> Option<(&'static str, &str)> {
        None
    }

    /// The item's picture, if the kind has one and it is set: (the added field
    /// that gives its size and smaller copies, its URL). Derived on read, like
    /// the HTML.
    fn image(&self) -> Option<(&'static str, &str)> {
        None
    }

    /// The names of `FIELDS`: what a body may carry.
    fn writable() -> Vec<&'static str> {
        Self::FIELDS.iter().map(|r| r.name).collect()
    }

    fn create(fields: &Fields, meta: Meta) -> Result<Self, FieldError>;
    /// Applies a partial update; on error the item must be left as it was.
    fn update(&mut self, fields: &Fields) -> Result<(), FieldError>;
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;

    /// Moves the item to `status`; kinds with a publication date maintain it here.
    fn set_status(&mut self, status: Status, _today: NaiveDate) {
        self.meta_mut().status = status;
    }

    /// The list filters' values this item carries (its category, tags, ...), each
    /// once: what the store indexes it under, and what `matches` checks.
    fn facets(&self) -> Vec<Facet>;

    /// Whether the item passes a list's filters: it carries each asked facet.
    fn matches(&self, query: &ListQuery) -> bool {
        let own = self.facets();
        query.facets().iter().all(|f| own.contains(f))
    }

    /// Sort key within a status: lists are returned in descending order of it.
    fn sort_key(&self) -> String;

    /// The URL slug, for kinds that have one.
    fn slug(&self) -> Option<&str> {
        None
    }

    /// The text a slug is derived from, and whether it may still change.
    fn slug_source(&self) -> Option<&str> {
        None
    }

    fn set_slug(&mut self, _slug: String) {}

    /// Whether links to the item's current slug may exist outside (it was
    /// published, or carries the date it was published elsewhere): when its slug
    /// changes, the old one keeps leading to it.
    fn slug_may_be_linked(&self) -> bool {
        false
    }

    /// The category this item puts on the public category list: published blog
    /// posts only.
    fn listed_category(&self) -> Option<&str> {
        None
    }

    fn id(&self) -> &ItemId {
        &self.meta().id
    }

    fn status(&self) -> Status {
        self.meta().status
    }
}
