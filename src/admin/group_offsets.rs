//! Consumer group offsets: list, alter and delete a group's committed offsets, remove
//! members, and the lag of a group (committed offsets against end offsets). All go to
//! the group's coordinator, except the end offsets, which come from the leaders.

use std::collections::BTreeMap;
use std::time::Duration;

use super::routing::{back_off, send_to_coordinator};
use super::{item_result, KafkaAdminClient};
use crate::client::offsets::OffsetAndMetadata;
use crate::client::offsets::{
    lookup_offsets, offset_commit_topics, UnknownTopics, LATEST_TIMESTAMP,
};
use crate::client::{KafkaClient, TopicPartition};
use crate::config::IsolationLevel;
use crate::error::{ErrorCode, KafkaError, Result};
use crate::protocol::messages::{
    LeaveGroupRequest, LeaveGroupRequestMember, OffsetCommitRequest, OffsetFetchRequest,
};
use crate::protocol::offset_fetch::PartitionsByTopic;

/// A member to remove from a group with
/// [`remove_members_from_consumer_group`](KafkaAdminClient::remove_members_from_consumer_group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberToRemove {
    /// The static member's `group.instance.id`, or `None` for a dynamic member.
    pub group_instance_id: Option<String>,
    /// The dynamic member's id (empty for a static member).
    pub member_id: String,
}

impl MemberToRemove {
    /// The static member with `group.instance.id` `id` (Java's `MemberToRemove`).
    pub fn instance(id: impl Into<String>) -> Self {
        MemberToRemove {
            group_instance_id: Some(id.into()),
            member_id: String::new(),
        }
    }

    /// The dynamic member with member id `id`.
    pub fn member(id: impl Into<String>) -> Self {
        MemberToRemove {
            group_instance_id: None,
            member_id: id.into(),
        }
    }
}

/// One partition's lag in a consumer group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLag {
    /// The group's committed offset, if it has one.
    pub committed: Option<i64>,
    /// The partition's end offset (the high watermark).
    pub end_offset: i64,
    /// `end_offset - committed`, if the group committed an offset.
    pub lag: Option<i64>,
}

fn by_topic(partitions: &[TopicPartition]) -> PartitionsByTopic {
    let mut by_topic = PartitionsByTopic::new();
    for tp in partitions {
        by_topic
            .entry(tp.topic.clone())
            .or_default()
            .push(tp.partition);
    }
    by_topic
}

impl KafkaAdminClient {
    /// The offsets group `group` committed: of `partitions`, or of every partition it
    /// has offsets for with `None`. A partition without one maps to `Ok(None)`. A group
    /// that does not exist has no offsets (an empty map), as in the Java client.
    pub fn list_consumer_group_offsets(
        &self,
        group: &str,
        partitions: Option<&[TopicPartition]>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<Option<OffsetAndMetadata>>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| committed_offsets(client, group, partitions, deadline))
    }

    /// Sets group `group`'s committed offsets to `offsets`. The group must have no
    /// active members (its coordinator answers UNKNOWN_MEMBER_ID otherwise, as for the
    /// Java client); one result per partition.
    pub fn alter_consumer_group_offsets(
        &self,
        group: &str,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        let topics = offset_commit_topics(offsets);
        let request = OffsetCommitRequest {
            group_id: group.to_owned(),
            generation_id_or_member_epoch: -1,
            member_id: String::new(),
            group_instance_id: None,
            retention_time_ms: -1,
            topics,
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let response = send_to_coordinator(client, group, &request, deadline, |r| {
                r.topics
                    .iter()
                    .flat_map(|t| &t.partitions)
                    .map(|p| p.error_code)
                    .find(|&c| c != 0)
                    .unwrap_or(0)
            })?;
            let mut results: BTreeMap<TopicPartition, Result<()>> = BTreeMap::new();
            for t in &response.topics {
                for p in &t.partitions {
                    let tp = TopicPartition::new(t.name.clone(), p.partition_index);
                    let context = format!("committing the offset of {tp} for group {group}");
                    results.insert(tp, item_result(p.error_code, None, &context));
                }
            }
            for tp in offsets.keys() {
                results.entry(tp.clone()).or_insert_with(|| {
                    Err(KafkaError::new(
                        crate::ErrorKind::UnexpectedResponse,
                        format!("the coordinator's answer did not mention {tp}"),
                    ))
                });
            }
            Ok(results)
        })
    }

    /// Removes `members` from group `group` (LeaveGroup on their behalf), so that the
    /// group rebalances without them; one result per member, in the order given. With
    /// no members given, every member the group has now is removed (Java's
    /// `removeMembersFromConsumerGroup` without members).
    pub fn remove_members_from_consumer_group(
        &self,
        group: &str,
        members: &[MemberToRemove],
        timeout: Duration,
    ) -> Result<Vec<(MemberToRemove, Result<()>)>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let members: Vec<MemberToRemove> = if members.is_empty() {
                super::groups::describe_group(client, group, deadline)?
                    .members
                    .into_iter()
                    .map(|m| match m.group_instance_id {
                        Some(id) => MemberToRemove::instance(id),
                        None => MemberToRemove::member(m.member_id),
                    })
                    .collect()
            } else {
                members.to_vec()
            };
            if members.is_empty() {
                return Ok(Vec::new());
            }
            let request = LeaveGroupRequest {
                group_id: group.to_owned(),
                member_id: String::new(),
                members: members
                    .iter()
                    .map(|m| LeaveGroupRequestMember {
                        member_id: m.member_id.clone(),
                        group_instance_id: m.group_instance_id.clone(),
                        reason: Some("removed by an admin client".to_owned()),
                    })
                    .collect(),
            };
            let response =
                send_to_coordinator(client, group, &request, deadline, |r| r.error_code)?;
            item_result(
                response.error_code,
                None,
                &format!("removing members from group {group}"),
            )?;
            Ok(members
                .into_iter()
                .map(|m| {
                    let answer = response.members.iter().find(|a| {
                        a.member_id == m.member_id && a.group_instance_id == m.group_instance_id
                    });
                    let result = match answer {
                        Some(a) => item_result(
                            a.error_code,
                            None,
                            &format!("removing {m:?} from group {group}"),
                        ),
                        None => Err(KafkaError::new(
                            crate::ErrorKind::UnexpectedResponse,
                            format!("the coordinator's answer did not mention {m:?}"),
                        )),
                    };
                    (m, result)
                })
                .collect())
        })
    }

    /// The lag of group `group` on every partition it committed an offset for: the
    /// committed offset against the partition's end offset (the high watermark).
    pub fn consumer_group_lag(
        &self,
        group: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<PartitionLag>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let committed = committed_offsets(client, group, None, deadline)?;
            let query: BTreeMap<TopicPartition, i64> = committed
                .keys()
                .map(|tp| (tp.clone(), LATEST_TIMESTAMP))
                .collect();
            let mut ends = lookup_offsets(
                client,
                IsolationLevel::ReadUncommitted,
                &query,
                UnknownTopics::Fail,
                deadline,
            );
            Ok(committed
                .into_iter()
                .map(|(tp, committed)| {
                    let end = ends.remove(&tp).unwrap_or_else(|| {
                        Err(KafkaError::timeout(format!("no end offset for {tp}")))
                    });
                    let lag = committed.and_then(|c| {
                        let end_offset = end?.map_or(0, |o| o.offset);
                        let committed = c.map(|o| o.offset);
                        Ok(PartitionLag {
                            committed,
                            end_offset,
                            lag: committed.map(|c| end_offset.saturating_sub(c).max(0)),
                        })
                    });
                    (tp, lag)
                })
                .collect())
        })
    }
}

/// The committed offsets of `group` (see `list_consumer_group_offsets`).
fn committed_offsets(
    client: &mut KafkaClient,
    group: &str,
    partitions: Option<&[TopicPartition]>,
    deadline: std::time::Instant,
) -> Result<BTreeMap<TopicPartition, Result<Option<OffsetAndMetadata>>>> {
    let wanted = partitions.map(by_topic);
    let request = OffsetFetchRequest::for_group(group, wanted.as_ref(), false);
    loop {
        let response =
            send_to_coordinator(client, group, &request, deadline, |r| r.group_rows().0)?;
        let (code, rows) = response.group_rows();
        item_result(
            code,
            None,
            &format!("fetching the offsets of group {group}"),
        )?;
        // Offsets pending in a transaction: asked again until it ends.
        if rows
            .iter()
            .any(|r| ErrorCode(r.code) == ErrorCode::UNSTABLE_OFFSET_COMMIT)
        {
            back_off(client, deadline)?;
            continue;
        }
        let mut result = BTreeMap::new();
        for row in rows {
            let tp = TopicPartition::new(row.topic, row.partition);
            let context = format!("the committed offset of {tp} in group {group}");
            let value = item_result(row.code, None, &context).map(|()| {
                (row.offset >= 0).then(|| OffsetAndMetadata {
                    offset: row.offset,
                    metadata: row.metadata.unwrap_or_default(),
                    leader_epoch: (row.epoch >= 0).then_some(row.epoch),
                })
            });
            result.insert(tp, value);
        }
        if let Some(partitions) = partitions {
            for tp in partitions {
                result.entry(tp.clone()).or_insert(Ok(None));
            }
        }
        return Ok(result);
    }
}
