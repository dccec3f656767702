//! OffsetDelete (key 47): deletes a group's committed offsets of some partitions
//! (KIP-496).
//!
//! This client speaks version 0, the only one; it is not flexible. The request goes to
//! the group's coordinator. The response has a top-level error code and one per
//! partition: a partition the group is still subscribed to fails with
//! GROUP_SUBSCRIBED_TO_TOPIC.

use crate::message;

message! {
    /// Asks to delete the committed offsets of some partitions of a group.
    pub struct OffsetDeleteRequest {
        /// The unique group identifier.
        group_id: String [0..],
        /// The topics to delete offsets for.
        topics: Vec<OffsetDeleteRequestTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to delete offsets of.
    pub struct OffsetDeleteRequestTopic {
        /// The topic name.
        name: String [0..],
        /// Each partition to delete offsets for.
        partitions: Vec<OffsetDeleteRequestPartition> [0..],
    }
}

message! {
    /// One partition to delete the offset of.
    pub struct OffsetDeleteRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
    }
}

message! {
    /// The outcome, per partition.
    pub struct OffsetDeleteResponse {
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The responses for each topic.
        topics: Vec<OffsetDeleteResponseTopic> [0..],
    }
}

message! {
    /// The outcome for the partitions of one topic.
    pub struct OffsetDeleteResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The responses for each partition in the topic.
        partitions: Vec<OffsetDeleteResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct OffsetDeleteResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> OffsetDeleteRequest {
        OffsetDeleteRequest {
            group_id: "g".into(),
            topics: vec![OffsetDeleteRequestTopic {
                name: "t".into(),
                partitions: vec![
                    OffsetDeleteRequestPartition { partition_index: 0 },
                    OffsetDeleteRequestPartition { partition_index: 3 },
                ],
            }],
        }
    }

    fn response() -> OffsetDeleteResponse {
        OffsetDeleteResponse {
            error_code: 0,
            throttle_time_ms: 0,
            topics: vec![OffsetDeleteResponseTopic {
                name: "t".into(),
                partitions: vec![OffsetDeleteResponsePartition {
                    partition_index: 3,
                    error_code: 86,
                }],
            }],
        }
    }

    #[test]
    fn golden_bytes() {
        // Version 0 is both the lowest and the highest; none is flexible.
        #[rustfmt::skip]
        assert_golden::<OffsetDeleteRequest>(&request(), 0, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 2,                     //   partitions: 2
            0, 0, 0, 0,                     //     partition_index 0
            0, 0, 0, 3,                     //     partition_index 3
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetDeleteResponse>(&response(), 0, &[
            0, 0,                           // error_code
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 3,                     //     partition_index
            0, 86,                          //     error_code: GROUP_SUBSCRIBED_TO_TOPIC
        ]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<OffsetDeleteRequest>(&request(), 0..=0, i16::MAX);
        let mut resp = response();
        resp.error_code = 16;
        resp.throttle_time_ms = 9;
        resp.topics.push(OffsetDeleteResponseTopic {
            name: "events".into(),
            partitions: vec![OffsetDeleteResponsePartition {
                partition_index: 0,
                error_code: 0,
            }],
        });
        assert_round_trip_all_versions::<OffsetDeleteResponse>(&resp, 0..=0, i16::MAX);
    }
}
