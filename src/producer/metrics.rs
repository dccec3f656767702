//! Producer metrics: counters updated by the sender thread, read as a snapshot by
//! [`KafkaProducer::metrics`](crate::KafkaProducer::metrics) and, with per-topic and
//! per-broker detail and latency percentiles, by
//! [`KafkaProducer::statistics`](crate::KafkaProducer::statistics).
//!
//! What it costs: nothing per record. The sender counts per batch and per request
//! (one relaxed atomic add each, one short lock per acknowledged batch for its
//! topic's totals, one histogram bucket per response), and copies its connections'
//! counts for the snapshot once a second.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::net::BrokerStatistics;
use crate::stats::{LatencyHistogram, LatencySummary};

/// Records and bytes of one topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicStatistics {
    /// Records the brokers acknowledged.
    pub records_sent: u64,
    /// Bytes of record batches acknowledged (after compression).
    pub bytes_sent: u64,
    /// Records that failed for good.
    pub record_errors: u64,
}

/// A snapshot of what a producer did since it started, from
/// [`KafkaProducer::statistics`](crate::KafkaProducer::statistics): totals, averages,
/// produce latency percentiles, per topic and per broker. Rates come from two
/// snapshots: [`rate_since`](Self::rate_since).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerStatistics {
    /// Time since the producer started.
    pub uptime: Duration,
    /// The totals of [`metrics`](crate::KafkaProducer::metrics).
    pub totals: ProducerMetrics,
    /// Average bytes per acknowledged batch.
    pub batch_size_avg: f64,
    /// Average records per produce request.
    pub records_per_request_avg: f64,
    /// Produce request latency (send to answer).
    pub request_latency: LatencySummary,
    /// Bytes of `buffer.memory` free.
    pub buffer_available: usize,
    /// Per topic.
    pub topics: BTreeMap<String, TopicStatistics>,
    /// Per broker (node id), as of the sender's last copy (at most a second old).
    pub brokers: BTreeMap<i32, BrokerStatistics>,
}

/// Records and bytes per second between two snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProducerRates {
    /// Acknowledged records per second.
    pub records_per_sec: f64,
    /// Acknowledged bytes per second.
    pub bytes_per_sec: f64,
    /// Produce requests per second.
    pub requests_per_sec: f64,
    /// Failed records per second.
    pub errors_per_sec: f64,
}

impl ProducerStatistics {
    /// The rates between `earlier` (a snapshot of the same producer) and this one.
    pub fn rate_since(&self, earlier: &ProducerStatistics) -> ProducerRates {
        let secs = self.uptime.saturating_sub(earlier.uptime).as_secs_f64();
        if secs <= 0.0 {
            return ProducerRates::default();
        }
        let per = |now: u64, then: u64| now.saturating_sub(then) as f64 / secs;
        ProducerRates {
            records_per_sec: per(self.totals.records_sent, earlier.totals.records_sent),
            bytes_per_sec: per(self.totals.bytes_sent, earlier.totals.bytes_sent),
            requests_per_sec: per(self.totals.requests, earlier.totals.requests),
            errors_per_sec: per(self.totals.record_errors, earlier.totals.record_errors),
        }
    }
}

/// Live counters (relaxed atomics: they are statistics, not synchronisation).
#[derive(Debug)]
pub(crate) struct Counters {
    pub records_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub batches_sent: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub record_errors: AtomicU64,
    pub latency_total_us: AtomicU64,
    pub latency_count: AtomicU64,
    pub latency_max_us: AtomicU64,
    latency: LatencyHistogram,
    topics: Mutex<HashMap<Arc<str>, TopicStatistics>>,
    /// The sender's last copy of its connections' counts.
    pub brokers: Mutex<BTreeMap<i32, BrokerStatistics>>,
    started: Instant,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            records_sent: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            batches_sent: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            record_errors: AtomicU64::new(0),
            latency_total_us: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
            latency_max_us: AtomicU64::new(0),
            latency: LatencyHistogram::default(),
            topics: Mutex::new(HashMap::new()),
            brokers: Mutex::new(BTreeMap::new()),
            started: Instant::now(),
        }
    }
}

impl Counters {
    /// A batch of `topic` with `records` records and `bytes` bytes was acknowledged.
    pub fn topic_acknowledged(&self, topic: &Arc<str>, records: u64, bytes: u64) {
        let mut topics = self.topics.lock();
        let t = topics.entry(Arc::clone(topic)).or_default();
        t.records_sent += records;
        t.bytes_sent += bytes;
    }

    /// `records` records of `topic` failed for good.
    pub fn topic_failed(&self, topic: &Arc<str>, records: u64) {
        self.topics
            .lock()
            .entry(Arc::clone(topic))
            .or_default()
            .record_errors += records;
    }

    /// The snapshot behind `statistics()`.
    pub fn statistics(&self, buffer_used: usize, buffer_total: usize) -> ProducerStatistics {
        let totals = self.snapshot(buffer_used, buffer_total);
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        ProducerStatistics {
            uptime: self.started.elapsed(),
            batch_size_avg: ratio(totals.bytes_sent, totals.batches_sent),
            records_per_request_avg: ratio(totals.records_sent, totals.requests),
            request_latency: self.latency.summary(),
            buffer_available: buffer_total.saturating_sub(buffer_used),
            topics: self
                .topics
                .lock()
                .iter()
                .map(|(t, s)| (t.to_string(), *s))
                .collect(),
            brokers: self.brokers.lock().clone(),
            totals,
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn record_latency(&self, latency: Duration) {
        let us = latency.as_micros() as u64;
        self.latency_total_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_max_us.fetch_max(us, Ordering::Relaxed);
        self.latency.record(latency);
    }

    pub fn snapshot(&self, buffer_used: usize, buffer_total: usize) -> ProducerMetrics {
        let count = self.latency_count.load(Ordering::Relaxed);
        let total = self.latency_total_us.load(Ordering::Relaxed);
        ProducerMetrics {
            records_sent: self.records_sent.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            batches_sent: self.batches_sent.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            record_errors: self.record_errors.load(Ordering::Relaxed),
            request_latency_avg: Duration::from_micros(total.checked_div(count).unwrap_or(0)),
            request_latency_max: Duration::from_micros(self.latency_max_us.load(Ordering::Relaxed)),
            buffer_used,
            buffer_total,
        }
    }
}

/// A snapshot of a producer's metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerMetrics {
    /// Records acknowledged by the brokers (or written, with acks=0).
    pub records_sent: u64,
    /// Bytes of record batches acknowledged (after compression).
    pub bytes_sent: u64,
    /// Batches acknowledged.
    pub batches_sent: u64,
    /// Produce requests sent.
    pub requests: u64,
    /// Batches retried.
    pub retries: u64,
    /// Records that failed for good.
    pub record_errors: u64,
    /// Average produce request latency.
    pub request_latency_avg: Duration,
    /// Highest produce request latency.
    pub request_latency_max: Duration,
    /// Bytes of `buffer.memory` in use.
    pub buffer_used: usize,
    /// `buffer.memory`.
    pub buffer_total: usize,
}
