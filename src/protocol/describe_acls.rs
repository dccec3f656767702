//! DescribeAcls (key 29): lists the ACLs matching one filter, grouped by resource.
//!
//! This client speaks versions 1 to 3 (Kafka 4.0 removed version 0). Version 1 adds
//! the pattern type filter and each resource's pattern type (KIP-290); version 2 is the
//! first flexible one; version 3 adds the user resource type. A null string filter
//! matches anything; the codes are listed in [`create_acls`](super::create_acls).

use crate::message;

message! {
    /// Asks for the ACLs matching a filter.
    pub struct DescribeAclsRequest {
        /// The resource type.
        resource_type_filter: i8 [0..],
        /// The resource name, or `None` to match any resource name.
        resource_name_filter: Option<String> [0..],
        /// The resource pattern to match (1 any, 2 match, 3 literal, 4 prefixed).
        pattern_type_filter: i8 [1..] = 3,
        /// The principal to match, or `None` to match any principal.
        principal_filter: Option<String> [0..],
        /// The host to match, or `None` to match any host.
        host_filter: Option<String> [0..],
        /// The operation to match.
        operation: i8 [0..],
        /// The permission type to match.
        permission_type: i8 [0..],
    }
}

message! {
    /// The ACLs matching the filter.
    pub struct DescribeAclsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The error message, or `None` if there was no error.
        error_message: Option<String> [0..],
        /// Each resource that is referenced in an ACL.
        resources: Vec<DescribeAclsResponseResource> [0..],
    }
}

message! {
    /// One resource and its ACLs.
    pub struct DescribeAclsResponseResource {
        /// The resource type.
        resource_type: i8 [0..],
        /// The resource name.
        resource_name: String [0..],
        /// The resource pattern type.
        pattern_type: i8 [1..] = 3,
        /// The ACLs.
        acls: Vec<DescribeAclsResponseAcl> [0..],
    }
}

message! {
    /// One ACL of a resource.
    pub struct DescribeAclsResponseAcl {
        /// The ACL principal.
        principal: String [0..],
        /// The ACL host.
        host: String [0..],
        /// The ACL operation.
        operation: i8 [0..],
        /// The ACL permission type.
        permission_type: i8 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> DescribeAclsRequest {
        DescribeAclsRequest {
            resource_type_filter: 1,
            resource_name_filter: None,
            pattern_type_filter: 1,
            principal_filter: Some("User:a".into()),
            host_filter: None,
            operation: 1,
            permission_type: 1,
        }
    }

    fn response() -> DescribeAclsResponse {
        DescribeAclsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            resources: vec![DescribeAclsResponseResource {
                resource_type: 2,
                resource_name: "t".into(),
                pattern_type: 3,
                acls: vec![DescribeAclsResponseAcl {
                    principal: "User:a".into(),
                    host: "*".into(),
                    operation: 3,
                    permission_type: 3,
                }],
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeAclsRequest>(&request(), 1, &[
            1,                              // resource_type_filter: any
            0xff, 0xff,                     // resource_name_filter: null
            1,                              // pattern_type_filter: any
            0, 6, b'U', b's', b'e', b'r', b':', b'a', // principal_filter
            0xff, 0xff,                     // host_filter: null
            1,                              // operation: any
            1,                              // permission_type: any
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeAclsRequest>(&request(), 2, &[
            1,                              // resource_type_filter: any
            0,                              // resource_name_filter: null
            1,                              // pattern_type_filter: any
            7, b'U', b's', b'e', b'r', b':', b'a', // principal_filter
            0,                              // host_filter: null
            1,                              // operation: any
            1,                              // permission_type: any
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeAclsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0xff, 0xff,                     // error_message: null
            0, 0, 0, 1,                     // resources: 1
            2,                              //   resource_type: topic
            0, 1, b't',                     //   resource_name
            3,                              //   pattern_type: literal
            0, 0, 0, 1,                     //   acls: 1
            0, 6, b'U', b's', b'e', b'r', b':', b'a', // principal
            0, 1, b'*',                     //     host
            3,                              //     operation: read
            3,                              //     permission_type: allow
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeAclsResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            2,                              // resources: 1
            2,                              //   resource_type: topic
            2, b't',                        //   resource_name
            3,                              //   pattern_type: literal
            2,                              //   acls: 1
            7, b'U', b's', b'e', b'r', b':', b'a', // principal
            2, b'*',                        //     host
            3,                              //     operation: read
            3,                              //     permission_type: allow
            0,                              //     acl tags
            0,                              //   resource tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DescribeAclsRequest {
            resource_type_filter: 2,
            resource_name_filter: Some("events".into()),
            pattern_type_filter: 2,
            principal_filter: None,
            host_filter: Some("10.0.0.1".into()),
            operation: 3,
            permission_type: 3,
        };
        assert_round_trip_all_versions::<DescribeAclsRequest>(&req, 1..=3, 2);
        assert_round_trip_all_versions::<DescribeAclsRequest>(&request(), 1..=3, 2);

        let mut resp = response();
        resp.throttle_time_ms = 8;
        resp.resources.push(DescribeAclsResponseResource {
            resource_type: 3,
            resource_name: "app-".into(),
            pattern_type: 4,
            acls: vec![],
        });
        assert_round_trip_all_versions::<DescribeAclsResponse>(&resp, 1..=3, 2);
        let failed = DescribeAclsResponse {
            throttle_time_ms: 0,
            error_code: 31,
            error_message: Some("denied".into()),
            resources: vec![],
        };
        assert_round_trip_all_versions::<DescribeAclsResponse>(&failed, 1..=3, 2);
    }
}
