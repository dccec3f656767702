//! The `kafka-sync` tool end to end on Apache Kafka (the root crate's broker harness,
//! or the broker `KAFKA_BOOTSTRAP` names): bytes from stdin to a topic and back to
//! stdout unchanged, JSON lines field by field, group lag against the admin client,
//! offset resets, the connection flags anywhere on the line, and properties files.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::produce::{TestProducer, TestRecord};
use kafka_sync::{Header, TopicPartition};
use serde_json::Value;
use support::kafka_sync;

const TIMEOUT: Duration = Duration::from_secs(30);

fn header(key: &str, value: Option<&[u8]>) -> Header {
    Header {
        key: key.to_owned(),
        value: value.map(|v| v.to_vec().into()),
    }
}

/// `consume TOPIC --from-beginning --exit-at-end` plus `extra`, on the shared broker.
fn consume_all(topic: &str, extra: &[&str]) -> support::Run {
    let bootstrap = common::bootstrap();
    let mut args = vec![
        "consume",
        topic,
        "--from-beginning",
        "--exit-at-end",
        "--bootstrap-server",
        &bootstrap,
    ];
    args.extend_from_slice(extra);
    kafka_sync(&args, b"").success()
}

#[test]
fn keyed_lines_with_headers_go_through_byte_for_byte() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-keyed");
    common::create_topic(&topic, 1);
    // A tab-separated key on each line: UTF-8, bytes that are not UTF-8 (in key and
    // value), an empty key, an empty value, a second separator inside the value, a
    // carriage return that is part of the value.
    let input: &[u8] =
        b"k1\tplain value\n\xff\xfekey\tv\xff\x00bin\n\tempty key\nk4\t\nk5\twith\ttab\r\n";
    let produced = kafka_sync(
        &[
            "produce",
            &topic,
            "--key-separator",
            "\t",
            "--header",
            "origin=cli",
            "--header",
            "eq=a=b",
            "--bootstrap-server",
            &bootstrap,
        ],
        input,
    )
    .success();
    assert!(
        produced.stderr.contains("produced 5 of 5 records") && produced.stderr.contains("0 errors"),
        "summary: {}",
        produced.stderr
    );

    // What the broker has, read without the tool.
    let records = common::fetch::fetch_until_end(&bootstrap, &topic, 0, TIMEOUT);
    let expected: [(&[u8], &[u8]); 5] = [
        (b"k1", b"plain value"),
        (b"\xff\xfekey", b"v\xff\x00bin"),
        (b"", b"empty key"),
        (b"k4", b""),
        (b"k5", b"with\ttab\r"),
    ];
    assert_eq!(records.len(), expected.len(), "{records:?}");
    for (record, (key, value)) in records.iter().zip(expected) {
        assert_eq!(record.key.as_deref(), Some(key), "{record:?}");
        assert_eq!(record.value.as_deref(), Some(value), "{record:?}");
        assert_eq!(
            record.headers,
            [header("origin", Some(b"cli")), header("eq", Some(b"a=b"))],
            "{record:?}"
        );
    }

    // And back out: the same bytes as went in.
    let consumed = consume_all(&topic, &["--key-separator", "\t"]);
    assert_eq!(
        consumed.stdout,
        input,
        "{:?}",
        String::from_utf8_lossy(&consumed.stdout)
    );
}

#[test]
fn unkeyed_lines_and_whole_files_go_through_byte_for_byte() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-lines");
    common::create_topic(&topic, 1);
    let input: &[u8] = b"first\n\n\x80\x81\xfe not UTF-8\nh\xc3\xa9llo\nno final newline";
    kafka_sync(&["produce", &topic, "-b", &bootstrap], input).success();
    let records = common::fetch::fetch_until_end(&bootstrap, &topic, 0, TIMEOUT);
    let values: Vec<&[u8]> = records
        .iter()
        .map(|r| r.value.as_deref().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            &b"first"[..],
            b"",
            b"\x80\x81\xfe not UTF-8",
            b"h\xc3\xa9llo",
            b"no final newline"
        ]
    );
    assert!(records
        .iter()
        .all(|r| r.key.is_none() && r.headers.is_empty()));
    let consumed = consume_all(&topic, &[]);
    assert_eq!(consumed.stdout, [input, b"\n"].concat());

    // --file: the whole file, newlines and all, as one record.
    let path = std::env::temp_dir().join(format!("{topic}.bin"));
    let contents: &[u8] = b"line 1\nline 2\n\xff\x00";
    std::fs::write(&path, contents).expect("write the file");
    let path_text = path.to_string_lossy().into_owned();
    kafka_sync(
        &["produce", &topic, "--file", &path_text, "-b", &bootstrap],
        b"",
    )
    .success();
    std::fs::remove_file(&path).ok();
    let records = common::fetch::fetch_until_end(&bootstrap, &topic, 0, TIMEOUT);
    assert_eq!(records.len(), 6);
    assert_eq!(records[5].value.as_deref(), Some(contents));
}

#[test]
fn a_line_without_the_key_separator_fails_alone() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-noseparator");
    common::create_topic(&topic, 1);
    let run = kafka_sync(
        &["produce", &topic, "--key-separator", "=", "-b", &bootstrap],
        b"a=1\nno separator here\nb=2\n",
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let lines = run.stderr_lines();
    assert!(lines[0].contains("produced 2 of 3 records"), "{lines:?}");
    assert!(lines[0].contains("1 errors"), "{lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1].starts_with("kafka-sync: 1 record failed")
            && lines[1].contains("line 2 has no key separator"),
        "{lines:?}"
    );
    let records = common::fetch::fetch_until_end(&bootstrap, &topic, 0, TIMEOUT);
    let keys: Vec<&[u8]> = records.iter().map(|r| r.key.as_deref().unwrap()).collect();
    assert_eq!(keys, [&b"a"[..], b"b"]);

    // A partition the topic does not have: one line, nothing sent.
    let run = kafka_sync(
        &["produce", &topic, "--partition", "7", "-b", &bootstrap],
        b"x\n",
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("kafka-sync: ") && run.stderr.contains("partition 7"),
        "{}",
        run.stderr
    );
}

/// `DATA` of the JSON schema: the bytes it stands for.
fn data(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Object(o) => {
            assert_eq!(o.len(), 1, "{value}");
            Some(
                STANDARD
                    .decode(o["base64"].as_str().unwrap())
                    .expect("base64"),
            )
        }
        other => panic!("not DATA: {other}"),
    }
}

#[test]
fn json_lines_carry_every_field() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-json");
    common::create_topic(&topic, 2);
    let mut producer = TestProducer::new(&bootstrap);
    producer.send_batch(
        &topic,
        1,
        &[
            TestRecord {
                key: Some(b"k-0".to_vec()),
                value: Some(b"hello".to_vec()),
                headers: vec![
                    header("h", Some(b"v")),
                    header("n", None),
                    header("h", Some(b"\x80")),
                ],
                timestamp: Some(1_600_000_000_000),
            },
            TestRecord {
                key: None,
                value: Some(b"\xff\x00bin".to_vec()),
                headers: vec![],
                timestamp: Some(1_600_000_000_001),
            },
            TestRecord {
                key: Some(b"\xc3".to_vec()),
                value: None,
                headers: vec![],
                timestamp: Some(1_600_000_000_002),
            },
        ],
    );
    let run = consume_all(&topic, &["--format", "json"]);
    let lines: Vec<Value> = run
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (i, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "headers",
            "key",
            "offset",
            "partition",
            "timestamp",
            "timestamp_type",
            "topic",
            "value",
        ];
        expected.sort_unstable();
        let mut fields = fields.clone();
        fields.sort_unstable();
        assert_eq!(fields, expected, "{line}");
        assert_eq!(line["topic"], Value::from(topic.as_str()));
        assert_eq!(line["partition"], Value::from(1));
        assert_eq!(line["offset"], Value::from(i));
        assert_eq!(
            line["timestamp"],
            Value::from(1_600_000_000_000i64 + i as i64)
        );
        assert_eq!(line["timestamp_type"], Value::from("CreateTime"));
    }
    // Text where the bytes are UTF-8, base64 where not, null for null.
    assert_eq!(lines[0]["key"], Value::from("k-0"));
    assert_eq!(lines[0]["value"], Value::from("hello"));
    assert_eq!(
        lines[0]["headers"],
        serde_json::json!([
            {"key": "h", "value": "v"},
            {"key": "n", "value": null},
            {"key": "h", "value": {"base64": "gA=="}},
        ])
    );
    assert_eq!(
        data(&lines[0]["headers"][2]["value"]),
        Some(b"\x80".to_vec())
    );
    assert_eq!(lines[1]["key"], Value::Null);
    assert_eq!(data(&lines[1]["value"]), Some(b"\xff\x00bin".to_vec()));
    assert!(lines[1]["value"].is_object());
    assert_eq!(lines[1]["headers"], serde_json::json!([]));
    assert_eq!(data(&lines[2]["key"]), Some(b"\xc3".to_vec()));
    assert_eq!(lines[2]["value"], Value::Null);

    // --partition with --offset and --max-messages: exactly those records.
    let run = kafka_sync(
        &[
            "consume",
            &topic,
            "--partition",
            "1",
            "--offset",
            "1",
            "--max-messages",
            "1",
            "--format",
            "json",
            "-b",
            &bootstrap,
        ],
        b"",
    )
    .success();
    let lines: Vec<Value> = run
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["offset"], Value::from(1));
}

/// The partition rows of `groups describe`'s table: partition to (committed, end, lag).
fn described_rows(text: &str, topic: &str) -> BTreeMap<i32, (String, String, String)> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("TOPIC "));
    let header: Vec<&str> = lines.next().expect("a table").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "TOPIC",
            "PARTITION",
            "COMMITTED",
            "END",
            "LAG",
            "MEMBER-ID",
            "CLIENT-ID",
            "HOST"
        ]
    );
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .inspect(|cells| {
            assert_eq!(cells.len(), 8, "{cells:?}");
            assert_eq!(cells[0], topic);
        })
        .map(|c| {
            (
                c[1].parse().unwrap(),
                (c[2].to_owned(), c[3].to_owned(), c[4].to_owned()),
            )
        })
        .collect()
}

#[test]
fn groups_describe_shows_the_lag_the_admin_client_reports() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-lag");
    let group = common::unique_topic("cli-lag-group");
    common::create_topic(&topic, 2);
    let mut producer = TestProducer::new(&bootstrap);
    let records = |n: usize| {
        (0..n)
            .map(|i| TestRecord::value(format!("r{i}")))
            .collect::<Vec<_>>()
    };
    producer.send_batch(&topic, 0, &records(6));
    producer.send_batch(&topic, 1, &records(4));

    let run = kafka_sync(
        &[
            "consume",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "7",
            "-b",
            &bootstrap,
        ],
        b"",
    )
    .success();
    assert_eq!(run.stdout_text().lines().count(), 7);

    let described = kafka_sync(&["groups", "describe", &group, "-b", &bootstrap], b"").success();
    let text = described.stdout_text();
    assert!(
        text.starts_with(&format!("Group: {group}  State: Empty")),
        "{text}"
    );
    let rows = described_rows(&text, &topic);
    let lag = common::admin()
        .consumer_group_lag(&group, TIMEOUT)
        .expect("lag");
    assert_eq!(rows.len(), lag.len(), "{text}");
    let mut committed_total = 0;
    for (tp, partition_lag) in &lag {
        let partition_lag = partition_lag.as_ref().expect("a partition's lag");
        let committed = partition_lag.committed.expect("a committed offset");
        committed_total += committed;
        assert_eq!(
            rows[&tp.partition],
            (
                committed.to_string(),
                partition_lag.end_offset.to_string(),
                partition_lag.lag.unwrap().to_string()
            ),
            "{text}"
        );
    }
    // The tool committed exactly what it printed: 7 of the 10 records.
    assert_eq!(committed_total, 7, "{text}");
    assert_eq!(rows[&0].1, "6");
    assert_eq!(rows[&1].1, "4");
}

#[test]
fn reset_offsets_to_earliest_moves_where_the_group_starts() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-reset");
    let group = common::unique_topic("cli-reset-group");
    common::create_topic(&topic, 1);
    let input = b"one\ntwo\nthree\nfour\nfive\n";
    kafka_sync(&["produce", &topic, "-b", &bootstrap], input).success();
    let first = consume_all(&topic, &["--group", &group]);
    assert_eq!(first.stdout, input);
    let admin = common::admin();
    let tp = TopicPartition::new(&topic, 0);
    let committed = |admin: &kafka_sync::KafkaAdminClient| {
        let offsets = admin
            .list_consumer_group_offsets(&group, None, TIMEOUT)
            .expect("committed offsets");
        offsets[&tp].clone().expect("the offset").map(|o| o.offset)
    };
    assert_eq!(committed(&admin), Some(5));

    // A dry run shows the plan and changes nothing.
    let reset = [
        "groups",
        "reset-offsets",
        &group,
        "--topic",
        &topic,
        "--to-earliest",
        "-b",
        &bootstrap,
    ];
    let dry = kafka_sync(&reset, b"").success();
    assert_eq!(
        dry.stdout_text(),
        format!(
            "TOPIC{pad}  PARTITION  CURRENT  NEW\n{topic}  0          5        0\n",
            pad = " ".repeat(topic.len() - 5)
        )
    );
    assert!(dry.stderr.contains("dry run"), "{}", dry.stderr);
    assert_eq!(committed(&admin), Some(5));

    let executed = kafka_sync(&[&reset[..], &["--execute"]].concat(), b"").success();
    assert_eq!(executed.stdout, dry.stdout);
    assert_eq!(committed(&admin), Some(0));

    // A member of the group now starts at the beginning (without --from-beginning the
    // tool would start at the end where the group has no offset).
    let again = kafka_sync(
        &[
            "consume",
            &topic,
            "--group",
            &group,
            "--exit-at-end",
            "-b",
            &bootstrap,
        ],
        b"",
    )
    .success();
    assert_eq!(again.stdout, input);
    assert_eq!(committed(&admin), Some(5));
}

#[test]
fn connection_flags_go_before_or_after_the_command() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-flags");
    common::create_topic(&topic, 3);
    let runs = [
        vec![
            "--bootstrap-server",
            &bootstrap,
            "topics",
            "describe",
            &topic,
        ],
        vec![
            "topics",
            "describe",
            &topic,
            "--bootstrap-server",
            &bootstrap,
        ],
        vec![
            "topics",
            "-X",
            "client.id=flags",
            "describe",
            "-b",
            &bootstrap,
            &topic,
        ],
        vec![
            "-X",
            "request.timeout.ms=20000",
            "topics",
            "describe",
            &topic,
            "-b",
            &bootstrap,
        ],
    ];
    let outputs: Vec<String> = runs
        .iter()
        .map(|args| kafka_sync(args, b"").success().stdout_text())
        .collect();
    assert!(
        outputs[0].starts_with(&format!("Topic: {topic}  TopicId: ")),
        "{}",
        outputs[0]
    );
    assert!(
        outputs[0].contains("Partitions: 3  ReplicationFactor: 1"),
        "{}",
        outputs[0]
    );
    for output in &outputs[1..] {
        assert_eq!(output, &outputs[0]);
    }
    let listed = kafka_sync(&["topics", "list", "-b", &bootstrap], b"").success();
    assert!(
        listed.stdout_text().lines().any(|l| l == topic),
        "{}",
        listed.stdout_text()
    );
}

#[test]
fn a_command_config_file_serves_every_kind_of_client() {
    let bootstrap = common::bootstrap();
    let topic = common::unique_topic("cli-properties");
    let group = common::unique_topic("cli-properties-group");
    common::create_topic(&topic, 1);
    let path = std::env::temp_dir().join(format!("{topic}.properties"));
    // One file for all: group.id is for consumers only, acks for producers only.
    std::fs::write(
        &path,
        format!(
            "# shared by every client\nbootstrap.servers={bootstrap}\nclient.id=cli-test\n\
             group.id={group}\nacks=all\n"
        ),
    )
    .expect("write the properties file");
    let file = path.to_string_lossy().into_owned();
    kafka_sync(
        &["produce", &topic, "--command-config", &file],
        b"one\ntwo\n",
    )
    .success();
    let consumed = kafka_sync(
        &[
            "--command-config",
            &file,
            "consume",
            &topic,
            "--from-beginning",
            "--exit-at-end",
        ],
        b"",
    )
    .success();
    assert_eq!(consumed.stdout, b"one\ntwo\n");
    // The consumer took the group from the file and committed to it.
    let offsets = common::admin()
        .list_consumer_group_offsets(&group, None, TIMEOUT)
        .expect("committed offsets");
    let committed = offsets[&TopicPartition::new(&topic, 0)]
        .clone()
        .expect("offset");
    assert_eq!(committed.map(|o| o.offset), Some(2));
    let listed = kafka_sync(&["topics", "list", "--command-config", &file], b"").success();
    assert!(listed.stdout_text().lines().any(|l| l == topic));

    // A bad value in the file: one line naming the file and the key.
    std::fs::write(
        &path,
        format!("bootstrap.servers={bootstrap}\nrequest.timeout.ms=soon\n"),
    )
    .expect("rewrite the properties file");
    let run = kafka_sync(&["topics", "list", "--command-config", &file], b"");
    std::fs::remove_file(&path).ok();
    assert_eq!(run.status, Some(1));
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("kafka-sync: --command-config {file}: "))
            && run.stderr.contains("request.timeout.ms"),
        "{}",
        run.stderr
    );
}
