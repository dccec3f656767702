//! gzip (codec id 1), through flate2.

use crate::error::Result;

#[cfg(feature = "gzip")]
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    use std::io::Write;

    let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    encoder
        .write_all(input)
        .and_then(|()| encoder.try_finish())
        .map_err(|e| super::malformed(super::Compression::Gzip, e))
}

#[cfg(feature = "gzip")]
pub(super) fn decompress(input: &[u8], max_size: usize) -> Result<Vec<u8>> {
    // Several concatenated gzip members are one stream, as Java's GZIPInputStream reads them.
    let decoder = flate2::read::MultiGzDecoder::new(input);
    super::read_limited(super::Compression::Gzip, decoder, input.len(), max_size)
}

#[cfg(not(feature = "gzip"))]
pub(super) fn compress(_input: &[u8], _out: &mut Vec<u8>) -> Result<()> {
    Err(super::disabled(super::Compression::Gzip))
}

#[cfg(not(feature = "gzip"))]
pub(super) fn decompress(_input: &[u8], _max_size: usize) -> Result<Vec<u8>> {
    Err(super::disabled(super::Compression::Gzip))
}
