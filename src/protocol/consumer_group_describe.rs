//! ConsumerGroupDescribe (key 69): describes groups of the consumer rebalance protocol
//! of KIP-848, with each member's current and target assignment.
//!
//! This client speaks versions 0 and 1, all flexible; version 1 says of each member
//! whether it speaks the classic or the consumer protocol (KIP-1099: a consumer group
//! being upgraded has members of both). Each group carries its own error code
//! and message; a classic group answers GROUP_ID_NOT_FOUND, so it is described with
//! DescribeGroups (key 15) instead. The request goes to the groups' coordinator.

use super::schema::Uuid;
use crate::message;

message! {
    /// Asks for the description of the named consumer groups.
    pub struct ConsumerGroupDescribeRequest {
        /// The ids of the groups to describe.
        group_ids: Vec<String> [0..],
        /// Whether to include authorized operations.
        include_authorized_operations: bool [0..],
    }
}

message! {
    /// One description per group asked for.
    pub struct ConsumerGroupDescribeResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// Each described group.
        groups: Vec<ConsumerGroupDescribeResponseGroup> [0..],
    }
}

message! {
    /// One described group.
    pub struct ConsumerGroupDescribeResponseGroup {
        /// The describe error, or 0 if there was no error.
        error_code: i16 [0..],
        /// The top-level error message, or null if there was no error.
        error_message: Option<String> [0..] = None,
        /// The group ID string.
        group_id: String [0..],
        /// The group state string, or the empty string.
        group_state: String [0..],
        /// The group epoch.
        group_epoch: i32 [0..],
        /// The assignment epoch.
        assignment_epoch: i32 [0..],
        /// The selected assignor.
        assignor_name: String [0..],
        /// The members.
        members: Vec<ConsumerGroupDescribeResponseMember> [0..],
        /// 32-bit bitfield to represent authorized operations for this group.
        authorized_operations: i32 [0..] = i32::MIN,
    }
}

message! {
    /// One member of a described group.
    pub struct ConsumerGroupDescribeResponseMember {
        /// The member ID.
        member_id: String [0..],
        /// The member instance ID.
        instance_id: Option<String> [0..] = None,
        /// The member rack ID.
        rack_id: Option<String> [0..] = None,
        /// The current member epoch.
        member_epoch: i32 [0..],
        /// The client ID.
        client_id: String [0..],
        /// The client host.
        client_host: String [0..],
        /// The subscribed topic names.
        subscribed_topic_names: Vec<String> [0..],
        /// The subscribed topic regex, or null if not provided.
        subscribed_topic_regex: Option<String> [0..] = None,
        /// The current assignment.
        assignment: ConsumerGroupDescribeResponseAssignment [0..],
        /// The target assignment.
        target_assignment: ConsumerGroupDescribeResponseAssignment [0..],
        /// -1 for unknown, 0 for a classic member, 1 for a consumer member.
        member_type: i8 [1..] = -1,
    }
}

message! {
    /// An assignment of a member (spec struct `Assignment`).
    pub struct ConsumerGroupDescribeResponseAssignment {
        /// The assigned topic-partitions to the member.
        topic_partitions: Vec<ConsumerGroupDescribeResponseTopicPartitions> [0..],
    }
}

message! {
    /// The partitions of one topic of an assignment (spec struct `TopicPartitions`).
    pub struct ConsumerGroupDescribeResponseTopicPartitions {
        /// The topic ID.
        topic_id: Uuid [0..],
        /// The topic name.
        topic_name: String [0..],
        /// The partitions.
        partitions: Vec<i32> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::api::Versioned;
    use crate::protocol::schema::Field;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn response() -> ConsumerGroupDescribeResponse {
        ConsumerGroupDescribeResponse {
            throttle_time_ms: 0,
            groups: vec![ConsumerGroupDescribeResponseGroup {
                error_code: 0,
                error_message: None,
                group_id: "g".into(),
                group_state: "Stable".into(),
                group_epoch: 5,
                assignment_epoch: 5,
                assignor_name: "uniform".into(),
                members: vec![ConsumerGroupDescribeResponseMember {
                    member_id: "m".into(),
                    instance_id: None,
                    rack_id: Some("r".into()),
                    member_epoch: 5,
                    client_id: "c".into(),
                    client_host: "/h".into(),
                    subscribed_topic_names: vec!["t".into()],
                    subscribed_topic_regex: None,
                    assignment: ConsumerGroupDescribeResponseAssignment {
                        topic_partitions: vec![ConsumerGroupDescribeResponseTopicPartitions {
                            topic_id: Uuid([0xab; 16]),
                            topic_name: "t".into(),
                            partitions: vec![0],
                        }],
                    },
                    target_assignment: ConsumerGroupDescribeResponseAssignment::default(),
                    member_type: 1,
                }],
                authorized_operations: i32::MIN,
            }],
        }
    }

    #[test]
    fn golden_bytes() {
        // Version 0 is the lowest, the highest and flexible.
        let req = ConsumerGroupDescribeRequest {
            group_ids: vec!["g".into()],
            include_authorized_operations: true,
        };
        #[rustfmt::skip]
        assert_golden::<ConsumerGroupDescribeRequest>(&req, 0, &[
            2, 2, b'g',                     // group_ids: ["g"]
            1,                              // include_authorized_operations
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<ConsumerGroupDescribeResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // groups: 1
            0, 0,                           //   error_code
            0,                              //   error_message: null
            2, b'g',                        //   group_id
            7, b'S', b't', b'a', b'b', b'l', b'e', // group_state
            0, 0, 0, 5,                     //   group_epoch
            0, 0, 0, 5,                     //   assignment_epoch
            8, b'u', b'n', b'i', b'f', b'o', b'r', b'm', // assignor_name
            2,                              //   members: 1
            2, b'm',                        //     member_id
            0,                              //     instance_id: null
            2, b'r',                        //     rack_id
            0, 0, 0, 5,                     //     member_epoch
            2, b'c',                        //     client_id
            3, b'/', b'h',                  //     client_host
            2, 2, b't',                     //     subscribed_topic_names: ["t"]
            0,                              //     subscribed_topic_regex: null
            2,                              //     assignment.topic_partitions: 1
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, // topic_id
            0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
            2, b't',                        //       topic_name
            2, 0, 0, 0, 0,                  //       partitions: [0]
            0,                              //       topic-partitions tags
            0,                              //     assignment tags
            1,                              //     target_assignment.topic_partitions: 0
            0,                              //     target_assignment tags
            0,                              //     member tags
            0x80, 0, 0, 0,                  //   authorized_operations: unset
            0,                              //   group tags
            0,                              // tags
        ]);
        // Version 1 adds the member type after the target assignment.
        let encode = |version| {
            let mut buf = Vec::new();
            response().encode(&mut buf, ConsumerGroupDescribeResponse::ctx(version));
            buf
        };
        let (v0, v1) = (encode(0), encode(1));
        // Before the member tags (1), authorized_operations (4), group tags and tags.
        let member_type_at = v0.len() - 7;
        assert_eq!(v1[..member_type_at], v0[..member_type_at]);
        assert_eq!(v1[member_type_at], 1, "member_type: consumer");
        assert_eq!(v1[member_type_at + 1..], v0[member_type_at..]);
    }

    #[test]
    fn round_trips() {
        let req = ConsumerGroupDescribeRequest {
            group_ids: vec!["payments".into(), "audit".into()],
            include_authorized_operations: false,
        };
        assert_round_trip_all_versions::<ConsumerGroupDescribeRequest>(&req, 0..=1, 0);

        let mut resp = response();
        resp.throttle_time_ms = 7;
        let member = &mut resp.groups[0].members[0];
        member.instance_id = Some("instance-1".into());
        member.subscribed_topic_regex = Some("events-.*".into());
        member.target_assignment = member.assignment.clone();
        member.target_assignment.topic_partitions[0]
            .partitions
            .extend([1, 2]);
        resp.groups.push(ConsumerGroupDescribeResponseGroup {
            error_code: 69,
            error_message: Some("Group audit is not a consumer group.".into()),
            group_id: "audit".into(),
            ..Default::default()
        });
        assert_round_trip_all_versions::<ConsumerGroupDescribeResponse>(&resp, 0..=1, 0);
    }
}
