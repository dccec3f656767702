//! The transactional producer on Apache Kafka (the first broker here that implements
//! transactions): interleaved committed and aborted transactions read back by this
//! client, the Java client and librdkafka under read_committed and read_uncommitted;
//! fencing by a second producer with the same `transactional.id`; offsets sent to a
//! transaction, visible to the group on commit only; and the calls that are not
//! allowed.
//!
//! Kafka 4.x clusters finalize transactions protocol v2 (KIP-890, `transaction.version`
//! 2), which the shared broker runs; the interleaved and offsets tests run again on a
//! cluster of their own formatted with `transaction.version=1`, where the producer
//! adds partitions and offsets with AddPartitionsToTxn and AddOffsetsToTxn. Which
//! protocol the producer used shows in the log: under v2 every transaction ends with a
//! new producer epoch, under v1 the epoch stays.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::kafka::{ClusterOptions, KafkaCluster};
use kafka_sync::protocol::messages::{ApiVersionsRequest, MetadataRequest};
use kafka_sync::{ClientConfig, RawClient};
use kafka_sync::{
    ConsumerConfig, ErrorKind, IsolationLevel, KafkaConsumer, KafkaProducer, OffsetAndMetadata,
    OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 4;

/// A one-node cluster formatted with transactions protocol v1.
fn v1_cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        KafkaCluster::start_with(
            1,
            ClusterOptions {
                features: vec!["transaction.version=1".to_owned()],
                ..ClusterOptions::default()
            },
        )
    })
}

/// The `transaction.version` the cluster at `bootstrap` finalized.
fn transaction_version(bootstrap: &str) -> i16 {
    let mut client = RawClient::new(ClientConfig::new(bootstrap)).expect("client");
    client
        .metadata(&MetadataRequest::for_topics::<&str>(None, false), TIMEOUT)
        .expect("metadata");
    let node = *client.brokers().first().expect("a broker");
    let request = ApiVersionsRequest {
        client_software_name: "kafka-sync-tests".to_owned(),
        client_software_version: "0".to_owned(),
    };
    let response = client.send(node, &request, TIMEOUT).expect("api versions");
    assert_eq!(response.error_code, 0, "ApiVersions: {response:?}");
    // Kafka counts a feature that is not finalized as level 0.
    response
        .finalized_features
        .iter()
        .find(|f| f.name == "transaction.version")
        .map_or(0, |f| f.max_version_level)
}

/// Checks the producer epochs of `topic`'s data batches: under protocol v2 each
/// transaction has an epoch of its own (at least `committed` of them, one per committed
/// transaction), under v1 all share one.
fn assert_epochs_follow_the_protocol(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    committed: usize,
) {
    let version = transaction_version(bootstrap);
    for partition in 0..partitions {
        let end = common::fetch::high_watermark(bootstrap, topic, partition);
        let batches = common::fetch::fetch_batches(bootstrap, topic, partition, end, TIMEOUT);
        let mut epochs: Vec<i16> = batches
            .iter()
            .filter(|b| !b.is_control())
            .map(|b| b.producer_epoch())
            .collect();
        assert!(
            epochs.windows(2).all(|w| w[0] <= w[1]),
            "partition {partition}: epochs never go back: {epochs:?}"
        );
        epochs.dedup();
        if version >= 2 {
            assert!(
                epochs.len() >= committed,
                "partition {partition}, transaction.version {version}: an epoch per transaction, not {epochs:?}"
            );
        } else {
            assert_eq!(
                epochs.len(),
                1,
                "partition {partition}, transaction.version {version}: one epoch, not {epochs:?}"
            );
        }
    }
}

fn transactional(bootstrap: &str, id: &str) -> KafkaProducer {
    KafkaProducer::new(
        ProducerConfig::new(bootstrap)
            .transactional_id(id)
            .linger(Duration::from_millis(2)),
    )
    .expect("producer")
}

/// Every value of `topic` (with `partitions`) a consumer with `isolation` reads, by
/// partition in order, once it has read `expected` records (and found nothing more).
fn read_all(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    isolation: IsolationLevel,
    expected: usize,
) -> BTreeMap<i32, Vec<String>> {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(bootstrap)
            .isolation_level(isolation)
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    let assigned: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(&assigned).expect("assign");
    let mut read: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut count = 0;
    let deadline = Instant::now() + TIMEOUT * 2;
    loop {
        let records = consumer.poll(Duration::from_millis(500)).expect("poll");
        if records.is_empty() && count >= expected {
            break;
        }
        for r in &records {
            count += 1;
            read.entry(r.partition).or_default().push(
                String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8"),
            );
        }
        assert!(
            Instant::now() < deadline,
            "read {count} of {expected} records"
        );
    }
    consumer.close().expect("close");
    read
}

#[test]
fn interleaved_committed_and_aborted_transactions_read_back_exactly() {
    let bootstrap = common::bootstrap();
    if common::broker_kind() == common::BrokerKind::Kafka {
        assert_eq!(
            transaction_version(&bootstrap),
            2,
            "the test broker runs transactions protocol v2"
        );
    }
    interleaved_transactions(&bootstrap);
}

#[test]
fn interleaved_transactions_on_protocol_v1() {
    let bootstrap = v1_cluster().bootstrap();
    assert_eq!(transaction_version(&bootstrap), 1);
    interleaved_transactions(&bootstrap);
}

fn interleaved_transactions(bootstrap: &str) {
    let topic = common::unique_topic("txn-interleaved");
    common::create_topic_on(bootstrap, &topic, PARTITIONS);
    let producer = transactional(bootstrap, &common::unique_topic("txn-id"));
    producer
        .init_transactions(TIMEOUT)
        .expect("init_transactions");
    let mut committed: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut all: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    // 20 transactions of 100 records, every other one aborted: 1000 and 1000.
    for t in 0..20 {
        producer.begin_transaction().expect("begin");
        let commit = t % 2 == 0;
        let mut futures = Vec::new();
        for i in 0..100 {
            let partition = i % PARTITIONS;
            let value = format!("t{t}-{i}");
            all.entry(partition).or_default().push(value.clone());
            if commit {
                committed.entry(partition).or_default().push(value.clone());
            }
            futures.push(
                producer
                    .send(
                        ProducerRecord::new(&topic)
                            .partition(partition)
                            .value(&value),
                    )
                    .expect("send"),
            );
        }
        if commit {
            producer.commit_transaction(TIMEOUT).expect("commit");
            for f in futures {
                f.get(TIMEOUT).expect("a committed record was written");
            }
        } else {
            producer.abort_transaction(TIMEOUT).expect("abort");
        }
    }
    producer.close(Some(TIMEOUT)).expect("close");

    assert_epochs_follow_the_protocol(bootstrap, &topic, PARTITIONS, 10);
    let ours = read_all(
        bootstrap,
        &topic,
        PARTITIONS,
        IsolationLevel::ReadCommitted,
        1000,
    );
    assert_eq!(
        ours, committed,
        "read_committed sees exactly the committed records"
    );
    // Aborted records may have been sent before their abort, or dropped before: all
    // of those sent are in the log for read_uncommitted, in order.
    let uncommitted = read_all(
        bootstrap,
        &topic,
        PARTITIONS,
        IsolationLevel::ReadUncommitted,
        1000,
    );
    for (partition, values) in &uncommitted {
        let expected: Vec<&String> = all[partition]
            .iter()
            .filter(|v| values.contains(v))
            .collect();
        assert_eq!(
            values.iter().collect::<Vec<_>>(),
            expected,
            "partition {partition}"
        );
        let committed_here: BTreeSet<&String> = committed[partition].iter().collect();
        assert!(committed_here.iter().all(|v| values.contains(v)));
    }
    let java: BTreeMap<i32, Vec<String>> =
        common::java::read_topic(bootstrap, &topic, "read_committed")
            .into_iter()
            .fold(BTreeMap::new(), |mut m, r| {
                m.entry(r.partition)
                    .or_insert_with(Vec::new)
                    .push(String::from_utf8(r.value.unwrap_or_default()).expect("utf-8"));
                m
            });
    assert_eq!(
        java, committed,
        "the Java client's read_committed consumer agrees"
    );
    assert_eq!(
        librdkafka_reads(bootstrap, &topic, "read_committed"),
        committed,
        "librdkafka's read_committed consumer agrees"
    );
}

/// Every value of `topic` librdkafka's consumer (`tests/support/read_all.py`) reads
/// under `isolation`, by partition in order.
fn librdkafka_reads(bootstrap: &str, topic: &str, isolation: &str) -> BTreeMap<i32, Vec<String>> {
    let output = std::process::Command::new(common::mock::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/read_all.py"
        ))
        .args([bootstrap, topic, isolation])
        .output()
        .expect("run tests/support/read_all.py");
    assert!(
        output.status.success(),
        "read_all.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut read: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).expect("utf-8").lines() {
        let mut fields = line.splitn(3, ' ');
        let partition: i32 = fields.next().and_then(|p| p.parse().ok()).expect(line);
        let _offset = fields.next().expect(line);
        read.entry(partition)
            .or_default()
            .push(fields.next().expect(line).to_owned());
    }
    read
}

#[test]
fn a_second_producer_with_the_same_id_fences_the_first() {
    let topic = common::unique_topic("txn-fenced");
    common::create_topic(&topic, 1);
    let id = common::unique_topic("txn-fence-id");
    let first = transactional(&common::bootstrap(), &id);
    first.init_transactions(TIMEOUT).expect("init");
    first.begin_transaction().expect("begin");
    first
        .send(ProducerRecord::new(&topic).value("zombie-0"))
        .expect("send")
        .get(TIMEOUT)
        .expect("written, not committed");

    let second = transactional(&common::bootstrap(), &id);
    second
        .init_transactions(TIMEOUT)
        .expect("init fences the first");
    second.begin_transaction().expect("begin");
    second
        .send(ProducerRecord::new(&topic).value("second-0"))
        .expect("send");
    second.commit_transaction(TIMEOUT).expect("commit");

    // The first producer's next record and its commit fail for good.
    let err = first
        .send(ProducerRecord::new(&topic).value("zombie-1"))
        .expect("send appends")
        .get(TIMEOUT)
        .expect_err("a fenced producer's record is refused");
    assert!(err.is_fatal(), "{err}");
    let err = first
        .commit_transaction(TIMEOUT)
        .expect_err("a fenced producer cannot commit");
    assert!(err.is_fatal(), "{err}");
    assert!(!err.is_abortable(), "{err}");
    assert!(
        first.begin_transaction().is_err(),
        "nothing goes after fencing"
    );
    let _ = first.close(Some(Duration::from_secs(5)));
    second.close(Some(TIMEOUT)).expect("close");

    let read = read_all(
        &common::bootstrap(),
        &topic,
        1,
        IsolationLevel::ReadCommitted,
        1,
    );
    assert_eq!(read.get(&0), Some(&vec!["second-0".to_owned()]));
}

#[test]
fn offsets_sent_to_a_transaction_count_only_when_it_commits() {
    offsets_only_on_commit(&common::bootstrap());
}

#[test]
fn offsets_sent_to_a_transaction_on_protocol_v1() {
    offsets_only_on_commit(&v1_cluster().bootstrap());
}

fn offsets_only_on_commit(bootstrap: &str) {
    let topic = common::unique_topic("txn-offsets");
    common::create_topic_on(bootstrap, &topic, 1);
    let group = common::unique_topic("txn-offsets-group");
    let consumer =
        KafkaConsumer::new(ConsumerConfig::new(bootstrap).group_id(&group)).expect("consumer");
    let membership = consumer.group_metadata().expect("group metadata");
    let tp = TopicPartition::new(&topic, 0);
    let offsets = |offset| BTreeMap::from([(tp.clone(), OffsetAndMetadata::new(offset))]);
    let producer = transactional(bootstrap, &common::unique_topic("txn-offsets-id"));
    producer.init_transactions(TIMEOUT).expect("init");

    producer.begin_transaction().expect("begin");
    producer
        .send(ProducerRecord::new(&topic).value("a"))
        .expect("send");
    producer
        .send_offsets_to_transaction(&offsets(5), &membership, TIMEOUT)
        .expect("send offsets");
    producer.abort_transaction(TIMEOUT).expect("abort");
    let mut checker =
        KafkaConsumer::new(ConsumerConfig::new(bootstrap).group_id(&group)).expect("consumer");
    assert_eq!(checker.committed(&tp).expect("committed"), None, "aborted");

    producer.begin_transaction().expect("begin");
    producer
        .send_offsets_to_transaction(&offsets(7), &membership, TIMEOUT)
        .expect("send offsets");
    producer.commit_transaction(TIMEOUT).expect("commit");
    // The commit's markers reach the offsets topic just after EndTxn returns.
    common::wait_until(
        "the committed offset did not appear",
        TIMEOUT,
        Duration::from_millis(50),
        || {
            let committed = checker.committed(&tp).expect("committed");
            if committed.as_ref().map(|o| o.offset) == Some(7) {
                Ok(())
            } else {
                Err(format!("committed: {committed:?}"))
            }
        },
    );
    producer.close(Some(TIMEOUT)).expect("close");
}

#[test]
fn transactional_calls_out_of_order_are_errors() {
    let topic = common::unique_topic("txn-misuse");
    common::create_topic(&topic, 1);
    let plain = KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).expect("producer");
    let err = plain.begin_transaction().unwrap_err();
    assert!(err.to_string().contains("transactional.id"), "{err}");
    plain.close(Some(TIMEOUT)).expect("close");

    let producer = transactional(&common::bootstrap(), &common::unique_topic("txn-misuse-id"));
    let err = producer
        .send(ProducerRecord::new(&topic).value("x"))
        .unwrap_err();
    assert!(err.to_string().contains("init_transactions"), "{err}");
    assert!(producer.begin_transaction().is_err());
    producer.init_transactions(TIMEOUT).expect("init");
    let err = producer
        .send(ProducerRecord::new(&topic).value("x"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("no transaction begun"), "{err}");
    assert!(producer.commit_transaction(TIMEOUT).is_err());
    producer.begin_transaction().expect("begin");
    assert!(
        producer.begin_transaction().is_err(),
        "no nested transactions"
    );
    producer
        .commit_transaction(TIMEOUT)
        .expect("an empty transaction commits");
    producer.close(Some(TIMEOUT)).expect("close");
}

#[test]
fn a_transaction_left_open_past_its_timeout_is_aborted_by_the_broker() {
    let topic = common::unique_topic("txn-timeout");
    common::create_topic(&topic, 1);
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .transactional_id(common::unique_topic("txn-timeout-id"))
            .transaction_timeout(Duration::from_secs(2)),
    )
    .expect("producer");
    producer.init_transactions(TIMEOUT).expect("init");
    producer.begin_transaction().expect("begin");
    producer
        .send(ProducerRecord::new(&topic).value("left open"))
        .expect("send")
        .get(TIMEOUT)
        .expect("written");

    // The coordinator aborts the transaction once its timeout has passed: its abort
    // marker moves the last stable offset past the record (1 record + 1 marker).
    let tp = TopicPartition::new(&topic, 0);
    let mut watcher = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap()).isolation_level(IsolationLevel::ReadCommitted),
    )
    .expect("consumer");
    // The broker aborts on its own schedule.
    common::wait_until(
        "the broker never aborted it",
        TIMEOUT,
        Duration::from_millis(200),
        || {
            let lso = watcher
                .end_offsets(std::slice::from_ref(&tp))
                .expect("end offsets")[&tp];
            if lso == 2 {
                return Ok(());
            }
            assert_eq!(lso, 0, "the open transaction holds the last stable offset");
            Err(format!("last stable offset {lso}"))
        },
    );
    watcher.close().expect("close");

    // The producer learns of it at the commit, and the record stays invisible.
    let err = producer
        .commit_transaction(TIMEOUT)
        .expect_err("the broker aborted the transaction");
    assert!(err.is_fatal() || err.is_abortable(), "{err}");
    println!("the commit after the broker's abort: {err}");
    let _ = producer.close(Some(Duration::from_secs(5)));
    let read = read_all(
        &common::bootstrap(),
        &topic,
        1,
        IsolationLevel::ReadCommitted,
        0,
    );
    assert!(read.is_empty(), "{read:?}");
}
