//! Request headers (versions 0 to 2) and response headers (versions 0 and 1).
//!
//! Request header v0 is `api_key, api_version, correlation_id`; v1 adds `client_id` (a
//! classic nullable string, even in v2); v2 adds a tagged-field section. Response
//! header v0 is `correlation_id`; v1 adds a tagged-field section. Flexible API versions
//! use request header v2 and response header v1, except that ApiVersions responses
//! always use header v0 so that a client can read them before it knows what the broker
//! speaks.

use super::api_key::ApiKey;
use super::primitives::{Reader, Write};
use super::schema::read_tagged_fields;
use crate::error::Result;

/// The fields of a request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader<'a> {
    /// The API being called.
    pub api_key: ApiKey,
    /// The API version being spoken.
    pub api_version: i16,
    /// Echoed back in the response header.
    pub correlation_id: i32,
    /// The client id (header v1 and later).
    pub client_id: Option<&'a str>,
}

impl RequestHeader<'_> {
    /// Appends the header in `header_version` (0, 1 or 2).
    pub fn encode<W: Write>(&self, buf: &mut W, header_version: i16) {
        buf.put_i16(self.api_key.0);
        buf.put_i16(self.api_version);
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            buf.put_string(self.client_id, false);
        }
        if header_version >= 2 {
            buf.put_unsigned_varint(0);
        }
    }
}

/// Reads a response header of `header_version` (0 or 1) and returns its correlation id.
pub fn decode_response_header(r: &mut Reader, header_version: i16) -> Result<i32> {
    let correlation_id = r.i32()?;
    if header_version >= 1 {
        read_tagged_fields(r, |_, _| Ok(()))?;
    }
    Ok(correlation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_header_golden_bytes() {
        let header = RequestHeader {
            api_key: ApiKey::METADATA,
            api_version: 12,
            correlation_id: 0x01020304,
            client_id: Some("ab"),
        };
        let mut v0 = Vec::new();
        header.encode(&mut v0, 0);
        assert_eq!(v0, [0, 3, 0, 12, 1, 2, 3, 4]);
        let mut v1 = Vec::new();
        header.encode(&mut v1, 1);
        assert_eq!(v1, [0, 3, 0, 12, 1, 2, 3, 4, 0, 2, b'a', b'b']);
        let mut v2 = Vec::new();
        header.encode(&mut v2, 2);
        assert_eq!(v2, [0, 3, 0, 12, 1, 2, 3, 4, 0, 2, b'a', b'b', 0]);
        let mut null = Vec::new();
        RequestHeader {
            client_id: None,
            ..header
        }
        .encode(&mut null, 1);
        assert_eq!(null, [0, 3, 0, 12, 1, 2, 3, 4, 0xff, 0xff]);
    }

    #[test]
    fn response_header_golden_bytes() {
        let mut r = Reader::new(vec![0, 0, 0, 9]);
        assert_eq!(decode_response_header(&mut r, 0).unwrap(), 9);
        let mut r = Reader::new(vec![0, 0, 0, 9, 1, 0, 1, 0xaa]);
        assert_eq!(decode_response_header(&mut r, 1).unwrap(), 9);
        assert!(r.is_empty());
        assert!(decode_response_header(&mut Reader::new(vec![0, 0, 9]), 0).is_err());
    }
}
