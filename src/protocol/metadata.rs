//! Metadata (key 3): brokers, topics, partitions and their leaders.

use super::schema::Uuid;
use crate::message;

message! {
    /// Asks for the cluster's brokers and the given topics' partitions.
    ///
    /// In version 0 an empty topic list means all topics; from version 1 `None` means
    /// all topics and an empty list means none.
    pub struct MetadataRequest {
        /// The topics to describe; `None` for all topics.
        topics: Option<Vec<MetadataRequestTopic>> [0..],
        /// Whether the broker may auto-create the topics (if it is configured to).
        allow_auto_topic_creation: bool [4..] = true,
        /// Whether to include cluster authorized operations.
        include_cluster_authorized_operations: bool [8..=10],
        /// Whether to include topic authorized operations.
        include_topic_authorized_operations: bool [8..],
    }
}

impl MetadataRequest {
    /// A request for the named topics (all topics if `None`).
    pub fn for_topics<S: AsRef<str>>(
        topics: Option<&[S]>,
        allow_auto_topic_creation: bool,
    ) -> Self {
        MetadataRequest {
            topics: topics.map(|names| {
                names
                    .iter()
                    .map(|name| MetadataRequestTopic {
                        topic_id: Uuid::ZERO,
                        name: Some(name.as_ref().to_owned()),
                    })
                    .collect()
            }),
            allow_auto_topic_creation,
            ..Default::default()
        }
    }
}

message! {
    /// One topic to describe.
    pub struct MetadataRequestTopic {
        /// The topic id (zero when the name is used).
        topic_id: Uuid [10..],
        /// The topic name.
        name: Option<String> [0..],
    }
}

message! {
    /// The cluster's brokers and the requested topics.
    pub struct MetadataResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [3..],
        /// Every broker of the cluster.
        brokers: Vec<MetadataResponseBroker> [0..],
        /// The cluster id.
        cluster_id: Option<String> [2..],
        /// The controller's node id, or -1.
        controller_id: i32 [1..] = -1,
        /// Each requested topic.
        topics: Vec<MetadataResponseTopic> [0..],
        /// Cluster authorized operations bit field.
        cluster_authorized_operations: i32 [8..=10] = i32::MIN,
        /// The top-level error code.
        error_code: i16 [13..],
    }
}

message! {
    /// A broker of the cluster.
    pub struct MetadataResponseBroker {
        /// The broker id.
        node_id: i32 [0..],
        /// Its host name.
        host: String [0..],
        /// Its port.
        port: i32 [0..],
        /// Its rack, if assigned.
        rack: Option<String> [1..],
    }
}

message! {
    /// A topic and its partitions.
    pub struct MetadataResponseTopic {
        /// The topic error code.
        error_code: i16 [0..],
        /// The topic name.
        name: Option<String> [0..],
        /// The topic id.
        topic_id: Uuid [10..],
        /// Whether the topic is internal.
        is_internal: bool [1..],
        /// Each partition.
        partitions: Vec<MetadataResponsePartition> [0..],
        /// Topic authorized operations bit field.
        topic_authorized_operations: i32 [8..] = i32::MIN,
    }
}

message! {
    /// A partition, its leader and replicas.
    pub struct MetadataResponsePartition {
        /// The partition error code.
        error_code: i16 [0..],
        /// The partition index.
        partition_index: i32 [0..],
        /// The leader's node id, or -1.
        leader_id: i32 [0..],
        /// The leader epoch, or -1.
        leader_epoch: i32 [7..] = -1,
        /// All replicas.
        replica_nodes: Vec<i32> [0..],
        /// In-sync replicas.
        isr_nodes: Vec<i32> [0..],
        /// Offline replicas.
        offline_replicas: Vec<i32> [5..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                topic_id: Uuid::ZERO,
                name: Some("t".into()),
            }]),
            allow_auto_topic_creation: false,
            include_cluster_authorized_operations: false,
            include_topic_authorized_operations: true,
        };
        assert_golden::<MetadataRequest>(&req, 1, &[0, 0, 0, 1, 0, 1, b't']);
        assert_golden::<MetadataRequest>(&req, 4, &[0, 0, 0, 1, 0, 1, b't', 0]);
        assert_golden::<MetadataRequest>(&req, 8, &[0, 0, 0, 1, 0, 1, b't', 0, 0, 1]);
        // v9: compact array, compact string, tag sections.
        assert_golden::<MetadataRequest>(&req, 9, &[2, 2, b't', 0, 0, 0, 1, 0]);
        #[rustfmt::skip]
        assert_golden::<MetadataRequest>(&req, 12, &[
            2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, b't', 0,
            0, 1, 0,
        ]);
        let all = MetadataRequest {
            topics: None,
            ..MetadataRequest::default()
        };
        assert_golden::<MetadataRequest>(&all, 1, &[0xff, 0xff, 0xff, 0xff]);
        assert_golden::<MetadataRequest>(&all, 9, &[0, 1, 0, 0, 0]);
    }

    #[test]
    fn response_golden_bytes_and_round_trips() {
        let resp = MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![MetadataResponseBroker {
                node_id: 111,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            cluster_id: Some("c".into()),
            controller_id: 111,
            topics: vec![MetadataResponseTopic {
                error_code: 0,
                name: Some("t".into()),
                topic_id: Uuid([7; 16]),
                is_internal: false,
                partitions: vec![MetadataResponsePartition {
                    error_code: 0,
                    partition_index: 0,
                    leader_id: 111,
                    leader_epoch: 2,
                    replica_nodes: vec![111],
                    isr_nodes: vec![111],
                    offline_replicas: vec![],
                }],
                topic_authorized_operations: i32::MIN,
            }],
            cluster_authorized_operations: i32::MIN,
            error_code: 0,
        };
        #[rustfmt::skip]
        assert_golden::<MetadataResponse>(&resp, 0, &[
            0, 0, 0, 1,                              // brokers
            0, 0, 0, 111, 0, 1, b'h', 0, 0, 0x23, 0x84,
            0, 0, 0, 1,                              // topics
            0, 0, 0, 1, b't',
            0, 0, 0, 1,                              // partitions
            0, 0, 0, 0, 0, 0, 0, 0, 0, 111,
            0, 0, 0, 1, 0, 0, 0, 111,
            0, 0, 0, 1, 0, 0, 0, 111,
        ]);
        #[rustfmt::skip]
        assert_golden::<MetadataResponse>(&resp, 9, &[
            0, 0, 0, 0,                              // throttle
            2, 0, 0, 0, 111, 2, b'h', 0, 0, 0x23, 0x84, 0, 0,   // brokers (rack null)
            2, b'c',                                 // cluster id
            0, 0, 0, 111,                            // controller
            2, 0, 0, 2, b't', 0,                     // topic: error, name, internal
            2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 111, 0, 0, 0, 2,
            2, 0, 0, 0, 111, 2, 0, 0, 0, 111, 1, 0,  // replicas, isr, offline, tags
            0x80, 0, 0, 0, 0,                        // topic ops + tags
            0x80, 0, 0, 0,                           // cluster ops
            0,
        ]);
        assert_round_trip_all_versions::<MetadataResponse>(&resp, 0..=13, 9);
    }
}
