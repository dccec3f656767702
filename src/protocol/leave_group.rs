//! LeaveGroup (key 13): removes members from a classic-protocol group.
//!
//! This client speaks versions 0 to 5. Version 1 adds throttling, from version 3 one
//! request removes a batch of members (KIP-345), version 4 is the first flexible one,
//! and version 5 sends a reason (KIP-800).

use crate::message;

message! {
    /// Removes one member (up to version 2) or several from a group.
    pub struct LeaveGroupRequest {
        /// The group id.
        group_id: String [0..],
        /// The member leaving (up to version 2).
        member_id: String [0..=2],
        /// The members leaving (from version 3).
        members: Vec<LeaveGroupRequestMember> [3..],
    }
}

message! {
    /// One member leaving the group.
    pub struct LeaveGroupRequestMember {
        /// The member id.
        member_id: String [3..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [3..],
        /// Why the member is leaving, for the broker's log.
        reason: Option<String> [5..],
    }
}

message! {
    /// The outcome of a LeaveGroup request.
    pub struct LeaveGroupResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// The top-level error code.
        error_code: i16 [0..],
        /// One entry per member of the request (from version 3).
        members: Vec<LeaveGroupResponseMember> [3..],
    }
}

message! {
    /// The outcome for one leaving member.
    pub struct LeaveGroupResponseMember {
        /// The member id.
        member_id: String [3..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [3..],
        /// The error code for this member.
        error_code: i16 [3..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = LeaveGroupRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            members: vec![LeaveGroupRequestMember {
                member_id: "m".into(),
                group_instance_id: None,
                reason: Some("r".into()),
            }],
        };
        assert_golden::<LeaveGroupRequest>(&req, 0, &[0, 1, b'g', 0, 1, b'm']);
        #[rustfmt::skip]
        assert_golden::<LeaveGroupRequest>(&req, 3, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 1,                     // members: 1
            0, 1, b'm',                     //   member_id
            0xff, 0xff,                     //   group_instance_id: null
        ]);
        #[rustfmt::skip]
        assert_golden::<LeaveGroupRequest>(&req, 4, &[
            2, b'g',                        // group_id
            2,                              // members: 1
            2, b'm',                        //   member_id
            0,                              //   group_instance_id: null
            0,                              //   member tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<LeaveGroupRequest>(&req, 5, &[
            2, b'g', 2, 2, b'm', 0,
            2, b'r',                        //   reason (from v5)
            0, 0,
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = LeaveGroupResponse {
            throttle_time_ms: 0,
            error_code: 0,
            members: vec![LeaveGroupResponseMember {
                member_id: "m".into(),
                group_instance_id: Some("i".into()),
                error_code: 25,
            }],
        };
        assert_golden::<LeaveGroupResponse>(&resp, 0, &[0, 0]);
        assert_golden::<LeaveGroupResponse>(&resp, 1, &[0, 0, 0, 0, 0, 0]);
        #[rustfmt::skip]
        assert_golden::<LeaveGroupResponse>(&resp, 3, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0, 0, 0, 1,                     // members: 1
            0, 1, b'm',                     //   member_id
            0, 1, b'i',                     //   group_instance_id
            0, 25,                          //   error_code
        ]);
        #[rustfmt::skip]
        let flexible = [
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            2,                              // members: 1
            2, b'm',                        //   member_id
            2, b'i',                        //   group_instance_id
            0, 25,                          //   error_code
            0,                              //   member tags
            0,                              // tags
        ];
        assert_golden::<LeaveGroupResponse>(&resp, 4, &flexible);
        assert_golden::<LeaveGroupResponse>(&resp, 5, &flexible);
    }

    #[test]
    fn round_trips() {
        let req = LeaveGroupRequest {
            group_id: "group".into(),
            member_id: "member-1".into(),
            members: vec![
                LeaveGroupRequestMember {
                    member_id: "member-1".into(),
                    group_instance_id: Some("instance-1".into()),
                    reason: Some("shutting down".into()),
                },
                LeaveGroupRequestMember {
                    member_id: "member-2".into(),
                    group_instance_id: None,
                    reason: None,
                },
            ],
        };
        assert_round_trip_all_versions::<LeaveGroupRequest>(&req, 0..=5, 4);

        let resp = LeaveGroupResponse {
            throttle_time_ms: 6,
            error_code: 16,
            members: vec![LeaveGroupResponseMember {
                member_id: "member-1".into(),
                group_instance_id: Some("instance-1".into()),
                error_code: 25,
            }],
        };
        assert_round_trip_all_versions::<LeaveGroupResponse>(&resp, 0..=5, 4);
    }
}
