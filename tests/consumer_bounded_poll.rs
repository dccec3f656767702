//! `poll(timeout)` returns within its timeout plus a small margin, also in the middle
//! of a rebalance whose commit cannot finish: here the broker is paused (SIGSTOP)
//! while the member has to give up its partitions. Work that does not finish goes on
//! in later polls, and the member settles once the broker is back.
//!
//! The test pauses a broker, so it starts a cluster of its own, also when
//! `KAFKA_BOOTSTRAP` is set.

mod common;

use std::time::{Duration, Instant};

use common::kafka::KafkaCluster;
use common::produce::{TestProducer, TestRecord};
use kafka_sync::{
    AdminConfig, ConsumerConfig, KafkaAdminClient, KafkaConsumer, NewTopic, OffsetReset,
    TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(60);

/// How far past its timeout a poll may return: the lookup budget (100 ms) and the
/// scheduling noise of a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(600);

#[test]
fn poll_stays_bounded_while_a_rebalance_commit_cannot_finish() {
    let cluster = KafkaCluster::start(1);
    let bootstrap = cluster.bootstrap();
    let admin = KafkaAdminClient::new(AdminConfig::new(&bootstrap)).expect("admin");
    let first = common::unique_topic("bounded-a");
    let second = common::unique_topic("bounded-b");
    for topic in [&first, &second] {
        let r = admin
            .create_topics(&[NewTopic::new(topic, 1, 1)], TIMEOUT)
            .expect("create");
        assert!(r[0].result.is_ok(), "{:?}", r[0].result);
        common::fetch::wait_until_led(&bootstrap, topic, 1, TIMEOUT);
        let records: Vec<TestRecord> = (0..20).map(|i| TestRecord::value(format!("{i}"))).collect();
        TestProducer::new(&bootstrap).send_batch(topic, 0, &records);
    }
    let group = common::unique_topic("bounded-group");
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id(&group)
            .auto_offset_reset(OffsetReset::Earliest)
            .session_timeout(Duration::from_secs(30))
            .heartbeat_interval(Duration::from_secs(1))
            .default_api_timeout(Duration::from_secs(60)),
    )
    .expect("consumer");
    consumer.subscribe(&[first.as_str()]).expect("subscribe");
    let deadline = Instant::now() + TIMEOUT;
    let mut read = 0;
    while read < 20 {
        read += consumer
            .poll(Duration::from_millis(200))
            .expect("poll")
            .len();
        assert!(Instant::now() < deadline, "read {read} of 20");
    }

    // A subscription change makes the member give up its partition (eager), which
    // commits first, on a broker that does not answer.
    cluster.pause(1);
    consumer
        .subscribe(&[first.as_str(), second.as_str()])
        .expect("subscribe");
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        // Errors (timeouts of lookups) may come; what counts is that poll returns.
        let _ = consumer.poll(Duration::ZERO);
        slowest = slowest.max(started.elapsed());
    }
    for timeout in [Duration::from_millis(50), Duration::from_millis(300)] {
        let started = Instant::now();
        let _ = consumer.poll(timeout);
        let took = started.elapsed();
        assert!(took < timeout + MARGIN, "poll({timeout:?}) took {took:?}");
    }
    assert!(
        slowest < MARGIN,
        "poll(0) took up to {slowest:?} while the broker was paused"
    );

    // Back: the rebalance finishes and the member reads the new topic too.
    cluster.resume(1);
    let deadline = Instant::now() + TIMEOUT;
    let mut second_read = 0;
    while second_read < 20 {
        for r in consumer
            .poll(Duration::from_millis(200))
            .unwrap_or_default()
        {
            if *r.topic == *second {
                second_read += 1;
            }
        }
        assert!(
            Instant::now() < deadline,
            "after the broker came back: read {second_read} of 20 of {second}"
        );
    }
    let committed = consumer
        .committed(&TopicPartition::new(&first, 0))
        .expect("committed");
    assert_eq!(
        committed.map(|o| o.offset),
        Some(20),
        "the commit before the revocation went through once the broker was back"
    );
    consumer.close().expect("close");
}
