//! Configs of topics, brokers, broker loggers and groups: `describe_configs` (with
//! synonyms and documentation), `incremental_alter_configs` (set, delete, append,
//! subtract) and the legacy whole-set `alter_configs`.
//!
//! A broker's own configs (and its loggers) are asked of that broker; everything else
//! goes to any broker, which forwards changes to the controller.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::routing::send_to_any_or;
use super::{item_result, KafkaAdminClient};
use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    AlterConfigsRequest, AlterConfigsRequestConfig, AlterConfigsRequestResource,
    DescribeConfigsRequest, DescribeConfigsRequestResource, DescribeConfigsResponseConfig,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequestConfig,
    IncrementalAlterConfigsRequestResource,
};
use crate::protocol::Request;

/// What kind of thing a [`ConfigResource`] names (the wire codes of Kafka's
/// `ConfigResource.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigResourceType {
    /// A topic.
    Topic,
    /// A broker (its id), or with an empty name the cluster-wide broker defaults.
    Broker,
    /// A broker's log4j loggers (by broker id).
    BrokerLogger,
    /// A client metrics subscription (KIP-714).
    ClientMetrics,
    /// A consumer group (KIP-848 group configs).
    Group,
}

impl ConfigResourceType {
    fn code(self) -> i8 {
        match self {
            ConfigResourceType::Topic => 2,
            ConfigResourceType::Broker => 4,
            ConfigResourceType::BrokerLogger => 8,
            ConfigResourceType::ClientMetrics => 16,
            ConfigResourceType::Group => 32,
        }
    }

    fn from_code(code: i8) -> Option<Self> {
        Some(match code {
            2 => ConfigResourceType::Topic,
            4 => ConfigResourceType::Broker,
            8 => ConfigResourceType::BrokerLogger,
            16 => ConfigResourceType::ClientMetrics,
            32 => ConfigResourceType::Group,
            _ => return None,
        })
    }
}

/// A thing that has configs.
///
/// ```
/// use kafka_sync::admin::ConfigResource;
/// let topic = ConfigResource::topic("events");
/// let broker = ConfigResource::broker(1);
/// assert_eq!(broker.name, "1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResource {
    /// Its kind.
    pub resource_type: ConfigResourceType,
    /// Its name: a topic or group name, a broker id, or empty for broker defaults.
    pub name: String,
}

impl ConfigResource {
    /// Topic `name`.
    pub fn topic(name: impl Into<String>) -> Self {
        ConfigResource {
            resource_type: ConfigResourceType::Topic,
            name: name.into(),
        }
    }

    /// Broker `id`.
    pub fn broker(id: i32) -> Self {
        ConfigResource {
            resource_type: ConfigResourceType::Broker,
            name: id.to_string(),
        }
    }

    /// The cluster-wide defaults of every broker.
    pub fn broker_defaults() -> Self {
        ConfigResource {
            resource_type: ConfigResourceType::Broker,
            name: String::new(),
        }
    }

    /// The loggers of broker `id`.
    pub fn broker_logger(id: i32) -> Self {
        ConfigResource {
            resource_type: ConfigResourceType::BrokerLogger,
            name: id.to_string(),
        }
    }

    /// Consumer group `name`.
    pub fn group(name: impl Into<String>) -> Self {
        ConfigResource {
            resource_type: ConfigResourceType::Group,
            name: name.into(),
        }
    }

    /// The broker this resource must be asked of, if it is one broker's.
    fn node(&self) -> Result<Option<i32>> {
        match self.resource_type {
            ConfigResourceType::Broker | ConfigResourceType::BrokerLogger
                if !self.name.is_empty() =>
            {
                self.name.parse().map(Some).map_err(|_| {
                    KafkaError::invalid_argument(format!(
                        "a broker config resource names a broker id, not `{}`",
                        self.name
                    ))
                })
            }
            _ => Ok(None),
        }
    }
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} `{}`", self.resource_type, self.name)
    }
}

/// Where a config's value comes from (Kafka's `ConfigEntry.ConfigSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    /// Set on the topic.
    DynamicTopicConfig,
    /// Set on this broker at run time.
    DynamicBrokerConfig,
    /// Set at run time as the default of every broker.
    DynamicDefaultBrokerConfig,
    /// From the broker's `server.properties`.
    StaticBrokerConfig,
    /// Kafka's default.
    DefaultConfig,
    /// Set on a broker logger at run time.
    DynamicBrokerLoggerConfig,
    /// Set on a client metrics subscription.
    ClientMetricsConfig,
    /// Set on the group.
    GroupConfig,
    /// A source this client does not know.
    Unknown,
}

impl ConfigSource {
    fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigSource::DynamicTopicConfig,
            2 => ConfigSource::DynamicBrokerConfig,
            3 => ConfigSource::DynamicDefaultBrokerConfig,
            4 => ConfigSource::StaticBrokerConfig,
            5 => ConfigSource::DefaultConfig,
            6 => ConfigSource::DynamicBrokerLoggerConfig,
            7 => ConfigSource::ClientMetricsConfig,
            8 => ConfigSource::GroupConfig,
            _ => ConfigSource::Unknown,
        }
    }
}

/// The type of a config's value (Kafka's `ConfigEntry.ConfigType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
    Unknown,
}

impl ConfigType {
    fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigType::Boolean,
            2 => ConfigType::String,
            3 => ConfigType::Int,
            4 => ConfigType::Short,
            5 => ConfigType::Long,
            6 => ConfigType::Double,
            7 => ConfigType::List,
            8 => ConfigType::Class,
            9 => ConfigType::Password,
            _ => ConfigType::Unknown,
        }
    }
}

/// A value the config would have from another source, in precedence order.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    /// The config name at that source (a broker config may be named differently).
    pub name: String,
    /// The value, `None` if sensitive.
    pub value: Option<String>,
    /// The source.
    pub source: ConfigSource,
}

/// One config of a resource. Sensitive values (passwords, keys) come back as `None`,
/// and `Debug` never prints a value of a sensitive config.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The config name.
    pub name: String,
    /// The value, `None` if it is sensitive or unset.
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether it cannot be changed at run time.
    pub read_only: bool,
    /// Whether it is a secret.
    pub sensitive: bool,
    /// The values it would have from other sources, highest precedence first.
    pub synonyms: Vec<ConfigSynonym>,
    /// The value's type.
    pub config_type: ConfigType,
    /// The config's documentation.
    pub documentation: Option<String>,
}

fn shown(value: &Option<String>, sensitive: bool) -> &str {
    match value {
        Some(_) if sensitive => "(sensitive)",
        Some(v) => v,
        None => "(null)",
    }
}

impl fmt::Debug for ConfigEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let synonyms: Vec<String> = self
            .synonyms
            .iter()
            .map(|s| {
                format!(
                    "{}={} ({:?})",
                    s.name,
                    shown(&s.value, self.sensitive),
                    s.source
                )
            })
            .collect();
        f.debug_struct("ConfigEntry")
            .field("name", &self.name)
            .field("value", &shown(&self.value, self.sensitive))
            .field("source", &self.source)
            .field("read_only", &self.read_only)
            .field("sensitive", &self.sensitive)
            .field("synonyms", &synonyms)
            .field("config_type", &self.config_type)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ConfigSynonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A synonym alone does not know whether its config is sensitive: never shown.
        f.debug_struct("ConfigSynonym")
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "(hidden)"))
            .field("source", &self.source)
            .finish()
    }
}

impl From<&DescribeConfigsResponseConfig> for ConfigEntry {
    fn from(c: &DescribeConfigsResponseConfig) -> Self {
        ConfigEntry {
            name: c.name.clone(),
            value: if c.is_sensitive {
                None
            } else {
                c.value.clone()
            },
            source: ConfigSource::from_code(c.config_source),
            read_only: c.read_only,
            sensitive: c.is_sensitive,
            synonyms: c
                .synonyms
                .iter()
                .map(|s| ConfigSynonym {
                    name: s.name.clone(),
                    value: if c.is_sensitive {
                        None
                    } else {
                        s.value.clone()
                    },
                    source: ConfigSource::from_code(s.source),
                })
                .collect(),
            config_type: ConfigType::from_code(c.config_type),
            documentation: c.documentation.clone(),
        }
    }
}

/// How [`AlterConfigOp`] changes a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterConfigOpType {
    /// Set the value.
    Set,
    /// Remove the value (back to the default).
    Delete,
    /// Add to a list config.
    Append,
    /// Remove from a list config.
    Subtract,
}

/// One change of [`incremental_alter_configs`](KafkaAdminClient::incremental_alter_configs).
#[derive(Clone, PartialEq, Eq)]
pub struct AlterConfigOp {
    /// The config name.
    pub name: String,
    /// The change.
    pub op: AlterConfigOpType,
    /// The value to set, append or subtract (`None` for delete).
    pub value: Option<String>,
}

impl fmt::Debug for AlterConfigOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may be a secret (a password config): never printed.
        f.debug_struct("AlterConfigOp")
            .field("name", &self.name)
            .field("op", &self.op)
            .field("value", &self.value.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

impl AlterConfigOp {
    /// Sets `name` to `value`.
    pub fn set(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Set,
            value: Some(value.into()),
        }
    }

    /// Removes `name`'s value, so the default applies.
    pub fn delete(name: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Delete,
            value: None,
        }
    }

    /// Adds `value` to the list config `name`.
    pub fn append(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Append,
            value: Some(value.into()),
        }
    }

    /// Removes `value` from the list config `name`.
    pub fn subtract(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Subtract,
            value: Some(value.into()),
        }
    }

    fn code(&self) -> i8 {
        match self.op {
            AlterConfigOpType::Set => 0,
            AlterConfigOpType::Delete => 1,
            AlterConfigOpType::Append => 2,
            AlterConfigOpType::Subtract => 3,
        }
    }
}

/// Resources (with what goes with each) by the broker they must be asked of (`None`:
/// any broker).
type ByNode<'a, T> = BTreeMap<Option<i32>, Vec<(&'a ConfigResource, T)>>;

/// The resources grouped by the broker they must be asked of.
fn by_node<'a, T>(
    resources: impl Iterator<Item = (&'a ConfigResource, T)>,
) -> Result<ByNode<'a, T>> {
    let mut grouped: ByNode<'a, T> = BTreeMap::new();
    for (resource, item) in resources {
        grouped
            .entry(resource.node()?)
            .or_default()
            .push((resource, item));
    }
    Ok(grouped)
}

/// The result of each resource, from the answer's (type, name, code, message) rows;
/// resources the answer left out get an error.
fn resource_results<'a>(
    asked: impl Iterator<Item = &'a ConfigResource>,
    rows: impl Iterator<Item = (i8, &'a str, i16, Option<&'a str>)>,
    what: &str,
) -> BTreeMap<ConfigResource, Result<()>> {
    let mut results: BTreeMap<ConfigResource, Result<()>> = BTreeMap::new();
    for (code_type, name, code, message) in rows {
        let Some(resource_type) = ConfigResourceType::from_code(code_type) else {
            continue;
        };
        let resource = ConfigResource {
            resource_type,
            name: name.to_owned(),
        };
        let context = format!("{what} of {resource}");
        results.insert(resource, item_result(code, message, &context));
    }
    for resource in asked {
        results.entry(resource.clone()).or_insert_with(|| {
            Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!("the broker's answer did not mention {resource}"),
            ))
        });
    }
    results
}

impl KafkaAdminClient {
    /// The configs of `resources`, each with its source, flags, synonyms and
    /// documentation; one result per resource (an unknown topic fails alone).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::admin::ConfigResource;
    /// use kafka_sync::{AdminConfig, KafkaAdminClient};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let topic = ConfigResource::topic("events");
    /// let configs = admin.describe_configs(&[topic.clone()], Duration::from_secs(10))?;
    /// for entry in configs[&topic].as_ref().map_err(Clone::clone)? {
    ///     println!("{} = {:?} ({:?})", entry.name, entry.value, entry.source);
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn describe_configs(
        &self,
        resources: &[ConfigResource],
        timeout: Duration,
    ) -> Result<BTreeMap<ConfigResource, Result<Vec<ConfigEntry>>>> {
        let deadline = crate::time::deadline_in(timeout);
        let grouped = by_node(resources.iter().map(|r| (r, ())))?;
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for (node, group) in grouped {
                let request = DescribeConfigsRequest {
                    resources: group
                        .iter()
                        .map(|(r, ())| DescribeConfigsRequestResource {
                            resource_type: r.resource_type.code(),
                            resource_name: r.name.clone(),
                            configuration_keys: None,
                        })
                        .collect(),
                    include_synonyms: true,
                    include_documentation: true,
                };
                let response = send_to_any_or(client, node, &request, deadline)?;
                let mut entries: BTreeMap<ConfigResource, Vec<ConfigEntry>> = BTreeMap::new();
                let rows = response.results.iter().map(|r| {
                    if let Some(resource_type) = ConfigResourceType::from_code(r.resource_type) {
                        entries.insert(
                            ConfigResource {
                                resource_type,
                                name: r.resource_name.clone(),
                            },
                            r.configs.iter().map(ConfigEntry::from).collect(),
                        );
                    }
                    (
                        r.resource_type,
                        r.resource_name.as_str(),
                        r.error_code,
                        r.error_message.as_deref(),
                    )
                });
                let outcome = resource_results(
                    group.iter().map(|(r, ())| *r),
                    rows.collect::<Vec<_>>().into_iter(),
                    "describing the configs",
                );
                for (resource, result) in outcome {
                    let configs = entries.remove(&resource).unwrap_or_default();
                    results.insert(resource, result.map(|()| configs));
                }
            }
            Ok(results)
        })
    }

    /// Changes configs of `changes`' resources one config at a time (set, delete,
    /// append, subtract), leaving the others as they are; `validate_only` asks the
    /// broker to check the changes without making them. One result per resource.
    pub fn incremental_alter_configs(
        &self,
        changes: &BTreeMap<ConfigResource, Vec<AlterConfigOp>>,
        validate_only: bool,
        timeout: Duration,
    ) -> Result<BTreeMap<ConfigResource, Result<()>>> {
        self.alter_at_nodes(
            changes,
            timeout,
            |group| IncrementalAlterConfigsRequest {
                resources: group
                    .iter()
                    .map(|(r, ops)| IncrementalAlterConfigsRequestResource {
                        resource_type: r.resource_type.code(),
                        resource_name: r.name.clone(),
                        configs: ops
                            .iter()
                            .map(|op| IncrementalAlterConfigsRequestConfig {
                                name: op.name.clone(),
                                config_operation: op.code(),
                                value: op.value.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                validate_only,
            },
            |response| {
                response
                    .responses
                    .iter()
                    .map(|r| {
                        (
                            r.resource_type,
                            r.resource_name.as_str(),
                            r.error_code,
                            r.error_message.as_deref(),
                        )
                    })
                    .collect()
            },
        )
    }

    /// Replaces the whole set of configs of `configs`' resources (configs left out
    /// go back to their defaults): the legacy AlterConfigs, for brokers without
    /// incremental changes. Prefer [`incremental_alter_configs`](Self::incremental_alter_configs).
    pub fn alter_configs(
        &self,
        configs: &BTreeMap<ConfigResource, BTreeMap<String, String>>,
        validate_only: bool,
        timeout: Duration,
    ) -> Result<BTreeMap<ConfigResource, Result<()>>> {
        self.alter_at_nodes(
            configs,
            timeout,
            |group| AlterConfigsRequest {
                resources: group
                    .iter()
                    .map(|(r, values)| AlterConfigsRequestResource {
                        resource_type: r.resource_type.code(),
                        resource_name: r.name.clone(),
                        configs: values
                            .iter()
                            .map(|(k, v)| AlterConfigsRequestConfig {
                                name: k.clone(),
                                value: Some(v.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
                validate_only,
            },
            |response| {
                response
                    .responses
                    .iter()
                    .map(|r| {
                        (
                            r.resource_type,
                            r.resource_name.as_str(),
                            r.error_code,
                            r.error_message.as_deref(),
                        )
                    })
                    .collect()
            },
        )
    }

    /// Sends one config change request per broker the resources of `items` must be
    /// changed at (`build` makes it from that broker's resources), and reads each
    /// resource's result from the `(type, name, code, message)` rows of the answers.
    fn alter_at_nodes<T, R: Request>(
        &self,
        items: &BTreeMap<ConfigResource, T>,
        timeout: Duration,
        build: impl Fn(&[(&ConfigResource, &T)]) -> R,
        rows: impl for<'r> Fn(&'r R::Response) -> Vec<(i8, &'r str, i16, Option<&'r str>)>,
    ) -> Result<BTreeMap<ConfigResource, Result<()>>> {
        let deadline = crate::time::deadline_in(timeout);
        let grouped = by_node(items.iter())?;
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for (node, group) in grouped {
                let response = send_to_any_or(client, node, &build(&group), deadline)?;
                results.extend(resource_results(
                    group.iter().map(|(r, _)| *r),
                    rows(&response).into_iter(),
                    "altering the configs",
                ));
            }
            Ok(results)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_are_never_printed() {
        let entry = ConfigEntry {
            name: "ssl.key.password".into(),
            value: Some("hunter2".into()),
            source: ConfigSource::DynamicBrokerConfig,
            read_only: false,
            sensitive: true,
            synonyms: vec![ConfigSynonym {
                name: "ssl.key.password".into(),
                value: Some("hunter2".into()),
                source: ConfigSource::StaticBrokerConfig,
            }],
            config_type: ConfigType::Password,
            documentation: None,
        };
        let shown = format!(
            "{entry:?} {:?}",
            AlterConfigOp::set("ssl.key.password", "hunter2")
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("(sensitive)"), "{shown}");
    }

    #[test]
    fn broker_resources_go_to_their_broker() {
        assert_eq!(ConfigResource::broker(3).node().unwrap(), Some(3));
        assert_eq!(ConfigResource::broker_logger(2).node().unwrap(), Some(2));
        assert_eq!(ConfigResource::broker_defaults().node().unwrap(), None);
        assert_eq!(ConfigResource::topic("t").node().unwrap(), None);
        let bad = ConfigResource {
            resource_type: ConfigResourceType::Broker,
            name: "x".into(),
        };
        assert!(bad.node().is_err());
    }
}
