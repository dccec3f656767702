//! Too few in-sync replicas (the fault suite, scenario 3): with two of three brokers
//! down, acks=all sends to a topic with `min.insync.replicas=2` fail with
//! NOT_ENOUGH_REPLICAS once their delivery timeout passes, never later; sends made
//! while the brokers come back succeed; and nothing is reported delivered that is not
//! in the log (read back by the Java consumer).
//!
//! The test stops brokers, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::time::{Duration, Instant};

use common::faults::{
    assert_no_client_threads, check_log, close_producer, leader_of, quorum_leader,
    replicated_topic_led_by, wait_for_isr, Sent,
};
use common::kafka::KafkaCluster;
use kafka_sync::{Acks, ErrorKind, KafkaProducer, ProducerConfig, ProducerRecord};

#[test]
fn acks_all_fails_in_time_without_enough_replicas_and_succeeds_once_they_are_back() {
    let cluster = KafkaCluster::start(3);
    let bootstrap = cluster.bootstrap();
    // The partition is led by the active controller, which stays up: the ISR changes
    // of the two shutdowns need a controller (with two of three nodes down the quorum
    // is gone, and with it any further ISR change).
    let topic = replicated_topic_led_by(&bootstrap, "fault-isr", quorum_leader(&bootstrap));
    let leader = leader_of(&bootstrap, &topic, 0);
    let followers: Vec<u32> = (1..=3).filter(|n| *n != leader).collect();

    // The producers start while the cluster is whole: brokers hand out producer ids
    // through the controller, which has no quorum with two nodes down.
    let delivery = Duration::from_secs(6);
    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .acks(Acks::All)
            .request_timeout(Duration::from_secs(3))
            .delivery_timeout(delivery),
    )
    .expect("producer");
    let patient = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .acks(Acks::All)
            .delivery_timeout(Duration::from_secs(120)),
    )
    .expect("producer");
    let mut sent = Vec::new();
    for (p, value) in [(&producer, "warm-0"), (&patient, "warm-1")] {
        let outcome = p
            .send(ProducerRecord::new(&topic).key("warm").value(value))
            .expect("send")
            .get(Duration::from_secs(30));
        assert!(outcome.is_ok(), "{outcome:?}");
        sent.push(Sent {
            key: "warm".into(),
            value: value.into(),
            outcome,
        });
    }

    // Controlled shutdowns take the followers out of the ISR one after the other (the
    // second while the controller quorum still has two voters).
    cluster.stop_node(followers[0]);
    wait_for_isr(&bootstrap, &topic, 2);
    cluster.stop_node(followers[1]);
    wait_for_isr(&bootstrap, &topic, 1);

    let started = Instant::now();
    let futures: Vec<_> = (0..20)
        .map(|i| {
            producer
                .send(
                    ProducerRecord::new(&topic)
                        .key("k")
                        .value(&format!("lonely-{i}")),
                )
                .expect("send")
        })
        .collect();
    for (i, f) in futures.into_iter().enumerate() {
        let outcome = f.get(delivery * 3);
        let err = outcome
            .as_ref()
            .expect_err("no record can be acknowledged by one replica");
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.to_string().contains("NOT_ENOUGH_REPLICAS"), "{err}");
        sent.push(Sent {
            key: "lonely".into(),
            value: format!("lonely-{i}"),
            outcome,
        });
    }
    let took = started.elapsed();
    assert!(
        took < delivery + Duration::from_secs(2),
        "the sends failed only after {took:?} (delivery.timeout.ms {delivery:?})"
    );

    // Records sent while the followers come back are delivered once two are in sync.
    let back: Vec<_> = (0..20)
        .map(|i| {
            let value = format!("back-{i}");
            let f = patient
                .send(ProducerRecord::new(&topic).key("back").value(&value))
                .expect("send");
            (value, f)
        })
        .collect();
    cluster.start_node(followers[0]);
    cluster.start_node(followers[1]);
    for (value, f) in back {
        let outcome = f.get(Duration::from_secs(150));
        assert!(outcome.is_ok(), "{value}: {outcome:?}");
        sent.push(Sent {
            key: "back".into(),
            value,
            outcome,
        });
    }
    close_producer(&patient);
    close_producer(&producer);
    wait_for_isr(&bootstrap, &topic, 3);
    let verdict = check_log(&bootstrap, &topic, &sent);
    assert_eq!(verdict.acknowledged, 22, "{verdict:?}");
    assert_eq!(verdict.failed_but_written, 0, "{verdict:?}");
    assert_no_client_threads();
}
