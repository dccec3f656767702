//! Cluster-wide admin calls: describe the cluster, report API versions.

use std::collections::BTreeMap;
use std::time::Duration;

use super::routing::remaining;
use super::KafkaAdminClient;
use crate::client::Node;
use crate::error::Result;
use crate::net::ApiVersionTable;

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
}
