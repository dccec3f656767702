//! Apache Kafka clusters for the tests, started and controlled through
//! `scripts/kafka-cluster.sh` (which installs the pinned release on first use).
//!
//! A cluster lives in a directory of its own under `target/kafka-clusters/`. It stops
//! when its [`KafkaCluster`] is dropped, and also when the test process ends however
//! it ends: a watchdog in a session of its own waits for the test process to go away
//! and then runs `kafka-cluster.sh stop`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// Options of [`KafkaCluster::start_with`].
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// A SASL_PLAINTEXT listener (and SASL_SSL with `tls`).
    pub sasl: bool,
    /// SSL and MTLS listeners with a test CA.
    pub tls: bool,
    /// Ports the PLAINTEXT listeners advertise instead of their own (fault proxies).
    pub advertised_ports: Option<Vec<u16>>,
    /// Feature levels to format the cluster with (`NAME=LEVEL`) instead of the
    /// release's defaults.
    pub features: Vec<String>,
    /// Authorization on (StandardAuthorizer; PLAINTEXT clients are super users, the
    /// SASL users ordinary principals).
    pub acl: bool,
}

/// A running local Apache Kafka cluster.
pub struct KafkaCluster {
    dir: PathBuf,
    env: HashMap<String, String>,
    nodes: u32,
    watchdog: Option<Child>,
}

fn script() -> PathBuf {
    super::project_root().join("scripts/kafka-cluster.sh")
}

fn run_script(args: &[&str]) -> Result<String, String> {
    let output = Command::new("bash")
        .arg(script())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run scripts/kafka-cluster.sh: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "scripts/kafka-cluster.sh {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn read_env(path: &Path) -> HashMap<String, String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl KafkaCluster {
    /// Starts a plaintext cluster of `nodes` (1 or 3) brokers.
    pub fn start(nodes: u32) -> KafkaCluster {
        KafkaCluster::start_with(nodes, ClusterOptions::default())
    }

    /// Starts a cluster of `nodes` brokers with `options`.
    pub fn start_with(nodes: u32, options: ClusterOptions) -> KafkaCluster {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".to_owned());
        let dir = super::project_root()
            .join("target/kafka-clusters")
            .join(format!(
                "{binary}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
        std::fs::create_dir_all(&dir).expect("create the cluster directory");
        let dir_text = dir.to_string_lossy().into_owned();
        let nodes_text = nodes.to_string();
        let mut args = vec!["start", dir_text.as_str(), nodes_text.as_str()];
        if options.sasl {
            args.push("--sasl");
        }
        if options.tls {
            args.push("--tls");
        }
        if options.acl {
            args.push("--acl");
        }
        for feature in &options.features {
            args.push("--feature");
            args.push(feature);
        }
        let mut command = Command::new("bash");
        command.arg(script()).args(&args).stdin(Stdio::null());
        if let Some(ports) = &options.advertised_ports {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            command.env("KAFKA_CLUSTER_ADVERTISED_PORTS", list.join(","));
        }
        let output = command.output().expect("run scripts/kafka-cluster.sh");
        assert!(
            output.status.success(),
            "scripts/kafka-cluster.sh start {dir_text} {nodes} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = read_env(&dir.join("cluster.env"));
        let watchdog = Self::watch(&dir);
        KafkaCluster {
            dir,
            env,
            nodes,
            watchdog: Some(watchdog),
        }
    }

    /// Stops the cluster once this process is gone, whatever ends it.
    fn watch(dir: &Path) -> Child {
        let watchdog = r#"parent=$1; script=$2; dir=$3
trap 'exit 0' TERM
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
bash "$script" stop "$dir" >/dev/null 2>&1
rm -rf "$dir"/node-*/data"#;
        Command::new("setsid")
            .arg("bash")
            .arg("-c")
            .arg(watchdog)
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(script())
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cluster watchdog")
    }

    /// The bootstrap list clients use (the PLAINTEXT listeners, or their proxies).
    pub fn bootstrap(&self) -> String {
        self.value("BOOTSTRAP").to_owned()
    }

    /// The bootstrap list of a listener: `SASL_PLAINTEXT`, `SSL`, `MTLS`, `SASL_SSL`,
    /// or `PLAINTEXT` (the brokers' own ports, also when they advertise proxies).
    pub fn listener(&self, name: &str) -> String {
        self.value(&format!("BOOTSTRAP_{name}")).to_owned()
    }

    /// The port of node `node`'s listener `name`.
    pub fn port(&self, node: u32, name: &str) -> u16 {
        self.value(&format!("NODE{node}_{name}"))
            .parse()
            .expect("a port number")
    }

    /// A value of the cluster's `cluster.env`.
    pub fn value(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in {}/cluster.env", self.dir.display()))
    }

    /// The test CA's certificate (a cluster started with `tls`).
    pub fn tls_dir(&self) -> PathBuf {
        self.dir.join("tls")
    }

    /// The number of brokers.
    pub fn nodes(&self) -> u32 {
        self.nodes
    }

    /// The cluster's directory (configs, logs, data).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn control(&self, command: &str, node: u32) {
        let dir = self.dir.to_string_lossy();
        if let Err(e) = run_script(&[command, &dir, &node.to_string()]) {
            panic!("{e}");
        }
    }

    /// SIGKILLs broker `node`.
    pub fn kill(&self, node: u32) {
        self.control("kill", node);
    }

    /// Stops broker `node` cleanly (controlled shutdown).
    pub fn stop_node(&self, node: u32) {
        self.control("stop-node", node);
    }

    /// Brings broker `node` back with its data; returns once it is registered.
    pub fn start_node(&self, node: u32) {
        self.control("start-node", node);
    }

    /// SIGSTOPs broker `node`.
    pub fn pause(&self, node: u32) {
        self.control("pause", node);
    }

    /// SIGCONTs broker `node`.
    pub fn resume(&self, node: u32) {
        self.control("resume", node);
    }

    /// Stops every broker and waits for them.
    pub fn stop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            let _ = run_script(&["stop", &self.dir.to_string_lossy()]);
            for node in 1..=self.nodes {
                let _ = std::fs::remove_dir_all(self.dir.join(format!("node-{node}/data")));
            }
        }
    }
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        self.stop();
    }
}
