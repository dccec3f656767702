//! A soak test: this client's producer and a consumer group of it under a steady load
//! for a set time, meant to run while brokers fail (`scripts/soak.sh` SIGKILLs and
//! SIGSTOPs them meanwhile; this program knows nothing of the faults).
//!
//! ```text
//! cargo run --release --example soak -- BOOTSTRAP TOPIC SECONDS [RECORDS_PER_SEC]
//! ```
//!
//! What runs, for SECONDS:
//! - two threads share one idempotent producer (acks=all, linger 5 ms, delivery
//!   timeout 120 s) and send keyed records, at most RECORDS_PER_SEC (default 2000) in
//!   all. Thread `t` numbers its records `n = 0, 1, ...`; the key is `t{t}-k{n % 16}`
//!   and the value `t{t}-{n}-{micros since the epoch at send time}`. Each thread keeps
//!   up to 500 futures outstanding and notes every future's outcome: acknowledged (at
//!   which partition and offset) or failed (with its error text). When the window is
//!   full it waits for the oldest future, so a partition that stalls (its leader
//!   paused) soon stalls the thread's sending to every partition;
//! - three group members (one `KafkaConsumer` each, one group, earliest reset, no
//!   auto-commit) read the topic and commit after each poll that returned records.
//!   Poll and commit errors are logged and counted; they end nothing.
//!
//! Every 10 s it prints `SOAK t=<s> sent=<n> acked=<n> failed=<n> read=<n> rss_kb=<n>`
//! (and a few more counters). Then it stops sending, flushes, waits up to 120 s for the
//! group to read every acknowledged record, closes everything, and prints a summary
//! ending in one `RESULT` line. What the summary checks, from what was read:
//! - **lost**: acknowledged but never read. Must be 0.
//! - **duplicated**: a value at two different positions (partition, offset), that is
//!   in the log twice. The idempotent producer promises 0. Reading one position again
//!   (after a rebalance, from the last commit) is **re-delivered**, counted apart:
//!   that is at-least-once reading, not a fault.
//! - **misplaced**: read at another partition or offset than its future said.
//! - **reordered**: a key's later record sits before an earlier one in the log (or on
//!   another partition).
//!
//! The exit code is 0 when lost, duplicated, misplaced and reordered are all 0, 1 when
//! one is not, and 2 when the run could not be made at all (bad arguments, a client
//! that could not be created).
//!
//! Also reported: the failures per error text, the latency from `send()` to the
//! acknowledgement (p50/p99/max, stamped by a delivery callback on the sender thread),
//! the latency from `send()` to the first read, the longest time each member went
//! without records while the producers ran, and the process RSS (from
//! `/proc/self/status`) sampled every second. The RSS includes this program's own
//! bookkeeping, 16 bytes per record sent (printed in the summary); the latencies go to
//! fixed-size histograms. The client's own log messages of level warn and above go to
//! stderr (`SOAK_LOG=info` or `debug` shows more).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kafka_sync::{
    Acks, ConsumerConfig, ConsumerRecord, FutureRecordMetadata, KafkaConsumer, KafkaError,
    KafkaProducer, OffsetReset, ProducerConfig, ProducerMetrics, ProducerRecord, RecordMetadata,
};

/// Producer threads sharing the one producer.
const PRODUCER_THREADS: usize = 2;
/// Members of the consumer group.
const MEMBERS: usize = 3;
/// Keys per producer thread.
const KEYS_PER_THREAD: u64 = 16;
/// Futures a producer thread keeps outstanding at most; when full, it waits for the
/// oldest, so a stalled cluster stalls the sender instead of filling memory.
const WINDOW: usize = 500;
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a producer thread waits on one future: the delivery timeout guarantees an
/// outcome before this.
const FUTURE_WAIT: Duration = Duration::from_secs(150);
/// How long the group gets to read every acknowledged record after the last send.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
const REPORT_EVERY: Duration = Duration::from_secs(10);
const POLL_TIMEOUT: Duration = Duration::from_millis(200);
/// How far behind its schedule a producer thread may fall and still catch up; further
/// behind (after a stall), it goes on at the set rate from where it is, without a burst.
const CATCH_UP: Duration = Duration::from_millis(50);
/// Error messages printed as they happen, per kind (all are counted).
const PRINTED_ERRORS: u64 = 20;

fn main() {
    install_logger();
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("soak: {e}");
            eprintln!("usage: soak BOOTSTRAP TOPIC SECONDS [RECORDS_PER_SEC]");
            std::process::exit(2);
        }
    };
    match run(&args) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    }
}

struct Args {
    bootstrap: String,
    topic: String,
    duration: Duration,
    /// Records per second, all producer threads together.
    rate: f64,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [bootstrap, topic, seconds, rest @ ..] = args.as_slice() else {
            return Err("BOOTSTRAP, TOPIC and SECONDS are needed".into());
        };
        let seconds: u64 = seconds
            .parse()
            .map_err(|e| format!("SECONDS `{seconds}`: {e}"))?;
        let rate = match rest {
            [] => 2000.0,
            [rate] => rate
                .parse::<f64>()
                .ok()
                .filter(|r| *r > 0.0)
                .ok_or_else(|| format!("RECORDS_PER_SEC `{rate}` is not a positive number"))?,
            _ => return Err("too many arguments".into()),
        };
        Ok(Args {
            bootstrap: bootstrap.clone(),
            topic: topic.clone(),
            duration: Duration::from_secs(seconds),
            rate,
        })
    }
}

/// Where a record is in the log, packed into 8 bytes (the ledger holds two per
/// record): partition + 1 in the top 16 bits, offset + 1 in the low 48. Zero means
/// nowhere (not acknowledged, or not read, yet).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Position(u64);

impl Position {
    const NONE: Position = Position(0);
    /// A send that failed.
    const FAILED: Position = Position(u64::MAX);
    const OFFSET_BITS: u32 = 48;

    /// `offset` is -1 when the broker gave none (a duplicate it had already written).
    fn new(partition: i32, offset: i64) -> Position {
        let p = (partition as u64 + 1) & 0x7fff;
        let o = (offset + 1) as u64 & ((1 << Self::OFFSET_BITS) - 1);
        Position(p << Self::OFFSET_BITS | o)
    }

    fn is_known(self) -> bool {
        self != Position::NONE && self != Position::FAILED
    }

    fn partition(self) -> i32 {
        (self.0 >> Self::OFFSET_BITS) as i32 - 1
    }

    /// -1 if unknown.
    fn offset(self) -> i64 {
        (self.0 & ((1 << Self::OFFSET_BITS) - 1)) as i64 - 1
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Position::NONE => f.write_str("nowhere"),
            Position::FAILED => f.write_str("failed"),
            p => write!(f, "{}@{}", p.partition(), p.offset()),
        }
    }
}

/// Latencies in buckets of about 1.6 % (64 per power of two of microseconds), so that
/// a long run takes no more memory than a short one.
#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_us: u64,
}

impl Histogram {
    const SUB_BUCKETS: u64 = 64;

    fn index(us: u64) -> usize {
        let linear = 2 * Self::SUB_BUCKETS;
        if us < linear {
            return us as usize;
        }
        // Keep the top 7 bits: `shift` is how many lower bits are dropped (1 or more).
        let shift = u64::from(64 - us.leading_zeros() - 7);
        (linear + (shift - 1) * Self::SUB_BUCKETS + ((us >> shift) - Self::SUB_BUCKETS)) as usize
    }

    /// The smallest value that falls into bucket `index`.
    fn lower_bound(index: usize) -> u64 {
        let (index, linear) = (index as u64, 2 * Self::SUB_BUCKETS);
        if index < linear {
            return index;
        }
        let shift = (index - linear) / Self::SUB_BUCKETS + 1;
        let mantissa = (index - linear) % Self::SUB_BUCKETS + Self::SUB_BUCKETS;
        mantissa << shift
    }

    fn record_us(&mut self, us: u64) {
        let i = Self::index(us);
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// The `p`-quantile (0 < p <= 1) in milliseconds, to the bucket's lower bound.
    fn quantile_ms(&self, p: f64) -> f64 {
        let rank = ((p * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::lower_bound(i).min(self.max_us) as f64 / 1000.0;
            }
        }
        0.0
    }

    fn max_ms(&self) -> f64 {
        self.max_us as f64 / 1000.0
    }

    fn summary(&self) -> String {
        if self.total == 0 {
            return "none measured".into();
        }
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
            self.quantile_ms(0.5),
            self.quantile_ms(0.99),
            self.max_ms(),
            self.total
        )
    }
}

/// Every record sent and read, by producer thread and sequence number.
#[derive(Default)]
struct Ledger {
    /// `sent[t][n]`: what the future of thread `t`'s record `n` said (NONE while it is
    /// outstanding).
    sent: Vec<Vec<Position>>,
    /// `read[t][n]`: where that record was read first (NONE if never).
    read: Vec<Vec<Position>>,
    acked: u64,
    failed: u64,
    /// Failed records per error text.
    errors: BTreeMap<String, u64>,
    distinct_read: u64,
    redelivered: u64,
    /// Copies of a value beyond its first position: (thread, n, position).
    extra_copies: HashSet<(usize, u64, Position)>,
    /// Values that are not this program's.
    foreign: u64,
    end_to_end: Histogram,
}

impl Ledger {
    fn new() -> Ledger {
        Ledger {
            sent: vec![Vec::new(); PRODUCER_THREADS],
            read: vec![Vec::new(); PRODUCER_THREADS],
            ..Ledger::default()
        }
    }

    fn sent_count(&self) -> u64 {
        self.sent.iter().map(|s| s.len() as u64).sum()
    }

    /// Notes record `n` of thread `t`, about to be sent (the numbers come in order).
    fn begin(&mut self, t: usize, n: u64) {
        debug_assert_eq!(self.sent[t].len() as u64, n);
        self.sent[t].push(Position::NONE);
    }

    fn settle(&mut self, t: usize, n: u64, outcome: Result<RecordMetadata, KafkaError>) {
        let slot = &mut self.sent[t][n as usize];
        match outcome {
            Ok(meta) => {
                *slot = Position::new(meta.partition, meta.offset);
                self.acked += 1;
            }
            Err(e) => {
                *slot = Position::FAILED;
                self.failed += 1;
                let text = e.to_string();
                if self.failed <= PRINTED_ERRORS {
                    log_line(&format!("send t{t}-{n} failed: {text}"));
                }
                *self.errors.entry(text).or_default() += 1;
            }
        }
    }

    fn note_read(&mut self, record: &ConsumerRecord, now_us: u64) {
        let Some((t, n, sent_us)) = record.value.as_deref().and_then(parse_value) else {
            self.foreign += 1;
            return;
        };
        let here = Position::new(record.partition, record.offset);
        let reads = &mut self.read[t];
        if reads.len() <= n as usize {
            reads.resize(n as usize + 1, Position::NONE);
        }
        let first = reads[n as usize];
        if first == Position::NONE {
            reads[n as usize] = here;
            self.distinct_read += 1;
            self.end_to_end.record_us(now_us.saturating_sub(sent_us));
        } else if first == here || self.extra_copies.contains(&(t, n, here)) {
            self.redelivered += 1;
        } else {
            self.extra_copies.insert((t, n, here));
            log_line(&format!(
                "DUPLICATE: t{t}-{n} is in the log at {first} and at {here}"
            ));
        }
    }

    /// Records acknowledged but not read (yet).
    fn unread_acked(&self) -> u64 {
        let mut unread = 0;
        for (sent, read) in self.sent.iter().zip(&self.read) {
            for (n, outcome) in sent.iter().enumerate() {
                if outcome.is_known() && read.get(n).is_none_or(|r| *r == Position::NONE) {
                    unread += 1;
                }
            }
        }
        unread
    }

    /// Bytes this ledger holds (what the program adds to the RSS per record).
    fn bytes(&self) -> usize {
        let positions: usize = self.sent.iter().chain(&self.read).map(Vec::capacity).sum();
        positions * std::mem::size_of::<Position>()
    }

    /// Checks what was read against what was acknowledged.
    fn verdict(&self) -> Verdict {
        let mut v = Verdict {
            duplicated: self.extra_copies.len() as u64,
            ..Verdict::default()
        };
        for (t, (sent, read)) in self.sent.iter().zip(&self.read).enumerate() {
            let read_at = |n: usize| read.get(n).copied().unwrap_or(Position::NONE);
            // Per key, the position of its last record read so far in send order.
            let mut last_of_key = vec![Position::NONE; KEYS_PER_THREAD as usize];
            for (n, &outcome) in sent.iter().enumerate() {
                let at = read_at(n);
                if outcome.is_known() {
                    if at == Position::NONE {
                        v.lost += 1;
                        if v.lost <= PRINTED_ERRORS {
                            log_line(&format!("LOST: t{t}-{n}, acknowledged at {outcome}"));
                        }
                    } else if at.partition() != outcome.partition()
                        || (outcome.offset() >= 0 && at.offset() != outcome.offset())
                    {
                        v.misplaced += 1;
                        if v.misplaced <= PRINTED_ERRORS {
                            log_line(&format!(
                                "MISPLACED: t{t}-{n} acknowledged at {outcome}, read at {at}"
                            ));
                        }
                    }
                } else if outcome == Position::FAILED && at != Position::NONE {
                    v.failed_but_written += 1;
                }
                if at != Position::NONE {
                    let last = &mut last_of_key[n % KEYS_PER_THREAD as usize];
                    if *last != Position::NONE
                        && (last.partition() != at.partition() || last.offset() > at.offset())
                    {
                        v.reordered += 1;
                        if v.reordered <= PRINTED_ERRORS {
                            log_line(&format!(
                                "REORDERED: t{t}-{n} is at {at}, an earlier record of its key at {last}"
                            ));
                        }
                    }
                    *last = at;
                }
            }
        }
        v
    }
}

#[derive(Default)]
struct Verdict {
    lost: u64,
    duplicated: u64,
    misplaced: u64,
    reordered: u64,
    /// Failed records that reached the log all the same (an outcome the client could
    /// not know, such as a timeout after the broker wrote them): no fault.
    failed_but_written: u64,
}

impl Verdict {
    fn passed(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.misplaced == 0 && self.reordered == 0
    }
}

/// `t{t}-{n}-{micros}` as (t, n, micros).
fn parse_value(value: &[u8]) -> Option<(usize, u64, u64)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.strip_prefix('t')?.splitn(3, '-');
    let t: usize = parts.next()?.parse().ok()?;
    let n: u64 = parts.next()?.parse().ok()?;
    let micros: u64 = parts.next()?.parse().ok()?;
    // Bounds keep a stray value from growing the ledger without end.
    (t < PRODUCER_THREADS && n < 1 << 32).then_some((t, n, micros))
}

/// What every thread shares.
struct Shared {
    ledger: Mutex<Ledger>,
    /// `send()` to acknowledgement, stamped by the delivery callback.
    ack_latency: Mutex<Histogram>,
    /// Poll, commit and close errors of the members, per "what: error text".
    consumer_errors: Mutex<BTreeMap<String, u64>>,
    stop_producing: AtomicBool,
    stop_reading: AtomicBool,
}

/// Locks `m`, also if a thread panicked while holding it (the counts stay usable).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn consumer_error(&self, member: usize, what: &str, e: &KafkaError) {
        let mut errors = lock(&self.consumer_errors);
        let count = errors.entry(format!("{what}: {e}")).or_default();
        *count += 1;
        if *count <= PRINTED_ERRORS {
            log_line(&format!("member {member}: {what} failed: {e}"));
        }
    }
}

/// One producer thread: sends paced records until told to stop, then waits for the
/// outcome of every record it sent.
fn produce(t: usize, producer: &KafkaProducer, topic: &str, shared: &Arc<Shared>, rate: f64) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut window: VecDeque<(u64, FutureRecordMetadata)> = VecDeque::with_capacity(WINDOW);
    let mut next_due = Instant::now();
    let mut n = 0u64;
    while !shared.stop_producing.load(Ordering::SeqCst) {
        let now = Instant::now();
        if next_due > now {
            std::thread::sleep(next_due - now);
        } else if now - next_due > CATCH_UP {
            next_due = now;
        }
        next_due += interval;

        let key = format!("t{t}-k{}", n % KEYS_PER_THREAD);
        let value = format!("t{t}-{n}-{}", micros_since_epoch());
        lock(&shared.ledger).begin(t, n);
        let sent_at = Instant::now();
        let record = ProducerRecord::new(topic).key(&key).value(&value);
        // The future says what became of the record; the callback, run by the sender
        // thread as the answer comes in, stamps when (this thread may look later).
        let stamp = Arc::clone(shared);
        let on_ack = move |result: Result<&RecordMetadata, &KafkaError>| {
            if result.is_ok() {
                let us = sent_at.elapsed().as_micros() as u64;
                lock(&stamp.ack_latency).record_us(us);
            }
        };
        match producer.send_with_callback(record, on_ack) {
            Ok(future) => window.push_back((n, future)),
            Err(e) => lock(&shared.ledger).settle(t, n, Err(e)),
        }
        n += 1;

        // Note the outcomes that are in, oldest first; with the window full, wait.
        while let Some((_, future)) = window.front() {
            if window.len() < WINDOW && !future.is_done() {
                break;
            }
            if let Some((m, future)) = window.pop_front() {
                let outcome = future.get(FUTURE_WAIT);
                lock(&shared.ledger).settle(t, m, outcome);
            }
        }
    }
    for (m, future) in window {
        let outcome = future.get(FUTURE_WAIT);
        lock(&shared.ledger).settle(t, m, outcome);
    }
}

/// What a member reports when it stops.
#[derive(Default)]
struct MemberReport {
    polled: u64,
    rebalances: u64,
    /// The longest time between two polls that returned records, while the producers
    /// ran (a group that stalls shows here).
    longest_gap: Duration,
}

/// One group member: polls, notes what it read, commits, until told to stop.
fn member(
    index: usize,
    bootstrap: &str,
    group: &str,
    topic: &str,
    shared: &Shared,
) -> Result<MemberReport, KafkaError> {
    let mut consumer = KafkaConsumer::new(
        ConsumerConfig::new(bootstrap)
            .client_id(format!("soak-member-{index}"))
            .group_id(group)
            .auto_offset_reset(OffsetReset::Earliest)
            .enable_auto_commit(false),
    )?;
    consumer.subscribe(&[topic])?;
    let mut report = MemberReport::default();
    let mut last_records: Option<Instant> = None;
    while !shared.stop_reading.load(Ordering::SeqCst) {
        let records = match consumer.poll(POLL_TIMEOUT) {
            Ok(records) => records,
            Err(e) => {
                shared.consumer_error(index, "poll", &e);
                // Not fatal; but do not spin on an error that returns at once.
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if records.is_empty() {
            continue;
        }
        let now = Instant::now();
        if let Some(last) = last_records {
            if !shared.stop_producing.load(Ordering::SeqCst) {
                report.longest_gap = report.longest_gap.max(now - last);
            }
        }
        last_records = Some(now);
        report.polled += records.len() as u64;
        {
            let now_us = micros_since_epoch();
            let mut ledger = lock(&shared.ledger);
            for record in &records {
                ledger.note_read(record, now_us);
            }
        }
        if let Err(e) = consumer.commit() {
            shared.consumer_error(index, "commit", &e);
        }
    }
    report.rebalances = consumer.metrics().rebalances;
    if let Err(e) = consumer.close() {
        shared.consumer_error(index, "close", &e);
    }
    Ok(report)
}

/// Samples the RSS every second and prints the progress line every 10 s.
struct Monitor {
    start: Instant,
    next_report: Instant,
    rss_min_kb: u64,
    rss_max_kb: u64,
    rss_last_kb: u64,
}

impl Monitor {
    fn new() -> Monitor {
        let start = Instant::now();
        Monitor {
            start,
            next_report: start + REPORT_EVERY,
            rss_min_kb: u64::MAX,
            rss_max_kb: 0,
            rss_last_kb: 0,
        }
    }

    /// Sleeps up to a second (less if `until` comes first), then samples and reports.
    fn tick(&mut self, shared: &Shared, until: Instant) {
        let now = Instant::now();
        let wake = (now + Duration::from_secs(1)).min(until);
        std::thread::sleep(wake.saturating_duration_since(now));
        if let Some(kb) = rss_kb() {
            self.rss_min_kb = self.rss_min_kb.min(kb);
            self.rss_max_kb = self.rss_max_kb.max(kb);
            self.rss_last_kb = kb;
        }
        if Instant::now() >= self.next_report {
            self.next_report += REPORT_EVERY;
            self.progress(shared);
        }
    }

    fn progress(&self, shared: &Shared) {
        let l = lock(&shared.ledger);
        let sent = l.sent_count();
        let errors: u64 = lock(&shared.consumer_errors).values().sum();
        println!(
            "SOAK t={} sent={sent} acked={} failed={} read={} rss_kb={} pending={} redelivered={} duplicated={} consumer_errors={errors}",
            self.start.elapsed().as_secs(),
            l.acked,
            l.failed,
            l.distinct_read,
            self.rss_last_kb,
            sent - l.acked - l.failed,
            l.redelivered,
            l.extra_copies.len(),
        );
    }
}

fn run(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    let producer = Arc::new(KafkaProducer::new(
        ProducerConfig::new(&args.bootstrap)
            .client_id("soak-producer")
            .acks(Acks::All)
            .enable_idempotence(true)
            .linger(Duration::from_millis(5))
            .delivery_timeout(DELIVERY_TIMEOUT),
    )?);
    let shared = Arc::new(Shared {
        ledger: Mutex::new(Ledger::new()),
        ack_latency: Mutex::default(),
        consumer_errors: Mutex::default(),
        stop_producing: AtomicBool::new(false),
        stop_reading: AtomicBool::new(false),
    });
    println!(
        "SOAK start {} UTC: {} s on topic {} at {}, {PRODUCER_THREADS} producer threads at up to {:.0} records/s in all, {MEMBERS} group members",
        utc_clock(),
        args.duration.as_secs(),
        args.topic,
        args.bootstrap,
        args.rate,
    );

    let group = format!("soak-{}", args.topic);
    let members: Vec<JoinHandle<Result<MemberReport, KafkaError>>> = (0..MEMBERS)
        .map(|i| {
            let (bootstrap, group, topic) =
                (args.bootstrap.clone(), group.clone(), args.topic.clone());
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || member(i, &bootstrap, &group, &topic, &shared))
        })
        .collect();
    let producers: Vec<JoinHandle<()>> = (0..PRODUCER_THREADS)
        .map(|t| {
            let (producer, topic, shared) = (
                Arc::clone(&producer),
                args.topic.clone(),
                Arc::clone(&shared),
            );
            let rate = args.rate / PRODUCER_THREADS as f64;
            std::thread::spawn(move || produce(t, &producer, &topic, &shared, rate))
        })
        .collect();

    let mut monitor = Monitor::new();
    let end = monitor.start + args.duration;
    while Instant::now() < end {
        monitor.tick(&shared, end);
    }
    let produced_for = monitor.start.elapsed();

    // Stop sending; every future gets its outcome (within the delivery timeout).
    shared.stop_producing.store(true, Ordering::SeqCst);
    println!("SOAK {} UTC: stopped sending; flushing", utc_clock());
    if let Err(e) = producer.flush(Some(DELIVERY_TIMEOUT)) {
        log_line(&format!("flush: {e}"));
    }
    for (t, handle) in producers.into_iter().enumerate() {
        if handle.join().is_err() {
            log_line(&format!("producer thread {t} panicked"));
        }
    }

    // Wait for the group to read everything that was acknowledged.
    let drain_start = Instant::now();
    let drain_end = drain_start + DRAIN_TIMEOUT;
    let mut unread = lock(&shared.ledger).unread_acked();
    while unread > 0 && Instant::now() < drain_end {
        monitor.tick(
            &shared,
            (Instant::now() + Duration::from_millis(500)).min(drain_end),
        );
        unread = lock(&shared.ledger).unread_acked();
    }
    let drained_in = drain_start.elapsed();
    if unread > 0 {
        log_line(&format!(
            "{unread} acknowledged records still unread after {} s; stopping the group",
            DRAIN_TIMEOUT.as_secs()
        ));
    }
    monitor.progress(&shared);

    shared.stop_reading.store(true, Ordering::SeqCst);
    let mut reports = Vec::new();
    for (i, handle) in members.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(report)) => reports.push((i, Ok(report))),
            Ok(Err(e)) => reports.push((i, Err(format!("stopped early: {e}")))),
            Err(_) => reports.push((i, Err("panicked".to_owned()))),
        }
    }
    let metrics = producer.metrics();
    if let Err(e) = producer.close(Some(Duration::from_secs(30))) {
        log_line(&format!("producer close: {e}"));
    }
    // Settle the figures after everything has been closed.
    if let Some(kb) = rss_kb() {
        monitor.rss_min_kb = monitor.rss_min_kb.min(kb);
        monitor.rss_max_kb = monitor.rss_max_kb.max(kb);
    }

    let ledger = lock(&shared.ledger);
    let verdict = ledger.verdict();
    let ack_latency = lock(&shared.ack_latency);
    let consumer_errors = lock(&shared.consumer_errors);
    let summary = Summary {
        args,
        produced_for,
        drained_in,
        ledger: &ledger,
        verdict: &verdict,
        ack_latency: &ack_latency,
        consumer_errors: &consumer_errors,
        reports: &reports,
        metrics: &metrics,
        monitor: &monitor,
    };
    summary.print();
    Ok(verdict.passed() && reports.iter().all(|(_, r)| r.is_ok()))
}

struct Summary<'a> {
    args: &'a Args,
    produced_for: Duration,
    drained_in: Duration,
    ledger: &'a Ledger,
    verdict: &'a Verdict,
    ack_latency: &'a Histogram,
    consumer_errors: &'a BTreeMap<String, u64>,
    reports: &'a [(usize, Result<MemberReport, String>)],
    metrics: &'a ProducerMetrics,
    monitor: &'a Monitor,
}

impl Summary<'_> {
    fn print(&self) {
        let (l, v, m) = (self.ledger, self.verdict, self.metrics);
        let sent = l.sent_count();
        println!("== soak summary");
        println!(
            "sent for {:.0} s at up to {:.0} records/s; the group read the rest in {:.1} s",
            self.produced_for.as_secs_f64(),
            self.args.rate,
            self.drained_in.as_secs_f64()
        );
        println!("records sent:          {sent}");
        println!("acknowledged:          {}", l.acked);
        println!("failed:                {}", l.failed);
        for (text, count) in &l.errors {
            println!("  {count:>8} x {text}");
        }
        println!(
            "read back (distinct):  {} ({} of them failed sends that reached the log all the same)",
            l.distinct_read, v.failed_but_written
        );
        println!(
            "lost:                  {} (acknowledged, never read)",
            v.lost
        );
        println!(
            "duplicated:            {} (a value at two positions in the log)",
            v.duplicated
        );
        println!(
            "misplaced:             {} (read elsewhere than the acknowledgement said)",
            v.misplaced
        );
        println!(
            "reordered:             {} (a key's records out of send order in the log)",
            v.reordered
        );
        println!(
            "re-delivered:          {} (one position read again, after a rebalance)",
            l.redelivered
        );
        if l.foreign > 0 {
            println!("foreign values read:   {}", l.foreign);
        }
        println!("ack latency:           {}", self.ack_latency.summary());
        println!("send to first read:    {}", l.end_to_end.summary());
        println!(
            "producer:              {} requests, {} batches, {} batch retries, {} record errors",
            m.requests, m.batches_sent, m.retries, m.record_errors
        );
        for (i, report) in self.reports {
            match report {
                Ok(r) => println!(
                    "member {i}:              {} records polled, {} rebalances, longest gap between records {:.1} s",
                    r.polled,
                    r.rebalances,
                    r.longest_gap.as_secs_f64()
                ),
                Err(e) => println!("member {i}:              {e}"),
            }
        }
        let consumer_errors: u64 = self.consumer_errors.values().sum();
        println!("consumer errors:       {consumer_errors}");
        for (text, count) in self.consumer_errors {
            println!("  {count:>8} x {text}");
        }
        let mon = self.monitor;
        println!(
            "RSS:                   min {} kB, max {} kB (of which this program's ledger {} kB)",
            mon.rss_min_kb,
            mon.rss_max_kb,
            l.bytes() / 1024
        );
        println!(
            "RESULT lost={} duplicated={} misplaced={} reordered={} sent={sent} acked={} failed={} read={} redelivered={} consumer_errors={consumer_errors} ack_p50_ms={:.1} ack_p99_ms={:.1} ack_max_ms={:.1} rss_min_kb={} rss_max_kb={}",
            v.lost,
            v.duplicated,
            v.misplaced,
            v.reordered,
            l.acked,
            l.failed,
            l.distinct_read,
            l.redelivered,
            self.ack_latency.quantile_ms(0.5),
            self.ack_latency.quantile_ms(0.99),
            self.ack_latency.max_ms(),
            mon.rss_min_kb,
            mon.rss_max_kb,
        );
    }
}

/// The resident set size of this process in kB (Linux).
fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn micros_since_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The time of day in UTC, `HH:MM:SS.mmm`, to line messages up with the fault log.
fn utc_clock() -> String {
    let ms = micros_since_epoch() / 1000;
    let (s, ms) = (ms / 1000, ms % 1000);
    format!(
        "{:02}:{:02}:{:02}.{ms:03}",
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// A line on stderr with the time of day.
fn log_line(message: &str) {
    eprintln!("{} {message}", utc_clock());
}

/// Prints the client's log messages to stderr: warn and above, or the level that
/// `SOAK_LOG` names.
fn install_logger() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, metadata: &log::Metadata) -> bool {
            metadata.level() <= log::max_level()
        }
        fn log(&self, record: &log::Record) {
            if self.enabled(record.metadata()) {
                log_line(&format!(
                    "{} {}: {}",
                    record.level(),
                    record.target(),
                    record.args()
                ));
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    let level = std::env::var("SOAK_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Warn);
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}
