//! The Confluent wire format of schema-registry serialized keys and values.
//!
//! A framed payload is the magic byte `0`, the schema's registry id as a 4-byte
//! big-endian integer, then the serialized data:
//!
//! ```text
//! +------+----------------+----------------------------+
//! | 0x00 | schema id (BE) | Avro / JSON / Protobuf ... |
//! +------+----------------+----------------------------+
//! ```
//!
//! Protobuf payloads carry, between the id and the message bytes, the *message
//! indexes*: the path from the `.proto` file's top-level messages to the one written
//! (`[1, 0]` is the first nested message of the second top-level message). They are a
//! zig-zag varint count followed by one zig-zag varint per index; the common path `[0]`
//! (the file's first message) is written as the single byte `0` (a count of 0).
//!
//! ```
//! use kafka_sync::schema_registry::framing;
//!
//! let mut out = Vec::new();
//! framing::write_header(&mut out, 7);
//! out.extend_from_slice(b"data");
//! assert_eq!(out, b"\x00\x00\x00\x00\x07data");
//! let (id, payload) = framing::read_header(&out)?;
//! assert_eq!((id, payload), (7, &b"data"[..]));
//!
//! let mut indexes = Vec::new();
//! framing::write_message_indexes(&mut indexes, &[1, 0]);
//! assert_eq!(indexes, [4, 2, 0]); // count 2, then 1 and 0, zig-zag encoded
//! assert_eq!(framing::read_message_indexes(&indexes)?, (vec![1, 0], &[][..]));
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use crate::error::{ErrorKind, KafkaError, Result};

/// The first byte of every framed payload.
pub const MAGIC_BYTE: u8 = 0;

/// The length of the header: the magic byte and the 4-byte schema id.
pub const HEADER_LEN: usize = 5;

/// Appends the header of a payload written with schema `schema_id`.
pub fn write_header(out: &mut Vec<u8>, schema_id: i32) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

/// Splits a framed payload into its schema id and the data after the header.
///
/// Fails with [`ErrorKind::Serialization`] when `data` is shorter than the header or
/// does not start with the magic byte (it was not written by a schema registry
/// serializer).
pub fn read_header(data: &[u8]) -> Result<(i32, &[u8])> {
    let Some((&magic, rest)) = data.split_first() else {
        return Err(malformed(
            "an empty payload has no schema registry header".to_owned(),
        ));
    };
    if magic != MAGIC_BYTE {
        return Err(malformed(format!(
            "unknown magic byte {magic} (0x{magic:02x}): the payload was not written by a \
             schema registry serializer"
        )));
    }
    let Some((id, payload)) = rest.split_first_chunk::<4>() else {
        return Err(malformed(format!(
            "a payload of {} byte(s) is shorter than the 5-byte schema registry header",
            data.len()
        )));
    };
    Ok((i32::from_be_bytes(*id), payload))
}

/// Appends Protobuf message indexes: the single byte `0` for `[0]` (and for an empty
/// path, which means the same), else the count and the indexes, as zig-zag varints.
pub fn write_message_indexes(out: &mut Vec<u8>, indexes: &[i32]) {
    if indexes.is_empty() || indexes == [0] {
        out.push(0);
        return;
    }
    // A path longer than i32::MAX cannot be built in memory one i32 a step anyway.
    let count = i32::try_from(indexes.len()).unwrap_or(i32::MAX);
    write_zigzag_varint(out, count);
    for &index in indexes {
        write_zigzag_varint(out, index);
    }
}

/// Reads Protobuf message indexes from the start of `data` and returns them with the
/// bytes after them (the message). A count of 0 is the path `[0]`.
///
/// Fails with [`ErrorKind::Serialization`] on a truncated or overlong varint, a
/// negative count or index, or a count larger than the bytes present could hold (each
/// index takes at least one byte), so a hostile count never makes a large allocation.
pub fn read_message_indexes(data: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    let (count, mut rest) = read_zigzag_varint(data, "message index count")?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let count = usize::try_from(count)
        .map_err(|_| malformed(format!("a negative Protobuf message index count ({count})")))?;
    if count > rest.len() {
        return Err(malformed(format!(
            "{count} Protobuf message indexes announced but only {} byte(s) follow",
            rest.len()
        )));
    }
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let (index, after) = read_zigzag_varint(rest, "message index")?;
        if index < 0 {
            return Err(malformed(format!(
                "a negative Protobuf message index ({index})"
            )));
        }
        indexes.push(index);
        rest = after;
    }
    Ok((indexes, rest))
}

fn write_zigzag_varint(out: &mut Vec<u8>, value: i32) {
    let mut n = ((value << 1) ^ (value >> 31)) as u32;
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A zig-zag varint of at most 5 bytes (32 bits), as Confluent's serializers write.
fn read_zigzag_varint<'a>(data: &'a [u8], what: &str) -> Result<(i32, &'a [u8])> {
    let mut n: u32 = 0;
    for (i, &byte) in data.iter().enumerate().take(5) {
        let bits = u32::from(byte & 0x7f);
        if i == 4 && bits > 0x0f {
            break;
        }
        n |= bits << (7 * i);
        if byte & 0x80 == 0 {
            let value = ((n >> 1) as i32) ^ -((n & 1) as i32);
            return Ok((value, &data[i + 1..]));
        }
    }
    if data.len() < 5 && data.last().is_none_or(|b| b & 0x80 != 0) {
        Err(malformed(format!(
            "the Protobuf {what} is truncated (a varint cut off after {} byte(s))",
            data.len()
        )))
    } else {
        Err(malformed(format!(
            "the Protobuf {what} is not a 32-bit varint"
        )))
    }
}

fn malformed(problem: String) -> KafkaError {
    KafkaError::new(ErrorKind::Serialization, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_magic_zero_and_a_big_endian_id() {
        let mut out = Vec::new();
        write_header(&mut out, 0x0102_0304);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        out.clear();
        write_header(&mut out, -1);
        assert_eq!(out, [0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(read_header(&out).unwrap(), (-1, &[][..]));
        let framed = [0, 0, 0, 1, 0, b'x', b'y'];
        assert_eq!(read_header(&framed).unwrap(), (256, &b"xy"[..]));
    }

    #[test]
    fn a_short_or_foreign_payload_is_a_serialization_error() {
        for short in [&[][..], &[0], &[0, 0, 0, 0]] {
            let err = read_header(short).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Serialization);
            assert!(err.to_string().contains("header"), "{short:?}: {err}");
        }
        let err = read_header(b"{\"name\":1}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.to_string().contains("magic byte 123"), "{err}");
        assert!(read_header(&[1, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn message_indexes_have_golden_bytes() {
        let cases: [(&[i32], &[u8]); 6] = [
            (&[0], &[0]),
            (&[], &[0]),
            (&[1], &[2, 2]),
            (&[1, 0], &[4, 2, 0]),
            (&[0, 2, 1], &[6, 0, 4, 2]),
            // 64 zig-zags to 128: two varint bytes
            (&[64], &[2, 0x80, 0x01]),
        ];
        for (indexes, bytes) in cases {
            let mut out = Vec::new();
            write_message_indexes(&mut out, indexes);
            assert_eq!(out, bytes, "{indexes:?}");
            let expected = if indexes.is_empty() {
                &[0][..]
            } else {
                indexes
            };
            let mut with_message = out.clone();
            with_message.extend_from_slice(b"msg");
            let (read, rest) = read_message_indexes(&with_message).unwrap();
            assert_eq!(read, expected);
            assert_eq!(rest, b"msg");
        }
        // An explicit [0] written long-hand (count 1, index 0) reads as [0] too.
        assert_eq!(read_message_indexes(&[2, 0]).unwrap(), (vec![0], &[][..]));
    }

    #[test]
    fn varints_round_trip_at_the_limits() {
        for value in [0, 1, -1, 63, -64, 64, 1 << 20, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write_zigzag_varint(&mut out, value);
            assert!(out.len() <= 5);
            out.push(0xaa);
            assert_eq!(
                read_zigzag_varint(&out, "test").unwrap(),
                (value, &[0xaa][..])
            );
        }
    }

    #[test]
    fn malformed_message_indexes_are_errors_without_large_allocations() {
        // A count of i32::MAX with three bytes after it.
        let mut huge = Vec::new();
        write_zigzag_varint(&mut huge, i32::MAX);
        huge.extend_from_slice(&[2, 2, 2]);
        let err = read_message_indexes(&huge).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert!(err.to_string().contains("2147483647"), "{err}");
        // Count 3 with two indexes present.
        assert!(read_message_indexes(&[6, 2, 2]).is_err());
        // A negative count (-1 zig-zags to 1) and a negative index.
        assert!(read_message_indexes(&[1, 2])
            .unwrap_err()
            .to_string()
            .contains("negative"));
        assert!(read_message_indexes(&[2, 1])
            .unwrap_err()
            .to_string()
            .contains("negative"));
        // Truncated varints: nothing at all, a continuation byte with nothing after.
        for truncated in [&[][..], &[0x80], &[2, 0x80]] {
            let err = read_message_indexes(truncated).unwrap_err();
            assert!(
                err.to_string().contains("truncated"),
                "{truncated:?}: {err}"
            );
        }
        // Six continuation bytes: longer than a 32-bit varint.
        let err = read_message_indexes(&[0xff; 6]).unwrap_err();
        assert!(err.to_string().contains("not a 32-bit varint"), "{err}");
        // A fifth byte with bits beyond 32.
        assert!(read_message_indexes(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    }
}
