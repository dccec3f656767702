//! Controlled shutdown and leader movement (the fault suite, scenario 5): a producer
//! and a group consumer run while each of the 3 brokers in turn is shut down cleanly
//! (its partition leaders and the group coordinator move to the others) and started
//! again. The clients follow NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR and the metadata
//! refreshes on their own: no error reaches the user, not from a send future, not
//! from `poll`, not from a commit. The consumer reads every acknowledged record, in
//! offset order per partition and never twice, and the Java consumer finds the log
//! complete.
//!
//! The test stops brokers, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::faults::{
    assert_no_client_threads, check_log, close_producer, leader_of, progress, replicated_topic,
    send_until, wait_for_isr,
};
use common::kafka::KafkaCluster;
use kafka_sync::{Acks, ConsumerConfig, KafkaConsumer, KafkaProducer, OffsetReset, ProducerConfig};

/// What the consumer read: values by partition, in the order they came.
struct Read {
    by_partition: BTreeMap<i32, Vec<(i64, String)>>,
    commits: usize,
}

#[test]
fn producer_and_consumer_follow_moving_leaders_without_an_error() {
    let cluster = Arc::new(KafkaCluster::start(3));
    let bootstrap = cluster.bootstrap();
    let topic = replicated_topic(&bootstrap, "fault-moves", 3);
    let producer = Arc::new(
        KafkaProducer::new(
            ProducerConfig::new(&bootstrap)
                .acks(Acks::All)
                .linger(Duration::from_millis(2))
                .delivery_timeout(Duration::from_secs(120)),
        )
        .expect("producer"),
    );
    let done = Arc::new(AtomicBool::new(false));
    // Set to the number of acknowledged records once the producers are done.
    let expected = Arc::new(AtomicUsize::new(usize::MAX));
    let consumer = {
        let bootstrap = bootstrap.clone();
        let topic = topic.clone();
        let expected = Arc::clone(&expected);
        std::thread::spawn(move || {
            let mut consumer = KafkaConsumer::new(
                ConsumerConfig::new(&bootstrap)
                    .group_id(common::unique_topic("fault-moves-group"))
                    .auto_offset_reset(OffsetReset::Earliest)
                    .enable_auto_commit(false),
            )
            .expect("consumer");
            consumer.subscribe(&[topic.as_str()]).expect("subscribe");
            let mut read = Read {
                by_partition: BTreeMap::new(),
                commits: 0,
            };
            let mut total = 0usize;
            let deadline = Instant::now() + Duration::from_secs(300);
            while total < expected.load(Ordering::SeqCst) {
                assert!(
                    Instant::now() < deadline,
                    "the consumer read {total} of {} records",
                    expected.load(Ordering::SeqCst)
                );
                let records = consumer
                    .poll(Duration::from_millis(200))
                    .unwrap_or_else(|e| panic!("poll reported an error to the user: {e}"));
                if records.is_empty() {
                    continue;
                }
                for r in records {
                    let value = String::from_utf8(r.value.as_deref().expect("a value").to_vec())
                        .expect("utf-8");
                    read.by_partition
                        .entry(r.partition)
                        .or_default()
                        .push((r.offset, value));
                    total += 1;
                }
                consumer
                    .commit()
                    .unwrap_or_else(|e| panic!("commit reported an error to the user: {e}"));
                read.commits += 1;
            }
            consumer.close().expect("close");
            read
        })
    };
    let mover = {
        let cluster = Arc::clone(&cluster);
        let producer = Arc::clone(&producer);
        let done = Arc::clone(&done);
        let bootstrap = bootstrap.clone();
        let topic = topic.clone();
        std::thread::spawn(move || {
            let mut moved = 0;
            for node in 1..=3 {
                progress(&producer, 3_000, &bootstrap, &topic);
                let led: Vec<i32> = (0..3)
                    .filter(|p| leader_of(&bootstrap, &topic, *p) == node)
                    .collect();
                cluster.stop_node(node);
                // Its partitions are led elsewhere now, and the records keep coming.
                for p in &led {
                    assert_ne!(leader_of(&bootstrap, &topic, *p), node);
                }
                moved += led.len();
                progress(&producer, 3_000, &bootstrap, &topic);
                cluster.start_node(node);
                wait_for_isr(&bootstrap, &topic, 3);
            }
            progress(&producer, 3_000, &bootstrap, &topic);
            done.store(true, Ordering::SeqCst);
            moved
        })
    };
    let sent = send_until(&producer, &topic, 2, 20, &done);
    let moved = mover.join().expect("the mover thread");
    assert!(moved >= 3, "every partition leader moved at least once");
    producer
        .flush(Some(Duration::from_secs(60)))
        .expect("flush");
    close_producer(&producer);
    let errors: Vec<_> = sent
        .iter()
        .filter_map(|s| s.outcome.as_ref().err().map(|e| (&s.value, e.to_string())))
        .collect();
    assert!(
        errors.is_empty(),
        "{} sends reported an error to the user, the first: {:?}",
        errors.len(),
        errors.first()
    );
    expected.store(sent.len(), Ordering::SeqCst);
    let read = consumer.join().expect("the consumer thread");

    let mut values = HashSet::new();
    for (partition, records) in &read.by_partition {
        assert!(
            records.windows(2).all(|w| w[0].0 < w[1].0),
            "partition {partition}: offsets out of order or read twice"
        );
        for (offset, value) in records {
            assert!(
                values.insert(value.as_str()),
                "{value} read twice (at {partition}/{offset})"
            );
        }
    }
    for s in &sent {
        assert!(
            values.contains(s.value.as_str()),
            "{} acknowledged but not read",
            s.value
        );
    }
    assert!(read.commits > 0);
    let verdict = check_log(&bootstrap, &topic, &sent);
    assert_eq!(verdict.acknowledged, sent.len(), "{verdict:?}");
    println!(
        "{verdict:?}, {} commits, {moved} leaders moved",
        read.commits
    );
    assert_no_client_threads();
}
