//! Runs the SCRAM client against server-first and server-final messages made of
//! arbitrary bytes: a hostile broker gets an authentication error, never a panic or a
//! stall (the iteration count is capped).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kafka_sync::fuzzing::scram_exchange(data);
});
