//! TLS and SASL fixtures for the security tests.
//!
//! - [`pki`]: a throw-away PKI made at test time with the `openssl` command: a test CA,
//!   a server certificate for 127.0.0.1 (an IP SAN only, so "localhost" does not match
//!   it), a client certificate (PEM, encrypted PEM and PKCS#12), and a second CA that
//!   signed nothing the brokers use.
//! - [`Stunnel`]: Debian's stunnel4 as a TLS terminator in front of a plaintext tansu
//!   (tansu's own TLS listener does not work), optionally requiring client certificates.
//!   `scripts/install-stunnel.sh` installs it when missing.
//! - [`Tansu`]: a tansu broker process of our own, advertising the address clients must
//!   come back to (the TLS port when behind stunnel), and [`sasl_tansu`]: the SQLite build
//!   of tansu 0.6.0 (`scripts/install-tansu-sasl.sh`) with SCRAM users, created with
//!   `tansu user create` before the broker is restarted with `--authentication`.
//!
//! Processes run under the same watchdog as the shared broker (they die with the test
//! process) and are waited for by reading their output until they say they are ready:
//! no sleeping.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use super::free_port;

/// The password of the encrypted client key.
pub const KEY_PASSWORD: &str = "key-pass-4711";
/// The password of the client PKCS#12 file.
pub const KEYSTORE_PASSWORD: &str = "store-pass-0815";

/// SCRAM users the SASL broker knows: (user, password, tansu's mechanism name).
pub const SCRAM_USERS: [(&str, &str, &str); 2] = [
    ("alice256", "alice-secret-256", "scram256"),
    ("bob512", "bob-secret-512", "scram512"),
];

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory of this test process under `target/security-tests/`.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = project_root()
        .join("target/security-tests")
        .join(format!("{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the security test directory");
    dir
}

/// The test PKI's files.
pub struct Pki {
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// A CA that signed nothing the brokers present.
    pub other_ca: PathBuf,
    /// The server certificate (SAN: IP 127.0.0.1 only).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// The client certificate.
    pub client_cert: PathBuf,
    /// The client key, unencrypted PKCS#8.
    pub client_key: PathBuf,
    /// The client key, encrypted with [`KEY_PASSWORD`].
    pub client_key_encrypted: PathBuf,
    /// Client certificate and key as PKCS#12, protected by [`KEYSTORE_PASSWORD`].
    pub client_p12: PathBuf,
    /// A client certificate signed by the other CA.
    pub untrusted_client_cert: PathBuf,
    /// Its key.
    pub untrusted_client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the openssl command (is it installed?)");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA certificate and key: `name.pem`, `name.key`.
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-noenc",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=kafka-sync test {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// A certificate `name.pem` with key `name.key`, signed by `ca`.
fn make_leaf(dir: &Path, ca: &str, name: &str, subject: &str, extensions: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-noenc",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            subject,
        ],
    );
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).expect("write the extensions file");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &ext,
        ],
    );
}

/// The test PKI, made once per test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = work_dir("pki");
        make_ca(&dir, "ca");
        make_ca(&dir, "other-ca");
        make_leaf(
            &dir,
            "ca",
            "server",
            "/CN=kafka-sync test broker",
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        );
        let client_ext = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
                          extendedKeyUsage=clientAuth\n";
        make_leaf(&dir, "ca", "client", "/CN=kafka-sync-client", client_ext);
        make_leaf(
            &dir,
            "other-ca",
            "untrusted-client",
            "/CN=kafka-sync-intruder",
            client_ext,
        );
        openssl(
            &dir,
            &[
                "pkcs8",
                "-topk8",
                "-in",
                "client.key",
                "-out",
                "client-encrypted.key",
                "-v2",
                "aes-256-cbc",
                "-passout",
                &format!("pass:{KEY_PASSWORD}"),
            ],
        );
        openssl(
            &dir,
            &[
                "pkcs12",
                "-export",
                "-in",
                "client.pem",
                "-inkey",
                "client.key",
                "-certfile",
                "ca.pem",
                "-out",
                "client.p12",
                "-passout",
                &format!("pass:{KEYSTORE_PASSWORD}"),
            ],
        );
        Pki {
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other-ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            client_key_encrypted: dir.join("client-encrypted.key"),
            client_p12: dir.join("client.p12"),
            untrusted_client_cert: dir.join("untrusted-client.pem"),
            untrusted_client_key: dir.join("untrusted-client.key"),
        }
    })
}

/// A process under the watchdog; killed when dropped or when the test process ends.
pub struct Process {
    child: Option<Child>,
    name: String,
}

impl Process {
    /// Starts `program args` in `cwd` under the watchdog, its output (stdout and
    /// stderr) copied to `log`, and waits up to `timeout` until a line of it contains
    /// `ready_marker`. Panics with the output if it does not.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[String],
        cwd: &Path,
        log: &Path,
        ready_marker: &str,
        timeout: Duration,
    ) -> Process {
        // Runs the program in the background and kills it as soon as the test process
        // (its pid is $1) is gone, or when told to stop.
        let watchdog = r#"parent=$1; shift
"$@" 2>&1 & child=$!
trap 'kill $child 2>/dev/null; wait $child 2>/dev/null; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.2; done
kill $child 2>/dev/null; wait $child 2>/dev/null"#;
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(watchdog)
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut log_file = File::create(log).expect("create the process log");
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let marker = ready_marker.to_owned();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log_file, "{line}");
                if line.contains(&marker) {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        let mut process = Process {
            child: Some(child),
            name: name.to_owned(),
        };
        if ready_rx.recv_timeout(timeout).is_err() {
            process.stop();
            let output = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{name} did not become ready within {timeout:?}; its output:\n{output}");
        }
        process
    }

    /// Kills the program with SIGKILL, as a crash would (no graceful shutdown), and
    /// waits for it.
    pub fn crash(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &child.id().to_string()])
                .status();
        }
        self.stop();
    }

    /// Stops the process and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The stunnel binary, installed by `scripts/install-stunnel.sh` if missing.
pub fn stunnel_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let output = Command::new("bash")
            .arg(project_root().join("scripts/install-stunnel.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/install-stunnel.sh");
        assert!(output.status.success(), "scripts/install-stunnel.sh failed");
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
    .clone()
}

/// stunnel accepting TLS on `port` and forwarding to a plaintext upstream.
pub struct Stunnel {
    /// The TLS port.
    pub port: u16,
    /// The plaintext port it forwards to.
    pub upstream: u16,
    process: Process,
}

impl Stunnel {
    /// Terminates TLS on `port` (server certificate of the test PKI) and forwards to
    /// `127.0.0.1:upstream`. With `require_client_cert`, only clients with a
    /// certificate from the test CA get through.
    pub fn start(port: u16, upstream: u16, require_client_cert: bool) -> Stunnel {
        let pki = pki();
        let dir = work_dir(&format!("stunnel-{port}"));
        let mut config = format!(
            "foreground = yes\npid =\ndebug = 6\n[kafka]\naccept = 127.0.0.1:{port}\n\
             connect = 127.0.0.1:{upstream}\ncert = {}\nkey = {}\n",
            pki.server_cert.display(),
            pki.server_key.display()
        );
        if require_client_cert {
            config.push_str(&format!(
                "requireCert = yes\nverifyChain = yes\nCAfile = {}\n",
                pki.ca.display()
            ));
        }
        let conf = dir.join("stunnel.conf");
        std::fs::write(&conf, config).expect("write stunnel.conf");
        let process = Process::start(
            "stunnel",
            &stunnel_binary(),
            &[conf.display().to_string()],
            &dir,
            &dir.join("stunnel.log"),
            &format!("bound to 127.0.0.1:{port}"),
            Duration::from_secs(20),
        );
        Stunnel {
            port,
            upstream,
            process,
        }
    }
}

/// A tansu broker of a test's own.
pub struct Tansu {
    /// The plaintext port tansu listens on.
    pub port: u16,
    process: Process,
}

impl Tansu {
    /// Starts `bin` listening on `port`, advertising `advertised_port` (the TLS port
    /// when behind stunnel), with `storage` (relative paths are relative to `cwd`).
    pub fn start(
        bin: &Path,
        port: u16,
        advertised_port: u16,
        storage: &str,
        authentication: bool,
        cwd: &Path,
    ) -> Tansu {
        let mut args = vec![
            "broker".to_owned(),
            "--listener-url".to_owned(),
            format!("tcp://127.0.0.1:{port}"),
            "--advertised-listener-url".to_owned(),
            format!("tcp://127.0.0.1:{advertised_port}"),
            "--storage-engine".to_owned(),
            storage.to_owned(),
        ];
        if authentication {
            args.push("--authentication".to_owned());
        }
        let log = cwd.join(format!(
            "tansu-{port}{}.log",
            if authentication { "-auth" } else { "" }
        ));
        let process = Process::start(
            "tansu",
            bin,
            &args,
            cwd,
            &log,
            "ready in",
            Duration::from_secs(30),
        );
        Tansu { port, process }
    }

    /// Stops the broker and waits for it.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// Kills the broker with SIGKILL (a crash) and waits for it.
    pub fn crash(&mut self) {
        self.process.crash();
    }
}

/// tansu behind stunnel: the plaintext broker advertises the TLS port.
pub struct TlsBroker {
    /// `127.0.0.1:TLS port`.
    pub bootstrap: String,
    /// The TLS port.
    pub tls_port: u16,
    stunnel: Stunnel,
    tansu: Tansu,
}

/// tansu (the wheel's build, memory storage) behind stunnel.
pub fn tls_broker(require_client_cert: bool) -> TlsBroker {
    let tls_port = free_port();
    let stunnel = Stunnel::start(tls_port, free_port(), require_client_cert);
    let dir = work_dir(&format!("tansu-tls-{tls_port}"));
    // stunnel connects upstream per client connection, so tansu may start after it.
    let tansu = Tansu::start(
        &super::tansu_binary(),
        stunnel.upstream,
        tls_port,
        "memory://tansu/",
        false,
        &dir,
    );
    TlsBroker {
        bootstrap: format!("127.0.0.1:{tls_port}"),
        tls_port,
        stunnel,
        tansu,
    }
}

/// The SQLite build of tansu, built by `scripts/install-tansu-sasl.sh` on first use
/// (about 13 minutes on 2 cores; cached in `.cache/tansu-libsql/`).
pub fn sasl_tansu_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let output = Command::new("bash")
            .arg(project_root().join("scripts/install-tansu-sasl.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/install-tansu-sasl.sh");
        assert!(
            output.status.success(),
            "scripts/install-tansu-sasl.sh failed"
        );
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
    .clone()
}

/// A tansu that demands SASL and knows [`SCRAM_USERS`], on a SQLite file.
pub struct SaslBroker {
    /// Where clients bootstrap: tansu's port, or the TLS port with `tls`.
    pub bootstrap: String,
    tansu: Tansu,
    stunnel: Option<Stunnel>,
}

/// Starts the SQLite tansu without authentication, creates [`SCRAM_USERS`] with
/// `tansu user create`, and starts it again on the same file with `--authentication`.
/// With `tls`, stunnel terminates TLS in front of it (SASL_SSL).
pub fn sasl_tansu(tls: bool) -> SaslBroker {
    let bin = sasl_tansu_binary();
    let port = free_port();
    let dir = work_dir(&format!("tansu-sasl-{port}"));
    let stunnel = tls.then(|| Stunnel::start(free_port(), port, false));
    let advertised = stunnel.as_ref().map_or(port, |s| s.port);
    // A path relative to the working directory: an absolute one was doubled and failed.
    let storage = "sqlite://tansu.db";
    let mut setup = Tansu::start(&bin, port, port, storage, false, &dir);
    for (user, password, mechanism) in SCRAM_USERS {
        let output = Command::new(&bin)
            .args(["user", "create", "--broker"])
            .arg(format!("tcp://127.0.0.1:{port}"))
            .args([user, password, "--mechanism", mechanism])
            .current_dir(&dir)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run tansu user create");
        assert!(
            output.status.success(),
            "tansu user create {user} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    setup.stop();
    let tansu = Tansu::start(&bin, port, advertised, storage, true, &dir);
    SaslBroker {
        bootstrap: format!("127.0.0.1:{advertised}"),
        tansu,
        stunnel,
    }
}
