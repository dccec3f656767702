//! Low-level API: the Kafka wire protocol, sans I/O: primitives, headers, and one
//! schema per API. [`RawClient`](crate::RawClient) sends these requests to brokers.
//!
//! Nothing here touches a socket: requests are encoded into byte buffers and responses
//! decoded from them, so everything is tested with golden bytes and fuzzed.

pub mod api;
pub mod api_key;
pub mod header;
pub mod primitives;
pub mod schema;

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod api_versions;
pub mod consumer_group_heartbeat;
pub mod create_topics;
pub mod delete_topics;
pub mod describe_cluster;
pub mod end_txn;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod produce;
pub mod sasl;
pub mod sync_group;
pub mod txn_offset_commit;
// Admin APIs, group A:
pub mod alter_configs;
pub mod alter_partition_reassignments;
pub mod create_acls;
pub mod create_partitions;
pub mod delete_acls;
pub mod delete_records;
pub mod describe_acls;
pub mod describe_configs;
pub mod describe_log_dirs;
pub mod elect_leaders;
pub mod incremental_alter_configs;
pub mod list_partition_reassignments;
// Admin APIs, group B:
pub mod alter_user_scram_credentials;
pub mod consumer_group_describe;
pub mod delete_groups;
pub mod describe_groups;
pub mod describe_producers;
pub mod describe_quorum;
pub mod describe_transactions;
pub mod describe_user_scram_credentials;
pub mod list_groups;
pub mod list_transactions;
pub mod offset_delete;

#[cfg(test)]
pub(crate) mod testing;

/// Entry points for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub mod fuzzing {
    use bytes::Bytes;

    use super::api::{decode_both, SUPPORTED_APIS};

    /// Decodes `frame` as a request and a response of the API `api` picks (modulo
    /// the number of APIs) at the version `version` picks (modulo the API's range).
    /// Must return for any input.
    pub fn decode_any(api: u8, version: u8, frame: &[u8]) {
        let index = usize::from(api) % SUPPORTED_APIS.len();
        let support = &SUPPORTED_APIS[index];
        let span = i32::from(support.max_version) - i32::from(support.min_version) + 1;
        let offset = i32::from(version) % span.max(1);
        let version =
            i16::try_from(i32::from(support.min_version) + offset).unwrap_or(support.min_version);
        decode_both(index, version, Bytes::copy_from_slice(frame));
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_api_and_version_is_reachable_and_junk_is_refused_without_panic() {
            let apis = u8::try_from(SUPPORTED_APIS.len()).expect("fewer than 256 APIs");
            for api in 0..apis {
                let support = &SUPPORTED_APIS[usize::from(api)];
                let span = support.max_version - support.min_version + 1;
                for version in 0..u8::try_from(span).expect("a small range") {
                    for frame in [&[][..], &[0xff; 7][..], &[0, 0, 0, 1, 0, 0, 0, 0][..]] {
                        decode_any(api, version, frame);
                    }
                }
            }
        }
    }
}

/// Every request and response type, for `use kafka_sync::protocol::messages::*`.
pub mod messages {
    pub use super::add_offsets_to_txn::*;
    pub use super::add_partitions_to_txn::*;
    pub use super::api_versions::*;
    pub use super::consumer_group_heartbeat::*;
    pub use super::create_topics::*;
    pub use super::delete_topics::*;
    pub use super::describe_cluster::*;
    pub use super::end_txn::*;
    pub use super::fetch::*;
    pub use super::find_coordinator::*;
    pub use super::heartbeat::*;
    pub use super::init_producer_id::*;
    pub use super::join_group::*;
    pub use super::leave_group::*;
    pub use super::list_offsets::*;
    pub use super::metadata::*;
    pub use super::offset_commit::*;
    pub use super::offset_fetch::*;
    pub use super::offset_for_leader_epoch::*;
    pub use super::produce::*;
    pub use super::sasl::*;
    pub use super::sync_group::*;
    pub use super::txn_offset_commit::*;
    // Admin APIs, group A:
    pub use super::alter_configs::*;
    pub use super::alter_partition_reassignments::*;
    pub use super::create_acls::*;
    pub use super::create_partitions::*;
    pub use super::delete_acls::*;
    pub use super::delete_records::*;
    pub use super::describe_acls::*;
    pub use super::describe_configs::*;
    pub use super::describe_log_dirs::*;
    pub use super::elect_leaders::*;
    pub use super::incremental_alter_configs::*;
    pub use super::list_partition_reassignments::*;
    // Admin APIs, group B:
    pub use super::alter_user_scram_credentials::*;
    pub use super::consumer_group_describe::*;
    pub use super::delete_groups::*;
    pub use super::describe_groups::*;
    pub use super::describe_producers::*;
    pub use super::describe_quorum::*;
    pub use super::describe_transactions::*;
    pub use super::describe_user_scram_credentials::*;
    pub use super::list_groups::*;
    pub use super::list_transactions::*;
    pub use super::offset_delete::*;
}

pub use api::{ApiSupport, Request};
pub use api_key::ApiKey;
pub use schema::{Ctx, Field, Uuid};
