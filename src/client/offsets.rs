//! Offsets: the offset types shared by the consumer, the producer's transactions and
//! the admin client, and the ListOffsets lookup at the partitions' leaders (earliest
//! and latest offsets, offsets by timestamp).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::{KafkaClient, TopicPartition};
use crate::config::IsolationLevel;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    ListOffsetsRequest, ListOffsetsRequestPartition, ListOffsetsRequestTopic,
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};

/// The ListOffsets timestamp that asks for the log start offset.
pub const EARLIEST_TIMESTAMP: i64 = -2;
/// The ListOffsets timestamp that asks for the log end offset (or, under
/// read_committed, the last stable offset).
pub const LATEST_TIMESTAMP: i64 = -1;
/// The ListOffsets timestamp that asks for the offset of the record with the highest
/// timestamp (KIP-734, ListOffsets 7).
pub const MAX_TIMESTAMP: i64 = -3;

/// What a transactional producer needs to know of a consumer group member to commit
/// the member's offsets in a transaction (`send_offsets_to_transaction`): the group
/// coordinator then refuses the commit of a member a rebalance fenced (KIP-447). From
/// [`KafkaConsumer::group_metadata`](crate::KafkaConsumer::group_metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    /// The group id.
    pub group_id: String,
    /// The member's generation, or -1 if it is not a member (yet).
    pub generation_id: i32,
    /// The member id, empty if it is not a member (yet).
    pub member_id: String,
    /// The static member's instance id (`group.instance.id`), if any.
    pub group_instance_id: Option<String>,
}

/// An offset to commit (or as committed), with its optional metadata string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OffsetAndMetadata {
    /// The offset of the next record to consume.
    pub offset: i64,
    /// Free-form text stored with the offset.
    pub metadata: String,
    /// The leader epoch of the last consumed record, if known.
    pub leader_epoch: Option<i32>,
}

impl OffsetAndMetadata {
    /// `offset` with no metadata.
    pub fn new(offset: i64) -> Self {
        OffsetAndMetadata {
            offset,
            metadata: String::new(),
            leader_epoch: None,
        }
    }

    /// The same offset with `metadata`.
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = metadata.into();
        self
    }
}

/// `offsets` as the topics of an OffsetCommit request, one entry per topic (the map is
/// ordered, so each topic's partitions are together). Shared by the consumer's commits
/// and the admin client's `alter_consumer_group_offsets`.
pub(crate) fn offset_commit_topics(
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
) -> Vec<OffsetCommitRequestTopic> {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (tp, om) in offsets {
        let partition = OffsetCommitRequestPartition {
            partition_index: tp.partition,
            committed_offset: om.offset,
            committed_leader_epoch: om.leader_epoch.unwrap_or(-1),
            committed_metadata: Some(om.metadata.clone()),
        };
        match topics.last_mut() {
            Some(t) if t.name == tp.topic => t.partitions.push(partition),
            _ => topics.push(OffsetCommitRequestTopic {
                name: tp.topic.clone(),
                partitions: vec![partition],
            }),
        }
    }
    topics
}

impl From<i64> for OffsetAndMetadata {
    fn from(offset: i64) -> Self {
        OffsetAndMetadata::new(offset)
    }
}

/// The answer of [`offsets_for_times`](crate::KafkaConsumer::offsets_for_times) and the admin client's `list_offsets`: the
/// earliest offset whose timestamp is at or after the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetAndTimestamp {
    /// The offset.
    pub offset: i64,
    /// The timestamp of the record at that offset.
    pub timestamp: i64,
    /// The leader epoch of that record, if the broker says.
    pub leader_epoch: Option<i32>,
}

/// What to do about partitions of topics the cluster does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnknownTopics {
    /// Keep asking until the deadline (the topic may be being created), as the
    /// consumer does.
    Wait,
    /// Fail their partitions with UNKNOWN_TOPIC_OR_PARTITION, as the admin client does.
    Fail,
}

/// The outcome of looking up each partition.
pub(crate) type OffsetLookup = BTreeMap<TopicPartition, Result<Option<OffsetAndTimestamp>>>;

/// Looks up offsets by timestamp (or [`EARLIEST_TIMESTAMP`], [`LATEST_TIMESTAMP`],
/// [`MAX_TIMESTAMP`]) at the partitions' leaders, retrying leader errors until
/// `deadline`. A partition with no record at or after its timestamp maps to `Ok(None)`;
/// one whose lookup failed for good, or was still failing at the deadline, to its
/// error.
pub(crate) fn lookup_offsets(
    client: &mut KafkaClient,
    isolation: IsolationLevel,
    query: &BTreeMap<TopicPartition, i64>,
    unknown: UnknownTopics,
    deadline: Instant,
) -> OffsetLookup {
    let mut result = BTreeMap::new();
    let mut remaining: BTreeMap<TopicPartition, i64> = query.clone();
    let backoff = client.config().retry_backoff;
    let mut last_error: Option<KafkaError> = None;
    loop {
        if remaining.is_empty() {
            return result;
        }
        let now = Instant::now();
        if now >= deadline {
            let why = last_error.map_or_else(String::new, |e| format!(": {e}"));
            for tp in remaining.into_keys() {
                let e =
                    KafkaError::timeout(format!("looking up the offsets of {tp} timed out{why}"));
                result.insert(tp, Err(e));
            }
            return result;
        }
        let topics: BTreeSet<String> = remaining.keys().map(|tp| tp.topic.clone()).collect();
        let topics: Vec<String> = topics.into_iter().collect();
        let refreshed = match unknown {
            UnknownTopics::Wait => client.ensure_topics(&topics, deadline - now).map(|()| None),
            UnknownTopics::Fail => client
                .update_metadata(Some(&topics), false, deadline - now)
                .map(Some),
        };
        match refreshed {
            Ok(Some(response)) => {
                for t in &response.topics {
                    let code = ErrorCode(t.error_code);
                    let Some(name) = t.name.as_deref() else {
                        continue;
                    };
                    if code.is_ok()
                        || (code.is_retriable() && code != ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
                    {
                        continue;
                    }
                    let failed: Vec<TopicPartition> = remaining
                        .keys()
                        .filter(|tp| tp.topic == name)
                        .cloned()
                        .collect();
                    for tp in failed {
                        remaining.remove(&tp);
                        let e = KafkaError::broker(code, format!("the offsets of {tp}"));
                        result.insert(tp, Err(e));
                    }
                }
            }
            Ok(None) => {}
            Err(e) if e.kind() == ErrorKind::Wakeup => {
                for tp in remaining.into_keys() {
                    result.insert(tp, Err(e.clone()));
                }
                return result;
            }
            Err(e) => {
                last_error = Some(e);
                std::thread::sleep(backoff.min(deadline.saturating_duration_since(Instant::now())));
                continue;
            }
        }
        let mut per_leader: HashMap<i32, Vec<(TopicPartition, i64)>> = HashMap::new();
        let mut missing = Vec::new();
        for (tp, &timestamp) in &remaining {
            let cluster = client.cluster();
            match cluster.leader_for(&tp.topic, tp.partition) {
                Some(leader) => per_leader
                    .entry(leader.id)
                    .or_default()
                    .push((tp.clone(), timestamp)),
                None if unknown == UnknownTopics::Fail
                    && cluster.partition_count(&tp.topic).is_some_and(|n| {
                        usize::try_from(tp.partition).map_or(true, |p| p >= n)
                    }) =>
                {
                    missing.push(tp.clone());
                }
                None => {
                    last_error = Some(KafkaError::broker(
                        ErrorCode::LEADER_NOT_AVAILABLE,
                        format!("partition {tp}"),
                    ));
                    client.request_metadata_update();
                }
            }
        }
        for tp in missing {
            remaining.remove(&tp);
            let e = KafkaError::broker(
                ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                format!("{tp}: the topic has no such partition"),
            );
            result.insert(tp, Err(e));
        }
        let mut retry = false;
        for (leader, partitions) in per_leader {
            let request = request_for(isolation, &partitions);
            let timeout = deadline.saturating_duration_since(Instant::now());
            let response = match client.send_and_wait(leader, &request, timeout) {
                Ok(response) => response,
                Err(e) if e.is_retriable() => {
                    client.request_metadata_update();
                    last_error = Some(e);
                    retry = true;
                    continue;
                }
                Err(e) => {
                    for (tp, _) in partitions {
                        remaining.remove(&tp);
                        result.insert(tp, Err(e.clone()));
                    }
                    continue;
                }
            };
            for topic in response.topics {
                for p in topic.partitions {
                    let tp = TopicPartition::new(topic.name.clone(), p.partition_index);
                    if !remaining.contains_key(&tp) {
                        continue;
                    }
                    let code = ErrorCode(p.error_code);
                    if code == ErrorCode::NONE {
                        remaining.remove(&tp);
                        let found = (p.offset >= 0).then_some(OffsetAndTimestamp {
                            offset: p.offset,
                            timestamp: p.timestamp,
                            leader_epoch: (p.leader_epoch >= 0).then_some(p.leader_epoch),
                        });
                        result.insert(tp, Ok(found));
                    } else if code.is_retriable() || code == ErrorCode::OFFSET_NOT_AVAILABLE {
                        if code.is_invalid_metadata() {
                            client.request_metadata_update();
                        }
                        last_error = Some(KafkaError::broker(code, format!("offsets of {tp}")));
                        retry = true;
                    } else {
                        remaining.remove(&tp);
                        let e = KafkaError::broker(code, format!("offsets of {tp}"));
                        result.insert(tp, Err(e));
                    }
                }
            }
        }
        if retry || !remaining.is_empty() {
            let wait = backoff.min(deadline.saturating_duration_since(Instant::now()));
            if !wait.is_zero() {
                // A back-off between attempts; nothing to wait on but time.
                std::thread::sleep(wait.min(Duration::from_millis(500)));
            }
        }
    }
}

/// [`lookup_offsets`] that fails as a whole with the first partition's error, for
/// callers that need every answer.
pub(crate) fn list_offsets(
    client: &mut KafkaClient,
    isolation: IsolationLevel,
    query: &BTreeMap<TopicPartition, i64>,
    deadline: Instant,
) -> Result<BTreeMap<TopicPartition, Option<OffsetAndTimestamp>>> {
    lookup_offsets(client, isolation, query, UnknownTopics::Wait, deadline)
        .into_iter()
        .map(|(tp, found)| found.map(|o| (tp, o)))
        .collect()
}

fn request_for(
    isolation: IsolationLevel,
    partitions: &[(TopicPartition, i64)],
) -> ListOffsetsRequest {
    let mut topics: Vec<ListOffsetsRequestTopic> = Vec::new();
    for (tp, timestamp) in partitions {
        let partition = ListOffsetsRequestPartition {
            partition_index: tp.partition,
            timestamp: *timestamp,
            ..Default::default()
        };
        match topics.iter_mut().find(|t| t.name == tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(ListOffsetsRequestTopic {
                name: tp.topic.clone(),
                partitions: vec![partition],
            }),
        }
    }
    ListOffsetsRequest {
        isolation_level: isolation.as_i8(),
        topics,
        ..Default::default()
    }
}
