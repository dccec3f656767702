//! Cluster, partition and transaction admin calls on Apache Kafka: partitions added
//! (validated, refused when shrinking or for an unknown topic), topics described by
//! id, the cluster's features and metadata quorum, and the producers and transactions
//! brokers know, with this client's own transactional producer as the subject.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_sync::admin::NewPartitions;
use kafka_sync::protocol::Uuid;
use kafka_sync::{ErrorCode, KafkaProducer, ProducerConfig, ProducerRecord, TopicPartition};

const TIMEOUT: Duration = Duration::from_secs(30);

fn partition_count(topic: &str) -> usize {
    common::admin()
        .describe_topics(&[topic], TIMEOUT)
        .expect("describe")[0]
        .partitions
        .len()
}

#[test]
fn partitions_are_added_only_where_they_can_be() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-grow");
    common::create_topic(&topic, 1);
    let missing = common::unique_topic("admin-grow-missing");

    let results = admin
        .create_partitions(
            &BTreeMap::from([(topic.clone(), NewPartitions::increase_to(3))]),
            true,
            TIMEOUT,
        )
        .expect("validate");
    results[&topic].clone().expect("valid");
    assert_eq!(partition_count(&topic), 1, "validate_only changes nothing");

    let results = admin
        .create_partitions(
            &BTreeMap::from([
                (topic.clone(), NewPartitions::increase_to(3)),
                (missing.clone(), NewPartitions::increase_to(3)),
            ]),
            false,
            TIMEOUT,
        )
        .expect("create partitions");
    results[&topic].clone().expect("grown");
    let err = results[&missing].as_ref().expect_err("unknown topic");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );
    common::wait_until(
        "the new partitions did not appear",
        TIMEOUT,
        Duration::from_millis(100),
        || match partition_count(&topic) {
            3 => Ok(()),
            n => Err(format!("{n} partitions")),
        },
    );
    common::fetch::wait_until_led(&common::bootstrap(), &topic, 3, TIMEOUT);

    let node = admin.describe_cluster(TIMEOUT).expect("cluster").brokers[0].id;
    let results = admin
        .create_partitions(
            &BTreeMap::from([(topic.clone(), NewPartitions::increase_to(2))]),
            false,
            TIMEOUT,
        )
        .expect("shrink");
    let err = results[&topic].as_ref().expect_err("a topic cannot shrink");
    assert_eq!(err.code(), Some(ErrorCode::INVALID_PARTITIONS), "{err}");
    let results = admin
        .create_partitions(
            &BTreeMap::from([(
                topic.clone(),
                NewPartitions::increase_to(4).assign(vec![vec![node + 100]]),
            )]),
            false,
            TIMEOUT,
        )
        .expect("bad assignment");
    let err = results[&topic].as_ref().expect_err("no such broker");
    assert_eq!(
        err.code(),
        Some(ErrorCode::INVALID_REPLICA_ASSIGNMENT),
        "{err}"
    );
    let results = admin
        .create_partitions(
            &BTreeMap::from([(
                topic.clone(),
                NewPartitions::increase_to(4).assign(vec![vec![node]]),
            )]),
            false,
            TIMEOUT,
        )
        .expect("assigned");
    results[&topic].clone().expect("placed on the broker");
}

#[test]
fn topics_are_described_by_id() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-by-id");
    common::create_topic(&topic, 2);
    let by_name = admin.describe_topics(&[&topic], TIMEOUT).expect("describe");
    let id = by_name[0].topic_id;
    assert_ne!(id, Uuid::ZERO);
    let unknown = Uuid([7; 16]);
    let by_id = admin
        .describe_topics_by_id(&[id, unknown], TIMEOUT)
        .expect("describe by id");
    assert_eq!(by_id[0].name, topic);
    assert_eq!(by_id[0].partitions.len(), 2);
    assert_eq!(by_id[0].error, ErrorCode::NONE);
    assert_eq!(by_id[1].error, ErrorCode::UNKNOWN_TOPIC_ID);
    assert_eq!(by_id[1].topic_id, unknown);
}

#[test]
fn features_and_the_metadata_quorum() {
    let admin = common::admin();
    let features = admin.describe_features(TIMEOUT).expect("features");
    let (_, max) = features.finalized["metadata.version"];
    assert!(max > 0, "{features:?}");
    assert!(
        features.finalized.contains_key("transaction.version"),
        "{features:?}"
    );
    let (lo, hi) = features.supported["group.version"];
    assert!(lo <= hi, "{features:?}");
    assert!(features.finalized_epoch.is_some_and(|e| e >= 0));

    let quorum = admin.describe_metadata_quorum(TIMEOUT).expect("quorum");
    let cluster = admin.describe_cluster(TIMEOUT).expect("cluster");
    assert!(!quorum.voters.is_empty(), "{quorum:?}");
    assert!(
        quorum
            .voters
            .iter()
            .any(|v| v.replica_id == quorum.leader_id),
        "the leader votes: {quorum:?}"
    );
    assert!(quorum.high_watermark > 0);
    assert!(quorum.leader_epoch > 0);
    if common::broker_kind() == common::BrokerKind::Kafka {
        // The harness's nodes are broker and controller both.
        assert_eq!(quorum.voters.len(), cluster.brokers.len(), "{quorum:?}");
        assert!(quorum.nodes.contains_key(&quorum.leader_id), "{quorum:?}");
    }
}

#[test]
fn producers_and_transactions_are_described() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-txn");
    common::create_topic(&topic, 1);
    let tp = TopicPartition::new(&topic, 0);
    let id = common::unique_topic("admin-txn-id");
    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .transactional_id(&id)
            .transaction_timeout(Duration::from_secs(50)),
    )
    .expect("producer");
    producer.init_transactions(TIMEOUT).expect("init");
    producer.begin_transaction().expect("begin");
    producer
        .send(ProducerRecord::new(&topic).value("open"))
        .expect("send")
        .get(TIMEOUT)
        .expect("written");

    let producers = admin
        .describe_producers(&[tp.clone(), TopicPartition::new(&topic, 9)], TIMEOUT)
        .expect("producers");
    let states = producers[&tp].as_ref().expect("described");
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].last_sequence, Some(0));
    assert_eq!(
        states[0].current_transaction_start_offset,
        Some(0),
        "the open transaction starts at the record"
    );
    let err = producers[&TopicPartition::new(&topic, 9)]
        .as_ref()
        .expect_err("no such partition");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );

    let ongoing = admin
        .list_transactions(&["Ongoing"], &[], None, TIMEOUT)
        .expect("list");
    let listed = ongoing
        .iter()
        .find(|t| t.transactional_id == id)
        .unwrap_or_else(|| panic!("{id} is not listed: {ongoing:?}"));
    assert_eq!(listed.producer_id, states[0].producer_id);
    let committed = admin
        .list_transactions(&["CompleteCommit"], &[], None, TIMEOUT)
        .expect("list");
    assert!(!committed.iter().any(|t| t.transactional_id == id));

    let missing = common::unique_topic("admin-txn-missing");
    let described = admin
        .describe_transactions(&[&id, &missing], TIMEOUT)
        .expect("describe");
    let d = described[&id].as_ref().expect("described");
    assert_eq!(d.state, "Ongoing");
    assert_eq!(d.transaction_timeout_ms, 50_000);
    assert_eq!(d.topic_partitions, vec![tp.clone()]);
    assert!(d.transaction_start_time_ms.is_some());
    let err = described[&missing].as_ref().expect_err("unknown id");
    assert_eq!(
        err.code(),
        Some(ErrorCode::TRANSACTIONAL_ID_NOT_FOUND),
        "{err}"
    );

    producer.commit_transaction(TIMEOUT).expect("commit");
    common::wait_until(
        "the transaction did not complete",
        TIMEOUT,
        Duration::from_millis(100),
        || {
            let d = admin
                .describe_transactions(&[&id], TIMEOUT)
                .expect("describe")
                .remove(&id)
                .expect("the id")
                .expect("described");
            if d.state == "CompleteCommit" && d.topic_partitions.is_empty() {
                Ok(())
            } else {
                Err(format!("{d:?}"))
            }
        },
    );
    producer.close(Some(TIMEOUT)).expect("close");
}
