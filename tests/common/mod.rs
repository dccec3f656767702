//! The broker harness shared by the integration tests.
//!
//! Each test binary gets one broker, started on first use and stopped when the test
//! process ends, however it ends:
//! - by default a 1-node Apache Kafka cluster ([`kafka::KafkaCluster`], the pinned
//!   release `scripts/install-kafka.sh` installs into `.cache/`): the reference;
//! - with `KAFKA_TEST_BROKER=tansu`, the embedded tansu broker (the pinned build
//!   `scripts/install-tansu.sh` installs), for the tests tansu gets right;
//! - with `KAFKA_BOOTSTRAP=host:port`, that external broker: nothing is started.
//!
//! Tests that need brokers they control (to kill, pause or restart them, to put a
//! proxy in front, with 3 replicas, or with SASL and TLS listeners) start local Kafka
//! clusters of their own through [`kafka::KafkaCluster`] whatever the variables say:
//! an external broker can't be killed from here.
#![allow(dead_code)]

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod faults;
pub mod fetch;
pub mod java;
pub mod kafka;
pub mod mock;
pub mod produce;
pub mod proxy;
pub mod schema_registry;
pub mod security;
pub mod target;

use kafka_sync::{AdminConfig, KafkaAdminClient};

/// Which broker the shared [`broker()`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// Apache Kafka started by the harness.
    Kafka,
    /// The embedded tansu (`KAFKA_TEST_BROKER=tansu`).
    Tansu,
    /// The broker `KAFKA_BOOTSTRAP` names.
    External,
}

/// The kind of broker this test run uses.
pub fn broker_kind() -> BrokerKind {
    if external_bootstrap().is_some() {
        return BrokerKind::External;
    }
    match std::env::var("KAFKA_TEST_BROKER").as_deref() {
        Ok("tansu") => BrokerKind::Tansu,
        Ok("kafka") | Ok("") | Err(_) => BrokerKind::Kafka,
        Ok(other) => panic!("KAFKA_TEST_BROKER={other}: expected `kafka` or `tansu`"),
    }
}

/// A broker the tests can talk to.
pub struct Broker {
    /// `host:port` to bootstrap from.
    pub bootstrap: String,
    /// The embedded tansu broker's process.
    process: Option<Child>,
    /// The Kafka cluster.
    cluster: Option<kafka::KafkaCluster>,
    port: u16,
}

/// Whether the tests run against an external broker named by `KAFKA_BOOTSTRAP`.
pub fn external_bootstrap() -> Option<String> {
    std::env::var("KAFKA_BOOTSTRAP")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The broker shared by all tests of this test binary.
pub fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(|| match broker_kind() {
        BrokerKind::External => Broker {
            bootstrap: external_bootstrap().unwrap_or_default(),
            process: None,
            cluster: None,
            port: 0,
        },
        BrokerKind::Tansu => {
            Broker::start_embedded(free_port()).expect("start the embedded tansu broker")
        }
        BrokerKind::Kafka => {
            let cluster = kafka::KafkaCluster::start(1);
            Broker {
                bootstrap: cluster.bootstrap(),
                port: cluster.port(1, "PLAINTEXT"),
                process: None,
                cluster: Some(cluster),
            }
        }
    })
}

/// A 3-node Apache Kafka cluster shared by the tests of this binary that need
/// replicas (acks=all with min.insync.replicas=2, leader movement, 3 replicas).
/// Always local, also with `KAFKA_BOOTSTRAP` set. Tests that kill or pause brokers
/// start clusters of their own instead.
pub fn cluster3() -> &'static kafka::KafkaCluster {
    static CLUSTER: OnceLock<kafka::KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| kafka::KafkaCluster::start(3))
}

/// The bootstrap of a broker with KIP-848's consumer group protocol
/// (`group.protocol=consumer`): the shared broker, except on tansu, which has no
/// ConsumerGroupHeartbeat (../shared/brokers.md); there a 1-node Apache Kafka cluster
/// of this binary's own, so that the test still checks the protocol on a broker that
/// has it.
pub fn consumer_protocol_bootstrap() -> String {
    static CLUSTER: OnceLock<kafka::KafkaCluster> = OnceLock::new();
    match broker_kind() {
        BrokerKind::Tansu => CLUSTER
            .get_or_init(|| kafka::KafkaCluster::start(1))
            .bootstrap(),
        BrokerKind::Kafka | BrokerKind::External => bootstrap(),
    }
}

/// Serializes the tests of one binary that call it while the shared broker is tansu,
/// whose concurrent rebalances of several groups can fence live members
/// (../shared/brokers.md). On Kafka (and external brokers) the tests run at once.
pub fn serial_on_tansu() -> Option<std::sync::MutexGuard<'static, ()>> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    (broker_kind() == BrokerKind::Tansu).then(|| LOCK.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The bootstrap address of the shared broker.
pub fn bootstrap() -> String {
    broker().bootstrap.clone()
}

/// A topic name no other test uses.
pub fn unique_topic(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Instant::now().elapsed().subsec_nanos() % 1000
    )
}

/// Creates `topic` with `partitions` partitions and replication factor 1 on the
/// shared broker, and waits until every partition's leader serves it.
pub fn create_topic(topic: &str, partitions: i32) {
    create_topic_on(&bootstrap(), topic, partitions);
}

/// [`create_topic`] on the cluster at `bootstrap`.
pub fn create_topic_on(bootstrap: &str, topic: &str, partitions: i32) {
    let timeout = Duration::from_secs(30);
    let admin = KafkaAdminClient::new(kafka_sync::AdminConfig::new(bootstrap)).expect("admin");
    let results = admin
        .create_topics(&[kafka_sync::NewTopic::new(topic, partitions, 1)], timeout)
        .expect("create topic");
    assert!(
        results[0].result.is_ok(),
        "{topic}: {:?}",
        results[0].result
    );
    fetch::wait_until_led(bootstrap, topic, partitions, timeout);
}

/// Waits until `admin` lists `topic`: CreateTopics returns once the controller has
/// the topic, and the brokers take it up a moment later (as with the Java client).
pub fn wait_until_listed(admin: &KafkaAdminClient, topic: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let listed = admin.list_topics(timeout).expect("list topics");
        if listed.iter().any(|t| t == topic) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{topic} is not listed: {listed:?}"
        );
        // The brokers apply metadata on their own schedule: nothing to wait on.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An admin client for the shared broker.
pub fn admin() -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(&bootstrap())).expect("admin client")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// The repository's root: the directory holding `scripts/kafka-cluster.sh`. That is
/// the package's own directory for the library's tests, and a parent of it for the
/// workspace members that include this harness by path (the CLI's tests in `cli/`).
pub fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("scripts/kafka-cluster.sh").is_file())
        .map_or(manifest_dir.clone(), PathBuf::from)
}

/// The tansu binary, installed on first use.
pub fn tansu_binary() -> PathBuf {
    let bin = project_root().join(".cache/tansu/tansu");
    if !bin.exists() {
        let status = Command::new("bash")
            .arg(project_root().join("scripts/install-tansu.sh"))
            .stdout(Stdio::null())
            .status()
            .expect("run scripts/install-tansu.sh");
        assert!(status.success(), "scripts/install-tansu.sh failed");
    }
    bin
}

impl Broker {
    /// Starts an embedded tansu broker on `port` and waits until it answers.
    pub fn start_embedded(port: u16) -> Result<Broker, String> {
        Broker::start_embedded_advertised(port, port)
    }

    /// Starts an embedded tansu broker listening on `port` that tells clients to come
    /// back on `advertised_port` (a proxy in front of it).
    pub fn start_embedded_advertised(port: u16, advertised_port: u16) -> Result<Broker, String> {
        let bin = tansu_binary();
        let log_dir = project_root().join("target/tansu-logs");
        std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
        let log =
            File::create(log_dir.join(format!("tansu-{port}.log"))).map_err(|e| e.to_string())?;
        let url = format!("tcp://127.0.0.1:{port}");
        let advertised = format!("tcp://127.0.0.1:{advertised_port}");
        // The watchdog: runs the broker in the background and kills it as soon as the
        // test process (its parent's pid, passed as $1) is gone, or when told to stop.
        let watchdog = r#"parent=$1; shift
"$@" & child=$!
trap 'kill $child 2>/dev/null; wait $child 2>/dev/null; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.2; done
kill $child 2>/dev/null; wait $child 2>/dev/null"#;
        let child = Command::new("bash")
            .arg("-c")
            .arg(watchdog)
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(&bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let broker = Broker {
            bootstrap: format!("127.0.0.1:{advertised_port}"),
            process: Some(child),
            cluster: None,
            port,
        };
        broker.wait_until_answering(Duration::from_secs(20))?;
        Ok(broker)
    }

    /// The port of an embedded broker.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_until_answering(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect(&self.bootstrap).is_ok() {
                let admin = KafkaAdminClient::new(AdminConfig::new(&self.bootstrap))
                    .map_err(|e| e.to_string())?;
                match admin.describe_cluster(Duration::from_secs(5)) {
                    Ok(_) => return Ok(()),
                    Err(e) if Instant::now() >= deadline => {
                        return Err(format!("broker never answered: {e}"))
                    }
                    Err(_) => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "nothing listens on {} after {timeout:?}",
                    self.bootstrap
                ));
            }
            // Polling a port that is still being bound: there is no event to wait on.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops a broker the harness started and waits for its processes to exit.
    pub fn stop(&mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop();
        }
        if let Some(mut child) = self.process.take() {
            // SIGTERM to the watchdog, which kills the broker and waits for it.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends the client's log to stderr when `KAFKA_SYNC_TEST_LOG` names a level
/// (`debug`, `info`, ...), for looking into a failing test; silent otherwise.
pub fn log_to_stderr() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            if record.target().starts_with("kafka_sync") {
                eprintln!(
                    "{:?} {} {:?} {} {}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default(),
                    record.level(),
                    std::thread::current().name(),
                    record.target(),
                    record.args()
                );
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    if let Some(level) = std::env::var("KAFKA_SYNC_TEST_LOG")
        .ok()
        .and_then(|l| l.parse::<log::LevelFilter>().ok())
    {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(level);
        }
    }
}

/// Waits until `check` succeeds, asking again every `every`, and panics with `what`
/// and the last answer if it has not within `timeout`. For conditions nothing
/// notifies a test of (a broker's ISR or leader, a counter, a thread's end): the one
/// place where the tests poll.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(state) => assert!(Instant::now() < deadline, "{what}: {state}"),
        }
        std::thread::sleep(every.min(deadline.saturating_duration_since(Instant::now())));
    }
}
