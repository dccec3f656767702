//! [`ProducerConfig`]: the producer's settings, with the Java client's defaults.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::settings::{config_struct, parse_nonempty_text, parse_u32, parse_value};
use super::{
    parse_bool, parse_ms, parse_size, read_properties, ClientConfig, ClientKind, UnusedKeys,
};
use crate::error::{KafkaError, Result};
use crate::partitioner::{DefaultPartitioner, Partitioner};
use crate::record::Compression;

/// How many acknowledgements the leader must have before answering a produce request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acks {
    /// `acks=0`: no answer at all; a record counts as sent once written to the socket,
    /// and its offset is unknown (-1).
    None,
    /// `acks=1`: the leader has written the record.
    Leader,
    /// `acks=all` (or -1): every in-sync replica has the record. The default.
    All,
}

impl Acks {
    /// The value sent in produce requests: 0, 1 or -1.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

impl FromStr for Acks {
    type Err = KafkaError;
    fn from_str(s: &str) -> Result<Acks> {
        match s.trim() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "all" | "-1" => Ok(Acks::All),
            _ => Err(KafkaError::config(
                "acks",
                format!("`{s}` is not 0, 1, all or -1"),
            )),
        }
    }
}

config_struct! {
    /// Configuration of a [`KafkaProducer`](crate::KafkaProducer).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    ///
    /// let config = ProducerConfig::new("127.0.0.1:9092")
    ///     .acks(Acks::All)
    ///     .linger(Duration::from_millis(5))
    ///     .compression(Compression::Lz4)
    ///     .set("batch.size", "65536")?;
    /// assert_eq!(config.batch_size, 65536);
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct ProducerConfig {
        fn new(bootstrap_servers);
        fields {
            /// Settings shared by all clients (bootstrap servers, client id, timeouts...).
            pub client: ClientConfig = ClientConfig::new(bootstrap_servers);
            /// `enable.idempotence`: exactly-once, in-order delivery per partition
            /// (KIP-98). Default true (with acks=all, as in the Java client since 3.0).
            pub enable_idempotence: bool = true;
            /// Whether `enable.idempotence` was set by the user (if not, other settings
            /// that rule it out turn it off instead of being an error, as in the Java
            /// client).
            idempotence_explicit: bool = false;
            /// The partitioner. Default [`DefaultPartitioner`] (murmur2 / sticky).
            pub partitioner: Arc<dyn Partitioner> = Arc::new(DefaultPartitioner::new());
            /// Keys accepted but not used (see the [module documentation](super)).
            unused: UnusedKeys = UnusedKeys::default();
        }
        settings {
            /// `acks`: default [`Acks::All`].
            acks: Acks = Acks::All, "acks" => parse_value, setter;
            /// `compression.type` (or librdkafka's `compression.codec`): default none.
            compression: Compression = Compression::None, "compression.type" => parse_compression, setter;
            /// `batch.size`: the target size of one partition's batch in bytes, as sent:
            /// with compression a batch holds more before compression, as much as the
            /// topic's batches have been shrinking by (at most 8 times `batch.size` and
            /// half of `max.request.size`), as in the Java client. Default 16384.
            batch_size: usize = 16 * 1024, "batch.size" => parse_size, setter;
            /// `linger.ms`: how long a batch waits for more records before it is sent.
            /// Default 5 ms (as in the Java client since Kafka 4.0).
            linger: Duration = Duration::from_millis(5), "linger.ms" => parse_ms, setter;
            /// `buffer.memory`: bytes of records waiting to be sent; when full, `send()`
            /// blocks. Default 32 MiB.
            buffer_memory: usize = 32 * 1024 * 1024, "buffer.memory" => parse_size, setter;
            /// `max.block.ms`: how long `send()` may block for metadata or buffer
            /// memory. Default 60 s.
            max_block: Duration = Duration::from_secs(60), "max.block.ms" => parse_ms, setter;
            /// `max.request.size`: the largest produce request, and so the largest
            /// record. Default 1 MiB.
            max_request_size: usize = 1024 * 1024, "max.request.size" => parse_size, setter;
            /// `delivery.timeout.ms`: how long a record may take from `send()` to
            /// success or failure, retries included. Default 120 s.
            delivery_timeout: Duration = Duration::from_secs(120), "delivery.timeout.ms" => parse_ms, setter;
            /// `retries`: how often a failed batch is retried (within the delivery
            /// timeout). Default unlimited (`u32::MAX`).
            retries: u32 = u32::MAX, "retries" => parse_u32, setter;
            /// `max.in.flight.requests.per.connection`: default 5.
            max_in_flight: usize = 5, "max.in.flight.requests.per.connection" => parse_size, setter;
            /// `transactional.id`: makes the producer transactional
            /// ([`KafkaProducer::init_transactions`](crate::KafkaProducer::init_transactions),
            /// `begin_transaction`, ...); it implies idempotence and acks=all. The id
            /// names the producer across restarts: a new producer with the same id
            /// fences the old one. Default none.
            transactional_id: Option<String> = None, "transactional.id" => parse_nonempty_text, setter some;
            /// `transaction.timeout.ms`: how long a transaction may stay open before the
            /// coordinator aborts it. Default 60 s.
            transaction_timeout: Duration = Duration::from_secs(60), "transaction.timeout.ms" => parse_ms, setter;
        }
    }
}

/// `compression.type`, with the error naming the key it was given as.
fn parse_compression(key: &str, value: &str) -> Result<Compression> {
    value
        .parse()
        .map_err(|e: KafkaError| KafkaError::config(key, e.message()))
}

impl ProducerConfig {
    /// The keys given to [`set`](Self::set) or [`from_properties`](Self::from_properties)
    /// that this config accepted without using them, in the order first given: keys of
    /// the Java consumer and admin client, and Java producer keys kafka-sync does not
    /// implement (see the [module documentation](super)).
    pub fn unused_keys(&self) -> &[String] {
        self.unused.keys()
    }

    /// Why `key`, one of [`unused_keys`](Self::unused_keys), is not used.
    pub fn unused_key_reason(&self, key: &str) -> Option<&str> {
        self.unused.reason(key)
    }

    /// `enable.idempotence`.
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.enable_idempotence = enable;
        self.idempotence_explicit = true;
        self
    }

    /// A custom partitioner.
    pub fn partitioner(mut self, partitioner: Arc<dyn Partitioner>) -> Self {
        self.partitioner = partitioner;
        self
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

    /// Sets a setting by its Java property name (`linger.ms`, `acks`, ...). Keys of
    /// the other Java clients, and Java producer keys kafka-sync does not implement, are
    /// accepted and listed by [`unused_keys`](Self::unused_keys); other unknown keys and
    /// bad values are errors naming the key.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        match key {
            "compression.codec" => self.compression = parse_compression(key, value)?,
            "enable.idempotence" => {
                self.enable_idempotence = parse_bool(key, value)?;
                self.idempotence_explicit = true;
            }
            "partitioner.class" => return Err(KafkaError::config(
                key,
                "custom partitioners are set with ProducerConfig::partitioner, not by class name",
            )),
            _ => {
                if !self.set_from_table(key, value)? && !self.client.set(key, value)? {
                    self.unused.accept(ClientKind::Producer, key)?;
                }
            }
        }
        Ok(self)
    }

    /// Reads Java-style `key=value` properties from a file (see
    /// [`parse_properties`](super::parse_properties)); keys of other clients are
    /// accepted as by [`set`](Self::set).
    pub fn from_properties(path: impl AsRef<Path>) -> Result<Self> {
        let mut config = ProducerConfig::new("");
        for (key, value) in read_properties(path.as_ref())? {
            config = config.set(&key, &value)?;
        }
        Ok(config)
    }

    /// Checks the settings together and resolves idempotence: if it was not asked for
    /// explicitly and another setting rules it out, it is turned off (as in the Java
    /// client); if it was asked for, the conflict is an error naming the key.
    pub fn validate(&mut self) -> Result<()> {
        self.client.validate()?;
        if self.batch_size == 0 {
            return Err(KafkaError::config("batch.size", "must be positive"));
        }
        if self.max_request_size < 1024 {
            return Err(KafkaError::config(
                "max.request.size",
                "must be at least 1024 bytes",
            ));
        }
        if self.buffer_memory < self.batch_size {
            return Err(KafkaError::config(
                "buffer.memory",
                format!("must be at least batch.size ({} bytes)", self.batch_size),
            ));
        }
        if self.max_in_flight == 0 {
            return Err(KafkaError::config(
                "max.in.flight.requests.per.connection",
                "must be at least 1",
            ));
        }
        let minimum_delivery = self.linger.saturating_add(self.client.request_timeout);
        if self.delivery_timeout < minimum_delivery {
            return Err(KafkaError::config(
                "delivery.timeout.ms",
                format!(
                    "must be at least linger.ms + request.timeout.ms ({} ms)",
                    minimum_delivery.as_millis()
                ),
            ));
        }
        if let Some(id) = &self.transactional_id {
            if id.is_empty() {
                return Err(KafkaError::config("transactional.id", "must not be empty"));
            }
            if !self.enable_idempotence && self.idempotence_explicit {
                return Err(KafkaError::config(
                    "enable.idempotence",
                    "a transactional producer needs idempotence (transactional.id is set)",
                ));
            }
            if self.acks != Acks::All {
                return Err(KafkaError::config(
                    "acks",
                    "a transactional producer needs acks=all (transactional.id is set)",
                ));
            }
            if self.transaction_timeout.is_zero() {
                return Err(KafkaError::config(
                    "transaction.timeout.ms",
                    "must be positive",
                ));
            }
            // Idempotence is implied: the conflicts below are errors, not a quiet
            // switch-off.
            self.enable_idempotence = true;
            self.idempotence_explicit = true;
        }
        if self.enable_idempotence {
            let conflict = if self.acks != Acks::All {
                Some(("acks", "idempotence needs acks=all"))
            } else if self.max_in_flight > 5 {
                Some((
                    "max.in.flight.requests.per.connection",
                    "idempotence needs at most 5 requests in flight per connection",
                ))
            } else if self.retries == 0 {
                Some(("retries", "idempotence needs retries > 0"))
            } else {
                None
            };
            if let Some((key, why)) = conflict {
                if self.idempotence_explicit {
                    return Err(KafkaError::config(
                        key,
                        format!("{why} (enable.idempotence is true)"),
                    ));
                }
                self.enable_idempotence = false;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transactional_id_implies_idempotence_and_needs_acks_all() {
        let mut c = ProducerConfig::new("h:1")
            .set("transactional.id", "tx-1")
            .unwrap()
            .set("transaction.timeout.ms", "5000")
            .unwrap();
        c.validate().unwrap();
        assert_eq!(c.transactional_id.as_deref(), Some("tx-1"));
        assert_eq!(c.transaction_timeout, Duration::from_secs(5));
        assert!(c.enable_idempotence);
        let err = ProducerConfig::new("h:1")
            .transactional_id("tx")
            .acks(Acks::Leader)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("`acks`"), "{err}");
        let err = ProducerConfig::new("h:1")
            .transactional_id("tx")
            .enable_idempotence(false)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("`enable.idempotence`"), "{err}");
        let err = ProducerConfig::new("h:1")
            .transactional_id("tx")
            .max_in_flight(6)
            .validate()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`max.in.flight.requests.per.connection`"),
            "{err}"
        );
    }

    #[test]
    fn java_defaults() {
        let c = ProducerConfig::new("h:1");
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.batch_size, 16384);
        assert_eq!(c.buffer_memory, 33_554_432);
        assert_eq!(c.max_request_size, 1_048_576);
        assert_eq!(c.delivery_timeout, Duration::from_secs(120));
        assert_eq!(c.max_in_flight, 5);
        assert!(c.enable_idempotence);
    }

    #[test]
    fn java_names() {
        let c = ProducerConfig::new("h:1")
            .set("acks", "1")
            .unwrap()
            .set("linger.ms", "20")
            .unwrap()
            .set("compression.type", "gzip")
            .unwrap()
            .set("client.id", "me")
            .unwrap();
        assert_eq!(c.acks, Acks::Leader);
        assert_eq!(c.linger, Duration::from_millis(20));
        assert_eq!(c.compression, Compression::Gzip);
        assert_eq!(c.client.client_id, "me");
        for (key, value) in [
            ("acks", "2"),
            ("linger.ms", "x"),
            ("compression.type", "brotli"),
            ("nope", "1"),
        ] {
            let err = ProducerConfig::new("h:1").set(key, value).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn idempotence_conflicts() {
        // Implicit idempotence gives way to acks=1.
        let mut c = ProducerConfig::new("h:1").acks(Acks::Leader);
        c.validate().unwrap();
        assert!(!c.enable_idempotence);
        // Explicit idempotence with acks=1 is an error naming acks.
        let mut c = ProducerConfig::new("h:1")
            .acks(Acks::Leader)
            .enable_idempotence(true);
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("`acks`"), "{err}");
        let mut c = ProducerConfig::new("h:1")
            .max_in_flight(6)
            .enable_idempotence(true);
        assert!(c.validate().is_err());
    }

    #[test]
    fn delivery_timeout_must_cover_linger_and_request_timeout() {
        let mut c = ProducerConfig::new("h:1").delivery_timeout(Duration::from_secs(1));
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("delivery.timeout.ms"), "{err}");
    }
}
