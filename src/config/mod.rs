//! Configuration: typed builders with the Java client's defaults, and Java property
//! names (`request.timeout.ms`, ...) accepted through `set` and `from_properties`, so an
//! existing `client.properties` file works.
//!
//! ```
//! use std::time::Duration;
//! use kafka_sync::AdminConfig;
//!
//! let config = AdminConfig::new("127.0.0.1:9092")
//!     .client_id("ops")
//!     .request_timeout(Duration::from_secs(10))
//!     .set("reconnect.backoff.max.ms", "2000")
//!     .unwrap();
//! assert!(AdminConfig::new("127.0.0.1:9092").set("no.such.key", "1").is_err());
//! ```

mod consumer;
pub mod security;

pub use consumer::{ConsumerConfig, IsolationLevel, OffsetReset};

mod producer;

pub use producer::{Acks, ProducerConfig};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::{KafkaError, Result};
use crate::net::connection::ConnectionSettings;
pub use crate::net::resolver::DnsLookup;
use crate::net::BrokerAddress;
use crate::protocol::ApiKey;
use security::SecurityConfig;

/// Settings every client (producer, consumer, admin) shares.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` pairs to learn the cluster from. Required.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`: sent with every request, for the broker's logs and quotas.
    /// Default `"kafka-sync"`.
    pub client_id: String,
    /// `request.timeout.ms`: how long to wait for a response. Default 30 s.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`: how long connecting (TCP and the
    /// ApiVersions handshake) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// `reconnect.backoff.ms`: wait before reconnecting to a broker. Default 50 ms.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`: the cap of the exponential reconnect back-off.
    /// Default 1 s.
    pub reconnect_backoff_max: Duration,
    /// `retry.backoff.ms`: wait before retrying a failed request. Default 100 ms.
    pub retry_backoff: Duration,
    /// `metadata.max.age.ms`: refresh metadata at least this often. Default 5 min.
    pub metadata_max_age: Duration,
    /// `receive.message.max.bytes`: the largest response accepted. Default 100 MiB.
    pub max_response_size: usize,
    /// `send.buffer.bytes`: socket send buffer; 0 or -1 uses the OS default (the default).
    pub send_buffer_bytes: usize,
    /// `receive.buffer.bytes`: socket receive buffer; 0 or -1 uses the OS default (the
    /// default).
    pub receive_buffer_bytes: usize,
    /// `security.protocol`, `ssl.*` and `sasl.*`: TLS and SASL (see [`security`]).
    /// Default: plaintext without authentication.
    pub security: SecurityConfig,
    /// The highest version to use of an API, below what brokers announce (no Java
    /// property name: the Java client has no such setting). Empty by default, which is
    /// almost always right: every request uses the highest version both sides support.
    /// It is for brokers that announce versions they do not implement; see
    /// [`max_api_version`](Self::max_api_version).
    pub max_api_versions: BTreeMap<ApiKey, i16>,
    /// `client.dns.lookup`: `use_all_dns_ips` (the default: try every address a name
    /// resolves to) or `resolve_canonical_bootstrap_servers_only` (bootstrap names are
    /// replaced by the canonical names of their addresses, which TLS then verifies).
    /// Names are looked up off the network thread either way.
    pub client_dns_lookup: DnsLookup,
    /// `metadata.recovery.strategy`: what to do when no broker the metadata named can
    /// be reached. Default [`MetadataRecovery::Rebootstrap`], as in Kafka 4.
    pub metadata_recovery: MetadataRecovery,
    /// `metadata.recovery.rebootstrap.trigger.ms`: with
    /// [`MetadataRecovery::Rebootstrap`], also start over from the bootstrap servers
    /// when metadata was wanted but none came for this long, even though some broker
    /// can still be reached (KIP-1102). Default 5 min.
    pub metadata_recovery_rebootstrap_trigger: Duration,
}

/// The `metadata.recovery.strategy` setting (KIP-899).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataRecovery {
    /// Keep trying the brokers the last metadata named (`none`).
    None,
    /// When none of them can be reached, forget them and learn the cluster again from
    /// `bootstrap.servers`, whose names are looked up again (`rebootstrap`): a cluster
    /// that came back on new addresses is found.
    #[default]
    Rebootstrap,
}

impl MetadataRecovery {
    /// Parses a Java property value.
    pub fn from_name(value: &str) -> Option<MetadataRecovery> {
        match value.trim() {
            "none" => Some(MetadataRecovery::None),
            "rebootstrap" => Some(MetadataRecovery::Rebootstrap),
            _ => None,
        }
    }
}

impl ClientConfig {
    /// Defaults with the given bootstrap servers (comma-separated `host:port`).
    pub fn new(bootstrap_servers: &str) -> Self {
        ClientConfig {
            bootstrap_servers: split_servers(bootstrap_servers),
            client_id: "kafka-sync".to_owned(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            retry_backoff: Duration::from_millis(100),
            metadata_max_age: Duration::from_secs(300),
            max_response_size: 100 * 1024 * 1024,
            send_buffer_bytes: 0,
            receive_buffer_bytes: 0,
            security: SecurityConfig::default(),
            max_api_versions: BTreeMap::new(),
            client_dns_lookup: DnsLookup::default(),
            metadata_recovery: MetadataRecovery::default(),
            metadata_recovery_rebootstrap_trigger: Duration::from_secs(300),
        }
    }

    /// Uses at most `version` of the API `key`, whatever brokers announce.
    ///
    /// A workaround for brokers that announce a version they cannot parse: librdkafka's
    /// mock cluster announces JoinGroup v6 and SyncGroup v4 but reads their arrays the
    /// pre-flexible way, and closes the connection. A broker whose range lies wholly
    /// above the cap gets an [`UnsupportedVersion`](crate::ErrorKind::UnsupportedVersion)
    /// error, as if the ranges did not meet.
    ///
    /// ```
    /// use kafka_sync::protocol::ApiKey;
    /// use kafka_sync::ClientConfig;
    ///
    /// let config = ClientConfig::new("127.0.0.1:9092").max_api_version(ApiKey::JOIN_GROUP, 5);
    /// assert_eq!(config.max_api_versions[&ApiKey::JOIN_GROUP], 5);
    /// ```
    pub fn max_api_version(mut self, key: ApiKey, version: i16) -> Self {
        self.max_api_versions.insert(key, version);
        self
    }

    /// Sets one setting by its Java property name. Returns `Ok(false)` if the key is not
    /// a common client setting (the caller may know it), an error if the value is bad.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        match key {
            "bootstrap.servers" => self.bootstrap_servers = split_servers(value),
            "client.id" => self.client_id = value.to_owned(),
            "request.timeout.ms" => self.request_timeout = parse_ms(key, value)?,
            "socket.connection.setup.timeout.ms" => self.connect_timeout = parse_ms(key, value)?,
            "reconnect.backoff.ms" => self.reconnect_backoff = parse_ms(key, value)?,
            "reconnect.backoff.max.ms" => self.reconnect_backoff_max = parse_ms(key, value)?,
            "retry.backoff.ms" => self.retry_backoff = parse_ms(key, value)?,
            "metadata.max.age.ms" => self.metadata_max_age = parse_ms(key, value)?,
            "metadata.recovery.strategy" => {
                self.metadata_recovery = MetadataRecovery::from_name(value).ok_or_else(|| {
                    KafkaError::config(key, format!("`{value}` is neither none nor rebootstrap"))
                })?
            }
            "metadata.recovery.rebootstrap.trigger.ms" => {
                self.metadata_recovery_rebootstrap_trigger = parse_ms(key, value)?
            }
            "receive.message.max.bytes" => self.max_response_size = parse_size(key, value)?,
            "send.buffer.bytes" => self.send_buffer_bytes = parse_buffer(key, value)?,
            "receive.buffer.bytes" => self.receive_buffer_bytes = parse_buffer(key, value)?,
            "client.dns.lookup" => {
                self.client_dns_lookup = DnsLookup::from_name(value).ok_or_else(|| {
                    KafkaError::config(
                        key,
                        format!(
                            "`{value}` is neither use_all_dns_ips nor \
                             resolve_canonical_bootstrap_servers_only"
                        ),
                    )
                })?
            }
            _ => return self.security.set(key, value),
        }
        Ok(true)
    }

    /// Checks the settings together; the error names the offending key.
    pub fn validate(&self) -> Result<()> {
        if self.bootstrap_servers.is_empty() {
            return Err(KafkaError::config(
                "bootstrap.servers",
                "at least one host:port is required",
            ));
        }
        for server in &self.bootstrap_servers {
            parse_address(server)?;
        }
        if self.request_timeout.is_zero() {
            return Err(KafkaError::config("request.timeout.ms", "must be positive"));
        }
        if self.connect_timeout.is_zero() {
            return Err(KafkaError::config(
                "socket.connection.setup.timeout.ms",
                "must be positive",
            ));
        }
        if let Some((key, version)) = self.max_api_versions.iter().find(|(_, &v)| v < 0) {
            return Err(KafkaError::invalid_argument(format!(
                "max_api_version of {key}: {version} is not a version (0 or more)"
            )));
        }
        if self.max_response_size < 1024 {
            return Err(KafkaError::config(
                "receive.message.max.bytes",
                "must be at least 1024",
            ));
        }
        self.security.validate()
    }

    /// The bootstrap servers as addresses.
    pub fn bootstrap_addresses(&self) -> Result<Vec<BrokerAddress>> {
        self.bootstrap_servers
            .iter()
            .map(|s| parse_address(s))
            .collect()
    }

    /// The settings of each broker connection. Fails if the TLS files cannot be read.
    pub(crate) fn connection_settings(&self) -> Result<ConnectionSettings> {
        Ok(ConnectionSettings {
            client_id: Some(self.client_id.clone()),
            connect_timeout: self.connect_timeout,
            max_response_size: self.max_response_size,
            reconnect_backoff: self.reconnect_backoff,
            reconnect_backoff_max: self.reconnect_backoff_max,
            send_buffer_bytes: self.send_buffer_bytes,
            receive_buffer_bytes: self.receive_buffer_bytes,
            security: crate::net::Security::new(&self.security)?,
            max_api_versions: self.max_api_versions.clone(),
            dns_lookup: self.client_dns_lookup,
            waker: None,
        })
    }
}

/// Configuration of a [`KafkaAdminClient`](crate::KafkaAdminClient).
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// The settings shared by all clients.
    pub client: ClientConfig,
}

impl AdminConfig {
    /// Defaults with the given bootstrap servers (comma-separated `host:port`).
    pub fn new(bootstrap_servers: &str) -> Self {
        AdminConfig {
            client: ClientConfig::new(bootstrap_servers),
        }
    }

    /// `client.id`.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client.client_id = id.into();
        self
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.client.request_timeout = timeout;
        self
    }

    /// TLS and SASL settings (see [`security`]).
    pub fn security(mut self, security: SecurityConfig) -> Self {
        self.client.security = security;
        self
    }

    /// Sets a setting by its Java property name; unknown keys and bad values are errors.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        if self.client.set(key, value)? {
            Ok(self)
        } else {
            Err(KafkaError::config(key, "unknown admin client setting"))
        }
    }

    /// Reads Java-style `key=value` properties from a file (see [`parse_properties`]).
    pub fn from_properties(path: impl AsRef<Path>) -> Result<Self> {
        let mut config = AdminConfig::new("");
        for (key, value) in read_properties(path.as_ref())? {
            config = config.set(&key, &value)?;
        }
        Ok(config)
    }
}

fn split_servers(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `host:port`, `[v6]:port`.
pub fn parse_address(server: &str) -> Result<BrokerAddress> {
    let bad = |why: &str| KafkaError::config("bootstrap.servers", format!("`{server}`: {why}"));
    let (host, port) = match server.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest
                .split_once("]:")
                .ok_or_else(|| bad("expected [ipv6]:port"))?;
            (host, port)
        }
        None => server
            .rsplit_once(':')
            .ok_or_else(|| bad("expected host:port"))?,
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| bad("port must be a number from 1 to 65535"))?;
    if port == 0 {
        return Err(bad("port must be a number from 1 to 65535"));
    }
    Ok(BrokerAddress {
        host: host.to_owned(),
        port,
    })
}

/// Parses a millisecond value.
pub fn parse_ms(key: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            KafkaError::config(
                key,
                format!("`{value}` is not a whole number of milliseconds"),
            )
        })
}

/// Parses a non-negative size.
pub fn parse_size(key: &str, value: &str) -> Result<usize> {
    value.trim().parse::<usize>().map_err(|_| {
        KafkaError::config(key, format!("`{value}` is not a non-negative whole number"))
    })
}

fn parse_buffer(key: &str, value: &str) -> Result<usize> {
    if value.trim() == "-1" {
        return Ok(0);
    }
    parse_size(key, value)
}

/// Parses `true`/`false`.
pub fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(KafkaError::config(
            key,
            format!("`{value}` is not true or false"),
        )),
    }
}

/// Parses Java properties text: `key=value` or `key: value` lines; `#` and `!` start
/// comments; blank lines are skipped. (Line continuations and escapes are not
/// supported: client property files do not use them.)
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('!'))
        .map(|line| {
            let split = line.find(['=', ':']).unwrap_or(line.len());
            let key = line[..split].trim();
            let value = line.get(split + 1..).unwrap_or("").trim();
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// Reads and parses a properties file.
pub fn read_properties(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        KafkaError::config(
            "properties file",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    Ok(parse_properties(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_recovery_settings() {
        let mut config = ClientConfig::new("b:9092");
        assert_eq!(config.metadata_recovery, MetadataRecovery::Rebootstrap);
        assert!(config
            .set("metadata.recovery.strategy", "none")
            .expect("valid"));
        assert_eq!(config.metadata_recovery, MetadataRecovery::None);
        assert!(config
            .set("metadata.recovery.strategy", "sometimes")
            .is_err());
        config
            .set("metadata.recovery.rebootstrap.trigger.ms", "1000")
            .expect("valid");
        assert_eq!(
            config.metadata_recovery_rebootstrap_trigger,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("a:1").unwrap(),
            BrokerAddress {
                host: "a".into(),
                port: 1
            }
        );
        assert_eq!(parse_address("[::1]:9092").unwrap().host, "::1");
        for bad in ["a", "a:0", "a:x", ":9", "a:70000"] {
            let err = parse_address(bad).unwrap_err();
            assert!(err.to_string().contains("bootstrap.servers"), "{err}");
        }
    }

    #[test]
    fn java_names_and_errors_name_the_key() {
        let mut c = ClientConfig::new("h:1,h:2");
        assert_eq!(c.bootstrap_servers.len(), 2);
        assert!(c.set("request.timeout.ms", "1500").unwrap());
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert!(!c.set("linger.ms", "5").unwrap());
        let err = c.set("retry.backoff.ms", "soon").unwrap_err();
        assert!(err.to_string().contains("retry.backoff.ms"), "{err}");
        assert!(ClientConfig::new("").validate().is_err());
    }

    #[test]
    fn properties_text() {
        let props = parse_properties("# c\nbootstrap.servers=h:1\n! c\n\nclient.id : x\nempty=\n");
        assert_eq!(
            props,
            vec![
                ("bootstrap.servers".into(), "h:1".into()),
                ("client.id".into(), "x".into()),
                ("empty".into(), "".into())
            ]
        );
    }
}
