//! ElectLeaders (key 43): asks the controller to elect the preferred replica (or, in an
//! unclean election, any live replica) as leader of some partitions.
//!
//! This client speaks versions 0 to 2. Version 1 adds the election type (KIP-460) and
//! a top-level error code; version 2 is the first flexible one. Version 0 always holds
//! a preferred election. Each partition has its own error code in the response;
//! ELECTION_NOT_NEEDED means the preferred replica already leads.

use crate::message;

message! {
    /// Elects leaders for some partitions.
    pub struct ElectLeadersRequest {
        /// The election type: 0 the preferred replica, 1 any live replica if none is in sync.
        election_type: i8 [1..],
        /// The topic partitions to elect leaders, or `None` for every partition.
        topic_partitions: Option<Vec<ElectLeadersRequestTopic>> [0..],
        /// The time in ms to wait for the election to complete.
        timeout_ms: i32 [0..] = 60_000,
    }
}

message! {
    /// The partitions of one topic to elect leaders for.
    pub struct ElectLeadersRequestTopic {
        /// The name of a topic.
        topic: String [0..],
        /// The partitions of this topic whose leader should be elected.
        partitions: Vec<i32> [0..],
    }
}

message! {
    /// The outcome of an ElectLeaders request.
    pub struct ElectLeadersResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The top level response error code.
        error_code: i16 [1..],
        /// The election results, or empty if not authorized and all partitions were asked.
        replica_election_results: Vec<ElectLeadersResponseResult> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct ElectLeadersResponseResult {
        /// The topic name.
        topic: String [0..],
        /// The results for each partition.
        partition_result: Vec<ElectLeadersResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct ElectLeadersResponsePartition {
        /// The partition id.
        partition_id: i32 [0..],
        /// The result error, or zero if there was no error.
        error_code: i16 [0..],
        /// The result message, or `None` if there was no error.
        error_message: Option<String> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ElectLeadersRequest {
        ElectLeadersRequest {
            election_type: 0,
            topic_partitions: Some(vec![ElectLeadersRequestTopic {
                topic: "t".into(),
                partitions: vec![0],
            }]),
            timeout_ms: 60_000,
        }
    }

    fn response() -> ElectLeadersResponse {
        ElectLeadersResponse {
            throttle_time_ms: 0,
            error_code: 0,
            replica_election_results: vec![ElectLeadersResponseResult {
                topic: "t".into(),
                partition_result: vec![ElectLeadersResponsePartition {
                    partition_id: 0,
                    error_code: 84,
                    error_message: None,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<ElectLeadersRequest>(&request(), 0, &[
            0, 0, 0, 1,                     // topic_partitions: 1
            0, 1, b't',                     //   topic
            0, 0, 0, 1, 0, 0, 0, 0,         //   partitions: [0]
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
        ]);
        #[rustfmt::skip]
        assert_golden::<ElectLeadersRequest>(&request(), 2, &[
            0,                              // election_type: preferred (from v1)
            2,                              // topic_partitions: 1
            2, b't',                        //   topic
            2, 0, 0, 0, 0,                  //   partitions: [0]
            0,                              //   topic tags
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
            0,                              // tags
        ]);
        // An unclean election of every partition: a null topic list.
        let all = ElectLeadersRequest {
            election_type: 1,
            topic_partitions: None,
            timeout_ms: 1000,
        };
        #[rustfmt::skip]
        assert_golden::<ElectLeadersRequest>(&all, 1, &[
            1,                              // election_type: unclean
            0xff, 0xff, 0xff, 0xff,         // topic_partitions: null
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
        ]);
        assert_golden::<ElectLeadersRequest>(&all, 2, &[1, 0, 0, 0, 0x03, 0xe8, 0]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<ElectLeadersResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // replica_election_results: 1
            0, 1, b't',                     //   topic
            0, 0, 0, 1,                     //   partition_result: 1
            0, 0, 0, 0,                     //     partition_id
            0, 84,                          //     error_code: ELECTION_NOT_NEEDED
            0xff, 0xff,                     //     error_message: null
        ]);
        #[rustfmt::skip]
        assert_golden::<ElectLeadersResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code (from v1)
            2,                              // replica_election_results: 1
            2, b't',                        //   topic
            2,                              //   partition_result: 1
            0, 0, 0, 0,                     //     partition_id
            0, 84,                          //     error_code: ELECTION_NOT_NEEDED
            0,                              //     error_message: null
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = ElectLeadersRequest {
            election_type: 1,
            topic_partitions: Some(vec![
                ElectLeadersRequestTopic {
                    topic: "events".into(),
                    partitions: vec![0, 1, 2],
                },
                ElectLeadersRequestTopic {
                    topic: "logs".into(),
                    partitions: vec![],
                },
            ]),
            timeout_ms: 5000,
        };
        assert_round_trip_all_versions::<ElectLeadersRequest>(&req, 0..=2, 2);
        let all = ElectLeadersRequest {
            election_type: 0,
            topic_partitions: None,
            timeout_ms: 60_000,
        };
        assert_round_trip_all_versions::<ElectLeadersRequest>(&all, 0..=2, 2);

        let mut resp = response();
        resp.throttle_time_ms = 7;
        resp.error_code = 31;
        resp.replica_election_results[0]
            .partition_result
            .push(ElectLeadersResponsePartition {
                partition_id: 1,
                error_code: 83,
                error_message: Some("no eligible leader".into()),
            });
        assert_round_trip_all_versions::<ElectLeadersResponse>(&resp, 0..=2, 2);
    }
}
