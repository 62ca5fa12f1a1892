//! Domain operations over the store port, written once for every adapter.

pub mod content;
pub mod history;

use crate::ports::StoreError;

/// What a repository operation refuses, or why it failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RepoError {
    /// A write that collides with another item (an id or a slug taken).
    #[error("{0}")]
    Conflict(String),
    /// The item changed since it was read: the write was not made.
    #[error("the item changed since it was read")]
    Changed,
    /// A stored row that does not read back as what it should be.
    #[error("{0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An item with the version its row had when read.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub item: T,
    pub version: u64,
    /// Whether the item's index rows and tallies exist (a row written by this
    /// version, or migrated).
    pub indexed: bool,
}
