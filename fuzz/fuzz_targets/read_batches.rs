//! Reads arbitrary bytes as a fetched `records` blob: every batch (v2 or legacy), its
//! CRC, its records (decompressing with a bounded output size) and control records.
//! Malformed input must give an error, never a panic, a hang or an unbounded
//! allocation.
#![no_main]

use bytes::Bytes;
use kafka_sync::record::Batches;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut batches = Batches::new(Bytes::copy_from_slice(data));
    for batch in batches.by_ref() {
        let Ok(batch) = batch else { break };
        let _ = batch.verify_crc();
        for record in batch.records_with_max_size(1 << 20) {
            if record.is_err() {
                break;
            }
        }
    }
    let _ = batches.is_truncated();
});
