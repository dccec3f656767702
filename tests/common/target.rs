//! A broker for the tests that run on two brokers: the shared broker of the test binary
//! (Apache Kafka by default, see [`super::broker`]), and librdkafka's mock cluster, an
//! independent implementation whose own quirks the tests document.

use std::time::{Duration, Instant};

use kafka_sync::protocol::ApiKey;
use kafka_sync::RawClient;
use kafka_sync::{ClientConfig, ConsumerConfig, KafkaConsumer, NewTopic, OffsetReset};

use super::mock::MockCluster;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A broker to run against: librdkafka's mock, or the shared broker.
pub struct Target {
    /// `host:port` to bootstrap from.
    pub bootstrap: String,
    mock: Option<MockCluster>,
}

impl Target {
    /// A fresh librdkafka mock cluster of three brokers.
    pub fn mock() -> Target {
        let mock = MockCluster::start(3);
        Target {
            bootstrap: mock.bootstrap.clone(),
            mock: Some(mock),
        }
    }

    /// The shared broker of this test binary.
    pub fn broker() -> Target {
        Target {
            bootstrap: super::bootstrap(),
            mock: None,
        }
    }

    /// Whether this is librdkafka's mock cluster.
    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// A new topic with at least `partitions` partitions (the mock always makes 4).
    pub fn topic(&self, prefix: &str, partitions: i32) -> String {
        let name = super::unique_topic(prefix);
        if self.mock.is_some() {
            assert!(partitions <= 4);
            let mut client = RawClient::new(ClientConfig::new(&self.bootstrap)).unwrap();
            let deadline = Instant::now() + TIMEOUT;
            loop {
                client.metadata_for(&[&name], true, TIMEOUT).unwrap();
                if client.leader_for(&name, 0).is_some() {
                    return name;
                }
                assert!(Instant::now() < deadline, "the mock did not create {name}");
                // The mock creates the topic asynchronously: nothing to wait on but time.
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let admin =
            kafka_sync::KafkaAdminClient::new(kafka_sync::AdminConfig::new(&self.bootstrap))
                .unwrap();
        let results = admin
            .create_topics(&[NewTopic::new(&name, partitions, 1)], TIMEOUT)
            .unwrap();
        assert!(results[0].result.is_ok(), "{:?}", results[0].result);
        name
    }

    /// A consumer config for this broker. On the mock it caps the group APIs at the
    /// versions the mock implements: it announces JoinGroup v6 and SyncGroup v4 but
    /// parses their arrays the pre-flexible way (and closes the connection), and its
    /// LeaveGroup responses lack the members array of v3 and later.
    pub fn consumer_config(&self) -> ConsumerConfig {
        let mut config = ConsumerConfig::new(&self.bootstrap);
        if self.is_mock() {
            config.client = config
                .client
                .max_api_version(ApiKey::JOIN_GROUP, 5)
                .max_api_version(ApiKey::SYNC_GROUP, 3)
                .max_api_version(ApiKey::LEAVE_GROUP, 2);
        }
        config
    }

    /// A consumer without a group.
    pub fn consumer(&self, reset: OffsetReset) -> KafkaConsumer {
        KafkaConsumer::new(self.consumer_config().auto_offset_reset(reset)).unwrap()
    }
}
