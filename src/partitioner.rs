//! Choosing a partition for a record.
//!
//! - A record with an explicit partition goes there.
//! - A keyed record goes to `murmur2(key) & 0x7fffffff % partitions`, exactly as the
//!   Java client's default partitioner does, so that producers in any language that
//!   follow Java put the same key in the same partition.
//! - A record without a key goes to the topic's current *sticky* partition (KIP-480):
//!   all keyless records fill one batch, and the sticky partition moves on (to a random
//!   other partition with a leader) when that batch is full and a new one starts. This
//!   gives fuller batches than round-robin per record, hence fewer, larger requests.
//!   It stays at least 10 ms on a partition, though, as librdkafka does
//!   (`sticky.partitioning.linger.ms`): when batches fill faster than that, the next
//!   batches go to the same partition. Kafka spends far more CPU on batches spread one
//!   each over many logs than on the same bytes in a few: over 1000 partitions with
//!   16 KB batches, moving on after every batch (as KIP-480 and the Java client do)
//!   measured 0.24-0.27M records/s with the broker at 3.6-5.4 CPU-s per million
//!   records, staying 10 ms 1.5-2.3M records/s at 0.3-0.6 CPU-s
//!   (`scripts/producer-perf.sh`). Below about one batch per 10 ms per producer,
//!   nothing changes.
//!
//! This sits at the bottom of the crate, below `config` (a `ProducerConfig` holds its
//! partitioner); users reach it as `producer::partitioner` and `producer`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::hash::FastMap;

/// Kafka's murmur2 hash (the Java client's `Utils.murmur2`), as a signed 32-bit value.
///
/// ```
/// assert_eq!(kafka_sync::producer::murmur2(b"21"), -973932308);
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        if tail.len() >= 3 {
            h ^= u32::from(tail[2]) << 16;
        }
        if tail.len() >= 2 {
            h ^= u32::from(tail[1]) << 8;
        }
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition the Java client's default partitioner picks for `key`.
///
/// ```
/// assert_eq!(kafka_sync::producer::partition_for_key(b"21", 4), (-973932308i32 & 0x7fffffff) as i32 % 4);
/// ```
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

/// Picks partitions for records that name none.
///
/// Implement this to route records yourself; the producer calls it from `send()`, so
/// it must be fast and thread-safe.
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// The partition for a record of `topic` with `key`, given the number of partitions
    /// and which of them have a leader now (`available`, possibly empty while leaders
    /// move).
    fn partition(&self, topic: &str, key: Option<&[u8]>, partitions: i32, available: &[i32])
        -> i32;

    /// Told when a new batch was started for `topic`-`partition` because the previous
    /// one was full: a sticky partitioner moves on here.
    fn on_new_batch(&self, _topic: &str, _partition: i32, _partitions: i32, _available: &[i32]) {}
}

/// The shortest time keyless records stay on one partition (librdkafka's default
/// `sticky.partitioning.linger.ms`).
const MIN_STICKY_TIME: Duration = Duration::from_millis(10);

/// The default partitioner: murmur2 for keys, sticky partitions (KIP-480) without.
///
/// A keyless record goes to its topic's sticky partition, which moves on to a random
/// other partition (with a leader) when its batch is full and at least 10 ms have
/// passed since it was chosen, as librdkafka's `sticky.partitioning.linger.ms`; when
/// batches fill faster, the next ones go to the same partition, which costs the broker
/// far less than small batches spread over many partitions.
#[derive(Debug)]
pub struct DefaultPartitioner {
    /// Tells this partitioner's entries in the threads' caches ([`RECENT`]) from those
    /// of other partitioners.
    id: u64,
    /// Each topic's sticky partition.
    topics: Mutex<FastMap<String, Arc<Sticky>>>,
    random: AtomicU64,
}

/// One topic's sticky partition.
#[derive(Debug)]
struct Sticky {
    /// The partition keyless records go to, -1 until the first is chosen. Only changed
    /// under `since`'s lock; read without it.
    partition: AtomicI32,
    /// Since when `partition` has been the sticky one.
    since: Mutex<Instant>,
}

/// An entry of [`RECENT`]: a partitioner's id, a topic, its sticky partition.
type RecentTopic = (u64, Box<str>, Arc<Sticky>);

/// How many topics each thread keeps in [`RECENT`].
const RECENT_TOPICS: usize = 8;

thread_local! {
    /// The sticky partitions of the topics this thread sent keyless records to last,
    /// by partitioner id and topic, oldest first. Each keyless `send()` asks for its
    /// topic's sticky partition: here that is a short scan and one atomic load, where
    /// the partitioner's lock and a hash of the topic cost 11% of the producer's CPU
    /// per record.
    static RECENT: RefCell<Vec<RecentTopic>> = const { RefCell::new(Vec::new()) };
}

impl Default for DefaultPartitioner {
    fn default() -> Self {
        Self::new()
    }
}

impl DefaultPartitioner {
    /// A new partitioner.
    pub fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        DefaultPartitioner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            topics: Mutex::new(FastMap::default()),
            random: AtomicU64::new(seed),
        }
    }

    fn next_random(&self) -> u64 {
        // splitmix64 over an atomic counter: cheap, thread-safe, well spread.
        let mut z = self
            .random
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A random partition, preferring ones with a leader, other than `not` if possible.
    fn pick(&self, partitions: i32, available: &[i32], not: Option<i32>) -> i32 {
        let r = self.next_random();
        let choices: Vec<i32> = if available.is_empty() {
            (0..partitions.max(1)).collect()
        } else {
            available.to_vec()
        };
        let others: Vec<i32> = choices
            .iter()
            .copied()
            .filter(|&p| Some(p) != not)
            .collect();
        let pool = if others.is_empty() { &choices } else { &others };
        pool[(r % pool.len() as u64) as usize]
    }

    /// Runs `f` on `topic`'s sticky state, found in this thread's [`RECENT`] or, the
    /// first time, in `topics` (then kept in `RECENT`, pushing out its oldest entry).
    fn with_sticky<R>(&self, topic: &str, f: impl Fn(&Sticky) -> R) -> R {
        let cached = RECENT.try_with(|recent| {
            let mut recent = recent.borrow_mut();
            let at = match recent
                .iter()
                .position(|(id, t, _)| *id == self.id && **t == *topic)
            {
                Some(at) => at,
                None => {
                    if recent.len() >= RECENT_TOPICS {
                        recent.remove(0);
                    }
                    recent.push((self.id, topic.into(), self.shared_sticky(topic)));
                    recent.len() - 1
                }
            };
            f(&recent[at].2)
        });
        // Without the thread's cache (a send from a thread-local's destructor), the map.
        cached.unwrap_or_else(|_| f(&self.shared_sticky(topic)))
    }

    /// `topic`'s sticky state, from the map all threads share.
    fn shared_sticky(&self, topic: &str) -> Arc<Sticky> {
        let mut topics = self.topics.lock();
        if let Some(sticky) = topics.get(topic) {
            return Arc::clone(sticky);
        }
        let sticky = Arc::new(Sticky {
            partition: AtomicI32::new(-1),
            since: Mutex::new(Instant::now()),
        });
        topics.insert(topic.to_owned(), Arc::clone(&sticky));
        sticky
    }
}

impl Partitioner for DefaultPartitioner {
    fn partition(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        partitions: i32,
        available: &[i32],
    ) -> i32 {
        if let Some(key) = key {
            return partition_for_key(key, partitions);
        }
        self.with_sticky(topic, |sticky| {
            let p = sticky.partition.load(Ordering::Relaxed);
            if (0..partitions).contains(&p) {
                return p;
            }
            // The first keyless record, or the topic has fewer partitions now.
            let mut since = sticky.since.lock();
            let p = sticky.partition.load(Ordering::Relaxed);
            if (0..partitions).contains(&p) {
                return p;
            }
            let p = self.pick(partitions, available, None);
            sticky.partition.store(p, Ordering::Relaxed);
            *since = Instant::now();
            p
        })
    }

    fn on_new_batch(&self, topic: &str, partition: i32, partitions: i32, available: &[i32]) {
        self.on_new_batch_at(topic, partition, partitions, available, Instant::now());
    }
}

impl DefaultPartitioner {
    /// [`Partitioner::on_new_batch`] at `now`: moves on from `partition` if it is the
    /// sticky one and has been for [`MIN_STICKY_TIME`].
    fn on_new_batch_at(
        &self,
        topic: &str,
        partition: i32,
        partitions: i32,
        available: &[i32],
        now: Instant,
    ) {
        self.with_sticky(topic, |sticky| {
            let mut since = sticky.since.lock();
            // Only move on if the batch that filled was the sticky one (another thread
            // may have moved it already), and it has had its time.
            let current = sticky.partition.load(Ordering::Relaxed);
            if current >= 0
                && current == partition
                && now.saturating_duration_since(*since) >= MIN_STICKY_TIME
            {
                let next = self.pick(partitions, available, Some(partition));
                sticky.partition.store(next, Ordering::Relaxed);
                *since = now;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_the_java_client() {
        // Vectors from Apache Kafka's UtilsTest.testMurmur2 and other Java-compatible
        // implementations.
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            (b"abc", 479470107),
            (b"", 275646681),
            (b"a", -1563381124),
            (b"ab", 316155434),
        ];
        for (input, expected) in cases {
            assert_eq!(
                murmur2(input),
                *expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn keyed_records_follow_murmur2() {
        let p = DefaultPartitioner::new();
        for key in [&b"21"[..], b"foobar", b"abc"] {
            let expected = (murmur2(key) & 0x7fff_ffff) % 7;
            assert_eq!(p.partition("t", Some(key), 7, &[]), expected);
        }
    }

    /// Long enough after any sticky partition was chosen for it to move on.
    fn later() -> Instant {
        Instant::now() + MIN_STICKY_TIME
    }

    #[test]
    fn keyless_records_stick_until_a_batch_fills() {
        let p = DefaultPartitioner::new();
        let available = [0, 1, 2, 3];
        let first = p.partition("t", None, 4, &available);
        for _ in 0..100 {
            assert_eq!(p.partition("t", None, 4, &available), first);
        }
        let now = later();
        p.on_new_batch_at("t", first, 4, &available, now);
        let second = p.partition("t", None, 4, &available);
        assert_ne!(first, second, "moves to another partition");
        // A stale notification for a partition that is no longer sticky changes nothing.
        p.on_new_batch_at("t", first, 4, &available, now + MIN_STICKY_TIME);
        assert_eq!(p.partition("t", None, 4, &available), second);
    }

    #[test]
    fn a_batch_that_fills_within_the_minimum_time_keeps_the_partition() {
        let p = DefaultPartitioner::new();
        let available = [0, 1, 2, 3];
        let before = Instant::now();
        let first = p.partition("t", None, 4, &available);
        // At most half the minimum after the partition was chosen.
        let early = before + MIN_STICKY_TIME / 2;
        p.on_new_batch_at("t", first, 4, &available, early);
        assert_eq!(
            p.partition("t", None, 4, &available),
            first,
            "too soon to move"
        );
        p.on_new_batch_at("t", first, 4, &available, later());
        assert_ne!(p.partition("t", None, 4, &available), first);
    }

    #[test]
    fn keyless_records_prefer_partitions_with_a_leader() {
        let p = DefaultPartitioner::new();
        let mut now = later();
        for _ in 0..50 {
            let chosen = p.partition("t", None, 8, &[5]);
            assert_eq!(chosen, 5);
            p.on_new_batch_at("t", chosen, 8, &[5], now);
            now += MIN_STICKY_TIME;
        }
    }

    #[test]
    fn threads_share_a_topics_sticky_partition_and_its_moves() {
        let p = std::sync::Arc::new(DefaultPartitioner::new());
        let available = [0, 1, 2, 3, 4, 5, 6, 7];
        let first = p.partition("t", None, 8, &available);
        let other = std::sync::Arc::clone(&p);
        let seen = std::thread::spawn(move || other.partition("t", None, 8, &available))
            .join()
            .expect("thread");
        assert_eq!(seen, first);
        // A move made on another thread is seen here, through this thread's cache.
        let other = std::sync::Arc::clone(&p);
        std::thread::spawn(move || other.on_new_batch_at("t", first, 8, &available, later()))
            .join()
            .expect("thread");
        assert_ne!(p.partition("t", None, 8, &available), first);
    }

    #[test]
    fn each_partitioner_and_topic_keeps_its_own_sticky_partition() {
        // More topics than a thread caches, and two partitioners for the same names:
        // every (partitioner, topic) keeps its partition through evictions.
        let (a, b) = (DefaultPartitioner::new(), DefaultPartitioner::new());
        let topics: Vec<String> = (0..RECENT_TOPICS * 2).map(|i| format!("t{i}")).collect();
        let chosen: Vec<(i32, i32)> = topics
            .iter()
            .map(|t| {
                (
                    a.partition(t, None, 1000, &[]),
                    b.partition(t, None, 1000, &[]),
                )
            })
            .collect();
        for _ in 0..3 {
            for (t, &(pa, pb)) in topics.iter().zip(&chosen) {
                assert_eq!(a.partition(t, None, 1000, &[]), pa, "{t} of the first");
                assert_eq!(b.partition(t, None, 1000, &[]), pb, "{t} of the second");
            }
        }
        // Moving one partitioner's partition leaves the other's alone.
        let (pa, pb) = chosen[0];
        a.on_new_batch_at(&topics[0], pa, 1000, &[], later());
        assert_ne!(a.partition(&topics[0], None, 1000, &[]), pa);
        assert_eq!(b.partition(&topics[0], None, 1000, &[]), pb);
    }
}
