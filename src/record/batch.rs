//! Record batches, magic 2: the [`RecordBatchBuilder`] that writes them and the
//! [`RecordBatch`] reader.
//!
//! The layout (all integers big-endian):
//!
//! | offset | field | type |
//! | --- | --- | --- |
//! | 0 | baseOffset | int64 |
//! | 8 | batchLength (bytes after this field) | int32 |
//! | 12 | partitionLeaderEpoch | int32 |
//! | 16 | magic (2) | int8 |
//! | 17 | crc (CRC-32C of attributes..end) | uint32 |
//! | 21 | attributes | int16 |
//! | 23 | lastOffsetDelta | int32 |
//! | 27 | baseTimestamp | int64 |
//! | 35 | maxTimestamp | int64 |
//! | 43 | producerId | int64 |
//! | 51 | producerEpoch | int16 |
//! | 53 | baseSequence | int32 |
//! | 57 | records count | int32 |
//! | 61 | records (compressed as one block if the codec is not none) | |
//!
//! Attributes: bits 0-2 codec, bit 3 timestamp type (1 = log-append time), bit 4
//! transactional, bit 5 control. A record is: length varint, attributes int8,
//! timestampDelta varlong, offsetDelta varint, key and value as varint length (-1 =
//! null) + bytes, header count varint, and per header a varint-length key string and a
//! varint-length (-1 = null) value.

use bytes::Bytes;

use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::primitives::{varint_len, varlong_len, Reader, Write};

use super::compression::Compression;
use super::{Header, Record, TimestampType, DEFAULT_MAX_DECOMPRESSED_SIZE};

/// The magic byte of a record batch.
pub const MAGIC: i8 = 2;
/// The size of a batch's header; the records start here.
pub const HEADER_SIZE: usize = 61;
/// The bytes before `batchLength` counts: baseOffset and batchLength themselves.
pub const LOG_OVERHEAD: usize = 12;
/// The producer id of a batch written without an idempotent producer.
pub const NO_PRODUCER_ID: i64 = -1;
/// The producer epoch of a batch written without an idempotent producer.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// The base sequence of a batch written without an idempotent producer.
pub const NO_SEQUENCE: i32 = -1;
/// The timestamp of a record or batch that has none.
pub const NO_TIMESTAMP: i64 = -1;

const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;

const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

fn too_large(what: impl std::fmt::Display) -> KafkaError {
    KafkaError::new(ErrorKind::RecordTooLarge, what.to_string())
}

/// The encoded size of a varint-length-prefixed nullable byte field.
fn bytes_field_len(len: Option<usize>) -> usize {
    match len {
        None => 1,
        Some(n) => varint_len(i32::try_from(n).unwrap_or(i32::MAX)) + n,
    }
}

/// The length of a field as the varint a record stores, or a too-large error.
fn field_len(len: usize, what: &str) -> Result<i32> {
    i32::try_from(len).map_err(|_| too_large(format!("{what} of {len} bytes is larger than 2 GiB")))
}

fn headers_len(headers: &[Header]) -> usize {
    let mut total = varint_len(i32::try_from(headers.len()).unwrap_or(i32::MAX));
    for header in headers {
        total = total
            .saturating_add(bytes_field_len(Some(header.key.len())))
            .saturating_add(bytes_field_len(header.value.as_ref().map(Bytes::len)));
    }
    total
}

/// An upper bound on the encoded size of one record with these key and value lengths
/// (`None` = null) and headers, whatever its timestamp and offset delta.
pub fn record_size_upper_bound(key_len: Option<usize>, value_len: Option<usize>, headers: &[Header]) -> usize {
    // length varint (5) + attributes (1) + timestampDelta (10) + offsetDelta (5)
    (5 + 1 + 10 + 5usize)
        .saturating_add(bytes_field_len(key_len))
        .saturating_add(bytes_field_len(value_len))
        .saturating_add(headers_len(headers))
}

/// Writes one record batch (magic 2) into a single growing buffer.
///
/// The 61-byte header is reserved up front and each [`append`](Self::append) writes the
/// record straight after it; [`build`](Self::build) compresses the records if a codec
/// is set and fills in the header and CRC.
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    buf: Vec<u8>,
    compression: Compression,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    control: bool,
    count: i32,
}

impl RecordBatchBuilder {
    /// An empty batch. Record timestamps are stored as deltas from `base_timestamp`
    /// (the first record's timestamp is the usual choice). Pass [`NO_PRODUCER_ID`],
    /// [`NO_PRODUCER_EPOCH`] and [`NO_SEQUENCE`] for a non-idempotent producer.
    pub fn new(
        compression: Compression,
        base_timestamp: i64,
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
        transactional: bool,
    ) -> RecordBatchBuilder {
        let mut buf = Vec::with_capacity(HEADER_SIZE + 256);
        buf.resize(HEADER_SIZE, 0);
        RecordBatchBuilder {
            buf,
            compression,
            base_timestamp,
            max_timestamp: NO_TIMESTAMP,
            producer_id,
            producer_epoch,
            base_sequence,
            transactional,
            control: false,
            count: 0,
        }
    }

    /// Appends a record and returns its offset delta (0 for the first record).
    ///
    /// Fails with [`ErrorKind::RecordTooLarge`] if a field is larger than 2 GiB and
    /// with [`ErrorKind::InvalidArgument`] if the timestamp is too far from the base
    /// timestamp to store as a delta.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> Result<i32> {
        let offset_delta = self.count;
        if offset_delta == i32::MAX {
            return Err(too_large("a record batch holds at most 2^31-1 records"));
        }
        let timestamp_delta = timestamp.checked_sub(self.base_timestamp).ok_or_else(|| {
            KafkaError::invalid_argument(format!(
                "timestamp {timestamp} is too far from the batch's base timestamp {}",
                self.base_timestamp
            ))
        })?;
        let key_len = key.map(|k| field_len(k.len(), "record key")).transpose()?;
        let value_len = value.map(|v| field_len(v.len(), "record value")).transpose()?;
        let header_count = field_len(headers.len(), "header count")?;
        for header in headers {
            field_len(header.key.len(), "header key")?;
            if let Some(v) = &header.value {
                field_len(v.len(), "header value")?;
            }
        }
        let header_lens = headers_len(headers);
        let body_len = 1usize
            .saturating_add(varlong_len(timestamp_delta))
            .saturating_add(varint_len(offset_delta))
            .saturating_add(bytes_field_len(key.map(<[u8]>::len)))
            .saturating_add(bytes_field_len(value.map(<[u8]>::len)))
            .saturating_add(header_lens);
        let body_len_i32 = field_len(body_len, "record")?;

        let before = self.buf.len();
        self.buf.reserve(varint_len(body_len_i32) + body_len);
        self.buf.put_varint(body_len_i32);
        self.buf.put_i8(0); // record attributes: unused
        self.buf.put_varlong(timestamp_delta);
        self.buf.put_varint(offset_delta);
        put_varbytes(&mut self.buf, key, key_len);
        put_varbytes(&mut self.buf, value, value_len);
        self.buf.put_varint(header_count);
        for header in headers {
            self.buf.put_varint(header.key.len() as i32);
            self.buf.extend_from_slice(header.key.as_bytes());
            let value = header.value.as_deref();
            put_varbytes(&mut self.buf, value, value.map(|v| v.len() as i32));
        }
        debug_assert_eq!(self.buf.len() - before, varint_len(body_len_i32) + body_len);

        self.count += 1;
        self.max_timestamp = if self.count == 1 {
            timestamp
        } else {
            self.max_timestamp.max(timestamp)
        };
        Ok(offset_delta)
    }

    /// How many records were appended.
    pub fn record_count(&self) -> i32 {
        self.count
    }

    /// Whether no record was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The batch's size so far, header included, before compression. For a compressed
    /// batch the built size is usually smaller; either way this is the cheap figure a
    /// producer compares with `batch.size`.
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len()
    }

    /// An upper bound on [`size_in_bytes`](Self::size_in_bytes) after appending a
    /// record with these key and value lengths (`None` = null) and headers.
    pub fn estimated_size_after(&self, key_len: Option<usize>, value_len: Option<usize>, headers: &[Header]) -> usize {
        self.buf
            .len()
            .saturating_add(record_size_upper_bound(key_len, value_len, headers))
    }

    /// The codec the batch will be compressed with.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The base timestamp given to [`new`](Self::new).
    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }

    /// Sets the producer id and epoch (an idempotent producer assigns them when the
    /// batch is drained).
    pub fn set_producer(&mut self, producer_id: i64, producer_epoch: i16) {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
    }

    /// Sets the sequence number of the first record.
    pub fn set_base_sequence(&mut self, base_sequence: i32) {
        self.base_sequence = base_sequence;
    }

    /// Sets whether the batch belongs to a transaction.
    pub fn set_transactional(&mut self, transactional: bool) {
        self.transactional = transactional;
    }

    /// Marks the batch as a control batch (used by [`end_transaction_marker`]; brokers
    /// write these, producers do not).
    pub fn set_control(&mut self, control: bool) {
        self.control = control;
    }

    /// Compresses the records if a codec is set, fills in the header (baseOffset 0,
    /// partitionLeaderEpoch -1) and the CRC, and returns the finished batch.
    ///
    /// An empty batch is an [`ErrorKind::InvalidArgument`] error: brokers reject them.
    pub fn build(self) -> Result<Bytes> {
        if self.count == 0 {
            return Err(KafkaError::invalid_argument("cannot build a record batch with no records"));
        }
        let mut buf = if self.compression == Compression::None {
            self.buf
        } else {
            let records = &self.buf[HEADER_SIZE..];
            let mut out = Vec::with_capacity(HEADER_SIZE + records.len() / 2 + 64);
            out.resize(HEADER_SIZE, 0);
            self.compression.compress(records, &mut out)?;
            out
        };
        let batch_length = i32::try_from(buf.len() - LOG_OVERHEAD)
            .map_err(|_| too_large(format!("record batch of {} bytes is larger than 2 GiB", buf.len())))?;
        let mut attributes = i16::from(self.compression.id());
        if self.transactional {
            attributes |= TRANSACTIONAL_BIT;
        }
        if self.control {
            attributes |= CONTROL_BIT;
        }
        let mut header = Vec::with_capacity(HEADER_SIZE);
        header.put_i64(0); // baseOffset: the broker assigns it
        header.put_i32(batch_length);
        header.put_i32(-1); // partitionLeaderEpoch
        header.put_i8(MAGIC);
        header.put_u32(0); // crc, filled below
        header.put_i16(attributes);
        header.put_i32(self.count - 1);
        header.put_i64(self.base_timestamp);
        header.put_i64(self.max_timestamp);
        header.put_i64(self.producer_id);
        header.put_i16(self.producer_epoch);
        header.put_i32(self.base_sequence);
        header.put_i32(self.count);
        buf[..HEADER_SIZE].copy_from_slice(&header);
        write_crc(&mut buf);
        Ok(Bytes::from(buf))
    }
}

fn put_varbytes(buf: &mut Vec<u8>, data: Option<&[u8]>, len: Option<i32>) {
    match (data, len) {
        (Some(data), Some(len)) => {
            buf.put_varint(len);
            buf.extend_from_slice(data);
        }
        _ => buf.put_varint(-1),
    }
}

fn write_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_AT..]);
    batch[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
}

fn check_writable(batch: &[u8]) -> Result<()> {
    if batch.len() < HEADER_SIZE {
        return Err(KafkaError::corrupt(format!(
            "record batch of {} bytes is shorter than its {HEADER_SIZE}-byte header",
            batch.len()
        )));
    }
    if batch[MAGIC_AT] as i8 != MAGIC {
        return Err(KafkaError::corrupt(format!(
            "cannot rewrite a batch with magic {}: only magic 2 batches carry producer state",
            batch[MAGIC_AT] as i8
        )));
    }
    Ok(())
}

/// Rewrites the producer id, epoch and base sequence of a built batch in place and
/// recomputes its CRC (a producer re-sequences batches when it retries them).
pub fn set_producer_state(batch: &mut [u8], producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Result<()> {
    check_writable(batch)?;
    batch[PRODUCER_ID_AT..PRODUCER_ID_AT + 8].copy_from_slice(&producer_id.to_be_bytes());
    batch[PRODUCER_EPOCH_AT..PRODUCER_EPOCH_AT + 2].copy_from_slice(&producer_epoch.to_be_bytes());
    batch[BASE_SEQUENCE_AT..BASE_SEQUENCE_AT + 4].copy_from_slice(&base_sequence.to_be_bytes());
    write_crc(batch);
    Ok(())
}

/// [`set_producer_state`] on a shared buffer: rewrites it in place when this is the
/// only handle to it, and otherwise rewrites a copy.
pub fn with_producer_state(batch: Bytes, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Result<Bytes> {
    let mut owned = match batch.try_into_mut() {
        Ok(unique) => unique,
        Err(shared) => bytes::BytesMut::from(&shared[..]),
    };
    set_producer_state(&mut owned, producer_id, producer_epoch, base_sequence)?;
    Ok(owned.freeze())
}

/// Sets a built batch's base offset (not covered by the CRC; a broker, or a test
/// standing in for one, assigns it).
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) -> Result<()> {
    check_writable(batch)?;
    batch[..8].copy_from_slice(&base_offset.to_be_bytes());
    Ok(())
}

/// The kind of a control record (the `type` of its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// The transaction was aborted: skip its records (type 0).
    Abort,
    /// The transaction was committed (type 1).
    Commit,
    /// Another control type (KRaft's leader change, snapshot markers and so on).
    Other(i16),
}

impl ControlRecordType {
    /// The type from the control key.
    pub fn from_code(code: i16) -> ControlRecordType {
        match code {
            0 => ControlRecordType::Abort,
            1 => ControlRecordType::Commit,
            other => ControlRecordType::Other(other),
        }
    }

    /// The code stored in the control key.
    pub fn code(self) -> i16 {
        match self {
            ControlRecordType::Abort => 0,
            ControlRecordType::Commit => 1,
            ControlRecordType::Other(code) => code,
        }
    }
}

/// The record of a control batch: a transaction marker or another control record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlRecord {
    /// The control key's version.
    pub version: i16,
    /// What the record marks.
    pub kind: ControlRecordType,
    /// For an end-transaction marker, the transaction coordinator's epoch, when the
    /// value holds one.
    pub coordinator_epoch: Option<i32>,
}

/// Builds the control batch a broker writes to end a transaction: one record whose key
/// is (version 0, `kind`) and whose value is (version 0, `coordinator_epoch`).
pub fn end_transaction_marker(
    kind: ControlRecordType,
    timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    coordinator_epoch: i32,
) -> Result<Bytes> {
    let mut key = Vec::with_capacity(4);
    key.put_i16(0);
    key.put_i16(kind.code());
    let mut value = Vec::with_capacity(6);
    value.put_i16(0);
    value.put_i32(coordinator_epoch);
    let mut builder = RecordBatchBuilder::new(Compression::None, timestamp, producer_id, producer_epoch, NO_SEQUENCE, true);
    builder.set_control(true);
    builder.append(timestamp, Some(&key), Some(&value), &[])?;
    builder.build()
}

/// One record batch (magic 2), read from bytes. The header is parsed and checked on
/// [`parse`](Self::parse); the records are decoded lazily by [`records`](Self::records).
#[derive(Debug, Clone)]
pub struct RecordBatch {
    buf: Bytes,
    base_offset: i64,
    partition_leader_epoch: i32,
    crc: u32,
    attributes: i16,
    compression: Compression,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    record_count: i32,
}

impl RecordBatch {
    /// Parses the header of the batch that fills `buf` exactly. A batch length that
    /// disagrees with `buf`, a magic other than 2, an unknown codec or a negative
    /// record count is a corrupt-message error. The CRC is checked only by
    /// [`verify_crc`](Self::verify_crc).
    pub fn parse(buf: Bytes) -> Result<RecordBatch> {
        if buf.len() < HEADER_SIZE {
            return Err(KafkaError::corrupt(format!(
                "record batch of {} bytes is shorter than its {HEADER_SIZE}-byte header",
                buf.len()
            )));
        }
        let mut r = Reader::new(buf.clone());
        let base_offset = r.i64()?;
        let batch_length = r.i32()?;
        let expected = buf.len() - LOG_OVERHEAD;
        if usize::try_from(batch_length).ok() != Some(expected) {
            return Err(KafkaError::corrupt(format!(
                "record batch length field says {batch_length} bytes, the batch has {expected}"
            )));
        }
        let partition_leader_epoch = r.i32()?;
        let magic = r.i8()?;
        if magic != MAGIC {
            return Err(KafkaError::corrupt(format!("record batch has magic {magic}, expected {MAGIC}")));
        }
        let crc = r.u32()?;
        let attributes = r.i16()?;
        let compression = Compression::from_attributes(attributes)?;
        let last_offset_delta = r.i32()?;
        let base_timestamp = r.i64()?;
        let max_timestamp = r.i64()?;
        let producer_id = r.i64()?;
        let producer_epoch = r.i16()?;
        let base_sequence = r.i32()?;
        let record_count = r.i32()?;
        if record_count < 0 {
            return Err(KafkaError::corrupt(format!("record batch has a negative record count {record_count}")));
        }
        Ok(RecordBatch {
            buf,
            base_offset,
            partition_leader_epoch,
            crc,
            attributes,
            compression,
            last_offset_delta,
            base_timestamp,
            max_timestamp,
            producer_id,
            producer_epoch,
            base_sequence,
            record_count,
        })
    }

    /// The whole batch as received.
    pub fn as_bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The batch's size in bytes, header included.
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The offset of the first record.
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// The offset of the last record (base offset + lastOffsetDelta). Compaction may
    /// have removed records, so this can be past the last record still present.
    pub fn last_offset(&self) -> i64 {
        self.base_offset.wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset after this batch: where the next fetch starts.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The lastOffsetDelta field.
    pub fn last_offset_delta(&self) -> i32 {
        self.last_offset_delta
    }

    /// The partition leader epoch the broker stamped on the batch (-1 if none).
    pub fn partition_leader_epoch(&self) -> i32 {
        self.partition_leader_epoch
    }

    /// The magic byte: always 2 for a parsed batch.
    pub fn magic(&self) -> i8 {
        MAGIC
    }

    /// The CRC stored in the batch.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Checks the stored CRC-32C against the bytes from the attributes to the end.
    pub fn verify_crc(&self) -> Result<()> {
        let computed = crc32c::crc32c(&self.buf[ATTRIBUTES_AT..]);
        if computed != self.crc {
            return Err(KafkaError::corrupt(format!(
                "record batch at offset {} failed its CRC check: stored {:#010x}, computed {computed:#010x}",
                self.base_offset, self.crc
            )));
        }
        Ok(())
    }

    /// The raw attributes field.
    pub fn attributes(&self) -> i16 {
        self.attributes
    }

    /// The codec of the records section.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Whether the records' timestamps are create times or the broker's append time.
    pub fn timestamp_type(&self) -> TimestampType {
        TimestampType::from_attributes(self.attributes)
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Whether this is a control batch (a transaction marker), not user data.
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// The timestamp record deltas are relative to.
    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }

    /// The largest record timestamp (or the append time for log-append-time batches).
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    /// The producer id (-1 if the producer was not idempotent).
    pub fn producer_id(&self) -> i64 {
        self.producer_id
    }

    /// The producer epoch (-1 if the producer was not idempotent).
    pub fn producer_epoch(&self) -> i16 {
        self.producer_epoch
    }

    /// The sequence number of the first record (-1 if the producer was not idempotent).
    pub fn base_sequence(&self) -> i32 {
        self.base_sequence
    }

    /// The record count the header declares (not trusted for allocation).
    pub fn record_count(&self) -> i32 {
        self.record_count
    }

    /// The records, decompressed with a limit of
    /// [`DEFAULT_MAX_DECOMPRESSED_SIZE`](super::DEFAULT_MAX_DECOMPRESSED_SIZE).
    pub fn records(&self) -> Records {
        self.records_with_max_size(DEFAULT_MAX_DECOMPRESSED_SIZE)
    }

    /// The records; a compressed section that would decompress to more than
    /// `max_size` bytes makes the iterator yield one error.
    ///
    /// Each item is a record or the error that ended the walk (a malformed record,
    /// fewer records than declared, or bytes left after the declared count).
    pub fn records_with_max_size(&self, max_size: usize) -> Records {
        let section = self.buf.slice(HEADER_SIZE..);
        let section = match self.compression {
            Compression::None => Ok(section),
            codec => codec.decompress(&section, max_size).map(Bytes::from).map_err(|e| {
                e.context(format!("record batch at offset {}", self.base_offset))
            }),
        };
        let log_append_time = match self.timestamp_type() {
            TimestampType::LogAppendTime => Some(self.max_timestamp),
            TimestampType::CreateTime => None,
        };
        match section {
            Ok(section) => Records {
                inner: Inner::V2 {
                    reader: Reader::new(section),
                    left: self.record_count,
                    base_offset: self.base_offset,
                    base_timestamp: self.base_timestamp,
                    log_append_time,
                },
            },
            Err(e) => Records::failed(e),
        }
    }

    /// For a control batch, its control record; `None` for a data batch.
    pub fn control_record(&self) -> Result<Option<ControlRecord>> {
        if !self.is_control() {
            return Ok(None);
        }
        let record = match self.records().next() {
            Some(record) => record?,
            None => {
                return Err(KafkaError::corrupt(format!(
                    "control batch at offset {} has no record",
                    self.base_offset
                )))
            }
        };
        let key = record
            .key
            .ok_or_else(|| KafkaError::corrupt("control record has a null key"))?;
        let mut r = Reader::new(key);
        let version = r.i16()?;
        if version < 0 {
            return Err(KafkaError::corrupt(format!("control record key has version {version}")));
        }
        let kind = ControlRecordType::from_code(r.i16()?);
        let coordinator_epoch = match (kind, record.value) {
            (ControlRecordType::Abort | ControlRecordType::Commit, Some(value)) => {
                let mut r = Reader::new(value);
                r.i16().and_then(|_version| r.i32()).ok()
            }
            _ => None,
        };
        Ok(Some(ControlRecord {
            version,
            kind,
            coordinator_epoch,
        }))
    }
}

/// The records of a batch: an iterator of `Result<Record>` that ends after the first
/// error.
#[derive(Debug)]
pub struct Records {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    V2 {
        reader: Reader,
        left: i32,
        base_offset: i64,
        base_timestamp: i64,
        log_append_time: Option<i64>,
    },
    Legacy(std::vec::IntoIter<Record>),
    Failed(Option<KafkaError>),
}

impl Records {
    /// An iterator that yields `err` once.
    pub(crate) fn failed(err: KafkaError) -> Records {
        Records {
            inner: Inner::Failed(Some(err)),
        }
    }

    /// The records of a legacy message set entry, already decoded.
    pub(crate) fn from_legacy(records: Result<Vec<Record>>) -> Records {
        match records {
            Ok(records) => Records {
                inner: Inner::Legacy(records.into_iter()),
            },
            Err(e) => Records::failed(e),
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        match &mut self.inner {
            Inner::Failed(err) => err.take().map(Err),
            Inner::Legacy(records) => records.next().map(Ok),
            Inner::V2 {
                reader,
                left,
                base_offset,
                base_timestamp,
                log_append_time,
            } => {
                let item = if *left == 0 {
                    if reader.is_empty() {
                        return None;
                    }
                    Err(KafkaError::corrupt(format!(
                        "record batch at offset {base_offset} has {} bytes after its declared records",
                        reader.remaining()
                    )))
                } else {
                    *left -= 1;
                    read_record(reader, *base_offset, *base_timestamp, *log_append_time)
                };
                if item.is_err() {
                    self.inner = Inner::Failed(None);
                }
                Some(item)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::V2 { left, .. } => (0, Some(usize::try_from(*left).unwrap_or(0) + 1)),
            Inner::Legacy(records) => records.size_hint(),
            Inner::Failed(err) => (usize::from(err.is_some()), Some(usize::from(err.is_some()))),
        }
    }
}

/// A varint-length-prefixed nullable byte field (-1 = null).
fn read_varbytes(r: &mut Reader, what: &str) -> Result<Option<Bytes>> {
    let len = r.varint()?;
    match len {
        -1 => Ok(None),
        n if n < -1 => Err(KafkaError::corrupt(format!("{what} has a negative length {n}"))),
        n => r.bytes(n as usize, what).map(Some),
    }
}

fn read_record(r: &mut Reader, base_offset: i64, base_timestamp: i64, log_append_time: Option<i64>) -> Result<Record> {
    let len = r.varint()?;
    if len < 0 {
        return Err(KafkaError::corrupt(format!("record has a negative length {len}")));
    }
    let mut r = Reader::new(r.bytes(len as usize, "record")?);
    let _attributes = r.i8()?;
    let timestamp_delta = r.varlong()?;
    let offset_delta = r.varint()?;
    let key = read_varbytes(&mut r, "record key")?;
    let value = read_varbytes(&mut r, "record value")?;
    let header_count = r.varint()?;
    // Every header takes at least two bytes: check the count before reserving for it.
    let header_count = usize::try_from(header_count)
        .ok()
        .filter(|&n| n <= r.remaining() / 2)
        .ok_or_else(|| {
            KafkaError::corrupt(format!(
                "record declares {header_count} headers in {} bytes",
                r.remaining()
            ))
        })?;
    let mut headers = Vec::with_capacity(header_count);
    for _ in 0..header_count {
        let key = read_varbytes(&mut r, "header key")?
            .ok_or_else(|| KafkaError::corrupt("record header has a null key"))?;
        let key = String::from_utf8_lossy(&key).into_owned();
        let value = read_varbytes(&mut r, "header value")?;
        headers.push(Header { key, value });
    }
    if !r.is_empty() {
        return Err(KafkaError::corrupt(format!(
            "record has {} bytes past its last header",
            r.remaining()
        )));
    }
    Ok(Record {
        offset: base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp: log_append_time.unwrap_or_else(|| base_timestamp.wrapping_add(timestamp_delta)),
        key,
        value,
        headers,
    })
}
