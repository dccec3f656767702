//! DeleteRecords (key 21): advances the log start offset of partitions, deleting every
//! record before the offset given. Each partition's request goes to its leader.
//!
//! This client speaks versions 0 to 2. Version 1 is the same as version 0 (on a quota
//! violation the broker answers before throttling); version 2 is the first flexible
//! one. An offset of -1 deletes up to the high watermark. Each partition has its own
//! error code in the response.

use crate::message;

message! {
    /// Deletes records before some offsets.
    pub struct DeleteRecordsRequest {
        /// Each topic that we want to delete records from.
        topics: Vec<DeleteRecordsRequestTopic> [0..],
        /// How long to wait for the deletion to complete, in milliseconds.
        timeout_ms: i32 [0..],
    }
}

message! {
    /// The partitions of one topic to delete records from.
    pub struct DeleteRecordsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// Each partition that we want to delete records from.
        partitions: Vec<DeleteRecordsRequestPartition> [0..],
    }
}

message! {
    /// One partition to delete records from.
    pub struct DeleteRecordsRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The deletion offset: records before it are deleted (-1: the high watermark).
        offset: i64 [0..],
    }
}

message! {
    /// The outcome of a DeleteRecords request.
    pub struct DeleteRecordsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// Each topic that we wanted to delete records from.
        topics: Vec<DeleteRecordsResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct DeleteRecordsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// Each partition that we wanted to delete records from.
        partitions: Vec<DeleteRecordsResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct DeleteRecordsResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition low water mark.
        low_watermark: i64 [0..],
        /// The deletion error code, or 0 if the deletion succeeded.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> DeleteRecordsRequest {
        DeleteRecordsRequest {
            topics: vec![DeleteRecordsRequestTopic {
                name: "t".into(),
                partitions: vec![DeleteRecordsRequestPartition {
                    partition_index: 0,
                    offset: 100,
                }],
            }],
            timeout_ms: 1000,
        }
    }

    fn response() -> DeleteRecordsResponse {
        DeleteRecordsResponse {
            throttle_time_ms: 0,
            topics: vec![DeleteRecordsResponseTopic {
                name: "t".into(),
                partitions: vec![DeleteRecordsResponsePartition {
                    partition_index: 0,
                    low_watermark: 100,
                    error_code: 0,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DeleteRecordsRequest>(&request(), 0, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 100,       //     offset
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteRecordsRequest>(&request(), 2, &[
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 100,       //     offset
            0,                              //     partition tags
            0,                              //   topic tags
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DeleteRecordsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 100,       //     low_watermark
            0, 0,                           //     error_code
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteRecordsResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 100,       //     low_watermark
            0, 0,                           //     error_code
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.topics[0]
            .partitions
            .push(DeleteRecordsRequestPartition {
                partition_index: 3,
                offset: -1,
            });
        req.topics.push(DeleteRecordsRequestTopic {
            name: "events".into(),
            partitions: vec![],
        });
        assert_round_trip_all_versions::<DeleteRecordsRequest>(&req, 0..=2, 2);

        let mut resp = response();
        resp.throttle_time_ms = 6;
        resp.topics[0]
            .partitions
            .push(DeleteRecordsResponsePartition {
                partition_index: 3,
                low_watermark: -1,
                error_code: 1,
            });
        assert_round_trip_all_versions::<DeleteRecordsResponse>(&resp, 0..=2, 2);
    }
}
