//! Offset lookups (ListOffsets) as the consumer uses them: end offsets, seek to the
//! end, auto.offset.reset latest and none, and offsets_for_times.
//!
//! tansu answers ListOffsets wrongly: for "latest" it returns the base offset of the
//! last batch plus one instead of the log end offset (seen here with confluent-kafka
//! too: 100 records in batches of 10 give 91), and lookups by timestamp are wrong
//! (../shared/brokers.md). So the tests here run on Apache Kafka (the shared broker)
//! and again on librdkafka's mock cluster, and are not part of the tansu run.
//! offsets_for_times runs on Kafka only: the mock answers -1 to every lookup by
//! timestamp (its ListOffsets handler has `FIXME: by timestamp`).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::produce::{now_ms, TestProducer, TestRecord};
use common::target::Target;
use kafka_sync::{ConsumerRecord, KafkaConsumer, OffsetReset, TopicPartition};

const TIMEOUT: Duration = Duration::from_secs(30);

fn read(consumer: &mut KafkaConsumer, count: usize, timeout: Duration) -> Vec<ConsumerRecord> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < deadline {
        out.extend(consumer.poll(Duration::from_millis(200)).expect("poll"));
    }
    if out.len() < count {
        eprintln!(
            "read only {} of {count} records; consumer metrics: {:?}",
            out.len(),
            consumer.metrics()
        );
    }
    out
}

fn seek_position_beginning_and_end(target: &Target) {
    let t = target.topic("offsets-seek", 2);
    TestProducer::new(&target.bootstrap).fill(&t, 2, 0, 100, 10);
    let tp0 = TopicPartition::new(&t, 0);
    let tp1 = TopicPartition::new(&t, 1);
    let mut c = target.consumer(OffsetReset::Latest);
    c.assign(&[tp0.clone(), tp1.clone()]).unwrap();

    // Latest: positions at the end, nothing to read.
    assert_eq!(c.position(&tp0).unwrap(), 100);
    assert!(c.poll(Duration::from_millis(300)).unwrap().is_empty());

    let begin = c.beginning_offsets(&[tp0.clone(), tp1.clone()]).unwrap();
    let end = c.end_offsets(&[tp0.clone(), tp1.clone()]).unwrap();
    assert_eq!(begin, BTreeMap::from([(tp0.clone(), 0), (tp1.clone(), 0)]));
    assert_eq!(
        end,
        BTreeMap::from([(tp0.clone(), 100), (tp1.clone(), 100)])
    );

    c.seek(&tp0, 42).unwrap();
    assert_eq!(c.position(&tp0).unwrap(), 42);
    let records = read(&mut c, 58, TIMEOUT);
    assert_eq!(records.len(), 58);
    assert!(records.iter().all(|r| r.partition == 0));
    assert_eq!(records[0].offset, 42);

    c.seek_to_beginning(std::slice::from_ref(&tp1)).unwrap();
    assert_eq!(c.position(&tp1).unwrap(), 0);
    let records = read(&mut c, 100, TIMEOUT);
    assert_eq!(records.len(), 100);
    assert!(records.iter().all(|r| r.partition == 1));

    // Seek back into the middle of a batch (batches hold 10 records here).
    c.seek(&tp1, 55).unwrap();
    let records = read(&mut c, 45, TIMEOUT);
    assert_eq!(records[0].offset, 55);
    assert_eq!(records.len(), 45);

    c.seek_to_beginning(&[]).unwrap();
    c.seek_to_end(&[]).unwrap();
    assert_eq!(c.position(&tp0).unwrap(), 100);
    assert_eq!(c.position(&tp1).unwrap(), 100);
    assert!(
        c.seek(&TopicPartition::new(&t, 7), 1).is_err(),
        "not assigned"
    );
}

fn auto_offset_reset_earliest_latest_and_none(target: &Target) {
    let t = target.topic("offsets-reset", 1);
    let mut producer = TestProducer::new(&target.bootstrap);
    producer.fill(&t, 1, 0, 10, 10);
    let tp = TopicPartition::new(&t, 0);

    let mut earliest = target.consumer(OffsetReset::Earliest);
    earliest.assign(std::slice::from_ref(&tp)).unwrap();
    assert_eq!(read(&mut earliest, 10, TIMEOUT).len(), 10);

    let mut latest = target.consumer(OffsetReset::Latest);
    latest.assign(std::slice::from_ref(&tp)).unwrap();
    assert_eq!(latest.position(&tp).unwrap(), 10);
    producer.fill(&t, 1, 10, 5, 5);
    let got = read(&mut latest, 5, TIMEOUT);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0].offset, 10, "only what came after");

    let mut none = target.consumer(OffsetReset::None);
    none.assign(std::slice::from_ref(&tp)).unwrap();
    let err = none.poll(Duration::from_millis(500)).unwrap_err();
    assert!(err.to_string().contains("auto.offset.reset"), "{err}");
    // Seeking gives it a position; then it reads.
    none.seek(&tp, 12).unwrap();
    let got = read(&mut none, 3, TIMEOUT);
    assert_eq!(
        got.iter().map(|r| r.offset).collect::<Vec<_>>(),
        [12, 13, 14]
    );

    // Out of range: with reset none an error, with earliest a reset.
    none.seek(&tp, 1_000).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let err = loop {
        match none.poll(Duration::from_millis(200)) {
            Err(e) => break e,
            Ok(r) => assert!(r.is_empty()),
        }
        assert!(Instant::now() < deadline, "no out-of-range error");
    };
    assert!(err.to_string().contains("OFFSET_OUT_OF_RANGE"), "{err}");
    earliest.seek(&tp, 1_000).unwrap();
    let got = read(&mut earliest, 15, TIMEOUT);
    assert_eq!(got.first().map(|r| r.offset), Some(0), "reset to earliest");
}

fn offsets_for_times(target: &Target) {
    let t = target.topic("offsets-times", 1);
    let tp = TopicPartition::new(&t, 0);
    let base = now_ms() - 3_600_000;
    let mut producer = TestProducer::new(&target.bootstrap);
    // Ten records a second apart, in two batches.
    for half in 0..2 {
        let records: Vec<TestRecord> = (half * 5..half * 5 + 5)
            .map(|i| TestRecord {
                value: Some(format!("v{i}").into_bytes()),
                timestamp: Some(base + i * 1_000),
                ..Default::default()
            })
            .collect();
        producer.send_batch(&t, 0, &records);
    }
    let mut c = target.consumer(OffsetReset::Earliest);
    let query = |ts: i64| BTreeMap::from([(tp.clone(), ts)]);

    let found = c.offsets_for_times(&query(base + 3_500)).unwrap();
    let hit = found[&tp].expect("a record at or after the timestamp");
    assert_eq!(hit.offset, 4);
    assert_eq!(hit.timestamp, base + 4_000);

    let found = c.offsets_for_times(&query(base + 6_000)).unwrap();
    assert_eq!(
        found[&tp].map(|o| o.offset),
        Some(6),
        "exact match, second batch"
    );

    let found = c.offsets_for_times(&query(base - 1)).unwrap();
    assert_eq!(found[&tp].map(|o| o.offset), Some(0));

    let found = c.offsets_for_times(&query(now_ms() + 3_600_000)).unwrap();
    assert_eq!(found[&tp], None, "nothing that late");

    assert!(
        c.offsets_for_times(&query(-5)).is_err(),
        "negative timestamps are refused"
    );

    // Seeking to the found offset reads from there.
    c.assign(std::slice::from_ref(&tp)).unwrap();
    c.seek(&tp, hit.offset).unwrap();
    let got = read(&mut c, 6, TIMEOUT);
    assert_eq!(got.first().map(|r| r.timestamp), Some(base + 4_000));
}

#[test]
fn seek_position_beginning_and_end_on_librdkafka_mock() {
    seek_position_beginning_and_end(&Target::mock());
}

#[test]
fn seek_position_beginning_and_end_on_kafka() {
    seek_position_beginning_and_end(&Target::broker());
}

#[test]
fn auto_offset_reset_on_librdkafka_mock() {
    auto_offset_reset_earliest_latest_and_none(&Target::mock());
}

#[test]
fn auto_offset_reset_on_kafka() {
    auto_offset_reset_earliest_latest_and_none(&Target::broker());
}

#[test]
fn offsets_for_times_on_kafka() {
    offsets_for_times(&Target::broker());
}
