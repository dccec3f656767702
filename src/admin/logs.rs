//! Records, log directories, leader elections and partition reassignments:
//! `delete_records` (at each partition's leader), `describe_log_dirs` (at each broker
//! asked about), and `elect_leaders`, `alter_partition_reassignments` and
//! `list_partition_reassignments` (at the controller).
//!
//! As in Java's `Admin`, every call answers per item (partition or broker), so one bad
//! partition never hides what happened to the others; the outer error is for failures
//! of the whole call (a top-level error code, no broker reachable, bad arguments).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::routing::{back_off, send_to_any_or, send_to_controller};
use super::topics::validate_topic_name;
use super::{item_result, KafkaAdminClient};
use crate::client::{Cluster, KafkaClient, TopicPartition};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsRequestPartition,
    AlterPartitionReassignmentsRequestTopic, AlterPartitionReassignmentsResponse,
    DeleteRecordsRequest, DeleteRecordsRequestPartition, DeleteRecordsRequestTopic,
    DeleteRecordsResponse, DescribeLogDirsRequest, DescribeLogDirsResponse, ElectLeadersRequest,
    ElectLeadersRequestTopic, ElectLeadersResponse, ListPartitionReassignmentsRequest,
    ListPartitionReassignmentsRequestTopic, ListPartitionReassignmentsResponse, MetadataResponse,
};

/// One log directory of a broker, as
/// [`describe_log_dirs`](KafkaAdminClient::describe_log_dirs) reports it (Java's
/// `LogDirDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirDescription {
    /// The directory's absolute path on the broker (the same as its key in the map).
    pub path: String,
    /// The directory's error, if it has one (KAFKA_STORAGE_ERROR for an offline
    /// directory); its replicas are then unknown.
    pub error: Option<KafkaError>,
    /// The replicas whose logs are in this directory.
    pub replicas: BTreeMap<TopicPartition, ReplicaInfo>,
    /// The size of the volume the directory is on, in bytes, if the broker says
    /// (DescribeLogDirs 4 and later, KIP-827).
    pub total_bytes: Option<i64>,
    /// The bytes still usable on that volume, if the broker says.
    pub usable_bytes: Option<i64>,
}

/// One replica's log in a log directory (Java's `ReplicaInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplicaInfo {
    /// The size of the log's segments, in bytes.
    pub size: i64,
    /// How far the log end offset is behind: of the current log, behind the high
    /// watermark; of a future log, behind the current log.
    pub offset_lag: i64,
    /// Whether this is a future log (being moved here by AlterReplicaLogDirs) that
    /// will replace the current one.
    pub is_future: bool,
}

/// Which leader [`elect_leaders`](KafkaAdminClient::elect_leaders) elects (Java's
/// `ElectionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElectionType {
    /// The preferred replica (the first of the replica list), if it is in sync.
    Preferred,
    /// Any live replica, in sync or not, for partitions that have no leader: records
    /// the new leader lacks are lost.
    Unclean,
}

impl ElectionType {
    /// The wire code (ElectLeaders' `ElectionType`).
    fn code(self) -> i8 {
        match self {
            ElectionType::Preferred => 0,
            ElectionType::Unclean => 1,
        }
    }
}

/// A partition reassignment under way, as
/// [`list_partition_reassignments`](KafkaAdminClient::list_partition_reassignments)
/// reports it (Java's `PartitionReassignment`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartitionReassignment {
    /// Every replica of the partition right now: the target set plus those still
    /// being removed.
    pub replicas: Vec<i32>,
    /// The replicas being added (catching up).
    pub adding_replicas: Vec<i32>,
    /// The replicas being removed once the added ones are in sync.
    pub removing_replicas: Vec<i32>,
}

impl KafkaAdminClient {
    /// Deletes the records before the given offset of each partition, moving its log
    /// start offset there (Java's `deleteRecords`); an offset of `-1` deletes
    /// everything up to the high watermark. Returns each partition's new low
    /// watermark (its log start offset).
    ///
    /// Each partition's request goes to its leader; NOT_LEADER_OR_FOLLOWER, a missing
    /// leader and other retriable errors are retried after a metadata refresh until
    /// `timeout`, then reported as that partition's timeout. A partition of an
    /// unknown topic, or one past the topic's partition count, fails alone with
    /// UNKNOWN_TOPIC_OR_PARTITION; an offset past the high watermark fails with
    /// OFFSET_OUT_OF_RANGE; a compacted topic with POLICY_VIOLATION; an invalid topic
    /// name or a negative partition with an [`InvalidArgument`](ErrorKind::InvalidArgument)
    /// error without being sent. Only failures of the whole call (a non-retriable
    /// metadata error, such as failed authentication) are the outer error.
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// use std::time::Duration;
    /// use kafka_sync::{AdminConfig, KafkaAdminClient, TopicPartition};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let before = BTreeMap::from([
    ///     (TopicPartition::new("events", 0), 1000),
    ///     (TopicPartition::new("events", 1), -1), // up to the high watermark
    /// ]);
    /// for (tp, low_watermark) in admin.delete_records(&before, Duration::from_secs(30))? {
    ///     println!("{tp} now starts at {:?}", low_watermark);
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn delete_records(
        &self,
        before: &BTreeMap<TopicPartition, i64>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<i64>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| delete_at_leaders(client, before, deadline))
    }

    /// Describes the log directories of each broker of `brokers` (Java's
    /// `describeLogDirs`): every directory, keyed by its path, with its error, its
    /// volume's total and usable bytes, and the size, offset lag and future flag of
    /// every replica in it.
    ///
    /// Each broker answers for itself and has its own result: a broker that is not
    /// part of the cluster fails alone with an [`InvalidArgument`](ErrorKind::InvalidArgument)
    /// error (after one metadata refresh, so a broker that just joined is found), one
    /// that cannot be reached within `timeout` with a timeout, while the others are
    /// described.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::{AdminConfig, KafkaAdminClient};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// for (broker, dirs) in admin.describe_log_dirs(&[1, 2, 3], Duration::from_secs(10))? {
    ///     for (path, dir) in dirs? {
    ///         let bytes: i64 = dir.replicas.values().map(|r| r.size).sum();
    ///         println!("broker {broker}: {path} holds {bytes} bytes");
    ///     }
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn describe_log_dirs(
        &self,
        brokers: &[i32],
        timeout: Duration,
    ) -> Result<BTreeMap<i32, Result<BTreeMap<String, LogDirDescription>>>> {
        let deadline = crate::time::deadline_in(timeout);
        let request = DescribeLogDirsRequest { topics: None };
        let brokers: BTreeSet<i32> = brokers.iter().copied().collect();
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for broker in brokers {
                let described = send_to_any_or(client, Some(broker), &request, deadline)
                    .and_then(|response| log_dirs_of(broker, &response));
                results.insert(broker, described);
            }
            Ok(results)
        })
    }

    /// Asks the controller to elect leaders of partitions (Java's `electLeaders`):
    /// the preferred replica with [`ElectionType::Preferred`], any live replica of a
    /// leaderless partition with [`ElectionType::Unclean`].
    ///
    /// `partitions` names the partitions, or `None` asks for every partition of the
    /// cluster; the result then lists the partitions the controller reported on
    /// (it leaves out those that needed no election). A partition that needed no
    /// election (its preferred replica leads already, or for an unclean election it
    /// has a leader) reports ELECTION_NOT_NEEDED as its error, as in Java; an unknown
    /// one UNKNOWN_TOPIC_OR_PARTITION; a preferred replica that is not in sync
    /// PREFERRED_LEADER_NOT_AVAILABLE. A top-level error fails the whole call.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::admin::ElectionType;
    /// use kafka_sync::{AdminConfig, ErrorCode, KafkaAdminClient, TopicPartition};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let partitions = [TopicPartition::new("events", 0)];
    /// let elected = admin.elect_leaders(ElectionType::Preferred, Some(&partitions), Duration::from_secs(30))?;
    /// match &elected[&partitions[0]] {
    ///     Ok(()) => println!("the preferred replica leads now"),
    ///     Err(e) if e.code() == Some(ErrorCode::ELECTION_NOT_NEEDED) => println!("it led already"),
    ///     Err(e) => println!("{e}"),
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn elect_leaders(
        &self,
        election: ElectionType,
        partitions: Option<&[TopicPartition]>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        if partitions.is_some_and(<[TopicPartition]>::is_empty) {
            return Ok(BTreeMap::new());
        }
        let asked: Option<BTreeSet<&TopicPartition>> = partitions.map(|p| p.iter().collect());
        let request = ElectLeadersRequest {
            election_type: election.code(),
            topic_partitions: asked.as_ref().map(|asked| {
                by_topic(asked.iter().copied())
                    .into_iter()
                    .map(|(topic, partitions)| ElectLeadersRequestTopic { topic, partitions })
                    .collect()
            }),
            timeout_ms: timeout_ms(timeout),
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let response = send_to_controller(client, &request, deadline, |r| {
                r.error_code == ErrorCode::NOT_CONTROLLER.0
            })?;
            client.request_metadata_update();
            election_results(asked.into_iter().flatten(), &response)
        })
    }

    /// Moves partitions to new replica sets, or with `None` cancels a partition's
    /// reassignment under way (Java's `alterPartitionReassignments`). The controller
    /// accepts the change and the data moves in the background: follow it with
    /// [`list_partition_reassignments`](Self::list_partition_reassignments). The first
    /// replica of a new set becomes the preferred leader.
    ///
    /// One result per partition: an unknown topic or partition fails alone with
    /// UNKNOWN_TOPIC_OR_PARTITION, cancelling where nothing is under way with
    /// NO_REASSIGNMENT_IN_PROGRESS, a bad replica set with INVALID_REPLICA_ASSIGNMENT;
    /// an empty topic name or a negative partition with an
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) error without being sent. A
    /// top-level error fails the whole call.
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// use std::time::Duration;
    /// use kafka_sync::{AdminConfig, KafkaAdminClient, TopicPartition};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let changes = BTreeMap::from([
    ///     (TopicPartition::new("events", 0), Some(vec![2, 3, 1])),
    ///     (TopicPartition::new("events", 1), None), // cancel
    /// ]);
    /// for (tp, result) in admin.alter_partition_reassignments(&changes, Duration::from_secs(30))? {
    ///     println!("{tp}: {result:?}");
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn alter_partition_reassignments(
        &self,
        reassignments: &BTreeMap<TopicPartition, Option<Vec<i32>>>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        let mut results = BTreeMap::new();
        let mut valid: BTreeMap<&TopicPartition, &Option<Vec<i32>>> = BTreeMap::new();
        for (tp, replicas) in reassignments {
            match check_partition(tp) {
                Ok(()) => {
                    valid.insert(tp, replicas);
                }
                Err(e) => {
                    results.insert(tp.clone(), Err(e));
                }
            }
        }
        if valid.is_empty() {
            return Ok(results);
        }
        let request = reassignment_request(&valid, timeout_ms(timeout));
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let response = send_to_controller(client, &request, deadline, |r| {
                r.error_code == ErrorCode::NOT_CONTROLLER.0
            })?;
            client.request_metadata_update();
            results.extend(reassignment_results(valid.keys().copied(), &response)?);
            Ok(results)
        })
    }

    /// The partition reassignments under way (Java's `listPartitionReassignments`):
    /// of `partitions`, or of every partition with `None`. Partitions that are not
    /// being reassigned, and those of unknown topics, are left out. An empty topic
    /// name or a negative partition fails the call.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::{AdminConfig, KafkaAdminClient};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// for (tp, r) in admin.list_partition_reassignments(None, Duration::from_secs(10))? {
    ///     println!("{tp}: {:?} (adding {:?}, removing {:?})", r.replicas, r.adding_replicas, r.removing_replicas);
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn list_partition_reassignments(
        &self,
        partitions: Option<&[TopicPartition]>,
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, PartitionReassignment>> {
        if let Some(partitions) = partitions {
            if partitions.is_empty() {
                return Ok(BTreeMap::new());
            }
            for tp in partitions {
                check_partition(tp)?;
            }
        }
        let request = ListPartitionReassignmentsRequest {
            timeout_ms: timeout_ms(timeout),
            topics: partitions.map(|partitions| {
                by_topic(partitions.iter())
                    .into_iter()
                    .map(
                        |(name, partition_indexes)| ListPartitionReassignmentsRequestTopic {
                            name,
                            partition_indexes,
                        },
                    )
                    .collect()
            }),
        };
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let response = send_to_controller(client, &request, deadline, |r| {
                r.error_code == ErrorCode::NOT_CONTROLLER.0
            })?;
            ongoing_reassignments(&response)
        })
    }
}

/// A request's `timeout_ms` for a call of `timeout`.
fn timeout_ms(timeout: Duration) -> i32 {
    i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX)
}

/// Whether `tp` can be asked about at all: a valid topic name and a partition that is
/// not negative.
fn check_partition(tp: &TopicPartition) -> Result<()> {
    validate_topic_name(&tp.topic)?;
    if tp.partition < 0 {
        return Err(KafkaError::invalid_argument(format!(
            "{tp}: the partition number {} is negative",
            tp.partition
        )));
    }
    Ok(())
}

/// The partitions grouped by topic, each topic's partition numbers sorted without
/// duplicates.
fn by_topic<'a>(
    partitions: impl Iterator<Item = &'a TopicPartition>,
) -> BTreeMap<String, Vec<i32>> {
    let mut grouped: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for tp in partitions {
        grouped
            .entry(tp.topic.clone())
            .or_default()
            .insert(tp.partition);
    }
    grouped
        .into_iter()
        .map(|(topic, partitions)| (topic, partitions.into_iter().collect()))
        .collect()
}

/// An answer that left out something it was asked about.
fn not_mentioned(what: impl std::fmt::Display) -> KafkaError {
    KafkaError::new(
        ErrorKind::UnexpectedResponse,
        format!("the broker's answer did not mention {what}"),
    )
}

/// The result of each partition, from the answer's (topic, partition, code, message)
/// rows; partitions of `asked` the answer left out get an error.
fn partition_results<'a, 'b>(
    asked: impl Iterator<Item = &'a TopicPartition>,
    rows: impl Iterator<Item = (&'b str, i32, i16, Option<&'b str>)>,
    what: &str,
) -> BTreeMap<TopicPartition, Result<()>> {
    let mut results = BTreeMap::new();
    for (topic, partition, code, message) in rows {
        let tp = TopicPartition::new(topic, partition);
        let context = format!("{what} of {tp}");
        results.insert(tp, item_result(code, message, &context));
    }
    for tp in asked {
        results
            .entry(tp.clone())
            .or_insert_with(|| Err(not_mentioned(tp)));
    }
    results
}

/// The outcome of an ElectLeaders answer: a top-level error fails the call, and
/// otherwise each partition has its result.
fn election_results<'a>(
    asked: impl Iterator<Item = &'a TopicPartition>,
    response: &ElectLeadersResponse,
) -> Result<BTreeMap<TopicPartition, Result<()>>> {
    ErrorCode(response.error_code).check("electing leaders")?;
    let rows = response.replica_election_results.iter().flat_map(|t| {
        t.partition_result.iter().map(|p| {
            (
                t.topic.as_str(),
                p.partition_id,
                p.error_code,
                p.error_message.as_deref(),
            )
        })
    });
    Ok(partition_results(asked, rows, "electing the leader"))
}

/// The AlterPartitionReassignments request for `changes` (`None`: cancel).
fn reassignment_request(
    changes: &BTreeMap<&TopicPartition, &Option<Vec<i32>>>,
    timeout_ms: i32,
) -> AlterPartitionReassignmentsRequest {
    let mut topics: BTreeMap<&str, Vec<AlterPartitionReassignmentsRequestPartition>> =
        BTreeMap::new();
    for (tp, replicas) in changes {
        topics.entry(tp.topic.as_str()).or_default().push(
            AlterPartitionReassignmentsRequestPartition {
                partition_index: tp.partition,
                replicas: (*replicas).clone(),
            },
        );
    }
    AlterPartitionReassignmentsRequest {
        timeout_ms,
        topics: topics
            .into_iter()
            .map(
                |(name, partitions)| AlterPartitionReassignmentsRequestTopic {
                    name: name.to_owned(),
                    partitions,
                },
            )
            .collect(),
    }
}

/// The outcome of an AlterPartitionReassignments answer: a top-level error fails the
/// call, and otherwise each partition has its result.
fn reassignment_results<'a>(
    asked: impl Iterator<Item = &'a TopicPartition>,
    response: &AlterPartitionReassignmentsResponse,
) -> Result<BTreeMap<TopicPartition, Result<()>>> {
    item_result(
        response.error_code,
        response.error_message.as_deref(),
        "reassigning partitions",
    )?;
    let rows = response.responses.iter().flat_map(|t| {
        t.partitions.iter().map(|p| {
            (
                t.name.as_str(),
                p.partition_index,
                p.error_code,
                p.error_message.as_deref(),
            )
        })
    });
    Ok(partition_results(asked, rows, "reassigning"))
}

/// The reassignments a ListPartitionReassignments answer lists, or its top-level
/// error.
fn ongoing_reassignments(
    response: &ListPartitionReassignmentsResponse,
) -> Result<BTreeMap<TopicPartition, PartitionReassignment>> {
    item_result(
        response.error_code,
        response.error_message.as_deref(),
        "listing partition reassignments",
    )?;
    Ok(response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                (
                    TopicPartition::new(t.name.clone(), p.partition_index),
                    PartitionReassignment {
                        replicas: p.replicas.clone(),
                        adding_replicas: p.adding_replicas.clone(),
                        removing_replicas: p.removing_replicas.clone(),
                    },
                )
            })
        })
        .collect())
}

/// The log directories a DescribeLogDirs answer of `broker` lists, keyed by path, or
/// its top-level error.
fn log_dirs_of(
    broker: i32,
    response: &DescribeLogDirsResponse,
) -> Result<BTreeMap<String, LogDirDescription>> {
    ErrorCode(response.error_code).check(format!("describing the log dirs of broker {broker}"))?;
    Ok(response
        .results
        .iter()
        .map(|dir| {
            let error = ErrorCode(dir.error_code)
                .check(format!("log dir {} of broker {broker}", dir.log_dir))
                .err();
            let replicas = dir
                .topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| {
                        (
                            TopicPartition::new(t.name.clone(), p.partition_index),
                            ReplicaInfo {
                                size: p.partition_size,
                                offset_lag: p.offset_lag,
                                is_future: p.is_future_key,
                            },
                        )
                    })
                })
                .collect();
            let description = LogDirDescription {
                path: dir.log_dir.clone(),
                error,
                replicas,
                total_bytes: (dir.total_bytes >= 0).then_some(dir.total_bytes),
                usable_bytes: (dir.usable_bytes >= 0).then_some(dir.usable_bytes),
            };
            (dir.log_dir.clone(), description)
        })
        .collect())
}

/// Where the partitions of a DeleteRecords call stand in the metadata.
#[derive(Debug, Default, PartialEq, Eq)]
struct Placement {
    /// The partitions with a live leader, by leader.
    by_leader: BTreeMap<i32, Vec<TopicPartition>>,
    /// Partitions the topic does not have.
    missing: Vec<TopicPartition>,
    /// Partitions with no live leader now, or of topics the metadata does not describe
    /// (yet): asked about again.
    leaderless: Vec<TopicPartition>,
}

/// Groups `partitions` by their leader in `cluster`.
fn place<'a>(cluster: &Cluster, partitions: impl Iterator<Item = &'a TopicPartition>) -> Placement {
    let mut placement = Placement::default();
    for tp in partitions {
        if let Some(leader) = cluster.leader_for(&tp.topic, tp.partition) {
            placement
                .by_leader
                .entry(leader.id)
                .or_default()
                .push(tp.clone());
        } else if cluster.topic(&tp.topic).is_some()
            && cluster.partition(&tp.topic, tp.partition).is_none()
        {
            placement.missing.push(tp.clone());
        } else {
            placement.leaderless.push(tp.clone());
        }
    }
    placement
}

/// The topics of a metadata answer whose error settles their partitions' fate: an
/// unknown topic, an invalid name, no authorization. Retriable errors (a leader
/// election under way) are not among them.
fn failed_topics(response: &MetadataResponse) -> Vec<(&str, ErrorCode)> {
    response
        .topics
        .iter()
        .filter_map(|t| {
            let code = ErrorCode(t.error_code);
            let name = t.name.as_deref()?;
            let settled = !code.is_ok()
                && (!code.is_retriable() || code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
            settled.then_some((name, code))
        })
        .collect()
}

/// The DeleteRecords request for `partitions` (with their offsets).
fn delete_records_request<'a>(
    partitions: impl Iterator<Item = (&'a TopicPartition, i64)>,
    timeout_ms: i32,
) -> DeleteRecordsRequest {
    let mut topics: BTreeMap<&str, Vec<DeleteRecordsRequestPartition>> = BTreeMap::new();
    for (tp, offset) in partitions {
        topics
            .entry(tp.topic.as_str())
            .or_default()
            .push(DeleteRecordsRequestPartition {
                partition_index: tp.partition,
                offset,
            });
    }
    DeleteRecordsRequest {
        topics: topics
            .into_iter()
            .map(|(name, partitions)| DeleteRecordsRequestTopic {
                name: name.to_owned(),
                partitions,
            })
            .collect(),
        timeout_ms,
    }
}

/// What a leader's answer means for one partition.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Settled: the new low watermark, or an error asking again would not cure.
    Done(Result<i64>),
    /// Ask again (after a metadata refresh, which every round makes).
    Retry(KafkaError),
}

/// The steps of each partition a DeleteRecords answer names.
fn delete_steps(response: &DeleteRecordsResponse) -> Vec<(TopicPartition, Step)> {
    response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                let tp = TopicPartition::new(t.name.clone(), p.partition_index);
                let code = ErrorCode(p.error_code);
                let step = if code.is_ok() {
                    Step::Done(Ok(p.low_watermark))
                } else {
                    let e = KafkaError::broker(code, format!("deleting the records of {tp}"));
                    if code.is_retriable() {
                        Step::Retry(e)
                    } else {
                        Step::Done(Err(e))
                    }
                };
                (tp, step)
            })
        })
        .collect()
}

/// Deletes records at the partitions' leaders, refreshing metadata and asking again
/// for partitions whose leader moved or is missing, until `deadline`.
fn delete_at_leaders(
    client: &mut KafkaClient,
    before: &BTreeMap<TopicPartition, i64>,
    deadline: Instant,
) -> Result<BTreeMap<TopicPartition, Result<i64>>> {
    let mut results = BTreeMap::new();
    let mut pending: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    for (tp, &offset) in before {
        match check_partition(tp) {
            Ok(()) => {
                pending.insert(tp.clone(), offset);
            }
            Err(e) => {
                results.insert(tp.clone(), Err(e));
            }
        }
    }
    let mut last_error: Option<KafkaError> = None;
    let mut settle = |pending: &mut BTreeMap<TopicPartition, i64>, tp: &TopicPartition, r| {
        pending.remove(tp);
        results.insert(tp.clone(), r);
    };
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let why = last_error.map_or_else(String::new, |e| format!(" (last error: {e})"));
            let late: Vec<TopicPartition> = pending.keys().cloned().collect();
            for tp in late {
                let e = KafkaError::timeout(format!("deleting the records of {tp} timed out{why}"));
                settle(&mut pending, &tp, Err(e));
            }
            break;
        }
        let topics: BTreeSet<String> = pending.keys().map(|tp| tp.topic.clone()).collect();
        let topics: Vec<String> = topics.into_iter().collect();
        let metadata = match client.update_metadata(Some(&topics), false, left) {
            Ok(metadata) => metadata,
            Err(e) if e.is_retriable() => {
                last_error = Some(e);
                let _ = back_off(client, deadline);
                continue;
            }
            Err(e) => return Err(e),
        };
        for (topic, code) in failed_topics(&metadata) {
            let failed: Vec<TopicPartition> = pending
                .keys()
                .filter(|tp| tp.topic == topic)
                .cloned()
                .collect();
            for tp in failed {
                let e = KafkaError::broker(code, format!("deleting the records of {tp}"));
                settle(&mut pending, &tp, Err(e));
            }
        }
        let placement = place(client.cluster(), pending.keys());
        for tp in placement.missing {
            let e = KafkaError::broker(
                ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                format!("deleting the records of {tp}: the topic has no such partition"),
            );
            settle(&mut pending, &tp, Err(e));
        }
        if let Some(tp) = placement.leaderless.first() {
            last_error = Some(KafkaError::broker(
                ErrorCode::LEADER_NOT_AVAILABLE,
                format!("partition {tp}"),
            ));
        }
        for (leader, partitions) in placement.by_leader {
            let left = deadline.saturating_duration_since(Instant::now());
            let request = delete_records_request(
                partitions.iter().map(|tp| (tp, pending[tp])),
                timeout_ms(left),
            );
            match client.send_and_wait(leader, &request, left) {
                Ok(response) => {
                    for (tp, step) in delete_steps(&response) {
                        if !pending.contains_key(&tp) {
                            continue;
                        }
                        match step {
                            Step::Done(result) => settle(&mut pending, &tp, result),
                            Step::Retry(e) => {
                                log::debug!("retrying: {e}");
                                last_error = Some(e);
                            }
                        }
                    }
                }
                Err(e) if e.is_retriable() => {
                    log::debug!("deleting records at node {leader}: {e}");
                    last_error = Some(e);
                }
                Err(e) => {
                    for tp in partitions {
                        settle(&mut pending, &tp, Err(e.clone()));
                    }
                }
            }
        }
        if !pending.is_empty() {
            let _ = back_off(client, deadline);
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::{
        AlterPartitionReassignmentsResponsePartition, AlterPartitionReassignmentsResponseTopic,
        DeleteRecordsResponsePartition, DeleteRecordsResponseTopic,
        DescribeLogDirsResponsePartition, DescribeLogDirsResponseResult,
        DescribeLogDirsResponseTopic, ElectLeadersResponsePartition, ElectLeadersResponseResult,
        ListPartitionReassignmentsResponsePartition, ListPartitionReassignmentsResponseTopic,
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    /// Brokers 1 and 2; topic `a` with partitions 0 (led by 1), 1 (led by 2), 2 (no
    /// leader) and 3 (led by 9, a broker not in the metadata); topic `b` with
    /// partition 0 led by 1; topic `gone` unknown.
    fn metadata() -> MetadataResponse {
        let partition = |partition_index, leader_id| MetadataResponsePartition {
            partition_index,
            leader_id,
            ..Default::default()
        };
        MetadataResponse {
            brokers: [1, 2]
                .into_iter()
                .map(|node_id| MetadataResponseBroker {
                    node_id,
                    host: "h".into(),
                    port: 9092,
                    rack: None,
                })
                .collect(),
            topics: vec![
                MetadataResponseTopic {
                    name: Some("a".into()),
                    partitions: vec![
                        partition(0, 1),
                        partition(1, 2),
                        partition(2, -1),
                        partition(3, 9),
                    ],
                    ..Default::default()
                },
                MetadataResponseTopic {
                    name: Some("b".into()),
                    partitions: vec![partition(0, 1)],
                    ..Default::default()
                },
                MetadataResponseTopic {
                    name: Some("gone".into()),
                    error_code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.0,
                    ..Default::default()
                },
                MetadataResponseTopic {
                    name: Some("electing".into()),
                    error_code: ErrorCode::LEADER_NOT_AVAILABLE.0,
                    ..Default::default()
                },
                MetadataResponseTopic {
                    name: Some("bad name".into()),
                    error_code: ErrorCode::INVALID_TOPIC_EXCEPTION.0,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn partitions_are_grouped_by_their_live_leader() {
        let mut cluster = Cluster::default();
        cluster.update(&metadata(), false);
        let asked = [
            tp("a", 0),
            tp("a", 1),
            tp("a", 2),
            tp("a", 3),
            tp("a", 4),
            tp("b", 0),
            tp("gone", 0),
        ];
        let placement = place(&cluster, asked.iter());
        assert_eq!(
            placement.by_leader,
            BTreeMap::from([(1, vec![tp("a", 0), tp("b", 0)]), (2, vec![tp("a", 1)])])
        );
        assert_eq!(placement.missing, vec![tp("a", 4)]);
        assert_eq!(
            placement.leaderless,
            vec![tp("a", 2), tp("a", 3), tp("gone", 0)],
            "no leader, a leader not among the brokers, a topic not described"
        );
    }

    #[test]
    fn unknown_and_invalid_topics_are_settled_and_elections_waited_for() {
        let metadata = metadata();
        let failed = failed_topics(&metadata);
        assert_eq!(
            failed,
            vec![
                ("gone", ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
                ("bad name", ErrorCode::INVALID_TOPIC_EXCEPTION),
            ]
        );
    }

    #[test]
    fn a_delete_records_request_groups_partitions_by_topic() {
        let (a0, a1, b0) = (tp("a", 0), tp("a", 1), tp("b", 0));
        let request = delete_records_request([(&a1, 5), (&b0, -1), (&a0, 7)].into_iter(), 1500);
        assert_eq!(request.timeout_ms, 1500);
        let shape: Vec<(&str, Vec<(i32, i64)>)> = request
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.partitions
                        .iter()
                        .map(|p| (p.partition_index, p.offset))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![("a", vec![(1, 5), (0, 7)]), ("b", vec![(0, -1)])]
        );
    }

    #[test]
    fn delete_records_answers_settle_or_retry_each_partition() {
        let partition =
            |partition_index, low_watermark, code: ErrorCode| DeleteRecordsResponsePartition {
                partition_index,
                low_watermark,
                error_code: code.0,
            };
        let response = DeleteRecordsResponse {
            throttle_time_ms: 0,
            topics: vec![DeleteRecordsResponseTopic {
                name: "t".into(),
                partitions: vec![
                    partition(0, 42, ErrorCode::NONE),
                    partition(1, -1, ErrorCode::NOT_LEADER_OR_FOLLOWER),
                    partition(2, -1, ErrorCode::OFFSET_OUT_OF_RANGE),
                    partition(3, -1, ErrorCode::REQUEST_TIMED_OUT),
                    partition(4, -1, ErrorCode::POLICY_VIOLATION),
                ],
            }],
        };
        let steps = delete_steps(&response);
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[0], (tp("t", 0), Step::Done(Ok(42))));
        let code_of = |step: &Step| match step {
            Step::Done(Err(e)) => ("done", e.code()),
            Step::Retry(e) => ("retry", e.code()),
            Step::Done(Ok(_)) => ("ok", None),
        };
        assert_eq!(
            code_of(&steps[1].1),
            ("retry", Some(ErrorCode::NOT_LEADER_OR_FOLLOWER))
        );
        assert_eq!(
            code_of(&steps[2].1),
            ("done", Some(ErrorCode::OFFSET_OUT_OF_RANGE))
        );
        assert_eq!(
            code_of(&steps[3].1),
            ("retry", Some(ErrorCode::REQUEST_TIMED_OUT))
        );
        assert_eq!(
            code_of(&steps[4].1),
            ("done", Some(ErrorCode::POLICY_VIOLATION))
        );
    }

    #[test]
    fn partitions_that_cannot_be_asked_about_are_refused() {
        assert!(check_partition(&tp("events", 0)).is_ok());
        for bad in [tp("events", -1), tp("", 0), tp("a b", 0)] {
            let e = check_partition(&bad).expect_err("refused");
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
        }
    }

    #[test]
    fn partitions_are_grouped_by_topic_sorted_and_deduplicated() {
        let asked = [tp("b", 2), tp("a", 1), tp("b", 0), tp("b", 2)];
        assert_eq!(
            by_topic(asked.iter()),
            BTreeMap::from([("a".to_owned(), vec![1]), ("b".to_owned(), vec![0, 2])])
        );
    }

    #[test]
    fn election_types_have_their_wire_codes() {
        assert_eq!(ElectionType::Preferred.code(), 0);
        assert_eq!(ElectionType::Unclean.code(), 1);
    }

    fn election(code: i16, partitions: &[(i32, ErrorCode)]) -> ElectLeadersResponse {
        ElectLeadersResponse {
            throttle_time_ms: 0,
            error_code: code,
            replica_election_results: vec![ElectLeadersResponseResult {
                topic: "t".into(),
                partition_result: partitions
                    .iter()
                    .map(|&(partition_id, code)| ElectLeadersResponsePartition {
                        partition_id,
                        error_code: code.0,
                        error_message: (!code.is_ok()).then(|| "why".to_owned()),
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn election_results_report_each_partition_and_flag_what_is_missing() {
        let response = election(
            0,
            &[
                (0, ErrorCode::NONE),
                (1, ErrorCode::ELECTION_NOT_NEEDED),
                (2, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
            ],
        );
        let asked = [tp("t", 0), tp("t", 1), tp("t", 2), tp("t", 3)];
        let results = election_results(asked.iter(), &response).expect("no top-level error");
        assert_eq!(results.len(), 4);
        assert!(results[&tp("t", 0)].is_ok());
        let code = |p| results[&tp("t", p)].as_ref().expect_err("failed").code();
        assert_eq!(code(1), Some(ErrorCode::ELECTION_NOT_NEEDED));
        assert_eq!(code(2), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
        let missing = results[&tp("t", 3)].as_ref().expect_err("not mentioned");
        assert_eq!(missing.kind(), ErrorKind::UnexpectedResponse);
        assert!(results[&tp("t", 1)]
            .as_ref()
            .unwrap_err()
            .message()
            .contains("why"));

        // Every partition: what the controller listed, nothing more.
        let all = election_results(std::iter::empty(), &response).expect("listed");
        assert_eq!(all.len(), 3);

        let refused = election(ErrorCode::CLUSTER_AUTHORIZATION_FAILED.0, &[]);
        let e = election_results(asked.iter(), &refused).expect_err("top-level error");
        assert_eq!(e.code(), Some(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
    }

    /// A partition and its new replicas (`None`: cancel), as a request carries them.
    type Change = (i32, Option<Vec<i32>>);

    #[test]
    fn reassignment_requests_carry_new_sets_and_cancellations() {
        let (a0, a1, b3) = (tp("a", 0), tp("a", 1), tp("b", 3));
        let (new_set, cancel) = (Some(vec![3, 1, 2]), None);
        let changes = BTreeMap::from([(&a1, &cancel), (&a0, &new_set), (&b3, &new_set)]);
        let request = reassignment_request(&changes, 900);
        assert_eq!(request.timeout_ms, 900);
        let shape: Vec<(&str, Vec<Change>)> = request
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.partitions
                        .iter()
                        .map(|p| (p.partition_index, p.replicas.clone()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("a", vec![(0, Some(vec![3, 1, 2])), (1, None)]),
                ("b", vec![(3, Some(vec![3, 1, 2]))]),
            ]
        );
    }

    #[test]
    fn reassignment_results_report_each_partition_or_the_top_level_error() {
        let mut response = AlterPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            responses: vec![AlterPartitionReassignmentsResponseTopic {
                name: "t".into(),
                partitions: vec![
                    AlterPartitionReassignmentsResponsePartition {
                        partition_index: 0,
                        error_code: 0,
                        error_message: None,
                    },
                    AlterPartitionReassignmentsResponsePartition {
                        partition_index: 1,
                        error_code: ErrorCode::NO_REASSIGNMENT_IN_PROGRESS.0,
                        error_message: Some("nothing to cancel".into()),
                    },
                ],
            }],
        };
        let asked = [tp("t", 0), tp("t", 1)];
        let results = reassignment_results(asked.iter(), &response).expect("answered");
        assert!(results[&tp("t", 0)].is_ok());
        let e = results[&tp("t", 1)].as_ref().expect_err("failed");
        assert_eq!(e.code(), Some(ErrorCode::NO_REASSIGNMENT_IN_PROGRESS));
        assert!(e.message().contains("nothing to cancel"), "{e}");

        response.error_code = ErrorCode::NOT_CONTROLLER.0;
        response.error_message = Some("moved".into());
        let e = reassignment_results(asked.iter(), &response).expect_err("top-level");
        assert_eq!(e.code(), Some(ErrorCode::NOT_CONTROLLER));
    }

    #[test]
    fn ongoing_reassignments_are_listed_by_partition() {
        let mut response = ListPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            topics: vec![ListPartitionReassignmentsResponseTopic {
                name: "t".into(),
                partitions: vec![ListPartitionReassignmentsResponsePartition {
                    partition_index: 2,
                    replicas: vec![1, 2, 3, 4],
                    adding_replicas: vec![4],
                    removing_replicas: vec![1],
                }],
            }],
        };
        let listed = ongoing_reassignments(&response).expect("listed");
        assert_eq!(
            listed,
            BTreeMap::from([(
                tp("t", 2),
                PartitionReassignment {
                    replicas: vec![1, 2, 3, 4],
                    adding_replicas: vec![4],
                    removing_replicas: vec![1],
                }
            )])
        );
        response.error_code = ErrorCode::CLUSTER_AUTHORIZATION_FAILED.0;
        assert!(ongoing_reassignments(&response).is_err());
    }

    #[test]
    fn log_dirs_are_keyed_by_path_with_their_replicas() {
        let mut response = DescribeLogDirsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            results: vec![
                DescribeLogDirsResponseResult {
                    error_code: 0,
                    log_dir: "/data/a".into(),
                    topics: vec![DescribeLogDirsResponseTopic {
                        name: "t".into(),
                        partitions: vec![DescribeLogDirsResponsePartition {
                            partition_index: 1,
                            partition_size: 2048,
                            offset_lag: 3,
                            is_future_key: true,
                        }],
                    }],
                    total_bytes: 1 << 30,
                    usable_bytes: 1 << 20,
                },
                DescribeLogDirsResponseResult {
                    error_code: ErrorCode::KAFKA_STORAGE_ERROR.0,
                    log_dir: "/data/b".into(),
                    topics: vec![],
                    total_bytes: -1,
                    usable_bytes: -1,
                },
            ],
        };
        let dirs = log_dirs_of(7, &response).expect("described");
        assert_eq!(dirs.len(), 2);
        let a = &dirs["/data/a"];
        assert_eq!(a.path, "/data/a");
        assert_eq!(a.error, None);
        assert_eq!(
            (a.total_bytes, a.usable_bytes),
            (Some(1 << 30), Some(1 << 20))
        );
        assert_eq!(
            a.replicas,
            BTreeMap::from([(
                tp("t", 1),
                ReplicaInfo {
                    size: 2048,
                    offset_lag: 3,
                    is_future: true,
                }
            )])
        );
        let b = &dirs["/data/b"];
        assert_eq!(
            b.error.as_ref().and_then(KafkaError::code),
            Some(ErrorCode::KAFKA_STORAGE_ERROR)
        );
        assert_eq!((b.total_bytes, b.usable_bytes), (None, None));

        response.error_code = ErrorCode::CLUSTER_AUTHORIZATION_FAILED.0;
        let e = log_dirs_of(7, &response).expect_err("top-level error");
        assert!(e.message().contains("broker 7"), "{e}");
    }
}
