//! Consumer fetching against a real broker, without groups: manual assignment, reading
//! every record once and in order, compression, seek and friends, offset reset
//! policies, pause/resume, watermarks and the iterator's timeout.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::produce::{now_ms, TestProducer, TestRecord};
use kafka_sync::{
    Compression, ConsumerConfig, ConsumerRecord, ErrorKind, Header, KafkaConsumer, NewTopic,
    OffsetReset, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

fn topic(prefix: &str, partitions: i32) -> String {
    let name = common::unique_topic(prefix);
    let results = common::admin()
        .create_topics(&[NewTopic::new(&name, partitions, 1)], TIMEOUT)
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    name
}

fn consumer(reset: OffsetReset) -> KafkaConsumer {
    KafkaConsumer::new(ConsumerConfig::new(&common::bootstrap()).auto_offset_reset(reset))
        .expect("consumer")
}

fn partitions(topic: &str, n: i32) -> Vec<TopicPartition> {
    (0..n).map(|p| TopicPartition::new(topic, p)).collect()
}

/// Polls until `count` records arrived or the deadline passes.
fn read(consumer: &mut KafkaConsumer, count: usize, timeout: Duration) -> Vec<ConsumerRecord> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < deadline {
        out.extend(consumer.poll(Duration::from_millis(200)).expect("poll"));
    }
    out
}

fn value(r: &ConsumerRecord) -> String {
    String::from_utf8(r.value.as_ref().expect("value").to_vec()).expect("utf-8")
}

#[test]
fn reads_100k_records_over_4_partitions_exactly_once_in_order() {
    let t = topic("fetch-100k", 4);
    let per_partition = 25_000;
    TestProducer::new(&common::bootstrap()).fill(&t, 4, 0, per_partition, 1_000);

    let mut c = consumer(OffsetReset::Earliest);
    c.assign(&partitions(&t, 4)).unwrap();
    let records = read(&mut c, 4 * per_partition, Duration::from_secs(60));
    assert_eq!(records.len(), 4 * per_partition);

    let mut next: HashMap<i32, i64> = HashMap::new();
    for r in &records {
        let expected = next.entry(r.partition).or_insert(0);
        assert_eq!(
            r.offset, *expected,
            "partition {} out of order",
            r.partition
        );
        assert_eq!(value(r), format!("{}-{}", r.partition, r.offset));
        assert_eq!(r.key.as_deref(), Some(format!("k{}", r.offset).as_bytes()));
        *expected += 1;
    }
    for p in 0..4 {
        assert_eq!(next[&p], per_partition as i64);
        let tp = TopicPartition::new(&t, p);
        assert_eq!(c.position(&tp).unwrap(), per_partition as i64);
        assert_eq!(c.highwater(&tp), Some(per_partition as i64));
    }
    // Nothing more: a short poll returns no duplicates.
    assert!(c.poll(Duration::from_millis(300)).unwrap().is_empty());
    c.close().unwrap();
}

#[test]
fn compressed_batches_headers_and_timestamps_read_back() {
    let t = topic("fetch-codecs", 1);
    let mut producer = TestProducer::new(&common::bootstrap());
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    let ts = now_ms() - 60_000;
    for (i, codec) in codecs.iter().enumerate() {
        producer.compression = *codec;
        let records: Vec<TestRecord> = (0..50)
            .map(|j| TestRecord {
                key: (j % 2 == 0).then(|| format!("{i}-{j}").into_bytes()),
                value: Some(format!("{codec:?}-{j}").repeat(10).into_bytes()),
                headers: vec![
                    Header::new("codec", format!("{codec:?}")),
                    Header::null("n"),
                ],
                timestamp: Some(ts + j),
            })
            .collect();
        producer.send_batch(&t, 0, &records);
    }
    let mut c = consumer(OffsetReset::Earliest);
    c.assign(&partitions(&t, 1)).unwrap();
    let records = read(&mut c, 250, TIMEOUT);
    assert_eq!(records.len(), 250);
    for (n, r) in records.iter().enumerate() {
        let codec = codecs[n / 50];
        let j = (n % 50) as i64;
        assert_eq!(r.offset, n as i64);
        assert_eq!(value(r), format!("{codec:?}-{j}").repeat(10));
        assert_eq!(r.key.is_some(), j % 2 == 0);
        assert_eq!(r.timestamp, ts + j);
        assert_eq!(r.header("codec"), Some(Some(&format!("{codec:?}").into())));
        assert_eq!(r.header("n"), Some(None));
    }
}

#[test]
fn pause_and_resume() {
    let t = topic("fetch-pause", 2);
    TestProducer::new(&common::bootstrap()).fill(&t, 2, 0, 20, 20);
    let tp0 = TopicPartition::new(&t, 0);
    let tp1 = TopicPartition::new(&t, 1);
    let mut c = consumer(OffsetReset::Earliest);
    c.assign(&[tp0.clone(), tp1.clone()]).unwrap();
    c.pause(std::slice::from_ref(&tp0)).unwrap();
    assert_eq!(c.paused(), vec![tp0.clone()]);
    let got = read(&mut c, 20, TIMEOUT);
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|r| r.partition == 1));
    assert!(c.poll(Duration::from_millis(300)).unwrap().is_empty());
    assert_eq!(c.position(&tp0).unwrap(), 0);
    c.resume(std::slice::from_ref(&tp0)).unwrap();
    assert!(c.paused().is_empty());
    let got = read(&mut c, 20, TIMEOUT);
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|r| r.partition == 0));
}

#[test]
fn max_poll_records_bounds_each_poll() {
    let t = topic("fetch-max-poll", 1);
    TestProducer::new(&common::bootstrap()).fill(&t, 1, 0, 100, 100);
    let mut c = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .auto_offset_reset(OffsetReset::Earliest)
            .max_poll_records(7),
    )
    .unwrap();
    c.assign(&partitions(&t, 1)).unwrap();
    let mut total = 0;
    let deadline = Instant::now() + TIMEOUT;
    while total < 100 && Instant::now() < deadline {
        let n = c.poll(Duration::from_millis(200)).unwrap().len();
        assert!(n <= 7, "{n}");
        total += n;
    }
    assert_eq!(total, 100);
}

#[test]
fn iterator_ends_after_its_timeout_without_records() {
    let t = topic("fetch-iter", 1);
    TestProducer::new(&common::bootstrap()).fill(&t, 1, 0, 30, 10);
    let mut c = consumer(OffsetReset::Earliest);
    c.assign(&partitions(&t, 1)).unwrap();
    let started = Instant::now();
    let mut n = 0;
    for record in c.iter(Duration::from_secs(1)) {
        let record = record.unwrap();
        assert_eq!(record.offset, n);
        n += 1;
    }
    assert_eq!(n, 30);
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // An idle iterator also ends.
    let started = Instant::now();
    assert_eq!(c.iter(Duration::from_millis(500)).count(), 0);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn misuse_is_reported() {
    let mut c = consumer(OffsetReset::Earliest);
    let err = c.poll(Duration::from_millis(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = c.subscribe(&["x"]).unwrap_err();
    assert!(err.to_string().contains("group.id"), "{err}");
    let err = c.position(&TopicPartition::new("x", 0)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    c.close().unwrap();
    assert_eq!(
        c.poll(Duration::ZERO).unwrap_err().kind(),
        ErrorKind::Closed
    );
}

#[test]
fn partitions_for_topic_and_topics() {
    let t = topic("fetch-meta", 3);
    let mut c = consumer(OffsetReset::Earliest);
    assert_eq!(c.partitions_for_topic(&t).unwrap(), Some(vec![0, 1, 2]));
    assert_eq!(c.partitions_for_topic("no-such-topic-here").unwrap(), None);
    assert!(c.topics().unwrap().contains(&t));
}

#[test]
fn an_answer_larger_than_receive_message_max_bytes_is_a_clear_error() {
    let t = topic("fetch-oversized", 1);
    // One batch of about 400 kB: the broker returns a whole batch even past
    // fetch.max.bytes, so the answer exceeds the 200 kB the consumer accepts.
    let records: Vec<TestRecord> = (0..40)
        .map(|i| TestRecord::value(vec![b'a' + (i % 26) as u8; 10_000]))
        .collect();
    TestProducer::new(&common::bootstrap()).send_batch(&t, 0, &records);
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .auto_offset_reset(OffsetReset::Earliest)
            .fetch_max_bytes(100_000)
            .max_partition_fetch_bytes(100_000)
            .set("receive.message.max.bytes", "200000")
            .expect("a size"),
    )
    .expect("consumer");
    consumer.assign(&partitions(&t, 1)).expect("assign");
    let deadline = Instant::now() + TIMEOUT;
    let err = loop {
        match consumer.poll(Duration::from_millis(200)) {
            Ok(records) => assert!(records.is_empty(), "no record can arrive"),
            Err(e) => break e,
        }
        assert!(
            Instant::now() < deadline,
            "the oversized answer never surfaced"
        );
    };
    assert_eq!(err.kind(), ErrorKind::CorruptMessage, "{err}");
    assert!(
        err.to_string().contains("receive.message.max.bytes"),
        "{err}"
    );
}

#[test]
fn fetch_max_bytes_must_fit_receive_message_max_bytes() {
    let err = KafkaConsumer::new(
        ConsumerConfig::new("127.0.0.1:1")
            .fetch_max_bytes(100 << 20)
            .set("receive.message.max.bytes", "50000000")
            .expect("a size"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.to_string().contains("fetch.max.bytes")
            && err.to_string().contains("receive.message.max.bytes"),
        "{err}"
    );
}
