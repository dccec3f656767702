//! The admin client's offset calls on Apache Kafka: `list_offsets` (earliest, latest,
//! max-timestamp, by timestamp, an unknown topic beside a known one), a consumer
//! group's committed offsets listed, altered (then a consumer resumes there), and its
//! lag; members removed from a group.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::produce::{TestProducer, TestRecord};
use kafka_sync::admin::{MemberToRemove, OffsetSpec};
use kafka_sync::{
    ConsumerConfig, ErrorCode, IsolationLevel, KafkaConsumer, OffsetAndMetadata, OffsetReset,
    TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A topic with one partition of 10 records, timestamps 1000, 2000, ... 10000 except
/// the 5th, which has the highest (99000).
fn topic_with_timestamps() -> (String, TopicPartition) {
    let topic = common::unique_topic("admin-offsets");
    common::create_topic(&topic, 1);
    let records: Vec<TestRecord> = (0..10)
        .map(|i| {
            let mut r = TestRecord::value(format!("r{i}"));
            r.timestamp = Some(if i == 4 { 99_000 } else { 1000 * (i + 1) });
            r
        })
        .collect();
    TestProducer::new(&common::bootstrap()).send_batch(&topic, 0, &records);
    let tp = TopicPartition::new(&topic, 0);
    (topic, tp)
}

#[test]
fn list_offsets_answers_every_spec_and_fails_only_the_unknown_topic() {
    let admin = common::admin();
    let (_, tp) = topic_with_timestamps();
    let at = |spec| {
        let found = admin
            .list_offsets(
                &BTreeMap::from([(tp.clone(), spec)]),
                IsolationLevel::ReadUncommitted,
                TIMEOUT,
            )
            .expect("list_offsets");
        found[&tp].clone().expect("found")
    };
    assert_eq!(at(OffsetSpec::Earliest).map(|o| o.offset), Some(0));
    assert_eq!(at(OffsetSpec::Latest).map(|o| o.offset), Some(10));
    let max = at(OffsetSpec::MaxTimestamp).expect("a record");
    assert_eq!((max.offset, max.timestamp), (4, 99_000));
    let by_time = at(OffsetSpec::Timestamp(2500)).expect("a record");
    assert_eq!((by_time.offset, by_time.timestamp), (2, 3000));
    assert_eq!(
        at(OffsetSpec::Timestamp(200_000)),
        None,
        "nothing that late"
    );

    let unknown = TopicPartition::new(common::unique_topic("admin-offsets-missing"), 0);
    let mixed = admin
        .list_offsets(
            &BTreeMap::from([
                (tp.clone(), OffsetSpec::Latest),
                (unknown.clone(), OffsetSpec::Latest),
                (TopicPartition::new(&tp.topic, 7), OffsetSpec::Latest),
            ]),
            IsolationLevel::ReadCommitted,
            TIMEOUT,
        )
        .expect("list_offsets");
    assert_eq!(
        mixed[&tp].as_ref().expect("known").map(|o| o.offset),
        Some(10)
    );
    let err = mixed[&unknown].as_ref().expect_err("unknown topic");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );
    let err = mixed[&TopicPartition::new(&tp.topic, 7)]
        .as_ref()
        .expect_err("no such partition");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );
    assert!(admin
        .list_offsets(
            &BTreeMap::from([(tp, OffsetSpec::Timestamp(-5))]),
            IsolationLevel::ReadCommitted,
            TIMEOUT
        )
        .is_err());
}

#[test]
fn group_offsets_altered_here_are_where_a_consumer_resumes() {
    let admin = common::admin();
    let (topic, tp) = topic_with_timestamps();
    let group = common::unique_topic("admin-group");
    let none = admin
        .list_consumer_group_offsets(&group, None, TIMEOUT)
        .expect("list");
    assert!(
        none.is_empty(),
        "a group that does not exist has no offsets: {none:?}"
    );

    let altered = admin
        .alter_consumer_group_offsets(
            &group,
            &BTreeMap::from([(tp.clone(), OffsetAndMetadata::new(6).with_metadata("admin"))]),
            TIMEOUT,
        )
        .expect("alter");
    assert!(altered[&tp].is_ok(), "{altered:?}");
    let listed = admin
        .list_consumer_group_offsets(&group, None, TIMEOUT)
        .expect("list");
    let committed = listed[&tp].clone().expect("ok").expect("an offset");
    assert_eq!(
        (committed.offset, committed.metadata.as_str()),
        (6, "admin")
    );
    let chosen = admin
        .list_consumer_group_offsets(
            &group,
            Some(&[tp.clone(), TopicPartition::new(&topic, 3)]),
            TIMEOUT,
        )
        .expect("list");
    assert_eq!(chosen.len(), 2);
    assert!(matches!(chosen[&TopicPartition::new(&topic, 3)], Ok(None)));

    let lag = admin.consumer_group_lag(&group, TIMEOUT).expect("lag");
    let l = lag[&tp].clone().expect("lag of the partition");
    assert_eq!((l.committed, l.end_offset, l.lag), (Some(6), 10, Some(4)));

    // A member of the group starts where the admin client put the offset.
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .group_id(&group)
            .group_instance_id(format!("{group}-member"))
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let first = common::wait_until("no records", TIMEOUT, Duration::ZERO, || {
        let records = consumer.poll(Duration::from_millis(500)).expect("poll");
        let first = records.iter().next().map(|r| r.offset);
        first.ok_or_else(|| "nothing yet".to_owned())
    });
    assert_eq!(first, 6);

    // With a member, the coordinator refuses an admin's commit; removed, it accepts.
    let refused = admin
        .alter_consumer_group_offsets(
            &group,
            &BTreeMap::from([(tp.clone(), OffsetAndMetadata::new(1))]),
            TIMEOUT,
        )
        .expect("alter");
    assert!(refused[&tp].is_err(), "an active group: {refused:?}");
    let removed = admin
        .remove_members_from_consumer_group(
            &group,
            &[
                MemberToRemove::instance(format!("{group}-member")),
                MemberToRemove::instance("nobody"),
            ],
            TIMEOUT,
        )
        .expect("remove");
    assert!(removed[0].1.is_ok(), "{removed:?}");
    let err = removed[1].1.as_ref().expect_err("not a member");
    assert_eq!(err.code(), Some(ErrorCode::UNKNOWN_MEMBER_ID), "{err}");
    common::wait_until(
        "the group stays active",
        TIMEOUT,
        Duration::from_millis(200),
        || {
            let altered = admin
                .alter_consumer_group_offsets(
                    &group,
                    &BTreeMap::from([(tp.clone(), OffsetAndMetadata::new(1))]),
                    TIMEOUT,
                )
                .expect("alter");
            match &altered[&tp] {
                Ok(()) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        },
    );
    drop(consumer);
}
