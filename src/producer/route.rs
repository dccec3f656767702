//! A per-thread cache of where `send()` puts a topic's records: the topic's metadata
//! (partition count, available partitions) and the accumulator's partition queues.
//!
//! Without it every `send()` looks both up in maps shared with the sender thread:
//! a read lock on the metadata snapshot, one on the accumulator's topic map, and an
//! `Arc` clone (and drop) of each result, eight atomic read-modify-write operations
//! that each cost as much as copying the record. Profiles on one partition had them at
//! about a third of `send()`. A thread's cache is checked with plain loads: the
//! producer's id, the topic's name and the metadata version, which the sender bumps
//! whenever it publishes new metadata, so a cached route is never older than the
//! snapshot a locked lookup would have seen at that moment.
//!
//! Partition queues are never removed from the accumulator, so a cached queue stays
//! the one the sender drains; a partition whose queue did not exist yet when the route
//! was cached is not in its list, and `send()` then asks the accumulator and puts the
//! longer list into the route.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::accumulator::Queues;
use super::metadata::TopicInfo;
use crate::error::Result;

/// Routes kept per thread; the oldest goes when a new one would exceed it. A thread
/// rarely sends to more topics at a time.
const CAPACITY: usize = 16;

/// A topic's route for one producer.
#[derive(Debug)]
pub(crate) struct Route {
    pub info: Arc<TopicInfo>,
    /// The accumulator's queues of the topic, by partition (perhaps fewer than it has).
    pub queues: RefCell<Option<Queues>>,
}

struct Entry {
    producer: u64,
    topic: Box<str>,
    version: u64,
    route: Route,
}

thread_local! {
    static ROUTES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// A process-wide unique id for a producer, so that a route cached for a producer
/// that is gone is never taken for a new one's (addresses can be reused).
pub(crate) fn next_producer_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `f` with the route of `topic` for `producer` at metadata `version`: the cached
/// one if it is that version's, otherwise the one `lookup` builds (which may block,
/// waiting for metadata), cached for the next call. A `send()` made from inside `f`
/// on the same thread (a partitioner that sends) gets an uncached lookup.
pub(crate) fn with_route<R>(
    producer: u64,
    topic: &str,
    version: u64,
    lookup: impl FnOnce() -> Result<Route>,
    f: impl FnOnce(&Route) -> Result<R>,
) -> Result<R> {
    ROUTES.with(|cell| {
        let Ok(mut entries) = cell.try_borrow_mut() else {
            return f(&lookup()?);
        };
        let found = entries
            .iter()
            .position(|e| e.producer == producer && &*e.topic == topic);
        let index = match found {
            Some(i) if entries[i].version == version => i,
            Some(i) => {
                entries[i].route = lookup()?;
                entries[i].version = version;
                i
            }
            None => {
                let route = lookup()?;
                if entries.len() >= CAPACITY {
                    entries.remove(0);
                }
                entries.push(Entry {
                    producer,
                    topic: topic.into(),
                    version,
                    route,
                });
                entries.len() - 1
            }
        };
        f(&entries[index].route)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn route(partitions: i32) -> Route {
        Route {
            info: Arc::new(TopicInfo {
                partitions,
                available: (0..partitions).collect(),
            }),
            queues: RefCell::new(None),
        }
    }

    /// The partition count `with_route` hands to `f`, and whether it looked up.
    fn partitions(producer: u64, topic: &str, version: u64, fresh: i32) -> (i32, bool) {
        let looked = Cell::new(false);
        let n = with_route(
            producer,
            topic,
            version,
            || {
                looked.set(true);
                Ok(route(fresh))
            },
            |r| Ok(r.info.partitions),
        )
        .unwrap();
        (n, looked.get())
    }

    #[test]
    fn a_route_is_reused_until_the_metadata_version_changes() {
        let p = next_producer_id();
        assert_eq!(partitions(p, "t", 1, 3), (3, true));
        assert_eq!(partitions(p, "t", 1, 99), (3, false), "cached");
        assert_eq!(partitions(p, "t", 2, 5), (5, true), "new metadata");
        assert_eq!(partitions(p, "t", 2, 99), (5, false));
    }

    #[test]
    fn routes_are_per_producer_and_per_topic() {
        let (a, b) = (next_producer_id(), next_producer_id());
        assert_eq!(partitions(a, "t", 1, 3), (3, true));
        assert_eq!(partitions(b, "t", 1, 4), (4, true), "another producer");
        assert_eq!(partitions(a, "u", 1, 6), (6, true), "another topic");
        assert_eq!(partitions(a, "t", 1, 99), (3, false));
        assert_eq!(partitions(b, "t", 1, 99), (4, false));
    }

    #[test]
    fn the_oldest_route_goes_when_the_cache_is_full() {
        let p = next_producer_id();
        for i in 0..=CAPACITY {
            partitions(p, &format!("t{i}"), 1, 1);
        }
        assert!(partitions(p, "t0", 1, 2).1, "t0 was evicted");
        assert!(!partitions(p, &format!("t{CAPACITY}"), 1, 2).1);
    }

    #[test]
    fn a_nested_call_looks_up_without_the_cache_and_a_failed_lookup_caches_nothing() {
        let p = next_producer_id();
        let nested =
            with_route(p, "t", 1, || Ok(route(3)), |_| Ok(partitions(p, "t", 1, 7))).unwrap();
        assert_eq!(nested, (7, true));
        let failed: Result<i32> = with_route(
            p,
            "new",
            1,
            || Err(crate::error::KafkaError::timeout("no metadata")),
            |r| Ok(r.info.partitions),
        );
        assert!(failed.is_err());
        assert_eq!(partitions(p, "new", 1, 2), (2, true));
    }
}
