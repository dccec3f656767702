//! The consumer's offset types, shared with the producer's transactions and the admin
//! client (from `client::offsets`), and its ListOffsets lookup.

pub(crate) use crate::client::offsets::{list_offsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP};
pub use crate::client::offsets::{ConsumerGroupMetadata, OffsetAndMetadata, OffsetAndTimestamp};
