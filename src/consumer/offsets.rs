//! Offset types and the ListOffsets lookups: the earliest and latest offsets of
//! partitions, offsets by timestamp, and the offsets the reset policy names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::client::{KafkaClient, TopicPartition};
use crate::config::IsolationLevel;
use crate::error::{ErrorCode, KafkaError, Result};
use crate::protocol::messages::{
    ListOffsetsRequest, ListOffsetsRequestPartition, ListOffsetsRequestTopic,
};

/// The ListOffsets timestamp that asks for the log start offset.
pub(crate) const EARLIEST_TIMESTAMP: i64 = -2;
/// The ListOffsets timestamp that asks for the log end offset (or, under
/// read_committed, the last stable offset).
pub(crate) const LATEST_TIMESTAMP: i64 = -1;

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

impl From<i64> for OffsetAndMetadata {
    fn from(offset: i64) -> Self {
        OffsetAndMetadata::new(offset)
    }
}

/// What a transactional producer needs to know of a consumer group member to commit
/// the member's offsets in a transaction (`send_offsets_to_transaction`): the group
/// coordinator then refuses the commit of a member a rebalance fenced (KIP-447). From
/// [`KafkaConsumer::group_metadata`](super::KafkaConsumer::group_metadata).
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

/// The answer of [`offsets_for_times`](crate::KafkaConsumer::offsets_for_times): the
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

/// Looks up offsets by timestamp (or [`EARLIEST_TIMESTAMP`] / [`LATEST_TIMESTAMP`]) at
/// the partitions' leaders, retrying leader errors until `deadline`. A partition with
/// no record at or after its timestamp maps to `None`.
pub(crate) fn list_offsets(
    client: &mut KafkaClient,
    isolation: IsolationLevel,
    query: &BTreeMap<TopicPartition, i64>,
    deadline: Instant,
) -> Result<BTreeMap<TopicPartition, Option<OffsetAndTimestamp>>> {
    let mut result = BTreeMap::new();
    let mut remaining: BTreeMap<TopicPartition, i64> = query.clone();
    let backoff = client.config().retry_backoff;
    let mut last_error: Option<KafkaError> = None;
    loop {
        if remaining.is_empty() {
            return Ok(result);
        }
        let now = Instant::now();
        if now >= deadline {
            let why = last_error.map_or_else(String::new, |e| format!(": {e}"));
            let partitions: Vec<String> = remaining.keys().map(ToString::to_string).collect();
            return Err(KafkaError::timeout(format!(
                "looking up offsets of {} timed out{why}",
                partitions.join(", ")
            )));
        }
        let topics: BTreeSet<String> = remaining.keys().map(|tp| tp.topic.clone()).collect();
        let topics: Vec<String> = topics.into_iter().collect();
        if let Err(e) = client.ensure_topics(&topics, deadline - now) {
            last_error = Some(e);
            std::thread::sleep(backoff.min(deadline.saturating_duration_since(Instant::now())));
            continue;
        }
        let mut per_leader: HashMap<i32, Vec<(TopicPartition, i64)>> = HashMap::new();
        for (tp, &timestamp) in &remaining {
            match client.cluster().leader_for(&tp.topic, tp.partition) {
                Some(leader) => per_leader
                    .entry(leader.id)
                    .or_default()
                    .push((tp.clone(), timestamp)),
                None => {
                    last_error = Some(KafkaError::broker(
                        ErrorCode::LEADER_NOT_AVAILABLE,
                        format!("partition {tp}"),
                    ));
                    client.request_metadata_update();
                }
            }
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
                Err(e) => return Err(e),
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
                        result.insert(tp, found);
                    } else if code.is_retriable() || code == ErrorCode::OFFSET_NOT_AVAILABLE {
                        if code.is_invalid_metadata() {
                            client.request_metadata_update();
                        }
                        last_error = Some(KafkaError::broker(code, format!("offsets of {tp}")));
                        retry = true;
                    } else {
                        return Err(KafkaError::broker(code, format!("offsets of {tp}")));
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
