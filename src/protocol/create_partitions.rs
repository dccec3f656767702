//! CreatePartitions (key 37): raises the partition count of existing topics, with an
//! optional explicit replica placement for the new partitions.
//!
//! This client speaks versions 0 to 3. Version 1 is the same as version 0 (on a quota
//! violation the broker answers before throttling), version 2 is the first flexible
//! one, and version 3 is the same as version 2 but may fail a topic with
//! THROTTLING_QUOTA_EXCEEDED when partition creation is throttled (KIP-599).

use crate::message;

message! {
    /// Adds partitions to topics.
    pub struct CreatePartitionsRequest {
        /// Each topic that we want to create new partitions inside.
        topics: Vec<CreatePartitionsRequestTopic> [0..],
        /// The time in ms to wait for the partitions to be created.
        timeout_ms: i32 [0..],
        /// If true, only validate the request, without increasing the partition count.
        validate_only: bool [0..],
    }
}

message! {
    /// One topic to add partitions to.
    pub struct CreatePartitionsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The new partition count.
        count: i32 [0..],
        /// The new partition assignments, one per new partition, or `None` for the broker's.
        assignments: Option<Vec<CreatePartitionsRequestAssignment>> [0..],
    }
}

message! {
    /// The replicas of one new partition.
    pub struct CreatePartitionsRequestAssignment {
        /// The assigned broker IDs.
        broker_ids: Vec<i32> [0..],
    }
}

message! {
    /// The outcome of a CreatePartitions request.
    pub struct CreatePartitionsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The partition creation results for each topic.
        results: Vec<CreatePartitionsResponseResult> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct CreatePartitionsResponseResult {
        /// The topic name.
        name: String [0..],
        /// The result error, or zero if there was no error.
        error_code: i16 [0..],
        /// The result message, or `None` if there was no error.
        error_message: Option<String> [0..] = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> CreatePartitionsRequest {
        CreatePartitionsRequest {
            topics: vec![CreatePartitionsRequestTopic {
                name: "t".into(),
                count: 4,
                assignments: Some(vec![CreatePartitionsRequestAssignment {
                    broker_ids: vec![1],
                }]),
            }],
            timeout_ms: 1000,
            validate_only: false,
        }
    }

    fn response() -> CreatePartitionsResponse {
        CreatePartitionsResponse {
            throttle_time_ms: 0,
            results: vec![CreatePartitionsResponseResult {
                name: "t".into(),
                error_code: 37,
                error_message: Some("x".into()),
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsRequest>(&request(), 0, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 4,                     //   count
            0, 0, 0, 1,                     //   assignments: 1
            0, 0, 0, 1, 0, 0, 0, 1,         //     broker_ids: [1]
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
            0,                              // validate_only
        ]);
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsRequest>(&request(), 2, &[
            2,                              // topics: 1
            2, b't',                        //   name
            0, 0, 0, 4,                     //   count
            2,                              //   assignments: 1
            2, 0, 0, 0, 1,                  //     broker_ids: [1]
            0,                              //     assignment tags
            0,                              //   topic tags
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
            0,                              // validate_only
            0,                              // tags
        ]);

        // Without assignments the broker places the new partitions: a null array.
        let mut placed = request();
        placed.topics[0].assignments = None;
        placed.validate_only = true;
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsRequest>(&placed, 0, &[
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 4,
            0xff, 0xff, 0xff, 0xff,         //   assignments: null
            0, 0, 0x03, 0xe8,
            1,                              // validate_only
        ]);
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsRequest>(&placed, 3, &[
            2, 2, b't', 0, 0, 0, 4,
            0,                              //   assignments: null
            0,                              //   topic tags
            0, 0, 0x03, 0xe8,
            1,                              // validate_only
            0,
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // results: 1
            0, 1, b't',                     //   name
            0, 37,                          //   error_code: INVALID_PARTITIONS
            0, 1, b'x',                     //   error_message
        ]);
        #[rustfmt::skip]
        assert_golden::<CreatePartitionsResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // results: 1
            2, b't',                        //   name
            0, 37,                          //   error_code
            2, b'x',                        //   error_message
            0,                              //   result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = CreatePartitionsRequest {
            topics: vec![
                CreatePartitionsRequestTopic {
                    name: "events".into(),
                    count: 8,
                    assignments: Some(vec![
                        CreatePartitionsRequestAssignment {
                            broker_ids: vec![1, 2, 3],
                        },
                        CreatePartitionsRequestAssignment {
                            broker_ids: vec![2, 3, 1],
                        },
                    ]),
                },
                CreatePartitionsRequestTopic {
                    name: "logs".into(),
                    count: 3,
                    assignments: None,
                },
            ],
            timeout_ms: 30_000,
            validate_only: true,
        };
        assert_round_trip_all_versions::<CreatePartitionsRequest>(&req, 0..=3, 2);

        let resp = CreatePartitionsResponse {
            throttle_time_ms: 25,
            results: vec![
                CreatePartitionsResponseResult {
                    name: "events".into(),
                    error_code: 0,
                    error_message: None,
                },
                CreatePartitionsResponseResult {
                    name: "logs".into(),
                    error_code: 89,
                    error_message: Some("throttled".into()),
                },
            ],
        };
        assert_round_trip_all_versions::<CreatePartitionsResponse>(&resp, 0..=3, 2);
    }
}
