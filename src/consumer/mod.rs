//! `KafkaConsumer`: fetching, consumer groups, offsets, iteration with a timeout.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::{ConsumerConfig, KafkaConsumer, OffsetReset};
//!
//! let mut consumer = KafkaConsumer::new(
//!     ConsumerConfig::new("127.0.0.1:9092")
//!         .group_id("billing")
//!         .auto_offset_reset(OffsetReset::Earliest),
//! )?;
//! consumer.subscribe(&["events"])?;
//! for record in consumer.iter(Duration::from_secs(5)) {
//!     let record = record?;
//!     println!("{}-{}@{}: {:?}", record.topic, record.partition, record.offset, record.value);
//! }
//! consumer.close()?;
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```
//!
//! `poll()` runs on the caller's thread: it drives the group membership (joining,
//! rebalance listeners, auto-commit), looks up positions, and returns buffered records
//! while the next fetches are already in flight. A background heartbeat thread keeps
//! the group session alive between polls. See the modules for each part.

pub mod assignor;
mod commits;
mod coordinator;
mod discovery;
mod fetch_session;
mod fetcher;
mod iter;
mod listener;
mod membership;
mod metadata;
mod metrics;
mod offsets;
mod positions;
mod rebalance;
mod record;
mod subscription;
mod typed;
mod validation;
mod wakeup;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex_lite::Regex;

pub use assignor::AssignmentStrategy;
pub use commits::CommitCallback;
pub use iter::ConsumerIter;
pub use listener::ConsumerRebalanceListener;
pub use metrics::{ConsumerRates, ConsumerStatistics, PartitionStatistics};
pub use offsets::{ConsumerGroupMetadata, OffsetAndMetadata, OffsetAndTimestamp};
pub use record::{
    BytesDeserializer, ConsumerRecord, ConsumerRecords, Deserializer, I32Deserializer,
    I64Deserializer, StringDeserializer,
};
pub use typed::{TypedConsumer, TypedIter};
pub use wakeup::WakeupHandle;

use coordinator::GroupCoordinator;
use fetcher::{FetchSettings, Fetcher};
use membership::GroupEvent;
use metadata::MetadataRefresh;
use offsets::{list_offsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP};
use positions::PositionLookups;
use subscription::{FetchState, SubscriptionKind, SubscriptionState};

use crate::client::{KafkaClient, TopicPartition};
use crate::config::{ConsumerConfig, OffsetReset};
use crate::error::{ErrorKind, KafkaError, Result};
use crate::net::Response;

/// The least time a `poll()` gives a blocking lookup (coordinator, committed offsets,
/// reset offsets) even when its own timeout is shorter, so that `poll(0)` still makes
/// progress.
const MIN_LOOKUP_TIME: Duration = Duration::from_millis(100);
/// How often `poll()` looks at the heartbeat thread's findings while it waits.
const GROUP_CHECK_INTERVAL: Duration = Duration::from_millis(100);
/// How long `Drop` waits for a clean close at most.
const DROP_CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Counters describing what the consumer did (see [`KafkaConsumer::metrics`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerMetrics {
    /// Fetch requests sent.
    pub fetch_requests: u64,
    /// Of those, the ones sent within a fetch session (KIP-227), which name only the
    /// partitions whose fetch changed since the last.
    pub incremental_fetch_requests: u64,
    /// Fetch responses received.
    pub fetch_responses: u64,
    /// Records returned by `poll()`.
    pub records_consumed: u64,
    /// Bytes of record data fetched.
    pub bytes_fetched: u64,
    /// Partitions assigned now.
    pub assigned_partitions: usize,
    /// Rebalances this member took part in.
    pub rebalances: u64,
}

/// A Kafka consumer: reads records from assigned partitions, as a member of a
/// consumer group (`subscribe`) or from partitions picked by hand (`assign`).
///
/// It is `Send` but not `Sync`: one thread uses it at a time. Dropping it closes it
/// (committing, if auto-commit is on, and leaving the group) with a bounded wait.
pub struct KafkaConsumer {
    config: ConsumerConfig,
    client: KafkaClient,
    subscriptions: SubscriptionState,
    fetcher: Fetcher,
    group: Option<GroupCoordinator>,
    listener: Option<Box<dyn ConsumerRebalanceListener>>,
    next_auto_commit: Instant,
    positions: PositionLookups,
    /// The group event being carried out, and when the commit before its revocation
    /// gives up (the partitions then go without it).
    group_event: Option<(GroupEvent, Instant)>,
    metadata: MetadataRefresh,
    in_listener: bool,
    closed: bool,
    rebalances: u64,
    /// When the consumer was made, for `statistics()`.
    started: Instant,
    /// Set by a [`WakeupHandle`]; cleared when a call reports it.
    wakeup: Arc<AtomicBool>,
}

impl std::fmt::Debug for KafkaConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaConsumer")
            .field("group", &self.group)
            .field("subscription", &self.subscriptions.topics())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl KafkaConsumer {
    /// A consumer with `config`. Starts the heartbeat thread if there is a group id;
    /// connects on first use.
    pub fn new(config: ConsumerConfig) -> Result<Self> {
        config.validate()?;
        let mut client = KafkaClient::new(config.client.clone())?;
        let wakeup = Arc::new(AtomicBool::new(false));
        client.set_wakeup_flag(Arc::clone(&wakeup));
        let group = match &config.group_id {
            Some(group_id) => Some(GroupCoordinator::new(&config, group_id)?),
            None => None,
        };
        let now = Instant::now();
        Ok(KafkaConsumer {
            subscriptions: SubscriptionState::new(config.auto_offset_reset, group.is_some()),
            fetcher: Fetcher::new(FetchSettings::from_config(&config)),
            next_auto_commit: crate::time::deadline_after(now, config.auto_commit_interval),
            positions: PositionLookups::new(
                now,
                config.client.retry_backoff,
                MIN_LOOKUP_TIME,
                config.isolation_level,
            ),
            metadata: MetadataRefresh::new(now),
            client,
            group,
            listener: None,
            in_listener: false,
            closed: false,
            rebalances: 0,
            started: Instant::now(),
            group_event: None,
            wakeup,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closed {
            return Err(KafkaError::closed("the consumer is closed"));
        }
        Ok(())
    }

    /// A wakeup that came since the last call, as its error (clearing it).
    fn take_wakeup(&self) -> Result<()> {
        if self.wakeup.swap(false, Ordering::SeqCst) {
            return Err(KafkaError::wakeup());
        }
        Ok(())
    }

    /// `result`, clearing the wakeup flag if it is the wakeup's error.
    fn report_wakeup<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Wakeup) {
            self.wakeup.store(false, Ordering::SeqCst);
        }
        result
    }

    /// A handle that interrupts this consumer's blocking calls (`poll`, `commit`...)
    /// from another thread: see [`WakeupHandle`].
    pub fn wakeup_handle(&self) -> WakeupHandle {
        WakeupHandle::new(Arc::clone(&self.wakeup), self.client.waker())
    }

    fn require_group(&self, what: &str) -> Result<()> {
        if self.group.is_none() {
            return Err(KafkaError::invalid_argument(format!(
                "{what} needs a group.id in the consumer config"
            )));
        }
        Ok(())
    }

    /// Subscribes to `topics`: the group assigns their partitions to its members.
    /// Replaces an earlier subscription; takes effect at the next `poll()`.
    pub fn subscribe<S: AsRef<str>>(&mut self, topics: &[S]) -> Result<()> {
        self.ensure_open()?;
        self.require_group("subscribe()")?;
        let mut set = BTreeSet::new();
        for t in topics {
            let t = t.as_ref().trim();
            if t.is_empty() {
                return Err(KafkaError::invalid_argument(
                    "topic names must not be empty",
                ));
            }
            set.insert(t.to_owned());
        }
        if set.is_empty() {
            return self.unsubscribe();
        }
        if self.subscriptions.subscribe(set)? {
            if let Some(group) = &mut self.group {
                group.subscription_changed();
            }
            self.metadata.due_now();
        }
        Ok(())
    }

    /// [`subscribe`](Self::subscribe) with a listener that runs when partitions are
    /// revoked and assigned.
    pub fn subscribe_with_listener<S: AsRef<str>>(
        &mut self,
        topics: &[S],
        listener: impl ConsumerRebalanceListener + 'static,
    ) -> Result<()> {
        self.subscribe(topics)?;
        self.listener = Some(Box::new(listener));
        Ok(())
    }

    /// Subscribes to every topic whose whole name matches the regular expression
    /// `pattern` (now and as topics appear, seen at each metadata refresh:
    /// `metadata.max.age.ms`). Internal topics never match while
    /// `exclude.internal.topics` is on.
    pub fn subscribe_pattern(&mut self, pattern: &str) -> Result<()> {
        self.ensure_open()?;
        self.require_group("subscribe_pattern()")?;
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            KafkaError::invalid_argument(format!(
                "`{pattern}` is not a valid regular expression: {e}"
            ))
        })?;
        self.subscriptions
            .subscribe_pattern(regex, pattern.to_owned())?;
        self.client.request_metadata_update();
        self.metadata.due_now();
        if let Some(group) = &mut self.group {
            group.subscription_changed();
        }
        Ok(())
    }

    /// [`subscribe_pattern`](Self::subscribe_pattern) with a rebalance listener.
    pub fn subscribe_pattern_with_listener(
        &mut self,
        pattern: &str,
        listener: impl ConsumerRebalanceListener + 'static,
    ) -> Result<()> {
        self.subscribe_pattern(pattern)?;
        self.listener = Some(Box::new(listener));
        Ok(())
    }

    /// Reads exactly `partitions`, outside any group membership (offsets can still be
    /// committed to the group, if there is one). Replaces an earlier assignment.
    pub fn assign(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.ensure_open()?;
        if partitions.is_empty() {
            return self.unsubscribe();
        }
        self.subscriptions.assign(partitions)?;
        self.fetcher.retain_assigned(&self.subscriptions);
        self.positions.due_now();
        Ok(())
    }

    /// The partitions assigned now.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.subscriptions.assigned().cloned().collect()
    }

    /// The subscribed topics (for a pattern, those it matched so far; for `assign()`,
    /// the topics of the assigned partitions).
    pub fn subscription(&self) -> BTreeSet<String> {
        self.subscriptions.topics().clone()
    }

    /// Drops the subscription or assignment; a group member leaves the group (after
    /// running the listener's `on_partitions_revoked`).
    pub fn unsubscribe(&mut self) -> Result<()> {
        self.ensure_open()?;
        if self.subscriptions.is_auto() {
            let owned: Vec<TopicPartition> = self.subscriptions.assigned().cloned().collect();
            if !owned.is_empty() {
                self.call_listener(|l, c| l.on_partitions_revoked(c, &owned));
            }
            let deadline = crate::time::deadline_in(self.config.default_api_timeout);
            if let Some(group) = &mut self.group {
                group.leave(&mut self.client, "the consumer unsubscribed", deadline);
            }
        }
        self.subscriptions.unsubscribe();
        self.fetcher.clear();
        self.listener = None;
        self.group_event = None;
        Ok(())
    }

    /// Returns the records fetched since the last call, up to `max.poll.records`,
    /// waiting up to `timeout` for some to arrive. Returns an empty set when none came.
    ///
    /// Group membership happens here too, on the caller's thread: joining, rebalance
    /// listeners, auto-commit. Lookups this needs (the coordinator, committed offsets,
    /// reset offsets) get at least 100 ms even if `timeout` is shorter. A
    /// [`WakeupHandle`] makes it return `Err` with [`ErrorKind::Wakeup`] at once.
    pub fn poll(&mut self, timeout: Duration) -> Result<ConsumerRecords> {
        self.poll_max(timeout, self.config.max_poll_records)
    }

    /// [`poll`](Self::poll) returning at most `max_records` records this time
    /// (kafka-python's `poll(timeout_ms, max_records)`), instead of `max.poll.records`.
    /// The rest stays buffered for the next poll.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use kafka_sync::{ConsumerConfig, KafkaConsumer};
    /// # let mut consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
    /// consumer.subscribe(&["events"])?;
    /// let records = consumer.poll_max(Duration::from_secs(1), 10)?;
    /// assert!(records.len() <= 10);
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn poll_max(&mut self, timeout: Duration, max_records: usize) -> Result<ConsumerRecords> {
        self.ensure_open()?;
        if max_records == 0 {
            return Err(KafkaError::invalid_argument(
                "poll_max() needs max_records of at least 1",
            ));
        }
        self.take_wakeup()?;
        let result = self.poll_inner(timeout, max_records);
        self.report_wakeup(result)
    }

    fn poll_inner(&mut self, timeout: Duration, max_records: usize) -> Result<ConsumerRecords> {
        if self.in_listener {
            return Err(KafkaError::invalid_argument(
                "poll() cannot be called from a rebalance listener",
            ));
        }
        if *self.subscriptions.kind() == SubscriptionKind::None {
            return Err(KafkaError::invalid_argument(
                "the consumer is not subscribed to any topic nor assigned any partition",
            ));
        }
        let started = Instant::now();
        let deadline = crate::time::deadline_after(started, timeout);
        // Lookups (metadata, the coordinator, committed and reset offsets, a commit
        // before a revocation) block while they wait for their answers. Together they
        // get the poll's timeout, or MIN_LOOKUP_TIME if that is shorter, so that
        // poll(0) can make progress; what does not finish goes on in the next poll().
        let lookup_deadline = deadline.max(crate::time::deadline_after(started, MIN_LOOKUP_TIME));
        if let Some(group) = &self.group {
            group.note_poll();
        }
        loop {
            // A lookup that a wakeup interrupted may have swallowed its error.
            self.take_wakeup()?;
            self.metadata.maybe_refresh(
                &mut self.client,
                &mut self.subscriptions,
                &self.config,
                lookup_deadline,
            );
            self.subscriptions
                .update_leader_epochs(self.client.cluster(), self.client.metadata_generation());
            self.group_poll(lookup_deadline)?;
            self.positions.update(
                &mut self.client,
                &mut self.subscriptions,
                self.group.as_mut(),
                lookup_deadline,
            )?;
            let records = self.fetcher.collect(&mut self.subscriptions, max_records)?;
            // Ask for the next data before returning this, so it arrives while the caller
            // works (pipelining). The positions already moved past `records`: if asking
            // fails, hand them out and report the error at the next poll().
            if let Err(e) = self
                .fetcher
                .send_fetches(&mut self.client, &self.subscriptions)
            {
                if records.is_empty() {
                    return Err(e);
                }
                self.fetcher.defer_error(e);
            }
            if !records.is_empty() {
                return Ok(records);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(records);
            }
            let mut wait = deadline - now;
            if self.group.is_some() {
                wait = wait.min(GROUP_CHECK_INTERVAL);
            }
            if self
                .subscriptions
                .states()
                .any(|(_, s)| s.fetch_state != FetchState::Fetching)
            {
                wait = wait.min(
                    self.positions
                        .next_due()
                        .saturating_duration_since(now)
                        .max(Duration::from_millis(1)),
                );
            }
            let responses = self.client.poll(wait)?;
            self.dispatch(responses)?;
        }
    }

    /// An iterator over records that ends once `timeout` passes without a record
    /// (kafka-python's `consumer_timeout_ms`). Errors are yielded as they happen; the
    /// iteration may go on after one.
    pub fn iter(&mut self, timeout: Duration) -> ConsumerIter<'_> {
        ConsumerIter::new(self, timeout)
    }

    /// Moves each partition of `undelivered` (records a `poll()` returned that the
    /// iterator never handed out) back to its first such record, so that commits,
    /// `position()` and the next `poll()` start there.
    fn rewind_to(&mut self, undelivered: &[ConsumerRecord]) {
        let mut seen: Vec<(&str, i32)> = Vec::new();
        for record in undelivered {
            let key = (&*record.topic, record.partition);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            self.subscriptions.rewind(
                &record.topic_partition(),
                record.offset,
                record.leader_epoch,
            );
        }
    }

    /// Hands each response to whoever waits for it.
    fn dispatch(&mut self, responses: Vec<Response>) -> Result<()> {
        let mut first_error = None;
        for response in responses {
            if self.fetcher.owns(&response) {
                self.fetcher
                    .handle_response(response, &mut self.client, &mut self.subscriptions);
                continue;
            }
            let Some(group) = &mut self.group else {
                continue;
            };
            if !group.owns(&response) {
                log::trace!(
                    "dropping a {} response from node {} nobody waits for",
                    response.api_key,
                    response.node_id
                );
                continue;
            }
            match group.handle_response(response, &mut self.client, &self.subscriptions) {
                Ok(Some(event)) => self.start_group_event(event),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(group) = &mut self.group {
            group.run_commit_callbacks();
        }
        first_error.map_or(Ok(()), Err)
    }

    fn default_deadline(&self) -> Instant {
        crate::time::deadline_in(self.config.default_api_timeout)
    }

    fn consumed_offsets(&self) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        self.subscriptions
            .all_consumed()
            .into_iter()
            .map(|(tp, offset)| {
                let epoch = self.subscriptions.state(&tp).and_then(|s| s.position_epoch);
                let mut om = OffsetAndMetadata::new(offset);
                om.leader_epoch = epoch;
                (tp, om)
            })
            .collect()
    }

    /// Commits the positions of all assigned partitions (the offsets after the records
    /// returned so far), waiting up to `default.api.timeout.ms`.
    pub fn commit(&mut self) -> Result<()> {
        let offsets = self.consumed_offsets();
        self.commit_offsets(&offsets)
    }

    /// Commits `offsets` (the offset of the next record to read, per partition).
    pub fn commit_offsets(
        &mut self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<()> {
        self.ensure_open()?;
        self.require_group("commit")?;
        self.take_wakeup()?;
        let deadline = self.default_deadline();
        let member = self.subscriptions.is_auto();
        let Some(group) = &mut self.group else {
            return Ok(());
        };
        let result = group.commit_sync(&mut self.client, offsets, member, deadline);
        group.run_commit_callbacks();
        self.report_wakeup(result)
    }

    /// Commits `offsets` (all positions if `None`) without waiting; `callback` runs on
    /// this thread with the outcome during a later `poll()`, `commit()` or `close()`.
    pub fn commit_async(
        &mut self,
        offsets: Option<BTreeMap<TopicPartition, OffsetAndMetadata>>,
        callback: impl FnOnce(&BTreeMap<TopicPartition, OffsetAndMetadata>, Result<()>) + Send + 'static,
    ) -> Result<()> {
        self.ensure_open()?;
        self.require_group("commit_async()")?;
        let offsets = offsets.unwrap_or_else(|| self.consumed_offsets());
        let deadline = Instant::now() + MIN_LOOKUP_TIME;
        let member = self.subscriptions.is_auto();
        let Some(group) = &mut self.group else {
            return Ok(());
        };
        if !group.knows_coordinator() {
            if let Err(e) = group.ensure_coordinator(&mut self.client, deadline) {
                log::debug!("coordinator lookup for an async commit: {e}");
            }
        }
        group.commit_async(&mut self.client, offsets, member, Some(Box::new(callback)));
        Ok(())
    }

    /// The group's committed offset of `tp`, if any.
    pub fn committed(&mut self, tp: &TopicPartition) -> Result<Option<OffsetAndMetadata>> {
        let mut all = self.committed_offsets(std::slice::from_ref(tp))?;
        Ok(all.remove(tp).flatten())
    }

    /// The group's committed offsets of `partitions` (`None` where there is none).
    pub fn committed_offsets(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        self.ensure_open()?;
        self.require_group("committed()")?;
        self.take_wakeup()?;
        let deadline = self.default_deadline();
        let Some(group) = &mut self.group else {
            return Ok(BTreeMap::new());
        };
        let result = group.fetch_committed(&mut self.client, partitions, deadline);
        self.report_wakeup(result)
    }

    /// The offset of the next record `poll()` returns for `tp`, looking it up (committed
    /// offset or reset policy) if not known yet.
    pub fn position(&mut self, tp: &TopicPartition) -> Result<i64> {
        self.ensure_open()?;
        if !self.subscriptions.is_assigned(tp) {
            return Err(KafkaError::invalid_argument(format!(
                "partition {tp} is not assigned to this consumer"
            )));
        }
        let deadline = self.default_deadline();
        loop {
            self.take_wakeup()?;
            if let Some(position) = self.subscriptions.position(tp) {
                return Ok(position);
            }
            if Instant::now() >= deadline {
                return Err(KafkaError::timeout(format!(
                    "the position of {tp} was not found in time"
                )));
            }
            let lookup = self.positions.lookup(
                &mut self.client,
                &mut self.subscriptions,
                self.group.as_mut(),
                deadline,
            );
            match lookup {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Wakeup => return self.report_wakeup(Err(e)),
                Err(e) if e.is_retriable() => {
                    // A back-off before retrying; nothing to wait on but time.
                    std::thread::sleep(self.config.client.retry_backoff);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes the next `poll()` return records of `tp` from `offset` on.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<()> {
        self.ensure_open()?;
        self.subscriptions.seek(tp, offset)
    }

    /// Makes the next `poll()` return records of `tp` from `offset.offset` on, keeping
    /// `offset.leader_epoch` (as a committed offset has it): before fetching, the
    /// consumer checks with the leader that the log was not truncated below the
    /// offset (KIP-320), and if it was, moves to where the log diverges (or, with
    /// `auto.offset.reset=none`, `poll()` reports the truncation). Java's
    /// `seek(TopicPartition, OffsetAndMetadata)`.
    ///
    /// ```no_run
    /// # use kafka_sync::{ConsumerConfig, KafkaConsumer, TopicPartition};
    /// # let mut consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
    /// let tp = TopicPartition::new("events", 0);
    /// consumer.assign(&[tp.clone()])?;
    /// if let Some(committed) = consumer.committed(&tp)? {
    ///     consumer.seek_to_committed(&tp, &committed)?;
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn seek_to_committed(
        &mut self,
        tp: &TopicPartition,
        offset: &OffsetAndMetadata,
    ) -> Result<()> {
        self.ensure_open()?;
        self.subscriptions
            .seek_with_epoch(tp, offset.offset, offset.leader_epoch)
    }

    fn partitions_or_all(&self, partitions: &[TopicPartition]) -> Vec<TopicPartition> {
        if partitions.is_empty() {
            self.subscriptions.assigned().cloned().collect()
        } else {
            partitions.to_vec()
        }
    }

    /// Moves `partitions` (all assigned ones if empty) to their first offset; looked
    /// up lazily, at the next `poll()` or `position()`.
    pub fn seek_to_beginning(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.ensure_open()?;
        for tp in self.partitions_or_all(partitions) {
            self.subscriptions
                .request_reset(&tp, OffsetReset::Earliest)?;
        }
        self.positions.due_now();
        Ok(())
    }

    /// Moves `partitions` (all assigned ones if empty) to their end: only records
    /// produced from now on are read.
    pub fn seek_to_end(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.ensure_open()?;
        for tp in self.partitions_or_all(partitions) {
            self.subscriptions.request_reset(&tp, OffsetReset::Latest)?;
        }
        self.positions.due_now();
        Ok(())
    }

    /// Stops fetching `partitions` (they stay assigned) until [`resume`](Self::resume).
    pub fn pause(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            self.subscriptions.pause(tp)?;
        }
        Ok(())
    }

    /// Fetches `partitions` again.
    pub fn resume(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            self.subscriptions.resume(tp)?;
        }
        Ok(())
    }

    /// The paused partitions.
    pub fn paused(&self) -> Vec<TopicPartition> {
        self.subscriptions.paused()
    }

    fn offsets_at(
        &mut self,
        partitions: &[TopicPartition],
        timestamp: i64,
    ) -> Result<BTreeMap<TopicPartition, i64>> {
        self.ensure_open()?;
        let query: BTreeMap<TopicPartition, i64> = partitions
            .iter()
            .map(|tp| (tp.clone(), timestamp))
            .collect();
        let deadline = self.default_deadline();
        let found = list_offsets(
            &mut self.client,
            self.config.isolation_level,
            &query,
            deadline,
        )?;
        Ok(found
            .into_iter()
            .filter_map(|(tp, o)| Some((tp, o?.offset)))
            .collect())
    }

    /// The first offset of each partition (the log start offset).
    pub fn beginning_offsets(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, i64>> {
        self.offsets_at(partitions, EARLIEST_TIMESTAMP)
    }

    /// The end offset of each partition: the offset the next record will get (under
    /// read_committed, the last stable offset).
    pub fn end_offsets(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, i64>> {
        self.offsets_at(partitions, LATEST_TIMESTAMP)
    }

    /// For each partition, the earliest offset whose timestamp is at or after the given
    /// one (milliseconds since the epoch); `None` if there is no such record.
    pub fn offsets_for_times(
        &mut self,
        timestamps: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndTimestamp>>> {
        self.ensure_open()?;
        if let Some((tp, t)) = timestamps.iter().find(|(_, &t)| t < 0) {
            return Err(KafkaError::invalid_argument(format!(
                "the timestamp {t} for {tp} is negative"
            )));
        }
        let deadline = self.default_deadline();
        list_offsets(
            &mut self.client,
            self.config.isolation_level,
            timestamps,
            deadline,
        )
    }

    /// How many records of `tp` are left to read: its high watermark (under
    /// read_committed, the last stable offset) as of the last fetch, minus the
    /// position. `None` until a fetch and a position are known. No request is sent
    /// (Java's `currentLag`).
    pub fn current_lag(&self, tp: &TopicPartition) -> Option<i64> {
        let high_watermark = self.subscriptions.state(tp)?.high_watermark?;
        let position = self.subscriptions.position(tp)?;
        Some(high_watermark.saturating_sub(position).max(0))
    }

    /// The high watermark of `tp` from the last fetch response, if any.
    pub fn highwater(&self, tp: &TopicPartition) -> Option<i64> {
        self.subscriptions.state(tp).and_then(|s| s.high_watermark)
    }

    /// The partition numbers of `topic`, or `None` if the topic does not exist.
    pub fn partitions_for_topic(&mut self, topic: &str) -> Result<Option<Vec<i32>>> {
        self.ensure_open()?;
        let timeout = self.config.default_api_timeout;
        self.client
            .update_metadata(Some(&[topic.to_owned()]), false, timeout)?;
        Ok(self
            .client
            .cluster()
            .topic(topic)
            .map(|t| t.partitions.iter().map(|p| p.partition).collect()))
    }

    /// Every topic of the cluster.
    pub fn topics(&mut self) -> Result<BTreeSet<String>> {
        self.ensure_open()?;
        let timeout = self.config.default_api_timeout;
        let response = self.client.update_metadata(None, false, timeout)?;
        Ok(response
            .topics
            .iter()
            .filter(|t| t.error_code == 0)
            .filter_map(|t| t.name.clone())
            .collect())
    }

    /// Asks for a rebalance of the group now, as if the subscription had changed (the
    /// next `poll()` rejoins; Java's `enforceRebalance`). Under the consumer protocol
    /// the broker assigns, so this does nothing there. Fails if the consumer did not
    /// `subscribe`.
    pub fn enforce_rebalance(&mut self) -> Result<()> {
        self.ensure_open()?;
        self.require_group("enforce_rebalance()")?;
        if !self.subscriptions.is_auto() {
            return Err(KafkaError::invalid_argument(
                "enforce_rebalance() needs a subscription (subscribe), not assign()",
            ));
        }
        if let Some(group) = &mut self.group {
            group.enforce_rebalance();
        }
        Ok(())
    }

    /// The member id in the group, if the consumer is a member.
    pub fn member_id(&self) -> Option<String> {
        self.group
            .as_ref()
            .and_then(GroupCoordinator::identity)
            .map(|m| m.member_id)
    }

    /// The group generation the consumer is a member of, if any (under the consumer
    /// protocol, the member epoch).
    pub fn generation(&self) -> Option<i32> {
        self.group
            .as_ref()
            .and_then(GroupCoordinator::identity)
            .map(|m| m.generation)
    }

    /// The consumer's group membership, for a transactional producer's
    /// `send_offsets_to_transaction` (Java's `groupMetadata()`): the group id, and the
    /// generation and member id while the consumer is a member (-1 and empty before it
    /// joined). Fails if the consumer has no `group.id`.
    ///
    /// ```no_run
    /// # use kafka_sync::{ConsumerConfig, KafkaConsumer};
    /// let consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
    /// assert_eq!(consumer.group_metadata()?.group_id, "g");
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn group_metadata(&self) -> Result<ConsumerGroupMetadata> {
        self.require_group("group_metadata()")?;
        let Some(group) = &self.group else {
            return Err(KafkaError::invalid_argument(
                "group_metadata() needs a group.id in the consumer config",
            ));
        };
        let identity = group
            .identity()
            .unwrap_or_else(membership::MemberIdentity::none);
        Ok(ConsumerGroupMetadata {
            group_id: group.group_id().to_owned(),
            generation_id: identity.generation,
            member_id: identity.member_id,
            group_instance_id: group.group_instance_id().map(str::to_owned),
        })
    }

    /// Counters of what the consumer did.
    pub fn metrics(&self) -> ConsumerMetrics {
        let m = &self.fetcher.metrics;
        ConsumerMetrics {
            fetch_requests: m.fetch_requests,
            incremental_fetch_requests: m.incremental_fetch_requests,
            fetch_responses: m.fetch_responses,
            records_consumed: m.records,
            bytes_fetched: m.bytes,
            assigned_partitions: self.subscriptions.assigned().count(),
            rebalances: self.rebalances,
        }
    }

    /// A snapshot of everything the consumer measures: the totals of
    /// [`metrics`](Self::metrics), fetch latency percentiles, each assigned
    /// partition's position, high watermark and lag (Java's `records-lag`), and
    /// per-broker counts. Cheap: nothing is counted per record.
    ///
    /// ```no_run
    /// # use kafka_sync::{ConsumerConfig, KafkaConsumer};
    /// # let mut consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
    /// let stats = consumer.statistics();
    /// for (tp, p) in &stats.partitions {
    ///     println!("{tp}: lag {:?}", p.lag);
    /// }
    /// println!("fetch p99 {:?}", stats.fetch_latency.p99);
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn statistics(&self) -> ConsumerStatistics {
        let partitions = self
            .subscriptions
            .states()
            .map(|(tp, state)| {
                let position = self.subscriptions.position(tp);
                let high_watermark = state.high_watermark;
                let lag = self.current_lag(tp);
                (
                    tp.clone(),
                    PartitionStatistics {
                        position,
                        high_watermark,
                        lag,
                    },
                )
            })
            .collect();
        ConsumerStatistics {
            uptime: self.started.elapsed(),
            totals: self.metrics(),
            fetch_latency: self.fetcher.metrics.latency.summary(),
            partitions,
            brokers: self.client.broker_statistics(),
        }
    }

    /// Closes the consumer: commits the positions (if auto-commit is on), waits for
    /// async commits, runs the listener's `on_partitions_revoked`, and leaves the
    /// group, all within `default.api.timeout.ms`. Calling it again does nothing.
    pub fn close(&mut self) -> Result<()> {
        let timeout = self.config.default_api_timeout;
        self.close_within(timeout)
    }

    /// [`close`](Self::close) within `timeout` instead of `default.api.timeout.ms`
    /// (Java's `close(Duration)`): what does not finish in time (the final commit,
    /// leaving the group) is given up, and the consumer is closed anyway.
    pub fn close_with_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.close_within(timeout)
    }

    fn close_within(&mut self, timeout: Duration) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        // A wakeup does not interrupt a close.
        self.wakeup.store(false, Ordering::SeqCst);
        let deadline = crate::time::deadline_in(timeout);
        let mut result = Ok(());
        let member = self.subscriptions.is_auto();
        if self.group.is_some() {
            let stable = self
                .group
                .as_ref()
                .is_some_and(|g| g.identity().is_some() || !member);
            if self.config.enable_auto_commit && stable {
                let offsets = self.consumed_offsets();
                if let Some(group) = &mut self.group {
                    if let Err(e) = group.commit_sync(&mut self.client, &offsets, member, deadline)
                    {
                        log::warn!("commit on close failed: {e}");
                        result = Err(e);
                    }
                }
            }
            while self
                .group
                .as_ref()
                .is_some_and(GroupCoordinator::has_pending_commits)
                && Instant::now() < deadline
            {
                let wait = deadline
                    .saturating_duration_since(Instant::now())
                    .min(GROUP_CHECK_INTERVAL);
                let responses = match self.client.poll(wait) {
                    Ok(responses) => responses,
                    Err(e) => {
                        log::debug!("while closing: {e}");
                        break;
                    }
                };
                if let Err(e) = self.dispatch(responses) {
                    log::debug!("while closing: {e}");
                }
            }
            if self.subscriptions.is_auto() {
                let owned: Vec<TopicPartition> = self.subscriptions.assigned().cloned().collect();
                if !owned.is_empty() {
                    self.call_listener(|l, c| l.on_partitions_revoked(c, &owned));
                }
            }
            if let Some(group) = &mut self.group {
                group.abandon_pending_commits();
                group.run_commit_callbacks();
                if self.subscriptions.is_auto() {
                    group.leave(&mut self.client, "the consumer is closing", deadline);
                }
                group.close();
            }
        }
        self.closed = true;
        self.fetcher.clear();
        self.client.close_all();
        result
    }
}

impl Drop for KafkaConsumer {
    fn drop(&mut self) {
        let timeout = self.config.default_api_timeout.min(DROP_CLOSE_TIMEOUT);
        if let Err(e) = self.close_within(timeout) {
            log::debug!("closing the consumer on drop: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<KafkaConsumer>();
    }

    #[test]
    fn construction_checks_the_config_and_starts_no_io() {
        let err = KafkaConsumer::new(ConsumerConfig::new("")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        // No broker listens there: creating (and dropping) a consumer must not block.
        let started = Instant::now();
        let consumer =
            KafkaConsumer::new(ConsumerConfig::new("127.0.0.1:1").group_id("g")).unwrap();
        drop(consumer);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn group_metadata_before_joining_and_without_a_group() {
        let consumer = KafkaConsumer::new(
            ConsumerConfig::new("127.0.0.1:1")
                .group_id("g")
                .set("group.instance.id", "i")
                .unwrap(),
        )
        .unwrap();
        let m = consumer.group_metadata().unwrap();
        assert_eq!(
            m,
            ConsumerGroupMetadata {
                group_id: "g".into(),
                generation_id: -1,
                member_id: String::new(),
                group_instance_id: Some("i".into()),
            }
        );
        let lone = KafkaConsumer::new(ConsumerConfig::new("127.0.0.1:1")).unwrap();
        let err = lone.group_metadata().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
