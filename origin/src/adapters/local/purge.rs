//! The local cache invalidator: purges `folio serve`'s in-process cache at once.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::Invalidator;
use crate::ports::invalidator::normalise;

type Purge = Box<dyn Fn(&[String]) + Send + Sync>;

pub struct LocalPurge {
    purge: Mutex<Option<Purge>>,
    log: Mutex<Vec<String>>,
}

impl LocalPurge {
    pub fn new() -> Self {
        Self {
            purge: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Connects the cache to purge (the cache is built after the origin).
    pub fn connect(&self, purge: impl Fn(&[String]) + Send + Sync + 'static) {
        if let Ok(mut slot) = self.purge.lock() {
            *slot = Some(Box::new(purge));
        }
    }

    /// Every path invalidated so far, in order.
    pub fn invalidated(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Default for LocalPurge {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Invalidator for LocalPurge {
    async fn invalidate(&self, paths: Vec<String>) {
        let paths = normalise(paths);
        tracing::info!(paths = ?paths, "invalidating cached paths");
        if let Ok(slot) = self.purge.lock()
            && let Some(purge) = slot.as_ref()
        {
            purge(&paths);
        }
        if let Ok(mut log) = self.log.lock() {
            log.extend(paths);
        }
    }
}
