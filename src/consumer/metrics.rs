//! Consumer statistics: the snapshot of
//! [`KafkaConsumer::statistics`](crate::KafkaConsumer::statistics), with per-partition
//! lag, fetch latency percentiles and per-broker counts.
//!
//! What it costs: nothing per record. The fetcher counts per fetch request and
//! response (one histogram bucket per response); lag is computed when the snapshot is
//! taken, from the positions and the high watermarks of the last fetch responses.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::client::TopicPartition;
use crate::net::BrokerStatistics;
use crate::stats::LatencySummary;

use super::ConsumerMetrics;

/// One assigned partition's position and lag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionStatistics {
    /// The offset of the next record `poll()` returns, once known.
    pub position: Option<i64>,
    /// The high watermark the last fetch response gave (the last stable offset under
    /// read_committed), if one came.
    pub high_watermark: Option<i64>,
    /// `high_watermark - position`: the records not consumed yet (Java's
    /// `records-lag`), when both are known.
    pub lag: Option<i64>,
}

/// A snapshot of what a consumer did since it started, from
/// [`KafkaConsumer::statistics`](crate::KafkaConsumer::statistics). Rates come from
/// two snapshots: [`rate_since`](Self::rate_since).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerStatistics {
    /// Time since the consumer was created.
    pub uptime: Duration,
    /// The totals of [`metrics`](crate::KafkaConsumer::metrics).
    pub totals: ConsumerMetrics,
    /// Fetch latency, from sending a fetch to its answer (including the time the
    /// broker waited for data, up to `fetch.max.wait.ms`, as in Java's
    /// `fetch-latency`).
    pub fetch_latency: LatencySummary,
    /// Per assigned partition.
    pub partitions: BTreeMap<TopicPartition, PartitionStatistics>,
    /// Per broker (node id).
    pub brokers: BTreeMap<i32, BrokerStatistics>,
}

/// Records, bytes and fetches per second between two snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ConsumerRates {
    /// Records returned by `poll()` per second.
    pub records_per_sec: f64,
    /// Bytes fetched per second.
    pub bytes_per_sec: f64,
    /// Fetch responses per second.
    pub fetches_per_sec: f64,
}

impl ConsumerStatistics {
    /// The rates between `earlier` (a snapshot of the same consumer) and this one.
    pub fn rate_since(&self, earlier: &ConsumerStatistics) -> ConsumerRates {
        let secs = self.uptime.saturating_sub(earlier.uptime).as_secs_f64();
        if secs <= 0.0 {
            return ConsumerRates::default();
        }
        let per = |now: u64, then: u64| now.saturating_sub(then) as f64 / secs;
        ConsumerRates {
            records_per_sec: per(
                self.totals.records_consumed,
                earlier.totals.records_consumed,
            ),
            bytes_per_sec: per(self.totals.bytes_fetched, earlier.totals.bytes_fetched),
            fetches_per_sec: per(self.totals.fetch_responses, earlier.totals.fetch_responses),
        }
    }

    /// The sum of the known lags of the assigned partitions.
    pub fn total_lag(&self) -> i64 {
        self.partitions.values().filter_map(|p| p.lag).sum()
    }
}
