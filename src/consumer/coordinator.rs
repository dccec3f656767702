//! The consumer side of the classic group protocol: finding the group coordinator,
//! joining the group (JoinGroup, then SyncGroup), committing and fetching offsets, and
//! leaving.
//!
//! Joining is asynchronous so that `poll(timeout)` keeps its timeout even when the
//! coordinator holds a JoinGroup for a long time (it answers only once every member
//! has rejoined, up to the rebalance timeout): the JoinGroup and SyncGroup requests
//! are sent and their responses handled as `poll()` comes by, in [`JoinState`] order.
//!
//! The protocol in brief: every member sends JoinGroup with its subscription encoded
//! for each assignor it supports. The coordinator picks an assignor all members
//! support and a leader, and answers everyone once all have joined; only the leader's
//! answer lists the members and their subscriptions. The leader computes the
//! assignment and sends it in its SyncGroup; the others send an empty SyncGroup, and
//! every SyncGroup answer carries that member's partitions. A member that joins
//! without a member id is first told MEMBER_ID_REQUIRED with an id to join with
//! (KIP-394), so the coordinator can tell a retry from a new member.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::assignor::{AssignmentStrategy, Member};
use super::group_protocol::{Assignment, Subscription};
use super::heartbeat::{leave_request, loses_coordinator, Heartbeat, HeartbeatTarget};
use super::offsets::OffsetAndMetadata;
use super::subscription::SubscriptionState;
use crate::client::client::coordinator_of;
use crate::client::{KafkaClient, TopicPartition};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::{BrokerAddress, Response};
use crate::protocol::messages::{
    FindCoordinatorRequest, JoinGroupRequest, JoinGroupRequestProtocol, JoinGroupResponse,
    OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    OffsetCommitResponse, OffsetFetchRequest, SyncGroupRequest, SyncGroupRequestAssignment,
    SyncGroupResponse,
};
use crate::protocol::offset_fetch::CommittedOffsetRow;

/// The protocol type of consumer groups.
const PROTOCOL_TYPE: &str = "consumer";

/// A callback of `commit_async`.
pub type CommitCallback =
    Box<dyn FnOnce(&BTreeMap<TopicPartition, OffsetAndMetadata>, Result<()>) + Send>;

/// Group settings, from the consumer config.
#[derive(Debug, Clone)]
pub(crate) struct GroupSettings {
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub strategies: Vec<AssignmentStrategy>,
    pub retry_backoff: Duration,
    pub request_timeout: Duration,
    pub rack: Option<String>,
    pub require_stable: bool,
}

/// Where the member is in joining the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinState {
    /// Not a member (yet, or any more).
    Unjoined,
    /// JoinGroup in flight.
    Joining { correlation_id: i32 },
    /// SyncGroup in flight.
    Syncing { correlation_id: i32 },
    /// Has a generation and an assignment.
    Stable,
}

/// What a response told the consumer to do.
#[derive(Debug)]
pub(crate) enum GroupEvent {
    /// The member got this assignment for the new generation.
    Assigned(Vec<TopicPartition>),
}

struct PendingCommit {
    offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    callback: Option<CommitCallback>,
}

/// The coordinator as found by FindCoordinator.
#[derive(Debug, Clone)]
struct CoordinatorNode {
    /// The id of the dedicated connection (`i32::MAX - broker id`, as the Java client
    /// does, so that group requests never queue behind fetches on the broker).
    connection_id: i32,
    address: BrokerAddress,
}

/// A member's group state.
pub(crate) struct Coordinator {
    pub settings: GroupSettings,
    coordinator: Option<CoordinatorNode>,
    pub member_id: String,
    pub generation: i32,
    pub protocol: Option<AssignmentStrategy>,
    pub state: JoinState,
    /// A rebalance is needed (the coordinator said so, or the subscription changed).
    pub rejoin_needed: bool,
    /// The subscribed topics sent with the last JoinGroup.
    pub joined_topics: BTreeSet<String>,
    /// Partition counts of the subscribed topics as of the last assignment.
    pub assigned_counts: BTreeMap<String, usize>,
    /// Don't retry joining before this (after an error).
    retry_at: Option<Instant>,
    pending_commits: HashMap<(i32, i32), PendingCommit>,
    /// Async commit callbacks whose outcome is known, to run on the caller's thread.
    completed_commits: Vec<(PendingCommit, Result<()>)>,
    /// A non-retriable group error, returned from the next `poll()`.
    pub fatal: Option<KafkaError>,
    pub heartbeat: Heartbeat,
    /// The heartbeat stopped because the coordinator was lost while the member was
    /// stable: it resumes with the next coordinator, in the same generation.
    heartbeat_orphaned: bool,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("group_id", &self.settings.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Coordinator {
    pub fn new(settings: GroupSettings, heartbeat: Heartbeat) -> Self {
        Coordinator {
            settings,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            protocol: None,
            state: JoinState::Unjoined,
            rejoin_needed: true,
            joined_topics: BTreeSet::new(),
            assigned_counts: BTreeMap::new(),
            retry_at: None,
            pending_commits: HashMap::new(),
            completed_commits: Vec::new(),
            fatal: None,
            heartbeat,
            heartbeat_orphaned: false,
        }
    }

    /// Whether rebalances are cooperative: only if every offered assignor supports it
    /// (as in the Java client), since the group may pick any of them.
    pub fn is_cooperative(&self) -> bool {
        self.settings.strategies.iter().all(|s| s.is_cooperative())
    }

    /// The coordinator's connection id, if known.
    pub fn coordinator_id(&self) -> Option<i32> {
        self.coordinator.as_ref().map(|c| c.connection_id)
    }

    /// Forgets the coordinator (it moved or is unreachable); the join in flight, if
    /// any, is abandoned.
    pub fn mark_coordinator_unknown(&mut self, client: &mut KafkaClient, why: &str) {
        if let Some(c) = self.coordinator.take() {
            log::info!(
                "group {}: coordinator {} lost ({why}); looking it up again",
                self.settings.group_id,
                c.address
            );
            client
                .network()
                .close(c.connection_id, KafkaError::connection("coordinator lost"));
        }
        if matches!(
            self.state,
            JoinState::Joining { .. } | JoinState::Syncing { .. }
        ) {
            self.state = JoinState::Unjoined;
            self.rejoin_needed = true;
        }
    }

    /// Heartbeats the current generation to the current coordinator.
    fn start_heartbeat(&mut self) {
        if let Some(c) = &self.coordinator {
            self.heartbeat.start(HeartbeatTarget {
                coordinator_id: c.connection_id,
                coordinator: c.address.clone(),
                group_id: self.settings.group_id.clone(),
                generation_id: self.generation,
                member_id: self.member_id.clone(),
                group_instance_id: self.settings.group_instance_id.clone(),
            });
            self.heartbeat_orphaned = false;
        }
    }

    /// The heartbeat thread lost the coordinator. A stable member keeps its
    /// generation and assignment, as in the Java client: the next coordinator loads the
    /// group from its log, so [`Coordinator::follow_coordinator`] finds it and the
    /// heartbeats resume there (a coordinator that no longer knows the member answers
    /// UNKNOWN_MEMBER_ID, and the member rejoins then). Any other state rejoins. The
    /// lost coordinator is `coordinator_id`: if the member has moved to another since,
    /// that one is kept.
    pub fn on_coordinator_lost(
        &mut self,
        client: &mut KafkaClient,
        coordinator_id: i32,
        why: &str,
    ) {
        if self.coordinator_id() == Some(coordinator_id) {
            self.mark_coordinator_unknown(client, why);
        }
        if self.state == JoinState::Stable {
            self.heartbeat_orphaned = true;
        } else {
            self.rejoin_needed = true;
        }
    }

    /// Finds the coordinator of a stable member whose heartbeat lost it, trying until
    /// `deadline`, and resumes the heartbeat there. A retriable failure waits for the
    /// next call.
    pub fn follow_coordinator(
        &mut self,
        client: &mut KafkaClient,
        deadline: Instant,
    ) -> Result<()> {
        if !self.heartbeat_orphaned || self.state != JoinState::Stable {
            return Ok(());
        }
        match self.ensure_coordinator(client, deadline) {
            Ok(_) => {
                self.start_heartbeat();
                Ok(())
            }
            Err(e) if e.is_retriable() => {
                log::debug!("group coordinator lookup: {e}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Forgets the member id and generation (after UNKNOWN_MEMBER_ID or leaving).
    pub fn reset_member(&mut self) {
        self.member_id.clear();
        self.generation = -1;
        self.state = JoinState::Unjoined;
        self.rejoin_needed = true;
        self.heartbeat.stop();
    }

    /// Finds the coordinator, unless known, trying until `deadline`.
    pub fn ensure_coordinator(
        &mut self,
        client: &mut KafkaClient,
        deadline: Instant,
    ) -> Result<i32> {
        if let Some(id) = self.coordinator_id() {
            return Ok(id);
        }
        let group = self.settings.group_id.clone();
        let request = FindCoordinatorRequest {
            key: group.clone(),
            key_type: 0,
            coordinator_keys: vec![group.clone()],
        };
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(KafkaError::timeout(format!(
                    "the coordinator of group {group} was not found in time"
                )));
            }
            let (_, response) = client.send_to_any(&request, deadline - now)?;
            match coordinator_of(&response) {
                Ok((node_id, address)) => {
                    // i32::MAX - a node id never overflows: node ids are not negative.
                    let connection_id = i32::MAX - node_id;
                    client.network().add_node(connection_id, address.clone());
                    log::debug!("group {group}: coordinator is node {node_id} at {address}");
                    self.coordinator = Some(CoordinatorNode {
                        connection_id,
                        address,
                    });
                    return Ok(connection_id);
                }
                Err(e) if e.is_retriable() => {
                    log::debug!("group {group}: {e}");
                }
                Err(e) => {
                    return Err(e.context(format!("finding the coordinator of group {group}")))
                }
            }
            let wait = self
                .settings
                .retry_backoff
                .min(deadline.saturating_duration_since(Instant::now()));
            // A back-off before asking again; there is nothing to wait on but time.
            std::thread::sleep(wait);
        }
    }

    /// Whether it is time to (re)join: not a member, or a rebalance is needed, and no
    /// join in flight, and no back-off pending.
    pub fn needs_join(&self, now: Instant) -> bool {
        let wanted = match self.state {
            JoinState::Unjoined => true,
            JoinState::Stable => self.rejoin_needed,
            JoinState::Joining { .. } | JoinState::Syncing { .. } => false,
        };
        wanted && self.retry_at.is_none_or(|t| now >= t)
    }

    fn backoff(&mut self) {
        self.retry_at = Some(crate::time::deadline_in(self.settings.retry_backoff));
    }

    /// Whether the coordinator connection is ready to take a request now (starting to
    /// connect if not). A coordinator that cannot be reached (its last connection
    /// failed, and the reconnect back-off still runs) is forgotten, as in the Java
    /// client, so that the next step looks it up again: a killed broker stays the
    /// coordinator in the cluster's answers only until the controller notices.
    fn coordinator_ready(&mut self, client: &mut KafkaClient) -> Option<i32> {
        let id = self.coordinator_id()?;
        let now = Instant::now();
        if client.network().is_blacked_out(id, now) {
            self.mark_coordinator_unknown(client, "it cannot be reached");
            return None;
        }
        client.network().ensure_connecting(id, now).then_some(id)
    }

    /// Sends JoinGroup with the member's subscription; the answer comes to
    /// [`Coordinator::handle_response`]. Returns `false` if the coordinator connection
    /// is not ready yet.
    pub fn send_join(
        &mut self,
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) -> Result<bool> {
        let Some(node) = self.coordinator_ready(client) else {
            return Ok(false);
        };
        let topics: Vec<String> = subscriptions.topics().iter().cloned().collect();
        let owned: Vec<TopicPartition> = subscriptions.assigned().cloned().collect();
        let subscription = Subscription {
            topics,
            user_data: None,
            owned_partitions: owned,
            generation_id: self.generation,
            rack_id: self.settings.rack.clone(),
        };
        let metadata = subscription.encode();
        let protocols = self
            .settings
            .strategies
            .iter()
            .map(|s| JoinGroupRequestProtocol {
                name: s.name().to_owned(),
                metadata: metadata.clone(),
            })
            .collect();
        let request = JoinGroupRequest {
            group_id: self.settings.group_id.clone(),
            session_timeout_ms: millis(self.settings.session_timeout),
            rebalance_timeout_ms: millis(self.settings.rebalance_timeout),
            member_id: self.member_id.clone(),
            group_instance_id: self.settings.group_instance_id.clone(),
            protocol_type: PROTOCOL_TYPE.to_owned(),
            protocols,
            reason: None,
        };
        // The coordinator holds the JoinGroup until every member rejoined, up to the
        // rebalance timeout (the Java client allows that plus 5 s).
        let timeout = self
            .settings
            .request_timeout
            .max(self.settings.rebalance_timeout + Duration::from_secs(5));
        let version = client.network().negotiate::<JoinGroupRequest>(node)?;
        let correlation_id = client
            .network()
            .send_with(node, &request, version, timeout, true)?;
        self.heartbeat.stop();
        self.state = JoinState::Joining { correlation_id };
        self.joined_topics = subscriptions.topics().clone();
        self.rejoin_needed = false;
        self.retry_at = None;
        log::debug!(
            "group {}: joining as `{}` (generation {})",
            self.settings.group_id,
            self.member_id,
            self.generation
        );
        Ok(true)
    }

    /// Whether `response` answers a request of this coordinator.
    pub fn owns(&self, response: &Response) -> bool {
        if self
            .pending_commits
            .contains_key(&(response.node_id, response.correlation_id))
        {
            return true;
        }
        if self.coordinator_id() != Some(response.node_id) {
            return false;
        }
        match self.state {
            JoinState::Joining { correlation_id } | JoinState::Syncing { correlation_id } => {
                correlation_id == response.correlation_id
            }
            _ => false,
        }
    }

    /// Handles the response of a JoinGroup, SyncGroup or async OffsetCommit.
    pub fn handle_response(
        &mut self,
        response: Response,
        client: &mut KafkaClient,
    ) -> Result<Option<GroupEvent>> {
        if let Some(pending) = self
            .pending_commits
            .remove(&(response.node_id, response.correlation_id))
        {
            let outcome = response
                .decode::<OffsetCommitRequest>()
                .and_then(|r| self.commit_outcome(client, &r));
            self.completed_commits.push((pending, outcome));
            return Ok(None);
        }
        let result = match self.state {
            JoinState::Joining { .. } => match response.decode::<JoinGroupRequest>() {
                Ok(join) => self.on_join(join, client).map(|()| None),
                Err(e) => {
                    self.on_group_request_failed(client, "JoinGroup", &e);
                    Ok(None)
                }
            },
            JoinState::Syncing { .. } => match response.decode::<SyncGroupRequest>() {
                Ok(sync) => self.on_sync(sync, client),
                Err(e) => {
                    self.on_group_request_failed(client, "SyncGroup", &e);
                    Ok(None)
                }
            },
            _ => Ok(None),
        };
        result.or_else(|e| self.join_failed(e))
    }

    /// Any error on the way through JoinGroup and SyncGroup (an assignment that does
    /// not decode, a member's subscription the leader cannot read, metadata the
    /// leader cannot get, a request that cannot be sent) leaves the member ready to
    /// join again after the back-off, never half-way: the next `poll()` rejoins. A
    /// retriable error is only logged; any other reaches the caller of `poll()`, each
    /// time it happens again.
    fn join_failed(&mut self, e: KafkaError) -> Result<Option<GroupEvent>> {
        log::warn!(
            "group {}: joining failed, will rejoin: {e}",
            self.settings.group_id
        );
        self.state = JoinState::Unjoined;
        self.rejoin_needed = true;
        self.backoff();
        if e.is_retriable() {
            Ok(None)
        } else {
            Err(e)
        }
    }

    fn on_group_request_failed(&mut self, client: &mut KafkaClient, what: &str, e: &KafkaError) {
        log::info!("group {}: {what} failed: {e}", self.settings.group_id);
        self.state = JoinState::Unjoined;
        self.rejoin_needed = true;
        self.mark_coordinator_unknown(client, &e.to_string());
        self.backoff();
    }

    fn on_join(&mut self, join: JoinGroupResponse, client: &mut KafkaClient) -> Result<()> {
        let code = ErrorCode(join.error_code);
        let group = self.settings.group_id.clone();
        match code {
            ErrorCode::NONE => {}
            ErrorCode::MEMBER_ID_REQUIRED => {
                // KIP-394: join again, at once, with the id the coordinator handed out.
                self.member_id = join.member_id;
                self.state = JoinState::Unjoined;
                self.rejoin_needed = true;
                return Ok(());
            }
            ErrorCode::UNKNOWN_MEMBER_ID => {
                self.reset_member();
                return Ok(());
            }
            ErrorCode::ILLEGAL_GENERATION | ErrorCode::REBALANCE_IN_PROGRESS => {
                self.state = JoinState::Unjoined;
                self.rejoin_needed = true;
                return Ok(());
            }
            ErrorCode::COORDINATOR_LOAD_IN_PROGRESS => {
                self.state = JoinState::Unjoined;
                self.backoff();
                return Ok(());
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.state = JoinState::Unjoined;
                self.mark_coordinator_unknown(client, code.name());
                self.backoff();
                return Ok(());
            }
            _ => {
                self.state = JoinState::Unjoined;
                return Err(KafkaError::broker(code, format!("joining group {group}")));
            }
        }
        self.member_id = join.member_id.clone();
        self.generation = join.generation_id;
        let protocol = join.protocol_name.clone().unwrap_or_default();
        self.protocol = AssignmentStrategy::from_name(&protocol);
        if self.protocol.is_none() {
            self.state = JoinState::Unjoined;
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!("group {group} chose the assignor `{protocol}`, which this member did not offer"),
            ));
        }
        let assignments = if join.leader == join.member_id && !join.skip_assignment {
            self.lead(&join, client)?
        } else {
            Vec::new()
        };
        let Some(node) = self.coordinator_ready(client) else {
            self.state = JoinState::Unjoined;
            self.rejoin_needed = true;
            return Ok(());
        };
        let request = SyncGroupRequest {
            group_id: group,
            generation_id: self.generation,
            member_id: self.member_id.clone(),
            group_instance_id: self.settings.group_instance_id.clone(),
            protocol_type: Some(PROTOCOL_TYPE.to_owned()),
            protocol_name: Some(protocol),
            assignments,
        };
        let timeout = self
            .settings
            .request_timeout
            .max(self.settings.rebalance_timeout);
        let version = client.network().negotiate::<SyncGroupRequest>(node)?;
        let correlation_id = client
            .network()
            .send_with(node, &request, version, timeout, true)?;
        self.state = JoinState::Syncing { correlation_id };
        Ok(())
    }

    /// As the leader: computes every member's assignment.
    fn lead(
        &mut self,
        join: &JoinGroupResponse,
        client: &mut KafkaClient,
    ) -> Result<Vec<SyncGroupRequestAssignment>> {
        let mut members = Vec::with_capacity(join.members.len());
        for m in &join.members {
            let sub = Subscription::decode(m.metadata.clone())
                .map_err(|e| e.context(format!("the subscription of member {}", m.member_id)))?;
            members.push(Member {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                topics: sub.topics,
                owned: sub.owned_partitions,
                generation: sub.generation_id,
            });
        }
        let topics: BTreeSet<String> = members
            .iter()
            .flat_map(|m| m.topics.iter().cloned())
            .collect();
        let topics: Vec<String> = topics.into_iter().collect();
        client.update_metadata(Some(&topics), false, self.settings.request_timeout)?;
        let counts: BTreeMap<String, i32> = topics
            .iter()
            .filter_map(|t| {
                let n = client.cluster().partition_count(t)?;
                Some((t.clone(), i32::try_from(n).ok()?))
            })
            .collect();
        let strategy = self.protocol.unwrap_or(AssignmentStrategy::Range);
        let assignment = strategy.assign(&counts, &members);
        log::debug!(
            "group {}: leader of generation {} assigns with {strategy}: {assignment:?}",
            self.settings.group_id,
            self.generation
        );
        Ok(assignment
            .into_iter()
            .map(|(member_id, partitions)| SyncGroupRequestAssignment {
                member_id,
                assignment: Assignment {
                    partitions,
                    user_data: None,
                }
                .encode(),
            })
            .collect())
    }

    fn on_sync(
        &mut self,
        sync: SyncGroupResponse,
        client: &mut KafkaClient,
    ) -> Result<Option<GroupEvent>> {
        let code = ErrorCode(sync.error_code);
        match code {
            ErrorCode::NONE => {}
            ErrorCode::UNKNOWN_MEMBER_ID | ErrorCode::FENCED_INSTANCE_ID => {
                if code == ErrorCode::FENCED_INSTANCE_ID {
                    self.state = JoinState::Unjoined;
                    return Err(KafkaError::broker(
                        code,
                        format!("syncing group {}", self.settings.group_id),
                    ));
                }
                self.reset_member();
                return Ok(None);
            }
            ErrorCode::ILLEGAL_GENERATION | ErrorCode::REBALANCE_IN_PROGRESS => {
                self.state = JoinState::Unjoined;
                self.rejoin_needed = true;
                return Ok(None);
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.state = JoinState::Unjoined;
                self.mark_coordinator_unknown(client, code.name());
                self.backoff();
                return Ok(None);
            }
            _ => {
                self.state = JoinState::Unjoined;
                return Err(KafkaError::broker(
                    code,
                    format!("syncing group {}", self.settings.group_id),
                ));
            }
        }
        let assignment = Assignment::decode(sync.assignment)?;
        self.state = JoinState::Stable;
        self.start_heartbeat();
        log::info!(
            "group {}: generation {} assigned {} partitions to `{}`",
            self.settings.group_id,
            self.generation,
            assignment.partitions.len(),
            self.member_id
        );
        Ok(Some(GroupEvent::Assigned(assignment.partitions)))
    }

    /// A group member (`member`: the consumer subscribed) commits only in a stable
    /// generation, as in the Java client: sent with generation -1 while a join is
    /// under way, the commit would earn UNKNOWN_MEMBER_ID, whose handling abandons the
    /// join in flight and leaves a ghost member until its session times out. As with
    /// the Java client's RebalanceInProgressException, the caller commits again after
    /// the next `poll()` has rejoined.
    fn check_member_commit(&self, member: bool) -> Result<()> {
        if !member || (self.state == JoinState::Stable && !self.member_id.is_empty()) {
            return Ok(());
        }
        Err(KafkaError::broker(
            ErrorCode::REBALANCE_IN_PROGRESS,
            format!(
                "group {} is rebalancing: this member can commit once poll() has rejoined it",
                self.settings.group_id
            ),
        ))
    }

    /// The generation and member id to commit with: the member's while it is in a
    /// stable generation, else none (a commit of a consumer that is not a member, as
    /// with `assign()`).
    fn commit_identity(&self) -> (i32, String) {
        if self.state == JoinState::Stable && !self.member_id.is_empty() {
            (self.generation, self.member_id.clone())
        } else {
            (-1, String::new())
        }
    }

    fn commit_request(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> OffsetCommitRequest {
        let (generation, member_id) = self.commit_identity();
        let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
        for (tp, om) in offsets {
            let partition = OffsetCommitRequestPartition {
                partition_index: tp.partition,
                committed_offset: om.offset,
                committed_leader_epoch: om.leader_epoch.unwrap_or(-1),
                committed_metadata: Some(om.metadata.clone()),
            };
            match topics.last_mut() {
                Some(t) if t.name == tp.topic => t.partitions.push(partition),
                _ => topics.push(OffsetCommitRequestTopic {
                    name: tp.topic.clone(),
                    partitions: vec![partition],
                }),
            }
        }
        OffsetCommitRequest {
            group_id: self.settings.group_id.clone(),
            generation_id_or_member_epoch: generation,
            member_id,
            group_instance_id: self.settings.group_instance_id.clone(),
            topics,
            ..Default::default()
        }
    }

    /// Interprets an OffsetCommit response: `Ok` if every partition was committed, else
    /// the first error. Group errors request a rejoin or a coordinator lookup.
    fn commit_outcome(
        &mut self,
        client: &mut KafkaClient,
        response: &OffsetCommitResponse,
    ) -> Result<()> {
        let mut first: Option<KafkaError> = None;
        for topic in &response.topics {
            for p in &topic.partitions {
                let code = ErrorCode(p.error_code);
                if code == ErrorCode::NONE {
                    continue;
                }
                match code {
                    ErrorCode::NOT_COORDINATOR
                    | ErrorCode::COORDINATOR_NOT_AVAILABLE
                    | ErrorCode::REQUEST_TIMED_OUT => {
                        self.mark_coordinator_unknown(client, code.name());
                    }
                    ErrorCode::UNKNOWN_MEMBER_ID => self.reset_member(),
                    ErrorCode::ILLEGAL_GENERATION | ErrorCode::REBALANCE_IN_PROGRESS => {
                        self.rejoin_needed = true;
                    }
                    _ => {}
                }
                if first.is_none() {
                    let context =
                        format!("committing offsets of {}-{}", topic.name, p.partition_index);
                    let mut e = KafkaError::broker(code, context);
                    if matches!(
                        code,
                        ErrorCode::UNKNOWN_MEMBER_ID
                            | ErrorCode::ILLEGAL_GENERATION
                            | ErrorCode::REBALANCE_IN_PROGRESS
                    ) {
                        e = e.context("the group rebalanced, so this commit failed (the partitions may now belong to another member)");
                    }
                    first = Some(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Commits `offsets`, retrying coordinator errors until `deadline`.
    pub fn commit_sync(
        &mut self,
        client: &mut KafkaClient,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        deadline: Instant,
    ) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        self.check_member_commit(member)?;
        loop {
            let node = self.ensure_coordinator(client, deadline)?;
            let request = self.commit_request(offsets);
            let timeout = deadline.saturating_duration_since(Instant::now());
            let outcome = client
                .send_and_wait(node, &request, timeout)
                .and_then(|r| self.commit_outcome(client, &r));
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) if e.is_retriable() && Instant::now() < deadline => {
                    if loses_coordinator(&e) {
                        self.mark_coordinator_unknown(client, &e.to_string());
                    }
                    log::debug!("commit failed, retrying: {e}");
                    let wait = self
                        .settings
                        .retry_backoff
                        .min(deadline.saturating_duration_since(Instant::now()));
                    // A back-off before retrying; nothing to wait on but time.
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a commit of `offsets` without waiting; `callback` runs on the caller's
    /// thread in a later `poll()` (or `commit()`, `close()`).
    pub fn commit_async(
        &mut self,
        client: &mut KafkaClient,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        callback: Option<CommitCallback>,
    ) {
        let pending = PendingCommit { offsets, callback };
        if pending.offsets.is_empty() {
            self.completed_commits.push((pending, Ok(())));
            return;
        }
        if let Err(e) = self.check_member_commit(member) {
            self.completed_commits.push((pending, Err(e)));
            return;
        }
        let Some(node) = self.coordinator_ready(client) else {
            let e = KafkaError::broker(
                ErrorCode::COORDINATOR_NOT_AVAILABLE,
                format!("committing offsets of group {}", self.settings.group_id),
            );
            self.completed_commits.push((pending, Err(e)));
            return;
        };
        let request = self.commit_request(&pending.offsets);
        match client.network().send(node, &request) {
            Ok(correlation_id) => {
                self.pending_commits.insert((node, correlation_id), pending);
            }
            Err(e) => self.completed_commits.push((pending, Err(e))),
        }
    }

    /// Whether async commits are still waiting for their answers.
    pub fn has_pending_commits(&self) -> bool {
        !self.pending_commits.is_empty()
    }

    /// Runs the callbacks of async commits that completed.
    pub fn run_commit_callbacks(&mut self) {
        for (pending, outcome) in std::mem::take(&mut self.completed_commits) {
            if let Err(e) = &outcome {
                log::warn!(
                    "async commit of group {} failed: {e}",
                    self.settings.group_id
                );
            }
            if let Some(callback) = pending.callback {
                callback(&pending.offsets, outcome);
            }
        }
    }

    /// Fails async commits whose request is lost (the connection closed under them is
    /// reported as a response, so this is only for close()).
    pub fn abandon_pending_commits(&mut self) {
        for (_, pending) in self.pending_commits.drain() {
            let e = KafkaError::closed("the consumer closed before the commit was answered");
            self.completed_commits.push((pending, Err(e)));
        }
    }

    /// The committed offsets of `partitions` (`None` for those without one), retrying
    /// coordinator errors until `deadline`.
    pub fn fetch_committed(
        &mut self,
        client: &mut KafkaClient,
        partitions: &[TopicPartition],
        deadline: Instant,
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for tp in partitions {
            by_topic
                .entry(tp.topic.clone())
                .or_default()
                .push(tp.partition);
        }
        let request = OffsetFetchRequest::for_group(
            &self.settings.group_id,
            Some(&by_topic),
            self.settings.require_stable,
        );
        loop {
            let node = self.ensure_coordinator(client, deadline)?;
            let timeout = deadline.saturating_duration_since(Instant::now());
            let outcome = client
                .send_and_wait(node, &request, timeout)
                .and_then(|response| {
                    let (code, rows) = response.group_rows();
                    let code = ErrorCode(code);
                    if code != ErrorCode::NONE {
                        return Err(KafkaError::broker(
                            code,
                            format!(
                                "fetching committed offsets of group {}",
                                self.settings.group_id
                            ),
                        ));
                    }
                    let mut result = BTreeMap::new();
                    for CommittedOffsetRow {
                        topic,
                        partition,
                        offset,
                        epoch,
                        metadata,
                        code,
                    } in rows
                    {
                        let code = ErrorCode(code);
                        let tp = TopicPartition::new(topic, partition);
                        if code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                            result.insert(tp, None);
                            continue;
                        }
                        if code != ErrorCode::NONE {
                            return Err(KafkaError::broker(
                                code,
                                format!("fetching the committed offset of {tp}"),
                            ));
                        }
                        let value = (offset >= 0).then(|| OffsetAndMetadata {
                            offset,
                            metadata: metadata.unwrap_or_default(),
                            leader_epoch: (epoch >= 0).then_some(epoch),
                        });
                        result.insert(tp, value);
                    }
                    for tp in partitions {
                        result.entry(tp.clone()).or_insert(None);
                    }
                    Ok(result)
                });
            match outcome {
                Ok(result) => return Ok(result),
                Err(e) if e.is_retriable() && Instant::now() < deadline => {
                    if loses_coordinator(&e) {
                        self.mark_coordinator_unknown(client, &e.to_string());
                    }
                    let wait = self
                        .settings
                        .retry_backoff
                        .min(deadline.saturating_duration_since(Instant::now()));
                    // A back-off before retrying; nothing to wait on but time.
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Leaves the group (LeaveGroup), best effort within `deadline`. A static member
    /// stays (its session expires instead), as in the Java client.
    pub fn leave(&mut self, client: &mut KafkaClient, reason: &str, deadline: Instant) {
        self.heartbeat.stop();
        let was_member = !self.member_id.is_empty() && self.generation >= 0;
        if was_member && self.settings.group_instance_id.is_none() {
            if let Some(node) = self.coordinator_id() {
                let request = leave_request(&self.settings.group_id, &self.member_id, None, reason);
                let timeout = deadline.saturating_duration_since(Instant::now());
                if let Err(e) = client.send_and_wait(node, &request, timeout) {
                    log::debug!("LeaveGroup of group {} failed: {e}", self.settings.group_id);
                }
            }
        }
        self.reset_member();
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::config::ClientConfig;
    use crate::consumer::heartbeat::HeartbeatSettings;
    use crate::protocol::api::Request;
    use crate::protocol::messages::JoinGroupResponseMember;
    use crate::protocol::schema::Field;

    fn coordinator() -> (Coordinator, KafkaClient) {
        let config = ClientConfig::new("127.0.0.1:1");
        let heartbeat = Heartbeat::spawn(
            config.clone(),
            HeartbeatSettings {
                interval: Duration::from_secs(3),
                session_timeout: Duration::from_secs(45),
                max_poll_interval: Duration::from_secs(300),
                retry_backoff: Duration::from_millis(100),
                request_timeout: Duration::from_secs(30),
            },
        )
        .expect("heartbeat");
        let settings = GroupSettings {
            group_id: "g".into(),
            group_instance_id: None,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            strategies: vec![AssignmentStrategy::Range],
            retry_backoff: Duration::from_millis(100),
            request_timeout: Duration::from_secs(30),
            rack: None,
            require_stable: false,
        };
        let client = KafkaClient::new(config).expect("client");
        (Coordinator::new(settings, heartbeat), client)
    }

    /// A response frame of `R`'s API at `version` answering `correlation_id`.
    fn response<R: Request>(body: &R::Response, version: i16, correlation_id: i32) -> Response {
        let support = R::SUPPORT;
        let mut frame = correlation_id.to_be_bytes().to_vec();
        if support.response_header_version(version) >= 1 {
            frame.push(0);
        }
        body.encode(&mut frame, support.ctx(version));
        Response {
            node_id: i32::MAX - 1,
            correlation_id,
            api_key: support.key,
            api_version: version,
            result: Ok(Bytes::from(frame)),
        }
    }

    fn joined_as_leader(metadata: Bytes) -> JoinGroupResponse {
        JoinGroupResponse {
            generation_id: 3,
            protocol_name: Some("range".into()),
            leader: "me".into(),
            member_id: "me".into(),
            members: vec![
                JoinGroupResponseMember {
                    member_id: "me".into(),
                    group_instance_id: None,
                    metadata: Subscription {
                        topics: vec!["t".into()],
                        ..Default::default()
                    }
                    .encode(),
                },
                JoinGroupResponseMember {
                    member_id: "hostile".into(),
                    group_instance_id: None,
                    metadata,
                },
            ],
            ..Default::default()
        }
    }

    fn known_coordinator(c: &mut Coordinator, node: i32) {
        c.coordinator = Some(CoordinatorNode {
            connection_id: i32::MAX - node,
            address: BrokerAddress {
                host: "127.0.0.1".into(),
                port: 1,
            },
        });
    }

    #[test]
    fn a_stable_member_keeps_its_generation_when_the_coordinator_moves() {
        let (mut c, mut client) = coordinator();
        known_coordinator(&mut c, 1);
        c.state = JoinState::Stable;
        c.generation = 3;
        c.rejoin_needed = false;
        // A loss reported for a coordinator the member already left changes nothing.
        c.on_coordinator_lost(&mut client, i32::MAX - 7, "old news");
        assert_eq!(c.coordinator_id(), Some(i32::MAX - 1));
        c.on_coordinator_lost(&mut client, i32::MAX - 1, "connection refused");
        assert_eq!(c.coordinator_id(), None, "looked up again");
        assert_eq!(c.state, JoinState::Stable);
        assert_eq!(c.generation, 3);
        assert!(!c.rejoin_needed, "no rebalance for a coordinator move");
        assert!(
            c.heartbeat_orphaned,
            "the heartbeat resumes at the next one"
        );
    }

    #[test]
    fn a_joining_member_rejoins_when_the_coordinator_is_lost() {
        let (mut c, mut client) = coordinator();
        known_coordinator(&mut c, 1);
        c.state = JoinState::Joining { correlation_id: 4 };
        c.rejoin_needed = false;
        c.on_coordinator_lost(&mut client, i32::MAX - 1, "connection refused");
        assert_eq!(c.state, JoinState::Unjoined);
        assert!(c.rejoin_needed);
        assert!(!c.heartbeat_orphaned);
    }

    #[test]
    fn connection_errors_and_timeouts_lose_the_coordinator() {
        assert!(loses_coordinator(&KafkaError::connection("reset")));
        assert!(loses_coordinator(&KafkaError::timeout("request")));
        assert!(loses_coordinator(&KafkaError::broker(
            ErrorCode::NOT_COORDINATOR,
            "commit"
        )));
        assert!(!loses_coordinator(&KafkaError::broker(
            ErrorCode::REBALANCE_IN_PROGRESS,
            "commit"
        )));
    }

    #[test]
    fn a_subscription_the_leader_cannot_read_sends_the_member_back_to_rejoin() {
        let (mut c, mut client) = coordinator();
        c.state = JoinState::Joining { correlation_id: 7 };
        let join = joined_as_leader(Bytes::from_static(&[0, 9, 1]));
        let version = JoinGroupRequest::SUPPORT.max_version;
        let err = c
            .handle_response(response::<JoinGroupRequest>(&join, version, 7), &mut client)
            .unwrap_err();
        assert!(
            err.to_string().contains("subscription of member hostile"),
            "{err}"
        );
        assert_eq!(c.state, JoinState::Unjoined, "not stuck in Joining");
        assert!(c.rejoin_needed);
        // The back-off passes, then the member joins again.
        assert!(!c.needs_join(Instant::now()));
        assert!(c.needs_join(Instant::now() + Duration::from_secs(1)));
    }

    #[test]
    fn an_assignment_that_does_not_decode_sends_the_member_back_to_rejoin() {
        let (mut c, mut client) = coordinator();
        c.state = JoinState::Syncing { correlation_id: 8 };
        let sync = SyncGroupResponse {
            assignment: Bytes::from_static(&[0, 0, 0, 0, 0x7f]),
            ..Default::default()
        };
        let version = SyncGroupRequest::SUPPORT.max_version;
        let result =
            c.handle_response(response::<SyncGroupRequest>(&sync, version, 8), &mut client);
        assert!(result.is_err(), "{result:?}");
        assert_eq!(c.state, JoinState::Unjoined, "not stuck in Syncing");
        assert!(c.rejoin_needed);
    }

    #[test]
    fn a_member_does_not_commit_outside_a_stable_generation() {
        let (mut c, mut client) = coordinator();
        c.member_id = "me".into();
        c.generation = 4;
        let offsets = BTreeMap::from([(TopicPartition::new("t", 0), OffsetAndMetadata::new(5))]);
        for state in [
            JoinState::Unjoined,
            JoinState::Joining { correlation_id: 1 },
            JoinState::Syncing { correlation_id: 2 },
        ] {
            c.state = state;
            let err = c
                .commit_sync(
                    &mut client,
                    &offsets,
                    true,
                    Instant::now() + Duration::from_secs(5),
                )
                .unwrap_err();
            // As in the Java client (RebalanceInProgressException): not a retriable
            // error class, but the message says to commit again after poll().
            assert_eq!(err.code(), Some(ErrorCode::REBALANCE_IN_PROGRESS), "{err}");
            assert!(err.to_string().contains("poll()"), "{err}");
            assert_eq!(c.state, state, "the join in flight is kept");
            assert_eq!(c.member_id, "me");
        }
        // Asynchronous commits are refused the same way, through their callback.
        c.commit_async(&mut client, offsets, true, None);
        assert!(matches!(
            c.completed_commits.last(),
            Some((_, Err(e))) if e.code() == Some(ErrorCode::REBALANCE_IN_PROGRESS)
        ));
    }
}
