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
//!
//! # Keys a config does not use
//!
//! One `client.properties` file often serves a producer, a consumer and an admin
//! client alike (Confluent Cloud's generated file holds `acks` and
//! `session.timeout.ms` side by side). Like the Java client, each config accepts such a
//! file and reports what it ignores, instead of failing:
//!
//! - A key that this config implements is used (a bad value is an error naming the
//!   key).
//! - A key the Java client of another type knows (`acks` given to a consumer,
//!   `group.id` to a producer, `bootstrap.controllers` to either) is accepted and
//!   ignored.
//! - A key the Java client of the same type knows but kafka-sync does not implement
//!   (`key.serializer`, `interceptor.classes`, `metric.reporters`,
//!   `sasl.kerberos.service.name`, ...) is accepted and ignored too. So are the
//!   Schema Registry serializers' keys (`schema.registry.url`, `basic.auth.*`, ...),
//!   which Java passes on to its serializers.
//! - Any other key (a misspelled `sesion.timeout.ms`, say) is an error naming it, with
//!   the nearest known key as a suggestion.
//!
//! Each ignored key is logged once per config with `log::warn!` (as the Java client
//! warns "The configuration 'x' was supplied but isn't a known config."), its value
//! never, and listed by `unused_keys()` (`ProducerConfig`, `ConsumerConfig`,
//! [`AdminConfig`]), with the reason from `unused_key_reason()`:
//!
//! ```
//! use kafka_sync::ConsumerConfig;
//!
//! let config = ConsumerConfig::new("127.0.0.1:9092")
//!     .set("acks", "all")?
//!     .set("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer")?
//!     .set("session.timeout.ms", "45000")?;
//! assert_eq!(config.unused_keys(), ["acks", "key.deserializer"]);
//! assert!(config.unused_key_reason("acks").unwrap().contains("producer"));
//! assert!(ConsumerConfig::new("127.0.0.1:9092").set("sesion.timeout.ms", "1").is_err());
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```
//!
//! A few keys cannot be ignored without changing what is trusted or where records go,
//! and stay errors however valid they are in Java: `partitioner.class` (set
//! [`ProducerConfig::partitioner`] instead), the inline PEM stores
//! (`ssl.truststore.certificates`, `ssl.keystore.key`,
//! `ssl.keystore.certificate.chain`), `ssl.engine.factory.class`, JKS key and trust
//! stores (the error says how to convert them) and the GSSAPI mechanism (see
//! [`security`]).

mod address;
mod consumer;
mod oauthbearer;
pub mod security;
mod settings;

use settings::{config_struct, parse_text};

pub use address::{parse_address, BrokerAddress, DnsLookup};

pub use consumer::{
    AssignmentStrategy, ConsumerConfig, GroupProtocol, IsolationLevel, OffsetReset,
};

mod producer;

pub use producer::{Acks, ProducerConfig};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::{KafkaError, Result};
use crate::protocol::ApiKey;
use security::SecurityConfig;

config_struct! {
    /// Settings every client (producer, consumer, admin) shares.
    #[derive(Debug, Clone)]
    pub struct ClientConfig {
        fn new(bootstrap_servers);
        fields {
            /// `security.protocol`, `ssl.*` and `sasl.*`: TLS and SASL (see
            /// [`security`]). Default: plaintext without authentication.
            pub security: SecurityConfig = SecurityConfig::default();
            /// The highest version to use of an API, below what brokers announce (no
            /// Java property name: the Java client has no such setting). Empty by
            /// default, which is almost always right: every request uses the highest
            /// version both sides support. It is for brokers that announce versions they
            /// do not implement; see [`max_api_version`](Self::max_api_version).
            pub max_api_versions: BTreeMap<ApiKey, i16> = BTreeMap::new();
        }
        settings {
            /// `bootstrap.servers`: `host:port` pairs to learn the cluster from.
            /// Required.
            bootstrap_servers: Vec<String> = split_servers(bootstrap_servers), "bootstrap.servers" => parse_servers;
            /// `client.id`: sent with every request, for the broker's logs and quotas.
            /// Default `"kafka-sync"`.
            client_id: String = "kafka-sync".to_owned(), "client.id" => parse_text;
            /// `request.timeout.ms`: how long to wait for a response. Default 30 s.
            request_timeout: Duration = Duration::from_secs(30), "request.timeout.ms" => parse_ms;
            /// `socket.connection.setup.timeout.ms`: how long connecting (TCP and the
            /// ApiVersions handshake) may take. Default 10 s.
            connect_timeout: Duration = Duration::from_secs(10), "socket.connection.setup.timeout.ms" => parse_ms;
            /// `reconnect.backoff.ms`: wait before reconnecting to a broker. Default
            /// 50 ms.
            reconnect_backoff: Duration = Duration::from_millis(50), "reconnect.backoff.ms" => parse_ms;
            /// `reconnect.backoff.max.ms`: the cap of the exponential reconnect
            /// back-off. Default 1 s.
            reconnect_backoff_max: Duration = Duration::from_secs(1), "reconnect.backoff.max.ms" => parse_ms;
            /// `retry.backoff.ms`: wait before retrying a failed request. Default
            /// 100 ms.
            retry_backoff: Duration = Duration::from_millis(100), "retry.backoff.ms" => parse_ms;
            /// `metadata.max.age.ms`: refresh metadata at least this often. Default
            /// 5 min.
            metadata_max_age: Duration = Duration::from_secs(300), "metadata.max.age.ms" => parse_ms;
            /// `receive.message.max.bytes`: the largest response accepted. Default
            /// 100 MiB.
            max_response_size: usize = 100 * 1024 * 1024, "receive.message.max.bytes" => parse_size;
            /// `send.buffer.bytes`: socket send buffer; 0 or -1 uses the OS default (the
            /// default).
            send_buffer_bytes: usize = 0, "send.buffer.bytes" => parse_buffer;
            /// `receive.buffer.bytes`: socket receive buffer; 0 or -1 uses the OS
            /// default (the default).
            receive_buffer_bytes: usize = 0, "receive.buffer.bytes" => parse_buffer;
            /// `client.dns.lookup`: `use_all_dns_ips` (the default: try every address a
            /// name resolves to) or `resolve_canonical_bootstrap_servers_only` (bootstrap
            /// names are replaced by the canonical names of their addresses, which TLS
            /// then verifies). Names are looked up off the network thread either way.
            client_dns_lookup: DnsLookup = DnsLookup::default(), "client.dns.lookup" => parse_dns_lookup;
            /// `metadata.recovery.strategy`: what to do when no broker the metadata named
            /// can be reached. Default [`MetadataRecovery::Rebootstrap`], as in Kafka 4.
            metadata_recovery: MetadataRecovery = MetadataRecovery::default(), "metadata.recovery.strategy" => parse_metadata_recovery;
            /// `metadata.recovery.rebootstrap.trigger.ms`: with
            /// [`MetadataRecovery::Rebootstrap`], also start over from the bootstrap
            /// servers when metadata was wanted but none came for this long, even though
            /// some broker can still be reached (KIP-1102). Default 5 min.
            metadata_recovery_rebootstrap_trigger: Duration = Duration::from_secs(300),
                "metadata.recovery.rebootstrap.trigger.ms" => parse_ms;
        }
    }
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
        if self.set_from_table(key, value)? {
            return Ok(true);
        }
        self.security.set(key, value)
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
}

/// Configuration of a [`KafkaAdminClient`](crate::KafkaAdminClient).
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// The settings shared by all clients.
    pub client: ClientConfig,
    /// Keys accepted but not used (see the [module documentation](self)).
    unused: UnusedKeys,
}

impl AdminConfig {
    /// Defaults with the given bootstrap servers (comma-separated `host:port`).
    pub fn new(bootstrap_servers: &str) -> Self {
        AdminConfig {
            client: ClientConfig::new(bootstrap_servers),
            unused: UnusedKeys::default(),
        }
    }

    /// The keys given to [`set`](Self::set) or [`from_properties`](Self::from_properties)
    /// that this config accepted without using them, in the order first given: keys of
    /// the Java producer and consumer, and Java admin client keys kafka-sync does not
    /// implement (see the [module documentation](self)).
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

    /// Sets a setting by its Java property name. Keys of the other Java clients, and
    /// Java admin client keys kafka-sync does not implement, are accepted and listed by
    /// [`unused_keys`](Self::unused_keys); other unknown keys and bad values are errors
    /// naming the key.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        if !self.client.set(key, value)? {
            self.unused.accept(ClientKind::Admin, key)?;
        }
        Ok(self)
    }

    /// Reads Java-style `key=value` properties from a file (see [`parse_properties`]);
    /// keys of other clients are accepted as by [`set`](Self::set).
    pub fn from_properties(path: impl AsRef<Path>) -> Result<Self> {
        let mut config = AdminConfig::new("");
        for (key, value) in read_properties(path.as_ref())? {
            config = config.set(&key, &value)?;
        }
        Ok(config)
    }
}

/// The client type a config is for, which decides what keys are its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    Producer,
    Consumer,
    Admin,
}

impl ClientKind {
    fn bit(self) -> u8 {
        match self {
            ClientKind::Producer => P,
            ClientKind::Consumer => C,
            ClientKind::Admin => A,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ClientKind::Producer => "producer",
            ClientKind::Consumer => "consumer",
            ClientKind::Admin => "admin client",
        }
    }
}

/// The keys a config accepted without using them, each with its reason.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnusedKeys {
    keys: Vec<String>,
    reasons: Vec<String>,
}

impl UnusedKeys {
    /// Takes `key`, which the config of `kind` did not use, as unused if it is a key
    /// of some Java client (logged the first time), or fails naming it if it is not.
    pub(crate) fn accept(&mut self, kind: ClientKind, key: &str) -> Result<()> {
        let Some(reason) = unused_reason(kind, key) else {
            let why = match suggestion(key) {
                Some(near) => format!("unknown {} setting (did you mean `{near}`?)", kind.name()),
                None => format!("unknown {} setting", kind.name()),
            };
            return Err(KafkaError::config(key, why));
        };
        if !self.keys.iter().any(|k| k == key) {
            log::warn!(
                "The configuration '{key}' was supplied but isn't used by the {} config: {reason}",
                kind.name()
            );
            self.keys.push(key.to_owned());
            self.reasons.push(reason);
        }
        Ok(())
    }

    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }

    pub(crate) fn reason(&self, key: &str) -> Option<&str> {
        let at = self.keys.iter().position(|k| k == key)?;
        Some(&self.reasons[at])
    }
}

/// Why the config of `kind` ignores `key`, which it does not implement; `None` if
/// `key` is no Java client's (a misspelling, most likely).
fn unused_reason(kind: ClientKind, key: &str) -> Option<String> {
    if let Some(&(_, clients, why)) = JAVA_KEYS.iter().find(|(name, _, _)| *name == key) {
        if clients & kind.bit() == 0 {
            let owners: Vec<&str> = [
                ClientKind::Producer,
                ClientKind::Consumer,
                ClientKind::Admin,
            ]
            .into_iter()
            .filter(|k| clients & k.bit() != 0)
            .map(ClientKind::name)
            .collect();
            return Some(format!(
                "a setting of the Java {}, not of the {}",
                owners.join(" and "),
                kind.name()
            ));
        }
        let why = if why.is_empty() {
            "not implemented"
        } else {
            why
        };
        return Some(format!(
            "a setting of the Java {} that kafka-sync does not implement: {why}",
            kind.name()
        ));
    }
    let serializer =
        SERIALIZER_KEYS.contains(&key) || SERIALIZER_PREFIXES.iter().any(|p| key.starts_with(p));
    serializer.then(|| {
        "a setting of the Schema Registry serializers, which the Java client hands on to \
         them; kafka-sync sends and receives bytes"
            .to_owned()
    })
}

/// The known key nearest to a misspelled one, if it is near enough to be meant.
fn suggestion(key: &str) -> Option<&'static str> {
    let names = JAVA_KEYS
        .iter()
        .map(|(name, _, _)| *name)
        .chain(OTHER_KEYS.iter().copied());
    let (distance, near) = names.map(|name| (edit_distance(key, name), name)).min()?;
    (distance <= 2.max(key.len() / 8)).then_some(near)
}

/// The Levenshtein distance of `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The Java producer.
const P: u8 = 1;
/// The Java consumer.
const C: u8 = 2;
/// The Java admin client.
const A: u8 = 4;
/// All three.
const ALL: u8 = P | C | A;

const NO_TLS_TUNING: &str = "Java (JSSE) TLS settings; the platform's TLS library is used \
                             with its own defaults";
const NO_KERBEROS: &str = "Kerberos (GSSAPI) is not supported";
const NO_LOGIN_CLASSES: &str = "Java login classes do not apply; OAUTHBEARER tokens come \
                                from a token provider (SecurityConfig::oauthbearer)";
const NO_TOKEN_ENDPOINT: &str = "OAUTHBEARER tokens come from a token provider \
                                 (SecurityConfig::oauthbearer), not from a token endpoint";
const NO_METRICS: &str = "there are no metric reporters or samples (producers and \
                          consumers have metrics())";

/// The property names of the Java clients (Kafka 4.x: `ProducerConfig`,
/// `ConsumerConfig`, `AdminClientConfig` with their SSL and SASL settings): the key,
/// the clients that know it, and, when a client of its type here does not implement
/// it, why (empty: every client of its types implements it here).
const JAVA_KEYS: &[(&str, u8, &str)] = &[
    // Every client's.
    ("bootstrap.servers", ALL, ""),
    ("client.id", ALL, ""),
    ("client.dns.lookup", ALL, ""),
    ("metadata.max.age.ms", ALL, ""),
    ("send.buffer.bytes", ALL, ""),
    ("receive.buffer.bytes", ALL, ""),
    ("reconnect.backoff.ms", ALL, ""),
    ("reconnect.backoff.max.ms", ALL, ""),
    ("retry.backoff.ms", ALL, ""),
    (
        "retry.backoff.max.ms",
        ALL,
        "retries wait retry.backoff.ms, without growing",
    ),
    ("request.timeout.ms", ALL, ""),
    ("socket.connection.setup.timeout.ms", ALL, ""),
    (
        "socket.connection.setup.timeout.max.ms",
        ALL,
        "every connection attempt may take socket.connection.setup.timeout.ms",
    ),
    ("connections.max.idle.ms", ALL, "idle connections stay open"),
    ("metadata.recovery.strategy", ALL, ""),
    ("metadata.recovery.rebootstrap.trigger.ms", ALL, ""),
    ("metrics.sample.window.ms", ALL, NO_METRICS),
    ("metrics.num.samples", ALL, NO_METRICS),
    ("metrics.recording.level", ALL, NO_METRICS),
    ("metric.reporters", ALL, NO_METRICS),
    (
        "enable.metrics.push",
        ALL,
        "client metrics are not pushed to brokers (KIP-714)",
    ),
    ("security.protocol", ALL, ""),
    (
        "security.providers",
        ALL,
        "Java security providers do not apply",
    ),
    // SSL.
    ("ssl.protocol", ALL, NO_TLS_TUNING),
    ("ssl.provider", ALL, NO_TLS_TUNING),
    ("ssl.cipher.suites", ALL, NO_TLS_TUNING),
    ("ssl.enabled.protocols", ALL, NO_TLS_TUNING),
    ("ssl.keymanager.algorithm", ALL, NO_TLS_TUNING),
    ("ssl.trustmanager.algorithm", ALL, NO_TLS_TUNING),
    ("ssl.secure.random.implementation", ALL, NO_TLS_TUNING),
    ("ssl.keystore.type", ALL, ""),
    ("ssl.keystore.location", ALL, ""),
    ("ssl.keystore.password", ALL, ""),
    ("ssl.keystore.key", ALL, ""),
    ("ssl.keystore.certificate.chain", ALL, ""),
    ("ssl.key.password", ALL, ""),
    ("ssl.truststore.type", ALL, ""),
    ("ssl.truststore.location", ALL, ""),
    ("ssl.truststore.password", ALL, ""),
    ("ssl.truststore.certificates", ALL, ""),
    ("ssl.endpoint.identification.algorithm", ALL, ""),
    ("ssl.engine.factory.class", ALL, ""),
    // SASL.
    ("sasl.mechanism", ALL, ""),
    ("sasl.jaas.config", ALL, ""),
    ("sasl.kerberos.service.name", ALL, NO_KERBEROS),
    ("sasl.kerberos.kinit.cmd", ALL, NO_KERBEROS),
    ("sasl.kerberos.ticket.renew.window.factor", ALL, NO_KERBEROS),
    ("sasl.kerberos.ticket.renew.jitter", ALL, NO_KERBEROS),
    ("sasl.kerberos.min.time.before.relogin", ALL, NO_KERBEROS),
    ("sasl.client.callback.handler.class", ALL, NO_LOGIN_CLASSES),
    ("sasl.login.callback.handler.class", ALL, NO_LOGIN_CLASSES),
    ("sasl.login.class", ALL, NO_LOGIN_CLASSES),
    ("sasl.login.refresh.window.factor", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.login.refresh.window.jitter", ALL, NO_TOKEN_ENDPOINT),
    (
        "sasl.login.refresh.min.period.seconds",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    ("sasl.login.refresh.buffer.seconds", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.login.connect.timeout.ms", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.login.read.timeout.ms", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.login.retry.backoff.ms", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.login.retry.backoff.max.ms", ALL, NO_TOKEN_ENDPOINT),
    (
        "sasl.oauthbearer.token.endpoint.url",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    ("sasl.oauthbearer.scope", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.oauthbearer.scope.claim.name", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.oauthbearer.sub.claim.name", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.oauthbearer.jwks.endpoint.url", ALL, NO_TOKEN_ENDPOINT),
    (
        "sasl.oauthbearer.jwks.endpoint.refresh.ms",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.clock.skew.seconds",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    ("sasl.oauthbearer.expected.audience", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.oauthbearer.expected.issuer", ALL, NO_TOKEN_ENDPOINT),
    ("sasl.oauthbearer.header.urlencode", ALL, NO_TOKEN_ENDPOINT),
    (
        "sasl.oauthbearer.jwt.retriever.class",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.jwt.validator.class",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.client.credentials.client.id",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.client.credentials.client.secret",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.algorithm",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.aud",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.exp.seconds",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.iss",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.jti.include",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.nbf.seconds",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.claim.sub",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    ("sasl.oauthbearer.assertion.file", ALL, NO_TOKEN_ENDPOINT),
    (
        "sasl.oauthbearer.assertion.private.key.file",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.private.key.passphrase",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    (
        "sasl.oauthbearer.assertion.template.file",
        ALL,
        NO_TOKEN_ENDPOINT,
    ),
    // More than one client's.
    (
        "retries",
        P | A,
        "admin calls are retried until their timeout",
    ),
    (
        "default.api.timeout.ms",
        C | A,
        "every admin call takes its timeout as an argument",
    ),
    (
        "interceptor.classes",
        P | C,
        "interceptors are Java classes",
    ),
    // The producer's.
    (
        "key.serializer",
        P,
        "records are bytes: serialize keys before send()",
    ),
    (
        "value.serializer",
        P,
        "records are bytes: serialize values before send()",
    ),
    ("acks", P, ""),
    ("batch.size", P, ""),
    ("linger.ms", P, ""),
    ("delivery.timeout.ms", P, ""),
    ("buffer.memory", P, ""),
    ("compression.type", P, ""),
    (
        "compression.gzip.level",
        P,
        "every codec compresses at its default level",
    ),
    (
        "compression.lz4.level",
        P,
        "every codec compresses at its default level",
    ),
    (
        "compression.zstd.level",
        P,
        "every codec compresses at its default level",
    ),
    ("max.block.ms", P, ""),
    ("max.request.size", P, ""),
    ("max.in.flight.requests.per.connection", P, ""),
    ("enable.idempotence", P, ""),
    ("transactional.id", P, ""),
    ("transaction.timeout.ms", P, ""),
    (
        "transaction.two.phase.commit.enable",
        P,
        "two-phase commit (KIP-939) is not implemented",
    ),
    ("partitioner.class", P, ""),
    (
        "partitioner.ignore.keys",
        P,
        "the partitioner is set with ProducerConfig::partitioner",
    ),
    (
        "partitioner.adaptive.partitioning.enable",
        P,
        "the partitioner is set with ProducerConfig::partitioner",
    ),
    (
        "partitioner.availability.timeout.ms",
        P,
        "the partitioner is set with ProducerConfig::partitioner",
    ),
    (
        "metadata.max.idle.ms",
        P,
        "topics' metadata is not dropped when idle",
    ),
    // The consumer's.
    (
        "key.deserializer",
        C,
        "records are bytes: deserialize keys after poll()",
    ),
    (
        "value.deserializer",
        C,
        "records are bytes: deserialize values after poll()",
    ),
    ("group.id", C, ""),
    ("group.instance.id", C, ""),
    ("group.protocol", C, ""),
    ("group.remote.assignor", C, ""),
    ("session.timeout.ms", C, ""),
    ("heartbeat.interval.ms", C, ""),
    ("partition.assignment.strategy", C, ""),
    ("max.poll.records", C, ""),
    ("max.poll.interval.ms", C, ""),
    ("enable.auto.commit", C, ""),
    ("auto.commit.interval.ms", C, ""),
    ("auto.offset.reset", C, ""),
    ("client.rack", C, ""),
    ("fetch.min.bytes", C, ""),
    ("fetch.max.bytes", C, ""),
    ("fetch.max.wait.ms", C, ""),
    ("max.partition.fetch.bytes", C, ""),
    ("check.crcs", C, ""),
    ("exclude.internal.topics", C, ""),
    ("isolation.level", C, ""),
    ("allow.auto.create.topics", C, ""),
    (
        "share.acknowledgement.mode",
        C,
        "share groups (KIP-932) are not implemented",
    ),
    // The admin client's.
    (
        "bootstrap.controllers",
        A,
        "kafka-sync talks to brokers, not to controllers",
    ),
];

/// The Schema Registry serializers' keys, which Java clients pass on to them.
const SERIALIZER_KEYS: &[&str] = &[
    "auto.register.schemas",
    "use.latest.version",
    "latest.compatibility.strict",
    "normalize.schemas",
    "use.schema.id",
    "key.subject.name.strategy",
    "value.subject.name.strategy",
    "specific.avro.reader",
    "avro.use.logical.type.converters",
    "json.fail.invalid.schema",
    "json.key.type",
    "json.value.type",
    "specific.protobuf.key.type",
    "specific.protobuf.value.type",
];

/// Prefixes of the Schema Registry serializers' keys.
const SERIALIZER_PREFIXES: &[&str] = &["schema.registry.", "basic.auth.", "bearer.auth."];

/// Keys this crate implements that are no Java client's (librdkafka's names), for
/// suggestions.
const OTHER_KEYS: &[&str] = &[
    "sasl.username",
    "sasl.password",
    "sasl.mechanisms",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "compression.codec",
    "receive.message.max.bytes",
];

/// `metadata.recovery.strategy`.
fn parse_metadata_recovery(key: &str, value: &str) -> Result<MetadataRecovery> {
    MetadataRecovery::from_name(value).ok_or_else(|| {
        KafkaError::config(key, format!("`{value}` is neither none nor rebootstrap"))
    })
}

/// `client.dns.lookup`.
fn parse_dns_lookup(key: &str, value: &str) -> Result<DnsLookup> {
    DnsLookup::from_name(value).ok_or_else(|| {
        KafkaError::config(
            key,
            format!(
                "`{value}` is neither use_all_dns_ips nor \
                 resolve_canonical_bootstrap_servers_only"
            ),
        )
    })
}

/// `bootstrap.servers`.
fn parse_servers(_key: &str, value: &str) -> Result<Vec<String>> {
    Ok(split_servers(value))
}

fn split_servers(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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

/// Parses Java properties text as `java.util.Properties.load` does (the format the
/// Java clients' `client.properties` files are in):
///
/// - `key=value`, `key: value` or `key value`; blanks around the separator are
///   skipped, blanks at the end of the value are kept;
/// - lines whose first non-blank character is `#` or `!` are comments; blank lines are
///   skipped;
/// - a line ending in an odd number of backslashes continues on the next line, whose
///   leading blanks are dropped (long `sasl.jaas.config` lines are often split so);
/// - in keys and values, `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes, and a
///   backslash before any other character stands for that character (`\\` for `\`,
///   `\=` for `=`, `\"` for `"`: a JAAS value with an escaped quote needs `\\\"`).
///
/// ```
/// use kafka_sync::config::parse_properties;
///
/// let text = "# Java style\nsasl.jaas.config=a.b.PlainLoginModule required \\\n    \
///             username='u' \\\n    password='p';\npath = C:\\\\ssl\\\\ca.pem\n";
/// assert_eq!(
///     parse_properties(text),
///     [
///         ("sasl.jaas.config".to_owned(), "a.b.PlainLoginModule required username='u' password='p';".to_owned()),
///         ("path".to_owned(), r"C:\ssl\ca.pem".to_owned()),
///     ]
/// );
/// ```
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    const BLANKS: [char; 3] = [' ', '\t', '\u{c}'];
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split(['\n', '\r']);
    let mut properties = Vec::new();
    while let Some(line) = lines.next() {
        let line = line.trim_start_matches(BLANKS);
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let mut logical = line.to_owned();
        while logical.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1 {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start_matches(BLANKS)),
                None => break,
            }
        }
        properties.push(split_property(&logical));
    }
    properties
}

/// Splits a logical properties line into its unescaped key and value.
fn split_property(line: &str) -> (String, String) {
    let is_blank = |c: char| matches!(c, ' ' | '\t' | '\u{c}');
    let chars: Vec<char> = line.chars().collect();
    let mut key_end = chars.len();
    let mut value_start = chars.len();
    let mut has_separator = false;
    let mut after_backslash = false;
    for (i, &c) in chars.iter().enumerate() {
        if !after_backslash && (c == '=' || c == ':') {
            (key_end, value_start, has_separator) = (i, i + 1, true);
            break;
        }
        if !after_backslash && is_blank(c) {
            (key_end, value_start) = (i, i + 1);
            break;
        }
        after_backslash = c == '\\' && !after_backslash;
    }
    while let Some(&c) = chars.get(value_start) {
        if !is_blank(c) {
            if has_separator || (c != '=' && c != ':') {
                break;
            }
            has_separator = true;
        }
        value_start += 1;
    }
    (
        unescape_property(&chars[..key_end]),
        unescape_property(&chars[value_start..]),
    )
}

/// Resolves the escapes of a properties key or value.
fn unescape_property(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut rest = chars.iter().copied().peekable();
    let hex4 = |rest: &mut std::iter::Peekable<std::iter::Copied<std::slice::Iter<'_, char>>>| {
        let mut code = 0u32;
        for _ in 0..4 {
            code = code * 16 + rest.next_if(char::is_ascii_hexdigit)?.to_digit(16)?;
        }
        Some(code)
    };
    while let Some(c) = rest.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escaped) = rest.next() else { break };
        match escaped {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            'u' => {
                let mut ahead = rest.clone();
                let Some(unit) = hex4(&mut ahead) else {
                    // Java refuses a malformed \uXXXX; keep it as written.
                    out.push_str("\\u");
                    continue;
                };
                rest = ahead;
                let decoded = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate: the low one follows as another \uXXXX.
                    let mut ahead = rest.clone();
                    let low = (ahead.next() == Some('\\') && ahead.next() == Some('u'))
                        .then(|| hex4(&mut ahead))
                        .flatten()
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    match low {
                        Some(low) => {
                            rest = ahead;
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        }
                        None => None,
                    }
                } else {
                    char::from_u32(unit)
                };
                out.push(decoded.unwrap_or('\u{fffd}'));
            }
            other => out.push(other),
        }
    }
    out
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
    fn every_setting_in_a_table_is_a_java_key_of_its_client() {
        let tables: [(&[&str], u8); 3] = [
            (ClientConfig::TABLE_KEYS, ALL),
            (ProducerConfig::TABLE_KEYS, P),
            (ConsumerConfig::TABLE_KEYS, C),
        ];
        for (keys, clients) in tables {
            for key in keys {
                if OTHER_KEYS.contains(key) {
                    continue;
                }
                let Some(&(_, known, _)) = JAVA_KEYS.iter().find(|(name, _, _)| name == key) else {
                    panic!("`{key}` is in a settings table but not among the Java keys");
                };
                assert_eq!(known & clients, clients, "`{key}` belongs to other clients");
            }
        }
    }

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

    /// What `set(key, value)` does with `key` in a config of `kind`: `Ok(None)` if it
    /// took the key, `Ok(Some(reason))` if it accepted it unused, the error otherwise.
    fn outcome(kind: ClientKind, key: &str, value: &str) -> Result<Option<String>> {
        let reason = match kind {
            ClientKind::Producer => {
                let c = ProducerConfig::new("h:1").set(key, value)?;
                assert!(c.unused_keys().len() <= 1);
                c.unused_key_reason(key).map(str::to_owned)
            }
            ClientKind::Consumer => {
                let c = ConsumerConfig::new("h:1").set(key, value)?;
                assert!(c.unused_keys().len() <= 1);
                c.unused_key_reason(key).map(str::to_owned)
            }
            ClientKind::Admin => {
                let c = AdminConfig::new("h:1").set(key, value)?;
                assert!(c.unused_keys().len() <= 1);
                c.unused_key_reason(key).map(str::to_owned)
            }
        };
        Ok(reason)
    }

    const KINDS: [ClientKind; 3] = [
        ClientKind::Producer,
        ClientKind::Consumer,
        ClientKind::Admin,
    ];

    #[test]
    fn the_java_key_table_agrees_with_what_the_configs_implement() {
        let mut names: Vec<&str> = JAVA_KEYS.iter().map(|(name, _, _)| *name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a key is listed twice");
        for &(key, clients, why) in JAVA_KEYS {
            assert_ne!(clients, 0, "{key}");
            for kind in KINDS {
                // A value no setting accepts, so that a key the config takes fails to
                // parse or is taken, and one it ignores is ignored whatever the value.
                let result = outcome(kind, key, "x?");
                if clients & kind.bit() == 0 {
                    // Another client's key: ignored, whatever its value.
                    let reason = result.unwrap_or_else(|e| panic!("{key} on {kind:?}: {e}"));
                    let reason = reason.unwrap_or_else(|| panic!("{key} taken by {kind:?}"));
                    assert!(
                        reason.contains(&format!("not of the {}", kind.name())),
                        "{reason}"
                    );
                    continue;
                }
                match result {
                    // Taken (a string value), or refused by the value's parser.
                    Ok(None) => {}
                    Err(e) => assert!(
                        !e.to_string()
                            .contains(&format!("unknown {} setting", kind.name())),
                        "{key} on {kind:?}: {e}"
                    ),
                    Ok(Some(reason)) => {
                        assert!(!why.is_empty(), "{key} is not implemented by {kind:?}");
                        assert!(reason.contains(why), "{key}: {reason}");
                        assert!(reason.contains("does not implement"), "{reason}");
                    }
                }
            }
        }
    }

    #[test]
    fn keys_of_other_clients_are_accepted_once_and_reported() {
        let consumer = ConsumerConfig::new("h:1")
            .set("acks", "all")
            .unwrap()
            .set("linger.ms", "5")
            .unwrap()
            .set("acks", "1")
            .unwrap()
            .set("group.id", "g")
            .unwrap();
        assert_eq!(consumer.unused_keys(), ["acks", "linger.ms"]);
        assert_eq!(
            consumer.unused_key_reason("acks"),
            Some("a setting of the Java producer, not of the consumer")
        );
        assert_eq!(consumer.unused_key_reason("group.id"), None);
        let producer = ProducerConfig::new("h:1")
            .set("session.timeout.ms", "45000")
            .unwrap()
            .set("default.api.timeout.ms", "1000")
            .unwrap()
            .set(
                "key.serializer",
                "org.apache.kafka.common.serialization.StringSerializer",
            )
            .unwrap();
        assert_eq!(
            producer.unused_keys(),
            [
                "session.timeout.ms",
                "default.api.timeout.ms",
                "key.serializer"
            ]
        );
        assert_eq!(
            producer.unused_key_reason("default.api.timeout.ms"),
            Some("a setting of the Java consumer and admin client, not of the producer")
        );
        let reason = producer.unused_key_reason("key.serializer").unwrap();
        assert!(reason.contains("does not implement"), "{reason}");
        assert!(reason.contains("serialize"), "{reason}");
        let admin = AdminConfig::new("h:1")
            .set("default.api.timeout.ms", "1000")
            .unwrap()
            .set("bootstrap.controllers", "h:9093")
            .unwrap()
            .set("schema.registry.url", "https://sr.example")
            .unwrap()
            .set("basic.auth.user.info", "key:secret")
            .unwrap();
        assert_eq!(
            admin.unused_keys(),
            [
                "default.api.timeout.ms",
                "bootstrap.controllers",
                "schema.registry.url",
                "basic.auth.user.info"
            ]
        );
        let reason = admin.unused_key_reason("default.api.timeout.ms").unwrap();
        assert!(
            reason.contains("takes its timeout as an argument"),
            "{reason}"
        );
        assert!(admin
            .unused_key_reason("schema.registry.url")
            .unwrap()
            .contains("Schema Registry"));
        // The value is never part of the report.
        assert!(!format!("{admin:?}").contains("key:secret"));
    }

    #[test]
    fn keys_no_java_client_knows_are_errors_with_a_suggestion() {
        for kind in KINDS {
            let err = outcome(kind, "sesion.timeout.ms", "1")
                .unwrap_err()
                .to_string();
            assert!(err.contains("`sesion.timeout.ms`"), "{err}");
            assert!(
                err.contains(&format!("unknown {} setting", kind.name())),
                "{err}"
            );
            assert!(err.contains("did you mean `session.timeout.ms`?"), "{err}");
            let err = outcome(kind, "ssl.ca.locaton", "x")
                .unwrap_err()
                .to_string();
            assert!(err.contains("did you mean `ssl.ca.location`?"), "{err}");
            let err = outcome(kind, "frobnicate", "1").unwrap_err().to_string();
            assert!(err.contains("`frobnicate`"), "{err}");
            assert!(!err.contains("did you mean"), "{err}");
        }
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("acks", "acks"), 0);
    }

    #[test]
    fn client_dns_lookup_parses_its_java_values() {
        for (value, lookup) in [
            ("use_all_dns_ips", DnsLookup::UseAllDnsIps),
            (
                "resolve_canonical_bootstrap_servers_only",
                DnsLookup::ResolveCanonicalBootstrapServersOnly,
            ),
        ] {
            let config = AdminConfig::new("h:1")
                .set("client.dns.lookup", value)
                .unwrap();
            assert_eq!(config.client.client_dns_lookup, lookup);
        }
        let err = AdminConfig::new("h:1")
            .set("client.dns.lookup", "default")
            .unwrap_err();
        assert!(err.to_string().contains("client.dns.lookup"), "{err}");
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

    /// The cases of `java.util.Properties.load`'s documentation, and what Java's
    /// client files do with them.
    #[test]
    fn properties_as_java_reads_them() {
        let pairs = |text: &str| -> Vec<(String, String)> { parse_properties(text) };
        let one = |text: &str| {
            let mut all = pairs(text);
            assert_eq!(all.len(), 1, "{text:?}: {all:?}");
            all.remove(0)
        };
        let kv = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        // Separators: `=`, `:`, blanks, blanks around either, only the first counts.
        assert_eq!(one("Truth = Beauty"), kv("Truth", "Beauty"));
        assert_eq!(one("  Truth:Beauty"), kv("Truth", "Beauty"));
        assert_eq!(one("Truth\t\t:\t Beauty"), kv("Truth", "Beauty"));
        assert_eq!(one("Truth Beauty"), kv("Truth", "Beauty"));
        assert_eq!(one("a==b"), kv("a", "=b"));
        assert_eq!(one("a = :b"), kv("a", ":b"));
        assert_eq!(one("a=b=c;d"), kv("a", "b=c;d"));
        assert_eq!(one("cheeses"), kv("cheeses", ""));
        // Escaped separators belong to the key; trailing blanks to the value.
        assert_eq!(one(r"a\=b\:c\ d = e "), kv("a=b:c d", "e "));
        // Continuations: an odd number of trailing backslashes.
        assert_eq!(
            one("fruits  apple, banana, pear, \\\n   cantaloupe, watermelon, \\\n\t kiwi"),
            kv(
                "fruits",
                "apple, banana, pear, cantaloupe, watermelon, kiwi"
            )
        );
        assert_eq!(pairs("a=x\\\\\nb=y"), [kv("a", r"x\"), kv("b", "y")]);
        assert_eq!(one("a=x\\"), kv("a", "x"));
        // A comment does not continue, and `#` inside a value is not a comment.
        assert_eq!(
            pairs("# c \\\na=1 # not a comment"),
            [kv("a", "1 # not a comment")]
        );
        // Escapes.
        assert_eq!(one(r"p=C:\\ssl\\ca.pem").1, r"C:\ssl\ca.pem");
        assert_eq!(one(r"p=C:\ssl").1, "C:ssl");
        assert_eq!(one(r"p=tab\there\n").1, "tab\there\n");
        assert_eq!(one(r"p=\u00e9t\u00C9 \uD83D\uDE00").1, "étÉ \u{1F600}");
        assert_eq!(one(r"p=\u12").1, r"\u12");
        assert_eq!(
            one(r#"j=username=\"u\" password=\\\"a\\\"b\""#).1,
            r#"username="u" password=\"a\"b""#
        );
        // Line ends of all kinds.
        assert_eq!(
            pairs("a=1\r\nb=2\rc=3\n"),
            [kv("a", "1"), kv("b", "2"), kv("c", "3")]
        );
        assert_eq!(pairs("a=1 \\\r\n  2"), [kv("a", "1 2")]);
    }
}
