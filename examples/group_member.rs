//! One member of a consumer group, for failover tests and rebalance measurements: joins
//! `group` on `topic` with the given group protocol, reads with auto-commit, and
//! prints a line per assignment change (`assigned n`) and per second of reading
//! (`read total`). Runs until killed, or until stdin closes.
//!
//! `cargo run --example group_member -- host:port topic group classic|consumer`

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_sync::{ConsumerConfig, GroupProtocol, KafkaConsumer, OffsetReset};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bootstrap, topic, group, protocol] = args.as_slice() else {
        return Err("usage: group_member host:port topic group classic|consumer".into());
    };
    let protocol: GroupProtocol = protocol.parse()?;
    let mut config = ConsumerConfig::new(bootstrap)
        .group_id(group)
        .group_protocol(protocol)
        .auto_offset_reset(OffsetReset::Earliest);
    if protocol == GroupProtocol::Classic {
        config = config
            .session_timeout(Duration::from_secs(6))
            .heartbeat_interval(Duration::from_millis(500));
    }
    let mut consumer = KafkaConsumer::new(config)?;
    consumer.subscribe(&[topic])?;

    // Stop when stdin closes (the parent ended us cleanly).
    let stop = Arc::new(AtomicBool::new(false));
    let wakeup = consumer.wakeup_handle();
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        flag.store(true, Ordering::SeqCst);
        wakeup.wakeup();
    });

    let mut total = 0usize;
    let mut owned = usize::MAX;
    let mut next_report = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        match consumer.poll(Duration::from_millis(100)) {
            Ok(records) => total += records.len(),
            Err(e) if e.kind() == kafka_sync::ErrorKind::Wakeup => break,
            Err(e) => return Err(e.into()),
        }
        let now_owned = consumer.assignment().len();
        if now_owned != owned {
            owned = now_owned;
            println!("assigned {owned}");
        }
        if Instant::now() >= next_report {
            println!("read {total}");
            next_report += Duration::from_secs(1);
        }
    }
    consumer.close()?;
    println!("closed read {total}");
    Ok(())
}
