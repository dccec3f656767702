//! SCRAM users (KIP-554): `describe_user_scram_credentials` (which mechanisms each
//! user has credentials for, and their iteration counts) and
//! `alter_user_scram_credentials` (upsertions and deletions).
//!
//! As in Java's `Admin` client, the client derives the salted password itself, from a
//! random salt and `Hi(password, salt, iterations)` (RFC 5802: PBKDF2 with HMAC-SHA-256
//! or HMAC-SHA-512), so the password never travels; `Debug` never prints it. Requests
//! go to any broker, which forwards them to the controller.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::admin::{ScramMechanism, UserScramCredentialAlteration};
//! use kafka_sync::{AdminConfig, KafkaAdminClient};
//!
//! let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
//! let timeout = Duration::from_secs(10);
//! let results = admin.alter_user_scram_credentials(
//!     &[UserScramCredentialAlteration::upsert(
//!         "carol",
//!         ScramMechanism::ScramSha512,
//!         8192,
//!         "carol-secret",
//!     )],
//!     timeout,
//! )?;
//! results[0].clone()?;
//! let users = admin.describe_user_scram_credentials(Some(&["carol"]), timeout)?;
//! for info in users["carol"].as_ref().map_err(Clone::clone)? {
//!     println!("{} with {} iterations", info.mechanism, info.iterations);
//! }
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use super::routing::send_to_any_or;
use super::{item_result, KafkaAdminClient};
use crate::config::security::Secret;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::net::sasl::scram::ScramAlgorithm;
use crate::protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsRequestDeletion,
    AlterUserScramCredentialsRequestUpsertion, DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsRequestUser,
};

/// Random bytes in a salt the client draws.
const SALT_BYTES: usize = 32;
/// Kafka's most iterations (`ScramMechanism`); more would be refused by the broker
/// after the client had spent unbounded time in PBKDF2, so they fail at once.
const MAX_ITERATIONS: i32 = 16384;

/// A SCRAM mechanism (Kafka's `ScramMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScramMechanism {
    /// A code this client does not know; never valid in a request.
    Unknown,
    /// SCRAM-SHA-256.
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
}

impl ScramMechanism {
    /// The wire code: 0 unknown, 1 SCRAM-SHA-256, 2 SCRAM-SHA-512.
    pub fn code(self) -> i8 {
        match self {
            ScramMechanism::Unknown => 0,
            ScramMechanism::ScramSha256 => 1,
            ScramMechanism::ScramSha512 => 2,
        }
    }

    /// The mechanism of wire code `code` (`Unknown` for a code this client does not
    /// know).
    pub fn from_code(code: i8) -> Self {
        match code {
            1 => ScramMechanism::ScramSha256,
            2 => ScramMechanism::ScramSha512,
            _ => ScramMechanism::Unknown,
        }
    }

    /// The SASL mechanism name, `SCRAM-SHA-256` or `SCRAM-SHA-512` (`UNKNOWN`).
    pub fn mechanism_name(self) -> &'static str {
        match self {
            ScramMechanism::Unknown => "UNKNOWN",
            ScramMechanism::ScramSha256 => "SCRAM-SHA-256",
            ScramMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    fn algorithm(self) -> Option<ScramAlgorithm> {
        match self {
            ScramMechanism::Unknown => None,
            ScramMechanism::ScramSha256 => Some(ScramAlgorithm::Sha256),
            ScramMechanism::ScramSha512 => Some(ScramAlgorithm::Sha512),
        }
    }
}

impl fmt::Display for ScramMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mechanism_name())
    }
}

/// One SCRAM credential of a user: its mechanism and iteration count (salts and keys
/// are never returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScramCredentialInfo {
    /// The mechanism.
    pub mechanism: ScramMechanism,
    /// The PBKDF2 iteration count (Kafka accepts 4096 to 16384).
    pub iterations: i32,
}

impl ScramCredentialInfo {
    /// A credential of `mechanism` with `iterations` iterations.
    pub fn new(mechanism: ScramMechanism, iterations: i32) -> Self {
        ScramCredentialInfo {
            mechanism,
            iterations,
        }
    }
}

/// Creates or replaces a user's credential of one mechanism. `Debug` never shows the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserScramCredentialUpsertion {
    /// The user name.
    pub user: String,
    /// The mechanism and iteration count.
    pub info: ScramCredentialInfo,
    password: Secret,
    salt: Option<Vec<u8>>,
}

impl UserScramCredentialUpsertion {
    /// The credential `info` for `user` with `password` (salted with a fresh random
    /// salt when sent).
    pub fn new(user: impl Into<String>, info: ScramCredentialInfo, password: &str) -> Self {
        UserScramCredentialUpsertion {
            user: user.into(),
            info,
            password: Secret::new(password),
            salt: None,
        }
    }

    /// Uses `salt` instead of a random one (Java's constructor with a salt).
    pub fn with_salt(mut self, salt: impl Into<Vec<u8>>) -> Self {
        self.salt = Some(salt.into());
        self
    }

    /// `Hi(password, salt, iterations)` for the salt given, or a fresh random one:
    /// (salt, salted password).
    fn salted(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let algorithm = self.info.mechanism.algorithm().ok_or_else(|| {
            KafkaError::invalid_argument(format!(
                "SCRAM credential of user `{}`: unknown SCRAM mechanism",
                self.user
            ))
        })?;
        let iterations = u32::try_from(self.info.iterations)
            .ok()
            .filter(|&i| i >= 1 && self.info.iterations <= MAX_ITERATIONS)
            .ok_or_else(|| {
                KafkaError::invalid_argument(format!(
                    "SCRAM credential of user `{}`: {} iterations; Kafka accepts 4096 to \
                     {MAX_ITERATIONS}",
                    self.user, self.info.iterations
                ))
            })?;
        if self.password.expose().is_empty() {
            return Err(KafkaError::invalid_argument(format!(
                "SCRAM credential of user `{}`: the password must not be empty",
                self.user
            )));
        }
        let salt = match &self.salt {
            Some(salt) => salt.clone(),
            None => {
                let mut salt = vec![0u8; SALT_BYTES];
                getrandom::fill(&mut salt).map_err(|e| {
                    KafkaError::new(
                        ErrorKind::Config,
                        format!("cannot draw a SCRAM salt from the system's random source: {e}"),
                    )
                })?;
                salt
            }
        };
        let salted =
            algorithm.salted_password(self.password.expose().as_bytes(), &salt, iterations);
        Ok((salt, salted))
    }
}

impl fmt::Debug for UserScramCredentialUpsertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserScramCredentialUpsertion")
            .field("user", &self.user)
            .field("info", &self.info)
            .field("password", &"(hidden)")
            .field("salt", &self.salt.as_ref().map_or("random", |_| "given"))
            .finish()
    }
}

/// Removes a user's credential of one mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserScramCredentialDeletion {
    /// The user name.
    pub user: String,
    /// The mechanism whose credential goes.
    pub mechanism: ScramMechanism,
}

impl UserScramCredentialDeletion {
    /// Deletes `user`'s credential of `mechanism`.
    pub fn new(user: impl Into<String>, mechanism: ScramMechanism) -> Self {
        UserScramCredentialDeletion {
            user: user.into(),
            mechanism,
        }
    }
}

/// One change of [`alter_user_scram_credentials`](KafkaAdminClient::alter_user_scram_credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserScramCredentialAlteration {
    /// Create or replace a credential.
    Upsertion(UserScramCredentialUpsertion),
    /// Remove a credential.
    Deletion(UserScramCredentialDeletion),
}

impl UserScramCredentialAlteration {
    /// Creates or replaces `user`'s credential of `mechanism`: `password` salted with
    /// `iterations` iterations (4096 to 16384) and a random salt.
    pub fn upsert(
        user: impl Into<String>,
        mechanism: ScramMechanism,
        iterations: i32,
        password: &str,
    ) -> Self {
        UserScramCredentialAlteration::Upsertion(UserScramCredentialUpsertion::new(
            user,
            ScramCredentialInfo::new(mechanism, iterations),
            password,
        ))
    }

    /// Removes `user`'s credential of `mechanism`.
    pub fn delete(user: impl Into<String>, mechanism: ScramMechanism) -> Self {
        UserScramCredentialAlteration::Deletion(UserScramCredentialDeletion::new(user, mechanism))
    }

    /// The user it changes.
    pub fn user(&self) -> &str {
        match self {
            UserScramCredentialAlteration::Upsertion(u) => &u.user,
            UserScramCredentialAlteration::Deletion(d) => &d.user,
        }
    }
}

impl From<UserScramCredentialUpsertion> for UserScramCredentialAlteration {
    fn from(u: UserScramCredentialUpsertion) -> Self {
        UserScramCredentialAlteration::Upsertion(u)
    }
}

impl From<UserScramCredentialDeletion> for UserScramCredentialAlteration {
    fn from(d: UserScramCredentialDeletion) -> Self {
        UserScramCredentialAlteration::Deletion(d)
    }
}

/// The request for `alterations`, and the error of each user that cannot be sent
/// (none of that user's alterations are, as in Java: no partial set for a user).
fn alteration_request(
    alterations: &[UserScramCredentialAlteration],
) -> (
    AlterUserScramCredentialsRequest,
    BTreeMap<String, KafkaError>,
) {
    let mut refused: BTreeMap<String, KafkaError> = BTreeMap::new();
    let mut request = AlterUserScramCredentialsRequest {
        deletions: Vec::new(),
        upsertions: Vec::new(),
    };
    for alteration in alterations {
        let user = alteration.user();
        if refused.contains_key(user) {
            continue;
        }
        let checked = if user.is_empty() {
            Err(KafkaError::invalid_argument(
                "a SCRAM credential's user name must not be empty",
            ))
        } else {
            match alteration {
                UserScramCredentialAlteration::Upsertion(u) => u.salted().map(|(salt, salted)| {
                    request
                        .upsertions
                        .push(AlterUserScramCredentialsRequestUpsertion {
                            name: u.user.clone(),
                            mechanism: u.info.mechanism.code(),
                            iterations: u.info.iterations,
                            salt: Bytes::from(salt),
                            salted_password: Bytes::from(salted),
                        });
                }),
                UserScramCredentialAlteration::Deletion(d) => {
                    if d.mechanism == ScramMechanism::Unknown {
                        Err(KafkaError::invalid_argument(format!(
                            "deleting a SCRAM credential of user `{}`: unknown SCRAM mechanism",
                            d.user
                        )))
                    } else {
                        request
                            .deletions
                            .push(AlterUserScramCredentialsRequestDeletion {
                                name: d.user.clone(),
                                mechanism: d.mechanism.code(),
                            });
                        Ok(())
                    }
                }
            }
        };
        if let Err(e) = checked {
            refused.insert(user.to_owned(), e);
        }
    }
    request
        .upsertions
        .retain(|u| !refused.contains_key(&u.name));
    request.deletions.retain(|d| !refused.contains_key(&d.name));
    (request, refused)
}

impl KafkaAdminClient {
    /// The SCRAM credentials of `users` (`None` or empty: of every user that has
    /// some), by user: the mechanisms and iteration counts. A named user without
    /// credentials fails alone with RESOURCE_NOT_FOUND.
    pub fn describe_user_scram_credentials(
        &self,
        users: Option<&[&str]>,
        timeout: Duration,
    ) -> Result<BTreeMap<String, Result<Vec<ScramCredentialInfo>>>> {
        let deadline = crate::time::deadline_in(timeout);
        let named = users.unwrap_or_default();
        let request = DescribeUserScramCredentialsRequest {
            users: (!named.is_empty()).then(|| {
                named
                    .iter()
                    .map(|&name| DescribeUserScramCredentialsRequestUser {
                        name: name.to_owned(),
                    })
                    .collect()
            }),
        };
        let response =
            self.with_client(|client| send_to_any_or(client, None, &request, deadline))?;
        item_result(
            response.error_code,
            response.error_message.as_deref(),
            "describing SCRAM credentials",
        )?;
        let mut results = BTreeMap::new();
        for r in &response.results {
            let context = format!("the SCRAM credentials of user `{}`", r.user);
            let result =
                item_result(r.error_code, r.error_message.as_deref(), &context).map(|()| {
                    r.credential_infos
                        .iter()
                        .map(|c| {
                            ScramCredentialInfo::new(
                                ScramMechanism::from_code(c.mechanism),
                                c.iterations,
                            )
                        })
                        .collect()
                });
            results.insert(r.user.clone(), result);
        }
        for &name in named {
            results.entry(name.to_owned()).or_insert_with(|| {
                Err(KafkaError::new(
                    ErrorKind::UnexpectedResponse,
                    format!("the broker's answer did not mention user `{name}`"),
                ))
            });
        }
        Ok(results)
    }

    /// Applies `alterations` (upsertions and deletions of SCRAM credentials); one
    /// result per alteration, in order. The broker answers per user, so every
    /// alteration of a user gets that user's result. An alteration the client cannot
    /// send (an empty user name or password, an unknown mechanism, fewer than one or
    /// more than 16384 iterations) fails its user's alterations, which are not sent;
    /// the broker judges the rest (UNACCEPTABLE_CREDENTIAL for fewer than 4096
    /// iterations, RESOURCE_NOT_FOUND for deleting a credential that does not exist).
    ///
    /// KRaft controllers take at most one alteration per user in a request: two of one
    /// user, even of different mechanisms, fail with DUPLICATE_RESOURCE and neither is
    /// applied. Give a user both mechanisms with two calls.
    pub fn alter_user_scram_credentials(
        &self,
        alterations: &[UserScramCredentialAlteration],
        timeout: Duration,
    ) -> Result<Vec<Result<()>>> {
        let deadline = crate::time::deadline_in(timeout);
        let (request, refused) = alteration_request(alterations);
        let mut by_user: BTreeMap<String, Result<()>> = BTreeMap::new();
        if !request.upsertions.is_empty() || !request.deletions.is_empty() {
            let response =
                self.with_client(|client| send_to_any_or(client, None, &request, deadline))?;
            for r in &response.results {
                let context = format!("altering the SCRAM credentials of user `{}`", r.user);
                by_user.insert(
                    r.user.clone(),
                    item_result(r.error_code, r.error_message.as_deref(), &context),
                );
            }
        }
        Ok(alterations
            .iter()
            .map(|a| {
                let user = a.user();
                if let Some(e) = refused.get(user) {
                    return Err(e.clone());
                }
                by_user.get(user).cloned().unwrap_or_else(|| {
                    Err(KafkaError::new(
                        ErrorKind::UnexpectedResponse,
                        format!("the broker's answer did not mention user `{user}`"),
                    ))
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;

    use super::*;

    #[test]
    fn mechanism_codes_both_ways() {
        for (mechanism, code, name) in [
            (ScramMechanism::Unknown, 0, "UNKNOWN"),
            (ScramMechanism::ScramSha256, 1, "SCRAM-SHA-256"),
            (ScramMechanism::ScramSha512, 2, "SCRAM-SHA-512"),
        ] {
            assert_eq!(mechanism.code(), code);
            assert_eq!(ScramMechanism::from_code(code), mechanism);
            assert_eq!(mechanism.to_string(), name);
        }
        assert_eq!(ScramMechanism::from_code(3), ScramMechanism::Unknown);
        assert_eq!(ScramMechanism::from_code(-1), ScramMechanism::Unknown);
    }

    const RFC_SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const RFC_NONCE: &str = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

    /// The RFC 7677 exchange's AuthMessage.
    fn auth_message() -> String {
        format!(
            "n=user,r=rOprNGfwEbeRWgbNEkqO,r={RFC_NONCE},s={RFC_SALT},i=4096,c=biws,r={RFC_NONCE}"
        )
    }

    /// (ClientProof, ServerSignature) that `salted` implies for the RFC's exchange.
    fn proof_and_signature(alg: ScramAlgorithm, salted: &[u8]) -> (String, String) {
        let client_key = alg.hmac(salted, b"Client Key");
        let stored_key = alg.hash(&client_key);
        let client_signature = alg.hmac(&stored_key, auth_message().as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = alg.hmac(salted, b"Server Key");
        let server_signature = alg.hmac(&server_key, auth_message().as_bytes());
        (BASE64.encode(proof), BASE64.encode(server_signature))
    }

    fn salted_for(mechanism: ScramMechanism) -> (Vec<u8>, Vec<u8>) {
        let salt = BASE64.decode(RFC_SALT).unwrap();
        UserScramCredentialUpsertion::new(
            "user",
            ScramCredentialInfo::new(mechanism, 4096),
            "pencil",
        )
        .with_salt(salt)
        .salted()
        .unwrap()
    }

    /// RFC 7677 section 3: user "user", password "pencil", this salt, 4096 iterations.
    /// The salted password the upsertion derives must give the RFC's ClientProof and
    /// ServerSignature (so the broker's StoredKey and ServerKey are the RFC's).
    #[test]
    fn salted_password_matches_rfc7677() {
        let (salt, salted) = salted_for(ScramMechanism::ScramSha256);
        assert_eq!(BASE64.encode(&salt), RFC_SALT);
        let (proof, signature) = proof_and_signature(ScramAlgorithm::Sha256, &salted);
        assert_eq!(proof, "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assert_eq!(signature, "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        // The same, as Python's hashlib.pbkdf2_hmac computes it.
        assert_eq!(
            hex(&salted),
            "c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d"
        );
    }

    /// SCRAM-SHA-512 with the RFC 7677 inputs, against values computed with Python's
    /// hashlib and hmac (the ones `net::sasl::scram`'s tests use too).
    #[test]
    fn salted_password_sha512() {
        let (_, salted) = salted_for(ScramMechanism::ScramSha512);
        assert_eq!(
            hex(&salted),
            "f16efe1be67f1d09502ebd5ed9262fddffba5a377ab4f0b687e5ed5ba0f50686\
             b8a4ae166476da8ab3b951d2fa9238b63998f45461bc33a464814949cec9631d"
        );
        let (proof, signature) = proof_and_signature(ScramAlgorithm::Sha512, &salted);
        assert_eq!(
            proof,
            "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ=="
        );
        assert_eq!(
            signature,
            "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw=="
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn salts_are_random() {
        let upsertion = UserScramCredentialUpsertion::new(
            "u",
            ScramCredentialInfo::new(ScramMechanism::ScramSha256, 4096),
            "p",
        );
        let (salt_a, salted_a) = upsertion.salted().unwrap();
        let (salt_b, salted_b) = upsertion.salted().unwrap();
        assert_eq!(salt_a.len(), SALT_BYTES);
        assert_ne!(salt_a, salt_b);
        assert_ne!(salted_a, salted_b);
        assert_eq!(salted_a.len(), 32);
    }

    #[test]
    fn debug_never_shows_a_password() {
        let secret = "hunter2-very-secret";
        let alterations = [
            UserScramCredentialAlteration::upsert("u", ScramMechanism::ScramSha512, 4096, secret),
            UserScramCredentialUpsertion::new(
                "v",
                ScramCredentialInfo::new(ScramMechanism::ScramSha256, 4096),
                secret,
            )
            .with_salt(b"salt".to_vec())
            .into(),
            UserScramCredentialAlteration::delete("w", ScramMechanism::ScramSha256),
        ];
        let shown = format!("{alterations:?} {alterations:#?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(
            shown.contains("(hidden)") && shown.contains("\"u\""),
            "{shown}"
        );
        let (request, _) = alteration_request(&alterations);
        assert!(!format!("{request:?}").contains(secret));
    }

    #[test]
    fn invalid_alterations_fail_their_user_alone() {
        let alterations = [
            UserScramCredentialAlteration::upsert("ok", ScramMechanism::ScramSha256, 4096, "p"),
            UserScramCredentialAlteration::upsert("bad", ScramMechanism::ScramSha256, 4096, "p"),
            UserScramCredentialAlteration::upsert("bad", ScramMechanism::Unknown, 4096, "p"),
            UserScramCredentialAlteration::delete("ok", ScramMechanism::ScramSha512),
            UserScramCredentialAlteration::upsert("empty", ScramMechanism::ScramSha256, 4096, ""),
            UserScramCredentialAlteration::upsert("many", ScramMechanism::ScramSha512, 16385, "p"),
            UserScramCredentialAlteration::upsert("none", ScramMechanism::ScramSha512, 0, "p"),
            UserScramCredentialAlteration::delete("gone", ScramMechanism::Unknown),
            UserScramCredentialAlteration::delete("", ScramMechanism::ScramSha256),
            // Too few for Kafka, but cheap: the broker judges it.
            UserScramCredentialAlteration::upsert("few", ScramMechanism::ScramSha256, 100, "p"),
        ];
        let (request, refused) = alteration_request(&alterations);
        let refused_users: Vec<&str> = refused.keys().map(String::as_str).collect();
        assert_eq!(refused_users, ["", "bad", "empty", "gone", "many", "none"]);
        assert!(refused
            .values()
            .all(|e| e.kind() == ErrorKind::InvalidArgument));
        let upserted: Vec<(&str, i8, i32)> = request
            .upsertions
            .iter()
            .map(|u| (u.name.as_str(), u.mechanism, u.iterations))
            .collect();
        assert_eq!(upserted, [("ok", 1, 4096), ("few", 1, 100)]);
        assert!(request
            .upsertions
            .iter()
            .all(|u| u.salt.len() == SALT_BYTES));
        assert_eq!(request.upsertions[0].salted_password.len(), 32);
        let deleted: Vec<(&str, i8)> = request
            .deletions
            .iter()
            .map(|d| (d.name.as_str(), d.mechanism))
            .collect();
        assert_eq!(deleted, [("ok", 2)]);
    }
}
