//! IncrementalAlterConfigs (key 44): sets, deletes, appends to or subtracts from single
//! configs of topics, brokers, broker loggers, client-metrics subscriptions or groups,
//! leaving the other configs as they are (KIP-339).
//!
//! This client speaks versions 0 and 1; version 1 is the first flexible one. Each
//! resource carries its own error code in the response. As the Java client does, send
//! a broker's or broker logger's configs to that broker (the cluster-wide broker
//! default, an empty name, to any broker).

use crate::message;

message! {
    /// Changes single configs of some resources.
    pub struct IncrementalAlterConfigsRequest {
        /// The incremental updates for each resource.
        resources: Vec<IncrementalAlterConfigsRequestResource> [0..],
        /// True if we should validate the request, but not change the configurations.
        validate_only: bool [0..],
    }
}

message! {
    /// The changes to one resource.
    pub struct IncrementalAlterConfigsRequestResource {
        /// The resource type (2 topic, 4 broker, 8 broker logger, 16 client metrics, 32 group).
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
        /// The configurations.
        configs: Vec<IncrementalAlterConfigsRequestConfig> [0..],
    }
}

message! {
    /// One change to a config.
    pub struct IncrementalAlterConfigsRequestConfig {
        /// The configuration key name.
        name: String [0..],
        /// The type of operation: 0 set, 1 delete, 2 append, 3 subtract.
        config_operation: i8 [0..],
        /// The value to set for the configuration key.
        value: Option<String> [0..],
    }
}

message! {
    /// The outcome of an IncrementalAlterConfigs request.
    pub struct IncrementalAlterConfigsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The responses for each resource.
        responses: Vec<IncrementalAlterConfigsResponseResource> [0..],
    }
}

message! {
    /// The outcome for one resource.
    pub struct IncrementalAlterConfigsResponseResource {
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

    fn request() -> IncrementalAlterConfigsRequest {
        IncrementalAlterConfigsRequest {
            resources: vec![IncrementalAlterConfigsRequestResource {
                resource_type: 4,
                resource_name: "1".into(),
                configs: vec![
                    IncrementalAlterConfigsRequestConfig {
                        name: "k".into(),
                        config_operation: 0,
                        value: Some("v".into()),
                    },
                    IncrementalAlterConfigsRequestConfig {
                        name: "d".into(),
                        config_operation: 1,
                        value: None,
                    },
                ],
            }],
            validate_only: false,
        }
    }

    fn response() -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse {
            throttle_time_ms: 0,
            responses: vec![IncrementalAlterConfigsResponseResource {
                error_code: 42,
                error_message: Some("no".into()),
                resource_type: 4,
                resource_name: "1".into(),
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<IncrementalAlterConfigsRequest>(&request(), 0, &[
            0, 0, 0, 1,                     // resources: 1
            4,                              //   resource_type: broker
            0, 1, b'1',                     //   resource_name
            0, 0, 0, 2,                     //   configs: 2
            0, 1, b'k',                     //     name
            0,                              //     config_operation: set
            0, 1, b'v',                     //     value
            0, 1, b'd',                     //     name
            1,                              //     config_operation: delete
            0xff, 0xff,                     //     value: null
            0,                              // validate_only
        ]);
        #[rustfmt::skip]
        assert_golden::<IncrementalAlterConfigsRequest>(&request(), 1, &[
            2,                              // resources: 1
            4,                              //   resource_type: broker
            2, b'1',                        //   resource_name
            3,                              //   configs: 2
            2, b'k', 0, 2, b'v', 0,         //     name, set, value, tags
            2, b'd', 1, 0, 0,               //     name, delete, value: null, tags
            0,                              //   resource tags
            0,                              // validate_only
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<IncrementalAlterConfigsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // responses: 1
            0, 42,                          //   error_code: INVALID_REQUEST
            0, 2, b'n', b'o',               //   error_message
            4,                              //   resource_type
            0, 1, b'1',                     //   resource_name
        ]);
        #[rustfmt::skip]
        assert_golden::<IncrementalAlterConfigsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // responses: 1
            0, 42,                          //   error_code
            3, b'n', b'o',                  //   error_message
            4,                              //   resource_type
            2, b'1',                        //   resource_name
            0,                              //   resource tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.validate_only = true;
        req.resources.push(IncrementalAlterConfigsRequestResource {
            resource_type: 2,
            resource_name: "events".into(),
            configs: vec![IncrementalAlterConfigsRequestConfig {
                name: "cleanup.policy".into(),
                config_operation: 2,
                value: Some("compact".into()),
            }],
        });
        assert_round_trip_all_versions::<IncrementalAlterConfigsRequest>(&req, 0..=1, 1);

        let mut resp = response();
        resp.throttle_time_ms = 9;
        resp.responses
            .push(IncrementalAlterConfigsResponseResource {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "events".into(),
            });
        assert_round_trip_all_versions::<IncrementalAlterConfigsResponse>(&resp, 0..=1, 1);
    }
}
