//! The cluster client: metadata ([`cluster`]) and request routing over the network
//! layer ([`client`]).

#[allow(clippy::module_inception)]
pub mod client;
pub mod cluster;
pub mod offsets;

pub use client::KafkaClient;
pub use cluster::{Cluster, Node, PartitionMetadata, TopicMetadata, TopicPartition};
