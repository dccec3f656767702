//! Several consumer groups rebalancing at the same time on one cluster: each group
//! splits the topic's partitions among its own members, each reads every record
//! exactly once whatever the other groups do, and each commits its own offsets.
//!
//! tansu cannot referee this: its concurrent rebalances of several groups answer
//! UNKNOWN_MEMBER_ID to live members (../shared/brokers.md), which is why the group
//! tests of `consumer_group.rs` run one at a time there. The test runs on Apache Kafka
//! (the shared broker) and on librdkafka's mock cluster, and is not part of the tansu
//! run.
//!
//! On the mock each group has one member: its classic group coordinator answers
//! INVALID_REQUEST to a follower whose SyncGroup arrives after the leader's (it has
//! already moved the group to "up"; Apache Kafka answers with the assignment), and
//! this client's leader sends its SyncGroup as soon as it has computed the
//! assignment, so groups of several members cannot settle there. On Kafka each group
//! has two members.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::produce::TestProducer;
use common::target::Target;
use kafka_sync::{ConsumerRecord, KafkaConsumer, OffsetReset, TopicPartition};

const TIMEOUT: Duration = Duration::from_secs(60);
const PARTITIONS: i32 = 4;
const PER_PARTITION: usize = 40;

fn member(target: &Target, group: &str, topic: &str) -> KafkaConsumer {
    let config = target
        .consumer_config()
        .group_id(group)
        .auto_offset_reset(OffsetReset::Earliest)
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500));
    let mut consumer = KafkaConsumer::new(config).expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    consumer
}

/// The records of one group, in the order its members read them.
#[derive(Default)]
struct GroupRecords(Vec<ConsumerRecord>);

impl GroupRecords {
    /// Distinct (partition, offset) pairs read.
    fn distinct(&self) -> BTreeSet<(i32, i64)> {
        self.0.iter().map(|r| (r.partition, r.offset)).collect()
    }
}

fn split_evenly(members: &[KafkaConsumer]) -> bool {
    let assignments: Vec<BTreeSet<TopicPartition>> =
        members.iter().map(|c| c.assignment()).collect();
    let all: BTreeSet<&TopicPartition> = assignments.iter().flatten().collect();
    all.len() == PARTITIONS as usize
        && assignments.iter().map(BTreeSet::len).sum::<usize>() == PARTITIONS as usize
        && assignments
            .iter()
            .all(|a| a.len() == PARTITIONS as usize / members.len())
}

fn groups_rebalance_at_once(target: &Target, groups: usize, members_per_group: usize) {
    let topic = target.topic("concurrent-groups", PARTITIONS);
    TestProducer::new(&target.bootstrap).fill(&topic, PARTITIONS, 0, PER_PARTITION, 10);

    // All members of all groups join at the same moment.
    let groups: Vec<String> = (0..groups)
        .map(|i| common::unique_topic(&format!("g-concurrent-{i}")))
        .collect();
    let mut members: Vec<Vec<KafkaConsumer>> = groups
        .iter()
        .map(|g| {
            (0..members_per_group)
                .map(|_| member(target, g, &topic))
                .collect()
        })
        .collect();
    let mut read: Vec<GroupRecords> = groups.iter().map(|_| GroupRecords::default()).collect();

    let total = PARTITIONS as usize * PER_PARTITION;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        // Short polls in turn, so one member's join does not hold the others up.
        for (group_members, records) in members.iter_mut().zip(read.iter_mut()) {
            for consumer in group_members.iter_mut() {
                records
                    .0
                    .extend(consumer.poll(Duration::from_millis(50)).expect("poll"));
            }
        }
        let done = members.iter().all(|m| split_evenly(m))
            && read.iter().all(|r| r.distinct().len() == total);
        if done {
            break;
        }
        let sizes: Vec<Vec<usize>> = members
            .iter()
            .map(|m| m.iter().map(|c| c.assignment().len()).collect())
            .collect();
        let counts: Vec<usize> = read.iter().map(|r| r.distinct().len()).collect();
        assert!(
            Instant::now() < deadline,
            "groups did not settle: assignment sizes {sizes:?}, distinct records read {counts:?} of {total}"
        );
    }

    for (group, records) in groups.iter().zip(&read) {
        for r in &records.0 {
            assert_eq!(
                r.value.as_deref(),
                Some(format!("{}-{}", r.partition, r.offset).as_bytes()),
                "group {group}: wrong value at {}@{}",
                r.partition,
                r.offset
            );
        }
        // Revoked partitions are committed before they move (auto commit is on), so
        // the new owner resumes where the old one stopped: nothing is read twice.
        assert_eq!(
            records.0.len(),
            total,
            "group {group} read {} records for {total} distinct ones",
            records.0.len()
        );
    }
    // Each group commits what it read (auto commit on close), and only that: a new
    // member of the group has nothing left to read, and the groups' offsets are their
    // own.
    for consumer in members.iter_mut().flatten() {
        consumer.close().expect("close");
    }
    for group in &groups {
        let mut again = member(target, group, &topic);
        for p in 0..PARTITIONS {
            let tp = TopicPartition::new(&topic, p);
            let committed = again.committed(&tp).expect("committed");
            assert_eq!(
                committed.map(|o| o.offset),
                Some(PER_PARTITION as i64),
                "group {group}, partition {p}"
            );
        }
        again.close().expect("close");
    }
}

#[test]
fn three_single_member_groups_rebalancing_at_once_on_librdkafka_mock() {
    groups_rebalance_at_once(&Target::mock(), 3, 1);
}

#[test]
fn two_groups_of_two_rebalancing_at_once_on_kafka() {
    groups_rebalance_at_once(&Target::broker(), 2, 2);
}
