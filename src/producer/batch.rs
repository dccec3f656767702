//! [`ProducerBatch`]: the records of one partition that travel together, from the first
//! `send()` that opens the batch to the broker's answer.

use std::sync::atomic::{AtomicU32, Ordering};
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

/// A topic's running estimate of how much its batches shrink when compressed
/// (compressed size / uncompressed size), which sizes its new batches so that
/// `batch.size` bounds the bytes a batch takes on the wire, as in the Java client,
/// rather than the bytes before compression.
///
/// It starts at 1 (no gain assumed) and follows what the sender sees when it compresses
/// a batch: down by at most 0.005 per batch, so one very compressible batch does not
/// make the next ones huge, and up by at least 0.05 at once when a batch compresses
/// worse than estimated (the Java client's steps).
#[derive(Debug)]
pub(crate) struct CompressionRatio(AtomicU32);

/// The lowest estimate: it bounds how many times `batch.size` a batch may hold before
/// compression (see [`batch_limit`], which bounds it further).
const MIN_COMPRESSION_RATIO: f32 = 0.01;

impl CompressionRatio {
    /// The estimate before any batch was compressed: 1.
    pub fn new() -> Self {
        CompressionRatio(AtomicU32::new(1.0f32.to_bits()))
    }

    /// The current estimate.
    pub fn estimate(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Takes in a batch of `uncompressed` bytes that compressed to `compressed`. Only
    /// the sender thread calls this, so a load and a store suffice (were two threads to
    /// race, one observation would be lost, which only delays the estimate).
    pub fn observe(&self, uncompressed: usize, compressed: usize) {
        if uncompressed == 0 {
            return;
        }
        let observed = compressed as f32 / uncompressed as f32;
        let current = self.estimate();
        let next = if observed > current {
            observed.max(current + 0.05)
        } else {
            observed.max(current - 0.005)
        };
        let next = next.clamp(MIN_COMPRESSION_RATIO, 1.0);
        self.0.store(next.to_bits(), Ordering::Relaxed);
    }
}

/// How many times `batch.size` a batch may hold before compression, at most.
const MAX_BATCH_GROWTH: usize = 8;

/// The bytes before compression that a new batch may grow to: `batch.size` divided by
/// the expected compression `ratio` (with 5% to spare, as the Java client), never less
/// than `batch.size`, and at most [`MAX_BATCH_GROWTH`] times `batch.size` and half of
/// `max.request.size`, so that records compressing worse than expected still make a
/// batch the broker takes.
pub(crate) fn batch_limit(
    batch_size: usize,
    compression: Compression,
    ratio: f32,
    max_request_size: usize,
) -> usize {
    if compression == Compression::None {
        return batch_size;
    }
    let ceiling = batch_size
        .saturating_mul(MAX_BATCH_GROWTH)
        .min(max_request_size / 2)
        .max(batch_size);
    let expected = batch_size as f64 / (f64::from(ratio.max(MIN_COMPRESSION_RATIO)) * 1.05);
    // A float-to-int `as` saturates, so a huge quotient stays within usize.
    (expected as usize).clamp(batch_size, ceiling)
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
    /// The bytes the batch may hold now (before compression): those reserved.
    size_limit: usize,
    /// The bytes it may grow to, reserving more from the pool as it does (more than
    /// `size_limit` only for compressed batches, see [`batch_limit`]).
    grow_to: usize,
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
    /// An empty, open batch holding up to `memory` bytes (reserved by the caller), and
    /// growing to `grow_to` as more is reserved.
    pub fn new(
        id: u64,
        topic: Arc<str>,
        partition: i32,
        compression: Compression,
        base_timestamp: i64,
        memory: usize,
        grow_to: usize,
    ) -> Self {
        let size_limit = memory;
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
            grow_to: grow_to.max(size_limit),
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

    /// Whether the batch has reached the size it may grow to.
    pub fn is_full(&self) -> bool {
        self.builder
            .as_ref()
            .is_none_or(|b| b.size_in_bytes() >= self.grow_to)
    }

    /// How many more bytes the open batch may reserve to hold more records, at most
    /// `step` (0 once it holds all it may).
    pub fn growth(&self, step: usize) -> usize {
        if self.builder.is_none() {
            return 0;
        }
        self.grow_to.saturating_sub(self.size_limit).min(step)
    }

    /// Lets the batch hold `bytes` more, reserved from the pool by the caller.
    pub fn grow(&mut self, bytes: usize) {
        self.memory += bytes;
        self.size_limit += bytes;
        if let Some(builder) = &mut self.builder {
            builder.reserve_total(self.size_limit);
        }
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

    /// Closes the batch for appends and encodes it (compressing if configured).
    /// Idempotent: the call that encodes the batch returns its size before and after
    /// encoding, later calls `None`.
    pub fn close(&mut self) -> Result<Option<(usize, usize)>> {
        let Some(mut builder) = self.builder.take() else {
            return Ok(None);
        };
        if let Some(seq) = self.sequence {
            builder.set_producer(seq.producer_id, seq.producer_epoch);
            builder.set_base_sequence(seq.base_sequence);
        }
        let before = builder.size_in_bytes();
        let built = builder.build()?;
        let after = built.len();
        self.built = Some(built);
        Ok(Some((before, after)))
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

    fn assert_estimate(ratio: &CompressionRatio, expected: f32) {
        let got = ratio.estimate();
        assert!(
            (got - expected).abs() < 1e-6,
            "estimate {got}, expected {expected}"
        );
    }

    #[test]
    fn the_compression_estimate_comes_down_slowly_and_goes_up_at_once() {
        let ratio = CompressionRatio::new();
        assert_eq!(ratio.estimate(), 1.0);
        ratio.observe(1000, 100);
        assert_estimate(&ratio, 0.995);
        for _ in 0..1000 {
            ratio.observe(1000, 100);
        }
        assert_estimate(&ratio, 0.1);
        // Worse than estimated: at least 0.05 up, or straight to what was seen.
        ratio.observe(1000, 120);
        assert_estimate(&ratio, 0.15);
        ratio.observe(1000, 800);
        assert_estimate(&ratio, 0.8);
        // Incompressible (the codec's framing makes it grow): 1, not more.
        ratio.observe(1000, 1010);
        assert_eq!(ratio.estimate(), 1.0);
        // Nothing to learn from an empty batch.
        ratio.observe(0, 0);
        assert_eq!(ratio.estimate(), 1.0);
    }

    #[test]
    fn a_batch_may_hold_batch_size_over_the_ratio_within_bounds() {
        let mb = 1 << 20;
        assert_eq!(batch_limit(16384, Compression::None, 0.1, mb), 16384);
        assert_eq!(batch_limit(16384, Compression::Lz4, 1.0, mb), 16384);
        assert_eq!(batch_limit(16384, Compression::Zstd, 0.5, mb), 31207);
        // At most 8 x batch.size ...
        assert_eq!(batch_limit(16384, Compression::Lz4, 0.01, mb), 8 * 16384);
        // ... and half of max.request.size, but never less than batch.size.
        assert_eq!(batch_limit(16384, Compression::Lz4, 0.01, 65536), 32768);
        assert_eq!(batch_limit(mb, Compression::Lz4, 0.1, mb), mb);
        assert_eq!(
            batch_limit(usize::MAX, Compression::Lz4, 0.0, mb),
            usize::MAX
        );
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
