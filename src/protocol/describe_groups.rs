//! DescribeGroups (key 15): describes classic groups, their members and assignments.
//!
//! This client speaks versions 0 to 5. Version 1 adds the throttle time, version 3 can
//! ask for the authorized operations, version 4 returns each member's static instance
//! id (KIP-345), and version 5 is the first flexible one. Each group carries its own
//! error code. Groups of the consumer protocol of KIP-848 are described in full by
//! ConsumerGroupDescribe (key 69).

use bytes::Bytes;

use crate::message;

message! {
    /// Asks for the description of the named groups.
    pub struct DescribeGroupsRequest {
        /// The names of the groups to describe.
        groups: Vec<String> [0..],
        /// Whether to include authorized operations.
        include_authorized_operations: bool [3..],
    }
}

message! {
    /// One description per group asked for.
    pub struct DescribeGroupsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [1..],
        /// Each described group.
        groups: Vec<DescribeGroupsResponseGroup> [0..],
    }
}

message! {
    /// One described group.
    pub struct DescribeGroupsResponseGroup {
        /// The describe error, or 0 if there was no error.
        error_code: i16 [0..],
        /// The group ID string.
        group_id: String [0..],
        /// The group state string, or the empty string.
        group_state: String [0..],
        /// The group protocol type, or the empty string.
        protocol_type: String [0..],
        /// The group protocol data (filled in only in the Stable state), or the empty string.
        protocol_data: String [0..],
        /// The group members (always empty in the Dead state).
        members: Vec<DescribeGroupsResponseMember> [0..],
        /// 32-bit bitfield to represent authorized operations for this group.
        authorized_operations: i32 [3..] = i32::MIN,
    }
}

message! {
    /// One member of a described group.
    pub struct DescribeGroupsResponseMember {
        /// The member ID assigned by the group coordinator.
        member_id: String [0..],
        /// The unique identifier of the consumer instance provided by end user.
        group_instance_id: Option<String> [4..] = None,
        /// The client ID used in the member's latest join group request.
        client_id: String [0..],
        /// The client host.
        client_host: String [0..],
        /// The metadata corresponding to the current group protocol in use (Stable only).
        member_metadata: Bytes [0..],
        /// The current assignment provided by the group leader (Stable only).
        member_assignment: Bytes [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn response() -> DescribeGroupsResponse {
        DescribeGroupsResponse {
            throttle_time_ms: 0,
            groups: vec![DescribeGroupsResponseGroup {
                error_code: 0,
                group_id: "g".into(),
                group_state: "Stable".into(),
                protocol_type: "consumer".into(),
                protocol_data: "range".into(),
                members: vec![DescribeGroupsResponseMember {
                    member_id: "m".into(),
                    group_instance_id: Some("i".into()),
                    client_id: "c".into(),
                    client_host: "/h".into(),
                    member_metadata: Bytes::from_static(&[0xaa]),
                    member_assignment: Bytes::from_static(&[0xbb]),
                }],
                authorized_operations: i32::MIN,
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = DescribeGroupsRequest {
            groups: vec!["g".into()],
            include_authorized_operations: true,
        };
        #[rustfmt::skip]
        assert_golden::<DescribeGroupsRequest>(&req, 0, &[
            0, 0, 0, 1,                     // groups: 1
            0, 1, b'g',                     //   "g"
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeGroupsRequest>(&req, 5, &[
            2, 2, b'g',                     // groups: ["g"]
            1,                              // include_authorized_operations (from v3)
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeGroupsResponse>(&response(), 0, &[
            0, 0, 0, 1,                     // groups: 1
            0, 0,                           //   error_code
            0, 1, b'g',                     //   group_id
            0, 6, b'S', b't', b'a', b'b', b'l', b'e', // group_state
            0, 8, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            0, 5, b'r', b'a', b'n', b'g', b'e', // protocol_data
            0, 0, 0, 1,                     //   members: 1
            0, 1, b'm',                     //     member_id
            0, 1, b'c',                     //     client_id
            0, 2, b'/', b'h',               //     client_host
            0, 0, 0, 1, 0xaa,               //     member_metadata
            0, 0, 0, 1, 0xbb,               //     member_assignment
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeGroupsResponse>(&response(), 5, &[
            0, 0, 0, 0,                     // throttle_time_ms (from v1)
            2,                              // groups: 1
            0, 0,                           //   error_code
            2, b'g',                        //   group_id
            7, b'S', b't', b'a', b'b', b'l', b'e', // group_state
            9, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            6, b'r', b'a', b'n', b'g', b'e', //  protocol_data
            2,                              //   members: 1
            2, b'm',                        //     member_id
            2, b'i',                        //     group_instance_id (from v4)
            2, b'c',                        //     client_id
            3, b'/', b'h',                  //     client_host
            2, 0xaa,                        //     member_metadata
            2, 0xbb,                        //     member_assignment
            0,                              //     member tags
            0x80, 0, 0, 0,                  //   authorized_operations: unset (from v3)
            0,                              //   group tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DescribeGroupsRequest {
            groups: vec!["payments".into(), "audit".into()],
            include_authorized_operations: true,
        };
        assert_round_trip_all_versions::<DescribeGroupsRequest>(&req, 0..=5, 5);

        let mut resp = response();
        resp.throttle_time_ms = 20;
        resp.groups[0].authorized_operations = 0x0000_0ff8;
        resp.groups[0].members.push(DescribeGroupsResponseMember {
            member_id: "consumer-2-0d3f".into(),
            group_instance_id: None,
            client_id: "consumer-2".into(),
            client_host: "/10.0.0.2".into(),
            member_metadata: Bytes::new(),
            member_assignment: Bytes::from_static(b"assignment"),
        });
        resp.groups.push(DescribeGroupsResponseGroup {
            error_code: 69,
            group_id: "missing".into(),
            group_state: "Dead".into(),
            ..Default::default()
        });
        assert_round_trip_all_versions::<DescribeGroupsResponse>(&resp, 0..=5, 5);
    }
}
