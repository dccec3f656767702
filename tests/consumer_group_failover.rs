//! A member of a consumer-protocol group (KIP-848) of three is killed, SIGKILL of its
//! process (`examples/group_member.rs`), while records keep coming in: its partitions
//! must move to the two others within the session timeout, and the two others must
//! never stop. None of their partitions is revoked, and their polls keep returning
//! records all along: no stop-the-world rebalance. On Apache Kafka (tansu has no such
//! protocol).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::java::Process;
use kafka_sync::admin::ConfigResource;
use kafka_sync::{
    ConsumerConfig, ConsumerRebalanceListener, GroupProtocol, KafkaConsumer, KafkaProducer,
    OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const PARTITIONS: i32 = 12;
/// The broker's `group.consumer.session.timeout.ms` (the test cluster sets 6 s; an
/// external broker may keep the default of 45 s).
fn session_timeout() -> Duration {
    let admin = common::admin();
    let timeout = Duration::from_secs(30);
    let cluster = admin.describe_cluster(timeout).expect("describe cluster");
    let broker = cluster.brokers.first().expect("a broker").id;
    let resource = ConfigResource::broker(broker);
    let mut configs = admin
        .describe_configs(std::slice::from_ref(&resource), timeout)
        .expect("describe configs");
    let entries = configs
        .remove(&resource)
        .expect("the broker's configs")
        .expect("the broker's configs");
    let ms: u64 = entries
        .iter()
        .find(|e| e.name == "group.consumer.session.timeout.ms")
        .and_then(|e| e.value.as_deref())
        .expect("group.consumer.session.timeout.ms")
        .parse()
        .expect("milliseconds");
    Duration::from_millis(ms)
}
/// What the takeover may take beyond the session timeout: the coordinator's expiry
/// check, a heartbeat interval (500 ms) for each survivor to hear of its new target,
/// and the metadata and position lookups of the new partitions.
const TAKEOVER_SLACK: Duration = Duration::from_secs(3);
/// The longest a survivor may go without records while the killed member's
/// partitions move (records arrive every 10 ms on every partition).
const MAX_GAP: Duration = Duration::from_secs(1);

/// The example's binary, built (or found up to date) by cargo.
fn member_binary() -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--example", "group_member"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build --example group_member");
    assert!(
        status.success(),
        "cargo build --example group_member failed"
    );
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| common::project_root().join("target"));
    target.join("debug/examples/group_member")
}

/// What a member's rebalance listener saw.
#[derive(Clone, Default)]
struct Moves {
    revoked: Arc<Mutex<Vec<TopicPartition>>>,
    lost: Arc<Mutex<Vec<TopicPartition>>>,
}

impl ConsumerRebalanceListener for Moves {
    fn on_partitions_revoked(&mut self, _: &mut KafkaConsumer, partitions: &[TopicPartition]) {
        self.revoked.lock().unwrap().extend_from_slice(partitions);
    }
    fn on_partitions_lost(&mut self, _: &mut KafkaConsumer, partitions: &[TopicPartition]) {
        self.lost.lock().unwrap().extend_from_slice(partitions);
    }
}

/// A member in this process, and what it read.
struct Survivor {
    consumer: KafkaConsumer,
    moves: Moves,
    /// Offsets read, per partition.
    read: BTreeMap<i32, Vec<i64>>,
    /// When each poll that returned records returned.
    deliveries: Vec<Instant>,
}

impl Survivor {
    fn join(topic: &str, group: &str) -> Survivor {
        let moves = Moves::default();
        let mut consumer = KafkaConsumer::new(
            ConsumerConfig::new(&common::bootstrap())
                .group_id(group)
                .group_protocol(GroupProtocol::Consumer)
                .auto_offset_reset(OffsetReset::Earliest),
        )
        .expect("consumer");
        consumer
            .subscribe_with_listener(&[topic], moves.clone())
            .expect("subscribe");
        Survivor {
            consumer,
            moves,
            read: BTreeMap::new(),
            deliveries: Vec::new(),
        }
    }

    fn poll(&mut self) {
        let records = self.consumer.poll(Duration::from_millis(20)).expect("poll");
        if records.is_empty() {
            return;
        }
        self.deliveries.push(Instant::now());
        for r in records.iter() {
            self.read.entry(r.partition).or_default().push(r.offset);
        }
    }

    fn owned(&self) -> BTreeSet<i32> {
        self.consumer
            .assignment()
            .into_iter()
            .map(|tp| tp.partition)
            .collect()
    }

    /// The longest time between deliveries within `from..to`.
    fn longest_gap(&self, from: Instant, to: Instant) -> Duration {
        let mut last = from;
        let mut longest = Duration::ZERO;
        for &t in self.deliveries.iter().filter(|&&t| t > from && t <= to) {
            longest = longest.max(t - last);
            last = t;
        }
        longest.max(to.saturating_duration_since(last))
    }
}

/// Sends one record to every partition every 10 ms until `stop`.
fn keep_producing(topic: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let producer = KafkaProducer::new(
            ProducerConfig::new(&common::bootstrap()).linger(Duration::from_millis(2)),
        )
        .expect("producer");
        let ticks = crossbeam_channel::tick(Duration::from_millis(10));
        let mut sent = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let _ = ticks.recv();
            for p in 0..PARTITIONS {
                let value = format!("{sent}");
                producer
                    .send(ProducerRecord::new(&topic).partition(p).value(&value))
                    .expect("send");
                sent += 1;
            }
        }
        producer.flush(None).expect("flush");
        producer.close(None).expect("close");
        sent
    })
}

#[test]
fn a_killed_member_s_partitions_move_without_stopping_the_others() {
    common::log_to_stderr();
    let topic = common::unique_topic("failover");
    common::create_topic(&topic, PARTITIONS);
    let group = common::unique_topic("g-failover");
    let binary = member_binary();
    let stop = Arc::new(AtomicBool::new(false));
    let producer = keep_producing(topic.clone(), Arc::clone(&stop));

    let mut command = Command::new(&binary);
    command.args([&common::bootstrap(), &topic, &group, "consumer"]);
    let mut doomed = Process::spawn_command("group_member", command);
    let mut a = Survivor::join(&topic, &group);
    let mut b = Survivor::join(&topic, &group);

    // Wait for a 4/4/4 split with everyone reading.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut doomed_owns = 0;
    let mut doomed_read = 0;
    loop {
        a.poll();
        b.poll();
        while let Some(line) = doomed.try_line() {
            if let Some(n) = line.strip_prefix("assigned ") {
                doomed_owns = n.parse().expect("a count");
            } else if let Some(n) = line.strip_prefix("read ") {
                doomed_read = n.parse().expect("a count");
            }
        }
        let (owned_a, owned_b) = (a.owned(), b.owned());
        let split = owned_a.len() == 4
            && owned_b.len() == 4
            && owned_a.is_disjoint(&owned_b)
            && doomed_owns == 4;
        if split && doomed_read > 0 && !a.read.is_empty() && !b.read.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no 4/4/4 split with everyone reading: {owned_a:?} {owned_b:?} (read {} and {}), \
             the other owns {doomed_owns} (read {doomed_read}):\n{}",
            a.read.values().map(Vec::len).sum::<usize>(),
            b.read.values().map(Vec::len).sum::<usize>(),
            doomed.stderr()
        );
    }
    let before: (BTreeSet<i32>, BTreeSet<i32>) = (a.owned(), b.owned());
    a.moves.revoked.lock().unwrap().clear();
    b.moves.revoked.lock().unwrap().clear();

    let session_timeout = session_timeout();
    doomed.kill();
    let killed = Instant::now();
    let deadline = killed + session_timeout + TAKEOVER_SLACK + Duration::from_secs(10);
    let taken_over = loop {
        a.poll();
        b.poll();
        let (owned_a, owned_b) = (a.owned(), b.owned());
        if owned_a.len() + owned_b.len() == PARTITIONS as usize && owned_a.is_disjoint(&owned_b) {
            break Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "the killed member's partitions did not move: {owned_a:?} {owned_b:?}"
        );
    };
    let took = taken_over - killed;
    println!(
        "takeover {took:?} after the kill; longest gaps between deliveries: {:?} and {:?}",
        a.longest_gap(killed, taken_over),
        b.longest_gap(killed, taken_over)
    );
    assert!(
        took <= session_timeout + TAKEOVER_SLACK,
        "the partitions moved {took:?} after the kill"
    );
    // Nobody else stopped: the survivors kept their partitions and kept reading.
    for (survivor, owned_before) in [(&a, &before.0), (&b, &before.1)] {
        assert!(
            survivor.moves.revoked.lock().unwrap().is_empty(),
            "a survivor gave up {:?}",
            survivor.moves.revoked.lock().unwrap()
        );
        assert!(survivor.moves.lost.lock().unwrap().is_empty());
        assert!(owned_before.is_subset(&survivor.owned()));
        let gap = survivor.longest_gap(killed, taken_over);
        assert!(gap <= MAX_GAP, "a survivor got no records for {gap:?}");
    }

    // Nothing was lost in the move: after the kill, each survivor went on with its own
    // partitions right after the last record it had read, the killed member's
    // partitions were read from where their new owners started (its last commit) to
    // the end, and no partition has a gap.
    let marks: Vec<BTreeMap<i32, usize>> = [&a, &b]
        .iter()
        .map(|s| s.read.iter().map(|(&p, o)| (p, o.len())).collect())
        .collect();
    stop.store(true, Ordering::SeqCst);
    let sent = producer.join().expect("the producer thread");
    let end = (sent / PARTITIONS as u64) as i64;
    let drained = Instant::now() + Duration::from_secs(60);
    let last = |s: &Survivor, p: i32| s.read.get(&p).and_then(|o| o.last().copied());
    while !(0..PARTITIONS).all(|p| last(&a, p).max(last(&b, p)) == Some(end - 1)) {
        assert!(
            Instant::now() < drained,
            "the survivors did not read to the end"
        );
        a.poll();
        b.poll();
    }
    for p in 0..PARTITIONS {
        let mut after: Vec<i64> = Vec::new();
        for (s, mark) in [&a, &b].into_iter().zip(&marks) {
            let offsets = s.read.get(&p).map_or(&[][..], |o| &o[..]);
            let from = mark.get(&p).copied().unwrap_or(0);
            if before.0.contains(&p) && std::ptr::eq(s, &a)
                || before.1.contains(&p) && std::ptr::eq(s, &b)
            {
                // Its own partition: the next offset after the kill follows the last
                // one before it.
                if let (Some(&prev), Some(&next)) = (offsets[..from].last(), offsets.get(from)) {
                    assert_eq!(next, prev + 1, "partition {p} skipped records at the kill");
                }
            }
            after.extend_from_slice(&offsets[from..]);
        }
        after.sort_unstable();
        after.dedup();
        let first = *after.first().expect("records came after the kill");
        let expected: Vec<i64> = (first..end).collect();
        assert_eq!(after, expected, "partition {p} has a gap after the kill");
    }
    a.consumer.close().expect("close");
    b.consumer.close().expect("close");
}
