//! A consumer group through a rolling restart (the fault suite, scenario 4): three
//! members read a topic of 6 partitions, committing after each poll, while a producer
//! writes to it and every broker in turn is SIGKILLed and started again, the group
//! coordinator among them. The test checks that:
//! - no record is lost: every acknowledged record is read by some member;
//! - a record is read twice only when, as the second read began, no commit past it had
//!   completed (duplicates come only after offsets not yet committed);
//! - the group settles: the three members own every partition once, in one
//!   generation;
//! - `poll` reports no error to the user through it all.
//!
//! The test kills brokers, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::faults::{
    assert_no_client_threads, close_producer, replicated_topic, send_until, wait_for_isr,
};
use common::kafka::KafkaCluster;
use kafka_sync::{
    Acks, ConsumerConfig, KafkaConsumer, KafkaProducer, OffsetAndMetadata, OffsetReset,
    ProducerConfig, TopicPartition,
};

const PARTITIONS: i32 = 6;
const MEMBERS: usize = 3;

/// What a member did, stamped from one counter shared by all members, so the events
/// of different members can be ordered.
#[derive(Debug)]
enum Event {
    /// A poll that began at `began` returned this record.
    Read {
        began: u64,
        partition: i32,
        offset: i64,
        value: String,
    },
    /// A commit of `offset` (the next record to read) to `partition` had completed by
    /// `done`.
    Committed {
        done: u64,
        partition: i32,
        offset: i64,
    },
}

/// What a member reports of itself after each poll.
#[derive(Clone, Debug, Default)]
struct Membership {
    generation: Option<i32>,
    assignment: BTreeSet<TopicPartition>,
}

struct Shared {
    clock: AtomicU64,
    events: Mutex<Vec<Event>>,
    members: Mutex<Vec<Membership>>,
    reads: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }
}

/// One member's loop: poll, record, commit what it read, report its membership.
fn member(index: usize, bootstrap: String, group: String, topic: String, shared: Arc<Shared>) {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id(&group)
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(false)
            .session_timeout(Duration::from_secs(10))
            .heartbeat_interval(Duration::from_secs(1)),
    )
    .expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    let mut commit_errors = 0usize;
    while !shared.stop.load(Ordering::SeqCst) {
        let began = shared.tick();
        let records = consumer
            .poll(Duration::from_millis(200))
            .unwrap_or_else(|e| panic!("member {index}: poll reported an error: {e}"));
        let mut next: BTreeMap<TopicPartition, OffsetAndMetadata> = BTreeMap::new();
        {
            let mut events = shared.events.lock().expect("events");
            for r in &records {
                let value = String::from_utf8(r.value.as_deref().expect("a value").to_vec())
                    .expect("utf-8");
                events.push(Event::Read {
                    began,
                    partition: r.partition,
                    offset: r.offset,
                    value,
                });
                next.insert(
                    TopicPartition::new(&topic, r.partition),
                    OffsetAndMetadata::new(r.offset + 1),
                );
            }
        }
        shared
            .reads
            .fetch_add(records.len() as u64, Ordering::SeqCst);
        if !next.is_empty() {
            // A commit may fail while the group rebalances or its coordinator moves
            // (Java reports that too); the records stay uncommitted, and the check
            // allows them to be read again.
            match consumer.commit_offsets(&next) {
                Ok(()) => {
                    let done = shared.tick();
                    let mut events = shared.events.lock().expect("events");
                    for (tp, om) in &next {
                        events.push(Event::Committed {
                            done,
                            partition: tp.partition,
                            offset: om.offset,
                        });
                    }
                }
                Err(e) => {
                    commit_errors += 1;
                    log::info!("member {index}: commit failed: {e}");
                }
            }
        }
        shared.members.lock().expect("members")[index] = Membership {
            generation: consumer.generation(),
            assignment: consumer.assignment(),
        };
    }
    println!("member {index}: {commit_errors} failed commits");
    consumer.close().expect("close");
}

/// Waits until the members have read `more` further records.
fn reading(shared: &Shared, more: u64) {
    let target = shared.reads.load(Ordering::SeqCst) + more;
    common::wait_until(
        "the group stopped reading",
        Duration::from_secs(120),
        Duration::from_millis(10),
        || {
            let reads = shared.reads.load(Ordering::SeqCst);
            if reads >= target {
                Ok(())
            } else {
                Err(format!("{reads} of {target} records read"))
            }
        },
    );
}

/// Whether the members own every partition exactly once, all in one generation.
fn settled(members: &[Membership], topic: &str) -> bool {
    let generations: HashSet<_> = members.iter().map(|m| m.generation).collect();
    let owned: Vec<&TopicPartition> = members.iter().flat_map(|m| &m.assignment).collect();
    let distinct: BTreeSet<_> = owned.iter().collect();
    generations.len() == 1
        && !generations.contains(&None)
        && owned.len() == PARTITIONS as usize
        && distinct.len() == owned.len()
        && (0..PARTITIONS).all(|p| distinct.contains(&&TopicPartition::new(topic, p)))
}

#[test]
fn a_group_reads_everything_through_a_rolling_restart_and_settles() {
    common::log_to_stderr();
    let cluster = KafkaCluster::start(3);
    let bootstrap = cluster.bootstrap();
    let topic = replicated_topic(&bootstrap, "fault-rolling", PARTITIONS);
    let group = common::unique_topic("fault-rolling-group");
    let shared = Arc::new(Shared {
        clock: AtomicU64::new(0),
        events: Mutex::default(),
        members: Mutex::new(vec![Membership::default(); MEMBERS]),
        reads: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let members: Vec<_> = (0..MEMBERS)
        .map(|i| {
            let (bootstrap, group, topic, shared) = (
                bootstrap.clone(),
                group.clone(),
                topic.clone(),
                Arc::clone(&shared),
            );
            std::thread::spawn(move || member(i, bootstrap, group, topic, shared))
        })
        .collect();
    let producer = Arc::new(
        KafkaProducer::new(
            ProducerConfig::new(&bootstrap)
                .acks(Acks::All)
                .linger(Duration::from_millis(2))
                .delivery_timeout(Duration::from_secs(120)),
        )
        .expect("producer"),
    );
    let produced = Arc::new(AtomicBool::new(false));
    let sender = {
        let producer = Arc::clone(&producer);
        let topic = topic.clone();
        let produced = Arc::clone(&produced);
        std::thread::spawn(move || send_until(&producer, &topic, 2, 20, &produced))
    };

    let started = Instant::now();
    for node in 1..=3 {
        reading(&shared, 2_000);
        eprintln!("{:?} kill {node}", started.elapsed());
        cluster.kill(node);
        reading(&shared, 2_000);
        eprintln!("{:?} start {node}", started.elapsed());
        cluster.start_node(node);
        wait_for_isr(&bootstrap, &topic, 3);
        eprintln!("{:?} isr", started.elapsed());
    }
    reading(&shared, 2_000);
    produced.store(true, Ordering::SeqCst);
    let sent = sender.join().expect("the sender");
    producer
        .flush(Some(Duration::from_secs(60)))
        .expect("flush");
    close_producer(&producer);
    let failed: Vec<_> = sent.iter().filter(|s| s.outcome.is_err()).collect();
    assert!(failed.is_empty(), "sends failed: {:?}", failed.first());

    // Every acknowledged record read, and the group settled.
    let wanted: HashSet<&str> = sent.iter().map(|s| s.value.as_str()).collect();
    common::wait_until(
        "the group did not read everything and settle",
        Duration::from_secs(120),
        Duration::from_millis(100),
        || {
            let read: HashSet<String> = shared
                .events
                .lock()
                .expect("events")
                .iter()
                .filter_map(|e| match e {
                    Event::Read { value, .. } => Some(value.clone()),
                    Event::Committed { .. } => None,
                })
                .collect();
            let missing = wanted.iter().filter(|v| !read.contains(**v)).count();
            let members = shared.members.lock().expect("members").clone();
            if missing == 0 && settled(&members, &topic) {
                Ok(())
            } else {
                Err(format!(
                    "{missing} acknowledged records never read; the members: {members:?}"
                ))
            }
        },
    );
    shared.stop.store(true, Ordering::SeqCst);
    for m in members {
        m.join().expect("a member");
    }

    // Duplicates only after offsets not yet committed.
    let events = std::mem::take(&mut *shared.events.lock().expect("events"));
    let mut committed: HashMap<i32, Vec<(u64, i64)>> = HashMap::new();
    for e in &events {
        if let Event::Committed {
            done,
            partition,
            offset,
        } = e
        {
            committed
                .entry(*partition)
                .or_default()
                .push((*done, *offset));
        }
    }
    let mut seen: HashSet<(i32, i64)> = HashSet::new();
    let mut duplicates = 0usize;
    for e in &events {
        let Event::Read {
            began,
            partition,
            offset,
            value,
        } = e
        else {
            continue;
        };
        if seen.insert((*partition, *offset)) {
            continue;
        }
        duplicates += 1;
        let passed = committed.get(partition).and_then(|commits| {
            commits
                .iter()
                .find(|(done, committed)| done < began && committed > offset)
        });
        assert!(
            passed.is_none(),
            "{value} ({partition}/{offset}) read again after a commit past it: {passed:?}"
        );
    }
    println!(
        "{} records read, {duplicates} read again, {} commits",
        seen.len(),
        committed.values().map(Vec::len).sum::<usize>()
    );
    assert_no_client_threads();
}
