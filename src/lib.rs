//! # kafka-sync
//!
//! A pure-Rust, synchronous Apache Kafka client. User calls block; the network work
//! happens on background threads that own the sockets.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod protocol;

pub use error::{ErrorCode, ErrorKind, KafkaError, Result};
