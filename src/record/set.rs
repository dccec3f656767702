//! Reading a record set, the `records` blob of a fetch response: concatenated v2
//! batches and legacy message-set entries, told apart by the magic byte at offset 16 of
//! each entry. [`Batch`] is one entry, [`Batches`] the iterator over them. (One v2
//! batch alone is read and built in [`batch`](super::batch).)

use bytes::Bytes;

use crate::error::{KafkaError, Result};

use super::batch::{RecordBatch, Records, HEADER_SIZE, LOG_OVERHEAD, MAGIC, NO_PRODUCER_ID};
use super::compression::Compression;
use super::legacy::{LegacyMessage, MIN_MESSAGE_SIZE_V0, MIN_MESSAGE_SIZE_V1};

/// One entry of a `records` blob: a v2 record batch or a legacy (v0/v1) message, which
/// may be a compressed wrapper holding many.
#[derive(Debug, Clone)]
pub enum Batch {
    /// A record batch (magic 2).
    V2(RecordBatch),
    /// A legacy message (magic 0 or 1).
    Legacy(LegacyMessage),
}

impl Batch {
    /// The magic byte: 0, 1 or 2.
    pub fn magic(&self) -> i8 {
        match self {
            Batch::V2(b) => b.magic(),
            Batch::Legacy(m) => m.magic(),
        }
    }

    /// The offset of the last record the entry covers.
    pub fn last_offset(&self) -> i64 {
        match self {
            Batch::V2(b) => b.last_offset(),
            Batch::Legacy(m) => m.offset(),
        }
    }

    /// The offset after this entry: where the next fetch starts.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The entry's size in bytes.
    pub fn size_in_bytes(&self) -> usize {
        match self {
            Batch::V2(b) => b.size_in_bytes(),
            Batch::Legacy(m) => m.size_in_bytes(),
        }
    }

    /// The codec of the entry.
    pub fn compression(&self) -> Compression {
        match self {
            Batch::V2(b) => b.compression(),
            Batch::Legacy(m) => m.compression(),
        }
    }

    /// Checks the entry's CRC (CRC-32C for v2, CRC-32 for legacy messages).
    pub fn verify_crc(&self) -> Result<()> {
        match self {
            Batch::V2(b) => b.verify_crc(),
            Batch::Legacy(m) => m.verify_crc(),
        }
    }

    /// Whether this is a control batch (never for legacy messages).
    pub fn is_control(&self) -> bool {
        matches!(self, Batch::V2(b) if b.is_control())
    }

    /// Whether the entry belongs to a transaction (never for legacy messages).
    pub fn is_transactional(&self) -> bool {
        matches!(self, Batch::V2(b) if b.is_transactional())
    }

    /// The producer id (-1 for legacy messages).
    pub fn producer_id(&self) -> i64 {
        match self {
            Batch::V2(b) => b.producer_id(),
            Batch::Legacy(_) => NO_PRODUCER_ID,
        }
    }

    /// The producer epoch (-1 for legacy messages).
    pub fn producer_epoch(&self) -> i16 {
        match self {
            Batch::V2(b) => b.producer_epoch(),
            Batch::Legacy(_) => -1,
        }
    }

    /// The records, with the default decompression limit.
    pub fn records(&self) -> Records {
        match self {
            Batch::V2(b) => b.records(),
            Batch::Legacy(m) => m.records(),
        }
    }

    /// The records, with decompression limited to `max_size` bytes.
    pub fn records_with_max_size(&self, max_size: usize) -> Records {
        match self {
            Batch::V2(b) => b.records_with_max_size(max_size),
            Batch::Legacy(m) => m.records_with_max_size(max_size),
        }
    }
}

/// An iterator over the entries of a fetched `records` blob.
///
/// A final entry that the broker cut short at the fetch size limit ends the iteration
/// without an error; [`is_truncated`](Self::is_truncated) then says so. A malformed
/// entry yields one error and ends the iteration. Lengths are checked against the bytes
/// present before anything is sliced, and nothing is allocated from a declared count.
#[derive(Debug, Clone)]
pub struct Batches {
    buf: Bytes,
    pos: usize,
    truncated: bool,
    done: bool,
}

impl Batches {
    /// An iterator over the entries of `records`.
    pub fn new(records: Bytes) -> Batches {
        Batches {
            buf: records,
            pos: 0,
            truncated: false,
            done: false,
        }
    }

    /// Whether the iteration stopped at a partial final entry.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The bytes not yet consumed (after a truncated end: the partial entry).
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn next_entry(&mut self) -> Option<Result<Batch>> {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let Some(&[a, b, c, d]) = rest.get(8..LOG_OVERHEAD) else {
            self.truncated = true;
            return None;
        };
        let length = i32::from_be_bytes([a, b, c, d]);
        let Ok(length) = usize::try_from(length) else {
            return Some(Err(KafkaError::corrupt(format!(
                "entry at byte {} of the records has a negative length {length}",
                self.pos
            ))));
        };
        let Some(&magic) = rest.get(16) else {
            // Not even the magic byte arrived: a partial entry (or one too short to be
            // valid, which a complete entry would show below).
            if LOG_OVERHEAD + length > rest.len() {
                self.truncated = true;
                return None;
            }
            return Some(Err(KafkaError::corrupt(format!(
                "entry length {length} is too short"
            ))));
        };
        let magic = magic as i8;
        let min_length = match magic {
            0 => MIN_MESSAGE_SIZE_V0,
            1 => MIN_MESSAGE_SIZE_V1,
            MAGIC => HEADER_SIZE - LOG_OVERHEAD,
            other => {
                return Some(Err(KafkaError::corrupt(format!(
                    "entry at byte {} of the records has unknown magic {other}",
                    self.pos
                ))))
            }
        };
        if length < min_length {
            return Some(Err(KafkaError::corrupt(format!(
                "entry with magic {magic} has length {length}, less than the minimum {min_length}"
            ))));
        }
        let total = LOG_OVERHEAD + length;
        if total > rest.len() {
            self.truncated = true;
            return None;
        }
        let entry = self.buf.slice(self.pos..self.pos + total);
        self.pos += total;
        Some(if magic == MAGIC {
            RecordBatch::parse(entry).map(Batch::V2)
        } else {
            LegacyMessage::parse(entry).map(Batch::Legacy)
        })
    }
}

impl Iterator for Batches {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.done {
            return None;
        }
        let item = self.next_entry();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}
