//! The Kafka wire protocol, sans I/O: primitives, headers, and one schema per API.
//!
//! Nothing here touches a socket: requests are encoded into byte buffers and responses
//! decoded from them, so everything is tested with golden bytes and fuzzed.

pub mod api;
pub mod header;
pub mod primitives;
pub mod schema;

pub mod api_versions;
pub mod metadata;

#[cfg(test)]
pub(crate) mod testing;

/// Every request and response type, for `use kafka_sync::protocol::messages::*`.
pub mod messages {
    pub use super::api_versions::*;
    pub use super::metadata::*;
}

pub use api::{ApiKey, ApiSupport, Request};
pub use schema::{Ctx, Field, Uuid};
