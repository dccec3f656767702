//! The consumer calls threaded programs need, end to end on a broker: a typed consumer
//! and what it does with a record that does not decode, `wakeup()` from another
//! thread, `poll_max`, `current_lag`, `enforce_rebalance`, and `close_with_timeout`
//! with a broker that does not answer.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::kafka::KafkaCluster;
use common::produce::{TestProducer, TestRecord};
use kafka_sync::consumer::{I64Deserializer, StringDeserializer};
use kafka_sync::{
    ConsumerConfig, ErrorKind, GroupProtocol, KafkaConsumer, OffsetReset, TopicPartition,
    TypedConsumer, WakeupHandle,
};

const TIMEOUT: Duration = Duration::from_secs(60);
/// How soon a blocked `poll(Duration::MAX)` returns after `wakeup()` (issue's bound).
const WAKEUP_WITHIN: Duration = Duration::from_millis(100);

fn assigned_consumer(bootstrap: &str, tp: &TopicPartition) -> KafkaConsumer {
    let mut consumer =
        KafkaConsumer::new(ConsumerConfig::new(bootstrap).auto_offset_reset(OffsetReset::Earliest))
            .expect("consumer");
    consumer.assign(std::slice::from_ref(tp)).expect("assign");
    consumer
}

/// Ten records with big-endian i64 keys 0..10 and values "v0".."v9", except that the
/// key of offset 5 is three bytes, which no i64 decodes from.
fn write_keyed_records(tp: &TopicPartition) {
    let records: Vec<TestRecord> = (0..10i64)
        .map(|i| TestRecord {
            key: Some(if i == 5 {
                vec![1, 2, 3]
            } else {
                i.to_be_bytes().to_vec()
            }),
            value: Some(format!("v{i}").into_bytes()),
            ..Default::default()
        })
        .collect();
    TestProducer::new(&common::bootstrap()).send_batch(&tp.topic, tp.partition, &records);
}

#[test]
fn typed_consumer_decodes_and_stays_at_a_record_that_does_not_decode() {
    let topic = common::unique_topic("typed");
    common::create_topic(&topic, 1);
    let tp = TopicPartition::new(&topic, 0);
    write_keyed_records(&tp);

    let mut consumer = TypedConsumer::from_consumer(
        assigned_consumer(&common::bootstrap(), &tp),
        I64Deserializer,
        StringDeserializer,
    );
    let deadline = Instant::now() + TIMEOUT;
    let mut read: Vec<(i64, Option<i64>, Option<String>)> = Vec::new();
    let error = loop {
        assert!(
            Instant::now() < deadline,
            "no decoding error; read {read:?}"
        );
        match consumer.poll(Duration::from_millis(500)) {
            Ok(records) => read.extend(records.into_iter().map(|r| (r.offset, r.key, r.value))),
            Err(e) => break e,
        }
    };
    let expected: Vec<(i64, Option<i64>, Option<String>)> = (0..5)
        .map(|i| (i, Some(i), Some(format!("v{i}"))))
        .collect();
    assert_eq!(read, expected, "the records before the bad one, decoded");
    assert_eq!(error.kind(), ErrorKind::Serialization, "{error}");
    assert!(
        error
            .message()
            .contains(&format!("key of the record at offset 5 of {tp}")),
        "{error}"
    );
    assert_eq!(consumer.failed_record(), Some(&(tp.clone(), 5)));
    assert_eq!(consumer.position(&tp).expect("position"), 5);

    // The record is not skipped: polling meets it again (once the fetch in flight
    // for the old position is answered), with nothing handed out before it.
    let again = loop {
        assert!(Instant::now() < deadline, "the bad record never came again");
        match consumer.poll(Duration::from_millis(500)) {
            Ok(records) => assert!(records.is_empty(), "{records:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(again.kind(), ErrorKind::Serialization, "{again}");
    assert_eq!(consumer.failed_record(), Some(&(tp.clone(), 5)));

    // Seeking past it goes on with the rest.
    consumer.seek(&tp, 6).expect("seek");
    let mut rest = Vec::new();
    while rest.len() < 4 {
        assert!(Instant::now() < deadline, "read {rest:?} after the seek");
        let records = consumer.poll(Duration::from_millis(500)).expect("poll");
        assert!(consumer.failed_record().is_none());
        rest.extend(records.into_iter().map(|r| (r.offset, r.key)));
    }
    let expected: Vec<(i64, Option<i64>)> = (6..10).map(|i| (i, Some(i))).collect();
    assert_eq!(rest, expected);
}

#[test]
fn typed_iteration_ends_at_a_record_that_does_not_decode_and_stays_there() {
    let topic = common::unique_topic("typed-iter");
    common::create_topic(&topic, 1);
    let tp = TopicPartition::new(&topic, 0);
    write_keyed_records(&tp);

    let mut consumer = TypedConsumer::from_consumer(
        assigned_consumer(&common::bootstrap(), &tp),
        I64Deserializer,
        StringDeserializer,
    );
    let items: Vec<_> = consumer.iter(Duration::from_secs(10)).collect();
    assert_eq!(items.len(), 6, "five records and the error: {items:?}");
    for (i, item) in items[..5].iter().enumerate() {
        let record = item.as_ref().expect("decoded");
        assert_eq!((record.offset, record.key), (i as i64, Some(i as i64)));
    }
    let error = items[5].as_ref().expect_err("the bad record");
    assert_eq!(error.kind(), ErrorKind::Serialization, "{error}");
    // Dropping the iterator left the consumer at the record that did not decode.
    assert_eq!(consumer.position(&tp).expect("position"), 5);
}

/// Calls `poll(Duration::MAX)` while another thread calls `handle.wakeup()`, and
/// asserts that the poll returns `Err(Wakeup)` within [`WAKEUP_WITHIN`] of it.
fn woken_from_another_thread(consumer: &mut KafkaConsumer, handle: &WakeupHandle, when: &str) {
    let handle = handle.clone();
    let (polling_tx, polling_rx) = mpsc::channel::<()>();
    let waker = std::thread::spawn(move || {
        polling_rx.recv().expect("the poll starts");
        let woken_at = Instant::now();
        handle.wakeup();
        woken_at
    });
    polling_tx.send(()).expect("waker");
    let result = consumer.poll(Duration::MAX);
    let returned_at = Instant::now();
    let woken_at = waker.join().expect("waker thread");
    let error = result.expect_err("woken up");
    assert_eq!(error.kind(), ErrorKind::Wakeup, "{error}");
    let took = returned_at.saturating_duration_since(woken_at);
    println!("{when}: poll returned {took:?} after wakeup()");
    assert!(
        took <= WAKEUP_WITHIN,
        "{when}: poll returned {took:?} after wakeup()"
    );
}

/// A `poll(Duration::MAX)` in one thread returns `Err(Wakeup)` within 100 ms when
/// another thread calls `wakeup()`: while it looks up the cluster and the coordinator
/// at first, and while a member waits for records. A wakeup with no call running
/// interrupts the next blocking call (here a commit and a committed-offset lookup),
/// and only that one.
fn wakeup_interrupts_blocking_calls(protocol: GroupProtocol, bootstrap: &str) {
    let topic = common::unique_topic("wakeup");
    common::create_topic_on(bootstrap, &topic, 1);
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(bootstrap)
            .group_id(common::unique_topic("wakeup-group"))
            .group_protocol(protocol)
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    let handle = consumer.wakeup_handle();
    woken_from_another_thread(
        &mut consumer,
        &handle,
        &format!("{protocol:?}, while joining"),
    );

    // The wakeup was used up: the consumer goes on and joins.
    let deadline = Instant::now() + TIMEOUT;
    while consumer.assignment().is_empty() {
        assert!(Instant::now() < deadline, "never assigned");
        consumer
            .poll(Duration::from_millis(200))
            .expect("poll after the wakeup");
    }
    // A member waiting for records: the poll blocks in the network wait.
    woken_from_another_thread(
        &mut consumer,
        &handle,
        &format!("{protocol:?}, as a member"),
    );

    let tp = TopicPartition::new(&topic, 0);
    handle.wakeup();
    let error = consumer.commit().expect_err("commit woken up");
    assert_eq!(error.kind(), ErrorKind::Wakeup, "{error}");
    handle.wakeup();
    let error = consumer.committed(&tp).expect_err("committed() woken up");
    assert_eq!(error.kind(), ErrorKind::Wakeup, "{error}");
    consumer.commit().expect("a commit with no wakeup pending");
    consumer.close().expect("close");
}

#[test]
fn wakeup_interrupts_blocking_calls_classic() {
    wakeup_interrupts_blocking_calls(GroupProtocol::Classic, &common::bootstrap());
}

#[test]
fn wakeup_interrupts_blocking_calls_consumer_protocol() {
    wakeup_interrupts_blocking_calls(
        GroupProtocol::Consumer,
        &common::consumer_protocol_bootstrap(),
    );
}

#[test]
fn poll_max_bounds_one_poll_and_current_lag_follows_the_position() {
    let topic = common::unique_topic("poll-max");
    common::create_topic(&topic, 1);
    let tp = TopicPartition::new(&topic, 0);
    let records: Vec<TestRecord> = (0..10).map(|i| TestRecord::value(format!("{i}"))).collect();
    TestProducer::new(&common::bootstrap()).send_batch(&topic, 0, &records);

    let mut consumer = assigned_consumer(&common::bootstrap(), &tp);
    let error = consumer
        .poll_max(Duration::from_millis(10), 0)
        .expect_err("max_records 0");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert_eq!(consumer.current_lag(&tp), None, "no fetch yet");

    let deadline = Instant::now() + TIMEOUT;
    let mut offsets = Vec::new();
    while offsets.is_empty() {
        assert!(Instant::now() < deadline, "nothing fetched");
        let batch = consumer
            .poll_max(Duration::from_millis(500), 3)
            .expect("poll");
        assert!(batch.len() <= 3, "{} records", batch.len());
        offsets.extend(batch.iter().map(|r| r.offset));
    }
    let position = consumer.position(&tp).expect("position");
    assert_eq!(position, offsets.len() as i64);
    assert_eq!(consumer.current_lag(&tp), Some(10 - position));
    while offsets.len() < 10 {
        assert!(Instant::now() < deadline, "read {offsets:?}");
        let batch = consumer
            .poll_max(Duration::from_millis(500), 3)
            .expect("poll");
        assert!(batch.len() <= 3, "{} records", batch.len());
        offsets.extend(batch.iter().map(|r| r.offset));
        let position = consumer.position(&tp).expect("position");
        assert_eq!(consumer.current_lag(&tp), Some(10 - position));
    }
    assert_eq!(
        offsets,
        (0..10).collect::<Vec<i64>>(),
        "each record once, in order"
    );
    assert_eq!(consumer.current_lag(&tp), Some(0));
}

#[test]
fn enforce_rebalance_makes_a_classic_member_rejoin() {
    let topic = common::unique_topic("enforce");
    common::create_topic(&topic, 2);
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .group_id(common::unique_topic("enforce-group"))
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    let error = consumer.enforce_rebalance().expect_err("not subscribed");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    let deadline = Instant::now() + TIMEOUT;
    let first = loop {
        assert!(Instant::now() < deadline, "never joined");
        consumer.poll(Duration::from_millis(200)).expect("poll");
        if let Some(generation) = consumer.generation() {
            break generation;
        }
    };
    consumer.enforce_rebalance().expect("enforce_rebalance");
    loop {
        assert!(Instant::now() < deadline, "never rejoined");
        consumer.poll(Duration::from_millis(200)).expect("poll");
        if consumer.generation().is_some_and(|g| g > first) {
            break;
        }
    }
    assert_eq!(consumer.assignment().len(), 2, "both partitions again");
    consumer.close().expect("close");
}

/// With the broker stopped (SIGSTOP: connections stay open, nothing answers), a
/// closing group member cannot commit or leave; `close_with_timeout` gives that up at
/// its timeout instead of at `default.api.timeout.ms` (a minute here), and the
/// consumer is closed. The test pauses a broker, so it starts a cluster of its own.
#[test]
fn close_with_timeout_gives_up_on_a_broker_that_does_not_answer() {
    let cluster = KafkaCluster::start(1);
    let bootstrap = cluster.bootstrap();
    let topic = common::unique_topic("close");
    common::create_topic_on(&bootstrap, &topic, 1);
    let records: Vec<TestRecord> = (0..5).map(|i| TestRecord::value(format!("{i}"))).collect();
    TestProducer::new(&bootstrap).send_batch(&topic, 0, &records);
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id(common::unique_topic("close-group"))
            .auto_offset_reset(OffsetReset::Earliest)
            .default_api_timeout(TIMEOUT),
    )
    .expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    let deadline = Instant::now() + TIMEOUT;
    let mut read = 0;
    while read < 5 {
        assert!(Instant::now() < deadline, "read {read} of 5");
        read += consumer
            .poll(Duration::from_millis(200))
            .expect("poll")
            .len();
    }

    cluster.pause(1);
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let result = consumer.close_with_timeout(timeout);
    let took = started.elapsed();
    cluster.resume(1);
    let error = result.expect_err("the commit on close cannot finish");
    assert!(error.is_retriable(), "a timeout, not {error}");
    // The timeout and the scheduling noise of a loaded 2-core machine, far below the
    // minute the consumer's own timeout would take.
    assert!(
        took < timeout + Duration::from_secs(3),
        "close took {took:?}"
    );
    let error = consumer.poll(Duration::ZERO).expect_err("closed");
    assert_eq!(error.kind(), ErrorKind::Closed, "{error}");
}
