//! OffsetForLeaderEpoch (key 23): the end offset of a leader epoch in a partition's
//! log, as its leader has it. The consumer asks for the epoch of the last record it
//! returned, after the partition's leader changed or after a seek to a committed
//! offset that carries an epoch: an end offset below its position means the log was
//! truncated under it (KIP-320).
//!
//! This client speaks versions 2 to 4. Version 2 adds the current leader epoch (the
//! fencing this client relies on), version 3 the replica id, and version 4 is the
//! first flexible one.

use crate::message;

message! {
    /// Asks for the end offsets of leader epochs.
    pub struct OffsetForLeaderEpochRequest {
        /// The requesting broker's id; consumers send -1.
        replica_id: i32 [3..] = -1,
        /// The topics to look up.
        topics: Vec<OffsetForLeaderTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to look up.
    pub struct OffsetForLeaderTopic {
        /// The topic name.
        topic: String [0..],
        /// The partitions to look up.
        partitions: Vec<OffsetForLeaderPartition> [0..],
    }
}

message! {
    /// One partition's epoch to look up.
    pub struct OffsetForLeaderPartition {
        /// The partition index.
        partition: i32 [0..],
        /// The leader epoch the client knows (fencing), or -1.
        current_leader_epoch: i32 [2..] = -1,
        /// The epoch whose end offset is wanted.
        leader_epoch: i32 [0..],
    }
}

message! {
    /// The end offsets found.
    pub struct OffsetForLeaderEpochResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [2..],
        /// One entry per topic of the request.
        topics: Vec<OffsetForLeaderTopicResult> [0..],
    }
}

message! {
    /// The end offsets found in one topic.
    pub struct OffsetForLeaderTopicResult {
        /// The topic name.
        topic: String [0..],
        /// One entry per partition of the request.
        partitions: Vec<EpochEndOffset> [0..],
    }
}

message! {
    /// The end offset of an epoch in one partition.
    pub struct EpochEndOffset {
        /// The partition error code.
        error_code: i16 [0..],
        /// The partition index.
        partition: i32 [0..],
        /// The largest epoch not above the one asked for, or -1 if there is none.
        leader_epoch: i32 [1..] = -1,
        /// The offset after that epoch's last record, or -1 if unknown.
        end_offset: i64 [0..] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> OffsetForLeaderEpochRequest {
        OffsetForLeaderEpochRequest {
            replica_id: -1,
            topics: vec![OffsetForLeaderTopic {
                topic: "t".into(),
                partitions: vec![OffsetForLeaderPartition {
                    partition: 1,
                    current_leader_epoch: 5,
                    leader_epoch: 4,
                }],
            }],
        }
    }

    fn response() -> OffsetForLeaderEpochResponse {
        OffsetForLeaderEpochResponse {
            throttle_time_ms: 2,
            topics: vec![OffsetForLeaderTopicResult {
                topic: "t".into(),
                partitions: vec![EpochEndOffset {
                    error_code: 0,
                    partition: 1,
                    leader_epoch: 3,
                    end_offset: 17,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<OffsetForLeaderEpochRequest>(&request(), 2, &[
            0, 0, 0, 1,                     // topics
            0, 1, b't',                     //   topic
            0, 0, 0, 1,                     //   partitions
            0, 0, 0, 1,                     //     partition
            0, 0, 0, 5,                     //     current_leader_epoch
            0, 0, 0, 4,                     //     leader_epoch
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetForLeaderEpochRequest>(&request(), 3, &[
            0xff, 0xff, 0xff, 0xff,         // replica_id (from v3)
            0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 4,
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetForLeaderEpochRequest>(&request(), 4, &[
            0xff, 0xff, 0xff, 0xff,         // replica_id
            2,                              // topics (compact)
            2, b't',                        //   topic
            2,                              //   partitions
            0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 4,
            0,                              //     tags
            0,                              //   tags
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<OffsetForLeaderEpochResponse>(&response(), 2, &[
            0, 0, 0, 2,                     // throttle_time_ms
            0, 0, 0, 1,                     // topics
            0, 1, b't',                     //   topic
            0, 0, 0, 1,                     //   partitions
            0, 0,                           //     error_code
            0, 0, 0, 1,                     //     partition
            0, 0, 0, 3,                     //     leader_epoch
            0, 0, 0, 0, 0, 0, 0, 17,        //     end_offset
        ]);
        #[rustfmt::skip]
        assert_golden::<OffsetForLeaderEpochResponse>(&response(), 4, &[
            0, 0, 0, 2, 2, 2, b't', 2,
            0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 17,
            0, 0, 0,                        // tags
        ]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<OffsetForLeaderEpochRequest>(&request(), 2..=4, 4);
        assert_round_trip_all_versions::<OffsetForLeaderEpochResponse>(&response(), 2..=4, 4);
    }
}
