//! librdkafka's mock cluster (from the confluent-kafka wheel), a second broker
//! implementation for behaviour tansu gets wrong (see ../shared/brokers.md). It lives
//! in a Python child process that exits when its stdin closes, so it never outlives
//! the test.
//!
//! The mock has no admin APIs: topics are created on first use with 4 partitions.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running mock cluster.
pub struct MockCluster {
    /// `host:port` list of its brokers.
    pub bootstrap: String,
    child: Child,
}

/// The Python of the project's venv (made on first use by scripts/setup-python.sh).
pub fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join("scripts/setup-python.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/setup-python.sh");
    assert!(output.status.success(), "scripts/setup-python.sh failed");
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

impl MockCluster {
    /// Starts a mock cluster of `brokers` brokers.
    pub fn start(brokers: u32) -> MockCluster {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(python())
            .arg(root.join("tests/support/mock_cluster.py"))
            .arg(brokers.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the mock cluster");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the mock cluster's address");
        let bootstrap = line.trim().to_owned();
        assert!(!bootstrap.is_empty(), "the mock cluster printed no address");
        MockCluster { bootstrap, child }
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
