//! DescribeQuorum (key 55): the state of the KRaft metadata quorum (KIP-595): its
//! leader, epoch, high watermark, voters and observers.
//!
//! This client speaks versions 0 to 2; all are flexible. The request is the same in
//! every version. Version 1 adds each replica's last fetch and last caught-up times
//! (KIP-836), and version 2 adds error messages, each replica's directory id and the
//! voters' listeners (`nodes`, KIP-853). The only partition to ask for is partition 0
//! of `__cluster_metadata`; brokers forward the request to the active controller.

use super::schema::Uuid;
use crate::message;

message! {
    /// Asks for the state of the quorum of some partitions.
    pub struct DescribeQuorumRequest {
        /// The topics to describe.
        topics: Vec<DescribeQuorumRequestTopic> [0..],
    }
}

message! {
    /// One topic of the request (spec struct `TopicData`).
    pub struct DescribeQuorumRequestTopic {
        /// The topic name.
        topic_name: String [0..],
        /// The partitions to describe.
        partitions: Vec<DescribeQuorumRequestPartition> [0..],
    }
}

message! {
    /// One partition of the request (spec struct `PartitionData`).
    pub struct DescribeQuorumRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
    }
}

message! {
    /// The state of the quorum.
    pub struct DescribeQuorumResponse {
        /// The top level error code.
        error_code: i16 [0..],
        /// The error message, or null if there was no error.
        error_message: Option<String> [2..],
        /// One entry per topic asked for.
        topics: Vec<DescribeQuorumResponseTopic> [0..],
        /// The voters' nodes and their listeners.
        nodes: Vec<DescribeQuorumResponseNode> [2..],
    }
}

message! {
    /// One topic of the response (spec struct `TopicData`).
    pub struct DescribeQuorumResponseTopic {
        /// The topic name.
        topic_name: String [0..],
        /// One entry per partition asked for.
        partitions: Vec<DescribeQuorumResponsePartition> [0..],
    }
}

message! {
    /// The quorum state of one partition (spec struct `PartitionData`).
    pub struct DescribeQuorumResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition error code.
        error_code: i16 [0..],
        /// The error message, or null if there was no error.
        error_message: Option<String> [2..],
        /// The ID of the current leader or -1 if the leader is unknown.
        leader_id: i32 [0..],
        /// The latest known leader epoch.
        leader_epoch: i32 [0..],
        /// The high watermark of the partition.
        high_watermark: i64 [0..],
        /// The current voters.
        current_voters: Vec<DescribeQuorumResponseReplicaState> [0..],
        /// The observers: replicas that fetch but do not vote.
        observers: Vec<DescribeQuorumResponseReplicaState> [0..],
    }
}

message! {
    /// The state of one voter or observer (spec struct `ReplicaState`).
    pub struct DescribeQuorumResponseReplicaState {
        /// The replica id.
        replica_id: i32 [0..],
        /// The replica's log directory id.
        replica_directory_id: Uuid [2..],
        /// The last known log end offset of the follower or -1 if it is unknown.
        log_end_offset: i64 [0..],
        /// The leader's wall clock time of the follower's last fetch, or -1 (also for the leader).
        last_fetch_timestamp: i64 [1..] = -1,
        /// The leader's append time of the offset the follower last caught up to, or -1.
        last_caught_up_timestamp: i64 [1..] = -1,
    }
}

message! {
    /// One voter node (spec struct `Node`).
    pub struct DescribeQuorumResponseNode {
        /// The ID of the associated node.
        node_id: i32 [2..],
        /// The listeners of this controller.
        listeners: Vec<DescribeQuorumResponseListener> [2..],
    }
}

message! {
    /// One listener of a voter node (spec struct `Listener`).
    pub struct DescribeQuorumResponseListener {
        /// The name of the endpoint.
        name: String [2..],
        /// The hostname.
        host: String [2..],
        /// The port.
        port: u16 [2..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    const TOPIC: &[u8] = b"__cluster_metadata";

    fn request() -> DescribeQuorumRequest {
        DescribeQuorumRequest {
            topics: vec![DescribeQuorumRequestTopic {
                topic_name: "__cluster_metadata".into(),
                partitions: vec![DescribeQuorumRequestPartition { partition_index: 0 }],
            }],
        }
    }

    fn response() -> DescribeQuorumResponse {
        DescribeQuorumResponse {
            error_code: 0,
            error_message: None,
            topics: vec![DescribeQuorumResponseTopic {
                topic_name: "__cluster_metadata".into(),
                partitions: vec![DescribeQuorumResponsePartition {
                    partition_index: 0,
                    error_code: 0,
                    error_message: None,
                    leader_id: 1,
                    leader_epoch: 3,
                    high_watermark: 100,
                    current_voters: vec![DescribeQuorumResponseReplicaState {
                        replica_id: 1,
                        replica_directory_id: Uuid([0x11; 16]),
                        log_end_offset: 100,
                        last_fetch_timestamp: 1000,
                        last_caught_up_timestamp: 2000,
                    }],
                    observers: vec![],
                }],
            }],
            nodes: vec![DescribeQuorumResponseNode {
                node_id: 1,
                listeners: vec![DescribeQuorumResponseListener {
                    name: "C".into(),
                    host: "h".into(),
                    port: 9093,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        // The same in every version; all are flexible.
        #[rustfmt::skip]
        let expected = [
            &[2, 19][..],                   // topics: 1, topic_name (18 bytes):
            TOPIC,
            &[
                2,                          //   partitions: 1
                0, 0, 0, 0,                 //     partition_index
                0,                          //     partition tags
                0,                          //   topic tags
                0,                          // tags
            ],
        ]
        .concat();
        assert_golden::<DescribeQuorumRequest>(&request(), 0, &expected);
        assert_golden::<DescribeQuorumRequest>(&request(), 2, &expected);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        let v0 = [
            &[
                0, 0,                       // error_code
                2, 19,                      // topics: 1, topic_name (18 bytes):
            ][..],
            TOPIC,
            &[
                2,                          //   partitions: 1
                0, 0, 0, 0,                 //     partition_index
                0, 0,                       //     error_code
                0, 0, 0, 1,                 //     leader_id
                0, 0, 0, 3,                 //     leader_epoch
                0, 0, 0, 0, 0, 0, 0, 100,   //     high_watermark
                2,                          //     current_voters: 1
                0, 0, 0, 1,                 //       replica_id
                0, 0, 0, 0, 0, 0, 0, 100,   //       log_end_offset
                0,                          //       replica tags
                1,                          //     observers: 0
                0,                          //     partition tags
                0,                          //   topic tags
                0,                          // tags
            ],
        ]
        .concat();
        assert_golden::<DescribeQuorumResponse>(&response(), 0, &v0);

        #[rustfmt::skip]
        let v2 = [
            &[
                0, 0,                       // error_code
                0,                          // error_message: null (from v2)
                2, 19,                      // topics: 1, topic_name (18 bytes):
            ][..],
            TOPIC,
            &[
                2,                          //   partitions: 1
                0, 0, 0, 0,                 //     partition_index
                0, 0,                       //     error_code
                0,                          //     error_message: null (from v2)
                0, 0, 0, 1,                 //     leader_id
                0, 0, 0, 3,                 //     leader_epoch
                0, 0, 0, 0, 0, 0, 0, 100,   //     high_watermark
                2,                          //     current_voters: 1
                0, 0, 0, 1,                 //       replica_id
                0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, // replica_directory_id
                0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, //   (from v2)
                0, 0, 0, 0, 0, 0, 0, 100,   //       log_end_offset
                0, 0, 0, 0, 0, 0, 0x03, 0xe8, //     last_fetch_timestamp: 1000 (from v1)
                0, 0, 0, 0, 0, 0, 0x07, 0xd0, //     last_caught_up_timestamp: 2000 (from v1)
                0,                          //       replica tags
                1,                          //     observers: 0
                0,                          //     partition tags
                0,                          //   topic tags
                2,                          // nodes: 1 (from v2)
                0, 0, 0, 1,                 //   node_id
                2,                          //   listeners: 1
                2, b'C',                    //     name
                2, b'h',                    //     host
                0x23, 0x85,                 //     port: 9093
                0,                          //     listener tags
                0,                          //   node tags
                0,                          // tags
            ],
        ]
        .concat();
        assert_golden::<DescribeQuorumResponse>(&response(), 2, &v2);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<DescribeQuorumRequest>(&request(), 0..=2, 0);

        let mut resp = response();
        let partition = &mut resp.topics[0].partitions[0];
        partition
            .current_voters
            .push(DescribeQuorumResponseReplicaState {
                replica_id: 2,
                replica_directory_id: Uuid([0x22; 16]),
                log_end_offset: 98,
                last_fetch_timestamp: 1_700_000_000_000,
                last_caught_up_timestamp: 1_699_999_999_000,
            });
        partition
            .observers
            .push(DescribeQuorumResponseReplicaState {
                replica_id: 100,
                replica_directory_id: Uuid::ZERO,
                log_end_offset: -1,
                ..Default::default()
            });
        resp.topics[0]
            .partitions
            .push(DescribeQuorumResponsePartition {
                partition_index: 1,
                error_code: 3,
                error_message: Some("Unknown partition".into()),
                leader_id: -1,
                ..Default::default()
            });
        resp.nodes[0]
            .listeners
            .push(DescribeQuorumResponseListener {
                name: "CONTROLLER_SSL".into(),
                host: "controller-1.example".into(),
                port: 65535,
            });
        assert_round_trip_all_versions::<DescribeQuorumResponse>(&resp, 0..=2, 0);
    }
}
