//! DeleteTopics (key 20): deletes topics by name or, from version 6, by id.
//!
//! This client speaks versions 1 to 6. Version 4 is the first flexible one, version 5
//! returns error messages, and version 6 names topics by name or id (KIP-516).

use super::schema::Uuid;
use crate::message;

message! {
    /// Deletes topics.
    pub struct DeleteTopicsRequest {
        /// The topics to delete (from version 6).
        topics: Vec<DeleteTopicsRequestTopic> [6..],
        /// The names of the topics to delete (up to version 5).
        topic_names: Vec<String> [0..=5],
        /// How long to wait for the deletions to complete, in milliseconds.
        timeout_ms: i32 [0..],
    }
}

message! {
    /// One topic to delete, by name or id.
    pub struct DeleteTopicsRequestTopic {
        /// The topic name, or `None` to use the id.
        name: Option<String> [6..],
        /// The topic id, or zero to use the name.
        topic_id: Uuid [6..],
    }
}

message! {
    /// The outcome of a DeleteTopics request.
    pub struct DeleteTopicsResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// One entry per topic of the request.
        responses: Vec<DeleteTopicsResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct DeleteTopicsResponseTopic {
        /// The topic name (null only from version 6).
        name: Option<String> [0..],
        /// The topic id.
        topic_id: Uuid [6..],
        /// The error code.
        error_code: i16 [0..],
        /// The error message, if any.
        error_message: Option<String> [5..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = DeleteTopicsRequest {
            topics: vec![DeleteTopicsRequestTopic {
                name: Some("t".into()),
                topic_id: Uuid::ZERO,
            }],
            topic_names: vec!["t".into()],
            timeout_ms: 1000,
        };
        #[rustfmt::skip]
        assert_golden::<DeleteTopicsRequest>(&req, 1, &[
            0, 0, 0, 1, 0, 1, b't',         // topic_names: ["t"]
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
        ]);
        assert_golden::<DeleteTopicsRequest>(&req, 4, &[2, 2, b't', 0, 0, 0x03, 0xe8, 0]);
        // v6: topics by name or id.
        #[rustfmt::skip]
        let v6 = [
            &[
                2,                          // topics: 1
                2, b't',                    //   name
            ][..],
            &[0; 16],                       //   topic_id: zero
            &[
                0,                          //   topic tags
                0, 0, 0x03, 0xe8,           // timeout_ms
                0,                          // tags
            ],
        ]
        .concat();
        assert_golden::<DeleteTopicsRequest>(&req, 6, &v6);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = DeleteTopicsResponse {
            throttle_time_ms: 0,
            responses: vec![DeleteTopicsResponseTopic {
                name: Some("t".into()),
                topic_id: Uuid([0xab; 16]),
                error_code: 3,
                error_message: Some("e".into()),
            }],
        };
        #[rustfmt::skip]
        assert_golden::<DeleteTopicsResponse>(&resp, 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // responses: 1
            0, 1, b't',                     //   name
            0, 3,                           //   error_code
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteTopicsResponse>(&resp, 4, &[
            0, 0, 0, 0, 2, 2, b't', 0, 3,
            0,                              //   topic tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteTopicsResponse>(&resp, 5, &[
            0, 0, 0, 0, 2, 2, b't', 0, 3,
            2, b'e',                        //   error_message (from v5)
            0, 0,
        ]);
        let v6 = [
            &[0, 0, 0, 0, 2, 2, b't'][..],
            &[0xab; 16],
            &[0, 3, 2, b'e', 0, 0],
        ]
        .concat();
        assert_golden::<DeleteTopicsResponse>(&resp, 6, &v6);
    }

    #[test]
    fn round_trips() {
        let req = DeleteTopicsRequest {
            topics: vec![
                DeleteTopicsRequestTopic {
                    name: Some("events".into()),
                    topic_id: Uuid::ZERO,
                },
                DeleteTopicsRequestTopic {
                    name: None,
                    topic_id: Uuid([4; 16]),
                },
            ],
            topic_names: vec!["events".into(), "logs".into()],
            timeout_ms: 15_000,
        };
        assert_round_trip_all_versions::<DeleteTopicsRequest>(&req, 1..=6, 4);

        let resp = DeleteTopicsResponse {
            throttle_time_ms: 2,
            responses: vec![DeleteTopicsResponseTopic {
                name: Some("events".into()),
                topic_id: Uuid([4; 16]),
                error_code: 3,
                error_message: Some("unknown topic".into()),
            }],
        };
        assert_round_trip_all_versions::<DeleteTopicsResponse>(&resp, 1..=6, 4);
    }
}
