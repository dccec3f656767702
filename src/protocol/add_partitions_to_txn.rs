//! AddPartitionsToTxn (key 24): adds partitions to a producer's open transaction,
//! before the first record is produced to each (transactions v1; with transactions v2,
//! KIP-890, the broker adds them as records arrive).
//!
//! This client speaks the client versions, 0 to 3; version 3 is the first flexible
//! one. Versions 4 and up batch several transactions and are for brokers only.

use crate::message;

message! {
    /// Adds partitions to the transaction of `v3_and_below_transactional_id`.
    pub struct AddPartitionsToTxnRequest {
        /// The transactional id.
        v3_and_below_transactional_id: String [0..=3],
        /// The producer id of the transactional id.
        v3_and_below_producer_id: i64 [0..=3],
        /// The producer epoch.
        v3_and_below_producer_epoch: i16 [0..=3],
        /// The partitions to add.
        v3_and_below_topics: Vec<AddPartitionsToTxnTopic> [0..=3],
    }
}

message! {
    /// The partitions of one topic to add.
    pub struct AddPartitionsToTxnTopic {
        /// The topic name.
        name: String [0..],
        /// The partition indexes.
        partitions: Vec<i32> [0..],
    }
}

message! {
    /// The outcome per partition.
    pub struct AddPartitionsToTxnResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The results, topic by topic.
        results_by_topic_v3_and_below: Vec<AddPartitionsToTxnTopicResult> [0..=3],
    }
}

message! {
    /// The outcome for the partitions of one topic.
    pub struct AddPartitionsToTxnTopicResult {
        /// The topic name.
        name: String [0..],
        /// The outcome per partition.
        results_by_partition: Vec<AddPartitionsToTxnPartitionResult> [0..],
    }
}

message! {
    /// The outcome for one partition.
    pub struct AddPartitionsToTxnPartitionResult {
        /// The partition index.
        partition_index: i32 [0..],
        /// The error code.
        partition_error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> AddPartitionsToTxnRequest {
        AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "tx".into(),
            v3_and_below_producer_id: 7,
            v3_and_below_producer_epoch: 2,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: "t".into(),
                partitions: vec![0, 3],
            }],
        }
    }

    fn response() -> AddPartitionsToTxnResponse {
        AddPartitionsToTxnResponse {
            throttle_time_ms: 1,
            results_by_topic_v3_and_below: vec![AddPartitionsToTxnTopicResult {
                name: "t".into(),
                results_by_partition: vec![AddPartitionsToTxnPartitionResult {
                    partition_index: 3,
                    partition_error_code: 48,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AddPartitionsToTxnRequest>(&request(), 2, &[
            0, 2, b't', b'x',               // transactional_id
            0, 0, 0, 0, 0, 0, 0, 7,         // producer_id
            0, 2,                           // producer_epoch
            0, 0, 0, 1,                     // topics
            0, 1, b't',                     //   name
            0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, // partitions
        ]);
        #[rustfmt::skip]
        assert_golden::<AddPartitionsToTxnRequest>(&request(), 3, &[
            3, b't', b'x',                  // transactional_id (compact)
            0, 0, 0, 0, 0, 0, 0, 7,
            0, 2,
            2,                              // topics
            2, b't',
            3, 0, 0, 0, 0, 0, 0, 0, 3,      // partitions
            0,                              //   tags
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AddPartitionsToTxnResponse>(&response(), 0, &[
            0, 0, 0, 1,                     // throttle_time_ms
            0, 0, 0, 1,                     // results by topic
            0, 1, b't',
            0, 0, 0, 1,                     //   results by partition
            0, 0, 0, 3, 0, 48,
        ]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<AddPartitionsToTxnRequest>(&request(), 0..=3, 3);
        assert_round_trip_all_versions::<AddPartitionsToTxnResponse>(&response(), 0..=3, 3);
    }
}
