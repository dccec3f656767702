//! Topic admin calls: create, delete, list and describe topics (by name or by id), and
//! add partitions.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::routing::send_to_controller;
use super::{item_result, KafkaAdminClient};
use crate::client::{KafkaClient, TopicMetadata};
use crate::error::{ErrorCode, KafkaError, Result};
use crate::protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsRequestAssignment, CreatePartitionsRequestTopic,
    CreateTopicsRequest, CreateTopicsRequestAssignment, CreateTopicsRequestConfig,
    CreateTopicsRequestTopic, DeleteTopicsRequest, DeleteTopicsRequestTopic, MetadataRequest,
    MetadataRequestTopic,
};
use crate::protocol::{Request, Uuid};

/// A topic to create.
///
/// ```
/// use kafka_sync::NewTopic;
///
/// let topic = NewTopic::new("events", 3, 1).config("retention.ms", "86400000");
/// assert_eq!(topic.num_partitions, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The topic name.
    pub name: String,
    /// The number of partitions, or -1 for the broker's default.
    pub num_partitions: i32,
    /// The replication factor, or -1 for the broker's default.
    pub replication_factor: i16,
    /// Explicit replica assignment: partition -> broker ids. When set, the partition
    /// count and replication factor must be -1.
    pub replica_assignment: BTreeMap<i32, Vec<i32>>,
    /// Topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: BTreeMap<String, String>,
}

impl NewTopic {
    /// A topic with `num_partitions` partitions of `replication_factor` replicas each.
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i16) -> Self {
        NewTopic {
            name: name.into(),
            num_partitions,
            replication_factor,
            replica_assignment: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    /// Adds a topic config.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.insert(key.into(), value.into());
        self
    }

    /// Assigns `partition` to the replicas `brokers` (the first is the preferred
    /// leader).
    pub fn assign(mut self, partition: i32, brokers: Vec<i32>) -> Self {
        self.replica_assignment.insert(partition, brokers);
        self
    }
}

/// The new partition count of a topic, for
/// [`create_partitions`](KafkaAdminClient::create_partitions) (Java's `NewPartitions`).
///
/// ```
/// use kafka_sync::admin::NewPartitions;
///
/// // From 3 partitions to 5, the two new ones on brokers 1,2 and 2,3.
/// let grow = NewPartitions::increase_to(5).assign(vec![vec![1, 2], vec![2, 3]]);
/// assert_eq!(grow.total_count, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    /// The total number of partitions the topic will have.
    pub total_count: i32,
    /// The replicas of each new partition (preferred leader first), or `None` to let
    /// the controller place them.
    pub assignments: Option<Vec<Vec<i32>>>,
}

impl NewPartitions {
    /// Grows the topic to `total_count` partitions.
    pub fn increase_to(total_count: i32) -> Self {
        NewPartitions {
            total_count,
            assignments: None,
        }
    }

    /// Places the new partitions: one list of broker ids per new partition.
    pub fn assign(mut self, assignments: Vec<Vec<i32>>) -> Self {
        self.assignments = Some(assignments);
        self
    }
}

/// What happened to one topic of a create or delete call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicResult {
    /// The topic name.
    pub topic: String,
    /// `Ok` if the operation succeeded for this topic.
    pub result: Result<()>,
}

impl KafkaAdminClient {
    /// Creates topics. Returns one result per topic, in the order given; the outer
    /// error is for failures of the whole call (no broker reachable, timeout).
    pub fn create_topics(
        &self,
        topics: &[NewTopic],
        timeout: Duration,
    ) -> Result<Vec<TopicResult>> {
        self.create_topics_inner(topics, timeout, false)
    }

    /// Asks the broker to check whether the topics could be created, without creating
    /// them (`validate_only`).
    pub fn validate_new_topics(
        &self,
        topics: &[NewTopic],
        timeout: Duration,
    ) -> Result<Vec<TopicResult>> {
        self.create_topics_inner(topics, timeout, true)
    }

    fn create_topics_inner(
        &self,
        topics: &[NewTopic],
        timeout: Duration,
        validate_only: bool,
    ) -> Result<Vec<TopicResult>> {
        for topic in topics {
            validate_topic_name(&topic.name)?;
        }
        let request = CreateTopicsRequest {
            topics: topics.iter().map(creatable).collect(),
            timeout_ms: timeout_ms(timeout),
            validate_only,
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let results = per_topic_at_controller(client, &request, deadline, "creating", |r| {
                r.topics
                    .iter()
                    .map(|t| (t.name.as_str(), t.error_code, t.error_message.as_deref()))
                    .collect()
            })?;
            Ok(collect_results(
                topics.iter().map(|t| t.name.as_str()),
                results,
            ))
        })
    }

    /// Deletes topics. Returns one result per topic, in the order given.
    pub fn delete_topics(&self, topics: &[&str], timeout: Duration) -> Result<Vec<TopicResult>> {
        for topic in topics {
            validate_topic_name(topic)?;
        }
        let request = DeleteTopicsRequest {
            topic_names: topics.iter().map(|t| (*t).to_owned()).collect(),
            topics: topics
                .iter()
                .map(|t| DeleteTopicsRequestTopic {
                    name: Some((*t).to_owned()),
                    ..Default::default()
                })
                .collect(),
            timeout_ms: timeout_ms(timeout),
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let results = per_topic_at_controller(client, &request, deadline, "deleting", |r| {
                r.responses
                    .iter()
                    .filter_map(|t| {
                        Some((t.name.as_deref()?, t.error_code, t.error_message.as_deref()))
                    })
                    .collect()
            })?;
            Ok(collect_results(topics.iter().copied(), results))
        })
    }

    /// The names of all topics, sorted, without internal topics (such as
    /// `__consumer_offsets`).
    pub fn list_topics(&self, timeout: Duration) -> Result<Vec<String>> {
        self.with_client(|client| {
            let response = client.update_metadata(None, false, timeout)?;
            let mut names: Vec<String> = response
                .topics
                .iter()
                .filter(|t| !t.is_internal && t.error_code == 0)
                .filter_map(|t| t.name.clone())
                .collect();
            names.sort();
            Ok(names)
        })
    }

    /// Adds partitions to topics (a topic can only grow). One result per topic; with
    /// `validate_only` the controller checks the change without making it.
    pub fn create_partitions(
        &self,
        topics: &BTreeMap<String, NewPartitions>,
        validate_only: bool,
        timeout: Duration,
    ) -> Result<BTreeMap<String, Result<()>>> {
        for name in topics.keys() {
            validate_topic_name(name)?;
        }
        let request = CreatePartitionsRequest {
            topics: topics
                .iter()
                .map(|(name, p)| CreatePartitionsRequestTopic {
                    name: name.clone(),
                    count: p.total_count,
                    assignments: p.assignments.as_ref().map(|a| {
                        a.iter()
                            .map(|brokers| CreatePartitionsRequestAssignment {
                                broker_ids: brokers.clone(),
                            })
                            .collect()
                    }),
                })
                .collect(),
            timeout_ms: timeout_ms(timeout),
            validate_only,
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let results =
                per_topic_at_controller(client, &request, deadline, "adding partitions to", |r| {
                    r.results
                        .iter()
                        .map(|t| (t.name.as_str(), t.error_code, t.error_message.as_deref()))
                        .collect()
                })?;
            Ok(collect_results(topics.keys().map(String::as_str), results)
                .into_iter()
                .map(|r| (r.topic, r.result))
                .collect())
        })
    }

    /// Describes topics by id (KIP-516): as [`describe_topics`](Self::describe_topics),
    /// in the order given; an id no topic has comes back with the error
    /// UNKNOWN_TOPIC_ID and an empty name.
    pub fn describe_topics_by_id(
        &self,
        ids: &[Uuid],
        timeout: Duration,
    ) -> Result<Vec<TopicMetadata>> {
        let request = MetadataRequest {
            topics: Some(
                ids.iter()
                    .map(|id| MetadataRequestTopic {
                        topic_id: *id,
                        name: None,
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        self.with_client(|client| {
            let (_, response) = client.send_to_any(&request, timeout)?;
            let mut cluster = crate::client::Cluster::default();
            cluster.update(&response, false);
            Ok(ids
                .iter()
                .map(|id| {
                    let answer = response.topics.iter().find(|t| t.topic_id == *id);
                    let known = answer
                        .and_then(|t| t.name.as_deref())
                        .and_then(|name| cluster.topic(name).cloned());
                    known.unwrap_or_else(|| TopicMetadata {
                        name: String::new(),
                        topic_id: *id,
                        is_internal: false,
                        error: answer
                            .map_or(ErrorCode::UNKNOWN_TOPIC_ID, |t| ErrorCode(t.error_code)),
                        partitions: Vec::new(),
                    })
                })
                .collect())
        })
    }

    /// Describes topics: partitions, leaders, replicas and in-sync replicas. A topic
    /// that does not exist comes back with the error UNKNOWN_TOPIC_OR_PARTITION in its
    /// `error` field and no partitions.
    pub fn describe_topics(
        &self,
        topics: &[&str],
        timeout: Duration,
    ) -> Result<Vec<TopicMetadata>> {
        for topic in topics {
            validate_topic_name(topic)?;
        }
        let request = MetadataRequest::for_topics(Some(topics), false);
        self.with_client(|client| {
            let (_, response) = client.send_to_any(&request, timeout)?;
            let mut cluster = crate::client::Cluster::default();
            cluster.update(&response, false);
            Ok(topics
                .iter()
                .map(|name| {
                    cluster.topic(name).cloned().unwrap_or_else(|| {
                        let error = response
                            .topics
                            .iter()
                            .find(|t| t.name.as_deref() == Some(*name))
                            .map_or(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, |t| {
                                ErrorCode(t.error_code)
                            });
                        TopicMetadata {
                            name: (*name).to_owned(),
                            topic_id: Default::default(),
                            is_internal: false,
                            error,
                            partitions: Vec::new(),
                        }
                    })
                })
                .collect())
        })
    }
}

fn creatable(topic: &NewTopic) -> CreateTopicsRequestTopic {
    CreateTopicsRequestTopic {
        name: topic.name.clone(),
        num_partitions: topic.num_partitions,
        replication_factor: topic.replication_factor,
        assignments: topic
            .replica_assignment
            .iter()
            .map(|(partition, brokers)| CreateTopicsRequestAssignment {
                partition_index: *partition,
                broker_ids: brokers.clone(),
            })
            .collect(),
        configs: topic
            .configs
            .iter()
            .map(|(k, v)| CreateTopicsRequestConfig {
                name: k.clone(),
                value: Some(v.clone()),
            })
            .collect(),
    }
}

/// Sends a topic request to the controller (again if it answers NOT_CONTROLLER for a
/// topic: it moved) and turns the `(name, code, message)` rows of its answer into one
/// result per topic, `doing` the topics ("creating", "deleting", ...). The metadata is
/// refreshed at the next use, since the topics changed.
fn per_topic_at_controller<R: Request>(
    client: &mut KafkaClient,
    request: &R,
    deadline: Instant,
    doing: &str,
    rows: impl for<'r> Fn(&'r R::Response) -> Vec<(&'r str, i16, Option<&'r str>)>,
) -> Result<BTreeMap<String, Result<()>>> {
    let response = send_to_controller(client, request, deadline, |r| {
        rows(r)
            .iter()
            .any(|(_, code, _)| *code == ErrorCode::NOT_CONTROLLER.0)
    })?;
    client.request_metadata_update();
    Ok(rows(&response)
        .into_iter()
        .map(|(name, code, message)| {
            let context = format!("{doing} topic `{name}`");
            (name.to_owned(), item_result(code, message, &context))
        })
        .collect())
}

fn collect_results<'a>(
    names: impl Iterator<Item = &'a str>,
    mut by_name: BTreeMap<String, Result<()>>,
) -> Vec<TopicResult> {
    names
        .map(|name| TopicResult {
            topic: name.to_owned(),
            result: by_name.remove(name).unwrap_or_else(|| {
                Err(KafkaError::new(
                    crate::ErrorKind::UnexpectedResponse,
                    format!("the broker's response did not mention topic `{name}`"),
                ))
            }),
        })
        .collect()
}

fn timeout_ms(timeout: Duration) -> i32 {
    i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX)
}

/// Checks a topic name the way brokers do: 1 to 249 characters of `[a-zA-Z0-9._-]`,
/// not `.` or `..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<()> {
    let bad =
        |why: &str| KafkaError::invalid_argument(format!("invalid topic name `{name}`: {why}"));
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name == "." || name == ".." {
        return Err(bad("`.` and `..` are not allowed"));
    }
    if name.len() > 249 {
        return Err(bad("longer than 249 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(bad(
            "only ASCII letters, digits, `.`, `_` and `-` are allowed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        assert!(validate_topic_name("events_1.a-b").is_ok());
        for bad in ["", ".", "..", "a b", "ä", &"x".repeat(250)] {
            assert!(validate_topic_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn results_follow_the_callers_order_and_flag_missing_topics() {
        let mut by_name = BTreeMap::new();
        by_name.insert("b".to_owned(), Ok(()));
        let results = collect_results(["a", "b"].into_iter(), by_name);
        assert_eq!(results[0].topic, "a");
        assert!(results[0].result.is_err());
        assert!(results[1].result.is_ok());
    }
}
