//! Writes Avro records through a schema registry: a `TypedProducer` whose values go
//! through an `AvroSerializer`, which registers the schema under `<topic>-value` on the
//! first record and frames every record in the Confluent wire format (magic byte 0, the
//! schema id, the Avro datum), so any Confluent-compatible consumer reads them.
//!
//! ```text
//! cargo run --example avro_producer --features avro -- BOOTSTRAP REGISTRY_URL TOPIC [COUNT]
//! cargo run --example avro_producer --features avro -- localhost:9092 http://localhost:8081 users 10
//! ```
//!
//! Read them back with `examples/avro_consumer.rs`. The registry settings may also come
//! from the environment: `SCHEMA_REGISTRY_BASIC_AUTH` (`user:password`) and
//! `SCHEMA_REGISTRY_CA` (a PEM file).

use std::sync::Arc;
use std::time::Duration;

use kafka_sync::producer::{StringSerializer, TypedProducer};
use kafka_sync::schema_registry::avro::AvroSerializer;
use kafka_sync::schema_registry::serdes::SerdeConfig;
use kafka_sync::schema_registry::{Schema, SchemaRegistryClient, SchemaRegistryConfig};
use kafka_sync::{Acks, KafkaError, ProducerConfig};
use serde::Serialize;

/// The record's writer schema, registered as is.
const USER_SCHEMA: &str = r#"{
  "type": "record", "name": "User", "namespace": "example.avro",
  "fields": [
    {"name": "name", "type": "string"},
    {"name": "favorite_number", "type": ["null", "long"], "default": null},
    {"name": "favorite_color", "type": ["null", "string"], "default": null}
  ]
}"#;

/// Any `serde::Serialize` type whose shape fits the schema.
#[derive(Serialize)]
struct User {
    name: String,
    favorite_number: Option<i64>,
    favorite_color: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: avro_producer BOOTSTRAP REGISTRY_URL TOPIC [COUNT]");
        std::process::exit(2);
    }
    let count = match args.get(3).map(|c| c.parse::<u64>()) {
        None => 10,
        Some(Ok(count)) => count,
        Some(Err(e)) => {
            eprintln!("avro_producer: COUNT: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args[0], &args[1], &args[2], count) {
        eprintln!("avro_producer: {e}");
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

fn run(bootstrap: &str, registry_url: &str, topic: &str, count: u64) -> Result<(), KafkaError> {
    let registry = Arc::new(registry(registry_url)?);
    // Values: Avro under <topic>-value, registered on first use (auto.register.schemas).
    let serializer = AvroSerializer::new(
        Arc::clone(&registry),
        Schema::avro(USER_SCHEMA),
        SerdeConfig::value(),
    )?;
    let producer = TypedProducer::<str, User>::new(
        ProducerConfig::new(bootstrap).acks(Acks::All),
        StringSerializer,
        serializer,
    )?;
    let colors = ["red", "green", "blue"];
    let mut futures = Vec::new();
    for i in 0..count {
        let user = User {
            name: format!("user-{i}"),
            favorite_number: (i % 2 == 0).then_some(i as i64),
            favorite_color: colors.get((i % 4) as usize).map(|c| (*c).to_owned()),
        };
        futures.push(producer.send(topic, Some(&user.name), Some(&user))?);
    }
    for future in futures {
        let meta = future.get(Duration::from_secs(30))?;
        println!("wrote {}-{} @ {}", meta.topic, meta.partition, meta.offset);
    }
    let registered = registry.get_latest_version(&format!("{topic}-value"))?;
    println!(
        "{count} record(s) with schema id {} (subject {} version {})",
        registered.id, registered.subject, registered.version
    );
    producer.producer().close(Some(Duration::from_secs(10)))
}
