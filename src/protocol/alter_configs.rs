//! AlterConfigs (key 33): replaces the whole dynamic config set of topics or brokers
//! with the configs given (any dynamic config not listed is reset).
//! IncrementalAlterConfigs (key 44) is the safer way to change single keys.
//!
//! This client speaks versions 0 to 2. Version 1 is the same as version 0 (on a quota
//! violation the broker answers before throttling); version 2 is the first flexible
//! one. Each resource carries its own error code in the response.

use crate::message;

message! {
    /// Sets the configs of some resources.
    pub struct AlterConfigsRequest {
        /// The updates for each resource.
        resources: Vec<AlterConfigsRequestResource> [0..],
        /// True if we should validate the request, but not change the configurations.
        validate_only: bool [0..],
    }
}

message! {
    /// The new configs of one resource.
    pub struct AlterConfigsRequestResource {
        /// The resource type (2 topic, 4 broker).
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
        /// The configurations.
        configs: Vec<AlterConfigsRequestConfig> [0..],
    }
}

message! {
    /// One config to set.
    pub struct AlterConfigsRequestConfig {
        /// The configuration key name.
        name: String [0..],
        /// The value to set for the configuration key.
        value: Option<String> [0..],
    }
}

message! {
    /// The outcome of an AlterConfigs request.
    pub struct AlterConfigsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The responses for each resource.
        responses: Vec<AlterConfigsResponseResource> [0..],
    }
}

message! {
    /// The outcome for one resource.
    pub struct AlterConfigsResponseResource {
        /// The resource error code.
        error_code: i16 [0..],
        /// The resource error message, or `None` if there was no error.
        error_message: Option<String> [0..],
        /// The resource type.
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> AlterConfigsRequest {
        AlterConfigsRequest {
            resources: vec![AlterConfigsRequestResource {
                resource_type: 2,
                resource_name: "t".into(),
                configs: vec![AlterConfigsRequestConfig {
                    name: "k".into(),
                    value: Some("v".into()),
                }],
            }],
            validate_only: true,
        }
    }

    fn response() -> AlterConfigsResponse {
        AlterConfigsResponse {
            throttle_time_ms: 5,
            responses: vec![AlterConfigsResponseResource {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "t".into(),
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AlterConfigsRequest>(&request(), 0, &[
            0, 0, 0, 1,                     // resources: 1
            2,                              //   resource_type: topic
            0, 1, b't',                     //   resource_name
            0, 0, 0, 1,                     //   configs: 1
            0, 1, b'k',                     //     name
            0, 1, b'v',                     //     value
            1,                              // validate_only
        ]);
        #[rustfmt::skip]
        assert_golden::<AlterConfigsRequest>(&request(), 2, &[
            2,                              // resources: 1
            2,                              //   resource_type: topic
            2, b't',                        //   resource_name
            2,                              //   configs: 1
            2, b'k',                        //     name
            2, b'v',                        //     value
            0,                              //     config tags
            0,                              //   resource tags
            1,                              // validate_only
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AlterConfigsResponse>(&response(), 0, &[
            0, 0, 0, 5,                     // throttle_time_ms
            0, 0, 0, 1,                     // responses: 1
            0, 0,                           //   error_code
            0xff, 0xff,                     //   error_message: null
            2,                              //   resource_type
            0, 1, b't',                     //   resource_name
        ]);
        #[rustfmt::skip]
        assert_golden::<AlterConfigsResponse>(&response(), 2, &[
            0, 0, 0, 5,                     // throttle_time_ms
            2,                              // responses: 1
            0, 0,                           //   error_code
            0,                              //   error_message: null
            2,                              //   resource_type
            2, b't',                        //   resource_name
            0,                              //   resource tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = AlterConfigsRequest {
            resources: vec![
                AlterConfigsRequestResource {
                    resource_type: 2,
                    resource_name: "events".into(),
                    configs: vec![
                        AlterConfigsRequestConfig {
                            name: "retention.ms".into(),
                            value: Some("86400000".into()),
                        },
                        AlterConfigsRequestConfig {
                            name: "cleanup.policy".into(),
                            value: None,
                        },
                    ],
                },
                AlterConfigsRequestResource {
                    resource_type: 4,
                    resource_name: "1".into(),
                    configs: vec![],
                },
            ],
            validate_only: false,
        };
        assert_round_trip_all_versions::<AlterConfigsRequest>(&req, 0..=2, 2);

        let mut resp = response();
        resp.responses.push(AlterConfigsResponseResource {
            error_code: 40,
            error_message: Some("invalid config".into()),
            resource_type: 4,
            resource_name: "1".into(),
        });
        assert_round_trip_all_versions::<AlterConfigsResponse>(&resp, 0..=2, 2);
    }
}
