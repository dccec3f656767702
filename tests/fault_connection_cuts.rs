//! Cut and slow connections (the fault suite, scenario 2): the 3 brokers advertise
//! fault proxies, which cut every client connection every 100 ms and hold the
//! brokers' answers back, once for longer than the request timeout (so requests time
//! out after the broker wrote them, and their retries must not duplicate). The same
//! check as across leader kills: every acknowledged record is in the log exactly once,
//! nothing is there twice, and each key's records are in send order.
//!
//! The test needs brokers behind proxies, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::faults::{
    assert_no_client_threads, check_log, close_producer, replicated_topic, send_until,
};
use common::kafka::{ClusterOptions, KafkaCluster};
use common::proxy::Proxy;
use kafka_sync::{Acks, KafkaProducer, ProducerConfig};

#[test]
fn cut_and_delayed_connections_lose_and_duplicate_nothing() {
    let proxy_ports: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
    let cluster = KafkaCluster::start_with(
        3,
        ClusterOptions {
            advertised_ports: Some(proxy_ports.clone()),
            ..ClusterOptions::default()
        },
    );
    let proxies: Arc<Vec<Proxy>> = Arc::new(
        proxy_ports
            .iter()
            .zip(1..=3)
            .map(|(&port, node)| Proxy::start(port, cluster.port(node, "PLAINTEXT")))
            .collect(),
    );
    let bootstrap = cluster.bootstrap();
    let topic = replicated_topic(&bootstrap, "fault-cuts", 3);
    let producer = Arc::new(
        KafkaProducer::new(
            ProducerConfig::new(&bootstrap)
                .acks(Acks::All)
                .linger(Duration::from_millis(2))
                .request_timeout(Duration::from_millis(1500))
                .delivery_timeout(Duration::from_secs(120))
                .set("retry.backoff.ms", "20")
                .expect("a setting"),
        )
        .expect("producer"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let faults = {
        let proxies = Arc::clone(&proxies);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let phase = |delay: Duration, length: Duration| {
                for p in proxies.iter() {
                    p.delay_responses(delay);
                }
                let end = Instant::now() + length;
                while Instant::now() < end {
                    for p in proxies.iter() {
                        p.cut_all();
                    }
                    // The fault's own rhythm: a cut every 100 ms.
                    std::thread::sleep(Duration::from_millis(100));
                }
            };
            phase(Duration::ZERO, Duration::from_secs(3));
            phase(Duration::from_millis(40), Duration::from_secs(3));
            // Answers later than the request timeout: the producer gives up on
            // requests the brokers have written, and sends them again.
            for p in proxies.iter() {
                p.delay_responses(Duration::from_millis(2000));
            }
            std::thread::sleep(Duration::from_secs(4));
            phase(Duration::ZERO, Duration::from_secs(2));
            for p in proxies.iter() {
                p.delay_responses(Duration::ZERO);
            }
            stop.store(true, Ordering::SeqCst);
        })
    };
    let sent = send_until(&producer, &topic, 4, 200, &stop);
    faults.join().expect("the fault thread");
    producer
        .flush(Some(Duration::from_secs(120)))
        .expect("flush");
    let metrics = producer.metrics();
    close_producer(&producer);
    assert!(
        proxies.iter().map(Proxy::cuts).sum::<usize>() >= 100,
        "the connections were cut"
    );
    assert!(
        metrics.retries > 0,
        "the faults made the producer retry: {metrics:?}"
    );
    let verdict = check_log(&cluster.listener("PLAINTEXT"), &topic, &sent);
    assert!(verdict.acknowledged >= 1_000, "{verdict:?}");
    println!("{verdict:?} {metrics:?}");
    assert_no_client_threads();
}
