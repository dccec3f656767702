//! Committing offsets to the group (OffsetCommit) and reading them back
//! (OffsetFetch), for both group protocols: synchronous commits retried until a
//! deadline, asynchronous ones whose callbacks run on the caller's thread, and the
//! committed offsets a partition starts from.
//!
//! A commit carries the member's identity ([`MemberIdentity`]): its generation
//! (classic) or member epoch (consumer protocol) and member id, so that the
//! coordinator refuses commits of a member that no longer owns the partitions. Group
//! errors in the answer go to the [`Membership`], which knows what they mean for the
//! protocol (rejoin, forget the member, retry with the new epoch).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::membership::heartbeat::loses_coordinator;
use super::membership::{GroupIo, MemberIdentity, Membership};
use super::offsets::OffsetAndMetadata;
use crate::client::offsets::offset_commit_topics;
use crate::client::TopicPartition;
use crate::error::{ErrorCode, KafkaError, Result};
use crate::net::Response;
use crate::protocol::messages::{OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest};
use crate::protocol::offset_fetch::CommittedOffsetRow;

/// A callback of `commit_async`.
pub type CommitCallback =
    Box<dyn FnOnce(&BTreeMap<TopicPartition, OffsetAndMetadata>, Result<()>) + Send>;

struct PendingCommit {
    offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    callback: Option<CommitCallback>,
}

/// The commits of one group member.
pub(crate) struct Commits {
    group_id: String,
    group_instance_id: Option<String>,
    /// `isolation.level=read_committed`: offset fetches wait for pending transactional
    /// commits (KIP-447).
    require_stable: bool,
    retry_backoff: std::time::Duration,
    /// Async commits in flight, by (connection, correlation id).
    pending: HashMap<(i32, i32), PendingCommit>,
    /// Async commits whose outcome is known, to run on the caller's thread.
    completed: Vec<(PendingCommit, Result<()>)>,
}

impl std::fmt::Debug for Commits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commits")
            .field("pending", &self.pending.len())
            .field("completed", &self.completed.len())
            .finish_non_exhaustive()
    }
}

impl Commits {
    pub fn new(
        group_id: &str,
        group_instance_id: Option<String>,
        require_stable: bool,
        retry_backoff: std::time::Duration,
    ) -> Self {
        Commits {
            group_id: group_id.to_owned(),
            group_instance_id,
            require_stable,
            retry_backoff,
            pending: HashMap::new(),
            completed: Vec::new(),
        }
    }

    /// The identity to commit with. A group member (`member`: the consumer subscribed)
    /// commits only in a stable generation, as in the Java client: sent with generation
    /// -1 while a join is under way, the commit would earn UNKNOWN_MEMBER_ID, whose
    /// handling abandons the join in flight and leaves a ghost member until its session
    /// times out. As with the Java client's RebalanceInProgressException, the caller
    /// commits again after the next `poll()` has rejoined. A consumer that is not a
    /// member (`assign()`) commits with no identity.
    fn identity(&self, membership: &dyn Membership, member: bool) -> Result<MemberIdentity> {
        if !member {
            return Ok(MemberIdentity::none());
        }
        membership.identity().ok_or_else(|| {
            KafkaError::broker(
                ErrorCode::REBALANCE_IN_PROGRESS,
                format!(
                    "group {} is rebalancing: this member can commit once poll() has rejoined it",
                    self.group_id
                ),
            )
        })
    }

    fn request(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        identity: MemberIdentity,
    ) -> OffsetCommitRequest {
        let topics = offset_commit_topics(offsets);
        OffsetCommitRequest {
            group_id: self.group_id.clone(),
            generation_id_or_member_epoch: identity.generation,
            member_id: identity.member_id,
            group_instance_id: self.group_instance_id.clone(),
            topics,
            ..Default::default()
        }
    }

    /// Interprets an OffsetCommit response: `Ok` if every partition was committed,
    /// else the first error, and whether the membership says a retry with its identity
    /// as it is now can succeed (a stale member epoch). Group errors go to the
    /// membership; coordinator errors forget the coordinator.
    fn outcome(
        io: &mut GroupIo<'_>,
        membership: &mut dyn Membership,
        response: &OffsetCommitResponse,
    ) -> (Result<()>, bool) {
        let mut first: Option<KafkaError> = None;
        let mut retry_all = false;
        for topic in &response.topics {
            for p in &topic.partitions {
                let code = ErrorCode(p.error_code);
                if code == ErrorCode::NONE {
                    continue;
                }
                let mut retry = false;
                match code {
                    ErrorCode::NOT_COORDINATOR
                    | ErrorCode::COORDINATOR_NOT_AVAILABLE
                    | ErrorCode::REQUEST_TIMED_OUT => {
                        io.discovery.mark_unknown(io.client, code.name());
                    }
                    ErrorCode::UNKNOWN_MEMBER_ID
                    | ErrorCode::ILLEGAL_GENERATION
                    | ErrorCode::REBALANCE_IN_PROGRESS
                    | ErrorCode::STALE_MEMBER_EPOCH
                    | ErrorCode::FENCED_MEMBER_EPOCH => {
                        retry = membership.on_commit_error(code);
                    }
                    _ => {}
                }
                if first.is_none() {
                    retry_all = retry;
                    let context =
                        format!("committing offsets of {}-{}", topic.name, p.partition_index);
                    let mut e = KafkaError::broker(code, context);
                    if !retry
                        && matches!(
                            code,
                            ErrorCode::UNKNOWN_MEMBER_ID
                                | ErrorCode::ILLEGAL_GENERATION
                                | ErrorCode::REBALANCE_IN_PROGRESS
                                | ErrorCode::FENCED_MEMBER_EPOCH
                        )
                    {
                        e = e.context("the group rebalanced, so this commit failed (the partitions may now belong to another member)");
                    }
                    first = Some(e);
                }
            }
        }
        (first.map_or(Ok(()), Err), retry_all)
    }

    /// Commits `offsets`, retrying retriable errors until `deadline`.
    pub fn commit_sync(
        &mut self,
        mut io: GroupIo<'_>,
        membership: &mut dyn Membership,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        deadline: Instant,
    ) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        loop {
            let identity = self.identity(membership, member)?;
            let node = io.discovery.ensure(io.client, deadline)?;
            let request = self.request(offsets, identity);
            let timeout = deadline.saturating_duration_since(Instant::now());
            let (outcome, retry) = match io.client.send_and_wait(node, &request, timeout) {
                Ok(r) => Self::outcome(&mut io, membership, &r),
                Err(e) => (Err(e), false),
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) if (retry || e.is_retriable()) && Instant::now() < deadline => {
                    if loses_coordinator(&e) {
                        io.discovery.mark_unknown(io.client, &e.to_string());
                    }
                    log::debug!("commit failed, retrying: {e}");
                    let wait = self
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
        io: GroupIo<'_>,
        membership: &dyn Membership,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        member: bool,
        callback: Option<CommitCallback>,
    ) {
        let pending = PendingCommit { offsets, callback };
        if pending.offsets.is_empty() {
            self.completed.push((pending, Ok(())));
            return;
        }
        let identity = match self.identity(membership, member) {
            Ok(identity) => identity,
            Err(e) => {
                self.completed.push((pending, Err(e)));
                return;
            }
        };
        let Some(node) = io.discovery.ready(io.client) else {
            let e = KafkaError::broker(
                ErrorCode::COORDINATOR_NOT_AVAILABLE,
                format!("committing offsets of group {}", self.group_id),
            );
            self.completed.push((pending, Err(e)));
            return;
        };
        let request = self.request(&pending.offsets, identity);
        match io.client.send(node, &request) {
            Ok(correlation_id) => {
                self.pending.insert((node, correlation_id), pending);
            }
            Err(e) => self.completed.push((pending, Err(e))),
        }
    }

    /// Whether `response` answers an async commit.
    pub fn owns(&self, response: &Response) -> bool {
        self.pending
            .contains_key(&(response.node_id, response.correlation_id))
    }

    /// Handles the answer of an async commit.
    pub fn handle_response(
        &mut self,
        response: Response,
        mut io: GroupIo<'_>,
        membership: &mut dyn Membership,
    ) {
        if let Some(pending) = self
            .pending
            .remove(&(response.node_id, response.correlation_id))
        {
            let outcome = match response.decode::<OffsetCommitRequest>() {
                Ok(r) => Self::outcome(&mut io, membership, &r).0,
                Err(e) => Err(e),
            };
            self.completed.push((pending, outcome));
        }
    }

    /// Whether async commits are still waiting for their answers.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Runs the callbacks of async commits that completed.
    pub fn run_callbacks(&mut self) {
        for (pending, outcome) in std::mem::take(&mut self.completed) {
            if let Err(e) = &outcome {
                log::warn!("async commit of group {} failed: {e}", self.group_id);
            }
            if let Some(callback) = pending.callback {
                callback(&pending.offsets, outcome);
            }
        }
    }

    /// Fails async commits whose request is lost (the connection closed under them is
    /// reported as a response, so this is only for close()).
    pub fn abandon_pending(&mut self) {
        for (_, pending) in self.pending.drain() {
            let e = KafkaError::closed("the consumer closed before the commit was answered");
            self.completed.push((pending, Err(e)));
        }
    }

    /// The committed offsets of `partitions` (`None` for those without one), retrying
    /// coordinator errors until `deadline`.
    pub fn fetch_committed(
        &mut self,
        io: GroupIo<'_>,
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
        let request =
            OffsetFetchRequest::for_group(&self.group_id, Some(&by_topic), self.require_stable);
        loop {
            let node = io.discovery.ensure(io.client, deadline)?;
            let timeout = deadline.saturating_duration_since(Instant::now());
            let outcome = io
                .client
                .send_and_wait(node, &request, timeout)
                .and_then(|response| self.committed_rows(response.group_rows(), partitions));
            match outcome {
                Ok(result) => return Ok(result),
                Err(e) if e.is_retriable() && Instant::now() < deadline => {
                    if loses_coordinator(&e) {
                        io.discovery.mark_unknown(io.client, &e.to_string());
                    }
                    let wait = self
                        .retry_backoff
                        .min(deadline.saturating_duration_since(Instant::now()));
                    // A back-off before retrying; nothing to wait on but time.
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The committed offsets in an OffsetFetch answer (`group_rows()`), with `None` for
    /// each asked-for partition that has none.
    fn committed_rows(
        &self,
        (code, rows): (i16, Vec<CommittedOffsetRow>),
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let code = ErrorCode(code);
        if code != ErrorCode::NONE {
            return Err(KafkaError::broker(
                code,
                format!("fetching committed offsets of group {}", self.group_id),
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
    }

    /// The outcome of the last completed async commit (unit tests).
    #[cfg(test)]
    pub fn last_completed(&self) -> Option<&Result<()>> {
        self.completed.last().map(|(_, outcome)| outcome)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::client::KafkaClient;
    use crate::config::ClientConfig;
    use crate::consumer::assignor::AssignmentStrategy;
    use crate::consumer::discovery::Discovery;
    use crate::consumer::membership::classic::{Classic, ClassicSettings};
    use crate::consumer::membership::heartbeat::{Heartbeat, HeartbeatSettings};

    fn unjoined_member() -> Classic {
        let heartbeat = Heartbeat::spawn(
            ClientConfig::new("127.0.0.1:1"),
            HeartbeatSettings {
                interval: Duration::from_secs(3),
                session_timeout: Duration::from_secs(45),
                max_poll_interval: Duration::from_secs(300),
                retry_backoff: Duration::from_millis(100),
                request_timeout: Duration::from_secs(30),
            },
        )
        .expect("heartbeat");
        Classic::new(
            ClassicSettings {
                group_id: "g".into(),
                group_instance_id: None,
                session_timeout: Duration::from_secs(45),
                rebalance_timeout: Duration::from_secs(300),
                strategies: vec![AssignmentStrategy::Range],
                retry_backoff: Duration::from_millis(100),
                request_timeout: Duration::from_secs(30),
                rack: None,
            },
            heartbeat,
        )
    }

    #[test]
    fn a_member_does_not_commit_outside_a_stable_generation() {
        let mut membership = unjoined_member();
        let mut client = KafkaClient::new(ClientConfig::new("127.0.0.1:1")).expect("client");
        let mut discovery = Discovery::new("g", Duration::from_millis(100));
        let mut commits = Commits::new("g", None, false, Duration::from_millis(100));
        let offsets = BTreeMap::from([(TopicPartition::new("t", 0), OffsetAndMetadata::new(5))]);
        let io = GroupIo {
            discovery: &mut discovery,
            client: &mut client,
        };
        let err = commits
            .commit_sync(
                io,
                &mut membership,
                &offsets,
                true,
                Instant::now() + Duration::from_secs(5),
            )
            .unwrap_err();
        // As in the Java client (RebalanceInProgressException): not a retriable error
        // class, but the message says to commit again after poll().
        assert_eq!(err.code(), Some(ErrorCode::REBALANCE_IN_PROGRESS), "{err}");
        assert!(err.to_string().contains("poll()"), "{err}");
        assert_eq!(discovery.id(), None, "no coordinator was even looked up");
        // Asynchronous commits are refused the same way, through their callback.
        let io = GroupIo {
            discovery: &mut discovery,
            client: &mut client,
        };
        commits.commit_async(io, &membership, offsets, true, None);
        assert!(matches!(
            commits.last_completed(),
            Some(Err(e)) if e.code() == Some(ErrorCode::REBALANCE_IN_PROGRESS)
        ));
    }

    #[test]
    fn offsets_are_committed_grouped_by_topic_with_the_identity() {
        let commits = Commits::new("g", Some("static-1".into()), false, Duration::ZERO);
        let offsets = BTreeMap::from([
            (TopicPartition::new("a", 0), OffsetAndMetadata::new(5)),
            (TopicPartition::new("a", 2), OffsetAndMetadata::new(7)),
            (TopicPartition::new("b", 1), OffsetAndMetadata::new(9)),
        ]);
        let request = commits.request(
            &offsets,
            MemberIdentity {
                generation: 12,
                member_id: "m".into(),
            },
        );
        assert_eq!(request.generation_id_or_member_epoch, 12);
        assert_eq!(request.member_id, "m");
        assert_eq!(request.group_instance_id.as_deref(), Some("static-1"));
        let topics: Vec<(&str, Vec<i32>)> = request
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.partitions.iter().map(|p| p.partition_index).collect(),
                )
            })
            .collect();
        assert_eq!(topics, vec![("a", vec![0, 2]), ("b", vec![1])]);
    }
}
