//! The compression codecs of record batches and legacy message sets.
//!
//! A batch's attributes name its codec in bits 0-2: 0 none, 1 gzip, 2 snappy, 3 lz4,
//! 4 zstd. Each codec lives behind a cargo feature of the same name (all on by
//! default); a codec whose feature is off fails with a clear error instead of
//! producing or accepting bytes it cannot handle.
//!
//! Decompression takes a `max_size`: a codec stops and fails as soon as the output
//! would grow past it, so a small malicious input cannot make the client allocate
//! gigabytes (a "decompression bomb").
//!
//! ```
//! use kafka_sync::Compression;
//!
//! let codec: Compression = "gzip".parse().unwrap();
//! let mut packed = Vec::new();
//! codec.compress(b"hello hello hello hello", &mut packed).unwrap();
//! assert_eq!(codec.decompress(&packed, 1024).unwrap(), b"hello hello hello hello");
//! assert!(codec.decompress(&packed, 5).is_err());
//! assert!("brotli".parse::<Compression>().is_err());
//! ```

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use crate::error::{KafkaError, Result};

mod gzip;
mod lz4;
mod snappy;
mod zstd;

/// A compression codec for record batches (the `compression.type` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression (codec id 0).
    #[default]
    None,
    /// gzip (codec id 1).
    Gzip,
    /// Snappy (codec id 2). Written raw; read raw or with xerial (snappy-java) framing.
    Snappy,
    /// LZ4 in the standard LZ4 frame format (codec id 3).
    Lz4,
    /// Zstandard (codec id 4).
    Zstd,
}

/// The bits of a batch's or message's attributes that hold the codec id.
pub const CODEC_MASK: i16 = 0x07;

impl Compression {
    /// Every codec, in id order.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The codec id stored in the attributes.
    pub fn id(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec with this id; an unknown id is a corrupt-message error.
    pub fn from_id(id: u8) -> Result<Compression> {
        match id {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(KafkaError::corrupt(format!(
                "unknown compression codec id {other} in the attributes"
            ))),
        }
    }

    /// The codec named by the low three bits of `attributes`.
    pub fn from_attributes(attributes: i16) -> Result<Compression> {
        Compression::from_id((attributes & CODEC_MASK) as u8)
    }

    /// The codec's name as used in configuration: `none`, `gzip`, `snappy`, `lz4`, `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// Whether this build can compress and decompress with the codec (its cargo
    /// feature is on). `None` is always available.
    pub fn is_available(self) -> bool {
        match self {
            Compression::None => true,
            Compression::Gzip => cfg!(feature = "gzip"),
            Compression::Snappy => cfg!(feature = "snappy"),
            Compression::Lz4 => cfg!(feature = "lz4"),
            Compression::Zstd => cfg!(feature = "zstd"),
        }
    }

    /// Appends the compressed form of `input` to `out`.
    pub fn compress(&self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self {
            Compression::None => {
                out.extend_from_slice(input);
                Ok(())
            }
            Compression::Gzip => gzip::compress(input, out),
            Compression::Snappy => snappy::compress(input, out),
            Compression::Lz4 => lz4::compress(input, out),
            Compression::Zstd => zstd::compress(input, out),
        }
    }

    /// Decompresses `input`, failing with a corrupt-message error if it is malformed
    /// or if the output would be larger than `max_size` bytes.
    pub fn decompress(&self, input: &[u8], max_size: usize) -> Result<Vec<u8>> {
        match self {
            Compression::None => {
                if input.len() > max_size {
                    return Err(too_large(*self, max_size));
                }
                Ok(input.to_vec())
            }
            Compression::Gzip => gzip::decompress(input, max_size),
            Compression::Snappy => snappy::decompress(input, max_size),
            Compression::Lz4 => lz4::decompress(input, max_size),
            Compression::Zstd => zstd::decompress(input, max_size),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = KafkaError;

    /// Parses `none`, `gzip`, `snappy`, `lz4` or `zstd` (ASCII case is ignored).
    fn from_str(s: &str) -> Result<Compression> {
        let wanted = s.trim();
        Compression::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                KafkaError::config(
                    "compression.type",
                    format!("unknown codec `{s}`: expected one of none, gzip, snappy, lz4, zstd"),
                )
            })
    }
}

/// The error for a codec whose cargo feature is off.
#[allow(dead_code)] // unused when every codec feature is on
fn disabled(codec: Compression) -> KafkaError {
    KafkaError::config(
        "compression.type",
        format!(
            "compression codec `{codec}` is not available: kafka-sync was built without the `{codec}` feature"
        ),
    )
}

/// The error for output that would exceed `max_size`.
fn too_large(codec: Compression, max_size: usize) -> KafkaError {
    KafkaError::corrupt(format!(
        "{codec}-compressed data decompresses to more than the limit of {max_size} bytes"
    ))
}

/// The error for malformed compressed input.
#[allow(dead_code)] // unused when every codec feature is off
fn malformed(codec: Compression, err: impl fmt::Display) -> KafkaError {
    KafkaError::corrupt(format!("malformed {codec}-compressed data: {err}"))
}

/// Reads a streaming decoder to its end, failing once the output passes `max_size`.
/// Memory grows with the actual output, never with a size the input claims.
#[allow(dead_code)] // unused when every streaming codec feature is off
fn read_limited(
    codec: Compression,
    decoder: impl Read,
    input_len: usize,
    max_size: usize,
) -> Result<Vec<u8>> {
    let limit = u64::try_from(max_size)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::with_capacity(input_len.saturating_mul(2).min(max_size).min(1 << 20));
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| malformed(codec, e))?;
    if out.len() > max_size {
        return Err(too_large(codec, max_size));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn sample() -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..2000u32 {
            data.extend_from_slice(format!("record {i} of a compressible payload; ").as_bytes());
            data.push((i % 251) as u8);
        }
        data
    }

    #[test]
    fn ids_names_and_parsing() {
        for (i, codec) in Compression::ALL.into_iter().enumerate() {
            assert_eq!(codec.id() as usize, i);
            assert_eq!(Compression::from_id(codec.id()).unwrap(), codec);
            assert_eq!(codec.name().parse::<Compression>().unwrap(), codec);
            assert_eq!(codec.to_string(), codec.name());
            assert_eq!(
                Compression::from_attributes(0x30 | i16::from(codec.id())).unwrap(),
                codec
            );
        }
        assert_eq!("ZSTD".parse::<Compression>().unwrap(), Compression::Zstd);
        assert_eq!(Compression::default(), Compression::None);
        let err = "brotli".parse::<Compression>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("brotli"), "{err}");
        assert!(err.to_string().contains("lz4"), "{err}");
        assert!(Compression::from_id(5).is_err());
        assert!(Compression::from_attributes(7).is_err());
    }

    /// The codecs this build has.
    fn available() -> impl Iterator<Item = Compression> {
        Compression::ALL.into_iter().filter(|c| c.is_available())
    }

    #[test]
    fn unavailable_codecs_say_which_feature_is_missing() {
        for codec in Compression::ALL.into_iter().filter(|c| !c.is_available()) {
            let err = codec.compress(b"x", &mut Vec::new()).unwrap_err();
            assert!(err.to_string().contains("feature"), "{err}");
            assert!(codec.decompress(b"x", 10).is_err());
        }
    }

    #[test]
    fn every_codec_round_trips() {
        let data = sample();
        for codec in available() {
            for input in [&data[..], b"", b"x"] {
                let mut out = vec![0xaa];
                codec.compress(input, &mut out).unwrap();
                assert_eq!(out[0], 0xaa, "{codec}: compress must append");
                let back = codec.decompress(&out[1..], input.len()).unwrap();
                assert_eq!(back, input, "{codec}");
            }
            if codec != Compression::None {
                let mut out = Vec::new();
                codec.compress(&data, &mut out).unwrap();
                assert!(out.len() < data.len() / 2, "{codec} should compress");
            }
        }
    }

    #[test]
    fn decompression_is_bounded() {
        // 16 MiB of zeros compresses to very little; a 1 MiB limit must stop it early.
        let zeros = vec![0u8; 16 << 20];
        for codec in available() {
            let mut out = Vec::new();
            codec.compress(&zeros, &mut out).unwrap();
            let err = codec.decompress(&out, 1 << 20).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptMessage, "{codec}");
            assert!(err.to_string().contains("limit"), "{codec}: {err}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut seed = 0x1234_5678u32;
        for len in [0usize, 1, 7, 16, 64, 300] {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            for codec in Compression::ALL {
                let _ = codec.decompress(&junk, 1 << 16);
            }
        }
        for codec in available().filter(|&c| c != Compression::None) {
            let mut out = Vec::new();
            codec.compress(&sample(), &mut out).unwrap();
            // lz4_flex accepts a frame that lacks only its 4-byte end mark (no data is
            // lost then); every cut that loses data is an error for every codec.
            let last = if codec == Compression::Lz4 { 5 } else { 1 };
            for cut in [1, out.len() / 2, out.len() - 5, out.len() - last] {
                assert!(
                    codec.decompress(&out[..cut], 1 << 20).is_err(),
                    "{codec} cut at {cut}"
                );
            }
        }
    }
}
