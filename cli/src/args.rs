//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Parses `key=value` (split at the first `=`; the key must not be empty).
pub fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

const MAIN_EXAMPLES: &str = "\
Examples:
  printf 'hello\\nworld\\n' | kafka-sync --bootstrap-server localhost:9092 produce events
  kafka-sync consume events --from-beginning --exit-at-end -b localhost:9092
  kafka-sync topics create events --partitions 3 --replication-factor 1 --command-config client.properties
  kafka-sync groups describe billing -X request.timeout.ms=5000 --bootstrap-server localhost:9092";

/// A command-line tool for Apache Kafka: produce, consume, and manage topics, consumer
/// groups and configs.
#[derive(Debug, Parser)]
#[command(
    name = "kafka-sync",
    version,
    propagate_version = true,
    after_long_help = MAIN_EXAMPLES,
    long_about = "A command-line tool for Apache Kafka, built on the kafka-sync client: produce \
records from stdin, consume them to stdout (raw values or JSON lines), and manage topics, \
consumer groups, configs and the cluster.\n\n\
The connection flags (--bootstrap-server, --command-config, -X) go before or after the \
command. Errors print one line `kafka-sync: <error>` on stderr and exit with status 1; bad \
usage exits with status 2."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// The connection flags every command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Brokers to bootstrap from (comma-separated HOST:PORT); required unless the
    /// --command-config file sets bootstrap.servers.
    #[arg(
        short = 'b',
        long = "bootstrap-server",
        visible_alias = "bootstrap-servers",
        value_name = "HOST:PORT[,...]",
        global = true
    )]
    pub bootstrap_server: Option<String>,

    /// A Java client.properties file (bootstrap.servers, security.protocol, sasl.*,
    /// ssl.*, ...). Keys meant for another kind of client (group.id for a producer,
    /// acks for a consumer) are left out.
    #[arg(long, value_name = "FILE", global = true)]
    pub command_config: Option<PathBuf>,

    /// A client property (Java name), overriding --command-config; repeatable.
    #[arg(
        short = 'X',
        value_name = "KEY=VALUE",
        value_parser = key_value,
        global = true
    )]
    pub overrides: Vec<(String, String)>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Produce records from stdin (one per line) or a file.
    #[command(
        long_about = "Produce one record per line of stdin (without the newline; any bytes, no \
UTF-8 needed), or the whole of --file as one record. Prints a summary to stderr at the end, \
and shows progress while stderr is a terminal. Exits with status 1 if any record failed.",
        after_long_help = "Example:\n  printf 'user-1:hello\\nuser-2:world\\n' | kafka-sync produce events \
--key-separator : --header source=cli --acks all --compression lz4 -b localhost:9092"
    )]
    Produce(ProduceArgs),

    /// Consume records to stdout, as raw values or JSON lines.
    #[command(
        long_about = "Consume records of TOPIC to stdout. Without --group, every partition (or \
the one --partition names) is read outside any group; with --group, the group assigns the \
partitions and the offsets of the records printed are committed (every 5 s and at the end). \
Starts at the end of each partition unless --from-beginning or --offset say otherwise (or, \
in a group, at the committed offset).\n\n\
--format json prints one object per line:\n  \
{\"topic\":STRING,\"partition\":INT,\"offset\":INT,\"timestamp\":INT,\"timestamp_type\":\
\"CreateTime\"|\"LogAppendTime\",\"key\":DATA,\"value\":DATA,\"headers\":[{\"key\":STRING,\"value\":DATA},...]}\n\
where DATA is null (a null key or value), a JSON string (the bytes are valid UTF-8), or \
{\"base64\":STRING} (the bytes in standard base64 with padding, when they are not UTF-8).",
        after_long_help = "Examples:\n  kafka-sync consume events --from-beginning --exit-at-end -b localhost:9092\n  \
kafka-sync consume events --group billing --format json --max-messages 10 -b localhost:9092\n  \
kafka-sync consume events --partition 0 --offset 42 --timeout-ms 5000 -b localhost:9092"
    )]
    Consume(ConsumeArgs),

    /// List, describe, create, delete topics and change their configs.
    #[command(subcommand)]
    Topics(TopicsCommand),

    /// List, describe (with lag), reset the offsets of and delete consumer groups.
    #[command(subcommand)]
    Groups(GroupsCommand),

    /// Describe the cluster and its brokers' API versions.
    #[command(subcommand)]
    Cluster(ClusterCommand),

    /// Describe and change configs of topics, brokers and groups.
    #[command(subcommand)]
    Configs(ConfigsCommand),
}

/// `acks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AcksArg {
    #[value(name = "0")]
    None,
    #[value(name = "1")]
    Leader,
    #[value(name = "all", alias = "-1")]
    All,
}

impl AcksArg {
    pub fn property(self) -> &'static str {
        match self {
            AcksArg::None => "0",
            AcksArg::Leader => "1",
            AcksArg::All => "all",
        }
    }
}

/// `compression.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl CompressionArg {
    pub fn property(self) -> &'static str {
        match self {
            CompressionArg::None => "none",
            CompressionArg::Gzip => "gzip",
            CompressionArg::Snappy => "snappy",
            CompressionArg::Lz4 => "lz4",
            CompressionArg::Zstd => "zstd",
        }
    }
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// The topic to write to.
    pub topic: String,

    /// Split each line at the first SEP into key and value (a line without SEP is an
    /// error and is not sent).
    #[arg(long, value_name = "SEP", conflicts_with = "file")]
    pub key_separator: Option<String>,

    /// A header for every record; repeatable.
    #[arg(long = "header", value_name = "KEY=VALUE", value_parser = key_value)]
    pub headers: Vec<(String, String)>,

    /// Write every record to this partition (default: the partitioner chooses).
    #[arg(long, value_name = "N")]
    pub partition: Option<i32>,

    /// How many replicas must have a record before it counts as written.
    #[arg(long, value_enum)]
    pub acks: Option<AcksArg>,

    /// The codec of the record batches.
    #[arg(long, value_enum)]
    pub compression: Option<CompressionArg>,

    /// How long a batch waits for more records (linger.ms).
    #[arg(long, value_name = "N")]
    pub linger_ms: Option<u64>,

    /// Send the whole file as one record's value instead of reading stdin.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// `--format` of `consume`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// The value's bytes and a newline (a null value: just the newline).
    Value,
    /// One JSON object per line (see the long help for the schema).
    Json,
}

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    #[value(name = "read_committed")]
    ReadCommitted,
    #[value(name = "read_uncommitted")]
    ReadUncommitted,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// The topic to read.
    pub topic: String,

    /// Start at the beginning of each partition (in a group: where the group has no
    /// committed offset).
    #[arg(long, conflicts_with = "offset")]
    pub from_beginning: bool,

    /// Start at offset N of the partition --partition names.
    #[arg(long, value_name = "N", requires = "partition")]
    pub offset: Option<i64>,

    /// Read only this partition.
    #[arg(long, value_name = "N")]
    pub partition: Option<i32>,

    /// Consume as a member of this consumer group, committing what was printed.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// Stop after N records.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,

    /// Stop once no record came for N milliseconds (also the longest wait for the
    /// topic's metadata at the start, though at least 1 s).
    #[arg(long, value_name = "N")]
    pub timeout_ms: Option<u64>,

    /// Whether to read records of open and aborted transactions.
    #[arg(long, value_enum)]
    pub isolation_level: Option<IsolationArg>,

    /// How to print records.
    #[arg(long, value_enum, default_value = "value")]
    pub format: FormatArg,

    /// With --format value: print the key, SEP, then the value (as `produce
    /// --key-separator` reads them).
    #[arg(long, value_name = "SEP")]
    pub key_separator: Option<String>,

    /// Stop once every assigned partition reached the end offset it had at the start.
    #[arg(long)]
    pub exit_at_end: bool,
}

#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// List the topics (internal ones left out).
    #[command(after_long_help = "Example:\n  kafka-sync topics list -b localhost:9092")]
    List,

    /// Describe topics: id, partitions, leaders, replicas, in-sync replicas.
    #[command(
        after_long_help = "Example:\n  kafka-sync topics describe events orders -b localhost:9092"
    )]
    Describe {
        /// The topics.
        #[arg(required = true, value_name = "TOPIC")]
        topics: Vec<String>,
    },

    /// Create a topic.
    #[command(
        after_long_help = "Example:\n  kafka-sync topics create events --partitions 3 --replication-factor 1 \
--config retention.ms=86400000 -b localhost:9092"
    )]
    Create {
        /// The topic.
        topic: String,
        /// Its number of partitions (default: the broker's num.partitions).
        #[arg(long, value_name = "N", default_value_t = -1, allow_negative_numbers = true)]
        partitions: i32,
        /// Its replication factor (default: the broker's default.replication.factor).
        #[arg(long, value_name = "R", default_value_t = -1, allow_negative_numbers = true)]
        replication_factor: i16,
        /// A topic config; repeatable.
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = key_value)]
        configs: Vec<(String, String)>,
    },

    /// Delete topics.
    #[command(
        after_long_help = "Example:\n  kafka-sync topics delete events orders -b localhost:9092"
    )]
    Delete {
        /// The topics.
        #[arg(required = true, value_name = "TOPIC")]
        topics: Vec<String>,
    },

    /// Set or remove configs of a topic (the others stay as they are).
    #[command(
        after_long_help = "Example:\n  kafka-sync topics alter-config events --set retention.ms=3600000 \
--delete cleanup.policy -b localhost:9092"
    )]
    AlterConfig {
        /// The topic.
        topic: String,
        #[command(flatten)]
        changes: ConfigChanges,
    },
}

/// `--set` and `--delete` of the config changes.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub struct ConfigChanges {
    /// Set a config; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    pub set: Vec<(String, String)>,
    /// Remove a config (back to its default); repeatable.
    #[arg(long = "delete", value_name = "KEY")]
    pub delete: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List the consumer groups with their type and state.
    #[command(after_long_help = "Example:\n  kafka-sync groups list -b localhost:9092")]
    List,

    /// Describe groups: state, members, and per partition the committed offset, the end
    /// offset and the lag.
    #[command(
        after_long_help = "Example:\n  kafka-sync groups describe billing -b localhost:9092"
    )]
    Describe {
        /// The groups.
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },

    /// Move a group's committed offsets (the group must have no active members); a
    /// dry run prints the plan unless --execute is given.
    #[command(
        after_long_help = "Examples:\n  kafka-sync groups reset-offsets billing --topic events --to-earliest -b localhost:9092\n  \
kafka-sync groups reset-offsets billing --topic events:0,1 --to-datetime 2024-05-01T00:00:00Z --execute -b localhost:9092"
    )]
    ResetOffsets {
        /// The group.
        group: String,
        /// A topic, or TOPIC:P,P,... for some of its partitions; repeatable.
        #[arg(long = "topic", required = true, value_name = "TOPIC[:P,...]")]
        topics: Vec<String>,
        #[command(flatten)]
        target: ResetTarget,
        /// Apply the plan (without it, only print it).
        #[arg(long)]
        execute: bool,
    },

    /// Delete groups (with their committed offsets); they must have no active members.
    #[command(
        after_long_help = "Example:\n  kafka-sync groups delete billing audit -b localhost:9092"
    )]
    Delete {
        /// The groups.
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },
}

/// Where `reset-offsets` moves the offsets.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ResetTarget {
    /// To the start of each partition.
    #[arg(long)]
    pub to_earliest: bool,
    /// To the end of each partition.
    #[arg(long)]
    pub to_latest: bool,
    /// To offset N (kept within each partition's start and end).
    #[arg(long, value_name = "N")]
    pub to_offset: Option<i64>,
    /// To the first record at or after this time (RFC 3339, such as
    /// 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.5+02:00); the end where there is none.
    #[arg(long, value_name = "RFC3339")]
    pub to_datetime: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The cluster id, the controller and the brokers.
    #[command(after_long_help = "Example:\n  kafka-sync cluster describe -b localhost:9092")]
    Describe,

    /// The API versions each broker supports, and the one this client would use.
    #[command(after_long_help = "Example:\n  kafka-sync cluster api-versions -b localhost:9092")]
    ApiVersions,
}

/// Which resource's configs.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ResourceArgs {
    /// A topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// A broker, by id.
    #[arg(long, value_name = "ID")]
    pub broker: Option<i32>,
    /// A consumer group.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigsCommand {
    /// The configs of a topic, broker or group with their values and sources
    /// (sensitive values are never shown).
    #[command(
        after_long_help = "Examples:\n  kafka-sync configs describe --topic events -b localhost:9092\n  \
kafka-sync configs describe --broker 1 -b localhost:9092"
    )]
    Describe {
        #[command(flatten)]
        resource: ResourceArgs,
    },

    /// Set or remove configs of a topic, broker or group (the others stay as they are).
    #[command(
        after_long_help = "Example:\n  kafka-sync configs alter --topic events --set retention.ms=3600000 \
--delete cleanup.policy -b localhost:9092"
    )]
    Alter {
        #[command(flatten)]
        resource: ResourceArgs,
        #[command(flatten)]
        changes: ConfigChanges,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn key_values_split_at_the_first_equals_sign() {
        assert_eq!(key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(key_value("a="), Ok(("a".into(), String::new())));
        assert!(key_value("=b").is_err());
        assert!(key_value("ab").is_err());
    }
}
