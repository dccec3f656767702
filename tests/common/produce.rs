//! Writing test data with plain Produce requests (record batches built by the crate's
//! record layer), so consumer tests do not depend on the producer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kafka_sync::protocol::messages::{
    ProduceRequest, ProduceRequestPartition, ProduceRequestTopic,
};
use kafka_sync::record::RecordBatchBuilder;
use kafka_sync::RawClient;
use kafka_sync::{ClientConfig, Compression, ErrorCode, Header};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One record to write.
#[derive(Debug, Clone, Default)]
pub struct TestRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// Milliseconds since the epoch; `None` for now.
    pub timestamp: Option<i64>,
}

impl TestRecord {
    /// A record with a value only.
    pub fn value(value: impl Into<Vec<u8>>) -> Self {
        TestRecord {
            value: Some(value.into()),
            ..Default::default()
        }
    }
}

/// Writes record batches straight to partition leaders.
pub struct TestProducer {
    client: RawClient,
    pub compression: Compression,
}

impl TestProducer {
    /// A producer for `bootstrap`.
    pub fn new(bootstrap: &str) -> Self {
        TestProducer {
            client: RawClient::new(ClientConfig::new(bootstrap)).expect("client"),
            compression: Compression::None,
        }
    }

    /// Writes `records` to `topic`-`partition` as one batch (acks=all); returns the
    /// base offset.
    pub fn send_batch(&mut self, topic: &str, partition: i32, records: &[TestRecord]) -> i64 {
        let base_ts = records
            .first()
            .and_then(|r| r.timestamp)
            .unwrap_or_else(now_ms);
        let mut builder = RecordBatchBuilder::new(self.compression, base_ts, -1, -1, -1, false);
        for r in records {
            builder
                .append(
                    r.timestamp.unwrap_or_else(now_ms),
                    r.key.as_deref(),
                    r.value.as_deref(),
                    &r.headers,
                )
                .expect("append");
        }
        let batch = builder.build().expect("build batch");
        let request = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30_000,
            topic_data: vec![ProduceRequestTopic {
                name: topic.to_owned(),
                partition_data: vec![ProduceRequestPartition {
                    index: partition,
                    records: Some(batch),
                }],
            }],
        };
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            self.client
                .metadata_for(&[topic], false, TIMEOUT)
                .expect("topic metadata");
            let leader = self.client.leader_for(topic, partition);
            if let Some(leader) = leader {
                let response = self
                    .client
                    .send(leader, &request, TIMEOUT)
                    .expect("produce");
                let p = &response.responses[0].partition_responses[0];
                let code = ErrorCode(p.error_code);
                if code == ErrorCode::NONE {
                    return p.base_offset;
                }
                assert!(
                    code.is_retriable(),
                    "produce to {topic}-{partition}: {code:?}"
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no leader for {topic}-{partition}"
            );
            // Waiting for a leader election: nothing to wait on but time.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Writes `count` records `"{partition}-{i}"` (i from `start`) to each partition
    /// of `partitions`, in batches of `batch` records.
    pub fn fill(&mut self, topic: &str, partitions: i32, start: usize, count: usize, batch: usize) {
        for p in 0..partitions {
            let mut i = start;
            while i < start + count {
                let n = batch.min(start + count - i);
                let records: Vec<TestRecord> = (i..i + n)
                    .map(|j| TestRecord {
                        key: Some(format!("k{j}").into_bytes()),
                        value: Some(format!("{p}-{j}").into_bytes()),
                        ..Default::default()
                    })
                    .collect();
                self.send_batch(topic, p, &records);
                i += n;
            }
        }
    }
}
