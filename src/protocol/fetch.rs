//! Fetch (key 1): reads record batches from partition logs.
//!
//! This client speaks versions 4 to 17. Version 4 adds isolation levels and aborted
//! transactions, version 7 fetch sessions (KIP-227), version 11 rack-aware fetching
//! (KIP-392), version 12 is the first flexible one, and from version 13 topics are
//! named by id instead of by name (KIP-516). Version 15 moves the replica id of
//! followers into the tagged `replica_state`, and version 16 adds the tagged leader
//! endpoints of KIP-951.

use bytes::Bytes;

use super::schema::Uuid;
use crate::message;

message! {
    /// Asks for records from the partitions led by the receiving broker.
    pub struct FetchRequest {
        /// The cluster id, if known (tagged).
        cluster_id: Option<String> [12..] tag 0,
        /// The follower's broker id, or -1 for a consumer.
        replica_id: i32 [0..=14] = -1,
        /// The follower's id and epoch (tagged; left at its default by consumers).
        replica_state: FetchRequestReplicaState [15..] tag 1,
        /// How long the broker may wait for `min_bytes` to accumulate, in milliseconds.
        max_wait_ms: i32 [0..],
        /// The least amount of data worth answering with.
        min_bytes: i32 [0..],
        /// The most data to return in total (not strictly honored, see KIP-74).
        max_bytes: i32 [3..] = i32::MAX,
        /// 0 reads uncommitted records, 1 only committed ones.
        isolation_level: i8 [4..],
        /// The fetch session id, or 0.
        session_id: i32 [7..],
        /// The fetch session epoch, or -1.
        session_epoch: i32 [7..] = -1,
        /// The partitions to read from.
        topics: Vec<FetchRequestTopic> [0..],
        /// Partitions to drop from an incremental fetch session.
        forgotten_topics_data: Vec<FetchRequestForgottenTopic> [7..],
        /// The rack of the consumer, for fetching from a nearby follower.
        rack_id: String [11..],
    }
}

message! {
    /// A follower's identity in a Fetch request.
    pub struct FetchRequestReplicaState {
        /// The follower's broker id, or -1 for a consumer.
        replica_id: i32 [15..] = -1,
        /// The follower's broker epoch, or -1.
        replica_epoch: i64 [15..] = -1,
    }
}

message! {
    /// The partitions to read from one topic.
    pub struct FetchRequestTopic {
        /// The topic name (up to version 12).
        topic: String [0..=12],
        /// The topic id (from version 13).
        topic_id: Uuid [13..],
        /// The partitions to read from.
        partitions: Vec<FetchRequestPartition> [0..],
    }
}

message! {
    /// Where to read from one partition.
    pub struct FetchRequestPartition {
        /// The partition index.
        partition: i32 [0..],
        /// The leader epoch the client knows, or -1.
        current_leader_epoch: i32 [9..] = -1,
        /// The offset to read from.
        fetch_offset: i64 [0..],
        /// The epoch of the last fetched record, or -1.
        last_fetched_epoch: i32 [12..] = -1,
        /// The follower's log start offset; -1 for consumers.
        log_start_offset: i64 [5..] = -1,
        /// The most data to return for this partition.
        partition_max_bytes: i32 [0..],
        /// The follower's log directory id (tagged).
        replica_directory_id: Uuid [17..] tag 0,
    }
}

message! {
    /// Partitions of one topic to remove from a fetch session.
    pub struct FetchRequestForgottenTopic {
        /// The topic name (versions 7 to 12).
        topic: String [7..=12],
        /// The topic id (from version 13).
        topic_id: Uuid [13..],
        /// The partition indexes to remove.
        partitions: Vec<i32> [7..],
    }
}

message! {
    /// The records read by a Fetch request.
    pub struct FetchResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// The top-level error code.
        error_code: i16 [7..],
        /// The fetch session id, or 0 outside a session.
        session_id: i32 [7..],
        /// One entry per topic returned.
        responses: Vec<FetchResponseTopic> [0..],
        /// Endpoints of the new leaders named in `current_leader` hints (tagged).
        node_endpoints: Vec<FetchResponseNodeEndpoint> [16..] tag 0,
    }
}

message! {
    /// The data returned for one topic.
    pub struct FetchResponseTopic {
        /// The topic name (up to version 12).
        topic: String [0..=12],
        /// The topic id (from version 13).
        topic_id: Uuid [13..],
        /// One entry per partition returned.
        partitions: Vec<FetchResponsePartition> [0..],
    }
}

message! {
    /// The data returned for one partition.
    pub struct FetchResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition error code.
        error_code: i16 [0..],
        /// The high watermark.
        high_watermark: i64 [0..],
        /// The last stable offset, or -1.
        last_stable_offset: i64 [4..] = -1,
        /// The log start offset, or -1.
        log_start_offset: i64 [5..] = -1,
        /// Where the follower's log diverges from the leader's (tagged).
        diverging_epoch: FetchResponseEpochEndOffset [12..] tag 0,
        /// The partition's current leader, when this broker no longer leads it (tagged).
        current_leader: FetchResponseLeader [12..] tag 1,
        /// The snapshot to fetch instead, when the offset is before the log start (tagged).
        snapshot_id: FetchResponseSnapshotId [12..] tag 2,
        /// Aborted transactions overlapping the returned records, for read_committed.
        aborted_transactions: Option<Vec<FetchResponseAbortedTransaction>> [4..],
        /// The replica the consumer should fetch from next, or -1.
        preferred_read_replica: i32 [11..] = -1,
        /// The record batches read.
        records: Option<Bytes> [0..],
    }
}

message! {
    /// An epoch and the offset where it ends.
    pub struct FetchResponseEpochEndOffset {
        /// The epoch, or -1.
        epoch: i32 [12..] = -1,
        /// Its end offset, or -1.
        end_offset: i64 [12..] = -1,
    }
}

message! {
    /// A partition's current leader and epoch.
    pub struct FetchResponseLeader {
        /// The leader's node id, or -1 if unknown.
        leader_id: i32 [12..] = -1,
        /// The leader epoch, or -1 if unknown.
        leader_epoch: i32 [12..] = -1,
    }
}

message! {
    /// Identifies a snapshot by its end offset and epoch.
    pub struct FetchResponseSnapshotId {
        /// The snapshot's end offset, or -1.
        end_offset: i64 [0..] = -1,
        /// The snapshot's epoch, or -1.
        epoch: i32 [0..] = -1,
    }
}

message! {
    /// A transaction aborted within the returned records.
    pub struct FetchResponseAbortedTransaction {
        /// The producer id of the transaction.
        producer_id: i64 [4..],
        /// The first offset of the transaction.
        first_offset: i64 [4..],
    }
}

message! {
    /// Where to reach a broker named as a new leader.
    pub struct FetchResponseNodeEndpoint {
        /// The broker's node id.
        node_id: i32 [16..],
        /// Its host name.
        host: String [16..],
        /// Its port.
        port: i32 [16..],
        /// Its rack, if assigned.
        rack: Option<String> [16..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    const TOPIC_ID: [u8; 16] = [0xab; 16];

    /// What a consumer sends: one partition of one topic.
    fn consumer_request() -> FetchRequest {
        FetchRequest {
            replica_id: -1,
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 0x10_0000,
            isolation_level: 1,
            session_id: 0,
            session_epoch: -1,
            topics: vec![FetchRequestTopic {
                topic: "t".into(),
                topic_id: Uuid(TOPIC_ID),
                partitions: vec![FetchRequestPartition {
                    partition: 0,
                    current_leader_epoch: 3,
                    fetch_offset: 100,
                    partition_max_bytes: 0x1_0000,
                    ..Default::default()
                }],
            }],
            rack_id: "r".into(),
            ..Default::default()
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = consumer_request();
        #[rustfmt::skip]
        assert_golden::<FetchRequest>(&req, 4, &[
            0xff, 0xff, 0xff, 0xff,         // replica_id: -1
            0, 0, 0x01, 0xf4,               // max_wait_ms: 500
            0, 0, 0, 1,                     // min_bytes
            0, 0x10, 0, 0,                  // max_bytes: 1 MiB
            1,                              // isolation_level: read_committed
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   topic
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 0,                     //     partition
            0, 0, 0, 0, 0, 0, 0, 100,       //     fetch_offset
            0, 1, 0, 0,                     //     partition_max_bytes: 64 KiB
        ]);

        // v12: first flexible version; sessions, epochs and rack id are all present.
        #[rustfmt::skip]
        let v12_head = [
            0xff, 0xff, 0xff, 0xff,         // replica_id
            0, 0, 0x01, 0xf4,               // max_wait_ms
            0, 0, 0, 1,                     // min_bytes
            0, 0x10, 0, 0,                  // max_bytes
            1,                              // isolation_level
            0, 0, 0, 0,                     // session_id
            0xff, 0xff, 0xff, 0xff,         // session_epoch: -1
            2,                              // topics: 1
        ];
        #[rustfmt::skip]
        let v12_tail = [
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition
            0, 0, 0, 3,                     //     current_leader_epoch
            0, 0, 0, 0, 0, 0, 0, 100,       //     fetch_offset
            0xff, 0xff, 0xff, 0xff,         //     last_fetched_epoch: -1
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // log_start_offset: -1
            0, 1, 0, 0,                     //     partition_max_bytes
            0,                              //     partition tags
            0,                              //   topic tags
            1,                              // forgotten_topics_data: empty
            2, b'r',                        // rack_id
            0,                              // request tags
        ];
        let v12 = [&v12_head[..], &[2, b't'], &v12_tail].concat();
        assert_golden::<FetchRequest>(&req, 12, &v12);

        // v13: the topic is named by its id.
        let v13 = [&v12_head[..], &TOPIC_ID, &v12_tail].concat();
        assert_golden::<FetchRequest>(&req, 13, &v13);
    }

    #[test]
    fn follower_request_golden_bytes() {
        // v17, as a follower would send it: the replica id and epoch, cluster id and
        // log directory id travel as tagged fields.
        let req = FetchRequest {
            cluster_id: Some("c".into()),
            replica_state: FetchRequestReplicaState {
                replica_id: 1,
                replica_epoch: 5,
            },
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 0x10_0000,
            session_id: 7,
            session_epoch: 2,
            topics: vec![FetchRequestTopic {
                topic_id: Uuid(TOPIC_ID),
                partitions: vec![FetchRequestPartition {
                    partition: 0,
                    current_leader_epoch: 3,
                    fetch_offset: 100,
                    last_fetched_epoch: 2,
                    log_start_offset: 10,
                    partition_max_bytes: 0x1_0000,
                    replica_directory_id: Uuid([0xcd; 16]),
                }],
                ..Default::default()
            }],
            forgotten_topics_data: vec![FetchRequestForgottenTopic {
                topic_id: Uuid([0xef; 16]),
                partitions: vec![1],
                ..Default::default()
            }],
            ..Default::default()
        };
        #[rustfmt::skip]
        let expected = [
            &[
                0, 0, 0x01, 0xf4,           // max_wait_ms (no replica_id from v15)
                0, 0, 0, 1,                 // min_bytes
                0, 0x10, 0, 0,              // max_bytes
                0,                          // isolation_level
                0, 0, 0, 7,                 // session_id
                0, 0, 0, 2,                 // session_epoch
                2,                          // topics: 1
            ][..],
            &TOPIC_ID,                      //   topic_id
            &[
                2,                          //   partitions: 1
                0, 0, 0, 0,                 //     partition
                0, 0, 0, 3,                 //     current_leader_epoch
                0, 0, 0, 0, 0, 0, 0, 100,   //     fetch_offset
                0, 0, 0, 2,                 //     last_fetched_epoch
                0, 0, 0, 0, 0, 0, 0, 10,    //     log_start_offset
                0, 1, 0, 0,                 //     partition_max_bytes
                1, 0, 16,                   //     1 tagged field: tag 0, 16 bytes
            ],
            &[0xcd; 16],                    //       replica_directory_id
            &[
                0,                          //   topic tags
                2,                          // forgotten_topics_data: 1
            ],
            &[0xef; 16],                    //   topic_id
            &[
                2, 0, 0, 0, 1,              //   partitions: [1]
                0,                          //   forgotten topic tags
                1,                          // rack_id: ""
                2,                          // 2 tagged fields
                0, 2, 2, b'c',              //   tag 0, 2 bytes: cluster_id "c"
                1, 13,                      //   tag 1, 13 bytes: replica_state
                0, 0, 0, 1,                 //     replica_id
                0, 0, 0, 0, 0, 0, 0, 5,     //     replica_epoch
                0,                          //     its tags
            ],
        ]
        .concat();
        assert_golden::<FetchRequest>(&req, 17, &expected);
    }

    fn response() -> FetchResponse {
        FetchResponse {
            throttle_time_ms: 0,
            error_code: 0,
            session_id: 9,
            responses: vec![FetchResponseTopic {
                topic: "t".into(),
                topic_id: Uuid(TOPIC_ID),
                partitions: vec![FetchResponsePartition {
                    partition_index: 0,
                    error_code: 0,
                    high_watermark: 10,
                    last_stable_offset: 10,
                    log_start_offset: 0,
                    aborted_transactions: None,
                    preferred_read_replica: -1,
                    records: Some(Bytes::from_static(&[1, 2, 3])),
                    ..Default::default()
                }],
            }],
            node_endpoints: vec![],
        }
    }

    #[test]
    fn response_golden_bytes() {
        let resp = response();
        #[rustfmt::skip]
        assert_golden::<FetchResponse>(&resp, 4, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // responses: 1
            0, 1, b't',                     //   topic
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0,                           //     error_code
            0, 0, 0, 0, 0, 0, 0, 10,        //     high_watermark
            0, 0, 0, 0, 0, 0, 0, 10,        //     last_stable_offset
            0xff, 0xff, 0xff, 0xff,         //     aborted_transactions: null
            0, 0, 0, 3, 1, 2, 3,            //     records
        ]);

        #[rustfmt::skip]
        let v12_head = [
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0, 0, 0, 9,                     // session_id
            2,                              // responses: 1
        ];
        #[rustfmt::skip]
        let v12_tail = [
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0,                           //     error_code
            0, 0, 0, 0, 0, 0, 0, 10,        //     high_watermark
            0, 0, 0, 0, 0, 0, 0, 10,        //     last_stable_offset
            0, 0, 0, 0, 0, 0, 0, 0,         //     log_start_offset
            0,                              //     aborted_transactions: null
            0xff, 0xff, 0xff, 0xff,         //     preferred_read_replica: -1
            4, 1, 2, 3,                     //     records
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // response tags
        ];
        let v12 = [&v12_head[..], &[2, b't'], &v12_tail].concat();
        assert_golden::<FetchResponse>(&resp, 12, &v12);
        let v13 = [&v12_head[..], &TOPIC_ID, &v12_tail].concat();
        assert_golden::<FetchResponse>(&resp, 13, &v13);
    }

    #[test]
    fn response_with_leader_hint_golden_bytes() {
        // v17: NOT_LEADER_OR_FOLLOWER with the new leader and its endpoint.
        let mut resp = response();
        let partition = &mut resp.responses[0].partitions[0];
        partition.error_code = 6;
        partition.current_leader = FetchResponseLeader {
            leader_id: 2,
            leader_epoch: 8,
        };
        partition.records = None;
        resp.node_endpoints = vec![FetchResponseNodeEndpoint {
            node_id: 2,
            host: "h".into(),
            port: 9092,
            rack: Some("r".into()),
        }];
        #[rustfmt::skip]
        let expected = [
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 2][..],
            &TOPIC_ID,
            &[
                2,                          //   partitions: 1
                0, 0, 0, 0,                 //     partition_index
                0, 6,                       //     error_code
                0, 0, 0, 0, 0, 0, 0, 10,    //     high_watermark
                0, 0, 0, 0, 0, 0, 0, 10,    //     last_stable_offset
                0, 0, 0, 0, 0, 0, 0, 0,     //     log_start_offset
                0,                          //     aborted_transactions: null
                0xff, 0xff, 0xff, 0xff,     //     preferred_read_replica
                0,                          //     records: null
                1, 1, 9,                    //     1 tagged field: tag 1, 9 bytes
                0, 0, 0, 2, 0, 0, 0, 8, 0,  //       leader 2, epoch 8, no tags
                0,                          //   topic tags
                1, 0, 14,                   // 1 tagged field: tag 0, 14 bytes
                2,                          //   node_endpoints: 1
                0, 0, 0, 2, 2, b'h',        //     node_id, host
                0, 0, 0x23, 0x84,           //     port 9092
                2, b'r', 0,                 //     rack, tags
            ],
        ]
        .concat();
        assert_golden::<FetchResponse>(&resp, 17, &expected);
    }

    #[test]
    fn round_trips() {
        let req = FetchRequest {
            cluster_id: Some("cluster".into()),
            replica_id: 3,
            replica_state: FetchRequestReplicaState {
                replica_id: 3,
                replica_epoch: 12,
            },
            max_wait_ms: 250,
            min_bytes: 16,
            max_bytes: 50_000_000,
            isolation_level: 1,
            session_id: 77,
            session_epoch: 4,
            topics: vec![FetchRequestTopic {
                topic: "events".into(),
                topic_id: Uuid([1; 16]),
                partitions: vec![FetchRequestPartition {
                    partition: 2,
                    current_leader_epoch: 6,
                    fetch_offset: 12_345,
                    last_fetched_epoch: 5,
                    log_start_offset: 100,
                    partition_max_bytes: 1 << 20,
                    replica_directory_id: Uuid([2; 16]),
                }],
            }],
            forgotten_topics_data: vec![FetchRequestForgottenTopic {
                topic: "old".into(),
                topic_id: Uuid([3; 16]),
                partitions: vec![0, 1],
            }],
            rack_id: "rack-b".into(),
        };
        assert_round_trip_all_versions::<FetchRequest>(&req, 4..=17, 12);

        let resp = FetchResponse {
            throttle_time_ms: 5,
            error_code: 0,
            session_id: 77,
            responses: vec![FetchResponseTopic {
                topic: "events".into(),
                topic_id: Uuid([1; 16]),
                partitions: vec![FetchResponsePartition {
                    partition_index: 2,
                    error_code: 74,
                    high_watermark: 20_000,
                    last_stable_offset: 19_000,
                    log_start_offset: 100,
                    diverging_epoch: FetchResponseEpochEndOffset {
                        epoch: 4,
                        end_offset: 12_000,
                    },
                    current_leader: FetchResponseLeader {
                        leader_id: 1,
                        leader_epoch: 7,
                    },
                    snapshot_id: FetchResponseSnapshotId {
                        end_offset: 90,
                        epoch: 3,
                    },
                    aborted_transactions: Some(vec![FetchResponseAbortedTransaction {
                        producer_id: 4000,
                        first_offset: 12_400,
                    }]),
                    preferred_read_replica: 2,
                    records: Some(Bytes::from_static(b"records")),
                }],
            }],
            node_endpoints: vec![FetchResponseNodeEndpoint {
                node_id: 1,
                host: "broker1".into(),
                port: 9094,
                rack: None,
            }],
        };
        assert_round_trip_all_versions::<FetchResponse>(&resp, 4..=17, 12);
    }
}
