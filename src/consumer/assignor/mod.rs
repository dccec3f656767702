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
use std::fmt;
use std::str::FromStr;

use crate::client::TopicPartition;
use crate::error::{KafkaError, Result};

pub mod cooperative;
pub mod range;
pub mod roundrobin;
pub mod sticky;

/// A partition assignment strategy (`partition.assignment.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignmentStrategy {
    /// `range` (Java's `RangeAssignor`).
    Range,
    /// `roundrobin` (Java's `RoundRobinAssignor`).
    RoundRobin,
    /// `sticky` (Java's `StickyAssignor`), with eager rebalancing.
    Sticky,
    /// `cooperative-sticky` (Java's `CooperativeStickyAssignor`), with incremental
    /// rebalancing: members keep consuming the partitions that do not move.
    CooperativeSticky,
}

impl AssignmentStrategy {
    /// The protocol name members announce in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            AssignmentStrategy::Range => "range",
            AssignmentStrategy::RoundRobin => "roundrobin",
            AssignmentStrategy::Sticky => "sticky",
            AssignmentStrategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// The strategy announced as `name`.
    pub fn from_name(name: &str) -> Option<AssignmentStrategy> {
        [
            AssignmentStrategy::Range,
            AssignmentStrategy::RoundRobin,
            AssignmentStrategy::Sticky,
            AssignmentStrategy::CooperativeSticky,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Whether the strategy supports incremental (cooperative) rebalancing.
    pub fn is_cooperative(self) -> bool {
        self == AssignmentStrategy::CooperativeSticky
    }

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

impl fmt::Display for AssignmentStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AssignmentStrategy {
    type Err = KafkaError;
    /// Accepts the protocol names and the Java class names
    /// (`org.apache.kafka.clients.consumer.RangeAssignor`, ...).
    fn from_str(s: &str) -> Result<AssignmentStrategy> {
        let s = s.trim();
        let short = s.rsplit('.').next().unwrap_or(s);
        let strategy = match short.to_ascii_lowercase().as_str() {
            "range" | "rangeassignor" => Some(AssignmentStrategy::Range),
            "roundrobin" | "roundrobinassignor" => Some(AssignmentStrategy::RoundRobin),
            "sticky" | "stickyassignor" => Some(AssignmentStrategy::Sticky),
            "cooperative-sticky" | "cooperativestickyassignor" => {
                Some(AssignmentStrategy::CooperativeSticky)
            }
            _ => None,
        };
        strategy.ok_or_else(|| {
            KafkaError::config(
                "partition.assignment.strategy",
                format!("`{s}` is not range, roundrobin, sticky or cooperative-sticky"),
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_java_class_names() {
        for s in [
            AssignmentStrategy::Range,
            AssignmentStrategy::RoundRobin,
            AssignmentStrategy::Sticky,
            AssignmentStrategy::CooperativeSticky,
        ] {
            assert_eq!(s.name().parse::<AssignmentStrategy>().unwrap(), s);
            assert_eq!(AssignmentStrategy::from_name(s.name()), Some(s));
        }
        assert_eq!(
            "org.apache.kafka.clients.consumer.RoundRobinAssignor"
                .parse::<AssignmentStrategy>()
                .unwrap(),
            AssignmentStrategy::RoundRobin
        );
        assert!("fair".parse::<AssignmentStrategy>().is_err());
    }
}
