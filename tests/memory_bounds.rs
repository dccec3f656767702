//! Peak memory against a real broker: the producer stays within `buffer.memory` plus a
//! fixed 32 MiB, and the consumer within a bound set by its fetch settings, however
//! much data goes through them.
//!
//! Peak RSS is the kernel's high-water mark of the process (`VmHWM` in
//! `/proc/self/status`), reset before each measurement (`5` written to
//! `/proc/self/clear_refs`). The two tests take turns, so that one's memory does not
//! count in the other's peak. Each moves 64 MiB, several times its bound, and checks
//! that the bound was under pressure (the producer's buffer was full at some point;
//! the consumer was handed its records one at a time while its fetches asked for a
//! MiB), so that a client holding everything it was given would fail.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use kafka_sync::{
    Acks, ConsumerConfig, KafkaConsumer, KafkaProducer, OffsetReset, ProducerConfig,
    ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(60);
const MIB: usize = 1024 * 1024;
/// What the issue allows on top of the clients' own settings: code, threads' stacks,
/// the allocator's slack, the test harness.
const FIXED: usize = 32 * MIB;
/// Data moved by each test.
const TOTAL: usize = 64 * MIB;
const RECORD: usize = 10 * 1024;

/// One test at a time: the peak is the whole process's.
static TURN: Mutex<()> = Mutex::new(());

/// A `/proc/self/status` field in bytes (its value is in kB).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kb: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    kb * 1024
}

extern "C" {
    /// glibc: gives the heap's free memory back to the kernel.
    fn malloc_trim(pad: usize) -> i32;
}

/// Resets the peak RSS to the current RSS and returns the current RSS. Memory freed
/// earlier (the other test's, or the topic filling's) is given back first, so that
/// reusing it does not hide growth.
fn reset_peak() -> usize {
    // SAFETY: malloc_trim only releases free heap pages; it takes no pointers.
    unsafe {
        malloc_trim(0);
    }
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS");
    status_bytes("VmRSS:")
}

fn peak() -> usize {
    status_bytes("VmHWM:")
}

/// Sends `TOTAL` bytes of records as fast as `send()` takes them, with a 4 MiB buffer
/// and a broker throttled to one request in flight of 16 KiB, so the buffer fills.
fn produce(topic: &str, buffer_memory: usize) -> bool {
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .acks(Acks::All)
            .buffer_memory(buffer_memory)
            .batch_size(16 * 1024)
            .set("max.in.flight.requests.per.connection", "1")
            .unwrap(),
    )
    .unwrap();
    let value = vec![b'm'; RECORD];
    let mut buffer_filled = false;
    for i in 0..TOTAL / RECORD {
        producer
            .send(ProducerRecord::new(topic).value(value.as_slice()))
            .unwrap();
        if i % 16 == 0 {
            let metrics = producer.metrics();
            buffer_filled |= metrics.buffer_used + 2 * RECORD > metrics.buffer_total;
        }
    }
    producer.flush(Some(TIMEOUT)).unwrap();
    assert_eq!(producer.metrics().records_sent, (TOTAL / RECORD) as u64);
    buffer_filled
}

#[test]
fn the_producer_stays_within_buffer_memory_plus_32_mib() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let topic = common::unique_topic("memory-producer");
    common::create_topic(&topic, 1);
    let buffer_memory = 4 * MIB;

    let before = reset_peak();
    let buffer_filled = produce(&topic, buffer_memory);
    let grown = peak().saturating_sub(before);
    eprintln!(
        "producer: peak RSS grew {:.1} MiB sending {} MiB (buffer.memory {} MiB)",
        grown as f64 / MIB as f64,
        TOTAL / MIB,
        buffer_memory / MIB
    );

    assert!(
        buffer_filled,
        "the buffer never filled, so its bound was not tested"
    );
    assert!(
        grown <= buffer_memory + FIXED,
        "sending {} MiB with buffer.memory {} MiB grew the peak RSS by {:.1} MiB (bound {} MiB)",
        TOTAL / MIB,
        buffer_memory / MIB,
        grown as f64 / MIB as f64,
        (buffer_memory + FIXED) / MIB
    );
}

#[test]
fn the_consumer_stays_within_its_fetch_settings() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let partitions = 4;
    let topic = common::unique_topic("memory-consumer");
    common::create_topic(&topic, partitions);
    // Fill the topic before the measurement (the producer's memory is freed, and
    // reused rather than counted again).
    produce(&topic, 4 * MIB);

    // One broker: at most one fetch of fetch.max.bytes in flight, and partitions with
    // data still buffered are left out of the next fetch; so about two responses'
    // worth, decoded, at a time. Twice that is the bound checked.
    let fetch_max_bytes = 2 * MIB;
    let bound = 4 * fetch_max_bytes + FIXED;
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .auto_offset_reset(OffsetReset::Earliest)
            .set("fetch.max.bytes", &fetch_max_bytes.to_string())
            .unwrap()
            .set("max.partition.fetch.bytes", &MIB.to_string())
            .unwrap()
            .set("max.poll.records", "1")
            .unwrap(),
    )
    .unwrap();
    let assignment: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(&topic, p))
        .collect();
    consumer.assign(&assignment).unwrap();

    let before = reset_peak();
    let mut received = 0usize;
    let mut bytes = 0usize;
    let mut empty_polls = 0;
    while received < TOTAL / RECORD {
        let records = consumer.poll(Duration::from_secs(5)).unwrap();
        if records.is_empty() {
            empty_polls += 1;
            assert!(empty_polls < 12, "no records for a minute at {received}");
            continue;
        }
        assert_eq!(records.len(), 1, "max.poll.records is 1");
        for record in records.iter() {
            bytes += record.value.as_ref().map_or(0, |v| v.len());
        }
        received += records.len();
    }
    let grown = peak().saturating_sub(before);
    eprintln!(
        "consumer: peak RSS grew {:.1} MiB consuming {} MiB (fetch.max.bytes {} MiB)",
        grown as f64 / MIB as f64,
        TOTAL / MIB,
        fetch_max_bytes / MIB
    );

    assert_eq!(bytes, TOTAL / RECORD * RECORD);
    assert!(
        grown <= bound,
        "consuming {} MiB with fetch.max.bytes {} MiB grew the peak RSS by {:.1} MiB (bound {} MiB)",
        TOTAL / MIB,
        fetch_max_bytes / MIB,
        grown as f64 / MIB as f64,
        bound / MIB
    );
}
