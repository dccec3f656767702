//! The settings the schema registry serializers and deserializers share (Avro, JSON
//! Schema, Protobuf), named as in confluent-kafka-python, and the part of their work
//! that does not depend on the schema type: which schema id a record is written with.
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `auto.register.schemas` | `true` | a serializer registers its schema under the subject (a new version when it is new); off, it looks the schema up and fails when the subject does not have it |
//! | `use.latest.version` | `false` | a serializer writes with the subject's latest version (its id and, where the format allows, its schema) instead of its own schema; a deserializer reads into it. Not together with `auto.register.schemas` |
//! | `subject.name.strategy` | `TopicNameStrategy` | see [`SubjectNameStrategy`] |
//!
//! The Java serializers' `key.subject.name.strategy` and `value.subject.name.strategy`
//! are accepted as well.
//!
//! ```
//! use kafka_sync::schema_registry::serdes::SerdeConfig;
//! use kafka_sync::schema_registry::subject::SubjectNameStrategy;
//!
//! let config = SerdeConfig::value()
//!     .set("auto.register.schemas", "false")?
//!     .set("use.latest.version", "true")?
//!     .set("subject.name.strategy", "RecordNameStrategy")?;
//! assert!(!config.is_key());
//! assert_eq!(config.strategy(), SubjectNameStrategy::RecordName);
//! assert!(SerdeConfig::key().use_latest_version(true).validate().is_err()); // auto-register is on
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use super::subject::SubjectNameStrategy;
use crate::error::{KafkaError, Result};

/// The settings of a schema registry serializer or deserializer: whether it handles
/// keys or values, and the options of the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeConfig {
    is_key: bool,
    auto_register_schemas: bool,
    use_latest_version: bool,
    strategy: SubjectNameStrategy,
}

impl SerdeConfig {
    /// The settings of a serializer or deserializer of record values, with the
    /// defaults.
    pub fn value() -> Self {
        SerdeConfig {
            is_key: false,
            auto_register_schemas: true,
            use_latest_version: false,
            strategy: SubjectNameStrategy::TopicName,
        }
    }

    /// The settings of a serializer or deserializer of record keys, with the defaults.
    pub fn key() -> Self {
        SerdeConfig {
            is_key: true,
            ..SerdeConfig::value()
        }
    }

    /// `auto.register.schemas` (default `true`).
    pub fn auto_register_schemas(mut self, on: bool) -> Self {
        self.auto_register_schemas = on;
        self
    }

    /// `use.latest.version` (default `false`).
    pub fn use_latest_version(mut self, on: bool) -> Self {
        self.use_latest_version = on;
        self
    }

    /// `subject.name.strategy` (default [`SubjectNameStrategy::TopicName`]).
    pub fn subject_name_strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets an option by its confluent-kafka-python name. An unknown key or a value that
    /// does not parse is an [`ErrorKind::Config`](crate::ErrorKind::Config) error naming the key.
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        let flag = || match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(KafkaError::config(
                key,
                format!("`{value}` is not true or false"),
            )),
        };
        Ok(match key {
            "auto.register.schemas" => self.auto_register_schemas(flag()?),
            "use.latest.version" => self.use_latest_version(flag()?),
            "subject.name.strategy"
            | "key.subject.name.strategy"
            | "value.subject.name.strategy" => {
                let strategy = value
                    .parse()
                    .map_err(|e: KafkaError| KafkaError::config(key, e.message().to_owned()))?;
                self.subject_name_strategy(strategy)
            }
            _ => {
                return Err(KafkaError::config(
                    key,
                    "not a serializer setting (auto.register.schemas, use.latest.version, \
                     subject.name.strategy)",
                ))
            }
        })
    }

    /// Whether these are the settings of a key serializer or deserializer.
    pub fn is_key(&self) -> bool {
        self.is_key
    }

    /// `auto.register.schemas`.
    pub fn auto_registers(&self) -> bool {
        self.auto_register_schemas
    }

    /// `use.latest.version`.
    pub fn uses_latest_version(&self) -> bool {
        self.use_latest_version
    }

    /// `subject.name.strategy`.
    pub fn strategy(&self) -> SubjectNameStrategy {
        self.strategy
    }

    /// Checks the settings for a serializer: `use.latest.version` and
    /// `auto.register.schemas` together are refused, as in confluent-kafka-python (the
    /// latest version would not be the schema just registered).
    pub fn validate(&self) -> Result<()> {
        if self.use_latest_version && self.auto_register_schemas {
            return Err(KafkaError::config(
                "use.latest.version",
                "cannot be enabled together with auto.register.schemas",
            ));
        }
        Ok(())
    }

    /// The subject of `topic`'s keys or values for a schema named `record_name`.
    pub fn subject(&self, topic: &str, record_name: Option<&str>) -> Result<String> {
        self.strategy.subject(topic, self.is_key, record_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn defaults_are_confluent_kafka_pythons() {
        let value = SerdeConfig::value();
        assert!(!value.is_key());
        assert!(value.auto_registers());
        assert!(!value.uses_latest_version());
        assert_eq!(value.strategy(), SubjectNameStrategy::TopicName);
        assert!(value.validate().is_ok());
        assert!(SerdeConfig::key().is_key());
        assert_eq!(SerdeConfig::key().subject("t", None).unwrap(), "t-key");
        assert_eq!(value.subject("t", None).unwrap(), "t-value");
    }

    #[test]
    fn settings_parse_by_name_and_bad_ones_name_the_key() {
        let config = SerdeConfig::key()
            .set("auto.register.schemas", "False")
            .unwrap()
            .set("use.latest.version", "TRUE")
            .unwrap()
            .set("key.subject.name.strategy", "TopicRecordNameStrategy")
            .unwrap();
        assert!(!config.auto_registers());
        assert!(config.uses_latest_version());
        assert!(config.validate().is_ok());
        assert_eq!(config.subject("t", Some("a.R")).unwrap(), "t-a.R");

        let err = SerdeConfig::value()
            .set("use.latest.version", "yes")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("use.latest.version"), "{err}");
        let err = SerdeConfig::value()
            .set("subject.name.strategy", "X")
            .unwrap_err();
        assert!(err.to_string().contains("subject.name.strategy"), "{err}");
        assert!(SerdeConfig::value().set("normalize", "true").is_err());
    }

    #[test]
    fn latest_version_and_auto_register_exclude_each_other() {
        let err = SerdeConfig::value()
            .use_latest_version(true)
            .validate()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("auto.register.schemas"), "{err}");
    }
}
