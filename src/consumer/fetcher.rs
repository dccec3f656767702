//! The fetcher: Fetch requests per leader, pipelined, and the records of their
//! responses, read lazily in offset order.
//!
//! At most one Fetch is in flight per broker, within a fetch session with it
//! ([`super::fetch_session`], KIP-227): after the first, a Fetch names only the
//! partitions whose fetch changed. A partition is fetched only when it is
//! fetchable (assigned, position known, not paused) and none of its data is buffered
//! or in flight. `poll()` sends the next round of fetches before it returns records, so
//! that the brokers work on the next batch while the caller processes this one (the
//! Java consumer's pipelining).
//!
//! A response's records stay as the `Bytes` the connection read; batches are parsed,
//! CRC-checked and decompressed only when `poll()` drains them, and keys and values
//! are slices of those buffers, never copied.
//!
//! Under read_committed, the broker returns records only up to the last stable offset
//! plus the list of aborted transactions overlapping them; the consumer must drop the
//! batches of those transactions itself (KIP-98). Walking the batches in offset order,
//! a producer id becomes "aborted" once the batch walk reaches the first offset of one
//! of its aborted transactions, and stops being so at that transaction's abort marker
//! (a control batch). Data batches of an aborted producer are skipped. Control batches
//! are never returned to the user, in either isolation level.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::fetch_session::{FetchSession, PartitionFetch, SessionRequest};
use super::record::{ConsumerRecord, ConsumerRecords};
use super::subscription::{FetchState, SubscriptionState};
use crate::client::{KafkaClient, TopicPartition};
use crate::config::{ConsumerConfig, IsolationLevel, OffsetReset};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{
    FetchRequest, FetchRequestForgottenTopic, FetchRequestPartition, FetchRequestTopic,
    FetchResponse, FetchResponseAbortedTransaction, FetchResponsePartition,
};
use crate::protocol::{Request, Uuid};
use crate::record::{Batch, Batches, ControlRecordType, Records, TimestampType};

/// The first Fetch version that names topics by id.
const FIRST_TOPIC_ID_VERSION: i16 = 13;

/// The fetch settings, from the consumer config.
#[derive(Debug, Clone)]
pub(crate) struct FetchSettings {
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub max_wait_ms: i32,
    pub partition_max_bytes: i32,
    pub isolation: IsolationLevel,
    pub check_crcs: bool,
    pub rack: String,
    pub request_timeout: Duration,
}

impl FetchSettings {
    pub fn from_config(config: &ConsumerConfig) -> Self {
        FetchSettings {
            min_bytes: config.fetch_min_bytes,
            max_bytes: config.fetch_max_bytes,
            max_wait_ms: i32::try_from(config.fetch_max_wait.as_millis()).unwrap_or(i32::MAX),
            partition_max_bytes: config.max_partition_fetch_bytes,
            isolation: config.isolation_level,
            check_crcs: config.check_crcs,
            rack: config.client_rack.clone(),
            request_timeout: config.client.request_timeout,
        }
    }
}

/// A Fetch request waiting for its response.
#[derive(Debug)]
struct InFlight {
    correlation_id: i32,
    sent_at: Instant,
    /// The Fetch version it went at.
    version: i16,
    /// Every partition of the round and where it is fetched from, including those
    /// the session did not need to name.
    next: BTreeMap<TopicPartition, PartitionFetch>,
    /// The session fields and partitions the request carried.
    session: SessionRequest,
    /// Topic names by id, for responses that name topics by id.
    topic_names: HashMap<Uuid, String>,
}

/// Counters for `metrics()`.
#[derive(Debug, Default)]
pub(crate) struct FetchMetrics {
    pub fetch_requests: u64,
    pub incremental_fetch_requests: u64,
    pub fetch_responses: u64,
    pub records: u64,
    pub bytes: u64,
    /// From sending a fetch to its answer.
    pub latency: crate::stats::LatencyHistogram,
}

/// Fetch requests in flight and fetched data waiting to be returned.
#[derive(Debug)]
pub(crate) struct Fetcher {
    settings: FetchSettings,
    in_flight: HashMap<i32, InFlight>,
    /// The fetch session with each broker.
    sessions: HashMap<i32, FetchSession>,
    completed: VecDeque<CompletedFetch>,
    topic_names: HashMap<String, Arc<str>>,
    /// An error to return from the next `collect` (after records already drained).
    pending_error: Option<KafkaError>,
    pub metrics: FetchMetrics,
}

impl Fetcher {
    pub fn new(settings: FetchSettings) -> Self {
        Fetcher {
            settings,
            in_flight: HashMap::new(),
            sessions: HashMap::new(),
            completed: VecDeque::new(),
            topic_names: HashMap::new(),
            pending_error: None,
            metrics: FetchMetrics::default(),
        }
    }

    /// Whether `response` answers one of the fetcher's requests.
    pub fn owns(&self, response: &Response) -> bool {
        self.in_flight
            .get(&response.node_id)
            .is_some_and(|f| f.correlation_id == response.correlation_id)
    }

    fn topic_arc(&mut self, topic: &str) -> Arc<str> {
        if let Some(name) = self.topic_names.get(topic) {
            return Arc::clone(name);
        }
        let name: Arc<str> = Arc::from(topic);
        self.topic_names.insert(topic.to_owned(), Arc::clone(&name));
        name
    }

    /// Sends a Fetch to every leader of fetchable partitions that has none in flight.
    pub fn send_fetches(
        &mut self,
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) -> Result<()> {
        let buffered: HashSet<&TopicPartition> = self.completed.iter().map(|c| &c.tp).collect();
        let mut per_node: HashMap<i32, Vec<(TopicPartition, i64, i32)>> = HashMap::new();
        // Nodes whose fetch must not wait (see `send_one`): those leading a partition
        // whose data is still buffered (their fetch leaves that partition out), and
        // those leading a partition whose position is being validated or reset. A
        // broker answers one connection's requests in order, so the OffsetForLeaderEpoch
        // or ListOffsets for that partition would queue behind a fetch waiting out
        // `fetch.max.wait.ms`, and poll() would give up on it before it came back.
        let mut holding: HashSet<i32> = HashSet::new();
        let mut missing_leader = false;
        for (tp, state) in subscriptions.states() {
            if matches!(
                state.fetch_state,
                FetchState::AwaitValidation | FetchState::AwaitReset(_)
            ) {
                if let Some(leader) = client.cluster().leader_for(&tp.topic, tp.partition) {
                    holding.insert(leader.id);
                }
            }
            if !state.is_fetchable() {
                continue;
            }
            let Some(position) = state.position else {
                continue;
            };
            let Some(leader) = client.cluster().leader_for(&tp.topic, tp.partition) else {
                missing_leader = true;
                continue;
            };
            let node = leader.id;
            if buffered.contains(tp) {
                holding.insert(node);
                continue;
            }
            if self.in_flight.contains_key(&node) {
                continue;
            }
            per_node.entry(node).or_default().push((
                tp.clone(),
                position,
                state.leader_epoch.unwrap_or(-1),
            ));
        }
        if missing_leader {
            client.request_metadata_update();
        }
        let now = std::time::Instant::now();
        for (node, partitions) in per_node {
            if !client.ensure_connecting(node, now) {
                // Connecting (or backing off); the next poll tries again. A leader that
                // cannot be reached may have died: ask who leads now.
                if client.is_failing(node) {
                    client.request_metadata_update();
                }
                continue;
            }
            let wait = !holding.contains(&node);
            self.send_one(client, node, partitions, wait)?;
        }
        Ok(())
    }

    /// Sends one Fetch to `node`. `wait`: the broker may hold the answer for
    /// `fetch.max.wait.ms` until `fetch.min.bytes` arrive. A fetch that leaves out
    /// partitions whose data is still buffered gets no wait: if the partitions it asks
    /// for are at their end, a waiting fetch would hold the one fetch in flight to this
    /// node while the buffered ones drain, and then their next data could only be asked
    /// for once the wait is over (the consumer would idle for up to the wait on every
    /// round, with uneven partitions).
    fn send_one(
        &mut self,
        client: &mut KafkaClient,
        node: i32,
        partitions: Vec<(TopicPartition, i64, i32)>,
        wait: bool,
    ) -> Result<()> {
        let mut version = client.negotiate::<FetchRequest>(node)?;
        // Topic ids are needed from version 13; without them, speak version 12.
        let mut ids: HashMap<String, Uuid> = HashMap::new();
        for (tp, ..) in &partitions {
            let id = client
                .cluster()
                .topic(&tp.topic)
                .map_or(Uuid::ZERO, |t| t.topic_id);
            ids.insert(tp.topic.clone(), id);
        }
        if version >= FIRST_TOPIC_ID_VERSION && ids.values().any(|id| *id == Uuid::ZERO) {
            version = FIRST_TOPIC_ID_VERSION - 1;
            if version < FetchRequest::SUPPORT.min_version {
                return Err(KafkaError::new(
                    ErrorKind::UnsupportedVersion,
                    "the broker wants topic ids in fetches but gave none in metadata",
                ));
            }
        }
        let next: BTreeMap<TopicPartition, PartitionFetch> = partitions
            .into_iter()
            .map(|(tp, offset, leader_epoch)| {
                let topic_id = ids.get(&tp.topic).copied().unwrap_or_default();
                let fetch = PartitionFetch {
                    topic_id,
                    offset,
                    leader_epoch,
                    max_bytes: self.settings.partition_max_bytes,
                };
                (tp, fetch)
            })
            .collect();
        let session = self.sessions.entry(node).or_default().build(&next, version);
        let mut topics: Vec<FetchRequestTopic> = Vec::new();
        for (tp, fetch) in &session.send {
            // The leader epoch fences the fetch: a broker that is not the leader of
            // that epoch answers FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH (KIP-320).
            let partition = FetchRequestPartition {
                partition: tp.partition,
                current_leader_epoch: fetch.leader_epoch,
                fetch_offset: fetch.offset,
                partition_max_bytes: fetch.max_bytes,
                ..Default::default()
            };
            match topics.last_mut() {
                Some(t) if t.topic == tp.topic => t.partitions.push(partition),
                _ => topics.push(FetchRequestTopic {
                    topic: tp.topic.clone(),
                    topic_id: fetch.topic_id,
                    partitions: vec![partition],
                }),
            }
        }
        let mut forgotten: Vec<FetchRequestForgottenTopic> = Vec::new();
        for (tp, topic_id) in &session.forget {
            match forgotten.last_mut() {
                Some(t) if t.topic == tp.topic => t.partitions.push(tp.partition),
                _ => forgotten.push(FetchRequestForgottenTopic {
                    topic: tp.topic.clone(),
                    topic_id: *topic_id,
                    partitions: vec![tp.partition],
                }),
            }
        }
        let max_wait_ms = if wait { self.settings.max_wait_ms } else { 0 };
        let request = FetchRequest {
            max_wait_ms,
            min_bytes: self.settings.min_bytes,
            max_bytes: self.settings.max_bytes,
            isolation_level: self.settings.isolation.as_i8(),
            session_id: session.session_id,
            session_epoch: session.session_epoch,
            topics,
            forgotten_topics_data: forgotten,
            rack_id: self.settings.rack.clone(),
            ..Default::default()
        };
        let timeout = self.settings.request_timeout
            + Duration::from_millis(u64::try_from(max_wait_ms).unwrap_or(0));
        let correlation_id = client.send_with(node, &request, version, timeout, true)?;
        self.metrics.fetch_requests += 1;
        if !session.is_full() {
            self.metrics.incremental_fetch_requests += 1;
        }
        let topic_names = ids.into_iter().map(|(name, id)| (id, name)).collect();
        self.in_flight.insert(
            node,
            InFlight {
                correlation_id,
                sent_at: Instant::now(),
                version,
                next,
                session,
                topic_names,
            },
        );
        Ok(())
    }

    /// Takes in the response of a Fetch this fetcher sent: buffers the data of every
    /// partition whose position is still where the fetch started, and handles errors.
    pub fn handle_response(
        &mut self,
        response: Response,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
    ) {
        let Some(in_flight) = self.in_flight.remove(&response.node_id) else {
            return;
        };
        let node = response.node_id;
        let decoded = match response.decode::<FetchRequest>() {
            Ok(decoded) => decoded,
            Err(e) => {
                // The broker's view of the session is unknown now.
                if let Some(session) = self.sessions.get_mut(&node) {
                    session.on_failure();
                }
                return self.fetch_failed(node, e, client);
            }
        };
        self.metrics.fetch_responses += 1;
        self.metrics.latency.record(in_flight.sent_at.elapsed());
        let error = ErrorCode(decoded.error_code);
        let session_id = decoded.session_id;
        self.absorb(decoded, &in_flight, client, subscriptions);
        let InFlight {
            version,
            next,
            session: sent,
            ..
        } = in_flight;
        self.sessions
            .entry(node)
            .or_default()
            .on_response(&sent, next, version, error, session_id);
    }

    /// A Fetch to `node` that failed as a whole with `e`.
    fn fetch_failed(&mut self, node: i32, e: KafkaError, client: &mut KafkaClient) {
        match e {
            e if e.kind() == ErrorKind::CorruptMessage => {
                // An answer that cannot be read (among them one larger than
                // receive.message.max.bytes, which closed the connection) would come
                // back the same on every retry: the caller must hear of it.
                log::warn!("fetch from node {node} failed: {e}");
                self.defer_error(e.context(format!(
                    "fetching from node {node} (if the answer is too large: raise \
                     receive.message.max.bytes, or lower fetch.max.bytes and \
                     max.partition.fetch.bytes)"
                )));
            }
            e => {
                log::debug!("fetch from node {node} failed: {e}");
                if e.is_invalid_metadata() {
                    client.request_metadata_update();
                }
            }
        }
    }

    fn absorb(
        &mut self,
        response: FetchResponse,
        in_flight: &InFlight,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
    ) {
        if response.error_code != 0 {
            log::debug!(
                "fetch failed: {}",
                KafkaError::broker(ErrorCode(response.error_code), "fetch")
            );
            return;
        }
        for topic in response.responses {
            let name = if topic.topic.is_empty() {
                match in_flight.topic_names.get(&topic.topic_id) {
                    Some(name) => name.clone(),
                    None => continue,
                }
            } else {
                topic.topic
            };
            let arc = self.topic_arc(&name);
            for partition in topic.partitions {
                let tp = TopicPartition::new(name.clone(), partition.partition_index);
                let Some(fetch_offset) = in_flight.next.get(&tp).map(|f| f.offset) else {
                    continue;
                };
                let Some(state) = subscriptions.state_mut(&tp) else {
                    continue;
                };
                if state.position != Some(fetch_offset) || !state.is_fetchable() {
                    // Seeked, paused or reset meanwhile: the data is stale.
                    continue;
                }
                let error = ErrorCode(partition.error_code);
                if error == ErrorCode::NONE {
                    if partition.high_watermark >= 0 {
                        state.high_watermark = Some(partition.high_watermark);
                    }
                    if partition.last_stable_offset >= 0 {
                        state.last_stable_offset = Some(partition.last_stable_offset);
                    }
                    if partition.log_start_offset >= 0 {
                        state.log_start_offset = Some(partition.log_start_offset);
                    }
                    let fetch = CompletedFetch::new(
                        tp,
                        Arc::clone(&arc),
                        fetch_offset,
                        partition,
                        self.settings.isolation,
                        self.settings.check_crcs,
                    );
                    if let Some(fetch) = fetch {
                        self.metrics.bytes += fetch.size as u64;
                        self.completed.push_back(fetch);
                    }
                    continue;
                }
                self.partition_error(tp, fetch_offset, error, client, subscriptions);
            }
        }
    }

    fn partition_error(
        &mut self,
        tp: TopicPartition,
        fetch_offset: i64,
        error: ErrorCode,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
    ) {
        if error == ErrorCode::OFFSET_OUT_OF_RANGE {
            if subscriptions.default_reset() == OffsetReset::None {
                self.pending_error = Some(KafkaError::broker(
                    error,
                    format!(
                        "fetching {tp} at offset {fetch_offset} (auto.offset.reset is none: seek to a valid offset)"
                    ),
                ));
            } else {
                log::info!(
                    "offset {fetch_offset} of {tp} is out of range; resetting to {}",
                    subscriptions.default_reset()
                );
                subscriptions.reset_to_default(&tp);
            }
        } else if error.is_invalid_metadata()
            || error == ErrorCode::FENCED_LEADER_EPOCH
            || error == ErrorCode::UNKNOWN_LEADER_EPOCH
            || error == ErrorCode::KAFKA_STORAGE_ERROR
            || error == ErrorCode::OFFSET_NOT_AVAILABLE
        {
            log::debug!("fetch of {tp}: {}; refreshing metadata", error.name());
            client.request_metadata_update();
        } else if error == ErrorCode::TOPIC_AUTHORIZATION_FAILED
            || error == ErrorCode::CORRUPT_MESSAGE
            || error == ErrorCode::UNSUPPORTED_COMPRESSION_TYPE
        {
            self.pending_error = Some(KafkaError::broker(error, format!("fetching {tp}")));
        } else {
            log::warn!("fetch of {tp} failed: {}; retrying", error.name());
        }
    }

    /// Keeps `e` to be returned by the next [`collect`](Self::collect), when records
    /// are in hand that must reach the caller first.
    pub fn defer_error(&mut self, e: KafkaError) {
        if self.pending_error.is_none() {
            self.pending_error = Some(e);
        }
    }

    /// Returns up to `max_records` buffered records, advancing positions past them.
    pub fn collect(
        &mut self,
        subscriptions: &mut SubscriptionState,
        max_records: usize,
    ) -> Result<ConsumerRecords> {
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        let mut result = ConsumerRecords::empty();
        let mut remaining = max_records;
        while remaining > 0 {
            let Some(fetch) = self.completed.front_mut() else {
                break;
            };
            let Some(state) = subscriptions.state_mut(&fetch.tp) else {
                self.completed.pop_front();
                continue;
            };
            if !state.is_fetchable() || state.position != Some(fetch.next_offset) {
                self.completed.pop_front();
                continue;
            }
            let mut records = Vec::with_capacity(remaining.min(fetch.estimated_records()));
            let drained = fetch.drain(remaining, &mut records);
            state.position = Some(fetch.next_offset);
            if let Some(epoch) = fetch.last_epoch {
                state.position_epoch = Some(epoch);
            }
            remaining -= records.len();
            self.metrics.records += records.len() as u64;
            let tp = fetch.tp.clone();
            result.push(&tp, records);
            match drained {
                Ok(true) => {
                    self.completed.pop_front();
                }
                Ok(false) => {}
                Err(e) => {
                    self.completed.pop_front();
                    let e = e.context(format!("reading {tp}"));
                    if result.is_empty() {
                        return Err(e);
                    }
                    self.pending_error = Some(e);
                    break;
                }
            }
        }
        Ok(result)
    }

    /// Drops buffered data and forgets in-flight fetches of partitions no longer
    /// assigned (after a rebalance); their responses will be ignored.
    pub fn retain_assigned(&mut self, subscriptions: &SubscriptionState) {
        self.completed.retain(|c| subscriptions.is_assigned(&c.tp));
    }

    /// Drops all buffered data (after `unsubscribe()`).
    pub fn clear(&mut self) {
        self.completed.clear();
        self.pending_error = None;
    }
}

/// What the drain knows about the batch it is in.
#[derive(Debug)]
struct CurrentBatch {
    records: Records,
    next_offset: i64,
    leader_epoch: Option<i32>,
    timestamp_type: TimestampType,
}

/// The data of one partition from one Fetch response, read lazily.
#[derive(Debug)]
pub(crate) struct CompletedFetch {
    tp: TopicPartition,
    topic: Arc<str>,
    /// The offset of the next record to return.
    next_offset: i64,
    batches: Batches,
    current: Option<CurrentBatch>,
    read_committed: bool,
    check_crcs: bool,
    /// Aborted transactions not reached yet, by first offset.
    aborted: BinaryHeap<Reverse<(i64, i64)>>,
    /// Producers whose transaction is aborted at the current point of the walk.
    aborted_producers: HashSet<i64>,
    last_epoch: Option<i32>,
    size: usize,
}

impl CompletedFetch {
    /// The fetched data of a partition, or `None` if it holds no records.
    pub(crate) fn new(
        tp: TopicPartition,
        topic: Arc<str>,
        fetch_offset: i64,
        partition: FetchResponsePartition,
        isolation: IsolationLevel,
        check_crcs: bool,
    ) -> Option<CompletedFetch> {
        let records: Bytes = partition.records.filter(|r| !r.is_empty())?;
        let read_committed = isolation == IsolationLevel::ReadCommitted;
        let aborted = if read_committed {
            partition
                .aborted_transactions
                .unwrap_or_default()
                .into_iter()
                .map(
                    |FetchResponseAbortedTransaction {
                         producer_id,
                         first_offset,
                     }| { Reverse((first_offset, producer_id)) },
                )
                .collect()
        } else {
            BinaryHeap::new()
        };
        Some(CompletedFetch {
            tp,
            topic,
            next_offset: fetch_offset,
            size: records.len(),
            batches: Batches::new(records),
            current: None,
            read_committed,
            check_crcs,
            aborted,
            aborted_producers: HashSet::new(),
            last_epoch: None,
        })
    }

    /// A guess of how many records are left, for sizing the output vector.
    fn estimated_records(&self) -> usize {
        (self.batches.remaining() / 64).clamp(16, 4096)
    }

    /// Appends up to `max` records to `out`. Returns whether the data is used up.
    pub(crate) fn drain(&mut self, max: usize, out: &mut Vec<ConsumerRecord>) -> Result<bool> {
        let start = out.len();
        while out.len() - start < max {
            if let Some(current) = &mut self.current {
                match current.records.next() {
                    Some(Ok(record)) => {
                        // A fetch may start inside a batch: skip what precedes the position.
                        if record.offset < self.next_offset {
                            continue;
                        }
                        // The batch reader checked that the offset after the batch
                        // exists, so this cannot overflow.
                        self.next_offset = record.offset.saturating_add(1);
                        self.last_epoch = current.leader_epoch;
                        out.push(ConsumerRecord {
                            topic: Arc::clone(&self.topic),
                            partition: self.tp.partition,
                            offset: record.offset,
                            timestamp: record.timestamp,
                            timestamp_type: current.timestamp_type,
                            key: record.key,
                            value: record.value,
                            headers: record.headers,
                            leader_epoch: current.leader_epoch,
                        });
                    }
                    Some(Err(e)) => {
                        self.current = None;
                        return Err(e);
                    }
                    None => {
                        // Past the batch, even if its last records were compacted away.
                        self.next_offset = self.next_offset.max(current.next_offset);
                        self.current = None;
                    }
                }
                continue;
            }
            let batch = match self.batches.next() {
                None => {
                    if self.batches.is_truncated()
                        && out.len() == start
                        && self.batches.remaining() == self.size
                    {
                        return Err(KafkaError::new(
                            ErrorKind::RecordTooLarge,
                            format!(
                                "the first batch of {} at offset {} is larger than the fetch size; raise max.partition.fetch.bytes",
                                self.tp, self.next_offset
                            ),
                        ));
                    }
                    return Ok(true);
                }
                Some(Err(e)) => return Err(e),
                Some(Ok(batch)) => batch,
            };
            if batch.next_offset() <= self.next_offset {
                continue;
            }
            if self.check_crcs {
                batch.verify_crc()?;
            }
            if self.skip_batch(&batch)? {
                self.next_offset = self.next_offset.max(batch.next_offset());
                continue;
            }
            let (leader_epoch, timestamp_type) = match &batch {
                Batch::V2(b) => (
                    (b.partition_leader_epoch() >= 0).then_some(b.partition_leader_epoch()),
                    b.timestamp_type(),
                ),
                Batch::Legacy(m) => (None, m.timestamp_type()),
            };
            self.current = Some(CurrentBatch {
                records: batch.records(),
                next_offset: batch.next_offset(),
                leader_epoch,
                timestamp_type,
            });
        }
        Ok(self.current.is_none() && self.batches.remaining() == 0)
    }

    /// Whether the batch is not for the user: a control batch, or (read_committed) a
    /// batch of an aborted transaction.
    fn skip_batch(&mut self, batch: &Batch) -> Result<bool> {
        let Batch::V2(b) = batch else {
            return Ok(false);
        };
        if self.read_committed {
            // Transactions whose first offset the walk has reached are now aborted.
            while let Some(Reverse((first_offset, producer_id))) = self.aborted.peek().copied() {
                if first_offset > b.last_offset() {
                    break;
                }
                self.aborted.pop();
                self.aborted_producers.insert(producer_id);
            }
            if b.is_control() {
                if let Some(control) = b.control_record()? {
                    if control.kind == ControlRecordType::Abort {
                        self.aborted_producers.remove(&b.producer_id());
                    }
                }
                return Ok(true);
            }
            if b.is_transactional() && self.aborted_producers.contains(&b.producer_id()) {
                return Ok(true);
            }
        }
        Ok(b.is_control())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{end_transaction_marker, set_base_offset, RecordBatchBuilder};
    use crate::Compression;

    #[test]
    fn a_deferred_error_comes_with_the_next_collect_once() {
        // poll() hands out the records it has and keeps the error of the fetch it
        // could not send for the next call.
        let config = crate::ConsumerConfig::new("127.0.0.1:1");
        let mut fetcher = Fetcher::new(FetchSettings::from_config(&config));
        let mut subscriptions = SubscriptionState::new(crate::OffsetReset::Latest, false);
        fetcher.defer_error(KafkaError::connection("the fetch could not be sent"));
        fetcher.defer_error(KafkaError::connection("a second one is not kept"));
        let err = fetcher.collect(&mut subscriptions, 10).unwrap_err();
        assert!(err.to_string().contains("could not be sent"), "{err}");
        assert!(fetcher
            .collect(&mut subscriptions, 10)
            .expect("once")
            .is_empty());
    }

    /// A batch of `values` at `base_offset`, transactional for `producer_id >= 0`.
    fn batch(base_offset: i64, producer_id: i64, values: &[&str]) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(
            Compression::None,
            1_000,
            producer_id,
            if producer_id >= 0 { 0 } else { -1 },
            if producer_id >= 0 { 0 } else { -1 },
            producer_id >= 0,
        );
        for v in values {
            b.append(1_000, None, Some(v.as_bytes()), &[]).unwrap();
        }
        let mut bytes = b.build().unwrap().to_vec();
        set_base_offset(&mut bytes, base_offset).unwrap();
        bytes
    }

    fn marker(offset: i64, producer_id: i64, kind: ControlRecordType) -> Vec<u8> {
        let mut bytes = end_transaction_marker(kind, 1_000, producer_id, 0, 0)
            .unwrap()
            .to_vec();
        set_base_offset(&mut bytes, offset).unwrap();
        bytes
    }

    fn fetch(
        parts: &[Vec<u8>],
        aborted: &[(i64, i64)],
        isolation: IsolationLevel,
        from: i64,
    ) -> Vec<(i64, String)> {
        let partition = FetchResponsePartition {
            records: Some(Bytes::from(parts.concat())),
            aborted_transactions: Some(
                aborted
                    .iter()
                    .map(
                        |&(producer_id, first_offset)| FetchResponseAbortedTransaction {
                            producer_id,
                            first_offset,
                        },
                    )
                    .collect(),
            ),
            ..Default::default()
        };
        let mut f = CompletedFetch::new(
            TopicPartition::new("t", 0),
            Arc::from("t"),
            from,
            partition,
            isolation,
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        assert!(f.drain(usize::MAX, &mut out).unwrap());
        out.into_iter()
            .map(|r| {
                (
                    r.offset,
                    String::from_utf8(r.value.unwrap().to_vec()).unwrap(),
                )
            })
            .collect()
    }

    fn values(records: &[(i64, String)]) -> Vec<&str> {
        records.iter().map(|(_, v)| v.as_str()).collect()
    }

    #[test]
    fn read_committed_drops_aborted_transactions_and_markers() {
        // offsets: 0-1 plain, 2-3 txn pid 7 (aborted), 4 abort marker,
        // 5-6 txn pid 8 (committed), 7 commit marker, 8 plain.
        let parts = vec![
            batch(0, -1, &["a", "b"]),
            batch(2, 7, &["x1", "x2"]),
            marker(4, 7, ControlRecordType::Abort),
            batch(5, 8, &["c", "d"]),
            marker(7, 8, ControlRecordType::Commit),
            batch(8, -1, &["e"]),
        ];
        let committed = fetch(&parts, &[(7, 2)], IsolationLevel::ReadCommitted, 0);
        assert_eq!(values(&committed), ["a", "b", "c", "d", "e"]);
        let offsets: Vec<i64> = committed.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, [0, 1, 5, 6, 8]);

        // read_uncommitted sees the aborted records, never the markers.
        let all = fetch(&parts, &[(7, 2)], IsolationLevel::ReadUncommitted, 0);
        assert_eq!(values(&all), ["a", "b", "x1", "x2", "c", "d", "e"]);
    }

    #[test]
    fn interleaved_producers_only_the_aborted_one_is_dropped() {
        // pid 1 and pid 2 interleave; pid 1 aborts, pid 2 commits.
        let parts = vec![
            batch(0, 1, &["p1-a"]),
            batch(1, 2, &["p2-a"]),
            batch(2, 1, &["p1-b"]),
            batch(3, 2, &["p2-b"]),
            marker(4, 1, ControlRecordType::Abort),
            batch(5, 2, &["p2-c"]),
            marker(6, 2, ControlRecordType::Commit),
        ];
        let got = fetch(&parts, &[(1, 0)], IsolationLevel::ReadCommitted, 0);
        assert_eq!(values(&got), ["p2-a", "p2-b", "p2-c"]);
    }

    #[test]
    fn same_producer_aborts_then_commits_a_later_transaction() {
        // pid 5: txn at 0-1 aborted (marker 2), then txn at 3-4 committed (marker 5).
        let parts = vec![
            batch(0, 5, &["bad1", "bad2"]),
            marker(2, 5, ControlRecordType::Abort),
            batch(3, 5, &["good1", "good2"]),
            marker(5, 5, ControlRecordType::Commit),
        ];
        let got = fetch(&parts, &[(5, 0)], IsolationLevel::ReadCommitted, 0);
        assert_eq!(values(&got), ["good1", "good2"]);
    }

    #[test]
    fn two_aborted_transactions_of_one_producer() {
        let parts = vec![
            batch(0, 5, &["bad1"]),
            marker(1, 5, ControlRecordType::Abort),
            batch(2, -1, &["plain"]),
            batch(3, 5, &["bad2"]),
            marker(4, 5, ControlRecordType::Abort),
        ];
        let got = fetch(&parts, &[(5, 0), (5, 3)], IsolationLevel::ReadCommitted, 0);
        assert_eq!(values(&got), ["plain"]);
    }

    #[test]
    fn a_fetch_starting_inside_a_batch_skips_earlier_records() {
        let parts = vec![batch(10, -1, &["a", "b", "c"]), batch(13, -1, &["d"])];
        let got = fetch(&parts, &[], IsolationLevel::ReadUncommitted, 11);
        assert_eq!(values(&got), ["b", "c", "d"]);
    }

    #[test]
    fn drain_stops_at_max_and_resumes() {
        let parts = [batch(0, -1, &["a", "b", "c"])].concat();
        let partition = FetchResponsePartition {
            records: Some(Bytes::from(parts)),
            ..Default::default()
        };
        let mut f = CompletedFetch::new(
            TopicPartition::new("t", 0),
            Arc::from("t"),
            0,
            partition,
            IsolationLevel::ReadUncommitted,
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        assert!(!f.drain(2, &mut out).unwrap());
        assert_eq!(out.len(), 2);
        assert_eq!(f.next_offset, 2);
        assert!(f.drain(2, &mut out).unwrap());
        assert_eq!(out.len(), 3);
        assert_eq!(f.next_offset, 3);
    }

    #[test]
    fn corrupt_crc_is_an_error() {
        let mut bytes = batch(0, -1, &["a"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let partition = FetchResponsePartition {
            records: Some(Bytes::from(bytes)),
            ..Default::default()
        };
        let mut f = CompletedFetch::new(
            TopicPartition::new("t", 0),
            Arc::from("t"),
            0,
            partition,
            IsolationLevel::ReadUncommitted,
            true,
        )
        .unwrap();
        let err = f.drain(10, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptMessage, "{err}");
    }

    #[test]
    fn control_batch_at_the_end_moves_the_position_past_it() {
        let parts = [batch(0, 3, &["a"]), marker(1, 3, ControlRecordType::Commit)];
        let partition = FetchResponsePartition {
            records: Some(Bytes::from(parts.concat())),
            ..Default::default()
        };
        let mut f = CompletedFetch::new(
            TopicPartition::new("t", 0),
            Arc::from("t"),
            0,
            partition,
            IsolationLevel::ReadUncommitted,
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        assert!(f.drain(10, &mut out).unwrap());
        assert_eq!(out.len(), 1);
        assert_eq!(f.next_offset, 2, "past the marker");
    }
}
