//! The producer against a real broker: every record arrives once, in order per
//! partition, with its key, value, headers and timestamp; keyed records land where the
//! Java client would put them; many threads can share one producer.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_sync::producer::partition_for_key;
use kafka_sync::{Acks, Compression, ErrorKind, KafkaProducer, ProducerConfig, ProducerRecord};

const TIMEOUT: Duration = Duration::from_secs(60);

fn create_topic(partitions: i32) -> String {
    let topic = common::unique_topic("producer");
    common::create_topic(&topic, partitions);
    topic
}

fn key_of(i: usize) -> String {
    format!("key-{}", i % 1000)
}

fn value_of(i: usize) -> String {
    format!("value-{i:08}-{}", "x".repeat(i % 50))
}

/// Sends `count` keyed records with `compression` and checks every one comes back
/// exactly once, in send order within its partition, on the murmur2 partition.
fn keyed_records_round_trip(compression: Compression, count: usize) {
    let topic = create_topic(4);
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .compression(compression)
            .linger(Duration::from_millis(10)),
    )
    .unwrap();
    let base_ts = 1_700_000_000_000i64;
    let mut futures = Vec::with_capacity(count);
    for i in 0..count {
        let key = key_of(i);
        let value = value_of(i);
        let record = ProducerRecord::new(&topic)
            .key(&key)
            .value(&value)
            .timestamp(base_ts + i as i64)
            .header("i", i.to_string());
        futures.push(producer.send(record).unwrap());
    }
    producer.flush(Some(TIMEOUT)).unwrap();
    let mut last_offset: HashMap<i32, i64> = HashMap::new();
    for (i, f) in futures.iter().enumerate() {
        let meta = f.get(Duration::ZERO).expect("done after flush");
        assert_eq!(
            meta.partition,
            partition_for_key(key_of(i).as_bytes(), 4),
            "record {i}"
        );
        assert!(meta.offset >= 0);
        if let Some(prev) = last_offset.insert(meta.partition, meta.offset) {
            assert!(meta.offset > prev, "offsets grow within a partition");
        }
    }
    producer.close(Some(TIMEOUT)).unwrap();

    let mut seen = 0;
    for partition in 0..4 {
        let expected: Vec<usize> = (0..count)
            .filter(|i| partition_for_key(key_of(*i).as_bytes(), 4) == partition)
            .collect();
        let records = common::fetch::fetch_records(
            &common::bootstrap(),
            &topic,
            partition,
            expected.len(),
            TIMEOUT,
        );
        assert_eq!(
            records.len(),
            expected.len(),
            "{compression:?} partition {partition}: no loss, no duplicates"
        );
        for (record, &i) in records.iter().zip(&expected) {
            assert_eq!(record.key.as_deref(), Some(key_of(i).as_bytes()));
            assert_eq!(
                record.value.as_deref(),
                Some(value_of(i).as_bytes()),
                "order within partition {partition}"
            );
            assert_eq!(record.timestamp, base_ts + i as i64);
            assert_eq!(record.headers.len(), 1);
            assert_eq!(record.headers[0].key, "i");
            assert_eq!(
                record.headers[0].value.as_deref(),
                Some(i.to_string().as_bytes())
            );
        }
        seen += records.len();
    }
    assert_eq!(seen, count);
}

#[test]
fn keyed_records_uncompressed() {
    keyed_records_round_trip(Compression::None, 100_000);
}

#[test]
fn keyed_records_gzip() {
    keyed_records_round_trip(Compression::Gzip, 100_000);
}

#[test]
fn keyed_records_snappy() {
    keyed_records_round_trip(Compression::Snappy, 100_000);
}

#[test]
fn keyed_records_lz4() {
    keyed_records_round_trip(Compression::Lz4, 100_000);
}

#[test]
fn keyed_records_zstd() {
    keyed_records_round_trip(Compression::Zstd, 100_000);
}

#[test]
fn eight_threads_share_one_producer() {
    let topic = create_topic(3);
    let producer = Arc::new(KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).unwrap());
    let per_thread = 5_000;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let producer = Arc::clone(&producer);
            let topic = topic.clone();
            std::thread::spawn(move || {
                let mut futures = Vec::new();
                for i in 0..per_thread {
                    let value = format!("{t}:{i}");
                    futures.push(
                        producer
                            .send(ProducerRecord::new(&topic).value(&value))
                            .unwrap(),
                    );
                }
                for f in futures {
                    f.get(TIMEOUT).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    producer.close(Some(TIMEOUT)).unwrap();
    let mut values = Vec::new();
    for partition in 0..3 {
        values.extend(
            common::fetch::fetch_until_end(&common::bootstrap(), &topic, partition, TIMEOUT)
                .into_iter()
                .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap()),
        );
    }
    assert_eq!(values.len(), 8 * per_thread, "nothing lost or duplicated");
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 8 * per_thread, "no duplicates");
}

#[test]
fn callbacks_run_once_per_record_with_metadata() {
    let topic = create_topic(1);
    let producer = KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    for i in 0..100 {
        let tx = tx.clone();
        let value = i.to_string();
        producer
            .send_with_callback(ProducerRecord::new(&topic).value(&value), move |result| {
                let _ = tx.send(result.map(|m| m.offset).map_err(|e| e.to_string()));
            })
            .unwrap();
    }
    drop(tx);
    producer.flush(Some(TIMEOUT)).unwrap();
    let offsets: Vec<i64> = rx.iter().map(|r| r.unwrap()).collect();
    assert_eq!(offsets.len(), 100);
    let mut sorted = offsets.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 100);
}

#[test]
fn acks_zero_and_one_deliver() {
    for acks in [Acks::None, Acks::Leader] {
        let topic = create_topic(1);
        let producer =
            KafkaProducer::new(ProducerConfig::new(&common::bootstrap()).acks(acks)).unwrap();
        let futures: Vec<_> = (0..1000)
            .map(|i| {
                let value = i.to_string();
                producer
                    .send(ProducerRecord::new(&topic).value(&value))
                    .unwrap()
            })
            .collect();
        producer.flush(Some(TIMEOUT)).unwrap();
        for f in &futures {
            let meta = f.get(Duration::ZERO).unwrap();
            if acks == Acks::None {
                assert_eq!(meta.offset, -1, "acks=0 has no offset");
            } else {
                assert!(meta.offset >= 0);
            }
        }
        producer.close(Some(TIMEOUT)).unwrap();
        let records = common::fetch::fetch_records(&common::bootstrap(), &topic, 0, 1000, TIMEOUT);
        assert_eq!(records.len(), 1000, "{acks:?}");
    }
}

#[test]
fn oversized_records_and_bad_partitions_fail_at_once() {
    let topic = create_topic(2);
    let producer =
        KafkaProducer::new(ProducerConfig::new(&common::bootstrap()).max_request_size(10_000))
            .unwrap();
    let big = vec![0u8; 20_000];
    let err = producer
        .send(ProducerRecord::new(&topic).value(&big))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RecordTooLarge, "{err}");
    let err = producer
        .send(ProducerRecord::new(&topic).value("x").partition(7))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    producer.close(None).unwrap();
    let err = producer
        .send(ProducerRecord::new(&topic).value("x"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
}

#[test]
fn partitions_for_and_metrics() {
    let topic = create_topic(3);
    let producer = KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).unwrap();
    let partitions = producer.partitions_for(&topic).unwrap();
    assert_eq!(partitions.len(), 3);
    for i in 0..10 {
        let v = i.to_string();
        producer
            .send(ProducerRecord::new(&topic).value(&v))
            .unwrap();
    }
    producer.flush(Some(TIMEOUT)).unwrap();
    let m = producer.metrics();
    assert_eq!(m.records_sent, 10);
    assert!(m.batches_sent >= 1 && m.requests >= 1);
    assert_eq!(m.record_errors, 0);
    assert_eq!(m.buffer_used, 0, "memory returned after delivery");
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let err = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .acks(Acks::Leader)
            .enable_idempotence(true),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("acks"), "{err}");
}

#[test]
fn typed_producer_serializes_keys_and_values() {
    use kafka_sync::producer::{I64Serializer, StringSerializer, TypedProducer};
    let topic = create_topic(1);
    let producer = TypedProducer::new(
        ProducerConfig::new(&common::bootstrap()),
        I64Serializer,
        StringSerializer,
    )
    .unwrap();
    for i in 0..10i64 {
        producer
            .send_with(&topic, Some(&i), Some(&format!("v{i}")), |r| {
                r.header("typed", "yes")
            })
            .unwrap();
    }
    producer.producer().flush(Some(TIMEOUT)).unwrap();
    let records = common::fetch::fetch_records(&common::bootstrap(), &topic, 0, 10, TIMEOUT);
    assert_eq!(records.len(), 10);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.key.as_deref(), Some(&(i as i64).to_be_bytes()[..]));
        assert_eq!(r.value.as_deref(), Some(format!("v{i}").as_bytes()));
        assert_eq!(r.headers[0].key, "typed");
    }
}
