//! Replication on a 3-node Apache Kafka cluster: topics with 3 replicas, acks=all
//! with `min.insync.replicas=2`, and a leader that moves away while the producer and
//! the consumer work.
//!
//! These tests need brokers they control, so they start local clusters also when
//! `KAFKA_BOOTSTRAP` is set: the shared 3-node cluster for the tests that only read
//! its state, and a cluster of its own for the test that stops a broker.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::kafka::KafkaCluster;
use kafka_sync::{
    Acks, AdminConfig, ErrorCode, KafkaAdminClient, KafkaConsumer, KafkaProducer, NewTopic,
    OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

fn admin(bootstrap: &str) -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(bootstrap)).expect("admin client")
}

/// A topic with 3 replicas and `min.insync.replicas=2`.
fn replicated_topic(bootstrap: &str, partitions: i32) -> String {
    let name = common::unique_topic("replicated");
    let results = admin(bootstrap)
        .create_topics(
            &[NewTopic::new(&name, partitions, 3).config("min.insync.replicas", "2")],
            TIMEOUT,
        )
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    name
}

/// Waits until every partition of `topic` has a leader and `isr` in-sync replicas.
fn wait_for_isr(bootstrap: &str, topic: &str, isr: usize) -> kafka_sync::TopicMetadata {
    let admin = admin(bootstrap);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let described = admin.describe_topics(&[topic], TIMEOUT).expect("describe");
        let t = &described[0];
        if t.error == ErrorCode::NONE
            && !t.partitions.is_empty()
            && t.partitions
                .iter()
                .all(|p| p.leader.is_some() && p.isr.len() == isr)
        {
            return t.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{topic} never had {isr} in-sync replicas: {t:?}"
        );
        // The brokers shrink and grow ISRs on their own schedule: nothing to wait on.
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn produce(bootstrap: &str, topic: &str, values: std::ops::Range<usize>) {
    let producer =
        KafkaProducer::new(ProducerConfig::new(bootstrap).acks(Acks::All)).expect("producer");
    let futures: Vec<_> = values
        .map(|i| {
            producer
                .send(
                    ProducerRecord::new(topic)
                        .key(&format!("k{}", i % 7))
                        .value(&i.to_string()),
                )
                .expect("send")
        })
        .collect();
    for f in futures {
        f.get(TIMEOUT)
            .expect("acknowledged by all in-sync replicas");
    }
    producer.close(Some(TIMEOUT)).expect("close");
}

/// Reads `topic` from the beginning until `count` records have arrived.
fn read_values(bootstrap: &str, topic: &str, partitions: i32, count: usize) -> Vec<usize> {
    let mut consumer = KafkaConsumer::new(
        kafka_sync::ConsumerConfig::new(bootstrap).auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    let tps: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(&tps).expect("assign");
    let mut values = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while values.len() < count && Instant::now() < deadline {
        for r in consumer.poll(Duration::from_millis(200)).expect("poll") {
            let text = std::str::from_utf8(r.value.as_deref().expect("value")).expect("utf-8");
            values.push(text.parse().expect("a number"));
        }
    }
    consumer.close().expect("close");
    values
}

#[test]
fn topics_have_three_replicas_on_three_brokers() {
    let cluster = common::cluster3();
    let bootstrap = cluster.bootstrap();
    let described = admin(&bootstrap)
        .describe_cluster(TIMEOUT)
        .expect("cluster");
    let ids: BTreeSet<i32> = described.brokers.iter().map(|b| b.id).collect();
    assert_eq!(ids, BTreeSet::from([1, 2, 3]));

    let topic = replicated_topic(&bootstrap, 6);
    let t = wait_for_isr(&bootstrap, &topic, 3);
    assert_eq!(t.partitions.len(), 6);
    let mut leaders = BTreeSet::new();
    for p in &t.partitions {
        let replicas: BTreeSet<i32> = p.replicas.iter().copied().collect();
        assert_eq!(replicas, ids, "partition {}", p.partition);
        leaders.insert(p.leader.expect("leader"));
    }
    assert_eq!(leaders, ids, "leadership is spread over the brokers");
}

#[test]
fn acks_all_with_min_insync_replicas_two_is_acknowledged_and_read_back() {
    let bootstrap = common::cluster3().bootstrap();
    let topic = replicated_topic(&bootstrap, 3);
    wait_for_isr(&bootstrap, &topic, 3);
    produce(&bootstrap, &topic, 0..3000);
    let mut values = read_values(&bootstrap, &topic, 3, 3000);
    values.sort_unstable();
    assert_eq!(values, (0..3000).collect::<Vec<_>>());
}

#[test]
fn producer_and_consumer_follow_a_leader_that_moves_away() {
    // A cluster of this test's own: a broker is stopped.
    let cluster = KafkaCluster::start(3);
    let bootstrap = cluster.bootstrap();
    let topic = replicated_topic(&bootstrap, 1);
    let before = wait_for_isr(&bootstrap, &topic, 3);
    let leader = before.partitions[0].leader.expect("leader");
    produce(&bootstrap, &topic, 0..500);

    // Controlled shutdown of the leader: the partition moves to another replica, and
    // with two in-sync replicas left, acks=all still succeeds.
    cluster.stop_node(u32::try_from(leader).expect("node id"));
    let after = wait_for_isr(&bootstrap, &topic, 2);
    let new_leader = after.partitions[0].leader.expect("a new leader");
    assert_ne!(new_leader, leader);
    produce(&bootstrap, &topic, 500..1000);
    let values = read_values(&bootstrap, &topic, 1, 1000);
    assert_eq!(values, (0..1000).collect::<Vec<_>>(), "all of it, in order");
}
