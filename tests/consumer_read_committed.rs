//! read_committed end to end on Apache Kafka: records of aborted transactions never
//! reach a read_committed consumer, records of open transactions wait for their end,
//! and read_uncommitted sees everything.
//!
//! The transactions come from two other clients' transactional producers, two
//! producers at once with interleaved transactions over three partitions:
//! librdkafka's (`tests/support/txn_produce.py`, confluent-kafka) and the Java
//! client's (`tests/interop/TxnProduce.java`). Both run the same script, one command a
//! line. tansu and librdkafka's mock broker both hand aborted records to read_committed
//! consumers (../shared/brokers.md), so this needs Apache Kafka (the default broker of
//! the tests) or an external broker that does it right. The client's own filtering is
//! also unit-tested on constructed fetch responses in `src/consumer/fetcher.rs`.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::java::Process;
use kafka_sync::{ConsumerConfig, IsolationLevel, KafkaConsumer, NewTopic, TopicPartition};

const PARTITIONS: i32 = 3;
const TIMEOUT: Duration = Duration::from_secs(60);

/// A transactional producer process running the script protocol.
struct TxnProducer {
    process: Process,
    /// Per partition, the records written so far, in log order: (offset, value,
    /// committed). Records of a transaction still open count as not committed.
    log: BTreeMap<i32, Vec<(i64, String, bool)>>,
    /// The open transaction of each producer: (partition, index in `log`) of its records.
    open: BTreeMap<u32, Vec<(i32, usize)>>,
}

impl TxnProducer {
    fn librdkafka(topic: &str) -> TxnProducer {
        let mut command = Command::new(common::mock::python());
        command
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/txn_produce.py"
            ))
            .args([&common::bootstrap(), topic, &format!("rdkafka-{topic}")]);
        TxnProducer::new(Process::spawn_command("txn_produce.py", command))
    }

    fn java(topic: &str) -> TxnProducer {
        TxnProducer::new(Process::spawn(
            "TxnProduce",
            &[&common::bootstrap(), topic, &format!("java-{topic}")],
        ))
    }

    fn new(process: Process) -> TxnProducer {
        TxnProducer {
            process,
            log: BTreeMap::new(),
            open: BTreeMap::new(),
        }
    }

    fn begin(&mut self, producer: u32) {
        self.process.send(&format!("begin {producer}"));
        assert!(
            self.open.insert(producer, Vec::new()).is_none(),
            "producer {producer} already has an open transaction"
        );
    }

    /// Sends one record and waits for its offset.
    fn send(&mut self, producer: u32, partition: i32, value: &str) {
        self.process
            .send(&format!("send {producer} {partition} {value}"));
        let line = self.process.expect_line(TIMEOUT);
        let offset = match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["sent", p, offset] if p == partition.to_string() => {
                offset.parse::<i64>().expect("an offset")
            }
            _ => panic!(
                "{} said {line:?} after sending {value}\n{}",
                self.process.program,
                self.process.stderr()
            ),
        };
        let entries = self.log.entry(partition).or_default();
        if let Some((last, _, _)) = entries.last() {
            assert!(*last < offset, "{value} at {offset}, after {last}");
        }
        entries.push((offset, value.to_owned(), false));
        let index = entries.len() - 1;
        self.open
            .get_mut(&producer)
            .expect("send inside a transaction")
            .push((partition, index));
    }

    fn end(&mut self, producer: u32, commit: bool) {
        self.process.send(&format!(
            "{} {producer}",
            if commit { "commit" } else { "abort" }
        ));
        for (partition, index) in self.open.remove(&producer).expect("an open transaction") {
            self.log.get_mut(&partition).expect("the partition")[index].2 = commit;
        }
    }

    /// Waits until the producer has carried out every command sent so far.
    fn sync(&mut self) {
        self.process.send("sync");
        let line = self.process.expect_line(TIMEOUT);
        assert_eq!(line, "synced", "{}", self.process.stderr());
    }

    fn finish(&mut self) {
        let rest = self.process.wait(TIMEOUT);
        assert_eq!(rest, ["done"], "{}", self.process.stderr());
    }

    /// What a consumer must read of `partition`: (offset, value), all of them, or only
    /// the committed ones.
    fn expected(&self, partition: i32, committed_only: bool) -> Vec<(i64, String)> {
        self.log
            .get(&partition)
            .into_iter()
            .flatten()
            .filter(|(_, _, committed)| *committed || !committed_only)
            .map(|(offset, value, _)| (*offset, value.clone()))
            .collect()
    }
}

/// What a consumer read of `topic`, up to where it stopped.
struct Read {
    /// Per partition: (offset, value) in the order they came.
    records: BTreeMap<i32, Vec<(i64, String)>>,
    /// The end offsets the consumer's ListOffsets found before reading.
    end_offsets: BTreeMap<i32, i64>,
    /// The positions after reading.
    positions: BTreeMap<i32, i64>,
    /// The high watermarks of the last fetch responses.
    highwater: BTreeMap<i32, Option<i64>>,
}

/// Reads every partition of `topic` from the beginning until the consumer's position
/// reaches the end offset it found (the last stable offset under read_committed),
/// then polls once more to catch anything that should not come.
fn read_all(isolation: IsolationLevel, topic: &str) -> Read {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .isolation_level(isolation)
            .enable_auto_commit(false),
    )
    .expect("consumer");
    let tps: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(&tps).expect("assign");
    consumer.seek_to_beginning(&tps).expect("seek_to_beginning");
    let end: BTreeMap<i32, i64> = consumer
        .end_offsets(&tps)
        .expect("end_offsets")
        .into_iter()
        .map(|(tp, o)| (tp.partition, o))
        .collect();
    let mut records: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    let mut take = |consumer: &mut KafkaConsumer, wait: Duration| {
        for r in consumer.poll(wait).expect("poll").iter() {
            let value = String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec())
                .expect("a UTF-8 value");
            records
                .entry(r.partition)
                .or_default()
                .push((r.offset, value));
        }
    };
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let behind: Vec<String> = tps
            .iter()
            .filter_map(|tp| {
                let position = consumer.position(tp).expect("position");
                (position < end[&tp.partition])
                    .then(|| format!("{tp} at {position} of {}", end[&tp.partition]))
            })
            .collect();
        if behind.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{isolation:?}: the end offsets were not reached: {behind:?}"
        );
        take(&mut consumer, Duration::from_millis(200));
    }
    // Anything more that would arrive is wrong: poll once more.
    take(&mut consumer, Duration::from_millis(500));
    let positions = tps
        .iter()
        .map(|tp| (tp.partition, consumer.position(tp).expect("position")))
        .collect();
    let highwater = tps
        .iter()
        .map(|tp| (tp.partition, consumer.highwater(tp)))
        .collect();
    consumer.close().expect("close");
    Read {
        records,
        end_offsets: end,
        positions,
        highwater,
    }
}

/// The Java consumer as a referee of `expected`: what it reads of `topic` (up to the end
/// offsets it finds, like [`read_all`]) with `isolation`.
fn java_reads(topic: &str, isolation: &str) -> BTreeMap<i32, Vec<(i64, String)>> {
    let mut records: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for r in common::java::read_topic(&common::bootstrap(), topic, isolation) {
        let value = String::from_utf8(r.value.unwrap_or_default()).expect("a UTF-8 value");
        records
            .entry(r.partition)
            .or_default()
            .push((r.offset, value));
    }
    records
}

fn assert_java_agrees(what: &str, producer: &TxnProducer, topic: &str, lso: Option<[i64; 2]>) {
    for (isolation, committed_only) in [("read_committed", true), ("read_uncommitted", false)] {
        let java = java_reads(topic, isolation);
        for p in 0..PARTITIONS {
            let expected: Vec<(i64, String)> = producer
                .expected(p, committed_only)
                .into_iter()
                .filter(|(o, _)| match lso {
                    Some(lso) if committed_only && p < 2 => *o < lso[p as usize],
                    _ => true,
                })
                .collect();
            assert_eq!(
                java.get(&p).cloned().unwrap_or_default(),
                expected,
                "{what}: the Java consumer ({isolation}) disagrees on partition {p}"
            );
        }
    }
}

fn assert_reads(what: &str, producer: &TxnProducer, read: &Read, committed_only: bool) {
    for p in 0..PARTITIONS {
        let got = read.records.get(&p).cloned().unwrap_or_default();
        assert_eq!(
            got,
            producer.expected(p, committed_only),
            "{what}: partition {p}"
        );
    }
}

/// Two producers, interleaved transactions over three partitions, committed and
/// aborted, one of them empty; then an open transaction with a committed one of the
/// other producer behind it; then the rest.
fn run_script(mut producer: TxnProducer, topic: &str, who: &str) {
    for round in 0..4u32 {
        producer.begin(0);
        producer.begin(1);
        for k in 0..6u32 {
            let p = k % 2;
            let partition = ((k + round) % PARTITIONS as u32) as i32;
            producer.send(p, partition, &format!("r{round}-p{p}-{k}"));
        }
        // Who commits: round 0 the first, round 1 the second, round 2 both, round 3
        // neither; the first to end alternates.
        let commits = [(true, false), (false, true), (true, true), (false, false)][round as usize];
        let (first, second) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        let commit_of = |p: u32| if p == 0 { commits.0 } else { commits.1 };
        producer.end(first, commit_of(first));
        // The other producer's transaction goes on after the first one's marker.
        producer.send(
            second,
            round as i32 % PARTITIONS,
            &format!("r{round}-p{second}-late"),
        );
        producer.end(second, commit_of(second));
    }
    // An empty transaction, committed.
    producer.begin(0);
    producer.end(0, true);

    // An open transaction on partitions 0 and 1, and a committed record of the other
    // producer on partition 0 behind it: read_committed stops at the open one.
    producer.begin(0);
    producer.send(0, 0, "open-0");
    producer.send(0, 1, "open-1");
    producer.begin(1);
    producer.send(1, 0, "behind-open");
    producer.end(1, true);
    producer.sync();
    let open_offset = |p: i32| {
        producer.log[&p]
            .iter()
            .find(|(_, v, _)| v.starts_with("open-"))
            .map(|(o, _, _)| *o)
            .expect("the open record")
    };
    let lso = [open_offset(0), open_offset(1)];
    assert_java_agrees(
        &format!("{who}, with an open transaction"),
        &producer,
        topic,
        Some(lso),
    );
    let committed = read_all(IsolationLevel::ReadCommitted, topic);
    let uncommitted = read_all(IsolationLevel::ReadUncommitted, topic);
    for p in 0..2 {
        assert_eq!(
            committed.end_offsets[&p], lso[p as usize],
            "{who}: read_committed end_offsets of partition {p} are the last stable offset"
        );
        assert!(
            uncommitted.end_offsets[&p] > lso[p as usize],
            "{who}: read_uncommitted end_offsets of partition {p} include the open transaction"
        );
        assert_eq!(
            committed.positions[&p], lso[p as usize],
            "{who}: read_committed stops at the open transaction of partition {p}"
        );
        assert_eq!(
            committed.highwater[&p],
            Some(uncommitted.end_offsets[&p]),
            "{who}: the high watermark of partition {p} under read_committed"
        );
        let before: Vec<(i64, String)> = producer
            .expected(p, true)
            .into_iter()
            .filter(|(o, _)| *o < lso[p as usize])
            .collect();
        assert_eq!(
            committed.records.get(&p).cloned().unwrap_or_default(),
            before,
            "{who}: read_committed with an open transaction, partition {p}"
        );
    }
    assert_eq!(
        committed.end_offsets[&2], uncommitted.end_offsets[&2],
        "{who}: partition 2 has no open transaction"
    );
    assert_eq!(
        committed.records.get(&2).cloned().unwrap_or_default(),
        producer.expected(2, true),
        "{who}: read_committed, partition 2 (no open transaction)"
    );
    assert_reads(
        &format!("{who}: read_uncommitted with an open transaction"),
        &producer,
        &uncommitted,
        false,
    );

    // The open transaction aborts: the committed record behind it appears.
    producer.end(0, false);
    producer.finish();
    assert_java_agrees(who, &producer, topic, None);

    let committed = read_all(IsolationLevel::ReadCommitted, topic);
    assert_reads(
        &format!("{who}: read_committed"),
        &producer,
        &committed,
        true,
    );
    let uncommitted = read_all(IsolationLevel::ReadUncommitted, topic);
    assert_reads(
        &format!("{who}: read_uncommitted"),
        &producer,
        &uncommitted,
        false,
    );
    let aborted: usize = (0..PARTITIONS)
        .map(|p| producer.expected(p, false).len() - producer.expected(p, true).len())
        .sum();
    assert!(
        aborted >= 10,
        "{who}: the script aborts records ({aborted})"
    );
    for p in 0..PARTITIONS {
        assert_eq!(
            committed.end_offsets[&p], uncommitted.end_offsets[&p],
            "{who}: no open transactions: the last stable offset of {p} is its end"
        );
        for read in [&committed, &uncommitted] {
            assert_eq!(
                read.positions[&p], read.end_offsets[&p],
                "{who}: the position of partition {p} moves past the last markers"
            );
            assert_eq!(
                read.highwater[&p],
                Some(read.end_offsets[&p]),
                "{who}: the high watermark of partition {p}"
            );
        }
        let last = producer.log[&p]
            .last()
            .map(|(o, _, _)| *o)
            .expect("records");
        assert!(
            committed.end_offsets[&p] > last + 1,
            "{who}: transaction markers follow the last record of partition {p}"
        );
    }
}

fn create_topic(prefix: &str) -> String {
    let topic = common::unique_topic(prefix);
    let r = common::admin()
        .create_topics(&[NewTopic::new(&topic, PARTITIONS, 1)], TIMEOUT)
        .expect("create_topics");
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    topic
}

#[test]
fn read_committed_filters_librdkafka_transactions() {
    let topic = create_topic("read-committed-rdkafka");
    run_script(TxnProducer::librdkafka(&topic), &topic, "librdkafka");
}

#[test]
fn read_committed_filters_java_transactions() {
    let topic = create_topic("read-committed-java");
    run_script(TxnProducer::java(&topic), &topic, "Java");
}
