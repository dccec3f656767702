//! A silent broker (the fault suite, scenario 6): the broker is SIGSTOPped, so its
//! connections stay open and nothing answers. Every blocking call returns within its
//! timeout plus a small margin with a Timeout error: `send().get`, `flush`, `close`, a
//! metadata wait, `poll`, `commit`, `committed`, admin calls and the transactional
//! producer's calls. After SIGCONT the same clients work again, without being
//! restarted.
//!
//! The test pauses a broker, so it starts one of its own (also with `KAFKA_BOOTSTRAP`
//! set).

mod common;

use std::time::{Duration, Instant};

use common::kafka::KafkaCluster;
use common::produce::{TestProducer, TestRecord};
use kafka_sync::{
    AdminConfig, ConsumerConfig, ErrorKind, KafkaAdminClient, KafkaConsumer, KafkaError,
    KafkaProducer, NewTopic, OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

/// How far past its timeout a call may return: the margin the issue allows, plus the
/// scheduling noise of a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(250);

/// Runs `call`, which has `timeout`, and checks that it failed with a timeout within
/// `timeout` + [`MARGIN`].
fn times_out<T: std::fmt::Debug>(
    what: &str,
    timeout: Duration,
    call: impl FnOnce() -> Result<T, KafkaError>,
) {
    let started = Instant::now();
    let result = call();
    let took = started.elapsed();
    assert!(
        took <= timeout + MARGIN,
        "{what} took {took:?} with a timeout of {timeout:?}: {result:?}"
    );
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::Timeout, "{what}: {err}");
}

#[test]
fn every_blocking_call_returns_in_time_while_the_broker_is_silent_and_recovers() {
    let cluster = KafkaCluster::start(1);
    let bootstrap = cluster.bootstrap();
    let admin = KafkaAdminClient::new(AdminConfig::new(&bootstrap)).expect("admin");
    let topic = common::unique_topic("silent");
    let r = admin
        .create_topics(&[NewTopic::new(&topic, 2, 1)], TIMEOUT)
        .expect("create");
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    common::fetch::wait_until_led(&bootstrap, &topic, 2, TIMEOUT);
    let records: Vec<TestRecord> = (0..10).map(|i| TestRecord::value(format!("{i}"))).collect();
    TestProducer::new(&bootstrap).send_batch(&topic, 0, &records);

    let short = Duration::from_millis(700);
    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .max_block(short)
            .request_timeout(Duration::from_secs(2))
            .delivery_timeout(Duration::from_secs(60)),
    )
    .expect("producer");
    producer
        .send(ProducerRecord::new(&topic).partition(1).value("before"))
        .expect("send")
        .get(TIMEOUT)
        .expect("delivered before the pause");
    let stuck = KafkaProducer::new(ProducerConfig::new(&bootstrap)).expect("producer");
    stuck
        .send(ProducerRecord::new(&topic).partition(0).value("warm"))
        .expect("send")
        .get(TIMEOUT)
        .expect("delivered before the pause");
    let group = common::unique_topic("silent-group");
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id(&group)
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(false)
            .default_api_timeout(short)
            .session_timeout(Duration::from_secs(30))
            .heartbeat_interval(Duration::from_secs(1)),
    )
    .expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    // The thread check at the end sees the clients' threads while they run.
    let running = common::faults::client_threads();
    assert!(
        running.iter().any(|t| t.starts_with("kafka-producer")),
        "{running:?}"
    );
    let mut read = 0;
    let deadline = Instant::now() + TIMEOUT;
    while read < 11 {
        read += consumer
            .poll(Duration::from_millis(200))
            .expect("poll")
            .len();
        assert!(
            Instant::now() < deadline,
            "read {read} of 11 before the pause"
        );
    }
    consumer.commit().expect("commit before the pause");
    let tp = TopicPartition::new(&topic, 0);

    // The transaction writes to a topic of its own: the consumer must not see it.
    let txn_topic = common::unique_topic("silent-txn-topic");
    let r = admin
        .create_topics(&[NewTopic::new(&txn_topic, 2, 1)], TIMEOUT)
        .expect("create");
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    common::fetch::wait_until_led(&bootstrap, &txn_topic, 2, TIMEOUT);
    let transactional = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .transactional_id(common::unique_topic("silent-txn"))
            .max_block(short),
    )
    .expect("producer");
    transactional
        .init_transactions(TIMEOUT)
        .expect("init_transactions");
    transactional.begin_transaction().expect("begin");
    transactional
        .send(
            ProducerRecord::new(&txn_topic)
                .partition(0)
                .value("txn-before"),
        )
        .expect("send")
        .get(TIMEOUT)
        .expect("written before the pause");
    let fresh = KafkaProducer::new(
        ProducerConfig::new(&bootstrap).transactional_id(common::unique_topic("silent-txn")),
    )
    .expect("producer");

    cluster.pause(1);
    let pending = producer
        .send(ProducerRecord::new(&topic).partition(1).value("during"))
        .expect("send appends while the broker is silent");
    times_out("get", short, || pending.get(short));
    times_out("flush", short, || producer.flush(Some(short)));
    times_out("metadata wait of send", short, || {
        producer.send(ProducerRecord::new(&common::unique_topic("silent-new")).value("x"))
    });
    times_out("commit", short, || consumer.commit());
    times_out("committed", short, || consumer.committed(&tp));
    times_out("describe_cluster", short, || admin.describe_cluster(short));
    times_out("list_topics", short, || admin.list_topics(short));
    let started = Instant::now();
    let polled = consumer.poll(short);
    assert!(
        started.elapsed() <= short + MARGIN,
        "poll took {:?}: {polled:?}",
        started.elapsed()
    );
    assert!(polled.map_or(true, |r| r.is_empty()), "nothing can arrive");
    // A producer with records it cannot deliver closes within its timeout.
    stuck
        .send(ProducerRecord::new(&topic).partition(0).value("stuck"))
        .expect("send appends");
    times_out("close", short, || stuck.close(Some(short)));
    // Transactional calls, each bounded by its timeout. send() to a partition new to
    // the transaction does not wait for the coordinator: the partition joins with its
    // first Produce request (transactions protocol v2) or through the partition adder
    // (v1) while the record waits in the accumulator.
    times_out("init_transactions", short, || {
        fresh.init_transactions(short)
    });
    let started = Instant::now();
    let during = transactional
        .send(
            ProducerRecord::new(&txn_topic)
                .partition(1)
                .value("txn-during"),
        )
        .expect("a transactional send appends while the broker is silent");
    assert!(
        started.elapsed() <= short + MARGIN,
        "the transactional send took {:?}",
        started.elapsed()
    );
    times_out("commit_transaction", short, || {
        transactional.commit_transaction(short)
    });
    times_out("abort_transaction", short, || {
        transactional.abort_transaction(short)
    });
    assert_eq!(
        stuck.metrics().buffer_used,
        0,
        "the failed records gave their buffer memory back"
    );

    // Back: the same clients carry on.
    cluster.resume(1);
    // The abort that timed out goes on where it stopped; then transactions work again.
    transactional
        .abort_transaction(TIMEOUT)
        .expect("abort after the pause");
    // Written before the abort or dropped by it: either way its future is resolved.
    let outcome = during.get(Duration::ZERO);
    assert!(
        outcome
            .as_ref()
            .map_or_else(|e| e.kind() != ErrorKind::Timeout, |_| true),
        "{outcome:?}"
    );
    transactional.begin_transaction().expect("begin");
    transactional
        .send(
            ProducerRecord::new(&txn_topic)
                .partition(1)
                .value("txn-after"),
        )
        .expect("send");
    transactional
        .commit_transaction(TIMEOUT)
        .expect("commit after the pause");
    fresh
        .init_transactions(TIMEOUT)
        .expect("init after the pause");
    fresh.close(Some(TIMEOUT)).expect("close");
    transactional.close(Some(TIMEOUT)).expect("close");
    pending
        .get(TIMEOUT)
        .expect("the pending record is delivered");
    producer
        .send(ProducerRecord::new(&topic).partition(1).value("after"))
        .expect("send")
        .get(TIMEOUT)
        .expect("delivered after the pause");
    let mut after = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while !after.iter().any(|v: &String| v == "after") {
        if let Ok(records) = consumer.poll(Duration::from_millis(200)) {
            after.extend(records.into_iter().map(|r| {
                String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8")
            }));
        }
        assert!(
            Instant::now() < deadline,
            "the consumer never read on: {after:?}"
        );
    }
    let deadline = Instant::now() + TIMEOUT;
    while let Err(e) = consumer.commit() {
        // The group may rebalance once the broker is back; commit again after poll().
        assert!(Instant::now() < deadline, "no commit after the pause: {e}");
        let _ = consumer.poll(Duration::from_millis(100));
    }
    assert!(consumer
        .committed(&TopicPartition::new(&topic, 1))
        .expect("committed")
        .is_some_and(|o| o.offset >= 2));
    admin
        .describe_cluster(TIMEOUT)
        .expect("admin after the pause");
    producer.close(Some(TIMEOUT)).expect("close");
    assert_eq!(producer.metrics().buffer_used, 0);
    consumer.close().expect("close");
    common::faults::assert_no_client_threads();
}
