//! Consumer groups: list (every broker, with state and type filters), describe
//! (classic groups with DescribeGroups, KIP-848 consumer groups with
//! ConsumerGroupDescribe; assignments decoded), delete, and delete offsets. Group
//! calls go to each group's coordinator; listing asks every broker, as each knows only
//! the groups it coordinates.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use super::routing::{group_coordinator, remaining, send_to_coordinator};
use super::{item_result, KafkaAdminClient};
use crate::client::group_protocol::{Assignment, Subscription};
use crate::client::{KafkaClient, TopicPartition};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseAssignment,
    ConsumerGroupDescribeResponseGroup, DeleteGroupsRequest, DescribeGroupsRequest,
    DescribeGroupsResponseGroup, ListGroupsRequest, OffsetDeleteRequest,
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use crate::protocol::ApiKey;

/// The state of a group (Java's `GroupState`), as the coordinator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupState {
    /// A classic group waiting for its members to join.
    PreparingRebalance,
    /// A classic group waiting for the leader's assignment.
    CompletingRebalance,
    /// Every member has its assignment.
    Stable,
    /// The group is gone (or never was).
    Dead,
    /// No members, but maybe committed offsets.
    Empty,
    /// A consumer group computing its target assignment.
    Assigning,
    /// A consumer group moving its members to the target assignment.
    Reconciling,
    /// A state this client does not know.
    Unknown,
}

impl GroupState {
    /// The coordinator's name of the state (`"Stable"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
            GroupState::Empty => "Empty",
            GroupState::Assigning => "Assigning",
            GroupState::Reconciling => "Reconciling",
            GroupState::Unknown => "Unknown",
        }
    }

    fn parse(name: &str) -> Self {
        [
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Stable,
            GroupState::Dead,
            GroupState::Empty,
            GroupState::Assigning,
            GroupState::Reconciling,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
        .unwrap_or(GroupState::Unknown)
    }
}

/// The protocol a group runs (Java's `GroupType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupType {
    /// The classic protocol (JoinGroup/SyncGroup, client-side assignment).
    Classic,
    /// The consumer protocol of KIP-848 (broker-side assignment).
    Consumer,
    /// A share group (KIP-932).
    Share,
    /// A Kafka Streams group (KIP-1071).
    Streams,
    /// A type this client does not know, or none given.
    Unknown,
}

impl GroupType {
    /// The coordinator's name of the type (`"classic"`, `"consumer"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            GroupType::Classic => "classic",
            GroupType::Consumer => "consumer",
            GroupType::Share => "share",
            GroupType::Streams => "streams",
            GroupType::Unknown => "unknown",
        }
    }

    fn parse(name: &str) -> Self {
        [
            GroupType::Classic,
            GroupType::Consumer,
            GroupType::Share,
            GroupType::Streams,
        ]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(name))
        .unwrap_or(GroupType::Unknown)
    }
}

/// A group as [`list_consumer_groups`](KafkaAdminClient::list_consumer_groups) lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// The protocol type: `consumer` for consumer groups, empty for a group that only
    /// ever committed offsets.
    pub protocol_type: String,
    /// Its state.
    pub state: GroupState,
    /// Its type (classic or consumer).
    pub group_type: GroupType,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    /// The member id.
    pub member_id: String,
    /// The static member's `group.instance.id`.
    pub group_instance_id: Option<String>,
    /// The member's `client.id`.
    pub client_id: String,
    /// The member's host, as the coordinator saw it.
    pub host: String,
    /// The partitions the member owns now.
    pub assignment: Vec<TopicPartition>,
    /// The topics it subscribed to.
    pub subscribed_topics: Vec<String>,
    /// The partitions the coordinator wants it to own (consumer groups only).
    pub target_assignment: Option<Vec<TopicPartition>>,
    /// Its member epoch (consumer groups only).
    pub member_epoch: Option<i32>,
    /// The protocol the member speaks: [`GroupType::Classic`] or
    /// [`GroupType::Consumer`]. A consumer group being upgraded from a classic one has
    /// members of both (KIP-1099). `None` where the broker does not say (a consumer
    /// group described by a broker without ConsumerGroupDescribe version 1).
    pub member_type: Option<GroupType>,
}

/// A described consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupDescription {
    /// The group id.
    pub group_id: String,
    /// Whether it is a "simple" group: one that only commits offsets, with no members
    /// or protocol.
    pub is_simple: bool,
    /// Its members and what they own.
    pub members: Vec<MemberDescription>,
    /// The assignor: the classic protocol's chosen one, or the broker-side assignor of
    /// a consumer group.
    pub partition_assignor: String,
    /// Its type.
    pub group_type: GroupType,
    /// Its state.
    pub state: GroupState,
    /// The node id of its coordinator.
    pub coordinator: i32,
    /// The group epoch (consumer groups only).
    pub group_epoch: Option<i32>,
    /// The epoch of the target assignment (consumer groups only).
    pub target_assignment_epoch: Option<i32>,
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The partitions of a consumer-group member's assignment.
fn partitions_of(assignment: &ConsumerGroupDescribeResponseAssignment) -> Vec<TopicPartition> {
    assignment
        .topic_partitions
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|&p| TopicPartition::new(t.topic_name.clone(), p))
        })
        .collect()
}

/// A KIP-848 consumer group from ConsumerGroupDescribe.
fn consumer_group(
    group: &ConsumerGroupDescribeResponseGroup,
    coordinator: i32,
) -> ConsumerGroupDescription {
    ConsumerGroupDescription {
        group_id: group.group_id.clone(),
        is_simple: false,
        members: group
            .members
            .iter()
            .map(|m| MemberDescription {
                member_id: m.member_id.clone(),
                group_instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                host: m.client_host.clone(),
                assignment: partitions_of(&m.assignment),
                subscribed_topics: m.subscribed_topic_names.clone(),
                target_assignment: Some(partitions_of(&m.target_assignment)),
                member_epoch: Some(m.member_epoch),
                member_type: match m.member_type {
                    0 => Some(GroupType::Classic),
                    1 => Some(GroupType::Consumer),
                    _ => None,
                },
            })
            .collect(),
        partition_assignor: group.assignor_name.clone(),
        group_type: GroupType::Consumer,
        state: GroupState::parse(&group.group_state),
        coordinator,
        group_epoch: Some(group.group_epoch),
        target_assignment_epoch: Some(group.assignment_epoch),
    }
}

/// A classic group from DescribeGroups, its members' subscriptions and assignments
/// decoded (for groups of protocol type `consumer`).
fn classic_group(
    group: &DescribeGroupsResponseGroup,
    coordinator: i32,
) -> Result<ConsumerGroupDescription> {
    let consumer = group.protocol_type == "consumer";
    let members = group
        .members
        .iter()
        .map(|m| {
            let (assignment, subscribed_topics) = if consumer {
                let assignment = if m.member_assignment.is_empty() {
                    Vec::new()
                } else {
                    Assignment::decode(m.member_assignment.clone())
                        .map_err(|e| {
                            e.context(format!("the assignment of member {}", m.member_id))
                        })?
                        .partitions
                };
                let topics = if m.member_metadata.is_empty() {
                    Vec::new()
                } else {
                    Subscription::decode(m.member_metadata.clone())
                        .map_err(|e| {
                            e.context(format!("the subscription of member {}", m.member_id))
                        })?
                        .topics
                };
                (assignment, topics)
            } else {
                (Vec::new(), Vec::new())
            };
            Ok(MemberDescription {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                host: m.client_host.clone(),
                assignment,
                subscribed_topics,
                target_assignment: None,
                member_epoch: None,
                member_type: Some(GroupType::Classic),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ConsumerGroupDescription {
        group_id: group.group_id.clone(),
        is_simple: group.protocol_type.is_empty(),
        members,
        partition_assignor: group.protocol_data.clone(),
        group_type: GroupType::Classic,
        state: GroupState::parse(&group.group_state),
        coordinator,
        group_epoch: None,
        target_assignment_epoch: None,
    })
}

fn not_found(group: &str) -> KafkaError {
    KafkaError::broker(
        ErrorCode::GROUP_ID_NOT_FOUND,
        format!("group {group} does not exist"),
    )
}

/// Whether node `node` speaks ConsumerGroupDescribe.
fn speaks_consumer_group_describe(
    client: &mut KafkaClient,
    node: i32,
    deadline: Instant,
) -> Result<bool> {
    let versions = client.api_versions(node, remaining(deadline)?)?;
    Ok(versions.range(ApiKey::CONSUMER_GROUP_DESCRIBE).is_some())
}

/// Describes one group at its coordinator.
pub(super) fn describe_group(
    client: &mut KafkaClient,
    group: &str,
    deadline: Instant,
) -> Result<ConsumerGroupDescription> {
    let coordinator = group_coordinator(client, group, deadline)?;
    if speaks_consumer_group_describe(client, coordinator, deadline)? {
        let request = ConsumerGroupDescribeRequest {
            group_ids: vec![group.to_owned()],
            include_authorized_operations: false,
        };
        let response = send_to_coordinator(client, group, &request, deadline, |r| {
            r.groups.first().map_or(0, |g| g.error_code)
        })?;
        let answer = response
            .groups
            .iter()
            .find(|g| g.group_id == group)
            .ok_or_else(|| unexpected(group))?;
        match ErrorCode(answer.error_code) {
            ErrorCode::NONE => return Ok(consumer_group(answer, coordinator)),
            // A classic group (or none at all): DescribeGroups tells.
            ErrorCode::GROUP_ID_NOT_FOUND => {}
            _ => {
                item_result(
                    answer.error_code,
                    answer.error_message.as_deref(),
                    &format!("describing group {group}"),
                )?;
            }
        }
    }
    let request = DescribeGroupsRequest {
        groups: vec![group.to_owned()],
        include_authorized_operations: false,
    };
    let response = send_to_coordinator(client, group, &request, deadline, |r| {
        r.groups.first().map_or(0, |g| g.error_code)
    })?;
    let answer = response
        .groups
        .iter()
        .find(|g| g.group_id == group)
        .ok_or_else(|| unexpected(group))?;
    item_result(
        answer.error_code,
        None,
        &format!("describing group {group}"),
    )?;
    if GroupState::parse(&answer.group_state) == GroupState::Dead {
        return Err(not_found(group));
    }
    classic_group(answer, coordinator)
}

fn unexpected(group: &str) -> KafkaError {
    KafkaError::new(
        ErrorKind::UnexpectedResponse,
        format!("the coordinator's answer did not mention group {group}"),
    )
}

impl KafkaAdminClient {
    /// The consumer groups of the cluster (groups of protocol type `consumer`, and
    /// groups that only commit offsets), from every broker, sorted by id. Empty
    /// `states` and `types` list every group; otherwise only those in one of the states
    /// and of one of the types (classic or consumer). Fails if a broker cannot answer,
    /// since its groups would be missing.
    pub fn list_consumer_groups(
        &self,
        states: &[GroupState],
        types: &[GroupType],
        timeout: Duration,
    ) -> Result<Vec<GroupListing>> {
        let deadline = crate::time::deadline_in(timeout);
        let request = ListGroupsRequest {
            states_filter: states.iter().map(|s| s.name().to_owned()).collect(),
            types_filter: types.iter().map(|t| t.name().to_owned()).collect(),
        };
        self.with_client(|client| {
            client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
            let brokers: Vec<i32> = client.cluster().brokers.keys().copied().collect();
            let mut groups: BTreeSet<GroupListing> = BTreeSet::new();
            for node in brokers {
                let response = client
                    .send_and_wait(node, &request, remaining(deadline)?)
                    .map_err(|e| e.context(format!("listing the groups of node {node}")))?;
                item_result(
                    response.error_code,
                    None,
                    &format!("listing the groups of node {node}"),
                )?;
                for g in response.groups {
                    if g.protocol_type != "consumer" && !g.protocol_type.is_empty() {
                        continue;
                    }
                    let state = GroupState::parse(&g.group_state);
                    let group_type = GroupType::parse(&g.group_type);
                    // Brokers without the filters (older versions) list everything.
                    if !states.is_empty() && !states.contains(&state) {
                        continue;
                    }
                    if !types.is_empty() && !types.contains(&group_type) {
                        continue;
                    }
                    groups.insert(GroupListing {
                        group_id: g.group_id,
                        protocol_type: g.protocol_type,
                        state,
                        group_type,
                    });
                }
            }
            Ok(groups.into_iter().collect())
        })
    }

    /// Describes consumer groups: state, type, coordinator, assignor and members with
    /// their assignments (decoded). One result per group; a group that does not exist
    /// fails with GROUP_ID_NOT_FOUND.
    pub fn describe_consumer_groups(
        &self,
        groups: &[&str],
        timeout: Duration,
    ) -> Result<BTreeMap<String, Result<ConsumerGroupDescription>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for group in groups {
                let described = describe_group(client, group, deadline);
                if let Err(e) = &described {
                    if e.kind() == ErrorKind::Timeout {
                        return Err(e.clone());
                    }
                }
                results.insert((*group).to_owned(), described);
            }
            Ok(results)
        })
    }

    /// Deletes consumer groups (with their committed offsets); a group with active
    /// members fails with NON_EMPTY_GROUP, one that does not exist with
    /// GROUP_ID_NOT_FOUND. One result per group.
    pub fn delete_consumer_groups(
        &self,
        groups: &[&str],
        timeout: Duration,
    ) -> Result<BTreeMap<String, Result<()>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for group in groups {
                let request = DeleteGroupsRequest {
                    groups_names: vec![(*group).to_owned()],
                };
                let response = send_to_coordinator(client, group, &request, deadline, |r| {
                    r.results.first().map_or(0, |g| g.error_code)
                })?;
                let result = match response.results.iter().find(|r| r.group_id == *group) {
                    Some(r) => item_result(r.error_code, None, &format!("deleting group {group}")),
                    None => Err(unexpected(group)),
                };
                results.insert((*group).to_owned(), result);
            }
            Ok(results)
        })
    }

    /// Deletes group `group`'s committed offsets of `partitions`; a partition of a
    /// topic the group still subscribes to fails with GROUP_SUBSCRIBED_TO_TOPIC.
    pub fn delete_consumer_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        let mut topics: Vec<OffsetDeleteRequestTopic> = Vec::new();
        for tp in partitions {
            let partition = OffsetDeleteRequestPartition {
                partition_index: tp.partition,
            };
            match topics.iter_mut().find(|t| t.name == tp.topic) {
                Some(t) => t.partitions.push(partition),
                None => topics.push(OffsetDeleteRequestTopic {
                    name: tp.topic.clone(),
                    partitions: vec![partition],
                }),
            }
        }
        let request = OffsetDeleteRequest {
            group_id: group.to_owned(),
            topics,
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let response =
                send_to_coordinator(client, group, &request, deadline, |r| r.error_code)?;
            item_result(
                response.error_code,
                None,
                &format!("deleting offsets of group {group}"),
            )?;
            let mut results = BTreeMap::new();
            for t in &response.topics {
                for p in &t.partitions {
                    let tp = TopicPartition::new(t.name.clone(), p.partition_index);
                    let context = format!("deleting the offset of {tp} in group {group}");
                    results.insert(tp, item_result(p.error_code, None, &context));
                }
            }
            for tp in partitions {
                results.entry(tp.clone()).or_insert_with(|| {
                    Err(KafkaError::new(
                        ErrorKind::UnexpectedResponse,
                        format!("the coordinator's answer did not mention {tp}"),
                    ))
                });
            }
            Ok(results)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_types_read_the_coordinators_names() {
        for state in [
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Stable,
            GroupState::Dead,
            GroupState::Empty,
            GroupState::Assigning,
            GroupState::Reconciling,
        ] {
            assert_eq!(GroupState::parse(state.name()), state);
        }
        assert_eq!(GroupState::parse("NotReady"), GroupState::Unknown);
        assert_eq!(GroupType::parse("consumer"), GroupType::Consumer);
        assert_eq!(GroupType::parse("Classic"), GroupType::Classic);
        assert_eq!(GroupType::parse(""), GroupType::Unknown);
    }

    #[test]
    fn a_classic_members_assignment_is_decoded() {
        let assignment = Assignment {
            partitions: vec![TopicPartition::new("t", 0), TopicPartition::new("t", 2)],
            user_data: None,
        };
        let subscription = Subscription {
            topics: vec!["t".into()],
            ..Subscription::default()
        };
        let group = DescribeGroupsResponseGroup {
            error_code: 0,
            group_id: "g".into(),
            group_state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol_data: "range".into(),
            members: vec![crate::protocol::messages::DescribeGroupsResponseMember {
                member_id: "m-1".into(),
                group_instance_id: None,
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                member_metadata: subscription.encode(),
                member_assignment: assignment.encode(),
            }],
            authorized_operations: i32::MIN,
        };
        let described = classic_group(&group, 1).unwrap();
        assert_eq!(described.state, GroupState::Stable);
        assert_eq!(described.partition_assignor, "range");
        assert_eq!(described.members[0].assignment, assignment.partitions);
        assert_eq!(described.members[0].subscribed_topics, vec!["t".to_owned()]);
        let mut broken = group.clone();
        broken.members[0].member_assignment = bytes::Bytes::from_static(&[0, 3, 0]);
        assert!(
            classic_group(&broken, 1).is_err(),
            "a malformed assignment is an error"
        );
    }
}
