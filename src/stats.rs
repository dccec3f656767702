//! Statistics building blocks: a lock-free latency histogram that any thread records
//! into with one relaxed atomic add, and the percentile summary read from it.
//!
//! The histogram is log-linear: each power of two of microseconds is split into four
//! buckets, so a percentile read from it is within 19% of the true value (the bucket's
//! width), from 1 µs to about 13 days, in 176 buckets (1.4 KiB).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Buckets per power of two.
const SUB_BUCKETS: usize = 4;
/// Powers of two covered (microseconds up to 2^44 = 203 days; the top bucket takes
/// anything larger).
const POWERS: usize = 44;
const BUCKETS: usize = POWERS * SUB_BUCKETS;

/// The bucket of a value in microseconds.
fn bucket_of(us: u64) -> usize {
    if us < SUB_BUCKETS as u64 {
        return us as usize;
    }
    let power = 63 - us.leading_zeros() as usize; // floor(log2(us)), at least 2
                                                  // The two bits after the leading one pick the sub-bucket.
    let sub = ((us >> (power - 2)) & 0b11) as usize;
    (power * SUB_BUCKETS + sub - 4).min(BUCKETS - 1)
}

/// The largest value (in microseconds) bucket `b` holds.
fn upper_bound(b: usize) -> u64 {
    if b < SUB_BUCKETS {
        return b as u64;
    }
    let power = (b + 4) / SUB_BUCKETS;
    let sub = (b + 4) % SUB_BUCKETS;
    let base = 1u64 << power;
    let step = base >> 2;
    base + step * (sub as u64 + 1) - 1
}

/// A histogram of latencies. `record` is wait-free.
#[derive(Debug)]
pub(crate) struct LatencyHistogram {
    buckets: Box<[AtomicU64; BUCKETS]>,
    max_us: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            max_us: AtomicU64::new(0),
        }
    }
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// The percentiles of what was recorded so far.
    pub fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let count: u64 = counts.iter().sum();
        let max = self.max_us.load(Ordering::Relaxed);
        let at = |q: f64| -> Duration {
            if count == 0 {
                return Duration::ZERO;
            }
            // The smallest bucket at which at least q of the values lie.
            let rank = ((count as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (b, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Duration::from_micros(upper_bound(b).min(max));
                }
            }
            Duration::from_micros(max)
        };
        LatencySummary {
            count,
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: Duration::from_micros(max),
        }
    }
}

/// Latency percentiles, each the upper bound of the histogram bucket it falls in
/// (within 19% above the true value), never above the largest latency seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// How many latencies were recorded.
    pub count: u64,
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The 99.9th percentile.
    pub p999: Duration,
    /// The largest.
    pub max: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_a_bucket_whose_bound_is_within_a_quarter_above_it() {
        let mut last = 0;
        for us in (0..100_000u64).chain([1 << 30, u64::MAX / 2, u64::MAX]) {
            let b = bucket_of(us);
            assert!(b >= last || us > 100_000, "buckets grow with the value");
            last = b;
            if b < BUCKETS - 1 {
                let bound = upper_bound(b);
                assert!(bound >= us, "{us} in bucket {b} up to {bound}");
                assert!(bound as f64 <= us as f64 * 1.25 + 1.0, "{us}: {bound}");
                assert!(b == 0 || upper_bound(b - 1) < us, "{us} belongs lower");
            }
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let h = LatencyHistogram::default();
        assert_eq!(h.summary(), LatencySummary::default());
        for ms in 1..=1000u64 {
            h.record(Duration::from_millis(ms));
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max, Duration::from_millis(1000));
        let near = |got: Duration, want_ms: f64| {
            let got = got.as_secs_f64() * 1000.0;
            assert!(
                got >= want_ms && got <= want_ms * 1.25,
                "{got} ms for {want_ms} ms"
            );
        };
        near(s.p50, 500.0);
        near(s.p99, 990.0);
        assert!(s.p999 <= s.max && s.p999 >= Duration::from_millis(999));
    }
}
