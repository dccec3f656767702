//! A group consumer with manual commits: joins group `kafka-sync-example`, reads the
//! topic, prints each record, and commits after each batch it has processed. Stops
//! after 10 s without records.
//!
//! `cargo run --example consumer -- host:port [topic]`

use std::time::Duration;

use kafka_sync::consumer::StringDeserializer;
use kafka_sync::{
    ConsumerConfig, ConsumerRebalanceListener, KafkaConsumer, OffsetReset, TopicPartition,
};

/// Logs rebalances; a real application might flush state here.
struct LogRebalances;

impl ConsumerRebalanceListener for LogRebalances {
    fn on_partitions_revoked(
        &mut self,
        consumer: &mut KafkaConsumer,
        partitions: &[TopicPartition],
    ) {
        // Commit what was processed before the partitions go to another member.
        if let Err(e) = consumer.commit() {
            eprintln!("commit before revocation failed: {e}");
        }
        println!("revoked: {partitions:?}");
    }

    fn on_partitions_assigned(&mut self, _: &mut KafkaConsumer, partitions: &[TopicPartition]) {
        println!("assigned: {partitions:?}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "127.0.0.1:9092".to_owned());
    let topic = args.next().unwrap_or_else(|| "kafka-sync-demo".to_owned());

    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&bootstrap)
            .client_id("kafka-sync-example")
            .group_id("kafka-sync-example")
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(false),
    )?;
    consumer.subscribe_with_listener(&[&topic], LogRebalances)?;

    let mut idle = Duration::ZERO;
    let poll_timeout = Duration::from_millis(500);
    let mut total = 0usize;
    while idle < Duration::from_secs(10) {
        let records = consumer.poll(poll_timeout)?;
        if records.is_empty() {
            idle += poll_timeout;
            continue;
        }
        idle = Duration::ZERO;
        for record in records.iter() {
            let value = record.value_as(&StringDeserializer).unwrap_or(None);
            println!(
                "{}-{}@{} key={:?} value={:?}",
                record.topic,
                record.partition,
                record.offset,
                record.key_as(&StringDeserializer).unwrap_or(None),
                value
            );
        }
        total += records.len();
        // At-least-once: commit only after the records were processed.
        consumer.commit()?;
    }
    println!("read {total} records; no more for 10 s, closing");
    consumer.close()?;
    Ok(())
}
