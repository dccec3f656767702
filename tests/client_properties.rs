//! `client.properties` files written for the Java client, loaded as they are by
//! `ProducerConfig`, `ConsumerConfig` and `AdminConfig` (issue 14): a Confluent
//! Cloud-style file (SASL_SSL, PLAIN with single-quoted JAAS values,
//! `client.dns.lookup`, `session.timeout.ms` and `acks` side by side, Schema Registry
//! keys), a Java mutual-TLS file with a PKCS#12 key store, and a SCRAM file whose JAAS
//! line is continued over three lines (`tests/fixtures/properties/`).
//!
//! Each file is loaded by all three configs, with the keys each config ignores
//! checked; then, written at test time from the fixture with the secure test cluster's
//! addresses, PKI and users in place of the fixture's, each file drives a producer, a
//! consumer and an admin client through a real round trip on Apache Kafka: the
//! Confluent file on the PLAIN-over-SASL_SSL listener, the SSL file on the listener
//! that requires a client certificate (so the PKCS#12 key store is used), the SCRAM
//! file on SASL_SSL with SCRAM-SHA-512.
//!
//! The end-to-end tests start their own broker, also when `KAFKA_BOOTSTRAP` names an
//! external one: the point is listeners whose certificates and users the test knows.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::security::{pki, secure_cluster, work_dir, KEYSTORE_PASSWORD, PLAIN_USER, SCRAM_USERS};
use kafka_sync::config::security::{SaslMechanism, SecurityProtocol};
use kafka_sync::config::DnsLookup;
use kafka_sync::{
    Acks, AdminConfig, Compression, ConsumerConfig, KafkaAdminClient, KafkaConsumer, KafkaProducer,
    NewTopic, OffsetReset, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    common::project_root()
        .join("tests/fixtures/properties")
        .join(name)
}

/// The three configs of one file.
fn load(path: &Path) -> (ProducerConfig, ConsumerConfig, AdminConfig) {
    let producer = ProducerConfig::from_properties(path)
        .unwrap_or_else(|e| panic!("producer config of {}: {e}", path.display()));
    let consumer = ConsumerConfig::from_properties(path)
        .unwrap_or_else(|e| panic!("consumer config of {}: {e}", path.display()));
    let admin = AdminConfig::from_properties(path)
        .unwrap_or_else(|e| panic!("admin config of {}: {e}", path.display()));
    (producer, consumer, admin)
}

/// Checks the three configs of one file together: valid, and ignoring `unused` (of
/// the producer, consumer, admin client) and nothing else, each key with a reason.
fn check_unused(
    (producer, consumer, admin): &mut (ProducerConfig, ConsumerConfig, AdminConfig),
    unused: [&[&str]; 3],
) {
    producer.validate().expect("a valid producer config");
    consumer.validate().expect("a valid consumer config");
    admin.client.validate().expect("a valid admin config");
    let reported = |keys: &[String], reason: &dyn Fn(&str) -> Option<String>| {
        let reasons: Vec<Option<String>> = keys.iter().map(|k| reason(k)).collect();
        (keys.to_vec(), reasons)
    };
    let configs = [
        (
            "producer",
            reported(producer.unused_keys(), &|k| {
                producer.unused_key_reason(k).map(str::to_owned)
            }),
        ),
        (
            "consumer",
            reported(consumer.unused_keys(), &|k| {
                consumer.unused_key_reason(k).map(str::to_owned)
            }),
        ),
        (
            "admin",
            reported(admin.unused_keys(), &|k| {
                admin.unused_key_reason(k).map(str::to_owned)
            }),
        ),
    ];
    for ((name, (keys, reasons)), expected) in configs.into_iter().zip(unused) {
        assert_eq!(keys, expected, "the {name}'s unused keys");
        for (key, reason) in keys.iter().zip(reasons) {
            let reason = reason.unwrap_or_else(|| panic!("no reason for {key}"));
            assert!(!reason.is_empty(), "{key}");
        }
    }
}

const SCHEMA_REGISTRY: [&str; 3] = [
    "schema.registry.url",
    "basic.auth.credentials.source",
    "basic.auth.user.info",
];

#[test]
fn the_confluent_cloud_file_loads_into_every_config() {
    let mut configs = load(&fixture("confluent-cloud.properties"));
    let producer_unused = [&["session.timeout.ms"][..], &SCHEMA_REGISTRY].concat();
    let consumer_unused = [&["acks"][..], &SCHEMA_REGISTRY].concat();
    let admin_unused = [&["session.timeout.ms", "acks"][..], &SCHEMA_REGISTRY].concat();
    check_unused(
        &mut configs,
        [&producer_unused, &consumer_unused, &admin_unused],
    );
    let (producer, consumer, admin) = &configs;
    for client in [&producer.client, &consumer.client, &admin.client] {
        assert_eq!(
            client.bootstrap_servers,
            ["pkc-921jm.us-east-2.aws.confluent.cloud:9092"]
        );
        assert_eq!(client.security.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(client.security.sasl.mechanism, Some(SaslMechanism::Plain));
        // The single quotes are the JAAS syntax's, not part of the credentials.
        assert_eq!(
            client.security.sasl.username.as_deref(),
            Some("JKXQ5ZB7ELRGDH4V")
        );
        assert_eq!(
            client.security.sasl.password.as_ref().map(|p| p.expose()),
            Some("xq8Zr0fL+7dVhN2o5KcTq0mWbYp3sJeA9uHgRtLkPzCvBnMx1QwEyUiOaSdFgH4J")
        );
        assert_eq!(client.client_dns_lookup, DnsLookup::UseAllDnsIps);
        assert_eq!(
            client.client_id,
            "ccloud-java-client-6b1f2e4a-93c7-4d28-a5e0-7f3c9d1b8a26"
        );
        // No trust store: the system's roots, as for Confluent Cloud's certificates.
        assert_eq!(client.security.tls.ca_location, None);
    }
    assert_eq!(producer.acks, Acks::All);
    assert_eq!(consumer.session_timeout, Duration::from_secs(45));
    let reason = consumer.unused_key_reason("acks").unwrap();
    assert!(reason.contains("producer"), "{reason}");
    let reason = producer.unused_key_reason("basic.auth.user.info").unwrap();
    assert!(reason.contains("Schema Registry"), "{reason}");
    // Neither the value of an ignored key nor a password shows in the configs' Debug.
    for text in [
        format!("{producer:?}"),
        format!("{consumer:?}"),
        format!("{admin:?}"),
    ] {
        assert!(!text.contains("sr0Ht5Kq9vZ2xL8m"), "{text}");
        assert!(!text.contains("xq8Zr0fL"), "{text}");
    }
}

#[test]
fn the_java_ssl_file_loads_into_every_config() {
    let tls_tuning = ["ssl.enabled.protocols", "ssl.protocol"];
    let serializers = ["key.serializer", "value.serializer"];
    let deserializers = ["key.deserializer", "value.deserializer"];
    let monitoring = ["interceptor.classes", "metric.reporters"];
    let producer_unused = [
        &tls_tuning[..],
        &serializers,
        &["group.id", "auto.offset.reset", "enable.auto.commit"],
        &deserializers,
        &monitoring,
    ]
    .concat();
    let consumer_unused = [
        &tls_tuning[..],
        &[
            "acks",
            "enable.idempotence",
            "compression.type",
            "linger.ms",
        ],
        &serializers,
        &deserializers,
        &monitoring,
    ]
    .concat();
    let admin_unused = [
        &tls_tuning[..],
        &[
            "acks",
            "enable.idempotence",
            "compression.type",
            "linger.ms",
        ],
        &serializers,
        &["group.id", "auto.offset.reset", "enable.auto.commit"],
        &deserializers,
        &monitoring,
    ]
    .concat();
    let mut configs = load(&fixture("java-ssl.properties"));
    check_unused(
        &mut configs,
        [&producer_unused, &consumer_unused, &admin_unused],
    );
    let (producer, consumer, admin) = &configs;
    for client in [&producer.client, &consumer.client, &admin.client] {
        let tls = &client.security.tls;
        assert_eq!(client.security.protocol, SecurityProtocol::Ssl);
        assert_eq!(
            tls.keystore_location.as_deref(),
            Some(Path::new("/var/private/ssl/kafka.client.keystore.p12"))
        );
        assert_eq!(
            tls.keystore_password.as_ref().map(|p| p.expose()),
            Some("client-store-pass")
        );
        assert_eq!(tls.keystore_type.as_deref(), Some("PKCS12"));
        assert_eq!(
            tls.ca_location.as_deref(),
            Some(Path::new("/var/private/ssl/ca-cert.pem"))
        );
        assert!(tls.verify_hostname);
        assert_eq!(client.bootstrap_servers.len(), 2);
        assert_eq!(client.client_id, "orders-service");
    }
    assert_eq!(producer.compression, Compression::Lz4);
    assert_eq!(producer.linger, Duration::from_millis(10));
    assert_eq!(consumer.group_id.as_deref(), Some("orders-service"));
    assert_eq!(consumer.auto_offset_reset, OffsetReset::Earliest);
    assert!(!consumer.enable_auto_commit);
    let reason = producer.unused_key_reason("key.serializer").unwrap();
    assert!(reason.contains("does not implement"), "{reason}");
    let reason = admin.unused_key_reason("ssl.protocol").unwrap();
    assert!(reason.contains("TLS"), "{reason}");
}

#[test]
fn the_scram_file_loads_into_every_config() {
    let mut configs = load(&fixture("scram.properties"));
    check_unused(
        &mut configs,
        [
            &["default.api.timeout.ms", "group.id", "auto.offset.reset"],
            &["retries"],
            &[
                "default.api.timeout.ms",
                "retries",
                "group.id",
                "auto.offset.reset",
            ],
        ],
    );
    let (producer, consumer, admin) = &configs;
    for client in [&producer.client, &consumer.client, &admin.client] {
        let sasl = &client.security.sasl;
        assert_eq!(sasl.mechanism, Some(SaslMechanism::ScramSha512));
        // The JAAS line went on over two backslash-continued lines.
        assert_eq!(sasl.username.as_deref(), Some("svc-reporting"));
        assert_eq!(
            sasl.password.as_ref().map(|p| p.expose()),
            Some("Ch4nge-me:2024")
        );
        assert_eq!(client.security.tls.truststore_type.as_deref(), Some("PEM"));
    }
    assert_eq!(producer.retries, 2_147_483_647);
    assert_eq!(consumer.default_api_timeout, Duration::from_secs(60));
    assert_eq!(consumer.group_id.as_deref(), Some("reporting"));
    let reason = admin.unused_key_reason("retries").unwrap();
    assert!(
        reason.contains("admin client that kafka-sync does not implement"),
        "{reason}"
    );
    let reason = consumer.unused_key_reason("retries").unwrap();
    assert!(reason.contains("not of the consumer"), "{reason}");
}

/// Writes `text` as `name` in this test process's work directory.
fn write_file(name: &str, text: &str) -> PathBuf {
    let path = work_dir("client-properties").join(name);
    std::fs::write(&path, text).expect("write the properties file");
    path
}

#[test]
fn a_misspelled_key_in_a_file_is_an_error_naming_it() {
    let text = std::fs::read_to_string(fixture("confluent-cloud.properties")).unwrap()
        + "sesion.timeout.ms=10000\n";
    let path = write_file("misspelled.properties", &text);
    let errors = [
        ProducerConfig::from_properties(&path).unwrap_err(),
        ConsumerConfig::from_properties(&path).unwrap_err(),
        AdminConfig::from_properties(&path).unwrap_err(),
    ];
    for err in errors {
        let text = err.to_string();
        assert!(text.contains("`sesion.timeout.ms`"), "{text}");
        assert!(
            text.contains("did you mean `session.timeout.ms`?"),
            "{text}"
        );
        assert!(!text.contains("xq8Zr0fL"), "{text}");
    }
}

#[test]
fn a_jks_store_in_a_file_is_refused_with_the_keytool_command() {
    // A `.jks` trust store without a type (Java's default type is JKS).
    let text = "bootstrap.servers=127.0.0.1:9093\nsecurity.protocol=SSL\n\
                ssl.truststore.location=/var/private/ssl/kafka.client.truststore.jks\n\
                ssl.truststore.password=changeit\n";
    let path = write_file("jks-truststore.properties", text);
    let Err(err) = KafkaAdminClient::new(AdminConfig::from_properties(&path).unwrap()) else {
        panic!("a JKS trust store is taken");
    };
    let text = err.to_string();
    assert!(text.contains("ssl.truststore.location"), "{text}");
    assert!(
        text.contains(
            "keytool -importkeystore -srckeystore /var/private/ssl/kafka.client.truststore.jks \
             -destkeystore /var/private/ssl/kafka.client.truststore.p12 -deststoretype PKCS12"
        ),
        "{text}"
    );
    assert!(text.contains("ssl.truststore.type=PKCS12"), "{text}");
    // A JKS key store, by its type.
    let text = "bootstrap.servers=127.0.0.1:9093\nsecurity.protocol=SSL\n\
                ssl.keystore.location=/var/private/ssl/kafka.client.keystore.jks\n\
                ssl.keystore.type=JKS\nssl.keystore.password=changeit\n";
    let path = write_file("jks-keystore.properties", text);
    let err = ProducerConfig::from_properties(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ssl.keystore.type"), "{err}");
    assert!(
        err.contains(
            "keytool -importkeystore -srckeystore /var/private/ssl/kafka.client.keystore.jks \
             -destkeystore /var/private/ssl/kafka.client.keystore.p12 -deststoretype PKCS12"
        ),
        "{err}"
    );
    assert!(!err.contains("changeit"), "{err}");
}

/// A path as a properties value (backslashes escaped).
fn property_path(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").replace('\\', "\\\\")
}

/// Writes the fixture `name` with each `(from, to)` replaced (each `from` must be in
/// it, so that the fixture and the test stay in step) and `extra` lines appended.
fn render(name: &str, replacements: &[(&str, &str)], extra: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(fixture(name)).expect("read the fixture");
    for (from, to) in replacements {
        assert!(text.contains(from), "{name} has no `{from}`");
        text = text.replace(from, to);
    }
    text.push_str(extra);
    write_file(name, &text)
}

/// A producer, a consumer and an admin client made from the one file `path`, each
/// doing real work: the admin client creates a topic and sees it, the producer writes
/// records to it, the consumer reads them back (in its group, which it commits, if the
/// file names one), and the admin client reads the group's committed offset.
fn round_trip(path: &Path) {
    let admin_config = AdminConfig::from_properties(path).expect("admin config");
    let producer_config = ProducerConfig::from_properties(path).expect("producer config");
    let consumer_config = ConsumerConfig::from_properties(path).expect("consumer config");
    let group = consumer_config.group_id.clone();

    let admin = KafkaAdminClient::new(admin_config).expect("admin client");
    let topic = common::unique_topic("properties");
    let results = admin
        .create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)
        .expect("create the topic");
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    common::wait_until(
        "the new topic is listed",
        TIMEOUT,
        Duration::from_millis(50),
        || {
            let topics = admin.list_topics(TIMEOUT).map_err(|e| e.to_string())?;
            if topics.contains(&topic) {
                Ok(())
            } else {
                Err(format!("{topics:?}"))
            }
        },
    );

    let producer = KafkaProducer::new(producer_config).expect("producer");
    let values: Vec<String> = (0..10).map(|i| format!("record {i} of {topic}")).collect();
    let futures: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let key = i.to_string();
            producer
                .send(ProducerRecord::new(&topic).key(&key).value(value))
                .expect("send")
        })
        .collect();
    producer.flush(Some(TIMEOUT)).expect("flush");
    for (i, future) in futures.iter().enumerate() {
        let metadata = future.get(Duration::ZERO).expect("acknowledged");
        assert_eq!(metadata.offset, i as i64);
    }
    producer.close(Some(TIMEOUT)).expect("close the producer");

    let mut consumer = KafkaConsumer::new(consumer_config).expect("consumer");
    let tp = TopicPartition::new(&topic, 0);
    if group.is_some() {
        consumer.subscribe(&[&topic]).expect("subscribe");
    } else {
        consumer.assign(std::slice::from_ref(&tp)).expect("assign");
        consumer
            .seek_to_beginning(std::slice::from_ref(&tp))
            .expect("seek to the beginning");
    }
    let deadline = Instant::now() + TIMEOUT;
    let mut read = Vec::new();
    while read.len() < values.len() {
        assert!(
            Instant::now() < deadline,
            "read {} of {} records",
            read.len(),
            values.len()
        );
        for record in consumer.poll(Duration::from_millis(200)).expect("poll") {
            let value = record.value.as_ref().expect("a value");
            read.push(String::from_utf8(value.to_vec()).expect("UTF-8"));
        }
    }
    assert_eq!(read, values);
    if let Some(group) = group {
        consumer.commit().expect("commit");
        let committed = consumer
            .committed(&tp)
            .expect("committed")
            .expect("an offset");
        assert_eq!(committed.offset, values.len() as i64);
        let offsets = admin
            .list_consumer_group_offsets(&group, None, TIMEOUT)
            .expect("the group's offsets");
        let offset = offsets[&tp]
            .as_ref()
            .expect("no error")
            .as_ref()
            .expect("one");
        assert_eq!(offset.offset, values.len() as i64);
    }
    consumer.close().expect("close the consumer");
}

#[test]
fn the_confluent_cloud_file_works_on_plain_over_sasl_ssl() {
    common::log_to_stderr();
    let cluster = secure_cluster();
    let ca = property_path(&pki().ca);
    let (user, password) = PLAIN_USER;
    let path = render(
        "confluent-cloud.properties",
        &[
            (
                "pkc-921jm.us-east-2.aws.confluent.cloud:9092",
                &cluster.listener("SASL_SSL"),
            ),
            ("username='JKXQ5ZB7ELRGDH4V'", &format!("username='{user}'")),
            (
                "password='xq8Zr0fL+7dVhN2o5KcTq0mWbYp3sJeA9uHgRtLkPzCvBnMx1QwEyUiOaSdFgH4J'",
                &format!("password='{password}'"),
            ),
        ],
        // Confluent Cloud's certificates chain to public roots; the test CA is given
        // the way Java reads a PEM trust store.
        &format!("\nssl.truststore.type=PEM\nssl.truststore.location={ca}\n"),
    );
    let config = AdminConfig::from_properties(&path).unwrap();
    assert_eq!(config.client.security.sasl.username.as_deref(), Some(user));
    assert_eq!(config.client.client_dns_lookup, DnsLookup::UseAllDnsIps);
    round_trip(&path);
}

#[test]
fn the_java_ssl_file_works_on_mutual_tls_with_its_pkcs12_key_store() {
    common::log_to_stderr();
    let cluster = secure_cluster();
    let pki = pki();
    let path = render(
        "java-ssl.properties",
        &[
            (
                "kafka-1.internal.example:9093,kafka-2.internal.example:9093",
                // The listener that requires a client certificate from the test CA.
                &cluster.listener("MTLS"),
            ),
            (
                "/var/private/ssl/kafka.client.keystore.p12",
                &property_path(&pki.client_p12),
            ),
            ("client-store-pass", KEYSTORE_PASSWORD),
            ("/var/private/ssl/ca-cert.pem", &property_path(&pki.ca)),
            // The group is this test process's, in case the cluster is reused.
            (
                "group.id=orders-service",
                &format!("group.id=orders-service-{}", std::process::id()),
            ),
        ],
        "",
    );
    round_trip(&path);
}

#[test]
fn the_scram_file_works_on_sasl_ssl() {
    common::log_to_stderr();
    let cluster = secure_cluster();
    let (user, password, mechanism) = SCRAM_USERS[1];
    assert_eq!(mechanism, "SCRAM-SHA-512");
    let path = render(
        "scram.properties",
        &[
            (
                "broker-1.kafka.example.net:9094",
                &cluster.listener("SASL_SSL"),
            ),
            (
                "username=\"svc-reporting\"",
                &format!("username=\"{user}\""),
            ),
            (
                "password=\"Ch4nge-me:2024\"",
                &format!("password=\"{password}\""),
            ),
            ("/etc/kafka/secrets/ca.pem", &property_path(&pki().ca)),
            (
                "group.id=reporting",
                &format!("group.id=reporting-{}", std::process::id()),
            ),
        ],
        "",
    );
    round_trip(&path);
}
