//! The consumer's offset types: those shared with the rest of the client (from
//! [`crate::client::offsets`]) and the group metadata a transactional producer needs.

pub(crate) use crate::client::offsets::{list_offsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP};
pub use crate::client::offsets::{OffsetAndMetadata, OffsetAndTimestamp};

/// What a transactional producer needs to know of a consumer group member to commit
/// the member's offsets in a transaction (`send_offsets_to_transaction`): the group
/// coordinator then refuses the commit of a member a rebalance fenced (KIP-447). From
/// [`KafkaConsumer::group_metadata`](super::KafkaConsumer::group_metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    /// The group id.
    pub group_id: String,
    /// The member's generation, or -1 if it is not a member (yet).
    pub generation_id: i32,
    /// The member id, empty if it is not a member (yet).
    pub member_id: String,
    /// The static member's instance id (`group.instance.id`), if any.
    pub group_instance_id: Option<String>,
}
