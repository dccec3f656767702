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
        Ok(GroupCoordinator {
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
        })
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
