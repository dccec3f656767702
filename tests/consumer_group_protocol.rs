//! The consumer group suite (tests/suites/groups.rs) under the consumer group
//! protocol of KIP-848 (`group.protocol=consumer`), on Apache Kafka (tansu has no
//! such protocol). The test clusters set the groups' session timeout to 6 s and
//! heartbeat interval to 500 ms (scripts/kafka-cluster.sh).

mod common;
#[path = "suites/groups.rs"]
mod groups;

groups::group_suite!(kafka_sync::GroupProtocol::Consumer);
