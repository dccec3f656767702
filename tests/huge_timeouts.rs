//! `Duration::MAX` (or any timeout whose deadline would overflow) means "until done":
//! every call that takes a timeout accepts it without panicking, and returns as soon
//! as its work is done.

mod common;

use std::time::Duration;

use common::produce::{TestProducer, TestRecord};
use kafka_sync::{
    ConsumerConfig, KafkaConsumer, KafkaProducer, OffsetReset, ProducerConfig, ProducerRecord,
    TopicPartition,
};

#[test]
fn the_producer_takes_duration_max() {
    let topic = common::unique_topic("huge-producer");
    common::create_topic(&topic, 1);
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .max_block(Duration::MAX)
            .delivery_timeout(Duration::MAX)
            .request_timeout(Duration::MAX),
    )
    .expect("producer");
    let future = producer
        .send(ProducerRecord::new(&topic).value("v"))
        .expect("send");
    producer.flush(Some(Duration::MAX)).expect("flush");
    let meta = future.get(Duration::MAX).expect("delivered");
    assert_eq!(meta.offset, 0);
    producer.close(Some(Duration::MAX)).expect("close");
}

#[test]
fn the_consumer_takes_duration_max() {
    let topic = common::unique_topic("huge-consumer");
    common::create_topic(&topic, 1);
    TestProducer::new(&common::bootstrap()).send_batch(&topic, 0, &[TestRecord::value("v")]);
    let group = common::unique_topic("huge-group");
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .group_id(&group)
            .auto_offset_reset(OffsetReset::Earliest)
            .default_api_timeout(Duration::MAX),
    )
    .expect("consumer");
    let tp = TopicPartition::new(&topic, 0);
    consumer.assign(std::slice::from_ref(&tp)).expect("assign");
    let records = consumer.poll(Duration::MAX).expect("poll");
    assert_eq!(records.len(), 1);
    assert_eq!(consumer.position(&tp).expect("position"), 1);
    consumer.commit().expect("commit");
    assert_eq!(
        consumer
            .committed(&tp)
            .expect("committed")
            .map(|o| o.offset),
        Some(1)
    );
    consumer.close().expect("close");
}

#[test]
fn the_admin_client_takes_duration_max() {
    let admin = common::admin();
    let cluster = admin.describe_cluster(Duration::MAX).expect("describe");
    assert!(!cluster.brokers.is_empty());
    let topic = common::unique_topic("huge-admin");
    let results = admin
        .create_topics(&[kafka_sync::NewTopic::new(&topic, 1, 1)], Duration::MAX)
        .expect("create");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    admin.list_topics(Duration::MAX).expect("list");
    admin
        .describe_topics(&[&topic], Duration::MAX)
        .expect("describe topics");
    admin
        .delete_topics(&[&topic], Duration::MAX)
        .expect("delete");
}
