//! Cluster-wide admin calls: describe the cluster, its API versions, its features
//! (from ApiVersions) and its metadata quorum (DescribeQuorum, forwarded to the
//! controllers by any broker).

use std::collections::BTreeMap;
use std::time::Duration;

use super::routing::remaining;
use super::{item_result, KafkaAdminClient};
use crate::client::Node;
use crate::error::Result;
use crate::net::ApiVersionTable;
use crate::protocol::messages::{
    DescribeQuorumRequest, DescribeQuorumRequestPartition, DescribeQuorumRequestTopic,
    DescribeQuorumResponseReplicaState,
};
use crate::protocol::Uuid;

/// The metadata log of a KRaft cluster, whose quorum DescribeQuorum describes.
const METADATA_TOPIC: &str = "__cluster_metadata";

/// The cluster's features (Java's `FeatureMetadata`), from
/// [`describe_features`](KafkaAdminClient::describe_features).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureMetadata {
    /// Finalized features: name to their `(min, max)` levels in force.
    pub finalized: BTreeMap<String, (i16, i16)>,
    /// The epoch of the finalized features, if the broker gave one.
    pub finalized_epoch: Option<i64>,
    /// Features the answering broker supports: name to `(min, max)` versions.
    pub supported: BTreeMap<String, (i16, i16)>,
}

/// One voter or observer of the metadata quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumReplica {
    /// The node id.
    pub replica_id: i32,
    /// The directory id of its metadata log (KIP-853), if known.
    pub directory_id: Option<Uuid>,
    /// The end offset of its copy of the metadata log.
    pub log_end_offset: i64,
    /// When the leader last heard from it (milliseconds since the epoch).
    pub last_fetch_timestamp: Option<i64>,
    /// When it last caught up with the leader.
    pub last_caught_up_timestamp: Option<i64>,
}

/// The KRaft metadata quorum (Java's `QuorumInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumInfo {
    /// The active controller's node id.
    pub leader_id: i32,
    /// The leader's epoch.
    pub leader_epoch: i32,
    /// The metadata log's high watermark.
    pub high_watermark: i64,
    /// The voting controllers.
    pub voters: Vec<QuorumReplica>,
    /// The observers (brokers, and controllers that do not vote).
    pub observers: Vec<QuorumReplica>,
    /// The listeners of the controller nodes: node id to `(listener, host, port)`.
    pub nodes: BTreeMap<i32, Vec<(String, String, u16)>>,
}

fn replica(r: &DescribeQuorumResponseReplicaState) -> QuorumReplica {
    QuorumReplica {
        replica_id: r.replica_id,
        directory_id: (r.replica_directory_id != Uuid::default()).then_some(r.replica_directory_id),
        log_end_offset: r.log_end_offset,
        last_fetch_timestamp: (r.last_fetch_timestamp >= 0).then_some(r.last_fetch_timestamp),
        last_caught_up_timestamp: (r.last_caught_up_timestamp >= 0)
            .then_some(r.last_caught_up_timestamp),
    }
}

/// The cluster as described by a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// The cluster id, if the broker has one.
    pub cluster_id: Option<String>,
    /// The controller, if known.
    pub controller: Option<Node>,
    /// Every broker.
    pub brokers: Vec<Node>,
}

impl KafkaAdminClient {
    /// Describes the cluster: its id, controller and brokers.
    pub fn describe_cluster(&self, timeout: Duration) -> Result<ClusterDescription> {
        self.with_client(|client| {
            client.update_metadata(Some(&[]), false, timeout)?;
            let cluster = client.cluster();
            Ok(ClusterDescription {
                cluster_id: cluster.cluster_id.clone(),
                controller: cluster
                    .controller
                    .and_then(|id| cluster.broker(id).cloned()),
                brokers: cluster.brokers.values().cloned().collect(),
            })
        })
    }

    /// The API versions each broker announces, by broker id (connecting to each).
    pub fn broker_api_versions(&self, timeout: Duration) -> Result<BTreeMap<i32, ApiVersionTable>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
            let ids: Vec<i32> = client.cluster().brokers.keys().copied().collect();
            let mut out = BTreeMap::new();
            for id in ids {
                out.insert(id, client.api_versions(id, remaining(deadline)?)?);
            }
            Ok(out)
        })
    }

    /// The cluster's finalized features and the features a broker supports (from its
    /// ApiVersions answer), as Java's `describeFeatures`.
    pub fn describe_features(&self, timeout: Duration) -> Result<FeatureMetadata> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
            let node = client
                .cluster()
                .controller
                .or_else(|| client.cluster().brokers.keys().next().copied())
                .ok_or_else(|| crate::KafkaError::timeout("no broker is known"))?;
            let table = client.api_versions(node, remaining(deadline)?)?;
            Ok(FeatureMetadata {
                finalized: table.finalized_features().clone(),
                finalized_epoch: table.finalized_features_epoch(),
                supported: table.supported_features().clone(),
            })
        })
    }

    /// The KRaft metadata quorum: its leader, voters and observers with how far each
    /// has replicated the metadata log.
    pub fn describe_metadata_quorum(&self, timeout: Duration) -> Result<QuorumInfo> {
        let request = DescribeQuorumRequest {
            topics: vec![DescribeQuorumRequestTopic {
                topic_name: METADATA_TOPIC.to_owned(),
                partitions: vec![DescribeQuorumRequestPartition { partition_index: 0 }],
            }],
        };
        self.with_client(|client| {
            let (_, response) = client.send_to_any(&request, timeout)?;
            item_result(
                response.error_code,
                response.error_message.as_deref(),
                "describing the metadata quorum",
            )?;
            let partition = response
                .topics
                .iter()
                .filter(|t| t.topic_name == METADATA_TOPIC)
                .flat_map(|t| &t.partitions)
                .find(|p| p.partition_index == 0)
                .ok_or_else(|| {
                    crate::KafkaError::new(
                        crate::ErrorKind::UnexpectedResponse,
                        "the DescribeQuorum answer has no metadata partition",
                    )
                })?;
            item_result(
                partition.error_code,
                partition.error_message.as_deref(),
                "describing the metadata quorum",
            )?;
            Ok(QuorumInfo {
                leader_id: partition.leader_id,
                leader_epoch: partition.leader_epoch,
                high_watermark: partition.high_watermark,
                voters: partition.current_voters.iter().map(replica).collect(),
                observers: partition.observers.iter().map(replica).collect(),
                nodes: response
                    .nodes
                    .iter()
                    .map(|n| {
                        let listeners = n
                            .listeners
                            .iter()
                            .map(|l| (l.name.clone(), l.host.clone(), l.port))
                            .collect();
                        (n.node_id, listeners)
                    })
                    .collect(),
            })
        })
    }
}
