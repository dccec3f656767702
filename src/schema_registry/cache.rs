//! The client's bounded caches: a map that forgets its oldest entries once it holds
//! `capacity` of them.
//!
//! Schemas by id never change in a registry (an id names one schema text for good), and
//! a subject's id for a schema changes only when the subject is deleted, which the
//! client itself invalidates. So entries need no time to live: only a bound, so that a
//! long-lived producer that meets many schemas keeps its memory in check. The oldest
//! entry (first inserted) goes first, as in confluent-kafka-python's caches.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map of at most `capacity` entries; inserting into a full one evicts the entry
/// inserted longest ago. A capacity of 0 caches nothing.
#[derive(Debug)]
pub(crate) struct BoundedCache<K, V> {
    capacity: usize,
    entries: HashMap<K, V>,
    /// Keys in insertion order, oldest first: exactly the keys of `entries`.
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key).cloned()
    }

    /// Inserts or replaces; a replaced entry keeps its place in the eviction order.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        if let Some(slot) = self.entries.get_mut(&key) {
            *slot = value;
            return;
        }
        while self.entries.len() >= self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
        self.entries.insert(key, value);
    }

    /// Drops every entry whose key `doomed` accepts.
    pub(crate) fn remove_where(&mut self, mut doomed: impl FnMut(&K) -> bool) {
        let mut removed = Vec::new();
        self.order.retain(|key| {
            let remove = doomed(key);
            if remove {
                removed.push(key.clone());
            }
            !remove
        });
        for key in removed {
            self.entries.remove(&key);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_evicts_the_oldest_entry() {
        let mut cache = BoundedCache::new(3);
        for i in 1..=3 {
            cache.insert(i, i * 10);
        }
        assert_eq!(cache.len(), 3);
        cache.insert(4, 40);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&1), None, "the oldest entry goes first");
        assert_eq!(cache.get(&2), Some(20));
        assert_eq!(cache.get(&4), Some(40));
        cache.insert(5, 50);
        assert_eq!(cache.get(&2), None);
        assert_eq!(cache.get(&3), Some(30));
    }

    #[test]
    fn replacing_an_entry_keeps_its_age_and_evicts_nothing() {
        let mut cache = BoundedCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("a", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&"a"), Some(3));
        cache.insert("c", 4);
        assert_eq!(cache.get(&"a"), None, "`a` is still the oldest");
        assert_eq!(cache.get(&"b"), Some(2));
    }

    #[test]
    fn capacity_zero_caches_nothing() {
        let mut cache = BoundedCache::new(0);
        cache.insert(1, 1);
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn removed_entries_free_their_places() {
        let mut cache = BoundedCache::new(3);
        cache.insert(("s1", 1), 1);
        cache.insert(("s2", 1), 2);
        cache.insert(("s1", 2), 3);
        cache.remove_where(|(subject, _)| *subject == "s1");
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&("s2", 1)), Some(2));
        cache.insert(("s3", 1), 4);
        cache.insert(("s3", 2), 5);
        assert_eq!(cache.len(), 3, "nothing evicted: two places were free");
        assert_eq!(cache.get(&("s2", 1)), Some(2));
        cache.clear();
        assert_eq!(cache.len(), 0);
    }
}
