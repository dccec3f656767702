//! [`FutureRecordMetadata`]: the result of `send()`, resolved when the record's batch
//! completes.
//!
//! The sender publishes each batch's outcome once, into a [`BatchCompletion`] shared by
//! all the batch's futures (one `Arc` clone per record, no other allocation). Waiting
//! blocks on the completion's condition variable with a deadline.
//!
//! The topic and partition live in the completion, not in each record's slot: one
//! atomic increment per record (the completion's count) instead of two, and a future
//! of 32 bytes instead of 48.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::record::RecordMetadata;
use crate::error::{KafkaError, Result};

/// What the broker said about a whole batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchOutcome {
    /// The offset of the batch's first record, or -1 if unknown.
    pub base_offset: i64,
    /// The log append time if the topic uses it, else -1.
    pub log_append_time: i64,
}

/// The once-set outcome of one batch, shared by the futures of its records, with the
/// batch's topic and partition.
#[derive(Debug)]
pub(crate) struct BatchCompletion {
    topic: Arc<str>,
    partition: i32,
    outcome: Mutex<Option<Result<BatchOutcome>>>,
    done: Condvar,
}

impl BatchCompletion {
    /// A pending completion for a batch of `topic`-`partition`.
    pub fn new(topic: Arc<str>, partition: i32) -> Self {
        BatchCompletion {
            topic,
            partition,
            outcome: Mutex::new(None),
            done: Condvar::new(),
        }
    }

    /// Publishes the outcome (the first call wins) and wakes every waiter.
    pub fn complete(&self, outcome: Result<BatchOutcome>) {
        let mut slot = self.outcome.lock();
        if slot.is_none() {
            *slot = Some(outcome);
            self.done.notify_all();
        }
    }

    /// Whether the outcome is known.
    pub fn is_done(&self) -> bool {
        self.outcome.lock().is_some()
    }

    /// Waits until the outcome is known or `deadline` passes.
    pub fn wait_until(&self, deadline: Instant) -> Option<Result<BatchOutcome>> {
        let mut slot = self.outcome.lock();
        while slot.is_none() {
            if self.done.wait_until(&mut slot, deadline).timed_out() {
                break;
            }
        }
        slot.clone()
    }
}

/// One record's place in its batch: with the batch's topic and partition, enough to
/// build its [`RecordMetadata`].
#[derive(Debug, Clone)]
pub(crate) struct RecordSlot {
    pub offset_delta: i32,
    pub timestamp: i64,
    pub key_size: i32,
    pub value_size: i32,
}

impl RecordSlot {
    /// The record's metadata given its batch's topic, partition and outcome.
    pub fn metadata(
        &self,
        topic: &Arc<str>,
        partition: i32,
        outcome: &BatchOutcome,
    ) -> RecordMetadata {
        RecordMetadata {
            topic: Arc::clone(topic),
            partition,
            // A base offset from the broker so large that the record's would overflow
            // is no offset at all.
            offset: if outcome.base_offset < 0 {
                -1
            } else {
                outcome
                    .base_offset
                    .checked_add(i64::from(self.offset_delta))
                    .unwrap_or(-1)
            },
            timestamp: if outcome.log_append_time >= 0 {
                outcome.log_append_time
            } else {
                self.timestamp
            },
            serialized_key_size: self.key_size,
            serialized_value_size: self.value_size,
        }
    }
}

/// The pending result of one `send()`.
///
/// ```no_run
/// # use std::time::Duration;
/// # use kafka_sync::{KafkaProducer, ProducerConfig, ProducerRecord};
/// # let producer = KafkaProducer::new(ProducerConfig::new("127.0.0.1:9092"))?;
/// let future = producer.send(ProducerRecord::new("events").value("hello"))?;
/// let metadata = future.get(Duration::from_secs(10))?;
/// println!("written at {}-{}@{}", metadata.topic, metadata.partition, metadata.offset);
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FutureRecordMetadata {
    completion: Arc<BatchCompletion>,
    slot: RecordSlot,
}

impl FutureRecordMetadata {
    pub(crate) fn new(completion: Arc<BatchCompletion>, slot: RecordSlot) -> Self {
        FutureRecordMetadata { completion, slot }
    }

    /// Waits up to `timeout` for the record to be written (or to fail). A
    /// [`Timeout`](crate::ErrorKind::Timeout) error means the wait ran out, not that
    /// the record failed: it may still be delivered.
    pub fn get(&self, timeout: Duration) -> Result<RecordMetadata> {
        let deadline = crate::time::deadline_in(timeout);
        match self.completion.wait_until(deadline) {
            Some(Ok(outcome)) => {
                Ok(self
                    .slot
                    .metadata(&self.completion.topic, self.completion.partition, &outcome))
            }
            Some(Err(e)) => Err(e),
            None => Err(KafkaError::timeout(format!(
                "record for {}-{} not acknowledged within {timeout:?} (it may still be delivered)",
                self.completion.topic, self.completion.partition
            ))),
        }
    }

    /// Whether the record was written or failed (`get` would not block).
    pub fn is_done(&self) -> bool {
        self.completion.is_done()
    }

    /// The partition the record was appended to.
    pub fn partition(&self) -> i32 {
        self.completion.partition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> RecordSlot {
        RecordSlot {
            offset_delta: 3,
            timestamp: 7,
            key_size: 2,
            value_size: -1,
        }
    }

    #[test]
    fn resolves_once_for_all_records_of_a_batch() {
        let completion = Arc::new(BatchCompletion::new(Arc::from("t"), 1));
        let a = FutureRecordMetadata::new(Arc::clone(&completion), slot());
        assert!(!a.is_done());
        let waiter = {
            let a = a.clone();
            std::thread::spawn(move || a.get(Duration::from_secs(10)))
        };
        completion.complete(Ok(BatchOutcome {
            base_offset: 100,
            log_append_time: -1,
        }));
        completion.complete(Err(KafkaError::closed("ignored: the first outcome wins")));
        let meta = waiter.join().unwrap().unwrap();
        assert_eq!(meta.offset, 103);
        assert_eq!(meta.timestamp, 7);
        assert_eq!(meta.serialized_value_size, -1);
        assert!(a.is_done());
    }

    #[test]
    fn a_future_holds_one_pointer_and_its_record_slot() {
        // The completion carries the topic and partition for all of its batch's futures.
        assert_eq!(std::mem::size_of::<FutureRecordMetadata>(), 32);
    }

    #[test]
    fn get_times_out_while_pending() {
        let completion = Arc::new(BatchCompletion::new(Arc::from("t"), 1));
        let a = FutureRecordMetadata::new(completion, slot());
        let err = a.get(Duration::from_millis(10)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Timeout);
    }

    #[test]
    fn unknown_offsets_stay_unknown_and_log_append_time_wins() {
        let meta = slot().metadata(
            &Arc::from("t"),
            1,
            &BatchOutcome {
                base_offset: -1,
                log_append_time: 99,
            },
        );
        assert_eq!(meta.offset, -1);
        assert_eq!(meta.timestamp, 99);
    }
}
