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

use std::sync::atomic::{AtomicU64, Ordering};
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
#[derive(Debug, Default)]
pub struct DefaultPartitioner {
    /// Each topic's sticky partition and since when it has been.
    sticky: Mutex<FastMap<String, (i32, Instant)>>,
    random: AtomicU64,
}

impl DefaultPartitioner {
    /// A new partitioner.
    pub fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        DefaultPartitioner {
            sticky: Mutex::new(FastMap::default()),
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
        let mut sticky = self.sticky.lock();
        if let Some(&(p, _)) = sticky.get(topic) {
            if p < partitions {
                return p;
            }
        }
        let p = self.pick(partitions, available, None);
        sticky.insert(topic.to_owned(), (p, Instant::now()));
        p
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
        let mut sticky = self.sticky.lock();
        // Only move on if the batch that filled was the sticky one (another thread may
        // have moved it already), and it has had its time.
        let Some(&(current, since)) = sticky.get(topic) else {
            return;
        };
        if current == partition && now.saturating_duration_since(since) >= MIN_STICKY_TIME {
            let next = self.pick(partitions, available, Some(partition));
            sticky.insert(topic.to_owned(), (next, now));
        }
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
}
