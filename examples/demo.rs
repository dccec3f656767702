//! The README's demo: connects to a broker, creates a topic, produces records to it,
//! reads them back with a consumer group, and prints the cluster's metadata and the
//! API versions each broker speaks (with the version this client negotiates for each
//! API it uses).
//!
//! Run it with `./scripts/demo.sh` (starts an embedded broker), or against your own
//! broker: `cargo run --example demo -- host:port`.

use std::time::Duration;

use kafka_sync::protocol::api::SUPPORTED_APIS;
use kafka_sync::{
    AdminConfig, ConsumerConfig, KafkaAdminClient, KafkaConsumer, KafkaProducer, NewTopic,
    OffsetReset, ProducerConfig, ProducerRecord,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bootstrap = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9092".to_owned());
    let timeout = Duration::from_secs(10);
    let admin = KafkaAdminClient::new(AdminConfig::new(&bootstrap).client_id("kafka-sync-demo"))?;

    let topic = format!("kafka-sync-demo-{}", std::process::id());
    for result in admin.create_topics(&[NewTopic::new(&topic, 3, 1)], timeout)? {
        match result.result {
            Ok(()) => println!("created topic `{}`", result.topic),
            Err(e) => println!("topic `{}`: {e}", result.topic),
        }
    }

    // Produce: send() returns at once; the futures resolve when the broker has the records.
    let producer =
        KafkaProducer::new(ProducerConfig::new(&bootstrap).client_id("kafka-sync-demo"))?;
    let mut futures = Vec::new();
    for i in 0..9 {
        let key = format!("user-{}", i % 3);
        let value = format!("hello #{i}");
        futures.push(
            producer.send(
                ProducerRecord::new(&topic)
                    .key(&key)
                    .value(&value)
                    .header("demo", "yes"),
            )?,
        );
    }
    for future in futures {
        let meta = future.get(timeout)?;
        println!(
            "produced  {}-{} @ offset {}",
            meta.topic, meta.partition, meta.offset
        );
    }
    producer.close(Some(timeout))?;

    // Consume them back with a consumer group; the iterator ends after 10 s without
    // records. (A short session timeout because the embedded broker answers a new group's
    // first JoinGroup only after half of it.)
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .group_id("kafka-sync-demo")
            .auto_offset_reset(OffsetReset::Earliest)
            .session_timeout(Duration::from_secs(6)),
    )?;
    consumer.subscribe(&[topic.as_str()])?;
    let mut consumed = 0;
    for record in consumer.iter(Duration::from_secs(10)) {
        let record = record?;
        consumed += 1;
        println!(
            "consumed  {}-{} @ offset {}: key {:?}, value {:?}",
            record.topic,
            record.partition,
            record.offset,
            record.key.as_deref().map(String::from_utf8_lossy),
            record.value.as_deref().map(String::from_utf8_lossy),
        );
        if consumed == 9 {
            break;
        }
    }
    consumer.commit()?;
    consumer.close()?;
    println!("read back {consumed} of 9 records");

    let cluster = admin.describe_cluster(timeout)?;
    println!(
        "\ncluster id: {}",
        cluster.cluster_id.as_deref().unwrap_or("(none)")
    );
    if let Some(controller) = &cluster.controller {
        println!(
            "controller: node {} at {}:{}",
            controller.id, controller.host, controller.port
        );
    }
    for broker in &cluster.brokers {
        println!(
            "broker:     node {} at {}:{}",
            broker.id, broker.host, broker.port
        );
    }
    for description in admin.describe_topics(&[topic.as_str()], timeout)? {
        println!(
            "topic `{}` ({} partitions):",
            description.name,
            description.partitions.len()
        );
        for p in &description.partitions {
            println!(
                "  partition {}: leader {:?}, replicas {:?}, in sync {:?}",
                p.partition, p.leader, p.replicas, p.isr
            );
        }
    }

    for (node, versions) in admin.broker_api_versions(timeout)? {
        println!("\nAPI versions of node {node} (broker range -> version this client uses):");
        for (key, (min, max)) in versions.iter() {
            let ours = SUPPORTED_APIS
                .iter()
                .find(|s| s.key == key)
                .and_then(|_| versions.negotiate(key))
                .map_or_else(|| "-".to_owned(), |v| format!("v{v}"));
            println!("  {:<28} {min:>2}..={max:<2} -> {ours}", key.name());
        }
    }
    if consumed != 9 {
        return Err(format!("expected to read back 9 records, got {consumed}").into());
    }
    Ok(())
}
