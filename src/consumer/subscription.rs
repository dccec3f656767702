//! The subscription state: what the consumer reads (topics, a pattern, or a manual
//! assignment), which partitions it owns, and per partition the position, a pending
//! reset, the pause flag and the last watermarks the broker reported.
//!
//! A partition's position is the offset of the next record `poll()` returns. It is
//! unknown right after assignment: then the committed offset of the group is looked up
//! (if there is a group), and failing that the reset policy decides.
//!
//! A position whose leader epoch is known (that of the last record returned, or of a
//! committed offset) is validated before it is fetched from whenever it may have come
//! from another leader's log (KIP-320): after the partition's leader epoch changed,
//! and after a seek to an offset with an epoch. See [`super::validation`].

use std::collections::{BTreeMap, BTreeSet};

use regex_lite::Regex;

use crate::client::{Cluster, TopicPartition};
use crate::config::OffsetReset;
use crate::error::{KafkaError, Result};

/// How the consumer chose its partitions. Java and kafka-python allow only one at a
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubscriptionKind {
    /// Nothing yet.
    None,
    /// `subscribe(topics)`: the group assigns partitions.
    Topics,
    /// `subscribe_pattern(regex)`: the group assigns partitions of matching topics.
    Pattern,
    /// `assign(partitions)`: the user picked the partitions; no group membership.
    Assigned,
}

/// What the consumer still has to do before it can fetch a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchState {
    /// Look up the group's committed offset (or reset if there is no group).
    AwaitCommitted,
    /// Look up the offset the policy names.
    AwaitReset(OffsetReset),
    /// Check with the leader that the log has not been truncated below the position
    /// (OffsetForLeaderEpoch).
    AwaitValidation,
    /// The position is known: fetch from it.
    Fetching,
}

/// The state of one assigned partition.
#[derive(Debug, Clone)]
pub(crate) struct PartitionState {
    /// The offset of the next record to return, once known.
    pub position: Option<i64>,
    /// The leader epoch of the last record returned, if known.
    pub position_epoch: Option<i32>,
    /// The partition leader's epoch as last seen in metadata: fetches carry it, so a
    /// broker that is no longer leader (or not yet) fences them.
    pub leader_epoch: Option<i32>,
    /// What is needed before fetching.
    pub fetch_state: FetchState,
    /// Paused by the user: kept assigned, not fetched.
    pub paused: bool,
    /// The high watermark from the last fetch response.
    pub high_watermark: Option<i64>,
    /// The last stable offset from the last fetch response.
    pub last_stable_offset: Option<i64>,
    /// The log start offset from the last fetch response.
    pub log_start_offset: Option<i64>,
}

impl PartitionState {
    fn new(initial: FetchState) -> Self {
        PartitionState {
            position: None,
            position_epoch: None,
            leader_epoch: None,
            fetch_state: initial,
            paused: false,
            high_watermark: None,
            last_stable_offset: None,
            log_start_offset: None,
        }
    }

    /// Whether the fetcher may fetch this partition now.
    pub fn is_fetchable(&self) -> bool {
        !self.paused && self.fetch_state == FetchState::Fetching && self.position.is_some()
    }
}

/// The consumer's subscription and assignment.
#[derive(Debug)]
pub(crate) struct SubscriptionState {
    kind: SubscriptionKind,
    topics: BTreeSet<String>,
    pattern: Option<Regex>,
    /// The pattern as the user gave it (the consumer protocol sends it to the broker).
    pattern_source: Option<String>,
    assignment: BTreeMap<TopicPartition, PartitionState>,
    default_reset: OffsetReset,
    has_group: bool,
    /// The metadata generation whose leader epochs the assignment has taken in, if
    /// it did since the assignment last changed.
    epochs_seen: Option<u64>,
}

impl SubscriptionState {
    pub fn new(default_reset: OffsetReset, has_group: bool) -> Self {
        SubscriptionState {
            kind: SubscriptionKind::None,
            topics: BTreeSet::new(),
            pattern: None,
            pattern_source: None,
            assignment: BTreeMap::new(),
            default_reset,
            has_group,
            epochs_seen: None,
        }
    }

    pub fn kind(&self) -> &SubscriptionKind {
        &self.kind
    }

    /// Whether partitions come from the group (subscribe or pattern).
    pub fn is_auto(&self) -> bool {
        matches!(
            self.kind,
            SubscriptionKind::Topics | SubscriptionKind::Pattern
        )
    }

    fn check_kind(&self, wanted: SubscriptionKind) -> Result<()> {
        let clash = match (&self.kind, &wanted) {
            (SubscriptionKind::None, _) => false,
            (SubscriptionKind::Assigned, SubscriptionKind::Assigned) => false,
            (SubscriptionKind::Assigned, _) | (_, SubscriptionKind::Assigned) => true,
            _ => false,
        };
        if clash {
            return Err(KafkaError::invalid_argument(
                "subscribe() and assign() cannot be mixed: call unsubscribe() first",
            ));
        }
        Ok(())
    }

    /// Subscribes to `topics`; returns whether the topic set changed.
    pub fn subscribe(&mut self, topics: BTreeSet<String>) -> Result<bool> {
        self.check_kind(SubscriptionKind::Topics)?;
        let changed = self.kind != SubscriptionKind::Topics || self.topics != topics;
        self.kind = SubscriptionKind::Topics;
        self.pattern = None;
        self.pattern_source = None;
        self.topics = topics;
        Ok(changed)
    }

    /// Subscribes to topics matching `pattern`, compiled from `source` (the topic set
    /// follows metadata).
    pub fn subscribe_pattern(&mut self, pattern: Regex, source: String) -> Result<()> {
        self.check_kind(SubscriptionKind::Pattern)?;
        self.kind = SubscriptionKind::Pattern;
        self.pattern = Some(pattern);
        self.pattern_source = Some(source);
        self.topics.clear();
        Ok(())
    }

    /// The pattern, for pattern subscriptions.
    pub fn pattern(&self) -> Option<&Regex> {
        self.pattern.as_ref()
    }

    /// The pattern as the user gave it, for pattern subscriptions.
    pub fn pattern_source(&self) -> Option<&str> {
        self.pattern_source.as_deref()
    }

    /// For pattern subscriptions: sets the matching topics; returns whether they changed.
    pub fn set_matched_topics(&mut self, topics: BTreeSet<String>) -> bool {
        let changed = self.topics != topics;
        self.topics = topics;
        changed
    }

    /// The subscribed topics (for a pattern, those matched so far).
    pub fn topics(&self) -> &BTreeSet<String> {
        &self.topics
    }

    /// Replaces the assignment with `partitions` (manual assignment).
    pub fn assign(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.check_kind(SubscriptionKind::Assigned)?;
        self.kind = SubscriptionKind::Assigned;
        self.topics = partitions.iter().map(|tp| tp.topic.clone()).collect();
        self.set_assignment(partitions.iter().cloned());
        Ok(())
    }

    /// Sets the partitions owned, keeping the state of those already owned.
    pub fn set_assignment(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        let initial = self.initial_state();
        let mut next = BTreeMap::new();
        for tp in partitions {
            let state = self
                .assignment
                .remove(&tp)
                .unwrap_or_else(|| PartitionState::new(initial));
            next.insert(tp, state);
        }
        self.assignment = next;
        self.epochs_seen = None;
    }

    fn initial_state(&self) -> FetchState {
        if self.has_group {
            FetchState::AwaitCommitted
        } else {
            FetchState::AwaitReset(self.default_reset)
        }
    }

    /// Drops the subscription and the assignment.
    pub fn unsubscribe(&mut self) {
        self.kind = SubscriptionKind::None;
        self.topics.clear();
        self.pattern = None;
        self.pattern_source = None;
        self.assignment.clear();
    }

    /// The partitions owned, in order.
    pub fn assigned(&self) -> impl Iterator<Item = &TopicPartition> {
        self.assignment.keys()
    }

    /// The owned partitions with their state.
    pub fn states(&self) -> impl Iterator<Item = (&TopicPartition, &PartitionState)> {
        self.assignment.iter()
    }

    pub fn is_assigned(&self, tp: &TopicPartition) -> bool {
        self.assignment.contains_key(tp)
    }

    pub fn state(&self, tp: &TopicPartition) -> Option<&PartitionState> {
        self.assignment.get(tp)
    }

    pub fn state_mut(&mut self, tp: &TopicPartition) -> Option<&mut PartitionState> {
        self.assignment.get_mut(tp)
    }

    fn state_or_err(&mut self, tp: &TopicPartition) -> Result<&mut PartitionState> {
        self.assignment.get_mut(tp).ok_or_else(|| {
            KafkaError::invalid_argument(format!("partition {tp} is not assigned to this consumer"))
        })
    }

    /// Moves the position of `tp` to `offset`.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<()> {
        self.seek_with_epoch(tp, offset, None)
    }

    /// Moves the position of `tp` to `offset`, the next offset after a record of
    /// leader epoch `epoch`; with an epoch, the position is validated before fetching.
    pub fn seek_with_epoch(
        &mut self,
        tp: &TopicPartition,
        offset: i64,
        epoch: Option<i32>,
    ) -> Result<()> {
        if offset < 0 {
            return Err(KafkaError::invalid_argument(format!(
                "cannot seek {tp} to the negative offset {offset}"
            )));
        }
        let state = self.state_or_err(tp)?;
        state.position = Some(offset);
        state.position_epoch = epoch;
        state.fetch_state = if epoch.is_some() {
            FetchState::AwaitValidation
        } else {
            FetchState::Fetching
        };
        Ok(())
    }

    /// Notes the leader epochs the metadata names. A partition whose leader epoch went
    /// up while it was fetched from a known epoch is validated again: the new leader's
    /// log may end below the position (an unclean election). `generation` counts
    /// metadata updates: the walk over the assignment happens once per update (or
    /// assignment change), not on every poll turn.
    pub fn update_leader_epochs(&mut self, cluster: &Cluster, generation: u64) {
        if self.epochs_seen == Some(generation) {
            return;
        }
        self.epochs_seen = Some(generation);
        for (tp, state) in &mut self.assignment {
            let Some(epoch) = cluster.leader_epoch(&tp.topic, tp.partition) else {
                continue;
            };
            match state.leader_epoch {
                Some(known) if epoch <= known => {}
                known => {
                    state.leader_epoch = Some(epoch);
                    if known.is_some()
                        && state.fetch_state == FetchState::Fetching
                        && state.position.is_some()
                        && state.position_epoch.is_some()
                    {
                        state.fetch_state = FetchState::AwaitValidation;
                    }
                }
            }
        }
    }

    /// Ends the validation of `tp`'s position: it stands (`None`), or the log diverged
    /// and the position moves to `Some((offset, epoch))`, where it ends.
    pub fn complete_validation(&mut self, tp: &TopicPartition, diverged: Option<(i64, i32)>) {
        if let Some(state) = self.assignment.get_mut(tp) {
            if state.fetch_state != FetchState::AwaitValidation {
                return;
            }
            if let Some((offset, epoch)) = diverged {
                state.position = Some(offset);
                state.position_epoch = Some(epoch);
            }
            state.fetch_state = FetchState::Fetching;
        }
    }

    /// Moves the position of `tp` back to `offset` (with its leader epoch), where the
    /// first record that was fetched but not handed out to the user sits. Does nothing
    /// if the partition is no longer assigned or its position moved elsewhere (a seek,
    /// a reset) or not past `offset`.
    pub fn rewind(&mut self, tp: &TopicPartition, offset: i64, leader_epoch: Option<i32>) {
        if let Some(state) = self.assignment.get_mut(tp) {
            if state.fetch_state == FetchState::Fetching
                && state.position.is_some_and(|p| p > offset)
            {
                state.position = Some(offset);
                state.position_epoch = leader_epoch;
            }
        }
    }

    /// Asks for the position of `tp` to be looked up with `reset`.
    pub fn request_reset(&mut self, tp: &TopicPartition, reset: OffsetReset) -> Result<()> {
        let state = self.state_or_err(tp)?;
        state.fetch_state = FetchState::AwaitReset(reset);
        Ok(())
    }

    /// After an out-of-range fetch: reset by the default policy.
    pub fn reset_to_default(&mut self, tp: &TopicPartition) {
        let reset = self.default_reset;
        if let Some(state) = self.assignment.get_mut(tp) {
            state.fetch_state = FetchState::AwaitReset(reset);
        }
    }

    /// The default reset policy.
    pub fn default_reset(&self) -> OffsetReset {
        self.default_reset
    }

    /// Sets a looked-up position, unless the user moved the partition meanwhile.
    /// `epoch` is the leader epoch of the record before it, if known: a committed
    /// offset's epoch is validated before fetching, a reset's (the log's own answer)
    /// is not.
    pub fn complete_lookup(
        &mut self,
        tp: &TopicPartition,
        expected: FetchState,
        offset: i64,
        epoch: Option<i32>,
    ) {
        if let Some(state) = self.assignment.get_mut(tp) {
            if state.fetch_state == expected {
                state.position = Some(offset);
                state.position_epoch = epoch;
                state.fetch_state = if expected == FetchState::AwaitCommitted && epoch.is_some() {
                    FetchState::AwaitValidation
                } else {
                    FetchState::Fetching
                };
            }
        }
    }

    /// The position of `tp`, once known (also while it is being validated).
    pub fn position(&self, tp: &TopicPartition) -> Option<i64> {
        self.assignment.get(tp).and_then(|s| {
            matches!(
                s.fetch_state,
                FetchState::Fetching | FetchState::AwaitValidation
            )
            .then_some(s.position)
            .flatten()
        })
    }

    /// Partitions that wait for a lookup of the given kind.
    pub fn awaiting(&self, f: impl Fn(FetchState) -> bool) -> Vec<(TopicPartition, FetchState)> {
        self.assignment
            .iter()
            .filter(|(_, s)| f(s.fetch_state))
            .map(|(tp, s)| (tp.clone(), s.fetch_state))
            .collect()
    }

    pub fn pause(&mut self, tp: &TopicPartition) -> Result<()> {
        self.state_or_err(tp)?.paused = true;
        Ok(())
    }

    pub fn resume(&mut self, tp: &TopicPartition) -> Result<()> {
        self.state_or_err(tp)?.paused = false;
        Ok(())
    }

    pub fn paused(&self) -> Vec<TopicPartition> {
        self.assignment
            .iter()
            .filter(|(_, s)| s.paused)
            .map(|(tp, _)| tp.clone())
            .collect()
    }

    /// The positions of every owned partition whose position is known: what a commit
    /// of "everything consumed so far" sends.
    pub fn all_consumed(&self) -> BTreeMap<TopicPartition, i64> {
        self.assignment
            .iter()
            .filter(|(_, s)| s.fetch_state == FetchState::Fetching)
            .filter_map(|(tp, s)| Some((tp.clone(), s.position?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_lookups_unless_the_user_seeks() {
        let mut s = SubscriptionState::new(OffsetReset::Earliest, true);
        let tp = TopicPartition::new("t", 0);
        s.assign(std::slice::from_ref(&tp)).unwrap();
        assert_eq!(s.position(&tp), None);
        assert_eq!(
            s.state(&tp).unwrap().fetch_state,
            FetchState::AwaitCommitted
        );
        s.complete_lookup(&tp, FetchState::AwaitCommitted, 7, None);
        assert_eq!(s.position(&tp), Some(7));
        s.request_reset(&tp, OffsetReset::Latest).unwrap();
        s.seek(&tp, 3).unwrap();
        // A reset answer arriving after the seek must not override it.
        s.complete_lookup(&tp, FetchState::AwaitReset(OffsetReset::Latest), 100, None);
        assert_eq!(s.position(&tp), Some(3));
        assert!(s.seek(&TopicPartition::new("t", 9), 1).is_err());
    }

    fn cluster_with_epoch(epoch: i32) -> Cluster {
        let mut cluster = Cluster::default();
        cluster.topics.insert(
            "t".into(),
            crate::client::TopicMetadata {
                name: "t".into(),
                topic_id: crate::protocol::Uuid::ZERO,
                is_internal: false,
                error: crate::error::ErrorCode::NONE,
                partitions: vec![crate::client::PartitionMetadata {
                    partition: 0,
                    leader: Some(1),
                    leader_epoch: epoch,
                    replicas: vec![1],
                    isr: vec![1],
                    offline_replicas: vec![],
                    error: crate::error::ErrorCode::NONE,
                }],
            },
        );
        cluster
    }

    fn fetching_at(offset: i64, epoch: Option<i32>) -> (SubscriptionState, TopicPartition) {
        let mut s = SubscriptionState::new(OffsetReset::Earliest, false);
        let tp = TopicPartition::new("t", 0);
        s.assign(std::slice::from_ref(&tp)).unwrap();
        s.seek(&tp, offset).unwrap();
        s.state_mut(&tp).unwrap().position_epoch = epoch;
        (s, tp)
    }

    #[test]
    fn a_new_leader_epoch_sends_a_position_with_an_epoch_to_validation() {
        let (mut s, tp) = fetching_at(50, Some(2));
        // The first epoch seen is only noted.
        s.update_leader_epochs(&cluster_with_epoch(2), 1);
        assert_eq!(s.state(&tp).unwrap().leader_epoch, Some(2));
        assert_eq!(s.state(&tp).unwrap().fetch_state, FetchState::Fetching);
        // Older metadata changes nothing.
        s.update_leader_epochs(&cluster_with_epoch(1), 2);
        assert_eq!(s.state(&tp).unwrap().leader_epoch, Some(2));
        assert_eq!(s.state(&tp).unwrap().fetch_state, FetchState::Fetching);
        s.update_leader_epochs(&cluster_with_epoch(3), 3);
        assert_eq!(s.state(&tp).unwrap().leader_epoch, Some(3));
        assert_eq!(
            s.state(&tp).unwrap().fetch_state,
            FetchState::AwaitValidation
        );
        assert!(
            !s.state(&tp).unwrap().is_fetchable(),
            "not before validation"
        );
        assert_eq!(s.position(&tp), Some(50), "the position is still known");
        s.complete_validation(&tp, Some((40, 2)));
        assert_eq!(s.position(&tp), Some(40));
        assert_eq!(s.state(&tp).unwrap().position_epoch, Some(2));
        assert!(s.state(&tp).unwrap().is_fetchable());
    }

    #[test]
    fn a_position_without_an_epoch_is_not_validated() {
        let (mut s, tp) = fetching_at(50, None);
        s.update_leader_epochs(&cluster_with_epoch(2), 4);
        s.update_leader_epochs(&cluster_with_epoch(3), 5);
        assert_eq!(s.state(&tp).unwrap().fetch_state, FetchState::Fetching);
    }

    #[test]
    fn committed_offsets_and_seeks_with_an_epoch_are_validated() {
        let mut s = SubscriptionState::new(OffsetReset::Earliest, true);
        let tp = TopicPartition::new("t", 0);
        s.assign(std::slice::from_ref(&tp)).unwrap();
        s.complete_lookup(&tp, FetchState::AwaitCommitted, 7, Some(4));
        assert_eq!(
            s.state(&tp).unwrap().fetch_state,
            FetchState::AwaitValidation
        );
        s.complete_validation(&tp, None);
        assert_eq!(s.position(&tp), Some(7));
        assert!(s.state(&tp).unwrap().is_fetchable());
        s.seek_with_epoch(&tp, 3, Some(1)).unwrap();
        assert_eq!(
            s.state(&tp).unwrap().fetch_state,
            FetchState::AwaitValidation
        );
        // A reset's answer is the log's own: no validation.
        s.request_reset(&tp, OffsetReset::Latest).unwrap();
        s.complete_lookup(&tp, FetchState::AwaitReset(OffsetReset::Latest), 9, Some(4));
        assert_eq!(s.state(&tp).unwrap().fetch_state, FetchState::Fetching);
        assert_eq!(s.state(&tp).unwrap().position_epoch, Some(4));
    }

    #[test]
    fn subscribe_and_assign_do_not_mix() {
        let mut s = SubscriptionState::new(OffsetReset::Latest, true);
        s.subscribe(["a".to_owned()].into()).unwrap();
        assert!(s.assign(&[TopicPartition::new("a", 0)]).is_err());
        s.unsubscribe();
        s.assign(&[TopicPartition::new("a", 0)]).unwrap();
        assert!(s.subscribe(["a".to_owned()].into()).is_err());
    }

    #[test]
    fn reassignment_keeps_known_positions() {
        let mut s = SubscriptionState::new(OffsetReset::Latest, false);
        let a = TopicPartition::new("t", 0);
        let b = TopicPartition::new("t", 1);
        s.set_assignment([a.clone()]);
        s.seek(&a, 5).unwrap();
        s.set_assignment([a.clone(), b.clone()]);
        assert_eq!(s.position(&a), Some(5));
        assert_eq!(
            s.state(&b).unwrap().fetch_state,
            FetchState::AwaitReset(OffsetReset::Latest)
        );
        assert_eq!(s.all_consumed().len(), 1);
    }
}
