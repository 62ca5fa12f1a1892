//! The store port: a single table shaped like DynamoDB's (PK/SK, one GSI, TTL,
//! conditional transactional writes), so the same key layout and the same domain
//! code run on the embedded store and on a DynamoDB global table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One row of the table. Attribute names follow the DynamoDB design: `PK`, `SK`,
/// `GSI1PK`, `GSI1SK`, `EntityType`, `Status`, `CreatedAt`, `UpdatedAt`, `Data`,
/// `Version`, `Count`, `ExpiresAt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: Option<String>,
    pub gsi1sk: Option<String>,
    pub entity_type: String,
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The entity itself, as JSON.
    pub data: Option<String>,
    /// Incremented by every write of the entity; the handle of optimistic concurrency.
    pub version: u64,
    /// Counter value, for counter rows.
    pub count: i64,
    /// Seconds since the epoch after which the row no longer exists (TTL).
    pub expires_at: Option<i64>,
    /// Named counters of a tally row (one numeric attribute each on DynamoDB).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tallies: BTreeMap<String, i64>,
    /// Which layout of derived rows the row's writer kept (0: written before any).
    #[serde(default)]
    pub layout: u32,
}

impl Item {
    pub fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }

    /// Whether TTL has removed the row (DynamoDB deletes lazily, so reads must check).
    pub fn is_expired(&self, now_secs: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now_secs)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    None,
    /// The row must not exist (or must have expired).
    NotExists,
    /// The row must exist.
    Exists,
    /// The row must exist with this `Version`.
    VersionIs(u64),
    /// The row must exist with this `Status`.
    StatusIs(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Writes the whole row.
    Put {
        item: Item,
        condition: Condition,
    },
    /// Writes the whole row unless a live row holds its key (`Condition::NotExists`).
    /// If one does, the transaction fails with `ConditionFailed` carrying that row
    /// (`holder`), read by the same call: DynamoDB's
    /// `ReturnValuesOnConditionCheckFailure` of `ALL_OLD` ("TransactWriteItems",
    /// DynamoDB API Reference: `CancellationReasons`, `Item`).
    Claim {
        item: Item,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Adds `by` to the row's `Count`, creating the row at 0 first if needed; a
    /// `label` replaces the row's `Data`.
    Increment {
        key: Key,
        entity_type: String,
        by: i64,
        label: Option<String>,
    },
    /// Adds each `(name, by)` to the row's tally of that name, creating the row
    /// and the tallies at 0 first if needed: one write however many names.
    /// `listed_at`, when given, becomes the row's GSI1 key (set, not added to).
    Tally {
        key: Key,
        entity_type: String,
        by: Vec<(String, i64)>,
        listed_at: Option<Key>,
    },
    /// Removes the named tallies from the row, each of which must be 0 (or
    /// absent): fails the transaction otherwise. A tally row keeps no name whose
    /// count went back to zero, so it does not grow with every tag ever used.
    Untally {
        key: Key,
        names: Vec<String>,
    },
    /// Writes nothing; fails the transaction unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; fails the transaction if a live row holds the key, with
    /// `ConditionFailed` carrying that row (`holder`), as a refused `Claim` does:
    /// a read folded into a write that usually finds nothing.
    Absent {
        key: Key,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyRange {
    All,
    BeginsWith(String),
    /// Inclusive on both ends, like DynamoDB's `BETWEEN`.
    Between(String, String),
}

impl SortKeyRange {
    pub fn contains(&self, sk: &str) -> bool {
        match self {
            SortKeyRange::All => true,
            SortKeyRange::BeginsWith(p) => sk.starts_with(p.as_str()),
            SortKeyRange::Between(lo, hi) => lo.as_str() <= sk && sk <= hi.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub range: SortKeyRange,
    pub descending: bool,
    /// At most this many items, the first in the query's order (DynamoDB's
    /// `Limit`, applied after expired items are left out); none: every item.
    pub limit: Option<usize>,
    /// Which attributes the rows come back with.
    pub attributes: Attributes,
}

/// Which attributes a read returns (DynamoDB's `ProjectionExpression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attributes {
    All,
    /// A row's head: its keys (`pk`, `sk`, `gsi1sk`), status, version, update
    /// time and expiry, and of the tallies only the named ones: what a list or
    /// an item's head needs to know which items, at which versions, it holds.
    /// Not its data, nor its type, creation time, GSI1 partition, count or
    /// layout, which no such read uses: each attribute left out is one fewer to
    /// send and parse (a list's Query reads two dozen rows). DynamoDB bills the
    /// read as a whole (read capacity follows the item's size, not the
    /// projection's), so this saves transfer and parsing, not capacity.
    WithoutData {
        tallies: &'static [&'static str],
    },
}

impl Item {
    /// The row as a read with `attributes` returns it.
    pub fn project(mut self, attributes: Attributes) -> Self {
        if let Attributes::WithoutData { tallies } = attributes {
            self.data = None;
            self.entity_type = String::new();
            self.created_at = None;
            self.gsi1pk = None;
            self.count = 0;
            self.layout = 0;
            self.tallies
                .retain(|name, _| tallies.contains(&name.as_str()));
        }
        self
    }
}

impl Query {
    pub fn table(pk: impl Into<String>, range: SortKeyRange) -> Self {
        Self {
            index: Index::Table,
            pk: pk.into(),
            range,
            descending: false,
            limit: None,
            attributes: Attributes::All,
        }
    }

    pub fn gsi1(pk: impl Into<String>) -> Self {
        Self {
            index: Index::Gsi1,
            pk: pk.into(),
            range: SortKeyRange::All,
            descending: true,
            limit: None,
            attributes: Attributes::All,
        }
    }

    /// The same query, its rows with `attributes` only.
    pub fn with(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// The same query, stopping after `limit` items.
    pub fn first(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The condition of write number `index` in the transaction did not hold;
    /// nothing was written. For a `Write::Claim` or a `Write::Absent`, `holder`
    /// is the row that holds its key.
    #[error("condition of write {index} failed")]
    ConditionFailed {
        index: usize,
        holder: Option<Box<Item>>,
    },
    /// The store cannot be reached or is overloaded; the caller may retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A concurrent transaction on the same items cancelled this one; nothing was
    /// written and the same transaction may be tried again at once.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// The request breaks one of DynamoDB's documented limits; nothing was written.
    #[error("{0}")]
    Limit(Limit),
    /// Anything else: a bug or corrupt data.
    #[error("store failure: {0}")]
    Failed(String),
}

/// DynamoDB's documented limits ("Quotas in Amazon DynamoDB", Developer Guide),
/// enforced by every adapter so the embedded store refuses what DynamoDB would.
pub mod limits {
    /// "Item size": 400 KB, attribute names and values included.
    /// Counted as 400,000 bytes: the stricter reading of "400 KB" (moto refuses
    /// above 405,000, DynamoDB itself near 409,600).
    pub const MAX_ITEM_BYTES: usize = 400_000;
    /// "Partition key value": 1 to 2,048 bytes.
    pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
    /// "Sort key value": 1 to 1,024 bytes.
    pub const MAX_SORT_KEY_BYTES: usize = 1024;
    /// "TransactWriteItems": at most 100 actions ...
    pub const MAX_TRANSACTION_ACTIONS: usize = 100;
    /// ... of at most 4 MB in all ...
    pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
    // ... and no two actions on the same item ("you can't target the same item
    // with multiple operations within the same transaction").
}

/// Which documented DynamoDB limit a request broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Limit {
    #[error("the item is {size} bytes; DynamoDB stores at most {max} bytes per item")]
    ItemSize { size: usize, max: usize },
    #[error("an update would make an item larger than the {max} bytes DynamoDB stores")]
    UpdatedItemSize { max: usize },
    #[error("a key value is {size} bytes; DynamoDB allows 1 to {max}")]
    KeySize { size: usize, max: usize },
    #[error("a transaction of {0} writes; DynamoDB allows at most 100")]
    TransactionActions(usize),
    #[error("a transaction of {0} bytes; DynamoDB allows at most 4 MB")]
    TransactionSize(usize),
    #[error("two writes in one transaction touch {0:?}; DynamoDB allows one per item")]
    SameItemTwice(Key),
}

/// An item's size as DynamoDB counts it: the UTF-8 bytes of every attribute name
/// and string value; a number counts about one byte per two digits plus one
/// (counted here as its digits plus one, never less than DynamoDB).
pub fn item_size(item: &Item) -> usize {
    let string = |name: &str, value: &str| name.len() + value.len();
    let number = |name: &str, value: i128| name.len() + value.to_string().len() + 1;
    let optional = [
        ("GSI1PK", &item.gsi1pk),
        ("GSI1SK", &item.gsi1sk),
        ("Status", &item.status),
        ("CreatedAt", &item.created_at),
        ("UpdatedAt", &item.updated_at),
        ("Data", &item.data),
    ];
    string("PK", &item.pk)
        + string("SK", &item.sk)
        + string("EntityType", &item.entity_type)
        + optional
            .iter()
            .filter_map(|(n, v)| v.as_deref().map(|v| string(n, v)))
            .sum::<usize>()
        + number("Version", i128::from(item.version))
        + number("Count", i128::from(item.count))
        + item
            .expires_at
            .map_or(0, |t| number("ExpiresAt", i128::from(t)))
        + if item.layout > 0 {
            number("Layout", i128::from(item.layout))
        } else {
            0
        }
        + item
            .tallies
            .iter()
            .map(|(name, n)| number(name, i128::from(*n)) + TALLY_PREFIX.len())
            .sum::<usize>()
}

/// What a tally's attribute name starts with on DynamoDB, so tallies never clash
/// with the fixed attributes.
pub const TALLY_PREFIX: &str = "T:";

/// A key value DynamoDB accepts: 1 to `max` bytes.
fn check_key_value(value: &str, max: usize) -> Result<(), Limit> {
    if value.is_empty() || value.len() > max {
        return Err(Limit::KeySize {
            size: value.len(),
            max,
        });
    }
    Ok(())
}

fn check_key(pk: &str, sk: &str) -> Result<(), Limit> {
    check_key_value(pk, limits::MAX_PARTITION_KEY_BYTES)?;
    check_key_value(sk, limits::MAX_SORT_KEY_BYTES)
}

/// Checks a query's key condition as DynamoDB does: no key value may be empty (a
/// `BETWEEN` from "" is a ValidationException, as moto and DynamoDB answer) or
/// longer than a key may be.
pub fn check_query(query: &Query) -> Result<(), Limit> {
    let bounds: Vec<&str> = match &query.range {
        SortKeyRange::All => Vec::new(),
        SortKeyRange::BeginsWith(prefix) => vec![prefix],
        SortKeyRange::Between(low, high) => vec![low, high],
    };
    check_key_value(&query.pk, limits::MAX_PARTITION_KEY_BYTES)?;
    bounds
        .into_iter()
        .try_for_each(|bound| check_key_value(bound, limits::MAX_SORT_KEY_BYTES))
}

/// Checks a transaction against DynamoDB's limits before any adapter runs it.
pub fn check_transaction(writes: &[Write]) -> Result<(), Limit> {
    if writes.len() > limits::MAX_TRANSACTION_ACTIONS {
        return Err(Limit::TransactionActions(writes.len()));
    }
    let mut total = 0;
    let mut seen: Vec<&Key> = Vec::with_capacity(writes.len());
    let keys: Vec<Key> = writes.iter().map(Write::key).collect();
    for (write, key) in writes.iter().zip(&keys) {
        check_key(&key.pk, &key.sk)?;
        if seen.contains(&key) {
            return Err(Limit::SameItemTwice(key.clone()));
        }
        seen.push(key);
        if let Write::Put { item, .. } | Write::Claim { item } = write {
            if let (Some(pk), Some(sk)) = (&item.gsi1pk, &item.gsi1sk) {
                check_key(pk, sk)?;
            }
            let size = item_size(item);
            if size > limits::MAX_ITEM_BYTES {
                return Err(Limit::ItemSize {
                    size,
                    max: limits::MAX_ITEM_BYTES,
                });
            }
            total += size;
        } else {
            total += key.pk.len() + key.sk.len();
        }
    }
    if total > limits::MAX_TRANSACTION_BYTES {
        return Err(Limit::TransactionSize(total));
    }
    Ok(())
}

impl Write {
    /// Whether a refusal of this write carries the row that holds its key
    /// (`ConditionFailed::holder`): a claim's and an absence check's do.
    pub fn answers_holder(&self) -> bool {
        matches!(self, Write::Claim { .. } | Write::Absent { .. })
    }

    /// The item a write touches.
    pub fn key(&self) -> Key {
        match self {
            Write::Put { item, .. } | Write::Claim { item } => item.key(),
            Write::Delete { key, .. }
            | Write::Increment { key, .. }
            | Write::Tally { key, .. }
            | Write::Untally { key, .. }
            | Write::Check { key, .. }
            | Write::Absent { key } => key.clone(),
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    /// A strongly consistent read of one row; expired rows are absent.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// `get`, returning only `attributes` of the row (DynamoDB's
    /// `ProjectionExpression`). A store that cannot leave attributes out reads
    /// the row and drops them, so no store returns more than DynamoDB would.
    async fn get_with(
        &self,
        key: &Key,
        attributes: Attributes,
    ) -> Result<Option<Item>, StoreError> {
        Ok(self.get(key).await?.map(|row| row.project(attributes)))
    }
    /// Strongly consistent reads of many rows, answered in the order of `keys`
    /// (missing and expired rows are `None`): one BatchGetItem per 100 keys on
    /// DynamoDB, rather than a request per row.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            rows.push(self.get(key).await?);
        }
        Ok(rows)
    }
    /// All rows of one partition (table or GSI1) whose sort key is in range, in sort
    /// order; expired rows are absent. Never a scan.
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError>;
    /// Applies all writes or none.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}
