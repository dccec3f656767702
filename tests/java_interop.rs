//! The Java client (`kafka-clients` of the pinned Apache Kafka release) referees this
//! client against a real Apache Kafka broker:
//! - the Java consumer reads what our producer wrote, for every codec, byte for byte;
//! - our producer puts every key in the partition the Java producer puts it in;
//! - our consumer reads what the Java producer wrote, for every codec;
//! - consumer groups of Java members and ours split topics (the classic protocol with
//!   range and cooperative-sticky, and KIP-848's consumer protocol) and read every
//!   record exactly once.
//!
//! The Java programs are `tests/interop/*.java` (run through `common::java`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::java::{self, Outgoing, Process, Record};
use common::produce::TestProducer;
use kafka_sync::admin::{GroupState, GroupType};
use kafka_sync::{
    AssignmentStrategy, Compression, ConsumerConfig, ConsumerRecord, GroupProtocol, KafkaConsumer,
    KafkaProducer, NewTopic, OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(60);

fn create_topic(prefix: &str, partitions: i32) -> String {
    let topic = common::unique_topic(prefix);
    let result = common::admin()
        .create_topics(&[NewTopic::new(&topic, partitions, 1)], TIMEOUT)
        .expect("create_topics");
    assert!(result[0].result.is_ok(), "{topic}: {:?}", result[0].result);
    topic
}

/// Deterministic bytes that look random (a linear congruential generator).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn header(key: &str, value: Option<&[u8]>) -> (String, Option<Vec<u8>>) {
    (key.to_owned(), value.map(<[u8]>::to_vec))
}

/// `count` records for `topic` with every shape a record can have: null, empty and
/// binary keys and values, large compressible values, no headers, duplicate header
/// keys, empty and null header values, an empty and a non-ASCII header key, explicit
/// timestamps and (every ninth record) none.
///
/// The explicit timestamps are a second apart from an hour ago on: recent enough that
/// the broker's time-based retention (7 days by default, first checked about 30 s
/// after it starts) never deletes them, unlike fixed dates long past.
fn sample_records(topic: &str, count: usize, tag: &str) -> Vec<Outgoing> {
    let base_timestamp = common::produce::now_ms() - 3_600_000;
    (0..count)
        .map(|i| {
            let key = match i % 11 {
                0 => None,
                1 => Some(Vec::new()),
                2 => Some(noise(i as u64, 1 + i % 40)),
                _ => Some(format!("key-{}", i % 37).into_bytes()),
            };
            let value = match i % 13 {
                0 => None,
                1 => Some(Vec::new()),
                2 => Some(format!("{tag} compressible {i} ").repeat(300).into_bytes()),
                3 => Some(noise(1000 + i as u64, 2000)),
                _ => Some(format!("value-{tag}-{i}-{}", "x".repeat(i % 50)).into_bytes()),
            };
            let n = i.to_string();
            let headers = match i % 6 {
                0 => Vec::new(),
                1 => vec![header("n", Some(n.as_bytes()))],
                2 => vec![
                    header("dup", Some(b"first")),
                    header("dup", Some(b"second")),
                    header("dup", Some(b"")),
                ],
                3 => vec![header("empty", Some(b"")), header("null", None)],
                4 => vec![
                    header("", Some(b"an empty key")),
                    header("schlüssel-ключ", Some(&noise(i as u64, 16))),
                ],
                _ => vec![
                    header("codec", Some(tag.as_bytes())),
                    header("n", Some(n.as_bytes())),
                ],
            };
            Outgoing {
                topic: topic.to_owned(),
                partition: None,
                timestamp: (i % 9 != 4).then_some(base_timestamp + i as i64 * 1000),
                key,
                value,
                headers,
            }
        })
        .collect()
}

fn compact(data: &Option<Vec<u8>>) -> String {
    match data {
        None => "null".to_owned(),
        Some(d) if d.len() > 40 => format!("{} bytes {:?}...", d.len(), &d[..40]),
        Some(d) => format!("{:?}", String::from_utf8_lossy(d)),
    }
}

fn describe(r: &Record) -> String {
    format!(
        "p{}@{} ts {} {} key {} value {} headers {:?}",
        r.partition,
        r.offset,
        r.timestamp,
        r.timestamp_type,
        compact(&r.key),
        compact(&r.value),
        r.headers
            .iter()
            .map(|(k, v)| format!("{k}={}", compact(v)))
            .collect::<Vec<_>>()
    )
}

/// Asserts that `actual` (as a consumer returned them) are exactly `expected`: per
/// partition in offset order, each record once, byte for byte.
fn assert_same_records(what: &str, expected: &[Record], actual: &[Record]) {
    let mut expected = expected.to_vec();
    expected.sort_by_key(|r| (r.partition, r.offset));
    // A stable sort by partition keeps the order the consumer returned within each.
    let mut actual = actual.to_vec();
    actual.sort_by_key(|r| r.partition);
    for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
        assert!(
            e == a,
            "{what}: record {i} differs:\n expected {}\n      got {}",
            describe(e),
            describe(a)
        );
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: {} records instead of {}; the extra or missing ones begin with {:?}",
        actual.len(),
        expected.len(),
        actual
            .get(expected.len())
            .or(expected.get(actual.len()))
            .map(describe)
    );
}

fn codec_name(compression: Compression) -> &'static str {
    compression.name()
}

/// Sends `records` with our producer; returns them as a consumer must see them.
fn send_with_ours(compression: Compression, records: &[Outgoing]) -> Vec<Record> {
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .compression(compression)
            .linger(Duration::from_millis(20)),
    )
    .expect("producer");
    let futures: Vec<_> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut record = ProducerRecord::new(&r.topic);
            if let Some(p) = r.partition {
                record = record.partition(p);
            }
            if let Some(t) = r.timestamp {
                record = record.timestamp(t);
            }
            if let Some(k) = &r.key {
                record = record.key(k);
            }
            if let Some(v) = &r.value {
                record = record.value(v);
            }
            for (k, v) in &r.headers {
                record = match v {
                    Some(v) => record.header(k, v),
                    None => record.null_header(k),
                };
            }
            let sent_at = Instant::now();
            producer.send(record).unwrap_or_else(|e| {
                panic!(
                    "send of record {i} of {} to {} failed after {:?}: {e:?}",
                    records.len(),
                    r.topic,
                    sent_at.elapsed()
                )
            })
        })
        .collect();
    producer.flush(Some(TIMEOUT)).expect("flush");
    let mut last_offset: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let expected = records
        .iter()
        .zip(futures)
        .map(|(r, future)| {
            let meta = future.get(TIMEOUT).expect("delivered");
            let previous = last_offset.insert((r.topic.clone(), meta.partition), meta.offset);
            assert!(
                previous.is_none_or(|o| o < meta.offset),
                "our producer reordered {}-{}: offset {} after {previous:?}",
                r.topic,
                meta.partition,
                meta.offset
            );
            Record {
                partition: meta.partition,
                offset: meta.offset,
                timestamp: r.timestamp.unwrap_or(meta.timestamp),
                timestamp_type: "CreateTime".to_owned(),
                key: r.key.clone(),
                value: r.value.clone(),
                headers: r.headers.clone(),
            }
        })
        .collect();
    producer
        .close(Some(Duration::from_secs(10)))
        .expect("close");
    expected
}

fn from_consumer_record(r: &ConsumerRecord) -> Record {
    Record {
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        timestamp_type: format!("{:?}", r.timestamp_type),
        key: r.key.as_ref().map(|k| k.to_vec()),
        value: r.value.as_ref().map(|v| v.to_vec()),
        headers: r
            .headers
            .iter()
            .map(|h| (h.key.clone(), h.value.as_ref().map(|v| v.to_vec())))
            .collect(),
    }
}

/// Reads every partition of `topic` from the beginning to its end offsets with our
/// consumer (no group), like `ReadTopic` does with the Java one.
fn read_with_ours(topic: &str, partitions: i32) -> Vec<Record> {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .enable_auto_commit(false)
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    let tps: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(&tps).expect("assign");
    consumer.seek_to_beginning(&tps).expect("seek_to_beginning");
    let end = consumer.end_offsets(&tps).expect("end_offsets");
    let deadline = Instant::now() + TIMEOUT;
    let mut records = Vec::new();
    loop {
        let mut behind = Vec::new();
        for tp in &tps {
            let position = consumer.position(tp).expect("position");
            if position < end[tp] {
                behind.push(format!("{tp} at {position} of {}", end[tp]));
            }
        }
        if behind.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "our consumer did not reach the end offsets of {topic}: {behind:?}"
        );
        for r in consumer
            .poll(Duration::from_millis(200))
            .expect("poll")
            .iter()
        {
            records.push(from_consumer_record(r));
        }
    }
    consumer.close().expect("close");
    records
}

#[test]
fn java_consumer_reads_our_producer_with_every_codec() {
    for compression in Compression::ALL {
        let name = codec_name(compression);
        let topic = create_topic(&format!("java-reads-{name}"), 3);
        let records = sample_records(&topic, 300, name);
        let expected = send_with_ours(compression, &records);
        let partitions: BTreeSet<i32> = expected.iter().map(|r| r.partition).collect();
        assert_eq!(
            partitions.len(),
            3,
            "the keys spread over all partitions: {partitions:?}"
        );
        for isolation in ["read_uncommitted", "read_committed"] {
            let read = java::read_topic(&common::bootstrap(), &topic, isolation);
            assert_same_records(
                &format!("the Java consumer ({isolation}) reading our {name} records"),
                &expected,
                &read,
            );
        }
    }
}

#[test]
fn our_consumer_reads_the_java_producer_with_every_codec() {
    for compression in Compression::ALL {
        let name = codec_name(compression);
        let topic = create_topic(&format!("ours-reads-{name}"), 3);
        let records = sample_records(&topic, 300, name);
        let written = java::write_records(
            &common::bootstrap(),
            name,
            &["linger.ms=20", "batch.size=65536"],
            &records,
        );
        let expected: Vec<Record> = records
            .iter()
            .zip(&written)
            .map(|(r, w)| {
                assert_eq!(w.topic, topic);
                Record {
                    partition: w.partition,
                    offset: w.offset,
                    timestamp: r.timestamp.unwrap_or(w.timestamp),
                    timestamp_type: "CreateTime".to_owned(),
                    key: r.key.clone(),
                    value: r.value.clone(),
                    headers: r.headers.clone(),
                }
            })
            .collect();
        let read = read_with_ours(&topic, 3);
        assert_same_records(
            &format!("our consumer reading the Java producer's {name} records"),
            &expected,
            &read,
        );
    }
}

/// A few hundred keys: the empty key, short text keys, every third single byte,
/// binary keys of every length up to 64, long keys and non-ASCII ones.
fn partition_keys() -> Vec<Vec<u8>> {
    let mut keys = vec![Vec::new()];
    keys.extend((0..200).map(|i| format!("key-{i}").into_bytes()));
    keys.extend((0..=255u8).step_by(3).map(|b| vec![b]));
    keys.extend((1..=64).map(|len| noise(len as u64 * 7919, len)));
    keys.extend([1000, 1001, 1002, 1003, 4096].map(|len| noise(len as u64, len)));
    keys.extend((0..10).map(|i| format!("ключ-{i}-🔑").into_bytes()));
    keys
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn our_partitioner_puts_keys_where_the_java_producer_does() {
    let keys = partition_keys();
    let counts = [1, 3, 7, 12];
    let topics: Vec<(i32, String)> = counts
        .iter()
        .map(|&n| (n, create_topic(&format!("partitioner-{n}"), n)))
        .collect();
    let records: Vec<Outgoing> = topics
        .iter()
        .flat_map(|(_, topic)| {
            keys.iter().enumerate().map(|(i, key)| Outgoing {
                topic: topic.clone(),
                key: Some(key.clone()),
                value: Some(i.to_string().into_bytes()),
                ..Default::default()
            })
        })
        .collect();
    let java_written = java::write_records(&common::bootstrap(), "none", &[], &records);
    let ours = send_with_ours(Compression::None, &records);

    let mut mismatches = Vec::new();
    let mut used: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    for ((r, java), ours) in records.iter().zip(&java_written).zip(&ours) {
        let n = topics
            .iter()
            .find(|(_, t)| *t == r.topic)
            .map(|(n, _)| *n)
            .expect("a topic of this test");
        let key = r.key.as_deref().expect("keyed");
        let formula = kafka_sync::producer::partition_for_key(key, n);
        used.entry(n).or_default().insert(java.partition);
        if java.partition != ours.partition || formula != ours.partition {
            mismatches.push(format!(
                "{n} partitions, key {} ({} bytes): Java {}, our producer {}, partition_for_key {formula}",
                hex(&key[..key.len().min(16)]),
                key.len(),
                java.partition,
                ours.partition
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} keys land elsewhere:\n{}",
        mismatches.len(),
        records.len(),
        mismatches.join("\n")
    );
    for (n, partitions) in used {
        assert_eq!(
            partitions.len(),
            n as usize,
            "the keys cover every one of {n} partitions"
        );
    }
}

/// A Java group member (`GroupMember`) in a child process.
struct JavaMember {
    process: Process,
    assigned: BTreeSet<i32>,
    records: Vec<(i32, i64)>,
}

impl JavaMember {
    /// A member with `assignor` (a class name) and the extra consumer `properties`
    /// (`KEY=VALUE`).
    fn start(group: &str, topic: &str, assignor: &str, properties: &[&str]) -> JavaMember {
        let bootstrap = common::bootstrap();
        let mut args = vec![bootstrap.as_str(), group, topic, assignor];
        args.extend_from_slice(properties);
        JavaMember {
            process: Process::spawn("GroupMember", &args),
            assigned: BTreeSet::new(),
            records: Vec::new(),
        }
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
            _ => panic!("the Java member said: {line}"),
        }
    }

    /// Takes in the lines printed so far, waiting up to `wait` for the first.
    fn absorb(&mut self, wait: Duration) {
        let mut next = self.process.line_until(Instant::now() + wait);
        while let Some(line) = next {
            self.take(&line);
            next = self.process.try_line();
        }
    }

    /// Leaves the group (closes the consumer) and waits until the process is gone.
    fn leave(&mut self) {
        for line in self.process.wait(TIMEOUT) {
            self.take(&line);
        }
        self.assigned.clear();
    }
}

/// One of our members and Java members in one group, polled together.
struct Group {
    ours: KafkaConsumer,
    mine: Vec<(i32, i64)>,
    java: Vec<JavaMember>,
    /// What the members that left read.
    departed: Vec<(i32, i64)>,
}

impl Group {
    /// Polls everyone once, briefly.
    fn step(&mut self) {
        for r in self
            .ours
            .poll(Duration::from_millis(50))
            .expect("poll")
            .iter()
        {
            self.mine.push((r.partition, r.offset));
        }
        for member in &mut self.java {
            member.absorb(Duration::from_millis(10));
        }
    }

    fn assignments(&self) -> Vec<BTreeSet<i32>> {
        let mine: BTreeSet<i32> = self
            .ours
            .assignment()
            .iter()
            .map(|tp| tp.partition)
            .collect();
        std::iter::once(mine)
            .chain(self.java.iter().map(|m| m.assigned.clone()))
            .collect()
    }

    /// Polls until every member has `each` partitions, no two the same, all of the
    /// topic's `partitions` covered.
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
                "{what}: no disjoint {each}-each split of {partitions} partitions: ours first, {assignments:?}"
            );
        }
    }

    fn all_records(&self) -> Vec<(i32, i64)> {
        let mut all: Vec<(i32, i64)> = self
            .mine
            .iter()
            .chain(self.java.iter().flat_map(|m| m.records.iter()))
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
                "{what}: read {} of {count} (ours {}, Java {:?})",
                self.all_records().len(),
                self.mine.len(),
                self.java
                    .iter()
                    .map(|m| m.records.len())
                    .collect::<Vec<_>>()
            );
            self.step();
        }
    }
}

/// How the members of a mixed group agree on assignments.
#[derive(Debug, Clone, Copy)]
enum GroupKind {
    /// The classic protocol with this client's `strategy` and the Java assignor class
    /// of the same name.
    Classic(AssignmentStrategy, &'static str),
    /// KIP-848's consumer protocol (`group.protocol=consumer` on both sides): the
    /// broker assigns, with its default assignor.
    ConsumerProtocol,
}

fn mixed_group_reads_every_record_once(kind: GroupKind) {
    const PARTITIONS: i32 = 6;
    const ROUND: usize = 50;
    let name = match kind {
        GroupKind::Classic(strategy, _) => strategy.name(),
        GroupKind::ConsumerProtocol => "consumer-protocol",
    };
    let topic = create_topic(&format!("java-group-{name}"), PARTITIONS);
    let group_id = common::unique_topic(&format!("g-java-{name}"));
    let config = ConsumerConfig::new(&common::bootstrap())
        .group_id(&group_id)
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false);
    // Under the consumer protocol the session timeout and heartbeat interval are the
    // broker's (the test clusters set the same 6 s and 500 ms).
    let (config, java_assignor, java_properties): (_, _, &[&str]) = match kind {
        GroupKind::Classic(strategy, java_assignor) => (
            config
                .session_timeout(Duration::from_secs(6))
                .heartbeat_interval(Duration::from_millis(500))
                .partition_assignment_strategy(&[strategy]),
            java_assignor,
            &[],
        ),
        GroupKind::ConsumerProtocol => (
            config.group_protocol(GroupProtocol::Consumer),
            "unused",
            &["group.protocol=consumer"],
        ),
    };
    let mut ours = KafkaConsumer::new(config).expect("consumer");
    ours.subscribe(&[&topic]).expect("subscribe");
    let mut group = Group {
        ours,
        mine: Vec::new(),
        java: Vec::new(),
        departed: Vec::new(),
    };
    // Ours first, so that it leads the group at first; the Java members join one by one.
    group.wait_for_split(PARTITIONS, 6, "our member alone");
    for _ in 0..2 {
        group.java.push(JavaMember::start(
            &group_id,
            &topic,
            java_assignor,
            java_properties,
        ));
    }
    group.wait_for_split(PARTITIONS, 2, "ours and two Java members");

    TestProducer::new(&common::bootstrap()).fill(&topic, PARTITIONS, 0, ROUND, 10);
    group.read(PARTITIONS as usize * ROUND, "first round");
    assert!(
        !group.mine.is_empty() && group.java.iter().all(|m| !m.records.is_empty()),
        "every member read some: ours {}, Java {:?}",
        group.mine.len(),
        group
            .java
            .iter()
            .map(|m| m.records.len())
            .collect::<Vec<_>>()
    );
    let assignments = group.assignments();
    let owner = |p: i32| assignments.iter().position(|a| a.contains(&p));
    for (i, records) in std::iter::once(&group.mine)
        .chain(group.java.iter().map(|m| &m.records))
        .enumerate()
    {
        for &(p, o) in records {
            assert_eq!(
                owner(p),
                Some(i),
                "member {i} (0 is ours) read {p}@{o} but partition {p} is not its: {assignments:?}"
            );
        }
    }
    group.ours.commit().expect("commit");
    if let GroupKind::ConsumerProtocol = kind {
        assert_consumer_protocol_group(&mut group, &group_id, &topic);
    }

    // One Java member leaves: the other two take its partitions over, from the
    // offsets it committed.
    let mut leaving = group.java.pop().expect("a Java member");
    leaving.leave();
    group.departed = std::mem::take(&mut leaving.records);
    drop(leaving);
    group.wait_for_split(PARTITIONS, 3, "after a Java member left");
    TestProducer::new(&common::bootstrap()).fill(&topic, PARTITIONS, ROUND, ROUND, 10);
    group.read(PARTITIONS as usize * ROUND * 2, "second round");

    let all = group.all_records();
    let expected: Vec<(i32, i64)> = (0..PARTITIONS)
        .flat_map(|p| (0..2 * ROUND as i64).map(move |o| (p, o)))
        .collect();
    assert_eq!(
        all, expected,
        "every record exactly once across our member and the Java ones"
    );
    group.ours.close().expect("close");
    for member in &mut group.java {
        member.leave();
    }
}

/// The coordinator describes `group_id` as a KIP-848 consumer group, stable, with our
/// member and the Java ones, each owning what it says it owns.
/// A member whose partitions stay the same may take a heartbeat to catch up with a
/// new group epoch: until then the group is `Reconciling`.
fn assert_consumer_protocol_group(group: &mut Group, group_id: &str, topic: &str) {
    let deadline = Instant::now() + TIMEOUT;
    let described = loop {
        let described = common::admin()
            .describe_consumer_groups(&[group_id], TIMEOUT)
            .expect("describe")
            .remove(group_id)
            .expect("the group")
            .expect("described");
        if described.state == GroupState::Stable {
            break described;
        }
        assert!(Instant::now() < deadline, "never stable: {described:?}");
        group.step();
    };
    assert_eq!(described.group_type, GroupType::Consumer, "{described:?}");
    assert_eq!(
        described.partition_assignor, "uniform",
        "the broker's default assignor"
    );
    assert_eq!(
        described.members.len(),
        1 + group.java.len(),
        "{described:?}"
    );
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
        .map(|m| {
            assert_eq!(m.subscribed_topics, vec![topic.to_owned()], "{m:?}");
            m.assignment.iter().map(|tp| tp.partition).collect()
        })
        .collect();
    let ours = described
        .members
        .iter()
        .find(|m| m.member_id == our_id)
        .unwrap_or_else(|| panic!("our member {our_id} is not in {described:?}"));
    let assignments = group.assignments();
    assert_eq!(
        ours.assignment
            .iter()
            .map(|tp| tp.partition)
            .collect::<BTreeSet<i32>>(),
        assignments[0],
        "what the coordinator says our member owns"
    );
    let mut reported = assignments;
    reported.sort();
    described_assignments.sort();
    assert_eq!(
        described_assignments, reported,
        "the members' assignments as the coordinator and the members see them"
    );
}

#[test]
fn mixed_group_with_java_members_range() {
    mixed_group_reads_every_record_once(GroupKind::Classic(
        AssignmentStrategy::Range,
        "org.apache.kafka.clients.consumer.RangeAssignor",
    ));
}

#[test]
fn mixed_group_with_java_members_cooperative_sticky() {
    mixed_group_reads_every_record_once(GroupKind::Classic(
        AssignmentStrategy::CooperativeSticky,
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    ));
}

/// KIP-848 on both sides: the broker assigns our member and the Java ones (the Java
/// client 4.x with `group.protocol=consumer`), moves partitions as members join and
/// leave, and every record is read once.
#[test]
fn mixed_group_with_java_members_consumer_protocol() {
    mixed_group_reads_every_record_once(GroupKind::ConsumerProtocol);
}
