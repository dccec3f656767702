//! The protocol's primitive types: big-endian fixed-width integers, zig-zag varints,
//! unsigned varints, strings and byte arrays in their classic (`INT16`/`INT32` length)
//! and compact (`UNSIGNED_VARINT` length + 1) forms, and UUIDs.
//!
//! Decoding reads from a [`Reader`] over a [`Bytes`] buffer, so byte fields come out as
//! zero-copy slices of the frame they arrived in. Every read checks the remaining length
//! first; a length prefix is checked against the bytes actually left before anything is
//! allocated, so a malformed length can never cause a huge allocation.
//!
//! Encoding appends to a `Vec<u8>` through the [`Write`] extension trait.
//!
//! This is the bottom of the crate, imported by the protocol layer (users see it as
//! `protocol::primitives`) and by the record layer (record batches use the same
//! integers and varints), so that neither climbs into the other.

use bytes::Bytes;

use crate::error::{KafkaError, Result};

/// A cursor over received bytes.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

fn short(what: &str, want: usize, have: usize) -> KafkaError {
    KafkaError::corrupt(format!(
        "truncated {what}: needs {want} more bytes, {have} left"
    ))
}

impl Reader {
    /// A reader positioned at the start of `buf`.
    pub fn new(buf: impl Into<Bytes>) -> Self {
        Reader {
            buf: buf.into(),
            pos: 0,
        }
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The bytes not read yet, without consuming them.
    pub fn peek_rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Takes the next `n` bytes as a zero-copy slice.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<Bytes> {
        if n > self.remaining() {
            return Err(short(what, n, self.remaining()));
        }
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        if n > self.remaining() {
            return Err(short(what, n, self.remaining()));
        }
        self.pos += n;
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let rest = &self.buf[self.pos..];
        if rest.len() < N {
            return Err(short(what, N, rest.len()));
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&rest[..N]);
        self.pos += N;
        Ok(out)
    }

    /// An `INT8`.
    pub fn i8(&mut self) -> Result<i8> {
        Ok(i8::from_be_bytes(self.array("int8")?))
    }
    /// A `BOOLEAN`: any non-zero byte is true.
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.i8()? != 0)
    }
    /// An `INT16`.
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array("int16")?))
    }
    /// A `UINT16`.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array("uint16")?))
    }
    /// An `INT32`.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array("int32")?))
    }
    /// A `UINT32`.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array("uint32")?))
    }
    /// An `INT64`.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array("int64")?))
    }
    /// A `FLOAT64`.
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array("float64")?))
    }
    /// A `UUID` (16 bytes).
    pub fn uuid(&mut self) -> Result<[u8; 16]> {
        self.array("uuid")
    }

    /// An `UNSIGNED_VARINT` (at most 5 bytes).
    pub fn unsigned_varint(&mut self) -> Result<u32> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let [b] = self.array::<1>("unsigned varint")?;
            if i == 4 && b > 0x0f {
                return Err(KafkaError::corrupt("unsigned varint longer than 32 bits"));
            }
            value |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(KafkaError::corrupt("unsigned varint longer than 5 bytes"))
    }

    /// An unsigned 64-bit varint (at most 10 bytes).
    pub fn unsigned_varlong(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let [b] = self.array::<1>("unsigned varlong")?;
            if i == 9 && b > 0x01 {
                return Err(KafkaError::corrupt("varlong longer than 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(KafkaError::corrupt("varlong longer than 10 bytes"))
    }

    /// A zig-zag `VARINT`.
    pub fn varint(&mut self) -> Result<i32> {
        let raw = self.unsigned_varint()?;
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    /// A zig-zag `VARLONG`.
    pub fn varlong(&mut self) -> Result<i64> {
        let raw = self.unsigned_varlong()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// A length prefix: classic `INT16`/`INT32` or compact `UNSIGNED_VARINT` (length + 1).
    /// `None` means null. The length is checked against the bytes left, with
    /// `min_item_size` bytes per item (1 for strings and bytes), so that a corrupt length
    /// fails here instead of allocating.
    fn length(
        &mut self,
        compact: bool,
        wide: bool,
        min_item_size: usize,
        what: &str,
    ) -> Result<Option<usize>> {
        let len: i64 = if compact {
            i64::from(self.unsigned_varint()?) - 1
        } else if wide {
            i64::from(self.i32()?)
        } else {
            i64::from(self.i16()?)
        };
        if len < -1 {
            return Err(KafkaError::corrupt(format!(
                "negative length {len} for {what}"
            )));
        }
        if len == -1 {
            return Ok(None);
        }
        let len = len as usize;
        if len.saturating_mul(min_item_size) > self.remaining() {
            return Err(short(
                what,
                len.saturating_mul(min_item_size),
                self.remaining(),
            ));
        }
        Ok(Some(len))
    }

    /// A nullable string, classic (`INT16` length) or compact.
    pub fn nullable_string(&mut self, compact: bool) -> Result<Option<String>> {
        match self.length(compact, false, 1, "string")? {
            None => Ok(None),
            Some(len) => {
                let start = self.pos;
                self.pos += len;
                let raw = &self.buf[start..start + len];
                std::str::from_utf8(raw)
                    .map(|s| Some(s.to_owned()))
                    .map_err(|_| KafkaError::corrupt("string is not valid UTF-8"))
            }
        }
    }

    /// A non-null string; a null is read as the empty string.
    pub fn string(&mut self, compact: bool) -> Result<String> {
        Ok(self.nullable_string(compact)?.unwrap_or_default())
    }

    /// Nullable bytes, classic (`INT32` length) or compact.
    pub fn nullable_bytes(&mut self, compact: bool) -> Result<Option<Bytes>> {
        match self.length(compact, true, 1, "bytes")? {
            None => Ok(None),
            Some(len) => self.bytes(len, "bytes").map(Some),
        }
    }

    /// An array length, classic (`INT32`) or compact. `None` means a null array.
    /// `min_item_size` is the smallest encoded size of one element.
    pub fn array_len(&mut self, compact: bool, min_item_size: usize) -> Result<Option<usize>> {
        self.length(compact, true, min_item_size.max(1), "array")
    }
}

/// Appending protocol primitives to a buffer.
pub trait Write {
    /// Appends an `INT8`.
    fn put_i8(&mut self, v: i8);
    /// Appends a `BOOLEAN`.
    fn put_bool(&mut self, v: bool);
    /// Appends an `INT16`.
    fn put_i16(&mut self, v: i16);
    /// Appends a `UINT16`.
    fn put_u16(&mut self, v: u16);
    /// Appends an `INT32`.
    fn put_i32(&mut self, v: i32);
    /// Appends a `UINT32`.
    fn put_u32(&mut self, v: u32);
    /// Appends an `INT64`.
    fn put_i64(&mut self, v: i64);
    /// Appends a `FLOAT64`.
    fn put_f64(&mut self, v: f64);
    /// Appends an `UNSIGNED_VARINT`.
    fn put_unsigned_varint(&mut self, v: u32);
    /// Appends an unsigned 64-bit varint.
    fn put_unsigned_varlong(&mut self, v: u64);
    /// Appends a zig-zag `VARINT`.
    fn put_varint(&mut self, v: i32);
    /// Appends a zig-zag `VARLONG`.
    fn put_varlong(&mut self, v: i64);
    /// Appends a length prefix: compact (`UNSIGNED_VARINT` length + 1), or classic
    /// `INT16` (`wide == false`) / `INT32`. `None` is null.
    fn put_length(&mut self, len: Option<usize>, compact: bool, wide: bool);
    /// Appends a (nullable) string.
    fn put_string(&mut self, s: Option<&str>, compact: bool);
    /// Appends (nullable) bytes.
    fn put_bytes(&mut self, b: Option<&[u8]>, compact: bool);
}

impl Write for Vec<u8> {
    fn put_i8(&mut self, v: i8) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_bool(&mut self, v: bool) {
        self.push(u8::from(v));
    }
    fn put_i16(&mut self, v: i16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_i32(&mut self, v: i32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_f64(&mut self, v: f64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_unsigned_varint(&mut self, v: u32) {
        self.put_unsigned_varlong(u64::from(v));
    }
    fn put_unsigned_varlong(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }
    fn put_varint(&mut self, v: i32) {
        self.put_unsigned_varint(((v << 1) ^ (v >> 31)) as u32);
    }
    fn put_varlong(&mut self, v: i64) {
        self.put_unsigned_varlong(((v << 1) ^ (v >> 63)) as u64);
    }
    fn put_length(&mut self, len: Option<usize>, compact: bool, wide: bool) {
        match (compact, len) {
            (true, None) => self.put_unsigned_varint(0),
            (true, Some(n)) => self.put_unsigned_varint(n as u32 + 1),
            (false, None) if wide => self.put_i32(-1),
            (false, None) => self.put_i16(-1),
            (false, Some(n)) if wide => self.put_i32(n as i32),
            (false, Some(n)) => self.put_i16(n as i16),
        }
    }
    fn put_string(&mut self, s: Option<&str>, compact: bool) {
        self.put_length(s.map(str::len), compact, false);
        if let Some(s) = s {
            self.extend_from_slice(s.as_bytes());
        }
    }
    fn put_bytes(&mut self, b: Option<&[u8]>, compact: bool) {
        self.put_length(b.map(<[u8]>::len), compact, true);
        if let Some(b) = b {
            self.extend_from_slice(b);
        }
    }
}

/// The encoded size of `v` as an `UNSIGNED_VARINT`/unsigned varlong.
pub fn unsigned_varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// The encoded size of `v` as a zig-zag `VARINT`.
pub fn varint_len(v: i32) -> usize {
    unsigned_varint_len(u64::from(((v << 1) ^ (v >> 31)) as u32))
}

/// The encoded size of `v` as a zig-zag `VARLONG`.
pub fn varlong_len(v: i64) -> usize {
    unsigned_varint_len(((v << 1) ^ (v >> 63)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_golden_bytes() {
        // Zig-zag vectors from the protocol guide: 0, -1, 1, -2, 2 ... and multi-byte values.
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for &(value, bytes) in cases {
            let mut buf = Vec::new();
            buf.put_varint(value);
            assert_eq!(buf, bytes, "encode {value}");
            assert_eq!(varint_len(value), bytes.len());
            assert_eq!(Reader::new(bytes.to_vec()).varint().unwrap(), value);
        }
    }

    #[test]
    fn varlong_round_trip() {
        for value in [0i64, -1, 1, i64::MAX, i64::MIN, 1 << 40, -(1 << 40)] {
            let mut buf = Vec::new();
            buf.put_varlong(value);
            assert_eq!(varlong_len(value), buf.len());
            let mut r = Reader::new(buf);
            assert_eq!(r.varlong().unwrap(), value);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn overlong_varints_are_errors() {
        let mut r = Reader::new(vec![0xff; 11]);
        assert!(r.varlong().is_err());
        let mut r = Reader::new(vec![0xff, 0xff, 0xff, 0xff, 0x1f]);
        assert!(r.unsigned_varint().is_err());
        let mut r = Reader::new(vec![0x80]);
        assert!(r.unsigned_varint().is_err());
    }

    #[test]
    fn strings_classic_and_compact() {
        let mut buf = Vec::new();
        buf.put_string(Some("abc"), false);
        buf.put_string(None, false);
        buf.put_string(Some("de"), true);
        buf.put_string(None, true);
        assert_eq!(buf, [0, 3, b'a', b'b', b'c', 0xff, 0xff, 3, b'd', b'e', 0]);
        let mut r = Reader::new(buf);
        assert_eq!(r.nullable_string(false).unwrap().as_deref(), Some("abc"));
        assert_eq!(r.nullable_string(false).unwrap(), None);
        assert_eq!(r.nullable_string(true).unwrap().as_deref(), Some("de"));
        assert_eq!(r.nullable_string(true).unwrap(), None);
        assert!(r.is_empty());
    }

    #[test]
    fn lengths_beyond_the_buffer_fail_before_allocating() {
        // An array claiming 2^31-1 elements in a 4-byte buffer.
        let mut r = Reader::new(vec![0x7f, 0xff, 0xff, 0xff]);
        assert!(r.array_len(false, 4).is_err());
        let mut r = Reader::new(vec![0x00, 0x00, 0x00, 0x05, 1, 2]);
        assert!(r.nullable_bytes(false).is_err());
        let mut r = Reader::new(vec![0xff, 0xfe]);
        assert!(r.nullable_string(false).is_err(), "length -2 is invalid");
    }

    #[test]
    fn bytes_are_zero_copy_slices() {
        let frame = Bytes::from(vec![0, 0, 0, 2, 7, 8, 9]);
        let mut r = Reader::new(frame.clone());
        let b = r.nullable_bytes(false).unwrap().unwrap();
        assert_eq!(&b[..], &[7, 8]);
        assert_eq!(b.as_ptr(), frame[4..].as_ptr());
    }
}
