//! ConsumerGroupHeartbeat (key 68): the one request of a member of a consumer group of
//! the KIP-848 rebalance protocol. There is no JoinGroup or SyncGroup: the member joins,
//! stays alive, reports what it owns, learns its assignment and leaves with heartbeats
//! alone, and the coordinator computes the assignment (the member names a server-side
//! assignor, or leaves the choice to the group).
//!
//! The member epoch says what a heartbeat is:
//!
//! - `0` joins the group. On version 0 the member sends an empty member id and keeps the
//!   one the response carries; from version 1 (KIP-1082) it generates its own id, a
//!   UUID kept for the life of the process, and sends it from the first heartbeat on, so
//!   a retried join after a lost response does not leave a second member behind.
//! - `-1` leaves the group (its partitions are reassigned at once).
//! - `-2` leaves as a static member (an `instance_id`) that will rejoin: the coordinator
//!   keeps its assignment for the session timeout.
//! - Otherwise it is the epoch the last response gave. A member whose epoch the
//!   coordinator no longer accepts is fenced (FENCED_MEMBER_EPOCH): it gives up its
//!   partitions and joins again with epoch 0, keeping its member id.
//!
//! Full and incremental requests: the nullable fields (and `rebalance_timeout_ms` with
//! `-1`) mean "unchanged since the last heartbeat" when null. A joining member, and one
//! resending after an error or a lost response, sends them all (`topic_partitions` as
//! the possibly empty list of partitions it owns); later heartbeats send only what
//! changed, e.g. `topic_partitions` once it has revoked or taken partitions, which is how
//! the coordinator learns that the member caught up. Likewise a null `assignment` in the
//! response means the assignment did not change; a non-null one replaces it whole, and
//! the member gives up what it no longer has before taking what is new.
//! `heartbeat_interval_ms` tells when to send the next heartbeat.
//!
//! This client speaks versions 0 and 1; both are flexible. Version 1 adds
//! `subscribed_topic_regex` (a pattern the broker matches topic names against, in its
//! RE2/J syntax; INVALID_REGULAR_EXPRESSION if it does not compile) and requires the
//! client-generated member id. The regex is not sent at version 0: check the negotiated
//! version before relying on it. The request goes to the group's coordinator.

use super::primitives::{Reader, Write};
use super::schema::{Ctx, Field, Uuid};
use crate::error::Result;
use crate::message;

message! {
    /// A heartbeat of a member of a consumer group (see the module documentation for
    /// what each epoch means and when a field may be null).
    pub struct ConsumerGroupHeartbeatRequest {
        /// The group id.
        group_id: String [0..],
        /// The member id: empty on a version 0 join, otherwise the member's id.
        member_id: String [0..],
        /// The member epoch: 0 to join, -1 to leave, -2 for a static member's
        /// temporary leave, otherwise the current epoch.
        member_epoch: i32 [0..],
        /// The static member's instance id; null if there is none or it did not change.
        instance_id: Option<String> [0..] = None,
        /// The member's rack; null if there is none or it did not change.
        rack_id: Option<String> [0..] = None,
        /// How long the coordinator waits for the member to revoke partitions, in
        /// milliseconds; -1 if it did not change.
        rebalance_timeout_ms: i32 [0..] = -1,
        /// The subscribed topic names; null if they did not change.
        subscribed_topic_names: Option<Vec<String>> [0..] = None,
        /// The subscribed topic regex; null if it did not change.
        subscribed_topic_regex: Option<String> [1..] = None,
        /// The server-side assignor to use; null if the group's default is used or it
        /// did not change.
        server_assignor: Option<String> [0..] = None,
        /// The partitions the member owns; null if they did not change.
        topic_partitions: Option<Vec<ConsumerGroupHeartbeatTopicPartitions>> [0..] = None,
    }
}

message! {
    /// The partitions of one topic, by topic id: owned by the member in a request,
    /// assigned to it in a response (spec struct `TopicPartitions` of both).
    pub struct ConsumerGroupHeartbeatTopicPartitions {
        /// The topic id.
        topic_id: Uuid [0..],
        /// The partitions.
        partitions: Vec<i32> [0..],
    }
}

message! {
    /// The coordinator's answer to a heartbeat.
    pub struct ConsumerGroupHeartbeatResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The error message, or null if there was no error.
        error_message: Option<String> [0..] = None,
        /// The member id, when the member joined (epoch 0); null otherwise.
        member_id: Option<String> [0..] = None,
        /// The member epoch.
        member_epoch: i32 [0..],
        /// When to send the next heartbeat, in milliseconds.
        heartbeat_interval_ms: i32 [0..],
        /// The member's new assignment, or null if it did not change.
        assignment: Option<ConsumerGroupHeartbeatResponseAssignment> [0..] = None,
    }
}

message! {
    /// The assignment of a member (spec struct `Assignment`).
    pub struct ConsumerGroupHeartbeatResponseAssignment {
        /// The partitions assigned to the member, which it may use at once.
        topic_partitions: Vec<ConsumerGroupHeartbeatTopicPartitions> [0..],
    }
}

/// A nullable struct as Kafka writes one outside tagged fields: an `INT8` marker, -1 for
/// null or 1 followed by the struct. Like Kafka's readers, any negative marker reads as
/// null and any other as a struct.
impl Field for Option<ConsumerGroupHeartbeatResponseAssignment> {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        match self {
            None => buf.put_i8(-1),
            Some(assignment) => {
                buf.put_i8(1);
                assignment.encode(buf, ctx);
            }
        }
    }

    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        if r.i8()? < 0 {
            Ok(None)
        } else {
            ConsumerGroupHeartbeatResponseAssignment::decode(r, ctx).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::protocol::api::{decode_response, encode_request, Request};
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};
    use crate::protocol::ApiKey;

    const TOPIC: Uuid = Uuid([0xab; 16]);

    /// A join of a dynamic member at version 0: every field that is not null sent in full.
    fn join() -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: String::new(),
            member_epoch: 0,
            instance_id: None,
            rack_id: Some("r".into()),
            rebalance_timeout_ms: 300_000,
            subscribed_topic_names: Some(vec!["t".into()]),
            subscribed_topic_regex: None,
            server_assignor: Some("uniform".into()),
            topic_partitions: Some(Vec::new()),
        }
    }

    /// A static member acknowledging an assignment at version 1: only what changed.
    fn acknowledgement() -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            member_epoch: 5,
            instance_id: Some("i".into()),
            subscribed_topic_regex: Some("t.*".into()),
            topic_partitions: Some(vec![ConsumerGroupHeartbeatTopicPartitions {
                topic_id: TOPIC,
                partitions: vec![0, 2],
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn request_golden_bytes() {
        // The same bytes as kafka-clients 4.4.0 writes for the same values.
        #[rustfmt::skip]
        assert_golden::<ConsumerGroupHeartbeatRequest>(&join(), 0, &[
            2, b'g',                        // group_id
            1,                              // member_id: ""
            0, 0, 0, 0,                     // member_epoch: join
            0,                              // instance_id: null
            2, b'r',                        // rack_id
            0, 0x04, 0x93, 0xe0,            // rebalance_timeout_ms: 300000
            2, 2, b't',                     // subscribed_topic_names: ["t"]
            8, b'u', b'n', b'i', b'f', b'o', b'r', b'm', // server_assignor
            1,                              // topic_partitions: []
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<ConsumerGroupHeartbeatRequest>(&acknowledgement(), 1, &[
            2, b'g',                        // group_id
            2, b'm',                        // member_id
            0, 0, 0, 5,                     // member_epoch
            2, b'i',                        // instance_id
            0,                              // rack_id: null
            0xff, 0xff, 0xff, 0xff,         // rebalance_timeout_ms: -1, unchanged
            0,                              // subscribed_topic_names: null
            4, b't', b'.', b'*',            // subscribed_topic_regex (from v1)
            0,                              // server_assignor: null
            2,                              // topic_partitions: 1
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, // topic_id
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
            3, 0, 0, 0, 0, 0, 0, 0, 2,      //   partitions: [0, 2]
            0,                              //   topic-partitions tags
            0,                              // tags
        ]);
    }

    #[test]
    fn version_0_has_no_regex() {
        let mut v1 = Vec::new();
        acknowledgement().encode(&mut v1, ConsumerGroupHeartbeatRequest::SUPPORT.ctx(1));
        let mut v0 = Vec::new();
        acknowledgement().encode(&mut v0, ConsumerGroupHeartbeatRequest::SUPPORT.ctx(0));
        let regex = [4, b't', b'.', b'*'];
        let at = v1
            .windows(regex.len())
            .position(|w| w == regex)
            .expect("v1 carries the regex");
        v1.drain(at..at + regex.len());
        assert_eq!(v0, v1);
    }

    #[test]
    fn defaults_mean_unchanged_and_a_leave_sends_nulls() {
        let leave = ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            member_epoch: -1,
            ..Default::default()
        };
        #[rustfmt::skip]
        assert_golden::<ConsumerGroupHeartbeatRequest>(&leave, 1, &[
            2, b'g', 2, b'm',
            0xff, 0xff, 0xff, 0xff,         // member_epoch: leave
            0, 0,                           // instance_id, rack_id: null
            0xff, 0xff, 0xff, 0xff,         // rebalance_timeout_ms: -1
            0, 0, 0, 0,                     // names, regex, assignor, partitions: null
            0,                              // tags
        ]);
    }

    #[test]
    fn request_frame_names_key_68() {
        let frame = encode_request(&acknowledgement(), 1, 7, Some("c"))
            .expect("encode")
            .to_vec();
        #[rustfmt::skip]
        assert_eq!(&frame[4..15], &[
            0, 68,                          // api_key
            0, 1,                           // api_version
            0, 0, 0, 7,                     // correlation_id
            0, 1, b'c',                     // client_id (classic string in header v2)
        ]);
        assert_eq!(frame[15], 0, "header v2 tags");
        assert_eq!(ConsumerGroupHeartbeatRequest::SUPPORT.key, ApiKey(68));
    }

    #[test]
    fn response_with_an_assignment_decodes() {
        // The same bytes as kafka-clients 4.4.0 writes, after a response header v1.
        #[rustfmt::skip]
        let frame: &[u8] = &[
            0, 0, 0, 7,                     // correlation_id
            0,                              // header tags
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            2, b'm',                        // member_id
            0, 0, 0, 5,                     // member_epoch
            0, 0, 0x13, 0x88,               // heartbeat_interval_ms: 5000
            1,                              // assignment: present
            2,                              //   topic_partitions: 1
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, // topic_id
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
            3, 0, 0, 0, 0, 0, 0, 0, 1,      //     partitions: [0, 1]
            0,                              //     topic-partitions tags
            0,                              //   assignment tags
            0,                              // tags
        ];
        let response =
            decode_response::<ConsumerGroupHeartbeatRequest>(Bytes::copy_from_slice(frame), 1)
                .expect("decodes");
        assert_eq!(
            response,
            ConsumerGroupHeartbeatResponse {
                throttle_time_ms: 0,
                error_code: 0,
                error_message: None,
                member_id: Some("m".into()),
                member_epoch: 5,
                heartbeat_interval_ms: 5000,
                assignment: Some(ConsumerGroupHeartbeatResponseAssignment {
                    topic_partitions: vec![ConsumerGroupHeartbeatTopicPartitions {
                        topic_id: TOPIC,
                        partitions: vec![0, 1],
                    }],
                }),
            }
        );
        assert_golden::<ConsumerGroupHeartbeatResponse>(&response, 1, &frame[5..]);
    }

    #[test]
    fn response_with_a_null_assignment_decodes() {
        #[rustfmt::skip]
        let frame: &[u8] = &[
            0, 0, 0, 8,                     // correlation_id
            0,                              // header tags
            0, 0, 0, 0,                     // throttle_time_ms
            0, 110,                         // error_code: FENCED_MEMBER_EPOCH
            7, b'f', b'e', b'n', b'c', b'e', b'd', // error_message
            0,                              // member_id: null
            0xff, 0xff, 0xff, 0xff,         // member_epoch: -1
            0, 0, 0, 0,                     // heartbeat_interval_ms
            0xff,                           // assignment: null
            0,                              // tags
        ];
        let response =
            decode_response::<ConsumerGroupHeartbeatRequest>(Bytes::copy_from_slice(frame), 0)
                .expect("decodes");
        assert_eq!(
            response,
            ConsumerGroupHeartbeatResponse {
                throttle_time_ms: 0,
                error_code: 110,
                error_message: Some("fenced".into()),
                member_id: None,
                member_epoch: -1,
                heartbeat_interval_ms: 0,
                assignment: None,
            }
        );
        assert_golden::<ConsumerGroupHeartbeatResponse>(&response, 0, &frame[5..]);
    }

    #[test]
    fn any_negative_marker_is_a_null_assignment_and_zero_is_one() {
        let ctx = ConsumerGroupHeartbeatRequest::SUPPORT.ctx(1);
        let null = <Option<ConsumerGroupHeartbeatResponseAssignment>>::decode(
            &mut Reader::new(vec![0x80]),
            ctx,
        );
        assert_eq!(null.expect("decodes"), None);
        let empty = <Option<ConsumerGroupHeartbeatResponseAssignment>>::decode(
            &mut Reader::new(vec![0, 1, 0]),
            ctx,
        );
        assert_eq!(empty.expect("decodes"), Some(Default::default()));
    }

    #[test]
    fn round_trips() {
        for request in [join(), acknowledgement()] {
            assert_round_trip_all_versions::<ConsumerGroupHeartbeatRequest>(&request, 0..=1, 0);
        }
        let mut response = ConsumerGroupHeartbeatResponse {
            throttle_time_ms: 3,
            member_id: Some("m".into()),
            member_epoch: 9,
            heartbeat_interval_ms: 5000,
            assignment: Some(ConsumerGroupHeartbeatResponseAssignment {
                topic_partitions: vec![
                    ConsumerGroupHeartbeatTopicPartitions {
                        topic_id: TOPIC,
                        partitions: vec![0, 1, 2],
                    },
                    ConsumerGroupHeartbeatTopicPartitions {
                        topic_id: Uuid([7; 16]),
                        partitions: Vec::new(),
                    },
                ],
            }),
            ..Default::default()
        };
        assert_round_trip_all_versions::<ConsumerGroupHeartbeatResponse>(&response, 0..=1, 0);
        response.assignment = None;
        assert_round_trip_all_versions::<ConsumerGroupHeartbeatResponse>(&response, 0..=1, 0);
    }
}
