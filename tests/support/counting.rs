//! A `Store` that counts what it reads: the rows each `get` and `query` returns.
//! The catalogue-cost test and benchmark measure requests with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use folio_origin::ports::store::Attributes;
use folio_origin::ports::{Item, Key, Query, Store, StoreError, Write};
use folio_origin::usecases::app::App;
use folio_origin::wiring::local::{LOCAL_REGION, Local};

pub struct CountingStore {
    inner: Arc<dyn Store>,
    rows: AtomicUsize,
    calls: AtomicUsize,
    /// Bytes of `Data` in the rows returned: what a read costs beyond its count.
    data_bytes: AtomicUsize,
    transactions: AtomicUsize,
}

/// What the store was asked for since the last `take`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Rows returned (items read).
    pub rows: usize,
    /// GetItem, BatchGetItem and Query calls.
    pub calls: usize,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            rows: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            data_bytes: AtomicUsize::new(0),
            transactions: AtomicUsize::new(0),
        }
    }

    /// The transactions asked for so far (committed or not), starting that count again.
    pub fn take_transactions(&self) -> usize {
        self.transactions.swap(0, Ordering::SeqCst)
    }

    /// The bytes of `Data` read so far, starting that count again.
    pub fn take_data_bytes(&self) -> usize {
        self.data_bytes.swap(0, Ordering::SeqCst)
    }

    fn count_data(&self, rows: &[&Item]) {
        let bytes = rows
            .iter()
            .filter_map(|row| row.data.as_ref())
            .map(String::len)
            .sum();
        self.data_bytes.fetch_add(bytes, Ordering::SeqCst);
    }

    /// The reads so far, starting the count again.
    pub fn take(&self) -> Reads {
        Reads {
            rows: self.rows.swap(0, Ordering::SeqCst),
            calls: self.calls.swap(0, Ordering::SeqCst),
        }
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let row = self.inner.get(key).await?;
        self.count_data(&row.iter().collect::<Vec<_>>());
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.rows
            .fetch_add(usize::from(row.is_some()), Ordering::SeqCst);
        Ok(row)
    }

    async fn get_with(
        &self,
        key: &Key,
        attributes: Attributes,
    ) -> Result<Option<Item>, StoreError> {
        let row = self.inner.get_with(key, attributes).await?;
        self.count_data(&row.iter().collect::<Vec<_>>());
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.rows
            .fetch_add(usize::from(row.is_some()), Ordering::SeqCst);
        Ok(row)
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let rows = self.inner.get_many(keys).await?;
        self.count_data(&rows.iter().flatten().collect::<Vec<_>>());
        self.calls.fetch_add(1, Ordering::SeqCst);
        let found = rows.iter().filter(|row| row.is_some()).count();
        self.rows.fetch_add(found, Ordering::SeqCst);
        Ok(rows)
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let rows = self.inner.query(query).await?;
        self.count_data(&rows.iter().collect::<Vec<_>>());
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.rows.fetch_add(rows.len(), Ordering::SeqCst);
        Ok(rows)
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.transactions.fetch_add(1, Ordering::SeqCst);
        self.inner.transact(writes).await
    }
}

/// An app over `store`, counted, with `local`'s issuer, verifier and purge: the
/// origin as the Lambda runs it, on whichever store is measured.
pub fn counted_app(local: &Local, store: Arc<dyn Store>) -> (App, Arc<CountingStore>) {
    let counting = Arc::new(CountingStore::new(store));
    let app = App::new(
        counting.clone(),
        local.issuer.clone(),
        local.purge.clone(),
        Arc::clone(&local.verifier),
        LOCAL_REGION,
    );
    (app, counting)
}
