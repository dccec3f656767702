//! A producer load generator in the manner of Kafka's `kafka-producer-perf-test`.
//!
//! ```text
//! cargo run --release --example producer_perf -- \
//!     --bootstrap 127.0.0.1:9092 --topic perf --num-records 1000000 --record-size 100 \
//!     [--throughput -1] [--acks 1] [--compression none] [--linger-ms 5] [--batch-size 16384] \
//!     [--partitions 1] [--rate 0] [--property max.request.size=1048576 ...]
//! ```
//!
//! Prints progress every five seconds, then records/s, MB/s, latency percentiles
//! (sampled: every 64th record carries a callback), client CPU time per record and peak
//! memory (Linux: from /proc).
//!
//! `--rate N` (N > 0) is the latency mode of `scripts/producer-perf.sh --rate`: record
//! i is sent at `start + i/N` (an absolute schedule: a late record goes out at once,
//! the ones after it keep their own due times), every record carries a callback, and
//! the time from just before `send_with_callback()` to its callback (the record's
//! future resolving) is kept for every record, on the monotonic clock. The RESULT line
//! then also has `p50_us`, `p99_us`, `p999_us` and `max_us` (nearest rank over the
//! delivered records). Before the clock starts, one record is sent and its ack waited
//! for, so that the connection to the leader and the producer id (idempotence) are set
//! up outside the measurement, as the librdkafka and Java sides do too; the batch and
//! request counts include it. `--throughput N` paces the same way but keeps sampling
//! (and sends no warm-up record).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafka_sync::{
    Acks, AdminConfig, Compression, KafkaAdminClient, KafkaProducer, NewTopic, ProducerConfig,
    ProducerRecord,
};

struct Options {
    bootstrap: String,
    topic: String,
    num_records: u64,
    record_size: usize,
    throughput: i64,
    acks: Acks,
    compression: Compression,
    linger_ms: u64,
    batch_size: usize,
    partitions: i32,
    /// Records per second in latency mode (every record timed); 0 = off.
    rate: u64,
    /// Further producer settings by their Java names (`--property key=value`).
    properties: Vec<(String, String)>,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        bootstrap: "127.0.0.1:9092".into(),
        topic: "kafka-sync-perf".into(),
        num_records: 1_000_000,
        record_size: 100,
        throughput: -1,
        acks: Acks::Leader,
        compression: Compression::None,
        linger_ms: 5,
        batch_size: 16384,
        partitions: 1,
        rate: 0,
        properties: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--bootstrap" => o.bootstrap = value.clone(),
            "--topic" => o.topic = value.clone(),
            "--num-records" => o.num_records = value.parse().map_err(|e| bad(&e))?,
            "--record-size" => o.record_size = value.parse().map_err(|e| bad(&e))?,
            "--throughput" => o.throughput = value.parse().map_err(|e| bad(&e))?,
            "--acks" => o.acks = value.parse().map_err(|e| bad(&e))?,
            "--compression" => o.compression = value.parse().map_err(|e| bad(&e))?,
            "--linger-ms" => o.linger_ms = value.parse().map_err(|e| bad(&e))?,
            "--batch-size" => o.batch_size = value.parse().map_err(|e| bad(&e))?,
            "--partitions" => o.partitions = value.parse().map_err(|e| bad(&e))?,
            "--rate" => o.rate = value.parse().map_err(|e| bad(&e))?,
            "--property" => {
                let (key, v) = value.split_once('=').ok_or_else(|| bad(&"not key=value"))?;
                o.properties.push((key.to_owned(), v.to_owned()));
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.rate > 0 {
        o.throughput = i64::try_from(o.rate).map_err(|e| format!("--rate: {e}"))?;
    }
    Ok(o)
}

/// The nearest-rank percentile (`per_mille` of 1000) of sorted `values`: the smallest
/// value that at least that share of the values are at or below. The perf scripts of
/// librdkafka and the Java client compute it the same way.
fn nearest_rank(sorted: &[u64], per_mille: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    let rank = (n * per_mille).div_ceil(1000).max(1);
    sorted[(rank - 1) as usize]
}

/// (user + system CPU seconds, peak resident set in MiB) of this process, from /proc.
fn cpu_and_peak_memory() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime), counted after the command name.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    (cpu, peak_kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse()?;
    let admin = KafkaAdminClient::new(AdminConfig::new(&o.bootstrap))?;
    let _ = admin.create_topics(
        &[NewTopic::new(&o.topic, o.partitions, 1)],
        Duration::from_secs(10),
    )?;

    let mut config = ProducerConfig::new(&o.bootstrap)
        .acks(o.acks)
        .compression(o.compression)
        .linger(Duration::from_millis(o.linger_ms))
        .batch_size(o.batch_size);
    for (key, value) in &o.properties {
        config = config.set(key, value)?;
    }
    let producer = KafkaProducer::new(config)?;
    // Make sure metadata is there before the clock starts.
    producer.partitions_for(&o.topic)?;

    let payload: Vec<u8> = (0..o.record_size).map(|i| b'a' + (i % 26) as u8).collect();
    if o.rate > 0 {
        // Latency mode: the first record's set-up (connection, producer id) is not part
        // of the steady-state latency being measured.
        producer
            .send(ProducerRecord::new(&o.topic).value(&payload))?
            .get(Duration::from_secs(30))?;
    }
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(
        (o.num_records / 64 + 1) as usize,
    )));
    let errors = Arc::new(AtomicU64::new(0));
    // Latency mode: nanoseconds from send to callback of record i at index i (0 while
    // not delivered), written by the sender thread; no lock on the delivery path.
    let all_latencies: Arc<Vec<AtomicU64>> = Arc::new(if o.rate > 0 {
        (0..o.num_records).map(|_| AtomicU64::new(0)).collect()
    } else {
        Vec::new()
    });
    let (cpu_before, _) = cpu_and_peak_memory();
    let start = Instant::now();
    let mut window_start = start;
    let mut window_sent = 0u64;
    for i in 0..o.num_records {
        if o.throughput > 0 {
            // Pace sends to the target rate.
            let due = start + Duration::from_secs_f64(i as f64 / o.throughput as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let record = ProducerRecord::new(&o.topic).value(&payload);
        if o.rate > 0 {
            let latencies = Arc::clone(&all_latencies);
            let errors = Arc::clone(&errors);
            let sent_at = Instant::now();
            producer.send_with_callback(record, move |result| match result {
                Ok(_) => {
                    // At least 1 ns, so that 0 keeps meaning "not delivered".
                    let ns = (sent_at.elapsed().as_nanos() as u64).max(1);
                    latencies[i as usize].store(ns, Ordering::Relaxed);
                }
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            })?;
        } else if i % 64 == 0 {
            let sent_at = Instant::now();
            let latencies = Arc::clone(&latencies);
            let errors = Arc::clone(&errors);
            producer.send_with_callback(record, move |result| match result {
                Ok(_) => latencies.lock().unwrap().push(sent_at.elapsed()),
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            })?;
        } else {
            producer.send(record)?;
        }
        window_sent += 1;
        // Reading the clock for every record would cost more than a send() of its own.
        if window_sent % 1024 == 0 && window_start.elapsed() >= Duration::from_secs(5) {
            let secs = window_start.elapsed().as_secs_f64();
            println!(
                "{window_sent} records sent, {:.1} records/sec ({:.2} MB/sec)",
                window_sent as f64 / secs,
                window_sent as f64 * o.record_size as f64 / secs / 1e6
            );
            window_start = Instant::now();
            window_sent = 0;
        }
    }
    producer.flush(None)?;
    let elapsed = start.elapsed().as_secs_f64();
    let (cpu_after, peak_mb) = cpu_and_peak_memory();
    let metrics = producer.metrics();
    producer.close(Some(Duration::from_secs(30)))?;

    let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let avg = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(Duration::as_secs_f64).sum::<f64>() / lat.len() as f64 * 1000.0
    };
    let cpu = cpu_after - cpu_before;
    println!(
        "{} records sent, {:.1} records/sec ({:.2} MB/sec), {avg:.2} ms avg latency, {:.2} ms max latency, \
         {:.0} ms 50th, {:.0} ms 95th, {:.0} ms 99th, {:.0} ms 99.9th.",
        o.num_records,
        o.num_records as f64 / elapsed,
        o.num_records as f64 * o.record_size as f64 / elapsed / 1e6,
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(0.999)
    );
    // Every record that fails is in record_errors, the sampled ones (or, in latency
    // mode, all) also in `errors`: the larger of the two is the count.
    let error_count = errors.load(Ordering::Relaxed).max(metrics.record_errors);
    println!(
        "client CPU {cpu:.2} s ({:.3} us/record), peak RSS {peak_mb:.1} MiB, {} batches in {} requests, {error_count} errors",
        cpu * 1e6 / o.num_records as f64,
        metrics.batches_sent,
        metrics.requests,
    );
    let mut latency_fields = String::new();
    if o.rate > 0 {
        // close() above has run every callback: all deliveries are in.
        let mut us: Vec<u64> = all_latencies
            .iter()
            .map(|ns| ns.load(Ordering::Relaxed))
            .filter(|&ns| ns > 0)
            .map(|ns| ns / 1000)
            .collect();
        us.sort_unstable();
        let (p50, p99, p999) = (
            nearest_rank(&us, 500),
            nearest_rank(&us, 990),
            nearest_rank(&us, 999),
        );
        let max = us.last().copied().unwrap_or(0);
        println!(
            "latency (send() to delivery, {} records at {} records/sec): p50 {p50} us, p99 {p99} us, p99.9 {p999} us, max {max} us",
            us.len(),
            o.rate
        );
        latency_fields = format!(" p50_us={p50} p99_us={p99} p999_us={p999} max_us={max}");
    }
    // One line in the format the perf scripts collect (scripts/producer-perf.sh).
    println!(
        "RESULT client=kafka-sync records={} records_per_sec={:.0} mb_per_sec={:.2} us_per_record={:.3} peak_rss_mib={peak_mb:.1} errors={error_count}{latency_fields}",
        o.num_records,
        o.num_records as f64 / elapsed,
        o.num_records as f64 * o.record_size as f64 / elapsed / 1e6,
        cpu * 1e6 / o.num_records as f64,
    );
    Ok(())
}
