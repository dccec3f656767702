//! Legacy message sets, magic 0 and 1 (Kafka before 0.11), read only.
//!
//! A message set is a sequence of entries, each (big-endian):
//!
//! | field | type | |
//! | --- | --- | --- |
//! | offset | int64 | |
//! | message_size | int32 | bytes after this field |
//! | crc | uint32 | CRC-32 (IEEE) of magic..end |
//! | magic | int8 | 0 or 1 |
//! | attributes | int8 | bits 0-2 codec; bit 3 (magic 1) log-append time |
//! | timestamp | int64 | magic 1 only |
//! | key | bytes | int32 length, -1 = null |
//! | value | bytes | int32 length, -1 = null |
//!
//! A compressed "wrapper" message holds, as its compressed value, an inner message set
//! of uncompressed messages of the same magic. With magic 1 the inner offsets are
//! relative (0, 1, 2, ...) and the wrapper's offset is the absolute offset of the last
//! inner message; with magic 0 the inner offsets are absolute.

use bytes::Bytes;

use crate::error::{KafkaError, Result};
use crate::wire::Reader;

use super::batch::{Records, LOG_OVERHEAD};
use super::compression::Compression;
use super::{Record, TimestampType, DEFAULT_MAX_DECOMPRESSED_SIZE};

/// The smallest message_size of a magic-0 message: crc, magic, attributes and two
/// null lengths.
pub const MIN_MESSAGE_SIZE_V0: usize = 4 + 1 + 1 + 4 + 4;
/// The smallest message_size of a magic-1 message (a timestamp more than magic 0).
pub const MIN_MESSAGE_SIZE_V1: usize = MIN_MESSAGE_SIZE_V0 + 8;

/// One entry of a legacy message set: a plain message, or a compressed wrapper whose
/// value is an inner message set.
#[derive(Debug, Clone)]
pub struct LegacyMessage {
    buf: Bytes,
    offset: i64,
    crc: u32,
    magic: i8,
    attributes: i8,
    compression: Compression,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
}

impl LegacyMessage {
    /// Parses the entry (offset, size, message) that fills `buf` exactly.
    pub fn parse(buf: Bytes) -> Result<LegacyMessage> {
        let mut r = Reader::new(buf.clone());
        let offset = r.i64()?;
        let size = r.i32()?;
        let expected = buf.len() - LOG_OVERHEAD;
        if usize::try_from(size).ok() != Some(expected) {
            return Err(KafkaError::corrupt(format!(
                "legacy message size field says {size} bytes, the entry has {expected}"
            )));
        }
        let crc = r.u32()?;
        let magic = r.i8()?;
        if magic != 0 && magic != 1 {
            return Err(KafkaError::corrupt(format!(
                "legacy message has magic {magic}, expected 0 or 1"
            )));
        }
        let attributes = r.i8()?;
        let compression = Compression::from_attributes(i16::from(attributes))?;
        let timestamp = if magic == 1 { r.i64()? } else { -1 };
        let key = r.nullable_bytes(false)?;
        let value = r.nullable_bytes(false)?;
        if !r.is_empty() {
            return Err(KafkaError::corrupt(format!(
                "legacy message at offset {offset} has {} bytes after its value",
                r.remaining()
            )));
        }
        Ok(LegacyMessage {
            buf,
            offset,
            crc,
            magic,
            attributes,
            compression,
            timestamp,
            key,
            value,
        })
    }

    /// The whole entry as received.
    pub fn as_bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The entry's size in bytes, offset and size fields included.
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The entry's offset: the record's own, or for a compressed wrapper the offset of
    /// its last inner message.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The magic byte, 0 or 1.
    pub fn magic(&self) -> i8 {
        self.magic
    }

    /// The raw attributes byte.
    pub fn attributes(&self) -> i8 {
        self.attributes
    }

    /// The codec: not `None` for a compressed wrapper.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The timestamp type (magic 0 has no timestamps and reports create time).
    pub fn timestamp_type(&self) -> TimestampType {
        if self.magic == 0 {
            TimestampType::CreateTime
        } else {
            TimestampType::from_attributes(i16::from(self.attributes))
        }
    }

    /// The timestamp (-1 for magic 0).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The key (for a wrapper, normally null).
    pub fn key(&self) -> Option<&Bytes> {
        self.key.as_ref()
    }

    /// The value (for a wrapper, the compressed inner message set).
    pub fn value(&self) -> Option<&Bytes> {
        self.value.as_ref()
    }

    /// The CRC stored in the message.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Checks the stored CRC-32 (IEEE) against the bytes from the magic to the end.
    pub fn verify_crc(&self) -> Result<()> {
        let computed = crc32fast::hash(&self.buf[LOG_OVERHEAD + 4..]);
        if computed != self.crc {
            return Err(KafkaError::corrupt(format!(
                "legacy message at offset {} failed its CRC check: stored {:#010x}, computed {computed:#010x}",
                self.offset, self.crc
            )));
        }
        Ok(())
    }

    /// The records: this message itself, or a wrapper's inner messages with absolute
    /// offsets. Decompression is limited to
    /// [`DEFAULT_MAX_DECOMPRESSED_SIZE`].
    pub fn records(&self) -> Records {
        self.records_with_max_size(DEFAULT_MAX_DECOMPRESSED_SIZE)
    }

    /// The records, with decompression limited to `max_size` bytes.
    pub fn records_with_max_size(&self, max_size: usize) -> Records {
        Records::from_legacy(self.decode(max_size))
    }

    fn decode(&self, max_size: usize) -> Result<Vec<Record>> {
        if self.compression == Compression::None {
            return Ok(vec![Record {
                offset: self.offset,
                timestamp: self.timestamp,
                key: self.key.clone(),
                value: self.value.clone(),
                headers: Vec::new(),
            }]);
        }
        let context = || format!("legacy compressed message at offset {}", self.offset);
        let value = self
            .value
            .as_ref()
            .ok_or_else(|| KafkaError::corrupt(format!("{} has a null value", context())))?;
        let inner = Bytes::from(
            self.compression
                .decompress(value, max_size)
                .map_err(|e| e.context(context()))?,
        );
        let wrapper_time = match self.timestamp_type() {
            TimestampType::LogAppendTime => Some(self.timestamp),
            TimestampType::CreateTime => None,
        };
        let mut records = Vec::new();
        let mut pos = 0;
        while pos < inner.len() {
            let rest = &inner[pos..];
            let total = match rest.get(8..12) {
                Some(&[a, b, c, d]) => usize::try_from(i32::from_be_bytes([a, b, c, d]))
                    .ok()
                    .and_then(|size| size.checked_add(LOG_OVERHEAD))
                    .filter(|&total| total <= rest.len()),
                _ => None,
            };
            let total = total.ok_or_else(|| {
                KafkaError::corrupt(format!(
                    "{}: inner message set is truncated or malformed",
                    context()
                ))
            })?;
            let message = LegacyMessage::parse(inner.slice(pos..pos + total))
                .map_err(|e| e.context(context()))?;
            if message.magic != self.magic {
                return Err(KafkaError::corrupt(format!(
                    "{}: inner message has magic {}, the wrapper {}",
                    context(),
                    message.magic,
                    self.magic
                )));
            }
            if message.compression != Compression::None {
                return Err(KafkaError::corrupt(format!(
                    "{}: holds a nested compressed message",
                    context()
                )));
            }
            records.push(Record {
                offset: message.offset,
                timestamp: wrapper_time.unwrap_or(message.timestamp),
                key: message.key,
                value: message.value,
                headers: Vec::new(),
            });
            pos += total;
        }
        let Some(last) = records.last() else {
            return Err(KafkaError::corrupt(format!(
                "{} holds no messages",
                context()
            )));
        };
        if self.magic >= 1 {
            // Inner offsets are relative; the wrapper carries the last one's absolute offset.
            let base = self.offset.wrapping_sub(last.offset);
            for record in &mut records {
                record.offset = base.wrapping_add(record.offset);
            }
        }
        Ok(records)
    }
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
    use crate::record::set::{Batch, Batches};

    /// One legacy entry, written by hand from the documented layout.
    pub(crate) fn message(
        offset: i64,
        magic: i8,
        attributes: i8,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut body = vec![magic as u8, attributes as u8];
        if magic == 1 {
            body.extend_from_slice(&timestamp.to_be_bytes());
        }
        for field in [key, value] {
            match field {
                None => body.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(b) => {
                    body.extend_from_slice(&(b.len() as i32).to_be_bytes());
                    body.extend_from_slice(b);
                }
            }
        }
        let mut out = offset.to_be_bytes().to_vec();
        out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn all_records(blob: Vec<u8>) -> (Vec<Record>, Batches) {
        let mut batches = Batches::new(Bytes::from(blob));
        let mut records = Vec::new();
        for batch in batches.by_ref() {
            let batch = batch.unwrap();
            batch.verify_crc().unwrap();
            for record in batch.records() {
                records.push(record.unwrap());
            }
        }
        (records, batches)
    }

    #[test]
    fn v0_and_v1_plain_messages() {
        let mut blob = message(5, 0, 0, 0, Some(b"k0"), Some(b"v0"));
        blob.extend(message(6, 1, 0, 1_000, None, Some(b"v1")));
        blob.extend(message(7, 1, 0, 1_001, Some(b"k2"), None));
        let (records, batches) = all_records(blob);
        assert!(!batches.is_truncated());
        let got: Vec<_> = records
            .iter()
            .map(|r| (r.offset, r.timestamp, r.key.as_deref(), r.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (5, -1, Some(&b"k0"[..]), Some(&b"v0"[..])),
                (6, 1_000, None, Some(&b"v1"[..])),
                (7, 1_001, Some(&b"k2"[..]), None),
            ]
        );
        assert!(records.iter().all(|r| r.headers.is_empty()));
    }

    fn wrapper(
        magic: i8,
        codec: Compression,
        wrapper_offset: i64,
        inner_offsets: &[i64],
        log_append: Option<i64>,
    ) -> Vec<u8> {
        let mut inner = Vec::new();
        for (i, &offset) in inner_offsets.iter().enumerate() {
            let value = format!("inner value {i}");
            inner.extend(message(
                offset,
                magic,
                0,
                100 + i as i64,
                Some(format!("k{i}").as_bytes()),
                Some(value.as_bytes()),
            ));
        }
        let mut packed = Vec::new();
        codec.compress(&inner, &mut packed).unwrap();
        let mut attributes = codec.id() as i8;
        if log_append.is_some() {
            attributes |= 0x08;
        }
        message(
            wrapper_offset,
            magic,
            attributes,
            log_append.unwrap_or(0),
            None,
            Some(&packed),
        )
    }

    #[test]
    fn v1_compressed_wrapper_has_relative_inner_offsets() {
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4] {
            let mut blob = wrapper(1, codec, 42, &[0, 1, 2], None);
            blob.extend(message(43, 1, 0, 7, None, Some(b"after")));
            let (records, _) = all_records(blob);
            let offsets: Vec<_> = records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, [40, 41, 42, 43], "{codec}");
            assert_eq!(records[1].timestamp, 101);
            assert_eq!(records[2].key.as_deref(), Some(&b"k2"[..]));
            assert_eq!(records[2].value.as_deref(), Some(&b"inner value 2"[..]));
        }
    }

    #[test]
    fn v1_log_append_time_wrapper_stamps_inner_records() {
        let (records, _) = all_records(wrapper(1, Compression::Gzip, 2, &[0, 1, 2], Some(9_999)));
        assert!(records.iter().all(|r| r.timestamp == 9_999));
    }

    #[test]
    fn v0_compressed_wrapper_has_absolute_inner_offsets() {
        let (records, _) = all_records(wrapper(0, Compression::Gzip, 12, &[10, 11, 12], None));
        let offsets: Vec<_> = records.iter().map(|r| (r.offset, r.timestamp)).collect();
        assert_eq!(offsets, [(10, -1), (11, -1), (12, -1)]);
    }

    #[test]
    fn legacy_errors() {
        // CRC mismatch.
        let mut bad = message(0, 1, 0, 5, None, Some(b"value"));
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let batch = Batches::new(Bytes::from(bad)).next().unwrap().unwrap();
        assert!(batch.verify_crc().is_err());

        // Nested compression.
        let inner = wrapper(1, Compression::Gzip, 0, &[0], None);
        let mut packed = Vec::new();
        Compression::Gzip.compress(&inner, &mut packed).unwrap();
        let nested = message(0, 1, 1, 0, None, Some(&packed));
        let batch = Batches::new(Bytes::from(nested)).next().unwrap().unwrap();
        assert!(batch.records().next().unwrap().is_err());

        // Wrapper with a null value, wrapper with an empty inner set.
        let null_wrapper = message(0, 1, 1, 0, None, None);
        let batch = Batches::new(Bytes::from(null_wrapper))
            .next()
            .unwrap()
            .unwrap();
        assert!(batch.records().next().unwrap().is_err());
        let mut empty = Vec::new();
        Compression::Gzip.compress(b"", &mut empty).unwrap();
        let batch = Batches::new(Bytes::from(message(0, 1, 1, 0, None, Some(&empty))))
            .next()
            .unwrap()
            .unwrap();
        assert!(batch.records().next().unwrap().is_err());

        // Every prefix and every single-byte corruption: errors or records, no panic.
        let good = wrapper(1, Compression::Gzip, 3, &[0, 1, 2, 3], None);
        for cut in 0..good.len() {
            let mut batches = Batches::new(Bytes::copy_from_slice(&good[..cut]));
            assert!(batches.next().is_none(), "cut at {cut}");
            assert!(batches.is_truncated() || cut == 0);
        }
        for i in 0..good.len() {
            let mut bytes = good.clone();
            bytes[i] = bytes[i].wrapping_add(0x5b);
            for batch in Batches::new(Bytes::from(bytes)).flatten() {
                let _ = batch.verify_crc();
                for _ in batch.records() {}
            }
        }
    }

    #[test]
    fn parse_checks_sizes_and_magic() {
        let good = message(0, 0, 0, 0, Some(b"k"), Some(b"v"));
        assert!(LegacyMessage::parse(Bytes::from(good.clone())).is_ok());
        let mut long = good.clone();
        long.push(0);
        assert!(LegacyMessage::parse(Bytes::from(long)).is_err());
        let mut magic = good.clone();
        magic[16] = 3;
        assert!(LegacyMessage::parse(Bytes::from(magic)).is_err());
        assert!(LegacyMessage::parse(Bytes::from(good[..11].to_vec())).is_err());
        let m = LegacyMessage::parse(Bytes::from(good)).unwrap();
        assert!(matches!(
            Batch::Legacy(m.clone()).compression(),
            Compression::None
        ));
        assert_eq!(m.magic(), 0);
        assert_eq!(m.timestamp(), -1);
    }
}
