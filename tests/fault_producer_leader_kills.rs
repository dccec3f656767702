//! The idempotent producer across leader kills on 3 nodes (the fault suite, scenario
//! 1): keyed records go from 4 threads sharing one producer (acks=all, idempotence on,
//! up to 5 requests in flight) to a topic with 3 replicas and
//! `min.insync.replicas=2`, while the leader of a partition is SIGKILLed and later
//! restarted, twice. The Java consumer then reads the log: every record whose future
//! said Ok is there exactly once, at the offset it was told; nothing is there twice;
//! each key's records are in send order; every failed record has a clear error.
//!
//! The test kills brokers, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::faults::{
    assert_no_client_threads, check_log, close_producer, leader_of, progress, replicated_topic,
    send_until, wait_for_isr,
};
use common::kafka::KafkaCluster;
use kafka_sync::{Acks, KafkaProducer, ProducerConfig};

#[test]
fn no_acknowledged_record_is_lost_or_duplicated_across_leader_kills() {
    let cluster = Arc::new(KafkaCluster::start(3));
    let bootstrap = cluster.bootstrap();
    let topic = replicated_topic(&bootstrap, "fault-kills", 3);
    let producer = Arc::new(
        KafkaProducer::new(
            ProducerConfig::new(&bootstrap)
                .acks(Acks::All)
                .linger(Duration::from_millis(2))
                .delivery_timeout(Duration::from_secs(120)),
        )
        .expect("producer"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let cluster = Arc::clone(&cluster);
        let producer = Arc::clone(&producer);
        let stop = Arc::clone(&stop);
        let bootstrap = bootstrap.clone();
        let topic = topic.clone();
        std::thread::spawn(move || {
            for _ in 0..2 {
                progress(&producer, 5_000, &bootstrap, &topic);
                let leader = leader_of(&bootstrap, &topic, 0);
                cluster.kill(leader);
                // The partition moves to another replica and the records keep coming.
                progress(&producer, 5_000, &bootstrap, &topic);
                cluster.start_node(leader);
                progress(&producer, 5_000, &bootstrap, &topic);
            }
            stop.store(true, Ordering::SeqCst);
        })
    };
    let sent = send_until(&producer, &topic, 4, 500, &stop);
    killer.join().expect("the killer thread");
    producer
        .flush(Some(Duration::from_secs(120)))
        .expect("flush");
    close_producer(&producer);
    // The restarted brokers catch up before the log is read back in full.
    wait_for_isr(&bootstrap, &topic, 3);
    let verdict = check_log(&bootstrap, &topic, &sent);
    assert!(verdict.acknowledged >= 30_000, "{verdict:?}");
    println!("{verdict:?}");
    assert_no_client_threads();
}
