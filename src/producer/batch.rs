//! [`ProducerBatch`]: the records of one partition that travel together, from the first
//! `send()` that opens the batch to the broker's answer.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::future::{BatchCompletion, BatchOutcome, FutureRecordMetadata, RecordSlot};
use super::record::RecordMetadata;
use crate::error::{KafkaError, Result};
use crate::record::batch::{
    with_producer_state, RecordBatchBuilder, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};
use crate::record::{Compression, Header};

/// A user callback, run on the sender thread when the record completes.
pub type Callback = Box<dyn FnOnce(std::result::Result<&RecordMetadata, &KafkaError>) + Send>;

/// The producer identity and first sequence number a batch was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sequence {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

/// One partition's batch.
pub(crate) struct ProducerBatch {
    pub id: u64,
    pub topic: Arc<str>,
    pub partition: i32,
    builder: Option<RecordBatchBuilder>,
    built: Option<Bytes>,
    pub completion: Arc<BatchCompletion>,
    callbacks: Vec<(RecordSlot, Callback)>,
    pub created: Instant,
    pub attempts: u32,
    pub retry_after: Option<Instant>,
    /// Bytes reserved from the buffer pool for this batch.
    pub memory: usize,
    record_count: i32,
    size_limit: usize,
    pub sequence: Option<Sequence>,
}

impl std::fmt::Debug for ProducerBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerBatch")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .field("records", &self.record_count)
            .field("attempts", &self.attempts)
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl ProducerBatch {
    /// An empty, open batch.
    pub fn new(
        id: u64,
        topic: Arc<str>,
        partition: i32,
        compression: Compression,
        base_timestamp: i64,
        memory: usize,
        size_limit: usize,
    ) -> Self {
        let mut builder = RecordBatchBuilder::new(
            compression,
            base_timestamp,
            NO_PRODUCER_ID,
            NO_PRODUCER_EPOCH,
            NO_SEQUENCE,
            false,
        );
        builder.reserve_total(size_limit);
        let completion = Arc::new(BatchCompletion::new(Arc::clone(&topic), partition));
        ProducerBatch {
            id,
            topic,
            partition,
            builder: Some(builder),
            built: None,
            completion,
            callbacks: Vec::new(),
            created: Instant::now(),
            attempts: 0,
            retry_after: None,
            memory,
            record_count: 0,
            size_limit,
            sequence: None,
        }
    }

    /// Appends a record if it fits (the first record always fits). `None` means the
    /// batch is full for this record.
    #[allow(clippy::too_many_arguments)]
    pub fn try_append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
    ) -> std::result::Result<Result<FutureRecordMetadata>, Option<Callback>> {
        let Some(builder) = self.builder.as_mut() else {
            return Err(callback);
        };
        if !builder.is_empty()
            && builder.estimated_size_after(key.map(<[u8]>::len), value.map(<[u8]>::len), headers)
                > self.size_limit
        {
            return Err(callback);
        }
        let offset_delta = match builder.append(timestamp, key, value, headers) {
            Ok(delta) => delta,
            Err(e) => return Ok(Err(e)),
        };
        self.record_count += 1;
        let slot = RecordSlot {
            offset_delta,
            timestamp,
            key_size: key.map_or(-1, |k| k.len() as i32),
            value_size: value.map_or(-1, |v| v.len() as i32),
        };
        if let Some(callback) = callback {
            self.callbacks.push((slot.clone(), callback));
        }
        Ok(Ok(FutureRecordMetadata::new(
            Arc::clone(&self.completion),
            slot,
        )))
    }

    /// Whether the batch has reached its size limit.
    pub fn is_full(&self) -> bool {
        self.builder
            .as_ref()
            .is_none_or(|b| b.size_in_bytes() >= self.size_limit)
    }

    /// Marks the batch as part of a transaction (attribute bit 4), before records go
    /// in.
    pub fn set_transactional(&mut self) {
        if let Some(builder) = &mut self.builder {
            builder.set_transactional(true);
        }
    }

    /// Whether records can still be appended.
    pub fn is_open(&self) -> bool {
        self.builder.is_some()
    }

    /// How many records the batch holds.
    pub fn record_count(&self) -> i32 {
        self.record_count
    }

    /// Closes the batch for appends and encodes it (compressing if configured). Idempotent.
    pub fn close(&mut self) -> Result<()> {
        if let Some(mut builder) = self.builder.take() {
            if let Some(seq) = self.sequence {
                builder.set_producer(seq.producer_id, seq.producer_epoch);
                builder.set_base_sequence(seq.base_sequence);
            }
            self.built = Some(builder.build()?);
        }
        Ok(())
    }

    /// The encoded batch, once closed.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.built.as_ref()
    }

    /// Sets the producer id, epoch and base sequence, rewriting the encoded batch if it
    /// is already closed.
    pub fn set_sequence(&mut self, sequence: Sequence) -> Result<()> {
        self.sequence = Some(sequence);
        if let Some(built) = self.built.take() {
            self.built = Some(with_producer_state(
                built,
                sequence.producer_id,
                sequence.producer_epoch,
                sequence.base_sequence,
            )?);
        }
        Ok(())
    }

    /// Publishes the outcome to every future of the batch and runs the callbacks.
    pub fn complete(mut self, outcome: Result<BatchOutcome>) {
        self.completion.complete(outcome.clone());
        run_callbacks(
            &self.topic,
            self.partition,
            self.callbacks.drain(..),
            &outcome,
        );
    }
}

/// Runs user callbacks. A callback that panics is logged and skipped: the panic must
/// not end the sender thread, or every later future would never resolve.
fn run_callbacks(
    topic: &Arc<str>,
    partition: i32,
    callbacks: impl Iterator<Item = (RecordSlot, Callback)>,
    outcome: &Result<BatchOutcome>,
) {
    for (slot, callback) in callbacks {
        let call = std::panic::AssertUnwindSafe(|| match outcome {
            Ok(o) => callback(Ok(&slot.metadata(topic, partition, o))),
            Err(e) => callback(Err(e)),
        });
        if std::panic::catch_unwind(call).is_err() {
            log::error!(
                "a delivery callback for {topic}-{partition} panicked; the producer goes on"
            );
        }
    }
}

/// A batch that is dropped without being completed (its owner failed: a panic in the
/// sender, a bug) still resolves its futures, with an error, so that nobody waits for
/// it forever; its callbacks run too, unless the thread is already unwinding.
impl Drop for ProducerBatch {
    fn drop(&mut self) {
        if self.completion.is_done() && self.callbacks.is_empty() {
            return;
        }
        let error: Result<BatchOutcome> = Err(KafkaError::closed(format!(
            "the producer lost the batch of {} records for {}-{} before it completed",
            self.record_count, self.topic, self.partition
        )));
        self.completion.complete(error.clone());
        if !std::thread::panicking() {
            run_callbacks(
                &self.topic,
                self.partition,
                self.callbacks.drain(..),
                &error,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn batch() -> ProducerBatch {
        ProducerBatch::new(1, Arc::from("t"), 0, Compression::None, 0, 1024, 1024)
    }

    #[test]
    fn a_panicking_callback_does_not_stop_the_others() {
        let ran = Arc::new(AtomicUsize::new(0));
        let mut b = batch();
        let mut futures = Vec::new();
        for i in 0..3 {
            let ran = Arc::clone(&ran);
            let callback: Callback = Box::new(move |result| {
                assert!(result.is_ok());
                if i == 1 {
                    panic!("a user bug");
                }
                ran.fetch_add(1, Ordering::SeqCst);
            });
            futures.push(
                b.try_append(0, None, Some(b"v"), &[], Some(callback))
                    .ok()
                    .expect("room")
                    .expect("append"),
            );
        }
        b.complete(Ok(BatchOutcome {
            base_offset: 10,
            log_append_time: -1,
        }));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            2,
            "the callbacks around the panic ran"
        );
        for (i, f) in futures.iter().enumerate() {
            assert_eq!(f.get(Duration::ZERO).expect("done").offset, 10 + i as i64);
        }
    }

    #[test]
    fn a_batch_dropped_without_completion_fails_its_records() {
        let called = Arc::new(AtomicUsize::new(0));
        let mut b = batch();
        let seen = Arc::clone(&called);
        let callback: Callback = Box::new(move |result| {
            assert!(result.is_err());
            seen.fetch_add(1, Ordering::SeqCst);
        });
        let future = b
            .try_append(0, None, Some(b"v"), &[], Some(callback))
            .ok()
            .expect("room")
            .expect("append");
        drop(b);
        let err = future.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Closed, "{err}");
        assert_eq!(called.load(Ordering::SeqCst), 1);
    }
}
