//! DeleteAcls (key 31): removes every ACL matching each of several filters, and returns
//! the ACLs removed.
//!
//! This client speaks versions 1 to 3 (Kafka 4.0 removed version 0). Version 1 adds
//! the pattern type filter and each ACL's pattern type (KIP-290); version 2 is the
//! first flexible one; version 3 adds the user resource type. The response has one
//! result per filter, in request order, each with its own error code, and each matching
//! ACL with its own error code too; the codes are listed in
//! [`create_acls`](super::create_acls).

use crate::message;

message! {
    /// Deletes the ACLs matching some filters.
    pub struct DeleteAclsRequest {
        /// The filters to use when deleting ACLs.
        filters: Vec<DeleteAclsRequestFilter> [0..],
    }
}

message! {
    /// One filter of ACLs to delete.
    pub struct DeleteAclsRequestFilter {
        /// The resource type.
        resource_type_filter: i8 [0..],
        /// The resource name, or `None` to match any.
        resource_name_filter: Option<String> [0..],
        /// The pattern type (1 any, 2 match, 3 literal, 4 prefixed).
        pattern_type_filter: i8 [1..] = 3,
        /// The principal filter, or `None` to accept all principals.
        principal_filter: Option<String> [0..],
        /// The host filter, or `None` to accept all hosts.
        host_filter: Option<String> [0..],
        /// The ACL operation.
        operation: i8 [0..],
        /// The permission type.
        permission_type: i8 [0..],
    }
}

message! {
    /// The outcome of a DeleteAcls request.
    pub struct DeleteAclsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The results for each filter.
        filter_results: Vec<DeleteAclsResponseFilterResult> [0..],
    }
}

message! {
    /// The outcome for one filter.
    pub struct DeleteAclsResponseFilterResult {
        /// The error code, or 0 if the filter succeeded.
        error_code: i16 [0..],
        /// The error message, or `None` if the filter succeeded.
        error_message: Option<String> [0..],
        /// The ACLs which matched this filter.
        matching_acls: Vec<DeleteAclsResponseMatchingAcl> [0..],
    }
}

message! {
    /// One ACL that matched a filter.
    pub struct DeleteAclsResponseMatchingAcl {
        /// The deletion error code, or 0 if the deletion succeeded.
        error_code: i16 [0..],
        /// The deletion error message, or `None` if the deletion succeeded.
        error_message: Option<String> [0..],
        /// The ACL resource type.
        resource_type: i8 [0..],
        /// The ACL resource name.
        resource_name: String [0..],
        /// The ACL resource pattern type.
        pattern_type: i8 [1..] = 3,
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

    fn request() -> DeleteAclsRequest {
        DeleteAclsRequest {
            filters: vec![DeleteAclsRequestFilter {
                resource_type_filter: 2,
                resource_name_filter: Some("t".into()),
                pattern_type_filter: 3,
                principal_filter: None,
                host_filter: None,
                operation: 1,
                permission_type: 1,
            }],
        }
    }

    fn response() -> DeleteAclsResponse {
        DeleteAclsResponse {
            throttle_time_ms: 0,
            filter_results: vec![DeleteAclsResponseFilterResult {
                error_code: 0,
                error_message: None,
                matching_acls: vec![DeleteAclsResponseMatchingAcl {
                    error_code: 0,
                    error_message: None,
                    resource_type: 2,
                    resource_name: "t".into(),
                    pattern_type: 3,
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
        assert_golden::<DeleteAclsRequest>(&request(), 1, &[
            0, 0, 0, 1,                     // filters: 1
            2,                              //   resource_type_filter: topic
            0, 1, b't',                     //   resource_name_filter
            3,                              //   pattern_type_filter: literal
            0xff, 0xff,                     //   principal_filter: null
            0xff, 0xff,                     //   host_filter: null
            1,                              //   operation: any
            1,                              //   permission_type: any
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteAclsRequest>(&request(), 2, &[
            2,                              // filters: 1
            2,                              //   resource_type_filter: topic
            2, b't',                        //   resource_name_filter
            3,                              //   pattern_type_filter: literal
            0,                              //   principal_filter: null
            0,                              //   host_filter: null
            1,                              //   operation: any
            1,                              //   permission_type: any
            0,                              //   filter tags
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DeleteAclsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // filter_results: 1
            0, 0,                           //   error_code
            0xff, 0xff,                     //   error_message: null
            0, 0, 0, 1,                     //   matching_acls: 1
            0, 0,                           //     error_code
            0xff, 0xff,                     //     error_message: null
            2,                              //     resource_type: topic
            0, 1, b't',                     //     resource_name
            3,                              //     pattern_type: literal
            0, 6, b'U', b's', b'e', b'r', b':', b'a', // principal
            0, 1, b'*',                     //     host
            3,                              //     operation: read
            3,                              //     permission_type: allow
        ]);
        #[rustfmt::skip]
        assert_golden::<DeleteAclsResponse>(&response(), 2, &[
            0, 0, 0, 0,                     // throttle_time_ms
            2,                              // filter_results: 1
            0, 0,                           //   error_code
            0,                              //   error_message: null
            2,                              //   matching_acls: 1
            0, 0,                           //     error_code
            0,                              //     error_message: null
            2,                              //     resource_type: topic
            2, b't',                        //     resource_name
            3,                              //     pattern_type: literal
            7, b'U', b's', b'e', b'r', b':', b'a', // principal
            2, b'*',                        //     host
            3,                              //     operation: read
            3,                              //     permission_type: allow
            0,                              //     acl tags
            0,                              //   filter result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let mut req = request();
        req.filters.push(DeleteAclsRequestFilter {
            resource_type_filter: 1,
            resource_name_filter: None,
            pattern_type_filter: 1,
            principal_filter: Some("User:bob".into()),
            host_filter: Some("*".into()),
            operation: 4,
            permission_type: 2,
        });
        assert_round_trip_all_versions::<DeleteAclsRequest>(&req, 1..=3, 2);

        let mut resp = response();
        resp.throttle_time_ms = 2;
        resp.filter_results[0].matching_acls[0].error_code = 31;
        resp.filter_results[0].matching_acls[0].error_message = Some("denied".into());
        resp.filter_results.push(DeleteAclsResponseFilterResult {
            error_code: 54,
            error_message: Some("no authorizer".into()),
            matching_acls: vec![],
        });
        assert_round_trip_all_versions::<DeleteAclsResponse>(&resp, 1..=3, 2);
    }
}
