//! LZ4 (codec id 3) in the standard LZ4 frame format, through lz4_flex.
//!
//! Frames are written with 64 KiB independent blocks and no checksums, which every
//! Kafka client and broker reads. Magic-0 messages from Kafka before 0.10 carried a
//! miscomputed frame header checksum; such frames are not accepted.

use crate::error::Result;

#[cfg(feature = "lz4")]
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
    use std::io::Write;

    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent);
    let mut encoder = FrameEncoder::with_frame_info(info, out);
    encoder
        .write_all(input)
        .map_err(|e| super::malformed(super::Compression::Lz4, e))?;
    encoder
        .finish()
        .map(drop)
        .map_err(|e| super::malformed(super::Compression::Lz4, e))
}

#[cfg(feature = "lz4")]
pub(super) fn decompress(input: &[u8], max_size: usize) -> Result<Vec<u8>> {
    let decoder = lz4_flex::frame::FrameDecoder::new(input);
    super::read_limited(super::Compression::Lz4, decoder, input.len(), max_size)
}

#[cfg(not(feature = "lz4"))]
pub(super) fn compress(_input: &[u8], _out: &mut Vec<u8>) -> Result<()> {
    Err(super::disabled(super::Compression::Lz4))
}

#[cfg(not(feature = "lz4"))]
pub(super) fn decompress(_input: &[u8], _max_size: usize) -> Result<Vec<u8>> {
    Err(super::disabled(super::Compression::Lz4))
}
