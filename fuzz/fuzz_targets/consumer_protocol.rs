//! Decodes arbitrary bytes as a consumer group subscription (JoinGroup metadata) and
//! assignment (SyncGroup payload), which other group members write.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kafka_sync::fuzzing::consumer_protocol(data);
});
