//! Partition offsets: `list_offsets` (earliest, latest, max-timestamp, by timestamp),
//! routed to each partition's leader.

use std::collections::BTreeMap;
use std::time::Duration;

use super::KafkaAdminClient;
use crate::client::offsets::OffsetAndTimestamp;
use crate::client::offsets::{
    lookup_offsets, UnknownTopics, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP,
};
use crate::client::TopicPartition;
use crate::config::IsolationLevel;
use crate::error::{KafkaError, Result};

/// Which offset of a partition [`list_offsets`](KafkaAdminClient::list_offsets) looks
/// up (Java's `OffsetSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (under read_committed, the last stable offset).
    Latest,
    /// The offset of the record with the highest timestamp (and that timestamp).
    MaxTimestamp,
    /// The earliest offset whose timestamp is at or after this one (milliseconds
    /// since the epoch).
    Timestamp(i64),
}

impl OffsetSpec {
    fn timestamp(self) -> Result<i64> {
        match self {
            OffsetSpec::Earliest => Ok(EARLIEST_TIMESTAMP),
            OffsetSpec::Latest => Ok(LATEST_TIMESTAMP),
            OffsetSpec::MaxTimestamp => Ok(MAX_TIMESTAMP),
            OffsetSpec::Timestamp(t) if t >= 0 => Ok(t),
            OffsetSpec::Timestamp(t) => Err(KafkaError::invalid_argument(format!(
                "the timestamp {t} is negative"
            ))),
        }
    }
}

impl KafkaAdminClient {
    /// Looks up offsets of partitions at their leaders: for each, the offset `specs`
    /// asks for, with its record's timestamp and leader epoch where the broker gives
    /// them. `Ok(None)` for a timestamp with no record at or after it; a partition of
    /// an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION without holding up the
    /// others.
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// use std::time::Duration;
    /// use kafka_sync::admin::OffsetSpec;
    /// use kafka_sync::{AdminConfig, IsolationLevel, KafkaAdminClient, TopicPartition};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let specs = BTreeMap::from([(TopicPartition::new("events", 0), OffsetSpec::Latest)]);
    /// for (tp, found) in admin.list_offsets(&specs, IsolationLevel::ReadCommitted, Duration::from_secs(10))? {
    ///     println!("{tp}: {:?}", found?.map(|o| o.offset));
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn list_offsets(
        &self,
        specs: &BTreeMap<TopicPartition, OffsetSpec>,
        isolation: IsolationLevel,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<Option<OffsetAndTimestamp>>>> {
        let query = specs
            .iter()
            .map(|(tp, spec)| Ok((tp.clone(), spec.timestamp()?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            Ok(lookup_offsets(
                client,
                isolation,
                &query,
                UnknownTopics::Fail,
                deadline,
            ))
        })
    }
}
