//! TLS end to end on Apache Kafka's own SSL listeners, with the test PKI of
//! `scripts/kafka-cluster.sh --tls` (a CA and a server certificate for IP 127.0.0.1
//! made at test time). The client verifies the broker's certificate and host, rejects
//! a wrong host name and an untrusted CA, and presents a client certificate (PEM,
//! encrypted PEM, PKCS#12) to the MTLS listener, which requires one.
//!
//! These tests start their own broker, also when `KAFKA_BOOTSTRAP` names an external
//! broker: the point is a TLS listener whose certificates the test controls.

mod common;

use std::time::{Duration, Instant};

use common::security::{pki, secure_cluster, KEYSTORE_PASSWORD, KEY_PASSWORD};
use kafka_sync::config::security::{SecurityConfig, SecurityProtocol};
use kafka_sync::{AdminConfig, ErrorKind, KafkaAdminClient, KafkaError, NewTopic};

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
