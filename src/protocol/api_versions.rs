//! ApiVersions (key 18): which APIs and versions a broker speaks.
//!
//! The response always uses response header v0. A broker that does not know the
//! request's version answers UNSUPPORTED_VERSION in the v0 layout, listing its own
//! ApiVersions range, so the client can retry with a version it knows (KIP-511).

use crate::message;

message! {
    /// Asks a broker which API versions it supports.
    pub struct ApiVersionsRequest {
        /// The name of the client software (KIP-511).
        client_software_name: String [3..],
        /// The version of the client software.
        client_software_version: String [3..],
    }
}

message! {
    /// The APIs a broker supports.
    pub struct ApiVersionsResponse {
        /// The top-level error code.
        error_code: i16 [0..],
        /// The APIs supported by the broker.
        api_keys: Vec<ApiVersion> [0..],
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// Features supported by the broker.
        supported_features: Vec<SupportedFeatureKey> [3..] tag 0,
        /// The epoch of the finalized features, or -1.
        finalized_features_epoch: i64 [3..] tag 1 = -1,
        /// Cluster-wide finalized features.
        finalized_features: Vec<FinalizedFeatureKey> [3..] tag 2,
        /// Set by a KRaft controller ready for ZooKeeper migration.
        zk_migration_ready: bool [3..] tag 3,
    }
}

message! {
    /// One API's supported version range.
    pub struct ApiVersion {
        /// The API key.
        api_key: i16 [0..],
        /// The lowest supported version.
        min_version: i16 [0..],
        /// The highest supported version.
        max_version: i16 [0..],
    }
}

message! {
    /// A feature the broker supports.
    pub struct SupportedFeatureKey {
        /// The feature's name.
        name: String [3..],
        /// The lowest supported version.
        min_version: i16 [3..],
        /// The highest supported version.
        max_version: i16 [3..],
    }
}

message! {
    /// A cluster-wide finalized feature.
    pub struct FinalizedFeatureKey {
        /// The feature's name.
        name: String [3..],
        /// The finalized highest version level.
        max_version_level: i16 [3..],
        /// The finalized lowest version level.
        min_version_level: i16 [3..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn sample_response() -> ApiVersionsResponse {
        ApiVersionsResponse {
            error_code: 0,
            api_keys: vec![ApiVersion {
                api_key: 18,
                min_version: 0,
                max_version: 4,
            }],
            throttle_time_ms: 0,
            supported_features: vec![SupportedFeatureKey {
                name: "f".into(),
                min_version: 1,
                max_version: 2,
            }],
            finalized_features_epoch: 3,
            finalized_features: vec![],
            zk_migration_ready: false,
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = ApiVersionsRequest {
            client_software_name: "ks".into(),
            client_software_version: "1".into(),
        };
        assert_golden::<ApiVersionsRequest>(&req, 0, &[]);
        assert_golden::<ApiVersionsRequest>(&req, 2, &[]);
        // v3: compact strings (length + 1) and an empty tag section.
        assert_golden::<ApiVersionsRequest>(&req, 3, &[3, b'k', b's', 2, b'1', 0]);
        assert_golden::<ApiVersionsRequest>(&req, 4, &[3, b'k', b's', 2, b'1', 0]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = sample_response();
        #[rustfmt::skip]
        assert_golden::<ApiVersionsResponse>(&resp, 0, &[
            0, 0,                   // error_code
            0, 0, 0, 1,             // api_keys: 1 entry
            0, 18, 0, 0, 0, 4,      // ApiVersions 0..=4
        ]);
        #[rustfmt::skip]
        assert_golden::<ApiVersionsResponse>(&resp, 1, &[
            0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 4,
            0, 0, 0, 0,             // throttle_time_ms
        ]);
        #[rustfmt::skip]
        assert_golden::<ApiVersionsResponse>(&resp, 3, &[
            0, 0,                   // error_code
            2,                      // compact array of 1
            0, 18, 0, 0, 0, 4, 0,   // entry + its empty tag section
            0, 0, 0, 0,             // throttle_time_ms
            2,                      // two tagged fields
            0, 8, 2, 2, b'f', 0, 1, 0, 2, 0,   // tag 0, 8 bytes: [{f, 1, 2}]
            1, 8, 0, 0, 0, 0, 0, 0, 0, 3,      // tag 1, 8 bytes: epoch 3
        ]);
        assert_round_trip_all_versions::<ApiVersionsResponse>(&resp, 0..=4, 3);
    }
}
