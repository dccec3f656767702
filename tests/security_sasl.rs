//! SASL end to end on Apache Kafka's own listeners (`scripts/kafka-cluster.sh --sasl
//! --tls`): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (the broker's unsecured
//! JWS validator) over SASL_PLAINTEXT, and PLAIN and SCRAM over SASL_SSL (which enables
//! no OAUTHBEARER), with right and wrong passwords, unknown users, a user of another
//! mechanism and a mechanism the listener does not enable.
//!
//! These tests start their own broker, also when `KAFKA_BOOTSTRAP` names an external
//! broker: the point is a broker whose users the test knows.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::security::{secure_cluster, PLAIN_USER, SCRAM_USERS};
use kafka_sync::config::security::{
    OAuthBearerToken, OAuthBearerTokenProvider, SaslMechanism, SecurityConfig, SecurityProtocol,
};
use kafka_sync::{AdminConfig, ErrorKind, KafkaAdminClient, KafkaError, NewTopic};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The SASL_PLAINTEXT listener's bootstrap list.
fn sasl_bootstrap() -> String {
    secure_cluster().listener("SASL_PLAINTEXT")
}

fn sasl_plaintext() -> SecurityConfig {
    SecurityConfig::new().protocol(SecurityProtocol::SaslPlaintext)
}

/// SASL_SSL settings trusting the test CA.
fn sasl_ssl() -> SecurityConfig {
    SecurityConfig::new()
        .protocol(SecurityProtocol::SaslSsl)
        .ca_location(secure_cluster().tls_dir().join("ca.pem"))
}

/// The SCRAM user and password for `mechanism`.
fn scram_user(mechanism: SaslMechanism) -> (&'static str, &'static str) {
    let (user, password, _) = match mechanism {
        SaslMechanism::ScramSha256 => SCRAM_USERS[0],
        _ => SCRAM_USERS[1],
    };
    (user, password)
}

fn admin(bootstrap: &str, security: SecurityConfig) -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(bootstrap).security(security)).expect("admin client")
}

/// Logs in and does real work: metadata, a connection to every broker, a topic.
fn works(admin: &KafkaAdminClient) {
    let cluster = admin.describe_cluster(TIMEOUT).unwrap();
    assert!(!cluster.brokers.is_empty());
    let versions = admin.broker_api_versions(TIMEOUT).unwrap();
    assert_eq!(versions.len(), cluster.brokers.len());
    let topic = common::unique_topic("sasl");
    let results = admin
        .create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)
        .unwrap();
    assert!(results.iter().all(|r| r.result.is_ok()), "{results:?}");
}

/// Expects an authentication error, at once rather than at the timeout, that names
/// no secret.
fn expect_auth_error(admin: &KafkaAdminClient, secrets: &[&str]) -> KafkaError {
    let started = Instant::now();
    let err = admin.describe_cluster(TIMEOUT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(
        started.elapsed() < TIMEOUT / 2,
        "the authentication failure took {:?} to surface",
        started.elapsed()
    );
    let text = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!text.contains(secret), "`{secret}` shows in {text}");
    }
    err
}

fn scram_logs_in(mechanism: SaslMechanism) {
    let (user, password) = scram_user(mechanism);
    let security = sasl_plaintext().sasl(mechanism, user, password);
    works(&admin(&sasl_bootstrap(), security));
}

#[test]
fn scram_sha_256_logs_in_with_the_right_password() {
    scram_logs_in(SaslMechanism::ScramSha256);
}

#[test]
fn scram_sha_512_logs_in_with_the_right_password() {
    scram_logs_in(SaslMechanism::ScramSha512);
}

fn wrong_password_is_refused(mechanism: SaslMechanism) {
    let (user, password) = scram_user(mechanism);
    let wrong = "not-the-password-31337";
    let admin = admin(
        &sasl_bootstrap(),
        sasl_plaintext().sasl(mechanism, user, wrong),
    );
    let err = expect_auth_error(&admin, &[wrong, password]);
    let text = err.to_string();
    assert!(text.contains(mechanism.name()), "{text}");
    assert!(text.contains(user), "{text}");
    // Not retried in a loop: asked again, the client reports the failure again at once
    // (the reconnect back-off spaces the attempts).
    expect_auth_error(&admin, &[wrong]);
}

#[test]
fn scram_sha_256_with_a_wrong_password_is_an_authentication_error() {
    wrong_password_is_refused(SaslMechanism::ScramSha256);
}

#[test]
fn scram_sha_512_with_a_wrong_password_is_an_authentication_error() {
    wrong_password_is_refused(SaslMechanism::ScramSha512);
}

#[test]
fn an_unknown_user_is_refused() {
    for mechanism in [SaslMechanism::ScramSha256, SaslMechanism::ScramSha512] {
        let admin = admin(
            &sasl_bootstrap(),
            sasl_plaintext().sasl(mechanism, "nobody-by-this-name", "whatever-pass-77"),
        );
        let err = expect_auth_error(&admin, &["whatever-pass-77"]);
        assert!(err.to_string().contains("nobody-by-this-name"), "{err}");
    }
}

#[test]
fn a_user_of_the_other_scram_mechanism_is_refused() {
    // alice256 has SCRAM-SHA-256 credentials only.
    let (user, password) = scram_user(SaslMechanism::ScramSha256);
    let security = sasl_plaintext().sasl(SaslMechanism::ScramSha512, user, password);
    expect_auth_error(&admin(&sasl_bootstrap(), security), &[password]);
}

#[test]
fn a_mechanism_the_listener_does_not_enable_is_a_distinct_error() {
    // The SASL_SSL listener enables PLAIN and SCRAM only: Kafka answers SaslHandshake
    // with UNSUPPORTED_SASL_MECHANISM and the mechanisms it has.
    let provider = Arc::new(Unsecured {
        principal: "oauth-user".to_owned(),
        calls: 0.into(),
    });
    let bootstrap = secure_cluster().listener("SASL_SSL");
    let err = expect_auth_error(&admin(&bootstrap, sasl_ssl().oauthbearer(provider)), &[]);
    let text = err.to_string();
    assert!(
        text.contains("does not enable SASL mechanism OAUTHBEARER (sasl.mechanism); it enables: ")
            && text.contains("PLAIN")
            && text.contains("SCRAM-SHA-256")
            && text.contains("SCRAM-SHA-512"),
        "{text}"
    );
}

#[test]
fn a_plaintext_client_gets_nowhere_with_a_listener_that_demands_sasl() {
    let admin = admin(&sasl_bootstrap(), SecurityConfig::new());
    assert!(admin.describe_cluster(Duration::from_secs(3)).is_err());
}

#[test]
fn sasl_ssl_scram_through_tls() {
    let bootstrap = secure_cluster().listener("SASL_SSL");
    for mechanism in [SaslMechanism::ScramSha256, SaslMechanism::ScramSha512] {
        let (user, password) = scram_user(mechanism);
        works(&admin(
            &bootstrap,
            sasl_ssl().sasl(mechanism, user, password),
        ));
        expect_auth_error(
            &admin(
                &bootstrap,
                sasl_ssl().sasl(mechanism, user, "bad-tls-pass-5"),
            ),
            &["bad-tls-pass-5", password],
        );
    }
    // By property names, as a client.properties file would give them.
    let (user, password) = scram_user(SaslMechanism::ScramSha512);
    let ca = secure_cluster().tls_dir().join("ca.pem");
    let config = AdminConfig::new(&bootstrap)
        .set("security.protocol", "SASL_SSL")
        .unwrap()
        .set("ssl.ca.location", ca.to_str().unwrap())
        .unwrap()
        .set("sasl.mechanism", "SCRAM-SHA-512")
        .unwrap()
        .set(
            "sasl.jaas.config",
            &format!(
                "org.apache.kafka.common.security.scram.ScramLoginModule required \
                 username=\"{user}\" password=\"{password}\";"
            ),
        )
        .unwrap();
    works(&KafkaAdminClient::new(config).unwrap());
}

#[test]
fn plain_logs_in_and_a_wrong_password_is_refused() {
    let (user, password) = PLAIN_USER;
    let security = sasl_plaintext().sasl(SaslMechanism::Plain, user, password);
    works(&admin(&sasl_bootstrap(), security));
    let wrong = sasl_plaintext().sasl(SaslMechanism::Plain, user, "wrong-plain-pass-9");
    let err = expect_auth_error(
        &admin(&sasl_bootstrap(), wrong),
        &["wrong-plain-pass-9", password],
    );
    assert!(err.to_string().contains(user), "{err}");
    // PLAIN over SASL_SSL, by property names.
    let ca = secure_cluster().tls_dir().join("ca.pem");
    let config = AdminConfig::new(&secure_cluster().listener("SASL_SSL"))
        .set("security.protocol", "SASL_SSL")
        .unwrap()
        .set("ssl.ca.location", ca.to_str().unwrap())
        .unwrap()
        .set("sasl.mechanism", "PLAIN")
        .unwrap()
        .set(
            "sasl.jaas.config",
            &format!(
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"{user}\" password=\"{password}\";"
            ),
        )
        .unwrap();
    works(&KafkaAdminClient::new(config).unwrap());
}

/// Unsecured tokens for a principal, counting how often it is asked.
struct Unsecured {
    principal: String,
    calls: std::sync::atomic::AtomicU32,
}

impl OAuthBearerTokenProvider for Unsecured {
    fn token(&self) -> kafka_sync::Result<OAuthBearerToken> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(OAuthBearerToken::unsecured(
            &self.principal,
            Duration::from_secs(3600),
        ))
    }
}

#[test]
fn oauthbearer_logs_in_with_an_unsecured_token() {
    let provider = Arc::new(Unsecured {
        principal: "oauth-user".to_owned(),
        calls: 0.into(),
    });
    let security = sasl_plaintext().oauthbearer(provider.clone());
    works(&admin(&sasl_bootstrap(), security));
    // One token serves every connection until it nears expiry.
    assert_eq!(provider.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn no_secret_shows_in_debug_output_of_configs_or_errors() {
    let mut config = AdminConfig::new("127.0.0.1:9")
        .set("security.protocol", "SASL_SSL")
        .unwrap()
        .set("sasl.mechanism", "PLAIN")
        .unwrap()
        .set("sasl.username", "carol")
        .unwrap()
        .set("sasl.password", "carol-pass-1")
        .unwrap()
        .set("ssl.key.password", "key-pass-2")
        .unwrap()
        .set("ssl.keystore.password", "store-pass-3")
        .unwrap();
    let mut text = format!("{config:?} {config:#?} {:?}", config.client);
    config.client.security.sasl.token_provider = Some(Arc::new(Unsecured {
        principal: "p".into(),
        calls: 0.into(),
    }));
    text.push_str(&format!("{config:?}"));
    let token = OAuthBearerToken::unsecured("dave", Duration::from_secs(60));
    let token_value = token.value().expose().to_owned();
    text.push_str(&format!("{token:?}"));
    // Errors of bad values of secret settings do not quote the value.
    let err = AdminConfig::new("h:1")
        .set("sasl.jaas.config", "Broken password=\"jaas-pass-4\"")
        .unwrap_err();
    text.push_str(&format!("{err} {err:?}"));
    assert!(text.contains("carol"), "{text}");
    for secret in [
        "carol-pass-1",
        "key-pass-2",
        "store-pass-3",
        "jaas-pass-4",
        token_value.as_str(),
    ] {
        assert!(!text.contains(secret), "`{secret}` shows in {text}");
    }
}

#[test]
fn no_secret_shows_in_debug_output_of_clients_after_a_sasl_login() {
    use kafka_sync::{
        ConsumerConfig, KafkaConsumer, KafkaProducer, ProducerConfig, ProducerRecord,
        TopicPartition,
    };
    let (user, password) = PLAIN_USER;
    let plain = || sasl_plaintext().sasl(SaslMechanism::Plain, user, password);
    let token = OAuthBearerToken::unsecured("debug-user", Duration::from_secs(3600));
    let token_value = token.value().expose().to_owned();
    struct Fixed(OAuthBearerToken);
    impl OAuthBearerTokenProvider for Fixed {
        fn token(&self) -> kafka_sync::Result<OAuthBearerToken> {
            Ok(self.0.clone())
        }
    }
    let oauth = || sasl_plaintext().oauthbearer(Arc::new(Fixed(token.clone())));

    let mut text = String::new();
    for security in [plain(), oauth()] {
        let admin = admin(&sasl_bootstrap(), security.clone());
        works(&admin);
        text.push_str(&format!("{admin:?} {admin:#?}"));

        let topic = common::unique_topic("debug");
        admin
            .create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)
            .unwrap();
        let mut producer_config = ProducerConfig::new(&sasl_bootstrap());
        producer_config.client.security = security.clone();
        let producer = KafkaProducer::new(producer_config).unwrap();
        producer
            .send(ProducerRecord::new(&topic).value("v"))
            .unwrap()
            .get(TIMEOUT)
            .unwrap();
        text.push_str(&format!("{producer:?} {producer:#?}"));

        let mut consumer_config = ConsumerConfig::new(&sasl_bootstrap())
            .auto_offset_reset(kafka_sync::OffsetReset::Earliest);
        consumer_config.client.security = security.clone();
        let mut consumer = KafkaConsumer::new(consumer_config).unwrap();
        consumer.assign(&[TopicPartition::new(&topic, 0)]).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        while consumer
            .poll(Duration::from_millis(200))
            .unwrap()
            .is_empty()
        {
            assert!(Instant::now() < deadline, "nothing read back");
        }
        text.push_str(&format!("{consumer:?} {consumer:#?}"));

        let mut client_config = kafka_sync::ClientConfig::new(&sasl_bootstrap());
        client_config.security = security.clone();
        let mut client = kafka_sync::RawClient::new(client_config).unwrap();
        client
            .metadata(
                &kafka_sync::protocol::messages::MetadataRequest::for_topics::<&str>(None, false),
                TIMEOUT,
            )
            .expect("metadata over SASL");
        text.push_str(&format!("{client:?} {client:#?}"));
        producer.close(Some(TIMEOUT)).unwrap();
        consumer.close().unwrap();
    }
    assert!(
        text.contains("KafkaAdminClient") && text.contains("Connection"),
        "{text}"
    );
    for secret in [password, token_value.as_str()] {
        assert!(!text.contains(secret), "`{secret}` shows in {text}");
    }
}
