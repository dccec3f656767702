//! The admin commands (`topics`, `groups`, `cluster`, `configs`) on
//! [`KafkaAdminClient`]. Tables go to stdout; notes (a dry run) to stderr. A call on
//! several items prints what succeeded and fails with one line per item that did not.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kafka_sync::admin::{
    AlterConfigOp, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource, ConfigType,
    OffsetSpec,
};
use kafka_sync::{
    AdminConfig, IsolationLevel, KafkaAdminClient, NewTopic, OffsetAndMetadata, TopicPartition,
};

use crate::args::{
    ClusterCommand, Common, ConfigChanges, ConfigsCommand, GroupsCommand, ResetTarget,
    ResourceArgs, TopicsCommand,
};
use crate::config;
use crate::error::{CliError, Result};
use crate::output::{self, ids, or_dash, Table};
use crate::time::parse_rfc3339;

/// An admin client and the time each call may take (`request.timeout.ms`).
struct Admin {
    client: KafkaAdminClient,
    timeout: Duration,
}

impl Admin {
    fn connect(common: &Common) -> Result<Admin> {
        let config: AdminConfig = config::build(common)?;
        let timeout = config.client.request_timeout;
        Ok(Admin {
            client: KafkaAdminClient::new(config)?,
            timeout,
        })
    }
}

/// Ok if `failures` is empty, else the error with one line per failure.
fn finish(failures: Vec<String>) -> Result<()> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::many(failures))
    }
}

pub fn topics(common: &Common, command: &TopicsCommand) -> Result<()> {
    let admin = Admin::connect(common)?;
    let timeout = admin.timeout;
    let admin = &admin.client;
    match command {
        TopicsCommand::List => {
            let mut text = String::new();
            for topic in admin.list_topics(timeout)? {
                text.push_str(&topic);
                text.push('\n');
            }
            output::print(&text);
            Ok(())
        }
        TopicsCommand::Describe { topics } => {
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            let mut text = String::new();
            let mut failures = Vec::new();
            for topic in admin.describe_topics(&names, timeout)? {
                if let Err(e) = topic.error.check(format!("topic {}", topic.name)) {
                    failures.push(e.to_string());
                    continue;
                }
                let replication = topic.partitions.first().map_or(0, |p| p.replicas.len());
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!(
                    "Topic: {}  TopicId: {}  Partitions: {}  ReplicationFactor: {}{}\n",
                    topic.name,
                    URL_SAFE_NO_PAD.encode(topic.topic_id.0),
                    topic.partitions.len(),
                    replication,
                    if topic.is_internal { "  Internal" } else { "" }
                ));
                let mut table = Table::new(&["PARTITION", "LEADER", "REPLICAS", "ISR", "OFFLINE"]);
                for p in &topic.partitions {
                    table.row(vec![
                        p.partition.to_string(),
                        or_dash(p.leader),
                        ids(&p.replicas),
                        ids(&p.isr),
                        if p.offline_replicas.is_empty() {
                            "-".to_owned()
                        } else {
                            ids(&p.offline_replicas)
                        },
                    ]);
                }
                text.push_str(&table.render());
            }
            output::print(&text);
            finish(failures)
        }
        TopicsCommand::Create {
            topic,
            partitions,
            replication_factor,
            configs,
        } => {
            let mut new = NewTopic::new(topic.clone(), *partitions, *replication_factor);
            for (key, value) in configs {
                new = new.config(key.clone(), value.clone());
            }
            let results = admin.create_topics(&[new], timeout)?;
            let mut failures = Vec::new();
            for result in results {
                match result.result {
                    Ok(()) => output::print(&format!("created topic {}\n", result.topic)),
                    Err(e) => failures.push(format!("creating topic {}: {e}", result.topic)),
                }
            }
            finish(failures)
        }
        TopicsCommand::Delete { topics } => {
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            let mut failures = Vec::new();
            for result in admin.delete_topics(&names, timeout)? {
                match result.result {
                    Ok(()) => output::print(&format!("deleted topic {}\n", result.topic)),
                    Err(e) => failures.push(format!("deleting topic {}: {e}", result.topic)),
                }
            }
            finish(failures)
        }
        TopicsCommand::AlterConfig { topic, changes } => alter_configs(
            admin,
            timeout,
            ConfigResource::topic(topic.clone()),
            changes,
        ),
    }
}

pub fn groups(common: &Common, command: &GroupsCommand) -> Result<()> {
    let admin = Admin::connect(common)?;
    let timeout = admin.timeout;
    let admin = &admin.client;
    match command {
        GroupsCommand::List => {
            let mut table = Table::new(&["GROUP", "TYPE", "STATE"]);
            for group in admin.list_consumer_groups(&[], &[], timeout)? {
                table.row(vec![
                    group.group_id,
                    group.group_type.name().to_owned(),
                    group.state.name().to_owned(),
                ]);
            }
            output::print(&table.render());
            Ok(())
        }
        GroupsCommand::Describe { groups } => describe_groups(admin, timeout, groups),
        GroupsCommand::ResetOffsets {
            group,
            topics,
            target,
            execute,
        } => reset_offsets(admin, timeout, group, topics, target, *execute),
        GroupsCommand::Delete { groups } => {
            let names: Vec<&str> = groups.iter().map(String::as_str).collect();
            let mut failures = Vec::new();
            for (group, result) in admin.delete_consumer_groups(&names, timeout)? {
                match result {
                    Ok(()) => output::print(&format!("deleted group {group}\n")),
                    Err(e) => failures.push(format!("deleting group {group}: {e}")),
                }
            }
            finish(failures)
        }
    }
}

/// `groups describe`: a line about each group, then a table of its partitions (those
/// it committed offsets for and those its members own) with committed offset, end
/// offset, lag and owner.
fn describe_groups(admin: &KafkaAdminClient, timeout: Duration, groups: &[String]) -> Result<()> {
    let names: Vec<&str> = groups.iter().map(String::as_str).collect();
    let described = admin.describe_consumer_groups(&names, timeout)?;
    let mut text = String::new();
    let mut failures = Vec::new();
    for name in &names {
        let description = match described.get(*name) {
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                failures.push(format!("group {name}: {e}"));
                continue;
            }
            None => {
                failures.push(format!("group {name}: the coordinator did not describe it"));
                continue;
            }
        };
        let lags = match admin.consumer_group_lag(name, timeout) {
            Ok(lags) => lags,
            Err(e) => {
                failures.push(format!("group {name}: the offsets and lag: {e}"));
                continue;
            }
        };
        // Who owns each partition.
        let mut owners: BTreeMap<TopicPartition, (&str, &str, &str)> = BTreeMap::new();
        for member in &description.members {
            for tp in &member.assignment {
                owners.insert(
                    tp.clone(),
                    (&member.member_id, &member.client_id, &member.host),
                );
            }
        }
        // Owned partitions without a committed offset still have an end offset.
        let uncommitted: BTreeMap<TopicPartition, OffsetSpec> = owners
            .keys()
            .filter(|tp| !lags.contains_key(*tp))
            .map(|tp| (tp.clone(), OffsetSpec::Latest))
            .collect();
        let ends = if uncommitted.is_empty() {
            BTreeMap::new()
        } else {
            admin.list_offsets(&uncommitted, IsolationLevel::ReadUncommitted, timeout)?
        };
        if !text.is_empty() {
            text.push('\n');
        }
        let members = description.members.len();
        text.push_str(&format!(
            "Group: {}  State: {}  Type: {}  Coordinator: {}  Assignor: {}  Members: {}\n",
            description.group_id,
            description.state.name(),
            description.group_type.name(),
            description.coordinator,
            if description.partition_assignor.is_empty() {
                "-"
            } else {
                &description.partition_assignor
            },
            members,
        ));
        let mut table = Table::new(&[
            "TOPIC",
            "PARTITION",
            "COMMITTED",
            "END",
            "LAG",
            "MEMBER-ID",
            "CLIENT-ID",
            "HOST",
        ]);
        let partitions: BTreeSet<&TopicPartition> = lags.keys().chain(owners.keys()).collect();
        for tp in partitions {
            let (committed, end, lag) = match lags.get(tp) {
                Some(Ok(l)) => (
                    or_dash(l.committed),
                    l.end_offset.to_string(),
                    or_dash(l.lag),
                ),
                Some(Err(e)) => {
                    failures.push(format!("group {name}: {tp}: {e}"));
                    ("-".into(), "-".into(), "-".into())
                }
                None => match ends.get(tp) {
                    Some(Ok(end)) => (
                        "-".into(),
                        or_dash(end.as_ref().map(|o| o.offset)),
                        "-".into(),
                    ),
                    Some(Err(e)) => {
                        failures.push(format!("group {name}: the end offset of {tp}: {e}"));
                        ("-".into(), "-".into(), "-".into())
                    }
                    None => ("-".into(), "-".into(), "-".into()),
                },
            };
            let (member, client, host) = owners.get(tp).copied().unwrap_or(("-", "-", "-"));
            table.row(vec![
                tp.topic.clone(),
                tp.partition.to_string(),
                committed,
                end,
                lag,
                member.to_owned(),
                client.to_owned(),
                host.to_owned(),
            ]);
        }
        text.push_str(&table.render());
    }
    output::print(&text);
    finish(failures)
}

/// The partitions `--topic TOPIC[:P,...]` names (all of the topic's without a list).
fn reset_partitions(
    admin: &KafkaAdminClient,
    timeout: Duration,
    specs: &[String],
) -> Result<BTreeSet<TopicPartition>> {
    let mut partitions = BTreeSet::new();
    let mut whole: Vec<&str> = Vec::new();
    for spec in specs {
        match spec.split_once(':') {
            Some((topic, list)) => {
                for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let p: i32 = p.parse().map_err(|_| {
                        CliError::new(format!("--topic {spec}: `{p}` is not a partition number"))
                    })?;
                    partitions.insert(TopicPartition::new(topic, p));
                }
            }
            None => whole.push(spec),
        }
    }
    if !whole.is_empty() {
        for topic in admin.describe_topics(&whole, timeout)? {
            topic.error.check(format!("topic {}", topic.name))?;
            for p in &topic.partitions {
                partitions.insert(TopicPartition::new(topic.name.clone(), p.partition));
            }
        }
    }
    Ok(partitions)
}

/// Looks up one kind of offset of each partition.
fn offsets_at(
    admin: &KafkaAdminClient,
    timeout: Duration,
    partitions: &BTreeSet<TopicPartition>,
    spec: OffsetSpec,
) -> Result<BTreeMap<TopicPartition, Option<i64>>> {
    let specs: BTreeMap<TopicPartition, OffsetSpec> =
        partitions.iter().map(|tp| (tp.clone(), spec)).collect();
    let mut found = BTreeMap::new();
    for (tp, result) in admin.list_offsets(&specs, IsolationLevel::ReadUncommitted, timeout)? {
        let offset =
            result.map_err(|e| CliError::from(e).context(format!("the offsets of {tp}")))?;
        found.insert(tp, offset.map(|o| o.offset));
    }
    Ok(found)
}

/// `groups reset-offsets`: the plan (current and new offset of each partition), then,
/// with `--execute`, the change.
fn reset_offsets(
    admin: &KafkaAdminClient,
    timeout: Duration,
    group: &str,
    topics: &[String],
    target: &ResetTarget,
    execute: bool,
) -> Result<()> {
    // Checked before anything is asked of the brokers.
    let datetime = match &target.to_datetime {
        Some(text) => {
            let at =
                parse_rfc3339(text).map_err(|e| CliError::new(format!("--to-datetime: {e}")))?;
            if at < 0 {
                return Err(CliError::new(format!(
                    "--to-datetime {text} is before 1970"
                )));
            }
            Some(at)
        }
        None => None,
    };
    let partitions = reset_partitions(admin, timeout, topics)?;
    if partitions.is_empty() {
        return Err(CliError::new("no partitions to reset"));
    }
    let earliest = || offsets_at(admin, timeout, &partitions, OffsetSpec::Earliest);
    let latest = || offsets_at(admin, timeout, &partitions, OffsetSpec::Latest);
    let planned: BTreeMap<TopicPartition, i64> = if target.to_earliest {
        earliest()?
            .into_iter()
            .map(|(tp, o)| (tp, o.unwrap_or(0)))
            .collect()
    } else if target.to_latest {
        latest()?
            .into_iter()
            .map(|(tp, o)| (tp, o.unwrap_or(0)))
            .collect()
    } else if let Some(offset) = target.to_offset {
        let (low, high) = (earliest()?, latest()?);
        partitions
            .iter()
            .map(|tp| {
                let low = low.get(tp).copied().flatten().unwrap_or(0);
                let high = high.get(tp).copied().flatten().unwrap_or(0);
                (tp.clone(), offset.clamp(low, high.max(low)))
            })
            .collect()
    } else if let Some(at) = datetime {
        let found = offsets_at(admin, timeout, &partitions, OffsetSpec::Timestamp(at))?;
        let high = latest()?;
        found
            .into_iter()
            .map(|(tp, o)| {
                let end = high.get(&tp).copied().flatten().unwrap_or(0);
                (tp, o.unwrap_or(end))
            })
            .collect()
    } else {
        return Err(CliError::new(
            "one of --to-earliest, --to-latest, --to-offset, --to-datetime is needed",
        ));
    };
    let tps: Vec<TopicPartition> = partitions.iter().cloned().collect();
    let current = admin.list_consumer_group_offsets(group, Some(&tps), timeout)?;
    let mut table = Table::new(&["TOPIC", "PARTITION", "CURRENT", "NEW"]);
    for (tp, new) in &planned {
        let now = match current.get(tp) {
            Some(Ok(Some(om))) => om.offset.to_string(),
            _ => "-".to_owned(),
        };
        table.row(vec![
            tp.topic.clone(),
            tp.partition.to_string(),
            now,
            new.to_string(),
        ]);
    }
    output::print(&table.render());
    if !execute {
        eprintln!("dry run: group {group} is unchanged; pass --execute to move its offsets");
        return Ok(());
    }
    let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = planned
        .iter()
        .map(|(tp, &offset)| (tp.clone(), OffsetAndMetadata::new(offset)))
        .collect();
    let mut failures = Vec::new();
    for (tp, result) in admin.alter_consumer_group_offsets(group, &offsets, timeout)? {
        if let Err(e) = result {
            failures.push(format!(
                "resetting the offset of {tp} for group {group}: {e}"
            ));
        }
    }
    finish(failures)
}

pub fn cluster(common: &Common, command: &ClusterCommand) -> Result<()> {
    let admin = Admin::connect(common)?;
    let timeout = admin.timeout;
    let admin = &admin.client;
    let cluster = admin.describe_cluster(timeout)?;
    match command {
        ClusterCommand::Describe => {
            let mut text = format!(
                "Cluster: {}  Controller: {}\n",
                cluster.cluster_id.as_deref().unwrap_or("-"),
                or_dash(cluster.controller.as_ref().map(|n| n.id)),
            );
            let mut table = Table::new(&["BROKER", "HOST", "PORT", "RACK"]);
            for node in &cluster.brokers {
                table.row(vec![
                    node.id.to_string(),
                    node.host.clone(),
                    node.port.to_string(),
                    or_dash(node.rack.as_deref()),
                ]);
            }
            text.push_str(&table.render());
            output::print(&text);
            Ok(())
        }
        ClusterCommand::ApiVersions => {
            let mut text = String::new();
            for (id, versions) in admin.broker_api_versions(timeout)? {
                let address = cluster
                    .brokers
                    .iter()
                    .find(|n| n.id == id)
                    .map_or_else(String::new, |n| format!(" ({}:{})", n.host, n.port));
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("Broker: {id}{address}\n"));
                let mut table = Table::new(&["API", "KEY", "MIN", "MAX", "USED"]);
                for (key, (min, max)) in versions.iter() {
                    table.row(vec![
                        key.name().to_owned(),
                        key.0.to_string(),
                        min.to_string(),
                        max.to_string(),
                        or_dash(versions.negotiate(key)),
                    ]);
                }
                text.push_str(&table.render());
            }
            output::print(&text);
            Ok(())
        }
    }
}

/// The resource `--topic`, `--broker` or `--group` names.
fn resource(args: &ResourceArgs) -> Result<ConfigResource> {
    match (&args.topic, args.broker, &args.group) {
        (Some(topic), None, None) => Ok(ConfigResource::topic(topic.clone())),
        (None, Some(id), None) => Ok(ConfigResource::broker(id)),
        (None, None, Some(group)) => Ok(ConfigResource::group(group.clone())),
        _ => Err(CliError::new("name one of --topic, --broker, --group")),
    }
}

/// `topic events`, `broker 1`, `group billing`.
fn describe_resource(resource: &ConfigResource) -> String {
    let kind = match resource.resource_type {
        ConfigResourceType::Topic => "topic",
        ConfigResourceType::Broker => "broker",
        ConfigResourceType::BrokerLogger => "broker logger",
        ConfigResourceType::ClientMetrics => "client metrics",
        ConfigResourceType::Group => "group",
    };
    format!("{kind} {}", resource.name)
}

/// `DYNAMIC_TOPIC_CONFIG`, as Kafka's tools name the sources.
fn source_name(source: ConfigSource) -> String {
    let camel = format!("{source:?}");
    let mut name = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// What `configs describe` shows as the value: never a sensitive one.
fn shown_value(entry: &ConfigEntry) -> String {
    if entry.sensitive || entry.config_type == ConfigType::Password {
        "(sensitive, hidden)".to_owned()
    } else {
        or_dash(entry.value.as_deref())
    }
}

pub fn configs(common: &Common, command: &ConfigsCommand) -> Result<()> {
    let admin = Admin::connect(common)?;
    let timeout = admin.timeout;
    let admin = &admin.client;
    match command {
        ConfigsCommand::Describe { resource: args } => {
            let resource = resource(args)?;
            let mut described = admin.describe_configs(std::slice::from_ref(&resource), timeout)?;
            let entries = described
                .remove(&resource)
                .unwrap_or_else(|| {
                    Err(kafka_sync::KafkaError::new(
                        kafka_sync::ErrorKind::UnexpectedResponse,
                        "the broker did not describe it",
                    ))
                })
                .map_err(|e| CliError::from(e).context(describe_resource(&resource)))?;
            let mut entries = entries;
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            let mut table = Table::new(&["NAME", "VALUE", "SOURCE", "READ-ONLY"]);
            for entry in &entries {
                table.row(vec![
                    entry.name.clone(),
                    shown_value(entry),
                    source_name(entry.source),
                    if entry.read_only { "yes" } else { "no" }.to_owned(),
                ]);
            }
            output::print(&table.render());
            Ok(())
        }
        ConfigsCommand::Alter {
            resource: args,
            changes,
        } => alter_configs(admin, timeout, resource(args)?, changes),
    }
}

/// Sets and deletes configs of one resource; prints the names changed (never the
/// values: they may be secrets).
fn alter_configs(
    admin: &KafkaAdminClient,
    timeout: Duration,
    resource: ConfigResource,
    changes: &ConfigChanges,
) -> Result<()> {
    let mut ops: Vec<AlterConfigOp> = Vec::new();
    for (key, value) in &changes.set {
        ops.push(AlterConfigOp::set(key.clone(), value.clone()));
    }
    for key in &changes.delete {
        ops.push(AlterConfigOp::delete(key.clone()));
    }
    let what = describe_resource(&resource);
    let request = BTreeMap::from([(resource, ops)]);
    for (_, result) in admin.incremental_alter_configs(&request, false, timeout)? {
        result.map_err(|e| CliError::from(e).context(format!("altering the configs of {what}")))?;
    }
    let mut done = Vec::new();
    if !changes.set.is_empty() {
        let names: Vec<&str> = changes.set.iter().map(|(k, _)| k.as_str()).collect();
        done.push(format!("set {}", names.join(", ")));
    }
    if !changes.delete.is_empty() {
        done.push(format!("deleted {}", changes.delete.join(", ")));
    }
    output::print(&format!(
        "altered the configs of {what}: {}\n",
        done.join("; ")
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_named_as_kafka_names_them() {
        assert_eq!(
            source_name(ConfigSource::DynamicTopicConfig),
            "DYNAMIC_TOPIC_CONFIG"
        );
        assert_eq!(source_name(ConfigSource::DefaultConfig), "DEFAULT_CONFIG");
    }
}
