//! EndTxn (key 26): commits or aborts a producer's transaction at its transaction
//! coordinator, which then writes the markers to every partition of the transaction.
//!
//! The messages cover versions 0 to 5; version 3 is the first flexible one. Version 5
//! (transactions v2, KIP-890) answers with the producer id and epoch to use next: the
//! coordinator bumps the epoch at the end of every transaction. The client sends up
//! to version 4 until its producer speaks transactions v2.

use crate::message;

message! {
    /// Ends the transaction of `transactional_id`.
    pub struct EndTxnRequest {
        /// The transactional id.
        transactional_id: String [0..],
        /// The producer id of the transactional id.
        producer_id: i64 [0..],
        /// The producer epoch.
        producer_epoch: i16 [0..],
        /// `true` commits, `false` aborts.
        committed: bool [0..],
    }
}

message! {
    /// The outcome.
    pub struct EndTxnResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The error code.
        error_code: i16 [0..],
        /// The producer id to use from now on, or -1.
        producer_id: i64 [5..] = -1,
        /// The producer epoch to use from now on, or -1.
        producer_epoch: i16 [5..] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> EndTxnRequest {
        EndTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 7,
            producer_epoch: 2,
            committed: true,
        }
    }

    fn response() -> EndTxnResponse {
        EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 7,
            producer_epoch: 3,
        }
    }

    #[test]
    fn golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<EndTxnRequest>(&request(), 2, &[
            0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 1,
        ]);
        #[rustfmt::skip]
        assert_golden::<EndTxnRequest>(&request(), 5, &[
            3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 1, 0,
        ]);
        assert_golden::<EndTxnResponse>(&response(), 2, &[0, 0, 0, 0, 0, 0]);
        #[rustfmt::skip]
        assert_golden::<EndTxnResponse>(&response(), 5, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0, 0, 0, 0, 0, 0, 0, 7,         // producer_id (from v5)
            0, 3,                           // producer_epoch (from v5)
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<EndTxnRequest>(&request(), 0..=5, 3);
        assert_round_trip_all_versions::<EndTxnResponse>(&response(), 5..=5, 3);
    }
}
