//! [`ProducerRecord`], what `send()` takes, and [`RecordMetadata`], what a delivered
//! record reports.

use std::sync::Arc;

use bytes::Bytes;

use crate::record::Header;

/// A record to send. It borrows its key and value, so `send()` copies them once,
/// straight into the batch buffer.
///
/// ```
/// use kafka_sync::ProducerRecord;
///
/// let payload = vec![1u8, 2, 3];
/// let record = ProducerRecord::new("events")
///     .key("user-1")
///     .value(&payload)
///     .header("trace", "abc")
///     .partition(2);
/// assert_eq!(record.key, Some(&b"user-1"[..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerRecord<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// The key; `None` is a null key.
    pub key: Option<&'a [u8]>,
    /// The value; `None` is a null value (a tombstone on compacted topics).
    pub value: Option<&'a [u8]>,
    /// The timestamp in milliseconds since the epoch; `None` means now.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<Header>,
}

impl<'a> ProducerRecord<'a> {
    /// A record for `topic` with no key and no value.
    pub fn new(topic: &'a str) -> Self {
        ProducerRecord {
            topic,
            partition: None,
            key: None,
            value: None,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// Sets the key.
    pub fn key<K: AsRef<[u8]> + ?Sized>(mut self, key: &'a K) -> Self {
        self.key = Some(key.as_ref());
        self
    }

    /// Sets the value.
    pub fn value<V: AsRef<[u8]> + ?Sized>(mut self, value: &'a V) -> Self {
        self.value = Some(value.as_ref());
        self
    }

    /// Sends the record to this partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the timestamp (milliseconds since the epoch).
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }

    /// Adds a header.
    pub fn header(mut self, key: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.headers.push(Header {
            key: key.into(),
            value: Some(Bytes::copy_from_slice(value.as_ref())),
        });
        self
    }

    /// Adds a header with a null value.
    pub fn null_header(mut self, key: impl Into<String>) -> Self {
        self.headers.push(Header {
            key: key.into(),
            value: None,
        });
        self
    }
}

/// Where a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset, or -1 if unknown (acks=0, or a duplicate the broker had
    /// already written).
    pub offset: i64,
    /// The record's timestamp: its create time, or the broker's log append time if the
    /// topic uses that.
    pub timestamp: i64,
    /// The key's size in bytes, or -1 for a null key.
    pub serialized_key_size: i32,
    /// The value's size in bytes, or -1 for a null value.
    pub serialized_value_size: i32,
}
