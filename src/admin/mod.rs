//! [`KafkaAdminClient`]: manage topics, partitions, configs, ACLs, consumer groups,
//! offsets, records, log dirs, SCRAM users and transactions, and inspect the cluster.
//!
//! Every call blocks the calling thread until the brokers answer or the call's timeout
//! passes, retrying in the meantime what can succeed if asked again (a broker that
//! cannot be reached, NOT_CONTROLLER, NOT_COORDINATOR, a coordinator still loading, a
//! leader that moved). Calls that act on several items return one result per item, so
//! one bad topic, group or partition does not hide what happened to the others; the
//! outer `Result` is for failures of the whole call (a timeout, no broker reachable).
//!
//! | call | Kafka API | sent to |
//! | --- | --- | --- |
//! | [`create_topics`](KafkaAdminClient::create_topics), [`validate_new_topics`](KafkaAdminClient::validate_new_topics) | CreateTopics | the controller |
//! | [`delete_topics`](KafkaAdminClient::delete_topics) | DeleteTopics | the controller |
//! | [`create_partitions`](KafkaAdminClient::create_partitions) | CreatePartitions | the controller |
//! | [`list_topics`](KafkaAdminClient::list_topics), [`describe_topics`](KafkaAdminClient::describe_topics), [`describe_topics_by_id`](KafkaAdminClient::describe_topics_by_id), [`describe_cluster`](KafkaAdminClient::describe_cluster) | Metadata | any broker |
//! | [`list_offsets`](KafkaAdminClient::list_offsets) | ListOffsets | each partition's leader |
//! | [`describe_configs`](KafkaAdminClient::describe_configs) | DescribeConfigs | the broker itself for broker and logger configs, else any broker |
//! | [`incremental_alter_configs`](KafkaAdminClient::incremental_alter_configs) | IncrementalAlterConfigs | as `describe_configs` |
//! | [`alter_configs`](KafkaAdminClient::alter_configs) | AlterConfigs | as `describe_configs` |
//! | [`create_acls`](KafkaAdminClient::create_acls), [`describe_acls`](KafkaAdminClient::describe_acls), [`delete_acls`](KafkaAdminClient::delete_acls) | CreateAcls, DescribeAcls, DeleteAcls | any broker (forwarded to the controller) |
//! | [`list_consumer_groups`](KafkaAdminClient::list_consumer_groups) | ListGroups | every broker |
//! | [`describe_consumer_groups`](KafkaAdminClient::describe_consumer_groups) | ConsumerGroupDescribe, then DescribeGroups for classic groups | the group's coordinator |
//! | [`delete_consumer_groups`](KafkaAdminClient::delete_consumer_groups) | DeleteGroups | the group's coordinator |
//! | [`list_consumer_group_offsets`](KafkaAdminClient::list_consumer_group_offsets) | OffsetFetch | the group's coordinator |
//! | [`alter_consumer_group_offsets`](KafkaAdminClient::alter_consumer_group_offsets) | OffsetCommit | the group's coordinator |
//! | [`delete_consumer_group_offsets`](KafkaAdminClient::delete_consumer_group_offsets) | OffsetDelete | the group's coordinator |
//! | [`remove_members_from_consumer_group`](KafkaAdminClient::remove_members_from_consumer_group) | LeaveGroup | the group's coordinator |
//! | [`consumer_group_lag`](KafkaAdminClient::consumer_group_lag) | OffsetFetch, ListOffsets | the coordinator, then the leaders |
//! | [`delete_records`](KafkaAdminClient::delete_records) | DeleteRecords | each partition's leader |
//! | [`describe_log_dirs`](KafkaAdminClient::describe_log_dirs) | DescribeLogDirs | each broker asked about |
//! | [`elect_leaders`](KafkaAdminClient::elect_leaders) | ElectLeaders | the controller |
//! | [`alter_partition_reassignments`](KafkaAdminClient::alter_partition_reassignments), [`list_partition_reassignments`](KafkaAdminClient::list_partition_reassignments) | AlterPartitionReassignments, ListPartitionReassignments | the controller |
//! | [`describe_user_scram_credentials`](KafkaAdminClient::describe_user_scram_credentials), [`alter_user_scram_credentials`](KafkaAdminClient::alter_user_scram_credentials) | DescribeUserScramCredentials, AlterUserScramCredentials | any broker (forwarded to the controller) |
//! | [`describe_features`](KafkaAdminClient::describe_features) | ApiVersions | the controller's broker, or any |
//! | [`describe_metadata_quorum`](KafkaAdminClient::describe_metadata_quorum) | DescribeQuorum | any broker (forwarded to the controller) |
//! | [`describe_producers`](KafkaAdminClient::describe_producers) | DescribeProducers | each partition's leader |
//! | [`list_transactions`](KafkaAdminClient::list_transactions) | ListTransactions | every broker |
//! | [`describe_transactions`](KafkaAdminClient::describe_transactions) | DescribeTransactions | each id's transaction coordinator |
//! | [`broker_api_versions`](KafkaAdminClient::broker_api_versions) | ApiVersions | every broker |
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::{AdminConfig, KafkaAdminClient, NewTopic};
//!
//! let admin = KafkaAdminClient::new(AdminConfig::new("127.0.0.1:9092"))?;
//! for result in admin.create_topics(&[NewTopic::new("events", 3, 1)], Duration::from_secs(10))? {
//!     match result.result {
//!         Ok(()) => println!("created {}", result.topic),
//!         Err(e) => println!("{}: {e}", result.topic),
//!     }
//! }
//! println!("{:?}", admin.list_topics(Duration::from_secs(10))?);
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```
//!
//! `examples/admin.rs` tours the common calls.

mod acls;
mod cluster;
mod configs;
mod group_offsets;
mod groups;
mod logs;
mod offsets;
mod routing;
mod topics;
mod transactions;
mod users;

use parking_lot::Mutex;

use crate::client::KafkaClient;
use crate::config::AdminConfig;
use crate::error::{ErrorCode, KafkaError, Result};

pub use cluster::{ClusterDescription, FeatureMetadata, QuorumInfo, QuorumReplica};
pub use configs::{
    AlterConfigOp, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigResourceType,
    ConfigSource, ConfigSynonym, ConfigType,
};
pub use group_offsets::{MemberToRemove, PartitionLag};
pub use groups::{
    ConsumerGroupDescription, GroupListing, GroupState, GroupType, MemberDescription,
};
pub use offsets::OffsetSpec;
pub use topics::{NewPartitions, NewTopic, TopicResult};
pub use transactions::{ProducerState, TransactionDescription, TransactionListing};
// Re-exports of acls.rs and users.rs:
pub use acls::{
    AccessControlEntry, AccessControlEntryFilter, AclBinding, AclBindingFilter, AclOperation,
    AclPermissionType, PatternType, ResourcePattern, ResourcePatternFilter, ResourceType,
};
pub use users::{
    ScramCredentialInfo, ScramMechanism, UserScramCredentialAlteration,
    UserScramCredentialDeletion, UserScramCredentialUpsertion,
};
// Re-exports of logs.rs:
pub use logs::{ElectionType, LogDirDescription, PartitionReassignment, ReplicaInfo};

/// A client for cluster administration. `Send + Sync`: share it between threads; calls
/// from several threads take turns.
pub struct KafkaAdminClient {
    client: Mutex<KafkaClient>,
}

/// Written by hand: the client's state as the cluster client shows it (no buffered bytes,
/// no secrets), or "busy" while a call holds it.
impl std::fmt::Debug for KafkaAdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("KafkaAdminClient");
        match self.client.try_lock() {
            Some(client) => d.field("client", &*client),
            None => d.field("client", &"busy"),
        };
        d.finish()
    }
}

impl KafkaAdminClient {
    /// An admin client for the cluster `config` names. It connects on first use; an
    /// invalid configuration is an error here.
    pub fn new(config: AdminConfig) -> Result<Self> {
        Ok(KafkaAdminClient {
            client: Mutex::new(KafkaClient::new(config.client)?),
        })
    }

    /// Runs `call` with the client; each call gets the lock for its whole exchange.
    fn with_client<T>(&self, call: impl FnOnce(&mut KafkaClient) -> Result<T>) -> Result<T> {
        let mut client = self.client.lock();
        call(&mut client)
    }
}

/// Turns a per-item error code and message into a result.
fn item_result(code: i16, message: Option<&str>, context: &str) -> Result<()> {
    let code = ErrorCode(code);
    if code.is_ok() {
        return Ok(());
    }
    let err = KafkaError::broker(code, context);
    Err(match message {
        Some(m) if !m.is_empty() => err.context(m),
        _ => err,
    })
}
