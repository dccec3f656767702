//! TLS end to end on Apache Kafka's own SSL listeners, with the test PKI of
//! `scripts/kafka-cluster.sh --tls` (a CA and a server certificate for IP 127.0.0.1
//! made at test time). The client verifies the broker's certificate and host, rejects
//! a wrong host name and an untrusted CA, and presents a client certificate (PEM,
//! encrypted PEM, PKCS#12) to the MTLS listener, which requires one. PKCS#12 trust and
//! key stores made by the JDK's `keytool` work as a Java `client.properties` file
//! gives them, for a producer, a consumer and an admin client.
//!
//! These tests start their own broker, also when `KAFKA_BOOTSTRAP` names an external
//! broker: the point is a TLS listener whose certificates the test controls.

mod common;

use std::time::{Duration, Instant};

use std::path::{Path, PathBuf};

use common::security::{
    pki, secure_cluster, work_dir, JAVA_KEYSTORE_PASSWORD, KEYSTORE_PASSWORD, KEY_PASSWORD,
    TRUSTSTORE_PASSWORD,
};
use kafka_sync::config::security::{SecurityConfig, SecurityProtocol};
use kafka_sync::{
    AdminConfig, ConsumerConfig, ErrorKind, KafkaAdminClient, KafkaConsumer, KafkaError,
    KafkaProducer, NewTopic, ProducerConfig, ProducerRecord,
};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A TLS listener of the secure cluster.
struct TlsListener {
    bootstrap: String,
    tls_port: u16,
}

fn listener(name: &str) -> TlsListener {
    let cluster = secure_cluster();
    TlsListener {
        bootstrap: cluster.listener(name),
        tls_port: cluster.port(1, name),
    }
}

/// The SSL listener: no client certificate required.
fn broker() -> TlsListener {
    listener("SSL")
}

/// The MTLS listener: a client certificate from the test CA required.
fn mtls_broker() -> TlsListener {
    listener("MTLS")
}

fn ssl() -> SecurityConfig {
    SecurityConfig::new()
        .protocol(SecurityProtocol::Ssl)
        .ca_location(&pki().ca)
}

fn admin(bootstrap: &str, security: SecurityConfig) -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(bootstrap).security(security)).expect("admin client")
}

/// Expects `describe_cluster` to fail with a TLS error, at once rather than at the
/// timeout.
fn expect_tls_error(admin: &KafkaAdminClient) -> KafkaError {
    let started = Instant::now();
    let err = admin.describe_cluster(TIMEOUT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(
        started.elapsed() < TIMEOUT / 2,
        "the TLS failure took {:?} to surface",
        started.elapsed()
    );
    err
}

#[test]
fn the_broker_certificate_is_verified_and_requests_go_through_tls() {
    let broker = broker();
    let admin = admin(&broker.bootstrap, ssl());
    let cluster = admin.describe_cluster(TIMEOUT).unwrap();
    assert_eq!(cluster.brokers.len(), 1);
    // The advertised address is the SSL listener's: every later connection is TLS too.
    assert_eq!(cluster.brokers[0].port, broker.tls_port);
    let versions = admin.broker_api_versions(TIMEOUT).unwrap();
    assert!(!versions.is_empty());

    let topic = common::unique_topic("tls");
    let results = admin
        .create_topics(&[NewTopic::new(&topic, 2, 1)], TIMEOUT)
        .unwrap();
    assert!(results.iter().all(|r| r.result.is_ok()), "{results:?}");
    common::wait_until_listed(&admin, &topic, TIMEOUT);
}

#[test]
fn java_property_names_configure_tls() {
    let config = AdminConfig::new(&broker().bootstrap)
        .set("security.protocol", "SSL")
        .unwrap()
        .set("ssl.ca.location", pki().ca.to_str().unwrap())
        .unwrap()
        .set("ssl.endpoint.identification.algorithm", "https")
        .unwrap();
    let admin = KafkaAdminClient::new(config).unwrap();
    admin.describe_cluster(TIMEOUT).unwrap();
}

#[test]
fn a_certificate_for_another_host_is_rejected() {
    // The certificate names IP 127.0.0.1 only; "localhost" is another name.
    let bootstrap = format!("localhost:{}", broker().tls_port);
    let err = expect_tls_error(&admin(&bootstrap, ssl()));
    let text = err.to_string();
    assert!(
        text.contains("certificate verify failed") && text.contains("mismatch"),
        "{text}"
    );
    // Turned off explicitly (and logged), the same certificate is accepted.
    let lenient = admin(&bootstrap, ssl().verify_hostname(false));
    lenient.describe_cluster(TIMEOUT).unwrap();
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_rejected() {
    let other = SecurityConfig::new()
        .protocol(SecurityProtocol::Ssl)
        .ca_location(&pki().other_ca);
    let err = expect_tls_error(&admin(&broker().bootstrap, other));
    assert!(
        err.to_string().contains("certificate verify failed"),
        "{err}"
    );

    // Without ssl.ca.location the system's roots are used; they do not know the test CA.
    let system_roots = SecurityConfig::new().protocol(SecurityProtocol::Ssl);
    expect_tls_error(&admin(&broker().bootstrap, system_roots));
}

#[test]
fn a_required_client_certificate_is_presented_from_pem_or_pkcs12() {
    let broker = mtls_broker();
    let pki = pki();
    let pem = ssl().client_certificate(&pki.client_cert, &pki.client_key);
    admin(&broker.bootstrap, pem)
        .describe_cluster(TIMEOUT)
        .unwrap();

    let encrypted = ssl()
        .client_certificate(&pki.client_cert, &pki.client_key_encrypted)
        .key_password(KEY_PASSWORD);
    admin(&broker.bootstrap, encrypted)
        .describe_cluster(TIMEOUT)
        .unwrap();

    let pkcs12 = ssl().keystore(&pki.client_p12, KEYSTORE_PASSWORD);
    let admin12 = admin(&broker.bootstrap, pkcs12);
    admin12.describe_cluster(TIMEOUT).unwrap();
    assert!(!admin12.broker_api_versions(TIMEOUT).unwrap().is_empty());

    // The same by Java/librdkafka names.
    let config = AdminConfig::new(&broker.bootstrap)
        .set("security.protocol", "ssl")
        .unwrap()
        .set("ssl.ca.location", pki.ca.to_str().unwrap())
        .unwrap()
        .set("ssl.keystore.location", pki.client_p12.to_str().unwrap())
        .unwrap()
        .set("ssl.keystore.password", KEYSTORE_PASSWORD)
        .unwrap();
    KafkaAdminClient::new(config)
        .unwrap()
        .describe_cluster(TIMEOUT)
        .unwrap();
}

#[test]
fn a_broker_requiring_a_client_certificate_refuses_clients_without_a_good_one() {
    let broker = mtls_broker();
    let pki = pki();
    let short = Duration::from_secs(3);
    let refused = |security: SecurityConfig| {
        let admin = admin(&broker.bootstrap, security);
        let err = admin.describe_cluster(short).unwrap_err();
        // TLS 1.3 finishes the client's side of the handshake before the server checks
        // the client's certificate: the refusal arrives as an alert on the first read.
        assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
        assert!(err.to_string().contains("alert"), "{err}");
        err
    };
    // Kafka's TLS stack (Java's) answers a missing certificate with the
    // bad_certificate alert (42) and one from an unknown CA with certificate_unknown
    // (46).
    let missing = refused(ssl());
    assert!(missing.to_string().contains("bad certificate"), "{missing}");
    let untrusted =
        refused(ssl().client_certificate(&pki.untrusted_client_cert, &pki.untrusted_client_key));
    assert!(
        untrusted.to_string().contains("certificate unknown"),
        "{untrusted}"
    );
}

#[test]
fn bad_key_material_fails_client_construction_without_showing_passwords() {
    let pki = pki();
    let wrong_key_password = ssl()
        .client_certificate(&pki.client_cert, &pki.client_key_encrypted)
        .key_password("wrong-key-pass-1");
    let err =
        KafkaAdminClient::new(AdminConfig::new(&broker().bootstrap).security(wrong_key_password))
            .unwrap_err();
    assert!(err.to_string().contains("ssl.key"), "{err}");
    let no_key_password = ssl().client_certificate(&pki.client_cert, &pki.client_key_encrypted);
    let err2 = KafkaAdminClient::new(AdminConfig::new("127.0.0.1:1").security(no_key_password))
        .unwrap_err();
    assert!(err2.to_string().contains("ssl.key.password"), "{err2}");

    let wrong_store_password = ssl().keystore(&pki.client_p12, "wrong-store-pass-2");
    let config = AdminConfig::new("127.0.0.1:1").security(wrong_store_password);
    let config_text = format!("{config:?}");
    let err3 = KafkaAdminClient::new(config).unwrap_err();
    assert!(err3.to_string().contains("ssl.keystore.location"), "{err3}");

    let all = format!("{err} {err:?} {err2} {err2:?} {err3} {err3:?} {config_text}");
    for secret in [
        "wrong-key-pass-1",
        "wrong-store-pass-2",
        KEY_PASSWORD,
        KEYSTORE_PASSWORD,
    ] {
        assert!(!all.contains(secret), "{secret} shows in: {all}");
    }
}

/// Writes a `client.properties` file `name` of `lines` in this test process's work
/// directory.
fn properties_file(name: &str, lines: &[String]) -> PathBuf {
    let path = work_dir("tls-properties").join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the properties file");
    path
}

/// A path as a properties value (backslashes escaped).
fn property_path(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").replace('\\', "\\\\")
}

#[test]
fn a_pkcs12_trust_store_made_by_keytool_is_what_is_trusted() {
    let broker = broker();
    let pki = pki();
    let trusting = SecurityConfig::new()
        .protocol(SecurityProtocol::Ssl)
        .truststore(&pki.truststore_p12, TRUSTSTORE_PASSWORD);
    let trusting = admin(&broker.bootstrap, trusting);
    let cluster = trusting.describe_cluster(TIMEOUT).unwrap();
    assert_eq!(cluster.brokers[0].port, broker.tls_port);

    // A trust store of the other CA, with the same password: the broker is not trusted,
    // so the certificates come from the file and only from it.
    let other = SecurityConfig::new()
        .protocol(SecurityProtocol::Ssl)
        .truststore(&pki.other_truststore_p12, TRUSTSTORE_PASSWORD);
    let err = expect_tls_error(&admin(&broker.bootstrap, other));
    assert!(
        err.to_string().contains("certificate verify failed"),
        "{err}"
    );
}

#[test]
fn a_java_client_properties_file_with_pkcs12_stores_works_for_every_client() {
    let cluster = secure_cluster();
    let pki = pki();
    let group = format!("pkcs12-stores-{}", std::process::id());
    // As a Java client's file has them: both stores PKCS#12, made by keytool, on the
    // listener that requires a client certificate.
    let path = properties_file(
        "pkcs12-stores.properties",
        &[
            format!("bootstrap.servers={}", cluster.listener("MTLS")),
            "security.protocol=SSL".into(),
            "ssl.truststore.type=PKCS12".into(),
            format!(
                "ssl.truststore.location={}",
                property_path(&pki.truststore_p12)
            ),
            format!("ssl.truststore.password={TRUSTSTORE_PASSWORD}"),
            "ssl.keystore.type=PKCS12".into(),
            format!(
                "ssl.keystore.location={}",
                property_path(&pki.java_keystore_p12)
            ),
            format!("ssl.keystore.password={JAVA_KEYSTORE_PASSWORD}"),
            format!("ssl.key.password={JAVA_KEYSTORE_PASSWORD}"),
            "ssl.endpoint.identification.algorithm=https".into(),
            format!("group.id={group}"),
            "auto.offset.reset=earliest".into(),
            "acks=all".into(),
        ],
    );
    let admin_config = AdminConfig::from_properties(&path).unwrap();
    let producer_config = ProducerConfig::from_properties(&path).unwrap();
    let consumer_config = ConsumerConfig::from_properties(&path).unwrap();
    for (client, unused) in [
        ("admin", admin_config.unused_keys()),
        ("producer", producer_config.unused_keys()),
        ("consumer", consumer_config.unused_keys()),
    ] {
        assert!(
            unused.iter().all(|k| !k.starts_with("ssl.")),
            "the {client} ignores {unused:?}"
        );
    }
    for security in [
        &admin_config.client.security,
        &producer_config.client.security,
        &consumer_config.client.security,
    ] {
        assert!(security.tls.truststore_is_pkcs12());
        assert_eq!(
            security.tls.ca_location.as_deref(),
            Some(pki.truststore_p12.as_path())
        );
        let text = format!("{security:?}");
        assert!(!text.contains(TRUSTSTORE_PASSWORD), "{text}");
        assert!(!text.contains(JAVA_KEYSTORE_PASSWORD), "{text}");
    }

    let admin = KafkaAdminClient::new(admin_config).unwrap();
    let topic = common::unique_topic("pkcs12-stores");
    let results = admin
        .create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)
        .unwrap();
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    common::wait_until_listed(&admin, &topic, TIMEOUT);

    let producer = KafkaProducer::new(producer_config).unwrap();
    let values: Vec<String> = (0..5).map(|i| format!("pkcs12 record {i}")).collect();
    let futures: Vec<_> = values
        .iter()
        .map(|value| {
            producer
                .send(ProducerRecord::new(&topic).value(value))
                .unwrap()
        })
        .collect();
    producer.flush(Some(TIMEOUT)).unwrap();
    for (i, future) in futures.iter().enumerate() {
        assert_eq!(future.get(Duration::ZERO).unwrap().offset, i as i64);
    }
    producer.close(Some(TIMEOUT)).unwrap();

    let mut consumer = KafkaConsumer::new(consumer_config).unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut read = Vec::new();
    while read.len() < values.len() {
        assert!(
            Instant::now() < deadline,
            "read {read:?} of {} records",
            values.len()
        );
        for record in consumer.poll(Duration::from_millis(200)).unwrap() {
            let value = record.value.as_ref().expect("a value");
            read.push(String::from_utf8(value.to_vec()).unwrap());
        }
    }
    assert_eq!(read, values);
    consumer.close().unwrap();
}

#[test]
fn pkcs12_trust_store_mistakes_are_config_errors_naming_the_file_and_the_setting() {
    let pki = pki();
    let store = property_path(&pki.truststore_p12);
    let base = |extra: &[&str]| {
        let mut lines = vec![
            format!("bootstrap.servers={}", broker().bootstrap),
            "security.protocol=SSL".to_owned(),
            format!("ssl.truststore.location={store}"),
        ];
        lines.extend(extra.iter().map(|l| l.to_string()));
        lines
    };
    let construct = |name: &str, lines: &[String]| -> KafkaError {
        let path = properties_file(name, lines);
        let config = AdminConfig::from_properties(&path).unwrap();
        match KafkaAdminClient::new(config) {
            Ok(_) => panic!("{name}: the client was made"),
            Err(err) => err,
        }
    };

    let wrong = construct(
        "wrong-password.properties",
        &base(&[
            "ssl.truststore.type=PKCS12",
            "ssl.truststore.password=wrong-trust-pass-7",
        ]),
    );
    assert_eq!(wrong.kind(), ErrorKind::Config, "{wrong}");
    let text = wrong.to_string();
    assert!(text.contains("`ssl.truststore.password`"), "{text}");
    assert!(text.contains("wrong password"), "{text}");
    assert!(
        text.contains(&pki.truststore_p12.display().to_string()),
        "{text}"
    );

    let missing = construct(
        "no-password.properties",
        &base(&["ssl.truststore.type=PKCS12"]),
    );
    assert_eq!(missing.kind(), ErrorKind::Config, "{missing}");
    assert!(
        missing
            .to_string()
            .contains("give it as ssl.truststore.password"),
        "{missing}"
    );

    // Without a type the store is taken for PEM; the error says which type reads it.
    let untyped = construct(
        "untyped.properties",
        &base(&[&format!("ssl.truststore.password={TRUSTSTORE_PASSWORD}")]),
    );
    assert_eq!(untyped.kind(), ErrorKind::Config, "{untyped}");
    let text = untyped.to_string();
    assert!(text.contains("`ssl.truststore.location`"), "{text}");
    assert!(text.contains("ssl.truststore.type=PKCS12"), "{text}");

    // A PEM trust store with a password, which Java refuses too.
    let pem = construct(
        "pem-password.properties",
        &[
            format!("bootstrap.servers={}", broker().bootstrap),
            "security.protocol=SSL".to_owned(),
            "ssl.truststore.type=PEM".to_owned(),
            format!("ssl.truststore.location={}", property_path(&pki.ca)),
            "ssl.truststore.password=pem-pass-3".to_owned(),
        ],
    );
    assert_eq!(pem.kind(), ErrorKind::Config, "{pem}");
    assert!(
        pem.to_string().contains("`ssl.truststore.password`"),
        "{pem}"
    );

    let all =
        format!("{wrong:?} {missing:?} {untyped:?} {pem:?} {wrong} {missing} {untyped} {pem}");
    for secret in ["wrong-trust-pass-7", TRUSTSTORE_PASSWORD, "pem-pass-3"] {
        assert!(!all.contains(secret), "{secret} shows in: {all}");
    }
}
