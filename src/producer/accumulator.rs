//! The record accumulator: per-partition queues of batches that `send()` appends to and
//! the sender drains.
//!
//! Each partition has its own lock, so threads sending to different partitions do not
//! contend; the map from topic to partitions is behind a read-write lock that is only
//! written when a topic is first used or grows. Memory is accounted per batch against
//! `buffer.memory` by the `BufferPool`: a `send()` that needs a new batch when the
//! pool is exhausted blocks until the sender frees memory or `max.block.ms` passes.
//!
//! Ordering. Batches of a partition stay in creation order in its queue; a batch that
//! is retried goes back to its place by id. With idempotence (KIP-98) the transaction
//! manager (`producer/transaction.rs`) gives every batch its sequence number when it is
//! drained, and may hold a partition back; a batch that already has one (a retry) is
//! only sent once nothing else of its partition is in flight: the broker accepts
//! sequence `n` only after `n-1`, so retries go out one at a time, in order, and later
//! batches that failed with OUT_OF_ORDER_SEQUENCE_NUMBER because an earlier one was
//! missing follow them. Without idempotence and with
//! `max.in.flight.requests.per.connection = 1`, a partition with a batch in flight is
//! not drained, which also keeps order.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use super::batch::{batch_limit, Callback, CompressionRatio, ProducerBatch};
use super::future::{BatchCompletion, FutureRecordMetadata};
use super::transaction::{SendDecision, TransactionManager};
use super::BlockDeadline;
use crate::client::Cluster;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::hash::FastMap;
use crate::record::{Compression, Header};

/// Accounts the bytes of batches waiting to be sent against `buffer.memory`.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    used: Mutex<PoolState>,
    freed: Condvar,
    waiters: AtomicUsize,
}

/// What the pool's lock protects.
#[derive(Debug, Default)]
struct PoolState {
    /// Bytes reserved.
    used: usize,
}

/// How often a blocked `allocate` looks again whether its request fits, between the
/// wake-ups that [`BufferPool::release`] gives only once an eighth of the pool is free.
const POOL_RECHECK: Duration = Duration::from_millis(10);

impl BufferPool {
    fn new(total: usize) -> Self {
        BufferPool {
            total,
            used: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
            waiters: AtomicUsize::new(0),
        }
    }

    /// Reserves `size` bytes, waiting until `deadline` for room.
    fn allocate(&self, size: usize, deadline: &BlockDeadline, closed: &AtomicBool) -> Result<()> {
        if size > self.total {
            return Err(KafkaError::new(
                ErrorKind::RecordTooLarge,
                format!(
                    "the record needs {size} bytes, more than buffer.memory ({} bytes)",
                    self.total
                ),
            ));
        }
        let mut state = self.used.lock();
        if state.used + size <= self.total {
            state.used += size;
            return Ok(());
        }
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let result = loop {
            if closed.load(Ordering::SeqCst) {
                break Err(KafkaError::closed(
                    "the producer was closed while send() waited for buffer memory",
                ));
            }
            if state.used + size <= self.total {
                state.used += size;
                break Ok(());
            }
            let deadline = deadline.get();
            let recheck = Instant::now()
                .checked_add(POOL_RECHECK)
                .map_or(deadline, |at| at.min(deadline));
            self.freed.wait_until(&mut state, recheck);
            if Instant::now() >= deadline && state.used + size > self.total {
                break Err(KafkaError::new(
                    ErrorKind::BufferExhausted,
                    format!(
                        "buffer.memory ({} bytes) stayed full for max.block.ms; the brokers are slower than \
                         the producer or unreachable",
                        self.total
                    ),
                ));
            }
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// Reserves `size` bytes if they are free and no `send()` waits for memory (a
    /// waiting one comes first), without blocking.
    fn try_allocate(&self, size: usize) -> bool {
        if self.has_waiters() {
            return false;
        }
        let mut state = self.used.lock();
        if state.used + size <= self.total {
            state.used += size;
            true
        } else {
            false
        }
    }

    /// Returns `size` bytes to the pool.
    ///
    /// Blocked senders are woken once an eighth of the pool is free (or all of it):
    /// when the brokers are the bottleneck, waking them for every completed batch
    /// would cost two context switches per batch, for room for one more batch. A
    /// request that fits in less does not wait for the eighth, though (most of the pool
    /// may be held by batches for an unreachable partition): a blocked `allocate` looks
    /// again every [`POOL_RECHECK`].
    pub fn release(&self, size: usize) {
        let mut state = self.used.lock();
        state.used = state.used.saturating_sub(size);
        let free = self.total - state.used.min(self.total);
        if self.waiters.load(Ordering::SeqCst) > 0 && (free >= self.total / 8 || state.used == 0) {
            self.freed.notify_all();
        }
    }

    /// Wakes every waiter (on close).
    fn wake_all(&self) {
        let _state = self.used.lock();
        self.freed.notify_all();
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used.lock().used
    }

    /// Whether a `send()` is waiting for memory (then batches are sent without linger).
    fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }
}

/// One partition's queue and ordering state.
#[derive(Debug)]
pub(crate) struct PartitionQueue {
    /// The topic's name, shared with the batches of this queue.
    topic: Arc<str>,
    batches: VecDeque<ProducerBatch>,
    /// Batches of this partition in flight.
    in_flight: usize,
    /// The topic's compression estimate, shared by its partitions.
    ratio: Arc<CompressionRatio>,
}

/// A topic's partition queues, by partition.
pub(crate) type Queues = Arc<Vec<Arc<Mutex<PartitionQueue>>>>;

/// Settings the accumulator needs.
#[derive(Debug, Clone)]
pub(crate) struct AccumulatorSettings {
    pub batch_size: usize,
    pub compression: Compression,
    pub linger: Duration,
    pub buffer_memory: usize,
    /// `max.request.size`: compressed batches stay below half of it before compression.
    pub max_request_size: usize,
    pub idempotent: bool,
    pub max_in_flight: usize,
    /// Batches are marked transactional (the producer has a `transactional.id`).
    pub transactional: bool,
}

/// What `append` did.
pub(crate) enum Appended {
    /// The record is in a batch.
    Done {
        future: FutureRecordMetadata,
        /// A new batch was started (read by the tests and the bench hooks, which count
        /// batches).
        #[cfg_attr(not(any(test, feature = "bench-hooks")), allow(dead_code))]
        new_batch: bool,
        /// The sender should be woken to look at the partition: the new batch is the
        /// first of its queue (its linger timer must start) or the second (the first is
        /// full and may go now). With more batches queued the sender already knows of a
        /// full batch it could not send yet, and a response or a connection event wakes
        /// it; waking it for every batch would only cost a context switch each.
        wake: bool,
    },
    /// The record would need a new batch and the caller asked to be told first (the
    /// sticky partitioner then picks another partition). The callback comes back.
    NeedsNewBatch(Option<Callback>),
}

/// The result of [`RecordAccumulator::ready`].
#[derive(Debug, Default)]
pub(crate) struct ReadyCheck {
    /// Leaders with at least one sendable batch.
    pub nodes: Vec<i32>,
    /// When to look again for batches that are not sendable yet.
    pub next_check: Option<Instant>,
    /// Some partition with batches has no known leader: refresh metadata.
    pub unknown_leader: bool,
}

/// The record accumulator.
#[derive(Debug)]
pub(crate) struct RecordAccumulator {
    settings: AccumulatorSettings,
    topics: RwLock<FastMap<Arc<str>, Queues>>,
    pub pool: BufferPool,
    incomplete: Mutex<HashMap<u64, Arc<BatchCompletion>>>,
    next_batch_id: AtomicU64,
    flushes: AtomicUsize,
    closed: AtomicBool,
}

impl RecordAccumulator {
    pub fn new(settings: AccumulatorSettings) -> Self {
        RecordAccumulator {
            pool: BufferPool::new(settings.buffer_memory),
            settings,
            topics: RwLock::new(FastMap::default()),
            incomplete: Mutex::new(HashMap::new()),
            next_batch_id: AtomicU64::new(0),
            flushes: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// The queue of `topic`-`partition`, created on first use.
    /// The topic's partition queues so far (for the per-thread route caches).
    pub fn topic_queues(&self, topic: &str) -> Option<Queues> {
        self.topics.read().get(topic).cloned()
    }

    fn queue(&self, topic: &str, partition: i32) -> Arc<Mutex<PartitionQueue>> {
        let index = partition as usize;
        if let Some(queues) = self.topics.read().get(topic) {
            if let Some(q) = queues.get(index) {
                return Arc::clone(q);
            }
        }
        let mut topics = self.topics.write();
        let name: Arc<str> = topics
            .get_key_value(topic)
            .map_or_else(|| Arc::from(topic), |(name, _)| Arc::clone(name));
        let queues = topics
            .entry(Arc::clone(&name))
            .or_insert_with(|| Arc::new(Vec::new()));
        if queues.len() <= index {
            let ratio = queues.first().map_or_else(
                || Arc::new(CompressionRatio::new()),
                |q| Arc::clone(&q.lock().ratio),
            );
            let mut grown: Vec<Arc<Mutex<PartitionQueue>>> = queues.iter().cloned().collect();
            grown.resize_with(index + 1, || {
                Arc::new(Mutex::new(PartitionQueue {
                    topic: Arc::clone(&name),
                    batches: VecDeque::new(),
                    in_flight: 0,
                    ratio: Arc::clone(&ratio),
                }))
            });
            *queues = Arc::new(grown);
        }
        Arc::clone(&queues[index])
    }

    /// Appends a record to the open batch of its partition, starting a new batch (and
    /// reserving its memory, blocking until `deadline`) when needed. `cached` is the
    /// topic's queue list from a route cache, if the caller has one: its queue for the
    /// partition saves looking it up.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &self,
        topic: &str,
        partition: i32,
        cached: Option<&Queues>,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
        deadline: &BlockDeadline,
        abort_on_new_batch: bool,
    ) -> Result<Appended> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(KafkaError::closed("send() after the producer was closed"));
        }
        if partition < 0 {
            return Err(KafkaError::invalid_argument(format!(
                "partition {partition} of topic `{topic}` does not exist"
            )));
        }
        let looked_up;
        let queue = match cached.and_then(|queues| queues.get(partition as usize)) {
            Some(queue) => queue,
            None => {
                looked_up = self.queue(topic, partition);
                &looked_up
            }
        };
        let (callback, ratio) = {
            let mut q = queue.lock();
            // Checked again under the partition's lock: the sender's last sweep after
            // close takes every partition's lock, so a record is either in a queue it
            // sweeps or refused here, never left behind (see `Shared::sender_stopped`).
            if self.closed.load(Ordering::SeqCst) {
                return Err(KafkaError::closed("send() after the producer was closed"));
            }
            match self.append_to_last(&mut q, timestamp, key, value, headers, callback) {
                Ok(result) => {
                    return result.map(|future| Appended::Done {
                        future,
                        new_batch: false,
                        wake: false,
                    })
                }
                Err(callback) => (callback, q.ratio.estimate()),
            }
        };
        if abort_on_new_batch {
            return Ok(Appended::NeedsNewBatch(callback));
        }
        // Reserve memory without holding the partition's lock: this may block.
        let needed = crate::record::batch::record_size_upper_bound(
            key.map(<[u8]>::len),
            value.map(<[u8]>::len),
            headers,
        ) + crate::record::batch::HEADER_SIZE;
        let memory = needed.max(self.settings.batch_size);
        self.pool.allocate(memory, deadline, &self.closed)?;
        let mut q = queue.lock();
        if self.closed.load(Ordering::SeqCst) {
            drop(q);
            self.pool.release(memory);
            return Err(KafkaError::closed("send() after the producer was closed"));
        }
        // Another thread may have started a batch while this one waited.
        let callback = match self.append_to_last(&mut q, timestamp, key, value, headers, callback) {
            Ok(result) => {
                self.pool.release(memory);
                return result.map(|future| Appended::Done {
                    future,
                    new_batch: false,
                    wake: false,
                });
            }
            Err(callback) => callback,
        };
        let id = self.next_batch_id.fetch_add(1, Ordering::Relaxed);
        let mut batch = ProducerBatch::new(
            id,
            Arc::clone(&q.topic),
            partition,
            self.settings.compression,
            timestamp,
            memory,
            batch_limit(
                self.settings.batch_size,
                self.settings.compression,
                ratio,
                self.settings.max_request_size,
            ),
        );
        if self.settings.transactional {
            batch.set_transactional();
        }
        let future = match batch.try_append(timestamp, key, value, headers, callback) {
            Ok(Ok(future)) => future,
            Ok(Err(e)) => {
                self.pool.release(memory);
                return Err(e);
            }
            Err(_) => {
                self.pool.release(memory);
                return Err(KafkaError::new(
                    ErrorKind::RecordTooLarge,
                    "the record does not fit into an empty batch",
                ));
            }
        };
        self.incomplete
            .lock()
            .insert(id, Arc::clone(&batch.completion));
        q.batches.push_back(batch);
        Ok(Appended::Done {
            future,
            new_batch: true,
            wake: q.batches.len() <= 2,
        })
    }

    /// Appends to the partition's open batch, if it has one with room. A compressed
    /// batch that is full for the memory it reserved reserves up to `batch.size` more
    /// (without waiting) while it has not reached the size its topic's compression
    /// estimate allows.
    fn append_to_last(
        &self,
        q: &mut PartitionQueue,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
    ) -> std::result::Result<Result<FutureRecordMetadata>, Option<Callback>> {
        let Some(last) = q.batches.back_mut().filter(|b| b.is_open()) else {
            return Err(callback);
        };
        let mut callback = match last.try_append(timestamp, key, value, headers, callback) {
            Err(callback) => callback,
            appended => return appended,
        };
        loop {
            let more = last.growth(self.settings.batch_size);
            if more == 0 || !self.pool.try_allocate(more) {
                return Err(callback);
            }
            last.grow(more);
            callback = match last.try_append(timestamp, key, value, headers, callback) {
                Err(callback) => callback,
                appended => return appended,
            };
        }
    }

    /// Every partition queue, for the sender's scans.
    fn all_queues(&self) -> Vec<(Arc<str>, i32, Arc<Mutex<PartitionQueue>>)> {
        let topics = self.topics.read();
        let mut out = Vec::new();
        for (name, queues) in topics.iter() {
            for (i, q) in queues.iter().enumerate() {
                out.push((Arc::clone(name), i as i32, Arc::clone(q)));
            }
        }
        out
    }

    /// Whether a batch at the head of `q` may be sent now, ignoring linger.
    fn head_sendable(&self, q: &PartitionQueue, now: Instant) -> bool {
        let Some(head) = q.batches.front() else {
            return false;
        };
        if head.retry_after.is_some_and(|t| t > now) {
            return false;
        }
        // The transaction manager decides the rest of idempotence's rules at drain.
        let ordered_retry = self.settings.idempotent && head.sequence.is_some();
        let muted = (ordered_retry
            || (!self.settings.idempotent && self.settings.max_in_flight == 1))
            && q.in_flight > 0;
        !muted && q.in_flight < self.settings.max_in_flight
    }

    /// The leaders that have sendable batches: full, lingered long enough, retrying after
    /// their back-off, or any batch while flushing, closing or out of memory.
    pub fn ready(&self, cluster: &Cluster, now: Instant) -> ReadyCheck {
        let mut check = ReadyCheck::default();
        let urgent = self.flushes.load(Ordering::SeqCst) > 0
            || self.closed.load(Ordering::SeqCst)
            || self.pool.has_waiters();
        for (topic, partition, queue) in self.all_queues() {
            let q = queue.lock();
            let Some(head) = q.batches.front() else {
                continue;
            };
            let Some(leader) = cluster.leader_for(&topic, partition) else {
                check.unknown_leader = true;
                continue;
            };
            if check.nodes.contains(&leader.id) {
                continue;
            }
            if let Some(t) = head.retry_after.filter(|t| *t > now) {
                check.next_check = Some(check.next_check.map_or(t, |c| c.min(t)));
                continue;
            }
            let linger_end = crate::time::deadline_after(head.created, self.settings.linger);
            let full = q.batches.len() > 1 || head.is_full() || head.retry_after.is_some();
            if full || urgent || linger_end <= now {
                if self.head_sendable(&q, now) {
                    check.nodes.push(leader.id);
                }
            } else {
                check.next_check = Some(check.next_check.map_or(linger_end, |c| c.min(linger_end)));
            }
        }
        check
    }

    /// Takes the sendable head batches of partitions led by `nodes`, up to
    /// `max_request_size` bytes per node (at least one batch), closes them, and gives
    /// idempotent batches their sequence numbers.
    pub fn drain(
        &self,
        cluster: &Cluster,
        nodes: &[i32],
        max_request_size: usize,
        transactions: Option<&TransactionManager>,
        now: Instant,
    ) -> HashMap<i32, Vec<ProducerBatch>> {
        let mut out: HashMap<i32, Vec<ProducerBatch>> = HashMap::new();
        let mut sizes: HashMap<i32, usize> = HashMap::new();
        // Batches that cannot be encoded fail after the partition's lock is released:
        // their callbacks may send to the same partition.
        let mut failed: Vec<(ProducerBatch, KafkaError)> = Vec::new();
        let mut queues = self.all_queues();
        // Start at a different partition each time so no partition starves when
        // requests are full.
        let offset = (self.next_batch_id.load(Ordering::Relaxed) as usize) % queues.len().max(1);
        queues.rotate_left(offset);
        for (topic, partition, queue) in queues {
            let Some(leader) = cluster.leader_for(&topic, partition).map(|n| n.id) else {
                continue;
            };
            if !nodes.contains(&leader) {
                continue;
            }
            let mut q = queue.lock();
            if !self.head_sendable(&q, now) {
                continue;
            }
            let Some(mut batch) = q.batches.pop_front() else {
                continue;
            };
            match batch.close() {
                Ok(Some((before, after))) if self.settings.compression != Compression::None => {
                    q.ratio.observe(before, after);
                }
                Ok(_) => {}
                Err(e) => {
                    failed.push((batch, e));
                    continue;
                }
            }
            let size = batch.bytes().map_or(0, |b| b.len());
            let used = sizes.entry(leader).or_insert(0);
            if *used > 0 && *used + size > max_request_size {
                q.batches.push_front(batch);
                continue;
            }
            if let Some(tm) = transactions {
                match tm.decide(
                    &q.topic,
                    partition,
                    batch.sequence,
                    batch.record_count(),
                    q.in_flight,
                ) {
                    SendDecision::Hold => {
                        q.batches.push_front(batch);
                        continue;
                    }
                    SendDecision::Keep => {}
                    SendDecision::Assign(sequence) => {
                        if let Err(e) = batch.set_sequence(sequence) {
                            tm.failed(&q.topic, partition, sequence, batch.record_count());
                            failed.push((batch, e));
                            continue;
                        }
                    }
                }
            }
            *used += size;
            q.in_flight += 1;
            batch.attempts += 1;
            out.entry(leader).or_default().push(batch);
        }
        for (batch, e) in failed {
            self.fail(batch, e);
        }
        out
    }

    /// Marks a drained batch as no longer in flight.
    pub fn in_flight_done(&self, topic: &str, partition: i32) {
        let queue = self.queue(topic, partition);
        let mut q = queue.lock();
        q.in_flight = q.in_flight.saturating_sub(1);
    }

    /// Puts a batch that will be retried back into its partition's queue, in creation
    /// order, to be sent `backoff` after `now`.
    pub fn reenqueue(&self, mut batch: ProducerBatch, backoff: Duration, now: Instant) {
        batch.retry_after = Some(crate::time::deadline_after(now, backoff));
        let queue = self.queue(&batch.topic, batch.partition);
        let mut q = queue.lock();
        let at = q
            .batches
            .iter()
            .position(|b| b.id > batch.id)
            .unwrap_or(q.batches.len());
        q.batches.insert(at, batch);
    }

    /// Removes queued batches older than `delivery_timeout` and returns them.
    pub fn expired(&self, now: Instant, delivery_timeout: Duration) -> Vec<ProducerBatch> {
        let mut out = Vec::new();
        for (_, _, queue) in self.all_queues() {
            let mut q = queue.lock();
            while q
                .batches
                .front()
                .is_some_and(|b| now.duration_since(b.created) >= delivery_timeout)
            {
                if let Some(b) = q.batches.pop_front() {
                    out.push(b);
                }
            }
        }
        out
    }

    /// Completes a batch: frees its memory, then publishes its outcome and runs its
    /// callbacks (in that order, so that whoever sees the outcome also sees the memory
    /// returned, e.g. `metrics()` after `flush()`).
    pub fn complete(&self, batch: ProducerBatch, outcome: Result<super::future::BatchOutcome>) {
        self.pool.release(batch.memory);
        self.incomplete.lock().remove(&batch.id);
        batch.complete(outcome);
    }

    /// Fails a batch.
    pub fn fail(&self, batch: ProducerBatch, error: KafkaError) {
        self.complete(batch, Err(error));
    }

    /// Fails every queued batch (forced close).
    pub fn abort_all(&self, error: &KafkaError) {
        for (_, _, queue) in self.all_queues() {
            let batches: Vec<ProducerBatch> = queue.lock().batches.drain(..).collect();
            for b in batches {
                self.fail(b, error.clone());
            }
        }
    }

    /// Whether any batch is queued.
    pub fn has_queued(&self) -> bool {
        self.all_queues()
            .iter()
            .any(|(_, _, q)| !q.lock().batches.is_empty())
    }

    /// The completions of every batch not completed yet (for `flush`).
    pub fn incomplete(&self) -> Vec<Arc<BatchCompletion>> {
        self.incomplete.lock().values().cloned().collect()
    }

    /// Starts a flush: batches are sent without waiting for linger until `end_flush`.
    pub fn begin_flush(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
    }

    /// Ends a flush.
    pub fn end_flush(&self) {
        self.flushes.fetch_sub(1, Ordering::SeqCst);
    }

    /// Closes the accumulator: appends fail from now on, and waiting appends wake up.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.pool.wake_all();
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::{
        MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    /// A cluster where node 1 leads partitions 0 and 1 of topic "t".
    fn cluster() -> Cluster {
        let mut cluster = Cluster::default();
        cluster.update(
            &MetadataResponse {
                brokers: vec![MetadataResponseBroker {
                    node_id: 1,
                    host: "h".into(),
                    port: 9092,
                    rack: None,
                }],
                topics: vec![MetadataResponseTopic {
                    name: Some("t".into()),
                    partitions: (0..2)
                        .map(|partition_index| MetadataResponsePartition {
                            partition_index,
                            leader_id: 1,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            false,
        );
        cluster
    }

    fn accumulator(idempotent: bool, linger: Duration) -> RecordAccumulator {
        RecordAccumulator::new(AccumulatorSettings {
            batch_size: 1024,
            compression: Compression::None,
            linger,
            buffer_memory: 1 << 20,
            max_request_size: 1 << 20,
            idempotent,
            max_in_flight: 5,
            transactional: false,
        })
    }

    /// Appends 100-byte records to `partition` until `batches` batches exist.
    fn fill(acc: &RecordAccumulator, partition: i32, batches: usize) {
        let deadline = BlockDeadline::new(Duration::from_secs(1));
        let value = [7u8; 100];
        let mut made = 0;
        while made < batches {
            match acc
                .append(
                    "t",
                    partition,
                    None,
                    0,
                    None,
                    Some(&value),
                    &[],
                    None,
                    &deadline,
                    false,
                )
                .expect("append")
            {
                Appended::Done { new_batch, .. } => made += usize::from(new_batch),
                Appended::NeedsNewBatch(_) => unreachable!("not asked"),
            }
        }
        // Close the last one too, so that every batch counts as full.
        let queue = acc.queue("t", partition);
        let mut q = queue.lock();
        if let Some(last) = q.batches.back_mut() {
            last.close().expect("close");
        }
    }

    fn drained(acc: &RecordAccumulator, tm: Option<&TransactionManager>, now: Instant) -> Vec<u64> {
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, tm, now);
        out.remove(&1)
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.id)
            .collect()
    }

    #[test]
    fn a_blocked_allocation_that_fits_goes_on_without_waiting_for_an_eighth() {
        // Most of the pool is held (say, by batches for an unreachable partition);
        // freeing a little lets a waiter whose request fits go on (at its next look),
        // not only once an eighth is free.
        let pool = Arc::new(BufferPool::new(8000));
        let closed = Arc::new(AtomicBool::new(false));
        pool.allocate(7900, &BlockDeadline::new(Duration::ZERO), &closed)
            .expect("room");
        pool.allocate(100, &BlockDeadline::new(Duration::ZERO), &closed)
            .expect("room");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let pool = Arc::clone(&pool);
            let closed = Arc::clone(&closed);
            std::thread::spawn(move || {
                let result =
                    pool.allocate(50, &BlockDeadline::new(Duration::from_secs(60)), &closed);
                let _ = tx.send(result.is_ok());
            })
        };
        // Release only once the waiter is registered, so the wake-up is the point.
        while pool.waiters.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        pool.release(100);
        let fitted = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("woken long before max.block.ms");
        assert!(fitted);
        waiter.join().expect("waiter");
        assert_eq!(pool.used(), 7950);
    }

    #[test]
    fn a_batch_waits_for_linger_unless_full() {
        let acc = accumulator(false, Duration::from_millis(50));
        let deadline = BlockDeadline::new(Duration::from_secs(1));
        append_value(&acc, "t", 0, b"v", &deadline).expect("append");
        let start = Instant::now();
        let check = acc.ready(&cluster(), start);
        assert!(check.nodes.is_empty(), "lingering");
        let next = check.next_check.expect("a linger deadline");
        assert!(next > start && next <= start + Duration::from_millis(50));
        let later = acc.ready(&cluster(), start + Duration::from_millis(60));
        assert_eq!(later.nodes, vec![1], "linger passed");
    }

    #[test]
    fn idempotent_partitions_send_one_batch_until_the_broker_acknowledges_one() {
        let acc = accumulator(true, Duration::ZERO);
        let tm = TransactionManager::default();
        tm.set_producer((42, 0));
        fill(&acc, 0, 3);
        let now = Instant::now();
        // The broker may hold no state for this producer yet: one batch at a time.
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, Some(&tm), now);
        let first = out
            .remove(&1)
            .and_then(|mut v| v.pop())
            .expect("the first batch");
        assert!(
            drained(&acc, Some(&tm), now).is_empty(),
            "second batch held back"
        );
        let sequence = first.sequence.expect("a sequence");
        assert_eq!(sequence.base_sequence, 0);
        tm.acknowledged(&first.topic, 0, sequence, first.record_count());
        acc.in_flight_done("t", 0);
        // Acknowledged: the others may go together, up to the in-flight limit.
        assert_eq!(drained(&acc, Some(&tm), now).len(), 1);
        assert_eq!(drained(&acc, Some(&tm), now).len(), 1);
    }

    #[test]
    fn no_batch_goes_before_the_producer_id_is_known() {
        let acc = accumulator(true, Duration::ZERO);
        let tm = TransactionManager::default();
        fill(&acc, 0, 1);
        assert!(drained(&acc, Some(&tm), Instant::now()).is_empty());
        tm.set_producer((1, 0));
        assert_eq!(drained(&acc, Some(&tm), Instant::now()).len(), 1);
    }

    #[test]
    fn without_idempotence_several_batches_go_at_once() {
        let acc = accumulator(false, Duration::ZERO);
        fill(&acc, 0, 3);
        let now = Instant::now();
        assert_eq!(
            drained(&acc, None, now).len(),
            1,
            "one batch per partition per drain"
        );
        assert_eq!(
            drained(&acc, None, now).len(),
            1,
            "a second one while the first flies"
        );
    }

    #[test]
    fn a_retried_batch_goes_back_to_its_place_and_waits_for_its_backoff() {
        let acc = accumulator(false, Duration::ZERO);
        fill(&acc, 1, 2);
        let now = Instant::now();
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, None, now);
        let first = out.remove(&1).and_then(|mut v| v.pop()).expect("a batch");
        let first_id = first.id;
        acc.in_flight_done("t", 1);
        acc.reenqueue(first, Duration::from_millis(100), now);
        let queue = acc.queue("t", 1);
        assert_eq!(queue.lock().batches.front().map(|b| b.id), Some(first_id));
        let check = acc.ready(&cluster(), now);
        assert!(check.nodes.is_empty(), "backing off");
        assert!(check.next_check.is_some());
    }

    /// A cluster where `leader` leads partitions 0 and 1 of topic "t" (brokers 1 and 2
    /// exist).
    fn cluster_led_by(leader: i32) -> Cluster {
        let mut cluster = Cluster::default();
        cluster.update(
            &MetadataResponse {
                brokers: [1, 2]
                    .into_iter()
                    .map(|node_id| MetadataResponseBroker {
                        node_id,
                        host: "h".into(),
                        port: 9092,
                        rack: None,
                    })
                    .collect(),
                topics: vec![MetadataResponseTopic {
                    name: Some("t".into()),
                    partitions: (0..2)
                        .map(|partition_index| MetadataResponsePartition {
                            partition_index,
                            leader_id: leader,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            false,
        );
        cluster
    }

    fn accumulator_with(change: impl FnOnce(&mut AccumulatorSettings)) -> RecordAccumulator {
        let mut settings = AccumulatorSettings {
            batch_size: 1024,
            compression: Compression::None,
            linger: Duration::ZERO,
            buffer_memory: 1 << 20,
            max_request_size: 1 << 20,
            idempotent: false,
            max_in_flight: 5,
            transactional: false,
        };
        change(&mut settings);
        RecordAccumulator::new(settings)
    }

    /// Appends a keyless record of `value` without headers or callback at time 0.
    fn append_value(
        acc: &RecordAccumulator,
        topic: &str,
        partition: i32,
        value: &[u8],
        deadline: &BlockDeadline,
    ) -> Result<Appended> {
        acc.append(
            topic,
            partition,
            None,
            0,
            None,
            Some(value),
            &[],
            None,
            deadline,
            false,
        )
    }

    /// Appends one small record to `t`-`partition` and returns its future.
    fn append_one(acc: &RecordAccumulator, partition: i32) -> Result<FutureRecordMetadata> {
        let deadline = BlockDeadline::new(Duration::ZERO);
        match append_value(acc, "t", partition, b"v", &deadline)? {
            Appended::Done { future, .. } => Ok(future),
            Appended::NeedsNewBatch(_) => unreachable!("not asked"),
        }
    }

    /// When the head batch of `t`-`partition` was created.
    fn head_created(acc: &RecordAccumulator, partition: i32) -> Instant {
        let queue = acc.queue("t", partition);
        let q = queue.lock();
        q.batches.front().expect("a queued batch").created
    }

    fn queued_ids(acc: &RecordAccumulator, partition: i32) -> Vec<u64> {
        let queue = acc.queue("t", partition);
        let q = queue.lock();
        q.batches.iter().map(|b| b.id).collect()
    }

    fn drain_one(
        acc: &RecordAccumulator,
        cluster: &Cluster,
        node: i32,
        now: Instant,
    ) -> Option<ProducerBatch> {
        let mut out = acc.drain(cluster, &[node], 1 << 20, None, now);
        let mut batches = out.remove(&node)?;
        assert_eq!(batches.len(), 1, "one batch per partition per drain");
        batches.pop()
    }

    #[test]
    fn a_batch_lingers_exactly_linger_ms_and_says_when_to_look_again() {
        let linger = Duration::from_millis(50);
        let acc = accumulator_with(|s| s.linger = linger);
        append_one(&acc, 0).expect("append");
        let created = head_created(&acc, 0);
        let check = acc.ready(&cluster(), created + linger - Duration::from_millis(1));
        assert!(check.nodes.is_empty(), "1 ms before linger.ms: not sent");
        assert_eq!(check.next_check, Some(created + linger));
        assert!(!check.unknown_leader);
        let check = acc.ready(&cluster(), created + linger);
        assert_eq!(check.nodes, vec![1], "at linger.ms: sendable");
        let batch = drain_one(&acc, &cluster(), 1, created + linger).expect("drained");
        assert_eq!(batch.record_count(), 1);
        assert_eq!(batch.attempts, 1);
    }

    #[test]
    fn a_full_batch_goes_before_linger() {
        let acc = accumulator_with(|s| s.linger = Duration::from_secs(3600));
        append_one(&acc, 0).expect("append");
        let created = head_created(&acc, 0);
        assert!(acc.ready(&cluster(), created).nodes.is_empty(), "lingering");
        // A batch behind it means the head is full: it goes at once.
        fill(&acc, 0, 1);
        assert!(queued_ids(&acc, 0).len() >= 2);
        assert_eq!(acc.ready(&cluster(), created).nodes, vec![1]);
        let batch = drain_one(&acc, &cluster(), 1, created).expect("the full head");
        assert!(
            batch.record_count() > 1,
            "the head filled up before the next was opened"
        );
    }

    #[test]
    fn flush_and_close_send_lingering_batches_at_once() {
        let acc = accumulator_with(|s| s.linger = Duration::from_secs(3600));
        append_one(&acc, 0).expect("append");
        let created = head_created(&acc, 0);
        assert!(acc.ready(&cluster(), created).nodes.is_empty());
        acc.begin_flush();
        assert_eq!(acc.ready(&cluster(), created).nodes, vec![1], "flushing");
        acc.end_flush();
        assert!(
            acc.ready(&cluster(), created).nodes.is_empty(),
            "flush over"
        );
        acc.close();
        assert_eq!(acc.ready(&cluster(), created).nodes, vec![1], "closing");
    }

    #[test]
    fn a_retried_batch_waits_for_retry_backoff_then_goes_first() {
        let acc = accumulator_with(|_| {});
        fill(&acc, 0, 2);
        let ids = queued_ids(&acc, 0);
        let now = head_created(&acc, 0);
        let first = drain_one(&acc, &cluster(), 1, now).expect("first");
        assert_eq!(first.id, ids[0]);
        acc.in_flight_done("t", 0);
        let backoff = Duration::from_millis(100);
        acc.reenqueue(first, backoff, now);
        assert_eq!(
            queued_ids(&acc, 0),
            ids,
            "back in its place, before the newer batch"
        );
        let check = acc.ready(&cluster(), now + backoff - Duration::from_millis(1));
        assert!(check.nodes.is_empty(), "backing off");
        assert_eq!(check.next_check, Some(now + backoff));
        assert!(
            drain_one(
                &acc,
                &cluster(),
                1,
                now + backoff - Duration::from_millis(1)
            )
            .is_none(),
            "nothing of the partition overtakes the retry"
        );
        assert_eq!(acc.ready(&cluster(), now + backoff).nodes, vec![1]);
        let again = drain_one(&acc, &cluster(), 1, now + backoff).expect("the retry");
        assert_eq!(again.id, ids[0]);
        assert_eq!(again.attempts, 2);
    }

    #[test]
    fn queued_batches_expire_at_delivery_timeout_and_not_before() {
        let acc = accumulator_with(|s| s.linger = Duration::from_secs(3600));
        let timeout = Duration::from_secs(120);
        let f0 = append_one(&acc, 0).expect("append");
        let f1 = append_one(&acc, 1).expect("append");
        let created = head_created(&acc, 0);
        // The batch of partition 1 was started 10 s later.
        let queue = acc.queue("t", 1);
        if let Some(b) = queue.lock().batches.front_mut() {
            b.created = created + Duration::from_secs(10);
        }
        assert!(acc
            .expired(created + timeout - Duration::from_millis(1), timeout)
            .is_empty());
        let expired = acc.expired(created + timeout, timeout);
        assert_eq!(expired.iter().map(|b| b.partition).collect::<Vec<_>>(), [0]);
        for b in expired {
            acc.fail(b, KafkaError::timeout("expired"));
        }
        let err = f0.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.to_string().contains("expired"), "{err}");
        assert!(!f1.is_done(), "the younger batch still waits");
        assert_eq!(acc.pool.used(), 1024, "the expired batch's memory is back");
        let expired = acc.expired(created + Duration::from_secs(10) + timeout, timeout);
        assert_eq!(expired.iter().map(|b| b.partition).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn a_partition_never_has_more_than_max_in_flight_batches_out() {
        let acc = accumulator_with(|s| s.max_in_flight = 2);
        fill(&acc, 0, 4);
        let now = head_created(&acc, 0);
        assert!(drain_one(&acc, &cluster(), 1, now).is_some());
        assert!(drain_one(&acc, &cluster(), 1, now).is_some());
        assert!(
            acc.ready(&cluster(), now).nodes.is_empty(),
            "two out of two"
        );
        assert!(drain_one(&acc, &cluster(), 1, now).is_none());
        acc.in_flight_done("t", 0);
        assert_eq!(acc.ready(&cluster(), now).nodes, vec![1]);
        assert!(drain_one(&acc, &cluster(), 1, now).is_some());
        assert!(drain_one(&acc, &cluster(), 1, now).is_none());
    }

    #[test]
    fn one_in_flight_without_idempotence_keeps_the_order() {
        let acc = accumulator_with(|s| s.max_in_flight = 1);
        fill(&acc, 0, 2);
        let now = head_created(&acc, 0);
        let first = drain_one(&acc, &cluster(), 1, now).expect("first");
        assert!(
            acc.ready(&cluster(), now).nodes.is_empty(),
            "muted while it flies"
        );
        assert!(drain_one(&acc, &cluster(), 1, now).is_none());
        // It fails and is retried: it goes again before the second.
        acc.in_flight_done("t", 0);
        let id = first.id;
        acc.reenqueue(first, Duration::ZERO, now);
        assert_eq!(drain_one(&acc, &cluster(), 1, now).map(|b| b.id), Some(id));
    }

    #[test]
    fn an_idempotent_retry_waits_until_nothing_of_its_partition_is_in_flight() {
        let acc = accumulator_with(|s| s.idempotent = true);
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        fill(&acc, 0, 3);
        let now = head_created(&acc, 0);
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, Some(&tm), now);
        let a = out.remove(&1).and_then(|mut v| v.pop()).expect("a");
        let seq_a = a.sequence.expect("sequenced");
        tm.acknowledged(&a.topic, 0, seq_a, a.record_count());
        acc.in_flight_done("t", 0);
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, Some(&tm), now);
        let b = out.remove(&1).and_then(|mut v| v.pop()).expect("b");
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, Some(&tm), now);
        let c = out
            .remove(&1)
            .and_then(|mut v| v.pop())
            .expect("c, with b in flight");
        let seq_b = b.sequence.expect("sequenced");
        assert_eq!(seq_b.base_sequence, seq_a.base_sequence + a.record_count());
        assert_eq!(
            c.sequence.map(|s| s.base_sequence),
            Some(seq_b.base_sequence + b.record_count())
        );
        // b fails and is queued again while c is still out: it must not go beside c.
        acc.in_flight_done("t", 0);
        acc.reenqueue(b, Duration::ZERO, now);
        assert!(acc.ready(&cluster(), now).nodes.is_empty());
        assert!(drained(&acc, Some(&tm), now).is_empty());
        // c comes back (out of order, as it would): b goes first, with its sequence.
        acc.in_flight_done("t", 0);
        acc.reenqueue(c, Duration::ZERO, now);
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, Some(&tm), now);
        let retried = out.remove(&1).and_then(|mut v| v.pop()).expect("b again");
        assert_eq!(retried.sequence, Some(seq_b), "a retry keeps its sequence");
        assert!(drained(&acc, Some(&tm), now).is_empty(), "c waits for b");
    }

    #[test]
    fn a_batch_follows_its_partition_to_the_new_leader() {
        let acc = accumulator_with(|_| {});
        fill(&acc, 0, 1);
        let now = head_created(&acc, 0);
        let old = cluster_led_by(1);
        let batch = drain_one(&acc, &old, 1, now).expect("sent to node 1");
        // NOT_LEADER_OR_FOLLOWER: queued again; the new metadata names node 2.
        acc.in_flight_done("t", 0);
        acc.reenqueue(batch, Duration::from_millis(100), now);
        let new = cluster_led_by(2);
        let later = now + Duration::from_millis(100);
        assert_eq!(acc.ready(&new, later).nodes, vec![2]);
        assert!(
            drain_one(&acc, &new, 1, later).is_none(),
            "not to the old leader"
        );
        assert!(drain_one(&acc, &new, 2, later).is_some());
    }

    #[test]
    fn a_partition_without_a_leader_asks_for_metadata() {
        let acc = accumulator_with(|_| {});
        let deadline = BlockDeadline::new(Duration::ZERO);
        append_value(&acc, "u", 0, b"v", &deadline).expect("append");
        let check = acc.ready(&cluster(), Instant::now() + Duration::from_secs(1));
        assert!(check.unknown_leader);
        assert!(check.nodes.is_empty());
    }

    #[test]
    fn a_request_holds_up_to_max_request_size_but_at_least_one_batch() {
        let acc = accumulator_with(|_| {});
        fill(&acc, 0, 1);
        fill(&acc, 1, 1);
        let now = Instant::now();
        let out = acc.drain(&cluster(), &[1], 1, None, now);
        assert_eq!(
            out.get(&1).map(Vec::len),
            Some(1),
            "one batch over the limit"
        );
        let out = acc.drain(&cluster(), &[1], 1, None, now);
        assert_eq!(
            out.get(&1).map(Vec::len),
            Some(1),
            "the other in the next request"
        );
        let acc = accumulator_with(|_| {});
        fill(&acc, 0, 1);
        fill(&acc, 1, 1);
        let out = acc.drain(&cluster(), &[1], 1 << 20, None, now);
        assert_eq!(out.get(&1).map(Vec::len), Some(2), "both fit");
    }

    #[test]
    fn a_full_buffer_fails_send_after_max_block_and_frees_with_completions() {
        let acc = accumulator_with(|s| s.buffer_memory = 2048);
        append_one(&acc, 0).expect("first batch");
        append_one(&acc, 1).expect("second batch");
        assert_eq!(acc.pool.used(), 2048);
        // Both batches are open: records that fit still go in without memory.
        append_one(&acc, 0).expect("room in the open batch");
        // A new batch has no memory left: max.block.ms (zero here) passes.
        let queue = acc.queue("t", 0);
        queue.lock().batches.back_mut().map(ProducerBatch::close);
        let err = append_one(&acc, 0).expect_err("no memory");
        assert_eq!(err.kind(), ErrorKind::BufferExhausted, "{err}");
        assert_eq!(
            queued_ids(&acc, 0).len(),
            1,
            "nothing half-made left behind"
        );
        // The broker acknowledges a batch: its memory comes back.
        drain_and_complete(&acc);
        assert_eq!(acc.pool.used(), 1024);
        append_one(&acc, 0).expect("memory again");
        // A record larger than the whole buffer can never fit.
        let big = vec![0u8; 4096];
        let deadline = BlockDeadline::new(Duration::from_secs(60));
        let err = append_value(&acc, "t", 0, &big, &deadline)
            .err()
            .expect("too large");
        assert_eq!(err.kind(), ErrorKind::RecordTooLarge, "{err}");
    }

    /// Drains the head batch of `t` on node 1, completes it (returning its memory) and
    /// gives its record count and its encoded size.
    fn drain_and_complete(acc: &RecordAccumulator) -> (i32, usize) {
        let mut out = acc.drain(&cluster(), &[1], 1 << 20, None, Instant::now());
        let batch = out.remove(&1).and_then(|mut v| v.pop()).expect("a batch");
        let sent = (batch.record_count(), batch.bytes().map_or(0, |b| b.len()));
        acc.in_flight_done(&batch.topic, batch.partition);
        acc.complete(
            batch,
            Ok(crate::producer::future::BatchOutcome {
                base_offset: 0,
                log_append_time: -1,
            }),
        );
        sent
    }

    #[test]
    fn compressed_batches_grow_as_their_topic_proves_compressible() {
        let acc = accumulator_with(|s| s.compression = Compression::Lz4);
        let deadline = BlockDeadline::new(Duration::ZERO);
        let value = [b'a'; 100];
        let mut batches = Vec::new();
        for _ in 0..300 {
            // Fill the open batch: until the record that starts the next one.
            loop {
                match append_value(&acc, "t", 0, &value, &deadline).expect("append") {
                    Appended::Done {
                        new_batch: true, ..
                    } if queued_ids(&acc, 0).len() == 2 => break,
                    _ => {}
                }
            }
            batches.push(drain_and_complete(&acc));
        }
        let (first_records, _) = batches[0];
        let (last_records, last_bytes) = batches[batches.len() - 1];
        // The first batch assumes no gain: batch.size (1024) before compression holds
        // eight records of about 110 bytes.
        assert!(first_records <= 9, "first batch {first_records} records");
        // Once the estimate has come down, batches hold up to 8 x batch.size before
        // compression, which still compresses well within batch.size.
        assert!(last_records >= 60, "last batch {last_records} records");
        assert!(
            last_records <= 8 * 1024 / 100,
            "last batch {last_records} records"
        );
        assert!(
            last_bytes <= 1024,
            "last batch {last_bytes} bytes compressed"
        );
        // The estimate only comes down a little per batch: each batch holds at most
        // about 10% more than the one before.
        for w in batches.windows(2) {
            assert!(w[1].0 <= w[0].0 + w[0].0 / 10 + 1, "{batches:?}");
        }
        // Memory followed the batches: all of it is back.
        assert_eq!(acc.pool.used(), batch_memory_of_open(&acc));
    }

    /// The memory the open batches of `t`-0 hold.
    fn batch_memory_of_open(acc: &RecordAccumulator) -> usize {
        let queue = acc.queue("t", 0);
        let q = queue.lock();
        q.batches.iter().map(|b| b.memory).sum()
    }

    #[test]
    fn a_compressed_batch_grows_only_into_free_memory() {
        let acc = accumulator_with(|s| {
            s.compression = Compression::Lz4;
            s.buffer_memory = 3 * 1024;
        });
        // The topic has proven very compressible.
        let queue = acc.queue("t", 0);
        for _ in 0..500 {
            queue.lock().ratio.observe(1000, 10);
        }
        drop(queue);
        let deadline = BlockDeadline::new(Duration::ZERO);
        let value = [b'a'; 100];
        let mut appended = 0;
        let err = loop {
            match append_value(&acc, "t", 0, &value, &deadline) {
                Ok(_) => appended += 1,
                Err(e) => break e,
            }
        };
        // One batch took the whole pool (3 KB of 8 KB it may grow to), the next could
        // not start.
        assert_eq!(err.kind(), ErrorKind::BufferExhausted, "{err}");
        assert_eq!(queued_ids(&acc, 0).len(), 1);
        assert_eq!(acc.pool.used(), 3 * 1024);
        assert_eq!(batch_memory_of_open(&acc), 3 * 1024);
        assert!(appended > 2 * 1024 / 110, "{appended} records");
    }

    #[test]
    fn a_linger_too_long_for_instant_arithmetic_means_wait_for_a_full_batch() {
        // `linger(Duration::MAX)` passes validation (with a delivery timeout as long);
        // the linger deadline must saturate instead of panicking the sender thread.
        let acc = accumulator_with(|s| s.linger = Duration::MAX);
        append_one(&acc, 0).expect("append");
        let created = head_created(&acc, 0);
        let check = acc.ready(&cluster(), created + Duration::from_secs(3600));
        assert!(check.nodes.is_empty(), "still lingering");
        assert!(check
            .next_check
            .is_some_and(|t| t > created + Duration::from_secs(3600 * 24 * 365)));
        acc.begin_flush();
        assert_eq!(
            acc.ready(&cluster(), created).nodes,
            vec![1],
            "a flush sends it"
        );
    }
}
