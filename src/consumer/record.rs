//! What `poll()` returns: [`ConsumerRecord`]s, grouped by partition in
//! [`ConsumerRecords`], and the [`Deserializer`] trait for typed keys and values.

use std::sync::Arc;

use bytes::Bytes;

use crate::client::TopicPartition;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::record::{Header, TimestampType};

/// One record read from a partition. Key, value and header values are zero-copy
/// slices of the fetched (or decompressed) buffer.
///
/// `K` and `V` are the key's and the value's types: bytes as fetched (the default), or
/// what a [`TypedConsumer`](super::TypedConsumer)'s [`Deserializer`]s made of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord<K = Option<Bytes>, V = Option<Bytes>> {
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
    /// The key; as bytes, `None` is a null key.
    pub key: K,
    /// The value; as bytes, `None` is a null value (a tombstone).
    pub value: V,
    /// The headers, in order.
    pub headers: Vec<Header>,
    /// The leader epoch of the batch the record came in, if the broker set one.
    pub leader_epoch: Option<i32>,
}

impl<K, V> ConsumerRecord<K, V> {
    /// The record's topic and partition.
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(&*self.topic, self.partition)
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
}

impl ConsumerRecord {
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

    /// The key decoded by `deserializer`.
    pub fn key_as<D: Deserializer>(&self, deserializer: &D) -> Result<D::Output> {
        deserializer.deserialize(&self.topic, self.key.as_ref())
    }

    /// The value decoded by `deserializer`.
    pub fn value_as<D: Deserializer>(&self, deserializer: &D) -> Result<D::Output> {
        deserializer.deserialize(&self.topic, self.value.as_ref())
    }

    /// The record with its key and value decoded; the error of a key or value that
    /// does not decode names the record (topic, partition and offset).
    pub fn deserialize<KD: Deserializer, VD: Deserializer>(
        self,
        key_deserializer: &KD,
        value_deserializer: &VD,
    ) -> Result<ConsumerRecord<KD::Output, VD::Output>> {
        self.try_deserialize(key_deserializer, value_deserializer)
            .map_err(|failed| failed.0)
    }

    /// [`deserialize`](Self::deserialize), handing the record back with the error.
    pub(crate) fn try_deserialize<KD: Deserializer, VD: Deserializer>(
        self,
        key_deserializer: &KD,
        value_deserializer: &VD,
    ) -> std::result::Result<ConsumerRecord<KD::Output, VD::Output>, Box<UndecodedRecord>> {
        let key = match self.key_as(key_deserializer) {
            Ok(key) => key,
            Err(e) => return Err(Box::new((self.decode_error(e, "key"), self))),
        };
        let value = match self.value_as(value_deserializer) {
            Ok(value) => value,
            Err(e) => return Err(Box::new((self.decode_error(e, "value"), self))),
        };
        Ok(ConsumerRecord {
            topic: self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            timestamp_type: self.timestamp_type,
            key,
            value,
            headers: self.headers,
            leader_epoch: self.leader_epoch,
        })
    }

    fn decode_error(&self, error: KafkaError, what: &str) -> KafkaError {
        error.context(format_args!(
            "the {what} of the record at offset {} of {}-{}",
            self.offset, self.topic, self.partition
        ))
    }
}

/// A record whose key or value did not decode, with the error.
pub(crate) type UndecodedRecord = (KafkaError, ConsumerRecord);

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

/// The bytes as fetched (zero-copy); a null stays `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesDeserializer;

impl Deserializer for BytesDeserializer {
    type Output = Option<Bytes>;
    fn deserialize(&self, _topic: &str, data: Option<&Bytes>) -> Result<Option<Bytes>> {
        Ok(data.cloned())
    }
}

/// Decodes a big-endian integer of `N` bytes, as the Java `IntegerDeserializer` and
/// `LongDeserializer` read them.
fn fixed_width<const N: usize>(topic: &str, data: Option<&Bytes>) -> Result<Option<[u8; N]>> {
    data.map(|d| {
        <[u8; N]>::try_from(d.as_ref()).map_err(|_| {
            KafkaError::new(
                ErrorKind::Serialization,
                format!(
                    "a record of `{topic}` holds {} bytes where a {}-byte integer was expected",
                    d.len(),
                    N
                ),
            )
        })
    })
    .transpose()
}

/// 32-bit big-endian integers (the Java `IntegerDeserializer`); a null stays `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct I32Deserializer;

impl Deserializer for I32Deserializer {
    type Output = Option<i32>;
    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<i32>> {
        Ok(fixed_width::<4>(topic, data)?.map(i32::from_be_bytes))
    }
}

/// 64-bit big-endian integers (the Java `LongDeserializer`); a null stays `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct I64Deserializer;

impl Deserializer for I64Deserializer {
    type Output = Option<i64>;
    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<i64>> {
        Ok(fixed_width::<8>(topic, data)?.map(i64::from_be_bytes))
    }
}

/// The records one `poll()` returned, grouped by partition, each partition's records in
/// offset order. `K` and `V` are as in [`ConsumerRecord`].
///
/// ```no_run
/// # use std::time::Duration;
/// # use kafka_sync::{ConsumerConfig, KafkaConsumer};
/// # let mut consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
/// let records = consumer.poll(Duration::from_secs(1))?;
/// for (tp, partition_records) in records.by_partition() {
///     let last = partition_records.last().map(|r| r.offset);
///     println!("{tp}: {} records, up to offset {last:?}", partition_records.len());
/// }
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecords<K = Option<Bytes>, V = Option<Bytes>> {
    partitions: Vec<(TopicPartition, Vec<ConsumerRecord<K, V>>)>,
}

impl<K, V> Default for ConsumerRecords<K, V> {
    fn default() -> Self {
        ConsumerRecords {
            partitions: Vec::new(),
        }
    }
}

impl<K, V> ConsumerRecords<K, V> {
    /// No records.
    pub fn empty() -> Self {
        ConsumerRecords::default()
    }

    /// Adds records of `tp` (appending to its list if the partition is already there).
    pub(crate) fn push(&mut self, tp: &TopicPartition, mut records: Vec<ConsumerRecord<K, V>>) {
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
    pub fn records(&self, tp: &TopicPartition) -> &[ConsumerRecord<K, V>] {
        self.partitions
            .iter()
            .find(|(t, _)| t == tp)
            .map_or(&[], |(_, r)| r.as_slice())
    }

    /// The records of every partition of `topic`, partition by partition (Java's
    /// `records(String topic)`).
    pub fn records_of_topic<'a>(
        &'a self,
        topic: &'a str,
    ) -> impl Iterator<Item = &'a ConsumerRecord<K, V>> + 'a {
        self.partitions
            .iter()
            .filter(move |(tp, _)| tp.topic == topic)
            .flat_map(|(_, r)| r.iter())
    }

    /// Every record, partition by partition.
    pub fn iter(&self) -> impl Iterator<Item = &ConsumerRecord<K, V>> {
        self.partitions.iter().flat_map(|(_, r)| r.iter())
    }

    /// The records grouped by partition: each partition with its records in offset
    /// order, so `for (tp, records) in records.by_partition()` handles (and may
    /// commit) one partition at a time.
    pub fn by_partition(&self) -> &[(TopicPartition, Vec<ConsumerRecord<K, V>>)] {
        &self.partitions
    }

    /// The records grouped by partition, owned.
    pub fn into_partitions(self) -> Vec<(TopicPartition, Vec<ConsumerRecord<K, V>>)> {
        self.partitions
    }
}

/// A partition and its records, as [`ConsumerRecords::into_partitions`] holds them.
type PartitionRecords<K, V> = (TopicPartition, Vec<ConsumerRecord<K, V>>);
/// Takes the records out of a [`PartitionRecords`].
type TakeRecords<K, V> = fn(PartitionRecords<K, V>) -> Vec<ConsumerRecord<K, V>>;
/// Borrows the records of a [`PartitionRecords`].
type BorrowRecords<'a, K, V> = fn(&'a PartitionRecords<K, V>) -> &'a Vec<ConsumerRecord<K, V>>;

impl<K, V> IntoIterator for ConsumerRecords<K, V> {
    type Item = ConsumerRecord<K, V>;
    type IntoIter = std::iter::FlatMap<
        std::vec::IntoIter<PartitionRecords<K, V>>,
        Vec<ConsumerRecord<K, V>>,
        TakeRecords<K, V>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let records: TakeRecords<K, V> = |(_, r)| r;
        self.partitions.into_iter().flat_map(records)
    }
}

/// Borrowing iteration, as `for record in &records`: every record, partition by
/// partition.
impl<'a, K, V> IntoIterator for &'a ConsumerRecords<K, V> {
    type Item = &'a ConsumerRecord<K, V>;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, PartitionRecords<K, V>>,
        &'a Vec<ConsumerRecord<K, V>>,
        BorrowRecords<'a, K, V>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let records: BorrowRecords<'a, K, V> = |(_, r)| r;
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
    fn integer_and_bytes_deserializers() {
        let four = Bytes::from_static(&[0, 0, 1, 2]);
        assert_eq!(
            I32Deserializer.deserialize("t", Some(&four)).unwrap(),
            Some(258)
        );
        assert_eq!(I32Deserializer.deserialize("t", None).unwrap(), None);
        let err = I64Deserializer.deserialize("t", Some(&four)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.message().contains("4 bytes"), "{err}");
        let eight = Bytes::from_static(&[0xff; 8]);
        assert_eq!(
            I64Deserializer.deserialize("t", Some(&eight)).unwrap(),
            Some(-1)
        );
        assert_eq!(
            BytesDeserializer.deserialize("t", Some(&four)).unwrap(),
            Some(four)
        );
    }

    #[test]
    fn deserialize_names_the_record_and_hands_it_back() {
        let t: Arc<str> = Arc::from("t");
        let decoded = record(&t, 2, 7)
            .deserialize(&BytesDeserializer, &StringDeserializer)
            .unwrap();
        assert_eq!(decoded.value.as_deref(), Some("abc"));
        assert_eq!(decoded.headers, vec![Header::new("h", "xy")]);
        let (err, back) = *record(&t, 2, 7)
            .try_deserialize(&BytesDeserializer, &I32Deserializer)
            .unwrap_err();
        assert_eq!(back, record(&t, 2, 7));
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(
            err.message()
                .contains("value of the record at offset 7 of t-2"),
            "{err}"
        );
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
