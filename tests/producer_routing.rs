//! Where `send()` puts records, as a thread's sends go on: each `send()` thread caches
//! a topic's partitions and partition queues per producer, and these tests change what
//! the cache holds under it. Records for partitions added while a producer runs reach
//! them; two producers used from one thread, or a producer made after another was
//! dropped, each get their own records.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_sync::admin::NewPartitions;
use kafka_sync::{KafkaProducer, ProducerConfig, ProducerRecord, RecordMetadata};

const TIMEOUT: Duration = Duration::from_secs(60);

fn producer(config: ProducerConfig) -> KafkaProducer {
    KafkaProducer::new(config).unwrap()
}

fn send(producer: &KafkaProducer, record: ProducerRecord<'_>) -> RecordMetadata {
    producer.send(record).unwrap().get(TIMEOUT).unwrap()
}

#[test]
fn records_reach_partitions_added_while_the_producer_runs() {
    let topic = common::unique_topic("routing-grow");
    common::create_topic(&topic, 1);
    let p = producer(
        ProducerConfig::new(&common::bootstrap())
            .set("metadata.max.age.ms", "200")
            .unwrap(),
    );
    let first = send(&p, ProducerRecord::new(&topic).value("before").partition(0));
    assert_eq!((first.partition, first.offset), (0, 0));

    let results = common::admin()
        .create_partitions(
            &BTreeMap::from([(topic.clone(), NewPartitions::increase_to(3))]),
            false,
            TIMEOUT,
        )
        .unwrap();
    results[&topic].clone().unwrap();

    // Until the producer's metadata shows partition 2, sending to it is an error; then
    // the record must land there, through a queue the thread's cache did not hold.
    let grown = common::wait_until(
        "partition 2 in the producer's metadata",
        TIMEOUT,
        Duration::from_millis(50),
        || match p.send(ProducerRecord::new(&topic).value("after").partition(2)) {
            Ok(future) => Ok(future.get(TIMEOUT).unwrap()),
            Err(e) => Err(e.to_string()),
        },
    );
    assert_eq!((grown.partition, grown.offset), (2, 0));
    let again = send(&p, ProducerRecord::new(&topic).value("again").partition(2));
    assert_eq!((again.partition, again.offset), (2, 1));
    p.close(Some(TIMEOUT)).unwrap();
}

#[test]
fn two_producers_on_one_thread_each_deliver_their_own_records() {
    let topic = common::unique_topic("routing-two");
    common::create_topic(&topic, 1);
    let a = producer(ProducerConfig::new(&common::bootstrap()));
    let b = producer(ProducerConfig::new(&common::bootstrap()));
    let mut offsets = Vec::new();
    for i in 0..10 {
        let (which, name) = if i % 2 == 0 { (&a, "a") } else { (&b, "b") };
        let future = which
            .send(ProducerRecord::new(&topic).value(name).partition(0))
            .unwrap();
        which.flush(Some(TIMEOUT)).unwrap();
        offsets.push(future.get(Duration::ZERO).unwrap().offset);
    }
    assert_eq!(offsets, (0..10).collect::<Vec<i64>>());
    assert_eq!(a.metrics().records_sent, 5);
    assert_eq!(b.metrics().records_sent, 5);
}

#[test]
fn a_producer_made_after_another_was_dropped_delivers_its_records() {
    let topic = common::unique_topic("routing-again");
    common::create_topic(&topic, 1);
    for round in 0..3i64 {
        let p = producer(ProducerConfig::new(&common::bootstrap()));
        let meta = send(&p, ProducerRecord::new(&topic).value("r").partition(0));
        assert_eq!(meta.offset, round, "round {round}");
        drop(p);
    }
}
