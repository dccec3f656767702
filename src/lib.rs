//! # kafka-sync
//!
//! A pure-Rust, synchronous Apache Kafka client. User calls block; the network work
//! happens on background threads that own the sockets.
//!
//! The clients are at the crate root: [`KafkaProducer`], [`KafkaConsumer`] and
//! [`KafkaAdminClient`], with their configs, records, errors and metrics; the
//! [`guide`] has chapters on using them.
//!
//! **Low-level API.** The [`protocol`] module (every request and response this client
//! speaks, sans I/O), the [`record`] module (record batches) and [`RawClient`] (which
//! sends any such request to a broker and returns the decoded response) are public
//! for tools and tests that need requests the clients do not send as such. They follow
//! Kafka's protocol and change with it more readily than the clients' API.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod admin;
mod client;
pub mod config;
pub mod consumer;
pub mod error;
pub mod exactly_once;
#[doc(hidden)]
pub mod fuzzing;
/// The guide: chapters on using the crate, with compiled examples.
pub mod guide;
mod hash;
#[cfg(test)]
mod layers;
mod net;
mod partitioner;
pub mod producer;
pub mod protocol;
pub mod record;
#[cfg(feature = "schema-registry")]
pub mod schema_registry;
mod stats;
mod time;
mod wire;

pub use admin::{ClusterDescription, KafkaAdminClient, NewTopic, TopicResult};
pub use client::{Node, PartitionMetadata, RawClient, TopicMetadata, TopicPartition};
pub use config::security::{SaslMechanism, SecurityConfig, SecurityProtocol};
pub use config::{Acks, AdminConfig, ClientConfig, MetadataRecovery, ProducerConfig};
pub use config::{ConsumerConfig, GroupProtocol, IsolationLevel, OffsetReset};
pub use consumer::{
    AssignmentStrategy, ConsumerGroupMetadata, ConsumerRates, ConsumerRebalanceListener,
    ConsumerRecord, ConsumerRecords, ConsumerStatistics, Deserializer, KafkaConsumer,
    OffsetAndMetadata, OffsetAndTimestamp, PartitionStatistics, TypedConsumer, WakeupHandle,
};
pub use error::{ErrorCode, ErrorKind, KafkaError, Result};
pub use exactly_once::ExactlyOnceProcessor;
pub use net::BrokerStatistics;
pub use producer::{
    FutureRecordMetadata, KafkaProducer, ProducerMetrics, ProducerRates, ProducerRecord,
    ProducerStatistics, RecordMetadata, TopicStatistics,
};
pub use record::compression::Compression;
pub use record::Header;
pub use stats::LatencySummary;
