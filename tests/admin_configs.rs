//! Configs through the admin client on Apache Kafka: described with sources,
//! synonyms and documentation (topics, brokers, broker loggers, groups); changed one
//! config at a time (set, delete, append, subtract), validated only, and replaced as a
//! whole set; the errors of a wrong config name and an unknown topic beside
//! successes. Changes made here are checked through librdkafka's AdminClient.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use kafka_sync::admin::{AlterConfigOp, ConfigEntry, ConfigResource, ConfigSource, ConfigType};
use kafka_sync::{ErrorCode, NewTopic};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The configs of `resource` as confluent-kafka's AdminClient describes them.
fn librdkafka_configs(kind: &str, name: &str) -> BTreeMap<String, String> {
    let output = Command::new(common::mock::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/describe_configs.py"
        ))
        .args([&common::bootstrap(), kind, name])
        .output()
        .expect("run tests/support/describe_configs.py");
    assert!(
        output.status.success(),
        "describe_configs.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no config {name}"))
}

fn topic_configs(topic: &str) -> Vec<ConfigEntry> {
    let resource = ConfigResource::topic(topic);
    let mut described = common::admin()
        .describe_configs(std::slice::from_ref(&resource), TIMEOUT)
        .expect("describe");
    described.remove(&resource).expect("the topic").expect("ok")
}

/// The topic's configs once `config` has `value`: a change reaches the brokers'
/// metadata a moment after the controller accepted it.
fn topic_configs_once(topic: &str, config: &str, value: &str) -> Vec<ConfigEntry> {
    common::wait_until(
        "the config change did not arrive",
        TIMEOUT,
        Duration::from_millis(50),
        || {
            let configs = topic_configs(topic);
            let now = entry(&configs, config).value.clone();
            if now.as_deref() == Some(value) {
                Ok(configs)
            } else {
                Err(format!("{config} = {now:?}"))
            }
        },
    )
}

#[test]
fn topic_configs_are_described_and_changed_one_at_a_time() {
    let admin = common::admin();
    let topic = common::unique_topic("admin-configs");
    let r = admin
        .create_topics(
            &[NewTopic::new(&topic, 1, 1).config("retention.ms", "3600000")],
            TIMEOUT,
        )
        .expect("create");
    assert!(r[0].result.is_ok(), "{r:?}");
    common::wait_until_listed(&admin, &topic, TIMEOUT);

    let configs = topic_configs(&topic);
    let retention = entry(&configs, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("3600000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopicConfig);
    assert_eq!(retention.config_type, ConfigType::Long);
    assert!(!retention.read_only && !retention.sensitive);
    assert!(
        retention
            .synonyms
            .iter()
            .any(|s| s.source == ConfigSource::DefaultConfig),
        "the synonyms reach the default: {retention:?}"
    );
    assert!(retention
        .documentation
        .as_deref()
        .is_some_and(|d| !d.is_empty()));
    let cleanup = entry(&configs, "cleanup.policy");
    assert_eq!(cleanup.source, ConfigSource::DefaultConfig);
    assert_eq!(cleanup.value.as_deref(), Some("delete"));

    let resource = ConfigResource::topic(&topic);
    let change = |ops: Vec<AlterConfigOp>, validate_only: bool| {
        let results = admin
            .incremental_alter_configs(
                &BTreeMap::from([(resource.clone(), ops)]),
                validate_only,
                TIMEOUT,
            )
            .expect("alter");
        results[&resource].clone()
    };
    change(
        vec![AlterConfigOp::set("max.message.bytes", "2000000")],
        true,
    )
    .expect("valid");
    assert_ne!(
        entry(&topic_configs(&topic), "max.message.bytes")
            .value
            .as_deref(),
        Some("2000000"),
        "validate_only changes nothing"
    );
    change(
        vec![
            AlterConfigOp::set("max.message.bytes", "2000000"),
            AlterConfigOp::delete("retention.ms"),
            AlterConfigOp::append("cleanup.policy", "compact"),
        ],
        false,
    )
    .expect("altered");
    let configs = topic_configs_once(&topic, "max.message.bytes", "2000000");
    assert_eq!(
        entry(&configs, "max.message.bytes").value.as_deref(),
        Some("2000000")
    );
    assert_ne!(
        entry(&configs, "retention.ms").source,
        ConfigSource::DynamicTopicConfig,
        "deleted from the topic, the broker's value applies"
    );
    assert_eq!(
        entry(&configs, "cleanup.policy").value.as_deref(),
        Some("delete,compact")
    );
    let seen = librdkafka_configs("topic", &topic);
    assert_eq!(
        seen["max.message.bytes"], "2000000",
        "librdkafka sees the change"
    );
    assert_eq!(seen["cleanup.policy"], "delete,compact");

    change(
        vec![AlterConfigOp::subtract("cleanup.policy", "delete")],
        false,
    )
    .expect("subtract");
    topic_configs_once(&topic, "cleanup.policy", "compact");

    // A wrong config name fails its resource; an unknown topic fails alone.
    let missing = ConfigResource::topic(common::unique_topic("admin-configs-missing"));
    let results = admin
        .incremental_alter_configs(
            &BTreeMap::from([
                (
                    resource.clone(),
                    vec![AlterConfigOp::set("no.such.config", "1")],
                ),
                (
                    missing.clone(),
                    vec![AlterConfigOp::set("retention.ms", "1000")],
                ),
            ]),
            false,
            TIMEOUT,
        )
        .expect("alter");
    let err = results[&resource].as_ref().expect_err("a wrong name");
    assert_eq!(err.code(), Some(ErrorCode::INVALID_CONFIG), "{err}");
    let err = results[&missing].as_ref().expect_err("an unknown topic");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );
    let described = admin
        .describe_configs(&[resource.clone(), missing.clone()], TIMEOUT)
        .expect("describe");
    assert!(described[&resource].is_ok());
    let err = described[&missing].as_ref().expect_err("unknown");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{err}"
    );

    // The legacy form replaces the whole set: what it leaves out goes back to default.
    let results = admin
        .alter_configs(
            &BTreeMap::from([(
                resource.clone(),
                BTreeMap::from([("retention.ms".to_owned(), "7200000".to_owned())]),
            )]),
            false,
            TIMEOUT,
        )
        .expect("alter_configs");
    results[&resource].clone().expect("replaced");
    let configs = topic_configs_once(&topic, "retention.ms", "7200000");
    assert_eq!(
        entry(&configs, "retention.ms").value.as_deref(),
        Some("7200000")
    );
    assert_eq!(
        entry(&configs, "cleanup.policy").source,
        ConfigSource::DefaultConfig
    );
    assert_eq!(
        entry(&configs, "max.message.bytes").source,
        ConfigSource::DefaultConfig
    );
}

#[test]
fn broker_logger_and_group_configs() {
    let admin = common::admin();
    let cluster = admin.describe_cluster(TIMEOUT).expect("cluster");
    let node = cluster.brokers[0].id;
    let broker = ConfigResource::broker(node);
    let logger = ConfigResource::broker_logger(node);
    let group = ConfigResource::group(common::unique_topic("admin-configs-group"));
    let described = admin
        .describe_configs(&[broker.clone(), logger.clone(), group.clone()], TIMEOUT)
        .expect("describe");
    let broker_configs = described[&broker].as_ref().expect("broker");
    let segment = entry(broker_configs, "log.segment.bytes");
    assert_eq!(
        segment.source,
        ConfigSource::StaticBrokerConfig,
        "from server.properties"
    );
    assert_eq!(segment.value.as_deref(), Some("67108864"));
    let loggers = described[&logger].as_ref().expect("loggers");
    assert!(loggers.iter().any(|e| e.name == "root"), "{loggers:?}");
    let group_configs = described[&group].as_ref().expect("group");
    assert!(
        group_configs
            .iter()
            .any(|e| e.name == "consumer.session.timeout.ms"),
        "{group_configs:?}"
    );

    // A dynamic broker config, set here and seen by librdkafka, then removed.
    let changes = BTreeMap::from([(
        broker.clone(),
        vec![AlterConfigOp::set("log.cleaner.threads", "2")],
    )]);
    admin
        .incremental_alter_configs(&changes, false, TIMEOUT)
        .expect("alter")[&broker]
        .clone()
        .expect("set");
    common::wait_until(
        "librdkafka did not see the broker config",
        TIMEOUT,
        Duration::from_millis(100),
        || {
            let seen = librdkafka_configs("broker", &node.to_string());
            match seen.get("log.cleaner.threads").map(String::as_str) {
                Some("2") => Ok(()),
                other => Err(format!("log.cleaner.threads = {other:?}")),
            }
        },
    );
    let described = admin
        .describe_configs(std::slice::from_ref(&broker), TIMEOUT)
        .expect("describe");
    let threads = entry(
        described[&broker].as_ref().expect("ok"),
        "log.cleaner.threads",
    );
    assert_eq!(threads.source, ConfigSource::DynamicBrokerConfig);
    let undo = BTreeMap::from([(
        broker.clone(),
        vec![AlterConfigOp::delete("log.cleaner.threads")],
    )]);
    admin
        .incremental_alter_configs(&undo, false, TIMEOUT)
        .expect("alter")[&broker]
        .clone()
        .expect("deleted");
}
