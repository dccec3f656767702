//! What `poll()` returns: [`ConsumerRecord`]s, grouped by partition in
//! [`ConsumerRecords`], and the [`Deserializer`] trait for typed keys and values.

use std::sync::Arc;

use bytes::Bytes;

use crate::client::TopicPartition;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::record::{Header, TimestampType};

/// One record read from a partition. Key, value and header values are zero-copy
/// slices of the fetched (or decompressed) buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// The topic (shared by all records of the topic, so cloning it is cheap).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset in its partition.
    pub offset: i64,
    /// The timestamp in milliseconds since the epoch (-1 if the record has none).
    pub timestamp: i64,
    /// Whether the producer or the broker set the timestamp.
    pub timestamp_type: TimestampType,
    /// The key; `None` is a null key.
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone).
    pub value: Option<Bytes>,
    /// The headers, in order.
    pub headers: Vec<Header>,
    /// The leader epoch of the batch the record came in, if the broker set one.
    pub leader_epoch: Option<i32>,
}

impl ConsumerRecord {
    /// The record's topic and partition.
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(&*self.topic, self.partition)
    }

    /// The size of the key in bytes, -1 for a null key (kafka-python's
    /// `serialized_key_size`).
    pub fn serialized_key_size(&self) -> i32 {
        self.key
            .as_ref()
            .map_or(-1, |k| i32::try_from(k.len()).unwrap_or(i32::MAX))
    }

    /// The size of the value in bytes, -1 for a null value.
    pub fn serialized_value_size(&self) -> i32 {
        self.value
            .as_ref()
            .map_or(-1, |v| i32::try_from(v.len()).unwrap_or(i32::MAX))
    }

    /// The size of the headers (keys and values) in bytes, -1 if there are none.
    pub fn serialized_header_size(&self) -> i32 {
        if self.headers.is_empty() {
            return -1;
        }
        let size: usize = self
            .headers
            .iter()
            .map(|h| h.key.len() + h.value.as_ref().map_or(0, Bytes::len))
            .sum();
        i32::try_from(size).unwrap_or(i32::MAX)
    }

    /// The value of the last header named `key`, if any (`Some(None)` for a null value).
    pub fn header(&self, key: &str) -> Option<Option<&Bytes>> {
        self.headers
            .iter()
            .rev()
            .find(|h| h.key == key)
            .map(|h| h.value.as_ref())
    }

    /// The key decoded by `deserializer`.
    pub fn key_as<D: Deserializer>(&self, deserializer: &D) -> Result<D::Output> {
        deserializer.deserialize(&self.topic, self.key.as_ref())
    }

    /// The value decoded by `deserializer`.
    pub fn value_as<D: Deserializer>(&self, deserializer: &D) -> Result<D::Output> {
        deserializer.deserialize(&self.topic, self.value.as_ref())
    }
}

/// Turns the bytes of a key or value into a typed value.
///
/// ```
/// use kafka_sync::consumer::{Deserializer, StringDeserializer};
/// let text = StringDeserializer.deserialize("events", Some(&"héllo".into())).unwrap();
/// assert_eq!(text.as_deref(), Some("héllo"));
/// ```
pub trait Deserializer {
    /// The typed value.
    type Output;
    /// Decodes `data` (`None` for a null key or value) read from `topic`. Errors should
    /// be [`KafkaError`]s of kind [`ErrorKind::Serialization`].
    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Self::Output>;
}

/// Any `Fn(&str, Option<&Bytes>) -> Result<T>` is a deserializer.
impl<T, F> Deserializer for F
where
    F: Fn(&str, Option<&Bytes>) -> Result<T>,
{
    type Output = T;
    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<T> {
        self(topic, data)
    }
}

/// Decodes UTF-8 text; a null stays `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringDeserializer;

impl Deserializer for StringDeserializer {
    type Output = Option<String>;
    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<String>> {
        data.map(|d| {
            String::from_utf8(d.to_vec()).map_err(|e| {
                KafkaError::new(
                    ErrorKind::Serialization,
                    format!("a record of `{topic}` is not UTF-8: {e}"),
                )
            })
        })
        .transpose()
    }
}

/// The records one `poll()` returned, grouped by partition, each partition's records in
/// offset order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerRecords {
    partitions: Vec<(TopicPartition, Vec<ConsumerRecord>)>,
}

impl ConsumerRecords {
    /// No records.
    pub fn empty() -> Self {
        ConsumerRecords::default()
    }

    /// Adds records of `tp` (appending to its list if the partition is already there).
    pub(crate) fn push(&mut self, tp: &TopicPartition, mut records: Vec<ConsumerRecord>) {
        if records.is_empty() {
            return;
        }
        match self.partitions.iter_mut().find(|(t, _)| t == tp) {
            Some((_, existing)) => existing.append(&mut records),
            None => self.partitions.push((tp.clone(), records)),
        }
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.partitions.iter().map(|(_, r)| r.len()).sum()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(|(_, r)| r.is_empty())
    }

    /// The partitions that have records.
    pub fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.partitions.iter().map(|(tp, _)| tp)
    }

    /// The records of one partition (empty if it has none).
    pub fn records(&self, tp: &TopicPartition) -> &[ConsumerRecord] {
        self.partitions
            .iter()
            .find(|(t, _)| t == tp)
            .map_or(&[], |(_, r)| r.as_slice())
    }

    /// Every record, partition by partition.
    pub fn iter(&self) -> impl Iterator<Item = &ConsumerRecord> {
        self.partitions.iter().flat_map(|(_, r)| r.iter())
    }

    /// The records grouped by partition.
    pub fn by_partition(&self) -> &[(TopicPartition, Vec<ConsumerRecord>)] {
        &self.partitions
    }
}

impl IntoIterator for ConsumerRecords {
    type Item = ConsumerRecord;
    type IntoIter = std::iter::FlatMap<
        std::vec::IntoIter<(TopicPartition, Vec<ConsumerRecord>)>,
        Vec<ConsumerRecord>,
        fn((TopicPartition, Vec<ConsumerRecord>)) -> Vec<ConsumerRecord>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let records: fn((TopicPartition, Vec<ConsumerRecord>)) -> Vec<ConsumerRecord> = |(_, r)| r;
        self.partitions.into_iter().flat_map(records)
    }
}

/// Borrowing iteration, as `for record in &records`: every record, partition by
/// partition.
impl<'a> IntoIterator for &'a ConsumerRecords {
    type Item = &'a ConsumerRecord;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, (TopicPartition, Vec<ConsumerRecord>)>,
        &'a Vec<ConsumerRecord>,
        fn(&'a (TopicPartition, Vec<ConsumerRecord>)) -> &'a Vec<ConsumerRecord>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let records: fn(&'a (TopicPartition, Vec<ConsumerRecord>)) -> &'a Vec<ConsumerRecord> =
            |(_, r)| r;
        self.partitions.iter().flat_map(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(topic: &Arc<str>, partition: i32, offset: i64) -> ConsumerRecord {
        ConsumerRecord {
            topic: Arc::clone(topic),
            partition,
            offset,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: Some(Bytes::from_static(b"abc")),
            headers: vec![Header::new("h", "xy")],
            leader_epoch: None,
        }
    }

    #[test]
    fn grouped_by_partition_in_order() {
        let t: Arc<str> = Arc::from("t");
        let mut records = ConsumerRecords::empty();
        let p0 = TopicPartition::new("t", 0);
        let p1 = TopicPartition::new("t", 1);
        records.push(&p0, vec![record(&t, 0, 5)]);
        records.push(&p1, vec![record(&t, 1, 1)]);
        records.push(&p0, vec![record(&t, 0, 6)]);
        assert_eq!(records.len(), 3);
        let offsets: Vec<i64> = records.records(&p0).iter().map(|r| r.offset).collect();
        assert_eq!(offsets, [5, 6]);
        assert_eq!(records.partitions().count(), 2);
        let borrowed: Vec<i64> = (&records).into_iter().map(|r| r.offset).collect();
        assert_eq!(borrowed, [5, 6, 1]);
        let all: Vec<i64> = records.into_iter().map(|r| r.offset).collect();
        assert_eq!(all, [5, 6, 1]);
    }

    #[test]
    fn sizes_and_headers() {
        let t: Arc<str> = Arc::from("t");
        let r = record(&t, 0, 0);
        assert_eq!(r.serialized_key_size(), -1);
        assert_eq!(r.serialized_value_size(), 3);
        assert_eq!(r.serialized_header_size(), 3);
        assert_eq!(r.header("h"), Some(Some(&Bytes::from_static(b"xy"))));
        assert_eq!(
            r.value_as(&StringDeserializer).unwrap().as_deref(),
            Some("abc")
        );
        let len = |_: &str, d: Option<&Bytes>| Ok(d.map_or(0, Bytes::len));
        assert_eq!(r.value_as(&len).unwrap(), 3);
    }
}
