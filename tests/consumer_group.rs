//! The consumer group suite (tests/suites/groups.rs) under the classic group
//! protocol, on Apache Kafka and on tansu.
//!
//! tansu answers the first JoinGroup of a new group after about half the session
//! timeout, so the tests use a 6 s session. Its concurrent rebalances of several groups
//! can fence live members (../shared/brokers.md), so on tansu the tests of this file
//! run one at a time.

mod common;
#[path = "suites/groups.rs"]
mod groups;

groups::group_suite!(kafka_sync::GroupProtocol::Classic);
