//! `statistics()` of the producer and the consumer against a real broker: per-topic
//! counts (records failed by the broker among them), averages, latency percentiles,
//! buffer memory, rates between snapshots, per-partition lag and per-broker counts,
//! checked against what the test itself did.

mod common;

use std::time::Duration;

use kafka_sync::{
    ConsumerConfig, ErrorCode, KafkaConsumer, KafkaProducer, NewTopic, ProducerConfig,
    ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn the_producer_counts_per_topic_and_per_broker() {
    let a = common::unique_topic("stats-a");
    let b = common::unique_topic("stats-b");
    common::create_topic(&a, 1);
    common::create_topic(&b, 1);
    let small = common::unique_topic("stats-small");
    let admin = common::admin();
    let r = admin
        .create_topics(
            &[NewTopic::new(&small, 1, 1).config("max.message.bytes", "1000")],
            TIMEOUT,
        )
        .expect("create");
    assert!(r[0].result.is_ok(), "{r:?}");
    common::fetch::wait_until_led(&common::bootstrap(), &small, 1, TIMEOUT);

    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap()).linger(Duration::from_millis(5)),
    )
    .expect("producer");
    let first = producer.statistics();
    assert_eq!(first.totals.records_sent, 0);
    for i in 0..500 {
        producer
            .send(ProducerRecord::new(&a).value(&format!("a-{i}")))
            .expect("send");
    }
    for i in 0..300 {
        producer
            .send(ProducerRecord::new(&b).value(&format!("b-{i}")))
            .expect("send");
    }
    let too_big = producer
        .send(ProducerRecord::new(&small).value(&vec![b'x'; 5000]))
        .expect("send");
    producer.flush(Some(TIMEOUT)).expect("flush");
    let err = too_big.get(TIMEOUT).expect_err("the broker refuses it");
    assert_eq!(err.code(), Some(ErrorCode::MESSAGE_TOO_LARGE), "{err}");

    let stats = producer.statistics();
    assert_eq!(stats.topics[&a].records_sent, 500);
    assert_eq!(stats.topics[&b].records_sent, 300);
    assert!(stats.topics[&a].bytes_sent > 500 * 5);
    assert_eq!(stats.topics[&small].record_errors, 1);
    assert_eq!(stats.topics[&small].records_sent, 0);
    assert_eq!(stats.totals.records_sent, 800);
    assert_eq!(stats.totals.record_errors, 1);
    assert!(stats.records_per_request_avg > 1.0, "{stats:?}");
    assert!(stats.batch_size_avg > 0.0);
    let latency = stats.request_latency;
    assert!(
        latency.count >= 2 && latency.count <= stats.totals.requests,
        "{stats:?}"
    );
    assert!(latency.p50 <= latency.p99 && latency.p99 <= latency.max);
    assert!(latency.max > Duration::ZERO);
    assert_eq!(
        stats.buffer_available, stats.totals.buffer_total,
        "all delivered"
    );
    let rates = stats.rate_since(&first);
    assert!(
        rates.records_per_sec > 0.0 && rates.errors_per_sec > 0.0,
        "{rates:?}"
    );

    // The sender copies its connections' counts once a second.
    let brokers = common::wait_until(
        "no broker statistics",
        TIMEOUT,
        Duration::from_millis(100),
        || {
            let brokers = producer.statistics().brokers;
            let busy: Vec<_> = brokers
                .values()
                .filter(|b| b.connected && b.requests_sent > 0)
                .collect();
            if busy.is_empty() {
                Err(format!("{brokers:?}"))
            } else {
                Ok(brokers)
            }
        },
    );
    let sent: u64 = brokers.values().map(|b| b.requests_sent).sum();
    assert!(
        sent >= stats.totals.requests,
        "produce and metadata requests: {brokers:?}"
    );
    assert!(brokers.values().all(|b| b.connects >= 1 || !b.connected));
    producer.close(Some(TIMEOUT)).expect("close");
}

#[test]
fn the_consumer_reports_lag_per_partition() {
    let topic = common::unique_topic("stats-lag");
    common::create_topic(&topic, 1);
    let producer = KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).expect("producer");
    for i in 0..500 {
        producer
            .send(ProducerRecord::new(&topic).value(&format!("r{i}")))
            .expect("send");
    }
    producer.flush(Some(TIMEOUT)).expect("flush");
    producer.close(Some(TIMEOUT)).expect("close");

    let tp = TopicPartition::new(&topic, 0);
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .max_poll_records(100)
            .auto_offset_reset(kafka_sync::OffsetReset::Earliest),
    )
    .expect("consumer");
    consumer.assign(std::slice::from_ref(&tp)).expect("assign");
    let before = consumer.statistics();
    let mut consumed = 0usize;
    common::wait_until("too few records", TIMEOUT, Duration::ZERO, || {
        consumed += consumer
            .poll(Duration::from_millis(200))
            .expect("poll")
            .len();
        if consumed >= 200 {
            Ok(())
        } else {
            Err(format!("{consumed} records"))
        }
    });
    let stats = consumer.statistics();
    let p = stats.partitions[&tp];
    assert_eq!(p.position, Some(consumed as i64));
    assert_eq!(p.high_watermark, Some(500));
    assert_eq!(p.lag, Some(500 - consumed as i64));
    assert_eq!(stats.total_lag(), 500 - consumed as i64);
    assert_eq!(stats.totals.records_consumed, consumed as u64);
    assert_eq!(stats.fetch_latency.count, stats.totals.fetch_responses);
    assert!(stats.fetch_latency.count >= 1);
    assert!(stats.rate_since(&before).records_per_sec > 0.0);
    assert!(
        stats
            .brokers
            .values()
            .any(|b| b.connected && b.requests_sent > 0),
        "{:?}",
        stats.brokers
    );

    // Read to the end: no lag left.
    common::wait_until("the lag did not reach 0", TIMEOUT, Duration::ZERO, || {
        consumer.poll(Duration::from_millis(200)).expect("poll");
        match consumer.statistics().partitions[&tp].lag {
            Some(0) => Ok(()),
            lag => Err(format!("lag {lag:?}")),
        }
    });
    consumer.close().expect("close");
}
