//! # The kafka-sync guide
//!
//! Chapters that walk through the crate task by task. The API reference is in the
//! modules themselves ([`producer`](crate::producer), [`consumer`](crate::consumer),
//! [`admin`](crate::admin), [`config`](crate::config), ...); this guide says how the
//! pieces fit and which knobs matter. Every Rust snippet in it is compiled as a doc
//! test; those that need a broker are marked `no_run` and expect one on
//! `127.0.0.1:9092` (`./scripts/demo.sh` starts one).
//!
//! | chapter | what it covers |
//! | --- | --- |
//! | [Getting started](crate::guide::getting_started) | produce, consume in a group, commit, close; errors: [`KafkaError`](crate::KafkaError), `is_retriable`, `is_fatal`, `is_abortable` |
//! | [Producer tuning](crate::guide::producer_tuning) | `batch.size`, `linger.ms`, `compression.type`, `acks`, in-flight requests, idempotence, `buffer.memory`, `delivery.timeout.ms`, and what `statistics()` shows |
//! | [Consumer groups and commits](crate::guide::consumer_groups) | `subscribe` and `assign`, rebalance listeners, auto-commit and manual commits, seeking, `read_committed`, lag |
//! | [Transactions and exactly-once](crate::guide::transactions) | `init_transactions` to `commit_transaction`, consume-transform-produce, [`ExactlyOnceProcessor`](crate::ExactlyOnceProcessor) |
//! | [Security](crate::guide::security) | TLS with PEM or PKCS#12, mutual TLS, SASL PLAIN, SCRAM and OAUTHBEARER, SASL_SSL; typed and as `client.properties` |
//! | [Configuration names](crate::guide::config_names) | every setting: its property name, typed setter and default, and the kafka-python, Java and librdkafka names |
//! | [Migrating](crate::guide::migrating) | from the `rdkafka` crate and from kafka-python, call by call |

#[doc = include_str!("getting_started.md")]
pub mod getting_started {}

#[doc = include_str!("producer_tuning.md")]
pub mod producer_tuning {}

#[doc = include_str!("consumer_groups.md")]
pub mod consumer_groups {}

#[doc = include_str!("transactions.md")]
pub mod transactions {}

#[doc = include_str!("security.md")]
pub mod security {}

#[doc = include_str!("config_names.md")]
pub mod config_names {}

#[doc = include_str!("migrating.md")]
pub mod migrating {}

/// Checks the [configuration names](crate::guide::config_names) chapter against the code: every key
/// the configs' `set` functions name is in one of its tables, every key of the
/// settings tables is taken by the configs it is listed for, the refused keys are
/// refused and the ignored ones accepted unused.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::{AdminConfig, ConsumerConfig, ProducerConfig, Result};

    const CHAPTER: &str = include_str!("config_names.md");

    /// The keys the configs take: the patterns of the arms of the `match key` in their
    /// `set` functions (from their source), and the rows of their settings tables.
    fn keys_in_code() -> BTreeSet<String> {
        let sources = [
            include_str!("../config/mod.rs"),
            include_str!("../config/producer.rs"),
            include_str!("../config/consumer.rs"),
            include_str!("../config/security.rs"),
        ];
        let mut keys = BTreeSet::new();
        for source in sources {
            let start = source.find("pub fn set(").expect("a set function");
            let body = &source[start..];
            let body = &body[..body.find("\n    }\n").expect("the end of set")];
            // The arms of `match key` are indented by 12 spaces; the arms of matches
            // on values inside them, deeper.
            for line in body.lines() {
                let Some(arm) = line.strip_prefix("            \"") else {
                    continue;
                };
                let Some((pattern, _)) = arm.split_once("=>") else {
                    continue;
                };
                for alternative in pattern.split('|') {
                    keys.insert(alternative.trim().trim_matches('"').to_owned());
                }
            }
        }
        // The settings tables of the config structs.
        for table in [
            crate::config::ClientConfig::TABLE_KEYS,
            crate::config::ProducerConfig::TABLE_KEYS,
            crate::config::ConsumerConfig::TABLE_KEYS,
        ] {
            keys.extend(table.iter().map(|key| key.to_string()));
        }
        keys
    }

    /// A table row of the chapter: the keys of its first cell and its other cells.
    struct Row {
        keys: Vec<String>,
        cells: Vec<String>,
    }

    /// The rows whose first cell names keys, of the tables under the `## ` heading
    /// `title`, or of every heading if `title` is `None`.
    fn rows(title: Option<&str>) -> Vec<Row> {
        let mut current = "";
        let mut rows = Vec::new();
        for line in CHAPTER.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                current = heading;
            } else if line.starts_with("| `") && title.is_none_or(|t| t == current) {
                let cells: Vec<String> = line
                    .trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().to_owned())
                    .collect();
                let keys = cells[0]
                    .split(", ")
                    .map(|k| k.trim_matches('`').to_owned())
                    .collect();
                rows.push(Row { keys, cells });
            }
        }
        assert!(!rows.is_empty(), "no rows under {title:?}");
        rows
    }

    fn keys(title: &str) -> Vec<String> {
        rows(Some(title)).into_iter().flat_map(|r| r.keys).collect()
    }

    /// A value `set` takes for `key`.
    fn sample(key: &str) -> &'static str {
        match key {
            "bootstrap.servers" => "h:9092",
            "client.id" | "group.id" | "group.instance.id" | "transactional.id" => "x",
            "client.rack" | "sasl.username" | "sasl.password" => "x",
            "ssl.key.password" | "ssl.keystore.password" => "secret",
            "metadata.recovery.strategy" => "none",
            "client.dns.lookup" => "use_all_dns_ips",
            "send.buffer.bytes" => "-1",
            "receive.message.max.bytes" | "buffer.memory" | "fetch.max.bytes" => "1048576",
            "security.protocol" => "SASL_SSL",
            "ssl.ca.location" | "ssl.truststore.location" => "/ca.pem",
            "ssl.truststore.type" => "PEM",
            "ssl.certificate.location" => "/client.pem",
            "ssl.key.location" => "/client.key",
            "ssl.keystore.location" => "/client.p12",
            "ssl.keystore.type" => "PKCS12",
            "ssl.endpoint.identification.algorithm" => "https",
            "sasl.mechanism" | "sasl.mechanisms" => "SCRAM-SHA-256",
            "sasl.jaas.config" => {
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"u\" password=\"p\";"
            }
            "acks" => "1",
            "compression.type" | "compression.codec" => "gzip",
            "enable.idempotence" | "enable.auto.commit" | "check.crcs" => "false",
            "exclude.internal.topics" | "allow.auto.create.topics" => "false",
            "auto.offset.reset" => "earliest",
            "partition.assignment.strategy" => "cooperative-sticky",
            "isolation.level" => "read_committed",
            "group.protocol" => "consumer",
            "group.remote.assignor" => "uniform",
            _ => "1000",
        }
    }

    /// What the config of `client` (`producer`, `consumer` or `admin`) does with
    /// `key` set to `value`: the keys it accepted unused, or its error.
    fn unused_after(client: &str, key: &str, value: &str) -> Result<Vec<String>> {
        Ok(match client {
            "producer" => ProducerConfig::new("h:1")
                .set(key, value)?
                .unused_keys()
                .to_vec(),
            "consumer" => ConsumerConfig::new("h:1")
                .set(key, value)?
                .unused_keys()
                .to_vec(),
            "admin" => AdminConfig::new("h:1")
                .set(key, value)?
                .unused_keys()
                .to_vec(),
            other => panic!("no client {other}"),
        })
    }

    fn assert_taken(client: &str, key: &str) {
        let unused = unused_after(client, key, sample(key))
            .unwrap_or_else(|e| panic!("{key} on the {client}: {e}"));
        assert!(
            unused.is_empty(),
            "{key} is not used by the {client}: {unused:?}"
        );
    }

    /// The clients a row's second cell names: `all`, or a list (with a remark in
    /// brackets after it).
    fn clients(row: &Row) -> Vec<&str> {
        let cell = row.cells[1].split(" (").next().unwrap_or_default();
        match cell {
            "all" => vec!["producer", "consumer", "admin"],
            listed => listed.split(", ").collect(),
        }
    }

    #[test]
    fn every_key_of_the_code_is_in_the_chapter() {
        let documented: BTreeSet<String> = rows(None).into_iter().flat_map(|r| r.keys).collect();
        let missing: Vec<String> = keys_in_code().difference(&documented).cloned().collect();
        assert!(
            missing.is_empty(),
            "keys missing from config_names.md: {missing:?}"
        );
    }

    #[test]
    fn the_settings_tables_list_what_the_configs_take() {
        let mut listed = BTreeSet::new();
        for (title, clients) in [
            ("Every client", &["producer", "consumer", "admin"][..]),
            ("TLS and SASL", &["producer", "consumer", "admin"][..]),
            ("Producer", &["producer"][..]),
            ("Consumer", &["consumer"][..]),
        ] {
            for key in keys(title) {
                for client in clients {
                    assert_taken(client, &key);
                }
                assert!(listed.insert(key.clone()), "{key} is listed twice");
            }
        }
        // No row for a key the code does not take.
        let extra: Vec<String> = listed.difference(&keys_in_code()).cloned().collect();
        assert!(extra.is_empty(), "keys the code does not take: {extra:?}");
        assert_eq!(listed.len(), 67);
    }

    #[test]
    fn refused_keys_are_refused_and_ignored_ones_accepted_unused() {
        for row in rows(Some("Refused keys")) {
            for client in clients(&row) {
                for key in &row.keys {
                    assert!(
                        unused_after(client, key, "x").is_err(),
                        "{key} on the {client}"
                    );
                }
            }
        }
        let mut ignored = 0;
        for row in rows(Some("Java keys accepted and ignored")) {
            let clients = clients(&row);
            for key in &row.keys {
                for client in &clients {
                    let unused = unused_after(client, key, "x")
                        .unwrap_or_else(|e| panic!("{key} on the {client}: {e}"));
                    assert_eq!(unused, std::slice::from_ref(key), "{key} on the {client}");
                }
                ignored += 1;
            }
        }
        assert!(ignored > 70, "{ignored}");
    }
}
