//! Caches bounded by the bytes they hold.

use std::hash::Hash;

use moka::sync::{Cache, CacheBuilder};

/// A cache builder bounded at `max_bytes`, each entry weighing the bytes `bytes`
/// counts for it. moka weighs in `u32`: an entry past that weighs the most it can.
pub fn weighed_in_bytes<K, V>(
    max_bytes: u64,
    bytes: impl Fn(&K, &V) -> usize + Send + Sync + 'static,
) -> CacheBuilder<K, V, Cache<K, V>>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(max_bytes)
        .weigher(move |key: &K, value: &V| u32::try_from(bytes(key, value)).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_weighs_its_bytes_and_one_past_u32_is_too_heavy_to_keep() {
        let cache = weighed_in_bytes(1_000, |_: &u8, size: &usize| *size).build();
        cache.insert(1, 100);
        cache.run_pending_tasks();
        assert_eq!(cache.weighted_size(), 100);
        // Past `u32`, the weight is `u32::MAX`, not what a cast would wrap it to.
        cache.insert(2, (1 << 32) + 50);
        cache.run_pending_tasks();
        assert!(!cache.contains_key(&2));
        assert_eq!(cache.weighted_size(), 100);
    }
}
