//! How long a rebalance stops a consumer group, under each way of rebalancing: the
//! classic protocol with eager rebalancing (`range`), the classic protocol with
//! incremental rebalancing (`cooperative-sticky`), and the consumer protocol (KIP-848,
//! the broker's `uniform` assignor).
//!
//! For each, a group of three members reads a 12-partition topic that a producer
//! writes to all along (about 2400 records/s, every partition). Then a fourth member
//! joins, and later leaves (closing, so it says so). For each event it reports:
//! - `settle`: from the event until every partition is owned again, evenly;
//! - `max gap`: the longest time one of the three first members went without records
//!   between the event and one second after it settled;
//! - `max latency`: the longest a record produced in that window waited to be read
//!   (from its timestamp to its delivery), beside the same figure before any event.
//!
//! A stop-the-world rebalance shows as gaps and latencies as long as the rebalance;
//! an incremental one only delays the partitions that move.
//!
//! `cargo run --release --example rebalance_pause -- host:port [--work-ms N] [eager] [cooperative] [consumer]`
//!
//! `--work-ms N` makes each member spend N ms on the records of each poll that
//! returned some (as a member doing real work would), so it calls `poll()` again, and
//! hears of a rebalance on its thread, only that much later.
//!
//! The classic members heartbeat every 500 ms, as the test cluster makes consumer
//! protocol members do (`group.consumer.heartbeat.interval.ms`), so that both learn of
//! a rebalance equally soon.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kafka_sync::{
    AdminConfig, AssignmentStrategy, ConsumerConfig, GroupProtocol, KafkaAdminClient,
    KafkaConsumer, KafkaProducer, NewTopic, OffsetReset, ProducerConfig, ProducerRecord,
};

const PARTITIONS: i32 = 12;
const TIMEOUT: Duration = Duration::from_secs(60);

type Error = Box<dyn std::error::Error>;

#[derive(Clone, Copy, Debug)]
enum Variant {
    Eager,
    Cooperative,
    Consumer,
}

impl Variant {
    fn parse(name: &str) -> Result<Variant, Error> {
        match name {
            "eager" => Ok(Variant::Eager),
            "cooperative" => Ok(Variant::Cooperative),
            "consumer" => Ok(Variant::Consumer),
            _ => Err(format!("unknown variant {name}: eager, cooperative or consumer").into()),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::Eager => "classic eager (range)",
            Variant::Cooperative => "classic cooperative-sticky",
            Variant::Consumer => "consumer protocol (uniform)",
        }
    }

    fn config(self, bootstrap: &str, group: &str) -> ConsumerConfig {
        let config = ConsumerConfig::new(bootstrap)
            .group_id(group)
            .auto_offset_reset(OffsetReset::Latest);
        let classic = |strategy| {
            config
                .clone()
                .session_timeout(Duration::from_secs(10))
                .heartbeat_interval(Duration::from_millis(500))
                .partition_assignment_strategy(&[strategy])
        };
        match self {
            Variant::Eager => classic(AssignmentStrategy::Range),
            Variant::Cooperative => classic(AssignmentStrategy::CooperativeSticky),
            Variant::Consumer => config.clone().group_protocol(GroupProtocol::Consumer),
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What a member saw: when its polls returned records, and each record's latency.
#[derive(Default)]
struct Seen {
    /// Per record read: when its poll returned, its latency in ms (delivery minus
    /// timestamp), and its timestamp in ms.
    deliveries: Vec<(Instant, i64, i64)>,
}

struct Member {
    owned: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Member {
    fn start(config: ConsumerConfig, topic: &str, work: Duration) -> Member {
        let owned = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (o, s, v, topic) = (
            Arc::clone(&owned),
            Arc::clone(&stop),
            Arc::clone(&seen),
            topic.to_owned(),
        );
        let thread = std::thread::spawn(move || -> Result<(), String> {
            let mut consumer = KafkaConsumer::new(config).map_err(|e| e.to_string())?;
            consumer.subscribe(&[topic]).map_err(|e| e.to_string())?;
            while !s.load(Ordering::SeqCst) {
                let records = consumer
                    .poll(Duration::from_millis(50))
                    .map_err(|e| e.to_string())?;
                o.store(consumer.assignment().len(), Ordering::SeqCst);
                if !records.is_empty() {
                    let (now, delivered) = (now_ms(), Instant::now());
                    let mut seen = v.lock().map_err(|e| e.to_string())?;
                    for r in &records {
                        seen.deliveries
                            .push((delivered, now - r.timestamp, r.timestamp));
                    }
                    drop(seen);
                    // The member's own work on the records.
                    std::thread::sleep(work);
                }
            }
            consumer.close().map_err(|e| e.to_string())
        });
        Member {
            owned,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    fn owned(&self) -> usize {
        self.owned.load(Ordering::SeqCst)
    }

    fn stop(&mut self) -> Result<(), Error> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().map_err(|_| "a member panicked")??;
        }
        self.owned.store(0, Ordering::SeqCst);
        Ok(())
    }

    /// The longest time between two deliveries within [from, to].
    fn longest_gap(&self, from: Instant, to: Instant) -> Duration {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut last = from;
        let mut longest = Duration::ZERO;
        for &(at, _, _) in seen.deliveries.iter().filter(|d| d.0 >= from && d.0 <= to) {
            longest = longest.max(at - last);
            last = at;
        }
        longest.max(to.saturating_duration_since(last))
    }

    /// The longest latency of a record produced within [from_ms, to_ms].
    fn max_latency(&self, from_ms: i64, to_ms: i64) -> i64 {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.deliveries
            .iter()
            .filter(|d| d.2 >= from_ms && d.2 <= to_ms)
            .map(|d| d.1)
            .max()
            .unwrap_or(0)
    }
}

/// Waits until `members` own the partitions evenly (their counts differ by at most
/// one and add up to all of them).
fn wait_balanced(members: &[&Member]) -> Result<Instant, Error> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let counts: Vec<usize> = members.iter().map(|m| m.owned()).collect();
        let total: usize = counts.iter().sum();
        let (min, max) = (
            counts.iter().min().copied().unwrap_or(0),
            counts.iter().max().copied().unwrap_or(0),
        );
        if total == PARTITIONS as usize && max - min <= 1 {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            return Err(format!("the group never balanced: {counts:?}").into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run(bootstrap: &str, variant: Variant, work: Duration) -> Result<(), Error> {
    let topic = format!("rebalance-pause-{variant:?}-{}", std::process::id()).to_lowercase();
    let group = format!("{topic}-group");
    let admin = KafkaAdminClient::new(AdminConfig::new(bootstrap))?;
    admin.create_topics(&[NewTopic::new(&topic, PARTITIONS, 1)], TIMEOUT)?[0]
        .result
        .clone()?;

    let producing = Arc::new(AtomicBool::new(true));
    let producer_thread = {
        let (producing, topic, bootstrap) =
            (Arc::clone(&producing), topic.clone(), bootstrap.to_owned());
        std::thread::spawn(move || -> Result<(), String> {
            let producer = KafkaProducer::new(
                ProducerConfig::new(&bootstrap)
                    .set("linger.ms", "0")
                    .and_then(|c| c.set("acks", "1"))
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            while producing.load(Ordering::SeqCst) {
                for partition in 0..PARTITIONS {
                    producer
                        .send(ProducerRecord::new(&topic).partition(partition).value(b"x"))
                        .map_err(|e| e.to_string())?;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            producer.flush(Some(TIMEOUT)).map_err(|e| e.to_string())
        })
    };

    let mut members: Vec<Member> = (0..3)
        .map(|_| Member::start(variant.config(bootstrap, &group), &topic, work))
        .collect();
    wait_balanced(&members.iter().collect::<Vec<_>>())?;
    let steady_from = now_ms();
    std::thread::sleep(Duration::from_secs(3));
    let steady_to = now_ms();
    let steady: i64 = members
        .iter()
        .map(|m| m.max_latency(steady_from, steady_to))
        .max()
        .unwrap_or(0);

    let report = |event: &str,
                  started: Instant,
                  started_ms: i64,
                  members: &[&Member]|
     -> Result<(), Error> {
        let settled = wait_balanced(members)?;
        std::thread::sleep(Duration::from_secs(1));
        let window_end = settled + Duration::from_secs(1);
        let gaps: Vec<u128> = members[..3]
            .iter()
            .map(|m| m.longest_gap(started, window_end).as_millis())
            .collect();
        let latency = members
            .iter()
            .map(|m| m.max_latency(started_ms, now_ms() - 1000))
            .max()
            .unwrap_or(0);
        println!(
            "{:<28} {event:<6} settle {:>6} ms   max gap {:>5} ms (members {gaps:?})   max latency {latency:>5} ms (steady {steady} ms)",
            variant.name(),
            (settled - started).as_millis(),
            gaps.iter().max().copied().unwrap_or(0),
        );
        Ok(())
    };

    // A fourth member joins.
    let started = (Instant::now(), now_ms());
    members.push(Member::start(
        variant.config(bootstrap, &group),
        &topic,
        work,
    ));
    report(
        "join",
        started.0,
        started.1,
        &members.iter().collect::<Vec<_>>(),
    )?;

    // It leaves again.
    let started = (Instant::now(), now_ms());
    let mut fourth = members.pop().ok_or("no fourth member")?;
    fourth.stop()?;
    report(
        "leave",
        started.0,
        started.1,
        &members.iter().collect::<Vec<_>>(),
    )?;

    for member in &mut members {
        member.stop()?;
    }
    producing.store(false, Ordering::SeqCst);
    producer_thread
        .join()
        .map_err(|_| "the producer panicked")??;
    admin.delete_topics(&[topic.as_str()], TIMEOUT)?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: rebalance_pause host:port [--work-ms N] [eager] [cooperative] [consumer]";
    let Some((bootstrap, mut variants)) = args.split_first() else {
        return Err(usage.into());
    };
    let mut work = Duration::ZERO;
    if variants.first().is_some_and(|a| a == "--work-ms") {
        let ms = variants.get(1).ok_or(usage)?;
        work = Duration::from_millis(ms.parse()?);
        variants = &variants[2..];
    }
    println!(
        "(each member works {} ms on each poll's records)",
        work.as_millis()
    );
    let variants: Vec<Variant> = if variants.is_empty() {
        vec![Variant::Eager, Variant::Cooperative, Variant::Consumer]
    } else {
        variants
            .iter()
            .map(|v| Variant::parse(v))
            .collect::<Result<_, _>>()?
    };
    for variant in variants {
        run(bootstrap, variant, work)?;
    }
    Ok(())
}
