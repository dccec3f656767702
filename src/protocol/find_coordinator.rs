//! FindCoordinator (key 10): which broker coordinates a consumer group or a
//! transactional id.
//!
//! This client speaks versions 0 to 6. Version 1 adds the key type and error message,
//! version 3 is the first flexible one, and from version 4 one request looks up many
//! keys at once (`coordinator_keys`), answered in `coordinators` (KIP-699).

use crate::message;

message! {
    /// Asks for the coordinator of a group or transactional id.
    pub struct FindCoordinatorRequest {
        /// The key to look up (up to version 3).
        key: String [0..=3],
        /// The kind of key: 0 for a group, 1 for a transactional id.
        key_type: i8 [1..],
        /// The keys to look up (from version 4).
        coordinator_keys: Vec<String> [4..],
    }
}

message! {
    /// The coordinator found (up to version 3) or one per key (from version 4).
    pub struct FindCoordinatorResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [1..],
        /// The error code (up to version 3).
        error_code: i16 [0..=3],
        /// The error message (versions 1 to 3).
        error_message: Option<String> [1..=3],
        /// The coordinator's node id (up to version 3).
        node_id: i32 [0..=3],
        /// The coordinator's host (up to version 3).
        host: String [0..=3],
        /// The coordinator's port (up to version 3).
        port: i32 [0..=3],
        /// One result per key (from version 4).
        coordinators: Vec<FindCoordinatorResponseCoordinator> [4..],
    }
}

message! {
    /// The coordinator of one key.
    pub struct FindCoordinatorResponseCoordinator {
        /// The key looked up.
        key: String [4..],
        /// The coordinator's node id.
        node_id: i32 [4..],
        /// The coordinator's host.
        host: String [4..],
        /// The coordinator's port.
        port: i32 [4..],
        /// The error code for this key.
        error_code: i16 [4..],
        /// The error message for this key.
        error_message: Option<String> [4..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = FindCoordinatorRequest {
            key: "g".into(),
            key_type: 1,
            coordinator_keys: vec!["g".into(), "h".into()],
        };
        assert_golden::<FindCoordinatorRequest>(&req, 0, &[0, 1, b'g']);
        // v1: the key type follows the key.
        assert_golden::<FindCoordinatorRequest>(&req, 1, &[0, 1, b'g', 1]);
        // v3: compact string and a tag section.
        assert_golden::<FindCoordinatorRequest>(&req, 3, &[2, b'g', 1, 0]);
        // v4: the key type, then the batch of keys.
        #[rustfmt::skip]
        let batched = [
            1,                              // key_type
            3, 2, b'g', 2, b'h',            // coordinator_keys: ["g", "h"]
            0,                              // tags
        ];
        assert_golden::<FindCoordinatorRequest>(&req, 4, &batched);
        assert_golden::<FindCoordinatorRequest>(&req, 6, &batched);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = FindCoordinatorResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            node_id: 1,
            host: "h".into(),
            port: 9092,
            coordinators: vec![FindCoordinatorResponseCoordinator {
                key: "g".into(),
                node_id: 1,
                host: "h".into(),
                port: 9092,
                error_code: 0,
                error_message: None,
            }],
        };
        #[rustfmt::skip]
        assert_golden::<FindCoordinatorResponse>(&resp, 0, &[
            0, 0,                           // error_code
            0, 0, 0, 1,                     // node_id
            0, 1, b'h',                     // host
            0, 0, 0x23, 0x84,               // port 9092
        ]);
        #[rustfmt::skip]
        assert_golden::<FindCoordinatorResponse>(&resp, 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0xff, 0xff,                     // error_message: null
            0, 0, 0, 1, 0, 1, b'h', 0, 0, 0x23, 0x84,
        ]);
        #[rustfmt::skip]
        assert_golden::<FindCoordinatorResponse>(&resp, 3, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            0, 0, 0, 1,                     // node_id
            2, b'h',                        // host
            0, 0, 0x23, 0x84,               // port
            0,                              // tags
        ]);
        #[rustfmt::skip]
        let batched = [
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // coordinators: 1
            2, b'g',                        //   key
            0, 0, 0, 1,                     //   node_id
            2, b'h',                        //   host
            0, 0, 0x23, 0x84,               //   port
            0, 0,                           //   error_code
            0,                              //   error_message: null
            0,                              //   coordinator tags
            0,                              // tags
        ];
        assert_golden::<FindCoordinatorResponse>(&resp, 4, &batched);
        assert_golden::<FindCoordinatorResponse>(&resp, 6, &batched);
    }

    #[test]
    fn round_trips() {
        let req = FindCoordinatorRequest {
            key: "group-1".into(),
            key_type: 1,
            coordinator_keys: vec!["group-1".into(), "group-2".into()],
        };
        assert_round_trip_all_versions::<FindCoordinatorRequest>(&req, 0..=6, 3);

        let resp = FindCoordinatorResponse {
            throttle_time_ms: 3,
            error_code: 15,
            error_message: Some("not available".into()),
            node_id: 2,
            host: "broker2".into(),
            port: 9093,
            coordinators: vec![FindCoordinatorResponseCoordinator {
                key: "group-1".into(),
                node_id: 2,
                host: "broker2".into(),
                port: 9093,
                error_code: 14,
                error_message: Some("loading".into()),
            }],
        };
        assert_round_trip_all_versions::<FindCoordinatorResponse>(&resp, 0..=6, 3);
    }
}
