//! AlterPartitionReassignments (key 45): starts or cancels moving partitions to new
//! replica sets (KIP-455). The controller carries the moves out in the background;
//! ListPartitionReassignments (key 46) follows them.
//!
//! This client speaks version 0, which is flexible. Kafka 4.4.0 also speaks version 1
//! (which adds `AllowReplicationFactorChange`, KIP-860), but the pinned message spec
//! stops at version 0. The response has a top-level error code and one per partition.

use crate::message;

message! {
    /// Reassigns (or cancels the reassignment of) some partitions.
    pub struct AlterPartitionReassignmentsRequest {
        /// The time in ms to wait for the request to complete.
        timeout_ms: i32 [0..] = 60_000,
        /// The topics to reassign.
        topics: Vec<AlterPartitionReassignmentsRequestTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to reassign.
    pub struct AlterPartitionReassignmentsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions to reassign.
        partitions: Vec<AlterPartitionReassignmentsRequestPartition> [0..],
    }
}

message! {
    /// The new replicas of one partition.
    pub struct AlterPartitionReassignmentsRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The replicas to place the partition on, or `None` to cancel its reassignment.
        replicas: Option<Vec<i32>> [0..] = None,
    }
}

message! {
    /// The outcome of an AlterPartitionReassignments request.
    pub struct AlterPartitionReassignmentsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The top-level error message, or `None` if there was no error.
        error_message: Option<String> [0..],
        /// The responses to topics to reassign.
        responses: Vec<AlterPartitionReassignmentsResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct AlterPartitionReassignmentsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The responses to partitions to reassign.
        partitions: Vec<AlterPartitionReassignmentsResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct AlterPartitionReassignmentsResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The error code for this partition, or 0 if there was no error.
        error_code: i16 [0..],
        /// The error message for this partition, or `None` if there was no error.
        error_message: Option<String> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> AlterPartitionReassignmentsRequest {
        AlterPartitionReassignmentsRequest {
            timeout_ms: 60_000,
            topics: vec![AlterPartitionReassignmentsRequestTopic {
                name: "t".into(),
                partitions: vec![
                    AlterPartitionReassignmentsRequestPartition {
                        partition_index: 0,
                        replicas: Some(vec![1, 2]),
                    },
                    AlterPartitionReassignmentsRequestPartition {
                        partition_index: 1,
                        replicas: None,
                    },
                ],
            }],
        }
    }

    fn response() -> AlterPartitionReassignmentsResponse {
        AlterPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            responses: vec![AlterPartitionReassignmentsResponseTopic {
                name: "t".into(),
                partitions: vec![
                    AlterPartitionReassignmentsResponsePartition {
                        partition_index: 0,
                        error_code: 0,
                        error_message: None,
                    },
                    AlterPartitionReassignmentsResponsePartition {
                        partition_index: 1,
                        error_code: 85,
                        error_message: Some("x".into()),
                    },
                ],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AlterPartitionReassignmentsRequest>(&request(), 0, &[
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
            2,                              // topics: 1
            2, b't',                        //   name
            3,                              //   partitions: 2
            0, 0, 0, 0,                     //     partition_index: 0
            3, 0, 0, 0, 1, 0, 0, 0, 2,      //     replicas: [1, 2]
            0,                              //     partition tags
            0, 0, 0, 1,                     //     partition_index: 1
            0,                              //     replicas: null (cancel)
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AlterPartitionReassignmentsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            2,                              // responses: 1
            2, b't',                        //   name
            3,                              //   partitions: 2
            0, 0, 0, 0,                     //     partition_index: 0
            0, 0,                           //     error_code
            0,                              //     error_message: null
            0,                              //     partition tags
            0, 0, 0, 1,                     //     partition_index: 1
            0, 85,                          //     error_code: NO_REASSIGNMENT_IN_PROGRESS
            2, b'x',                        //     error_message
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.timeout_ms = 1000;
        req.topics.push(AlterPartitionReassignmentsRequestTopic {
            name: "events".into(),
            partitions: vec![AlterPartitionReassignmentsRequestPartition {
                partition_index: 7,
                replicas: Some(vec![]),
            }],
        });
        assert_round_trip_all_versions::<AlterPartitionReassignmentsRequest>(&req, 0..=0, 0);

        let mut resp = response();
        resp.throttle_time_ms = 3;
        resp.error_code = 41;
        resp.error_message = Some("not controller".into());
        assert_round_trip_all_versions::<AlterPartitionReassignmentsResponse>(&resp, 0..=0, 0);
    }
}
