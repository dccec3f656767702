//! The sender thread: the only thread of a producer that touches the network.
//!
//! Each turn of its loop it
//! 1. asks for metadata when `send()` callers wait for a topic, a leader moved, or the
//!    metadata is older than `metadata.max.age.ms`;
//! 2. with idempotence, makes sure it has a producer id (InitProducerId);
//! 3. finds the leaders that have sendable batches and drains them into one produce
//!    request per leader (up to `max.request.size`, within the in-flight limit);
//! 4. expires batches older than `delivery.timeout.ms`;
//! 5. polls the network until a response arrives, a linger or back-off deadline comes,
//!    or a `send()` wakes it, and completes, retries or fails batches from the
//!    responses.
//!
//! Every batch it takes is eventually completed exactly once, with its broker offset or
//! an error: on close it sends what is queued and waits for the answers; on a forced
//! close (the close timeout passed) it fails whatever is left.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::batch::{ProducerBatch, Sequence};
use super::future::BatchOutcome;
use super::metrics::Counters;
use super::Shared;
use crate::client::KafkaClient;
use crate::config::{Acks, ProducerConfig};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{
    InitProducerIdRequest, ProduceRequest, ProduceRequestPartition, ProduceRequestTopic,
    ProduceResponse,
};

/// The longest the loop sleeps without a reason, so that metadata age and expiry are
/// checked regularly.
const MAX_IDLE: Duration = Duration::from_millis(200);

/// How often the sender copies its connections' counts for `statistics()`.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// The highest Produce version of transactions protocol v1: from version 12 a
/// transactional batch adds its partition to the transaction on the broker, which a
/// producer may ask for only when the cluster finalized `transaction.version` 2
/// (KIP-890), as the Java client does.
const PRODUCE_MAX_WITHOUT_TRANSACTION_V2: i16 = 11;

/// The highest Produce version this producer may use.
fn produce_version_cap(shared: &Shared) -> i16 {
    if shared.transactions.transaction_v2() {
        i16::MAX
    } else {
        PRODUCE_MAX_WITHOUT_TRANSACTION_V2
    }
}

/// A produce request waiting for its response.
struct InFlight {
    batches: Vec<ProducerBatch>,
    sent_at: Instant,
}

/// A non-produce request of the sender's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    node: i32,
    correlation_id: i32,
}

/// What the sender does this turn about a leader that has sendable batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeAction {
    /// Drain its batches into one more produce request.
    Drain,
    /// Leave its batches queued: the connection is not ready yet, or it already has
    /// `max.in.flight.requests.per.connection` requests out.
    Wait,
    /// Leave its batches queued and ask who leads: its connection keeps failing.
    RefreshMetadata,
}

/// Whether a leader takes a produce request now. `connected`: its connection can take
/// a request; `failing`: its last connection attempt failed; `in_flight`: the requests
/// out on the connection. A request is only added while fewer than `max_in_flight`
/// are out, so there are never more than `max_in_flight`.
fn node_action(
    connected: bool,
    failing: bool,
    in_flight: usize,
    max_in_flight: usize,
) -> NodeAction {
    if connected {
        if in_flight < max_in_flight {
            NodeAction::Drain
        } else {
            NodeAction::Wait
        }
    } else if failing {
        // The leader cannot be reached: it may have died and another replica taken
        // over. Ask who leads now (the metadata request has its own back-off), as the
        // Java client does on every failed connection.
        NodeAction::RefreshMetadata
    } else {
        NodeAction::Wait
    }
}

/// What a produce response says about one of its batches.
#[derive(Debug)]
enum PartitionVerdict {
    /// Written (or, for a duplicate, written before).
    Succeed(BatchOutcome),
    /// OUT_OF_ORDER_SEQUENCE_NUMBER for a sequenced batch: an earlier batch of the
    /// partition is missing; it goes again at once, in order, with its sequence.
    OutOfOrder(Sequence),
    /// UNKNOWN_PRODUCER_ID or INVALID_PRODUCER_ID_MAPPING for a sequenced batch: the
    /// broker lost the producer's state; it goes again at once under a bumped epoch.
    LostProducerState(Sequence),
    /// Any other error: retried if [`retry_decision`] allows, failed otherwise.
    RetryOrFail(KafkaError),
}

/// The verdict of `response` on `batch`.
fn partition_verdict(batch: &ProducerBatch, response: &ProduceResponse) -> PartitionVerdict {
    let partition = response
        .responses
        .iter()
        .filter(|t| *t.name == *batch.topic)
        .flat_map(|t| t.partition_responses.iter())
        .find(|p| p.index == batch.partition);
    let Some(p) = partition else {
        return PartitionVerdict::RetryOrFail(KafkaError::new(
            ErrorKind::UnexpectedResponse,
            format!(
                "produce response has no result for {}-{}",
                batch.topic, batch.partition
            ),
        ));
    };
    let code = ErrorCode(p.error_code);
    match (code, batch.sequence) {
        (ErrorCode::NONE, _) => PartitionVerdict::Succeed(BatchOutcome {
            base_offset: p.base_offset,
            log_append_time: p.log_append_time_ms,
        }),
        // The broker already has this batch (a retry of a batch whose first answer was
        // lost); it no longer knows the offset.
        (ErrorCode::DUPLICATE_SEQUENCE_NUMBER, Some(_)) => {
            PartitionVerdict::Succeed(BatchOutcome {
                base_offset: -1,
                log_append_time: -1,
            })
        }
        // Expected while an earlier batch is retried; a gap no retry fills makes the
        // transaction manager bump the epoch.
        (ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, Some(sequence)) => {
            PartitionVerdict::OutOfOrder(sequence)
        }
        (ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, None) => {
            PartitionVerdict::RetryOrFail(KafkaError::broker(code, "produce"))
        }
        (
            ErrorCode::UNKNOWN_PRODUCER_ID | ErrorCode::INVALID_PRODUCER_ID_MAPPING,
            Some(sequence),
        ) => PartitionVerdict::LostProducerState(sequence),
        _ => {
            let mut error = KafkaError::broker(
                code,
                format!("produce to {}-{}", batch.topic, batch.partition),
            );
            if let Some(message) = p.error_message.as_deref().filter(|m| !m.is_empty()) {
                error = error.context(message);
            }
            PartitionVerdict::RetryOrFail(error)
        }
    }
}

/// What to do with a batch whose attempt failed.
#[derive(Debug)]
enum RetryDecision {
    /// Queue it again, to go after `backoff`; `refresh_metadata`: the error says the
    /// leader may have moved.
    Retry {
        backoff: Duration,
        refresh_metadata: bool,
    },
    /// Fail its records with this error.
    Fail(KafkaError),
}

/// Whether `batch`, whose last attempt failed with `error`, is retried at `now`: only
/// for a retriable error, within `retries` and within `delivery.timeout.ms` of the
/// batch's creation. A retriable error past the delivery timeout fails the batch with
/// a timeout that names the last error.
fn retry_decision(
    config: &ProducerConfig,
    batch: &ProducerBatch,
    error: KafkaError,
    now: Instant,
) -> RetryDecision {
    let within_time = now.saturating_duration_since(batch.created) < config.delivery_timeout;
    if error.is_retriable() && batch.attempts <= config.retries && within_time {
        return RetryDecision::Retry {
            backoff: config.client.retry_backoff,
            refresh_metadata: error.is_invalid_metadata(),
        };
    }
    if within_time || !error.is_retriable() {
        return RetryDecision::Fail(error);
    }
    RetryDecision::Fail(KafkaError::timeout(format!(
        "{} records for {}-{} expired: not delivered within delivery.timeout.ms ({} ms); last error: {error}",
        batch.record_count(),
        batch.topic,
        batch.partition,
        config.delivery_timeout.as_millis()
    )))
}

pub(crate) struct Sender {
    shared: Arc<Shared>,
    client: KafkaClient,
    in_flight: HashMap<(i32, i32), InFlight>,
    init_request: Option<Pending>,
    init_not_before: Instant,
    /// Why the last InitProducerId failed, for the errors of batches that wait for a
    /// producer id.
    init_error: Option<KafkaError>,
    /// When the connections' counts were last copied for `statistics()`.
    stats_copied: Instant,
}

impl Sender {
    pub fn new(shared: Arc<Shared>, client: KafkaClient) -> Self {
        let now = Instant::now();
        Sender {
            shared,
            client,
            in_flight: HashMap::new(),
            init_request: None,
            init_not_before: now,
            init_error: None,
            stats_copied: now,
        }
    }

    /// Runs until the producer is closed and everything is sent, or a forced close.
    /// Returns the error that ended it early, if one did.
    pub fn run(mut self) -> Option<KafkaError> {
        let mut failure = None;
        loop {
            let now = Instant::now();
            if self.shared.force_close.load(Ordering::SeqCst) {
                self.abort_everything(KafkaError::closed(
                    "the producer was closed before the record was sent (close timeout passed)",
                ));
                break;
            }
            let closing = self.shared.accumulator.is_closed();
            if closing && self.in_flight.is_empty() && !self.shared.accumulator.has_queued() {
                break;
            }
            let mut wake_at = now + MAX_IDLE;
            // The wanted topics are copied only when a request could go.
            if self.client.metadata_refresh_may_start(now) {
                let (wanted, requested) = self.shared.metadata.wanted();
                self.client
                    .refresh_metadata(Some(&wanted), true, requested, now);
            }
            // A transactional producer's id comes from init_transactions().
            if self.shared.config.enable_idempotence
                && self.shared.config.transactional_id.is_none()
                && self.shared.transactions.needs_producer_id()
            {
                self.maybe_init_producer_id(now);
            }
            if let Some(next) = self.send_ready_batches(now) {
                wake_at = wake_at.min(next);
            }
            self.expire_batches(now);
            if now.duration_since(self.stats_copied) >= STATS_EVERY {
                self.stats_copied = now;
                *self.shared.counters.brokers.lock() = self.client.broker_statistics();
            }
            let wait = wake_at.saturating_duration_since(Instant::now());
            match self.client.poll(wait) {
                Ok(responses) => {
                    self.publish_metadata();
                    for response in responses {
                        self.handle_response(response, Instant::now());
                    }
                }
                Err(e) => {
                    log::error!("producer network poll failed: {e}");
                    let e = e.context("the producer's sender thread stopped");
                    self.abort_everything(e.clone());
                    failure = Some(e);
                    break;
                }
            }
        }
        self.client.close_all();
        self.shared.metadata.wake_all();
        failure
    }

    fn request_timeout(&self) -> Duration {
        self.shared.config.client.request_timeout
    }

    fn retry_backoff(&self) -> Duration {
        self.shared.config.client.retry_backoff
    }

    /// Hands a metadata refresh that the client applied during its poll on to
    /// `send()` callers and the accumulator's readiness checks.
    fn publish_metadata(&mut self) {
        let Some(errors) = self.client.take_metadata_refresh() else {
            return;
        };
        let retry_soon = errors.iter().any(|(_, code)| code.is_retriable());
        self.shared
            .metadata
            .publish(self.client.cluster().clone(), errors);
        if retry_soon {
            // A topic being created or a leader being elected: ask again soon.
            self.shared.metadata.request_update();
        }
    }

    fn maybe_init_producer_id(&mut self, now: Instant) {
        if self.init_request.is_some() || now < self.init_not_before {
            return;
        }
        let Some(node) = self.client.least_loaded_node(now) else {
            return;
        };
        if !self.client.ensure_connecting(node, now) {
            return;
        }
        let request = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: i32::MAX,
            producer_id: -1,
            producer_epoch: -1,
        };
        match self.client.send(node, &request) {
            Ok(correlation_id) => {
                self.init_request = Some(Pending {
                    node,
                    correlation_id,
                })
            }
            Err(e) => {
                log::debug!("InitProducerId to node {node} failed: {e}");
                self.init_not_before = crate::time::deadline_after(now, self.retry_backoff());
                self.init_error = Some(e);
            }
        }
    }

    fn on_init_producer_id(&mut self, response: Response, now: Instant) {
        self.init_request = None;
        let result = response
            .decode::<InitProducerIdRequest>()
            .and_then(|r| ErrorCode(r.error_code).check("InitProducerId").map(|()| r));
        match result {
            Ok(r) => {
                log::debug!("producer id {} epoch {}", r.producer_id, r.producer_epoch);
                self.shared
                    .transactions
                    .set_producer((r.producer_id, r.producer_epoch));
                self.init_error = None;
            }
            Err(e) if e.is_retriable() => {
                log::debug!("InitProducerId failed, retrying: {e}");
                self.init_not_before = crate::time::deadline_after(now, self.retry_backoff());
                self.init_error = Some(e);
            }
            Err(e) => {
                log::error!("cannot get a producer id: {e}");
                let error = e.context("idempotent producer could not get a producer id");
                self.shared.accumulator.abort_all(&error);
                self.init_not_before = crate::time::deadline_after(
                    now,
                    self.retry_backoff().max(Duration::from_secs(1)),
                );
            }
        }
    }

    /// Drains and sends ready batches; returns when to look again.
    fn send_ready_batches(&mut self, now: Instant) -> Option<Instant> {
        let snapshot = self.shared.metadata.snapshot();
        let cluster = &snapshot.cluster;
        let check = self.shared.accumulator.ready(cluster, now);
        if check.unknown_leader {
            self.shared.metadata.request_update();
        }
        let max_in_flight = self.shared.config.max_in_flight;
        let mut nodes = Vec::with_capacity(check.nodes.len());
        for node in check.nodes {
            let connected = self.client.ensure_connecting(node, now);
            let failing = !connected && self.client.is_failing(node);
            let in_flight = self.client.in_flight(node);
            match node_action(connected, failing, in_flight, max_in_flight) {
                NodeAction::Drain => nodes.push(node),
                NodeAction::Wait => {}
                NodeAction::RefreshMetadata => self.shared.metadata.request_update(),
            }
        }
        if !nodes.is_empty() {
            let transactions = self
                .shared
                .config
                .enable_idempotence
                .then_some(&self.shared.transactions);
            let drained = self.shared.accumulator.drain(
                cluster,
                &nodes,
                self.shared.config.max_request_size,
                transactions,
                now,
            );
            for (node, batches) in drained {
                self.send_produce(node, batches, now);
            }
        }
        check.next_check
    }

    fn send_produce(&mut self, node: i32, batches: Vec<ProducerBatch>, now: Instant) {
        let config = &self.shared.config;
        let mut topics: Vec<ProduceRequestTopic> = Vec::new();
        for batch in &batches {
            let partition = ProduceRequestPartition {
                index: batch.partition,
                records: batch.bytes().cloned(),
            };
            match topics.iter_mut().find(|t| *t.name == *batch.topic) {
                Some(t) => t.partition_data.push(partition),
                None => topics.push(ProduceRequestTopic {
                    name: batch.topic.to_string(),
                    partition_data: vec![partition],
                }),
            }
        }
        let request = ProduceRequest {
            transactional_id: config.transactional_id.clone(),
            acks: config.acks.as_i16(),
            timeout_ms: i32::try_from(config.client.request_timeout.as_millis())
                .unwrap_or(i32::MAX),
            topic_data: topics,
        };
        let expect_response = config.acks != Acks::None;
        let timeout = self.request_timeout();
        let sent = self
            .client
            .negotiate_at_most::<ProduceRequest>(node, produce_version_cap(&self.shared))
            .and_then(|version| {
                self.client
                    .send_with(node, &request, version, timeout, expect_response)
            });
        match sent {
            Ok(correlation_id) => {
                Counters::add(&self.shared.counters.requests, 1);
                self.in_flight.insert(
                    (node, correlation_id),
                    InFlight {
                        batches,
                        sent_at: Instant::now(),
                    },
                );
            }
            Err(e) => {
                for batch in batches {
                    self.retry_or_fail(batch, e.clone(), now);
                }
            }
        }
    }

    /// Handles a completed request at `now`: completes, retries or fails the batches
    /// of a produce request, or applies a metadata or InitProducerId answer.
    fn handle_response(&mut self, response: Response, now: Instant) {
        let key = Pending {
            node: response.node_id,
            correlation_id: response.correlation_id,
        };
        if self.init_request == Some(key) {
            return self.on_init_producer_id(response, now);
        }
        let Some(in_flight) = self
            .in_flight
            .remove(&(response.node_id, response.correlation_id))
        else {
            log::debug!(
                "response {} from node {} matches no request",
                response.correlation_id,
                response.node_id
            );
            return;
        };
        self.shared
            .counters
            .record_latency(in_flight.sent_at.elapsed());
        if self.shared.config.acks == Acks::None {
            let outcome = response.result.map(|_| BatchOutcome {
                base_offset: -1,
                log_append_time: -1,
            });
            for batch in in_flight.batches {
                match &outcome {
                    Ok(o) => self.succeed(batch, *o),
                    Err(e) => self.retry_or_fail(batch, e.clone(), now),
                }
            }
            return;
        }
        let decoded = response.decode::<ProduceRequest>();
        let response = match decoded {
            Ok(r) => r,
            Err(e) => {
                if e.is_invalid_metadata() {
                    self.shared.metadata.request_update();
                }
                for batch in in_flight.batches {
                    self.retry_or_fail(batch, e.clone(), now);
                }
                return;
            }
        };
        for batch in in_flight.batches {
            match partition_verdict(&batch, &response) {
                PartitionVerdict::Succeed(outcome) => self.succeed(batch, outcome),
                PartitionVerdict::OutOfOrder(sequence) => {
                    self.shared
                        .accumulator
                        .in_flight_done(&batch.topic, batch.partition);
                    self.shared
                        .transactions
                        .out_of_order(&batch.topic, batch.partition, sequence);
                    self.requeue(batch, Duration::ZERO, now);
                }
                PartitionVerdict::LostProducerState(sequence) => {
                    self.shared
                        .accumulator
                        .in_flight_done(&batch.topic, batch.partition);
                    self.shared.transactions.lost_producer_state(
                        &batch.topic,
                        batch.partition,
                        sequence,
                    );
                    self.requeue(batch, Duration::ZERO, now);
                }
                PartitionVerdict::RetryOrFail(error) => self.retry_or_fail(batch, error, now),
            }
        }
    }

    fn succeed(&self, batch: ProducerBatch, outcome: BatchOutcome) {
        let counters = &self.shared.counters;
        Counters::add(&counters.records_sent, batch.record_count() as u64);
        Counters::add(
            &counters.bytes_sent,
            batch.bytes().map_or(0, |b| b.len()) as u64,
        );
        Counters::add(&counters.batches_sent, 1);
        counters.topic_acknowledged(
            &batch.topic,
            batch.record_count() as u64,
            batch.bytes().map_or(0, |b| b.len()) as u64,
        );
        if let Some(sequence) = batch.sequence {
            self.shared.transactions.acknowledged(
                &batch.topic,
                batch.partition,
                sequence,
                batch.record_count(),
            );
        }
        self.shared
            .accumulator
            .in_flight_done(&batch.topic, batch.partition);
        self.shared.accumulator.complete(batch, Ok(outcome));
    }

    fn requeue(&self, batch: ProducerBatch, backoff: Duration, now: Instant) {
        Counters::add(&self.shared.counters.retries, 1);
        self.shared.accumulator.reenqueue(batch, backoff, now);
    }

    /// Retries a batch that failed with `error` if the error is retriable and the
    /// batch has retries and time left at `now`; fails it otherwise.
    fn retry_or_fail(&mut self, batch: ProducerBatch, error: KafkaError, now: Instant) {
        self.shared
            .accumulator
            .in_flight_done(&batch.topic, batch.partition);
        match retry_decision(&self.shared.config, &batch, error.clone(), now) {
            RetryDecision::Retry {
                backoff,
                refresh_metadata,
            } => {
                if refresh_metadata {
                    self.shared.metadata.request_update();
                    self.client.request_metadata_update();
                }
                log::debug!(
                    "retrying {} records for {}-{} (attempt {}): {error}",
                    batch.record_count(),
                    batch.topic,
                    batch.partition,
                    batch.attempts
                );
                self.requeue(batch, backoff, now);
            }
            RetryDecision::Fail(error) => self.fail(batch, error),
        }
    }

    fn fail(&mut self, batch: ProducerBatch, error: KafkaError) {
        Counters::add(
            &self.shared.counters.record_errors,
            batch.record_count() as u64,
        );
        self.shared
            .counters
            .topic_failed(&batch.topic, batch.record_count() as u64);
        if let Some(sequence) = batch.sequence {
            // Sent at least once, the batch may or may not be in the log: the
            // transaction manager holds its partition until that is known.
            self.shared.transactions.failed(
                &batch.topic,
                batch.partition,
                sequence,
                batch.record_count(),
            );
        }
        log::warn!(
            "failed to send {} records to {}-{}: {error}",
            batch.record_count(),
            batch.topic,
            batch.partition
        );
        if self.shared.config.transactional_id.is_some() {
            // The transaction cannot commit now.
            self.shared
                .transaction_failure
                .lock()
                .get_or_insert_with(|| error.clone());
        }
        self.shared.accumulator.fail(batch, error);
    }

    fn expire_batches(&mut self, now: Instant) {
        let timeout = self.shared.config.delivery_timeout;
        for batch in self.shared.accumulator.expired(now, timeout) {
            let error = KafkaError::timeout(format!(
                "{} records for {}-{} expired after {} ms (delivery.timeout.ms) without being sent{}",
                batch.record_count(),
                batch.topic,
                batch.partition,
                now.duration_since(batch.created).as_millis(),
                self.leader_hint(&batch)
            ));
            self.fail(batch, error);
        }
    }

    fn leader_hint(&self, batch: &ProducerBatch) -> String {
        if self.shared.config.enable_idempotence && self.shared.transactions.needs_producer_id() {
            // Brokers hand out producer ids through the controller: without a
            // controller quorum, a new idempotent producer cannot start.
            return match &self.init_error {
                Some(e) => format!(": the producer has no producer id yet (InitProducerId: {e})"),
                None => ": the producer has no producer id yet (InitProducerId got no answer)"
                    .to_owned(),
            };
        }
        let snapshot = self.shared.metadata.snapshot();
        match snapshot.cluster.leader_for(&batch.topic, batch.partition) {
            None => ": the partition has no known leader".to_owned(),
            Some(leader) => match self.client.last_error(leader.id) {
                Some(e) => format!(": its leader is unreachable ({e})"),
                None => String::new(),
            },
        }
    }

    fn abort_everything(&mut self, error: KafkaError) {
        let in_flight: Vec<InFlight> = self.in_flight.drain().map(|(_, v)| v).collect();
        for request in in_flight {
            for batch in request.batches {
                self.shared
                    .accumulator
                    .in_flight_done(&batch.topic, batch.partition);
                Counters::add(
                    &self.shared.counters.record_errors,
                    batch.record_count() as u64,
                );
                self.shared
                    .counters
                    .topic_failed(&batch.topic, batch.record_count() as u64);
                self.shared.accumulator.fail(batch, error.clone());
            }
        }
        self.shared.accumulator.abort_all(&error);
    }
}

/// Starts the sender thread.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    client: KafkaClient,
) -> Result<std::thread::JoinHandle<()>> {
    let name = format!("kafka-producer-{}", shared.config.client.client_id);
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let done = Arc::clone(&shared);
            let _ = done.sender_thread.set(std::thread::current().id());
            let run = std::panic::AssertUnwindSafe(|| Sender::new(shared, client).run());
            let failure = match std::panic::catch_unwind(run) {
                Ok(failure) => failure,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    log::error!("the producer's sender thread panicked: {what}");
                    Some(KafkaError::closed(format!(
                        "the producer's sender thread panicked ({what}); create a new producer"
                    )))
                }
            };
            done.sender_stopped(failure);
        })
        .map_err(|e| {
            KafkaError::new(
                ErrorKind::Closed,
                format!("cannot start the producer's sender thread: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::client::Cluster;
    use crate::producer::accumulator::Appended;
    use crate::producer::future::FutureRecordMetadata;
    use crate::producer::BlockDeadline;
    use crate::protocol::api::Request;
    use crate::protocol::messages::{
        InitProducerIdResponse, MetadataRequest, MetadataResponse, MetadataResponseBroker,
        MetadataResponsePartition, MetadataResponseTopic, ProduceResponsePartition,
        ProduceResponseTopic,
    };

    const BACKOFF: Duration = Duration::from_millis(100);
    const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);

    /// A sender whose producer has `config` (on top of: no linger, no idempotence, a
    /// 100 ms back-off, a 120 s delivery timeout) and whose cluster has `t`-0 and
    /// `t`-1 led by node 1. Nothing connects: requests are put "on the wire" by hand
    /// and answered with constructed responses.
    fn sender(change: impl FnOnce(ProducerConfig) -> ProducerConfig) -> Sender {
        let mut config = ProducerConfig::new("127.0.0.1:1")
            .enable_idempotence(false)
            .linger(Duration::ZERO)
            .delivery_timeout(DELIVERY_TIMEOUT);
        config.client.retry_backoff = BACKOFF;
        let config = change(config);
        let client = KafkaClient::new(config.client.clone()).expect("client");
        let shared = Arc::new(Shared::new(config, client.waker(), None));
        shared.metadata.publish(cluster_led_by(1), Vec::new());
        Sender::new(shared, client)
    }

    fn metadata_led_by(leader: i32) -> MetadataResponse {
        MetadataResponse {
            brokers: [1, 2]
                .into_iter()
                .map(|node_id| MetadataResponseBroker {
                    node_id,
                    host: "127.0.0.1".into(),
                    port: 1,
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
        }
    }

    fn cluster_led_by(leader: i32) -> Cluster {
        let mut cluster = Cluster::default();
        cluster.update(&metadata_led_by(leader), false);
        cluster
    }

    /// Appends a record to `t`-`partition`.
    fn append(sender: &Sender, partition: i32) -> FutureRecordMetadata {
        let deadline = BlockDeadline::new(Duration::ZERO);
        match sender
            .shared
            .accumulator
            .append(
                "t",
                partition,
                None,
                0,
                None,
                Some(b"v"),
                &[],
                None,
                &deadline,
                false,
            )
            .expect("append")
        {
            Appended::Done { future, .. } => future,
            Appended::NeedsNewBatch(_) => unreachable!("not asked"),
        }
    }

    /// Drains what `node` may take at `now` into one produce request "on the wire"
    /// with `correlation_id`; returns the batches' ids and sequences.
    fn put_on_wire(
        sender: &mut Sender,
        node: i32,
        correlation_id: i32,
        now: Instant,
    ) -> Vec<(u64, Option<Sequence>)> {
        let shared = Arc::clone(&sender.shared);
        let snapshot = shared.metadata.snapshot();
        let transactions = shared
            .config
            .enable_idempotence
            .then_some(&shared.transactions);
        let batches = shared
            .accumulator
            .drain(&snapshot.cluster, &[node], 1 << 20, transactions, now)
            .remove(&node)
            .unwrap_or_default();
        let sent = batches.iter().map(|b| (b.id, b.sequence)).collect();
        if !batches.is_empty() {
            sender.in_flight.insert(
                (node, correlation_id),
                InFlight {
                    batches,
                    sent_at: now,
                },
            );
        }
        sent
    }

    /// A response frame of `R`'s API answering `correlation_id` from `node`.
    fn frame<R: Request>(body: &R::Response, node: i32, correlation_id: i32) -> Response {
        Response::encoded::<R>(body, node, correlation_id, R::SUPPORT.max_version)
    }

    /// A produce response from node 1 with `(partition, error, base offset)` for `t`.
    fn produce_answer(correlation_id: i32, partitions: &[(i32, ErrorCode, i64)]) -> Response {
        let body = ProduceResponse {
            responses: vec![ProduceResponseTopic {
                name: "t".into(),
                partition_responses: partitions
                    .iter()
                    .map(|&(index, code, base_offset)| ProduceResponsePartition {
                        index,
                        error_code: code.code(),
                        base_offset: if code == ErrorCode::NONE {
                            base_offset
                        } else {
                            -1
                        },
                        error_message: (code != ErrorCode::NONE)
                            .then(|| format!("the broker says {}", code.name())),
                        ..Default::default()
                    })
                    .collect(),
            }],
            ..Default::default()
        };
        frame::<ProduceRequest>(&body, 1, correlation_id)
    }

    /// A produce request that failed without an answer (`error`).
    fn produce_failure(correlation_id: i32, error: KafkaError) -> Response {
        Response {
            node_id: 1,
            correlation_id,
            api_key: ProduceRequest::SUPPORT.key,
            api_version: ProduceRequest::SUPPORT.max_version,
            result: Err(error),
        }
    }

    fn sendable_nodes(sender: &Sender, now: Instant) -> Vec<i32> {
        let snapshot = sender.shared.metadata.snapshot();
        sender
            .shared
            .accumulator
            .ready(&snapshot.cluster, now)
            .nodes
    }

    fn retries(sender: &Sender) -> u64 {
        sender.shared.counters.retries.load(Ordering::SeqCst)
    }

    fn metadata_requested(sender: &Sender) -> bool {
        sender.shared.metadata.wanted().1
    }

    #[test]
    fn a_connection_never_carries_more_than_max_in_flight_requests() {
        for max in 1..=5 {
            for in_flight in 0..max {
                assert_eq!(node_action(true, false, in_flight, max), NodeAction::Drain);
            }
            assert_eq!(node_action(true, false, max, max), NodeAction::Wait);
            assert_eq!(node_action(true, false, max + 1, max), NodeAction::Wait);
        }
        assert_eq!(
            node_action(false, false, 0, 5),
            NodeAction::Wait,
            "connecting"
        );
        assert_eq!(
            node_action(false, true, 0, 5),
            NodeAction::RefreshMetadata,
            "an unreachable leader: ask who leads now"
        );
    }

    #[test]
    fn an_acknowledged_batch_resolves_its_futures_with_the_offsets() {
        let mut s = sender(|c| c);
        let first = append(&s, 0);
        let second = append(&s, 0);
        let now = Instant::now();
        assert_eq!(put_on_wire(&mut s, 1, 7, now).len(), 1);
        s.handle_response(produce_answer(7, &[(0, ErrorCode::NONE, 42)]), now);
        assert_eq!(first.get(Duration::ZERO).expect("written").offset, 42);
        assert_eq!(second.get(Duration::ZERO).expect("written").offset, 43);
        assert!(s.in_flight.is_empty());
        assert_eq!(s.shared.accumulator.pool.used(), 0, "memory returned");
        assert_eq!(s.shared.counters.records_sent.load(Ordering::SeqCst), 2);
        assert_eq!(retries(&s), 0);
    }

    #[test]
    fn a_retriable_error_requeues_the_batch_until_retry_backoff() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let now = Instant::now();
        let sent = put_on_wire(&mut s, 1, 1, now);
        assert!(!metadata_requested(&s));
        s.handle_response(
            produce_answer(1, &[(0, ErrorCode::NOT_LEADER_OR_FOLLOWER, 0)]),
            now,
        );
        assert!(!future.is_done(), "retried, not failed");
        assert_eq!(retries(&s), 1);
        assert!(metadata_requested(&s), "the leader may have moved");
        assert!(sendable_nodes(&s, now + BACKOFF - Duration::from_millis(1)).is_empty());
        assert!(put_on_wire(&mut s, 1, 2, now + BACKOFF - Duration::from_millis(1)).is_empty());
        assert_eq!(sendable_nodes(&s, now + BACKOFF), vec![1]);
        assert_eq!(
            put_on_wire(&mut s, 1, 2, now + BACKOFF),
            sent,
            "the same batch"
        );
        s.handle_response(produce_answer(2, &[(0, ErrorCode::NONE, 5)]), now + BACKOFF);
        assert_eq!(future.get(Duration::ZERO).expect("written").offset, 5);
    }

    #[test]
    fn a_request_timeout_is_retried_and_a_broken_connection_refreshes_metadata() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        s.handle_response(
            produce_failure(1, KafkaError::timeout("request timed out")),
            now,
        );
        assert!(!future.is_done());
        assert!(!metadata_requested(&s), "a slow broker is still the leader");
        assert_eq!(retries(&s), 1);
        let later = now + BACKOFF;
        put_on_wire(&mut s, 1, 2, later);
        s.handle_response(
            produce_failure(2, KafkaError::connection("connection reset")),
            later,
        );
        assert!(!future.is_done());
        assert!(metadata_requested(&s));
        assert_eq!(retries(&s), 2);
    }

    #[test]
    fn a_fatal_error_fails_the_future_at_once() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        s.handle_response(
            produce_answer(1, &[(0, ErrorCode::MESSAGE_TOO_LARGE, 0)]),
            now,
        );
        let err = future.get(Duration::ZERO).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Broker(ErrorCode::MESSAGE_TOO_LARGE),
            "{err}"
        );
        assert!(err.to_string().contains("the broker says"), "{err}");
        assert_eq!(retries(&s), 0);
        assert!(
            sendable_nodes(&s, now + BACKOFF).is_empty(),
            "not queued again"
        );
        assert_eq!(s.shared.counters.record_errors.load(Ordering::SeqCst), 1);
        assert_eq!(s.shared.accumulator.pool.used(), 0);
    }

    #[test]
    fn retries_stop_after_the_configured_number() {
        let mut s = sender(|c| c.retries(1));
        let future = append(&s, 0);
        let mut now = Instant::now();
        for correlation_id in 1..=2 {
            assert_eq!(put_on_wire(&mut s, 1, correlation_id, now).len(), 1);
            s.handle_response(
                produce_answer(correlation_id, &[(0, ErrorCode::REQUEST_TIMED_OUT, 0)]),
                now,
            );
            now += BACKOFF;
        }
        let err = future.get(Duration::ZERO).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Broker(ErrorCode::REQUEST_TIMED_OUT),
            "{err}"
        );
        assert_eq!(retries(&s), 1, "one retry, then the failure");
    }

    #[test]
    fn a_retriable_error_past_delivery_timeout_fails_with_a_timeout() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let sent_at = Instant::now();
        put_on_wire(&mut s, 1, 1, sent_at);
        let created = s
            .in_flight
            .values()
            .flat_map(|r| r.batches.iter())
            .map(|b| b.created)
            .next()
            .expect("a batch in flight");
        // Within the delivery timeout a retriable error is retried...
        let just_in_time = created + DELIVERY_TIMEOUT - Duration::from_millis(1);
        s.handle_response(
            produce_failure(1, KafkaError::timeout("request timed out")),
            just_in_time,
        );
        assert!(!future.is_done());
        // ...and at it, the batch fails with a timeout naming the last error.
        put_on_wire(&mut s, 1, 2, just_in_time + BACKOFF);
        s.handle_response(
            produce_failure(2, KafkaError::timeout("request timed out")),
            created + DELIVERY_TIMEOUT,
        );
        let err = future.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        let message = err.to_string();
        assert!(message.contains("delivery.timeout.ms"), "{message}");
        assert!(message.contains("request timed out"), "{message}");
    }

    #[test]
    fn queued_batches_expire_at_delivery_timeout_with_a_timeout_error() {
        let mut s = sender(|c| c);
        let before = Instant::now();
        let queued = append(&s, 0);
        let after = Instant::now();
        s.expire_batches(before + DELIVERY_TIMEOUT - Duration::from_millis(1));
        assert!(!queued.is_done(), "not before delivery.timeout.ms");
        s.expire_batches(after + DELIVERY_TIMEOUT);
        let err = queued.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.to_string().contains("delivery.timeout.ms"), "{err}");
        assert_eq!(s.shared.accumulator.pool.used(), 0);
        assert!(!s.shared.accumulator.has_queued());
        // A batch of a partition without a leader says so.
        s.shared.metadata.publish(Cluster::default(), Vec::new());
        let orphan = append(&s, 1);
        s.expire_batches(Instant::now() + DELIVERY_TIMEOUT);
        let err = orphan.get(Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("no known leader"), "{err}");
    }

    #[test]
    fn an_idempotent_retry_keeps_its_sequence_and_goes_before_newer_batches() {
        let mut s = sender(|c| c.enable_idempotence(true).acks(Acks::All));
        s.shared.transactions.set_producer((42, 0));
        let now = Instant::now();
        let a = append(&s, 0);
        let sent_a = put_on_wire(&mut s, 1, 1, now);
        s.handle_response(produce_answer(1, &[(0, ErrorCode::NONE, 0)]), now);
        assert!(a.is_done());
        let b = append(&s, 0);
        let sent_b = put_on_wire(&mut s, 1, 2, now);
        let c = append(&s, 0);
        let sent_c = put_on_wire(&mut s, 1, 3, now);
        let d = append(&s, 0);
        let sequence = |sent: &[(u64, Option<Sequence>)]| {
            sent.first()
                .and_then(|(_, seq)| seq.map(|s| s.base_sequence))
                .expect("one sequenced batch")
        };
        assert_eq!(
            [sequence(&sent_a), sequence(&sent_b), sequence(&sent_c)],
            [0, 1, 2]
        );
        // b fails with a retriable error; c, written after the gap, is out of order.
        s.handle_response(
            produce_answer(2, &[(0, ErrorCode::NOT_LEADER_OR_FOLLOWER, 0)]),
            now,
        );
        s.handle_response(
            produce_answer(3, &[(0, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, 0)]),
            now,
        );
        assert!(!b.is_done() && !c.is_done() && !d.is_done());
        assert!(
            put_on_wire(&mut s, 1, 4, now + BACKOFF - Duration::from_millis(1)).is_empty(),
            "nothing overtakes b while it backs off"
        );
        let later = now + BACKOFF;
        assert_eq!(
            put_on_wire(&mut s, 1, 4, later),
            sent_b,
            "b first, same sequence"
        );
        assert!(
            put_on_wire(&mut s, 1, 5, later).is_empty(),
            "c waits until b is written"
        );
        s.handle_response(produce_answer(4, &[(0, ErrorCode::NONE, 1)]), later);
        assert_eq!(
            put_on_wire(&mut s, 1, 5, later),
            sent_c,
            "then c, same sequence"
        );
        s.handle_response(produce_answer(5, &[(0, ErrorCode::NONE, 2)]), later);
        let sent_d = put_on_wire(&mut s, 1, 6, later);
        assert_eq!(sequence(&sent_d), 3, "the newer batch numbered after them");
        s.handle_response(produce_answer(6, &[(0, ErrorCode::NONE, 3)]), later);
        let offsets = [&b, &c, &d].map(|f| f.get(Duration::ZERO).expect("written").offset);
        assert_eq!(offsets, [1, 2, 3]);
    }

    #[test]
    fn a_duplicate_sequence_counts_as_written() {
        let mut s = sender(|c| c.enable_idempotence(true).acks(Acks::All));
        s.shared.transactions.set_producer((42, 0));
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        s.handle_response(
            produce_answer(1, &[(0, ErrorCode::DUPLICATE_SEQUENCE_NUMBER, 0)]),
            now,
        );
        let metadata = future.get(Duration::ZERO).expect("already written");
        assert_eq!(metadata.offset, -1, "the broker no longer knows the offset");
    }

    #[test]
    fn a_lost_producer_state_resends_at_once_under_a_new_epoch() {
        let mut s = sender(|c| c.enable_idempotence(true).acks(Acks::All));
        s.shared.transactions.set_producer((42, 0));
        let future = append(&s, 0);
        let now = Instant::now();
        let first = put_on_wire(&mut s, 1, 1, now);
        s.handle_response(
            produce_answer(1, &[(0, ErrorCode::UNKNOWN_PRODUCER_ID, 0)]),
            now,
        );
        assert!(!future.is_done());
        let again = put_on_wire(&mut s, 1, 2, now);
        assert_eq!(again.len(), 1, "no back-off");
        assert_eq!(again[0].0, first[0].0, "the same batch");
        let sequence = again[0].1.expect("sequenced");
        assert_eq!(
            (sequence.producer_epoch, sequence.base_sequence),
            (1, 0),
            "numbered again from 0 under the next epoch"
        );
    }

    #[test]
    fn a_response_without_the_batch_partition_fails_it_as_unexpected() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        s.handle_response(produce_answer(1, &[(1, ErrorCode::NONE, 0)]), now);
        let err = future.get(Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse, "{err}");
        assert!(err.to_string().contains("t-0"), "{err}");
        assert_eq!(retries(&s), 0);
    }

    #[test]
    fn without_acks_a_sent_batch_is_done_without_an_offset() {
        let mut s = sender(|c| c.acks(Acks::None));
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        let sent = Response {
            node_id: 1,
            correlation_id: 1,
            api_key: ProduceRequest::SUPPORT.key,
            api_version: ProduceRequest::SUPPORT.max_version,
            result: Ok(Bytes::new()),
        };
        s.handle_response(sent, now);
        assert_eq!(future.get(Duration::ZERO).expect("sent").offset, -1);
    }

    #[test]
    fn a_metadata_answer_sends_a_retried_batch_to_the_new_leader() {
        let mut s = sender(|c| c);
        let future = append(&s, 0);
        let now = Instant::now();
        put_on_wire(&mut s, 1, 1, now);
        s.handle_response(
            produce_answer(1, &[(0, ErrorCode::NOT_LEADER_OR_FOLLOWER, 0)]),
            now,
        );
        s.client.pretend_metadata_refresh(-1, 2);
        let rest = s.client.receive(
            vec![frame::<MetadataRequest>(&metadata_led_by(2), -1, 2)],
            now,
        );
        assert!(rest.is_empty(), "the client keeps its refresh's answer");
        s.publish_metadata();
        assert!(!s.client.metadata_refresh_in_flight());
        assert_eq!(
            s.client.metadata_refresh_not_before(),
            now + BACKOFF,
            "one refresh per back-off"
        );
        let later = now + BACKOFF;
        assert_eq!(sendable_nodes(&s, later), vec![2]);
        assert!(
            put_on_wire(&mut s, 1, 3, later).is_empty(),
            "not to the old leader"
        );
        assert_eq!(put_on_wire(&mut s, 2, 3, later).len(), 1);
        assert!(!future.is_done());
    }

    #[test]
    fn init_producer_id_retries_after_backoff_and_a_fatal_error_fails_the_queue() {
        let mut s = sender(|c| c.enable_idempotence(true).acks(Acks::All));
        let queued = append(&s, 0);
        let now = Instant::now();
        s.init_request = Some(Pending {
            node: -1,
            correlation_id: 1,
        });
        let busy = InitProducerIdResponse {
            error_code: ErrorCode::COORDINATOR_LOAD_IN_PROGRESS.code(),
            ..Default::default()
        };
        s.handle_response(frame::<InitProducerIdRequest>(&busy, -1, 1), now);
        assert_eq!(s.init_request, None);
        assert_eq!(s.init_not_before, now + BACKOFF);
        assert!(s.init_error.is_some());
        assert!(!queued.is_done(), "waits for a producer id");
        s.init_request = Some(Pending {
            node: -1,
            correlation_id: 2,
        });
        let denied = InitProducerIdResponse {
            error_code: ErrorCode::CLUSTER_AUTHORIZATION_FAILED.code(),
            ..Default::default()
        };
        s.handle_response(frame::<InitProducerIdRequest>(&denied, -1, 2), now);
        let err = queued.get(Duration::ZERO).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Broker(ErrorCode::CLUSTER_AUTHORIZATION_FAILED),
            "{err}"
        );
        assert_eq!(s.init_not_before, now + Duration::from_secs(1));
        s.init_request = Some(Pending {
            node: -1,
            correlation_id: 3,
        });
        let granted = InitProducerIdResponse {
            producer_id: 9,
            producer_epoch: 2,
            ..Default::default()
        };
        s.handle_response(frame::<InitProducerIdRequest>(&granted, -1, 3), now);
        assert_eq!(s.shared.transactions.producer(), Some((9, 2)));
        assert!(s.init_error.is_none());
    }

    #[test]
    fn the_retry_decision_follows_delivery_timeout_to_the_millisecond() {
        let s = sender(|c| c);
        append(&s, 0);
        let now = Instant::now();
        let snapshot = s.shared.metadata.snapshot();
        let batch = s
            .shared
            .accumulator
            .drain(&snapshot.cluster, &[1], 1 << 20, None, now)
            .remove(&1)
            .and_then(|mut v| v.pop())
            .expect("a batch");
        let config = &s.shared.config;
        let error = || KafkaError::broker(ErrorCode::NOT_LEADER_OR_FOLLOWER, "produce");
        let edge = batch.created + DELIVERY_TIMEOUT;
        match retry_decision(config, &batch, error(), edge - Duration::from_millis(1)) {
            RetryDecision::Retry {
                backoff,
                refresh_metadata,
            } => {
                assert_eq!(backoff, BACKOFF);
                assert!(refresh_metadata);
            }
            RetryDecision::Fail(e) => panic!("retried within the delivery timeout: {e}"),
        }
        match retry_decision(config, &batch, error(), edge) {
            RetryDecision::Fail(e) => assert_eq!(e.kind(), ErrorKind::Timeout, "{e}"),
            RetryDecision::Retry { .. } => panic!("past the delivery timeout"),
        }
        let fatal = KafkaError::broker(ErrorCode::TOPIC_AUTHORIZATION_FAILED, "produce");
        match retry_decision(config, &batch, fatal, edge) {
            RetryDecision::Fail(e) => assert_eq!(
                e.kind(),
                ErrorKind::Broker(ErrorCode::TOPIC_AUTHORIZATION_FAILED),
                "a fatal error is reported as itself, even late"
            ),
            RetryDecision::Retry { .. } => panic!("a fatal error is not retried"),
        }
        s.shared
            .accumulator
            .in_flight_done(&batch.topic, batch.partition);
        s.shared.accumulator.complete(
            batch,
            Ok(BatchOutcome {
                base_offset: 0,
                log_append_time: -1,
            }),
        );
    }
}
