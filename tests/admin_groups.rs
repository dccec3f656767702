//! Consumer group administration on Apache Kafka: listing with state and type
//! filters, describing classic groups (this client's members) and KIP-848 consumer
//! groups (the Java consumer with `group.protocol=consumer`) with their assignments,
//! deleting groups and group offsets, with the errors of unknown and active groups.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::java::Process;
use kafka_sync::admin::{GroupState, GroupType};
use kafka_sync::{
    ConsumerConfig, ErrorCode, KafkaConsumer, OffsetAndMetadata, OffsetReset, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 4;

fn member(group: &str) -> KafkaConsumer {
    KafkaConsumer::new(
        ConsumerConfig::new(&common::bootstrap())
            .group_id(group)
            .enable_auto_commit(false)
            .auto_offset_reset(OffsetReset::Earliest),
    )
    .expect("consumer")
}

/// Polls `members` until each owns some of the topic's partitions and together all of
/// them, in one generation: the group is stable.
fn settle(members: &mut [KafkaConsumer]) {
    common::wait_until("the group did not settle", TIMEOUT, Duration::ZERO, || {
        let mut owned = 0;
        let mut generations = BTreeSet::new();
        for m in members.iter_mut() {
            m.poll(Duration::from_millis(100)).expect("poll");
            owned += m.assignment().len();
            generations.insert(m.generation());
        }
        let each = members.iter().all(|m| !m.assignment().is_empty());
        if owned == PARTITIONS as usize && each && generations.len() == 1 {
            Ok(())
        } else {
            Err(format!(
                "{owned} partitions owned, generations {generations:?}"
            ))
        }
    });
}

#[test]
fn a_classic_group_is_listed_described_and_deleted() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-groups");
    common::create_topic(&topic, PARTITIONS);
    let group = common::unique_topic("admin-classic");
    let mut members = vec![member(&group), member(&group)];
    for m in &mut members {
        m.subscribe(&[&topic]).expect("subscribe");
    }
    settle(&mut members);

    let listed = admin.list_consumer_groups(&[], &[], TIMEOUT).expect("list");
    let ours = listed
        .iter()
        .find(|g| g.group_id == group)
        .unwrap_or_else(|| panic!("{group} is not listed: {listed:?}"));
    assert_eq!(ours.group_type, GroupType::Classic);
    assert_eq!(ours.protocol_type, "consumer");
    let stable = admin
        .list_consumer_groups(&[GroupState::Stable], &[GroupType::Classic], TIMEOUT)
        .expect("list");
    assert!(stable.iter().any(|g| g.group_id == group), "{stable:?}");
    let empty = admin
        .list_consumer_groups(&[GroupState::Empty], &[], TIMEOUT)
        .expect("list");
    assert!(
        !empty.iter().any(|g| g.group_id == group),
        "not empty: {empty:?}"
    );
    let consumer_type = admin
        .list_consumer_groups(&[], &[GroupType::Consumer], TIMEOUT)
        .expect("list");
    assert!(!consumer_type.iter().any(|g| g.group_id == group));

    let missing = common::unique_topic("admin-no-group");
    let described = admin
        .describe_consumer_groups(&[&group, &missing], TIMEOUT)
        .expect("describe");
    let d = described[&group].as_ref().expect("described");
    assert_eq!(d.state, GroupState::Stable);
    assert_eq!(d.group_type, GroupType::Classic);
    assert!(!d.is_simple);
    assert!(!d.partition_assignor.is_empty());
    assert_eq!(d.members.len(), 2);
    let ids: BTreeSet<String> = members.iter().filter_map(|m| m.member_id()).collect();
    let described_ids: BTreeSet<String> = d.members.iter().map(|m| m.member_id.clone()).collect();
    assert_eq!(described_ids, ids);
    let mut assigned: Vec<TopicPartition> = d
        .members
        .iter()
        .flat_map(|m| m.assignment.clone())
        .collect();
    assigned.sort();
    let all: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(&topic, p))
        .collect();
    assert_eq!(
        assigned, all,
        "the decoded assignments cover the topic once"
    );
    for m in &d.members {
        assert_eq!(m.subscribed_topics, vec![topic.clone()]);
        let own: BTreeSet<TopicPartition> = members
            .iter()
            .find(|c| c.member_id().as_deref() == Some(m.member_id.as_str()))
            .expect("a member")
            .assignment();
        assert_eq!(m.assignment.iter().cloned().collect::<BTreeSet<_>>(), own);
    }
    let err = described[&missing].as_ref().expect_err("no such group");
    assert_eq!(err.code(), Some(ErrorCode::GROUP_ID_NOT_FOUND), "{err}");

    // Offsets: committed, then deleted where the group does not subscribe.
    let other = common::unique_topic("admin-groups-other");
    common::create_topic(&other, 1);
    let other_tp = TopicPartition::new(&other, 0);
    let subscribed_tp = TopicPartition::new(&topic, 0);
    members[0]
        .commit_offsets(&BTreeMap::from([(
            subscribed_tp.clone(),
            OffsetAndMetadata::new(0),
        )]))
        .expect("commit");
    let deleted = admin
        .delete_consumer_group_offsets(&group, std::slice::from_ref(&subscribed_tp), TIMEOUT)
        .expect("delete offsets");
    let err = deleted[&subscribed_tp].as_ref().expect_err("subscribed");
    assert_eq!(
        err.code(),
        Some(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC),
        "{err}"
    );

    // An active group cannot be deleted; once its members left, it can.
    let err = admin
        .delete_consumer_groups(&[&group], TIMEOUT)
        .expect("delete")[&group]
        .clone()
        .expect_err("members");
    assert_eq!(err.code(), Some(ErrorCode::NON_EMPTY_GROUP), "{err}");
    // Without members named, every member is removed: the group empties.
    let removed = admin
        .remove_members_from_consumer_group(&group, &[], TIMEOUT)
        .expect("remove all");
    assert_eq!(removed.len(), 2, "{removed:?}");
    for (member, result) in &removed {
        assert!(result.is_ok(), "{member:?}: {result:?}");
        assert!(ids.contains(&member.member_id), "{member:?}");
    }
    for mut m in members {
        m.close().expect("close");
    }
    let emptied = admin
        .list_consumer_groups(&[GroupState::Empty], &[], TIMEOUT)
        .expect("list");
    assert!(emptied.iter().any(|g| g.group_id == group), "{emptied:?}");
    admin
        .alter_consumer_group_offsets(
            &group,
            &BTreeMap::from([(other_tp.clone(), OffsetAndMetadata::new(0))]),
            TIMEOUT,
        )
        .expect("alter")[&other_tp]
        .clone()
        .expect("committed");
    let deleted = admin
        .delete_consumer_group_offsets(&group, std::slice::from_ref(&other_tp), TIMEOUT)
        .expect("delete offsets");
    deleted[&other_tp].clone().expect("deleted");
    let left = admin
        .list_consumer_group_offsets(&group, None, TIMEOUT)
        .expect("list");
    assert!(!left.contains_key(&other_tp), "{left:?}");

    let results = admin
        .delete_consumer_groups(&[&group, &missing], TIMEOUT)
        .expect("delete");
    results[&group].clone().expect("deleted");
    let err = results[&missing].as_ref().expect_err("unknown");
    assert_eq!(err.code(), Some(ErrorCode::GROUP_ID_NOT_FOUND), "{err}");
    let err = admin
        .describe_consumer_groups(&[&group], TIMEOUT)
        .expect("describe")[&group]
        .clone()
        .expect_err("gone");
    assert_eq!(err.code(), Some(ErrorCode::GROUP_ID_NOT_FOUND), "{err}");
}

#[test]
fn a_kip_848_consumer_group_is_described_with_its_assignment() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-848");
    common::create_topic(&topic, PARTITIONS);
    let group = common::unique_topic("admin-848-group");
    let mut java = Process::spawn(
        "GroupMember",
        &[
            &common::bootstrap(),
            &group,
            &topic,
            "unused",
            "group.protocol=consumer",
        ],
    );
    // The member reports its whole assignment whenever it changes.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let line = java
            .line_until(deadline)
            .unwrap_or_else(|| panic!("the Java member got no assignment\n{}", java.stderr()));
        if line.split_whitespace().count() == 1 + PARTITIONS as usize {
            break;
        }
    }
    let d = admin
        .describe_consumer_groups(&[&group], TIMEOUT)
        .expect("describe")
        .remove(&group)
        .expect("the group")
        .expect("described");
    assert_eq!(d.group_type, GroupType::Consumer);
    assert_eq!(d.state, GroupState::Stable);
    assert!(d.group_epoch.is_some_and(|e| e > 0));
    assert!(
        ["uniform", "range"].contains(&d.partition_assignor.as_str()),
        "{}",
        d.partition_assignor
    );
    assert_eq!(d.members.len(), 1);
    let m = &d.members[0];
    assert!(m.member_epoch.is_some_and(|e| e > 0));
    assert_eq!(m.member_type, Some(GroupType::Consumer), "{m:?}");
    let mut owned = m.assignment.clone();
    owned.sort();
    let all: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(&topic, p))
        .collect();
    assert_eq!(owned, all);
    assert_eq!(
        m.target_assignment.as_ref().map(Vec::len),
        Some(PARTITIONS as usize)
    );
    assert_eq!(m.subscribed_topics, vec![topic.clone()]);

    let listed = admin
        .list_consumer_groups(&[], &[GroupType::Consumer], TIMEOUT)
        .expect("list");
    assert!(listed.iter().any(|g| g.group_id == group), "{listed:?}");
    java.wait(TIMEOUT);
}
