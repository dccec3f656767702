//! JoinGroup (key 11): joins a consumer group of the classic rebalance protocol.
//!
//! This client speaks versions 0 to 9. Version 1 adds the rebalance timeout, version 2
//! throttling, version 5 static membership (KIP-345), version 6 is the first flexible
//! one, version 7 returns the protocol type, version 8 sends a reason (KIP-800), and
//! version 9 can tell the leader to skip the assignment (KIP-814).

use bytes::Bytes;

use crate::message;

message! {
    /// Joins (or rejoins) a group, offering the protocols this member supports.
    pub struct JoinGroupRequest {
        /// The group id.
        group_id: String [0..],
        /// How long the coordinator waits for a heartbeat before evicting the member.
        session_timeout_ms: i32 [0..],
        /// How long the coordinator waits for members to rejoin in a rebalance, or -1.
        rebalance_timeout_ms: i32 [1..] = -1,
        /// The member id, or empty on the first join.
        member_id: String [0..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [5..],
        /// The kind of group, e.g. "consumer".
        protocol_type: String [0..],
        /// The assignment protocols this member supports, in order of preference.
        protocols: Vec<JoinGroupRequestProtocol> [0..],
        /// Why the member is joining, for the broker's log.
        reason: Option<String> [8..],
    }
}

message! {
    /// One assignment protocol a member supports.
    pub struct JoinGroupRequestProtocol {
        /// The protocol name, e.g. "range".
        name: String [0..],
        /// The member's subscription metadata for this protocol.
        metadata: Bytes [0..],
    }
}

message! {
    /// The outcome of joining: the generation, the chosen protocol and, for the
    /// leader, every member's metadata.
    pub struct JoinGroupResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [2..],
        /// The error code.
        error_code: i16 [0..],
        /// The group generation, or -1.
        generation_id: i32 [0..] = -1,
        /// The group's protocol type.
        protocol_type: Option<String> [7..],
        /// The chosen assignment protocol (null only from version 7).
        protocol_name: Option<String> [0..],
        /// The leader's member id.
        leader: String [0..],
        /// Whether the leader should skip computing the assignment.
        skip_assignment: bool [9..],
        /// This member's id.
        member_id: String [0..],
        /// Every member, sent to the leader only.
        members: Vec<JoinGroupResponseMember> [0..],
    }
}

message! {
    /// One member of the group, as seen by the leader.
    pub struct JoinGroupResponseMember {
        /// The member id.
        member_id: String [0..],
        /// The static member's instance id, if any.
        group_instance_id: Option<String> [5..],
        /// The member's subscription metadata for the chosen protocol.
        metadata: Bytes [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> JoinGroupRequest {
        JoinGroupRequest {
            group_id: "g".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 30_000,
            member_id: "".into(),
            group_instance_id: None,
            protocol_type: "consumer".into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: Bytes::from_static(&[0xaa, 0xbb]),
            }],
            reason: Some("r".into()),
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<JoinGroupRequest>(&req, 0, &[
            0, 1, b'g',                     // group_id
            0, 0, 0x27, 0x10,               // session_timeout_ms: 10000
            0, 0,                           // member_id: ""
            0, 8, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            0, 0, 0, 1,                     // protocols: 1
            0, 5, b'r', b'a', b'n', b'g', b'e', //   name
            0, 0, 0, 2, 0xaa, 0xbb,         //   metadata
        ]);
        #[rustfmt::skip]
        assert_golden::<JoinGroupRequest>(&req, 5, &[
            0, 1, b'g',
            0, 0, 0x27, 0x10,
            0, 0, 0x75, 0x30,               // rebalance_timeout_ms (from v1): 30000
            0, 0,
            0xff, 0xff,                     // group_instance_id (from v5): null
            0, 8, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r',
            0, 0, 0, 1, 0, 5, b'r', b'a', b'n', b'g', b'e', 0, 0, 0, 2, 0xaa, 0xbb,
        ]);
        #[rustfmt::skip]
        let v6 = [
            2, b'g',                        // group_id
            0, 0, 0x27, 0x10,               // session_timeout_ms
            0, 0, 0x75, 0x30,               // rebalance_timeout_ms
            1,                              // member_id: ""
            0,                              // group_instance_id: null
            9, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type
            2,                              // protocols: 1
            6, b'r', b'a', b'n', b'g', b'e', //   name
            3, 0xaa, 0xbb,                  //   metadata
            0,                              //   protocol tags
        ];
        assert_golden::<JoinGroupRequest>(&req, 6, &[&v6[..], &[0]].concat());
        // v8 adds the reason.
        assert_golden::<JoinGroupRequest>(&req, 9, &[&v6[..], &[2, b'r', 0]].concat());
    }

    fn response() -> JoinGroupResponse {
        JoinGroupResponse {
            throttle_time_ms: 0,
            error_code: 0,
            generation_id: 1,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            leader: "m".into(),
            skip_assignment: false,
            member_id: "m".into(),
            members: vec![JoinGroupResponseMember {
                member_id: "m".into(),
                group_instance_id: None,
                metadata: Bytes::from_static(&[0xaa]),
            }],
        }
    }

    #[test]
    fn response_golden_bytes() {
        let resp = response();
        #[rustfmt::skip]
        assert_golden::<JoinGroupResponse>(&resp, 0, &[
            0, 0,                           // error_code
            0, 0, 0, 1,                     // generation_id
            0, 5, b'r', b'a', b'n', b'g', b'e', // protocol_name
            0, 1, b'm',                     // leader
            0, 1, b'm',                     // member_id
            0, 0, 0, 1,                     // members: 1
            0, 1, b'm',                     //   member_id
            0, 0, 0, 1, 0xaa,               //   metadata
        ]);
        #[rustfmt::skip]
        assert_golden::<JoinGroupResponse>(&resp, 5, &[
            0, 0, 0, 0,                     // throttle_time_ms (from v2)
            0, 0, 0, 0, 0, 1,
            0, 5, b'r', b'a', b'n', b'g', b'e',
            0, 1, b'm', 0, 1, b'm',
            0, 0, 0, 1, 0, 1, b'm',
            0xff, 0xff,                     //   group_instance_id (from v5): null
            0, 0, 0, 1, 0xaa,
        ]);
        #[rustfmt::skip]
        assert_golden::<JoinGroupResponse>(&resp, 6, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0, 0, 0, 1,                     // generation_id
            6, b'r', b'a', b'n', b'g', b'e', // protocol_name
            2, b'm',                        // leader
            2, b'm',                        // member_id
            2,                              // members: 1
            2, b'm',                        //   member_id
            0,                              //   group_instance_id: null
            2, 0xaa,                        //   metadata
            0,                              //   member tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<JoinGroupResponse>(&resp, 9, &[
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            9, b'c', b'o', b'n', b's', b'u', b'm', b'e', b'r', // protocol_type (from v7)
            6, b'r', b'a', b'n', b'g', b'e',
            2, b'm',
            0,                              // skip_assignment (from v9)
            2, b'm',
            2, 2, b'm', 0, 2, 0xaa, 0,
            0,
        ]);
    }

    #[test]
    fn round_trips() {
        let req = JoinGroupRequest {
            group_id: "group".into(),
            session_timeout_ms: 45_000,
            rebalance_timeout_ms: 300_000,
            member_id: "member-1".into(),
            group_instance_id: Some("instance-1".into()),
            protocol_type: "consumer".into(),
            protocols: vec![
                JoinGroupRequestProtocol {
                    name: "range".into(),
                    metadata: Bytes::from_static(b"sub1"),
                },
                JoinGroupRequestProtocol {
                    name: "roundrobin".into(),
                    metadata: Bytes::from_static(b"sub2"),
                },
            ],
            reason: Some("rejoining".into()),
        };
        assert_round_trip_all_versions::<JoinGroupRequest>(&req, 0..=9, 6);

        let resp = JoinGroupResponse {
            throttle_time_ms: 7,
            error_code: 79,
            generation_id: 4,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            leader: "member-1".into(),
            skip_assignment: true,
            member_id: "member-2".into(),
            members: vec![JoinGroupResponseMember {
                member_id: "member-1".into(),
                group_instance_id: Some("instance-1".into()),
                metadata: Bytes::from_static(b"sub1"),
            }],
        };
        assert_round_trip_all_versions::<JoinGroupResponse>(&resp, 0..=9, 6);
    }
}
