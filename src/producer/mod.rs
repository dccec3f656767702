//! [`KafkaProducer`]: send records to Kafka from any number of threads.
//!
//! `send()` is asynchronous: it picks a partition, appends the record straight into
//! that partition's open batch (the accumulator), and returns a
//! [`FutureRecordMetadata`]. A background sender thread sends batches when
//! they are full or have waited `linger.ms`, retries what fails, and resolves the
//! futures.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::{Acks, Compression, KafkaProducer, ProducerConfig, ProducerRecord};
//!
//! let producer = KafkaProducer::new(
//!     ProducerConfig::new("127.0.0.1:9092")
//!         .acks(Acks::All)
//!         .linger(Duration::from_millis(5))
//!         .compression(Compression::Lz4),
//! )?;
//! let future = producer.send(ProducerRecord::new("events").key("user-1").value("hello").header("trace", "abc"))?;
//! let metadata = future.get(Duration::from_secs(10))?;
//! println!("{}-{} @ {}", metadata.topic, metadata.partition, metadata.offset);
//! producer.send_with_callback(ProducerRecord::new("events").value("bye"), |result| {
//!     if let Err(e) = result {
//!         eprintln!("delivery failed: {e}");
//!     }
//! })?;
//! producer.flush(Some(Duration::from_secs(30)))?;
//! producer.close(Some(Duration::from_secs(5)))?;
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

mod accumulator;
mod batch;
mod future;
mod metadata;
mod metrics;
mod partition_adder;
mod record;
mod route;
mod sender;
mod serializer;
mod transaction;
mod transactional;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex};

use self::accumulator::{AccumulatorSettings, Appended, RecordAccumulator};
use self::metadata::ProducerMetadata;
use self::metrics::Counters;
use std::collections::BTreeMap;

use crate::client::offsets::{ConsumerGroupMetadata, OffsetAndMetadata};
use crate::client::{KafkaClient, PartitionMetadata, TopicPartition};
use crate::config::ProducerConfig;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::record::batch::{record_size_upper_bound, HEADER_SIZE};

pub use batch::Callback;
pub use future::FutureRecordMetadata;
pub use metrics::{ProducerMetrics, ProducerRates, ProducerStatistics, TopicStatistics};
pub use partitioner::{murmur2, partition_for_key, DefaultPartitioner, Partitioner};

/// Choosing a partition for a record: murmur2 of the key, as the Java client does, or
/// the topic's sticky partition (KIP-480) for a record without a key; see
/// [`DefaultPartitioner`]. A custom [`Partitioner`] is set with
/// [`ProducerConfig::partitioner`].
///
/// The partitioners are defined below the configs that hold them, so that the config
/// layer imports nothing from the producer; this module keeps their path.
pub mod partitioner {
    pub use crate::partitioner::{murmur2, partition_for_key, DefaultPartitioner, Partitioner};
}
pub use record::{ProducerRecord, RecordMetadata};
pub use serializer::{
    BytesSerializer, I32Serializer, I64Serializer, Serializer, StringSerializer, TypedProducer,
};

/// The `max.block.ms` deadline of one `send()`, read from the clock only if the call
/// has to wait (for metadata or buffer memory): the common case never needs it.
pub(crate) struct BlockDeadline {
    max_block: Duration,
    at: std::cell::Cell<Option<Instant>>,
}

impl BlockDeadline {
    pub(crate) fn new(max_block: Duration) -> Self {
        BlockDeadline {
            max_block,
            at: std::cell::Cell::new(None),
        }
    }

    /// The deadline, fixed the first time it is asked for.
    pub(crate) fn get(&self) -> Instant {
        match self.at.get() {
            Some(at) => at,
            None => {
                let at = crate::time::deadline_in(self.max_block);
                self.at.set(Some(at));
                at
            }
        }
    }
}

/// How long dropping a producer that was not closed waits for queued records.
const DROP_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `close(timeout)` waits, once the timeout has passed, for the forced sender
/// to fail what is left and stop: a poll turn, unless a callback holds it up.
const FORCED_CLOSE_GRACE: Duration = Duration::from_millis(100);

/// State shared by the producer's handle and its sender thread.
pub(crate) struct Shared {
    pub config: ProducerConfig,
    pub accumulator: RecordAccumulator,
    pub metadata: ProducerMetadata,
    /// The producer id, epoch and sequence numbers (with idempotence).
    pub transactions: transaction::TransactionManager,
    pub counters: Counters,
    pub waker: Arc<mio::Waker>,
    pub force_close: AtomicBool,
    pub sender_done: AtomicBool,
    pub sender_exit: (Mutex<()>, Condvar),
    /// The sender thread, to recognize calls from delivery callbacks.
    pub sender_thread: std::sync::OnceLock<std::thread::ThreadId>,
    /// Why the sender thread stopped early, if it did: every later `send()` fails
    /// with it. (Set once; read on every `send()` without a lock.)
    pub fatal: std::sync::OnceLock<KafkaError>,
    /// This producer's key in the per-thread route caches.
    pub id: u64,
    /// The first record error of the current transaction (transactional producers):
    /// the transaction can only be aborted.
    pub transaction_failure: Mutex<Option<KafkaError>>,
    /// The transaction state and coordinator client, with a `transactional.id`.
    pub transaction: Option<Mutex<transactional::TransactionControl>>,
    /// Wakes the partition adder thread (transactional producers).
    pub adder: partition_adder::AdderSignal,
}

impl Shared {
    /// The state of a producer with `config` whose sender wakes through `waker`.
    fn new(
        config: ProducerConfig,
        waker: Arc<mio::Waker>,
        transaction: Option<transactional::TransactionControl>,
    ) -> Self {
        let accumulator = RecordAccumulator::new(AccumulatorSettings {
            batch_size: config.batch_size,
            compression: config.compression,
            linger: config.linger,
            buffer_memory: config.buffer_memory,
            max_request_size: config.max_request_size,
            idempotent: config.enable_idempotence,
            max_in_flight: config.max_in_flight,
            transactional: config.transactional_id.is_some(),
        });
        let transactions = if config.transactional_id.is_some() {
            transaction::TransactionManager::transactional()
        } else {
            transaction::TransactionManager::default()
        };
        Shared {
            config,
            accumulator,
            metadata: ProducerMetadata::default(),
            transactions,
            counters: Counters::default(),
            waker,
            force_close: AtomicBool::new(false),
            sender_done: AtomicBool::new(false),
            sender_exit: (Mutex::new(()), Condvar::new()),
            sender_thread: std::sync::OnceLock::new(),
            fatal: std::sync::OnceLock::new(),
            id: route::next_producer_id(),
            transaction_failure: Mutex::new(None),
            transaction: transaction.map(Mutex::new),
            adder: partition_adder::AdderSignal::default(),
        }
    }

    fn wake_sender(&self) {
        if let Err(e) = self.waker.wake() {
            log::warn!("cannot wake the producer's sender thread: {e}");
        }
    }

    /// Whether the caller runs on the sender thread (in a delivery callback).
    fn on_sender_thread(&self) -> bool {
        self.sender_thread.get() == Some(&current_thread_id())
    }

    /// Called when the sender thread ends, normally or not. Anything still queued is
    /// failed: a `send()` that raced with `close()` and got its record in after the
    /// sender's last look, or everything when the sender stopped early (`failure`),
    /// after which `send()` fails too. Then `close()` and `flush()` are released.
    fn sender_stopped(&self, failure: Option<KafkaError>) {
        let error = match failure {
            Some(e) => {
                // The sender stops once: a second failure would change nothing.
                let _ = self.fatal.set(e.clone());
                e
            }
            None => KafkaError::closed("the producer was closed before the record was sent"),
        };
        self.accumulator.close();
        self.accumulator.abort_all(&error);
        self.metadata.close();
        self.sender_done.store(true, Ordering::SeqCst);
        let _guard = self.sender_exit.0.lock();
        self.sender_exit.1.notify_all();
    }
}

/// A thread-safe Kafka producer. Share it between threads with an `Arc`.
pub struct KafkaProducer {
    shared: Arc<Shared>,
    closed: AtomicBool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A partitioner's choice, if it names a partition the topic has. A custom
/// partitioner (or a bug) may return -1 or a huge number; used as an index, that
/// would corrupt the accumulator.
fn check_partitioner(partition: i32, topic: &str, partitions: i32) -> Result<i32> {
    if (0..partitions).contains(&partition) {
        Ok(partition)
    } else {
        Err(KafkaError::invalid_argument(format!(
            "the partitioner chose partition {partition} of topic `{topic}`, which has {partitions} partitions"
        )))
    }
}

impl std::fmt::Debug for KafkaProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaProducer")
            .field("client_id", &self.shared.config.client.client_id)
            .field("closed", &self.closed.load(Ordering::SeqCst))
            .finish()
    }
}

impl KafkaProducer {
    /// Starts a producer: checks the configuration (an invalid setting is an error
    /// naming its key) and starts the sender thread. Connecting happens in the
    /// background; `send()` waits up to `max.block.ms` for metadata.
    pub fn new(mut config: ProducerConfig) -> Result<Self> {
        config.validate()?;
        if !config.compression.is_available() {
            return Err(KafkaError::config(
                "compression.type",
                format!(
                    "kafka-sync was built without the `{}` feature",
                    config.compression.name()
                ),
            ));
        }
        let client = KafkaClient::new(config.client.clone())?;
        let transaction = match &config.transactional_id {
            Some(id) => Some(transactional::TransactionControl::new(
                id.clone(),
                config.transaction_timeout,
                KafkaClient::new(config.client.clone())?,
            )),
            None => None,
        };
        let shared = Arc::new(Shared::new(config, client.waker(), transaction));
        let thread = sender::spawn(Arc::clone(&shared), client)?;
        let producer = KafkaProducer {
            shared,
            closed: AtomicBool::new(false),
            thread: Mutex::new(Some(thread)),
        };
        if producer.shared.transaction.is_some() {
            // On failure, dropping the producer stops the sender again.
            partition_adder::spawn(Arc::clone(&producer.shared))?;
        }
        Ok(producer)
    }

    /// Sends a record asynchronously: returns once it is in a batch, with a future
    /// that resolves when the broker has it (or it failed for good).
    ///
    /// Blocks up to `max.block.ms` when the topic's metadata is not known yet or
    /// `buffer.memory` is full. Fails at once for a record larger than
    /// `max.request.size`, an invalid partition, or a closed producer.
    pub fn send(&self, record: ProducerRecord<'_>) -> Result<FutureRecordMetadata> {
        self.send_inner(record, None)
    }

    /// Like [`send`](Self::send), and runs `callback` on the sender thread when the
    /// record is written or fails. Keep callbacks short: they delay other deliveries.
    /// If `send` itself fails, the error is returned and the callback is not run.
    pub fn send_with_callback(
        &self,
        record: ProducerRecord<'_>,
        callback: impl FnOnce(std::result::Result<&RecordMetadata, &KafkaError>) + Send + 'static,
    ) -> Result<FutureRecordMetadata> {
        self.send_inner(record, Some(Box::new(callback)))
    }

    fn send_inner(
        &self,
        record: ProducerRecord<'_>,
        callback: Option<Callback>,
    ) -> Result<FutureRecordMetadata> {
        let shared = &*self.shared;
        if let Some(e) = shared.fatal.get() {
            return Err(e.clone());
        }
        if self.closed.load(Ordering::SeqCst) || shared.accumulator.is_closed() {
            return Err(KafkaError::closed("send() after the producer was closed"));
        }
        if record.topic.is_empty() {
            return Err(KafkaError::invalid_argument("a record needs a topic"));
        }
        let size = record_size_upper_bound(
            record.key.map(<[u8]>::len),
            record.value.map(<[u8]>::len),
            &record.headers,
        ) + HEADER_SIZE;
        if size > shared.config.max_request_size {
            return Err(KafkaError::new(
                ErrorKind::RecordTooLarge,
                format!(
                    "the record is {size} bytes when serialized, larger than max.request.size ({} bytes)",
                    shared.config.max_request_size
                ),
            ));
        }
        // In a delivery callback, send() must not wait: what it would wait for (memory,
        // metadata) only the sender thread, which runs the callback, can provide.
        let max_block = if shared.on_sender_thread() {
            Duration::ZERO
        } else {
            shared.config.max_block
        };
        let deadline = BlockDeadline::new(max_block);
        if self.shared.transaction.is_some() {
            self.lock_transaction("send()", deadline.get())?
                .check_send()?;
        }
        let lookup = || {
            let info = shared
                .metadata
                .wait_for_topic(record.topic, &deadline, || shared.wake_sender())?;
            Ok(route::Route {
                info,
                queues: std::cell::RefCell::new(shared.accumulator.topic_queues(record.topic)),
            })
        };
        let version = shared.metadata.version();
        route::with_route(shared.id, record.topic, version, lookup, |route| {
            self.send_routed(route, record, callback, &deadline)
        })
    }

    /// The rest of `send()`, once the topic's route is known: picks the partition and
    /// appends the record to its queue.
    fn send_routed(
        &self,
        route: &route::Route,
        record: ProducerRecord<'_>,
        callback: Option<Callback>,
        deadline: &BlockDeadline,
    ) -> Result<FutureRecordMetadata> {
        let shared = &*self.shared;
        let info = &*route.info;
        let partitioner = &shared.config.partitioner;
        let mut partition = match record.partition {
            Some(p) if p < 0 || p >= info.partitions => {
                return Err(KafkaError::invalid_argument(format!(
                    "partition {p} of topic `{}` does not exist (it has {} partitions)",
                    record.topic, info.partitions
                )))
            }
            Some(p) => p,
            None => check_partitioner(
                partitioner.partition(record.topic, record.key, info.partitions, &info.available),
                record.topic,
                info.partitions,
            )?,
        };
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        // Keyless records without an explicit partition go to the sticky partition;
        // when its batch is full, the partitioner moves on before a new batch starts
        // (KIP-480), so the new batch opens on the next sticky partition.
        let sticky = record.partition.is_none() && record.key.is_none();
        self.add_to_transaction(record.topic, partition, deadline)?;
        let appended = self.append_routed(
            route, &record, partition, timestamp, callback, deadline, sticky,
        )?;
        let appended = match appended {
            Appended::NeedsNewBatch(callback) => {
                partitioner.on_new_batch(record.topic, partition, info.partitions, &info.available);
                partition = check_partitioner(
                    partitioner.partition(record.topic, None, info.partitions, &info.available),
                    record.topic,
                    info.partitions,
                )?;
                self.add_to_transaction(record.topic, partition, deadline)?;
                self.append_routed(
                    route, &record, partition, timestamp, callback, deadline, false,
                )?
            }
            done => done,
        };
        match appended {
            Appended::Done { future, wake, .. } => {
                if wake {
                    shared.wake_sender();
                }
                Ok(future)
            }
            Appended::NeedsNewBatch(_) => Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "internal error: the accumulator refused a new batch",
            )),
        }
    }

    /// Appends the record to `partition`'s queue, found through the route; a partition
    /// the route's queue list lacks refreshes the list in this thread's cache.
    #[allow(clippy::too_many_arguments)]
    fn append_routed(
        &self,
        route: &route::Route,
        record: &ProducerRecord<'_>,
        partition: i32,
        timestamp: i64,
        callback: Option<Callback>,
        deadline: &BlockDeadline,
        abort_on_new_batch: bool,
    ) -> Result<Appended> {
        let accumulator = &self.shared.accumulator;
        let queues = route.queues.borrow();
        let cached = queues
            .as_ref()
            .filter(|queues| usize::try_from(partition).is_ok_and(|p| p < queues.len()));
        let missing = cached.is_none();
        let appended = accumulator.append(
            record.topic,
            partition,
            cached,
            timestamp,
            record.key,
            record.value,
            &record.headers,
            callback,
            deadline,
            abort_on_new_batch,
        );
        drop(queues);
        if missing {
            *route.queues.borrow_mut() = accumulator.topic_queues(record.topic);
        }
        appended
    }

    /// Sends every record appended before this call without waiting for linger, and
    /// waits until each has been written or failed (failures are reported through the
    /// records' futures and callbacks, not here). `None` waits as long as it takes;
    /// with a timeout, a [`Timeout`](ErrorKind::Timeout) error means some records were
    /// still pending.
    pub fn flush(&self, timeout: Option<Duration>) -> Result<()> {
        if self.shared.on_sender_thread() {
            return Err(KafkaError::invalid_argument(
                "flush() cannot be called from a delivery callback: it would wait for the \
                 thread that runs the callback",
            ));
        }
        let deadline = timeout.map_or_else(crate::time::far_future, crate::time::deadline_in);
        let accumulator = &self.shared.accumulator;
        accumulator.begin_flush();
        self.shared.wake_sender();
        let pending = accumulator.incomplete();
        let mut result = Ok(());
        for completion in pending {
            if completion.wait_until(deadline).is_none() {
                result = Err(KafkaError::timeout(
                    "flush: records still pending when the timeout passed",
                ));
                break;
            }
        }
        accumulator.end_flush();
        result
    }

    /// With a `transactional.id`: notes `topic`-`partition` as a partition of the open
    /// transaction before its first record goes in (waking the partition adder when
    /// it must be added).
    fn add_to_transaction(
        &self,
        topic: &str,
        partition: i32,
        deadline: &BlockDeadline,
    ) -> Result<()> {
        if self.shared.transaction.is_some() {
            let tp = TopicPartition::new(topic, partition);
            if self
                .lock_transaction("send()", deadline.get())?
                .add_partition(&tp)?
            {
                self.shared.adder.notify();
            }
        }
        Ok(())
    }

    /// The transaction's state, locked, waiting for the lock no longer than
    /// `deadline` (the partition adder holds it while its request is out).
    fn lock_transaction(
        &self,
        what: &str,
        deadline: Instant,
    ) -> Result<parking_lot::MutexGuard<'_, transactional::TransactionControl>> {
        let transaction = self.shared.transaction.as_ref().ok_or_else(|| {
            KafkaError::invalid_argument(format!(
                "{what} needs a transactional.id in the producer config"
            ))
        })?;
        transaction.try_lock_until(deadline).ok_or_else(|| {
            KafkaError::timeout(format!(
                "{what}: the transaction coordinator did not answer the partition adder's request in time"
            ))
        })
    }

    /// Makes a producer with a `transactional.id` ready for transactions: finds its
    /// transaction coordinator and gets the id's producer id and epoch, which fences
    /// any older producer with the same `transactional.id` (its open transaction is
    /// finished or aborted first). Call once, before the first transaction; a call
    /// that timed out can be made again and goes on where it stopped.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::{KafkaProducer, ProducerConfig, ProducerRecord};
    ///
    /// let producer = KafkaProducer::new(ProducerConfig::new("localhost:9092").transactional_id("orders-1"))?;
    /// let timeout = Duration::from_secs(30);
    /// producer.init_transactions(timeout)?;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("orders").key("o-1").value("paid"))?;
    /// producer.send(ProducerRecord::new("ledger").key("o-1").value("+10"))?;
    /// match producer.commit_transaction(timeout) {
    ///     Ok(()) => {}
    ///     Err(e) if e.is_abortable() => producer.abort_transaction(timeout)?,
    ///     Err(e) => return Err(e), // fatal (fenced): close the producer
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn init_transactions(&self, timeout: Duration) -> Result<()> {
        let deadline = crate::time::deadline_in(timeout);
        let producer = self
            .lock_transaction("init_transactions()", deadline)?
            .init(deadline)?;
        self.shared.transactions.set_producer(producer);
        self.shared.wake_sender();
        Ok(())
    }

    /// Starts a transaction: the records sent until it is committed or aborted are
    /// written atomically (consumers with `isolation.level=read_committed` see all or
    /// none of them). `send()` outside a transaction is an error.
    pub fn begin_transaction(&self) -> Result<()> {
        let deadline = crate::time::deadline_in(self.shared.config.max_block);
        let mut transaction = self.lock_transaction("begin_transaction()", deadline)?;
        transaction.begin()?;
        self.shared
            .transactions
            .begin_transaction(transaction.uses_v2());
        Ok(())
    }

    /// Commits a consumer group's `offsets` (the next record to read, per partition)
    /// as part of the transaction: the group sees them only if the transaction
    /// commits. `group` comes from the consumer's
    /// [`group_metadata`](crate::KafkaConsumer::group_metadata); with its generation
    /// and member id, the group coordinator refuses the offsets of a member that a
    /// rebalance fenced (KIP-447). This is how consume-transform-produce is exactly
    /// once.
    pub fn send_offsets_to_transaction(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        group: &ConsumerGroupMetadata,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = crate::time::deadline_in(timeout);
        self.lock_transaction("send_offsets_to_transaction()", deadline)?
            .send_offsets(offsets, group, deadline)
    }

    /// Commits the transaction: sends every record of it (as `flush`), then tells the
    /// coordinator, which makes them visible to read_committed consumers. If a record
    /// failed, the error [`is_abortable`](KafkaError::is_abortable): abort the
    /// transaction. A fatal error ([`is_fatal`](KafkaError::is_fatal): fenced by a
    /// newer producer) leaves only `close`. A call that timed out can be made again.
    pub fn commit_transaction(&self, timeout: Duration) -> Result<()> {
        let deadline = crate::time::deadline_in(timeout);
        self.lock_transaction("commit_transaction()", deadline)?
            .start_commit()?;
        self.flush(Some(deadline.saturating_duration_since(Instant::now())))?;
        let failure = self.shared.transaction_failure.lock().clone();
        let moved = self
            .lock_transaction("commit_transaction()", deadline)?
            .finish_commit(failure, deadline)?;
        if let Some(producer) = moved {
            // Protocol v2: the next transaction's records go under the new epoch.
            self.shared.transactions.set_producer(producer);
        }
        Ok(())
    }

    /// Aborts the transaction: records not sent yet fail (their futures say the
    /// transaction was aborted), those in flight are waited for, and the coordinator
    /// marks them all aborted, so read_committed consumers never see them. After an
    /// abortable error, this makes the producer ready for the next transaction. A call
    /// that timed out can be made again.
    pub fn abort_transaction(&self, timeout: Duration) -> Result<()> {
        let deadline = crate::time::deadline_in(timeout);
        self.lock_transaction("abort_transaction()", deadline)?
            .start_abort()?;
        self.shared.accumulator.abort_all(&KafkaError::broker(
            ErrorCode::TRANSACTION_ABORTABLE,
            "a record of a transaction that was aborted before the record was sent",
        ));
        self.flush(Some(deadline.saturating_duration_since(Instant::now())))?;
        *self.shared.transaction_failure.lock() = None;
        let mut transaction = self.lock_transaction("abort_transaction()", deadline)?;
        if let Some(producer) = transaction.finish_abort(deadline)? {
            self.shared.transactions.set_producer(producer);
        }
        if self.shared.transactions.needs_producer_id() {
            // A batch whose fate was unknown needs a new epoch (KIP-360), which only
            // the coordinator gives a transactional producer.
            let producer = transaction.bump_epoch(deadline)?;
            self.shared.transactions.set_producer(producer);
            self.shared.wake_sender();
        }
        Ok(())
    }

    /// The partitions of `topic` (waiting up to `max.block.ms` for its metadata).
    pub fn partitions_for(&self, topic: &str) -> Result<Vec<PartitionMetadata>> {
        let deadline = BlockDeadline::new(self.shared.config.max_block);
        let shared = &*self.shared;
        shared
            .metadata
            .partitions(topic, &deadline, || shared.wake_sender())
    }

    /// A snapshot of the producer's metrics.
    pub fn metrics(&self) -> ProducerMetrics {
        self.shared.counters.snapshot(
            self.shared.accumulator.pool.used(),
            self.shared.config.buffer_memory,
        )
    }

    /// A snapshot of everything the producer measures: the totals of
    /// [`metrics`](Self::metrics), batch and request averages, produce latency
    /// percentiles, buffer memory free, and per-topic and per-broker counts. Cheap:
    /// the counting costs nothing per record, and the snapshot copies counters.
    ///
    /// ```no_run
    /// # use kafka_sync::{KafkaProducer, ProducerConfig};
    /// # let producer = KafkaProducer::new(ProducerConfig::new("localhost:9092"))?;
    /// let before = producer.statistics();
    /// // ... send for a while ...
    /// let after = producer.statistics();
    /// let rates = after.rate_since(&before);
    /// println!(
    ///     "{:.0} records/s, p99 {:?}, {} bytes of buffer free",
    ///     rates.records_per_sec, after.request_latency.p99, after.buffer_available
    /// );
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn statistics(&self) -> ProducerStatistics {
        self.shared.counters.statistics(
            self.shared.accumulator.pool.used(),
            self.shared.config.buffer_memory,
        )
    }

    /// Closes the producer: no new records are accepted, records already sent are
    /// delivered, and the sender thread stops. `None` waits as long as that takes;
    /// with a timeout, records still pending when it passes fail with a
    /// [`Closed`](ErrorKind::Closed) error and this returns a timeout error.
    pub fn close(&self, timeout: Option<Duration>) -> Result<()> {
        let shared = &*self.shared;
        let deadline = timeout.map_or_else(crate::time::far_future, crate::time::deadline_in);
        if let Some(transaction) = &shared.transaction {
            // An open transaction is aborted, as in the Java client (the coordinator
            // would abort it after transaction.timeout.ms anyway).
            let open = transaction
                .try_lock_until(deadline)
                .is_some_and(|t| t.is_open());
            if open && !shared.on_sender_thread() {
                let wait = timeout.unwrap_or(shared.config.max_block);
                if let Err(e) = self.abort_transaction(wait) {
                    log::warn!("close: the open transaction was not aborted: {e}");
                }
            }
            let wait = if shared.on_sender_thread() {
                Duration::ZERO
            } else {
                deadline.saturating_duration_since(Instant::now())
            };
            if !shared.adder.stop(wait) {
                log::warn!("close: the transaction thread is still waiting for the coordinator");
            }
        }
        self.closed.store(true, Ordering::SeqCst);
        shared.accumulator.close();
        shared.metadata.close();
        if shared.on_sender_thread() {
            // From a delivery callback, as in the Java client: close(0). The sender
            // fails what is left once the callback returns; waiting here for it would
            // wait forever.
            log::warn!("close() called from a delivery callback: closing without waiting");
            shared.force_close.store(true, Ordering::SeqCst);
            shared.wake_sender();
            return Ok(());
        }
        shared.wake_sender();
        let timed_out = !self.wait_for_sender(deadline);
        if timed_out {
            shared.force_close.store(true, Ordering::SeqCst);
            shared.wake_sender();
            // The forced sender fails what is left and exits within a poll turn; if a
            // callback holds it up longer, give up waiting rather than overrun the
            // timeout.
            self.wait_for_sender(crate::time::deadline_in(FORCED_CLOSE_GRACE));
        }
        if let Some(thread) = self.thread.lock().take() {
            if shared.sender_done.load(Ordering::SeqCst) {
                let _ = thread.join();
            }
        }
        if timed_out {
            Err(KafkaError::timeout(
                "close: records were still pending when the timeout passed; they were failed",
            ))
        } else {
            Ok(())
        }
    }

    fn wait_for_sender(&self, deadline: Instant) -> bool {
        let (lock, cond) = &self.shared.sender_exit;
        let mut guard = lock.lock();
        while !self.shared.sender_done.load(Ordering::SeqCst) {
            if cond.wait_until(&mut guard, deadline).timed_out() {
                return self.shared.sender_done.load(Ordering::SeqCst);
            }
        }
        true
    }
}

impl Drop for KafkaProducer {
    fn drop(&mut self) {
        if !self.closed.load(Ordering::SeqCst) {
            if let Err(e) = self.close(Some(DROP_CLOSE_TIMEOUT)) {
                log::warn!("producer dropped without close(): {e}");
            }
        }
    }
}

/// Appends `records` records with `value_size`-byte values to a fresh accumulator
/// (one partition, default batch size, no network) and returns how many batches they
/// filled. For the `benches/` micro-benchmark of the append path; not part of the API.
#[cfg(feature = "bench-hooks")]
#[doc(hidden)]
pub fn bench_accumulator_append(
    records: usize,
    value_size: usize,
    compression: crate::Compression,
) -> usize {
    bench_accumulator_append_with_headers(records, value_size, &[], compression)
}

/// Like [`bench_accumulator_append`], with `headers` on every record. For the
/// allocation test (`tests/allocations.rs`), which counts the heap allocations of the
/// append path; not part of the API.
#[cfg(feature = "bench-hooks")]
#[doc(hidden)]
pub fn bench_accumulator_append_with_headers(
    records: usize,
    value_size: usize,
    headers: &[crate::record::Header],
    compression: crate::Compression,
) -> usize {
    let accumulator = RecordAccumulator::new(AccumulatorSettings {
        batch_size: 16 * 1024,
        compression,
        linger: Duration::from_millis(5),
        buffer_memory: 1 << 30,
        max_request_size: 1 << 20,
        idempotent: false,
        max_in_flight: 5,
        transactional: false,
    });
    let value = vec![b'v'; value_size];
    let deadline = BlockDeadline::new(Duration::from_secs(1));
    let mut batches = 0;
    for i in 0..records {
        let appended = accumulator.append(
            "bench",
            0,
            None,
            1_700_000_000_000 + i as i64,
            None,
            Some(&value),
            headers,
            None,
            &deadline,
            false,
        );
        if let Ok(Appended::Done {
            new_batch: true, ..
        }) = appended
        {
            batches += 1;
        }
    }
    batches
}

/// Records `samples` latencies into a statistics histogram, then takes its percentile
/// summary: what the sender adds per produce response, and what a `statistics()` call
/// reads. For the `benches/` micro-benchmark; not part of the API.
#[cfg(feature = "bench-hooks")]
#[doc(hidden)]
pub fn bench_latency_histogram(samples: u64) -> crate::LatencySummary {
    let histogram = crate::stats::LatencyHistogram::default();
    for i in 0..samples {
        histogram.record(Duration::from_micros(i % 100_000));
    }
    histogram.summary()
}

/// The calling thread's id. `send()` asks on every call; `std::thread::current()`
/// clones a handle to answer (two atomic operations), so the id is kept per thread.
fn current_thread_id() -> std::thread::ThreadId {
    thread_local! {
        static ID: std::thread::ThreadId = std::thread::current().id();
    }
    ID.with(|id| *id)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A producer whose sender thread never runs: a unit under test, not a client.
    fn idle_producer() -> KafkaProducer {
        let config = ProducerConfig::new("127.0.0.1:1").enable_idempotence(false);
        let client = KafkaClient::new(config.client.clone()).expect("client");
        KafkaProducer {
            shared: Arc::new(Shared::new(config, client.waker(), None)),
            closed: AtomicBool::new(false),
            thread: Mutex::new(None),
        }
    }

    fn append(producer: &KafkaProducer) -> Result<FutureRecordMetadata> {
        let deadline = BlockDeadline::new(Duration::ZERO);
        match producer.shared.accumulator.append(
            "t",
            0,
            None,
            0,
            None,
            Some(b"v"),
            &[],
            None,
            &deadline,
            false,
        )? {
            Appended::Done { future, .. } => Ok(future),
            Appended::NeedsNewBatch(_) => unreachable!("not asked"),
        }
    }

    #[test]
    fn a_sender_that_stops_early_fails_pending_and_later_records() {
        let producer = idle_producer();
        let pending = append(&producer).expect("append");
        let error = KafkaError::closed("the producer's sender thread stopped: poll failed");
        producer.shared.sender_stopped(Some(error));
        let err = pending.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
        assert!(err.to_string().contains("poll failed"), "{err}");
        let later = producer
            .send(ProducerRecord::new("t").value("later"))
            .unwrap_err();
        assert!(later.to_string().contains("poll failed"), "{later}");
        // flush() and close() do not wait for a sender that is gone.
        producer.flush(None).expect("nothing pending");
        producer.close(None).expect("close");
    }

    #[test]
    fn a_record_appended_after_the_last_sweep_is_refused() {
        let producer = idle_producer();
        let swept = append(&producer).expect("append");
        producer.shared.sender_stopped(None);
        let err = swept.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
        // The accumulator is closed under each partition's lock: nothing gets in.
        let err = append(&producer).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    }

    #[test]
    fn partitioner_choices_out_of_range_are_errors() {
        assert_eq!(check_partitioner(2, "t", 3).ok(), Some(2));
        for bad in [-1, 3, i32::MAX, i32::MIN] {
            let err = check_partitioner(bad, "t", 3).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.to_string().contains(&bad.to_string()), "{err}");
        }
        let producer = idle_producer();
        let deadline = BlockDeadline::new(Duration::ZERO);
        let err = producer
            .shared
            .accumulator
            .append("t", -1, None, 0, None, None, &[], None, &deadline, false)
            .err()
            .expect("a negative partition is refused");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
