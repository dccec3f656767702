//! DescribeConfigs (key 32): reads the configs of topics, brokers, broker loggers,
//! client-metrics subscriptions or groups, with where each value comes from.
//!
//! This client speaks versions 1 to 4 (Kafka 4.0 removed version 0, whose configs
//! carried an `IsDefault` flag instead of a source). Version 1 adds
//! `include_synonyms`, each config's source and its synonyms; version 2 is the same
//! as version 1 (on a quota violation the broker answers before throttling); version 3
//! adds `include_documentation` and each config's type and documentation (KIP-569);
//! version 4 is the first flexible one.
//!
//! Config sources: 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static
//! broker, 5 default, 6 dynamic broker logger, 7 client metrics, 8 group. Config
//! types: 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class,
//! 9 password. Each resource carries its own error code: a failed resource does not
//! fail the others.

use crate::message;

message! {
    /// Asks for the configs of some resources.
    pub struct DescribeConfigsRequest {
        /// The resources whose configurations we want to describe.
        resources: Vec<DescribeConfigsRequestResource> [0..],
        /// True if we should include all synonyms.
        include_synonyms: bool [1..] = false,
        /// True if we should include configuration documentation.
        include_documentation: bool [3..] = false,
    }
}

message! {
    /// One resource to describe.
    pub struct DescribeConfigsRequestResource {
        /// The resource type (2 topic, 4 broker, 8 broker logger, 16 client metrics, 32 group).
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
        /// The configuration keys to list, or `None` to list all configuration keys.
        configuration_keys: Option<Vec<String>> [0..],
    }
}

message! {
    /// The configs of the requested resources.
    pub struct DescribeConfigsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The results for each resource.
        results: Vec<DescribeConfigsResponseResult> [0..],
    }
}

message! {
    /// The configs of one resource.
    pub struct DescribeConfigsResponseResult {
        /// The error code, or 0 if we were able to successfully describe the configurations.
        error_code: i16 [0..],
        /// The error message, or `None` if we were able to describe the configurations.
        error_message: Option<String> [0..],
        /// The resource type.
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
        /// Each listed configuration.
        configs: Vec<DescribeConfigsResponseConfig> [0..],
    }
}

message! {
    /// One config of a resource.
    pub struct DescribeConfigsResponseConfig {
        /// The configuration name.
        name: String [0..],
        /// The configuration value (`None` when sensitive or unset).
        value: Option<String> [0..],
        /// True if the configuration is read-only.
        read_only: bool [0..],
        /// The configuration source (codes in the module documentation), or -1.
        config_source: i8 [1..] = -1,
        /// True if this configuration is sensitive.
        is_sensitive: bool [0..],
        /// The synonyms for this configuration key, highest precedence first.
        synonyms: Vec<DescribeConfigsResponseSynonym> [1..],
        /// The configuration data type (codes in the module documentation), 0 if unknown.
        config_type: i8 [3..] = 0,
        /// The configuration documentation.
        documentation: Option<String> [3..],
    }
}

message! {
    /// One synonym of a config: a value set at another level.
    pub struct DescribeConfigsResponseSynonym {
        /// The synonym name.
        name: String [1..],
        /// The synonym value.
        value: Option<String> [1..],
        /// The synonym source.
        source: i8 [1..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> DescribeConfigsRequest {
        DescribeConfigsRequest {
            resources: vec![DescribeConfigsRequestResource {
                resource_type: 2,
                resource_name: "t".into(),
                configuration_keys: Some(vec!["k".into()]),
            }],
            include_synonyms: true,
            include_documentation: true,
        }
    }

    fn response() -> DescribeConfigsResponse {
        DescribeConfigsResponse {
            throttle_time_ms: 0,
            results: vec![DescribeConfigsResponseResult {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "t".into(),
                configs: vec![DescribeConfigsResponseConfig {
                    name: "k".into(),
                    value: Some("v".into()),
                    read_only: false,
                    config_source: 1,
                    is_sensitive: false,
                    synonyms: vec![DescribeConfigsResponseSynonym {
                        name: "k".into(),
                        value: Some("v".into()),
                        source: 1,
                    }],
                    config_type: 2,
                    documentation: Some("d".into()),
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsRequest>(&request(), 1, &[
            0, 0, 0, 1,                     // resources: 1
            2,                              //   resource_type: topic
            0, 1, b't',                     //   resource_name
            0, 0, 0, 1, 0, 1, b'k',         //   configuration_keys: ["k"]
            1,                              // include_synonyms
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsRequest>(&request(), 4, &[
            2,                              // resources: 1
            2,                              //   resource_type: topic
            2, b't',                        //   resource_name
            2, 2, b'k',                     //   configuration_keys: ["k"]
            0,                              //   resource tags
            1,                              // include_synonyms
            1,                              // include_documentation (from v3)
            0,                              // tags
        ]);

        // All keys of a broker: a null key list.
        let all = DescribeConfigsRequest {
            resources: vec![DescribeConfigsRequestResource {
                resource_type: 4,
                resource_name: "1".into(),
                configuration_keys: None,
            }],
            include_synonyms: false,
            include_documentation: false,
        };
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsRequest>(&all, 1, &[
            0, 0, 0, 1, 4, 0, 1, b'1',
            0xff, 0xff, 0xff, 0xff,         //   configuration_keys: null
            0,
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsRequest>(&all, 4, &[
            2, 4, 2, b'1',
            0,                              //   configuration_keys: null
            0, 0, 0, 0,
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // results: 1
            0, 0,                           //   error_code
            0xff, 0xff,                     //   error_message: null
            2,                              //   resource_type
            0, 1, b't',                     //   resource_name
            0, 0, 0, 1,                     //   configs: 1
            0, 1, b'k',                     //     name
            0, 1, b'v',                     //     value
            0,                              //     read_only
            1,                              //     config_source: topic config
            0,                              //     is_sensitive
            0, 0, 0, 1,                     //     synonyms: 1
            0, 1, b'k', 0, 1, b'v', 1,      //       name, value, source
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeConfigsResponse>(&response(), 4, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // results: 1
            0, 0,                           //   error_code
            0,                              //   error_message: null
            2,                              //   resource_type
            2, b't',                        //   resource_name
            2,                              //   configs: 1
            2, b'k',                        //     name
            2, b'v',                        //     value
            0,                              //     read_only
            1,                              //     config_source
            0,                              //     is_sensitive
            2,                              //     synonyms: 1
            2, b'k', 2, b'v', 1, 0,         //       name, value, source, tags
            2,                              //     config_type: string (from v3)
            2, b'd',                        //     documentation (from v3)
            0,                              //     config tags
            0,                              //   result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DescribeConfigsRequest {
            resources: vec![
                DescribeConfigsRequestResource {
                    resource_type: 2,
                    resource_name: "events".into(),
                    configuration_keys: Some(vec!["retention.ms".into(), "cleanup.policy".into()]),
                },
                DescribeConfigsRequestResource {
                    resource_type: 4,
                    resource_name: "1".into(),
                    configuration_keys: None,
                },
            ],
            include_synonyms: true,
            include_documentation: true,
        };
        assert_round_trip_all_versions::<DescribeConfigsRequest>(&req, 1..=4, 4);

        let mut resp = response();
        resp.throttle_time_ms = 3;
        resp.results.push(DescribeConfigsResponseResult {
            error_code: 3,
            error_message: Some("unknown topic".into()),
            resource_type: 2,
            resource_name: "gone".into(),
            configs: vec![],
        });
        resp.results[0].configs.push(DescribeConfigsResponseConfig {
            name: "sasl.jaas.config".into(),
            value: None,
            read_only: true,
            config_source: 4,
            is_sensitive: true,
            synonyms: vec![],
            config_type: 9,
            documentation: None,
        });
        assert_round_trip_all_versions::<DescribeConfigsResponse>(&resp, 1..=4, 4);
    }
}
