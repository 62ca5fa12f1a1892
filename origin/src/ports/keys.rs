//! Every key of the single-table design, in one place. Both store adapters and all
//! domain code build keys only through these functions.
//!
//! | entity            | PK                          | SK                   | GSI1PK            | GSI1SK          |
//! |-------------------|-----------------------------|----------------------|-------------------|-----------------|
//! | content item      | `BLOG#<id>` / `PROJECT#` / `CERT#` | `META`        | `BLOG#<status>`   | sort key (date) |
//! | list index row    | `BLOG#<id>` / ...           | `FACET#<name>#<nn>`  | `BLOG#<status>#<facet>` | sort key (date) |
//! | list tallies      | `TALLY#<kind>#<status>`     | `REGION#<region>`, `INDEXED` | `BLOG#<status>` | `~REGION#<region>`, `~INDEXED` |
//! | catalogue entry   | `CATALOGUE#<kind>`          | `<id>`, `~COMPLETE`  |                   |                 |
//! | blog slug         | `SLUG#<slug>`               | `BLOG`               |                   |                 |
//! | user (local)      | `USER#<email>`              | `PROFILE`            |                   |                 |
//! | refresh token     | `REFRESH#<sha256>`          | `TOKEN`              |                   |                 |
//! | revoked ID token  | `REVOKED#<jti>`             | `TOKEN`              |                   |                 |
//! | preview link      | `PREVIEW#<sha256>`          | `LINK`               | `PREVIEWS#<kind>#<id>` | `<created>#<link id>` |
//! | links valid since | `PREVIEWS`                  | `VALID_SINCE`        |                   |                 |
//! | audience share    | `SHARE#<sha256>`            | `LINK`               | `SHARES`          | `<created>#<link id>` |
//! | hook delivery     | `HOOK#<id>`                 | `DELIVERY`           | `HOOKS#pending` / `HOOKS#done` | next attempt / finish time |
//! | daily salt        | `SALT`                      | `<YYYY-MM-DD>`       |                   |                 |
//! | visit marker      | `VISIT#<YYYY-MM-DD>`        | `<visitor key>`      |                   |                 |
//! | view marker       | `VIEW#<YYYY-MM-DD>#<visitor>` | `<kind>#<id>`      |                   |                 |
//! | read marker       | `READ#<YYYY-MM-DD>#<visitor>` | `<kind>#<id>`      |                   |                 |
//! | live visitor      | `LIVE`                      | `<YYYY-MM-DDTHH:MM>#<visitor prefix>` |   |                 |
//! | visit counters    | `STATS#VISITS`              | `DAY#<date>#<region>`, `TOTAL#<region>` |   |                 |
//! | visit audience    | `STATS#AUDIENCE`            | `DAY#<date>#<region>` (a tally per source, country, device …) | | |
//! | visit profiles    | `STATS#PROFILES`            | `DAY#<date>#<region>#<shard>` (a tally per combination of a visit's values) | | |
//! | profiled reading  | `STATS#PROFILEREADS`        | `DAY#<date>#<region>#<shard>` (a tally per visit profile and item: views, reads) | | |
//! | view counters     | `STATS#VIEWS#<kind>`        | `ITEM#<id>#<region>` |                   |                 |
//! | readership        | `STATS#READS`               | `DAY#<date>#<region>` (a tally per item: views, reads, time on page) | | |
//! | total views       | `STATS#VIEWS`               | `TOTAL#<region>`     |                   |                 |
//! | content changes   | `STATS#CONTENT`             | `CHANGES#<region>`   |                   |                 |
//! | category counts   | `STATS#CATEGORIES`          | `CAT#<category>#<region>` |              |                 |
//! | redirect          | `REDIRECTS`                 | `FROM#<path>`        |                   |                 |
//! | revision (summary)| `HISTORY#<kind>#<id>`       | `REV#<version>`      | `HISTORY#AGING` once past the newest 50 | `<replaced at>#<kind>#<id>#<version>` |
//! | revision (item)   | `HISTORY#<kind>#<id>`       | `BODY#<version>`     |                   |                 |
//! | deleted item      | `TRASH`                     | `<kind>#<id>`        | `TRASH`           | `<deleted at>#<kind>#<id>` |
//!
//! Counters carry the Region in their sort key: with a global table, each Region
//! increments only its own rows (last-writer-wins never loses a count) and reads sum
//! every Region's rows with one Query.

use chrono::NaiveDate;
use folio_shared::domain::{ContentKind, Facet, ItemId, Status};

use crate::ports::store::{Key, Query, SortKeyRange};

pub const META: &str = "META";

/// A GSI1 partition whose sort keys start with a timestamp (`<RFC 3339>#<id>`),
/// read from the earliest up to `now` inclusive, at most `limit` rows: what is due.
/// Timestamps start with a digit, so "0" is below all of them (DynamoDB refuses an
/// empty bound), and `~` sorts after the `#` that ends the timestamp.
pub fn due_by(index_pk: impl Into<String>, now: &str, limit: usize) -> Query {
    Query {
        range: SortKeyRange::Between("0".into(), format!("{now}~")),
        descending: false,
        ..Query::gsi1(index_pk)
    }
    .first(limit)
}

fn kind_prefix(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Blog => "BLOG",
        ContentKind::Project => "PROJECT",
        ContentKind::Certification => "CERT",
    }
}

pub fn content(kind: ContentKind, id: &ItemId) -> Key {
    Key::new(format!("{}#{id}", kind_prefix(kind)), META)
}

/// The GSI1 partition listing every item of a kind in one status.
pub fn content_by_status(kind: ContentKind, status: Status) -> String {
    format!("{}#{}", kind_prefix(kind), status.as_str())
}

/// An item's index row for the `slot`-th value of one filter (`tag`: 0 to 49):
/// in the item's partition, so it is written in the item's transactions.
pub fn facet_row(kind: ContentKind, id: &ItemId, name: &str, slot: usize) -> Key {
    Key::new(
        format!("{}#{id}", kind_prefix(kind)),
        format!("FACET#{name}#{slot:02}"),
    )
}

/// The sort keys of every index row of an item.
pub fn facet_rows() -> SortKeyRange {
    SortKeyRange::BeginsWith("FACET#".into())
}

/// The GSI1 partition listing the items of a kind in one status that carry one
/// facet (`tag=rust`), in the same order as `content_by_status`.
pub fn content_by_facet(kind: ContentKind, status: Status, facet: &Facet) -> String {
    format!("{}#{}#{facet}", kind_prefix(kind), status.as_str())
}

/// The partition of the list tallies of a kind in one status: a row per Region
/// (`all` and one tally per facet), and the `INDEXED` marker.
pub fn tallies(kind: ContentKind, status: Status) -> String {
    format!("TALLY#{}#{}", kind_prefix(kind), status.as_str())
}

pub fn tally(kind: ContentKind, status: Status, region: &str) -> Key {
    Key::new(tallies(kind, status), format!("REGION#{region}"))
}

/// Present once every item of the kind and status has its index rows and is
/// counted in the tallies (`folio migrate`); until then lists read everything.
pub fn indexed_marker(kind: ContentKind, status: Status) -> Key {
    Key::new(tallies(kind, status), INDEXED)
}

pub const INDEXED: &str = "INDEXED";

/// Starts the GSI1 sort keys of a list's head: its tally rows and marker, listed
/// in the list's own partition above every item (items sort by a date, and no
/// date starts with `~`), so the newest-first Query of a first page reads the
/// list's total with it.
const LIST_HEAD: &str = "~";

/// Where a row of the tallies partition (a Region's tally row, the marker) is
/// listed: at the head of the list it counts.
pub fn list_head(kind: ContentKind, status: Status, tally_sk: &str) -> Key {
    Key::new(
        content_by_status(kind, status),
        format!("{LIST_HEAD}{tally_sk}"),
    )
}

/// Whether a row read from a list's partition is of its head, not an item.
pub fn is_list_head(row_gsi1sk: Option<&str>) -> bool {
    row_gsi1sk.is_some_and(|sk| sk.starts_with(LIST_HEAD))
}

/// The items of a list's GSI1 partition (`content_by_status`), without its head:
/// everything from the space up to `~`, where the head starts.
pub fn list_items(partition: String) -> Query {
    Query {
        range: SortKeyRange::Between(" ".into(), LIST_HEAD.into()),
        ..Query::gsi1(partition)
    }
}

/// The partition of a kind's catalogue: a small entry per item (its status, slug
/// and last change, for the sitemap and the owner's statistics), and the
/// `~COMPLETE` marker once every item has its entry. Ids are letters, digits, `-`
/// and `_`, all below `~`.
pub fn catalogue(kind: ContentKind) -> String {
    format!("CATALOGUE#{}", kind_prefix(kind))
}

pub fn catalogue_entry(kind: ContentKind, id: &ItemId) -> Key {
    Key::new(catalogue(kind), id.as_str())
}

pub const CATALOGUE_COMPLETE: &str = "~COMPLETE";

/// Present once every item of the kind has its catalogue entry (`folio migrate`);
/// until then the sitemap and the statistics read the items.
pub fn catalogue_marker(kind: ContentKind) -> Key {
    Key::new(catalogue(kind), CATALOGUE_COMPLETE)
}

pub fn slug(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "BLOG")
}

/// The owner's redirect from `from` (a path of their site).
pub fn redirect(from: &str) -> Key {
    Key::new("REDIRECTS", format!("FROM#{from}"))
}

/// Every redirect: one partition.
pub fn redirects() -> Query {
    Query::table("REDIRECTS", SortKeyRange::BeginsWith("FROM#".into()))
}

pub fn user(email: &str) -> Key {
    Key::new(format!("USER#{email}"), "PROFILE")
}

pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "TOKEN")
}

/// A rebuild-hook delivery (one event to one URL): the outbox row.
pub fn webhook_delivery(id: &str) -> Key {
    Key::new(format!("HOOK#{id}"), "DELIVERY")
}

/// GSI1 partitions of deliveries: pending ones by next attempt, finished ones by
/// when they finished.
pub const WEBHOOKS_PENDING: &str = "HOOKS#pending";
pub const WEBHOOKS_DONE: &str = "HOOKS#done";

/// A preview link, by the SHA-256 of its token (the token itself is never stored).
pub fn preview(token_hash: &str) -> Key {
    Key::new(format!("PREVIEW#{token_hash}"), "LINK")
}

/// The GSI1 partition of an item's preview links (listed for the owner).
pub fn previews_of(kind: ContentKind, id: &ItemId) -> String {
    format!("PREVIEWS#{kind}#{id}")
}

/// A read-only link to the audience, by the SHA-256 of its token.
pub fn audience_share(token_hash: &str) -> Key {
    Key::new(format!("SHARE#{token_hash}"), "LINK")
}

/// The GSI1 partition of the audience's share links (listed for the owner).
pub const AUDIENCE_SHARES: &str = "SHARES";

/// When the owner last signed out everywhere or changed the password (`Count`:
/// unix seconds): a preview link created up to then is refused.
pub fn previews_valid_since() -> Key {
    Key::new("PREVIEWS", "VALID_SINCE")
}

pub fn revoked_token(token_id: &str) -> Key {
    Key::new(format!("REVOKED#{token_id}"), "TOKEN")
}

/// Which local user is the owner (`Data`: the email): one owner at a time.
pub fn owner_pointer() -> Key {
    Key::new("OWNER", "POINTER")
}

/// When a user last signed out everywhere (`Count`: seconds since the epoch).
pub fn signed_out(subject: &str) -> Key {
    Key::new(format!("SIGNOUT#{subject}"), "USER")
}

pub const SALT_PARTITION: &str = "SALT";

pub fn salt(day: NaiveDate) -> Key {
    Key::new(SALT_PARTITION, day.to_string())
}

pub fn visit_marker(day: NaiveDate, visitor: &str) -> Key {
    Key::new(format!("VISIT#{day}"), visitor)
}

pub fn view_marker(day: NaiveDate, visitor: &str, kind: ContentKind, id: &ItemId) -> Key {
    Key::new(format!("VIEW#{day}#{visitor}"), format!("{kind}#{id}"))
}

/// One engagement beacon per visitor, item and day.
pub fn read_marker(day: NaiveDate, visitor: &str, kind: ContentKind, id: &ItemId) -> Key {
    Key::new(format!("READ#{day}#{visitor}"), format!("{kind}#{id}"))
}

pub const LIVE: &str = "LIVE";

/// A visitor seen in one minute (`minute`: `YYYY-MM-DDTHH:MM`, UTC).
pub fn live_visitor(minute: &str, visitor: &str) -> Key {
    Key::new(LIVE, format!("{minute}#{visitor}"))
}

/// Every visitor seen from minute `first` to minute `last` inclusive.
pub fn live_between(first: &str, last: &str) -> Query {
    Query::table(
        LIVE,
        SortKeyRange::Between(format!("{first}#"), format!("{last}$")),
    )
}

/// The visitor of a live row's sort key.
pub fn visitor_of_live_row(sk: &str) -> Option<&str> {
    sk.split_once('#').map(|(_, visitor)| visitor)
}

pub const VISITS: &str = "STATS#VISITS";
pub const TOTAL_VIEWS: &str = "STATS#VIEWS";

pub fn visits_on(day: NaiveDate, region: &str) -> Key {
    Key::new(VISITS, format!("DAY#{day}#{region}"))
}

pub const AUDIENCE: &str = "STATS#AUDIENCE";

/// The day's aggregate of where this Region's visits came from and on what.
pub fn audience_on(day: NaiveDate, region: &str) -> Key {
    Key::new(AUDIENCE, format!("DAY#{day}#{region}"))
}

pub const AUDIENCE_PROFILES: &str = "STATS#PROFILES";

/// One of the day's rows of visit profiles in this Region. Profiles are spread
/// over 64 rows by `shard` (a character of the profile's own hash): an
/// UpdateItem is billed on the larger of the item's sizes before and after
/// ("DynamoDB read and write operations", Capacity unit consumption for write
/// operations, DynamoDB Developer Guide), so each row stays a few KB however
/// many kinds of visit the day has.
pub fn audience_profiles_on(day: NaiveDate, region: &str, shard: char) -> Key {
    Key::new(AUDIENCE_PROFILES, format!("DAY#{day}#{region}#{shard}"))
}

pub const PROFILED_READING: &str = "STATS#PROFILEREADS";

/// One of the day's rows of views and reads per visit profile and item, in
/// this Region: sharded like the profile rows (`shard` is the profile's), for
/// the same reason.
pub fn profiled_reading_on(day: NaiveDate, region: &str, shard: char) -> Key {
    Key::new(PROFILED_READING, format!("DAY#{day}#{region}#{shard}"))
}

pub const READERSHIP: &str = "STATS#READS";

/// The day's views, reads and time on page per item, in this Region.
pub fn readership_on(day: NaiveDate, region: &str) -> Key {
    Key::new(READERSHIP, format!("DAY#{day}#{region}"))
}

/// Every Region's daily visit rows (and audience and readership rows) from `first` to `last` inclusive.
pub fn visits_between(first: NaiveDate, last: NaiveDate) -> SortKeyRange {
    // '$' sorts after '#', so the upper bound includes every Region of `last`.
    SortKeyRange::Between(format!("DAY#{first}#"), format!("DAY#{last}$"))
}

/// The date of a daily visit row's sort key.
pub fn day_of_visits_row(sk: &str) -> Option<NaiveDate> {
    let date = sk.strip_prefix("DAY#")?.split('#').next()?;
    date.parse().ok()
}

pub fn total(partition: &'static str, region: &str) -> Key {
    Key::new(partition, format!("TOTAL#{region}"))
}

pub fn totals() -> SortKeyRange {
    SortKeyRange::BeginsWith("TOTAL#".into())
}

pub fn views_partition(kind: ContentKind) -> String {
    format!("STATS#VIEWS#{kind}")
}

pub fn views_of(kind: ContentKind, id: &ItemId, region: &str) -> Key {
    Key::new(views_partition(kind), format!("ITEM#{id}#{region}"))
}

/// Every Region's view rows of one item (ids never contain '#').
pub fn views_of_item(id: &ItemId) -> SortKeyRange {
    SortKeyRange::BeginsWith(format!("ITEM#{id}#"))
}

pub fn views_of_all_items() -> SortKeyRange {
    SortKeyRange::BeginsWith("ITEM#".into())
}

/// The item id of a view row's sort key.
pub fn item_of_views_row(sk: &str) -> Option<&str> {
    sk.strip_prefix("ITEM#")?.split('#').next()
}

/// Content writes counted, one row per Region: search rebuilds its index when
/// their sum moves.
pub const CONTENT_CHANGES: &str = "STATS#CONTENT";

pub fn content_changes(region: &str) -> Key {
    Key::new(CONTENT_CHANGES, format!("CHANGES#{region}"))
}

pub fn every_content_change() -> Query {
    Query::table(CONTENT_CHANGES, SortKeyRange::BeginsWith("CHANGES#".into()))
}

pub const CATEGORIES: &str = "STATS#CATEGORIES";

/// One Region's count of published posts in a category (case-insensitive); its
/// `Data` is the category as last written.
pub fn category_count(category: &str, region: &str) -> Key {
    Key::new(
        CATEGORIES,
        format!("CAT#{}#{region}", category.to_lowercase()),
    )
}

pub fn every_category() -> SortKeyRange {
    SortKeyRange::BeginsWith("CAT#".into())
}

/// The lower-case category of a category row's sort key (categories may hold '#';
/// Regions do not).
pub fn category_of_row(sk: &str) -> Option<&str> {
    sk.strip_prefix("CAT#")?.rsplit_once('#').map(|(c, _)| c)
}

/// The partition of an item's history: a small summary row per revision (listed
/// without reading the items) and the item as it was, in a row of its own.
pub fn history(kind: ContentKind, id: &ItemId) -> String {
    format!("HISTORY#{}#{id}", kind_prefix(kind))
}

/// Versions are zero-padded so the sort key orders them.
pub fn revision(kind: ContentKind, id: &ItemId, version: u64) -> Key {
    Key::new(history(kind, id), format!("REV#{version:010}"))
}

pub fn revision_body(kind: ContentKind, id: &ItemId, version: u64) -> Key {
    Key::new(history(kind, id), format!("BODY#{version:010}"))
}

/// Every revision summary of an item, newest first.
pub fn revisions(kind: ContentKind, id: &ItemId) -> Query {
    Query {
        descending: true,
        ..Query::table(history(kind, id), SortKeyRange::BeginsWith("REV#".into()))
    }
}

/// Every row of an item's history, summaries and items.
pub fn whole_history(kind: ContentKind, id: &ItemId) -> Query {
    Query::table(history(kind, id), SortKeyRange::All)
}

/// Revisions past an item's newest 50, listed by when they were replaced, so the
/// tick removes those past the age limit with one bounded query.
pub const HISTORY_AGING: &str = "HISTORY#AGING";

/// A deleted item, restorable for a while: listed by when it was deleted.
pub fn trashed(kind: ContentKind, id: &ItemId) -> Key {
    Key::new(TRASH, format!("{}#{id}", kind.as_str()))
}

pub const TRASH: &str = "TRASH";

/// Every deleted item.
pub fn trash() -> Query {
    Query::table(TRASH, SortKeyRange::All)
}

pub mod entity {
    pub const USER: &str = "User";
    pub const REFRESH_TOKEN: &str = "RefreshToken";
    pub const REVOKED_TOKEN: &str = "RevokedToken";
    pub const SLUG: &str = "Slug";
    pub const SALT: &str = "Salt";
    pub const VISIT_MARKER: &str = "VisitMarker";
    pub const VIEW_MARKER: &str = "ViewMarker";
    pub const COUNTER: &str = "Counter";
    pub const AUDIENCE: &str = "Audience";
    pub const AUDIENCE_PROFILES: &str = "AudienceProfiles";
    pub const READERSHIP: &str = "Readership";
    pub const PROFILED_READING: &str = "ProfiledReading";
    pub const READ_MARKER: &str = "ReadMarker";
    pub const LIVE_VISITOR: &str = "LiveVisitor";
    pub const CATEGORY_COUNT: &str = "CategoryCount";
    pub const PREVIEW: &str = "Preview";
    pub const AUDIENCE_SHARE: &str = "AudienceShare";
    pub const WEBHOOK_DELIVERY: &str = "WebhookDelivery";
    pub const LIST_INDEX: &str = "ListIndex";
    pub const LIST_TALLY: &str = "ListTally";
    pub const INDEXED_MARKER: &str = "IndexedMarker";
    pub const CATALOGUE_ENTRY: &str = "CatalogueEntry";
    pub const CATALOGUE_MARKER: &str = "CatalogueMarker";
    pub const REDIRECT: &str = "Redirect";
    pub const REVISION: &str = "Revision";
    pub const REVISION_BODY: &str = "RevisionBody";
    pub const TRASHED: &str = "Trashed";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visit_range_covers_every_region_of_both_end_days() {
        let d1: NaiveDate = "2026-11-01".parse().unwrap();
        let d2: NaiveDate = "2026-11-03".parse().unwrap();
        let range = visits_between(d1, d2);
        assert!(range.contains(&visits_on(d1, "us-east-1").sk));
        assert!(range.contains(&visits_on(d2, "eu-west-1").sk));
        assert!(!range.contains(&visits_on(d2.succ_opt().unwrap(), "a").sk));
        assert!(!range.contains(&visits_on(d1.pred_opt().unwrap(), "z").sk));
        assert_eq!(day_of_visits_row(&visits_on(d2, "local").sk), Some(d2));
    }

    #[test]
    fn category_rows_fold_case_and_keep_hashes_in_names() {
        let key = category_count("C#", "eu-west-1");
        assert_eq!(key, category_count("c#", "eu-west-1"));
        assert_eq!(category_of_row(&key.sk), Some("c#"));
        assert!(every_category().contains(&key.sk));
    }

    #[test]
    fn item_view_prefix_does_not_match_longer_ids() {
        let one = ItemId::parse("id", "1").unwrap();
        let ten = ItemId::parse("id", "10").unwrap();
        assert!(!views_of_item(&one).contains(&views_of(ContentKind::Blog, &ten, "r").sk));
        assert_eq!(
            item_of_views_row(&views_of(ContentKind::Blog, &ten, "r").sk),
            Some("10")
        );
    }
}
