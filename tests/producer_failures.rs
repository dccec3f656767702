//! The producer when brokers fail: a full buffer while the broker is unreachable,
//! delivery timeouts, bounded flush and close, and idempotent delivery (no duplicates,
//! order kept) across dropped connections.
//!
//! These tests kill, restart or cut brokers, so each starts an Apache Kafka broker of its
//! own (also when `KAFKA_BOOTSTRAP` names an external broker, which cannot be killed
//! from here).

mod common;

use std::time::{Duration, Instant};

use common::kafka::{ClusterOptions, KafkaCluster};

use kafka_sync::{
    AdminConfig, ErrorKind, KafkaAdminClient, KafkaProducer, NewTopic, ProducerConfig,
    ProducerRecord,
};

fn create_topic(bootstrap: &str, partitions: i32) -> String {
    let topic = common::unique_topic("failures");
    let admin = KafkaAdminClient::new(AdminConfig::new(bootstrap)).unwrap();
    let r = admin
        .create_topics(
            &[NewTopic::new(&topic, partitions, 1)],
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    topic
}

#[test]
fn buffer_full_while_broker_unreachable_blocks_then_fails_and_records_expire() {
    let cluster = KafkaCluster::start(1);
    let bootstrap = cluster.bootstrap();
    let topic = create_topic(&bootstrap, 1);
    let config = ProducerConfig::new(&bootstrap)
        .buffer_memory(64 * 1024)
        .batch_size(16 * 1024)
        .linger(Duration::ZERO)
        .max_block(Duration::from_secs(1))
        .request_timeout(Duration::from_millis(1000))
        .delivery_timeout(Duration::from_millis(2500));
    let producer = KafkaProducer::new(config).unwrap();
    producer
        .send(ProducerRecord::new(&topic).value("warm-up"))
        .unwrap()
        .get(Duration::from_secs(10))
        .unwrap();

    cluster.kill(1);
    let value = vec![7u8; 1000];
    let mut pending = Vec::new();
    let started = Instant::now();
    let err = loop {
        match producer.send(ProducerRecord::new(&topic).value(&value)) {
            Ok(f) => pending.push(f),
            Err(e) => break e,
        }
        assert!(pending.len() < 10_000, "buffer.memory never filled up");
    };
    let blocked = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::BufferExhausted, "{err}");
    assert!(err.to_string().contains("buffer.memory"), "{err}");
    assert!(
        blocked >= Duration::from_secs(1),
        "send() blocked for max.block.ms, not {blocked:?}"
    );
    assert!(
        blocked < Duration::from_secs(4),
        "send() returned after {blocked:?}"
    );

    // Records that were waiting fail with a clear error after delivery.timeout.ms.
    for f in &pending {
        let err = f.get(Duration::from_secs(10)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.to_string().contains("delivery.timeout.ms"), "{err}");
    }

    // flush() and close() keep their timeouts while records cannot be delivered.
    let stuck = producer
        .send(ProducerRecord::new(&topic).value("stuck"))
        .unwrap();
    let t = Instant::now();
    let err = producer
        .flush(Some(Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "flush took {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    let err = producer
        .close(Some(Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    // The timeout plus the forced close's short grace, not 5 s more.
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "close took {:?}",
        t.elapsed()
    );
    let err = stuck.get(Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
}

#[test]
fn metadata_for_an_unreachable_cluster_times_out_after_max_block() {
    let dead = format!("127.0.0.1:{}", common::free_port());
    let producer =
        KafkaProducer::new(ProducerConfig::new(&dead).max_block(Duration::from_millis(500)))
            .unwrap();
    let t = Instant::now();
    let err = producer
        .send(ProducerRecord::new("nowhere").value("x"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    producer.close(Some(Duration::from_secs(1))).unwrap();
}

#[test]
fn idempotent_delivery_survives_dropped_connections_without_duplicates() {
    // The broker advertises the proxy's port, so every connection goes through it.
    let proxy_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = proxy_listener.local_addr().unwrap().port();
    drop(proxy_listener);
    let cluster = KafkaCluster::start_with(
        1,
        ClusterOptions {
            advertised_ports: Some(vec![proxy_port]),
            ..ClusterOptions::default()
        },
    );
    let proxy = common::proxy::Proxy::start(proxy_port, cluster.port(1, "PLAINTEXT"));
    let bootstrap = cluster.bootstrap();
    let topic = create_topic(&bootstrap, 2);

    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .enable_idempotence(true)
            .batch_size(4 * 1024)
            .linger(Duration::from_millis(1))
            .set("retry.backoff.ms", "20")
            .unwrap(),
    )
    .unwrap();
    let total = 200_000usize;
    let producer = std::sync::Arc::new(producer);
    // Cut every connection five times while records are in flight: each time another
    // sixth of the records has been acknowledged.
    let cutter = {
        let producer = std::sync::Arc::clone(&producer);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            for k in 1..=5u64 {
                while producer.metrics().records_sent < k * total as u64 / 6
                    && Instant::now() < deadline
                {
                    std::thread::yield_now();
                }
                proxy.cut_all();
            }
            proxy
        })
    };
    let mut futures = Vec::with_capacity(total);
    for i in 0..total {
        let value = format!("{i:08}");
        let key = format!("k{}", i % 2);
        futures.push(
            producer
                .send(ProducerRecord::new(&topic).key(&key).value(&value))
                .unwrap(),
        );
    }
    producer.flush(Some(Duration::from_secs(60))).unwrap();
    for f in &futures {
        f.get(Duration::ZERO)
            .expect("every record delivered despite the cuts");
    }
    let proxy = cutter.join().unwrap();
    assert_eq!(proxy.cuts(), 5);
    let metrics = producer.metrics();
    assert!(
        metrics.retries > 0,
        "the cuts made the producer retry: {metrics:?}"
    );
    producer.close(Some(Duration::from_secs(10))).unwrap();

    let mut count = 0;
    for partition in 0..2 {
        let records =
            common::fetch::fetch_until_end(&bootstrap, &topic, partition, Duration::from_secs(30));
        let values: Vec<usize> = records
            .iter()
            .map(|r| {
                std::str::from_utf8(r.value.as_deref().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "partition {partition}: order kept and no duplicates (retries: {})",
            metrics.retries
        );
        count += values.len();
    }
    assert_eq!(count, total, "no record lost or duplicated");
}

#[test]
fn idempotent_delivery_survives_a_broker_restart_without_duplicates() {
    // The broker is killed (a crash) while requests are in flight, and comes back with
    // its log and its producer state.
    let cluster = std::sync::Arc::new(KafkaCluster::start(1));
    let bootstrap = cluster.bootstrap();
    let topic = create_topic(&bootstrap, 1);
    let producer = std::sync::Arc::new(
        KafkaProducer::new(
            ProducerConfig::new(&bootstrap)
                .enable_idempotence(true)
                // Small batches without linger keep the in-flight limit full, so that the
                // kill catches requests on their way (which then must be retried).
                .batch_size(1024)
                .linger(Duration::ZERO)
                .set("retry.backoff.ms", "50")
                .unwrap(),
        )
        .unwrap(),
    );
    // Kill and restart the broker once 10,000 records have been acknowledged, while
    // records keep coming: the sending goes on until the broker is back and another
    // 10,000 records went out after that.
    let killed_after = 10_000u64;
    let restarted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let restarter = {
        let producer = std::sync::Arc::clone(&producer);
        let cluster = std::sync::Arc::clone(&cluster);
        let restarted = std::sync::Arc::clone(&restarted);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while producer.metrics().records_sent < killed_after && Instant::now() < deadline {
                std::thread::yield_now();
            }
            // Stop the broker first (SIGSTOP): requests sent to it then stay
            // unanswered, so once some are in flight the kill surely catches them on
            // their way, whatever the timing of the sending thread.
            cluster.pause(1);
            common::wait_until(
                "requests in flight to the stopped broker",
                Duration::from_secs(30),
                Duration::from_millis(5),
                || {
                    let in_flight: usize = producer
                        .statistics()
                        .brokers
                        .values()
                        .map(|b| b.in_flight)
                        .sum();
                    if in_flight > 0 {
                        Ok(())
                    } else {
                        Err("none in flight".to_owned())
                    }
                },
            );
            cluster.kill(1);
            cluster.start_node(1);
            restarted.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let mut futures = Vec::new();
    let mut after_restart = 0;
    let send_deadline = Instant::now() + Duration::from_secs(120);
    while after_restart < 10_000 {
        let i = futures.len();
        let value = format!("{i:08}");
        futures.push(
            producer
                .send(ProducerRecord::new(&topic).value(&value).partition(0))
                .unwrap(),
        );
        if restarted.load(std::sync::atomic::Ordering::SeqCst) {
            after_restart += 1;
        }
        assert!(Instant::now() < send_deadline, "the broker never came back");
    }
    let total = futures.len();
    restarter.join().unwrap();
    producer.flush(Some(Duration::from_secs(90))).unwrap();
    for f in &futures {
        f.get(Duration::ZERO)
            .expect("every record delivered across the restart");
    }
    let metrics = producer.metrics();
    assert!(
        metrics.retries > 0,
        "the restart made the producer retry: {metrics:?}"
    );
    producer.close(Some(Duration::from_secs(10))).unwrap();

    let records = common::fetch::fetch_until_end(&bootstrap, &topic, 0, Duration::from_secs(60));
    let values: Vec<usize> = records
        .iter()
        .map(|r| {
            std::str::from_utf8(r.value.as_deref().unwrap())
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(values.len(), total, "no record lost or duplicated");
    assert!(
        values.iter().enumerate().all(|(i, v)| i == *v),
        "order kept"
    );
}
