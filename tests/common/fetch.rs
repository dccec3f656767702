//! Reading back what a test wrote, with raw Fetch requests (independent of the
//! consumer, so producer tests do not depend on it).

use std::time::{Duration, Instant};

use kafka_sync::protocol::messages::{FetchRequest, FetchRequestPartition, FetchRequestTopic};
use kafka_sync::record::{Batch, Batches, Record};
use kafka_sync::RawClient;
use kafka_sync::{ClientConfig, ErrorCode};

/// Fetches records of `topic`-`partition` from offset 0 until at least `count` have
/// arrived or `timeout` passes; returns what arrived, in offset order.
pub fn fetch_records(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    count: usize,
    timeout: Duration,
) -> Vec<Record> {
    let mut records = Vec::new();
    let mut next = 0i64;
    fetch_batches_with(bootstrap, topic, partition, timeout, |batches| {
        for batch in batches {
            if !batch.is_control() {
                for record in batch.records() {
                    let record = record.expect("record");
                    if record.offset >= next {
                        next = record.offset + 1;
                        records.push(record);
                    }
                }
            }
            next = next.max(batch.next_offset());
        }
        records.len() >= count
    });
    records
}

/// Every batch of `topic`-`partition` (data and control batches) up to `end_offset`,
/// in offset order, or those that arrived within `timeout`.
pub fn fetch_batches(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    end_offset: i64,
    timeout: Duration,
) -> Vec<Batch> {
    let mut all = Vec::new();
    fetch_batches_with(bootstrap, topic, partition, timeout, |batches| {
        all.extend_from_slice(batches);
        all.last().map_or(0, Batch::next_offset) >= end_offset
    });
    all
}

/// Fetches `topic`-`partition` from offset 0, each fetch from where the last batch
/// ended, handing the (CRC-checked) batches of each response to `enough`, which says
/// whether to stop (it is first asked with none), until `timeout` passes.
fn fetch_batches_with(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    timeout: Duration,
    mut enough: impl FnMut(&[Batch]) -> bool,
) {
    let deadline = Instant::now() + timeout;
    let mut client = RawClient::new(ClientConfig::new(bootstrap)).expect("client");
    client
        .metadata_for(&[topic], false, timeout)
        .expect("topic metadata");
    let mut offset = 0i64;
    let mut batches = Vec::new();
    while !enough(&batches) && Instant::now() < deadline {
        batches.clear();
        let leader = client
            .leader_for(topic, partition)
            .expect("partition leader");
        let topic_id = client.topic(topic).expect("topic").topic_id;
        let request = FetchRequest {
            max_wait_ms: 200,
            min_bytes: 1,
            max_bytes: 64 << 20,
            topics: vec![FetchRequestTopic {
                topic: topic.to_owned(),
                topic_id,
                partitions: vec![FetchRequestPartition {
                    partition,
                    fetch_offset: offset,
                    partition_max_bytes: 16 << 20,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        };
        let response = client
            .send(leader, &request, Duration::from_secs(10))
            .expect("fetch");
        for t in response.responses {
            for p in t.partitions {
                let code = ErrorCode(p.error_code);
                if code.is_retriable() && Instant::now() < deadline {
                    // A leader that moved or is not ready yet, as a consumer sees it.
                    client
                        .metadata_for(&[topic], false, timeout)
                        .expect("metadata");
                    continue;
                }
                assert_eq!(code, ErrorCode::NONE, "fetch {topic}-{partition}");
                let Some(blob) = p.records else { continue };
                for batch in Batches::new(blob) {
                    let batch = batch.expect("well-formed batch");
                    batch.verify_crc().expect("crc");
                    offset = offset.max(batch.next_offset());
                    batches.push(batch);
                }
            }
        }
    }
}

/// Fetches every record of `topic`-`partition` up to its high watermark at the time of
/// the call.
pub fn fetch_until_end(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    timeout: Duration,
) -> Vec<Record> {
    let end = high_watermark(bootstrap, topic, partition);
    fetch_records(bootstrap, topic, partition, end as usize, timeout)
}

/// The partition's high watermark (its log end offset for acks=all producers).
pub fn high_watermark(bootstrap: &str, topic: &str, partition: i32) -> i64 {
    let mut client = RawClient::new(ClientConfig::new(bootstrap)).expect("client");
    client
        .metadata_for(&[topic], false, Duration::from_secs(10))
        .expect("metadata");
    let leader = client.leader_for(topic, partition).expect("leader");
    let response = list_latest(&mut client, leader, topic, partition).expect("list offsets");
    let p = &response.topics[0].partitions[0];
    assert_eq!(ErrorCode(p.error_code), ErrorCode::NONE);
    p.offset
}

/// Waits until every partition of `topic` (which has `partitions` partitions) has a
/// leader that serves it: Apache Kafka answers NOT_LEADER_OR_FOLLOWER for a moment
/// after CreateTopics returns, while the broker takes up the new partitions, and an
/// acks=0 record sent then is lost.
pub fn wait_until_led(bootstrap: &str, topic: &str, partitions: i32, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut client = RawClient::new(ClientConfig::new(bootstrap)).expect("client");
    let mut pending: Vec<i32> = (0..partitions).collect();
    let mut last = String::new();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{topic}: partitions {pending:?} have no serving leader after {timeout:?} ({last})"
        );
        client
            .metadata_for(&[topic], false, timeout)
            .expect("metadata");
        let mut still = Vec::new();
        for &partition in &pending {
            let Some(leader) = client.leader_for(topic, partition) else {
                last = format!("partition {partition} has no leader in the metadata");
                still.push(partition);
                continue;
            };
            match list_latest(&mut client, leader, topic, partition) {
                Ok(r) if r.topics[0].partitions[0].error_code == 0 => {}
                Ok(r) => {
                    last = format!(
                        "partition {partition}: {:?}",
                        ErrorCode(r.topics[0].partitions[0].error_code)
                    );
                    still.push(partition);
                }
                Err(e) => {
                    last = format!("partition {partition}: {e}");
                    still.push(partition);
                }
            }
        }
        pending = still;
    }
}

/// Asks `leader` for the latest offset of `topic`-`partition`.
fn list_latest(
    client: &mut RawClient,
    leader: i32,
    topic: &str,
    partition: i32,
) -> kafka_sync::Result<kafka_sync::protocol::messages::ListOffsetsResponse> {
    use kafka_sync::protocol::messages::{
        ListOffsetsRequest, ListOffsetsRequestPartition, ListOffsetsRequestTopic,
    };
    let request = ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsRequestTopic {
            name: topic.to_owned(),
            partitions: vec![ListOffsetsRequestPartition {
                partition_index: partition,
                timestamp: -1,
                ..Default::default()
            }],
        }],
        ..Default::default()
    };
    client.send(leader, &request, Duration::from_secs(10))
}
