//! The embedded store: the table port over redb, a transactional single-file
//! database. Writes are serialised by redb's single writer and committed with
//! fsync before they return, so a crash never loses an acknowledged write.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use folio_shared::domain::unix_now;
use redb::{
    Builder, ConcurrencyMode, Database, ReadOnlyDatabase, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition,
};

use crate::ports::store::{
    Condition, Index, Item, Key, Limit, Query, Store, StoreError, Write, check_query,
    check_transaction, item_size, limits,
};

/// (PK, SK) -> the row as JSON.
const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
/// (GSI1PK, GSI1SK, PK, SK) -> nothing: the index, kept in the same transaction.
const GSI1: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("gsi1");

/// How often expired rows are deleted from disk.
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

pub struct EmbeddedStore {
    db: Arc<Database>,
}

/// A key range in the query's order.
fn in_order<'a, I>(range: I, descending: bool) -> Box<dyn Iterator<Item = I::Item> + 'a>
where
    I: DoubleEndedIterator + 'a,
{
    if descending {
        Box::new(range.rev())
    } else {
        Box::new(range)
    }
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

fn decode(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| failed(format!("corrupt row: {e}")))
}

fn holds(condition: &Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::None => true,
        Condition::NotExists => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::VersionIs(v) => current.is_some_and(|i| i.version == *v),
        Condition::StatusIs(s) => current.is_some_and(|i| i.status.as_deref() == Some(s)),
    }
}

/// One process writes (the server, or a command while no server runs); others may
/// open the file read-only at the same time and read consistent snapshots of it
/// (`folio export`, `folio backup` while `folio serve` runs).
const MODE: ConcurrencyMode = ConcurrencyMode::SingleWriter;

impl EmbeddedStore {
    /// Opens (or creates) the store in `file`.
    pub fn open(file: &Path) -> Result<Self, StoreError> {
        let db = Builder::new()
            .set_concurrency_mode(MODE)
            .create(file)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Failed(format!(
                    "another folio is using {}: stop it, or give this one another --data-dir",
                    file.parent().unwrap_or(file).display()
                )),
                e => {
                    StoreError::Failed(format!("cannot open the store at {}: {e}", file.display()))
                }
            })?;
        let txn = db.begin_write().map_err(failed)?;
        txn.open_table(ITEMS).map_err(failed)?;
        txn.open_table(GSI1).map_err(failed)?;
        txn.commit().map_err(failed)?;
        let db = Arc::new(db);
        Self::sweep_expired(&db, unix_now())?;
        Self::start_sweeper(Arc::downgrade(&db));
        Ok(Self { db })
    }

    /// Deletes every row past its `ExpiresAt`, as DynamoDB's TTL does (visit and
    /// view markers, old salts, refresh tokens, deny-list rows); returns how many.
    /// Reads already treat such rows as absent; this makes them gone from disk.
    pub fn sweep_expired(db: &Database, now: i64) -> Result<usize, StoreError> {
        let txn = db.begin_write().map_err(failed)?;
        let mut swept = 0;
        {
            let mut items = txn.open_table(ITEMS).map_err(failed)?;
            let mut index = txn.open_table(GSI1).map_err(failed)?;
            let mut expired: Vec<Item> = Vec::new();
            for entry in items.iter().map_err(failed)? {
                let (_, v) = entry.map_err(failed)?;
                let item = decode(v.value())?;
                if item.is_expired(now) {
                    expired.push(item);
                }
            }
            for item in expired {
                if let (Some(gpk), Some(gsk)) = (&item.gsi1pk, &item.gsi1sk) {
                    index
                        .remove((
                            gpk.as_str(),
                            gsk.as_str(),
                            item.pk.as_str(),
                            item.sk.as_str(),
                        ))
                        .map_err(failed)?;
                }
                items
                    .remove((item.pk.as_str(), item.sk.as_str()))
                    .map_err(failed)?;
                swept += 1;
            }
        }
        txn.commit().map_err(failed)?;
        Ok(swept)
    }

    /// Sweeps every `SWEEP_INTERVAL` for as long as the store is open.
    fn start_sweeper(db: std::sync::Weak<Database>) {
        let _ = std::thread::Builder::new()
            .name("folio-ttl-sweeper".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(SWEEP_INTERVAL);
                    let Some(db) = db.upgrade() else { return };
                    if let Err(error) = Self::sweep_expired(&db, unix_now()) {
                        tracing::warn!(%error, "expired rows not swept");
                    }
                }
            });
    }

    /// Rows in the store, expired or not (what is on disk).
    pub fn row_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(failed)?;
        let items = txn.open_table(ITEMS).map_err(failed)?;
        items.len().map_err(failed)
    }

    /// Runs the TTL sweep now (tests, and `now` in the future to age the store).
    pub fn sweep_now(&self, now: i64) -> Result<usize, StoreError> {
        Self::sweep_expired(&self.db, now)
    }

    fn get_sync(db: &impl ReadableDatabase, key: &Key) -> Result<Option<Item>, StoreError> {
        let txn = db.begin_read().map_err(failed)?;
        let table = txn.open_table(ITEMS).map_err(failed)?;
        let row = table
            .get((key.pk.as_str(), key.sk.as_str()))
            .map_err(failed)?;
        match row {
            Some(bytes) => {
                let item = decode(bytes.value())?;
                Ok((!item.is_expired(unix_now())).then_some(item))
            }
            None => Ok(None),
        }
    }

    fn query_sync(db: &impl ReadableDatabase, q: &Query) -> Result<Vec<Item>, StoreError> {
        check_query(q).map_err(StoreError::Limit)?;
        let txn = db.begin_read().map_err(failed)?;
        let items = txn.open_table(ITEMS).map_err(failed)?;
        let now = unix_now();
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        // Keeps a live row; says whether the query wants more.
        let mut keep = |bytes: &[u8]| -> Result<bool, StoreError> {
            let item = decode(bytes)?;
            if !item.is_expired(now) {
                out.push(item.project(q.attributes));
            }
            Ok(out.len() < limit)
        };
        // Keys of one partition lie between (pk, "") and (pk + "\0", ""): nothing
        // sorts between a string and its first extension.
        let end = format!("{}\0", q.pk);
        if limit > 0 {
            match q.index {
                Index::Table => {
                    let range = items
                        .range((q.pk.as_str(), "")..(end.as_str(), ""))
                        .map_err(failed)?;
                    for entry in in_order(range, q.descending) {
                        let (k, v) = entry.map_err(failed)?;
                        if q.range.contains(k.value().1) && !keep(v.value())? {
                            break;
                        }
                    }
                }
                Index::Gsi1 => {
                    let index = txn.open_table(GSI1).map_err(failed)?;
                    let range = index
                        .range((q.pk.as_str(), "", "", "")..(end.as_str(), "", "", ""))
                        .map_err(failed)?;
                    for entry in in_order(range, q.descending) {
                        let (k, _) = entry.map_err(failed)?;
                        let (_, gsk, pk, sk) = k.value();
                        if q.range.contains(gsk)
                            && let Some(v) = items.get((pk, sk)).map_err(failed)?
                            && !keep(v.value())?
                        {
                            break;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn transact_sync(db: &Database, writes: Vec<Write>) -> Result<(), StoreError> {
        let txn = db.begin_write().map_err(failed)?;
        {
            let mut items = txn.open_table(ITEMS).map_err(failed)?;
            let mut index = txn.open_table(GSI1).map_err(failed)?;
            let now = unix_now();
            for (i, write) in writes.into_iter().enumerate() {
                let key = write.key();
                let current = match items
                    .get((key.pk.as_str(), key.sk.as_str()))
                    .map_err(failed)?
                {
                    Some(bytes) => Some(decode(bytes.value())?),
                    None => None,
                };
                let live = current.as_ref().filter(|c| !c.is_expired(now));
                let condition = match &write {
                    Write::Put { condition, .. }
                    | Write::Delete { condition, .. }
                    | Write::Check { condition, .. } => condition.clone(),
                    Write::Claim { .. } | Write::Absent { .. } => Condition::NotExists,
                    Write::Increment { .. } | Write::Tally { .. } | Write::Untally { .. } => {
                        Condition::None
                    }
                };
                if !holds(&condition, live) {
                    // Dropping the transaction without commit discards every write so far.
                    return Err(StoreError::ConditionFailed {
                        index: i,
                        holder: if write.answers_holder() {
                            live.cloned().map(Box::new)
                        } else {
                            None
                        },
                    });
                }
                let next = match write {
                    Write::Put { item, .. } | Write::Claim { item } => Some(item),
                    Write::Delete { .. } => None,
                    Write::Increment {
                        key,
                        entity_type,
                        by,
                        label,
                    } => {
                        let mut row = live.cloned().unwrap_or(Item {
                            pk: key.pk,
                            sk: key.sk,
                            entity_type,
                            ..Item::default()
                        });
                        row.count += by;
                        if label.is_some() {
                            row.data = label;
                        }
                        Some(row)
                    }
                    Write::Tally {
                        key,
                        entity_type,
                        by,
                        listed_at,
                    } => {
                        let mut row = live.cloned().unwrap_or(Item {
                            pk: key.pk,
                            sk: key.sk,
                            ..Item::default()
                        });
                        row.entity_type = entity_type;
                        if let Some(at) = listed_at {
                            row.gsi1pk = Some(at.pk);
                            row.gsi1sk = Some(at.sk);
                        }
                        for (name, n) in by {
                            *row.tallies.entry(name).or_default() += n;
                        }
                        Some(row)
                    }
                    Write::Untally { names, .. } => {
                        let Some(mut row) = live.cloned() else {
                            continue;
                        };
                        if names
                            .iter()
                            .any(|n| row.tallies.get(n).is_some_and(|c| *c != 0))
                        {
                            return Err(StoreError::ConditionFailed {
                                index: i,
                                holder: None,
                            });
                        }
                        for name in &names {
                            row.tallies.remove(name);
                        }
                        Some(row)
                    }
                    Write::Check { .. } | Write::Absent { .. } => continue,
                };
                // DynamoDB refuses an update that would make the item too large
                // ("Item size to update has exceeded the maximum allowed size"), as
                // it refuses such a Put (checked before): so does this store.
                if let Some(row) = &next
                    && item_size(row) > limits::MAX_ITEM_BYTES
                {
                    return Err(StoreError::Limit(Limit::UpdatedItemSize {
                        max: limits::MAX_ITEM_BYTES,
                    }));
                }
                if let Some(old) = &current
                    && let (Some(gpk), Some(gsk)) = (&old.gsi1pk, &old.gsi1sk)
                {
                    index
                        .remove((gpk.as_str(), gsk.as_str(), key.pk.as_str(), key.sk.as_str()))
                        .map_err(failed)?;
                }
                match next {
                    Some(row) => {
                        if let (Some(gpk), Some(gsk)) = (&row.gsi1pk, &row.gsi1sk) {
                            index
                                .insert(
                                    (gpk.as_str(), gsk.as_str(), row.pk.as_str(), row.sk.as_str()),
                                    (),
                                )
                                .map_err(failed)?;
                        }
                        let bytes = serde_json::to_vec(&row).map_err(failed)?;
                        items
                            .insert((row.pk.as_str(), row.sk.as_str()), bytes.as_slice())
                            .map_err(failed)?;
                    }
                    None => {
                        items
                            .remove((key.pk.as_str(), key.sk.as_str()))
                            .map_err(failed)?;
                    }
                }
            }
        }
        txn.commit().map_err(failed)
    }
}

/// A read-only view of a store file, beside whatever process writes it: reads are
/// snapshots of the last commit, writes are refused.
pub struct EmbeddedSnapshot {
    db: ReadOnlyDatabase,
}

impl EmbeddedSnapshot {
    pub fn open(file: &Path) -> Result<Self, StoreError> {
        let db = Builder::new()
            .set_concurrency_mode(MODE)
            .open_read_only(file)
            .map_err(|e| {
                StoreError::Failed(format!("cannot read the store at {}: {e}", file.display()))
            })?;
        Ok(Self { db })
    }

    /// Copies one snapshot of the whole store into a new file at `target` (fsync'd
    /// before it returns); returns the rows copied. Consistent: one read transaction.
    /// Copies every row into `target`, an empty file the caller created (private,
    /// from its first byte: the copy holds password hashes).
    pub fn backup(&self, target: std::fs::File) -> Result<u64, StoreError> {
        let cannot =
            |e: &dyn std::fmt::Display| StoreError::Failed(format!("cannot write the backup: {e}"));
        let backend = redb::backends::FileBackend::new(target).map_err(|e| cannot(&e))?;
        let copy = Builder::new()
            .set_concurrency_mode(MODE)
            .create_with_backend(backend)
            .map_err(|e| cannot(&e))?;
        let read = self.db.begin_read().map_err(failed)?;
        let write = copy.begin_write().map_err(failed)?;
        let mut rows = 0;
        {
            let from = read.open_table(ITEMS).map_err(failed)?;
            let mut to = write.open_table(ITEMS).map_err(failed)?;
            for entry in from.iter().map_err(failed)? {
                let (key, value) = entry.map_err(failed)?;
                to.insert(key.value(), value.value()).map_err(failed)?;
                rows += 1;
            }
            let from = read.open_table(GSI1).map_err(failed)?;
            let mut to = write.open_table(GSI1).map_err(failed)?;
            for entry in from.iter().map_err(failed)? {
                let (key, _) = entry.map_err(failed)?;
                to.insert(key.value(), ()).map_err(failed)?;
            }
        }
        write.commit().map_err(failed)?;
        Ok(rows)
    }
}

#[async_trait]
impl Store for EmbeddedSnapshot {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        EmbeddedStore::get_sync(&self.db, key)
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        EmbeddedStore::query_sync(&self.db, query)
    }

    async fn transact(&self, _: Vec<Write>) -> Result<(), StoreError> {
        Err(StoreError::Failed(
            "this view of the store is read-only".into(),
        ))
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        // Reads are MVCC snapshots of memory-mapped pages: short enough to run inline.
        Self::get_sync(self.db.as_ref(), key)
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        Self::query_sync(self.db.as_ref(), query)
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        // DynamoDB's limits hold here too, so local mode refuses what AWS would.
        check_transaction(&writes).map_err(StoreError::Limit)?;
        // Commits wait for fsync: keep them off the async worker threads.
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || Self::transact_sync(&db, writes))
            .await
            .map_err(|e| failed(format!("store task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sk: &str, expires_at: Option<i64>) -> Item {
        Item {
            pk: "TTL".into(),
            sk: sk.into(),
            entity_type: "Test".into(),
            gsi1pk: Some("G".into()),
            gsi1sk: Some(sk.into()),
            expires_at,
            ..Item::default()
        }
    }

    /// A backup is written into the file the caller created private: the same
    /// file (inode), never unlinked and made again by the store with the umask's
    /// mode while the password hashes are copied in.
    #[tokio::test]
    async fn a_backup_fills_the_private_file_it_is_given() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("s.redb");
        let store = EmbeddedStore::open(&source).unwrap();
        let put = Write::Put {
            item: row("kept", None),
            condition: Condition::None,
        };
        store.transact(vec![put]).await.unwrap();
        drop(store);
        let out = dir.path().join("backup.redb");
        let file = crate::support::private_files::create_new(&out).unwrap();
        let inode = file.metadata().unwrap().ino();
        let rows = EmbeddedSnapshot::open(&source)
            .unwrap()
            .backup(file)
            .unwrap();
        assert_eq!(rows, 1);
        let meta = std::fs::metadata(&out).unwrap();
        assert_eq!(
            (meta.ino(), meta.permissions().mode() & 0o777),
            (inode, 0o600)
        );
        let copy = EmbeddedSnapshot::open(&out).unwrap();
        let key = Key::new("TTL", "kept");
        assert!(copy.get(&key).await.unwrap().is_some());
    }

    /// DynamoDB's TTL deletes rows past `ExpiresAt`: so does the embedded store,
    /// from disk and from the index, whatever days the server was down.
    #[tokio::test]
    async fn expired_rows_are_deleted_from_disk_and_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
        let now = unix_now();
        let writes = vec![
            Write::Put {
                item: row("old", Some(now - 10)),
                condition: Condition::None,
            },
            Write::Put {
                item: row("soon", Some(now + 3_600)),
                condition: Condition::None,
            },
            Write::Put {
                item: row("kept", None),
                condition: Condition::None,
            },
        ];
        store.transact(writes).await.unwrap();
        assert_eq!(
            store.row_count().unwrap(),
            3,
            "an expired row stays until swept"
        );
        assert_eq!(store.sweep_now(now).unwrap(), 1);
        assert_eq!(store.row_count().unwrap(), 2);
        // A week later (the server down meanwhile), the next sweep takes the rest.
        assert_eq!(store.sweep_now(now + 7 * 86_400).unwrap(), 1);
        let indexed = store.query(&Query::gsi1("G")).await.unwrap();
        assert_eq!(indexed.len(), 1);
        assert_eq!(indexed[0].sk, "kept");
    }
}
