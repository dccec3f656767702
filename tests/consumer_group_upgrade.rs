//! An online upgrade of a classic group to KIP-848's consumer protocol, on Apache
//! Kafka 4.x: while a producer keeps filling the topic, the classic members are
//! replaced one at a time by members with `group.protocol=consumer` in the same group.
//! The first of them turns the group into a consumer group with classic members in it
//! (the broker's `group.consumer.migration.policy`, `bidirectional` by default in
//! Kafka 4.x, allows it), which the broker then assigns itself: the classic members
//! go on with JoinGroup, SyncGroup and Heartbeat and are told when to rejoin. No
//! record may be lost on the way, and at the end the coordinator describes a consumer
//! group of the new members only. Records read twice are counted and printed, not
//! failed: auto-commit is on and every member closes cleanly, so there should be none,
//! but a commit refused during a rebalance is at-least-once delivery, not a loss.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::produce::{TestProducer, TestRecord};
use kafka_sync::admin::{ConsumerGroupDescription, GroupState, GroupType};
use kafka_sync::{
    AssignmentStrategy, ConsumerConfig, GroupProtocol, KafkaConsumer, NewTopic, OffsetReset,
};

const TIMEOUT: Duration = Duration::from_secs(60);
const PARTITIONS: i32 = 6;
const MEMBERS: usize = 3;
/// Records the producer adds to each partition at every step of the test.
const PER_STEP: usize = 2;

/// One of our members.
struct Member {
    consumer: KafkaConsumer,
    protocol: GroupProtocol,
}

impl Member {
    fn partitions(&self) -> BTreeSet<i32> {
        self.consumer
            .assignment()
            .iter()
            .map(|tp| tp.partition)
            .collect()
    }
}

/// The group under upgrade, the producer that keeps filling its topic, and what was
/// read and written.
struct Upgrade {
    topic: String,
    group_id: String,
    strategy: AssignmentStrategy,
    members: Vec<Member>,
    producer: TestProducer,
    /// The next offset of each partition: everything below was written.
    produced: Vec<i64>,
    /// Every record read, by any member, in the order read.
    read: Vec<(i32, i64)>,
    /// Records read per member, by the member's name (`classic-0`, `consumer-1`...).
    read_by: BTreeMap<String, usize>,
    names: Vec<String>,
}

impl Upgrade {
    fn config(&self, protocol: GroupProtocol) -> ConsumerConfig {
        let config = ConsumerConfig::new(&common::bootstrap())
            .group_id(&self.group_id)
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(true)
            .auto_commit_interval(Duration::from_secs(1))
            .group_protocol(protocol);
        match protocol {
            GroupProtocol::Classic => config
                .session_timeout(Duration::from_secs(6))
                .heartbeat_interval(Duration::from_millis(500))
                .partition_assignment_strategy(&[self.strategy]),
            // The session timeout and heartbeat interval are the broker's (the test
            // clusters set 6 s and 500 ms).
            GroupProtocol::Consumer => config,
        }
    }

    fn join(&mut self, protocol: GroupProtocol, name: String) {
        let mut consumer = KafkaConsumer::new(self.config(protocol)).expect("consumer");
        consumer.subscribe(&[&self.topic]).expect("subscribe");
        self.members.push(Member { consumer, protocol });
        self.read_by.insert(name.clone(), 0);
        self.names.push(name);
    }

    /// Closes the oldest member (auto-commit commits its positions on close, and it
    /// leaves the group).
    fn close_oldest(&mut self) {
        let mut member = self.members.remove(0);
        let name = self.names.remove(0);
        member
            .consumer
            .close()
            .unwrap_or_else(|e| panic!("closing {name}: {e}"));
    }

    /// Writes a few records to every partition, then polls every member once, briefly.
    fn step(&mut self, producing: bool) {
        if producing {
            for p in 0..PARTITIONS {
                let records: Vec<TestRecord> = (0..PER_STEP)
                    .map(|i| {
                        TestRecord::value(format!("{p}-{}", self.produced[p as usize] + i as i64))
                    })
                    .collect();
                let base = self.producer.send_batch(&self.topic, p, &records);
                assert_eq!(
                    base, self.produced[p as usize],
                    "partition {p} took a write from elsewhere"
                );
                self.produced[p as usize] += PER_STEP as i64;
            }
        }
        for (member, name) in self.members.iter_mut().zip(&self.names) {
            let records = member
                .consumer
                .poll(Duration::from_millis(50))
                .unwrap_or_else(|e| panic!("{name} polling: {e}"));
            *self.read_by.get_mut(name).expect("a member") += records.len();
            self.read
                .extend(records.iter().map(|r| (r.partition, r.offset)));
        }
    }

    fn assignments(&self) -> Vec<(String, BTreeSet<i32>)> {
        self.names
            .iter()
            .cloned()
            .zip(self.members.iter().map(Member::partitions))
            .collect()
    }

    /// Steps (producing) until every member owns `PARTITIONS / members` partitions, no
    /// two the same, and the newest member has read records since.
    fn wait_for_split(&mut self, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        let each = PARTITIONS as usize / self.members.len();
        loop {
            self.step(true);
            let assignments = self.assignments();
            let union: BTreeSet<i32> = assignments.iter().flat_map(|(_, a)| a).copied().collect();
            let total: usize = assignments.iter().map(|(_, a)| a.len()).sum();
            if total == PARTITIONS as usize
                && union.len() == PARTITIONS as usize
                && assignments.iter().all(|(_, a)| a.len() == each)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: no disjoint {each}-each split of {PARTITIONS} partitions: \
                 {assignments:?}"
            );
        }
        let newest = self.names.last().expect("a member").clone();
        let before = self.read_by[&newest];
        while self.read_by[&newest] == before {
            assert!(
                Instant::now() < deadline,
                "{what}: {newest} owns {:?} but reads nothing",
                self.members.last().map(Member::partitions)
            );
            self.step(true);
        }
    }

    fn describe(&self) -> ConsumerGroupDescription {
        common::admin()
            .describe_consumer_groups(&[&self.group_id], TIMEOUT)
            .expect("describe")
            .remove(&self.group_id)
            .expect("the group")
            .expect("described")
    }

    /// How the coordinator's description differs from what the members say: members
    /// (by id) and their assignments, or the group not stable yet; `None` if it agrees.
    fn disagreement(&self, described: &ConsumerGroupDescription) -> Option<String> {
        let mut ours = BTreeMap::new();
        for (member, name) in self.members.iter().zip(&self.names) {
            // A classic member has no id while it rejoins.
            let Some(id) = member.consumer.member_id() else {
                return Some(format!("{name} is rejoining"));
            };
            ours.insert(id, member.partitions());
        }
        let theirs: BTreeMap<String, BTreeSet<i32>> = described
            .members
            .iter()
            .map(|m| {
                let partitions = m.assignment.iter().map(|tp| tp.partition).collect();
                (m.member_id.clone(), partitions)
            })
            .collect();
        if theirs != ours {
            return Some(format!(
                "the members ({:?}) own {ours:?}, the coordinator says {theirs:?}",
                self.names
            ));
        }
        (described.state != GroupState::Stable).then(|| format!("{}", described.state))
    }

    /// Steps until the coordinator describes the group as stable, with our members
    /// (by member id) owning what they say they own; returns that description.
    fn settle(&mut self, producing: bool, what: &str) -> ConsumerGroupDescription {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let described = self.describe();
            let Some(disagreement) = self.disagreement(&described) else {
                return described;
            };
            assert!(
                Instant::now() < deadline,
                "{what}: {disagreement}\n{described:?}"
            );
            self.step(producing);
        }
    }
}

fn classic_group_upgrades_member_by_member(strategy: AssignmentStrategy) {
    common::log_to_stderr();
    let topic = common::unique_topic(&format!("upgrade-{}", strategy.name()));
    common::admin()
        .create_topics(&[NewTopic::new(&topic, PARTITIONS, 1)], TIMEOUT)
        .expect("create topic")[0]
        .result
        .clone()
        .expect("topic created");
    let mut upgrade = Upgrade {
        group_id: common::unique_topic(&format!("g-upgrade-{}", strategy.name())),
        topic,
        strategy,
        members: Vec::new(),
        producer: TestProducer::new(&common::bootstrap()),
        produced: vec![0; PARTITIONS as usize],
        read: Vec::new(),
        read_by: BTreeMap::new(),
        names: Vec::new(),
    };

    for i in 0..MEMBERS {
        upgrade.join(GroupProtocol::Classic, format!("classic-{i}"));
    }
    upgrade.wait_for_split("the classic group");
    let described = upgrade.settle(true, "the classic group");
    assert_eq!(described.group_type, GroupType::Classic, "{described:?}");

    // Member by member: a classic one leaves, a consumer-protocol one takes its place.
    for i in 0..MEMBERS {
        upgrade.close_oldest();
        upgrade.join(GroupProtocol::Consumer, format!("consumer-{i}"));
        upgrade.wait_for_split(&format!("consumer-protocol member {i} in"));
        // Classic members and consumer-protocol ones in one consumer group.
        let described = upgrade.settle(true, &format!("consumer-protocol member {i} in"));
        assert_eq!(
            described.group_type,
            GroupType::Consumer,
            "after consumer-protocol member {i} joined: {described:?}"
        );
        // The coordinator tells which protocol each member speaks (KIP-1099).
        for member in &upgrade.members {
            let id = member.consumer.member_id().expect("a member id");
            let theirs = described
                .members
                .iter()
                .find(|m| m.member_id == id)
                .expect("the member described");
            let expected = match member.protocol {
                GroupProtocol::Classic => GroupType::Classic,
                GroupProtocol::Consumer => GroupType::Consumer,
            };
            assert_eq!(theirs.member_type, Some(expected), "{theirs:?}");
        }
    }
    assert!(upgrade
        .members
        .iter()
        .all(|m| m.protocol == GroupProtocol::Consumer));

    // The producer stops; the members read to the end.
    let deadline = Instant::now() + TIMEOUT;
    let expected: BTreeSet<(i32, i64)> = (0..PARTITIONS)
        .flat_map(|p| (0..upgrade.produced[p as usize]).map(move |o| (p, o)))
        .collect();
    loop {
        let unique: BTreeSet<(i32, i64)> = upgrade.read.iter().copied().collect();
        if unique == expected {
            break;
        }
        let missing: Vec<&(i32, i64)> = expected.difference(&unique).take(20).collect();
        assert!(
            Instant::now() < deadline,
            "{} of {} records never read; the first: {missing:?}",
            expected.len() - expected.intersection(&unique).count(),
            expected.len()
        );
        upgrade.step(false);
    }
    let described = upgrade.settle(false, "the upgraded group");
    assert_eq!(described.group_type, GroupType::Consumer, "{described:?}");
    assert_eq!(described.partition_assignor, "uniform", "{described:?}");
    for m in &described.members {
        // Consumer-protocol members make their own ids (KIP-1082: a UUID); the broker
        // named the classic ones `client.id-UUID`.
        assert!(
            !m.member_id.starts_with(&format!("{}-", m.client_id)),
            "a member id the broker gave a classic member: {m:?}"
        );
        assert!(m.member_epoch.is_some_and(|e| e > 0), "{m:?}");
        assert_eq!(m.subscribed_topics, vec![upgrade.topic.clone()], "{m:?}");
        assert_eq!(
            m.target_assignment.as_ref(),
            Some(&m.assignment),
            "reconciled: {m:?}"
        );
    }
    let unexpected: Vec<&(i32, i64)> = upgrade
        .read
        .iter()
        .filter(|r| !expected.contains(r))
        .collect();
    assert!(
        unexpected.is_empty(),
        "read records never written: {unexpected:?}"
    );
    let duplicates = upgrade.read.len() - expected.len();
    eprintln!(
        "{}: {} records written and read, {duplicates} read twice; read per member: {:?}",
        strategy.name(),
        expected.len(),
        upgrade.read_by
    );

    for (member, name) in upgrade.members.iter_mut().zip(&upgrade.names) {
        member
            .consumer
            .close()
            .unwrap_or_else(|e| panic!("closing {name}: {e}"));
    }
}

/// Classic members with an eager assignor (range), replaced one by one.
#[test]
fn eager_classic_group_upgrades_to_the_consumer_protocol_member_by_member() {
    classic_group_upgrades_member_by_member(AssignmentStrategy::Range);
}

/// Classic members with cooperative-sticky (KIP-429), replaced one by one.
#[test]
fn cooperative_classic_group_upgrades_to_the_consumer_protocol_member_by_member() {
    classic_group_upgrades_member_by_member(AssignmentStrategy::CooperativeSticky);
}
