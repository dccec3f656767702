//! OffsetCommit (key 8): stores a consumer group's positions with its coordinator.
//!
//! This client speaks versions 2 to 9. Versions 2 to 4 carry a retention time, version
//! 3 adds throttling, version 6 leader epochs, version 7 static membership (KIP-345),
//! and version 8 is the first flexible one.

use crate::message;

message! {
    /// Commits offsets for a consumer group.
    pub struct OffsetCommitRequest {
        /// The group id.
        group_id: String [0..],
        /// The group generation (classic protocol) or member epoch (KIP-848), or -1.
        generation_id_or_member_epoch: i32 [1..] = -1,
        /// The member id given by the coordinator.
        member_id: String [1..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [7..],
        /// How long to keep the offsets in milliseconds, or -1 for the broker default.
        retention_time_ms: i64 [2..=4] = -1,
        /// The topics to commit offsets for.
        topics: Vec<OffsetCommitRequestTopic> [0..],
    }
}

message! {
    /// The offsets to commit in one topic.
    pub struct OffsetCommitRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions to commit offsets for.
        partitions: Vec<OffsetCommitRequestPartition> [0..],
    }
}

message! {
    /// The offset to commit in one partition.
    pub struct OffsetCommitRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The offset to commit (the next one to consume).
        committed_offset: i64 [0..],
        /// The leader epoch of the last consumed record, or -1.
        committed_leader_epoch: i32 [6..] = -1,
        /// Free-form metadata stored with the offset.
        committed_metadata: Option<String> [0..],
    }
}

message! {
    /// The outcome of an OffsetCommit request.
    pub struct OffsetCommitResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [3..],
        /// One entry per topic of the request.
        topics: Vec<OffsetCommitResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct OffsetCommitResponseTopic {
        /// The topic name.
        name: String [0..],
        /// One entry per partition of the request.
        partitions: Vec<OffsetCommitResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct OffsetCommitResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition error code.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> OffsetCommitRequest {
        OffsetCommitRequest {
            group_id: "g".into(),
            generation_id_or_member_epoch: 3,
            member_id: "m".into(),
            group_instance_id: None,
            retention_time_ms: -1,
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 42,
                    committed_leader_epoch: 5,
                    committed_metadata: Some("".into()),
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<OffsetCommitRequest>(&req, 2, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 3,                     // generation_id_or_member_epoch
            0, 1, b'm',                     // member_id
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // retention_time_ms: -1
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 1,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //     committed_offset
            0, 0,                           //     committed_metadata: ""
        ]);
        // v5: no retention time; v6: leader epoch; v7: instance id.
        #[rustfmt::skip]
        assert_golden::<OffsetCommitRequest>(&req, 7, &[
            0, 1, b'g', 0, 0, 0, 3, 0, 1, b'm',
            0xff, 0xff,                     // group_instance_id: null
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
            0, 0, 0, 1,
            0, 0, 0, 0, 0, 0, 0, 42,
            0, 0, 0, 5,                     //     committed_leader_epoch
            0, 0,
        ]);
        #[rustfmt::skip]
        let flexible = [
            2, b'g',                        // group_id
            0, 0, 0, 3,                     // generation_id_or_member_epoch
            2, b'm',                        // member_id
            0,                              // group_instance_id: null
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 1,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //     committed_offset
            0, 0, 0, 5,                     //     committed_leader_epoch
            1,                              //     committed_metadata: ""
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // request tags
        ];
        assert_golden::<OffsetCommitRequest>(&req, 8, &flexible);
        assert_golden::<OffsetCommitRequest>(&req, 9, &flexible);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = OffsetCommitResponse {
            throttle_time_ms: 0,
            topics: vec![OffsetCommitResponseTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: 0,
                }],
            }],
        };
        #[rustfmt::skip]
        assert_golden::<OffsetCommitResponse>(&resp, 2, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 1, 0, 0,               //     partition_index, error_code
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetCommitResponse>(&resp, 3, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,
        ]);
        #[rustfmt::skip]
        let flexible = [
            0, 0, 0, 0,                     // throttle_time_ms
            2, 2, b't',                     // topics: 1, name
            2, 0, 0, 0, 1, 0, 0, 0,         //   partitions: 1, with its tags
            0,                              //   topic tags
            0,                              // response tags
        ];
        assert_golden::<OffsetCommitResponse>(&resp, 8, &flexible);
        assert_golden::<OffsetCommitResponse>(&resp, 9, &flexible);
    }

    #[test]
    fn round_trips() {
        let req = OffsetCommitRequest {
            group_id: "group".into(),
            generation_id_or_member_epoch: 12,
            member_id: "member-1".into(),
            group_instance_id: Some("instance-1".into()),
            retention_time_ms: 86_400_000,
            topics: vec![OffsetCommitRequestTopic {
                name: "events".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 4,
                    committed_offset: 1234,
                    committed_leader_epoch: 2,
                    committed_metadata: Some("meta".into()),
                }],
            }],
        };
        assert_round_trip_all_versions::<OffsetCommitRequest>(&req, 2..=9, 8);

        let resp = OffsetCommitResponse {
            throttle_time_ms: 8,
            topics: vec![OffsetCommitResponseTopic {
                name: "events".into(),
                partitions: vec![OffsetCommitResponsePartition {
                    partition_index: 4,
                    error_code: 22,
                }],
            }],
        };
        assert_round_trip_all_versions::<OffsetCommitResponse>(&resp, 2..=9, 8);
    }
}
