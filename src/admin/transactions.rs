//! Producers and transactions: `describe_producers` (the idempotent and
//! transactional producers a partition leader knows), `list_transactions` (every
//! broker, each the coordinator of some transactional ids) and
//! `describe_transactions` (at each id's transaction coordinator).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use super::routing::{back_off, remaining, transaction_coordinator};
use super::{item_result, KafkaAdminClient};
use crate::client::TopicPartition;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    DescribeProducersRequest, DescribeProducersRequestTopic, DescribeTransactionsRequest,
    ListTransactionsRequest,
};

/// A producer that wrote to a partition recently, as its leader knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerState {
    /// The producer id.
    pub producer_id: i64,
    /// Its epoch.
    pub producer_epoch: i32,
    /// The last sequence number the leader wrote for it, if any.
    pub last_sequence: Option<i32>,
    /// The timestamp of its last write, if any.
    pub last_timestamp: Option<i64>,
    /// The coordinator epoch of its last transaction marker, if any.
    pub coordinator_epoch: Option<i32>,
    /// The first offset of its open transaction in the partition, if one is open.
    pub current_transaction_start_offset: Option<i64>,
}

/// A transaction as [`list_transactions`](KafkaAdminClient::list_transactions) lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TransactionListing {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id it uses.
    pub producer_id: i64,
    /// Its state (`Ongoing`, `PrepareCommit`, `CompleteCommit`, `Empty`, ...).
    pub state: String,
}

/// A transaction as its coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionDescription {
    /// The node id of its coordinator.
    pub coordinator_id: i32,
    /// Its state (`Ongoing`, `CompleteCommit`, `Empty`, ...).
    pub state: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// Its `transaction.timeout.ms`.
    pub transaction_timeout_ms: i32,
    /// When the open transaction started (milliseconds since the epoch), if one is.
    pub transaction_start_time_ms: Option<i64>,
    /// The partitions in the open transaction.
    pub topic_partitions: Vec<TopicPartition>,
}

impl KafkaAdminClient {
    /// The producers that wrote to `partitions` recently, from each partition's
    /// leader; one result per partition (an unknown one fails alone).
    pub fn describe_producers(
        &self,
        partitions: &[TopicPartition],
        timeout: Duration,
    ) -> Result<BTreeMap<TopicPartition, Result<Vec<ProducerState>>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let mut results: BTreeMap<TopicPartition, Result<Vec<ProducerState>>> = BTreeMap::new();
            let mut pending: BTreeSet<TopicPartition> = partitions.iter().cloned().collect();
            while !pending.is_empty() {
                let topics: Vec<String> = pending
                    .iter()
                    .map(|tp| tp.topic.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                client.update_metadata(Some(&topics), false, remaining(deadline)?)?;
                let mut by_leader: HashMap<i32, Vec<TopicPartition>> = HashMap::new();
                for tp in std::mem::take(&mut pending) {
                    let cluster = client.cluster();
                    match cluster.leader_for(&tp.topic, tp.partition) {
                        Some(leader) => by_leader.entry(leader.id).or_default().push(tp),
                        None if cluster.partition(&tp.topic, tp.partition).is_none() => {
                            let e = KafkaError::broker(
                                ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                                format!("describing the producers of {tp}"),
                            );
                            results.insert(tp, Err(e));
                        }
                        None => {
                            pending.insert(tp);
                        }
                    }
                }
                for (leader, tps) in by_leader {
                    let mut topics: Vec<DescribeProducersRequestTopic> = Vec::new();
                    for tp in &tps {
                        match topics.iter_mut().find(|t| t.name == tp.topic) {
                            Some(t) => t.partition_indexes.push(tp.partition),
                            None => topics.push(DescribeProducersRequestTopic {
                                name: tp.topic.clone(),
                                partition_indexes: vec![tp.partition],
                            }),
                        }
                    }
                    let request = DescribeProducersRequest { topics };
                    let response =
                        match client.send_and_wait(leader, &request, remaining(deadline)?) {
                            Ok(response) => response,
                            Err(e) if e.kind() == ErrorKind::Connection => {
                                pending.extend(tps);
                                continue;
                            }
                            Err(e) => return Err(e),
                        };
                    for t in &response.topics {
                        for p in &t.partitions {
                            let tp = TopicPartition::new(t.name.clone(), p.partition_index);
                            let code = ErrorCode(p.error_code);
                            if code.is_invalid_metadata() {
                                pending.insert(tp);
                                continue;
                            }
                            let context = format!("describing the producers of {tp}");
                            let result =
                                item_result(p.error_code, p.error_message.as_deref(), &context)
                                    .map(|()| {
                                        p.active_producers
                                            .iter()
                                            .map(|s| ProducerState {
                                                producer_id: s.producer_id,
                                                producer_epoch: s.producer_epoch,
                                                last_sequence: (s.last_sequence >= 0)
                                                    .then_some(s.last_sequence),
                                                last_timestamp: (s.last_timestamp >= 0)
                                                    .then_some(s.last_timestamp),
                                                coordinator_epoch: (s.coordinator_epoch >= 0)
                                                    .then_some(s.coordinator_epoch),
                                                current_transaction_start_offset: (s
                                                    .current_txn_start_offset
                                                    >= 0)
                                                    .then_some(s.current_txn_start_offset),
                                            })
                                            .collect()
                                    });
                            results.insert(tp, result);
                        }
                    }
                }
                if !pending.is_empty() {
                    client.request_metadata_update();
                    back_off(client, deadline)?;
                }
            }
            Ok(results)
        })
    }

    /// The transactions of the cluster, from every broker, sorted by transactional
    /// id: those in one of `states` (every state if empty), of one of `producer_ids`
    /// (any if empty), and, with `running_longer_than`, open at least that long.
    pub fn list_transactions(
        &self,
        states: &[&str],
        producer_ids: &[i64],
        running_longer_than: Option<Duration>,
        timeout: Duration,
    ) -> Result<Vec<TransactionListing>> {
        let deadline = crate::time::deadline_in(timeout);
        let request = ListTransactionsRequest {
            state_filters: states.iter().map(|s| (*s).to_owned()).collect(),
            producer_id_filters: producer_ids.to_vec(),
            duration_filter: running_longer_than
                .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        };
        self.with_client(|client| {
            client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
            let brokers: Vec<i32> = client.cluster().brokers.keys().copied().collect();
            let mut listed = BTreeSet::new();
            for node in brokers {
                let response = client
                    .send_and_wait(node, &request, remaining(deadline)?)
                    .map_err(|e| e.context(format!("listing the transactions of node {node}")))?;
                item_result(
                    response.error_code,
                    None,
                    &format!("listing the transactions of node {node}"),
                )?;
                for t in response.transaction_states {
                    listed.insert(TransactionListing {
                        transactional_id: t.transactional_id,
                        producer_id: t.producer_id,
                        state: t.transaction_state,
                    });
                }
            }
            Ok(listed.into_iter().collect())
        })
    }

    /// Describes the transactions of `transactional_ids` at their coordinators; one
    /// result per id (an unknown id fails alone with TRANSACTIONAL_ID_NOT_FOUND).
    pub fn describe_transactions(
        &self,
        transactional_ids: &[&str],
        timeout: Duration,
    ) -> Result<BTreeMap<String, Result<TransactionDescription>>> {
        let deadline = crate::time::deadline_in(timeout);
        self.with_client(|client| {
            let mut results = BTreeMap::new();
            for id in transactional_ids {
                let request = DescribeTransactionsRequest {
                    transactional_ids: vec![(*id).to_owned()],
                };
                let result = loop {
                    let node = transaction_coordinator(client, id, deadline)?;
                    let response = match client.send_and_wait(node, &request, remaining(deadline)?)
                    {
                        Ok(r) => r,
                        Err(e) if e.kind() == ErrorKind::Connection => {
                            back_off(client, deadline)?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let Some(t) = response
                        .transaction_states
                        .iter()
                        .find(|t| t.transactional_id == *id)
                    else {
                        break Err(KafkaError::new(
                            ErrorKind::UnexpectedResponse,
                            format!("the coordinator's answer did not mention {id}"),
                        ));
                    };
                    let code = ErrorCode(t.error_code);
                    if matches!(
                        code,
                        ErrorCode::NOT_COORDINATOR
                            | ErrorCode::COORDINATOR_NOT_AVAILABLE
                            | ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
                    ) {
                        back_off(client, deadline)?;
                        continue;
                    }
                    let context = format!("describing transactional id {id}");
                    break item_result(t.error_code, None, &context).map(|()| {
                        TransactionDescription {
                            coordinator_id: node,
                            state: t.transaction_state.clone(),
                            producer_id: t.producer_id,
                            producer_epoch: t.producer_epoch,
                            transaction_timeout_ms: t.transaction_timeout_ms,
                            transaction_start_time_ms: (t.transaction_start_time_ms >= 0)
                                .then_some(t.transaction_start_time_ms),
                            topic_partitions: t
                                .topics
                                .iter()
                                .flat_map(|topic| {
                                    topic
                                        .partitions
                                        .iter()
                                        .map(|&p| TopicPartition::new(topic.topic.clone(), p))
                                })
                                .collect(),
                        }
                    });
                };
                results.insert((*id).to_owned(), result);
            }
            Ok(results)
        })
    }
}
