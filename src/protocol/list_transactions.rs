//! ListTransactions (key 66): lists the transactional ids a broker coordinates, with
//! their producer ids and states (KIP-664).
//!
//! This client speaks versions 0 and 1; both are flexible. Version 1 adds a duration
//! filter, to list only transactions running longer than it (KIP-994); the response is
//! the same. (Kafka 4.4.0 also has version 2, which the message specs pinned here do
//! not define.) A request lists only the transactions of the broker it is sent to:
//! listing a cluster's transactions means asking every broker.

use crate::message;

message! {
    /// Asks for the transactions this broker coordinates, optionally filtered.
    pub struct ListTransactionsRequest {
        /// The transaction states to filter by; if empty, all transactions are returned.
        state_filters: Vec<String> [0..],
        /// The producer ids to filter by; if empty, all transactions are returned.
        producer_id_filters: Vec<i64> [0..],
        /// Only transactions running longer than this many milliseconds; if < 0, all of them.
        duration_filter: i64 [1..] = -1,
    }
}

message! {
    /// The transactions this broker coordinates.
    pub struct ListTransactionsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The state filters of the request that the transaction coordinator did not know.
        unknown_state_filters: Vec<String> [0..],
        /// The transactions listed.
        transaction_states: Vec<ListTransactionsResponseTransaction> [0..],
    }
}

message! {
    /// One listed transaction (spec struct `TransactionState`).
    pub struct ListTransactionsResponseTransaction {
        /// The transactional id.
        transactional_id: String [0..],
        /// The producer id of the transactional id.
        producer_id: i64 [0..],
        /// The current transaction state of the producer.
        transaction_state: String [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> ListTransactionsRequest {
        ListTransactionsRequest {
            state_filters: vec!["Ongoing".into()],
            producer_id_filters: vec![7],
            duration_filter: 60_000,
        }
    }

    fn response() -> ListTransactionsResponse {
        ListTransactionsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            unknown_state_filters: vec!["x".into()],
            transaction_states: vec![ListTransactionsResponseTransaction {
                transactional_id: "tx".into(),
                producer_id: 7,
                transaction_state: "Ongoing".into(),
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        // v0 is the lowest and the first flexible version.
        #[rustfmt::skip]
        assert_golden::<ListTransactionsRequest>(&request(), 0, &[
            2, 8, b'O', b'n', b'g', b'o', b'i', b'n', b'g', // state_filters: ["Ongoing"]
            2, 0, 0, 0, 0, 0, 0, 0, 7,      // producer_id_filters: [7]
            0,                              // tags
        ]);
        #[rustfmt::skip]
        assert_golden::<ListTransactionsRequest>(&request(), 1, &[
            2, 8, b'O', b'n', b'g', b'o', b'i', b'n', b'g', // state_filters: ["Ongoing"]
            2, 0, 0, 0, 0, 0, 0, 0, 7,      // producer_id_filters: [7]
            0, 0, 0, 0, 0, 0, 0xea, 0x60,   // duration_filter: 60000 (from v1)
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        let expected = [
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            2, 2, b'x',                     // unknown_state_filters: ["x"]
            2,                              // transaction_states: 1
            3, b't', b'x',                  //   transactional_id
            0, 0, 0, 0, 0, 0, 0, 7,         //   producer_id
            8, b'O', b'n', b'g', b'o', b'i', b'n', b'g', // transaction_state
            0,                              //   transaction tags
            0,                              // tags
        ];
        // The same in both versions.
        assert_golden::<ListTransactionsResponse>(&response(), 0, &expected);
        assert_golden::<ListTransactionsResponse>(&response(), 1, &expected);
    }

    #[test]
    fn round_trips() {
        let req = ListTransactionsRequest {
            state_filters: vec!["Ongoing".into(), "PrepareCommit".into()],
            producer_id_filters: vec![1, 4000, i64::MAX],
            duration_filter: -1,
        };
        assert_round_trip_all_versions::<ListTransactionsRequest>(&req, 0..=1, 0);
        assert_round_trip_all_versions::<ListTransactionsRequest>(&request(), 0..=1, 0);

        let mut resp = response();
        resp.throttle_time_ms = 11;
        resp.transaction_states
            .push(ListTransactionsResponseTransaction {
                transactional_id: "orders-writer-3".into(),
                producer_id: 4001,
                transaction_state: "CompleteCommit".into(),
            });
        assert_round_trip_all_versions::<ListTransactionsResponse>(&resp, 0..=1, 0);
    }
}
