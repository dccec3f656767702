//! The client's view of the cluster: brokers, topics, partitions and their leaders, as
//! last learned from a Metadata response.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::error::ErrorCode;
use crate::net::BrokerAddress;
use crate::protocol::messages::MetadataResponse;
use crate::protocol::Uuid;

/// A topic name and a partition number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

impl TopicPartition {
    /// `topic`-`partition`.
    ///
    /// ```
    /// let tp = kafka_sync::TopicPartition::new("events", 0);
    /// assert_eq!(tp.to_string(), "events-0");
    /// ```
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A broker of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The broker id.
    pub id: i32,
    /// Its advertised host.
    pub host: String,
    /// Its advertised port.
    pub port: u16,
    /// Its rack, if it has one.
    pub rack: Option<String>,
}

impl Node {
    /// Where the broker listens.
    pub fn address(&self) -> BrokerAddress {
        BrokerAddress {
            host: self.host.clone(),
            port: self.port,
        }
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// The partition number.
    pub partition: i32,
    /// The leader's broker id, if there is a leader.
    pub leader: Option<i32>,
    /// The leader epoch, or -1 if the broker did not say.
    pub leader_epoch: i32,
    /// All replicas.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Offline replicas.
    pub offline_replicas: Vec<i32>,
    /// The partition's error, [`ErrorCode::NONE`] if none.
    pub error: ErrorCode,
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    /// The topic name.
    pub name: String,
    /// The topic id (zero if the broker does not have ids).
    pub topic_id: Uuid,
    /// Whether the topic is internal (e.g. `__consumer_offsets`).
    pub is_internal: bool,
    /// The topic's error, [`ErrorCode::NONE`] if none.
    pub error: ErrorCode,
    /// Its partitions, sorted by number.
    pub partitions: Vec<PartitionMetadata>,
}

/// The cluster as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster id, if the broker reports one.
    pub cluster_id: Option<String>,
    /// The controller's broker id, if known.
    pub controller: Option<i32>,
    /// Every broker, by id.
    pub brokers: BTreeMap<i32, Node>,
    /// Topics described so far, by name.
    pub topics: HashMap<String, TopicMetadata>,
}

impl Cluster {
    /// Applies a Metadata response: brokers, controller and cluster id are replaced;
    /// the topics it describes are replaced, others kept (unless `all_topics`, when
    /// the response lists every topic and topics not in it are gone).
    pub fn update(&mut self, response: &MetadataResponse, all_topics: bool) {
        self.cluster_id = response.cluster_id.clone();
        self.controller = (response.controller_id >= 0).then_some(response.controller_id);
        self.brokers = response
            .brokers
            .iter()
            .filter_map(|b| {
                let port = u16::try_from(b.port).ok()?;
                Some((
                    b.node_id,
                    Node {
                        id: b.node_id,
                        host: b.host.clone(),
                        port,
                        rack: b.rack.clone(),
                    },
                ))
            })
            .collect();
        if all_topics {
            self.topics.clear();
        }
        for topic in &response.topics {
            let Some(name) = topic.name.clone() else {
                continue;
            };
            let mut partitions: Vec<PartitionMetadata> = topic
                .partitions
                .iter()
                .map(|p| PartitionMetadata {
                    partition: p.partition_index,
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.clone(),
                    isr: p.isr_nodes.clone(),
                    offline_replicas: p.offline_replicas.clone(),
                    error: ErrorCode(p.error_code),
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            let error = ErrorCode(topic.error_code);
            if error == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                self.topics.remove(&name);
                continue;
            }
            self.topics.insert(
                name.clone(),
                TopicMetadata {
                    name,
                    topic_id: topic.topic_id,
                    is_internal: topic.is_internal,
                    error,
                    partitions,
                },
            );
        }
    }

    /// The topic's metadata, if known.
    pub fn topic(&self, topic: &str) -> Option<&TopicMetadata> {
        self.topics.get(topic)
    }

    /// The number of partitions of `topic`, if known.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.topic(topic).map(|t| t.partitions.len())
    }

    /// The metadata of `topic`-`partition`, if known: found by binary search, since
    /// the partitions are sorted by number (the fetcher and the consumer look up every
    /// assigned partition on every turn).
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionMetadata> {
        let partitions = &self.topic(topic)?.partitions;
        partitions
            .binary_search_by_key(&partition, |p| p.partition)
            .ok()
            .and_then(|i| partitions.get(i))
    }

    /// The leader of `topic`-`partition`, if known and alive.
    pub fn leader_for(&self, topic: &str, partition: i32) -> Option<&Node> {
        let p = self.partition(topic, partition)?;
        self.brokers.get(&p.leader?)
    }

    /// The leader epoch of `topic`-`partition` as the metadata has it, if known.
    pub fn leader_epoch(&self, topic: &str, partition: i32) -> Option<i32> {
        self.partition(topic, partition)
            .map(|p| p.leader_epoch)
            .filter(|epoch| *epoch >= 0)
    }

    /// The broker with `id`.
    pub fn broker(&self, id: i32) -> Option<&Node> {
        self.brokers.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    fn response() -> MetadataResponse {
        let partitions = [(1, 1), (0, -1)]
            .into_iter()
            .map(|(partition_index, leader_id)| MetadataResponsePartition {
                partition_index,
                leader_id,
                ..Default::default()
            })
            .collect();
        MetadataResponse {
            brokers: vec![MetadataResponseBroker {
                node_id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            controller_id: 1,
            topics: vec![MetadataResponseTopic {
                name: Some("t".into()),
                partitions,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn leaders_and_partitions() {
        let mut c = Cluster::default();
        c.update(&response(), false);
        assert_eq!(c.partition_count("t"), Some(2));
        assert_eq!(c.topic("t").unwrap().partitions[0].partition, 0, "sorted");
        assert_eq!(c.leader_for("t", 1).map(|n| n.id), Some(1));
        assert!(c.leader_for("t", 0).is_none(), "no leader");
        assert_eq!(c.controller, Some(1));
    }
}
