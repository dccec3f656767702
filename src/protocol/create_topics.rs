//! CreateTopics (key 19): creates topics, with a partition count and replication
//! factor or an explicit replica assignment, and per-topic configs.
//!
//! This client speaks versions 2 to 7. Version 5 is the first flexible one and returns
//! the created topic's partition count, replication factor and configs (KIP-525);
//! version 7 returns its topic id.

use super::schema::Uuid;
use crate::message;

message! {
    /// Creates topics.
    pub struct CreateTopicsRequest {
        /// The topics to create.
        topics: Vec<CreateTopicsRequestTopic> [0..],
        /// How long to wait for the creations to complete, in milliseconds.
        timeout_ms: i32 [0..] = 60_000,
        /// Whether to only validate the request without creating anything.
        validate_only: bool [1..],
    }
}

message! {
    /// One topic to create.
    pub struct CreateTopicsRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The number of partitions, or -1 for the broker default or with `assignments`.
        num_partitions: i32 [0..],
        /// The replication factor, or -1 for the broker default or with `assignments`.
        replication_factor: i16 [0..],
        /// Explicit replica placement per partition, or empty.
        assignments: Vec<CreateTopicsRequestAssignment> [0..],
        /// Topic configs to set.
        configs: Vec<CreateTopicsRequestConfig> [0..],
    }
}

message! {
    /// The replicas of one partition of a new topic.
    pub struct CreateTopicsRequestAssignment {
        /// The partition index.
        partition_index: i32 [0..],
        /// The brokers holding its replicas, preferred leader first.
        broker_ids: Vec<i32> [0..],
    }
}

message! {
    /// One config of a new topic.
    pub struct CreateTopicsRequestConfig {
        /// The config name.
        name: String [0..],
        /// The config value.
        value: Option<String> [0..],
    }
}

message! {
    /// The outcome of a CreateTopics request.
    pub struct CreateTopicsResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [2..],
        /// One entry per topic of the request.
        topics: Vec<CreateTopicsResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct CreateTopicsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The new topic's id.
        topic_id: Uuid [7..],
        /// The error code.
        error_code: i16 [0..],
        /// The error message, if any.
        error_message: Option<String> [1..],
        /// Why the configs are missing, if they are (tagged).
        topic_config_error_code: i16 [5..] tag 0,
        /// The topic's partition count, or -1.
        num_partitions: i32 [5..] = -1,
        /// The topic's replication factor, or -1.
        replication_factor: i16 [5..] = -1,
        /// The topic's configs, if returned.
        configs: Option<Vec<CreateTopicsResponseConfig>> [5..],
    }
}

message! {
    /// One config of a created topic.
    pub struct CreateTopicsResponseConfig {
        /// The config name.
        name: String [5..],
        /// The config value, or `None` if sensitive.
        value: Option<String> [5..],
        /// Whether the config is read-only.
        read_only: bool [5..],
        /// Where the value comes from, or -1.
        config_source: i8 [5..] = -1,
        /// Whether the config is sensitive.
        is_sensitive: bool [5..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> CreateTopicsRequest {
        CreateTopicsRequest {
            topics: vec![CreateTopicsRequestTopic {
                name: "t".into(),
                num_partitions: 3,
                replication_factor: 2,
                assignments: vec![],
                configs: vec![CreateTopicsRequestConfig {
                    name: "k".into(),
                    value: Some("v".into()),
                }],
            }],
            timeout_ms: 60_000,
            validate_only: false,
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<CreateTopicsRequest>(&req, 2, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 3,                     //   num_partitions
            0, 2,                           //   replication_factor
            0, 0, 0, 0,                     //   assignments: empty
            0, 0, 0, 1,                     //   configs: 1
            0, 1, b'k', 0, 1, b'v',         //     name, value
            0, 0, 0xea, 0x60,               // timeout_ms: 60000
            0,                              // validate_only
        ]);
        #[rustfmt::skip]
        let flexible = [
            2,                              // topics: 1
            2, b't',                        //   name
            0, 0, 0, 3,                     //   num_partitions
            0, 2,                           //   replication_factor
            1,                              //   assignments: empty
            2,                              //   configs: 1
            2, b'k', 2, b'v', 0,            //     name, value, tags
            0,                              //   topic tags
            0, 0, 0xea, 0x60,               // timeout_ms
            0,                              // validate_only
            0,                              // tags
        ];
        assert_golden::<CreateTopicsRequest>(&req, 5, &flexible);
        assert_golden::<CreateTopicsRequest>(&req, 7, &flexible);

        let placed = CreateTopicsRequest {
            topics: vec![CreateTopicsRequestTopic {
                name: "t".into(),
                num_partitions: -1,
                replication_factor: -1,
                assignments: vec![CreateTopicsRequestAssignment {
                    partition_index: 0,
                    broker_ids: vec![1, 2],
                }],
                configs: vec![],
            }],
            timeout_ms: 1000,
            validate_only: true,
        };
        #[rustfmt::skip]
        assert_golden::<CreateTopicsRequest>(&placed, 7, &[
            2, 2, b't',
            0xff, 0xff, 0xff, 0xff,         //   num_partitions: -1
            0xff, 0xff,                     //   replication_factor: -1
            2,                              //   assignments: 1
            0, 0, 0, 0,                     //     partition_index
            3, 0, 0, 0, 1, 0, 0, 0, 2,      //     broker_ids: [1, 2]
            0,                              //     assignment tags
            1,                              //   configs: empty
            0,                              //   topic tags
            0, 0, 0x03, 0xe8,               // timeout_ms: 1000
            1,                              // validate_only
            0,
        ]);
    }

    fn response() -> CreateTopicsResponse {
        CreateTopicsResponse {
            throttle_time_ms: 0,
            topics: vec![CreateTopicsResponseTopic {
                name: "t".into(),
                topic_id: Uuid([0xab; 16]),
                error_code: 0,
                error_message: None,
                topic_config_error_code: 0,
                num_partitions: 3,
                replication_factor: 2,
                configs: Some(vec![CreateTopicsResponseConfig {
                    name: "k".into(),
                    value: Some("v".into()),
                    read_only: false,
                    config_source: 5,
                    is_sensitive: false,
                }]),
            }],
        }
    }

    #[test]
    fn response_golden_bytes() {
        let resp = response();
        #[rustfmt::skip]
        assert_golden::<CreateTopicsResponse>(&resp, 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0,                           //   error_code
            0xff, 0xff,                     //   error_message: null
        ]);
        #[rustfmt::skip]
        let v5_tail = [
            0, 0,                           //   error_code
            0,                              //   error_message: null
            0, 0, 0, 3,                     //   num_partitions
            0, 2,                           //   replication_factor
            2,                              //   configs: 1
            2, b'k', 2, b'v',               //     name, value
            0,                              //     read_only
            5,                              //     config_source: default config
            0,                              //     is_sensitive
            0,                              //     config tags
            0,                              //   topic tags
            0,                              // tags
        ];
        let v5_head = [0, 0, 0, 0, 2, 2, b't'];
        assert_golden::<CreateTopicsResponse>(&resp, 5, &[&v5_head[..], &v5_tail].concat());
        // v7: the topic id follows the name.
        let v7 = [&v5_head[..], &[0xab; 16], &v5_tail].concat();
        assert_golden::<CreateTopicsResponse>(&resp, 7, &v7);

        // A config error travels as tagged field 0, with the configs null.
        let mut no_configs = resp;
        no_configs.topics[0].topic_config_error_code = 29;
        no_configs.topics[0].configs = None;
        #[rustfmt::skip]
        assert_golden::<CreateTopicsResponse>(&no_configs, 5, &[
            0, 0, 0, 0, 2, 2, b't', 0, 0, 0,
            0, 0, 0, 3, 0, 2,
            0,                              //   configs: null
            1, 0, 2, 0, 29,                 //   tag 0, 2 bytes: topic_config_error_code 29
            0,
        ]);
    }

    #[test]
    fn round_trips() {
        let req = CreateTopicsRequest {
            topics: vec![CreateTopicsRequestTopic {
                name: "events".into(),
                num_partitions: 6,
                replication_factor: 3,
                assignments: vec![CreateTopicsRequestAssignment {
                    partition_index: 0,
                    broker_ids: vec![1, 2, 3],
                }],
                configs: vec![
                    CreateTopicsRequestConfig {
                        name: "cleanup.policy".into(),
                        value: Some("compact".into()),
                    },
                    CreateTopicsRequestConfig {
                        name: "retention.ms".into(),
                        value: None,
                    },
                ],
            }],
            timeout_ms: 30_000,
            validate_only: true,
        };
        assert_round_trip_all_versions::<CreateTopicsRequest>(&req, 2..=7, 5);

        let resp = CreateTopicsResponse {
            throttle_time_ms: 11,
            topics: vec![CreateTopicsResponseTopic {
                name: "events".into(),
                topic_id: Uuid([9; 16]),
                error_code: 36,
                error_message: Some("exists".into()),
                topic_config_error_code: 29,
                num_partitions: 6,
                replication_factor: 3,
                configs: Some(vec![CreateTopicsResponseConfig {
                    name: "cleanup.policy".into(),
                    value: Some("compact".into()),
                    read_only: true,
                    config_source: 1,
                    is_sensitive: true,
                }]),
            }],
        };
        assert_round_trip_all_versions::<CreateTopicsResponse>(&resp, 2..=7, 5);
    }
}
