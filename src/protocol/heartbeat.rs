//! Heartbeat (key 12): keeps a member of a classic-protocol group alive and learns of
//! rebalances.
//!
//! This client speaks versions 0 to 4. Version 1 adds throttling, version 3 static
//! membership, and version 4 is the first flexible one.

use crate::message;

message! {
    /// Tells the coordinator this member is alive.
    pub struct HeartbeatRequest {
        /// The group id.
        group_id: String [0..],
        /// The generation this member belongs to.
        generation_id: i32 [0..],
        /// The member id.
        member_id: String [0..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [3..],
    }
}

message! {
    /// The coordinator's answer; REBALANCE_IN_PROGRESS asks the member to rejoin.
    pub struct HeartbeatResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// The error code.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: 2,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
        };
        #[rustfmt::skip]
        assert_golden::<HeartbeatRequest>(&req, 0, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 2,                     // generation_id
            0, 1, b'm',                     // member_id
        ]);
        #[rustfmt::skip]
        assert_golden::<HeartbeatRequest>(&req, 3, &[
            0, 1, b'g', 0, 0, 0, 2, 0, 1, b'm',
            0, 1, b'i',                     // group_instance_id (from v3)
        ]);
        #[rustfmt::skip]
        assert_golden::<HeartbeatRequest>(&req, 4, &[
            2, b'g',                        // group_id
            0, 0, 0, 2,                     // generation_id
            2, b'm',                        // member_id
            2, b'i',                        // group_instance_id
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = HeartbeatResponse {
            throttle_time_ms: 1,
            error_code: 27,
        };
        assert_golden::<HeartbeatResponse>(&resp, 0, &[0, 27]);
        assert_golden::<HeartbeatResponse>(&resp, 1, &[0, 0, 0, 1, 0, 27]);
        assert_golden::<HeartbeatResponse>(&resp, 4, &[0, 0, 0, 1, 0, 27, 0]);
    }

    #[test]
    fn round_trips() {
        let req = HeartbeatRequest {
            group_id: "group".into(),
            generation_id: 9,
            member_id: "member-1".into(),
            group_instance_id: Some("instance-1".into()),
        };
        assert_round_trip_all_versions::<HeartbeatRequest>(&req, 0..=4, 4);
        let resp = HeartbeatResponse {
            throttle_time_ms: 3,
            error_code: 22,
        };
        assert_round_trip_all_versions::<HeartbeatResponse>(&resp, 0..=4, 4);
    }
}
