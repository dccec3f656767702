//! Exactly once across a crash, on Apache Kafka: 100k records flow from an input topic
//! through two worker processes (`examples/exactly_once.rs`, built on
//! `ExactlyOnceProcessor`) to an output topic. One worker is SIGKILLed mid-way and
//! started again with the same worker id (its transactional id and static member id),
//! as a supervisor would. The output must then hold every input record exactly once
//! under read_committed, read by the Java client's consumer, in input order per key.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::java::Process;
use kafka_sync::{KafkaProducer, ProducerConfig, ProducerRecord};

const RECORDS: usize = 100_000;
const PARTITIONS: i32 = 4;
const KEYS: usize = 64;
/// Workers stop after this long without input.
const IDLE_EXIT_SECS: &str = "10";

/// The example's binary, built (or found up to date) by cargo.
fn worker_binary() -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--example", "exactly_once"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build --example exactly_once");
    assert!(
        status.success(),
        "cargo build --example exactly_once failed"
    );
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| common::project_root().join("target"));
    target.join("debug/examples/exactly_once")
}

fn start_worker(
    binary: &std::path::Path,
    input: &str,
    output: &str,
    group: &str,
    id: &str,
) -> Process {
    let mut command = Command::new(binary);
    command.args([
        &common::bootstrap(),
        input,
        output,
        group,
        id,
        IDLE_EXIT_SECS,
    ]);
    Process::spawn_command(&format!("exactly_once-{id}"), command)
}

/// Reads `worker`'s output until its `total=` count reaches `at_least`.
fn wait_for_total(worker: &mut Process, at_least: usize, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let Some(line) = worker.line_until(deadline) else {
            panic!(
                "{} did not reach {at_least} records in {timeout:?}:\n{}",
                worker.program,
                worker.stderr()
            );
        };
        if let Some(total) = line
            .split_once("total=")
            .and_then(|(_, n)| n.parse::<usize>().ok())
        {
            if total >= at_least {
                return total;
            }
        }
    }
}

#[test]
fn every_input_record_is_in_the_output_exactly_once_after_a_worker_is_killed() {
    let input = common::unique_topic("eos-input");
    let output = common::unique_topic("eos-output");
    common::create_topic(&input, PARTITIONS);
    common::create_topic(&output, PARTITIONS);
    let group = common::unique_topic("eos-group");
    let binary = worker_binary();

    let producer = KafkaProducer::new(
        ProducerConfig::new(&common::bootstrap())
            .linger(Duration::from_millis(5))
            .batch_size(256 * 1024),
    )
    .expect("producer");
    for i in 0..RECORDS {
        let key = format!("k{}", i % KEYS);
        let value = format!("v{i}");
        producer
            .send(ProducerRecord::new(&input).key(&key).value(&value))
            .expect("send");
    }
    producer.flush(None).expect("flush");
    producer.close(None).expect("close");

    let mut a = start_worker(&binary, &input, &output, &group, &format!("{group}-a"));
    let mut b = start_worker(&binary, &input, &output, &group, &format!("{group}-b"));
    let before_kill = wait_for_total(&mut a, 10_000, Duration::from_secs(120));
    a.kill();
    println!("worker a killed after committing {before_kill} records");
    let mut a_again = start_worker(&binary, &input, &output, &group, &format!("{group}-a"));

    let mut processed = 0;
    for worker in [&mut b, &mut a_again] {
        let lines = worker.wait(Duration::from_secs(240));
        let total = lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("done total="))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{} printed no total: {lines:?}", worker.program));
        let aborted = lines.iter().filter(|l| l.starts_with("aborted")).count();
        println!(
            "{}: {total} records committed, {aborted} transactions aborted",
            worker.program
        );
        processed += total;
    }
    assert!(
        before_kill + processed >= RECORDS,
        "the workers committed {before_kill} + {processed} records"
    );

    let read = common::java::read_topic(&common::bootstrap(), &output, "read_committed");
    assert_eq!(
        read.len(),
        RECORDS,
        "read_committed sees one output per input"
    );
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut seen = vec![false; RECORDS];
    for record in &read {
        let value = String::from_utf8(record.value.clone().expect("a value")).expect("utf-8");
        let i: usize = value
            .strip_prefix("processed:v")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("an unexpected output value {value}"));
        assert!(i < RECORDS, "{value}");
        assert!(!seen[i], "{value} is in the output twice");
        seen[i] = true;
        let key = String::from_utf8(record.key.clone().expect("a key")).expect("utf-8");
        assert_eq!(key, format!("k{}", i % KEYS), "{value} kept its key");
        by_key.entry(key).or_default().push(i);
    }
    assert!(seen.iter().all(|s| *s), "every input has its output");
    for (key, values) in &by_key {
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "the outputs of key {key} are in input order"
        );
    }
}
