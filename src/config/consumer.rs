//! [`ConsumerConfig`]: the consumer's settings, with the Java client's defaults (and
//! kafka-python's where the two differ in a way that matters, as noted).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

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
    /// Settings shared by all clients (bootstrap servers, client id, timeouts...).
    pub client: ClientConfig,
    /// `group.id`: the consumer group to join for `subscribe()` and to commit offsets
    /// to. Default none: only `assign()` works, and nothing is committed.
    pub group_id: Option<String>,
    /// `group.instance.id`: a stable member identity for static membership (KIP-345):
    /// a restart within the session timeout gets its partitions back without a
    /// rebalance. Default none.
    pub group_instance_id: Option<String>,
    /// `group.protocol`: the classic group protocol or KIP-848's consumer protocol.
    /// Default [`GroupProtocol::Classic`].
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor`: with the consumer protocol, the broker-side assignor to
    /// use (`uniform` or `range` on Apache Kafka); `None` (the default) leaves the
    /// choice to the broker (its first `group.consumer.assignors`).
    pub group_remote_assignor: Option<String>,
    /// `auto.offset.reset`: default [`OffsetReset::Latest`].
    pub auto_offset_reset: OffsetReset,
    /// `enable.auto.commit`: commit the positions in the background of `poll()` every
    /// `auto_commit_interval`, before a rebalance and on close. Default true (only in
    /// effect with a group id).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`: default 5 s.
    pub auto_commit_interval: Duration,
    /// `fetch.min.bytes`: the least data a fetch answer should hold; the broker waits up
    /// to `fetch_max_wait` for it. Default 1.
    pub fetch_min_bytes: i32,
    /// `fetch.max.bytes`: the most data one fetch answer should hold. Default 50 MiB.
    pub fetch_max_bytes: i32,
    /// `fetch.max.wait.ms`: how long the broker may hold a fetch for `fetch_min_bytes`.
    /// Default 500 ms.
    pub fetch_max_wait: Duration,
    /// `max.partition.fetch.bytes`: the most data per partition in one fetch answer.
    /// Default 1 MiB.
    pub max_partition_fetch_bytes: i32,
    /// `max.poll.records`: the most records one `poll()` returns. Default 500.
    pub max_poll_records: usize,
    /// `max.poll.interval.ms`: a group member that does not call `poll()` for this long
    /// leaves the group so that others take its partitions. Also the rebalance timeout.
    /// Default 5 min.
    pub max_poll_interval: Duration,
    /// `session.timeout.ms`: the coordinator drops a member it has not heard from for
    /// this long. Default 45 s (the Java client's since Kafka 3.0; kafka-python uses 10 s).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`: how often the heartbeat thread tells the coordinator the
    /// member is alive. Must be less than the session timeout. Default 3 s.
    pub heartbeat_interval: Duration,
    /// `partition.assignment.strategy`: the assignors this member offers, preferred
    /// first; the group uses the first one every member supports. Default range, then
    /// roundrobin (kafka-python's default).
    pub partition_assignment_strategy: Vec<AssignmentStrategy>,
    /// `isolation.level`: default [`IsolationLevel::ReadUncommitted`].
    pub isolation_level: IsolationLevel,
    /// `check.crcs`: verify the CRC of every fetched batch. Default true.
    pub check_crcs: bool,
    /// `exclude.internal.topics`: pattern subscriptions never match internal topics
    /// such as `__consumer_offsets`. Default true.
    pub exclude_internal_topics: bool,
    /// `allow.auto.create.topics`: let brokers that are configured to do so create a
    /// subscribed topic that does not exist. Default true.
    pub allow_auto_create_topics: bool,
    /// `client.rack`: the rack of this consumer, sent with fetches. Default empty.
    pub client_rack: String,
    /// `default.api.timeout.ms`: the timeout of blocking calls that take none
    /// (`committed`, `position`, `beginning_offsets`, `commit`, `close`...). Default 60 s.
    pub default_api_timeout: Duration,
    /// Keys accepted but not used (see the [module documentation](super)).
    unused: UnusedKeys,
}

impl ConsumerConfig {
    /// Defaults with the given bootstrap servers (comma-separated `host:port`).
    pub fn new(bootstrap_servers: &str) -> Self {
        ConsumerConfig {
            client: ClientConfig::new(bootstrap_servers),
            group_id: None,
            group_instance_id: None,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            fetch_min_bytes: 1,
            fetch_max_bytes: 50 * 1024 * 1024,
            fetch_max_wait: Duration::from_millis(500),
            max_partition_fetch_bytes: 1024 * 1024,
            max_poll_records: 500,
            max_poll_interval: Duration::from_secs(300),
            session_timeout: Duration::from_secs(45),
            heartbeat_interval: Duration::from_secs(3),
            partition_assignment_strategy: vec![
                AssignmentStrategy::Range,
                AssignmentStrategy::RoundRobin,
            ],
            isolation_level: IsolationLevel::ReadUncommitted,
            check_crcs: true,
            exclude_internal_topics: true,
            allow_auto_create_topics: true,
            client_rack: String::new(),
            default_api_timeout: Duration::from_secs(60),
            unused: UnusedKeys::default(),
        }
    }

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

    /// `group.id`.
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// `group.instance.id` (static membership).
    pub fn group_instance_id(mut self, id: impl Into<String>) -> Self {
        self.group_instance_id = Some(id.into());
        self
    }

    /// `group.protocol`.
    ///
    /// ```
    /// use kafka_sync::{ConsumerConfig, GroupProtocol};
    ///
    /// let config = ConsumerConfig::new("127.0.0.1:9092")
    ///     .group_id("billing")
    ///     .group_protocol(GroupProtocol::Consumer);
    /// assert_eq!(config.group_protocol, GroupProtocol::Consumer);
    /// ```
    pub fn group_protocol(mut self, protocol: GroupProtocol) -> Self {
        self.group_protocol = protocol;
        self
    }

    /// `group.remote.assignor` (consumer protocol only): `uniform` or `range`.
    pub fn group_remote_assignor(mut self, assignor: impl Into<String>) -> Self {
        self.group_remote_assignor = Some(assignor.into());
        self
    }

    /// `auto.offset.reset`.
    pub fn auto_offset_reset(mut self, reset: OffsetReset) -> Self {
        self.auto_offset_reset = reset;
        self
    }

    /// `enable.auto.commit`.
    pub fn enable_auto_commit(mut self, enable: bool) -> Self {
        self.enable_auto_commit = enable;
        self
    }

    /// `auto.commit.interval.ms`.
    pub fn auto_commit_interval(mut self, interval: Duration) -> Self {
        self.auto_commit_interval = interval;
        self
    }

    /// `fetch.min.bytes`.
    pub fn fetch_min_bytes(mut self, bytes: i32) -> Self {
        self.fetch_min_bytes = bytes;
        self
    }

    /// `fetch.max.bytes`.
    pub fn fetch_max_bytes(mut self, bytes: i32) -> Self {
        self.fetch_max_bytes = bytes;
        self
    }

    /// `fetch.max.wait.ms`.
    pub fn fetch_max_wait(mut self, wait: Duration) -> Self {
        self.fetch_max_wait = wait;
        self
    }

    /// `max.partition.fetch.bytes`.
    pub fn max_partition_fetch_bytes(mut self, bytes: i32) -> Self {
        self.max_partition_fetch_bytes = bytes;
        self
    }

    /// `max.poll.records`.
    pub fn max_poll_records(mut self, records: usize) -> Self {
        self.max_poll_records = records;
        self
    }

    /// `max.poll.interval.ms`.
    pub fn max_poll_interval(mut self, interval: Duration) -> Self {
        self.max_poll_interval = interval;
        self
    }

    /// `session.timeout.ms`.
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// `heartbeat.interval.ms`.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// `partition.assignment.strategy`, preferred first.
    pub fn partition_assignment_strategy(mut self, strategies: &[AssignmentStrategy]) -> Self {
        self.partition_assignment_strategy = strategies.to_vec();
        self
    }

    /// `isolation.level`.
    pub fn isolation_level(mut self, level: IsolationLevel) -> Self {
        self.isolation_level = level;
        self
    }

    /// `check.crcs`.
    pub fn check_crcs(mut self, check: bool) -> Self {
        self.check_crcs = check;
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

    /// `default.api.timeout.ms`.
    pub fn default_api_timeout(mut self, timeout: Duration) -> Self {
        self.default_api_timeout = timeout;
        self
    }

    /// Sets a setting by its Java property name. Keys of the other Java clients, and
    /// Java consumer keys kafka-sync does not implement, are accepted and listed by
    /// [`unused_keys`](Self::unused_keys); other unknown keys and bad values are errors
    /// naming the key.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        if self.client.set(key, value)? {
            return Ok(self);
        }
        let optional = |v: &str| {
            let v = v.trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        match key {
            "group.id" => self.group_id = optional(value),
            "group.instance.id" => self.group_instance_id = optional(value),
            "group.protocol" => self.group_protocol = value.parse()?,
            "group.remote.assignor" => self.group_remote_assignor = optional(value),
            "auto.offset.reset" => self.auto_offset_reset = value.parse()?,
            "enable.auto.commit" => self.enable_auto_commit = parse_bool(key, value)?,
            "auto.commit.interval.ms" => self.auto_commit_interval = parse_ms(key, value)?,
            "fetch.min.bytes" => self.fetch_min_bytes = parse_i32(key, value)?,
            "fetch.max.bytes" => self.fetch_max_bytes = parse_i32(key, value)?,
            "fetch.max.wait.ms" => self.fetch_max_wait = parse_ms(key, value)?,
            "max.partition.fetch.bytes" => self.max_partition_fetch_bytes = parse_i32(key, value)?,
            "max.poll.records" => self.max_poll_records = parse_size(key, value)?,
            "max.poll.interval.ms" => self.max_poll_interval = parse_ms(key, value)?,
            "session.timeout.ms" => self.session_timeout = parse_ms(key, value)?,
            "heartbeat.interval.ms" => self.heartbeat_interval = parse_ms(key, value)?,
            "partition.assignment.strategy" => {
                self.partition_assignment_strategy = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::parse)
                    .collect::<Result<_>>()?
            }
            "isolation.level" => self.isolation_level = value.parse()?,
            "check.crcs" => self.check_crcs = parse_bool(key, value)?,
            "exclude.internal.topics" => self.exclude_internal_topics = parse_bool(key, value)?,
            "allow.auto.create.topics" => self.allow_auto_create_topics = parse_bool(key, value)?,
            "client.rack" => self.client_rack = value.trim().to_owned(),
            "default.api.timeout.ms" => self.default_api_timeout = parse_ms(key, value)?,
            _ => self.unused.accept(ClientKind::Consumer, key)?,
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

fn parse_i32(key: &str, value: &str) -> Result<i32> {
    value
        .trim()
        .parse::<i32>()
        .map_err(|_| KafkaError::config(key, format!("`{value}` is not a 32-bit whole number")))
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
