//! Producer metrics: counters updated by the sender thread and `send()`, read as a
//! snapshot by [`KafkaProducer::metrics`](crate::KafkaProducer::metrics).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Live counters (relaxed atomics: they are statistics, not synchronisation).
#[derive(Debug, Default)]
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
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn record_latency(&self, latency: Duration) {
        let us = latency.as_micros() as u64;
        self.latency_total_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_max_us.fetch_max(us, Ordering::Relaxed);
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
