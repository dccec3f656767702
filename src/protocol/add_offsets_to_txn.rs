//! AddOffsetsToTxn (key 25): tells the transaction coordinator that the transaction
//! will commit offsets of a consumer group (before TxnOffsetCommit, which goes to the
//! group's coordinator).
//!
//! This client speaks versions 0 to 4; version 3 is the first flexible one.

use crate::message;

message! {
    /// Adds the offsets of `group_id` to the transaction.
    pub struct AddOffsetsToTxnRequest {
        /// The transactional id.
        transactional_id: String [0..],
        /// The producer id of the transactional id.
        producer_id: i64 [0..],
        /// The producer epoch.
        producer_epoch: i16 [0..],
        /// The consumer group whose offsets the transaction commits.
        group_id: String [0..],
    }
}

message! {
    /// The outcome.
    pub struct AddOffsetsToTxnResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The error code.
        error_code: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> AddOffsetsToTxnRequest {
        AddOffsetsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 7,
            producer_epoch: 2,
            group_id: "g".into(),
        }
    }

    #[test]
    fn golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<AddOffsetsToTxnRequest>(&request(), 0, &[
            0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 0, 1, b'g',
        ]);
        #[rustfmt::skip]
        assert_golden::<AddOffsetsToTxnRequest>(&request(), 3, &[
            3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 2, b'g', 0,
        ]);
        let response = AddOffsetsToTxnResponse {
            throttle_time_ms: 0,
            error_code: 51,
        };
        assert_golden::<AddOffsetsToTxnResponse>(&response, 4, &[0, 0, 0, 0, 0, 51, 0]);
    }

    #[test]
    fn round_trips() {
        assert_round_trip_all_versions::<AddOffsetsToTxnRequest>(&request(), 0..=4, 3);
        let response = AddOffsetsToTxnResponse {
            throttle_time_ms: 5,
            error_code: 47,
        };
        assert_round_trip_all_versions::<AddOffsetsToTxnResponse>(&response, 0..=4, 3);
    }
}
