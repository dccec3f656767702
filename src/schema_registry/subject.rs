//! Subject name strategies: under which registry subject a serializer registers and
//! looks up the schema of a topic's keys or values.
//!
//! | strategy | subject | use |
//! | --- | --- | --- |
//! | [`TopicName`](SubjectNameStrategy::TopicName) (default) | `<topic>-key` / `<topic>-value` | one schema per topic (evolving under the subject's compatibility) |
//! | [`RecordName`](SubjectNameStrategy::RecordName) | `<record full name>` | one record type in many topics |
//! | [`TopicRecordName`](SubjectNameStrategy::TopicRecordName) | `<topic>-<record full name>` | several record types in one topic |
//!
//! The record name is the schema's fully qualified name: an Avro record's
//! `namespace.name`, a Protobuf message's `package.Message`, a JSON Schema's `title`.
//!
//! ```
//! use kafka_sync::schema_registry::subject::SubjectNameStrategy;
//!
//! let topic = SubjectNameStrategy::default();
//! assert_eq!(topic.subject("orders", false, None)?, "orders-value");
//! assert_eq!(topic.subject("orders", true, None)?, "orders-key");
//!
//! let record: SubjectNameStrategy = "RecordNameStrategy".parse()?;
//! assert_eq!(record.subject("orders", false, Some("shop.Order"))?, "shop.Order");
//! let both = SubjectNameStrategy::TopicRecordName;
//! assert_eq!(both.subject("orders", false, Some("shop.Order"))?, "orders-shop.Order");
//! assert!(both.subject("orders", false, None).is_err());
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{ErrorKind, KafkaError, Result};

/// How a serializer names the subject of a topic's keys or values (see the
/// [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` or `<topic>-value`: Confluent's `TopicNameStrategy`, the default.
    #[default]
    TopicName,
    /// The record's full name: Confluent's `RecordNameStrategy`.
    RecordName,
    /// `<topic>-<record full name>`: Confluent's `TopicRecordNameStrategy`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for a key (`is_key`) or a value of `topic` whose schema is named
    /// `record_name`. The record strategies need the name: without one they fail with
    /// [`ErrorKind::Serialization`].
    pub fn subject(self, topic: &str, is_key: bool, record_name: Option<&str>) -> Result<String> {
        let record = || {
            record_name.filter(|n| !n.is_empty()).ok_or_else(|| {
                KafkaError::new(
                    ErrorKind::Serialization,
                    format!(
                        "the subject name strategy {self} needs the schema's record name, and \
                         the schema of `{topic}`'s {} has none",
                        if is_key { "keys" } else { "values" }
                    ),
                )
            })
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::RecordName => record()?.to_owned(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }

    /// Whether the subject depends on the record name.
    pub fn needs_record_name(self) -> bool {
        self != SubjectNameStrategy::TopicName
    }

    /// Confluent's class name: `TopicNameStrategy`, `RecordNameStrategy` or
    /// `TopicRecordNameStrategy`.
    pub fn name(self) -> &'static str {
        match self {
            SubjectNameStrategy::TopicName => "TopicNameStrategy",
            SubjectNameStrategy::RecordName => "RecordNameStrategy",
            SubjectNameStrategy::TopicRecordName => "TopicRecordNameStrategy",
        }
    }
}

impl fmt::Display for SubjectNameStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses Confluent's class names, with or without their Java package
/// (`io.confluent.kafka.serializers.subject.RecordNameStrategy`), and
/// confluent-kafka-python's function names (`topic_subject_name_strategy`,
/// `record_subject_name_strategy`, `topic_record_subject_name_strategy`).
impl FromStr for SubjectNameStrategy {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let short = s.rsplit('.').next().unwrap_or(s);
        Ok(match short {
            "TopicNameStrategy" | "topic_subject_name_strategy" => SubjectNameStrategy::TopicName,
            "RecordNameStrategy" | "record_subject_name_strategy" => {
                SubjectNameStrategy::RecordName
            }
            "TopicRecordNameStrategy" | "topic_record_subject_name_strategy" => {
                SubjectNameStrategy::TopicRecordName
            }
            _ => {
                return Err(KafkaError::invalid_argument(format!(
                    "`{s}` is not a subject name strategy (TopicNameStrategy, \
                     RecordNameStrategy or TopicRecordNameStrategy)"
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_strategy_names_its_subject() {
        use SubjectNameStrategy::*;
        assert_eq!(
            TopicName.subject("t", false, Some("a.B")).unwrap(),
            "t-value"
        );
        assert_eq!(TopicName.subject("t", true, None).unwrap(), "t-key");
        assert_eq!(RecordName.subject("t", true, Some("a.B")).unwrap(), "a.B");
        assert_eq!(
            TopicRecordName.subject("t", true, Some("B")).unwrap(),
            "t-B"
        );
        for strategy in [RecordName, TopicRecordName] {
            for name in [None, Some("")] {
                let err = strategy.subject("t", false, name).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Serialization);
                assert!(err.to_string().contains("record name"), "{err}");
            }
            assert!(strategy.needs_record_name());
        }
        assert!(!TopicName.needs_record_name());
    }

    #[test]
    fn strategies_parse_java_and_python_names() {
        for strategy in [
            SubjectNameStrategy::TopicName,
            SubjectNameStrategy::RecordName,
            SubjectNameStrategy::TopicRecordName,
        ] {
            assert_eq!(
                strategy.name().parse::<SubjectNameStrategy>().unwrap(),
                strategy
            );
            let java = format!("io.confluent.kafka.serializers.subject.{strategy}");
            assert_eq!(java.parse::<SubjectNameStrategy>().unwrap(), strategy);
        }
        assert_eq!(
            "topic_record_subject_name_strategy"
                .parse::<SubjectNameStrategy>()
                .unwrap(),
            SubjectNameStrategy::TopicRecordName
        );
        assert!("Whatever".parse::<SubjectNameStrategy>().is_err());
    }
}
