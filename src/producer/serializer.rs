//! Typed producers: a [`Serializer`] turns keys and values into bytes, and a
//! [`TypedProducer`] applies them on every send.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::producer::{I64Serializer, StringSerializer, TypedProducer};
//! use kafka_sync::ProducerConfig;
//!
//! let producer = TypedProducer::new(ProducerConfig::new("127.0.0.1:9092"), I64Serializer, StringSerializer)?;
//! producer.send("events", Some(&42), Some("hello"))?.get(Duration::from_secs(10))?;
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::cell::RefCell;

use super::{FutureRecordMetadata, KafkaProducer, ProducerRecord};
use crate::config::ProducerConfig;
use crate::error::{ErrorKind, KafkaError, Result};

/// Turns a `T` into bytes for a record of `topic`.
pub trait Serializer<T: ?Sized>: Send + Sync {
    /// Appends the serialized `value` to `out` (which is empty when called).
    /// Errors should be [`ErrorKind::Serialization`]; [`TypedProducer`] passes them on
    /// with their kind (a schema registry's errors stay
    /// [`ErrorKind::SchemaRegistry`], with its error code), naming the key or value
    /// and the topic in the message.
    fn serialize(&self, topic: &str, value: &T, out: &mut Vec<u8>) -> Result<()>;
}

/// UTF-8 strings, as the Java `StringSerializer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringSerializer;

impl Serializer<str> for StringSerializer {
    fn serialize(&self, _topic: &str, value: &str, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(value.as_bytes());
        Ok(())
    }
}

/// Raw bytes, unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesSerializer;

impl Serializer<[u8]> for BytesSerializer {
    fn serialize(&self, _topic: &str, value: &[u8], out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(value);
        Ok(())
    }
}

/// 32-bit integers, big-endian, as the Java `IntegerSerializer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct I32Serializer;

impl Serializer<i32> for I32Serializer {
    fn serialize(&self, _topic: &str, value: &i32, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&value.to_be_bytes());
        Ok(())
    }
}

/// 64-bit integers, big-endian, as the Java `LongSerializer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct I64Serializer;

impl Serializer<i64> for I64Serializer {
    fn serialize(&self, _topic: &str, value: &i64, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&value.to_be_bytes());
        Ok(())
    }
}

thread_local! {
    /// Per-thread scratch buffers for keys and values, reused across sends.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A [`KafkaProducer`] with serializers for its keys and values.
pub struct TypedProducer<K: ?Sized, V: ?Sized> {
    producer: KafkaProducer,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
}

impl<K: ?Sized, V: ?Sized> std::fmt::Debug for TypedProducer<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedProducer")
            .field("producer", &self.producer)
            .finish()
    }
}

impl<K: ?Sized, V: ?Sized> TypedProducer<K, V> {
    /// Starts a producer that serializes keys and values with the given serializers.
    pub fn new(
        config: ProducerConfig,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
    ) -> Result<Self> {
        Ok(TypedProducer {
            producer: KafkaProducer::new(config)?,
            key_serializer: Box::new(key_serializer),
            value_serializer: Box::new(value_serializer),
        })
    }

    /// Serializes and sends a record; see [`KafkaProducer::send`].
    pub fn send(
        &self,
        topic: &str,
        key: Option<&K>,
        value: Option<&V>,
    ) -> Result<FutureRecordMetadata> {
        self.send_with(topic, key, value, |record| record)
    }

    /// Like [`send`](Self::send), letting `build` add headers, a partition or a
    /// timestamp to the record first.
    pub fn send_with(
        &self,
        topic: &str,
        key: Option<&K>,
        value: Option<&V>,
        build: impl FnOnce(ProducerRecord<'_>) -> ProducerRecord<'_>,
    ) -> Result<FutureRecordMetadata> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.try_borrow_mut().map_err(|_| {
                KafkaError::new(
                    ErrorKind::Serialization,
                    "a serializer called send() recursively",
                )
            })?;
            let (key_buf, value_buf) = &mut *scratch;
            key_buf.clear();
            value_buf.clear();
            if let Some(key) = key {
                self.key_serializer
                    .serialize(topic, key, key_buf)
                    .map_err(|e| serialization_error(e, "key", topic))?;
            }
            if let Some(value) = value {
                self.value_serializer
                    .serialize(topic, value, value_buf)
                    .map_err(|e| serialization_error(e, "value", topic))?;
            }
            let mut record = ProducerRecord::new(topic);
            if key.is_some() {
                record = record.key(key_buf.as_slice());
            }
            if value.is_some() {
                record = record.value(value_buf.as_slice());
            }
            self.producer.send(build(record))
        })
    }

    /// The underlying producer (flush, close, metrics, ...).
    pub fn producer(&self) -> &KafkaProducer {
        &self.producer
    }
}

/// The serializer's error, with its kind kept (so that a registry's error code or a
/// retriable kind stays visible), naming what was serialized and for which topic.
fn serialization_error(e: KafkaError, what: &str, topic: &str) -> KafkaError {
    e.context(format!("serializing the {what} of a record for `{topic}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_compatible_encodings() {
        let mut out = Vec::new();
        I32Serializer.serialize("t", &-2, &mut out).unwrap();
        assert_eq!(out, [0xff, 0xff, 0xff, 0xfe]);
        out.clear();
        I64Serializer.serialize("t", &1, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 1]);
        out.clear();
        StringSerializer.serialize("t", "hé", &mut out).unwrap();
        assert_eq!(out, "hé".as_bytes());
    }

    #[test]
    fn serializer_errors_keep_their_kind_and_name_the_field() {
        let err = serialization_error(
            KafkaError::new(ErrorKind::Serialization, "not an i32"),
            "key",
            "t",
        );
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.to_string().contains("the key of a record for `t`"));

        let registry = ErrorKind::SchemaRegistry {
            status: 404,
            code: 40401,
        };
        let err = serialization_error(KafkaError::new(registry, "subject not found"), "value", "t");
        assert_eq!(err.kind(), registry);
        assert!(err.to_string().contains("the value of a record for `t`"));
        assert!(err.to_string().contains("subject not found"));
    }
}
