//! Running the built `kafka-sync` binary in the CLI's tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The longest any one run of the tool may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// What a run of the tool did.
pub struct Run {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Panics with everything the tool said unless it exited with status 0.
    pub fn success(self) -> Run {
        assert_eq!(
            self.status,
            Some(0),
            "kafka-sync failed:\nstderr: {}\nstdout: {}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }

    /// The lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

/// Runs `kafka-sync args...` with `stdin` as its standard input.
pub fn kafka_sync(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-sync"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kafka-sync");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Written from a thread of its own: a tool that fails early stops reading, and a
    // large input would block the test on a full pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output: Output = rx
        .recv_timeout(RUN_LIMIT)
        .unwrap_or_else(|_| panic!("kafka-sync {args:?} ran for more than {RUN_LIMIT:?}"))
        .expect("wait for kafka-sync");
    writer.join().expect("the stdin writer");
    Run {
        status: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
