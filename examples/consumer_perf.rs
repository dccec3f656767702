//! Consumer throughput: reads N records from a topic (from the beginning, all
//! partitions assigned, no group) and reports records/s, MB/s and the client's CPU
//! time per record. With `--produce` it first creates the topic and fills it with N
//! records of `--size` bytes (written as large uncompressed batches with plain Produce
//! requests, so the run does not depend on the producer's speed). With
//! `--produce-with-producer` this client's producer writes them instead (1 MB batches,
//! linger 5 ms, no keys: the sticky partitioner leaves the partitions uneven), and
//! `--poll-ms` sets the poll timeout (default 500).
//!
//! `cargo run --release --example consumer_perf -- --bootstrap host:port --topic perf \
//!     --records 1000000 --size 100 --partitions 4 --produce`
//!
//! `scripts/consumer-perf.sh` runs it against an embedded tansu broker beside
//! librdkafka (confluent-kafka) on the same topic.

use std::time::{Duration, Instant};

use kafka_sync::protocol::messages::{
    ProduceRequest, ProduceRequestPartition, ProduceRequestTopic,
};
use kafka_sync::record::RecordBatchBuilder;
use kafka_sync::{
    Acks, AdminConfig, ClientConfig, Compression, ConsumerConfig, ErrorCode, KafkaAdminClient,
    KafkaConsumer, KafkaProducer, NewTopic, OffsetReset, ProducerConfig, ProducerRecord, RawClient,
    TopicPartition,
};

struct Args {
    bootstrap: String,
    topic: String,
    records: usize,
    size: usize,
    partitions: i32,
    produce: bool,
    with_producer: bool,
    poll_ms: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: "127.0.0.1:9092".to_owned(),
        topic: "kafka-sync-perf".to_owned(),
        records: 1_000_000,
        size: 100,
        partitions: 4,
        produce: false,
        with_producer: false,
        poll_ms: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "--records" => {
                args.records = value()?.parse().map_err(|e| format!("--records: {e}"))?
            }
            "--size" => args.size = value()?.parse().map_err(|e| format!("--size: {e}"))?,
            "--partitions" => {
                args.partitions = value()?.parse().map_err(|e| format!("--partitions: {e}"))?
            }
            "--produce" => args.produce = true,
            "--produce-with-producer" => {
                args.produce = true;
                args.with_producer = true;
            }
            "--poll-ms" => {
                args.poll_ms = value()?.parse().map_err(|e| format!("--poll-ms: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// CPU seconds (user + system) used by this process so far, from /proc (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
    Some((utime + stime) / CLOCK_TICKS_PER_SECOND)
}

/// The peak resident set size of this process in MiB, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn produce(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let admin = KafkaAdminClient::new(AdminConfig::new(&args.bootstrap))?;
    for result in admin.create_topics(
        &[NewTopic::new(&args.topic, args.partitions, 1)],
        Duration::from_secs(30),
    )? {
        result.result?;
    }
    if args.with_producer {
        return produce_with_producer(args);
    }
    let mut client = RawClient::new(ClientConfig::new(&args.bootstrap))?;
    client.metadata_for(&[&args.topic], false, Duration::from_secs(30))?;
    let value = vec![b'x'; args.size];
    // Batches of about 900 kB: under Kafka's default max.message.bytes (1 MiB + 12).
    let per_batch = 900_000 / (args.size + 10).max(1);
    let started = Instant::now();
    let mut written = 0usize;
    let mut partition = 0;
    while written < args.records {
        let n = per_batch.min(args.records - written);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64;
        let mut builder = RecordBatchBuilder::new(Compression::None, now, -1, -1, -1, false);
        for _ in 0..n {
            builder.append(now, None, Some(&value), &[])?;
        }
        let request = ProduceRequest {
            transactional_id: None,
            acks: 1,
            timeout_ms: 30_000,
            topic_data: vec![ProduceRequestTopic {
                name: args.topic.clone(),
                partition_data: vec![ProduceRequestPartition {
                    index: partition,
                    records: Some(builder.build()?),
                }],
            }],
        };
        // A new topic's partitions are not served at once (no leader in the metadata,
        // or NOT_LEADER_OR_FOLLOWER, right after CreateTopics on Kafka, more often the
        // more partitions): look again and write the batch again.
        let code = match client.leader_for(&args.topic, partition) {
            Some(leader) => {
                let response = client.send(leader, &request, Duration::from_secs(30))?;
                ErrorCode(response.responses[0].partition_responses[0].error_code)
            }
            None => ErrorCode::LEADER_NOT_AVAILABLE,
        };
        if code.is_retriable() && started.elapsed() < Duration::from_secs(60) {
            client.metadata_for(&[&args.topic], false, Duration::from_secs(30))?;
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        if code != ErrorCode::NONE {
            return Err(format!("produce failed: {code:?}").into());
        }
        written += n;
        partition = (partition + 1) % args.partitions;
    }
    println!(
        "produced {written} records of {} B in {:.2} s",
        args.size,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fills the topic with this client's producer: 1 MB batches, linger 5 ms, no keys.
fn produce_with_producer(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let producer = KafkaProducer::new(
        ProducerConfig::new(&args.bootstrap)
            .acks(Acks::Leader)
            .batch_size(1 << 20)
            .linger(Duration::from_millis(5)),
    )?;
    let value = vec![b'x'; args.size];
    for _ in 0..args.records {
        producer.send(ProducerRecord::new(&args.topic).value(&value))?;
    }
    producer.flush(Some(Duration::from_secs(120)))?;
    let m = producer.metrics();
    producer.close(Some(Duration::from_secs(30)))?;
    if m.record_errors > 0 {
        return Err(format!("{} records failed", m.record_errors).into());
    }
    let mut client = RawClient::new(ClientConfig::new(&args.bootstrap))?;
    client.metadata_for(&[&args.topic], false, Duration::from_secs(30))?;
    println!(
        "produced {} records of {} B with the producer in {:.2} s",
        args.records,
        args.size,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    if args.produce {
        produce(&args)?;
    }
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(&args.bootstrap)
            .client_id("kafka-sync-perf")
            .auto_offset_reset(OffsetReset::Earliest)
            .max_poll_records(10_000),
    )?;
    let partitions = consumer
        .partitions_for_topic(&args.topic)?
        .ok_or("the topic does not exist (use --produce)")?;
    let assignment: Vec<TopicPartition> = partitions
        .iter()
        .map(|&p| TopicPartition::new(&args.topic, p))
        .collect();
    consumer.assign(&assignment)?;

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut count = 0usize;
    let mut bytes = 0usize;
    let mut idle = Instant::now();
    let (mut empty_polls, mut empty_streak, mut longest_streak) = (0u64, 0u64, 0u64);
    while count < args.records {
        let records = consumer.poll(Duration::from_millis(args.poll_ms))?;
        if records.is_empty() {
            empty_polls += 1;
            empty_streak += 1;
            longest_streak = longest_streak.max(empty_streak);
            if idle.elapsed() > Duration::from_secs(10) {
                return Err(format!("only {count} of {} records arrived", args.records).into());
            }
            continue;
        }
        idle = Instant::now();
        empty_streak = 0;
        for record in records.iter() {
            bytes += record.value.as_ref().map_or(0, |v| v.len());
        }
        count += records.len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    println!(
        "kafka-sync: consumed {count} records ({:.1} MB) in {elapsed:.2} s: {:.0} records/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        count as f64 / elapsed,
        bytes as f64 / 1e6 / elapsed
    );
    if let Some(cpu) = cpu {
        println!(
            "kafka-sync: client CPU {cpu:.2} s = {:.3} us per record",
            cpu * 1e6 / count as f64
        );
        // One line in the format the perf scripts collect (scripts/consumer-perf.sh).
        println!(
            "RESULT client=kafka-sync records={count} records_per_sec={:.0} mb_per_sec={:.2} us_per_record={:.3} peak_rss_mib={:.1} errors=0",
            count as f64 / elapsed,
            bytes as f64 / 1e6 / elapsed,
            cpu * 1e6 / count as f64,
            peak_rss_mib().unwrap_or(-1.0)
        );
    }
    let m = consumer.metrics();
    println!(
        "kafka-sync: {} fetch requests, {} responses, {empty_polls} empty polls (at most {longest_streak} in a row)",
        m.fetch_requests, m.fetch_responses
    );
    consumer.close()?;
    Ok(())
}
