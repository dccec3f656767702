//! [`KafkaAdminClient`]: manage topics and inspect the cluster.
//!
//! Every call blocks the calling thread until the broker answers or the call's timeout
//! passes. Calls that act on several topics return one result per topic, so one bad
//! topic does not hide what happened to the others.
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

mod acls;
mod cluster;
mod configs;
mod group_offsets;
mod groups;
mod logs;
mod offsets;
mod routing;
mod topics;
mod users;

use parking_lot::Mutex;

use crate::client::KafkaClient;
use crate::config::AdminConfig;
use crate::error::{ErrorCode, KafkaError, Result};

pub use cluster::ClusterDescription;
pub use configs::{
    AlterConfigOp, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigResourceType,
    ConfigSource, ConfigSynonym, ConfigType,
};
pub use group_offsets::{MemberToRemove, PartitionLag};
pub use groups::{
    ConsumerGroupDescription, GroupListing, GroupState, GroupType, MemberDescription,
};
pub use offsets::OffsetSpec;
pub use topics::{NewTopic, TopicResult};
// Re-exports of acls.rs and users.rs:
// Re-exports of logs.rs:

/// A client for cluster administration. `Send + Sync`: share it between threads; calls
/// from several threads take turns.
pub struct KafkaAdminClient {
    client: Mutex<KafkaClient>,
}

/// Written by hand: the client's state as [`KafkaClient`] shows it (no buffered bytes,
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
