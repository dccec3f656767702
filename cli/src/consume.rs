//! `consume`: records of a topic to stdout, raw or as JSON lines.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use kafka_sync::record::TimestampType;
use kafka_sync::{
    ConsumerConfig, ConsumerRecord, IsolationLevel, KafkaConsumer, OffsetAndMetadata, OffsetReset,
    TopicPartition,
};
use serde_json::Value;

use crate::args::{Common, ConsumeArgs, FormatArg, IsolationArg};
use crate::config;
use crate::error::{CliError, Result};
use crate::output;

/// How often a group member commits what it printed.
const COMMIT_INTERVAL: Duration = Duration::from_secs(5);
/// The longest single `poll()`: the loop checks its stop conditions at least this often.
const POLL_SLICE: Duration = Duration::from_millis(500);
/// The least time the start-up lookups get when `--timeout-ms` is shorter.
const MIN_LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);

/// One record as a JSON object, its fields in the documented order (the schema is in
/// the command's long help and cli/README.md).
pub fn record_json(record: &ConsumerRecord) -> String {
    let headers: Vec<String> = record
        .headers
        .iter()
        .map(|h| {
            format!(
                "{{\"key\":{},\"value\":{}}}",
                Value::String(h.key.clone()),
                output::data(h.value.as_deref())
            )
        })
        .collect();
    format!(
        "{{\"topic\":{},\"partition\":{},\"offset\":{},\"timestamp\":{},\"timestamp_type\":\"{}\",\
         \"key\":{},\"value\":{},\"headers\":[{}]}}",
        Value::String(record.topic.to_string()),
        record.partition,
        record.offset,
        record.timestamp,
        match record.timestamp_type {
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        },
        output::data(record.key.as_deref()),
        output::data(record.value.as_deref()),
        headers.join(",")
    )
}

/// Writes one record in the chosen format.
fn write_record(
    out: &mut impl Write,
    record: &ConsumerRecord,
    args: &ConsumeArgs,
) -> io::Result<()> {
    match args.format {
        FormatArg::Value => {
            if let Some(sep) = &args.key_separator {
                out.write_all(record.key.as_deref().unwrap_or_default())?;
                out.write_all(sep.as_bytes())?;
            }
            out.write_all(record.value.as_deref().unwrap_or_default())?;
        }
        FormatArg::Json => out.write_all(record_json(record).as_bytes())?,
    }
    out.write_all(b"\n")
}

pub fn run(common: &Common, args: &ConsumeArgs) -> Result<()> {
    let mut config: ConsumerConfig = config::build(common)?;
    if let Some(group) = &args.group {
        config = config.group_id(group.clone());
    }
    if args.from_beginning {
        config = config.auto_offset_reset(OffsetReset::Earliest);
    }
    if let Some(level) = args.isolation_level {
        config = config.isolation_level(match level {
            IsolationArg::ReadCommitted => IsolationLevel::ReadCommitted,
            IsolationArg::ReadUncommitted => IsolationLevel::ReadUncommitted,
        });
    }
    // The tool commits exactly what it printed; auto-commit would commit positions
    // past records fetched but not printed (after --max-messages).
    config = config.enable_auto_commit(false);
    let idle_timeout = args.timeout_ms.map(Duration::from_millis);
    if let Some(timeout) = idle_timeout {
        let limit = timeout.max(MIN_LOOKUP_TIMEOUT);
        config.default_api_timeout = config.default_api_timeout.min(limit);
    }
    // The group of --group, or of group.id in --command-config or -X.
    let grouped = config.group_id.is_some();
    let mut consumer = KafkaConsumer::new(config)?;
    let topic = args.topic.as_str();
    let partitions = consumer
        .partitions_for_topic(topic)
        .map_err(|e| CliError::from(e).context(format!("looking up topic {topic}")))?
        .ok_or_else(|| CliError::new(format!("topic {topic} does not exist")))?;
    let all: Vec<TopicPartition> = partitions
        .iter()
        .map(|&p| TopicPartition::new(topic, p))
        .collect();
    match args.partition {
        Some(p) => {
            if !partitions.contains(&p) {
                return Err(CliError::new(format!(
                    "topic {topic} has no partition {p} (it has {})",
                    partitions.len()
                )));
            }
            let tp = TopicPartition::new(topic, p);
            consumer.assign(std::slice::from_ref(&tp))?;
            if let Some(offset) = args.offset {
                consumer.seek(&tp, offset)?;
            }
        }
        None if grouped => consumer.subscribe(&[topic])?,
        None => consumer.assign(&all)?,
    }
    let ends = if args.exit_at_end {
        consumer.end_offsets(&all)?
    } else {
        BTreeMap::new()
    };

    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut printed: u64 = 0;
    let mut to_commit: BTreeMap<TopicPartition, OffsetAndMetadata> = BTreeMap::new();
    let mut committed: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    let mut next_commit = Instant::now() + COMMIT_INTERVAL;
    let mut at_end: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut last_record = Instant::now();
    let mut failure: Option<CliError> = None;
    'consume: loop {
        if args.max_messages.is_some_and(|max| printed >= max) {
            break;
        }
        if args.exit_at_end {
            match reached_end(&mut consumer, &ends, &mut at_end) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let mut wait = POLL_SLICE;
        if let Some(timeout) = idle_timeout {
            let idle = last_record.elapsed();
            if idle >= timeout {
                break;
            }
            wait = wait.min(timeout - idle);
        }
        let records = match consumer.poll(wait) {
            Ok(records) => records,
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        };
        if !records.is_empty() {
            last_record = Instant::now();
        }
        for record in &records {
            if args.max_messages.is_some_and(|max| printed >= max) {
                break;
            }
            let tp = record.topic_partition();
            // With --exit-at-end, what came after the start is not part of the run.
            if ends.get(&tp).is_some_and(|&end| record.offset >= end) {
                continue;
            }
            if let Err(e) = write_record(&mut out, record, args) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    failure = Some(CliError::new(format!("cannot write to stdout: {e}")));
                }
                break 'consume;
            }
            printed += 1;
            to_commit.insert(tp, OffsetAndMetadata::new(record.offset + 1));
        }
        if let Err(e) = out.flush() {
            if e.kind() != io::ErrorKind::BrokenPipe {
                failure = Some(CliError::new(format!("cannot write to stdout: {e}")));
            }
            break;
        }
        if grouped && Instant::now() >= next_commit {
            if let Err(e) = commit(&mut consumer, &to_commit, &mut committed) {
                failure = Some(e);
                break;
            }
            next_commit = Instant::now() + COMMIT_INTERVAL;
        }
    }
    // The records printed were written out (or the reader is gone); flush errors of
    // a closed pipe change nothing now.
    let _ = out.flush();
    if grouped {
        if let Err(e) = commit(&mut consumer, &to_commit, &mut committed) {
            failure.get_or_insert(e);
        }
    }
    let closed = consumer.close();
    if let Some(e) = failure {
        return Err(e);
    }
    closed?;
    Ok(())
}

/// Commits the offsets after the records printed that were not committed yet.
fn commit(
    consumer: &mut KafkaConsumer,
    printed: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    committed: &mut BTreeMap<TopicPartition, i64>,
) -> Result<()> {
    let pending: BTreeMap<TopicPartition, OffsetAndMetadata> = printed
        .iter()
        .filter(|(tp, om)| committed.get(*tp) != Some(&om.offset))
        .map(|(tp, om)| (tp.clone(), om.clone()))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    consumer
        .commit_offsets(&pending)
        .map_err(|e| CliError::from(e).context("committing the offsets of the records printed"))?;
    committed.extend(pending.into_iter().map(|(tp, om)| (tp, om.offset)));
    Ok(())
}

/// Whether every assigned partition's position reached its end offset of the start
/// (`ends`); those that did are remembered in `done`. A group member that has no
/// partitions yet is not done.
fn reached_end(
    consumer: &mut KafkaConsumer,
    ends: &BTreeMap<TopicPartition, i64>,
    done: &mut BTreeSet<TopicPartition>,
) -> Result<bool> {
    let assigned = consumer.assignment();
    if assigned.is_empty() {
        return Ok(false);
    }
    for tp in &assigned {
        if done.contains(tp) {
            continue;
        }
        let Some(&end) = ends.get(tp) else {
            // A partition added since the start: it had nothing then.
            done.insert(tp.clone());
            continue;
        };
        if consumer.position(tp)? >= end {
            done.insert(tp.clone());
        } else {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_sync::Header;
    use std::sync::Arc;

    #[test]
    fn json_lines_follow_the_documented_schema() {
        let record = ConsumerRecord {
            topic: Arc::from("events"),
            partition: 2,
            offset: 41,
            timestamp: 1_700_000_000_123,
            timestamp_type: TimestampType::CreateTime,
            key: Some(b"user-1".to_vec().into()),
            value: Some(b"\xff\xfe".to_vec().into()),
            headers: vec![
                Header {
                    key: "trace".into(),
                    value: Some(b"abc".to_vec().into()),
                },
                Header {
                    key: "none".into(),
                    value: None,
                },
            ],
            leader_epoch: None,
        };
        assert_eq!(
            record_json(&record),
            r#"{"topic":"events","partition":2,"offset":41,"timestamp":1700000000123,"timestamp_type":"CreateTime","key":"user-1","value":{"base64":"//4="},"headers":[{"key":"trace","value":"abc"},{"key":"none","value":null}]}"#
        );
    }
}
