//! DescribeUserScramCredentials (key 50): which SCRAM mechanisms each user has
//! credentials for, and their iteration counts (KIP-554). Salts and passwords are never
//! returned.
//!
//! This client speaks version 0, the only one; it is flexible. A null or empty user
//! list describes every user that has credentials. The response has a message-level
//! error and one per user: a named user without credentials fails with
//! RESOURCE_NOT_FOUND, a user named twice with DUPLICATE_RESOURCE. Mechanisms are
//! numbered 1 for SCRAM-SHA-256 and 2 for SCRAM-SHA-512 (0 is unknown).

use crate::message;

message! {
    /// Asks for the SCRAM credentials of some users, or of all.
    pub struct DescribeUserScramCredentialsRequest {
        /// The users to describe, or null/empty to describe all users.
        users: Option<Vec<DescribeUserScramCredentialsRequestUser>> [0..],
    }
}

message! {
    /// One user to describe (spec struct `UserName`).
    pub struct DescribeUserScramCredentialsRequestUser {
        /// The user name.
        name: String [0..],
    }
}

message! {
    /// The credentials of each user described.
    pub struct DescribeUserScramCredentialsResponse {
        /// Throttle time in milliseconds, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0..],
        /// The message-level error code, 0 except for user authorization or infrastructure issues.
        error_code: i16 [0..],
        /// The message-level error message, if any.
        error_message: Option<String> [0..],
        /// The results for descriptions, one per user.
        results: Vec<DescribeUserScramCredentialsResponseResult> [0..],
    }
}

message! {
    /// The credentials of one user.
    pub struct DescribeUserScramCredentialsResponseResult {
        /// The user name.
        user: String [0..],
        /// The user-level error code.
        error_code: i16 [0..],
        /// The user-level error message, if any.
        error_message: Option<String> [0..],
        /// The mechanism and related information associated with the user's SCRAM credentials.
        credential_infos: Vec<DescribeUserScramCredentialsResponseCredentialInfo> [0..],
    }
}

message! {
    /// One SCRAM credential of a user.
    pub struct DescribeUserScramCredentialsResponseCredentialInfo {
        /// The SCRAM mechanism.
        mechanism: i8 [0..],
        /// The number of iterations used in the SCRAM credential.
        iterations: i32 [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn request_golden_bytes() {
        // Version 0 is the lowest, the highest and flexible.
        let req = DescribeUserScramCredentialsRequest {
            users: Some(vec![DescribeUserScramCredentialsRequestUser {
                name: "u".into(),
            }]),
        };
        #[rustfmt::skip]
        assert_golden::<DescribeUserScramCredentialsRequest>(&req, 0, &[
            2,                              // users: 1
            2, b'u',                        //   name
            0,                              //   user tags
            0,                              // tags
        ]);
        let all = DescribeUserScramCredentialsRequest { users: None };
        #[rustfmt::skip]
        assert_golden::<DescribeUserScramCredentialsRequest>(&all, 0, &[
            0,                              // users: null (all users)
            0,                              // tags
        ]);
    }

    #[test]
    fn response_golden_bytes() {
        let resp = DescribeUserScramCredentialsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            results: vec![DescribeUserScramCredentialsResponseResult {
                user: "u".into(),
                error_code: 0,
                error_message: None,
                credential_infos: vec![DescribeUserScramCredentialsResponseCredentialInfo {
                    mechanism: 1,
                    iterations: 4096,
                }],
            }],
        };
        #[rustfmt::skip]
        assert_golden::<DescribeUserScramCredentialsResponse>(&resp, 0, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0,                           // error_code
            0,                              // error_message: null
            2,                              // results: 1
            2, b'u',                        //   user
            0, 0,                           //   error_code
            0,                              //   error_message: null
            2,                              //   credential_infos: 1
            1,                              //     mechanism: SCRAM-SHA-256
            0, 0, 0x10, 0,                  //     iterations: 4096
            0,                              //     credential tags
            0,                              //   result tags
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = DescribeUserScramCredentialsRequest {
            users: Some(vec![
                DescribeUserScramCredentialsRequestUser {
                    name: "alice".into(),
                },
                DescribeUserScramCredentialsRequestUser { name: "bob".into() },
            ]),
        };
        assert_round_trip_all_versions::<DescribeUserScramCredentialsRequest>(&req, 0..=0, 0);
        let all = DescribeUserScramCredentialsRequest { users: None };
        assert_round_trip_all_versions::<DescribeUserScramCredentialsRequest>(&all, 0..=0, 0);

        let resp = DescribeUserScramCredentialsResponse {
            throttle_time_ms: 2,
            error_code: 0,
            error_message: None,
            results: vec![
                DescribeUserScramCredentialsResponseResult {
                    user: "alice".into(),
                    error_code: 0,
                    error_message: None,
                    credential_infos: vec![
                        DescribeUserScramCredentialsResponseCredentialInfo {
                            mechanism: 1,
                            iterations: 4096,
                        },
                        DescribeUserScramCredentialsResponseCredentialInfo {
                            mechanism: 2,
                            iterations: 8192,
                        },
                    ],
                },
                DescribeUserScramCredentialsResponseResult {
                    user: "bob".into(),
                    error_code: 91,
                    error_message: Some(
                        "Attempt to describe a user credential that does not exist: bob".into(),
                    ),
                    credential_infos: vec![],
                },
            ],
        };
        assert_round_trip_all_versions::<DescribeUserScramCredentialsResponse>(&resp, 0..=0, 0);
    }
}
