//! The Java client (`kafka-clients` of the pinned Apache Kafka release) as a referee:
//! the small programs in `tests/interop/*.java`, compiled on first use, and the line
//! format they read and print (`tests/interop/Interop.java` describes it).
//!
//! The classes go to `target/java-interop/<hash of the sources and the libs>/`. Each
//! test binary compiles into a directory of its own and renames it into place, so
//! binaries that start at once never see half-compiled classes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::project_root;

/// The directory of the Kafka jars, installed on first use by `scripts/install-kafka.sh`.
pub fn libs() -> &'static Path {
    static LIBS: OnceLock<PathBuf> = OnceLock::new();
    LIBS.get_or_init(|| {
        let output = Command::new("bash")
            .arg(project_root().join("scripts/install-kafka.sh"))
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/install-kafka.sh");
        assert!(
            output.status.success(),
            "scripts/install-kafka.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let libs = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        assert!(
            libs.is_dir(),
            "scripts/install-kafka.sh printed {}, which is no directory",
            libs.display()
        );
        libs
    })
}

/// The compiled interop programs.
pub fn classes() -> &'static Path {
    static CLASSES: OnceLock<PathBuf> = OnceLock::new();
    CLASSES.get_or_init(compile)
}

fn compile() -> PathBuf {
    let libs = libs();
    let source_dir = project_root().join("tests/interop");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&source_dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", source_dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "java"))
        .collect();
    sources.sort();
    assert!(
        !sources.is_empty(),
        "no .java files in {}",
        source_dir.display()
    );

    let mut hash = Sha256::new();
    hash.update(libs.to_string_lossy().as_bytes());
    for source in &sources {
        let text =
            std::fs::read(source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()));
        hash.update([0]);
        hash.update(source.file_name().unwrap_or_default().as_encoded_bytes());
        hash.update([0]);
        hash.update(&text);
    }
    let digest = hash.finalize();
    let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();

    let root = project_root().join("target/java-interop");
    let classes = root.join(&key);
    if classes.is_dir() {
        return classes;
    }
    std::fs::create_dir_all(&root).expect("create target/java-interop");
    let partial = root.join(format!(
        "partial-{key}-{}-{}",
        std::process::id(),
        Instant::now().elapsed().subsec_nanos()
    ));
    let output = Command::new("javac")
        .arg("-encoding")
        .arg("UTF-8")
        .arg("-d")
        .arg(&partial)
        .arg("-cp")
        .arg(libs.join("*"))
        .args(&sources)
        .stdin(Stdio::null())
        .output()
        .expect("run javac");
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&partial);
        panic!(
            "javac tests/interop/*.java failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if let Err(e) = std::fs::rename(&partial, &classes) {
        // Another test binary got there first: its classes are the same.
        let _ = std::fs::remove_dir_all(&partial);
        assert!(
            classes.is_dir(),
            "rename {} to {}: {e}",
            partial.display(),
            classes.display()
        );
    }
    classes
}

/// A file for the stderr of one program run (its log), under `target/java-interop/logs`.
fn log_file(program: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = project_root().join("target/java-interop/logs");
    std::fs::create_dir_all(&dir).expect("create target/java-interop/logs");
    dir.join(format!(
        "{program}-{}-{}.log",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// `java` ready to run `program` (a class of `tests/interop`), with the Kafka jars on
/// the class path, a small heap and quiet logging (warnings to stderr).
pub fn command(program: &str) -> Command {
    let mut class_path = classes().as_os_str().to_owned();
    class_path.push(":");
    class_path.push(libs().join("*"));
    let mut command = Command::new("java");
    command
        .arg("-Xmx256m")
        .arg("-XX:TieredStopAtLevel=1")
        .arg("-XX:+UseSerialGC")
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            project_root()
                .join("scripts/kafka/log4j2-tools.properties")
                .display()
        ))
        .arg("-cp")
        .arg(class_path)
        .arg(program);
    command
}

/// Runs `program` with `args` and `input` on its stdin; returns its stdout. Fails the
/// test with its stderr if it exits with an error.
pub fn run(program: &str, args: &[&str], input: &str) -> String {
    let mut child = command(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start java {program}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    // Written from a thread of its own: the program may fill its stdout pipe before it
    // has read all of its input.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait for java {program}: {e}"));
    let written = writer.join().expect("the stdin writer");
    assert!(
        output.status.success(),
        "java {program} {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    written.unwrap_or_else(|e| panic!("write the input of java {program}: {e}"));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A program that runs beside the test: its stdout lines arrive on a channel, its
/// stdin stays open until [`Process::close_stdin`] (the programs stop when it ends),
/// its stderr goes to a log file. Dropping it closes stdin and, if the program has
/// not ended within 15 s, kills it.
pub struct Process {
    pub program: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    log: PathBuf,
}

impl Process {
    /// Starts `program` with `args`.
    pub fn spawn(program: &str, args: &[&str]) -> Process {
        let log = log_file(program);
        let child = command(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("create the log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start java {program}: {e}"));
        Process::from_child(program, child, log)
    }

    /// Starts `command` (any program speaking line by line), logging its stderr.
    pub fn spawn_command(name: &str, mut command: Command) -> Process {
        let log = log_file(name);
        let child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("create the log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Process::from_child(name, child, log)
    }

    fn from_child(name: &str, mut child: Child, log: PathBuf) -> Process {
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            program: name.to_owned(),
            child,
            stdin,
            lines,
            log,
        }
    }

    /// Writes `line` (and a newline) to the program's stdin.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        if let Err(e) = writeln!(stdin, "{line}").and_then(|()| stdin.flush()) {
            panic!("write to {}: {e}\n{}", self.program, self.stderr());
        }
    }

    /// The next line of output, waiting until `deadline`; `None` if there is none by
    /// then. Fails the test if the program ended without printing one.
    pub fn line_until(&mut self, deadline: Instant) -> Option<String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(line) => Some(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                panic!(
                    "{} ended ({status:?}) with no more output:\n{}",
                    self.program,
                    self.stderr()
                );
            }
        }
    }

    /// The next line of output; fails the test if none comes within `timeout`.
    pub fn expect_line(&mut self, timeout: Duration) -> String {
        match self.line_until(Instant::now() + timeout) {
            Some(line) => line,
            None => panic!(
                "{} printed nothing for {timeout:?}:\n{}",
                self.program,
                self.stderr()
            ),
        }
    }

    /// A line printed so far, without waiting.
    pub fn try_line(&mut self) -> Option<String> {
        self.lines.try_recv().ok()
    }

    /// Closes the program's stdin: the interop programs finish their work and exit.
    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Waits until the program exits, up to `timeout`; returns the lines it printed
    /// that were not taken yet. Fails the test if it exits with an error or is still
    /// running.
    pub fn wait(&mut self, timeout: Duration) -> Vec<String> {
        self.close_stdin();
        let deadline = Instant::now() + timeout;
        let mut rest = Vec::new();
        loop {
            while let Some(line) = self.try_line() {
                rest.push(line);
            }
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(
                        status.success(),
                        "{} failed ({status}):\n{}",
                        self.program,
                        self.stderr()
                    );
                    // Whatever it printed last arrives before the channel closes.
                    while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
                        rest.push(line);
                    }
                    return rest;
                }
                Ok(None) => {}
                Err(e) => panic!("wait for {}: {e}", self.program),
            }
            assert!(
                Instant::now() < deadline,
                "{} still runs {timeout:?} after its stdin closed:\n{}",
                self.program,
                self.stderr()
            );
            // Waiting for a process exit (no line to wait on): short steps, bounded above.
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(50)) {
                rest.push(line);
            }
        }
    }

    /// Kills the program at once (SIGKILL: no clean-up of any kind).
    pub fn kill(&mut self) {
        self.child.kill().expect("kill the program");
        let _ = self.child.wait();
    }

    /// What the program wrote to stderr so far.
    pub fn stderr(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        format!("--- stderr ({}):\n{text}", self.log.display())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.close_stdin();
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut exited = false;
        while !exited && Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => exited = true,
                Ok(None) => {
                    let _ = self.lines.recv_timeout(Duration::from_millis(50));
                }
            }
        }
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The log of a test that passed is of no more use; a failed test's stays.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Standard base64 of `data`, or `-` for `None` (the programs' byte fields).
pub fn bytes_field(data: Option<&[u8]>) -> String {
    data.map_or_else(|| "-".to_owned(), |d| STANDARD.encode(d))
}

/// The bytes of a field written by [`bytes_field`] or the Java side.
pub fn parse_bytes(field: &str) -> Option<Vec<u8>> {
    (field != "-").then(|| {
        STANDARD
            .decode(field)
            .unwrap_or_else(|e| panic!("bad base64 {field:?}: {e}"))
    })
}

/// A header list as one field.
pub fn headers_field(headers: &[(String, Option<Vec<u8>>)]) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{}:{}", STANDARD.encode(k), bytes_field(v.as_deref())))
        .collect::<Vec<_>>()
        .join(",")
}

/// The headers of a field written by [`headers_field`] or the Java side.
pub fn parse_headers(field: &str) -> Vec<(String, Option<Vec<u8>>)> {
    if field.is_empty() {
        return Vec::new();
    }
    field
        .split(',')
        .map(|entry| {
            let (k, v) = entry
                .split_once(':')
                .unwrap_or_else(|| panic!("a header without ':': {entry}"));
            let key = String::from_utf8(parse_bytes(k).expect("a header key is never null"))
                .expect("a UTF-8 header key");
            (key, parse_bytes(v))
        })
        .collect()
}

/// A record as the programs print and read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    /// `CreateTime` or `LogAppendTime`.
    pub timestamp_type: String,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Parses the output of `ReadTopic`.
pub fn parse_records(output: &str) -> Vec<Record> {
    output
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 7, "a ReadTopic line: {line}");
            Record {
                partition: f[0].parse().expect("partition"),
                offset: f[1].parse().expect("offset"),
                timestamp: f[2].parse().expect("timestamp"),
                timestamp_type: f[3].to_owned(),
                key: parse_bytes(f[4]),
                value: parse_bytes(f[5]),
                headers: parse_headers(f[6]),
            }
        })
        .collect()
}

/// Reads all of `topic` with the Java consumer (`ReadTopic`), up to the end offsets
/// (`isolation`: `read_committed` or `read_uncommitted`).
pub fn read_topic(bootstrap: &str, topic: &str, isolation: &str) -> Vec<Record> {
    parse_records(&run("ReadTopic", &[bootstrap, topic, isolation], ""))
}

/// A record for `WriteTopic` to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outgoing {
    pub topic: String,
    /// `None` lets the Java partitioner choose.
    pub partition: Option<i32>,
    /// `None` lets the Java producer stamp it.
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Where `WriteTopic` says a record went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
}

/// Sends `records` with one Java producer (`WriteTopic`) with `compression` and the
/// extra `properties` (`key=value`); returns where each went, in order.
pub fn write_records(
    bootstrap: &str,
    compression: &str,
    properties: &[&str],
    records: &[Outgoing],
) -> Vec<Written> {
    let mut input = String::new();
    for r in records {
        input.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            r.topic,
            r.partition
                .map_or_else(|| "-".to_owned(), |p| p.to_string()),
            r.timestamp
                .map_or_else(|| "-".to_owned(), |t| t.to_string()),
            bytes_field(r.key.as_deref()),
            bytes_field(r.value.as_deref()),
            headers_field(&r.headers),
        ));
    }
    let mut args = vec![bootstrap, compression];
    args.extend_from_slice(properties);
    let output = run("WriteTopic", &args, &input);
    let written: Vec<Written> = output
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 4, "a WriteTopic line: {line}");
            Written {
                topic: f[0].to_owned(),
                partition: f[1].parse().expect("partition"),
                offset: f[2].parse().expect("offset"),
                timestamp: f[3].parse().expect("timestamp"),
            }
        })
        .collect();
    assert_eq!(
        written.len(),
        records.len(),
        "WriteTopic reported {} of {} records",
        written.len(),
        records.len()
    );
    written
}
