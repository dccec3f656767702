//! The protocol's primitive types: big-endian fixed-width integers, zig-zag and
//! unsigned varints, strings and byte arrays in their classic and compact forms, and
//! UUIDs. A [`Reader`] decodes them from received bytes, with zero-copy byte fields and
//! every length checked before anything is allocated; the [`Write`] trait appends them
//! to a `Vec<u8>`.
//!
//! They are defined at the bottom of the crate, where the record layer shares them.

pub use crate::wire::{unsigned_varint_len, varint_len, varlong_len, ChunkedBuf, Reader, Write};
