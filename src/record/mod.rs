//! Low-level API: the record layer, sans I/O: building record batches for produce requests and
//! reading the `records` blobs of fetch responses.
//!
//! - [`RecordBatchBuilder`] writes a record batch (magic 2) into one growing buffer and
//!   compresses it on [`build`](RecordBatchBuilder::build).
//! - [`RecordBatch`] reads one batch: header fields, CRC check, and its [`Record`]s as
//!   zero-copy slices of the (decompressed) buffer.
//! - [`Batches`] walks a whole fetched `records` blob, v0/v1 message sets and v2
//!   batches alike, and stops quietly at a final batch the broker cut short.
//! - [`Compression`] is the codec of a batch.
//!
//! ```
//! use bytes::Bytes;
//! use kafka_sync::record::{Batches, Header, RecordBatchBuilder};
//! use kafka_sync::Compression;
//!
//! let mut builder = RecordBatchBuilder::new(Compression::Lz4, 1_700_000_000_000, -1, -1, -1, false);
//! builder.append(1_700_000_000_000, Some(b"k"), Some(b"v"), &[Header::new("h", "x")]).unwrap();
//! builder.append(1_700_000_000_005, None, Some(b"w"), &[]).unwrap();
//! let batch: Bytes = builder.build().unwrap();
//!
//! let mut batches = Batches::new(batch);
//! let first = batches.next().unwrap().unwrap();
//! first.verify_crc().unwrap();
//! let records: Vec<_> = first.records().collect::<Result<_, _>>().unwrap();
//! assert_eq!(records[1].offset, 1);
//! assert_eq!(records[1].timestamp, 1_700_000_000_005);
//! assert_eq!(records[0].headers[0].key, "h");
//! assert!(batches.next().is_none() && !batches.is_truncated());
//! ```

use bytes::Bytes;

pub mod batch;
pub mod compression;
pub mod legacy;
pub mod set;

/// The old name of [`set`].
#[doc(hidden)]
pub use set as batches;

#[cfg(all(
    test,
    feature = "gzip",
    feature = "snappy",
    feature = "lz4",
    feature = "zstd"
))]
mod fixture_tests;

pub use batch::{
    end_transaction_marker, set_base_offset, set_producer_state, with_producer_state,
    ControlRecord, ControlRecordType, RecordBatch, RecordBatchBuilder, Records,
};
pub use compression::Compression;
pub use legacy::LegacyMessage;
pub use set::{Batch, Batches};

/// The most a batch's records may decompress to unless the caller picks another limit
/// (see [`RecordBatch::records_with_max_size`]): 256 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 256 << 20;

/// A record header: a string key and nullable bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header's key.
    pub key: String,
    /// The header's value; `None` is a null value.
    pub value: Option<Bytes>,
}

impl Header {
    /// A header with a non-null value.
    pub fn new(key: impl Into<String>, value: impl Into<Bytes>) -> Header {
        Header {
            key: key.into(),
            value: Some(value.into()),
        }
    }

    /// A header whose value is null.
    pub fn null(key: impl Into<String>) -> Header {
        Header {
            key: key.into(),
            value: None,
        }
    }
}

/// What a record's timestamp means (bit 3 of the attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// Set by the producer when the record was created.
    #[default]
    CreateTime,
    /// Set by the broker when it appended the batch to the log.
    LogAppendTime,
}

impl TimestampType {
    /// The attribute bit that marks log-append time.
    pub const ATTRIBUTE_BIT: i16 = 0x08;

    /// The timestamp type recorded in `attributes`.
    pub fn from_attributes(attributes: i16) -> TimestampType {
        if attributes & Self::ATTRIBUTE_BIT != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }
}

/// One record read from a batch or a legacy message set. Keys, values and header
/// values are zero-copy slices of the fetched (or decompressed) buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's offset in its partition.
    pub offset: i64,
    /// The record's timestamp in milliseconds since the epoch (-1 for magic-0 messages,
    /// which have none); for log-append-time batches the broker's append time.
    pub timestamp: i64,
    /// The key; `None` is a null key.
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone).
    pub value: Option<Bytes>,
    /// The headers, in order (always empty for legacy messages).
    pub headers: Vec<Header>,
}
