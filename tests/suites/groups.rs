//! The consumer group suite, run under both group protocols (`group.protocol`
//! classic by tests/consumer_group.rs, consumer by tests/consumer_group_protocol.rs):
//! joining, splitting partitions among members, taking over when a member leaves or
//! stops polling, commits (sync, async, auto), resuming from committed offsets,
//! rebalance listeners, pattern subscriptions, incremental (cooperative) moves and
//! static membership. Each test is a function of the protocol; [`group_suite!`]
//! makes the `#[test]`s.
//!
//! tansu answers the first JoinGroup of a new group after about half the session
//! timeout, so the tests use a 6 s session. Its concurrent rebalances of several groups
//! can fence live members (../shared/brokers.md), so on tansu the tests of this file
//! run one at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::produce::TestProducer;
use kafka_sync::{
    AssignmentStrategy, ConsumerConfig, ConsumerRebalanceListener, ConsumerRecord, GroupProtocol,
    KafkaConsumer, NewTopic, OffsetAndMetadata, OffsetReset, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(60);

/// One group test at a time on tansu (see the module comment).
fn serial() -> Option<MutexGuard<'static, ()>> {
    common::serial_on_tansu()
}

fn topic(prefix: &str, partitions: i32) -> String {
    let name = common::unique_topic(prefix);
    let results = common::admin()
        .create_topics(&[NewTopic::new(&name, partitions, 1)], TIMEOUT)
        .expect("create topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    name
}

/// A member's config. Under the consumer protocol the session timeout and heartbeat
/// interval are the broker's (the test clusters set 6 s and 500 ms, as here).
fn config(group: &str, protocol: GroupProtocol) -> ConsumerConfig {
    let config = ConsumerConfig::new(&common::bootstrap())
        .group_id(group)
        .auto_offset_reset(OffsetReset::Earliest)
        .group_protocol(protocol);
    match protocol {
        GroupProtocol::Classic => config
            .session_timeout(Duration::from_secs(6))
            .heartbeat_interval(Duration::from_millis(500)),
        GroupProtocol::Consumer => config,
    }
}

fn consumer(config: ConsumerConfig, topic: &str) -> KafkaConsumer {
    let mut c = KafkaConsumer::new(config).expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    c
}

fn value(r: &ConsumerRecord) -> String {
    String::from_utf8(r.value.as_ref().expect("value").to_vec()).expect("utf-8")
}

/// Polls every consumer in turn (each poll short, so a join in progress does not hold
/// the others up) until `done` holds, collecting what each read.
fn poll_until(
    consumers: &mut [&mut KafkaConsumer],
    seen: &mut [Vec<ConsumerRecord>],
    what: &str,
    mut done: impl FnMut(&[&mut KafkaConsumer], &[Vec<ConsumerRecord>]) -> bool,
) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        for (c, out) in consumers.iter_mut().zip(seen.iter_mut()) {
            out.extend(c.poll(Duration::from_millis(50)).expect("poll"));
        }
        if done(consumers, seen) {
            return;
        }
        let sizes: Vec<usize> = consumers.iter().map(|c| c.assignment().len()).collect();
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; assignment sizes {sizes:?}"
        );
    }
}

fn sizes(consumers: &[&mut KafkaConsumer]) -> Vec<usize> {
    consumers.iter().map(|c| c.assignment().len()).collect()
}

fn disjoint(consumers: &[&mut KafkaConsumer]) -> bool {
    let mut all = BTreeSet::new();
    consumers
        .iter()
        .all(|c| c.assignment().into_iter().all(|tp| all.insert(tp)))
}

pub fn commit_committed_and_resume_in_a_new_member(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-commit", 2);
    let group = common::unique_topic("g-commit");
    let mut producer = TestProducer::new(&common::bootstrap());
    producer.fill(&t, 2, 0, 10, 10);
    let tp0 = TopicPartition::new(&t, 0);
    let tp1 = TopicPartition::new(&t, 1);

    let mut a = consumer(config(&group, p).enable_auto_commit(false), &t);
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut a], &mut seen, "20 records", |_, s| {
        s[0].len() >= 20
    });
    assert_eq!(seen[0].len(), 20);
    assert!(a.member_id().is_some() && a.generation().is_some());
    let membership = a.group_metadata().unwrap();
    assert_eq!(membership.group_id, group);
    assert_eq!(Some(membership.generation_id), a.generation());
    assert_eq!(
        Some(membership.member_id.as_str()),
        a.member_id().as_deref()
    );
    assert_eq!(membership.group_instance_id, None);
    a.commit().unwrap();
    assert_eq!(a.committed(&tp0).unwrap().map(|o| o.offset), Some(10));
    assert_eq!(a.committed(&tp1).unwrap().map(|o| o.offset), Some(10));

    // An explicit commit moves partition 1 back to 7.
    a.commit_offsets(&BTreeMap::from([(tp1.clone(), OffsetAndMetadata::new(7))]))
        .unwrap();
    assert_eq!(a.committed(&tp1).unwrap().map(|o| o.offset), Some(7));
    a.close().unwrap();

    producer.fill(&t, 2, 10, 5, 5);
    let mut b = consumer(config(&group, p).enable_auto_commit(false), &t);
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut b], &mut seen, "the new records", |_, s| {
        s[0].len() >= 13
    });
    let mut got: Vec<(i32, i64)> = seen[0].iter().map(|r| (r.partition, r.offset)).collect();
    got.sort();
    let expected: Vec<(i32, i64)> = (10..15)
        .map(|o| (0, o))
        .chain((7..15).map(|o| (1, o)))
        .collect();
    assert_eq!(got, expected, "resumed from the committed offsets");
    assert!(b.poll(Duration::from_millis(300)).unwrap().is_empty());
    b.close().unwrap();
}

pub fn auto_commit_and_commit_on_close(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-autocommit", 1);
    let group = common::unique_topic("g-auto");
    TestProducer::new(&common::bootstrap()).fill(&t, 1, 0, 30, 10);
    let tp = TopicPartition::new(&t, 0);

    let mut a = consumer(
        config(&group, p).auto_commit_interval(Duration::from_millis(200)),
        &t,
    );
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut a], &mut seen, "30 records", |_, s| {
        s[0].len() >= 30
    });
    // The background commit lands within a few intervals of polling.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(a.poll(Duration::from_millis(100)).unwrap().is_empty());
        if a.committed(&tp).unwrap().map(|o| o.offset) == Some(30) {
            break;
        }
        assert!(Instant::now() < deadline, "auto-commit never committed 30");
    }

    // Commit on close: read 5 more, close right away.
    TestProducer::new(&common::bootstrap()).fill(&t, 1, 30, 5, 5);
    let mut b = consumer(
        config(&group, p).auto_commit_interval(Duration::from_secs(3600)),
        &t,
    );
    a.close().unwrap();
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut b], &mut seen, "5 records", |_, s| {
        s[0].len() >= 5
    });
    assert_eq!(seen[0].first().map(|r| r.offset), Some(30));
    b.close().unwrap();
    let mut check = KafkaConsumer::new(config(&group, p)).unwrap();
    assert_eq!(check.committed(&tp).unwrap().map(|o| o.offset), Some(35));
}

pub fn commit_async_runs_its_callback_in_poll(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-async", 1);
    let group = common::unique_topic("g-async");
    TestProducer::new(&common::bootstrap()).fill(&t, 1, 0, 10, 10);
    let tp = TopicPartition::new(&t, 0);
    let mut a = consumer(config(&group, p).enable_auto_commit(false), &t);
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut a], &mut seen, "10 records", |_, s| {
        s[0].len() >= 10
    });

    let calls = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&calls);
    a.commit_async(None, move |offsets, result| {
        sink.lock().unwrap().push((offsets.clone(), result.is_ok()));
    })
    .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while calls.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the callback never ran");
        a.poll(Duration::from_millis(100)).unwrap();
    }
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].1, "commit succeeded");
    assert_eq!(calls[0].0.get(&tp).map(|o| o.offset), Some(10));
    assert_eq!(a.committed(&tp).unwrap().map(|o| o.offset), Some(10));
}

/// Records what the listener saw.
#[derive(Clone, Default)]
struct Recorder {
    revoked: Arc<Mutex<Vec<Vec<TopicPartition>>>>,
    assigned: Arc<Mutex<Vec<Vec<TopicPartition>>>>,
}

impl ConsumerRebalanceListener for Recorder {
    fn on_partitions_revoked(
        &mut self,
        consumer: &mut KafkaConsumer,
        partitions: &[TopicPartition],
    ) {
        // The consumer is usable in the callback.
        for tp in partitions {
            consumer.position(tp).expect("position in the listener");
        }
        self.revoked.lock().unwrap().push(partitions.to_vec());
    }
    fn on_partitions_assigned(&mut self, _: &mut KafkaConsumer, partitions: &[TopicPartition]) {
        self.assigned.lock().unwrap().push(partitions.to_vec());
    }
}

pub fn members_split_partitions_and_take_over_without_losing_records(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-split", 6);
    let group = common::unique_topic("g-split");
    let mut producer = TestProducer::new(&common::bootstrap());
    producer.fill(&t, 6, 0, 50, 10);

    let recorder = Recorder::default();
    let mut c1 = KafkaConsumer::new(config(&group, p)).unwrap();
    c1.subscribe_with_listener(&[&t], recorder.clone()).unwrap();
    let mut seen = vec![Vec::new(), Vec::new(), Vec::new()];
    {
        poll_until(&mut [&mut c1], &mut seen[..1], "c1 owns all", |c, _| {
            sizes(c) == [6]
        });
    }
    assert_eq!(
        recorder.assigned.lock().unwrap().last().map(Vec::len),
        Some(6)
    );

    let mut c2 = consumer(config(&group, p), &t);
    poll_until(
        &mut [&mut c1, &mut c2],
        &mut seen[..2],
        "a 3/3 split",
        |c, _| sizes(c) == [3, 3] && disjoint(c),
    );
    let revoked = recorder.revoked.lock().unwrap().clone();
    match p {
        // Range is eager: all of c1's partitions go before the rejoin.
        GroupProtocol::Classic => assert!(
            revoked.iter().any(|r| r.len() == 6),
            "eager rebalancing revoked all of c1's partitions: {revoked:?}"
        ),
        // The broker moves only what must move: c1 gives up 3 and keeps 3.
        GroupProtocol::Consumer => assert_eq!(
            revoked.iter().map(Vec::len).sum::<usize>(),
            3,
            "an incremental move: {revoked:?}"
        ),
    }

    // A stuck third member: it stops polling, so max.poll.interval.ms makes it leave.
    let mut c3 = consumer(
        config(&group, p).max_poll_interval(Duration::from_secs(4)),
        &t,
    );
    poll_until(
        &mut [&mut c1, &mut c2, &mut c3],
        &mut seen,
        "a 2/2/2 split",
        |c, _| sizes(c) == [2, 2, 2] && disjoint(c),
    );
    let stuck_partitions = c3.assignment();
    poll_until(
        &mut [&mut c1, &mut c2],
        &mut seen[..2],
        "c1 and c2 take over from stuck c3",
        |c, _| sizes(c) == [3, 3] && disjoint(c),
    );
    drop(c3);

    // c2 leaves cleanly: c1 takes everything.
    c2.close().unwrap();
    poll_until(
        &mut [&mut c1],
        &mut seen[..1],
        "c1 owns all again",
        |c, _| sizes(c) == [6],
    );
    producer.fill(&t, 6, 50, 10, 10);
    poll_until(
        &mut [&mut c1],
        &mut seen[..1],
        "the late records",
        |_, s| s[0].iter().filter(|r| r.offset >= 50).count() >= 60,
    );

    // Every record arrived; duplicates only where c3 read without committing.
    let mut counts: HashMap<(i32, i64), usize> = HashMap::new();
    for r in seen.iter().flatten() {
        assert_eq!(value(r), format!("{}-{}", r.partition, r.offset));
        *counts.entry((r.partition, r.offset)).or_default() += 1;
    }
    for p in 0..6 {
        for o in 0..60 {
            assert!(counts.contains_key(&(p, o)), "record {p}@{o} lost");
        }
    }
    let stuck: BTreeSet<i32> = stuck_partitions.iter().map(|tp| tp.partition).collect();
    for (&(p, o), &n) in &counts {
        assert!(
            n == 1 || stuck.contains(&p),
            "record {p}@{o} read {n} times"
        );
    }
    c1.close().unwrap();
}

pub fn cooperative_sticky_moves_only_what_must_move(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-coop", 4);
    let group = common::unique_topic("g-coop");
    TestProducer::new(&common::bootstrap()).fill(&t, 4, 0, 20, 10);
    // The consumer protocol always moves partitions incrementally; the classic one
    // does with cooperative-sticky.
    let coop = |g: &str| match p {
        GroupProtocol::Classic => {
            config(g, p).partition_assignment_strategy(&[AssignmentStrategy::CooperativeSticky])
        }
        GroupProtocol::Consumer => config(g, p),
    };
    let recorder = Recorder::default();
    let mut c1 = KafkaConsumer::new(coop(&group)).unwrap();
    c1.subscribe_with_listener(&[&t], recorder.clone()).unwrap();
    let mut seen = vec![Vec::new(), Vec::new()];
    poll_until(&mut [&mut c1], &mut seen[..1], "c1 owns all", |c, _| {
        sizes(c) == [4]
    });
    let before = c1.assignment();

    let mut c2 = consumer(coop(&group), &t);
    poll_until(&mut [&mut c1, &mut c2], &mut seen, "a 2/2 split", |c, _| {
        sizes(c) == [2, 2] && disjoint(c)
    });
    // c1 kept two of its partitions and was never stripped of all of them.
    assert!(c1.assignment().is_subset(&before));
    let revoked = recorder.revoked.lock().unwrap().clone();
    assert_eq!(
        revoked.iter().map(Vec::len).sum::<usize>(),
        2,
        "{revoked:?}"
    );
    poll_until(&mut [&mut c1, &mut c2], &mut seen, "all records", |_, s| {
        s.iter().map(Vec::len).sum::<usize>() >= 80
    });
    let unique: BTreeSet<(i32, i64)> = seen
        .iter()
        .flatten()
        .map(|r| (r.partition, r.offset))
        .collect();
    assert_eq!(unique.len(), 80);
    c1.close().unwrap();
    c2.close().unwrap();
}

pub fn pattern_subscription_picks_up_a_topic_created_later(p: GroupProtocol) {
    let _serial = serial();
    let prefix = common::unique_topic("pat");
    let first = format!("{prefix}-a");
    let admin = common::admin();
    admin
        .create_topics(&[NewTopic::new(&first, 1, 1)], TIMEOUT)
        .unwrap();
    let group = common::unique_topic("g-pattern");
    let mut producer = TestProducer::new(&common::bootstrap());
    producer.fill(&first, 1, 0, 5, 5);

    let mut c =
        KafkaConsumer::new(config(&group, p).metadata_max_age(Duration::from_millis(500))).unwrap();
    c.subscribe_pattern(&format!("{}-.*", regex_escape(&prefix)))
        .unwrap();
    let mut seen = vec![Vec::new()];
    poll_until(
        &mut [&mut c],
        &mut seen,
        "records of the first topic",
        |_, s| s[0].len() >= 5,
    );
    assert_eq!(c.subscription(), BTreeSet::from([first.clone()]));

    let second = format!("{prefix}-b");
    admin
        .create_topics(&[NewTopic::new(&second, 2, 1)], TIMEOUT)
        .unwrap();
    producer.fill(&second, 2, 0, 5, 5);
    poll_until(
        &mut [&mut c],
        &mut seen,
        "records of the new topic",
        |_, s| s[0].iter().filter(|r| *r.topic == *second).count() >= 10,
    );
    assert_eq!(c.subscription(), BTreeSet::from([first, second]));
    assert_eq!(c.assignment().len(), 3);
    c.close().unwrap();
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

pub fn unsubscribe_and_resubscribe_to_another_topic(p: GroupProtocol) {
    let _serial = serial();
    let a = topic("group-resub-a", 1);
    let b = topic("group-resub-b", 1);
    let group = common::unique_topic("g-resub");
    let mut producer = TestProducer::new(&common::bootstrap());
    producer.fill(&a, 1, 0, 3, 3);
    producer.fill(&b, 1, 0, 4, 4);
    let mut c = consumer(config(&group, p), &a);
    let mut seen = vec![Vec::new()];
    poll_until(&mut [&mut c], &mut seen, "topic a", |_, s| s[0].len() >= 3);
    c.subscribe(&[&b]).unwrap();
    poll_until(&mut [&mut c], &mut seen, "topic b", |_, s| s[0].len() >= 7);
    assert_eq!(c.assignment(), BTreeSet::from([TopicPartition::new(&b, 0)]));
    c.unsubscribe().unwrap();
    assert!(c.assignment().is_empty());
    assert!(
        c.poll(Duration::from_millis(10)).is_err(),
        "nothing to poll"
    );
}

pub fn static_member_gets_its_partitions_back_after_a_restart(p: GroupProtocol) {
    let _serial = serial();
    let t = topic("group-static", 4);
    let group = common::unique_topic("g-static");
    let stat = |id: &str| config(&group, p).group_instance_id(id);
    let mut a = consumer(stat("member-a"), &t);
    let mut b = consumer(stat("member-b"), &t);
    let mut seen = vec![Vec::new(), Vec::new()];
    poll_until(&mut [&mut a, &mut b], &mut seen, "a 2/2 split", |c, _| {
        sizes(c) == [2, 2] && disjoint(c)
    });
    let a_partitions = a.assignment();
    let b_partitions = b.assignment();
    let b_generation = b.generation();

    // A static member does not leave on close; its replacement, same instance id,
    // comes back within the session timeout and gets the same partitions.
    a.close().unwrap();
    drop(a);
    let mut a2 = consumer(stat("member-a"), &t);
    poll_until(
        &mut [&mut a2, &mut b],
        &mut seen,
        "the restarted member",
        |c, _| sizes(c) == [2, 2],
    );
    assert_eq!(a2.assignment(), a_partitions);
    assert_eq!(b.assignment(), b_partitions);
    assert_eq!(
        b.generation(),
        b_generation,
        "no rebalance for the other member"
    );
    a2.close().unwrap();
    b.close().unwrap();
}

/// The `#[test]`s of the suite under `$protocol`.
macro_rules! group_suite {
    ($protocol:expr) => {
        #[test]
        fn commit_committed_and_resume_in_a_new_member() {
            groups::commit_committed_and_resume_in_a_new_member($protocol);
        }
        #[test]
        fn auto_commit_and_commit_on_close() {
            groups::auto_commit_and_commit_on_close($protocol);
        }
        #[test]
        fn commit_async_runs_its_callback_in_poll() {
            groups::commit_async_runs_its_callback_in_poll($protocol);
        }
        #[test]
        fn members_split_partitions_and_take_over_without_losing_records() {
            groups::members_split_partitions_and_take_over_without_losing_records($protocol);
        }
        #[test]
        fn cooperative_sticky_moves_only_what_must_move() {
            groups::cooperative_sticky_moves_only_what_must_move($protocol);
        }
        #[test]
        fn pattern_subscription_picks_up_a_topic_created_later() {
            groups::pattern_subscription_picks_up_a_topic_created_later($protocol);
        }
        #[test]
        fn unsubscribe_and_resubscribe_to_another_topic() {
            groups::unsubscribe_and_resubscribe_to_another_topic($protocol);
        }
        #[test]
        fn static_member_gets_its_partitions_back_after_a_restart() {
            groups::static_member_gets_its_partitions_back_after_a_restart($protocol);
        }
    };
}
pub(crate) use group_suite;
