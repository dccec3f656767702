//! The README's demo: connects to a broker, creates a topic, and prints the cluster's
//! metadata and the API versions each broker speaks (with the version this client
//! negotiates for each API it uses).
//!
//! Run it with `./scripts/demo.sh` (starts an embedded broker), or against your own
//! broker: `cargo run --example demo -- host:port`.

use std::time::Duration;

use kafka_sync::protocol::api::SUPPORTED_APIS;
use kafka_sync::{AdminConfig, KafkaAdminClient, NewTopic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bootstrap = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9092".to_owned());
    let timeout = Duration::from_secs(10);
    let admin = KafkaAdminClient::new(AdminConfig::new(&bootstrap).client_id("kafka-sync-demo"))?;

    let topic = "kafka-sync-demo";
    for result in admin.create_topics(&[NewTopic::new(topic, 3, 1)], timeout)? {
        match result.result {
            Ok(()) => println!("created topic `{}`", result.topic),
            Err(e) => println!("topic `{}`: {e}", result.topic),
        }
    }

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

    println!("\ntopics: {:?}", admin.list_topics(timeout)?);
    for description in admin.describe_topics(&[topic], timeout)? {
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
    Ok(())
}
