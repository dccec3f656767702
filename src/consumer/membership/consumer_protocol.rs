//! The consumer group protocol of KIP-848 (`group.protocol=consumer`, Kafka 4.0 and
//! later): the member sends ConsumerGroupHeartbeat, and the coordinator answers with
//! the member's epoch and, when it changes, the partitions the member should own. The
//! broker computes the assignment (`group.remote.assignor`) and evaluates a pattern
//! subscription itself; there is no leader, no JoinGroup barrier, and no
//! stop-the-world rebalance: each member moves to its new assignment on its own.
//!
//! The member's life:
//! - it joins with epoch 0, its subscription (topic names or a regular expression)
//!   and an empty list of owned partitions;
//! - each answer carries the member epoch to use next, and a target assignment when
//!   it changed; the member **reconciles** toward it on the caller's thread: it gives
//!   up the partitions not in the target (committing first, then
//!   `on_partitions_revoked`), takes the new ones (`on_partitions_assigned`), and says
//!   what it owns in its next heartbeat, sent at once. The coordinator hands a
//!   partition to its new owner only after the old one said it let go of it;
//! - FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID mean the coordinator dropped the
//!   member: its partitions are lost (`on_partitions_lost`), and it joins again with
//!   epoch 0 under the same member id;
//! - it leaves with epoch -1, or -2 for a static member (`group.instance.id`), whose
//!   assignment the coordinator then keeps for it until its session times out.
//!
//! The heartbeats go out from a thread of this module with its own connection to the
//! coordinator, every `heartbeat_interval_ms` the coordinator sets, so that the session
//! stays alive while the caller works between polls. Reconciliation runs on the
//! caller's thread (the rebalance listener gets the consumer), in `poll()`. The
//! thread also enforces `max.poll.interval.ms`: a caller that stops polling is taken
//! out of the group (its partitions are lost, and the next `poll()` rejoins).
//!
//! The member id is made by the client (a random UUID, as KIP-1082 asks of version 1
//! and later), and kept for the life of the consumer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::classic::millis;
use super::heartbeat::loses_coordinator;
use super::thread::HeartbeatThread;
use super::{GroupEvent, GroupIo, MemberIdentity, Membership};
use crate::client::{KafkaClient, TopicPartition};
use crate::config::ClientConfig;
use crate::consumer::discovery::Discovery;
use crate::consumer::subscription::{SubscriptionKind, SubscriptionState};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
    ConsumerGroupHeartbeatTopicPartitions,
};
use crate::protocol::schema::Uuid;

/// The epoch a member leaves with.
const LEAVE_EPOCH: i32 = -1;
/// The epoch a static member leaves with: it comes back under its instance id.
const STATIC_LEAVE_EPOCH: i32 = -2;
/// How long a member waits before joining again after the coordinator refused it
/// with an error that is not retriable (authorization, group full, bad regex).
const FAILED_JOIN_BACKOFF: Duration = Duration::from_secs(1);
/// The heartbeat interval until the coordinator sets one.
const FIRST_INTERVAL: Duration = Duration::from_secs(3);

/// Settings, from the consumer config.
#[derive(Debug, Clone)]
pub(crate) struct ConsumerProtocolSettings {
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub rack: Option<String>,
    pub rebalance_timeout: Duration,
    pub max_poll_interval: Duration,
    pub remote_assignor: Option<String>,
    pub retry_backoff: Duration,
    pub request_timeout: Duration,
}

/// What the member subscribes to, as the coordinator is told.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subscribed {
    Topics(Vec<String>),
    Regex(String),
}

/// Where the member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not subscribed, or left: no heartbeats.
    Idle,
    /// Heartbeating with epoch 0 until the coordinator answers with an epoch.
    Joining,
    /// A member with an epoch.
    Stable,
    /// Dropped by the coordinator (fenced, or the caller stopped polling): no
    /// heartbeats until the caller has handled the loss of its partitions.
    Lost,
}

/// What the heartbeat thread tells the caller's thread.
#[derive(Debug)]
enum Finding {
    /// The partitions are lost; rejoin once they are handled.
    Lost,
    /// The coordinator refused the member; it tries again after a back-off.
    Failed(KafkaError),
}

/// The member's state, shared by the caller's thread and the heartbeat thread.
#[derive(Debug)]
struct State {
    phase: Phase,
    member_id: String,
    epoch: i32,
    subscription: Option<Subscribed>,
    /// The partitions the member owns, as the coordinator is told.
    owned: Vec<ConsumerGroupHeartbeatTopicPartitions>,
    /// The last assignment the coordinator sent that the caller has not taken yet.
    target: Option<Vec<ConsumerGroupHeartbeatTopicPartitions>>,
    /// Heartbeat at once (joining, or after reconciling), not at the interval.
    heartbeat_now: bool,
    /// Don't join before this (after a failed join).
    join_after: Option<Instant>,
    interval: Duration,
    last_poll: Instant,
    findings: Vec<Finding>,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    settings: ConsumerProtocolSettings,
}

/// The event the caller is carrying out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Assignment,
    Loss,
}

/// A member of a consumer-protocol group.
pub(crate) struct ConsumerProtocol {
    shared: Arc<Shared>,
    thread: HeartbeatThread,
    awaiting: Option<Awaiting>,
    /// Topic ids of the partitions handed out, for the acknowledgement.
    topic_ids: BTreeMap<String, Uuid>,
}

impl std::fmt::Debug for ConsumerProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("ConsumerProtocol")
            .field("group_id", &self.shared.settings.group_id)
            .field("member_id", &state.member_id)
            .field("epoch", &state.epoch)
            .field("phase", &state.phase)
            .finish_non_exhaustive()
    }
}

/// A random member id, formatted as the Java client formats a UUID (URL-safe base64
/// of its 16 bytes, no padding).
fn random_member_id() -> Result<String> {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| KafkaError::new(ErrorKind::Config, format!("no random member id: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl ConsumerProtocol {
    /// A member that has not joined yet, and its heartbeat thread.
    pub fn spawn(config: ClientConfig, settings: ConsumerProtocolSettings) -> Result<Self> {
        let client = KafkaClient::new(config)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                phase: Phase::Idle,
                member_id: random_member_id()?,
                epoch: 0,
                subscription: None,
                owned: Vec::new(),
                target: None,
                heartbeat_now: false,
                join_after: None,
                interval: FIRST_INTERVAL,
                last_poll: Instant::now(),
                findings: Vec::new(),
                closed: false,
            }),
            wake: Condvar::new(),
            settings,
        });
        let thread_shared = Arc::clone(&shared);
        let thread = HeartbeatThread::spawn(move || run(&thread_shared, client))?;
        Ok(ConsumerProtocol {
            shared,
            thread,
            awaiting: None,
            topic_ids: BTreeMap::new(),
        })
    }

    /// The subscription as the coordinator is told it, if the consumer subscribed.
    fn subscribed(subscriptions: &SubscriptionState) -> Option<Subscribed> {
        match subscriptions.kind() {
            SubscriptionKind::Topics => Some(Subscribed::Topics(
                subscriptions.topics().iter().cloned().collect(),
            )),
            SubscriptionKind::Pattern => subscriptions
                .pattern_source()
                .map(|p| Subscribed::Regex(p.to_owned())),
            _ => None,
        }
    }

    /// The target assignment with topic names, or `None` while some topic id is not in
    /// the metadata yet (a metadata update is then asked for).
    fn resolve(
        &mut self,
        target: &[ConsumerGroupHeartbeatTopicPartitions],
        client: &mut KafkaClient,
    ) -> Option<BTreeSet<TopicPartition>> {
        let names: BTreeMap<Uuid, &str> = client
            .cluster()
            .topics
            .values()
            .filter(|t| t.topic_id != Uuid::ZERO)
            .map(|t| (t.topic_id, t.name.as_str()))
            .collect();
        let mut partitions = BTreeSet::new();
        for topic in target {
            let Some(&name) = names.get(&topic.topic_id) else {
                log::debug!(
                    "group {}: assigned topic id {:?} is not in the metadata yet",
                    self.shared.settings.group_id,
                    topic.topic_id
                );
                client.request_metadata_update();
                return None;
            };
            self.topic_ids.insert(name.to_owned(), topic.topic_id);
            partitions.extend(
                topic
                    .partitions
                    .iter()
                    .map(|&p| TopicPartition::new(name, p)),
            );
        }
        Some(partitions)
    }

    /// `partitions` as the coordinator is told them.
    fn owned_by_id(
        &self,
        partitions: &SubscriptionState,
    ) -> Vec<ConsumerGroupHeartbeatTopicPartitions> {
        let mut by_topic: BTreeMap<Uuid, Vec<i32>> = BTreeMap::new();
        for tp in partitions.assigned() {
            match self.topic_ids.get(&tp.topic) {
                Some(&id) => by_topic.entry(id).or_default().push(tp.partition),
                None => log::warn!(
                    "group {}: owned partition {tp} has no known topic id",
                    self.shared.settings.group_id
                ),
            }
        }
        by_topic
            .into_iter()
            .map(
                |(topic_id, partitions)| ConsumerGroupHeartbeatTopicPartitions {
                    topic_id,
                    partitions,
                },
            )
            .collect()
    }

    /// Sends the leave heartbeat from the caller's thread.
    fn send_leave(&self, io: GroupIo<'_>, member_id: String, epoch: i32, deadline: Instant) {
        let settings = &self.shared.settings;
        let request = ConsumerGroupHeartbeatRequest {
            group_id: settings.group_id.clone(),
            member_id,
            member_epoch: epoch,
            instance_id: settings.group_instance_id.clone(),
            ..Default::default()
        };
        let node = match io.discovery.ensure(io.client, deadline) {
            Ok(node) => node,
            Err(e) => {
                log::debug!("group {}: cannot leave: {e}", settings.group_id);
                return;
            }
        };
        let timeout = deadline.saturating_duration_since(Instant::now());
        match io.client.send_and_wait(node, &request, timeout) {
            Ok(r) if r.error_code != 0 => log::debug!(
                "group {}: leaving: {}",
                settings.group_id,
                ErrorCode(r.error_code).name()
            ),
            Ok(_) => log::info!("group {}: left the group", settings.group_id),
            Err(e) => log::debug!("group {}: leaving failed: {e}", settings.group_id),
        }
    }
}

impl Membership for ConsumerProtocol {
    fn protocol_name(&self) -> &'static str {
        "consumer"
    }

    fn poll(
        &mut self,
        io: GroupIo<'_>,
        subscriptions: &SubscriptionState,
        _deadline: Instant,
    ) -> Result<Option<GroupEvent>> {
        let target = {
            let mut state = self.shared.state.lock();
            let subscribed = Self::subscribed(subscriptions);
            if subscribed.is_some() && state.subscription != subscribed {
                state.subscription = subscribed;
                state.heartbeat_now = true;
                if state.phase == Phase::Idle {
                    state.phase = Phase::Joining;
                    state.epoch = 0;
                }
                self.shared.wake.notify_all();
            }
            let mut failure = None;
            for finding in std::mem::take(&mut state.findings) {
                match finding {
                    Finding::Lost => self.awaiting = Some(Awaiting::Loss),
                    Finding::Failed(e) => failure = Some(e),
                }
            }
            if self.awaiting == Some(Awaiting::Loss) {
                state.target = None;
                return Ok(Some(GroupEvent::Lost));
            }
            if let Some(e) = failure {
                return Err(e);
            }
            if self.awaiting.is_some() || state.phase != Phase::Stable {
                return Ok(None);
            }
            match state.target.take() {
                Some(target) => target,
                None => return Ok(None),
            }
        };
        let Some(partitions) = self.resolve(&target, io.client) else {
            // Try again at the next poll, after the metadata update; a newer target
            // that came in meanwhile wins.
            let mut state = self.shared.state.lock();
            state.target.get_or_insert(target);
            return Ok(None);
        };
        let owned: BTreeSet<TopicPartition> = subscriptions.assigned().cloned().collect();
        if partitions == owned {
            return Ok(None);
        }
        log::info!(
            "group {}: reconciling to {} partitions",
            self.shared.settings.group_id,
            partitions.len()
        );
        self.awaiting = Some(Awaiting::Assignment);
        Ok(Some(GroupEvent::Assign(partitions)))
    }

    fn owns(&self, _response: &Response) -> bool {
        // Heartbeats go out from the thread; the caller's thread waits for its leave.
        false
    }

    fn handle_response(
        &mut self,
        _response: Response,
        _io: GroupIo<'_>,
        _subscriptions: &SubscriptionState,
    ) -> Result<Option<GroupEvent>> {
        Ok(None)
    }

    fn reconciled(
        &mut self,
        _revoked: &[TopicPartition],
        _client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) {
        self.awaiting = None;
        let owned = self.owned_by_id(subscriptions);
        let mut state = self.shared.state.lock();
        state.owned = owned;
        state.heartbeat_now = true;
        self.shared.wake.notify_all();
    }

    fn lost_handled(&mut self) {
        self.awaiting = None;
        let mut state = self.shared.state.lock();
        state.owned.clear();
        state.target = None;
        state.epoch = 0;
        if state.phase == Phase::Lost {
            state.phase = if state.subscription.is_some() {
                Phase::Joining
            } else {
                Phase::Idle
            };
            state.heartbeat_now = true;
        }
        self.shared.wake.notify_all();
    }

    fn subscription_changed(&mut self) {
        // The next poll() sends the new subscription with the next heartbeat.
    }

    fn enforce_rebalance(&mut self) {
        // The coordinator assigns; a member cannot ask it to move partitions.
        log::debug!(
            "group {}: enforce_rebalance() does nothing under the consumer protocol",
            self.shared.settings.group_id
        );
    }

    fn identity(&self) -> Option<MemberIdentity> {
        let state = self.shared.state.lock();
        (state.phase == Phase::Stable && state.epoch > 0).then(|| MemberIdentity {
            generation: state.epoch,
            member_id: state.member_id.clone(),
        })
    }

    fn on_commit_error(&mut self, code: ErrorCode) -> bool {
        // The epoch moved on since the commit left: the heartbeat has the new one.
        // A fenced or unknown member learns so from its heartbeat.
        code == ErrorCode::STALE_MEMBER_EPOCH
    }

    fn note_poll(&self) {
        self.shared.state.lock().last_poll = Instant::now();
    }

    fn leave(&mut self, io: GroupIo<'_>, reason: &str, deadline: Instant) {
        let (member_id, epoch) = {
            let mut state = self.shared.state.lock();
            let was_member = matches!(state.phase, Phase::Stable | Phase::Joining);
            let epoch = state.epoch;
            state.phase = Phase::Idle;
            state.subscription = None;
            state.owned.clear();
            state.target = None;
            state.epoch = 0;
            self.shared.wake.notify_all();
            if !was_member || epoch <= 0 {
                self.awaiting = None;
                return;
            }
            (state.member_id.clone(), epoch)
        };
        self.awaiting = None;
        let leave_epoch = if self.shared.settings.group_instance_id.is_some() {
            STATIC_LEAVE_EPOCH
        } else {
            LEAVE_EPOCH
        };
        log::debug!(
            "group {}: leaving at epoch {epoch}: {reason}",
            self.shared.settings.group_id
        );
        self.send_leave(io, member_id, leave_epoch, deadline);
    }

    fn close(&mut self) {
        {
            let mut state = self.shared.state.lock();
            state.closed = true;
            state.phase = Phase::Idle;
        }
        self.shared.wake.notify_all();
        self.thread.join();
    }
}

impl Drop for ConsumerProtocol {
    fn drop(&mut self) {
        self.close();
    }
}

/// The heartbeat thread.
fn run(shared: &Shared, mut client: KafkaClient) {
    let settings = &shared.settings;
    let mut discovery = Discovery::new(&settings.group_id, settings.retry_backoff);
    let mut next_heartbeat = Instant::now();
    loop {
        let request = {
            let mut state = shared.state.lock();
            if state.closed {
                return;
            }
            let now = Instant::now();
            let active = matches!(state.phase, Phase::Joining | Phase::Stable);
            if !active {
                shared.wake.wait(&mut state);
                continue;
            }
            if now.duration_since(state.last_poll) > settings.max_poll_interval {
                log::warn!(
                    "poll() was not called for more than max.poll.interval.ms ({:?}); leaving group {} so that others take over its partitions",
                    settings.max_poll_interval,
                    settings.group_id
                );
                let epoch = state.epoch;
                let member_id = state.member_id.clone();
                state.phase = Phase::Lost;
                state.findings.push(Finding::Lost);
                drop(state);
                if epoch > 0 {
                    let leave_epoch = if settings.group_instance_id.is_some() {
                        STATIC_LEAVE_EPOCH
                    } else {
                        LEAVE_EPOCH
                    };
                    let request = ConsumerGroupHeartbeatRequest {
                        group_id: settings.group_id.clone(),
                        member_id,
                        member_epoch: leave_epoch,
                        instance_id: settings.group_instance_id.clone(),
                        ..Default::default()
                    };
                    let _ = send(&mut client, &mut discovery, &request, settings);
                }
                continue;
            }
            let due = if state.heartbeat_now {
                state.join_after.map_or(now, |t| t.max(now))
            } else {
                next_heartbeat
            };
            if now < due {
                let poll_deadline = state.last_poll + settings.max_poll_interval;
                let wake_at = due.min(poll_deadline + Duration::from_millis(1));
                shared.wake.wait_until(&mut state, wake_at);
                continue;
            }
            state.heartbeat_now = false;
            state.join_after = None;
            heartbeat_request(&state, settings)
        };

        let sent = Instant::now();
        let outcome = send(&mut client, &mut discovery, &request, settings);
        let mut state = shared.state.lock();
        let current = matches!(state.phase, Phase::Joining | Phase::Stable)
            && state.member_id == request.member_id
            && (request.member_epoch == 0) == (state.phase == Phase::Joining);
        if !current {
            // The caller left or handled a loss while the heartbeat was out.
            continue;
        }
        match outcome {
            Ok(response) => {
                on_response(&mut state, response, settings, sent);
                next_heartbeat = sent + state.interval;
            }
            Err(e) if e.kind() == ErrorKind::UnsupportedVersion => {
                state.findings.push(Finding::Failed(unsupported(&e)));
                fail_join(&mut state, sent);
            }
            Err(e) => {
                log::debug!("group {}: heartbeat failed: {e}", settings.group_id);
                if loses_coordinator(&e) {
                    discovery.mark_unknown(&mut client, &e.to_string());
                }
                next_heartbeat = crate::time::deadline_in(settings.retry_backoff);
                if state.phase == Phase::Joining {
                    state.heartbeat_now = true;
                    state.join_after = Some(next_heartbeat);
                }
            }
        }
    }
}

/// The error for a broker without the consumer protocol.
fn unsupported(e: &KafkaError) -> KafkaError {
    KafkaError::config(
        "group.protocol",
        format!(
            "`consumer` needs a broker with the consumer group protocol of KIP-848 (Apache \
             Kafka 4.0 or later, ConsumerGroupHeartbeat); use group.protocol=classic with \
             this one ({e})"
        ),
    )
}

/// The heartbeat to send now. Every field is sent each time (none is left null for
/// "unchanged"): the answer then always carries the assignment, and a member that
/// lost an answer loses nothing.
fn heartbeat_request(
    state: &State,
    settings: &ConsumerProtocolSettings,
) -> ConsumerGroupHeartbeatRequest {
    let (names, regex) = match &state.subscription {
        Some(Subscribed::Topics(topics)) => (Some(topics.clone()), None),
        Some(Subscribed::Regex(regex)) => (None, Some(regex.clone())),
        None => (Some(Vec::new()), None),
    };
    ConsumerGroupHeartbeatRequest {
        group_id: settings.group_id.clone(),
        member_id: state.member_id.clone(),
        member_epoch: if state.phase == Phase::Joining {
            0
        } else {
            state.epoch
        },
        instance_id: settings.group_instance_id.clone(),
        rack_id: settings.rack.clone(),
        rebalance_timeout_ms: millis(settings.rebalance_timeout),
        subscribed_topic_names: names,
        subscribed_topic_regex: regex,
        server_assignor: settings.remote_assignor.clone(),
        topic_partitions: Some(if state.phase == Phase::Joining {
            Vec::new()
        } else {
            state.owned.clone()
        }),
    }
}

/// Sends `request` to the coordinator (finding it first) and waits for the answer.
fn send(
    client: &mut KafkaClient,
    discovery: &mut Discovery,
    request: &ConsumerGroupHeartbeatRequest,
    settings: &ConsumerProtocolSettings,
) -> Result<ConsumerGroupHeartbeatResponse> {
    let deadline = crate::time::deadline_in(settings.request_timeout);
    let node = discovery.ensure(client, deadline)?;
    if let Err(e) = client.wait_ready(node, deadline) {
        discovery.mark_unknown(client, &e.to_string());
        return Err(e);
    }
    let version = client.negotiate::<ConsumerGroupHeartbeatRequest>(node)?;
    if version == 0 && request.subscribed_topic_regex.is_some() {
        // Version 0 has no regex field: the subscription would go out empty.
        return Err(KafkaError::new(
            ErrorKind::UnsupportedVersion,
            "a pattern subscription needs ConsumerGroupHeartbeat version 1 (Apache Kafka 4.0 \
             or later); this broker has version 0 only",
        ));
    }
    let response = client.send_and_wait(node, request, settings.request_timeout)?;
    // Drop whatever else completed; this client sends nothing else that needs an answer.
    let _ = client.poll(Duration::ZERO);
    let code = ErrorCode(response.error_code);
    if matches!(
        code,
        ErrorCode::NOT_COORDINATOR
            | ErrorCode::COORDINATOR_NOT_AVAILABLE
            | ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
    ) {
        if code != ErrorCode::COORDINATOR_LOAD_IN_PROGRESS {
            discovery.mark_unknown(client, code.name());
        }
        return Err(KafkaError::broker(
            code,
            format!("the heartbeat of group {}", settings.group_id),
        ));
    }
    Ok(response)
}

/// Applies a heartbeat answer.
fn on_response(
    state: &mut State,
    response: ConsumerGroupHeartbeatResponse,
    settings: &ConsumerProtocolSettings,
    sent: Instant,
) {
    let code = ErrorCode(response.error_code);
    let group = &settings.group_id;
    match code {
        ErrorCode::NONE => {
            if let Some(id) = response.member_id.filter(|id| !id.is_empty()) {
                state.member_id = id;
            }
            if state.phase == Phase::Joining {
                log::info!(
                    "group {group}: joined as `{}` at epoch {}",
                    state.member_id,
                    response.member_epoch
                );
            }
            state.phase = Phase::Stable;
            state.epoch = response.member_epoch;
            if let Ok(ms) = u64::try_from(response.heartbeat_interval_ms) {
                if ms > 0 {
                    state.interval = Duration::from_millis(ms);
                }
            }
            if let Some(assignment) = response.assignment {
                state.target = Some(assignment.topic_partitions);
            }
        }
        ErrorCode::FENCED_MEMBER_EPOCH | ErrorCode::UNKNOWN_MEMBER_ID => {
            log::info!(
                "group {group}: member `{}` fenced at epoch {} ({}); its partitions are lost",
                state.member_id,
                state.epoch,
                code.name()
            );
            state.phase = Phase::Lost;
            state.findings.push(Finding::Lost);
        }
        ErrorCode::UNSUPPORTED_VERSION => {
            let e = KafkaError::broker(code, format!("the heartbeat of group {group}"));
            state.findings.push(Finding::Failed(unsupported(&e)));
            fail_join(state, sent);
        }
        _ => {
            let mut e = KafkaError::broker(code, format!("the heartbeat of group {group}"));
            if let Some(message) = response.error_message.filter(|m| !m.is_empty()) {
                e = e.context(message);
            }
            if code == ErrorCode::UNRELEASED_INSTANCE_ID {
                e = e.context(format!(
                    "group.instance.id `{}` is still held by another member; it is free once \
                     that member leaves or its session times out",
                    settings.group_instance_id.as_deref().unwrap_or_default()
                ));
            }
            log::warn!("group {group}: {e}");
            if code.is_retriable() {
                return;
            }
            state.findings.push(Finding::Failed(e));
            fail_join(state, sent);
        }
    }
}

/// After a refused heartbeat: a member that had joined has lost its partitions; the
/// member joins again after a back-off.
fn fail_join(state: &mut State, sent: Instant) {
    if state.phase == Phase::Stable {
        state.phase = Phase::Lost;
        state.findings.push(Finding::Lost);
    } else {
        state.heartbeat_now = true;
        state.join_after = Some(sent + FAILED_JOIN_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::ConsumerGroupHeartbeatResponseAssignment;

    fn settings(instance: Option<&str>) -> ConsumerProtocolSettings {
        ConsumerProtocolSettings {
            group_id: "g".into(),
            group_instance_id: instance.map(str::to_owned),
            rack: Some("r1".into()),
            rebalance_timeout: Duration::from_secs(300),
            max_poll_interval: Duration::from_secs(300),
            remote_assignor: Some("uniform".into()),
            retry_backoff: Duration::from_millis(100),
            request_timeout: Duration::from_secs(30),
        }
    }

    fn joining() -> State {
        State {
            phase: Phase::Joining,
            member_id: "m1".into(),
            epoch: 0,
            subscription: Some(Subscribed::Topics(vec!["t".into()])),
            owned: Vec::new(),
            target: None,
            heartbeat_now: true,
            join_after: None,
            interval: FIRST_INTERVAL,
            last_poll: Instant::now(),
            findings: Vec::new(),
            closed: false,
        }
    }

    fn topic(id: u8, partitions: &[i32]) -> ConsumerGroupHeartbeatTopicPartitions {
        ConsumerGroupHeartbeatTopicPartitions {
            topic_id: Uuid([id; 16]),
            partitions: partitions.to_vec(),
        }
    }

    #[test]
    fn the_join_heartbeat_carries_everything_with_epoch_zero() {
        let mut state = joining();
        state.epoch = 9;
        state.owned = vec![topic(1, &[0])];
        let request = heartbeat_request(&state, &settings(Some("i-1")));
        assert_eq!(request.member_epoch, 0, "a joining member sends epoch 0");
        assert_eq!(request.member_id, "m1");
        assert_eq!(request.subscribed_topic_names, Some(vec!["t".to_owned()]));
        assert_eq!(request.subscribed_topic_regex, None);
        assert_eq!(
            request.topic_partitions,
            Some(Vec::new()),
            "owns nothing yet"
        );
        assert_eq!(request.rebalance_timeout_ms, 300_000);
        assert_eq!(request.server_assignor.as_deref(), Some("uniform"));
        assert_eq!(request.instance_id.as_deref(), Some("i-1"));
        assert_eq!(request.rack_id.as_deref(), Some("r1"));

        state.phase = Phase::Stable;
        state.subscription = Some(Subscribed::Regex("t.*".into()));
        let request = heartbeat_request(&state, &settings(None));
        assert_eq!(request.member_epoch, 9);
        assert_eq!(request.topic_partitions, Some(vec![topic(1, &[0])]));
        assert_eq!(request.subscribed_topic_names, None);
        assert_eq!(request.subscribed_topic_regex.as_deref(), Some("t.*"));
    }

    #[test]
    fn an_answer_makes_the_member_stable_with_its_epoch_interval_and_target() {
        let mut state = joining();
        let sent = Instant::now();
        let response = ConsumerGroupHeartbeatResponse {
            member_id: Some("m1".into()),
            member_epoch: 4,
            heartbeat_interval_ms: 1500,
            assignment: Some(ConsumerGroupHeartbeatResponseAssignment {
                topic_partitions: vec![topic(2, &[0, 1])],
            }),
            ..Default::default()
        };
        on_response(&mut state, response, &settings(None), sent);
        assert_eq!(state.phase, Phase::Stable);
        assert_eq!(state.epoch, 4);
        assert_eq!(state.interval, Duration::from_millis(1500));
        assert_eq!(state.target, Some(vec![topic(2, &[0, 1])]));
        assert!(state.findings.is_empty());
    }

    #[test]
    fn a_fenced_member_loses_its_partitions_and_stops_heartbeating() {
        for code in [ErrorCode::FENCED_MEMBER_EPOCH, ErrorCode::UNKNOWN_MEMBER_ID] {
            let mut state = joining();
            state.phase = Phase::Stable;
            state.epoch = 7;
            let response = ConsumerGroupHeartbeatResponse {
                error_code: code.0,
                ..Default::default()
            };
            on_response(&mut state, response, &settings(None), Instant::now());
            assert_eq!(state.phase, Phase::Lost, "{code:?}");
            assert!(matches!(state.findings.as_slice(), [Finding::Lost]));
            assert_eq!(state.member_id, "m1", "the member id is kept");
        }
    }

    #[test]
    fn a_refused_join_is_reported_and_tried_again_after_a_back_off() {
        let mut state = joining();
        let sent = Instant::now();
        let response = ConsumerGroupHeartbeatResponse {
            error_code: ErrorCode::UNRELEASED_INSTANCE_ID.0,
            error_message: Some("still held".into()),
            ..Default::default()
        };
        on_response(&mut state, response, &settings(Some("i-1")), sent);
        assert_eq!(state.phase, Phase::Joining);
        assert_eq!(state.join_after, Some(sent + FAILED_JOIN_BACKOFF));
        assert!(state.heartbeat_now);
        let [Finding::Failed(e)] = state.findings.as_slice() else {
            panic!("{:?}", state.findings);
        };
        assert_eq!(e.code(), Some(ErrorCode::UNRELEASED_INSTANCE_ID));
        assert!(e.to_string().contains("i-1"), "{e}");
    }

    #[test]
    fn a_broker_without_the_protocol_gets_an_error_naming_the_setting() {
        let mut state = joining();
        let response = ConsumerGroupHeartbeatResponse {
            error_code: ErrorCode::UNSUPPORTED_VERSION.0,
            ..Default::default()
        };
        on_response(&mut state, response, &settings(None), Instant::now());
        let [Finding::Failed(e)] = state.findings.as_slice() else {
            panic!("{:?}", state.findings);
        };
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("group.protocol"), "{e}");
    }

    #[test]
    fn member_ids_are_random_and_look_like_java_uuids() {
        let a = random_member_id().expect("id");
        let b = random_member_id().expect("id");
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
    }
}
