//! ListPartitionReassignments (key 46): lists the partition reassignments in progress,
//! with the replicas being added and removed (KIP-455).
//!
//! This client speaks version 0, the only one; it is flexible. The response has only a
//! top-level error code: partitions that are not being reassigned are left out.

use crate::message;

message! {
    /// Asks for the ongoing reassignments.
    pub struct ListPartitionReassignmentsRequest {
        /// The time in ms to wait for the request to complete.
        timeout_ms: i32 [0..] = 60_000,
        /// The topics to list partition reassignments for, or `None` to list everything.
        topics: Option<Vec<ListPartitionReassignmentsRequestTopic>> [0..] = None,
    }
}

message! {
    /// The partitions of one topic to list reassignments of.
    pub struct ListPartitionReassignmentsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions to list partition reassignments for.
        partition_indexes: Vec<i32> [0..],
    }
}

message! {
    /// The ongoing reassignments.
    pub struct ListPartitionReassignmentsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The top-level error message, or `None` if there was no error.
        error_message: Option<String> [0..],
        /// The ongoing reassignments for each topic.
        topics: Vec<ListPartitionReassignmentsResponseTopic> [0..],
    }
}

message! {
    /// The ongoing reassignments of one topic.
    pub struct ListPartitionReassignmentsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The ongoing reassignments for each partition.
        partitions: Vec<ListPartitionReassignmentsResponsePartition> [0..],
    }
}

message! {
    /// The ongoing reassignment of one partition.
    pub struct ListPartitionReassignmentsResponsePartition {
        /// The index of the partition.
        partition_index: i32 [0..],
        /// The current replica set.
        replicas: Vec<i32> [0..],
        /// The set of replicas we are currently adding.
        adding_replicas: Vec<i32> [0..],
        /// The set of replicas we are currently removing.
        removing_replicas: Vec<i32> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ListPartitionReassignmentsRequest {
        ListPartitionReassignmentsRequest {
            timeout_ms: 60_000,
            topics: Some(vec![ListPartitionReassignmentsRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0],
            }]),
        }
    }

    fn response() -> ListPartitionReassignmentsResponse {
        ListPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            topics: vec![ListPartitionReassignmentsResponseTopic {
                name: "t".into(),
                partitions: vec![ListPartitionReassignmentsResponsePartition {
                    partition_index: 0,
                    replicas: vec![1, 2, 3],
                    adding_replicas: vec![3],
                    removing_replicas: vec![1],
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<ListPartitionReassignmentsRequest>(&request(), 0, &[
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
            2,                              // topics: 1
            2, b't',                        //   name
            2, 0, 0, 0, 0,                  //   partition_indexes: [0]
            0,                              //   topic tags
            0,                              // tags
        ]);
        let all = ListPartitionReassignmentsRequest {
            timeout_ms: 60_000,
            topics: None,
        };
        #[rustfmt::skip]
        assert_golden::<ListPartitionReassignmentsRequest>(&all, 0, &[
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
            0,                              // topics: null (everything)
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<ListPartitionReassignmentsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, // replicas: [1, 2, 3]
            2, 0, 0, 0, 3,                  //     adding_replicas: [3]
            2, 0, 0, 0, 1,                  //     removing_replicas: [1]
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.topics
            .as_mut()
            .unwrap()
            .push(ListPartitionReassignmentsRequestTopic {
                name: "events".into(),
                partition_indexes: vec![1, 2],
            });
        assert_round_trip_all_versions::<ListPartitionReassignmentsRequest>(&req, 0..=0, 0);
        let all = ListPartitionReassignmentsRequest {
            timeout_ms: 500,
            topics: None,
        };
        assert_round_trip_all_versions::<ListPartitionReassignmentsRequest>(&all, 0..=0, 0);

        let mut resp = response();
        resp.throttle_time_ms = 2;
        resp.topics[0]
            .partitions
            .push(ListPartitionReassignmentsResponsePartition {
                partition_index: 5,
                replicas: vec![4, 5],
                adding_replicas: vec![],
                removing_replicas: vec![],
            });
        assert_round_trip_all_versions::<ListPartitionReassignmentsResponse>(&resp, 0..=0, 0);
        let failed = ListPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 41,
            error_message: Some("not controller".into()),
            topics: vec![],
        };
        assert_round_trip_all_versions::<ListPartitionReassignmentsResponse>(&failed, 0..=0, 0);
    }
}
