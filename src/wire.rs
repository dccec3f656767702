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
///
/// An implementation provides [`put_slice`](Write::put_slice); every primitive is
/// written through it. [`put_shared_bytes`](Write::put_shared_bytes) lets a buffer keep
/// a large byte field by reference instead of copying it ([`ChunkedBuf`] does; a
/// `Vec<u8>` copies).
pub trait Write {
    /// Appends raw bytes.
    fn put_slice(&mut self, b: &[u8]);
    /// Appends an `INT8`.
    fn put_i8(&mut self, v: i8) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends a `BOOLEAN`.
    fn put_bool(&mut self, v: bool) {
        self.put_slice(&[u8::from(v)]);
    }
    /// Appends an `INT16`.
    fn put_i16(&mut self, v: i16) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends a `UINT16`.
    fn put_u16(&mut self, v: u16) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends an `INT32`.
    fn put_i32(&mut self, v: i32) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends a `UINT32`.
    fn put_u32(&mut self, v: u32) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends an `INT64`.
    fn put_i64(&mut self, v: i64) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends a `FLOAT64`.
    fn put_f64(&mut self, v: f64) {
        self.put_slice(&v.to_be_bytes());
    }
    /// Appends an `UNSIGNED_VARINT`.
    fn put_unsigned_varint(&mut self, v: u32) {
        self.put_unsigned_varlong(u64::from(v));
    }
    /// Appends an unsigned 64-bit varint.
    fn put_unsigned_varlong(&mut self, mut v: u64) {
        // The short cases as writes of a fixed length, which compile to plain stores;
        // the general case below ends in a write of a variable length, a call to
        // memcpy, which for the three or four varints of each produced record was 6%
        // of the producer's CPU.
        if v < 1 << 7 {
            return self.put_slice(&[v as u8]);
        }
        if v < 1 << 14 {
            return self.put_slice(&[(v as u8) | 0x80, (v >> 7) as u8]);
        }
        if v < 1 << 21 {
            return self.put_slice(&[(v as u8) | 0x80, ((v >> 7) as u8) | 0x80, (v >> 14) as u8]);
        }
        // At most 10 bytes: 7 bits each.
        let mut out = [0u8; 10];
        let mut n = 0;
        while v >= 0x80 {
            out[n] = (v as u8) | 0x80;
            v >>= 7;
            n += 1;
        }
        out[n] = v as u8;
        self.put_slice(&out[..=n]);
    }
    /// Appends a zig-zag `VARINT`.
    fn put_varint(&mut self, v: i32) {
        self.put_unsigned_varint(((v << 1) ^ (v >> 31)) as u32);
    }
    /// Appends a zig-zag `VARLONG`.
    fn put_varlong(&mut self, v: i64) {
        self.put_unsigned_varlong(((v << 1) ^ (v >> 63)) as u64);
    }
    /// Appends a length prefix: compact (`UNSIGNED_VARINT` length + 1), or classic
    /// `INT16` (`wide == false`) / `INT32`. `None` is null.
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
    /// Appends a (nullable) string.
    fn put_string(&mut self, s: Option<&str>, compact: bool) {
        self.put_length(s.map(str::len), compact, false);
        if let Some(s) = s {
            self.put_slice(s.as_bytes());
        }
    }
    /// Appends (nullable) bytes.
    fn put_bytes(&mut self, b: Option<&[u8]>, compact: bool) {
        self.put_length(b.map(<[u8]>::len), compact, true);
        if let Some(b) = b {
            self.put_slice(b);
        }
    }
    /// Appends (nullable) bytes, which the buffer may keep by reference rather than
    /// copy (a record batch in a Produce request). The encoding is that of
    /// [`put_bytes`](Write::put_bytes).
    fn put_shared_bytes(&mut self, b: Option<&Bytes>, compact: bool) {
        self.put_bytes(b.map(|b| &b[..]), compact);
    }
}

impl Write for Vec<u8> {
    fn put_slice(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}

/// An encoding buffer that keeps large byte fields by reference: the bytes written in
/// place, and the [`Bytes`] of [`put_shared_bytes`](Write::put_shared_bytes) fields
/// of at least [`ChunkedBuf::SHARE_AT_LEAST`] bytes, each to be spliced in at the
/// offset of the in-place bytes where it was written.
///
/// The encoded value is the in-place bytes up to the first splice point, then the first
/// shared field, then the in-place bytes up to the next point, and so on:
/// [`into_chunks`](Self::into_chunks) hands out those pieces, which a connection
/// writes with vectored writes, so a Produce request's record batches go from the
/// batch's buffer to the socket without being copied.
#[derive(Debug, Clone, Default)]
pub struct ChunkedBuf {
    /// The bytes written in place.
    inline: Vec<u8>,
    /// The shared fields, each with the length of `inline` when it was written.
    shared: Vec<(usize, Bytes)>,
    /// The total length of the shared fields.
    shared_len: usize,
}

impl ChunkedBuf {
    /// Shared fields shorter than this are copied: for them, copying costs less than
    /// another chunk to keep and write.
    pub const SHARE_AT_LEAST: usize = 1024;

    /// An empty buffer with room for `capacity` bytes in place.
    pub fn with_capacity(capacity: usize) -> Self {
        ChunkedBuf {
            inline: Vec::with_capacity(capacity),
            shared: Vec::new(),
            shared_len: 0,
        }
    }

    /// The encoded length: the bytes in place and the shared ones.
    pub fn len(&self) -> usize {
        self.inline.len() + self.shared_len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes were written in place so far: the offset that
    /// [`patch`](Self::patch) takes for what is written next.
    pub fn inline_len(&self) -> usize {
        self.inline.len()
    }

    /// Overwrites in-place bytes from offset `at` (an earlier
    /// [`inline_len`](Self::inline_len)) with `bytes`, e.g. a size prefix known only
    /// once the rest is written. Returns `false`, changing nothing, if they do not lie
    /// within the bytes written in place.
    pub fn patch(&mut self, at: usize, bytes: &[u8]) -> bool {
        let end = at.checked_add(bytes.len());
        match end.and_then(|end| self.inline.get_mut(at..end)) {
            Some(target) => {
                target.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    /// The shared fields, in order.
    pub fn shared(&self) -> impl Iterator<Item = &Bytes> + '_ {
        self.shared.iter().map(|(_, b)| b)
    }

    /// The encoded value as chunks in order: pieces of the in-place bytes and the
    /// shared fields, none of them empty.
    pub fn into_chunks(self) -> impl Iterator<Item = Bytes> {
        let inline = Bytes::from(self.inline);
        let mut chunks = Vec::with_capacity(2 * self.shared.len() + 1);
        let mut from = 0;
        for (at, bytes) in self.shared {
            chunks.push(inline.slice(from..at));
            chunks.push(bytes);
            from = at;
        }
        chunks.push(inline.slice(from..));
        chunks.into_iter().filter(|c| !c.is_empty())
    }

    /// The encoded value in one buffer (a copy; for tests and diagnostics).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        let mut from = 0;
        for (at, bytes) in &self.shared {
            out.extend_from_slice(&self.inline[from..*at]);
            out.extend_from_slice(bytes);
            from = *at;
        }
        out.extend_from_slice(&self.inline[from..]);
        out
    }
}

impl Write for ChunkedBuf {
    fn put_slice(&mut self, b: &[u8]) {
        self.inline.extend_from_slice(b);
    }

    fn put_shared_bytes(&mut self, b: Option<&Bytes>, compact: bool) {
        match b {
            Some(b) if b.len() >= Self::SHARE_AT_LEAST => {
                self.put_length(Some(b.len()), compact, true);
                self.shared.push((self.inline.len(), b.clone()));
                self.shared_len += b.len();
            }
            _ => self.put_bytes(b.map(|b| &b[..]), compact),
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
    fn unsigned_varlongs_around_each_length_boundary_match_seven_bits_per_byte() {
        for bits in 0..64u32 {
            let edge = 1u64 << bits;
            for v in [edge - 1, edge, edge + 1, u64::MAX >> (63 - bits)] {
                let mut expected = Vec::new();
                let mut rest = v;
                loop {
                    let low = (rest & 0x7f) as u8;
                    rest >>= 7;
                    if rest == 0 {
                        expected.push(low);
                        break;
                    }
                    expected.push(low | 0x80);
                }
                let mut buf = Vec::new();
                buf.put_unsigned_varlong(v);
                assert_eq!(buf, expected, "encode {v}");
                assert_eq!(unsigned_varint_len(v), buf.len(), "length of {v}");
                assert_eq!(Reader::new(buf).unsigned_varlong().unwrap(), v);
            }
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
    fn a_chunked_buf_keeps_large_shared_bytes_by_reference() {
        let large = Bytes::from(vec![7u8; ChunkedBuf::SHARE_AT_LEAST]);
        let small = Bytes::from_static(b"abc");
        let mut chunked = ChunkedBuf::default();
        let mut flat = Vec::new();
        for buf in [&mut chunked as &mut dyn Write, &mut flat] {
            buf.put_i32(-1); // a size prefix, patched below
            buf.put_shared_bytes(Some(&large), false);
            buf.put_i16(5);
            buf.put_shared_bytes(Some(&small), true);
            buf.put_shared_bytes(None, true);
            buf.put_shared_bytes(Some(&large), true);
        }
        assert_eq!(chunked.len(), flat.len());
        assert!(chunked.patch(0, &9i32.to_be_bytes()));
        flat[..4].copy_from_slice(&9i32.to_be_bytes());
        assert!(
            !chunked.patch(chunked.inline_len() - 1, &[0, 0]),
            "past the end"
        );
        assert_eq!(chunked.to_vec(), flat);
        // The large field is shared twice, the small one copied.
        let shared: Vec<&Bytes> = chunked.shared().collect();
        assert_eq!(shared.len(), 2);
        assert!(shared.iter().all(|b| b.as_ptr() == large.as_ptr()));
        let chunks: Vec<Bytes> = chunked.into_chunks().collect();
        // prefix + length | large | i16, small, null, compact length | large
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks[1].as_ptr(), large.as_ptr());
        assert_eq!(chunks[3].as_ptr(), large.as_ptr());
        assert_eq!(chunks.concat(), flat);
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
