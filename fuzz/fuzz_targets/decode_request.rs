//! Reads arbitrary bytes as a request frame, header first, as a broker would: the
//! request layer must reject malformed input with an error, never a panic, a hang or
//! an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kafka_sync::fuzzing::decode_request_frame(data);
});
