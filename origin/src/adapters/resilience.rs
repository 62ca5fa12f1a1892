//! Decorators of the ports, the same for every adapter:
//! - `RetryConflicts` retries a transaction a concurrent one cancelled
//!   (DynamoDB's `TransactionConflict`, which the SDK does not retry), with
//!   jittered exponential backoff, and gives up as `Conflict` (a 503);
//! - `FaultyStore` and `FaultyIdentity` make failures happen on demand (conflicts,
//!   throttling, timeouts, an unreachable service), so the retry and 503 paths run
//!   in tests: no local engine produces them by itself.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use folio_shared::domain::Email;

use crate::ports::identity::Session;
use crate::ports::store::Attributes;
use crate::ports::{IdentityError, IdentityProvider, Item, Key, Query, Store, StoreError, Write};

/// Attempts of a transaction cancelled by conflicting concurrent transactions.
pub const CONFLICT_ATTEMPTS: u32 = 8;

/// How every adapter of the store port is wired: faults (tests only) below the
/// conflict retry, so injected conflicts exercise the real retry.
pub fn wrap_store(store: Arc<dyn Store>, faults: Option<FaultPlan>) -> Arc<dyn Store> {
    let store = match faults {
        Some(plan) => Arc::new(FaultyStore::new(store, plan)) as Arc<dyn Store>,
        None => store,
    };
    Arc::new(RetryConflicts::new(store))
}

/// The identity port, with faults injected when a plan is given (tests only).
pub fn wrap_identity(
    identity: Arc<dyn IdentityProvider>,
    faults: Option<FaultPlan>,
) -> Arc<dyn IdentityProvider> {
    match faults {
        Some(plan) => Arc::new(FaultyIdentity::new(identity, plan)),
        None => identity,
    }
}

pub struct RetryConflicts {
    inner: Arc<dyn Store>,
    /// First backoff; doubled per attempt, with jitter up to the same again.
    base: Duration,
}

impl RetryConflicts {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            base: Duration::from_millis(10),
        }
    }
}

fn jitter(limit: Duration) -> Duration {
    let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(u64::from(uuid::Uuid::now_v7().as_u128() as u16) % millis)
}

#[async_trait]
impl Store for RetryConflicts {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn get_with(
        &self,
        key: &Key,
        attributes: Attributes,
    ) -> Result<Option<Item>, StoreError> {
        self.inner.get_with(key, attributes).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.inner.get_many(keys).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.inner.query(query).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            match self.inner.transact(writes.clone()).await {
                Err(StoreError::Conflict(reason)) => {
                    attempt += 1;
                    if attempt >= CONFLICT_ATTEMPTS {
                        return Err(StoreError::Conflict(reason));
                    }
                    let backoff = self.base * 2u32.pow(attempt.min(6));
                    tokio::time::sleep(backoff + jitter(backoff)).await;
                }
                other => return other,
            }
        }
    }
}

/// A failure the fault wrappers can inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// DynamoDB's `TransactionConflict` (writes only).
    TransactionConflict,
    /// Throttling (`ProvisionedThroughputExceeded`, `ThrottlingException`) after
    /// the SDK's own retries.
    Throttled,
    /// No answer within the SDK's operation timeout.
    Timeout,
    /// The service cannot be reached.
    Unreachable,
}

impl Fault {
    fn store_error(&self) -> StoreError {
        match self {
            Fault::TransactionConflict => {
                StoreError::Conflict("TransactionConflict (injected)".into())
            }
            Fault::Throttled => StoreError::Unavailable("ThrottlingException (injected)".into()),
            Fault::Timeout => StoreError::Unavailable("operation timed out (injected)".into()),
            Fault::Unreachable => StoreError::Unavailable("dispatch failure (injected)".into()),
        }
    }

    fn identity_error(&self) -> IdentityError {
        match self {
            Fault::Throttled => IdentityError::Throttled {
                message: "Too many sign-in attempts; try again shortly".into(),
                retry_after_secs: 5,
            },
            _ => IdentityError::Unavailable {
                detail: format!("{self:?} (injected)"),
            },
        }
    }
}

/// Faults queued for the next calls: each call takes the next fault, if any.
#[derive(Debug, Default, Clone)]
pub struct FaultPlan {
    queue: Arc<Mutex<VecDeque<Fault>>>,
    /// While set, every call fails `Unreachable`, background work too: an
    /// outage of the service's endpoint, not a fault queued for one request.
    outage: Arc<std::sync::atomic::AtomicBool>,
    /// How long an injected timeout takes to surface.
    pub timeout: Duration,
}

impl FaultPlan {
    pub fn new() -> Self {
        Self {
            queue: Arc::default(),
            outage: Arc::default(),
            timeout: Duration::from_millis(50),
        }
    }

    /// The next `n` calls fail with `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.extend(std::iter::repeat_n(fault, n));
        }
    }

    /// Drops every fault still queued.
    pub fn clear(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.clear();
        }
    }

    /// Takes the service down (`true`) or brings it back.
    pub fn set_outage(&self, down: bool) {
        self.outage.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn pending(&self) -> usize {
        self.queue.lock().map_or(0, |q| q.len())
    }

    async fn next(&self, writes: bool) -> Option<Fault> {
        if self.outage.load(std::sync::atomic::Ordering::SeqCst) {
            return Some(Fault::Unreachable);
        }
        // Work nobody asked for (`folio serve`'s scheduler) never takes a fault
        // queued for the next request: the test that queued it would race it.
        if BACKGROUND.try_with(|_| ()).is_ok() {
            return None;
        }
        let fault = {
            let mut queue = self.queue.lock().ok()?;
            match queue.front() {
                // A conflict only cancels transactions: reads pass it by.
                Some(Fault::TransactionConflict) if !writes => None,
                Some(_) => queue.pop_front(),
                None => None,
            }
        };
        if fault == Some(Fault::Timeout) {
            tokio::time::sleep(self.timeout).await;
        }
        fault
    }
}

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` (background work: the scheduler's tick) with faults left for
/// the requests they were queued for.
pub async fn unfaulted<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

pub struct FaultyStore {
    inner: Arc<dyn Store>,
    pub plan: FaultPlan,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>, plan: FaultPlan) -> Self {
        Self { inner, plan }
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.store_error()),
            None => self.inner.get(key).await,
        }
    }

    async fn get_with(
        &self,
        key: &Key,
        attributes: Attributes,
    ) -> Result<Option<Item>, StoreError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.store_error()),
            None => self.inner.get_with(key, attributes).await,
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.store_error()),
            None => self.inner.get_many(keys).await,
        }
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.store_error()),
            None => self.inner.query(query).await,
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        match self.plan.next(true).await {
            Some(fault) => Err(fault.store_error()),
            None => self.inner.transact(writes).await,
        }
    }
}

pub struct FaultyIdentity {
    inner: Arc<dyn IdentityProvider>,
    pub plan: FaultPlan,
}

impl FaultyIdentity {
    pub fn new(inner: Arc<dyn IdentityProvider>, plan: FaultPlan) -> Self {
        Self { inner, plan }
    }
}

#[async_trait]
impl IdentityProvider for FaultyIdentity {
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Session, IdentityError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.identity_error()),
            None => self.inner.sign_in(email, password).await,
        }
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.identity_error()),
            None => self.inner.refresh(refresh_token).await,
        }
    }

    async fn sign_out(&self, username: &str) -> Result<(), IdentityError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.identity_error()),
            None => self.inner.sign_out(username).await,
        }
    }

    async fn change_password(
        &self,
        email: &Email,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError> {
        match self.plan.next(false).await {
            Some(fault) => Err(fault.identity_error()),
            None => self.inner.change_password(email, current, new).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::local::embedded::EmbeddedStore;

    /// A fault queued for the next request is not taken by background work (the
    /// scheduler's tick in `folio serve`), which would otherwise race the test.
    #[tokio::test]
    async fn background_work_leaves_queued_faults_to_the_requests() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> =
            Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
        let plan = FaultPlan::new();
        let store = FaultyStore::new(inner, plan.clone());
        let key = Key::new("PK", "SK");
        plan.fail_next(1, Fault::Unreachable);
        assert!(
            unfaulted(store.get(&key)).await.is_ok(),
            "the tick reads on"
        );
        assert_eq!(plan.pending(), 1, "the fault waits for the request");
        assert!(store.get(&key).await.is_err(), "the request takes it");
        assert_eq!(plan.pending(), 0);
    }
}
