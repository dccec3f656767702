//! Iterating a consumer and committing: positions advance one record at a time, so a
//! commit after `iter(..).take(n)` (explicit, automatic, or on close) covers exactly
//! the records handed out, never the rest of the poll they came in.

mod common;

use std::time::Duration;

use common::produce::{TestProducer, TestRecord};
use kafka_sync::{ConsumerConfig, KafkaConsumer, OffsetReset, TopicPartition};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A topic with one partition holding 500 records (one batch, so a single poll
/// fetches all of them).
fn topic_with_500_records(prefix: &str) -> String {
    let topic = common::unique_topic(prefix);
    common::create_topic(&topic, 1);
    let records: Vec<TestRecord> = (0..500)
        .map(|i| TestRecord::value(format!("v{i}")))
        .collect();
    TestProducer::new(&common::bootstrap()).send_batch(&topic, 0, &records);
    topic
}

fn consumer(group: &str, auto_commit: bool) -> KafkaConsumer {
    KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .group_id(group)
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(auto_commit)
            .session_timeout(Duration::from_secs(6))
            .heartbeat_interval(Duration::from_millis(500)),
    )
    .expect("consumer")
}

fn take(consumer: &mut KafkaConsumer, n: usize) -> Vec<i64> {
    consumer
        .iter(TIMEOUT)
        .take(n)
        .map(|r| r.expect("record").offset)
        .collect()
}

#[test]
fn a_commit_after_taking_ten_commits_ten() {
    let _serial = common::serial_on_tansu();
    let topic = topic_with_500_records("iter-commit");
    let group = common::unique_topic("iter-commit-group");
    let tp = TopicPartition::new(&topic, 0);
    let mut c = consumer(&group, false);
    c.subscribe(&[topic.as_str()]).expect("subscribe");
    assert_eq!(take(&mut c, 10), (0..10).collect::<Vec<_>>());
    assert_eq!(c.position(&tp).expect("position"), 10);
    c.commit().expect("commit");
    assert_eq!(
        c.committed(&tp).expect("committed").map(|o| o.offset),
        Some(10)
    );

    // Iterating on picks up at the next record, not at the end of the first poll.
    assert_eq!(take(&mut c, 5), (10..15).collect::<Vec<_>>());
    c.commit().expect("commit");
    assert_eq!(
        c.committed(&tp).expect("committed").map(|o| o.offset),
        Some(15)
    );
    c.close().expect("close");
}

#[test]
fn auto_commit_on_close_commits_only_what_was_handed_out() {
    let _serial = common::serial_on_tansu();
    let topic = topic_with_500_records("iter-auto");
    let group = common::unique_topic("iter-auto-group");
    let tp = TopicPartition::new(&topic, 0);
    let mut c = consumer(&group, true);
    c.subscribe(&[topic.as_str()]).expect("subscribe");
    assert_eq!(take(&mut c, 10), (0..10).collect::<Vec<_>>());
    c.close().expect("close commits");

    // A new member of the group resumes at record 10.
    let mut next = consumer(&group, false);
    next.subscribe(&[topic.as_str()]).expect("subscribe");
    assert_eq!(
        next.committed(&tp).expect("committed").map(|o| o.offset),
        Some(10)
    );
    assert_eq!(take(&mut next, 3), vec![10, 11, 12]);
    next.close().expect("close");
}

#[test]
fn poll_then_commit_still_commits_the_whole_poll() {
    // poll() hands out all its records at once, as in the Java client.
    let _serial = common::serial_on_tansu();
    let topic = topic_with_500_records("iter-poll");
    let group = common::unique_topic("iter-poll-group");
    let tp = TopicPartition::new(&topic, 0);
    let mut c = consumer(&group, false);
    c.subscribe(&[topic.as_str()]).expect("subscribe");
    let mut got = 0;
    let deadline = std::time::Instant::now() + TIMEOUT;
    while got < 500 && std::time::Instant::now() < deadline {
        got += c.poll(Duration::from_millis(200)).expect("poll").len();
    }
    assert_eq!(got, 500);
    c.commit().expect("commit");
    assert_eq!(
        c.committed(&tp).expect("committed").map(|o| o.offset),
        Some(500)
    );
    c.close().expect("close");
}
