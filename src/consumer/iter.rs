//! [`ConsumerIter`]: the consumer as an iterator of records, ending after a quiet
//! `timeout`, with positions that advance one handed-out record at a time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::record::ConsumerRecord;
use super::KafkaConsumer;
use crate::error::Result;

/// The iterator of [`KafkaConsumer::iter`]: yields records until `timeout` passes
/// without one.
///
/// Positions advance one record at a time, as in kafka-python: when the iterator is
/// dropped, every partition goes back to the first record it fetched but did not hand
/// out. So a commit after `consumer.iter(t).take(n)` (explicit, automatic, or on
/// close) covers exactly the `n` records handed out. Auto-commits only happen inside
/// the `poll()`s the iterator makes once it has handed out everything it holds.
pub struct ConsumerIter<'a> {
    consumer: &'a mut KafkaConsumer,
    timeout: Duration,
    buffer: VecDeque<ConsumerRecord>,
    last_record: Instant,
}

impl<'a> ConsumerIter<'a> {
    pub(super) fn new(consumer: &'a mut KafkaConsumer, timeout: Duration) -> Self {
        ConsumerIter {
            consumer,
            timeout,
            buffer: VecDeque::new(),
            last_record: Instant::now(),
        }
    }

    /// Hands `record` out again at the next `next()` (a typed iterator puts back a
    /// record that did not decode, so the consumer stays at it).
    pub(super) fn put_back(&mut self, record: ConsumerRecord) {
        self.buffer.push_front(record);
    }
}

impl Iterator for ConsumerIter<'_> {
    type Item = Result<ConsumerRecord>;

    fn next(&mut self) -> Option<Result<ConsumerRecord>> {
        loop {
            if let Some(record) = self.buffer.pop_front() {
                self.last_record = Instant::now();
                return Some(Ok(record));
            }
            let idle = self.last_record.elapsed();
            if idle >= self.timeout {
                return None;
            }
            match self.consumer.poll(self.timeout - idle) {
                Ok(records) => self.buffer = records.into_iter().collect(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Drop for ConsumerIter<'_> {
    fn drop(&mut self) {
        let undelivered = self.buffer.make_contiguous();
        if !undelivered.is_empty() {
            self.consumer.rewind_to(undelivered);
        }
    }
}
