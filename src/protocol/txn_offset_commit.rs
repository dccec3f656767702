//! TxnOffsetCommit (key 28): commits a consumer group's offsets as part of a
//! producer's transaction, at the group's coordinator; they become visible to the
//! group only when the transaction commits. From version 3 the request carries the
//! consumer's generation and member id, so that a member fenced by a rebalance cannot
//! commit (KIP-447).
//!
//! This client speaks versions 0 to 4; version 3 is the first flexible one.

use crate::message;

message! {
    /// Commits offsets of `group_id` in the transaction of `transactional_id`.
    pub struct TxnOffsetCommitRequest {
        /// The transactional id.
        transactional_id: String [0..],
        /// The consumer group.
        group_id: String [0..],
        /// The producer id of the transactional id.
        producer_id: i64 [0..],
        /// The producer epoch.
        producer_epoch: i16 [0..],
        /// The consumer's generation, or -1.
        generation_id: i32 [3..] = -1,
        /// The consumer's member id, or empty.
        member_id: String [3..],
        /// The consumer's static instance id, if any.
        group_instance_id: Option<String> [3..],
        /// The offsets, topic by topic.
        topics: Vec<TxnOffsetCommitRequestTopic> [0..],
    }
}

message! {
    /// The offsets of one topic.
    pub struct TxnOffsetCommitRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The offsets per partition.
        partitions: Vec<TxnOffsetCommitRequestPartition> [0..],
    }
}

message! {
    /// The offset of one partition.
    pub struct TxnOffsetCommitRequestPartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The offset of the next record to consume.
        committed_offset: i64 [0..],
        /// The leader epoch of the last consumed record, or -1.
        committed_leader_epoch: i32 [2..] = -1,
        /// Metadata stored with the offset.
        committed_metadata: Option<String> [0..],
    }
}

message! {
    /// The outcome per partition.
    pub struct TxnOffsetCommitResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The outcome, topic by topic.
        topics: Vec<TxnOffsetCommitResponseTopic> [0..],
    }
}

message! {
    /// The outcome for one topic.
    pub struct TxnOffsetCommitResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The outcome per partition.
        partitions: Vec<TxnOffsetCommitResponsePartition> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct TxnOffsetCommitResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The error code.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> TxnOffsetCommitRequest {
        TxnOffsetCommitRequest {
            transactional_id: "tx".into(),
            group_id: "g".into(),
            producer_id: 7,
            producer_epoch: 2,
            generation_id: 4,
            member_id: "m".into(),
            group_instance_id: None,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 42,
                    committed_leader_epoch: 3,
                    committed_metadata: Some(String::new()),
                }],
            }],
        }
    }

    fn response() -> TxnOffsetCommitResponse {
        TxnOffsetCommitResponse {
            throttle_time_ms: 0,
            topics: vec![TxnOffsetCommitResponseTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: 0,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<TxnOffsetCommitRequest>(&request(), 2, &[
            0, 2, b't', b'x',               // transactional_id
            0, 1, b'g',                     // group_id
            0, 0, 0, 0, 0, 0, 0, 7,         // producer_id
            0, 2,                           // producer_epoch
            0, 0, 0, 1,                     // topics
            0, 1, b't',
            0, 0, 0, 1,                     //   partitions
            0, 0, 0, 1,                     //     partition_index
            0, 0, 0, 0, 0, 0, 0, 42,        //     committed_offset
            0, 0, 0, 3,                     //     committed_leader_epoch (from v2)
            0, 0,                           //     committed_metadata
        ]);
        #[rustfmt::skip]
        assert_golden::<TxnOffsetCommitRequest>(&request(), 3, &[
            3, b't', b'x', 2, b'g',
            0, 0, 0, 0, 0, 0, 0, 7, 0, 2,
            0, 0, 0, 4,                     // generation_id (from v3)
            2, b'm',                        // member_id
            0,                              // group_instance_id: null
            2, 2, b't', 2,
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 3,
            1,                              //     committed_metadata: empty
            0, 0, 0,                        // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<TxnOffsetCommitResponse>(&response(), 0, &[
            0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,
        ]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<TxnOffsetCommitRequest>(&request(), 3..=4, 3);
        assert_round_trip_all_versions::<TxnOffsetCommitResponse>(&response(), 0..=4, 3);
    }
}
