//! Snappy (codec id 2), through snap's raw (unframed) format.
//!
//! Batches are written as one raw snappy block, as librdkafka does. On read, input that
//! starts with the xerial (snappy-java) magic is taken apart as that framing: the 8-byte
//! magic `0x82 "SNAPPY" 0x00`, a version and a compatible version (two `INT32`s), then
//! blocks, each an `INT32` length and a raw snappy block. The Java client writes that.

use crate::error::Result;

/// The first bytes of xerial-framed snappy.
#[cfg_attr(not(feature = "snappy"), allow(dead_code))]
pub(crate) const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];

#[cfg(feature = "snappy")]
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    out.resize(start + snap::raw::max_compress_len(input.len()), 0);
    match snap::raw::Encoder::new().compress(input, &mut out[start..]) {
        Ok(n) => {
            out.truncate(start + n);
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(super::malformed(super::Compression::Snappy, e))
        }
    }
}

#[cfg(feature = "snappy")]
pub(super) fn decompress(input: &[u8], max_size: usize) -> Result<Vec<u8>> {
    use crate::error::KafkaError;

    if !input.starts_with(&XERIAL_MAGIC) {
        let mut out = Vec::new();
        raw_block(input, max_size, &mut out)?;
        return Ok(out);
    }
    let mut rest = &input[XERIAL_MAGIC.len()..];
    let mut next_i32 = |what: &str| -> Result<i32> {
        match rest {
            [a, b, c, d, tail @ ..] => {
                rest = tail;
                Ok(i32::from_be_bytes([*a, *b, *c, *d]))
            }
            _ => Err(KafkaError::corrupt(format!(
                "truncated xerial snappy {what}"
            ))),
        }
    };
    let _version = next_i32("header")?;
    let _compatible_version = next_i32("header")?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let [a, b, c, d, tail @ ..] = rest else {
            return Err(KafkaError::corrupt("truncated xerial snappy block length"));
        };
        let len = i32::from_be_bytes([*a, *b, *c, *d]);
        let len = usize::try_from(len).map_err(|_| {
            KafkaError::corrupt(format!("negative xerial snappy block length {len}"))
        })?;
        if len > tail.len() {
            return Err(KafkaError::corrupt(format!(
                "truncated xerial snappy block: {len} bytes declared, {} left",
                tail.len()
            )));
        }
        let (block, after) = tail.split_at(len);
        raw_block(block, max_size - out.len(), &mut out)?;
        rest = after;
    }
    Ok(out)
}

/// A bound on how many output bytes one input byte of a snappy block can make (a
/// 3-byte copy element writes at most 64 bytes).
#[cfg(feature = "snappy")]
const MAX_EXPANSION: usize = 22;

/// Decompresses one raw snappy block, appending it to `out`; `budget` is how many more
/// bytes `out` may take.
#[cfg(feature = "snappy")]
fn raw_block(block: &[u8], budget: usize, out: &mut Vec<u8>) -> Result<()> {
    let codec = super::Compression::Snappy;
    // The block states its decompressed length up front: check it before allocating.
    let len = snap::raw::decompress_len(block).map_err(|e| super::malformed(codec, e))?;
    if len > budget {
        return Err(super::too_large(codec, out.len().saturating_add(budget)));
    }
    // No snappy element expands more than 64 / 3 times, so a larger claim is a lie;
    // rejecting it keeps a small corrupt block from allocating up to `budget`.
    if len > block.len().saturating_mul(MAX_EXPANSION).saturating_add(64) {
        return Err(super::malformed(
            codec,
            format!("a {}-byte block cannot hold {len} bytes", block.len()),
        ));
    }
    let start = out.len();
    out.resize(start + len, 0);
    match snap::raw::Decoder::new().decompress(block, &mut out[start..]) {
        Ok(n) if n == len => Ok(()),
        Ok(n) => Err(super::malformed(
            codec,
            format!("block said {len} bytes, held {n}"),
        )),
        Err(e) => Err(super::malformed(codec, e)),
    }
}

#[cfg(not(feature = "snappy"))]
pub(super) fn compress(_input: &[u8], _out: &mut Vec<u8>) -> Result<()> {
    Err(super::disabled(super::Compression::Snappy))
}

#[cfg(not(feature = "snappy"))]
pub(super) fn decompress(_input: &[u8], _max_size: usize) -> Result<Vec<u8>> {
    Err(super::disabled(super::Compression::Snappy))
}

#[cfg(all(test, feature = "snappy"))]
mod tests {
    use super::*;

    fn xerial(blocks: &[&[u8]]) -> Vec<u8> {
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&1i32.to_be_bytes()); // version
        framed.extend_from_slice(&1i32.to_be_bytes()); // compatible version
        for block in blocks {
            let raw = snap::raw::Encoder::new().compress_vec(block).unwrap();
            framed.extend_from_slice(&(raw.len() as i32).to_be_bytes());
            framed.extend_from_slice(&raw);
        }
        framed
    }

    #[test]
    fn xerial_framing_is_read() {
        let first = b"the first xerial block, the first xerial block".as_slice();
        let second = vec![b'z'; 5000];
        let framed = xerial(&[first, &second]);
        let out = decompress(&framed, 1 << 20).unwrap();
        assert_eq!(&out[..first.len()], first);
        assert_eq!(&out[first.len()..], &second[..]);
        assert_eq!(decompress(&xerial(&[]), 10).unwrap(), b"");
    }

    #[test]
    fn xerial_framing_is_bounded_and_checked() {
        let framed = xerial(&[&[7u8; 1000], &[8u8; 1000]]);
        assert!(
            decompress(&framed, 1500).is_err(),
            "second block passes the limit"
        );
        assert!(decompress(&framed, 2000).is_ok());
        // Cutting the input anywhere but between blocks is an error.
        let first_block_end = 16
            + 4
            + snap::raw::Encoder::new()
                .compress_vec(&[7u8; 1000])
                .unwrap()
                .len();
        for cut in 8..framed.len() {
            let result = decompress(&framed[..cut], 1 << 20);
            if cut != 16 && cut != first_block_end {
                assert!(result.is_err(), "cut at {cut}");
            }
        }
        let mut negative = xerial(&[]);
        negative.extend_from_slice(&(-5i32).to_be_bytes());
        assert!(decompress(&negative, 100).is_err());
    }

    #[test]
    fn raw_length_is_checked_before_allocating() {
        // A raw block claiming 2^32-1 bytes of output, with no data behind it.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f];
        let err = decompress(&claim, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");
        // Under the limit, but more than 5 bytes of snappy can ever hold.
        let claim = [0x80, 0x80, 0x40];
        let err = decompress(&claim, 1 << 24).unwrap_err();
        assert!(err.to_string().contains("cannot hold"), "{err}");
        // The densest real input stays within the bound.
        let zeros = vec![0u8; 1 << 20];
        let packed = snap::raw::Encoder::new().compress_vec(&zeros).unwrap();
        assert!(
            packed.len() * MAX_EXPANSION >= zeros.len(),
            "{}",
            packed.len()
        );
        assert_eq!(decompress(&packed, 1 << 20).unwrap(), zeros);
    }
}
