//! Fetch sessions (KIP-227) against a real broker: after the first, full Fetch, the
//! consumer's fetches name only the partitions whose fetch changed, and still read
//! every record once and in order, from busy partitions and from ones that were idle
//! when the session began, across a seek.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::produce::{TestProducer, TestRecord};
use kafka_sync::{
    ConsumerConfig, ConsumerRecord, KafkaConsumer, NewTopic, OffsetReset, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 16;

fn topic(prefix: &str) -> String {
    let name = common::unique_topic(prefix);
    let results = common::admin()
        .create_topics(&[NewTopic::new(&name, PARTITIONS, 1)], TIMEOUT)
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    common::fetch::wait_until_led(&common::bootstrap(), &name, PARTITIONS, TIMEOUT);
    name
}

/// A consumer of every partition of `topic` that fetches about one batch per
/// partition per round, so that reading takes many rounds, and hands out few records
/// per poll, so that fetched data stays buffered across rounds (such partitions leave
/// the session until drained).
fn consumer(topic: &str) -> KafkaConsumer {
    let config = ConsumerConfig::new(&common::bootstrap())
        .auto_offset_reset(OffsetReset::Earliest)
        .max_partition_fetch_bytes(2_000)
        .max_poll_records(50);
    let mut consumer = KafkaConsumer::new(config).expect("consumer");
    let all: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(&all).expect("assign");
    consumer
}

/// Polls until `count` records arrived (failing after the timeout).
fn read(consumer: &mut KafkaConsumer, count: usize) -> Vec<ConsumerRecord> {
    let deadline = Instant::now() + TIMEOUT;
    let mut out = Vec::new();
    while out.len() < count {
        assert!(
            Instant::now() < deadline,
            "{} of {count} records arrived",
            out.len()
        );
        out.extend(consumer.poll(Duration::from_millis(200)).expect("poll"));
    }
    out
}

/// Writes `count` records `"{partition}-{i}"` to `partition`, in batches of 100.
fn write(producer: &mut TestProducer, topic: &str, partition: i32, count: usize) {
    for start in (0..count).step_by(100) {
        let records: Vec<TestRecord> = (start..(start + 100).min(count))
            .map(|i| TestRecord {
                value: Some(format!("{partition}-{i}").into_bytes()),
                ..Default::default()
            })
            .collect();
        producer.send_batch(topic, partition, &records);
    }
}

/// Checks that `records` hold, per partition, the offsets `from[partition]..` with no
/// gap or repeat, and returns the offset after the last of each partition.
fn check_in_order(records: &[ConsumerRecord], from: &BTreeMap<i32, i64>) -> BTreeMap<i32, i64> {
    let mut next = from.clone();
    for r in records {
        let expected = next.entry(r.partition).or_insert(0);
        assert_eq!(
            r.offset, *expected,
            "partition {} out of order",
            r.partition
        );
        let value = r.value.as_deref().expect("a value");
        assert_eq!(value, format!("{}-{}", r.partition, r.offset).as_bytes());
        *expected += 1;
    }
    next
}

#[test]
fn fetches_within_a_session_read_every_record_once_in_order() {
    let t = topic("fetch-session");
    let mut producer = TestProducer::new(&common::bootstrap());
    // Four busy partitions; the other twelve are idle.
    for p in 0..4 {
        write(&mut producer, &t, p, 2_000);
    }
    let mut c = consumer(&t);
    let records = read(&mut c, 8_000);
    assert_eq!(records.len(), 8_000);
    let mut next = check_in_order(&records, &BTreeMap::new());
    for p in 0..4 {
        assert_eq!(next[&p], 2_000, "partition {p}");
    }
    let metrics = c.metrics();
    assert!(
        metrics.incremental_fetch_requests > 0,
        "no fetch went within a session: {metrics:?}"
    );
    assert!(
        metrics.fetch_requests >= 20
            && metrics.incremental_fetch_requests * 2 > metrics.fetch_requests,
        "most of the many fetches should be incremental: {metrics:?}"
    );

    // A partition idle since the session began is fetched by the broker from the
    // offset the session holds, though no fetch names it any more.
    write(&mut producer, &t, 11, 300);
    let records = read(&mut c, 300);
    assert!(records.iter().all(|r| r.partition == 11));
    next = check_in_order(&records, &next);
    assert_eq!(next[&11], 300);

    // A seek changes a partition's fetch: the session is told, and the records come
    // again from there.
    c.seek(&TopicPartition::new(&t, 2), 1_500).expect("seek");
    let records = read(&mut c, 500);
    assert!(records.iter().all(|r| r.partition == 2));
    let from = BTreeMap::from([(2, 1_500)]);
    assert_eq!(check_in_order(&records, &from)[&2], 2_000);
    assert!(
        c.poll(Duration::from_millis(500)).expect("poll").is_empty(),
        "nothing is read twice"
    );
}
