//! Zstandard (codec id 4), through the zstd crate (the reference C library).

use crate::error::Result;

/// The compression level: zstd's default, as the Java client uses.
#[cfg(feature = "zstd")]
const LEVEL: i32 = 3;

#[cfg(feature = "zstd")]
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    ::zstd::stream::copy_encode(input, out, LEVEL)
        .map_err(|e| super::malformed(super::Compression::Zstd, e))
}

#[cfg(feature = "zstd")]
pub(super) fn decompress(input: &[u8], max_size: usize) -> Result<Vec<u8>> {
    let decoder = ::zstd::stream::read::Decoder::with_buffer(input)
        .map_err(|e| super::malformed(super::Compression::Zstd, e))?;
    super::read_limited(super::Compression::Zstd, decoder, input.len(), max_size)
}

#[cfg(not(feature = "zstd"))]
pub(super) fn compress(_input: &[u8], _out: &mut Vec<u8>) -> Result<()> {
    Err(super::disabled(super::Compression::Zstd))
}

#[cfg(not(feature = "zstd"))]
pub(super) fn decompress(_input: &[u8], _max_size: usize) -> Result<Vec<u8>> {
    Err(super::disabled(super::Compression::Zstd))
}
