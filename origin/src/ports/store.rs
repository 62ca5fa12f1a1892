//! The store port: a single table shaped like DynamoDB's (PK/SK, one GSI, TTL,
//! conditional transactional writes), so the same key layout and the same domain
//! code run on the embedded store and on a DynamoDB global table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

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
    /// Writes nothing; fails the transaction unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
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
}

impl Query {
    pub fn table(pk: impl Into<String>, range: SortKeyRange) -> Self {
        Self {
            index: Index::Table,
            pk: pk.into(),
            range,
            descending: false,
        }
    }

    pub fn gsi1(pk: impl Into<String>) -> Self {
        Self {
            index: Index::Gsi1,
            pk: pk.into(),
            range: SortKeyRange::All,
            descending: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The condition of write number `index` in the transaction did not hold;
    /// nothing was written.
    #[error("condition of write {index} failed")]
    ConditionFailed { index: usize },
    /// The store cannot be reached or is overloaded; the caller may retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data.
    #[error("store failure: {0}")]
    Failed(String),
}

/// At most this many writes go into one transaction (DynamoDB allows 100).
pub const MAX_TRANSACTION_WRITES: usize = 25;

#[async_trait]
pub trait Store: Send + Sync {
    /// A strongly consistent read of one row; expired rows are absent.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// All rows of one partition (table or GSI1) whose sort key is in range, in sort
    /// order; expired rows are absent. Never a scan.
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError>;
    /// Applies all writes or none.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}
