//! Exactly-once processing with [`ExactlyOnceProcessor`]: reads an input topic as a
//! member of a consumer group, writes one output record per input record, and commits
//! the outputs and the input offsets in one transaction. Run several of these with the
//! same group and different worker ids: they share the input's partitions, and if one
//! dies (even by SIGKILL), the others or its restarted self (same worker id) take over
//! without losing or duplicating an output record, as read_committed readers see it.
//!
//! ```text
//! cargo run --example exactly_once -- BOOTSTRAP INPUT OUTPUT GROUP WORKER_ID [IDLE_EXIT_SECS]
//! ```
//!
//! - The output record has the input's key and the value `processed:<input value>`.
//! - `WORKER_ID` names this worker for good: it is the transactional id (so a
//!   restarted worker fences its dead predecessor and finishes its open transaction)
//!   and the static group member id (`group.instance.id`, so a restarted worker takes
//!   its partitions back without a rebalance).
//! - With `IDLE_EXIT_SECS`, the worker stops after that long without input; without
//!   it, it runs until killed.
//!
//! It prints `committed <records> total=<n>` after each transaction and
//! `aborted <records>: <why>` after each abort, then `done total=<n>` on exit.

use std::time::{Duration, Instant};

use kafka_sync::exactly_once::Outcome;
use kafka_sync::{ConsumerConfig, ExactlyOnceProcessor, OffsetReset, ProducerConfig};
use kafka_sync::{KafkaError, ProducerRecord};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 || args.len() > 6 {
        eprintln!("usage: exactly_once BOOTSTRAP INPUT OUTPUT GROUP WORKER_ID [IDLE_EXIT_SECS]");
        std::process::exit(2);
    }
    let idle_exit = match args.get(5).map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(secs)) => Some(Duration::from_secs(secs)),
        Some(Err(e)) => {
            eprintln!("IDLE_EXIT_SECS: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args[0], &args[1], &args[2], &args[3], &args[4], idle_exit) {
        eprintln!("exactly_once: {e}");
        std::process::exit(1);
    }
}

fn run(
    bootstrap: &str,
    input: &str,
    output: &str,
    group: &str,
    worker: &str,
    idle_exit: Option<Duration>,
) -> Result<(), KafkaError> {
    let consumer = ConsumerConfig::new(bootstrap)
        .group_id(group)
        .group_instance_id(worker)
        .auto_offset_reset(OffsetReset::Earliest)
        .session_timeout(Duration::from_secs(10));
    let producer = ProducerConfig::new(bootstrap)
        .transactional_id(worker)
        .transaction_timeout(Duration::from_secs(10));
    let mut processor = ExactlyOnceProcessor::new(consumer, producer)?;
    processor.subscribe(&[input])?;
    let mut total = 0usize;
    let mut last_input = Instant::now();
    loop {
        let outcome = processor.process(Duration::from_millis(200), |records, out| {
            for record in records {
                let mut value = b"processed:".to_vec();
                value.extend_from_slice(record.value.as_deref().unwrap_or_default());
                let mut outgoing = ProducerRecord::new(output).value(&value);
                if let Some(key) = record.key.as_deref() {
                    outgoing = outgoing.key(key);
                }
                out.send(outgoing)?;
            }
            Ok(())
        });
        match outcome {
            Ok(Outcome::Idle) => {
                if idle_exit.is_some_and(|idle| last_input.elapsed() >= idle) {
                    break;
                }
            }
            Ok(Outcome::Committed { records }) => {
                total += records;
                last_input = Instant::now();
                println!("committed {records} total={total}");
            }
            Ok(Outcome::Aborted { records, error, .. }) => {
                last_input = Instant::now();
                println!("aborted {records}: {error}");
            }
            // A timed-out step is finished by the next call; anything else is retried
            // by calling again too, after a pause so that a persistent error does not
            // spin.
            Err(e) => {
                eprintln!("exactly_once: {e}");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    processor.close(Duration::from_secs(30))?;
    println!("done total={total}");
    Ok(())
}
