//! DescribeProducers (key 61): the producers with state on some partitions, such as
//! their last sequence number and open transaction (KIP-664).
//!
//! This client speaks version 0, the only one; it is flexible. The request goes to each
//! partition's leader: every partition carries its own error code and message
//! (NOT_LEADER_OR_FOLLOWER from another broker, UNKNOWN_TOPIC_OR_PARTITION).

use crate::message;

message! {
    /// Asks for the active producers of some partitions.
    pub struct DescribeProducersRequest {
        /// The topics to describe.
        topics: Vec<DescribeProducersRequestTopic> [0..],
    }
}

message! {
    /// The partitions of one topic to describe (spec struct `TopicRequest`).
    pub struct DescribeProducersRequestTopic {
        /// The topic name.
        name: String [0..],
        /// The indexes of the partitions to list producers for.
        partition_indexes: Vec<i32> [0..],
    }
}

message! {
    /// The active producers, per partition.
    pub struct DescribeProducersResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// Each topic in the response.
        topics: Vec<DescribeProducersResponseTopic> [0..],
    }
}

message! {
    /// One topic of the response (spec struct `TopicResponse`).
    pub struct DescribeProducersResponseTopic {
        /// The topic name.
        name: String [0..],
        /// Each partition in the response.
        partitions: Vec<DescribeProducersResponsePartition> [0..],
    }
}

message! {
    /// The producers of one partition (spec struct `PartitionResponse`).
    pub struct DescribeProducersResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The partition error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The partition error message, which may be null if no additional details are available.
        error_message: Option<String> [0..] = None,
        /// The producers with state on the partition.
        active_producers: Vec<DescribeProducersResponseProducer> [0..],
    }
}

message! {
    /// The state of one producer on a partition (spec struct `ProducerState`).
    pub struct DescribeProducersResponseProducer {
        /// The producer id.
        producer_id: i64 [0..],
        /// The producer epoch.
        producer_epoch: i32 [0..],
        /// The last sequence number written, or -1.
        last_sequence: i32 [0..] = -1,
        /// The timestamp of the last write, or -1.
        last_timestamp: i64 [0..] = -1,
        /// The epoch of the transaction coordinator of the last transaction marker.
        coordinator_epoch: i32 [0..],
        /// The first offset of the open transaction, or -1 if none is open.
        current_txn_start_offset: i64 [0..] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> DescribeProducersRequest {
        DescribeProducersRequest {
            topics: vec![DescribeProducersRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0, 1],
            }],
        }
    }

    fn response() -> DescribeProducersResponse {
        DescribeProducersResponse {
            throttle_time_ms: 0,
            topics: vec![DescribeProducersResponseTopic {
                name: "t".into(),
                partitions: vec![DescribeProducersResponsePartition {
                    partition_index: 0,
                    error_code: 0,
                    error_message: None,
                    active_producers: vec![DescribeProducersResponseProducer {
                        producer_id: 7,
                        producer_epoch: 2,
                        last_sequence: 9,
                        last_timestamp: 1000,
                        coordinator_epoch: 1,
                        current_txn_start_offset: -1,
                    }],
                }],
            }],
        }
    }

    #[test]
    fn golden_bytes() {
        // Version 0 is the lowest, the highest and flexible.
        #[rustfmt::skip]
        assert_golden::<DescribeProducersRequest>(&request(), 0, &[
            2,                              // topics: 1
            2, b't',                        //   name
            3, 0, 0, 0, 0, 0, 0, 0, 1,      //   partition_indexes: [0, 1]
            0,                              //   topic tags
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeProducersResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // topics: 1
            2, b't',                        //   name
            2,                              //   partitions: 1
            0, 0, 0, 0,                     //     partition_index
            0, 0,                           //     error_code
            0,                              //     error_message: null
            2,                              //     active_producers: 1
            0, 0, 0, 0, 0, 0, 0, 7,         //       producer_id
            0, 0, 0, 2,                     //       producer_epoch (int32)
            0, 0, 0, 9,                     //       last_sequence
            0, 0, 0, 0, 0, 0, 0x03, 0xe8,   //       last_timestamp: 1000
            0, 0, 0, 1,                     //       coordinator_epoch
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // current_txn_start_offset: -1
            0,                              //       producer tags
            0,                              //     partition tags
            0,                              //   topic tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.topics.push(DescribeProducersRequestTopic {
            name: "events".into(),
            partition_indexes: vec![],
        });
        assert_round_trip_all_versions::<DescribeProducersRequest>(&req, 0..=0, 0);

        let mut resp = response();
        resp.throttle_time_ms = 5;
        resp.topics[0].partitions[0]
            .active_producers
            .push(DescribeProducersResponseProducer {
                producer_id: 4000,
                producer_epoch: 0,
                current_txn_start_offset: 1234,
                ..Default::default()
            });
        resp.topics[0]
            .partitions
            .push(DescribeProducersResponsePartition {
                partition_index: 1,
                error_code: 6,
                error_message: Some("not the leader".into()),
                active_producers: vec![],
            });
        assert_round_trip_all_versions::<DescribeProducersResponse>(&resp, 0..=0, 0);
    }
}
