//! A group shared with librdkafka (confluent-kafka): under the classic protocol the
//! standard consumer protocol encoding lets either client lead the group and assign
//! partitions to the other; under KIP-848's consumer protocol the broker assigns both.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::produce::TestProducer;
use kafka_sync::admin::{GroupState, GroupType};
use kafka_sync::{AdminConfig, KafkaAdminClient};
use kafka_sync::{
    AssignmentStrategy, ConsumerConfig, GroupProtocol, KafkaConsumer, NewTopic, OffsetReset,
};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A confluent-kafka member in a child process; its events arrive as lines.
struct PythonMember {
    child: Child,
    lines: Receiver<String>,
    assigned: BTreeSet<i32>,
    records: Vec<(i32, i64)>,
    /// Where its stderr goes.
    log: PathBuf,
}

impl PythonMember {
    /// A classic-protocol member of `group` on the shared broker.
    fn start(group: &str, topic: &str, assignor: &str) -> PythonMember {
        PythonMember::start_with(&common::bootstrap(), group, topic, assignor, "classic")
    }

    /// A member on `bootstrap` with the group `protocol` (`classic` or `consumer`)
    /// and `assignor` (the classic strategy, or the consumer protocol's remote
    /// assignor, `-` for the broker's default).
    fn start_with(
        bootstrap: &str,
        group: &str,
        topic: &str,
        assignor: &str,
        protocol: &str,
    ) -> PythonMember {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let logs = root.join("target/python-members");
        std::fs::create_dir_all(&logs).expect("create target/python-members");
        let log = logs.join(format!("{group}-{}.log", common::unique_topic("member")));
        let mut child = Command::new(common::mock::python())
            .arg(root.join("tests/support/group_member.py"))
            .args([bootstrap, group, topic, assignor, protocol])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("create the member's log"))
            .spawn()
            .expect("start the confluent-kafka member");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        PythonMember {
            child,
            lines,
            assigned: BTreeSet::new(),
            records: Vec::new(),
            log,
        }
    }

    /// What the member wrote to stderr so far.
    fn stderr(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!(
            "--- stderr of the confluent-kafka member ({}):\n{text}",
            self.log.display()
        )
    }

    /// Closes the consumer (which leaves the group) and waits until the process has
    /// exited, taking in what it printed until then.
    fn leave(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.absorb(Duration::from_millis(100));
            if let Some(status) = self.child.try_wait().expect("the member's status") {
                assert!(
                    status.success(),
                    "the member failed ({status})\n{}",
                    self.stderr()
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the member still runs {TIMEOUT:?} after its stdin closed\n{}",
                self.stderr()
            );
        }
        // What it printed last arrives before the channel closes.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.take(&line);
        }
        self.assigned.clear();
    }

    fn take(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("assigned") => {
                self.assigned = words.map(|w| w.parse().expect("a partition")).collect();
            }
            Some("record") => {
                let p = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .expect("partition");
                let o = words.next().and_then(|w| w.parse().ok()).expect("offset");
                self.records.push((p, o));
            }
            _ => panic!("the confluent-kafka member said: {line}\n{}", self.stderr()),
        }
    }

    /// Takes in the lines printed so far, waiting up to `wait` for the first.
    fn absorb(&mut self, wait: Duration) {
        let mut next = self.lines.recv_timeout(wait).ok();
        while let Some(line) = next {
            self.take(&line);
            next = self.lines.try_recv().ok();
        }
    }
}

impl Drop for PythonMember {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut exited = false;
        while !exited && Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => exited = true,
                // Drained unread, so that the member never blocks on a full pipe.
                Ok(None) => {
                    while self.lines.try_recv().is_ok() {}
                    let _ = self.lines.recv_timeout(Duration::from_millis(100));
                }
            }
        }
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The log of a test that passed is of no more use; a failed test's stays.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// tansu can fence live members when several groups rebalance at once
/// (../shared/brokers.md): one mixed group at a time there.
fn serial() -> Option<std::sync::MutexGuard<'static, ()>> {
    common::serial_on_tansu()
}

fn mixed_group_splits_and_reads_every_record_once(python_leads: bool) {
    let _serial = serial();
    let topic = common::unique_topic("mixed");
    common::admin()
        .create_topics(&[NewTopic::new(&topic, 4, 1)], TIMEOUT)
        .expect("create topic")[0]
        .result
        .clone()
        .expect("topic created");
    let group = common::unique_topic("g-mixed");
    let config = ConsumerConfig::new(&common::bootstrap())
        .group_id(&group)
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false)
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500))
        .partition_assignment_strategy(&[AssignmentStrategy::Range]);
    let mut ours = KafkaConsumer::new(config).unwrap();
    ours.subscribe(&[&topic]).unwrap();

    let mut python = None;
    if python_leads {
        let mut member = PythonMember::start(&group, &topic, "range");
        let deadline = Instant::now() + TIMEOUT;
        while member.assigned.len() != 4 {
            assert!(
                Instant::now() < deadline,
                "the confluent-kafka member never got the partitions"
            );
            member.absorb(Duration::from_millis(100));
        }
        python = Some(member);
    } else {
        let deadline = Instant::now() + TIMEOUT;
        while ours.assignment().len() != 4 {
            assert!(
                Instant::now() < deadline,
                "our member never got the partitions"
            );
            assert!(ours.poll(Duration::from_millis(100)).unwrap().is_empty());
        }
    }
    let mut python = python.unwrap_or_else(|| PythonMember::start(&group, &topic, "range"));

    // Both rebalance to a 2/2 split (range: the member id order decides who gets 0-1).
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(ours.poll(Duration::from_millis(50)).unwrap().is_empty());
        python.absorb(Duration::from_millis(10));
        let mine: BTreeSet<i32> = ours.assignment().iter().map(|tp| tp.partition).collect();
        if mine.len() == 2 && python.assigned.len() == 2 && mine.is_disjoint(&python.assigned) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no 2/2 split: ours {mine:?}, theirs {:?}",
            python.assigned
        );
    }

    TestProducer::new(&common::bootstrap()).fill(&topic, 4, 0, 100, 25);
    let mut mine = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while mine.len() + python.records.len() < 400 {
        assert!(
            Instant::now() < deadline,
            "read {} + {} of 400",
            mine.len(),
            python.records.len()
        );
        for r in ours.poll(Duration::from_millis(50)).unwrap() {
            mine.push((r.partition, r.offset));
        }
        python.absorb(Duration::from_millis(10));
    }
    ours.commit().unwrap();
    let mut all: Vec<(i32, i64)> = mine.iter().chain(python.records.iter()).copied().collect();
    all.sort();
    let expected: Vec<(i32, i64)> = (0..4).flat_map(|p| (0..100).map(move |o| (p, o))).collect();
    assert_eq!(
        all, expected,
        "every record exactly once across the two clients"
    );
    assert_eq!(mine.len(), 200);
    ours.close().unwrap();
}

#[test]
fn mixed_group_with_librdkafka_leading() {
    mixed_group_splits_and_reads_every_record_once(true);
}

#[test]
fn mixed_group_with_this_client_leading() {
    mixed_group_splits_and_reads_every_record_once(false);
}

#[test]
fn our_member_takes_over_when_a_librdkafka_member_dies() {
    let _serial = serial();
    let topic = common::unique_topic("mixed-dies");
    common::admin()
        .create_topics(&[NewTopic::new(&topic, 4, 1)], TIMEOUT)
        .expect("create topic")[0]
        .result
        .clone()
        .expect("topic created");
    let group = common::unique_topic("g-dies");
    let config = ConsumerConfig::new(&common::bootstrap())
        .group_id(&group)
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false)
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500))
        .partition_assignment_strategy(&[AssignmentStrategy::Range]);
    let mut ours = KafkaConsumer::new(config).unwrap();
    ours.subscribe(&[&topic]).unwrap();
    let mut python = PythonMember::start(&group, &topic, "range");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(ours.poll(Duration::from_millis(50)).unwrap().is_empty());
        python.absorb(Duration::from_millis(10));
        if ours.assignment().len() == 2 && python.assigned.len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no 2/2 split");
    }
    TestProducer::new(&common::bootstrap()).fill(&topic, 4, 0, 50, 10);
    let mut mine = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while mine.len() + python.records.len() < 200 {
        assert!(Instant::now() < deadline, "first round incomplete");
        mine.extend(
            ours.poll(Duration::from_millis(50))
                .unwrap()
                .into_iter()
                .map(|r| (r.partition, r.offset)),
        );
        python.absorb(Duration::from_millis(10));
    }
    ours.commit().unwrap();
    // Wait for the other member's last commit to land before it dies.
    let deadline = Instant::now() + TIMEOUT;
    for &p in &python.assigned.clone() {
        let tp = kafka_sync::TopicPartition::new(&topic, p);
        while ours.committed(&tp).unwrap().map(|o| o.offset) != Some(50) {
            assert!(
                Instant::now() < deadline,
                "the other member never committed {tp}"
            );
            python.absorb(Duration::from_millis(50));
        }
    }

    // SIGKILL: no LeaveGroup, no more heartbeats. The coordinator drops it after the
    // session timeout and our member gets all partitions.
    let _ = python.child.kill();
    let _ = python.child.wait();
    python.absorb(Duration::from_millis(10));
    let theirs_first_round = python.records.clone();
    let deadline = Instant::now() + TIMEOUT;
    while ours.assignment().len() != 4 {
        assert!(
            Instant::now() < deadline,
            "never took over the dead member's partitions"
        );
        mine.extend(
            ours.poll(Duration::from_millis(100))
                .unwrap()
                .into_iter()
                .map(|r| (r.partition, r.offset)),
        );
    }
    TestProducer::new(&common::bootstrap()).fill(&topic, 4, 50, 50, 10);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        mine.extend(
            ours.poll(Duration::from_millis(100))
                .unwrap()
                .into_iter()
                .map(|r| (r.partition, r.offset)),
        );
        let unique: BTreeSet<(i32, i64)> = mine
            .iter()
            .chain(theirs_first_round.iter())
            .copied()
            .collect();
        if unique.len() == 400 {
            break;
        }
        assert!(Instant::now() < deadline, "read {} of 400", unique.len());
    }
    // The dead member committed after each batch, so nothing it read comes back.
    let mut all: Vec<(i32, i64)> = mine
        .iter()
        .chain(theirs_first_round.iter())
        .copied()
        .collect();
    all.sort();
    let expected: Vec<(i32, i64)> = (0..4).flat_map(|p| (0..100).map(move |o| (p, o))).collect();
    assert_eq!(all, expected, "every record exactly once");
    ours.close().unwrap();
}

/// Our member and librdkafka members of one consumer-protocol group, polled together.
struct ConsumerProtocolGroup {
    ours: KafkaConsumer,
    mine: Vec<(i32, i64)>,
    python: Vec<PythonMember>,
    /// What the members that left read.
    departed: Vec<(i32, i64)>,
}

impl ConsumerProtocolGroup {
    /// Polls everyone once, briefly.
    fn step(&mut self) {
        for r in self.ours.poll(Duration::from_millis(50)).expect("poll") {
            self.mine.push((r.partition, r.offset));
        }
        for member in &mut self.python {
            member.absorb(Duration::from_millis(10));
        }
    }

    /// Every member's partitions, ours first.
    fn assignments(&self) -> Vec<BTreeSet<i32>> {
        let mine = self
            .ours
            .assignment()
            .iter()
            .map(|tp| tp.partition)
            .collect();
        std::iter::once(mine)
            .chain(self.python.iter().map(|m| m.assigned.clone()))
            .collect()
    }

    fn stderr(&self) -> String {
        self.python.iter().map(PythonMember::stderr).collect()
    }

    /// Polls until each member owns `each` of the `partitions`, no two the same.
    fn wait_for_split(&mut self, partitions: i32, each: usize, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.step();
            let assignments = self.assignments();
            let union: BTreeSet<i32> = assignments.iter().flatten().copied().collect();
            let total: usize = assignments.iter().map(BTreeSet::len).sum();
            if total == partitions as usize
                && union == (0..partitions).collect()
                && assignments.iter().all(|a| a.len() == each)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: no disjoint {each}-each split of {partitions} partitions: ours \
                 first, {assignments:?}\n{}",
                self.stderr()
            );
        }
    }

    fn all_records(&self) -> Vec<(i32, i64)> {
        let mut all: Vec<(i32, i64)> = self
            .mine
            .iter()
            .chain(self.python.iter().flat_map(|m| m.records.iter()))
            .chain(self.departed.iter())
            .copied()
            .collect();
        all.sort();
        all
    }

    /// Polls until `count` records arrived across the members.
    fn read(&mut self, count: usize, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.all_records().len() < count {
            assert!(
                Instant::now() < deadline,
                "{what}: read {} of {count} (ours {}, librdkafka {:?})\n{}",
                self.all_records().len(),
                self.mine.len(),
                self.python
                    .iter()
                    .map(|m| m.records.len())
                    .collect::<Vec<_>>(),
                self.stderr()
            );
            self.step();
        }
    }
}

/// KIP-848 on both sides (librdkafka with `group.protocol=consumer`): the broker
/// assigns our member and two librdkafka ones, moves a leaving member's partitions to
/// the others, and every record is read once. On tansu, which lacks the protocol, on
/// a Kafka cluster of this binary's own.
#[test]
fn consumer_protocol_group_with_librdkafka_members_reads_every_record_once() {
    const PARTITIONS: i32 = 6;
    const ROUND: usize = 50;
    let bootstrap = common::consumer_protocol_bootstrap();
    let topic = common::unique_topic("mixed-848");
    common::create_topic_on(&bootstrap, &topic, PARTITIONS);
    let group_id = common::unique_topic("g-mixed-848");
    let config = ConsumerConfig::new(&bootstrap)
        .group_id(&group_id)
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false)
        .group_protocol(GroupProtocol::Consumer);
    let mut ours = KafkaConsumer::new(config).expect("consumer");
    ours.subscribe(&[&topic]).expect("subscribe");
    let mut group = ConsumerProtocolGroup {
        ours,
        mine: Vec::new(),
        python: Vec::new(),
        departed: Vec::new(),
    };
    group.wait_for_split(PARTITIONS, 6, "our member alone");
    for _ in 0..2 {
        group.python.push(PythonMember::start_with(
            &bootstrap, &group_id, &topic, "-", "consumer",
        ));
    }
    group.wait_for_split(PARTITIONS, 2, "ours and two librdkafka members");

    // A member whose partitions stay the same may take a heartbeat to catch up with a
    // new group epoch: until then the group is `Reconciling`.
    let admin = KafkaAdminClient::new(AdminConfig::new(&bootstrap)).expect("admin");
    let deadline = Instant::now() + TIMEOUT;
    let described = loop {
        let described = admin
            .describe_consumer_groups(&[&group_id], TIMEOUT)
            .expect("describe")
            .remove(&group_id)
            .expect("the group")
            .expect("described");
        if described.state == GroupState::Stable {
            break described;
        }
        assert!(Instant::now() < deadline, "never stable: {described:?}");
        group.step();
    };
    assert_eq!(described.group_type, GroupType::Consumer, "{described:?}");
    assert_eq!(described.partition_assignor, "uniform", "{described:?}");
    assert_eq!(described.members.len(), 3, "{described:?}");
    for m in &described.members {
        // Consumer-protocol members make their own ids (KIP-1082: a UUID); the broker
        // names a classic member `client.id-UUID`. So none of these joined classic.
        assert!(
            !m.member_id.starts_with(&format!("{}-", m.client_id)),
            "a member id the broker gave a classic member: {m:?}"
        );
    }
    let our_id = group.ours.member_id().expect("our member id");
    let mut described_assignments: Vec<BTreeSet<i32>> = described
        .members
        .iter()
        .map(|m| m.assignment.iter().map(|tp| tp.partition).collect())
        .collect();
    described_assignments.sort();
    let mut reported = group.assignments();
    reported.sort();
    assert_eq!(
        described_assignments, reported,
        "the assignments as the coordinator and the members see them"
    );
    assert!(
        described.members.iter().any(|m| m.member_id == our_id),
        "our member {our_id} is not in {described:?}"
    );

    let mut producer = TestProducer::new(&bootstrap);
    producer.fill(&topic, PARTITIONS, 0, ROUND, 10);
    group.read(PARTITIONS as usize * ROUND, "first round");
    let assignments = group.assignments();
    for (i, records) in std::iter::once(&group.mine)
        .chain(group.python.iter().map(|m| &m.records))
        .enumerate()
    {
        assert!(!records.is_empty(), "member {i} (0 is ours) read nothing");
        for &(p, o) in records {
            assert!(
                assignments[i].contains(&p),
                "member {i} (0 is ours) read {p}@{o} but partition {p} is not its: \
                 {assignments:?}"
            );
        }
    }
    group.ours.commit().expect("commit");

    // One librdkafka member leaves: the broker moves its partitions to the other two,
    // which go on from the offsets it committed.
    let mut leaving = group.python.pop().expect("a librdkafka member");
    leaving.leave();
    group.departed = std::mem::take(&mut leaving.records);
    drop(leaving);
    group.wait_for_split(PARTITIONS, 3, "after a librdkafka member left");
    producer.fill(&topic, PARTITIONS, ROUND, ROUND, 10);
    group.read(PARTITIONS as usize * ROUND * 2, "second round");

    let expected: Vec<(i32, i64)> = (0..PARTITIONS)
        .flat_map(|p| (0..2 * ROUND as i64).map(move |o| (p, o)))
        .collect();
    assert_eq!(
        group.all_records(),
        expected,
        "every record exactly once across our member and the librdkafka ones"
    );
    group.ours.close().expect("close");
    for member in &mut group.python {
        member.leave();
    }
}
