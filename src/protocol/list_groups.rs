//! ListGroups (key 16): lists the groups a broker coordinates.
//!
//! This client speaks versions 0 to 5. Version 1 adds the throttle time, version 3 is
//! the first flexible one, version 4 filters by group state and answers with each
//! group's state (KIP-518), and version 5 filters by group type and answers with each
//! group's type, such as "classic" or "consumer" (KIP-848). A request lists only the
//! groups of the broker it is sent to: listing a cluster's groups means asking every
//! broker.

use crate::message;

message! {
    /// Asks for the groups this broker coordinates, optionally filtered.
    pub struct ListGroupsRequest {
        /// The states of the groups to list; if empty, all groups are returned with their state.
        states_filter: Vec<String> [4..],
        /// The types of the groups to list; if empty, all groups are returned with their type.
        types_filter: Vec<String> [5..],
    }
}

message! {
    /// The groups this broker coordinates.
    pub struct ListGroupsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [1..],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// Each group in the response.
        groups: Vec<ListGroupsResponseGroup> [0..],
    }
}

message! {
    /// One listed group.
    pub struct ListGroupsResponseGroup {
        /// The group ID.
        group_id: String [0..],
        /// The group protocol type.
        protocol_type: String [0..],
        /// The group state name.
        group_state: String [4..],
        /// The group type name.
        group_type: String [5..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ListGroupsRequest {
        ListGroupsRequest {
            states_filter: vec!["Dead".into()],
            types_filter: vec!["classic".into()],
        }
    }

    fn response() -> ListGroupsResponse {
        ListGroupsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            groups: vec![ListGroupsResponseGroup {
                group_id: "g".into(),
                protocol_type: "consumer".into(),
                group_state: "Dead".into(),
                group_type: "classic".into(),
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        // v0 to v2: an empty body.
        assert_golden::<ListGroupsRequest>(&request(), 0, &[]);
        // v3: only the (empty) tag section.
        assert_golden::<ListGroupsRequest>(&request(), 3, &[0]);
        #[rustfmt::skip]
        assert_golden::<ListGroupsRequest>(&request(), 4, &[
            2, 5, b'D', b'e', b'a', b'd',   // states_filter: ["Dead"] (from v4)
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<ListGroupsRequest>(&request(), 5, &[
            2, 5, b'D', b'e', b'a', b'd',   // states_filter: ["Dead"]
            2, 8, b'c', b'l', b'a', b's', b's', b'i', b'c', // types_filter: ["classic"] (from v5)
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<ListGroupsResponse>(&response(), 0, &[
            0, 0,                           // error_code
            0, 0, 0, 1,                     // groups: 1
            0, 1, b'g',                     //   group_id
            0, 8, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
        ]);
        #[rustfmt::skip]
        assert_golden::<ListGroupsResponse>(&response(), 3, &[
            0, 0, 0, 0,                     // throttle_time_ms (from v1)
            0, 0,                           // error_code
            2,                              // groups: 1
            2, b'g',                        //   group_id
            9, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            0,                              //   group tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<ListGroupsResponse>(&response(), 5, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            2,                              // groups: 1
            2, b'g',                        //   group_id
            9, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            5, b'D', b'e', b'a', b'd',      //   group_state (from v4)
            8, b'c', b'l', b'a', b's', b's', b'i', b'c', // group_type (from v5)
            0,                              //   group tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = ListGroupsRequest {
            states_filter: vec!["Stable".into(), "Empty".into()],
            types_filter: vec!["consumer".into(), "share".into()],
        };
        assert_round_trip_all_versions::<ListGroupsRequest>(&req, 0..=5, 3);

        let resp = ListGroupsResponse {
            throttle_time_ms: 12,
            error_code: 15,
            groups: vec![
                ListGroupsResponseGroup {
                    group_id: "payments".into(),
                    protocol_type: "consumer".into(),
                    group_state: "Stable".into(),
                    group_type: "consumer".into(),
                },
                ListGroupsResponseGroup {
                    group_id: "connect-cluster".into(),
                    protocol_type: "connect".into(),
                    group_state: "Empty".into(),
                    group_type: "classic".into(),
                },
            ],
        };
        assert_round_trip_all_versions::<ListGroupsResponse>(&resp, 0..=5, 3);
    }
}
