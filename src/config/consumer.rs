//! [`ConsumerConfig`]: the consumer's settings, with the Java client's defaults (and
//! kafka-python's where the two differ in a way that matters, as noted).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use super::settings::{
    config_struct, parse_i32, parse_list, parse_optional_text, parse_trimmed, parse_value,
};
use super::{
    parse_bool, parse_ms, parse_size, read_properties, ClientConfig, ClientKind, UnusedKeys,
};
use crate::error::{KafkaError, Result};

/// Room left in `receive.message.max.bytes` for a fetch answer's headers beyond
/// `fetch.max.bytes` of records (librdkafka keeps 512 bytes; the headers of a few
/// thousand partitions need more).
const FETCH_RESPONSE_OVERHEAD: i64 = 64 * 1024;

/// What to do when a partition has no committed offset, or its position is out of
/// range (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OffsetReset {
    /// Start from the oldest record still in the log.
    Earliest,
    /// Start after the newest record: read only what is produced from now on. The
    /// default.
    Latest,
    /// Fail: `poll()` returns an error naming the partitions without a position.
    None,
}

impl FromStr for OffsetReset {
    type Err = KafkaError;
    fn from_str(s: &str) -> Result<OffsetReset> {
        match s.trim().to_ascii_lowercase().as_str() {
            "earliest" | "smallest" => Ok(OffsetReset::Earliest),
            "latest" | "largest" => Ok(OffsetReset::Latest),
            "none" => Ok(OffsetReset::None),
            _ => Err(KafkaError::config(
                "auto.offset.reset",
                format!("`{s}` is not earliest, latest or none"),
            )),
        }
    }
}

/// Which records of transactional producers a consumer sees (`isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// Every record, including those of open and aborted transactions. The default.
    ReadUncommitted,
    /// Only committed records, and only up to the last stable offset.
    ReadCommitted,
}

impl IsolationLevel {
    /// The value sent in Fetch and ListOffsets requests.
    pub fn as_i8(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

impl FromStr for IsolationLevel {
    type Err = KafkaError;
    fn from_str(s: &str) -> Result<IsolationLevel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read_uncommitted" => Ok(IsolationLevel::ReadUncommitted),
            "read_committed" => Ok(IsolationLevel::ReadCommitted),
            _ => Err(KafkaError::config(
                "isolation.level",
                format!("`{s}` is not read_uncommitted or read_committed"),
            )),
        }
    }
}

/// How a consumer takes part in its group (`group.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GroupProtocol {
    /// The classic protocol (JoinGroup and SyncGroup): the members' elected leader
    /// computes the assignment with `partition.assignment.strategy`, and every
    /// rebalance goes through a synchronisation barrier. The default, as in the Java
    /// client 4.x; every broker has it.
    #[default]
    Classic,
    /// The consumer protocol of KIP-848 (Kafka 4.0 and later): the broker computes the
    /// assignment (`group.remote.assignor`) and moves partitions one member at a
    /// time, with no stop-the-world rebalance. Session timeout and heartbeat interval
    /// are then the broker's (`group.consumer.session.timeout.ms`,
    /// `group.consumer.heartbeat.interval.ms`); `session.timeout.ms`,
    /// `heartbeat.interval.ms` and `partition.assignment.strategy` are not used.
    Consumer,
}

impl FromStr for GroupProtocol {
    type Err = KafkaError;
    fn from_str(s: &str) -> Result<GroupProtocol> {
        match s.trim().to_ascii_lowercase().as_str() {
            "classic" => Ok(GroupProtocol::Classic),
            "consumer" => Ok(GroupProtocol::Consumer),
            _ => Err(KafkaError::config(
                "group.protocol",
                format!("`{s}` is not classic or consumer"),
            )),
        }
    }
}

impl fmt::Display for GroupProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        })
    }
}

/// A partition assignment strategy (`partition.assignment.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignmentStrategy {
    /// `range` (Java's `RangeAssignor`).
    Range,
    /// `roundrobin` (Java's `RoundRobinAssignor`).
    RoundRobin,
    /// `sticky` (Java's `StickyAssignor`), with eager rebalancing.
    Sticky,
    /// `cooperative-sticky` (Java's `CooperativeStickyAssignor`), with incremental
    /// rebalancing: members keep consuming the partitions that do not move.
    CooperativeSticky,
}

impl AssignmentStrategy {
    /// The protocol name members announce in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            AssignmentStrategy::Range => "range",
            AssignmentStrategy::RoundRobin => "roundrobin",
            AssignmentStrategy::Sticky => "sticky",
            AssignmentStrategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// The strategy announced as `name`.
    pub fn from_name(name: &str) -> Option<AssignmentStrategy> {
        [
            AssignmentStrategy::Range,
            AssignmentStrategy::RoundRobin,
            AssignmentStrategy::Sticky,
            AssignmentStrategy::CooperativeSticky,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Whether the strategy supports incremental (cooperative) rebalancing.
    pub fn is_cooperative(self) -> bool {
        self == AssignmentStrategy::CooperativeSticky
    }
}

impl fmt::Display for AssignmentStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AssignmentStrategy {
    type Err = KafkaError;
    /// Accepts the protocol names and the Java class names
    /// (`org.apache.kafka.clients.consumer.RangeAssignor`, ...).
    fn from_str(s: &str) -> Result<AssignmentStrategy> {
        let s = s.trim();
        let short = s.rsplit('.').next().unwrap_or(s);
        let strategy = match short.to_ascii_lowercase().as_str() {
            "range" | "rangeassignor" => Some(AssignmentStrategy::Range),
            "roundrobin" | "roundrobinassignor" => Some(AssignmentStrategy::RoundRobin),
            "sticky" | "stickyassignor" => Some(AssignmentStrategy::Sticky),
            "cooperative-sticky" | "cooperativestickyassignor" => {
                Some(AssignmentStrategy::CooperativeSticky)
            }
            _ => None,
        };
        strategy.ok_or_else(|| {
            KafkaError::config(
                "partition.assignment.strategy",
                format!("`{s}` is not range, roundrobin, sticky or cooperative-sticky"),
            )
        })
    }
}

config_struct! {
    /// Configuration of a [`KafkaConsumer`](crate::KafkaConsumer).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafka_sync::{ConsumerConfig, OffsetReset};
    ///
    /// let config = ConsumerConfig::new("127.0.0.1:9092")
    ///     .group_id("billing")
    ///     .auto_offset_reset(OffsetReset::Earliest)
    ///     .session_timeout(Duration::from_secs(10))
    ///     .set("max.poll.records", "1000")?;
    /// assert_eq!(config.max_poll_records, 1000);
    /// assert!(ConsumerConfig::new("h:1").set("max.poll.records", "many").is_err());
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct ConsumerConfig {
        fn new(bootstrap_servers);
        fields {
            /// Settings shared by all clients (bootstrap servers, client id, timeouts...).
            pub client: ClientConfig = ClientConfig::new(bootstrap_servers);
            /// Keys accepted but not used (see the [module documentation](super)).
            unused: UnusedKeys = UnusedKeys::default();
        }
        settings {
            /// `group.id`: the consumer group to join for `subscribe()` and to commit
            /// offsets to. Default none: only `assign()` works, and nothing is committed.
            group_id: Option<String> = None, "group.id" => parse_optional_text, setter some;
            /// `group.instance.id`: a stable member identity for static membership
            /// (KIP-345): a restart within the session timeout gets its partitions back
            /// without a rebalance. Default none.
            group_instance_id: Option<String> = None, "group.instance.id" => parse_optional_text, setter some;
            /// `group.protocol`: the classic group protocol or KIP-848's consumer
            /// protocol. Default [`GroupProtocol::Classic`].
            ///
            /// ```
            /// use kafka_sync::{ConsumerConfig, GroupProtocol};
            ///
            /// let config = ConsumerConfig::new("127.0.0.1:9092")
            ///     .group_id("billing")
            ///     .group_protocol(GroupProtocol::Consumer);
            /// assert_eq!(config.group_protocol, GroupProtocol::Consumer);
            /// ```
            group_protocol: GroupProtocol = GroupProtocol::Classic, "group.protocol" => parse_value, setter;
            /// `group.remote.assignor`: with the consumer protocol, the broker-side
            /// assignor to use (`uniform` or `range` on Apache Kafka); `None` (the
            /// default) leaves the choice to the broker (its first
            /// `group.consumer.assignors`).
            group_remote_assignor: Option<String> = None, "group.remote.assignor" => parse_optional_text, setter some;
            /// `auto.offset.reset`: default [`OffsetReset::Latest`].
            auto_offset_reset: OffsetReset = OffsetReset::Latest, "auto.offset.reset" => parse_value, setter;
            /// `enable.auto.commit`: commit the positions in the background of `poll()`
            /// every `auto_commit_interval`, before a rebalance and on close. Default
            /// true (only in effect with a group id).
            enable_auto_commit: bool = true, "enable.auto.commit" => parse_bool, setter;
            /// `auto.commit.interval.ms`: default 5 s.
            auto_commit_interval: Duration = Duration::from_secs(5), "auto.commit.interval.ms" => parse_ms, setter;
            /// `fetch.min.bytes`: the least data a fetch answer should hold; the broker
            /// waits up to `fetch_max_wait` for it. Default 1.
            fetch_min_bytes: i32 = 1, "fetch.min.bytes" => parse_i32, setter;
            /// `fetch.max.bytes`: the most data one fetch answer should hold. Default
            /// 50 MiB.
            fetch_max_bytes: i32 = 50 * 1024 * 1024, "fetch.max.bytes" => parse_i32, setter;
            /// `fetch.max.wait.ms`: how long the broker may hold a fetch for
            /// `fetch_min_bytes`. Default 500 ms.
            fetch_max_wait: Duration = Duration::from_millis(500), "fetch.max.wait.ms" => parse_ms, setter;
            /// `max.partition.fetch.bytes`: the most data per partition in one fetch
            /// answer. Default 1 MiB.
            max_partition_fetch_bytes: i32 = 1024 * 1024, "max.partition.fetch.bytes" => parse_i32, setter;
            /// `max.poll.records`: the most records one `poll()` returns. Default 500.
            max_poll_records: usize = 500, "max.poll.records" => parse_size, setter;
            /// `max.poll.interval.ms`: a group member that does not call `poll()` for
            /// this long leaves the group so that others take its partitions. Also the
            /// rebalance timeout. Default 5 min.
            max_poll_interval: Duration = Duration::from_secs(300), "max.poll.interval.ms" => parse_ms, setter;
            /// `session.timeout.ms`: the coordinator drops a member it has not heard from
            /// for this long. Default 45 s (the Java client's since Kafka 3.0;
            /// kafka-python uses 10 s).
            session_timeout: Duration = Duration::from_secs(45), "session.timeout.ms" => parse_ms, setter;
            /// `heartbeat.interval.ms`: how often the heartbeat thread tells the
            /// coordinator the member is alive. Must be less than the session timeout.
            /// Default 3 s.
            heartbeat_interval: Duration = Duration::from_secs(3), "heartbeat.interval.ms" => parse_ms, setter;
            /// `partition.assignment.strategy`: the assignors this member offers,
            /// preferred first; the group uses the first one every member supports.
            /// Default range, then roundrobin (kafka-python's default).
            partition_assignment_strategy: Vec<AssignmentStrategy> =
                vec![AssignmentStrategy::Range, AssignmentStrategy::RoundRobin],
                "partition.assignment.strategy" => parse_list;
            /// `isolation.level`: default [`IsolationLevel::ReadUncommitted`].
            isolation_level: IsolationLevel = IsolationLevel::ReadUncommitted, "isolation.level" => parse_value, setter;
            /// `check.crcs`: verify the CRC of every fetched batch. Default true.
            check_crcs: bool = true, "check.crcs" => parse_bool, setter;
            /// `exclude.internal.topics`: pattern subscriptions never match internal
            /// topics such as `__consumer_offsets`. Default true.
            exclude_internal_topics: bool = true, "exclude.internal.topics" => parse_bool;
            /// `allow.auto.create.topics`: let brokers that are configured to do so
            /// create a subscribed topic that does not exist. Default true.
            allow_auto_create_topics: bool = true, "allow.auto.create.topics" => parse_bool;
            /// `client.rack`: the rack of this consumer, sent with fetches. Default empty.
            client_rack: String = String::new(), "client.rack" => parse_trimmed;
            /// `default.api.timeout.ms`: the timeout of blocking calls that take none
            /// (`committed`, `position`, `beginning_offsets`, `commit`, `close`...).
            /// Default 60 s.
            default_api_timeout: Duration = Duration::from_secs(60), "default.api.timeout.ms" => parse_ms, setter;
        }
    }
}

impl ConsumerConfig {
    /// The keys given to [`set`](Self::set) or [`from_properties`](Self::from_properties)
    /// that this config accepted without using them, in the order first given: keys of
    /// the Java producer and admin client, and Java consumer keys kafka-sync does not
    /// implement (see the [module documentation](super)).
    pub fn unused_keys(&self) -> &[String] {
        self.unused.keys()
    }

    /// Why `key`, one of [`unused_keys`](Self::unused_keys), is not used.
    pub fn unused_key_reason(&self, key: &str) -> Option<&str> {
        self.unused.reason(key)
    }

    /// `client.id`.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client.client_id = id.into();
        self
    }

    /// `partition.assignment.strategy`, preferred first.
    pub fn partition_assignment_strategy(mut self, strategies: &[AssignmentStrategy]) -> Self {
        self.partition_assignment_strategy = strategies.to_vec();
        self
    }

    /// `metadata.max.age.ms`: how often metadata is refreshed, which is also how soon a
    /// pattern subscription sees a new topic. Default 5 min.
    pub fn metadata_max_age(mut self, age: Duration) -> Self {
        self.client.metadata_max_age = age;
        self
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.client.request_timeout = timeout;
        self
    }

    /// Sets a setting by its Java property name. Keys of the other Java clients, and
    /// Java consumer keys kafka-sync does not implement, are accepted and listed by
    /// [`unused_keys`](Self::unused_keys); other unknown keys and bad values are errors
    /// naming the key.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        if !self.set_from_table(key, value)? && !self.client.set(key, value)? {
            self.unused.accept(ClientKind::Consumer, key)?;
        }
        Ok(self)
    }

    /// Reads Java-style `key=value` properties from a file (see
    /// [`parse_properties`](super::parse_properties)); keys of other clients are
    /// accepted as by [`set`](Self::set).
    pub fn from_properties(path: impl AsRef<Path>) -> Result<Self> {
        let mut config = ConsumerConfig::new("");
        for (key, value) in read_properties(path.as_ref())? {
            config = config.set(&key, &value)?;
        }
        Ok(config)
    }

    /// Checks the settings together; the error names the offending key.
    pub fn validate(&self) -> Result<()> {
        self.client.validate()?;
        if self.group_id.as_deref() == Some("") {
            return Err(KafkaError::config("group.id", "must not be empty"));
        }
        if self.group_instance_id.is_some() && self.group_id.is_none() {
            return Err(KafkaError::config(
                "group.instance.id",
                "needs a group.id as well",
            ));
        }
        if self.group_remote_assignor.is_some() && self.group_protocol != GroupProtocol::Consumer {
            return Err(KafkaError::config(
                "group.remote.assignor",
                "is for group.protocol=consumer; the classic protocol's assignors are \
                 partition.assignment.strategy",
            ));
        }
        if self.max_poll_records == 0 {
            return Err(KafkaError::config("max.poll.records", "must be at least 1"));
        }
        if self.fetch_max_bytes <= 0 {
            return Err(KafkaError::config("fetch.max.bytes", "must be positive"));
        }
        if self.max_partition_fetch_bytes <= 0 {
            return Err(KafkaError::config(
                "max.partition.fetch.bytes",
                "must be positive",
            ));
        }
        // A fetch answer holds up to fetch.max.bytes of records plus headers (and more
        // when one batch is larger: the broker sends it anyway so that the consumer
        // makes progress). An answer larger than receive.message.max.bytes is refused
        // by the connection, so the pair must leave room for the former in the latter.
        let fetch_room = i64::from(self.fetch_max_bytes).saturating_add(FETCH_RESPONSE_OVERHEAD);
        if fetch_room > i64::try_from(self.client.max_response_size).unwrap_or(i64::MAX) {
            return Err(KafkaError::config(
                "fetch.max.bytes",
                format!(
                    "({} bytes) must be at least {FETCH_RESPONSE_OVERHEAD} bytes below receive.message.max.bytes ({} bytes)",
                    self.fetch_max_bytes, self.client.max_response_size
                ),
            ));
        }
        if self.fetch_min_bytes < 0 {
            return Err(KafkaError::config(
                "fetch.min.bytes",
                "must not be negative",
            ));
        }
        if millis_i32(self.fetch_max_wait).is_none() {
            return Err(KafkaError::config("fetch.max.wait.ms", "is too large"));
        }
        if self.session_timeout.is_zero() || millis_i32(self.session_timeout).is_none() {
            return Err(KafkaError::config(
                "session.timeout.ms",
                "must be positive and fit 32 bits",
            ));
        }
        if self.max_poll_interval.is_zero() || millis_i32(self.max_poll_interval).is_none() {
            return Err(KafkaError::config(
                "max.poll.interval.ms",
                "must be positive and fit 32 bits",
            ));
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_interval >= self.session_timeout {
            return Err(KafkaError::config(
                "heartbeat.interval.ms",
                "must be positive and less than session.timeout.ms",
            ));
        }
        if self.auto_commit_interval.is_zero() {
            return Err(KafkaError::config(
                "auto.commit.interval.ms",
                "must be positive",
            ));
        }
        if self.partition_assignment_strategy.is_empty() {
            return Err(KafkaError::config(
                "partition.assignment.strategy",
                "name at least one assignor",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for OffsetReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
            OffsetReset::None => "none",
        })
    }
}

/// A duration in whole milliseconds, if it fits an `i32` (as the protocol wants).
fn millis_i32(d: Duration) -> Option<i32> {
    i32::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_strategies_by_protocol_and_java_class_name() {
        for s in [
            AssignmentStrategy::Range,
            AssignmentStrategy::RoundRobin,
            AssignmentStrategy::Sticky,
            AssignmentStrategy::CooperativeSticky,
        ] {
            assert_eq!(s.name().parse::<AssignmentStrategy>().unwrap(), s);
            assert_eq!(AssignmentStrategy::from_name(s.name()), Some(s));
        }
        assert_eq!(
            "org.apache.kafka.clients.consumer.RoundRobinAssignor"
                .parse::<AssignmentStrategy>()
                .unwrap(),
            AssignmentStrategy::RoundRobin
        );
        assert!("fair".parse::<AssignmentStrategy>().is_err());
    }

    #[test]
    fn defaults_follow_the_java_client() {
        let c = ConsumerConfig::new("h:1");
        assert_eq!(c.auto_offset_reset, OffsetReset::Latest);
        assert!(c.enable_auto_commit);
        assert_eq!(c.max_poll_records, 500);
        assert_eq!(c.fetch_max_wait, Duration::from_millis(500));
        assert_eq!(c.max_partition_fetch_bytes, 1 << 20);
        c.validate().unwrap();
    }

    #[test]
    fn java_names_and_errors_name_the_key() {
        let c = ConsumerConfig::new("h:1")
            .set("group.id", "g")
            .unwrap()
            .set("auto.offset.reset", "earliest")
            .unwrap()
            .set(
                "partition.assignment.strategy",
                "roundrobin, org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            )
            .unwrap()
            .set("isolation.level", "read_committed")
            .unwrap()
            .set("request.timeout.ms", "1000")
            .unwrap();
        assert_eq!(c.group_id.as_deref(), Some("g"));
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert_eq!(
            c.partition_assignment_strategy,
            vec![
                AssignmentStrategy::RoundRobin,
                AssignmentStrategy::CooperativeSticky
            ]
        );
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        for (key, value) in [
            ("auto.offset.reset", "sometimes"),
            ("fetch.min.bytes", "x"),
            ("partition.assignment.strategy", "best"),
            ("no.such.setting", "1"),
        ] {
            let err = ConsumerConfig::new("h:1").set(key, value).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn inconsistent_settings_are_refused() {
        let err = ConsumerConfig::new("h:1")
            .session_timeout(Duration::from_secs(3))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("heartbeat.interval.ms"), "{err}");
        let err = ConsumerConfig::new("h:1")
            .group_instance_id("a")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("group.instance.id"), "{err}");
        let err = ConsumerConfig::new("h:1")
            .max_poll_records(0)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("max.poll.records"), "{err}");
    }
}
