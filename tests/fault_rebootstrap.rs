//! Rebootstrap (the fault suite, scenario 8; KIP-899): the clients bootstrap from the
//! brokers' own ports, which advertise fault proxies, so every broker the clients
//! learn of is a proxy address. Then the whole cluster goes (all three brokers
//! SIGKILLed, the proxies gone) and comes back on the same bootstrap ports but
//! advertising other addresses. With `metadata.recovery.strategy=rebootstrap` (the
//! default) a producer, a group consumer and an admin client made before the outage
//! find none of their known brokers, learn the cluster again from `bootstrap.servers`,
//! and carry on; a producer with the strategy `none` stays with the dead addresses
//! and its record expires.
//!
//! The test kills every broker, so it starts a cluster of its own (also with
//! `KAFKA_BOOTSTRAP` set).

mod common;

use std::time::{Duration, Instant};

use common::faults::{admin, assert_no_client_threads, close_producer};
use common::kafka::{ClusterOptions, KafkaCluster};
use common::proxy::Proxy;
use kafka_sync::{
    Acks, ConsumerConfig, ErrorKind, KafkaConsumer, KafkaProducer, NewTopic, OffsetReset,
    ProducerConfig, ProducerRecord,
};

const TIMEOUT: Duration = Duration::from_secs(60);

/// Points node `node`'s advertised PLAINTEXT listener at port `to` instead of `from`.
fn readvertise(cluster: &KafkaCluster, node: u32, from: u16, to: u16) {
    let path = cluster.dir().join(format!("node-{node}/server.properties"));
    let text = std::fs::read_to_string(&path).expect("read server.properties");
    let old = format!("PLAINTEXT://127.0.0.1:{from},");
    assert!(text.contains(&old), "{path:?} advertises {old}: {text}");
    let new = format!("PLAINTEXT://127.0.0.1:{to},");
    std::fs::write(&path, text.replace(&old, &new)).expect("write server.properties");
}

/// Polls `consumer` until it returned a record with `value`.
fn read_until(consumer: &mut KafkaConsumer, value: &str) {
    let deadline = Instant::now() + TIMEOUT * 2;
    loop {
        let records = consumer
            .poll(Duration::from_millis(200))
            .unwrap_or_else(|e| panic!("poll reported an error: {e}"));
        if records
            .iter()
            .any(|r| r.value.as_deref() == Some(value.as_bytes()))
        {
            return;
        }
        assert!(Instant::now() < deadline, "{value} was never read");
    }
}

#[test]
fn clients_learn_a_cluster_back_from_the_bootstrap_servers() {
    common::log_to_stderr();
    let before: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
    let cluster = KafkaCluster::start_with(
        3,
        ClusterOptions {
            advertised_ports: Some(before.clone()),
            ..ClusterOptions::default()
        },
    );
    let proxies: Vec<Proxy> = before
        .iter()
        .zip(1..=3)
        .map(|(&port, node)| Proxy::start(port, cluster.port(node, "PLAINTEXT")))
        .collect();
    // The brokers' own ports: they answer Metadata with the proxies' addresses.
    let bootstrap = cluster.listener("PLAINTEXT");
    let topic = common::unique_topic("fault-rebootstrap");
    let created = admin(&bootstrap)
        .create_topics(&[NewTopic::new(&topic, 2, 3)], TIMEOUT)
        .expect("create");
    assert!(created[0].result.is_ok(), "{:?}", created[0].result);
    common::fetch::wait_until_led(&bootstrap, &topic, 2, TIMEOUT);

    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .acks(Acks::All)
            .delivery_timeout(Duration::from_secs(120)),
    )
    .expect("producer");
    let stubborn = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .delivery_timeout(Duration::from_secs(20))
            .request_timeout(Duration::from_secs(10))
            .set("metadata.recovery.strategy", "none")
            .expect("a setting"),
    )
    .expect("producer");
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id(common::unique_topic("fault-rebootstrap-group"))
            .auto_offset_reset(OffsetReset::Earliest)
            .session_timeout(Duration::from_secs(30)),
    )
    .expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");
    let admin_client = admin(&bootstrap);
    for p in [&producer, &stubborn] {
        p.send(ProducerRecord::new(&topic).value("before"))
            .expect("send")
            .get(TIMEOUT)
            .expect("delivered before the outage");
    }
    read_until(&mut consumer, "before");
    let described = admin_client.describe_cluster(TIMEOUT).expect("describe");
    assert!(
        described.brokers.iter().all(|b| before.contains(&b.port)),
        "the clients know the proxies: {described:?}"
    );

    // The cluster goes, and comes back on other advertised addresses.
    for node in 1..=3 {
        cluster.kill(node);
    }
    drop(proxies);
    let after: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
    let _proxies: Vec<Proxy> = after
        .iter()
        .zip(1..=3)
        .map(|(&port, node)| {
            readvertise(&cluster, node, before[node as usize - 1], port);
            Proxy::start(port, cluster.port(node, "PLAINTEXT"))
        })
        .collect();
    // The quorum needs two nodes, so they start together.
    std::thread::scope(|s| {
        for node in 1..=3 {
            let cluster = &cluster;
            s.spawn(move || cluster.start_node(node));
        }
    });

    let delivered = producer
        .send(ProducerRecord::new(&topic).value("after"))
        .expect("send")
        .get(Duration::from_secs(150));
    assert!(delivered.is_ok(), "rebootstrapped: {delivered:?}");
    read_until(&mut consumer, "after");
    let described = admin_client.describe_cluster(TIMEOUT).expect("describe");
    assert!(
        described.brokers.iter().all(|b| after.contains(&b.port)),
        "the clients know the new addresses: {described:?}"
    );
    let stuck = stubborn
        .send(ProducerRecord::new(&topic).value("never"))
        .expect("send")
        .get(TIMEOUT);
    let err = stuck.expect_err("without rebootstrap the old addresses are all it has");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    consumer.close().expect("close");
    close_producer(&producer);
    close_producer(&stubborn);
    assert_no_client_threads();
}
