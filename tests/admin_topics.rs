//! Topic administration against a real broker: create, list, describe, delete.

mod common;

use std::time::Duration;

use kafka_sync::{ErrorCode, ErrorKind, NewTopic};

const TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn create_list_describe_delete_round_trip() {
    let admin = common::admin();
    let a = common::unique_topic("admin-a");
    let b = common::unique_topic("admin-b");

    let results = admin
        .create_topics(&[NewTopic::new(&a, 3, 1), NewTopic::new(&b, 1, 1)], TIMEOUT)
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].topic, a);
    assert_eq!(results[1].topic, b);
    for r in &results {
        assert!(r.result.is_ok(), "{}: {:?}", r.topic, r.result);
    }
    // CreateTopics returns once the controller has the topics; the broker takes them
    // up a moment later (as for the Java admin client).
    common::fetch::wait_until_led(&common::bootstrap(), &a, 3, TIMEOUT);
    common::fetch::wait_until_led(&common::bootstrap(), &b, 1, TIMEOUT);

    let listed = admin.list_topics(TIMEOUT).unwrap();
    assert!(listed.contains(&a) && listed.contains(&b), "{listed:?}");
    assert!(
        listed.windows(2).all(|w| w[0] <= w[1]),
        "sorted: {listed:?}"
    );

    let described = admin.describe_topics(&[&a, &b], TIMEOUT).unwrap();
    assert_eq!(described[0].name, a);
    assert_eq!(described[0].error, ErrorCode::NONE);
    assert_eq!(described[0].partitions.len(), 3);
    for (i, p) in described[0].partitions.iter().enumerate() {
        assert_eq!(p.partition, i as i32);
        let leader = p.leader.expect("every partition has a leader");
        assert!(p.replicas.contains(&leader), "{p:?}");
        assert!(p.isr.contains(&leader), "{p:?}");
    }
    assert_eq!(described[1].partitions.len(), 1);

    let deleted = admin.delete_topics(&[&a, &b], TIMEOUT).unwrap();
    for r in &deleted {
        assert!(r.result.is_ok(), "{}: {:?}", r.topic, r.result);
    }
    // Likewise the deletion reaches the broker's metadata a moment after it returns.
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let listed = admin.list_topics(TIMEOUT).unwrap();
        if !listed.contains(&a) && !listed.contains(&b) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still listed after deletion: {listed:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn creating_an_existing_topic_fails_for_that_topic_only() {
    let admin = common::admin();
    let existing = common::unique_topic("admin-existing");
    let fresh = common::unique_topic("admin-fresh");
    let first = admin
        .create_topics(&[NewTopic::new(&existing, 1, 1)], TIMEOUT)
        .unwrap();
    assert!(first[0].result.is_ok(), "{:?}", first[0].result);

    let results = admin
        .create_topics(
            &[NewTopic::new(&existing, 1, 1), NewTopic::new(&fresh, 2, 1)],
            TIMEOUT,
        )
        .unwrap();
    let err = results[0].result.as_ref().unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS), "{err}");
    assert!(results[1].result.is_ok(), "{:?}", results[1].result);
}

#[test]
fn describing_a_missing_topic_reports_it_per_topic() {
    let admin = common::admin();
    let present = common::unique_topic("admin-present");
    let missing = common::unique_topic("admin-missing");
    common::create_topic(&present, 2);
    let described = admin
        .describe_topics(&[&present, &missing], TIMEOUT)
        .unwrap();
    assert_eq!(described[0].partitions.len(), 2);
    assert_eq!(described[1].name, missing);
    assert_eq!(described[1].error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    assert!(described[1].partitions.is_empty());
}

#[test]
fn deleting_a_missing_topic_fails_for_that_topic() {
    let admin = common::admin();
    let missing = common::unique_topic("admin-never-created");
    let results = admin.delete_topics(&[&missing], TIMEOUT).unwrap();
    let err = results[0].result.as_ref().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Broker(_)), "{err}");
}

#[test]
fn invalid_topic_names_are_rejected_before_sending() {
    let admin = common::admin();
    let err = admin
        .create_topics(&[NewTopic::new("bad name", 1, 1)], TIMEOUT)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("bad name"), "{err}");
}
