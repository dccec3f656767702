//! InitProducerId (key 22): obtains a producer id and epoch for idempotent or
//! transactional producing.
//!
//! This client speaks versions 0 to 5. Version 2 is the first flexible one, and from
//! version 3 a producer can pass its current id and epoch to have the epoch bumped
//! instead of getting a new id (KIP-360).

use crate::message;

message! {
    /// Asks for a producer id and epoch.
    pub struct InitProducerIdRequest {
        /// The transactional id, or `None` for an idempotent-only producer.
        transactional_id: Option<String> [0..],
        /// How long an idle transaction may stay open, in milliseconds.
        transaction_timeout_ms: i32 [0..],
        /// The current producer id, or -1.
        producer_id: i64 [3..] = -1,
        /// The current producer epoch, or -1.
        producer_epoch: i16 [3..] = -1,
    }
}

message! {
    /// The producer id and epoch to use.
    pub struct InitProducerIdResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The error code.
        error_code: i16 [0..],
        /// The producer id, or -1.
        producer_id: i64 [0..] = -1,
        /// The producer epoch.
        producer_epoch: i16 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        };
        #[rustfmt::skip]
        assert_golden::<InitProducerIdRequest>(&req, 0, &[
            0xff, 0xff,                     // transactional_id: null
            0, 0, 0xea, 0x60,               // transaction_timeout_ms: 60000
        ]);
        // v2: compact string and a tag section.
        assert_golden::<InitProducerIdRequest>(&req, 2, &[0, 0, 0, 0xea, 0x60, 0]);

        let bump = InitProducerIdRequest {
            transactional_id: Some("x".into()),
            producer_id: 1000,
            producer_epoch: 4,
            ..req
        };
        #[rustfmt::skip]
        let v3 = [
            2, b'x',                        // transactional_id
            0, 0, 0xea, 0x60,               // transaction_timeout_ms
            0, 0, 0, 0, 0, 0, 0x03, 0xe8,   // producer_id: 1000
            0, 4,                           // producer_epoch
            0,                              // tags
        ];
        assert_golden::<InitProducerIdRequest>(&bump, 3, &v3);
        assert_golden::<InitProducerIdRequest>(&bump, 5, &v3);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 1000,
            producer_epoch: 5,
        };
        #[rustfmt::skip]
        let v0 = [
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0, 0, 0, 0, 0, 0, 0x03, 0xe8,   // producer_id: 1000
            0, 5,                           // producer_epoch
        ];
        assert_golden::<InitProducerIdResponse>(&resp, 0, &v0);
        let flexible = [&v0[..], &[0]].concat();
        assert_golden::<InitProducerIdResponse>(&resp, 2, &flexible);
        assert_golden::<InitProducerIdResponse>(&resp, 5, &flexible);
    }

    #[test]
    fn round_trips() {
        let req = InitProducerIdRequest {
            transactional_id: Some("txn-1".into()),
            transaction_timeout_ms: 15_000,
            producer_id: 77,
            producer_epoch: 3,
        };
        assert_round_trip_all_versions::<InitProducerIdRequest>(&req, 0..=5, 2);
        let resp = InitProducerIdResponse {
            throttle_time_ms: 9,
            error_code: 47,
            producer_id: 78,
            producer_epoch: 4,
        };
        assert_round_trip_all_versions::<InitProducerIdResponse>(&resp, 0..=5, 2);
    }
}
