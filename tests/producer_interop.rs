//! Records written by this producer are read back correctly by other clients:
//! confluent-kafka (librdkafka) and kafka-python, for every codec, with headers.

mod common;

use std::process::Command;
use std::time::Duration;

use kafka_sync::{Compression, KafkaProducer, NewTopic, ProducerConfig, ProducerRecord};

const COUNT: usize = 50;

fn python() -> String {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/setup-python.sh"
        ))
        .output()
        .expect("run scripts/setup-python.sh");
    assert!(
        out.status.success(),
        "setup-python.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn produce(compression: Compression) -> String {
    let topic = common::unique_topic(&format!("interop-{}", compression.name()));
    let r = common::admin()
        .create_topics(&[NewTopic::new(&topic, 1, 1)], Duration::from_secs(10))
        .unwrap();
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    let producer =
        KafkaProducer::new(ProducerConfig::new(&common::bootstrap()).compression(compression))
            .unwrap();
    for i in 0..COUNT {
        let key = format!("key-{i}");
        let value = format!("value-{i}-{}", "z".repeat(i));
        let mut record = ProducerRecord::new(&topic)
            .value(&value)
            .timestamp(1_700_000_000_000 + i as i64)
            .header("n", i.to_string())
            .header("codec", compression.name());
        if i % 5 != 0 {
            record = record.key(&key);
        }
        producer.send(record).unwrap();
    }
    producer.flush(Some(Duration::from_secs(30))).unwrap();
    producer.close(Some(Duration::from_secs(10))).unwrap();
    topic
}

fn expected_line(i: usize, compression: Compression) -> String {
    let key = if i % 5 != 0 {
        format!("\"{}\"", b64(format!("key-{i}").as_bytes()))
    } else {
        "null".to_owned()
    };
    format!(
        "{{\"offset\": {i}, \"key\": {key}, \"value\": \"{}\", \"timestamp\": {}, \"headers\": [[\"n\", \"{}\"], [\"codec\", \"{}\"]]}}",
        b64(format!("value-{i}-{}", "z".repeat(i)).as_bytes()),
        1_700_000_000_000 + i as i64,
        b64(i.to_string().as_bytes()),
        b64(compression.name().as_bytes()),
    )
}

fn read_with(client: &str, topic: &str) -> Vec<String> {
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/read_topic.py"
        ))
        .args([client, &common::bootstrap(), topic, &COUNT.to_string()])
        .output()
        .expect("run the python reader");
    assert!(
        out.status.success(),
        "{client} reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn other_clients_read_every_codec_with_headers() {
    for compression in Compression::ALL {
        let topic = produce(compression);
        for client in ["confluent", "kafka-python"] {
            let lines = read_with(client, &topic);
            assert_eq!(lines.len(), COUNT, "{client} read {compression:?}");
            for (i, line) in lines.iter().enumerate() {
                assert_eq!(
                    line,
                    &expected_line(i, compression),
                    "{client}, {compression:?}, record {i}"
                );
            }
        }
    }
}
