//! DescribeCluster (key 60): the cluster id, controller and brokers (KIP-700).
//!
//! This client speaks versions 0 and 1; both are flexible. Version 1 can describe the
//! controllers instead of the brokers (KIP-919).

use crate::message;

message! {
    /// Asks for the cluster's brokers (or controllers).
    pub struct DescribeClusterRequest {
        /// Whether to include the cluster authorized operations.
        include_cluster_authorized_operations: bool [0..],
        /// What to describe: 1 for brokers, 2 for controllers.
        endpoint_type: i8 [1..] = 1,
    }
}

message! {
    /// The cluster's id, controller and brokers.
    pub struct DescribeClusterResponse {
        /// Throttle time in milliseconds.
        throttle_time_ms: i32 [0..],
        /// The top-level error code.
        error_code: i16 [0..],
        /// The top-level error message, if any.
        error_message: Option<String> [0..],
        /// What was described: 1 for brokers, 2 for controllers.
        endpoint_type: i8 [1..] = 1,
        /// The cluster id.
        cluster_id: String [0..],
        /// The controller's node id, or -1.
        controller_id: i32 [0..] = -1,
        /// Every broker (or controller).
        brokers: Vec<DescribeClusterResponseBroker> [0..],
        /// Cluster authorized operations bit field.
        cluster_authorized_operations: i32 [0..] = i32::MIN,
    }
}

message! {
    /// One broker (or controller) of the cluster.
    pub struct DescribeClusterResponseBroker {
        /// The broker id.
        broker_id: i32 [0..],
        /// Its host name.
        host: String [0..],
        /// Its port.
        port: i32 [0..],
        /// Its rack, if assigned.
        rack: Option<String> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        let req = DescribeClusterRequest {
            include_cluster_authorized_operations: true,
            endpoint_type: 2,
        };
        assert_golden::<DescribeClusterRequest>(&req, 0, &[1, 0]);
        // v1: the endpoint type follows.
        assert_golden::<DescribeClusterRequest>(&req, 1, &[1, 2, 0]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = DescribeClusterResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            endpoint_type: 1,
            cluster_id: "c".into(),
            controller_id: 1,
            brokers: vec![DescribeClusterResponseBroker {
                broker_id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            cluster_authorized_operations: i32::MIN,
        };
        #[rustfmt::skip]
        let head = [
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
        ];
        #[rustfmt::skip]
        let tail = [
            2, b'c',                        // cluster_id
            0, 0, 0, 1,                     // controller_id
            2,                              // brokers: 1
            0, 0, 0, 1,                     //   broker_id
            2, b'h',                        //   host
            0, 0, 0x23, 0x84,               //   port 9092
            0,                              //   rack: null
            0,                              //   broker tags
            0x80, 0, 0, 0,                  // cluster_authorized_operations: unset
            0,                              // tags
        ];
        assert_golden::<DescribeClusterResponse>(&resp, 0, &[&head[..], &tail].concat());
        // v1: the endpoint type follows the error message.
        assert_golden::<DescribeClusterResponse>(&resp, 1, &[&head[..], &[1], &tail].concat());
    }

    #[test]
    fn round_trips() {
        let req = DescribeClusterRequest {
            include_cluster_authorized_operations: true,
            endpoint_type: 2,
        };
        assert_round_trip_all_versions::<DescribeClusterRequest>(&req, 0..=1, 0);

        let resp = DescribeClusterResponse {
            throttle_time_ms: 1,
            error_code: 31,
            error_message: Some("denied".into()),
            endpoint_type: 2,
            cluster_id: "cluster".into(),
            controller_id: 3000,
            brokers: vec![DescribeClusterResponseBroker {
                broker_id: 3000,
                host: "controller".into(),
                port: 9093,
                rack: Some("rack-c".into()),
            }],
            cluster_authorized_operations: 0x0fff,
        };
        assert_round_trip_all_versions::<DescribeClusterResponse>(&resp, 0..=1, 0);
    }
}
