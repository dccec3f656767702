//! The transactional producer (KIP-98): the transaction's state machine and the
//! requests to the coordinators. (The producer id's sequence numbers are
//! [`transaction`](super::transaction)'s; this module decides what the producer may do
//! and tells the coordinators.)
//!
//! It talks to the transaction coordinator of `transactional.id` and, for
//! `send_offsets_to_transaction`, to the consumer group's coordinator, over a client
//! of its own, on the caller's thread: every call blocks until its deadline at most.
//! The sender thread only sends the records, marked transactional, with the producer
//! id this module obtained.
//!
//! The states, as in the Java client:
//! - **uninitialized** until `init_transactions` got a producer id (initializing while
//!   it runs: a call that timed out resumes there);
//! - **ready** between transactions;
//! - **in transaction** after `begin_transaction`: `send()` notes each new partition of
//!   the transaction; with protocol v1 the [`partition_adder`](super::partition_adder)
//!   thread adds them in batches (AddPartitionsToTxn) before their records go, with
//!   v2 the first Produce request does it on the broker;
//! - **committing** / **aborting** while `commit_transaction` / `abort_transaction`
//!   run: they flush (or drop) the records, then end the transaction (EndTxn); a call
//!   that timed out resumes where it stopped;
//! - **abortable error**: a record of the transaction failed, or a coordinator refused
//!   a step; only `abort_transaction` is allowed;
//! - **fatal error**: the producer was fenced by a newer one with the same
//!   transactional id, or is not authorized; only `close` is left.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::client::client::coordinator_of;
use crate::client::offsets::{ConsumerGroupMetadata, OffsetAndMetadata};
use crate::client::{KafkaClient, TopicPartition};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, EndTxnRequest,
    FindCoordinatorRequest, InitProducerIdRequest, TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use crate::protocol::Request;

use super::transaction::ProducerIdAndEpoch;

/// FindCoordinator's key type of a transactional id.
const TRANSACTION_KEY: i8 = 1;
/// FindCoordinator's key type of a consumer group.
const GROUP_KEY: i8 = 0;
/// The highest EndTxn and TxnOffsetCommit versions of transactions protocol v1: later
/// ones ask for v2 (KIP-890), as Produce 12 does.
const END_TXN_MAX_V1: i16 = 4;
const TXN_OFFSET_COMMIT_MAX_V1: i16 = 4;
/// The cluster feature whose level 2 is transactions protocol v2.
const TRANSACTION_VERSION: &str = "transaction.version";

/// Where the transaction stands.
#[derive(Debug, Clone)]
pub(crate) enum TxnState {
    Uninitialized,
    Initializing,
    Ready,
    InTransaction,
    Committing,
    Aborting,
    AbortableError(KafkaError),
    FatalError(KafkaError),
}

impl TxnState {
    fn name(&self) -> &'static str {
        match self {
            TxnState::Uninitialized => "uninitialized (call init_transactions first)",
            TxnState::Initializing => "initializing",
            TxnState::Ready => "ready (no transaction begun)",
            TxnState::InTransaction => "in a transaction",
            TxnState::Committing => "committing",
            TxnState::Aborting => "aborting",
            TxnState::AbortableError(_) => "in an abortable error (abort the transaction)",
            TxnState::FatalError(_) => "in a fatal error (close the producer)",
        }
    }
}

/// Turns `error`, which stopped the transaction, into the error the user gets: fatal
/// ones keep their code and say to close the producer; others become
/// TRANSACTION_ABORTABLE and say to abort.
fn classify(error: &KafkaError) -> TxnState {
    if error.is_fatal() {
        TxnState::FatalError(KafkaError::new(
            error.kind(),
            format!(
                "{}; the transactional producer cannot go on: close it (if it was fenced, by a newer producer with its transactional.id or by the coordinator aborting a transaction open past transaction.timeout.ms, start a new one)",
                error.message()
            ),
        ))
    } else {
        TxnState::AbortableError(KafkaError::broker(
            ErrorCode::TRANSACTION_ABORTABLE,
            format!("the transaction ({error}); call abort_transaction and retry it"),
        ))
    }
}

/// The transactional producer's state and its coordinator connections.
pub(crate) struct TransactionControl {
    transactional_id: String,
    transaction_timeout: Duration,
    retry_backoff: Duration,
    client: KafkaClient,
    /// The transaction coordinator's node id, once found.
    coordinator: Option<i32>,
    state: TxnState,
    /// The producer id and epoch from InitProducerId.
    producer: Option<ProducerIdAndEpoch>,
    /// Partitions added to the current transaction.
    partitions: BTreeSet<TopicPartition>,
    /// Partitions with records in the current transaction, not added yet (v1).
    pending: BTreeSet<TopicPartition>,
    /// Whether the current transaction includes consumer offsets.
    has_offsets: bool,
    /// Transactions protocol v2 (KIP-890), when the cluster finalized
    /// `transaction.version` 2: no AddPartitionsToTxn or AddOffsetsToTxn (Produce and
    /// TxnOffsetCommit add to the transaction on the broker), and every EndTxn raises
    /// the producer epoch, returning the one to use next.
    v2: bool,
}

impl std::fmt::Debug for TransactionControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionControl")
            .field("transactional_id", &self.transactional_id)
            .field("state", &self.state.name())
            .field("producer", &self.producer)
            .field("partitions", &self.partitions.len())
            .finish_non_exhaustive()
    }
}

impl TransactionControl {
    pub fn new(
        transactional_id: String,
        transaction_timeout: Duration,
        client: KafkaClient,
    ) -> Self {
        TransactionControl {
            transactional_id,
            transaction_timeout,
            retry_backoff: client.config().retry_backoff,
            client,
            coordinator: None,
            state: TxnState::Uninitialized,
            producer: None,
            partitions: BTreeSet::new(),
            pending: BTreeSet::new(),
            has_offsets: false,
            v2: false,
        }
    }

    /// Whether the transactions use protocol v2 (decided at `init` and at each
    /// `begin`, from what the transaction coordinator reports the cluster finalized).
    pub fn uses_v2(&self) -> bool {
        self.v2
    }

    /// Looks up which transactions protocol the cluster finalized, as the
    /// coordinator announced it in its ApiVersions response.
    fn refresh_protocol(&mut self) {
        if let Some(table) = self
            .coordinator
            .and_then(|node| self.client.known_api_versions(node))
        {
            let v2 = table.feature_level(TRANSACTION_VERSION) >= 2;
            if v2 != self.v2 {
                log::info!(
                    "transactional id {}: transactions protocol v{}",
                    self.transactional_id,
                    if v2 { 2 } else { 1 }
                );
            }
            self.v2 = v2;
        }
    }

    /// The highest version of a request whose later versions mean protocol v2.
    fn cap(&self, v1_max: i16) -> i16 {
        if self.v2 {
            i16::MAX
        } else {
            v1_max
        }
    }

    /// The state.
    #[cfg(test)]
    pub fn state(&self) -> &TxnState {
        &self.state
    }

    fn wrong_state(&self, what: &str) -> KafkaError {
        match &self.state {
            TxnState::AbortableError(e) | TxnState::FatalError(e) => e.clone(),
            state => KafkaError::invalid_argument(format!(
                "{what} is not allowed while the transactional producer is {}",
                state.name()
            )),
        }
    }

    /// `init_transactions`: gets the producer id and epoch of the transactional id,
    /// fencing older producers with it (and the coordinator finishes or aborts their
    /// open transaction first).
    pub fn init(&mut self, deadline: Instant) -> Result<ProducerIdAndEpoch> {
        match self.state {
            TxnState::Uninitialized | TxnState::Initializing => {}
            _ => return Err(self.wrong_state("init_transactions()")),
        }
        self.state = TxnState::Initializing;
        let request = InitProducerIdRequest {
            transactional_id: Some(self.transactional_id.clone()),
            transaction_timeout_ms: i32::try_from(self.transaction_timeout.as_millis())
                .unwrap_or(i32::MAX),
            producer_id: -1,
            producer_epoch: -1,
        };
        let response = self.call_coordinator(&request, i16::MAX, deadline, |r| r.error_code)?;
        let producer = (response.producer_id, response.producer_epoch);
        self.refresh_protocol();
        log::info!(
            "transactional id {}: producer id {} epoch {}",
            self.transactional_id,
            producer.0,
            producer.1
        );
        self.producer = Some(producer);
        self.state = TxnState::Ready;
        Ok(producer)
    }

    /// After an abort that left the producer without a usable epoch (KIP-360): asks
    /// the coordinator for the next one, passing the current producer id and epoch.
    pub fn bump_epoch(&mut self, deadline: Instant) -> Result<ProducerIdAndEpoch> {
        let (producer_id, producer_epoch) = self.producer_or_err()?;
        let request = InitProducerIdRequest {
            transactional_id: Some(self.transactional_id.clone()),
            transaction_timeout_ms: i32::try_from(self.transaction_timeout.as_millis())
                .unwrap_or(i32::MAX),
            producer_id,
            producer_epoch,
        };
        match self.call_coordinator(&request, i16::MAX, deadline, |r| r.error_code) {
            Ok(response) => {
                let producer = (response.producer_id, response.producer_epoch);
                self.producer = Some(producer);
                Ok(producer)
            }
            Err(e) => Err(self.fail_unless_timeout(e, "raising the producer epoch")),
        }
    }

    /// Whether a transaction is open (begun, and neither committed nor aborted).
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            TxnState::InTransaction
                | TxnState::Committing
                | TxnState::Aborting
                | TxnState::AbortableError(_)
        )
    }

    /// `begin_transaction`.
    pub fn begin(&mut self) -> Result<()> {
        if !matches!(self.state, TxnState::Ready) {
            return Err(self.wrong_state("begin_transaction()"));
        }
        self.refresh_protocol();
        self.pending.clear();
        self.state = TxnState::InTransaction;
        Ok(())
    }

    /// Whether `send()` may append a record now.
    pub fn check_send(&self) -> Result<()> {
        match self.state {
            TxnState::InTransaction => Ok(()),
            _ => Err(self.wrong_state("send()")),
        }
    }

    /// Notes `tp` as a partition of the transaction, before its first record is
    /// appended. With protocol v2 that is all (the first Produce request adds it on the
    /// broker); with v1 it is pending until [`add_pending`](Self::add_pending), and
    /// the result says whether it is newly pending.
    pub fn add_partition(&mut self, tp: &TopicPartition) -> Result<bool> {
        self.check_send()?;
        if self.partitions.contains(tp) || self.pending.contains(tp) {
            return Ok(false);
        }
        if self.v2 {
            self.partitions.insert(tp.clone());
            return Ok(false);
        }
        self.pending.insert(tp.clone());
        Ok(true)
    }

    /// Adds every pending partition to the transaction with one AddPartitionsToTxn
    /// (protocol v1), retrying until `deadline`; returns those added. A timeout leaves
    /// them pending; another error moves to an abortable or fatal error.
    pub fn add_pending(&mut self, deadline: Instant) -> Result<Vec<TopicPartition>> {
        if !matches!(self.state, TxnState::InTransaction | TxnState::Committing) {
            // An abort (or an error) dropped the transaction's queued records.
            self.pending.clear();
            return Ok(Vec::new());
        }
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let (producer_id, producer_epoch) = self.producer_or_err()?;
        let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
        for tp in &self.pending {
            match topics.last_mut() {
                Some(t) if t.name == tp.topic => t.partitions.push(tp.partition),
                _ => topics.push(AddPartitionsToTxnTopic {
                    name: tp.topic.clone(),
                    partitions: vec![tp.partition],
                }),
            }
        }
        let request = AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: self.transactional_id.clone(),
            v3_and_below_producer_id: producer_id,
            v3_and_below_producer_epoch: producer_epoch,
            v3_and_below_topics: topics,
        };
        let result = self.call_coordinator(&request, i16::MAX, deadline, |r| {
            r.results_by_topic_v3_and_below
                .iter()
                .flat_map(|t| &t.results_by_partition)
                .map(|p| p.partition_error_code)
                .find(|code| *code != 0)
                .unwrap_or(0)
        });
        match result {
            Ok(_) => {
                let added: Vec<TopicPartition> =
                    std::mem::take(&mut self.pending).into_iter().collect();
                self.partitions.extend(added.iter().cloned());
                Ok(added)
            }
            Err(e) if e.kind() == ErrorKind::Timeout => {
                Err(e.context("adding partitions to the transaction"))
            }
            Err(e) => {
                let count = self.pending.len();
                self.pending.clear();
                Err(self.fail_unless_timeout(
                    e,
                    &format!("adding {count} partitions to the transaction"),
                ))
            }
        }
    }

    /// `send_offsets_to_transaction`: the group's offsets commit with the transaction.
    pub fn send_offsets(
        &mut self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        group: &ConsumerGroupMetadata,
        deadline: Instant,
    ) -> Result<()> {
        if !matches!(self.state, TxnState::InTransaction) {
            return Err(self.wrong_state("send_offsets_to_transaction()"));
        }
        let (producer_id, producer_epoch) = self.producer_or_err()?;
        if !self.has_offsets && !self.v2 {
            let request = AddOffsetsToTxnRequest {
                transactional_id: self.transactional_id.clone(),
                producer_id,
                producer_epoch,
                group_id: group.group_id.clone(),
            };
            if let Err(e) = self.call_coordinator(&request, i16::MAX, deadline, |r| r.error_code) {
                return Err(self.fail_unless_timeout(e, "adding offsets to the transaction"));
            }
        }
        // From here the coordinator may count the group in the transaction (with
        // protocol v2 the TxnOffsetCommit below adds it): the transaction must end
        // with an EndTxn, whatever happens next.
        self.has_offsets = true;
        let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
        for (tp, om) in offsets {
            let partition = TxnOffsetCommitRequestPartition {
                partition_index: tp.partition,
                committed_offset: om.offset,
                committed_leader_epoch: om.leader_epoch.unwrap_or(-1),
                committed_metadata: Some(om.metadata.clone()),
            };
            match topics.last_mut() {
                Some(t) if t.name == tp.topic => t.partitions.push(partition),
                _ => topics.push(TxnOffsetCommitRequestTopic {
                    name: tp.topic.clone(),
                    partitions: vec![partition],
                }),
            }
        }
        let request = TxnOffsetCommitRequest {
            transactional_id: self.transactional_id.clone(),
            group_id: group.group_id.clone(),
            producer_id,
            producer_epoch,
            generation_id: group.generation_id,
            member_id: group.member_id.clone(),
            group_instance_id: group.group_instance_id.clone(),
            topics,
        };
        let result = self.call(
            &request,
            self.cap(TXN_OFFSET_COMMIT_MAX_V1),
            deadline,
            |c, d| c.find_coordinator(&group.group_id, GROUP_KEY, d),
            |r| {
                r.topics
                    .iter()
                    .flat_map(|t| &t.partitions)
                    .map(|p| p.error_code)
                    .find(|code| *code != 0)
                    .unwrap_or(0)
            },
        );
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail_unless_timeout(
                e,
                &format!(
                    "committing offsets of group {} in the transaction",
                    group.group_id
                ),
            )),
        }
    }

    /// The first step of `commit_transaction`: the state moves to committing (the
    /// caller then flushes the records).
    pub fn start_commit(&mut self) -> Result<()> {
        match self.state {
            TxnState::InTransaction | TxnState::Committing => {
                self.state = TxnState::Committing;
                Ok(())
            }
            _ => Err(self.wrong_state("commit_transaction()")),
        }
    }

    /// The last step of `commit_transaction`, once every record of the transaction
    /// is acknowledged or failed: `failure` is the first record error, if any.
    /// Returns the producer id and epoch to use from now on if they changed (see
    /// `end`).
    pub fn finish_commit(
        &mut self,
        failure: Option<KafkaError>,
        deadline: Instant,
    ) -> Result<Option<ProducerIdAndEpoch>> {
        if let Some(e) = failure {
            self.state = classify(&e.context("a record of the transaction failed"));
            return Err(self.wrong_state("commit_transaction()"));
        }
        self.end(true, deadline)
    }

    /// The first step of `abort_transaction`: the caller then drops the queued records
    /// and waits for those in flight.
    pub fn start_abort(&mut self) -> Result<()> {
        match self.state {
            TxnState::InTransaction
            | TxnState::Aborting
            | TxnState::AbortableError(_)
            | TxnState::Committing => {
                self.state = TxnState::Aborting;
                // Their records are dropped: nothing more joins the transaction.
                self.pending.clear();
                Ok(())
            }
            _ => Err(self.wrong_state("abort_transaction()")),
        }
    }

    /// The last step of `abort_transaction`; returns what `finish_commit` does.
    pub fn finish_abort(&mut self, deadline: Instant) -> Result<Option<ProducerIdAndEpoch>> {
        self.end(false, deadline)
    }

    /// Ends the transaction (EndTxn, if anything joined it). Returns the producer id
    /// and epoch to use from now on if they changed: with protocol v2, every EndTxn
    /// raises the epoch (and, at its maximum, hands out a new producer id).
    fn end(&mut self, commit: bool, deadline: Instant) -> Result<Option<ProducerIdAndEpoch>> {
        let mut moved = None;
        if !self.partitions.is_empty() || self.has_offsets {
            let (producer_id, producer_epoch) = self.producer_or_err()?;
            let request = EndTxnRequest {
                transactional_id: self.transactional_id.clone(),
                producer_id,
                producer_epoch,
                committed: commit,
            };
            match self.call_coordinator(&request, self.cap(END_TXN_MAX_V1), deadline, |r| {
                r.error_code
            }) {
                Ok(response) => {
                    if response.producer_id >= 0 && response.producer_epoch >= 0 {
                        let next = (response.producer_id, response.producer_epoch);
                        if Some(next) != self.producer {
                            self.producer = Some(next);
                            moved = Some(next);
                        }
                    }
                }
                Err(e) => {
                    let what = if commit { "committing" } else { "aborting" };
                    return Err(self.fail_unless_timeout(e, &format!("{what} the transaction")));
                }
            }
        }
        self.partitions.clear();
        self.pending.clear();
        self.has_offsets = false;
        self.state = TxnState::Ready;
        Ok(moved)
    }

    fn producer_or_err(&self) -> Result<ProducerIdAndEpoch> {
        self.producer.ok_or_else(|| self.wrong_state("this call"))
    }

    /// A step failed: a timeout leaves the state as it is (the call may be made
    /// again); anything else moves to an abortable or fatal error, which is returned.
    fn fail_unless_timeout(&mut self, e: KafkaError, what: &str) -> KafkaError {
        if e.kind() == ErrorKind::Timeout {
            return e.context(what);
        }
        let e = e.context(what);
        self.state = match (&self.state, classify(&e)) {
            // An abort that fails for a reason other than fencing can be tried again.
            (TxnState::Aborting, TxnState::AbortableError(_)) => TxnState::Aborting,
            (_, state) => state,
        };
        match &self.state {
            TxnState::AbortableError(err) | TxnState::FatalError(err) => err.clone(),
            _ => e,
        }
    }

    /// Sends `request` to the transaction coordinator, finding it first, retrying
    /// what is retriable until `deadline`.
    fn call_coordinator<R: Request>(
        &mut self,
        request: &R,
        cap: i16,
        deadline: Instant,
        code: impl Fn(&R::Response) -> i16,
    ) -> Result<R::Response> {
        let id = self.transactional_id.clone();
        self.call(
            request,
            cap,
            deadline,
            |c, d| c.find_coordinator(&id, TRANSACTION_KEY, d),
            code,
        )
    }

    /// Sends `request` to the coordinator `find` finds, until `deadline`: a moved or
    /// unreachable coordinator is looked up again, a busy one (loading, or another
    /// operation of the transaction still running) is asked again after the back-off.
    /// `cap` is the highest version to use.
    fn call<R: Request>(
        &mut self,
        request: &R,
        cap: i16,
        deadline: Instant,
        find: impl Fn(&mut Self, Instant) -> Result<i32>,
        code: impl Fn(&R::Response) -> i16,
    ) -> Result<R::Response> {
        let mut node: Option<i32> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(KafkaError::timeout(format!(
                    "{} did not complete in time",
                    R::SUPPORT.key
                )));
            }
            let target = match node {
                Some(n) => n,
                None => {
                    let n = find(self, deadline)?;
                    node = Some(n);
                    n
                }
            };
            let outcome = self
                .client
                .send_and_wait_at_most(target, request, cap, deadline - now)
                .and_then(|response| {
                    let c = ErrorCode(code(&response));
                    if c == ErrorCode::NONE {
                        Ok(response)
                    } else {
                        Err(KafkaError::broker(c, R::SUPPORT.key))
                    }
                });
            match outcome {
                Ok(response) => return Ok(response),
                Err(e)
                    if matches!(e.kind(), ErrorKind::Connection)
                        || matches!(
                            e.code(),
                            Some(ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE)
                        ) =>
                {
                    log::debug!(
                        "{}: coordinator lost ({e}); looking it up again",
                        R::SUPPORT.key
                    );
                    node = None;
                    if Some(target) == self.coordinator {
                        self.coordinator = None;
                    }
                }
                Err(e)
                    if matches!(
                        e.code(),
                        Some(
                            ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
                                | ErrorCode::CONCURRENT_TRANSACTIONS
                        )
                    ) || (e.kind() == ErrorKind::Timeout && Instant::now() < deadline) =>
                {
                    log::debug!("{}: {e}; retrying", R::SUPPORT.key);
                }
                Err(e) => return Err(e),
            }
            // A back-off before asking again; nothing to wait on but time.
            std::thread::sleep(
                self.retry_backoff
                    .min(deadline.saturating_duration_since(Instant::now())),
            );
        }
    }

    /// The coordinator of `key` (a transactional id or a group), as a node id
    /// registered with this module's client.
    fn find_coordinator(&mut self, key: &str, key_type: i8, deadline: Instant) -> Result<i32> {
        if key_type == TRANSACTION_KEY {
            if let Some(node) = self.coordinator {
                return Ok(node);
            }
        }
        let request = FindCoordinatorRequest {
            key: key.to_owned(),
            key_type,
            coordinator_keys: vec![key.to_owned()],
        };
        loop {
            let timeout = deadline.saturating_duration_since(Instant::now());
            if timeout.is_zero() {
                return Err(KafkaError::timeout(format!(
                    "the coordinator of {key} was not found in time"
                )));
            }
            let (_, response) = self.client.send_to_any(&request, timeout)?;
            match coordinator_of(&response) {
                Ok((node_id, address)) => {
                    self.client.add_node(node_id, address);
                    if key_type == TRANSACTION_KEY {
                        self.coordinator = Some(node_id);
                    }
                    return Ok(node_id);
                }
                Err(e) if e.is_retriable() => {
                    log::debug!("finding the coordinator of {key}: {e}");
                    std::thread::sleep(
                        self.retry_backoff
                            .min(deadline.saturating_duration_since(Instant::now())),
                    );
                }
                Err(e) => return Err(e.context(format!("finding the coordinator of {key}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn control() -> TransactionControl {
        let client = KafkaClient::new(ClientConfig::new("127.0.0.1:1")).expect("client");
        TransactionControl::new("tx".into(), Duration::from_secs(60), client)
    }

    #[test]
    fn nothing_is_allowed_before_init() {
        let mut c = control();
        assert!(c.begin().is_err());
        assert!(c.check_send().is_err());
        assert!(c.start_commit().is_err());
        assert!(c.start_abort().is_err());
        let err = c.check_send().unwrap_err();
        assert!(err.to_string().contains("init_transactions"), "{err}");
    }

    #[test]
    fn a_transaction_begins_commits_and_begins_again() {
        let mut c = control();
        c.producer = Some((7, 0));
        c.state = TxnState::Ready;
        assert!(c.check_send().is_err(), "send() outside a transaction");
        c.begin().unwrap();
        assert!(c.begin().is_err(), "no nested transactions");
        c.check_send().unwrap();
        c.start_commit().unwrap();
        assert!(c.check_send().is_err(), "no send() while committing");
        // Nothing was added: the commit needs no EndTxn.
        c.finish_commit(None, Instant::now()).unwrap();
        assert!(matches!(c.state(), TxnState::Ready));
        c.begin().unwrap();
    }

    #[test]
    fn a_failed_record_makes_the_transaction_abortable() {
        let mut c = control();
        c.producer = Some((7, 0));
        c.state = TxnState::InTransaction;
        c.start_commit().unwrap();
        let err = c
            .finish_commit(
                Some(KafkaError::broker(
                    ErrorCode::NOT_ENOUGH_REPLICAS,
                    "produce",
                )),
                Instant::now(),
            )
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::TRANSACTION_ABORTABLE), "{err}");
        assert!(err.to_string().contains("abort_transaction"), "{err}");
        assert!(c.begin().is_err());
        assert!(c.start_commit().is_err());
        c.start_abort().unwrap();
        c.finish_abort(Instant::now()).unwrap();
        assert!(matches!(c.state(), TxnState::Ready));
    }

    #[test]
    fn with_protocol_v2_a_partition_joins_the_transaction_without_a_request() {
        let mut c = control();
        c.producer = Some((7, 0));
        c.state = TxnState::InTransaction;
        c.v2 = true;
        let tp = TopicPartition::new("t", 0);
        assert!(!c.add_partition(&tp).unwrap(), "nothing for the adder");
        assert!(
            c.partitions.contains(&tp),
            "the commit will end it with EndTxn"
        );
        assert_eq!(c.cap(END_TXN_MAX_V1), i16::MAX);
        c.v2 = false;
        assert_eq!(c.cap(END_TXN_MAX_V1), 4, "protocol v1 stays below EndTxn 5");
    }

    #[test]
    fn with_protocol_v1_new_partitions_wait_for_the_adder_until_an_abort() {
        let mut c = control();
        c.producer = Some((7, 0));
        c.state = TxnState::InTransaction;
        let (a, b) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        assert!(c.add_partition(&a).unwrap(), "newly pending");
        assert!(!c.add_partition(&a).unwrap(), "already pending");
        assert!(c.add_partition(&b).unwrap());
        assert_eq!(c.pending.len(), 2);
        assert!(
            c.partitions.is_empty(),
            "not added before the adder's request"
        );
        c.start_abort().unwrap();
        assert!(c.pending.is_empty(), "an abort drops what was not added");
        assert!(
            c.add_pending(Instant::now()).unwrap().is_empty(),
            "no request"
        );
    }

    #[test]
    fn fencing_is_fatal() {
        let mut c = control();
        c.producer = Some((7, 0));
        c.state = TxnState::InTransaction;
        c.start_commit().unwrap();
        let err = c
            .finish_commit(
                Some(KafkaError::broker(ErrorCode::PRODUCER_FENCED, "produce")),
                Instant::now(),
            )
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::PRODUCER_FENCED), "{err}");
        assert!(err.to_string().contains("close"), "{err}");
        assert!(c.start_abort().is_err(), "a fenced producer cannot abort");
        assert!(c.begin().is_err());
    }
}
