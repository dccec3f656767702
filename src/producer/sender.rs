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

use super::batch::ProducerBatch;
use super::future::BatchOutcome;
use super::metrics::Counters;
use super::Shared;
use crate::client::KafkaClient;
use crate::config::Acks;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{
    InitProducerIdRequest, MetadataRequest, ProduceRequest, ProduceRequestPartition,
    ProduceRequestTopic,
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

pub(crate) struct Sender {
    shared: Arc<Shared>,
    client: KafkaClient,
    in_flight: HashMap<(i32, i32), InFlight>,
    metadata_request: Option<Pending>,
    metadata_not_before: Instant,
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
            metadata_request: None,
            metadata_not_before: now,
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
            self.maybe_request_metadata(now);
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
                *self.shared.counters.brokers.lock() =
                    self.client.network_ref().broker_statistics();
            }
            let wait = wake_at.saturating_duration_since(Instant::now());
            match self.client.poll(wait) {
                Ok(responses) => {
                    for response in responses {
                        self.handle_response(response);
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
        self.client.network().close_all();
        self.shared.metadata.wake_all();
        failure
    }

    fn request_timeout(&self) -> Duration {
        self.shared.config.client.request_timeout
    }

    fn retry_backoff(&self) -> Duration {
        self.shared.config.client.retry_backoff
    }

    fn maybe_request_metadata(&mut self, now: Instant) {
        if self.metadata_request.is_some() || now < self.metadata_not_before {
            return;
        }
        let (wanted, requested) = self.shared.metadata.wanted();
        if !requested && !self.client.metadata_needs_update(now) {
            return;
        }
        let Some(node) = self.client.least_loaded_node(now) else {
            return;
        };
        if !self.client.network().ensure_connecting(node, now) {
            return;
        }
        let request = MetadataRequest::for_topics(Some(&wanted), true);
        match self.client.network().send(node, &request) {
            Ok(correlation_id) => {
                self.metadata_request = Some(Pending {
                    node,
                    correlation_id,
                })
            }
            Err(e) => {
                log::debug!("metadata request to node {node} failed: {e}");
                self.metadata_not_before = crate::time::deadline_after(now, self.retry_backoff());
            }
        }
    }

    fn on_metadata(&mut self, response: Response) {
        self.metadata_request = None;
        let result = response.decode::<MetadataRequest>().and_then(|m| {
            self.client.apply_metadata(&m, false)?;
            Ok(m)
        });
        match result {
            Ok(m) => {
                let errors = m
                    .topics
                    .iter()
                    .filter(|t| t.error_code != 0)
                    .filter_map(|t| Some((t.name.clone()?, ErrorCode(t.error_code))))
                    .collect::<Vec<_>>();
                let retry_soon = errors.iter().any(|(_, code)| code.is_retriable());
                self.shared
                    .metadata
                    .publish(self.client.cluster().clone(), errors);
                if retry_soon {
                    // A topic being created or a leader being elected: ask again soon.
                    self.shared.metadata.request_update();
                }
                // At most one refresh per retry.backoff.ms: an unreachable leader asks
                // for one on every turn until the cluster has elected another.
                self.metadata_not_before = crate::time::deadline_in(self.retry_backoff());
            }
            Err(e) => {
                log::debug!("metadata request failed: {e}");
                self.metadata_not_before = crate::time::deadline_in(self.retry_backoff());
            }
        }
    }

    fn maybe_init_producer_id(&mut self, now: Instant) {
        if self.init_request.is_some() || now < self.init_not_before {
            return;
        }
        let Some(node) = self.client.least_loaded_node(now) else {
            return;
        };
        if !self.client.network().ensure_connecting(node, now) {
            return;
        }
        let request = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: i32::MAX,
            producer_id: -1,
            producer_epoch: -1,
        };
        match self.client.network().send(node, &request) {
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

    fn on_init_producer_id(&mut self, response: Response) {
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
                self.init_not_before = crate::time::deadline_in(self.retry_backoff());
                self.init_error = Some(e);
            }
            Err(e) => {
                log::error!("cannot get a producer id: {e}");
                let error = e.context("idempotent producer could not get a producer id");
                self.shared.accumulator.abort_all(&error);
                self.init_not_before =
                    crate::time::deadline_in(self.retry_backoff().max(Duration::from_secs(1)));
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
            if !self.client.network().has_node(node) {
                if let Some(broker) = cluster.broker(node) {
                    self.client.network().add_node(node, broker.address());
                }
            }
            if self.client.network().ensure_connecting(node, now) {
                if self.client.network().in_flight(node) < max_in_flight {
                    nodes.push(node);
                }
            } else if self.client.network_ref().is_failing(node) {
                // The leader cannot be reached: it may have died and another replica
                // taken over. Ask who leads now (the metadata request has its own
                // back-off), as the Java client does on every failed connection.
                self.shared.metadata.request_update();
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
                self.send_produce(node, batches);
            }
        }
        check.next_check
    }

    fn send_produce(&mut self, node: i32, batches: Vec<ProducerBatch>) {
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
            .network()
            .negotiate_at_most::<ProduceRequest>(node, produce_version_cap(&self.shared))
            .and_then(|version| {
                self.client
                    .network()
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
                    self.retry_or_fail(batch, e.clone());
                }
            }
        }
    }

    fn handle_response(&mut self, response: Response) {
        let key = Pending {
            node: response.node_id,
            correlation_id: response.correlation_id,
        };
        if self.metadata_request == Some(key) {
            return self.on_metadata(response);
        }
        if self.init_request == Some(key) {
            return self.on_init_producer_id(response);
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
                    Err(e) => self.retry_or_fail(batch, e.clone()),
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
                    self.retry_or_fail(batch, e.clone());
                }
                return;
            }
        };
        for batch in in_flight.batches {
            let partition = response
                .responses
                .iter()
                .filter(|t| *t.name == *batch.topic)
                .flat_map(|t| t.partition_responses.iter())
                .find(|p| p.index == batch.partition);
            let Some(p) = partition else {
                let e = KafkaError::new(
                    ErrorKind::UnexpectedResponse,
                    format!(
                        "produce response has no result for {}-{}",
                        batch.topic, batch.partition
                    ),
                );
                self.retry_or_fail(batch, e);
                continue;
            };
            let code = ErrorCode(p.error_code);
            let outcome = BatchOutcome {
                base_offset: p.base_offset,
                log_append_time: p.log_append_time_ms,
            };
            match code {
                ErrorCode::NONE => self.succeed(batch, outcome),
                ErrorCode::DUPLICATE_SEQUENCE_NUMBER if batch.sequence.is_some() => {
                    // The broker already has this batch (a retry of a batch whose first
                    // answer was lost); it no longer knows the offset.
                    self.succeed(
                        batch,
                        BatchOutcome {
                            base_offset: -1,
                            log_append_time: -1,
                        },
                    )
                }
                ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER => match batch.sequence {
                    Some(sequence) => {
                        // Expected while an earlier batch is retried; a gap no retry
                        // fills makes the transaction manager bump the epoch.
                        self.shared
                            .accumulator
                            .in_flight_done(&batch.topic, batch.partition);
                        self.shared.transactions.out_of_order(
                            &batch.topic,
                            batch.partition,
                            sequence,
                        );
                        self.requeue(batch, Duration::ZERO);
                    }
                    None => self.retry_or_fail(batch, KafkaError::broker(code, "produce")),
                },
                ErrorCode::UNKNOWN_PRODUCER_ID | ErrorCode::INVALID_PRODUCER_ID_MAPPING
                    if batch.sequence.is_some() =>
                {
                    self.shared
                        .accumulator
                        .in_flight_done(&batch.topic, batch.partition);
                    if let Some(sequence) = batch.sequence {
                        self.shared.transactions.lost_producer_state(
                            &batch.topic,
                            batch.partition,
                            sequence,
                        );
                    }
                    self.requeue(batch, Duration::ZERO);
                }
                _ => {
                    let mut error = KafkaError::broker(
                        code,
                        format!("produce to {}-{}", batch.topic, batch.partition),
                    );
                    if let Some(message) = p.error_message.as_deref().filter(|m| !m.is_empty()) {
                        error = error.context(message);
                    }
                    self.retry_or_fail(batch, error);
                }
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

    fn requeue(&self, batch: ProducerBatch, backoff: Duration) {
        Counters::add(&self.shared.counters.retries, 1);
        self.shared.accumulator.reenqueue(batch, backoff, Instant::now());
    }

    /// Retries a batch that failed with `error` if the error is retriable and the
    /// batch has retries and time left; fails it otherwise.
    fn retry_or_fail(&mut self, batch: ProducerBatch, error: KafkaError) {
        self.shared
            .accumulator
            .in_flight_done(&batch.topic, batch.partition);
        let config = &self.shared.config;
        let within_time = batch.created.elapsed() < config.delivery_timeout;
        if error.is_retriable() && batch.attempts <= config.retries && within_time {
            if error.is_invalid_metadata() {
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
            let backoff = self.retry_backoff();
            self.requeue(batch, backoff);
        } else {
            let error = if within_time || !error.is_retriable() {
                error
            } else {
                KafkaError::timeout(format!(
                    "{} records for {}-{} expired: not delivered within delivery.timeout.ms ({} ms); last error: {error}",
                    batch.record_count(),
                    batch.topic,
                    batch.partition,
                    config.delivery_timeout.as_millis()
                ))
            };
            self.fail(batch, error);
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
            Some(leader) => match self.client.network_ref().last_error(leader.id) {
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
