//! The classic group protocol (`group.protocol=classic`): joining with JoinGroup and
//! SyncGroup, the assignment computed by the elected leader among the members, and a
//! heartbeat thread ([`super::heartbeat`]) that keeps the session alive.
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
//!
//! With eager assignors a member gives up all its partitions before it rejoins
//! ([`GroupEvent::Revoke`]); with cooperative-sticky only those of topics it no longer
//! subscribes to, and after an assignment that took partitions away it rejoins once
//! more, so that their new owners get them (KIP-429).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::heartbeat::{leave_request, Heartbeat, HeartbeatEvent, HeartbeatTarget};
use super::{GroupEvent, GroupIo, MemberIdentity, Membership};
use crate::client::group_protocol::{Assignment, Subscription};
use crate::client::{KafkaClient, TopicPartition};
use crate::consumer::assignor::{AssignmentStrategy, Member};
use crate::consumer::subscription::SubscriptionState;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{
    JoinGroupRequest, JoinGroupRequestProtocol, JoinGroupResponse, SyncGroupRequest,
    SyncGroupRequestAssignment, SyncGroupResponse,
};

/// The protocol type of consumer groups.
const PROTOCOL_TYPE: &str = "consumer";

/// Group settings, from the consumer config.
#[derive(Debug, Clone)]
pub(crate) struct ClassicSettings {
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub strategies: Vec<AssignmentStrategy>,
    pub retry_backoff: Duration,
    pub request_timeout: Duration,
    pub rack: Option<String>,
}

/// Where the member is in joining the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinState {
    /// Not a member (yet, or any more).
    Unjoined,
    /// JoinGroup in flight on the coordinator connection `node`.
    Joining { node: i32, correlation_id: i32 },
    /// SyncGroup in flight.
    Syncing { node: i32, correlation_id: i32 },
    /// Has a generation and an assignment.
    Stable,
}

/// The event the consumer is carrying out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    /// The revocation before a rejoin.
    Revocation,
    /// A new generation's assignment.
    Assignment,
    /// The loss of the partitions.
    Loss,
}

/// A member of a classic group.
pub(crate) struct Classic {
    settings: ClassicSettings,
    member_id: String,
    generation: i32,
    protocol: Option<AssignmentStrategy>,
    state: JoinState,
    /// A rebalance is needed (the coordinator said so, or the subscription changed).
    rejoin_needed: bool,
    /// The subscribed topics sent with the last JoinGroup.
    joined_topics: BTreeSet<String>,
    /// Partition counts of the subscribed topics as of the last assignment.
    assigned_counts: BTreeMap<String, usize>,
    /// Don't retry joining before this (after an error).
    retry_at: Option<Instant>,
    awaiting: Option<Awaiting>,
    heartbeat: Heartbeat,
    /// The heartbeat stopped because the coordinator was lost while the member was
    /// stable: it resumes with the next coordinator, in the same generation.
    heartbeat_orphaned: bool,
}

impl std::fmt::Debug for Classic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classic")
            .field("group_id", &self.settings.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Classic {
    pub fn new(settings: ClassicSettings, heartbeat: Heartbeat) -> Self {
        Classic {
            settings,
            member_id: String::new(),
            generation: -1,
            protocol: None,
            state: JoinState::Unjoined,
            rejoin_needed: true,
            joined_topics: BTreeSet::new(),
            assigned_counts: BTreeMap::new(),
            retry_at: None,
            awaiting: None,
            heartbeat,
            heartbeat_orphaned: false,
        }
    }

    /// Whether rebalances are cooperative: only if every offered assignor supports it
    /// (as in the Java client), since the group may pick any of them.
    fn is_cooperative(&self) -> bool {
        self.settings.strategies.iter().all(|s| s.is_cooperative())
    }

    /// Heartbeats the current generation to the current coordinator.
    fn start_heartbeat(&mut self, io: &GroupIo<'_>) {
        if let Some(c) = io.discovery.node() {
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
    /// group from its log, so [`Classic::follow_coordinator`] finds it and the
    /// heartbeats resume there (a coordinator that no longer knows the member answers
    /// UNKNOWN_MEMBER_ID, and the member rejoins then). Any other state rejoins. The
    /// lost coordinator is `coordinator_id`: if the member has moved to another since,
    /// that one is kept.
    fn on_coordinator_lost(&mut self, io: &mut GroupIo<'_>, coordinator_id: i32, why: &str) {
        if io.discovery.id() == Some(coordinator_id) {
            // A join in flight fails with the connection (its answer is an error).
            io.discovery.mark_unknown(io.client, why);
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
    fn follow_coordinator(&mut self, io: &mut GroupIo<'_>, deadline: Instant) -> Result<()> {
        if !self.heartbeat_orphaned || self.state != JoinState::Stable {
            return Ok(());
        }
        match io.discovery.ensure(io.client, deadline) {
            Ok(_) => {
                self.start_heartbeat(io);
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
    fn reset_member(&mut self) {
        self.member_id.clear();
        self.generation = -1;
        self.state = JoinState::Unjoined;
        self.rejoin_needed = true;
        self.heartbeat.stop();
    }

    /// Whether it is time to (re)join: not a member, or a rebalance is needed, and no
    /// join in flight, and no back-off pending.
    fn needs_join(&self, now: Instant) -> bool {
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

    /// Acts on what the heartbeat thread found. Returns whether the partitions are
    /// lost.
    fn heartbeat_findings(&mut self, io: &mut GroupIo<'_>) -> bool {
        let mut lost = false;
        for event in self.heartbeat.take_events() {
            match event {
                HeartbeatEvent::RejoinNeeded => self.rejoin_needed = true,
                HeartbeatEvent::Fenced { code, reset_member } => {
                    log::info!(
                        "group {}: member fenced ({}); rejoining",
                        self.settings.group_id,
                        code.name()
                    );
                    if reset_member {
                        self.reset_member();
                    } else {
                        self.state = JoinState::Unjoined;
                        self.rejoin_needed = true;
                    }
                    lost = true;
                }
                HeartbeatEvent::CoordinatorLost {
                    coordinator_id,
                    why,
                } => self.on_coordinator_lost(io, coordinator_id, &why),
                HeartbeatEvent::PollTimeout => {
                    if self.settings.group_instance_id.is_none() {
                        self.reset_member();
                    } else {
                        self.state = JoinState::Unjoined;
                        self.rejoin_needed = true;
                    }
                    lost = true;
                }
            }
        }
        lost
    }

    /// Notices what calls for a rebalance in a stable generation: a changed
    /// subscription (topics, or the topics a pattern matches), or a changed partition
    /// count of a subscribed topic.
    fn check_subscription(&mut self, client: &KafkaClient, subscriptions: &SubscriptionState) {
        if self.state != JoinState::Stable || self.rejoin_needed {
            return;
        }
        if &self.joined_topics != subscriptions.topics() {
            self.rejoin_needed = true;
            return;
        }
        let changed = self
            .assigned_counts
            .iter()
            .any(|(t, &n)| client.cluster().partition_count(t).unwrap_or(0) != n);
        if changed {
            log::info!(
                "group {}: the partition count of a subscribed topic changed; rebalancing",
                self.settings.group_id
            );
            self.rejoin_needed = true;
        }
    }

    /// Sends JoinGroup with the member's subscription; the answer comes to
    /// `handle_response`. Does nothing if the coordinator connection is not ready yet.
    fn send_join(&mut self, io: &mut GroupIo<'_>, subscriptions: &SubscriptionState) -> Result<()> {
        let Some(node) = io.discovery.ready(io.client) else {
            return Ok(());
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
        let version = io.client.negotiate::<JoinGroupRequest>(node)?;
        let correlation_id = io
            .client
            .send_with(node, &request, version, timeout, true)?;
        self.heartbeat.stop();
        self.state = JoinState::Joining {
            node,
            correlation_id,
        };
        self.joined_topics = subscriptions.topics().clone();
        self.rejoin_needed = false;
        self.retry_at = None;
        log::debug!(
            "group {}: joining as `{}` (generation {})",
            self.settings.group_id,
            self.member_id,
            self.generation
        );
        Ok(())
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

    fn on_group_request_failed(&mut self, io: &mut GroupIo<'_>, what: &str, e: &KafkaError) {
        log::info!("group {}: {what} failed: {e}", self.settings.group_id);
        self.state = JoinState::Unjoined;
        self.rejoin_needed = true;
        io.discovery.mark_unknown(io.client, &e.to_string());
        self.backoff();
    }

    fn on_join(&mut self, join: JoinGroupResponse, io: &mut GroupIo<'_>) -> Result<()> {
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
                io.discovery.mark_unknown(io.client, code.name());
                self.backoff();
                return Ok(());
            }
            ErrorCode::INCONSISTENT_GROUP_PROTOCOL => {
                self.state = JoinState::Unjoined;
                return Err(KafkaError::broker(
                    code,
                    format!(
                        "joining group {group}: its members use another group protocol or \
                         assignors this member does not offer (group.protocol=classic, \
                         partition.assignment.strategy)"
                    ),
                ));
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
            self.lead(&join, io.client)?
        } else {
            Vec::new()
        };
        let Some(node) = io.discovery.ready(io.client) else {
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
        let version = io.client.negotiate::<SyncGroupRequest>(node)?;
        let correlation_id = io
            .client
            .send_with(node, &request, version, timeout, true)?;
        self.state = JoinState::Syncing {
            node,
            correlation_id,
        };
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
        io: &mut GroupIo<'_>,
        subscriptions: &SubscriptionState,
    ) -> Result<Option<GroupEvent>> {
        let code = ErrorCode(sync.error_code);
        match code {
            ErrorCode::NONE => {}
            ErrorCode::FENCED_INSTANCE_ID => {
                self.state = JoinState::Unjoined;
                return Err(KafkaError::broker(
                    code,
                    format!("syncing group {}", self.settings.group_id),
                ));
            }
            ErrorCode::UNKNOWN_MEMBER_ID => {
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
                io.discovery.mark_unknown(io.client, code.name());
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
        self.start_heartbeat(io);
        log::info!(
            "group {}: generation {} assigned {} partitions to `{}`",
            self.settings.group_id,
            self.generation,
            assignment.partitions.len(),
            self.member_id
        );
        let topics = subscriptions.topics();
        let partitions = assignment
            .partitions
            .into_iter()
            .filter(|tp| {
                let wanted = topics.contains(&tp.topic);
                if !wanted {
                    log::warn!(
                        "the group leader assigned {tp}, which this member did not subscribe to"
                    );
                }
                wanted
            })
            .collect();
        self.awaiting = Some(Awaiting::Assignment);
        Ok(Some(GroupEvent::Assign(partitions)))
    }
}

impl Membership for Classic {
    fn protocol_name(&self) -> &'static str {
        "classic"
    }

    fn poll(
        &mut self,
        mut io: GroupIo<'_>,
        subscriptions: &SubscriptionState,
        deadline: Instant,
    ) -> Result<Option<GroupEvent>> {
        if self.heartbeat_findings(&mut io) {
            self.awaiting = Some(Awaiting::Loss);
            return Ok(Some(GroupEvent::Lost));
        }
        if self.awaiting.is_some() {
            return Ok(None);
        }
        self.follow_coordinator(&mut io, deadline)?;
        if !subscriptions.is_auto() {
            return Ok(None);
        }
        self.check_subscription(io.client, subscriptions);
        if !self.needs_join(Instant::now()) {
            return Ok(None);
        }
        if let Err(e) = io.discovery.ensure(io.client, deadline) {
            if e.is_retriable() {
                log::debug!("group coordinator lookup: {e}");
                return Ok(None);
            }
            return Err(e);
        }
        // Before rejoining from a stable generation, give up partitions: all of them
        // with eager assignors, those of topics no longer subscribed with cooperative.
        let topics = subscriptions.topics();
        let revoked: Vec<TopicPartition> = subscriptions
            .assigned()
            .filter(|tp| !self.is_cooperative() || !topics.contains(&tp.topic))
            .cloned()
            .collect();
        if !revoked.is_empty() {
            self.awaiting = Some(Awaiting::Revocation);
            return Ok(Some(GroupEvent::Revoke(revoked)));
        }
        self.send_join(&mut io, subscriptions)?;
        Ok(None)
    }

    fn owns(&self, response: &Response) -> bool {
        match self.state {
            JoinState::Joining {
                node,
                correlation_id,
            }
            | JoinState::Syncing {
                node,
                correlation_id,
            } => node == response.node_id && correlation_id == response.correlation_id,
            _ => false,
        }
    }

    fn handle_response(
        &mut self,
        response: Response,
        mut io: GroupIo<'_>,
        subscriptions: &SubscriptionState,
    ) -> Result<Option<GroupEvent>> {
        let result = match self.state {
            JoinState::Joining { .. } => match response.decode::<JoinGroupRequest>() {
                Ok(join) => self.on_join(join, &mut io).map(|()| None),
                Err(e) => {
                    self.on_group_request_failed(&mut io, "JoinGroup", &e);
                    Ok(None)
                }
            },
            JoinState::Syncing { .. } => match response.decode::<SyncGroupRequest>() {
                Ok(sync) => self.on_sync(sync, &mut io, subscriptions),
                Err(e) => {
                    self.on_group_request_failed(&mut io, "SyncGroup", &e);
                    Ok(None)
                }
            },
            _ => Ok(None),
        };
        result.or_else(|e| self.join_failed(e))
    }

    fn reconciled(
        &mut self,
        revoked: &[TopicPartition],
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) {
        if self.awaiting.take() == Some(Awaiting::Assignment) {
            self.assigned_counts = subscriptions
                .topics()
                .iter()
                .map(|t| (t.clone(), client.cluster().partition_count(t).unwrap_or(0)))
                .collect();
            // Cooperative: partitions given up go to their new owners in the next
            // generation, so rejoin at once.
            if !revoked.is_empty() {
                self.rejoin_needed = true;
            }
        }
    }

    fn lost_handled(&mut self) {
        self.awaiting = None;
    }

    fn subscription_changed(&mut self) {
        self.rejoin_needed = true;
    }

    fn enforce_rebalance(&mut self) {
        if self.state == JoinState::Stable {
            self.rejoin_needed = true;
        }
    }

    fn identity(&self) -> Option<MemberIdentity> {
        (self.state == JoinState::Stable && !self.member_id.is_empty()).then(|| MemberIdentity {
            generation: self.generation,
            member_id: self.member_id.clone(),
        })
    }

    fn on_commit_error(&mut self, code: ErrorCode) -> bool {
        match code {
            ErrorCode::UNKNOWN_MEMBER_ID => {
                self.reset_member();
                false
            }
            ErrorCode::ILLEGAL_GENERATION | ErrorCode::REBALANCE_IN_PROGRESS => {
                self.rejoin_needed = true;
                false
            }
            _ => false,
        }
    }

    fn note_poll(&self) {
        self.heartbeat.note_poll();
    }

    fn leave(&mut self, io: GroupIo<'_>, reason: &str, deadline: Instant) {
        self.heartbeat.stop();
        let was_member = !self.member_id.is_empty() && self.generation >= 0;
        if was_member && self.settings.group_instance_id.is_none() {
            if let Some(node) = io.discovery.id() {
                let request = leave_request(&self.settings.group_id, &self.member_id, None, reason);
                let timeout = deadline.saturating_duration_since(Instant::now());
                if let Err(e) = io.client.send_and_wait(node, &request, timeout) {
                    log::debug!("LeaveGroup of group {} failed: {e}", self.settings.group_id);
                }
            }
        }
        self.reset_member();
        self.awaiting = None;
    }

    fn close(&mut self) {
        self.heartbeat.close();
    }
}

pub(crate) fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::config::{ClientConfig, OffsetReset};
    use crate::consumer::discovery::{CoordinatorNode, Discovery};
    use crate::consumer::membership::heartbeat::HeartbeatSettings;
    use crate::net::BrokerAddress;
    use crate::protocol::api::Request;
    use crate::protocol::messages::JoinGroupResponseMember;

    /// The coordinator's connection in these tests (node 1).
    const NODE: i32 = i32::MAX - 1;

    fn member(strategy: AssignmentStrategy) -> (Classic, Discovery, KafkaClient) {
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
        let settings = ClassicSettings {
            group_id: "g".into(),
            group_instance_id: None,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            strategies: vec![strategy],
            retry_backoff: Duration::from_millis(100),
            request_timeout: Duration::from_secs(30),
            rack: None,
        };
        let client = KafkaClient::new(config).expect("client");
        let mut discovery = Discovery::new("g", Duration::from_millis(100));
        discovery.set_for_test(CoordinatorNode {
            connection_id: NODE,
            address: BrokerAddress {
                host: "127.0.0.1".into(),
                port: 1,
            },
        });
        (Classic::new(settings, heartbeat), discovery, client)
    }

    fn io<'a>(discovery: &'a mut Discovery, client: &'a mut KafkaClient) -> GroupIo<'a> {
        GroupIo { discovery, client }
    }

    /// A response frame of `R`'s API at `version` answering `correlation_id`.
    fn response<R: Request>(body: &R::Response, version: i16, correlation_id: i32) -> Response {
        Response::encoded::<R>(body, NODE, correlation_id, version)
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

    /// A consumer subscribed to `t` owning `t-0` and `t-1`.
    fn owning_two() -> SubscriptionState {
        let mut subscriptions = SubscriptionState::new(OffsetReset::Latest, true);
        subscriptions
            .subscribe(BTreeSet::from(["t".to_owned()]))
            .expect("subscribe");
        subscriptions.set_assignment([TopicPartition::new("t", 0), TopicPartition::new("t", 1)]);
        subscriptions
    }

    fn stable(c: &mut Classic, subscriptions: &SubscriptionState) {
        c.state = JoinState::Stable;
        c.generation = 3;
        c.member_id = "me".into();
        c.rejoin_needed = false;
        c.joined_topics = subscriptions.topics().clone();
    }

    #[test]
    fn a_stable_member_keeps_its_generation_when_the_coordinator_moves() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        stable(&mut c, &subscriptions);
        // A loss reported for a coordinator the member already left changes nothing.
        c.on_coordinator_lost(
            &mut io(&mut discovery, &mut client),
            i32::MAX - 7,
            "old news",
        );
        assert_eq!(discovery.id(), Some(NODE));
        c.on_coordinator_lost(&mut io(&mut discovery, &mut client), NODE, "refused");
        assert_eq!(discovery.id(), None, "looked up again");
        assert_eq!(c.state, JoinState::Stable);
        assert_eq!(c.generation, 3);
        assert!(!c.rejoin_needed, "no rebalance for a coordinator move");
        assert!(
            c.heartbeat_orphaned,
            "the heartbeat resumes at the next one"
        );
    }

    #[test]
    fn a_join_whose_connection_breaks_is_tried_again() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        c.state = JoinState::Joining {
            node: NODE,
            correlation_id: 4,
        };
        c.rejoin_needed = false;
        let broken = Response {
            node_id: NODE,
            correlation_id: 4,
            api_key: JoinGroupRequest::SUPPORT.key,
            api_version: 9,
            result: Err(KafkaError::connection("coordinator lost")),
        };
        assert!(c.owns(&broken), "even after the coordinator was forgotten");
        let event = c
            .handle_response(broken, io(&mut discovery, &mut client), &subscriptions)
            .expect("retriable");
        assert_eq!(event, None);
        assert_eq!(c.state, JoinState::Unjoined);
        assert!(c.rejoin_needed);
        assert_eq!(discovery.id(), None, "the coordinator is looked up again");
    }

    #[test]
    fn a_subscription_the_leader_cannot_read_sends_the_member_back_to_rejoin() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        c.state = JoinState::Joining {
            node: NODE,
            correlation_id: 7,
        };
        let join = joined_as_leader(Bytes::from_static(&[0, 9, 1]));
        let version = JoinGroupRequest::SUPPORT.max_version;
        let err = c
            .handle_response(
                response::<JoinGroupRequest>(&join, version, 7),
                io(&mut discovery, &mut client),
                &subscriptions,
            )
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
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        c.state = JoinState::Syncing {
            node: NODE,
            correlation_id: 8,
        };
        let sync = SyncGroupResponse {
            assignment: Bytes::from_static(&[0, 0, 0, 0, 0x7f]),
            ..Default::default()
        };
        let version = SyncGroupRequest::SUPPORT.max_version;
        let result = c.handle_response(
            response::<SyncGroupRequest>(&sync, version, 8),
            io(&mut discovery, &mut client),
            &subscriptions,
        );
        assert!(result.is_err(), "{result:?}");
        assert_eq!(c.state, JoinState::Unjoined, "not stuck in Syncing");
        assert!(c.rejoin_needed);
    }

    #[test]
    fn an_assignment_is_handed_out_once_and_waits_for_the_consumer() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        c.state = JoinState::Syncing {
            node: NODE,
            correlation_id: 9,
        };
        let sync = SyncGroupResponse {
            assignment: Assignment {
                partitions: vec![TopicPartition::new("t", 1), TopicPartition::new("u", 0)],
                user_data: None,
            }
            .encode(),
            ..Default::default()
        };
        let version = SyncGroupRequest::SUPPORT.max_version;
        let event = c
            .handle_response(
                response::<SyncGroupRequest>(&sync, version, 9),
                io(&mut discovery, &mut client),
                &subscriptions,
            )
            .expect("assigned");
        // `u` was not subscribed to: left out.
        assert_eq!(
            event,
            Some(GroupEvent::Assign(BTreeSet::from([TopicPartition::new(
                "t", 1
            )])))
        );
        assert_eq!(c.state, JoinState::Stable);
        let deadline = Instant::now() + Duration::from_secs(1);
        c.rejoin_needed = true;
        assert_eq!(
            c.poll(io(&mut discovery, &mut client), &subscriptions, deadline)
                .expect("poll"),
            None,
            "nothing else while the consumer carries the assignment out"
        );
        c.reconciled(&[], &mut client, &subscriptions);
        assert_eq!(c.awaiting, None);
    }

    #[test]
    fn an_eager_member_gives_up_everything_before_it_rejoins() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::Range);
        let subscriptions = owning_two();
        stable(&mut c, &subscriptions);
        c.enforce_rebalance();
        let deadline = Instant::now() + Duration::from_secs(1);
        let event = c
            .poll(io(&mut discovery, &mut client), &subscriptions, deadline)
            .expect("poll");
        assert_eq!(
            event,
            Some(GroupEvent::Revoke(vec![
                TopicPartition::new("t", 0),
                TopicPartition::new("t", 1)
            ]))
        );
        assert_eq!(
            c.poll(io(&mut discovery, &mut client), &subscriptions, deadline)
                .expect("poll"),
            None,
            "the revocation is handed out once"
        );
        // The consumer gave them up; the join goes out (once the connection is ready).
        let empty = SubscriptionState::new(OffsetReset::Latest, true);
        c.reconciled(&[], &mut client, &empty);
        assert_eq!(c.awaiting, None);
    }

    #[test]
    fn a_cooperative_member_keeps_its_partitions_and_rejoins_after_giving_some_up() {
        let (mut c, mut discovery, mut client) = member(AssignmentStrategy::CooperativeSticky);
        let subscriptions = owning_two();
        stable(&mut c, &subscriptions);
        c.enforce_rebalance();
        let deadline = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            c.poll(io(&mut discovery, &mut client), &subscriptions, deadline)
                .expect("poll"),
            None,
            "no revocation before a cooperative rejoin"
        );
        // An assignment that took t-1 away: once given up, rejoin at once.
        c.awaiting = Some(Awaiting::Assignment);
        c.rejoin_needed = false;
        c.reconciled(&[TopicPartition::new("t", 1)], &mut client, &subscriptions);
        assert!(c.rejoin_needed);
    }

    #[test]
    fn fencing_and_poll_timeouts_lose_the_partitions() {
        let (mut c, _, _) = member(AssignmentStrategy::Range);
        assert!(c.identity().is_none(), "no identity before joining");
        let subscriptions = owning_two();
        stable(&mut c, &subscriptions);
        assert_eq!(
            c.identity(),
            Some(MemberIdentity {
                generation: 3,
                member_id: "me".into()
            })
        );
        assert!(!c.on_commit_error(ErrorCode::UNKNOWN_MEMBER_ID));
        assert_eq!(c.identity(), None, "the member id is forgotten");
        assert_eq!(c.state, JoinState::Unjoined);
    }
}
