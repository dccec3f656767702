//! Schema registries for the schema registry client's tests: the Apicurio Registry
//! that `scripts/install-schema-registry.sh` installs into `.cache/` (its
//! Confluent-compatible API, in-memory storage), started and stopped through
//! `scripts/schema-registry.sh`.
//!
//! - [`registry_url`]: the registry the tests of one binary share: the one
//!   `KAFKA_SCHEMA_REGISTRY_URL` names (a Confluent registry, say; nothing is started),
//!   or else a local one started on first use.
//! - [`LocalRegistry::start`]: a registry of the test's own, also when the variable is
//!   set: with basic auth, TLS or client certificates the test controls, or one the
//!   test stops.
//!
//! A local registry lives in a directory under `target/schema-registries/`. It stops
//! when its [`LocalRegistry`] is dropped, and also when the test process ends however
//! it ends: a watchdog in a session of its own waits for the test process to go away
//! and then runs `schema-registry.sh stop`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// What a local registry demands of its clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrySecurity {
    /// Plain HTTP, no authentication.
    Open,
    /// Plain HTTP; every request needs basic auth as this user with this password.
    BasicAuth(String, String),
    /// HTTPS with a server certificate from the registry's test CA.
    Tls,
    /// HTTPS, and a client certificate from the test CA is required.
    MutualTls,
}

/// A running local registry.
pub struct LocalRegistry {
    dir: PathBuf,
    env: HashMap<String, String>,
    watchdog: Option<Child>,
}

fn script() -> PathBuf {
    super::project_root().join("scripts/schema-registry.sh")
}

/// The registry the tests of this binary share: `KAFKA_SCHEMA_REGISTRY_URL` if set,
/// else a local open registry started on first use.
pub fn registry_url() -> String {
    static SHARED: OnceLock<LocalRegistry> = OnceLock::new();
    match external_registry_url() {
        Some(url) => url,
        None => SHARED
            .get_or_init(|| LocalRegistry::start(RegistrySecurity::Open))
            .url(),
    }
}

/// Makes the tests of one binary take turns with the registry. Apicurio 2.4's
/// in-memory storage does not take concurrent schema registrations: one waits on a
/// table lock until it fails with HTTP 500, and its retry then finds the schema half
/// written ("artifact already exists", HTTP 409). Each test holds the guard for its
/// whole run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The registry named by `KAFKA_SCHEMA_REGISTRY_URL`, if any.
pub fn external_registry_url() -> Option<String> {
    std::env::var("KAFKA_SCHEMA_REGISTRY_URL")
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// A name no other test (or test run against the same external registry) uses.
pub fn unique_subject(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl LocalRegistry {
    /// Starts a registry with `security` and returns once it answers.
    pub fn start(security: RegistrySecurity) -> LocalRegistry {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".to_owned());
        let dir = super::project_root()
            .join("target/schema-registries")
            .join(format!(
                "{binary}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
        std::fs::create_dir_all(&dir).expect("create the registry directory");
        let dir_text = dir.to_string_lossy().into_owned();
        let mut args = vec!["start".to_owned(), dir_text.clone()];
        match &security {
            RegistrySecurity::Open => {}
            RegistrySecurity::BasicAuth(user, password) => {
                args.push("--auth".to_owned());
                args.push(format!("{user}:{password}"));
            }
            RegistrySecurity::Tls => args.push("--tls".to_owned()),
            RegistrySecurity::MutualTls => args.push("--mtls".to_owned()),
        }
        let output = Command::new("bash")
            .arg(script())
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/schema-registry.sh");
        assert!(
            output.status.success(),
            "scripts/schema-registry.sh {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = read_env(&dir.join("registry.env"));
        let watchdog = Self::watch(&dir);
        LocalRegistry {
            dir,
            env,
            watchdog: Some(watchdog),
        }
    }

    /// Stops the registry once this process is gone, whatever ends it.
    fn watch(dir: &Path) -> Child {
        let watchdog = r#"parent=$1; script=$2; dir=$3
trap 'exit 0' TERM
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
bash "$script" stop "$dir" >/dev/null 2>&1"#;
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
            .expect("start the registry watchdog")
    }

    /// The base URL of its Confluent-compatible API.
    pub fn url(&self) -> String {
        self.value("URL").to_owned()
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.value("PORT").parse().expect("a port number")
    }

    /// The test CA's certificate (PEM), with TLS.
    pub fn ca(&self) -> PathBuf {
        PathBuf::from(self.value("TLS_CA"))
    }

    /// The client certificate and key (PEM) the test CA signed, with mutual TLS.
    pub fn client_certificate(&self) -> (PathBuf, PathBuf) {
        (
            PathBuf::from(self.value("TLS_CLIENT_CERT")),
            PathBuf::from(self.value("TLS_CLIENT_KEY")),
        )
    }

    /// The directory with its log and certificates.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn value(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in {}/registry.env", self.dir.display()))
    }

    /// Stops the registry and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            let status = Command::new("bash")
                .arg(script())
                .arg("stop")
                .arg(&self.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!(
                    "stopping the registry in {} failed: {status:?}",
                    self.dir.display()
                );
            }
        }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_env(path: &Path) -> HashMap<String, String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
