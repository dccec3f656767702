//! DescribeTransactions (key 65): the state of some transactional ids at their
//! transaction coordinator: producer id and epoch, timeout, start time and the
//! partitions of the open transaction (KIP-664).
//!
//! This client speaks version 0, the only one; it is flexible. The request goes to the
//! ids' transaction coordinator (FindCoordinator with key type 1); each id carries its
//! own error code (TRANSACTIONAL_ID_NOT_FOUND, NOT_COORDINATOR,
//! COORDINATOR_LOAD_IN_PROGRESS, TRANSACTIONAL_ID_AUTHORIZATION_FAILED).

use crate::message;

message! {
    /// Asks for the state of some transactional ids.
    pub struct DescribeTransactionsRequest {
        /// The transactional ids to describe; if empty, no results are returned.
        transactional_ids: Vec<String> [0..],
    }
}

message! {
    /// One state per transactional id asked for.
    pub struct DescribeTransactionsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The described transactions.
        transaction_states: Vec<DescribeTransactionsResponseTransaction> [0..],
    }
}

message! {
    /// The state of one transactional id (spec struct `TransactionState`).
    pub struct DescribeTransactionsResponseTransaction {
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The transactional id.
        transactional_id: String [0..],
        /// The transaction state, e.g. "Ongoing" or "CompleteCommit".
        transaction_state: String [0..],
        /// The transaction timeout in milliseconds.
        transaction_timeout_ms: i32 [0..],
        /// When the current transaction started, in milliseconds since the epoch, or -1.
        transaction_start_time_ms: i64 [0..],
        /// The producer id.
        producer_id: i64 [0..],
        /// The producer epoch.
        producer_epoch: i16 [0..],
        /// The set of partitions included in the current transaction (if active).
        topics: Vec<DescribeTransactionsResponseTopic> [0..],
    }
}

message! {
    /// The partitions of one topic in a transaction (spec struct `TopicData`).
    pub struct DescribeTransactionsResponseTopic {
        /// The topic name.
        topic: String [0..],
        /// The partition indexes.
        partitions: Vec<i32> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn response() -> DescribeTransactionsResponse {
        DescribeTransactionsResponse {
            throttle_time_ms: 0,
            transaction_states: vec![DescribeTransactionsResponseTransaction {
                error_code: 0,
                transactional_id: "tx".into(),
                transaction_state: "Ongoing".into(),
                transaction_timeout_ms: 60_000,
                transaction_start_time_ms: 1000,
                producer_id: 7,
                producer_epoch: 2,
                topics: vec![DescribeTransactionsResponseTopic {
                    topic: "t".into(),
                    partitions: vec![0],
                }],
            }],
        }
    }

    #[test]
    fn golden_bytes() {
        // Version 0 is the lowest, the highest and flexible.
        let req = DescribeTransactionsRequest {
            transactional_ids: vec!["tx".into()],
        };
        #[rustfmt::skip]
        assert_golden::<DescribeTransactionsRequest>(&req, 0, &[
            2, 3, b't', b'x',               // transactional_ids: ["tx"]
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeTransactionsResponse>(&response(), 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // transaction_states: 1
            0, 0,                           //   error_code
            3, b't', b'x',                  //   transactional_id
            8, b'O', b'n', b'g', b'o', b'i', b'n', b'g', // transaction_state
            0, 0, 0xea, 0x60,               //   transaction_timeout_ms: 60000
            0, 0, 0, 0, 0, 0, 0x03, 0xe8,   //   transaction_start_time_ms: 1000
            0, 0, 0, 0, 0, 0, 0, 7,         //   producer_id
            0, 2,                           //   producer_epoch
            2,                              //   topics: 1
            2, b't',                        //     topic
            2, 0, 0, 0, 0,                  //     partitions: [0]
            0,                              //     topic tags
            0,                              //   transaction tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DescribeTransactionsRequest {
            transactional_ids: vec!["orders-writer-1".into(), "orders-writer-2".into()],
        };
        assert_round_trip_all_versions::<DescribeTransactionsRequest>(&req, 0..=0, 0);

        let mut resp = response();
        resp.throttle_time_ms = 8;
        resp.transaction_states[0]
            .topics
            .push(DescribeTransactionsResponseTopic {
                topic: "events".into(),
                partitions: vec![3, 4, 5],
            });
        resp.transaction_states
            .push(DescribeTransactionsResponseTransaction {
                error_code: 105,
                transactional_id: "unknown".into(),
                transaction_start_time_ms: -1,
                producer_id: -1,
                producer_epoch: -1,
                ..Default::default()
            });
        assert_round_trip_all_versions::<DescribeTransactionsResponse>(&resp, 0..=0, 0);
    }
}
