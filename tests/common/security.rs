//! TLS and SASL fixtures for the security tests.
//!
//! - [`secure_cluster`]: a 1-node Apache Kafka cluster of the test binary's own with
//!   every security listener `scripts/kafka-cluster.sh --sasl --tls` makes: SSL, MTLS
//!   (SSL requiring a client certificate from the test CA), SASL_PLAINTEXT and
//!   SASL_SSL, with the script's SASL users. It is local also when `KAFKA_BOOTSTRAP`
//!   is set: the point is listeners whose certificates and users the test controls.
//! - [`pki`]: the cluster's test CA and server certificate (made by the script, for IP
//!   127.0.0.1 only, so "localhost" does not match), plus client certificates the
//!   tests make with the `openssl` command and sign with that CA (PEM, encrypted PEM
//!   and PKCS#12), and a second CA that signed nothing the broker trusts; and the
//!   PKCS#12 stores the JDK's `keytool` makes of them, as Java users have them: trust
//!   stores of each CA and a key store of the client certificate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::kafka::{ClusterOptions, KafkaCluster};

/// The password of the encrypted client key.
pub const KEY_PASSWORD: &str = "key-pass-4711";
/// The password of the client PKCS#12 file.
pub const KEYSTORE_PASSWORD: &str = "store-pass-0815";

/// The password of the PKCS#12 trust stores made with `keytool`.
pub const TRUSTSTORE_PASSWORD: &str = "trust-pass-2342";
/// The password of the PKCS#12 key store made with `keytool`.
pub const JAVA_KEYSTORE_PASSWORD: &str = "java-store-pass-1312";

/// SCRAM users the secure cluster knows: (user, password, mechanism), as
/// `scripts/kafka-cluster.sh --sasl` creates them.
pub const SCRAM_USERS: [(&str, &str, &str); 2] = [
    ("alice256", "alice-secret-256", "SCRAM-SHA-256"),
    ("bob512", "bob-secret-512", "SCRAM-SHA-512"),
];

/// The PLAIN user of the secure cluster: (user, password).
pub const PLAIN_USER: (&str, &str) = ("plain-user", "plain-secret");

/// The secure cluster of this test binary, started on first use.
pub fn secure_cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        KafkaCluster::start_with(
            1,
            ClusterOptions {
                sasl: true,
                tls: true,
                ..ClusterOptions::default()
            },
        )
    })
}

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
    /// A PKCS#12 trust store of [`ca`](Self::ca) made by `keytool -importcert`,
    /// protected by [`TRUSTSTORE_PASSWORD`].
    pub truststore_p12: PathBuf,
    /// The same of [`other_ca`](Self::other_ca).
    pub other_truststore_p12: PathBuf,
    /// The client certificate and key as a PKCS#12 key store written by
    /// `keytool -importkeystore` (the JDK's algorithms), protected by
    /// [`JAVA_KEYSTORE_PASSWORD`].
    pub java_keystore_p12: PathBuf,
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

fn keytool(dir: &Path, args: &[&str]) {
    let output = Command::new("keytool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the JDK's keytool command (is a JDK installed?)");
    assert!(
        output.status.success(),
        "keytool {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PKCS#12 trust store `store` holding the certificate `ca`, as Java users make one.
fn make_truststore(dir: &Path, ca: &str, store: &str) {
    keytool(
        dir,
        &[
            "-importcert",
            "-noprompt",
            "-storetype",
            "PKCS12",
            "-keystore",
            store,
            "-storepass",
            TRUSTSTORE_PASSWORD,
            "-alias",
            "ca",
            "-file",
            ca,
        ],
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

/// The test PKI of the secure cluster, made once per test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let tls = secure_cluster().tls_dir();
        let dir = work_dir("pki");
        for file in ["ca.pem", "ca.key"] {
            std::fs::copy(tls.join(file), dir.join(file)).expect("copy the cluster's CA");
        }
        make_ca(&dir, "other-ca");
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
        make_truststore(&dir, "ca.pem", "truststore.p12");
        make_truststore(&dir, "other-ca.pem", "other-truststore.p12");
        keytool(
            &dir,
            &[
                "-importkeystore",
                "-noprompt",
                "-srckeystore",
                "client.p12",
                "-srcstoretype",
                "PKCS12",
                "-srcstorepass",
                KEYSTORE_PASSWORD,
                "-destkeystore",
                "client-java.p12",
                "-deststoretype",
                "PKCS12",
                "-deststorepass",
                JAVA_KEYSTORE_PASSWORD,
            ],
        );
        Pki {
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other-ca.pem"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            client_key_encrypted: dir.join("client-encrypted.key"),
            client_p12: dir.join("client.p12"),
            untrusted_client_cert: dir.join("untrusted-client.pem"),
            untrusted_client_key: dir.join("untrusted-client.key"),
            truststore_p12: dir.join("truststore.p12"),
            other_truststore_p12: dir.join("other-truststore.p12"),
            java_keystore_p12: dir.join("client-java.p12"),
        }
    })
}
