//! A group shared with librdkafka (confluent-kafka): the standard consumer protocol
//! encoding lets either client lead the group and assign partitions to the other.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::produce::TestProducer;
use kafka_sync::{AssignmentStrategy, ConsumerConfig, KafkaConsumer, NewTopic, OffsetReset};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A confluent-kafka member in a child process; its events arrive as lines.
struct PythonMember {
    child: Child,
    lines: Receiver<String>,
    assigned: BTreeSet<i32>,
    records: Vec<(i32, i64)>,
}

impl PythonMember {
    fn start(group: &str, topic: &str, assignor: &str) -> PythonMember {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(common::mock::python())
            .arg(root.join("tests/support/group_member.py"))
            .args([&common::bootstrap(), group, topic, assignor])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
        }
    }

    /// Takes in the lines printed so far, waiting up to `wait` for the first.
    fn absorb(&mut self, wait: Duration) {
        let mut next = self.lines.recv_timeout(wait).ok();
        while let Some(line) = next {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("assigned") => {
                    self.assigned = words.filter_map(|w| w.parse().ok()).collect();
                }
                Some("revoked") => self.assigned.clear(),
                Some("record") => {
                    let p = words
                        .next()
                        .and_then(|w| w.parse().ok())
                        .expect("partition");
                    let o = words.next().and_then(|w| w.parse().ok()).expect("offset");
                    self.records.push((p, o));
                }
                _ => panic!("the confluent-kafka member said: {line}"),
            }
            next = self.lines.try_recv().ok();
        }
    }
}

impl Drop for PythonMember {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            self.absorb(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
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
