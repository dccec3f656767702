//! DeleteGroups (key 42): deletes empty groups and their committed offsets.
//!
//! This client speaks versions 0 to 2. Version 1 is the same as version 0 (the broker
//! answers before throttling), and version 2 is the first flexible one. Each group has
//! its own error code; a group with members fails with NON_EMPTY_GROUP. The request
//! goes to the groups' coordinator.

use crate::message;

message! {
    /// Asks to delete the named groups.
    pub struct DeleteGroupsRequest {
        /// The group names to delete.
        groups_names: Vec<String> [0..],
    }
}

message! {
    /// One result per group asked for.
    pub struct DeleteGroupsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The deletion results.
        results: Vec<DeleteGroupsResponseResult> [0..],
    }
}

message! {
    /// The outcome for one group.
    pub struct DeleteGroupsResponseResult {
        /// The group id.
        group_id: String [0..],
        /// The deletion error, or 0 if the deletion succeeded.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = DeleteGroupsRequest {
            groups_names: vec!["g".into(), "h".into()],
        };
        #[rustfmt::skip]
        assert_golden::<DeleteGroupsRequest>(&req, 0, &[
            0, 0, 0, 2,                     // groups_names: 2
            0, 1, b'g',                     //   "g"
            0, 1, b'h',                     //   "h"
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteGroupsRequest>(&req, 2, &[
            3, 2, b'g', 2, b'h',            // groups_names: ["g", "h"]
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = DeleteGroupsResponse {
            throttle_time_ms: 0,
            results: vec![DeleteGroupsResponseResult {
                group_id: "g".into(),
                error_code: 68,
            }],
        };
        #[rustfmt::skip]
        assert_golden::<DeleteGroupsResponse>(&resp, 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // results: 1
            0, 1, b'g',                     //   group_id
            0, 68,                          //   error_code: NON_EMPTY_GROUP
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteGroupsResponse>(&resp, 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // results: 1
            2, b'g',                        //   group_id
            0, 68,                          //   error_code: NON_EMPTY_GROUP
            0,                              //   result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DeleteGroupsRequest {
            groups_names: vec!["payments".into(), "old-audit".into()],
        };
        assert_round_trip_all_versions::<DeleteGroupsRequest>(&req, 0..=2, 2);

        let resp = DeleteGroupsResponse {
            throttle_time_ms: 3,
            results: vec![
                DeleteGroupsResponseResult {
                    group_id: "payments".into(),
                    error_code: 0,
                },
                DeleteGroupsResponseResult {
                    group_id: "old-audit".into(),
                    error_code: 69,
                },
            ],
        };
        assert_round_trip_all_versions::<DeleteGroupsResponse>(&resp, 0..=2, 2);
    }
}
