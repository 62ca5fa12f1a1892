//! The origin's ports: what it needs from the outside world, as small traits. Each has
//! a local adapter (in `crate::adapters`) and a production one.

pub mod identity;
pub mod invalidator;
pub mod keys;
pub mod media;
pub mod store;

pub use identity::{IdentityError, IdentityProvider, Session};
pub use invalidator::Invalidator;
pub use store::{Condition, Index, Item, Key, Query, SortKeyRange, Store, StoreError, Write};
