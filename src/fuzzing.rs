//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz): each feeds arbitrary
//! bytes to one part of the crate that reads what a peer sends. Every function must
//! return for any input; a panic, a hang or an allocation beyond what the input
//! justifies is a bug. Not part of the API.

use bytes::Bytes;

/// The sans-IO framing of broker connections, for the `frame_decoder` target.
pub use crate::net::codec;

use crate::config::security::Secret;
use crate::net::sasl::scram::{ScramAlgorithm, ScramClient};
use crate::protocol::api::{decode_both, support, SUPPORTED_APIS};
use crate::protocol::primitives::Reader;
use crate::protocol::schema::read_tagged_fields;
use crate::protocol::ApiKey;

/// Reads `frame` as a broker reads a request: the header (key, version, correlation
/// id, client id, and the tagged fields of header v2), then the body of the API and
/// version the header names, when this crate knows them.
pub fn decode_request_frame(frame: &[u8]) {
    let mut r = Reader::new(Bytes::copy_from_slice(frame));
    let (Ok(key), Ok(version), Ok(_correlation_id)) = (r.i16(), r.i16(), r.i32()) else {
        return;
    };
    if r.nullable_string(false).is_err() {
        return;
    }
    let Some(api) = support(ApiKey(key)) else {
        return;
    };
    if version < api.min_version || version > api.max_version {
        return;
    }
    if api.request_header_version(version) >= 2
        && read_tagged_fields(&mut r, |_, _| Ok(())).is_err()
    {
        return;
    }
    let Some(index) = SUPPORTED_APIS.iter().position(|s| s.key == api.key) else {
        return;
    };
    let Ok(body) = r.bytes(r.remaining(), "request body") else {
        return;
    };
    decode_both(index, version, body);
}

/// Runs a SCRAM exchange against a "server" whose two messages come from `data`
/// (split at the first zero byte; the first byte picks SHA-256 or SHA-512).
pub fn scram_exchange(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let algorithm = if selector & 1 == 0 {
        ScramAlgorithm::Sha256
    } else {
        ScramAlgorithm::Sha512
    };
    let (first, last) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let mut client = ScramClient::with_nonce(
        algorithm,
        "user",
        &Secret::new("pencil"),
        "fyko+d2lbbFgONRv9qkxdawL",
    );
    if client.client_first().is_err() {
        return;
    }
    let server_first = String::from_utf8_lossy(first);
    if client.client_final(&server_first).is_ok() {
        let _ = client.verify_server_final(&String::from_utf8_lossy(last));
    }
}

/// Decodes `data` as a consumer group member's subscription and as an assignment
/// (the consumer protocol's JoinGroup metadata and SyncGroup payload).
pub fn consumer_protocol(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let _ = crate::client::group_protocol::Subscription::decode(bytes.clone());
    let _ = crate::client::group_protocol::Assignment::decode(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds the fuzz targets start from, and some garbage: every entry point
    /// returns.
    #[test]
    fn entry_points_return_for_seeds_and_garbage() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        for (target, run) in [
            ("decode_request", decode_request_frame as fn(&[u8])),
            ("scram", scram_exchange),
            ("consumer_protocol", consumer_protocol),
        ] {
            let dir = root.join(target);
            let seeds =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for seed in seeds {
                let bytes = std::fs::read(seed.expect("an entry").path()).expect("a seed");
                run(&bytes);
                run(&bytes[..bytes.len() / 2]);
            }
            for garbage in [&[][..], &[0xff; 64][..], &[0; 7][..]] {
                run(garbage);
            }
        }
    }
}
