//! Group membership: the replaceable part of a consumer group that joins the group and
//! learns which partitions this member owns.
//!
//! Two implementations, picked by `group.protocol`:
//! - [`classic`]: JoinGroup and SyncGroup, with the assignment computed by the
//!   elected leader among the members, and a heartbeat thread ([`heartbeat`]);
//! - [`consumer_protocol`]: KIP-848's ConsumerGroupHeartbeat, with the assignment
//!   computed by the coordinator and handed out in heartbeat answers.
//!
//! Either one tells the consumer what to do through [`GroupEvent`]s, which the
//! consumer facade carries out on the caller's thread (committing before a revocation,
//! calling the rebalance listener), and then acknowledges with
//! [`Membership::reconciled`] or [`Membership::lost_handled`]. Until then the
//! membership waits: it never hands out a second event over an unfinished one.

pub(crate) mod classic;
pub(crate) mod consumer_protocol;
pub(crate) mod heartbeat;
mod thread;

use std::collections::BTreeSet;
use std::fmt;
use std::time::Instant;

use super::discovery::Discovery;
use super::subscription::SubscriptionState;
use crate::client::{KafkaClient, TopicPartition};
use crate::error::{ErrorCode, Result};
use crate::net::Response;

/// What the membership asks the consumer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupEvent {
    /// Give up these partitions (committing their positions first, if auto-commit is
    /// on), then call `on_partitions_revoked`. Before an eager rejoin.
    Revoke(Vec<TopicPartition>),
    /// Own exactly these partitions from now on: revoke those not in the set (as for
    /// `Revoke`), then add the new ones and call `on_partitions_assigned` with them.
    Assign(BTreeSet<TopicPartition>),
    /// Every partition is gone without a chance to commit (the member was fenced, or
    /// did not poll in time): call `on_partitions_lost`.
    Lost,
}

/// Who commits offsets: the member's generation (classic) or member epoch (consumer
/// protocol) and its member id. Outside a group generation it is `(-1, "")`, a
/// commit of a consumer that is not a member (as with `assign()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberIdentity {
    pub generation: i32,
    pub member_id: String,
}

impl MemberIdentity {
    /// No membership.
    pub fn none() -> Self {
        MemberIdentity {
            generation: -1,
            member_id: String::new(),
        }
    }
}

/// The state shared by the parts of a consumer's group: the coordinator, and the
/// caller's client. Passed in, so that the membership and the commits can each use
/// them.
pub(crate) struct GroupIo<'a> {
    pub discovery: &'a mut Discovery,
    pub client: &'a mut KafkaClient,
}

/// One group protocol, seen from the consumer's poll thread.
pub(crate) trait Membership: fmt::Debug + Send {
    /// `classic` or `consumer`, for logs and errors.
    fn protocol_name(&self) -> &'static str;

    /// Drives the protocol as `poll()` comes by: acts on what the heartbeat thread
    /// found, joins when it is time. Returns what the consumer must do next, if
    /// anything. Lookups it needs (the coordinator) wait at most until `deadline`.
    /// A non-retriable failure (an authorization error, a fenced static member) is
    /// returned, and returned again the next time it happens.
    fn poll(
        &mut self,
        io: GroupIo<'_>,
        subscriptions: &SubscriptionState,
        deadline: Instant,
    ) -> Result<Option<GroupEvent>>;

    /// Whether `response` answers a request this membership sent.
    fn owns(&self, response: &Response) -> bool;

    /// Handles a response that [`owns`](Self::owns) said is this membership's.
    fn handle_response(
        &mut self,
        response: Response,
        io: GroupIo<'_>,
        subscriptions: &SubscriptionState,
    ) -> Result<Option<GroupEvent>>;

    /// The consumer carried out the last `Revoke` or `Assign`: `revoked` are the
    /// partitions it gave up, and `subscriptions` holds the assignment now.
    fn reconciled(
        &mut self,
        revoked: &[TopicPartition],
        client: &mut KafkaClient,
        subscriptions: &SubscriptionState,
    );

    /// The consumer carried out the last `Lost`.
    fn lost_handled(&mut self);

    /// The subscription changed (topics or pattern): rejoin with it.
    fn subscription_changed(&mut self);

    /// Rebalance now (`enforce_rebalance()`); does nothing outside a generation.
    fn enforce_rebalance(&mut self);

    /// The member's identity while it is in a stable generation, for commits and
    /// `group_metadata()`.
    fn identity(&self) -> Option<MemberIdentity>;

    /// A commit or an offset fetch got `code`, a group error: react (rejoin, forget the
    /// member) as the protocol says. Returns whether retrying the request, with the
    /// identity as it is then, can succeed.
    fn on_commit_error(&mut self, code: ErrorCode) -> bool;

    /// Records that the caller polled (for `max.poll.interval.ms`).
    fn note_poll(&self);

    /// Leaves the group, best effort within `deadline`. A static member stays (its
    /// session expires instead), as in the Java client.
    fn leave(&mut self, io: GroupIo<'_>, reason: &str, deadline: Instant);

    /// Stops the background thread.
    fn close(&mut self);
}
