//! Reads Avro records through a schema registry: a `TypedConsumer` whose values go
//! through an `AvroDeserializer`, which fetches each writer schema by the id in the
//! record (once per id) and decodes into a `serde` type. Records written with an older
//! schema are resolved into the reader schema below, so fields they lack take its
//! defaults (here `favorite_color`, if the producer's schema had no such field).
//!
//! ```text
//! cargo run --example avro_consumer --features avro -- BOOTSTRAP REGISTRY_URL TOPIC [GROUP]
//! cargo run --example avro_consumer --features avro -- localhost:9092 http://localhost:8081 users
//! ```
//!
//! It reads from the earliest offset when the group has no committed offsets, prints
//! each record, commits, and stops after 5 s without records. Write some first with
//! `examples/avro_producer.rs`. `SCHEMA_REGISTRY_BASIC_AUTH` and `SCHEMA_REGISTRY_CA` are
//! read as in the producer example.

use std::sync::Arc;
use std::time::Duration;

use kafka_sync::consumer::StringDeserializer;
use kafka_sync::schema_registry::avro::AvroDeserializer;
use kafka_sync::schema_registry::serdes::SerdeConfig;
use kafka_sync::schema_registry::{Schema, SchemaRegistryClient, SchemaRegistryConfig};
use kafka_sync::{ConsumerConfig, KafkaError, OffsetReset, TypedConsumer};
use serde::Deserialize;

/// The reader schema: what this consumer wants, whatever the writers used.
const READER_SCHEMA: &str = r#"{
  "type": "record", "name": "User", "namespace": "example.avro",
  "fields": [
    {"name": "name", "type": "string"},
    {"name": "favorite_number", "type": ["null", "long"], "default": null},
    {"name": "favorite_color", "type": ["null", "string"], "default": null}
  ]
}"#;

#[derive(Deserialize, Debug)]
#[allow(dead_code)] // printed with Debug
struct User {
    name: String,
    favorite_number: Option<i64>,
    favorite_color: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: avro_consumer BOOTSTRAP REGISTRY_URL TOPIC [GROUP]");
        std::process::exit(2);
    }
    let group = args.get(3).map_or("avro-consumer-example", String::as_str);
    if let Err(e) = run(&args[0], &args[1], &args[2], group) {
        eprintln!("avro_consumer: {e}");
        std::process::exit(1);
    }
}

fn registry(url: &str) -> Result<SchemaRegistryClient, KafkaError> {
    let mut config = SchemaRegistryConfig::new(url);
    if let Ok(user_info) = std::env::var("SCHEMA_REGISTRY_BASIC_AUTH") {
        config = config.set("basic.auth.user.info", &user_info)?;
    }
    if let Ok(ca) = std::env::var("SCHEMA_REGISTRY_CA") {
        config = config.set("ssl.ca.location", &ca)?;
    }
    SchemaRegistryClient::new(config)
}

fn run(bootstrap: &str, registry_url: &str, topic: &str, group: &str) -> Result<(), KafkaError> {
    let registry = Arc::new(registry(registry_url)?);
    let deserializer = AvroDeserializer::<User>::new(registry, SerdeConfig::value())
        .with_reader_schema(&Schema::avro(READER_SCHEMA))?;
    let config = ConsumerConfig::new(bootstrap)
        .group_id(group)
        .auto_offset_reset(OffsetReset::Earliest);
    let mut consumer = TypedConsumer::new(config, StringDeserializer, deserializer)?;
    consumer.subscribe(&[topic])?;
    let mut read = 0;
    // A record that does not decode ends the loop with its error; the consumer stays at
    // it (TypedConsumer::failed_record says where), so nothing is skipped unseen.
    for record in consumer.iter(Duration::from_secs(5)) {
        let record = record?;
        println!(
            "{}-{} @ {}: key {:?} value {:?}",
            record.topic, record.partition, record.offset, record.key, record.value
        );
        read += 1;
    }
    consumer.commit()?;
    println!("read {read} record(s)");
    consumer.close()
}
