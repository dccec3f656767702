//! Produce (key 0): appends record batches to partition logs.
//!
//! This client speaks versions 3 to 11: version 3 is the first that carries record
//! batch v2 (and a transactional id), version 9 is the first flexible one, and version
//! 10 adds the tagged leader hints a broker sends with NOT_LEADER_OR_FOLLOWER (KIP-951).

use bytes::Bytes;

use crate::message;

message! {
    /// Appends records to partitions led by the receiving broker.
    pub struct ProduceRequest {
        /// The transactional id, or `None` for a non-transactional producer.
        transactional_id: Option<String> [3..],
        /// Acknowledgments required: 0 (none), 1 (leader only) or -1 (all in-sync replicas).
        acks: i16 [0..],
        /// How long the broker may wait for the acknowledgments, in milliseconds.
        timeout_ms: i32 [0..],
        /// The topics to append to.
        topic_data: Vec<ProduceRequestTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to append to.
    pub struct ProduceRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions to append to.
        partition_data: Vec<ProduceRequestPartition> [0..],
    }
}

message! {
    /// The records for one partition.
    pub struct ProduceRequestPartition {
        /// The partition index.
        index: i32 [0..],
        /// The encoded record batches.
        records: Option<Bytes> [0..],
    }
}

message! {
    /// The outcome of a Produce request.
    pub struct ProduceResponse {
        /// One entry per topic of the request.
        responses: Vec<ProduceResponseTopic> [0..],
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// Endpoints of the new leaders named in `current_leader` hints.
        node_endpoints: Vec<ProduceResponseNodeEndpoint> [10..] tag 0,
    }
}

message! {
    /// The outcome for one topic.
    pub struct ProduceResponseTopic {
        /// The topic name.
        name: String [0..],
        /// One entry per partition of the request.
        partition_responses: Vec<ProduceResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct ProduceResponsePartition {
        /// The partition index.
        index: i32 [0..],
        /// The partition error code.
        error_code: i16 [0..],
        /// The offset given to the first appended record.
        base_offset: i64 [0..],
        /// The broker's append time when the topic uses LogAppendTime, else -1.
        log_append_time_ms: i64 [2..] = -1,
        /// The partition's log start offset.
        log_start_offset: i64 [5..] = -1,
        /// The records that made the broker reject the batch.
        record_errors: Vec<ProduceResponseRecordError> [8..],
        /// A summary of why the batch was rejected.
        error_message: Option<String> [8..],
        /// The partition's current leader, when this broker no longer leads it.
        current_leader: ProduceResponseLeader [10..] tag 0,
    }
}

message! {
    /// One record that caused its batch to be rejected.
    pub struct ProduceResponseRecordError {
        /// The record's index within its batch.
        batch_index: i32 [8..],
        /// Why the record was rejected.
        batch_index_error_message: Option<String> [8..],
    }
}

message! {
    /// A partition's current leader and epoch.
    pub struct ProduceResponseLeader {
        /// The leader's node id, or -1 if unknown.
        leader_id: i32 [10..] = -1,
        /// The leader epoch, or -1 if unknown.
        leader_epoch: i32 [10..] = -1,
    }
}

message! {
    /// Where to reach a broker named as a new leader.
    pub struct ProduceResponseNodeEndpoint {
        /// The broker's node id.
        node_id: i32 [10..],
        /// Its host name.
        host: String [10..],
        /// Its port.
        port: i32 [10..],
        /// Its rack, if assigned.
        rack: Option<String> [10..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ProduceRequest {
        ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30_000,
            topic_data: vec![ProduceRequestTopic {
                name: "t".into(),
                partition_data: vec![ProduceRequestPartition {
                    index: 0,
                    records: Some(Bytes::from_static(&[1, 2, 3])),
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<ProduceRequest>(&req, 3, &[
            0xff, 0xff,             // transactional_id: null
            0xff, 0xff,             // acks: -1
            0, 0, 0x75, 0x30,       // timeout_ms: 30000
            0, 0, 0, 1,             // topic_data: 1 topic
            0, 1, b't',             //   name
            0, 0, 0, 1,             //   partition_data: 1 partition
            0, 0, 0, 0,             //     index
            0, 0, 0, 3, 1, 2, 3,    //     records
        ]);
        // v9: compact strings, arrays and bytes, and a tag section per struct.
        #[rustfmt::skip]
        let flexible = [
            0,                      // transactional_id: null
            0xff, 0xff,             // acks
            0, 0, 0x75, 0x30,       // timeout_ms
            2,                      // topic_data: 1 topic
            2, b't',                //   name
            2,                      //   partition_data: 1 partition
            0, 0, 0, 0,             //     index
            4, 1, 2, 3,             //     records
            0,                      //     partition tags
            0,                      //   topic tags
            0,                      // request tags
        ];
        assert_golden::<ProduceRequest>(&req, 9, &flexible);
        assert_golden::<ProduceRequest>(&req, 11, &flexible);

        let txn = ProduceRequest {
            transactional_id: Some("x".into()),
            topic_data: vec![],
            ..req
        };
        assert_golden::<ProduceRequest>(
            &txn,
            3,
            &[0, 1, b'x', 0xff, 0xff, 0, 0, 0x75, 0x30, 0, 0, 0, 0],
        );
        assert_golden::<ProduceRequest>(&txn, 11, &[2, b'x', 0xff, 0xff, 0, 0, 0x75, 0x30, 1, 0]);
    }

    fn response() -> ProduceResponse {
        ProduceResponse {
            responses: vec![ProduceResponseTopic {
                name: "t".into(),
                partition_responses: vec![ProduceResponsePartition {
                    index: 0,
                    error_code: 0,
                    base_offset: 42,
                    log_append_time_ms: -1,
                    log_start_offset: 5,
                    ..Default::default()
                }],
            }],
            throttle_time_ms: 0,
            node_endpoints: vec![],
        }
    }

    #[test]
    fn response_golden_bytes() {
        let resp = response();
        #[rustfmt::skip]
        assert_golden::<ProduceResponse>(&resp, 3, &[
            0, 0, 0, 1,                     // responses: 1 topic
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partition_responses: 1
            0, 0, 0, 0,                     //     index
            0, 0,                           //     error_code
            0, 0, 0, 0, 0, 0, 0, 42,        //     base_offset
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // log_append_time_ms
            0, 0, 0, 0,                     // throttle_time_ms
        ]);
        // v8: log_start_offset (from v5), record_errors and error_message.
        #[rustfmt::skip]
        assert_golden::<ProduceResponse>(&resp, 8, &[
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 42,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0, 0, 0, 0, 0, 0, 0, 5,         //     log_start_offset
            0, 0, 0, 0,                     //     record_errors: empty
            0xff, 0xff,                     //     error_message: null
            0, 0, 0, 0,                     // throttle_time_ms
        ]);
        #[rustfmt::skip]
        assert_golden::<ProduceResponse>(&resp, 9, &[
            2, 2, b't', 2,                  // compact arrays and name
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 42,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0, 0, 0, 0, 0, 0, 0, 5,
            1,                              //     record_errors: empty
            0,                              //     error_message: null
            0,                              //     partition tags
            0,                              //   topic tags
            0, 0, 0, 0,                     // throttle_time_ms
            0,                              // response tags
        ]);

        // v10+: a NOT_LEADER_OR_FOLLOWER answer with the new leader as tagged fields.
        let mut moved = resp;
        let partition = &mut moved.responses[0].partition_responses[0];
        partition.error_code = 6;
        partition.current_leader = ProduceResponseLeader {
            leader_id: 2,
            leader_epoch: 7,
        };
        moved.node_endpoints = vec![ProduceResponseNodeEndpoint {
            node_id: 2,
            host: "h".into(),
            port: 9092,
            rack: None,
        }];
        #[rustfmt::skip]
        assert_golden::<ProduceResponse>(&moved, 11, &[
            2, 2, b't', 2,
            0, 0, 0, 0,                     //     index
            0, 6,                           //     error_code
            0, 0, 0, 0, 0, 0, 0, 42,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0, 0, 0, 0, 0, 0, 0, 5,
            1, 0,                           //     record_errors, error_message
            1, 0, 9,                        //     1 tagged field: tag 0, 9 bytes
            0, 0, 0, 2, 0, 0, 0, 7, 0,      //       leader 2, epoch 7, no tags
            0,                              //   topic tags
            0, 0, 0, 0,                     // throttle_time_ms
            1, 0, 13,                       // 1 tagged field: tag 0, 13 bytes
            2,                              //   node_endpoints: 1
            0, 0, 0, 2, 2, b'h',            //     node_id, host
            0, 0, 0x23, 0x84, 0, 0,         //     port 9092, rack null, tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = ProduceRequest {
            transactional_id: Some("txn".into()),
            acks: 1,
            timeout_ms: 1500,
            topic_data: vec![ProduceRequestTopic {
                name: "topic".into(),
                partition_data: vec![
                    ProduceRequestPartition {
                        index: 3,
                        records: Some(Bytes::from_static(b"batch")),
                    },
                    ProduceRequestPartition {
                        index: 4,
                        records: None,
                    },
                ],
            }],
        };
        assert_round_trip_all_versions::<ProduceRequest>(&req, 3..=11, 9);

        let resp = ProduceResponse {
            responses: vec![ProduceResponseTopic {
                name: "topic".into(),
                partition_responses: vec![ProduceResponsePartition {
                    index: 3,
                    error_code: 87,
                    base_offset: 100,
                    log_append_time_ms: 1_700_000_000_000,
                    log_start_offset: 7,
                    record_errors: vec![ProduceResponseRecordError {
                        batch_index: 2,
                        batch_index_error_message: Some("bad record".into()),
                    }],
                    error_message: Some("invalid record".into()),
                    current_leader: ProduceResponseLeader {
                        leader_id: 5,
                        leader_epoch: 9,
                    },
                }],
            }],
            throttle_time_ms: 20,
            node_endpoints: vec![ProduceResponseNodeEndpoint {
                node_id: 5,
                host: "broker5".into(),
                port: 9093,
                rack: Some("rack-a".into()),
            }],
        };
        assert_round_trip_all_versions::<ProduceResponse>(&resp, 3..=11, 9);
    }
}
