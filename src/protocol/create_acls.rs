//! CreateAcls (key 30): adds access control entries to the cluster's authorizer.
//!
//! This client speaks versions 1 to 3 (Kafka 4.0 removed version 0). Version 1 adds
//! the resource pattern type (literal or prefixed, KIP-290) and answers before
//! throttling on a quota violation; version 2 is the first flexible one; version 3 adds
//! the user resource type. The response holds one result, with its own error code, per
//! creation, in request order.
//!
//! Codes shared by the ACL APIs: resource types 1 any, 2 topic, 3 group, 4 cluster,
//! 5 transactional id, 6 delegation token, 7 user; pattern types 1 any, 2 match,
//! 3 literal, 4 prefixed; operations 1 any, 2 all, 3 read, 4 write, 5 create, 6 delete,
//! 7 alter, 8 describe, 9 cluster action, 10 describe configs, 11 alter configs,
//! 12 idempotent write, 13 create tokens, 14 describe tokens, 15 two-phase commit;
//! permission types 1 any, 2 deny, 3 allow.

use crate::message;

message! {
    /// Creates ACLs.
    pub struct CreateAclsRequest {
        /// The ACLs that we want to create.
        creations: Vec<CreateAclsRequestCreation> [0..],
    }
}

message! {
    /// One ACL to create.
    pub struct CreateAclsRequestCreation {
        /// The type of the resource.
        resource_type: i8 [0..],
        /// The resource name for the ACL.
        resource_name: String [0..],
        /// The pattern type for the ACL (3 literal, 4 prefixed).
        resource_pattern_type: i8 [1..] = 3,
        /// The principal for the ACL, e.g. `User:alice`.
        principal: String [0..],
        /// The host for the ACL, or `*` for any.
        host: String [0..],
        /// The operation type for the ACL (read, write, etc.).
        operation: i8 [0..],
        /// The permission type for the ACL (allow, deny, etc.).
        permission_type: i8 [0..],
    }
}

message! {
    /// The outcome of a CreateAcls request.
    pub struct CreateAclsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The results for each ACL creation.
        results: Vec<CreateAclsResponseResult> [0..],
    }
}

message! {
    /// The outcome for one ACL.
    pub struct CreateAclsResponseResult {
        /// The result error, or zero if there was no error.
        error_code: i16 [0..],
        /// The result message, or `None` if there was no error.
        error_message: Option<String> [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> CreateAclsRequest {
        CreateAclsRequest {
            creations: vec![CreateAclsRequestCreation {
                resource_type: 2,
                resource_name: "t".into(),
                resource_pattern_type: 3,
                principal: "User:a".into(),
                host: "*".into(),
                operation: 3,
                permission_type: 3,
            }],
        }
    }

    fn response() -> CreateAclsResponse {
        CreateAclsResponse {
            throttle_time_ms: 0,
            results: vec![CreateAclsResponseResult {
                error_code: 0,
                error_message: None,
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<CreateAclsRequest>(&request(), 1, &[
            0, 0, 0, 1,                     // creations: 1
            2,                              //   resource_type: topic
            0, 1, b't',                     //   resource_name
            3,                              //   resource_pattern_type: literal
            0, 6, b'U', b's', b'e', b'r', b':', b'a', // principal
            0, 1, b'*',                     //   host
            3,                              //   operation: read
            3,                              //   permission_type: allow
        ]);
        #[rustfmt::skip]
        assert_golden::<CreateAclsRequest>(&request(), 2, &[
            2,                              // creations: 1
            2,                              //   resource_type: topic
            2, b't',                        //   resource_name
            3,                              //   resource_pattern_type: literal
            7, b'U', b's', b'e', b'r', b':', b'a', // principal
            2, b'*',                        //   host
            3,                              //   operation: read
            3,                              //   permission_type: allow
            0,                              //   creation tags
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<CreateAclsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // results: 1
            0, 0,                           //   error_code
            0xff, 0xff,                     //   error_message: null
        ]);
        #[rustfmt::skip]
        assert_golden::<CreateAclsResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // results: 1
            0, 0,                           //   error_code
            0,                              //   error_message: null
            0,                              //   result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.creations.push(CreateAclsRequestCreation {
            resource_type: 3,
            resource_name: "app-".into(),
            resource_pattern_type: 4,
            principal: "User:bob".into(),
            host: "10.0.0.1".into(),
            operation: 8,
            permission_type: 2,
        });
        assert_round_trip_all_versions::<CreateAclsRequest>(&req, 1..=3, 2);

        let mut resp = response();
        resp.throttle_time_ms = 4;
        resp.results.push(CreateAclsResponseResult {
            error_code: 54,
            error_message: Some("no authorizer".into()),
        });
        assert_round_trip_all_versions::<CreateAclsResponse>(&resp, 1..=3, 2);
    }
}
