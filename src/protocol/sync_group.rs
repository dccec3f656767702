//! SyncGroup (key 14): the leader hands out assignments and every member collects its
//! own, completing a rebalance of the classic protocol.
//!
//! This client speaks versions 0 to 5. Version 1 adds throttling, version 3 static
//! membership, version 4 is the first flexible one, and version 5 carries the protocol
//! type and name so the coordinator can check them.

use bytes::Bytes;

use crate::message;

message! {
    /// Sends the leader's assignments (empty for followers) and asks for this member's.
    pub struct SyncGroupRequest {
        /// The group id.
        group_id: String [0..],
        /// The generation this member joined.
        generation_id: i32 [0..],
        /// The member id.
        member_id: String [0..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [3..],
        /// The group's protocol type.
        protocol_type: Option<String> [5..],
        /// The chosen assignment protocol.
        protocol_name: Option<String> [5..],
        /// Every member's assignment (leader only).
        assignments: Vec<SyncGroupRequestAssignment> [0..],
    }
}

message! {
    /// One member's assignment, as computed by the leader.
    pub struct SyncGroupRequestAssignment {
        /// The member id.
        member_id: String [0..],
        /// The encoded assignment.
        assignment: Bytes [0..],
    }
}

message! {
    /// This member's assignment.
    pub struct SyncGroupResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// The error code.
        error_code: i16 [0..],
        /// The group's protocol type.
        protocol_type: Option<String> [5..],
        /// The chosen assignment protocol.
        protocol_name: Option<String> [5..],
        /// The encoded assignment.
        assignment: Bytes [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = SyncGroupRequest {
            group_id: "g".into(),
            generation_id: 1,
            member_id: "m".into(),
            group_instance_id: None,
            protocol_type: Some("c".into()),
            protocol_name: Some("r".into()),
            assignments: vec![SyncGroupRequestAssignment {
                member_id: "m".into(),
                assignment: Bytes::from_static(&[0xaa]),
            }],
        };
        #[rustfmt::skip]
        assert_golden::<SyncGroupRequest>(&req, 0, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 1,                     // generation_id
            0, 1, b'm',                     // member_id
            0, 0, 0, 1,                     // assignments: 1
            0, 1, b'm',                     //   member_id
            0, 0, 0, 1, 0xaa,               //   assignment
        ]);
        #[rustfmt::skip]
        assert_golden::<SyncGroupRequest>(&req, 3, &[
            0, 1, b'g', 0, 0, 0, 1, 0, 1, b'm',
            0xff, 0xff,                     // group_instance_id (from v3): null
            0, 0, 0, 1, 0, 1, b'm', 0, 0, 0, 1, 0xaa,
        ]);
        #[rustfmt::skip]
        assert_golden::<SyncGroupRequest>(&req, 4, &[
            2, b'g',                        // group_id
            0, 0, 0, 1,                     // generation_id
            2, b'm',                        // member_id
            0,                              // group_instance_id: null
            2,                              // assignments: 1
            2, b'm', 2, 0xaa, 0,            //   member_id, assignment, tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<SyncGroupRequest>(&req, 5, &[
            2, b'g', 0, 0, 0, 1, 2, b'm', 0,
            2, b'c',                        // protocol_type (from v5)
            2, b'r',                        // protocol_name (from v5)
            2, 2, b'm', 2, 0xaa, 0,
            0,
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = SyncGroupResponse {
            throttle_time_ms: 0,
            error_code: 0,
            protocol_type: Some("c".into()),
            protocol_name: Some("r".into()),
            assignment: Bytes::from_static(&[0xaa]),
        };
        assert_golden::<SyncGroupResponse>(&resp, 0, &[0, 0, 0, 0, 0, 1, 0xaa]);
        // v1: throttle time first.
        assert_golden::<SyncGroupResponse>(&resp, 3, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa]);
        assert_golden::<SyncGroupResponse>(&resp, 4, &[0, 0, 0, 0, 0, 0, 2, 0xaa, 0]);
        #[rustfmt::skip]
        assert_golden::<SyncGroupResponse>(&resp, 5, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            2, b'c',                        // protocol_type
            2, b'r',                        // protocol_name
            2, 0xaa,                        // assignment
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = SyncGroupRequest {
            group_id: "group".into(),
            generation_id: 5,
            member_id: "member-1".into(),
            group_instance_id: Some("instance-1".into()),
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            assignments: vec![
                SyncGroupRequestAssignment {
                    member_id: "member-1".into(),
                    assignment: Bytes::from_static(b"a1"),
                },
                SyncGroupRequestAssignment {
                    member_id: "member-2".into(),
                    assignment: Bytes::from_static(b"a2"),
                },
            ],
        };
        assert_round_trip_all_versions::<SyncGroupRequest>(&req, 0..=5, 4);

        let resp = SyncGroupResponse {
            throttle_time_ms: 2,
            error_code: 27,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            assignment: Bytes::from_static(b"a1"),
        };
        assert_round_trip_all_versions::<SyncGroupResponse>(&resp, 0..=5, 4);
    }
}
