//! The consumer's side of its group: [`GroupCoordinator`] owns the group state (the
//! coordinator found by [`Discovery`], the [`Membership`] of the configured group
//! protocol, and the [`Commits`]) and tells the consumer facade what to do through
//! [`GroupEvent`]s, which the facade hands to the rebalance listener.
//!
//! `group.protocol` picks the membership: `classic` (JoinGroup and SyncGroup, the
//! default, as in the Java client 4.x) or `consumer` (KIP-848's
//! ConsumerGroupHeartbeat, with the assignment computed by the broker).

use std::collections::BTreeMap;
use std::time::Instant;

use super::commits::{CommitCallback, Commits};
use super::discovery::Discovery;
use super::membership::classic::{Classic, ClassicSettings};
use super::membership::consumer_protocol::{ConsumerProtocol, ConsumerProtocolSettings};
use super::membership::heartbeat::{Heartbeat, HeartbeatSettings};
use super::membership::{GroupEvent, GroupIo, MemberIdentity, Membership};
use super::offsets::OffsetAndMetadata;
use super::subscription::SubscriptionState;
use crate::client::{KafkaClient, TopicPartition};
use crate::config::{ConsumerConfig, GroupProtocol, IsolationLevel};
use crate::error::Result;
use crate::net::Response;

/// A consumer's group: its coordinator, membership and commits.
pub(crate) struct GroupCoordinator {
    group_id: String,
    group_instance_id: Option<String>,
    discovery: Discovery,
    membership: Box<dyn Membership>,
    commits: Commits,
}

impl std::fmt::Debug for GroupCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCoordinator")
            .field("group_id", &self.group_id)
            .field("membership", &self.membership)
            .field("coordinator", &self.discovery.id())
            .finish_non_exhaustive()
    }
}

impl GroupCoordinator {
    /// The group of `config` (which has a `group.id`), starting the heartbeat thread of
    /// its protocol.
    pub fn new(config: &ConsumerConfig, group_id: &str) -> Result<Self> {
        let rack = (!config.client_rack.is_empty()).then(|| config.client_rack.clone());
        let membership: Box<dyn Membership> = match config.group_protocol {
            GroupProtocol::Classic => {
                let heartbeat = Heartbeat::spawn(
                    config.client.clone(),
                    HeartbeatSettings {
                        interval: config.heartbeat_interval,
                        session_timeout: config.session_timeout,
                        max_poll_interval: config.max_poll_interval,
                        retry_backoff: config.client.retry_backoff,
                        request_timeout: config.client.request_timeout,
                    },
                )?;
                Box::new(Classic::new(
                    ClassicSettings {
                        group_id: group_id.to_owned(),
                        group_instance_id: config.group_instance_id.clone(),
                        session_timeout: config.session_timeout,
                        rebalance_timeout: config.max_poll_interval,
                        strategies: config.partition_assignment_strategy.clone(),
                        retry_backoff: config.client.retry_backoff,
                        request_timeout: config.client.request_timeout,
                        rack,
                    },
                    heartbeat,
                ))
            }
            GroupProtocol::Consumer => Box::new(ConsumerProtocol::spawn(
                config.client.clone(),
                ConsumerProtocolSettings {
                    group_id: group_id.to_owned(),
                    group_instance_id: config.group_instance_id.clone(),
                    rack,
                    rebalance_timeout: config.max_poll_interval,
                    max_poll_interval: config.max_poll_interval,
                    remote_assignor: config.group_remote_assignor.clone(),
                    retry_backoff: config.client.retry_backoff,
                    request_timeout: config.client.request_timeout,
                },
            )?),
        };
        log::debug!(
            "group {group_id}: the {} group protocol",
            membership.protocol_name()
        );
        Ok(Self::with_membership(config, group_id, membership))
    }

    /// The group of `config` with `membership`, its coordinator not found yet.
    fn with_membership(
        config: &ConsumerConfig,
        group_id: &str,
        membership: Box<dyn Membership>,
    ) -> Self {
        GroupCoordinator {
            group_id: group_id.to_owned(),
            group_instance_id: config.group_instance_id.clone(),
            discovery: Discovery::new(group_id, config.client.retry_backoff),
            membership,
            commits: Commits::new(
                group_id,
                config.group_instance_id.clone(),
                config.isolation_level == IsolationLevel::ReadCommitted,
                config.client.retry_backoff,
            ),
        }
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The static member id (`group.instance.id`), if any.
    pub fn group_instance_id(&self) -> Option<&str> {
        self.group_instance_id.as_deref()
    }

    /// Drives the membership; returns what the consumer must do next.
    pub fn poll(
        &mut self,
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
        deadline: Instant,
    ) -> Result<Option<GroupEvent>> {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        self.membership.poll(io, subscriptions, deadline)
    }

    /// Whether `response` answers a request of this group.
    pub fn owns(&self, response: &Response) -> bool {
        self.commits.owns(response) || self.membership.owns(response)
    }

    /// Handles a response [`owns`](Self::owns) claimed.
    pub fn handle_response(
        &mut self,
        response: Response,
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) -> Result<Option<GroupEvent>> {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        if self.commits.owns(&response) {
            self.commits
                .handle_response(response, io, self.membership.as_mut());
            return Ok(None);
        }
        self.membership.handle_response(response, io, subscriptions)
    }

    /// The consumer carried out the last `Revoke` or `Assign` event.
    pub fn reconciled(
        &mut self,
        revoked: &[TopicPartition],
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    ) {
        self.membership.reconciled(revoked, client, subscriptions);
    }

    /// The consumer carried out the last `Lost` event.
    pub fn lost_handled(&mut self) {
        self.membership.lost_handled();
    }

    /// The subscription changed.
    pub fn subscription_changed(&mut self) {
        self.membership.subscription_changed();
    }

    /// Rebalance now.
    pub fn enforce_rebalance(&mut self) {
        self.membership.enforce_rebalance();
    }

    /// The member's generation (or epoch) and id while it is in a stable generation.
    pub fn identity(&self) -> Option<MemberIdentity> {
        self.membership.identity()
    }

    /// Records that the caller polled.
    pub fn note_poll(&self) {
        self.membership.note_poll();
    }

    /// Whether the coordinator is known.
    pub fn knows_coordinator(&self) -> bool {
        self.discovery.id().is_some()
    }

    /// Finds the coordinator, trying until `deadline`.
    pub fn ensure_coordinator(
        &mut self,
        client: &mut KafkaClient,
        deadline: Instant,
    ) -> Result<()> {
        self.discovery.ensure(client, deadline).map(|_| ())
    }

    /// Commits `offsets`, retrying until `deadline`. `member`: the consumer is
    /// subscribed (a group member), so it commits with its identity.
    pub fn commit_sync(
        &mut self,
        client: &mut KafkaClient,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        deadline: Instant,
    ) -> Result<()> {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        self.commits
            .commit_sync(io, self.membership.as_mut(), offsets, member, deadline)
    }

    /// Sends a commit without waiting; `callback` runs in a later poll.
    pub fn commit_async(
        &mut self,
        client: &mut KafkaClient,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        callback: Option<CommitCallback>,
    ) {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        self.commits
            .commit_async(io, self.membership.as_ref(), offsets, member, callback);
    }

    /// Whether async commits wait for answers.
    pub fn has_pending_commits(&self) -> bool {
        self.commits.has_pending()
    }

    /// Runs the callbacks of completed async commits.
    pub fn run_commit_callbacks(&mut self) {
        self.commits.run_callbacks();
    }

    /// Fails the async commits still in flight (on close).
    pub fn abandon_pending_commits(&mut self) {
        self.commits.abandon_pending();
    }

    /// The committed offsets of `partitions`.
    pub fn fetch_committed(
        &mut self,
        client: &mut KafkaClient,
        partitions: &[TopicPartition],
        deadline: Instant,
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        self.commits.fetch_committed(io, partitions, deadline)
    }

    /// Leaves the group, best effort within `deadline`.
    pub fn leave(&mut self, client: &mut KafkaClient, reason: &str, deadline: Instant) {
        let io = GroupIo {
            discovery: &mut self.discovery,
            client,
        };
        self.membership.leave(io, reason, deadline);
    }

    /// Stops the background thread.
    pub fn close(&mut self) {
        self.membership.close();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, VecDeque};
    use std::sync::Arc;
    use std::time::Duration;

    use parking_lot::Mutex;

    use super::*;
    use crate::config::{AssignmentStrategy, ClientConfig, OffsetReset};
    use crate::consumer::discovery::CoordinatorNode;
    use crate::consumer::membership::heartbeat::{HeartbeatEvent, Reporter};
    use crate::error::{ErrorCode, ErrorKind, KafkaError};
    use crate::net::BrokerAddress;
    use crate::protocol::api::Request;
    use crate::protocol::messages::JoinGroupRequest;

    /// What a [`Scripted`] membership was told.
    #[derive(Debug, Default)]
    struct Log {
        /// The events `poll` hands out, in order (then `None`).
        script: VecDeque<Result<Option<GroupEvent>>>,
        /// The event `handle_response` hands out.
        on_response: Option<GroupEvent>,
        deadlines: Vec<Instant>,
        responses: Vec<i32>,
        reconciled: Vec<Vec<TopicPartition>>,
        lost_handled: usize,
        subscription_changes: usize,
        rebalances: usize,
        polls_noted: usize,
    }

    /// A membership that plays a script: it owns responses with correlation id 77.
    #[derive(Debug)]
    struct Scripted(Arc<Mutex<Log>>);

    const OWNED: i32 = 77;

    impl Membership for Scripted {
        fn protocol_name(&self) -> &'static str {
            "scripted"
        }
        fn poll(
            &mut self,
            _io: GroupIo<'_>,
            _subscriptions: &SubscriptionState,
            deadline: Instant,
        ) -> Result<Option<GroupEvent>> {
            let mut log = self.0.lock();
            log.deadlines.push(deadline);
            log.script.pop_front().unwrap_or(Ok(None))
        }
        fn owns(&self, response: &Response) -> bool {
            response.correlation_id == OWNED
        }
        fn handle_response(
            &mut self,
            response: Response,
            _io: GroupIo<'_>,
            _subscriptions: &SubscriptionState,
        ) -> Result<Option<GroupEvent>> {
            let mut log = self.0.lock();
            log.responses.push(response.correlation_id);
            Ok(log.on_response.take())
        }
        fn reconciled(
            &mut self,
            revoked: &[TopicPartition],
            _client: &mut KafkaClient,
            _subscriptions: &SubscriptionState,
        ) {
            self.0.lock().reconciled.push(revoked.to_vec());
        }
        fn lost_handled(&mut self) {
            self.0.lock().lost_handled += 1;
        }
        fn subscription_changed(&mut self) {
            self.0.lock().subscription_changes += 1;
        }
        fn enforce_rebalance(&mut self) {
            self.0.lock().rebalances += 1;
        }
        fn identity(&self) -> Option<MemberIdentity> {
            None
        }
        fn on_commit_error(&mut self, _code: ErrorCode) -> bool {
            false
        }
        fn note_poll(&self) {
            self.0.lock().polls_noted += 1;
        }
        fn leave(&mut self, _io: GroupIo<'_>, _reason: &str, _deadline: Instant) {}
        fn close(&mut self) {}
    }

    fn config() -> ConsumerConfig {
        ConsumerConfig::new("127.0.0.1:1").group_id("g")
    }

    fn client() -> KafkaClient {
        KafkaClient::new(ClientConfig::new("127.0.0.1:1")).expect("client")
    }

    fn scripted() -> (GroupCoordinator, Arc<Mutex<Log>>) {
        let log = Arc::new(Mutex::new(Log::default()));
        let membership = Box::new(Scripted(Arc::clone(&log)));
        (
            GroupCoordinator::with_membership(&config(), "g", membership),
            log,
        )
    }

    fn tp(partition: i32) -> TopicPartition {
        TopicPartition::new("t", partition)
    }

    fn response(correlation_id: i32) -> Response {
        Response {
            node_id: i32::MAX - 1,
            correlation_id,
            api_key: JoinGroupRequest::SUPPORT.key,
            api_version: JoinGroupRequest::SUPPORT.max_version,
            result: Err(KafkaError::connection("closed")),
        }
    }

    /// A consumer subscribed to `t` owning `t-0` and `t-1`.
    fn owning_two() -> SubscriptionState {
        let mut subscriptions = SubscriptionState::new(OffsetReset::Latest, true);
        subscriptions
            .subscribe(BTreeSet::from(["t".to_owned()]))
            .expect("subscribe");
        subscriptions.set_assignment([tp(0), tp(1)]);
        subscriptions
    }

    #[test]
    fn poll_hands_out_the_membership_events_in_order_with_the_deadline() {
        let (mut group, log) = scripted();
        let assigned = BTreeSet::from([tp(0)]);
        log.lock().script = VecDeque::from([
            Ok(Some(GroupEvent::Revoke(vec![tp(1)]))),
            Ok(Some(GroupEvent::Assign(assigned.clone()))),
            Ok(Some(GroupEvent::Lost)),
            Err(KafkaError::broker(
                ErrorCode::GROUP_AUTHORIZATION_FAILED,
                "JoinGroup",
            )),
        ]);
        let mut client = client();
        let subscriptions = owning_two();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut poll = || group.poll(&mut client, &subscriptions, deadline);
        assert_eq!(
            poll().expect("revoke"),
            Some(GroupEvent::Revoke(vec![tp(1)]))
        );
        assert_eq!(poll().expect("assign"), Some(GroupEvent::Assign(assigned)));
        assert_eq!(poll().expect("lost"), Some(GroupEvent::Lost));
        let err = poll().expect_err("a fatal group error is returned");
        assert_eq!(
            err.kind(),
            ErrorKind::Broker(ErrorCode::GROUP_AUTHORIZATION_FAILED)
        );
        assert_eq!(poll().expect("quiet"), None);
        assert_eq!(log.lock().deadlines, vec![deadline; 5]);
    }

    #[test]
    fn responses_go_to_the_part_that_sent_the_request() {
        let (mut group, log) = scripted();
        let mut client = client();
        let subscriptions = owning_two();
        assert!(!group.owns(&response(5)), "nobody sent it");
        assert!(group.owns(&response(OWNED)));
        log.lock().on_response = Some(GroupEvent::Assign(BTreeSet::from([tp(1)])));
        let event = group
            .handle_response(response(OWNED), &mut client, &subscriptions)
            .expect("handled");
        assert_eq!(event, Some(GroupEvent::Assign(BTreeSet::from([tp(1)]))));
        assert_eq!(log.lock().responses, vec![OWNED]);
    }

    #[test]
    fn the_consumer_acknowledgements_reach_the_membership() {
        let (mut group, log) = scripted();
        let mut client = client();
        let subscriptions = owning_two();
        group.reconciled(&[tp(1)], &mut client, &subscriptions);
        group.lost_handled();
        group.subscription_changed();
        group.enforce_rebalance();
        group.note_poll();
        let log = log.lock();
        assert_eq!(log.reconciled, vec![vec![tp(1)]]);
        assert_eq!(
            (
                log.lost_handled,
                log.subscription_changes,
                log.rebalances,
                log.polls_noted
            ),
            (1, 1, 1, 1)
        );
        assert!(!group.knows_coordinator());
        assert_eq!(group.group_id(), "g");
        assert_eq!(group.group_instance_id(), None);
    }

    /// A coordinator with the classic membership (its heartbeat thread idle) whose
    /// coordinator is known, so that nothing is looked up, and a handle that reports
    /// what the heartbeat thread would find.
    fn classic(strategy: AssignmentStrategy) -> (GroupCoordinator, Reporter) {
        let config = config().partition_assignment_strategy(&[strategy]);
        let heartbeat = Heartbeat::spawn(
            config.client.clone(),
            HeartbeatSettings {
                interval: config.heartbeat_interval,
                session_timeout: config.session_timeout,
                max_poll_interval: config.max_poll_interval,
                retry_backoff: config.client.retry_backoff,
                request_timeout: config.client.request_timeout,
            },
        )
        .expect("heartbeat");
        let reporter = heartbeat.reporter();
        let membership = Box::new(Classic::new(
            ClassicSettings {
                group_id: "g".into(),
                group_instance_id: None,
                session_timeout: config.session_timeout,
                rebalance_timeout: config.max_poll_interval,
                strategies: config.partition_assignment_strategy.clone(),
                retry_backoff: config.client.retry_backoff,
                request_timeout: config.client.request_timeout,
                rack: None,
            },
            heartbeat,
        ));
        let mut group = GroupCoordinator::with_membership(&config, "g", membership);
        group.discovery.set_for_test(CoordinatorNode {
            connection_id: i32::MAX - 1,
            address: BrokerAddress {
                host: "127.0.0.1".into(),
                port: 1,
            },
        });
        (group, reporter)
    }

    #[test]
    fn a_fenced_member_loses_its_partitions_once() {
        for code in [
            ErrorCode::UNKNOWN_MEMBER_ID,
            ErrorCode::ILLEGAL_GENERATION,
            ErrorCode::FENCED_INSTANCE_ID,
        ] {
            let (mut group, heartbeat) = classic(AssignmentStrategy::Range);
            let mut client = client();
            let subscriptions = owning_two();
            let deadline = Instant::now() + Duration::from_secs(1);
            heartbeat.report(HeartbeatEvent::Fenced {
                code,
                reset_member: code != ErrorCode::ILLEGAL_GENERATION,
            });
            assert_eq!(
                group
                    .poll(&mut client, &subscriptions, deadline)
                    .expect("poll"),
                Some(GroupEvent::Lost),
                "{code}"
            );
            assert_eq!(
                group
                    .poll(&mut client, &subscriptions, deadline)
                    .expect("poll"),
                None,
                "nothing more until the loss is handled ({code})"
            );
            group.close();
        }
    }

    #[test]
    fn a_member_that_stopped_polling_loses_its_partitions() {
        let (mut group, heartbeat) = classic(AssignmentStrategy::Range);
        let mut client = client();
        let subscriptions = owning_two();
        let deadline = Instant::now() + Duration::from_secs(1);
        heartbeat.report(HeartbeatEvent::PollTimeout);
        assert_eq!(
            group
                .poll(&mut client, &subscriptions, deadline)
                .expect("poll"),
            Some(GroupEvent::Lost)
        );
        group.close();
    }

    #[test]
    fn a_rebalance_makes_an_eager_member_give_up_its_partitions_before_rejoining() {
        let (mut group, heartbeat) = classic(AssignmentStrategy::Range);
        let mut client = client();
        let subscriptions = owning_two();
        let deadline = Instant::now() + Duration::from_secs(1);
        heartbeat.report(HeartbeatEvent::RejoinNeeded);
        assert_eq!(
            group
                .poll(&mut client, &subscriptions, deadline)
                .expect("poll"),
            Some(GroupEvent::Revoke(vec![tp(0), tp(1)]))
        );
        assert_eq!(
            group
                .poll(&mut client, &subscriptions, deadline)
                .expect("poll"),
            None,
            "the revocation is handed out once"
        );
        group.close();
    }
}
