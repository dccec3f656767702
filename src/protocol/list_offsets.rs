//! ListOffsets (key 2): looks up offsets by timestamp, including the earliest and
//! latest offsets of partitions (timestamps -2 and -1).
//!
//! This client speaks versions 1 to 9 (version 0's multi-offset form is not
//! supported). Version 2 adds isolation levels, version 4 leader epochs, and version 6
//! is the first flexible one.

use crate::message;

message! {
    /// Asks for the offsets matching timestamps in the given partitions.
    pub struct ListOffsetsRequest {
        /// The requesting broker's id; consumers send -1.
        replica_id: i32 [0..] = -1,
        /// 0 reads uncommitted records, 1 only committed ones.
        isolation_level: i8 [2..],
        /// The topics to look up.
        topics: Vec<ListOffsetsRequestTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to look up.
    pub struct ListOffsetsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions to look up.
        partitions: Vec<ListOffsetsRequestPartition> [0..],
    }
}

message! {
    /// A timestamp to look up in one partition.
    pub struct ListOffsetsRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The leader epoch the client knows, or -1.
        current_leader_epoch: i32 [4..] = -1,
        /// The timestamp to look up, or a special value (-1 latest, -2 earliest, ...).
        timestamp: i64 [0..],
    }
}

message! {
    /// The offsets found by a ListOffsets request.
    pub struct ListOffsetsResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [2..],
        /// One entry per topic of the request.
        topics: Vec<ListOffsetsResponseTopic> [0..],
    }
}

message! {
    /// The offsets found in one topic.
    pub struct ListOffsetsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// One entry per partition of the request.
        partitions: Vec<ListOffsetsResponsePartition> [0..],
    }
}

message! {
    /// The offset found in one partition.
    pub struct ListOffsetsResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition error code.
        error_code: i16 [0..],
        /// The timestamp of the record at `offset`, or -1.
        timestamp: i64 [1..] = -1,
        /// The offset found, or -1.
        offset: i64 [1..] = -1,
        /// The leader epoch of the record at `offset`, or -1.
        leader_epoch: i32 [4..] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ListOffsetsRequest {
        ListOffsetsRequest {
            replica_id: -1,
            isolation_level: 1,
            topics: vec![ListOffsetsRequestTopic {
                name: "t".into(),
                partitions: vec![ListOffsetsRequestPartition {
                    partition_index: 2,
                    current_leader_epoch: 5,
                    timestamp: -1,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<ListOffsetsRequest>(&req, 1, &[
            0xff, 0xff, 0xff, 0xff,         // replica_id: -1
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 2,                     //     partition_index
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // timestamp: latest
        ]);
        #[rustfmt::skip]
        assert_golden::<ListOffsetsRequest>(&req, 4, &[
            0xff, 0xff, 0xff, 0xff,
            1,                              // isolation_level (from v2)
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
            0, 0, 0, 2,
            0, 0, 0, 5,                     //     current_leader_epoch (from v4)
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        #[rustfmt::skip]
        let flexible = [
            0xff, 0xff, 0xff, 0xff,         // replica_id
            1,                              // isolation_level
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 2,                     //     partition_index
            0, 0, 0, 5,                     //     current_leader_epoch
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // timestamp
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // request tags
        ];
        assert_golden::<ListOffsetsRequest>(&req, 6, &flexible);
        assert_golden::<ListOffsetsRequest>(&req, 9, &flexible);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = ListOffsetsResponse {
            throttle_time_ms: 0,
            topics: vec![ListOffsetsResponseTopic {
                name: "t".into(),
                partitions: vec![ListOffsetsResponsePartition {
                    partition_index: 2,
                    error_code: 0,
                    timestamp: -1,
                    offset: 42,
                    leader_epoch: 5,
                }],
            }],
        };
        #[rustfmt::skip]
        assert_golden::<ListOffsetsResponse>(&resp, 1, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 2,                     //     partition_index
            0, 0,                           //     error_code
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // timestamp: -1
            0, 0, 0, 0, 0, 0, 0, 42,        //     offset
        ]);
        #[rustfmt::skip]
        assert_golden::<ListOffsetsResponse>(&resp, 4, &[
            0, 0, 0, 0,                     // throttle_time_ms (from v2)
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
            0, 0, 0, 2, 0, 0,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0, 0, 0, 0, 0, 0, 0, 42,
            0, 0, 0, 5,                     //     leader_epoch (from v4)
        ]);
        #[rustfmt::skip]
        let flexible = [
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 2,                     //     partition_index
            0, 0,                           //     error_code
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // timestamp
            0, 0, 0, 0, 0, 0, 0, 42,        //     offset
            0, 0, 0, 5,                     //     leader_epoch
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // response tags
        ];
        assert_golden::<ListOffsetsResponse>(&resp, 6, &flexible);
        assert_golden::<ListOffsetsResponse>(&resp, 9, &flexible);
    }

    #[test]
    fn round_trips() {
        let req = ListOffsetsRequest {
            replica_id: 4,
            isolation_level: 1,
            topics: vec![ListOffsetsRequestTopic {
                name: "events".into(),
                partitions: vec![
                    ListOffsetsRequestPartition {
                        partition_index: 0,
                        current_leader_epoch: 3,
                        timestamp: -2,
                    },
                    ListOffsetsRequestPartition {
                        partition_index: 1,
                        current_leader_epoch: 3,
                        timestamp: 1_700_000_000_000,
                    },
                ],
            }],
        };
        assert_round_trip_all_versions::<ListOffsetsRequest>(&req, 1..=9, 6);

        let resp = ListOffsetsResponse {
            throttle_time_ms: 10,
            topics: vec![ListOffsetsResponseTopic {
                name: "events".into(),
                partitions: vec![ListOffsetsResponsePartition {
                    partition_index: 1,
                    error_code: 6,
                    timestamp: 1_700_000_000_123,
                    offset: 999,
                    leader_epoch: 3,
                }],
            }],
        };
        assert_round_trip_all_versions::<ListOffsetsResponse>(&resp, 1..=9, 6);
    }
}
