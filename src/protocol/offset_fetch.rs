//! OffsetFetch (key 9): reads a consumer group's committed positions.
//!
//! This client speaks versions 1 to 9. From version 2 a null topic list asks for every
//! topic the group has offsets for, and the response carries a top-level error;
//! version 5 adds leader epochs, version 6 is the first flexible one, version 7 adds
//! `require_stable` (KIP-447), and from version 8 one request covers several groups
//! (`groups`, KIP-709). Version 9 adds the member id and epoch of KIP-848.

use crate::message;

message! {
    /// Asks for the committed offsets of one group (up to version 7) or several.
    pub struct OffsetFetchRequest {
        /// The group id (up to version 7).
        group_id: String [0..=7],
        /// The topics to read, or `None` for all (up to version 7; `None` from version 2).
        topics: Option<Vec<OffsetFetchRequestTopic>> [0..=7],
        /// The groups to read (from version 8).
        groups: Vec<OffsetFetchRequestGroup> [8..],
        /// Whether to fail with UNSTABLE_OFFSET_COMMIT rather than return pending offsets.
        require_stable: bool [7..],
    }
}

message! {
    /// The partitions of one topic to read (up to version 7).
    pub struct OffsetFetchRequestTopic {
        /// The topic name.
        name: String [0..=7],
        /// The partition indexes.
        partition_indexes: Vec<i32> [0..=7],
    }
}

message! {
    /// One group to read offsets of (from version 8).
    pub struct OffsetFetchRequestGroup {
        /// The group id.
        group_id: String [8..],
        /// The member id (KIP-848 consumer protocol), if any.
        member_id: Option<String> [9..],
        /// The member epoch (KIP-848 consumer protocol), or -1.
        member_epoch: i32 [9..] = -1,
        /// The topics to read, or `None` for all.
        topics: Option<Vec<OffsetFetchRequestGroupTopic>> [8..],
    }
}

message! {
    /// The partitions of one topic to read (from version 8).
    pub struct OffsetFetchRequestGroupTopic {
        /// The topic name.
        name: String [8..],
        /// The partition indexes.
        partition_indexes: Vec<i32> [8..],
    }
}

message! {
    /// The committed offsets of one group (up to version 7) or several.
    pub struct OffsetFetchResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [3..],
        /// One entry per topic (up to version 7).
        topics: Vec<OffsetFetchResponseTopic> [0..=7],
        /// The top-level error code (versions 2 to 7).
        error_code: i16 [2..=7],
        /// One entry per group (from version 8).
        groups: Vec<OffsetFetchResponseGroup> [8..],
    }
}

message! {
    /// The committed offsets in one topic (up to version 7).
    pub struct OffsetFetchResponseTopic {
        /// The topic name.
        name: String [0..=7],
        /// One entry per partition.
        partitions: Vec<OffsetFetchResponsePartition> [0..=7],
    }
}

message! {
    /// The committed offset of one partition (up to version 7).
    pub struct OffsetFetchResponsePartition {
        /// The partition index.
        partition_index: i32 [0..=7],
        /// The committed offset, or -1 if there is none.
        committed_offset: i64 [0..=7],
        /// The leader epoch stored with the offset, or -1.
        committed_leader_epoch: i32 [5..=7] = -1,
        /// The metadata stored with the offset.
        metadata: Option<String> [0..=7],
        /// The partition error code.
        error_code: i16 [0..=7],
    }
}

message! {
    /// The committed offsets of one group (from version 8).
    pub struct OffsetFetchResponseGroup {
        /// The group id.
        group_id: String [8..],
        /// One entry per topic.
        topics: Vec<OffsetFetchResponseGroupTopic> [8..],
        /// The group-level error code.
        error_code: i16 [8..],
    }
}

message! {
    /// The committed offsets in one topic of a group (from version 8).
    pub struct OffsetFetchResponseGroupTopic {
        /// The topic name.
        name: String [8..],
        /// One entry per partition.
        partitions: Vec<OffsetFetchResponseGroupPartition> [8..],
    }
}

message! {
    /// The committed offset of one partition of a group (from version 8).
    pub struct OffsetFetchResponseGroupPartition {
        /// The partition index.
        partition_index: i32 [8..],
        /// The committed offset, or -1 if there is none.
        committed_offset: i64 [8..],
        /// The leader epoch stored with the offset, or -1.
        committed_leader_epoch: i32 [8..] = -1,
        /// The metadata stored with the offset.
        metadata: Option<String> [8..],
        /// The partition error code.
        error_code: i16 [8..],
    }
}

/// Partitions by topic, as callers ask for them.
pub type PartitionsByTopic = std::collections::BTreeMap<String, Vec<i32>>;

impl OffsetFetchRequest {
    /// Asks for the committed offsets of `group_id` in `partitions` (topic to partition
    /// indexes), or of every partition it has offsets for if `None`, filled in for both
    /// the single-group (up to version 7) and the multi-group layout.
    pub fn for_group(
        group_id: &str,
        partitions: Option<&PartitionsByTopic>,
        require_stable: bool,
    ) -> Self {
        OffsetFetchRequest {
            group_id: group_id.to_owned(),
            topics: partitions.map(|by_topic| {
                by_topic
                    .iter()
                    .map(|(t, p)| OffsetFetchRequestTopic {
                        name: t.clone(),
                        partition_indexes: p.clone(),
                    })
                    .collect()
            }),
            groups: vec![OffsetFetchRequestGroup {
                group_id: group_id.to_owned(),
                member_id: None,
                member_epoch: -1,
                topics: partitions.map(|by_topic| {
                    by_topic
                        .iter()
                        .map(|(t, p)| OffsetFetchRequestGroupTopic {
                            name: t.clone(),
                            partition_indexes: p.clone(),
                        })
                        .collect()
                }),
            }],
            require_stable,
        }
    }
}

/// One partition's row of an OffsetFetch answer, in either layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffsetRow {
    /// The topic.
    pub topic: String,
    /// The partition index.
    pub partition: i32,
    /// The committed offset, or -1 if there is none.
    pub offset: i64,
    /// The leader epoch committed with it, or -1.
    pub epoch: i32,
    /// The metadata committed with it.
    pub metadata: Option<String>,
    /// The partition's error code.
    pub code: i16,
}

impl OffsetFetchResponse {
    /// The group's error code and partition rows of the answer to a one-group request
    /// (versions 8 and later answer per group, earlier ones at the top level).
    pub fn group_rows(&self) -> (i16, Vec<CommittedOffsetRow>) {
        match self.groups.first() {
            Some(g) => (
                g.error_code,
                g.topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions.iter().map(|p| CommittedOffsetRow {
                            topic: t.name.clone(),
                            partition: p.partition_index,
                            offset: p.committed_offset,
                            epoch: p.committed_leader_epoch,
                            metadata: p.metadata.clone(),
                            code: p.error_code,
                        })
                    })
                    .collect(),
            ),
            None => (
                self.error_code,
                self.topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions.iter().map(|p| CommittedOffsetRow {
                            topic: t.name.clone(),
                            partition: p.partition_index,
                            offset: p.committed_offset,
                            epoch: p.committed_leader_epoch,
                            metadata: p.metadata.clone(),
                            code: p.error_code,
                        })
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> OffsetFetchRequest {
        OffsetFetchRequest {
            group_id: "g".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0],
            }]),
            groups: vec![OffsetFetchRequestGroup {
                group_id: "g".into(),
                member_id: Some("m".into()),
                member_epoch: 4,
                topics: Some(vec![OffsetFetchRequestGroupTopic {
                    name: "t".into(),
                    partition_indexes: vec![0],
                }]),
            }],
            require_stable: true,
        }
    }

    #[test]
    fn request_golden_bytes() {
        let req = request();
        #[rustfmt::skip]
        assert_golden::<OffsetFetchRequest>(&req, 1, &[
            0, 1, b'g',                     // group_id
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1, 0, 0, 0, 0,         //   partition_indexes: [0]
        ]);
        let all = OffsetFetchRequest {
            topics: None,
            ..req.clone()
        };
        assert_golden::<OffsetFetchRequest>(&all, 2, &[0, 1, b'g', 0xff, 0xff, 0xff, 0xff]);
        #[rustfmt::skip]
        assert_golden::<OffsetFetchRequest>(&req, 6, &[
            2, b'g',                        // group_id
            2, 2, b't', 2, 0, 0, 0, 0, 0,   // topics: 1 (name, [0], tags)
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetFetchRequest>(&req, 7, &[
            2, b'g', 2, 2, b't', 2, 0, 0, 0, 0, 0,
            1,                              // require_stable
            0,
        ]);
        // v8: the groups array replaces group_id and topics.
        #[rustfmt::skip]
        assert_golden::<OffsetFetchRequest>(&req, 8, &[
            2,                              // groups: 1
            2, b'g',                        //   group_id
            2, 2, b't', 2, 0, 0, 0, 0, 0,   //   topics: 1 (name, [0], tags)
            0,                              //   group tags
            1,                              // require_stable
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetFetchRequest>(&req, 9, &[
            2, 2, b'g',
            2, b'm',                        //   member_id
            0, 0, 0, 4,                     //   member_epoch
            2, 2, b't', 2, 0, 0, 0, 0, 0,
            0, 1, 0,
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = OffsetFetchResponse {
            throttle_time_ms: 0,
            topics: vec![OffsetFetchResponseTopic {
                name: "t".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 0,
                    committed_offset: 42,
                    committed_leader_epoch: 5,
                    metadata: Some("".into()),
                    error_code: 0,
                }],
            }],
            error_code: 0,
            groups: vec![OffsetFetchResponseGroup {
                group_id: "g".into(),
                topics: vec![OffsetFetchResponseGroupTopic {
                    name: "t".into(),
                    partitions: vec![OffsetFetchResponseGroupPartition {
                        partition_index: 0,
                        committed_offset: 42,
                        committed_leader_epoch: 5,
                        metadata: None,
                        error_code: 0,
                    }],
                }],
                error_code: 0,
            }],
        };
        #[rustfmt::skip]
        assert_golden::<OffsetFetchResponse>(&resp, 1, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   name
            0, 0, 0, 1,                     //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //     committed_offset
            0, 0,                           //     metadata: ""
            0, 0,                           //     error_code
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetFetchResponse>(&resp, 5, &[
            0, 0, 0, 0,                     // throttle_time_ms (from v3)
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
            0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 42,
            0, 0, 0, 5,                     //     committed_leader_epoch (from v5)
            0, 0, 0, 0,
            0, 0,                           // error_code (from v2)
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetFetchResponse>(&resp, 6, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2, 2, b't', 2,                  // topics: 1, name, partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //     committed_offset
            0, 0, 0, 5,                     //     committed_leader_epoch
            1,                              //     metadata: ""
            0, 0,                           //     error_code
            0,                              //     partition tags
            0,                              //   topic tags
            0, 0,                           // error_code
            0,                              // tags
        ]);
        #[rustfmt::skip]
        let grouped = [
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // groups: 1
            2, b'g',                        //   group_id
            2, 2, b't', 2,                  //   topics: 1, name, partitions: 1
            0, 0, 0, 0,                     //       partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //       committed_offset
            0, 0, 0, 5,                     //       committed_leader_epoch
            0,                              //       metadata: null
            0, 0,                           //       error_code
            0,                              //       partition tags
            0,                              //     topic tags
            0, 0,                           //   error_code
            0,                              //   group tags
            0,                              // tags
        ];
        assert_golden::<OffsetFetchResponse>(&resp, 8, &grouped);
        assert_golden::<OffsetFetchResponse>(&resp, 9, &grouped);
    }

    #[test]
    fn round_trips() {
        let req = OffsetFetchRequest {
            group_id: "group".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "events".into(),
                partition_indexes: vec![0, 1, 2],
            }]),
            groups: vec![
                OffsetFetchRequestGroup {
                    group_id: "group".into(),
                    member_id: Some("member".into()),
                    member_epoch: 3,
                    topics: Some(vec![OffsetFetchRequestGroupTopic {
                        name: "events".into(),
                        partition_indexes: vec![0, 1, 2],
                    }]),
                },
                OffsetFetchRequestGroup {
                    group_id: "other".into(),
                    topics: None,
                    ..Default::default()
                },
            ],
            require_stable: true,
        };
        assert_round_trip_all_versions::<OffsetFetchRequest>(&req, 1..=9, 6);

        let resp = OffsetFetchResponse {
            throttle_time_ms: 4,
            topics: vec![OffsetFetchResponseTopic {
                name: "events".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 1,
                    committed_offset: 77,
                    committed_leader_epoch: 2,
                    metadata: Some("meta".into()),
                    error_code: 3,
                }],
            }],
            error_code: 16,
            groups: vec![OffsetFetchResponseGroup {
                group_id: "group".into(),
                topics: vec![OffsetFetchResponseGroupTopic {
                    name: "events".into(),
                    partitions: vec![OffsetFetchResponseGroupPartition {
                        partition_index: 1,
                        committed_offset: 77,
                        committed_leader_epoch: 2,
                        metadata: Some("meta".into()),
                        error_code: 3,
                    }],
                }],
                error_code: 16,
            }],
        };
        assert_round_trip_all_versions::<OffsetFetchResponse>(&resp, 1..=9, 6);
    }
}
