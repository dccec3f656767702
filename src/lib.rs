//! # kafka-sync
//!
//! A pure-Rust, synchronous Apache Kafka client. User calls block; the network work
//! happens on background threads that own the sockets.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod admin;
pub mod client;
pub mod config;
pub mod consumer;
pub mod error;
pub mod exactly_once;
#[doc(hidden)]
pub mod fuzzing;
mod hash;
pub mod net;
pub mod producer;
pub mod protocol;
pub mod record;
mod time;

pub use admin::{ClusterDescription, KafkaAdminClient, NewTopic, TopicResult};
pub use client::TopicPartition;
pub use config::security::{SaslMechanism, SecurityConfig, SecurityProtocol};
pub use config::{Acks, AdminConfig, ClientConfig, MetadataRecovery, ProducerConfig};
pub use config::{ConsumerConfig, IsolationLevel, OffsetReset};
pub use consumer::{
    AssignmentStrategy, ConsumerGroupMetadata, ConsumerRebalanceListener, ConsumerRecord,
    ConsumerRecords, Deserializer, KafkaConsumer, OffsetAndMetadata, OffsetAndTimestamp,
};
pub use error::{ErrorCode, ErrorKind, KafkaError, Result};
pub use exactly_once::ExactlyOnceProcessor;
pub use producer::{
    FutureRecordMetadata, KafkaProducer, ProducerMetrics, ProducerRecord, RecordMetadata,
};
pub use record::compression::Compression;
pub use record::Header;
