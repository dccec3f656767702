//! Sends a few records and waits for each to be written.
//!
//! `cargo run --example producer -- 127.0.0.1:9092 my-topic`

use std::time::Duration;

use kafka_sync::{Acks, KafkaProducer, ProducerConfig, ProducerRecord};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "127.0.0.1:9092".to_owned());
    let topic = args
        .next()
        .unwrap_or_else(|| "kafka-sync-example".to_owned());

    let producer = KafkaProducer::new(
        ProducerConfig::new(&bootstrap)
            .acks(Acks::All)
            .linger(Duration::from_millis(5)),
    )?;

    // Fire and collect futures: send() returns as soon as the record is in a batch.
    let mut futures = Vec::new();
    for i in 0..10 {
        let key = format!("user-{}", i % 3);
        let value = format!("event {i}");
        let record = ProducerRecord::new(&topic)
            .key(&key)
            .value(&value)
            .header("source", "example");
        futures.push(producer.send(record)?);
    }
    for future in futures {
        let meta = future.get(Duration::from_secs(10))?;
        println!(
            "written to {}-{} at offset {}",
            meta.topic, meta.partition, meta.offset
        );
    }

    // Or get told by a callback on the sender thread.
    producer.send_with_callback(ProducerRecord::new(&topic).value("last one"), |result| {
        match result {
            Ok(meta) => println!(
                "callback: {}-{} @ {}",
                meta.topic, meta.partition, meta.offset
            ),
            Err(e) => eprintln!("callback: delivery failed: {e}"),
        }
    })?;
    producer.flush(Some(Duration::from_secs(10)))?;
    println!("metrics: {:?}", producer.metrics());
    producer.close(Some(Duration::from_secs(10)))?;
    Ok(())
}
