//! Partition assignors: how the group leader splits the partitions of the subscribed
//! topics among the members. Each assignor has the name the Java client and librdkafka
//! use for it, so members of different clients agree on the protocol.
//!
//! - [`range`]: per topic, consecutive ranges of partitions to members sorted by id.
//! - [`roundrobin`]: all partitions, one at a time, to members in turn.
//! - [`sticky`]: balanced, and keeps each member's partitions across rebalances.
//! - [`cooperative`]: the sticky assignment for incremental (cooperative) rebalancing,
//!   where a partition that moves is first revoked, then assigned in a second round.

use std::collections::BTreeMap;

use crate::client::TopicPartition;

pub mod cooperative;
pub mod range;
pub mod roundrobin;
pub mod sticky;

pub use crate::config::AssignmentStrategy;

// The enum is defined in `config`, below this layer, so that the consumer's settings
// can hold it; the assignment each variant names is computed here.
impl AssignmentStrategy {
    /// Computes the assignment of `partition_counts` (topic -> number of partitions)
    /// among `members`. Every member gets an entry, possibly empty.
    pub(crate) fn assign(
        self,
        partition_counts: &BTreeMap<String, i32>,
        members: &[Member],
    ) -> BTreeMap<String, Vec<TopicPartition>> {
        match self {
            AssignmentStrategy::Range => range::assign(partition_counts, members),
            AssignmentStrategy::RoundRobin => roundrobin::assign(partition_counts, members),
            AssignmentStrategy::Sticky => sticky::assign(partition_counts, members),
            AssignmentStrategy::CooperativeSticky => cooperative::assign(partition_counts, members),
        }
    }
}

/// One member as the leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its static instance id, if any.
    pub group_instance_id: Option<String>,
    /// The topics it subscribed to.
    pub topics: Vec<String>,
    /// The partitions it owns now (subscription v1+).
    pub owned: Vec<TopicPartition>,
    /// The generation of `owned`, -1 if unknown.
    pub generation: i32,
}

impl Member {
    /// The key members are ordered by: the instance id if static, else the member id
    /// (as the Java client orders them, so all clients compute the same ranges).
    pub fn sort_key(&self) -> (&str, &str) {
        match &self.group_instance_id {
            Some(instance) => (instance.as_str(), self.member_id.as_str()),
            None => (self.member_id.as_str(), ""),
        }
    }

    /// Whether it subscribed to `topic`.
    pub fn wants(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| t == topic)
    }
}

/// The members sorted by [`Member::sort_key`].
pub(crate) fn sorted(members: &[Member]) -> Vec<&Member> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    sorted
}

/// An empty assignment for every member.
pub(crate) fn empty_assignment(members: &[Member]) -> BTreeMap<String, Vec<TopicPartition>> {
    members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect()
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A dynamic member subscribed to `topics`.
    pub fn member(id: &str, topics: &[&str]) -> Member {
        Member {
            member_id: id.to_owned(),
            group_instance_id: None,
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            owned: Vec::new(),
            generation: -1,
        }
    }

    /// `topic -> count`.
    pub fn counts(topics: &[(&str, i32)]) -> BTreeMap<String, i32> {
        topics.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    /// The partitions as `topic-partition` strings, for compact assertions.
    pub fn names(partitions: &[TopicPartition]) -> Vec<String> {
        partitions.iter().map(ToString::to_string).collect()
    }
}
