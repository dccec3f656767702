//! Log truncation (the fault suite, scenario 7; KIP-320). A partition with replicas on
//! nodes 1 and 2 (`min.insync.replicas=1`) takes records while both are up; node 2 is
//! killed and leaves the ISR; node 1 takes more records, which a consumer reads and
//! commits; then node 1 is killed, node 2 comes back and is elected leader uncleanly:
//! its log ends where node 1's extra records began. New records go to node 2.
//!
//! - The consumer that read the lost records notices the new leader epoch, validates
//!   its position with OffsetForLeaderEpoch, finds the truncation, and goes on from
//!   where the logs diverge: it reads every new record, from the first, and nothing
//!   it read before. (Without validation it would fetch past the new log's records
//!   and skip them, or be reset to the start and read everything again.)
//! - A consumer of the same group with `auto.offset.reset=none` starts from the
//!   committed offset, whose leader epoch validation checks: `poll()` reports the
//!   truncation.
//! - `committed()` returns the offset with its leader epoch, and `seek_to_committed`
//!   keeps the epoch: a third consumer seeking there goes on from the divergence too.
//!
//! The test kills brokers, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::time::{Duration, Instant};

use common::faults::{admin, assert_no_client_threads, close_producer, leader_of, wait_for_isr};
use common::kafka::KafkaCluster;
use kafka_sync::{
    Acks, ConsumerConfig, ConsumerRecord, ErrorCode, ErrorKind, KafkaConsumer, KafkaProducer,
    NewTopic, OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(60);
/// Records both replicas have.
const KEPT: i64 = 100;
/// Records only node 1 had, lost in the unclean election.
const LOST: i64 = 50;
/// Records written to the new leader: more than were lost, so that a consumer that
/// fetched from its old position would skip some.
const NEW: i64 = 80;

fn send(producer: &KafkaProducer, topic: &str, prefix: &str, count: i64) {
    let futures: Vec<_> = (0..count)
        .map(|i| {
            producer
                .send(
                    ProducerRecord::new(topic)
                        .partition(0)
                        .value(&format!("{prefix}-{i}")),
                )
                .expect("send")
        })
        .collect();
    for f in futures {
        f.get(TIMEOUT).expect("delivered");
    }
}

fn value(r: &ConsumerRecord) -> String {
    String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8")
}

/// Polls until `count` records came, and returns them (offset, value).
fn read(consumer: &mut KafkaConsumer, count: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let deadline = Instant::now() + TIMEOUT * 2;
    while out.len() < count {
        let records = consumer
            .poll(Duration::from_millis(200))
            .unwrap_or_else(|e| panic!("poll after {} records: {e}", out.len()));
        out.extend(records.iter().map(|r| (r.offset, value(r))));
        assert!(
            Instant::now() < deadline,
            "read {} of {count} records: {out:?}",
            out.len()
        );
    }
    out
}

/// Waits until partition 0 of `topic` has no leader (the controller fenced the dead
/// one, and no in-sync replica is left to take over).
fn leaderless(bootstrap: &str, topic: &str) {
    // The controller fences a dead broker on its own schedule.
    common::wait_until(
        &format!("{topic} kept a leader"),
        TIMEOUT,
        Duration::from_millis(100),
        || {
            let described = admin(bootstrap).describe_topics(&[topic], Duration::from_secs(10));
            match &described {
                Ok(d)
                    if d[0]
                        .partitions
                        .iter()
                        .any(|p| p.partition == 0 && p.leader.is_none()) =>
                {
                    Ok(())
                }
                _ => Err(format!("{described:?}")),
            }
        },
    );
}

fn consumer(bootstrap: &str, group: Option<&str>, reset: OffsetReset) -> KafkaConsumer {
    let mut config = ConsumerConfig::new(bootstrap)
        .auto_offset_reset(reset)
        .enable_auto_commit(false);
    if let Some(group) = group {
        config = config.group_id(group);
    }
    KafkaConsumer::new(config).expect("consumer")
}

#[test]
fn consumers_detect_log_truncation_after_an_unclean_election() {
    common::log_to_stderr();
    let cluster = KafkaCluster::start(3);
    let bootstrap = cluster.bootstrap();
    let topic = common::unique_topic("fault-truncation");
    let created = admin(&bootstrap)
        .create_topics(
            &[NewTopic::new(&topic, -1, -1)
                .assign(0, vec![1, 2])
                .config("min.insync.replicas", "1")],
            TIMEOUT,
        )
        .expect("create");
    assert!(created[0].result.is_ok(), "{:?}", created[0].result);
    wait_for_isr(&bootstrap, &topic, 2);
    assert_eq!(leader_of(&bootstrap, &topic, 0), 1);
    let tp = TopicPartition::new(&topic, 0);
    let group = common::unique_topic("fault-truncation-group");

    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .acks(Acks::Leader)
            .set("enable.idempotence", "false")
            .expect("a setting"),
    )
    .expect("producer");
    send(&producer, &topic, "kept", KEPT);
    let mut reader = consumer(&bootstrap, Some(&group), OffsetReset::Earliest);
    reader.assign(std::slice::from_ref(&tp)).expect("assign");
    assert_eq!(read(&mut reader, KEPT as usize).len(), KEPT as usize);

    // Node 2 goes and leaves the ISR; node 1 alone takes more records.
    cluster.kill(2);
    wait_for_isr(&bootstrap, &topic, 1);
    send(&producer, &topic, "lost", LOST);
    let lost = read(&mut reader, LOST as usize);
    assert_eq!(lost.last().map(|r| r.0), Some(KEPT + LOST - 1));
    reader.commit().expect("commit");
    let committed = reader
        .committed(&tp)
        .expect("committed")
        .expect("an offset");
    assert_eq!(committed.offset, KEPT + LOST);
    assert!(
        committed.leader_epoch.is_some(),
        "the commit carries the leader epoch: {committed:?}"
    );

    // Node 1 goes; node 2 comes back and is elected without the lost records.
    cluster.kill(1);
    cluster.start_node(2);
    leaderless(&bootstrap, &topic);
    let out = common::java::command("org.apache.kafka.tools.LeaderElectionCommand")
        .args([
            "--bootstrap-server",
            &cluster.listener("PLAINTEXT"),
            "--election-type",
            "UNCLEAN",
            "--topic",
            &topic,
            "--partition",
            "0",
        ])
        .output()
        .expect("run LeaderElectionCommand");
    assert!(
        out.status.success(),
        "unclean election: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    common::wait_until(
        "node 2 was not elected",
        TIMEOUT,
        Duration::from_millis(100),
        || match leader_of(&bootstrap, &topic, 0) {
            2 => Ok(()),
            other => Err(format!("node {other} leads")),
        },
    );
    send(&producer, &topic, "new", NEW);

    // The reader goes on from the divergence: every new record, nothing old.
    let after = read(&mut reader, NEW as usize);
    let expected: Vec<(i64, String)> = (0..NEW).map(|i| (KEPT + i, format!("new-{i}"))).collect();
    assert_eq!(after, expected);

    // With no reset policy, the committed offset's truncation is reported.
    let mut strict = consumer(&bootstrap, Some(&group), OffsetReset::None);
    strict.assign(std::slice::from_ref(&tp)).expect("assign");
    let deadline = Instant::now() + TIMEOUT;
    let err = loop {
        match strict.poll(Duration::from_millis(200)) {
            Err(e) => break e,
            Ok(records) => assert!(
                records.is_empty(),
                "records from a truncated position: {:?}",
                records.iter().map(value).collect::<Vec<_>>()
            ),
        }
        assert!(Instant::now() < deadline, "the truncation was not reported");
    };
    assert_eq!(
        err.kind(),
        ErrorKind::Broker(ErrorCode::OFFSET_OUT_OF_RANGE),
        "{err}"
    );
    assert!(err.to_string().contains("truncation"), "{err}");
    let committed = strict
        .committed(&tp)
        .expect("committed")
        .expect("an offset");

    // seek_to_committed keeps the epoch, so the position is validated too.
    let mut seeker = consumer(&bootstrap, None, OffsetReset::Earliest);
    seeker.assign(std::slice::from_ref(&tp)).expect("assign");
    seeker
        .seek_to_committed(&tp, &committed)
        .expect("seek_to_committed");
    let first = read(&mut seeker, 1);
    assert_eq!(first[0], (KEPT, "new-0".to_owned()));

    for mut c in [reader, strict, seeker] {
        c.close().expect("close");
    }
    close_producer(&producer);
    assert_no_client_threads();
}
