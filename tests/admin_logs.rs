//! The admin client's record, log dir, election and reassignment calls on Apache
//! Kafka: `delete_records` moves log start offsets (and fails bad partitions alone),
//! `describe_log_dirs` sizes a topic's partitions on the shared broker, and on the
//! shared 3-node cluster a preferred election brings leadership back to the first
//! replica after a reassignment reordered the replicas, and a reassignment throttled
//! to a crawl is listed while it runs, cancelled, then redone to completion.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::produce::{TestProducer, TestRecord};
use kafka_sync::admin::{
    AlterConfigOp, ConfigResource, ElectionType, OffsetSpec, PartitionReassignment,
};
use kafka_sync::TopicMetadata;
use kafka_sync::{
    ErrorCode, ErrorKind, IsolationLevel, KafkaAdminClient, NewTopic, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// The tests on the shared 3-node cluster take turns: an election or a reassignment
/// of one must not move the leaders another is watching.
fn cluster3_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn code_of<T: std::fmt::Debug>(result: &kafka_sync::Result<T>) -> Option<ErrorCode> {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// The log start offset of `tp` as ListOffsets (earliest) reports it.
fn log_start(admin: &KafkaAdminClient, tp: &TopicPartition) -> i64 {
    let found = admin
        .list_offsets(
            &BTreeMap::from([(tp.clone(), OffsetSpec::Earliest)]),
            IsolationLevel::ReadUncommitted,
            TIMEOUT,
        )
        .expect("list_offsets");
    found[tp]
        .as_ref()
        .expect("earliest offset")
        .expect("an offset")
        .offset
}

#[test]
fn delete_records_moves_the_log_start_and_fails_bad_partitions_alone() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-delete-records");
    common::create_topic(&topic, 2);
    TestProducer::new(&common::bootstrap()).fill(&topic, 2, 0, 10, 5);
    let (p0, p1) = (
        TopicPartition::new(&topic, 0),
        TopicPartition::new(&topic, 1),
    );
    assert_eq!((log_start(&admin, &p0), log_start(&admin, &p1)), (0, 0));

    let deleted = admin
        .delete_records(
            &BTreeMap::from([(p0.clone(), 4), (p1.clone(), -1)]),
            TIMEOUT,
        )
        .expect("delete_records");
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[&p0], Ok(4), "mid-batch: the offset asked for");
    assert_eq!(deleted[&p1], Ok(10), "-1: up to the high watermark");
    assert_eq!((log_start(&admin, &p0), log_start(&admin, &p1)), (4, 10));

    let unknown = TopicPartition::new(common::unique_topic("admin-delete-missing"), 0);
    let no_such_partition = TopicPartition::new(&topic, 5);
    let mixed = admin
        .delete_records(
            &BTreeMap::from([
                (p0.clone(), 11),
                (p1.clone(), 10),
                (unknown.clone(), 1),
                (no_such_partition.clone(), 1),
                (TopicPartition::new(&topic, -1), 1),
            ]),
            TIMEOUT,
        )
        .expect("delete_records");
    assert_eq!(mixed.len(), 5, "{mixed:?}");
    assert_eq!(
        code_of(&mixed[&p0]),
        Some(ErrorCode::OFFSET_OUT_OF_RANGE),
        "past the high watermark"
    );
    assert_eq!(mixed[&p1], Ok(10), "the other partition of the same call");
    assert_eq!(
        code_of(&mixed[&unknown]),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
    );
    assert_eq!(
        code_of(&mixed[&no_such_partition]),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
    );
    let negative = mixed[&TopicPartition::new(&topic, -1)]
        .as_ref()
        .expect_err("a negative partition");
    assert_eq!(negative.kind(), ErrorKind::InvalidArgument, "{negative}");
    assert_eq!(
        log_start(&admin, &p0),
        4,
        "a failed deletion deletes nothing"
    );

    let behind = admin
        .delete_records(&BTreeMap::from([(p0.clone(), 2)]), TIMEOUT)
        .expect("delete_records");
    assert_eq!(
        behind[&p0],
        Ok(4),
        "the log start offset never moves back: the low watermark stays"
    );
    assert!(admin
        .delete_records(&BTreeMap::new(), TIMEOUT)
        .expect("nothing to do")
        .is_empty());
}

#[test]
fn describe_log_dirs_sizes_the_topics_partitions() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-log-dirs");
    common::create_topic(&topic, 2);
    TestProducer::new(&common::bootstrap()).fill(&topic, 2, 0, 20, 10);
    let node = admin
        .describe_cluster(TIMEOUT)
        .expect("describe_cluster")
        .brokers[0]
        .id;
    let absent = node + 1000;

    let described = admin
        .describe_log_dirs(&[absent, node, node], TIMEOUT)
        .expect("describe_log_dirs");
    assert_eq!(described.len(), 2, "{described:?}");
    let missing = described[&absent].as_ref().expect_err("no such broker");
    assert_eq!(missing.kind(), ErrorKind::InvalidArgument, "{missing}");

    let dirs = described[&node].as_ref().expect("the broker's log dirs");
    assert!(!dirs.is_empty());
    for (path, dir) in dirs {
        assert_eq!(&dir.path, path);
        assert_eq!(dir.error, None, "{path}");
        let (total, usable) = (
            dir.total_bytes.expect("total"),
            dir.usable_bytes.expect("usable"),
        );
        assert!(total > 0 && (0..=total).contains(&usable), "{dir:?}");
    }
    for partition in 0..2 {
        let tp = TopicPartition::new(&topic, partition);
        let replicas: Vec<_> = dirs.values().filter_map(|d| d.replicas.get(&tp)).collect();
        assert_eq!(replicas.len(), 1, "{tp} is in one log dir: {dirs:?}");
        assert!(replicas[0].size > 0, "{tp}: {:?}", replicas[0]);
        assert_eq!(replicas[0].offset_lag, 0, "{tp}: {:?}", replicas[0]);
        assert!(!replicas[0].is_future, "{tp}: {:?}", replicas[0]);
    }
}

/// The partitions of `topic` as the cluster describes them now.
fn described(admin: &KafkaAdminClient, topic: &str) -> Result<TopicMetadata, String> {
    let mut topics = admin
        .describe_topics(&[topic], TIMEOUT)
        .map_err(|e| e.to_string())?;
    Ok(topics.remove(0))
}

/// Waits until every partition of `topic` has the `replicas` the map gives (in that
/// order if `in_order`), all in sync, and no reassignment is under way.
fn wait_for_replicas(
    admin: &KafkaAdminClient,
    topic: &str,
    replicas: &BTreeMap<i32, Vec<i32>>,
    in_order: bool,
) -> TopicMetadata {
    let same = |a: &[i32], b: &[i32]| {
        if in_order {
            a == b
        } else {
            a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
        }
    };
    let what = format!("{topic} never had the replicas {replicas:?}");
    common::wait_until(&what, TIMEOUT, POLL, || {
        let t = described(admin, topic)?;
        let settled = !t.partitions.is_empty()
            && t.partitions.iter().all(|p| {
                replicas
                    .get(&p.partition)
                    .is_none_or(|r| same(&p.replicas, r) && p.isr.len() == r.len())
            });
        let partitions: Vec<TopicPartition> = replicas
            .keys()
            .map(|&p| TopicPartition::new(topic, p))
            .collect();
        let ongoing = admin
            .list_partition_reassignments(Some(&partitions), TIMEOUT)
            .map_err(|e| e.to_string())?;
        if settled && ongoing.is_empty() {
            Ok(t)
        } else {
            Err(format!("{t:?}; under way: {ongoing:?}"))
        }
    })
}

/// Waits until `broker` leads `topic`-`partition`.
fn wait_for_leader(admin: &KafkaAdminClient, topic: &str, partition: i32, broker: i32) {
    let what = format!("{topic}-{partition} never was led by {broker}");
    common::wait_until(&what, TIMEOUT, POLL, || {
        let t = described(admin, topic)?;
        match t.partitions.iter().find(|p| p.partition == partition) {
            Some(p) if p.leader == Some(broker) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}

#[test]
fn a_preferred_election_brings_leadership_back_to_the_first_replica() {
    let _turn = cluster3_turn();
    let bootstrap = common::cluster3().bootstrap();
    let admin = common::faults::admin(&bootstrap);
    let topic = common::unique_topic("admin-elect");
    let created = admin
        .create_topics(
            &[NewTopic::new(&topic, -1, -1)
                .assign(0, vec![1, 2, 3])
                .assign(1, vec![1, 2, 3])],
            TIMEOUT,
        )
        .expect("create topic");
    assert!(created[0].result.is_ok(), "{:?}", created[0].result);
    common::faults::wait_for_isr(&bootstrap, &topic, 3);
    let (p0, p1) = (
        TopicPartition::new(&topic, 0),
        TopicPartition::new(&topic, 1),
    );
    wait_for_leader(&admin, &topic, 0, 1);
    wait_for_leader(&admin, &topic, 1, 1);

    let unknown = TopicPartition::new(common::unique_topic("admin-elect-missing"), 0);
    let already = admin
        .elect_leaders(
            ElectionType::Preferred,
            Some(&[p0.clone(), unknown.clone()]),
            TIMEOUT,
        )
        .expect("elect_leaders");
    assert_eq!(already.len(), 2, "{already:?}");
    assert_eq!(
        code_of(&already[&p0]),
        Some(ErrorCode::ELECTION_NOT_NEEDED),
        "broker 1 is the preferred leader and leads"
    );
    assert_eq!(
        code_of(&already[&unknown]),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
    );

    // The same replicas in a new order: broker 2 becomes the preferred leader, while
    // broker 1, still a replica in sync, keeps leading.
    let reordered = BTreeMap::from([(0, vec![2, 1, 3]), (1, vec![3, 1, 2])]);
    let changes: BTreeMap<TopicPartition, Option<Vec<i32>>> = reordered
        .iter()
        .map(|(&p, r)| (TopicPartition::new(&topic, p), Some(r.clone())))
        .collect();
    let altered = admin
        .alter_partition_reassignments(&changes, TIMEOUT)
        .expect("alter_partition_reassignments");
    assert!(altered.values().all(Result::is_ok), "{altered:?}");
    let t = wait_for_replicas(&admin, &topic, &reordered, true);
    let leaders: Vec<Option<i32>> = t.partitions.iter().map(|p| p.leader).collect();
    assert_eq!(leaders, [Some(1), Some(1)], "{t:?}");

    let unclean = admin
        .elect_leaders(
            ElectionType::Unclean,
            Some(std::slice::from_ref(&p0)),
            TIMEOUT,
        )
        .expect("elect_leaders");
    assert_eq!(
        code_of(&unclean[&p0]),
        Some(ErrorCode::ELECTION_NOT_NEEDED),
        "an unclean election is only for partitions without a leader"
    );

    let elected = admin
        .elect_leaders(
            ElectionType::Preferred,
            Some(std::slice::from_ref(&p0)),
            TIMEOUT,
        )
        .expect("elect_leaders");
    assert_eq!(elected, BTreeMap::from([(p0.clone(), Ok(()))]));
    wait_for_leader(&admin, &topic, 0, 2);

    // Every partition: the result lists those the controller elected, among them
    // partition 1, whose preferred leader is broker 3.
    let all = admin
        .elect_leaders(ElectionType::Preferred, None, TIMEOUT)
        .expect("elect_leaders");
    assert_eq!(all.get(&p1), Some(&Ok(())), "{all:?}");
    wait_for_leader(&admin, &topic, 1, 3);
    assert!(
        !all.contains_key(&p0) || code_of(&all[&p0]) == Some(ErrorCode::ELECTION_NOT_NEEDED),
        "{all:?}"
    );
    let again = admin
        .elect_leaders(
            ElectionType::Preferred,
            Some(&[p0.clone(), p1.clone()]),
            TIMEOUT,
        )
        .expect("elect_leaders");
    for tp in [&p0, &p1] {
        assert_eq!(
            code_of(&again[tp]),
            Some(ErrorCode::ELECTION_NOT_NEEDED),
            "{tp}"
        );
    }
    assert!(admin
        .elect_leaders(ElectionType::Preferred, Some(&[]), TIMEOUT)
        .expect("nothing to elect")
        .is_empty());
}

/// Sets (`Some`) or removes (`None`) the replication throttle rate of every broker of
/// the 3-node cluster.
fn throttle_brokers(admin: &KafkaAdminClient, rate: Option<&str>) {
    let ops: Vec<AlterConfigOp> = ["leader", "follower"]
        .iter()
        .map(|side| {
            let name = format!("{side}.replication.throttled.rate");
            match rate {
                Some(rate) => AlterConfigOp::set(name, rate),
                None => AlterConfigOp::delete(name),
            }
        })
        .collect();
    let changes: BTreeMap<ConfigResource, Vec<AlterConfigOp>> = (1..=3)
        .map(|id| (ConfigResource::broker(id), ops.clone()))
        .collect();
    let altered = admin
        .incremental_alter_configs(&changes, false, TIMEOUT)
        .expect("incremental_alter_configs");
    assert!(altered.values().all(Result::is_ok), "{altered:?}");
}

#[test]
fn a_reassignment_is_listed_while_it_runs_cancelled_and_redone() {
    let _turn = cluster3_turn();
    let bootstrap = common::cluster3().bootstrap();
    let admin = common::faults::admin(&bootstrap);
    let topic = common::unique_topic("admin-reassign");
    // Every replica of the topic is throttled, once the brokers have a rate.
    let created = admin
        .create_topics(
            &[NewTopic::new(&topic, -1, -1)
                .assign(0, vec![1, 2])
                .assign(1, vec![1, 2])
                .config("leader.replication.throttled.replicas", "*")
                .config("follower.replication.throttled.replicas", "*")],
            TIMEOUT,
        )
        .expect("create topic");
    assert!(created[0].result.is_ok(), "{:?}", created[0].result);
    common::faults::wait_for_isr(&bootstrap, &topic, 2);
    // Several MiB in partition 0: more than one replica fetch (1 MiB) can carry, so
    // a new replica throttled to 1 byte/s cannot catch up.
    let mut producer = TestProducer::new(&bootstrap);
    let value = vec![b'x'; 1024];
    for _ in 0..6 {
        let batch: Vec<TestRecord> = (0..500).map(|_| TestRecord::value(value.clone())).collect();
        producer.send_batch(&topic, 0, &batch);
    }
    let (p0, p1) = (
        TopicPartition::new(&topic, 0),
        TopicPartition::new(&topic, 1),
    );

    throttle_brokers(&admin, Some("1"));
    let unknown = TopicPartition::new(common::unique_topic("admin-reassign-missing"), 0);
    let altered = admin
        .alter_partition_reassignments(
            &BTreeMap::from([
                (p0.clone(), Some(vec![2, 3])),
                (p1.clone(), None),
                (unknown.clone(), Some(vec![1, 2])),
                (TopicPartition::new(&topic, -1), Some(vec![1, 2])),
            ]),
            TIMEOUT,
        )
        .expect("alter_partition_reassignments");
    assert_eq!(altered.len(), 4, "{altered:?}");
    assert_eq!(altered[&p0], Ok(()));
    assert_eq!(
        code_of(&altered[&p1]),
        Some(ErrorCode::NO_REASSIGNMENT_IN_PROGRESS),
        "nothing to cancel"
    );
    assert_eq!(
        code_of(&altered[&unknown]),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
    );
    let negative = altered[&TopicPartition::new(&topic, -1)]
        .as_ref()
        .expect_err("a negative partition");
    assert_eq!(negative.kind(), ErrorKind::InvalidArgument, "{negative}");

    let running = PartitionReassignment {
        replicas: vec![2, 3, 1],
        adding_replicas: vec![3],
        removing_replicas: vec![1],
    };
    let listed = admin
        .list_partition_reassignments(Some(&[p0.clone(), p1.clone()]), TIMEOUT)
        .expect("list_partition_reassignments");
    assert_eq!(listed, BTreeMap::from([(p0.clone(), running.clone())]));
    let everything = admin
        .list_partition_reassignments(None, TIMEOUT)
        .expect("list_partition_reassignments");
    assert_eq!(everything.get(&p0), Some(&running), "{everything:?}");
    assert!(!everything.contains_key(&p1), "{everything:?}");

    let cancelled = admin
        .alter_partition_reassignments(&BTreeMap::from([(p0.clone(), None)]), TIMEOUT)
        .expect("cancel");
    assert_eq!(cancelled, BTreeMap::from([(p0.clone(), Ok(()))]));
    // Back to the replicas it had; the order is the controller's (Kafka 4.4 keeps
    // that of the cancelled target: [2, 1]).
    let back = BTreeMap::from([(0, vec![1, 2]), (1, vec![1, 2])]);
    wait_for_replicas(&admin, &topic, &back, false);
    let again = admin
        .alter_partition_reassignments(&BTreeMap::from([(p0.clone(), None)]), TIMEOUT)
        .expect("cancel again");
    assert_eq!(
        code_of(&again[&p0]),
        Some(ErrorCode::NO_REASSIGNMENT_IN_PROGRESS)
    );

    throttle_brokers(&admin, None);
    let moved = BTreeMap::from([(0, vec![2, 3]), (1, vec![3, 1])]);
    let changes: BTreeMap<TopicPartition, Option<Vec<i32>>> = moved
        .iter()
        .map(|(&p, r)| (TopicPartition::new(&topic, p), Some(r.clone())))
        .collect();
    let altered = admin
        .alter_partition_reassignments(&changes, TIMEOUT)
        .expect("alter_partition_reassignments");
    assert!(altered.values().all(Result::is_ok), "{altered:?}");
    let t = wait_for_replicas(&admin, &topic, &moved, true);
    for p in &t.partitions {
        let replicas: BTreeSet<i32> = moved[&p.partition].iter().copied().collect();
        assert!(
            p.leader.is_some_and(|l| replicas.contains(&l)),
            "the leader is one of the new replicas: {p:?}"
        );
    }
    assert!(admin
        .list_partition_reassignments(Some(&[]), TIMEOUT)
        .expect("nothing to list")
        .is_empty());
}
