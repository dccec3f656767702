//! Exactly-once processing: the consume-transform-produce loop of a consumer group
//! member and a transactional producer, done right once (KIP-98, KIP-447).
//!
//! Each [`ExactlyOnceProcessor::process`] call is one turn of the loop:
//! 1. poll the input (read_committed, no auto-commit);
//! 2. begin a transaction, hand the records to the user's function, which sends the
//!    outputs through [`Outputs`];
//! 3. add the consumed offsets, with the consumer's group metadata, to the
//!    transaction (`send_offsets_to_transaction`) and commit it.
//!
//! The outputs and the input offsets commit together or not at all, so each input
//! record's outputs appear exactly once to read_committed readers, whatever fails.
//! What it does when something fails, so that the caller need not:
//! - **an abortable error** (a record refused, the group rebalanced under the
//!   transaction, a coordinator refusing a step): it aborts the transaction and moves
//!   the consumer back to the first record of the batch, which the next call reads and
//!   processes again. The call returns [`Outcome::Aborted`].
//! - **a fatal error** (the producer fenced, for example after the broker aborted a
//!   transaction left open past `transaction.timeout.ms`): it closes the producer,
//!   makes a new one with the same config (whose `init_transactions` fences the old
//!   epoch), and moves the consumer back. The call returns [`Outcome::Aborted`] too,
//!   with `rebuilt` set.
//! - **a commit that timed out**: the call returns the timeout error, and the next call
//!   first finishes that commit (as the Java client resumes a timed-out commit), then
//!   goes on.
//! - **an error of the user's function**: the transaction is aborted and the consumer
//!   moved back, and the call returns the function's error; the caller decides whether
//!   to try again or skip the records (with [`consumer_mut`]'s `seek`).
//!
//! Rebalances happen only inside the consumer's poll, when no transaction is open: a
//! transaction is always committed or aborted before the next poll, so a revoked
//! partition's offsets are final when a new owner reads them, and the new owner's
//! read_committed fetch of committed offsets waits for any transaction still pending
//! (KIP-447). A zombie (a member that lost its partitions without knowing) is fenced
//! by the group generation in its offsets: its commit fails and is aborted.
//!
//! [`consumer_mut`]: ExactlyOnceProcessor::consumer_mut

use std::collections::BTreeMap;
use std::time::Duration;

use crate::client::TopicPartition;
use crate::config::{ConsumerConfig, IsolationLevel, ProducerConfig};
use crate::consumer::{ConsumerRecords, KafkaConsumer, OffsetAndMetadata};
use crate::error::{ErrorKind, KafkaError, Result};
use crate::producer::{KafkaProducer, ProducerRecord};

/// What one [`ExactlyOnceProcessor::process`] call did.
#[derive(Debug)]
pub enum Outcome {
    /// The poll returned no records; no transaction was begun.
    Idle,
    /// A transaction with the outputs of `records` input records and their offsets
    /// committed.
    Committed {
        /// Input records processed.
        records: usize,
    },
    /// The transaction was aborted because of `error`; the consumer was moved back to
    /// the first of the `records` input records, which the next call processes again.
    Aborted {
        /// Input records whose processing was undone.
        records: usize,
        /// Why.
        error: KafkaError,
        /// Whether the error was fatal to the producer, which was replaced by a new
        /// one with the same config.
        rebuilt: bool,
    },
}

/// Where the user's function sends the outputs of a batch: into the open transaction.
#[derive(Debug)]
pub struct Outputs<'a> {
    producer: &'a KafkaProducer,
    sent: usize,
}

impl Outputs<'_> {
    /// Sends `record` as part of the transaction. Its outcome is known at the commit:
    /// a record that fails aborts the whole transaction.
    pub fn send(&mut self, record: ProducerRecord<'_>) -> Result<()> {
        self.producer.send(record)?;
        self.sent += 1;
        Ok(())
    }

    /// Records sent so far in this transaction.
    pub fn sent(&self) -> usize {
        self.sent
    }
}

/// A consumer group member and a transactional producer that process an input
/// exactly once. See the [module documentation](self).
///
/// ```no_run
/// use std::time::Duration;
/// use kafka_sync::exactly_once::Outcome;
/// use kafka_sync::{ConsumerConfig, ExactlyOnceProcessor, ProducerConfig, ProducerRecord};
///
/// let mut processor = ExactlyOnceProcessor::new(
///     ConsumerConfig::new("localhost:9092").group_id("uppercaser"),
///     // One transactional id per process (a restarted process reuses its own).
///     ProducerConfig::new("localhost:9092").transactional_id("uppercaser-1"),
/// )?;
/// processor.subscribe(&["words"])?;
/// loop {
///     let outcome = processor.process(Duration::from_millis(500), |records, out| {
///         for record in records {
///             let upper = record.value.as_deref().unwrap_or_default().to_ascii_uppercase();
///             out.send(ProducerRecord::new("upper-words").value(&upper))?;
///         }
///         Ok(())
///     })?;
///     if let Outcome::Aborted { error, .. } = outcome {
///         eprintln!("a transaction was aborted and will be done again: {error}");
///     }
/// }
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
#[derive(Debug)]
pub struct ExactlyOnceProcessor {
    consumer: KafkaConsumer,
    /// `None` after a fatal error until a new producer is ready.
    producer: Option<KafkaProducer>,
    producer_config: ProducerConfig,
    timeout: Duration,
    /// A commit or an abort that timed out, which the next `process` finishes first.
    pending: Option<Pending>,
}

/// A step of the last transaction that timed out.
#[derive(Debug)]
enum Pending {
    Commit(Batch),
    /// The abort of `Batch` because of the error.
    Abort(Batch, KafkaError),
}

/// The input of one transaction.
#[derive(Debug)]
struct Batch {
    records: usize,
    /// Per partition, the first record's offset (and leader epoch): where to move the
    /// consumer back to if the transaction is aborted.
    rewind: BTreeMap<TopicPartition, OffsetAndMetadata>,
}

impl Batch {
    fn of(records: &ConsumerRecords) -> Self {
        let rewind = records
            .by_partition()
            .iter()
            .filter_map(|(tp, rs)| {
                rs.first().map(|first| {
                    let mut at = OffsetAndMetadata::new(first.offset);
                    at.leader_epoch = first.leader_epoch;
                    (tp.clone(), at)
                })
            })
            .collect();
        Batch {
            records: records.len(),
            rewind,
        }
    }
}

/// The offsets to commit after `records`: one past each partition's last record.
fn next_offsets(records: &ConsumerRecords) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
    records
        .by_partition()
        .iter()
        .filter_map(|(tp, rs)| {
            rs.last().map(|last| {
                let mut next = OffsetAndMetadata::new(last.offset.saturating_add(1));
                next.leader_epoch = last.leader_epoch;
                (tp.clone(), next)
            })
        })
        .collect()
}

impl ExactlyOnceProcessor {
    /// Makes the consumer and the producer and initializes the producer's
    /// transactions (which fences an older process with the same `transactional.id`
    /// and finishes its open transaction). The consumer config needs a `group.id`;
    /// its auto-commit is turned off and its isolation level set to read_committed.
    /// The producer config needs a `transactional.id`. Blocking calls of the
    /// transactions wait up to the consumer's `default.api.timeout.ms`.
    pub fn new(consumer: ConsumerConfig, producer: ProducerConfig) -> Result<Self> {
        if consumer.group_id.is_none() {
            return Err(KafkaError::invalid_argument(
                "exactly-once processing needs a group.id in the consumer config",
            ));
        }
        if producer.transactional_id.is_none() {
            return Err(KafkaError::invalid_argument(
                "exactly-once processing needs a transactional.id in the producer config",
            ));
        }
        let timeout = consumer.default_api_timeout;
        let consumer = KafkaConsumer::new(
            consumer
                .enable_auto_commit(false)
                .isolation_level(IsolationLevel::ReadCommitted),
        )?;
        let mut processor = ExactlyOnceProcessor {
            consumer,
            producer: None,
            producer_config: producer,
            timeout,
            pending: None,
        };
        processor.ready_producer()?;
        Ok(processor)
    }

    /// Subscribes the consumer to `topics` (see [`KafkaConsumer::subscribe`]).
    pub fn subscribe<S: AsRef<str>>(&mut self, topics: &[S]) -> Result<()> {
        self.consumer.subscribe(topics)
    }

    /// The consumer, for what the processor does not do itself (a rebalance listener,
    /// seeking past a record that cannot be processed, metrics). Do not poll or commit
    /// through it: the processor's transactions do that.
    pub fn consumer_mut(&mut self) -> &mut KafkaConsumer {
        &mut self.consumer
    }

    /// The producer, while one is ready (there is none between a fatal error and the
    /// making of its replacement).
    pub fn producer(&self) -> Option<&KafkaProducer> {
        self.producer.as_ref()
    }

    /// One turn of the loop: polls up to `poll_timeout`, and if records came, runs
    /// `transform` on them in a transaction that also commits their offsets. See the
    /// [module documentation](self) for what happens on errors.
    pub fn process<F>(&mut self, poll_timeout: Duration, mut transform: F) -> Result<Outcome>
    where
        F: FnMut(&ConsumerRecords, &mut Outputs<'_>) -> Result<()>,
    {
        self.ready_producer()?;
        match self.pending.take() {
            Some(Pending::Commit(batch)) => {
                if let Some(outcome) = self.commit(batch)? {
                    return Ok(outcome);
                }
            }
            Some(Pending::Abort(batch, error)) => return self.undo(batch, error),
            None => {}
        }
        let records = self.consumer.poll(poll_timeout)?;
        if records.is_empty() {
            return Ok(Outcome::Idle);
        }
        let batch = Batch::of(&records);
        let producer = self.ready()?;
        if let Err(e) = producer.begin_transaction() {
            return self.undo(batch, e);
        }
        let mut outputs = Outputs { producer, sent: 0 };
        if let Err(e) = transform(&records, &mut outputs) {
            // The user's error goes back to the user; a transactional one is handled.
            let user_error = !e.is_abortable() && !e.is_fatal();
            let outcome = self.undo(batch, e.clone())?;
            return if user_error { Err(e) } else { Ok(outcome) };
        }
        let group = match self.consumer.group_metadata() {
            Ok(group) => group,
            Err(e) => return self.undo(batch, e),
        };
        let producer = self.ready()?;
        if let Err(e) =
            producer.send_offsets_to_transaction(&next_offsets(&records), &group, self.timeout)
        {
            return self.undo(batch, e);
        }
        match self.commit(batch)? {
            Some(outcome) => Ok(outcome),
            None => Ok(Outcome::Committed {
                records: records.len(),
            }),
        }
    }

    /// Commits the open transaction of `batch`: `None` when it committed, an
    /// [`Outcome::Aborted`] when it was aborted instead, and a timeout error (the
    /// commit is then finished by the next `process`).
    fn commit(&mut self, batch: Batch) -> Result<Option<Outcome>> {
        match self.ready()?.commit_transaction(self.timeout) {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == ErrorKind::Timeout => {
                self.pending = Some(Pending::Commit(batch));
                Err(e.context("committing the transaction (the next process() call finishes it)"))
            }
            Err(e) => self.undo(batch, e).map(Some),
        }
    }

    /// Aborts the open transaction because of `error` (or, if it was fatal, replaces
    /// the producer) and moves the consumer back to the start of `batch`.
    fn undo(&mut self, batch: Batch, error: KafkaError) -> Result<Outcome> {
        let mut rebuilt = error.is_fatal();
        if !rebuilt {
            log::info!("exactly-once: aborting the transaction: {error}");
            match self.ready()?.abort_transaction(self.timeout) {
                Ok(()) => {}
                Err(e) if e.is_fatal() => rebuilt = true,
                Err(e) => {
                    self.pending = Some(Pending::Abort(batch, error));
                    return Err(e.context(
                        "aborting the transaction (the next process() call finishes it)",
                    ));
                }
            }
        }
        if rebuilt {
            log::warn!("exactly-once: the producer failed for good ({error}); replacing it");
            if let Some(producer) = self.producer.take() {
                if let Err(e) = producer.close(Some(self.timeout)) {
                    log::debug!("exactly-once: closing the failed producer: {e}");
                }
            }
        }
        let assigned = self.consumer.assignment();
        for (tp, at) in &batch.rewind {
            // A partition lost in a rebalance is read by its new owner from the
            // committed offsets.
            if assigned.contains(tp) {
                self.consumer.seek_to_committed(tp, at)?;
            }
        }
        if rebuilt {
            self.ready_producer()?;
        }
        Ok(Outcome::Aborted {
            records: batch.records,
            error,
            rebuilt,
        })
    }

    /// Makes and initializes a producer if there is none.
    fn ready_producer(&mut self) -> Result<()> {
        if self.producer.is_none() {
            let producer = KafkaProducer::new(self.producer_config.clone())?;
            if let Err(e) = producer.init_transactions(self.timeout) {
                let _ = producer.close(Some(Duration::ZERO));
                return Err(e);
            }
            self.producer = Some(producer);
        }
        Ok(())
    }

    fn ready(&self) -> Result<&KafkaProducer> {
        self.producer.as_ref().ok_or_else(|| {
            KafkaError::new(
                ErrorKind::InvalidArgument,
                "exactly-once: no producer is ready (its initialization failed; call process() again)",
            )
        })
    }

    /// Closes the consumer (leaving the group) and the producer (aborting an open
    /// transaction), each within `timeout`.
    pub fn close(mut self, timeout: Duration) -> Result<()> {
        let producer = self.producer.take().map(|p| p.close(Some(timeout)));
        let consumer = self.consumer.close();
        producer.unwrap_or(Ok(()))?;
        consumer
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::consumer::ConsumerRecord;
    use crate::record::TimestampType;

    fn record(partition: i32, offset: i64, leader_epoch: Option<i32>) -> ConsumerRecord {
        ConsumerRecord {
            topic: Arc::from("in"),
            partition,
            offset,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: None,
            headers: Vec::new(),
            leader_epoch,
        }
    }

    fn batch() -> ConsumerRecords {
        let mut records = ConsumerRecords::empty();
        let p0 = TopicPartition::new("in", 0);
        let p1 = TopicPartition::new("in", 1);
        records.push(&p0, vec![record(0, 10, Some(3)), record(0, 11, Some(3))]);
        records.push(&p1, vec![record(1, 7, None)]);
        records.push(&p0, vec![record(0, 14, Some(4))]);
        records
    }

    #[test]
    fn the_committed_offsets_are_one_past_each_partitions_last_record() {
        let offsets = next_offsets(&batch());
        let p0 = &offsets[&TopicPartition::new("in", 0)];
        assert_eq!((p0.offset, p0.leader_epoch), (15, Some(4)));
        let p1 = &offsets[&TopicPartition::new("in", 1)];
        assert_eq!((p1.offset, p1.leader_epoch), (8, None));
        assert_eq!(offsets.len(), 2);
    }

    #[test]
    fn an_aborted_batch_rewinds_to_each_partitions_first_record() {
        let batch = Batch::of(&batch());
        assert_eq!(batch.records, 4);
        let p0 = &batch.rewind[&TopicPartition::new("in", 0)];
        assert_eq!((p0.offset, p0.leader_epoch), (10, Some(3)));
        let p1 = &batch.rewind[&TopicPartition::new("in", 1)];
        assert_eq!((p1.offset, p1.leader_epoch), (7, None));
    }
}
