//! Helpers of the fault suite (`tests/fault_*.rs`): replicated topics on a cluster of
//! a test's own, leaders and in-sync replicas, keyed senders whose every outcome is
//! kept, and the check of what reached the log against what the futures said, read
//! back by an independent client (the Java consumer).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_sync::TopicMetadata;
use kafka_sync::{
    AdminConfig, ErrorCode, KafkaAdminClient, KafkaError, KafkaProducer, NewTopic, ProducerRecord,
    RecordMetadata,
};

use super::java;

const TIMEOUT: Duration = Duration::from_secs(60);

/// An admin client for `bootstrap`.
pub fn admin(bootstrap: &str) -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(bootstrap)).expect("admin client")
}

/// A topic with 3 replicas and `min.insync.replicas=2`, with all of them in sync.
pub fn replicated_topic(bootstrap: &str, prefix: &str, partitions: i32) -> String {
    let name = super::unique_topic(prefix);
    let results = admin(bootstrap)
        .create_topics(
            &[NewTopic::new(&name, partitions, 3).config("min.insync.replicas", "2")],
            TIMEOUT,
        )
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    wait_for_isr(bootstrap, &name, 3);
    super::fetch::wait_until_led(bootstrap, &name, partitions, TIMEOUT);
    name
}

/// Waits until every partition of `topic` has a leader and `isr` in-sync replicas
/// (the brokers shrink and grow ISRs on their own schedule).
pub fn wait_for_isr(bootstrap: &str, topic: &str, isr: usize) -> TopicMetadata {
    let admin = admin(bootstrap);
    let what = format!("{topic} never had {isr} in-sync replicas");
    super::wait_until(&what, TIMEOUT, Duration::from_millis(100), || {
        let described = admin.describe_topics(&[topic], Duration::from_secs(10));
        match &described {
            Ok(d)
                if d[0].error == ErrorCode::NONE
                    && !d[0].partitions.is_empty()
                    && d[0]
                        .partitions
                        .iter()
                        .all(|p| p.leader.is_some() && p.isr.len() == isr) =>
            {
                Ok(d[0].clone())
            }
            _ => Err(format!("{described:?}")),
        }
    })
}

/// The current leader of `topic`-`partition`, as a node number of the cluster.
pub fn leader_of(bootstrap: &str, topic: &str, partition: i32) -> u32 {
    let what = format!("{topic}-{partition} has no leader");
    let leader = super::wait_until(&what, TIMEOUT, Duration::from_millis(100), || {
        let described = admin(bootstrap).describe_topics(&[topic], Duration::from_secs(10));
        described
            .as_ref()
            .ok()
            .and_then(|d| {
                d[0].partitions
                    .iter()
                    .find(|p| p.partition == partition)
                    .and_then(|p| p.leader)
            })
            .ok_or_else(|| format!("{described:?}"))
    });
    u32::try_from(leader).expect("a node id")
}

/// The node that leads the controller quorum (the active controller), as Kafka's
/// own `MetadataQuorumCommand` reports it.
pub fn quorum_leader(bootstrap: &str) -> u32 {
    let out = java::command("org.apache.kafka.tools.MetadataQuorumCommand")
        .args(["--bootstrap-server", bootstrap, "describe", "--status"])
        .output()
        .expect("run MetadataQuorumCommand");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("LeaderId:"))
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no LeaderId in: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// Like [`replicated_topic`] with one partition, whose preferred leader is `leader`.
pub fn replicated_topic_led_by(bootstrap: &str, prefix: &str, leader: u32) -> String {
    let name = super::unique_topic(prefix);
    let leader = i32::try_from(leader).expect("a node id");
    let mut replicas = vec![leader];
    replicas.extend((1..=3).filter(|n| *n != leader));
    let results = admin(bootstrap)
        .create_topics(
            &[NewTopic::new(&name, -1, -1)
                .assign(0, replicas)
                .config("min.insync.replicas", "2")],
            TIMEOUT,
        )
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    wait_for_isr(bootstrap, &name, 3);
    super::fetch::wait_until_led(bootstrap, &name, 1, TIMEOUT);
    name
}

/// One record a sender sent, and what its future said.
#[derive(Debug)]
pub struct Sent {
    pub key: String,
    pub value: String,
    pub outcome: Result<RecordMetadata, KafkaError>,
}

/// Sends keyed records from `threads` threads sharing `producer` until `stop` is set,
/// `window` records at a time (a thread waits for the last of each window before it
/// sends the next, so the run lasts as long as the faults). Thread `t` uses the keys
/// `t{t}-k0` to `t{t}-k7` and values `t{t}-{n}` with `n` counting up, so the send
/// order of a key is the order of its `n`. Returns every record with its outcome.
pub fn send_until(
    producer: &Arc<KafkaProducer>,
    topic: &str,
    threads: usize,
    window: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<Sent> {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let producer = Arc::clone(producer);
            let topic = topic.to_owned();
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let mut sent = Vec::new();
                let mut n = 0usize;
                let deadline = Instant::now() + Duration::from_secs(300);
                while !stop.load(Ordering::SeqCst) {
                    assert!(Instant::now() < deadline, "the faults never ended");
                    let mut futures = Vec::with_capacity(window);
                    for _ in 0..window {
                        let key = format!("t{t}-k{}", n % 8);
                        let value = format!("t{t}-{n}");
                        n += 1;
                        let result =
                            producer.send(ProducerRecord::new(&topic).key(&key).value(&value));
                        futures.push((key, value, result));
                    }
                    // Waiting for the window's records paces the thread: it sends as
                    // fast as the cluster acknowledges.
                    for (key, value, result) in futures {
                        let outcome = result.and_then(|f| f.get(TIMEOUT * 3));
                        sent.push(Sent {
                            key,
                            value,
                            outcome,
                        });
                    }
                }
                sent
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().expect("a sender thread"))
        .collect()
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub acknowledged: usize,
    pub failed: usize,
    /// Failed records that are in the log all the same (their outcome was unknown to
    /// the client: a timeout after the broker wrote them).
    pub failed_but_written: usize,
    /// Error texts of the failed records, counted.
    pub errors: BTreeMap<String, usize>,
}

/// Reads `topic` with the Java consumer and checks it against `sent`:
/// - every record whose future said Ok is in the log exactly once, at the partition
///   (and, when the broker gave one, the offset) its metadata says;
/// - no record is in the log twice (idempotence), failed ones included;
/// - per key, the log holds the records in send order;
/// - every failed record carries a clear error (it names its topic).
pub fn check_log(bootstrap: &str, topic: &str, sent: &[Sent]) -> Verdict {
    let log = java::read_topic(bootstrap, topic, "read_uncommitted");
    let mut seen: HashMap<String, (i32, i64)> = HashMap::new();
    let mut by_key: HashMap<String, Vec<u64>> = HashMap::new();
    for r in &log {
        let value = String::from_utf8(r.value.clone().expect("a value")).expect("utf-8");
        let key = String::from_utf8(r.key.clone().expect("a key")).expect("utf-8");
        if let Some(first) = seen.insert(value.clone(), (r.partition, r.offset)) {
            panic!(
                "{value} is in the log twice: at {first:?} and at ({}, {})",
                r.partition, r.offset
            );
        }
        let n: u64 = value
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse().ok())
            .expect("a counted value");
        by_key.entry(key).or_default().push(n);
    }
    for (key, ns) in &by_key {
        assert!(
            ns.windows(2).all(|w| w[0] < w[1]),
            "key {key}: the log does not hold its records in send order: {ns:?}"
        );
    }
    let mut verdict = Verdict::default();
    for s in sent {
        match &s.outcome {
            Ok(meta) => {
                verdict.acknowledged += 1;
                let Some(&(partition, offset)) = seen.get(&s.value) else {
                    panic!(
                        "{} was acknowledged ({meta:?}) but is not in the log",
                        s.value
                    );
                };
                assert_eq!(partition, meta.partition, "{}", s.value);
                if meta.offset >= 0 {
                    assert_eq!(offset, meta.offset, "{}: the acknowledged offset", s.value);
                }
            }
            Err(e) => {
                verdict.failed += 1;
                if seen.contains_key(&s.value) {
                    verdict.failed_but_written += 1;
                }
                let text = e.to_string();
                assert!(
                    text.contains(topic)
                        || text.contains("closed")
                        || text.contains("buffer.memory"),
                    "{}: an unclear error: {text}",
                    s.value
                );
                *verdict.errors.entry(format!("{:?}", e.kind())).or_insert(0) += 1;
            }
        }
    }
    verdict
}

/// The client library's threads alive in this process: those whose names start with
/// `kafka-` (the producer's sender, the consumer's heartbeat, host name lookups).
pub fn client_threads() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        panic!("/proc/self/task cannot be read: the thread check needs Linux");
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .filter(|name| name.starts_with("kafka-"))
        .collect()
}

/// Checks that no client thread outlives its client (the fault suite, scenario 9): to
/// be called once every client of the test is closed. A thread that was joined may
/// linger in `/proc` for a moment, so this looks again for a while before it fails.
pub fn assert_no_client_threads() {
    super::wait_until(
        "client threads outlived their clients",
        Duration::from_secs(10),
        Duration::from_millis(20),
        || {
            let left = client_threads();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    );
}

/// Closes `producer` and checks that its buffer memory is all given back: every
/// batch, delivered or failed, returned its bytes (the fault suite, scenario 9).
pub fn close_producer(producer: &KafkaProducer) {
    producer
        .close(Some(Duration::from_secs(30)))
        .expect("close");
    let metrics = producer.metrics();
    assert_eq!(
        metrics.buffer_used, 0,
        "buffer memory still accounted for after close: {metrics:?}"
    );
}

/// Waits until `producer` has had `more` further records acknowledged (the fault
/// tests pace their faults by the producer's progress); on a stall, fails with the
/// producer's metrics.
pub fn progress(producer: &KafkaProducer, more: u64, bootstrap: &str, topic: &str) {
    let target = producer.metrics().records_sent + more;
    super::wait_until(
        "the producer made no progress",
        Duration::from_secs(120),
        Duration::from_millis(10),
        || {
            let metrics = producer.metrics();
            if metrics.records_sent >= target {
                return Ok(());
            }
            Err(format!("{metrics:?} (topic {topic} at {bootstrap})"))
        },
    );
}
