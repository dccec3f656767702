//! The cluster client: metadata ([`cluster`]) and request routing over the network
//! layer ([`client`]), and the low-level [`RawClient`] built on them.

#[allow(clippy::module_inception)]
pub mod client;
pub mod cluster;
pub mod group_protocol;
pub mod offsets;
mod raw;

pub use client::KafkaClient;
pub use cluster::{Cluster, Node, PartitionMetadata, TopicMetadata, TopicPartition};
pub use raw::RawClient;
