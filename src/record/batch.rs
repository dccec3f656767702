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
use crate::wire::{varint_len, varlong_len, Reader, Write};

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
pub fn record_size_upper_bound(
    key_len: Option<usize>,
    value_len: Option<usize>,
    headers: &[Header],
) -> usize {
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
        let value_len = value
            .map(|v| field_len(v.len(), "record value"))
            .transpose()?;
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

    /// Reserves room for the batch to grow to `total` bytes (header included) without
    /// reallocating, e.g. the producer's `batch.size`.
    pub fn reserve_total(&mut self, total: usize) {
        self.buf.reserve(total.saturating_sub(self.buf.len()));
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
    pub fn estimated_size_after(
        &self,
        key_len: Option<usize>,
        value_len: Option<usize>,
        headers: &[Header],
    ) -> usize {
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
            return Err(KafkaError::invalid_argument(
                "cannot build a record batch with no records",
            ));
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
        let batch_length = i32::try_from(buf.len() - LOG_OVERHEAD).map_err(|_| {
            too_large(format!(
                "record batch of {} bytes is larger than 2 GiB",
                buf.len()
            ))
        })?;
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
pub fn set_producer_state(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
) -> Result<()> {
    check_writable(batch)?;
    batch[PRODUCER_ID_AT..PRODUCER_ID_AT + 8].copy_from_slice(&producer_id.to_be_bytes());
    batch[PRODUCER_EPOCH_AT..PRODUCER_EPOCH_AT + 2].copy_from_slice(&producer_epoch.to_be_bytes());
    batch[BASE_SEQUENCE_AT..BASE_SEQUENCE_AT + 4].copy_from_slice(&base_sequence.to_be_bytes());
    write_crc(batch);
    Ok(())
}

/// [`set_producer_state`] on a shared buffer: rewrites it in place when this is the
/// only handle to it, and otherwise rewrites a copy.
pub fn with_producer_state(
    batch: Bytes,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
) -> Result<Bytes> {
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
    let mut builder = RecordBatchBuilder::new(
        Compression::None,
        timestamp,
        producer_id,
        producer_epoch,
        NO_SEQUENCE,
        true,
    );
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
            return Err(KafkaError::corrupt(format!(
                "record batch has magic {magic}, expected {MAGIC}"
            )));
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
            return Err(KafkaError::corrupt(format!(
                "record batch has a negative record count {record_count}"
            )));
        }
        // The offset after the batch must exist: then last_offset() and next_offset()
        // cannot overflow.
        let next_offset = base_offset
            .checked_add(i64::from(last_offset_delta))
            .and_then(|last| last.checked_add(1));
        if base_offset < 0 || last_offset_delta < 0 || next_offset.is_none() {
            return Err(KafkaError::corrupt(format!(
                "record batch at offset {base_offset} has an impossible lastOffsetDelta {last_offset_delta}"
            )));
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
        // Checked when the batch header was read.
        self.base_offset + i64::from(self.last_offset_delta)
    }

    /// The offset after this batch: where the next fetch starts.
    pub fn next_offset(&self) -> i64 {
        // Checked when the batch header was read.
        self.last_offset() + 1
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
    /// [`DEFAULT_MAX_DECOMPRESSED_SIZE`].
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
            codec => codec
                .decompress(&section, max_size)
                .map(Bytes::from)
                .map_err(|e| e.context(format!("record batch at offset {}", self.base_offset))),
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
            return Err(KafkaError::corrupt(format!(
                "control record key has version {version}"
            )));
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
        n if n < -1 => Err(KafkaError::corrupt(format!(
            "{what} has a negative length {n}"
        ))),
        n => r.bytes(n as usize, what).map(Some),
    }
}

fn read_record(
    r: &mut Reader,
    base_offset: i64,
    base_timestamp: i64,
    log_append_time: Option<i64>,
) -> Result<Record> {
    let len = r.varint()?;
    if len < 0 {
        return Err(KafkaError::corrupt(format!(
            "record has a negative length {len}"
        )));
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
    // Reserve for a few headers only: the count is the peer's claim, and a header
    // takes far more memory here than its two smallest bytes on the wire.
    let mut headers = Vec::with_capacity(header_count.min(8));
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
    let offset = base_offset
        .checked_add(i64::from(offset_delta))
        .filter(|_| offset_delta >= 0)
        .ok_or_else(|| {
            KafkaError::corrupt(format!(
                "record has offset delta {offset_delta} from base offset {base_offset}"
            ))
        })?;
    let timestamp = match log_append_time {
        Some(t) => t,
        None => base_timestamp.checked_add(timestamp_delta).ok_or_else(|| {
            KafkaError::corrupt(format!(
                "record has timestamp delta {timestamp_delta} from base timestamp {base_timestamp}"
            ))
        })?,
    };
    Ok(Record {
        offset,
        timestamp,
        key,
        value,
        headers,
    })
}

// These tests use every codec; they run when every codec feature is on.
#[cfg(all(
    test,
    feature = "gzip",
    feature = "snappy",
    feature = "lz4",
    feature = "zstd"
))]
mod tests {
    use super::*;
    use crate::record::Batches;

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// Records with every shape: keys and values null or not, empty, headers with null
    /// values, and a large repetitive value.
    /// timestamp, key, value, headers
    type Input = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Vec<Header>);

    fn sample_records(n: usize) -> Vec<Input> {
        (0..n)
            .map(|i| {
                let key = (i % 3 != 1).then(|| format!("key-{i}").into_bytes());
                let value = match i % 5 {
                    0 => None,
                    1 => Some(Vec::new()),
                    2 => Some(vec![b'x'; 3000]),
                    _ => Some(format!("value number {i}").into_bytes()),
                };
                let headers = (0..i % 4)
                    .map(|h| {
                        if h == 2 {
                            Header::null(format!("null-{h}"))
                        } else {
                            Header::new(format!("h{h}"), format!("header {h} of {i}"))
                        }
                    })
                    .collect();
                // Timestamps go up and down around the base.
                let timestamp = 1_700_000_000_000 + (i as i64 * 7919) % 1000 - 500;
                (timestamp, key, value, headers)
            })
            .collect()
    }

    fn build(codec: Compression, records: &[Input]) -> Bytes {
        let mut builder = RecordBatchBuilder::new(codec, 1_700_000_000_000, 77, 3, 1000, true);
        for (i, (ts, key, value, headers)) in records.iter().enumerate() {
            let before = builder.size_in_bytes();
            let bound = builder.estimated_size_after(
                key.as_ref().map(Vec::len),
                value.as_ref().map(Vec::len),
                headers,
            );
            let delta = builder
                .append(*ts, key.as_deref(), value.as_deref(), headers)
                .unwrap();
            assert_eq!(delta as usize, i);
            assert!(builder.size_in_bytes() > before);
            assert!(builder.size_in_bytes() <= bound);
        }
        assert_eq!(builder.record_count() as usize, records.len());
        builder.build().unwrap()
    }

    #[test]
    fn round_trip_every_codec() {
        for n in [1, 2, 10, 1000] {
            let input = sample_records(n);
            for codec in Compression::ALL {
                let bytes = build(codec, &input);
                let batch = RecordBatch::parse(bytes.clone()).unwrap();
                batch.verify_crc().unwrap();
                assert_eq!(batch.compression(), codec);
                assert_eq!(batch.base_offset(), 0);
                assert_eq!(batch.last_offset(), n as i64 - 1);
                assert_eq!(batch.record_count() as usize, n);
                assert_eq!(batch.partition_leader_epoch(), -1);
                assert_eq!(batch.magic(), 2);
                assert_eq!(batch.producer_id(), 77);
                assert_eq!(batch.producer_epoch(), 3);
                assert_eq!(batch.base_sequence(), 1000);
                assert!(batch.is_transactional());
                assert!(!batch.is_control());
                assert_eq!(batch.control_record().unwrap(), None);
                assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
                assert_eq!(batch.base_timestamp(), 1_700_000_000_000);
                assert_eq!(
                    batch.max_timestamp(),
                    input.iter().map(|r| r.0).max().unwrap()
                );
                let records: Vec<Record> = batch.records().collect::<Result<_>>().unwrap();
                assert_eq!(records.len(), n);
                for (i, (record, (ts, key, value, headers))) in
                    records.iter().zip(&input).enumerate()
                {
                    assert_eq!(record.offset, i as i64);
                    assert_eq!(record.timestamp, *ts);
                    assert_eq!(record.key.as_deref(), key.as_deref());
                    assert_eq!(record.value.as_deref(), value.as_deref());
                    assert_eq!(&record.headers, headers);
                }
                if codec == Compression::None {
                    // Zero-copy: the key points into the batch buffer.
                    let key = records[0].key.as_ref().unwrap();
                    let range = bytes.as_ptr_range();
                    assert!(range.contains(&key.as_ptr()));
                } else if n == 1000 {
                    assert!(
                        bytes.len() < build(Compression::None, &input).len() / 2,
                        "{codec}"
                    );
                }
            }
        }
    }

    #[test]
    fn golden_bytes_of_a_small_batch() {
        // Two records written by hand from the documented v2 layout.
        let records: &[u8] = &[
            0x18, // length 12
            0x00, // attributes
            0x00, // timestampDelta 0
            0x00, // offsetDelta 0
            0x02, b'k', // key
            0x02, b'v', // value
            0x02, // 1 header
            0x02, b'h', 0x02, b'x', // "h" = "x"
            0x0e, // length 7
            0x00, // attributes
            0x04, // timestampDelta 2
            0x02, // offsetDelta 1
            0x01, // null key
            0x02, b'w', // value
            0x00, // no headers
        ];
        let mut expected = Vec::new();
        expected.extend_from_slice(&0i64.to_be_bytes()); // baseOffset
        expected.extend_from_slice(&((49 + records.len()) as i32).to_be_bytes()); // batchLength
        expected.extend_from_slice(&(-1i32).to_be_bytes()); // partitionLeaderEpoch
        expected.push(2); // magic
        expected.extend_from_slice(&[0; 4]); // crc, below
        expected.extend_from_slice(&0i16.to_be_bytes()); // attributes
        expected.extend_from_slice(&1i32.to_be_bytes()); // lastOffsetDelta
        expected.extend_from_slice(&1000i64.to_be_bytes()); // baseTimestamp
        expected.extend_from_slice(&1002i64.to_be_bytes()); // maxTimestamp
        expected.extend_from_slice(&(-1i64).to_be_bytes()); // producerId
        expected.extend_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
        expected.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
        expected.extend_from_slice(&2i32.to_be_bytes()); // records count
        expected.extend_from_slice(records);
        assert_eq!(
            crc32c::crc32c(b"123456789"),
            0xe306_9283,
            "CRC-32C check value"
        );
        let crc = crc32c::crc32c(&expected[21..]);
        expected[17..21].copy_from_slice(&crc.to_be_bytes());

        let mut builder = RecordBatchBuilder::new(Compression::None, 1000, -1, -1, -1, false);
        builder
            .append(1000, Some(b"k"), Some(b"v"), &[Header::new("h", "x")])
            .unwrap();
        builder.append(1002, None, Some(b"w"), &[]).unwrap();
        assert_eq!(builder.size_in_bytes(), expected.len());
        assert_eq!(&builder.build().unwrap()[..], &expected[..]);
    }

    #[test]
    fn crc_mismatch_is_detected() {
        let bytes = build(Compression::None, &sample_records(3));
        for at in [CRC_AT, ATTRIBUTES_AT + 2, bytes.len() - 1] {
            let mut bad = bytes.to_vec();
            bad[at] ^= 0x40;
            let batch = RecordBatch::parse(Bytes::from(bad)).unwrap();
            let err = batch.verify_crc().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptMessage);
            assert!(err.to_string().contains("CRC"), "{err}");
        }
        // baseOffset and partitionLeaderEpoch are outside the CRC.
        let mut moved = bytes.to_vec();
        set_base_offset(&mut moved, 500).unwrap();
        moved[12] = 0;
        let batch = RecordBatch::parse(Bytes::from(moved)).unwrap();
        batch.verify_crc().unwrap();
        assert_eq!(batch.base_offset(), 500);
        assert_eq!(batch.records().next().unwrap().unwrap().offset, 500);
    }

    #[test]
    fn producer_state_is_rewritten_with_a_new_crc() {
        let bytes = build(Compression::Gzip, &sample_records(4));
        let mut owned = bytes.to_vec();
        set_producer_state(&mut owned, 9, 1, 42).unwrap();
        let batch = RecordBatch::parse(Bytes::from(owned)).unwrap();
        batch.verify_crc().unwrap();
        assert_eq!(
            (
                batch.producer_id(),
                batch.producer_epoch(),
                batch.base_sequence()
            ),
            (9, 1, 42)
        );
        assert_eq!(batch.records().count(), 4);

        // Shared: a copy is rewritten and the original is untouched.
        let copy = bytes.clone();
        let rewritten = with_producer_state(copy, 10, 2, 7).unwrap();
        assert_eq!(RecordBatch::parse(bytes.clone()).unwrap().producer_id(), 77);
        let batch = RecordBatch::parse(rewritten).unwrap();
        batch.verify_crc().unwrap();
        assert_eq!(
            (
                batch.producer_id(),
                batch.producer_epoch(),
                batch.base_sequence()
            ),
            (10, 2, 7)
        );
        // Unique: rewritten in place.
        let unique = with_producer_state(bytes, 11, 3, 8).unwrap();
        assert_eq!(RecordBatch::parse(unique).unwrap().producer_id(), 11);

        assert!(set_producer_state(&mut [0u8; 20], 1, 1, 1).is_err());
        let mut legacy = vec![0u8; 70];
        legacy[16] = 1;
        assert!(set_producer_state(&mut legacy, 1, 1, 1).is_err());
    }

    #[test]
    fn builder_setters_and_limits() {
        let builder = RecordBatchBuilder::new(Compression::Zstd, 0, -1, -1, -1, false);
        assert!(builder.is_empty());
        assert_eq!(builder.size_in_bytes(), HEADER_SIZE);
        assert_eq!(
            builder.build().unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );

        let mut builder = RecordBatchBuilder::new(Compression::None, 5, -1, -1, -1, false);
        builder.set_producer(5, 6);
        builder.set_base_sequence(99);
        builder.set_transactional(true);
        assert_eq!(
            builder
                .append(i64::MIN, None, None, &[])
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        builder.append(-3, None, None, &[]).unwrap();
        let batch = RecordBatch::parse(builder.build().unwrap()).unwrap();
        assert_eq!(
            (
                batch.producer_id(),
                batch.producer_epoch(),
                batch.base_sequence()
            ),
            (5, 6, 99)
        );
        assert!(batch.is_transactional());
        let record = batch.records().next().unwrap().unwrap();
        assert_eq!(
            (record.timestamp, record.key, record.value),
            (-3, None, None)
        );

        // The bound holds for an empty builder too: header + one record.
        let headers = [Header::new("a", "b"), Header::null("c")];
        let mut builder = RecordBatchBuilder::new(Compression::None, 0, -1, -1, -1, false);
        let bound = builder.estimated_size_after(Some(300), Some(70_000), &headers);
        builder
            .append(
                i64::MAX / 2,
                Some(&[1; 300]),
                Some(&vec![2; 70_000]),
                &headers,
            )
            .unwrap();
        assert!(builder.size_in_bytes() <= bound);
        assert!(bound - builder.size_in_bytes() < 32);
    }

    #[test]
    fn control_batches() {
        for (kind, epoch) in [
            (ControlRecordType::Commit, 7),
            (ControlRecordType::Abort, 8),
        ] {
            let bytes = end_transaction_marker(kind, 5_000, 31, 2, epoch).unwrap();
            let batch = RecordBatch::parse(bytes).unwrap();
            batch.verify_crc().unwrap();
            assert!(batch.is_control() && batch.is_transactional());
            assert_eq!(batch.producer_id(), 31);
            assert_eq!(
                batch.control_record().unwrap(),
                Some(ControlRecord {
                    version: 0,
                    kind,
                    coordinator_epoch: Some(epoch)
                })
            );
        }
        assert_eq!(ControlRecordType::from_code(6), ControlRecordType::Other(6));
        assert_eq!(ControlRecordType::Other(6).code(), 6);

        // A control batch whose key is too short is an error, not a panic.
        let mut builder = RecordBatchBuilder::new(Compression::None, 0, 1, 0, -1, true);
        builder.set_control(true);
        builder.append(0, Some(&[0]), None, &[]).unwrap();
        let batch = RecordBatch::parse(builder.build().unwrap()).unwrap();
        assert!(batch.control_record().is_err());
        let mut builder = RecordBatchBuilder::new(Compression::None, 0, 1, 0, -1, true);
        builder.set_control(true);
        builder.append(0, None, None, &[]).unwrap();
        let batch = RecordBatch::parse(builder.build().unwrap()).unwrap();
        assert!(batch.control_record().is_err());
    }

    /// Sets the attributes and max timestamp of a built batch and fixes its CRC.
    fn patch(bytes: &Bytes, f: impl FnOnce(&mut Vec<u8>)) -> Bytes {
        let mut owned = bytes.to_vec();
        f(&mut owned);
        write_crc(&mut owned);
        Bytes::from(owned)
    }

    #[test]
    fn log_append_time_uses_the_max_timestamp() {
        let bytes = build(Compression::Snappy, &sample_records(5));
        let patched = patch(&bytes, |b| {
            b[ATTRIBUTES_AT + 1] |= 0x08;
            b[35..43].copy_from_slice(&123_456i64.to_be_bytes());
        });
        let batch = RecordBatch::parse(patched).unwrap();
        batch.verify_crc().unwrap();
        assert_eq!(batch.timestamp_type(), TimestampType::LogAppendTime);
        assert!(batch.records().all(|r| r.unwrap().timestamp == 123_456));
    }

    #[test]
    fn declared_count_must_match_the_records() {
        let bytes = build(Compression::Lz4, &sample_records(5));
        for (count, good) in [(4i32, 4usize), (6, 5), (0, 0)] {
            let patched = patch(&bytes, |b| b[57..61].copy_from_slice(&count.to_be_bytes()));
            let results: Vec<_> = RecordBatch::parse(patched).unwrap().records().collect();
            assert_eq!(results.len(), good + 1, "count {count}");
            assert!(results[..good].iter().all(Result::is_ok));
            assert!(results[good].is_err());
        }
        let negative = patch(&bytes, |b| {
            b[57..61].copy_from_slice(&(-1i32).to_be_bytes())
        });
        assert!(RecordBatch::parse(negative).is_err());
        let bad_codec = patch(&bytes, |b| b[ATTRIBUTES_AT + 1] |= 0x07);
        assert!(RecordBatch::parse(bad_codec).is_err());
        let bad_magic = patch(&bytes, |b| b[MAGIC_AT] = 3);
        assert!(RecordBatch::parse(bad_magic).is_err());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(RecordBatch::parse(Bytes::from(longer)).is_err());
    }

    #[test]
    fn offsets_that_would_overflow_are_corrupt_not_wrapped() {
        let bytes = build(Compression::None, &sample_records(3));
        // The base offset is not under the CRC: a peer can put anything there.
        let mut near_max = bytes.to_vec();
        near_max[0..8].copy_from_slice(&(i64::MAX - 1).to_be_bytes());
        let err = RecordBatch::parse(Bytes::from(near_max)).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::CorruptMessage, "{err}");
        let mut negative = bytes.to_vec();
        negative[0..8].copy_from_slice(&(-5i64).to_be_bytes());
        assert!(RecordBatch::parse(Bytes::from(negative)).is_err());
        let negative_delta = patch(&bytes, |b| {
            b[ATTRIBUTES_AT + 2..ATTRIBUTES_AT + 6].copy_from_slice(&(-1i32).to_be_bytes())
        });
        assert!(RecordBatch::parse(negative_delta).is_err());
        // The largest base offset that still has room for the batch reads fine, and
        // every record's offset is exact.
        let mut at_edge = bytes.to_vec();
        let base = i64::MAX - 3;
        at_edge[0..8].copy_from_slice(&base.to_be_bytes());
        let batch = RecordBatch::parse(Bytes::from(at_edge)).unwrap();
        assert_eq!(batch.next_offset(), i64::MAX);
        let offsets: Vec<i64> = batch.records().map(|r| r.unwrap().offset).collect();
        assert_eq!(offsets, vec![base, base + 1, base + 2]);
    }

    #[test]
    fn decompression_limit_applies() {
        let input = vec![(0, None, Some(vec![0u8; 100_000]), Vec::new())];
        let batch = RecordBatch::parse(build(Compression::Zstd, &input)).unwrap();
        let mut records = batch.records_with_max_size(10_000);
        assert!(records.next().unwrap().is_err());
        assert!(records.next().is_none());
        assert!(batch.records_with_max_size(200_000).next().unwrap().is_ok());
    }

    #[test]
    fn a_decompression_bomb_is_an_error_not_an_allocation() {
        // 16 MiB of zeros compress to a few kB; a reader bounded to 1 MiB refuses them.
        let input = vec![(0, None, Some(vec![0u8; 16 << 20]), Vec::new())];
        for codec in [Compression::Gzip, Compression::Lz4, Compression::Zstd] {
            let bytes = build(codec, &input);
            assert!(bytes.len() < 1 << 20, "{codec:?}: {} bytes", bytes.len());
            let batch = RecordBatch::parse(bytes).unwrap();
            let err = batch
                .records_with_max_size(1 << 20)
                .next()
                .unwrap()
                .unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::CorruptMessage, "{err}");
        }
    }

    #[test]
    fn hostile_header_count_is_rejected_before_allocating() {
        // One record whose header count is 2^31-1.
        let mut body = vec![0u8, 0, 0, 1, 1];
        body.put_varint(i32::MAX);
        let mut records = Vec::new();
        records.put_varint(body.len() as i32);
        records.extend_from_slice(&body);
        let mut builder = RecordBatchBuilder::new(Compression::None, 0, -1, -1, -1, false);
        builder.append(0, None, None, &[]).unwrap();
        let mut bytes = builder.build().unwrap().to_vec();
        bytes.truncate(HEADER_SIZE);
        bytes.extend_from_slice(&records);
        let len = (bytes.len() - LOG_OVERHEAD) as i32;
        bytes[8..12].copy_from_slice(&len.to_be_bytes());
        let batch = RecordBatch::parse(Bytes::from(bytes)).unwrap();
        let err = batch.records().next().unwrap().unwrap_err();
        assert!(err.to_string().contains("headers"), "{err}");
    }

    #[test]
    fn every_prefix_and_every_corruption_fails_cleanly() {
        for codec in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let bytes = build(codec, &sample_records(6));
            for cut in 0..bytes.len() {
                let prefix = bytes.slice(..cut);
                assert!(
                    RecordBatch::parse(prefix.clone()).is_err(),
                    "{codec} cut at {cut}"
                );
                let mut batches = Batches::new(prefix);
                assert!(batches.next().is_none(), "{codec} cut at {cut}");
                assert_eq!(batches.is_truncated(), cut > 0);
            }
            for at in 0..bytes.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut bad = bytes.to_vec();
                    bad[at] ^= flip;
                    let bad = Bytes::from(bad);
                    if let Ok(batch) = RecordBatch::parse(bad.clone()) {
                        let _ = batch.verify_crc();
                        let _ = batch.control_record();
                        for _ in batch.records() {}
                    }
                    for batch in Batches::new(bad).flatten() {
                        for _ in batch.records() {}
                    }
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..3000 {
            let len = (xorshift(&mut seed) % 400) as usize;
            let mut junk: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
            if round % 2 == 0 && len >= HEADER_SIZE {
                // A plausible header over random records, so the record parser runs.
                junk[..8].fill(0);
                junk[8..12].copy_from_slice(&((len - LOG_OVERHEAD) as i32).to_be_bytes());
                junk[MAGIC_AT] = 2;
                junk[ATTRIBUTES_AT] = 0;
                junk[ATTRIBUTES_AT + 1] &= 0x3f & !0x07 | (round as u8 % 5);
                junk[57] = 0;
            }
            let blob = Bytes::from(junk);
            for batch in Batches::new(blob.clone()).flatten() {
                let _ = batch.verify_crc();
                for _ in batch.records() {}
            }
            if let Ok(batch) = RecordBatch::parse(blob) {
                let _ = batch.control_record();
                for _ in batch.records() {}
            }
        }
    }

    #[test]
    fn batches_walks_concatenated_batches_and_stops_at_a_cut() {
        let mut blob = Vec::new();
        let mut next = 0i64;
        for (i, codec) in Compression::ALL.into_iter().enumerate() {
            let mut batch = build(codec, &sample_records(i + 1)).to_vec();
            set_base_offset(&mut batch, next).unwrap();
            next += i as i64 + 1;
            blob.extend_from_slice(&batch);
        }
        let full_len = blob.len();
        let mut batches = Batches::new(Bytes::from(blob.clone()));
        let mut offsets = Vec::new();
        for batch in batches.by_ref() {
            let batch = batch.unwrap();
            batch.verify_crc().unwrap();
            assert_eq!(batch.magic(), 2);
            for record in batch.records() {
                offsets.push(record.unwrap().offset);
            }
            assert_eq!(batch.next_offset(), offsets.len() as i64);
        }
        assert_eq!(offsets, (0..15).collect::<Vec<i64>>());
        assert!(!batches.is_truncated());
        assert_eq!(batches.remaining(), 0);

        // Cut inside the last batch: four batches, then a quiet, flagged end.
        let cut = full_len - 10;
        let mut batches = Batches::new(Bytes::from(blob[..cut].to_vec()));
        let mut complete = 0;
        for batch in batches.by_ref() {
            batch.unwrap();
            complete += 1;
        }
        assert_eq!(complete, 4);
        assert!(batches.is_truncated());
        assert!(batches.remaining() > 0);

        // A negative length or an unknown magic is an error, and ends the walk.
        let mut bad = blob.clone();
        bad[8..12].copy_from_slice(&(-5i32).to_be_bytes());
        let mut batches = Batches::new(Bytes::from(bad));
        assert!(batches.next().unwrap().is_err());
        assert!(batches.next().is_none());
        let mut bad = blob;
        bad[MAGIC_AT] = 9;
        assert!(Batches::new(Bytes::from(bad)).next().unwrap().is_err());
        // A length shorter than a batch header is an error, not a truncation.
        let mut short = vec![0u8; 40];
        short[8..12].copy_from_slice(&10i32.to_be_bytes());
        short[MAGIC_AT] = 2;
        assert!(Batches::new(Bytes::from(short)).next().unwrap().is_err());
    }
}
