//! Decodes arbitrary bytes as the response (and the request) of every API this client
//! speaks, at every version: malformed input must give an error, never a panic, a hang
//! or an unbounded allocation.
#![no_main]

use kafka_sync::protocol::fuzzing::decode_any;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the API, the second its version, the rest is the frame.
    if let [api, version, frame @ ..] = data {
        decode_any(*api, *version, frame);
    }
});
