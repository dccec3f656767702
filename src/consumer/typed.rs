//! Typed consumers: a [`TypedConsumer`] decodes every record's key and value with the
//! [`Deserializer`]s it was made with, as [`TypedProducer`](crate::producer::TypedProducer)
//! encodes them for producing.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::consumer::{I64Deserializer, StringDeserializer, TypedConsumer};
//! use kafka_sync::{ConsumerConfig, OffsetReset};
//!
//! let config = ConsumerConfig::new("127.0.0.1:9092")
//!     .group_id("billing")
//!     .auto_offset_reset(OffsetReset::Earliest);
//! let mut consumer = TypedConsumer::new(config, I64Deserializer, StringDeserializer)?;
//! consumer.subscribe(&["events"])?;
//! for record in consumer.poll(Duration::from_secs(1))? {
//!     let id: Option<i64> = record.key;
//!     let text: Option<String> = record.value;
//!     println!("{id:?}: {text:?}");
//! }
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```
//!
//! A record whose key or value does not decode is not lost and not skipped: `poll()`
//! returns the records before it (or, when it comes first, an error of kind
//! [`ErrorKind::Serialization`](crate::ErrorKind::Serialization) that names it), and
//! the consumer's position in its partition stays at it, so the next `poll()` meets it
//! again. To go past it, seek to the offset after it ([`TypedConsumer::failed_record`]
//! says which), as with Java's `RecordDeserializationException`.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::record::{ConsumerRecord, ConsumerRecords, Deserializer};
use super::{ConsumerIter, KafkaConsumer};
use crate::client::TopicPartition;
use crate::config::ConsumerConfig;
use crate::error::Result;

/// A [`KafkaConsumer`] with deserializers for its keys and values.
///
/// `poll` and `iter` return decoded records; every other call (subscribe, commit,
/// seek, close...) is the consumer's own, reached through `Deref`.
pub struct TypedConsumer<KD: Deserializer, VD: Deserializer> {
    consumer: KafkaConsumer,
    key_deserializer: KD,
    value_deserializer: VD,
    failed_record: Option<(TopicPartition, i64)>,
}

impl<KD: Deserializer, VD: Deserializer> std::fmt::Debug for TypedConsumer<KD, VD> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedConsumer")
            .field("consumer", &self.consumer)
            .field("failed_record", &self.failed_record)
            .finish()
    }
}

impl<KD: Deserializer, VD: Deserializer> TypedConsumer<KD, VD> {
    /// Starts a consumer that decodes keys and values with the given deserializers.
    pub fn new(
        config: ConsumerConfig,
        key_deserializer: KD,
        value_deserializer: VD,
    ) -> Result<Self> {
        Ok(Self::from_consumer(
            KafkaConsumer::new(config)?,
            key_deserializer,
            value_deserializer,
        ))
    }

    /// Wraps a consumer that exists already.
    pub fn from_consumer(
        consumer: KafkaConsumer,
        key_deserializer: KD,
        value_deserializer: VD,
    ) -> Self {
        TypedConsumer {
            consumer,
            key_deserializer,
            value_deserializer,
            failed_record: None,
        }
    }

    /// [`KafkaConsumer::poll`], with keys and values decoded (see the module
    /// documentation for a record that does not decode).
    pub fn poll(&mut self, timeout: Duration) -> Result<ConsumerRecords<KD::Output, VD::Output>> {
        let records = self.consumer.poll(timeout)?;
        self.decode(records)
    }

    /// [`KafkaConsumer::poll_max`], with keys and values decoded.
    pub fn poll_max(
        &mut self,
        timeout: Duration,
        max_records: usize,
    ) -> Result<ConsumerRecords<KD::Output, VD::Output>> {
        let records = self.consumer.poll_max(timeout, max_records)?;
        self.decode(records)
    }

    /// [`KafkaConsumer::iter`], with keys and values decoded. A record that does not
    /// decode ends the iteration with its error, and the consumer stays at it.
    pub fn iter(&mut self, timeout: Duration) -> TypedIter<'_, KD, VD> {
        TypedIter {
            records: self.consumer.iter(timeout),
            key_deserializer: &self.key_deserializer,
            value_deserializer: &self.value_deserializer,
            failed: false,
        }
    }

    /// The partition and offset of the record the last `poll` could not decode, if it
    /// met one: the consumer's position in that partition. `seek(tp, offset + 1)` skips
    /// the record.
    pub fn failed_record(&self) -> Option<&(TopicPartition, i64)> {
        self.failed_record.as_ref()
    }

    /// The consumer, without the deserializers.
    pub fn into_inner(self) -> KafkaConsumer {
        self.consumer
    }

    /// Decodes `records` partition by partition. At the first record that fails, the
    /// partitions go back to their first record not decoded (the one that failed and
    /// those after it), and the records decoded so far are returned, or the error if
    /// there are none.
    fn decode(
        &mut self,
        records: ConsumerRecords,
    ) -> Result<ConsumerRecords<KD::Output, VD::Output>> {
        self.failed_record = None;
        let mut decoded = ConsumerRecords::empty();
        let mut partitions = records.into_partitions().into_iter();
        while let Some((tp, raw)) = partitions.next() {
            let mut out = Vec::with_capacity(raw.len());
            let mut raw = raw.into_iter();
            while let Some(record) = raw.next() {
                match record.try_deserialize(&self.key_deserializer, &self.value_deserializer) {
                    Ok(record) => out.push(record),
                    Err(failed) => {
                        let (error, record) = *failed;
                        self.failed_record = Some((tp.clone(), record.offset));
                        let mut undelivered: Vec<ConsumerRecord> = vec![record];
                        undelivered.extend(raw);
                        for (_, later) in partitions {
                            undelivered.extend(later.into_iter().take(1));
                        }
                        self.consumer.rewind_to(&undelivered);
                        decoded.push(&tp, out);
                        return if decoded.is_empty() {
                            Err(error)
                        } else {
                            Ok(decoded)
                        };
                    }
                }
            }
            decoded.push(&tp, out);
        }
        Ok(decoded)
    }
}

impl<KD: Deserializer, VD: Deserializer> Deref for TypedConsumer<KD, VD> {
    type Target = KafkaConsumer;
    fn deref(&self) -> &KafkaConsumer {
        &self.consumer
    }
}

impl<KD: Deserializer, VD: Deserializer> DerefMut for TypedConsumer<KD, VD> {
    fn deref_mut(&mut self) -> &mut KafkaConsumer {
        &mut self.consumer
    }
}

/// The iterator of [`TypedConsumer::iter`]: decoded records, ending once `timeout`
/// passes without a record or at a record that does not decode.
pub struct TypedIter<'a, KD: Deserializer, VD: Deserializer> {
    records: ConsumerIter<'a>,
    key_deserializer: &'a KD,
    value_deserializer: &'a VD,
    failed: bool,
}

impl<KD: Deserializer, VD: Deserializer> Iterator for TypedIter<'_, KD, VD> {
    type Item = Result<ConsumerRecord<KD::Output, VD::Output>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let record = match self.records.next()? {
            Ok(record) => record,
            Err(e) => return Some(Err(e)),
        };
        match record.try_deserialize(self.key_deserializer, self.value_deserializer) {
            Ok(record) => Some(Ok(record)),
            Err(failed) => {
                let (error, record) = *failed;
                // Back into the buffer, so that dropping the iterator rewinds the
                // partition to this record.
                self.records.put_back(record);
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}
