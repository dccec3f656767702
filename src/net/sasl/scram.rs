//! SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), the client side.
//!
//! ```text
//! client-first  n,,n=<user>,r=<client nonce>
//! server-first  r=<client nonce + server nonce>,s=<salt>,i=<iterations>
//! client-final  c=biws,r=<nonce>,p=<client proof>
//! server-final  v=<server signature>            (or e=<error>)
//! ```
//!
//! The client proves it knows the password without sending it; the server proves, with
//! its signature, that it knows the user's stored credentials. The client checks that
//! signature and refuses a server that gets it wrong: a broker that admits a client
//! whatever it sends must not be trusted just because it said yes (some tansu builds
//! did exactly that).
//!
//! All cryptography comes from RustCrypto crates (`sha2`, `hmac`, `pbkdf2`); the nonce
//! comes from the operating system's random source (`getrandom`). Passwords are used
//! as their UTF-8 bytes, without SASLprep, as Kafka's own client does.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::Mechanism;
use crate::config::security::Secret;
use crate::error::{ErrorKind, KafkaError, Result};

/// Kafka's brokers never store fewer iterations; a server asking for fewer is refused.
const MIN_ITERATIONS: u32 = 4096;
/// Kafka's brokers never store more (`ScramMechanism` allows 4096 to 16384); a server
/// asking for more is refused: a hostile peer could otherwise make the I/O thread
/// spend hours in PBKDF2 with `i=4294967295`.
const MAX_ITERATIONS: u32 = 16384;
/// Random bytes in the client nonce (base64-encoded to 32 characters).
const NONCE_BYTES: usize = 24;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramAlgorithm {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramAlgorithm {
    /// The mechanism name.
    pub fn mechanism(self) -> &'static str {
        match self {
            ScramAlgorithm::Sha256 => "SCRAM-SHA-256",
            ScramAlgorithm::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with HMAC of the mechanism's hash.
    pub(crate) fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramAlgorithm::Sha256 => {
                pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations).to_vec()
            }
            ScramAlgorithm::Sha512 => {
                pbkdf2::pbkdf2_hmac_array::<Sha512, 64>(password, salt, iterations).to_vec()
            }
        }
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so `new_from_slice` cannot fail here; the
        // fallback keeps a library bug from becoming a panic.
        match self {
            ScramAlgorithm::Sha256 => <Hmac<Sha256> as Mac>::new_from_slice(key)
                .map(|mac| mac.chain_update(data).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
            ScramAlgorithm::Sha512 => <Hmac<Sha512> as Mac>::new_from_slice(key)
                .map(|mac| mac.chain_update(data).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    /// Checks `HMAC(key, data) == expected` in constant time.
    fn verify_hmac(self, key: &[u8], data: &[u8], expected: &[u8]) -> bool {
        match self {
            ScramAlgorithm::Sha256 => <Hmac<Sha256> as Mac>::new_from_slice(key)
                .is_ok_and(|mac| mac.chain_update(data).verify_slice(expected).is_ok()),
            ScramAlgorithm::Sha512 => <Hmac<Sha512> as Mac>::new_from_slice(key)
                .is_ok_and(|mac| mac.chain_update(data).verify_slice(expected).is_ok()),
        }
    }

    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            ScramAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Where the exchange is.
enum Step {
    /// Nothing sent yet.
    Start,
    /// client-first sent; waiting for server-first.
    SentClientFirst { client_first_bare: String },
    /// client-final sent; waiting for server-final, whose signature must verify.
    SentClientFinal {
        server_key: Vec<u8>,
        auth_message: String,
    },
    /// The server's signature verified.
    Done,
}

/// The client side of one SCRAM exchange.
pub struct ScramClient {
    algorithm: ScramAlgorithm,
    username: String,
    password: Secret,
    client_nonce: String,
    step: Step,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Start => "start",
            Step::SentClientFirst { .. } => "sent client-first",
            Step::SentClientFinal { .. } => "sent client-final",
            Step::Done => "done",
        };
        f.debug_struct("ScramClient")
            .field("algorithm", &self.algorithm)
            .field("username", &self.username)
            .field("step", &step)
            .finish_non_exhaustive()
    }
}

fn auth_error(message: impl Into<String>) -> KafkaError {
    KafkaError::new(ErrorKind::Authentication, message)
}

impl ScramClient {
    /// A new exchange for `username` with a fresh random nonce.
    pub fn new(algorithm: ScramAlgorithm, username: &str, password: &Secret) -> Result<Self> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| {
            auth_error(format!(
                "cannot draw a SCRAM nonce from the system's random source: {e}"
            ))
        })?;
        Ok(Self::with_nonce(
            algorithm,
            username,
            password,
            &BASE64.encode(nonce),
        ))
    }

    /// A new exchange with a given client nonce (for test vectors).
    pub fn with_nonce(
        algorithm: ScramAlgorithm,
        username: &str,
        password: &Secret,
        client_nonce: &str,
    ) -> Self {
        ScramClient {
            algorithm,
            username: username.to_owned(),
            password: password.clone(),
            client_nonce: client_nonce.to_owned(),
            step: Step::Start,
        }
    }

    /// The client-first message.
    pub fn client_first(&mut self) -> Result<String> {
        if !matches!(self.step, Step::Start) {
            return Err(auth_error("SCRAM client-first sent twice"));
        }
        let client_first_bare = format!(
            "n={},r={}",
            escape_username(&self.username),
            self.client_nonce
        );
        let message = format!("n,,{client_first_bare}");
        self.step = Step::SentClientFirst { client_first_bare };
        Ok(message)
    }

    /// Handles server-first and returns client-final.
    pub fn client_final(&mut self, server_first: &str) -> Result<String> {
        let Step::SentClientFirst { client_first_bare } = &self.step else {
            return Err(auth_error("unexpected SCRAM server-first message"));
        };
        let mechanism = self.algorithm.mechanism();
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for (i, attribute) in server_first.split(',').enumerate() {
            match attribute.split_once('=') {
                Some(("m", _)) if i == 0 => {
                    return Err(auth_error(format!(
                        "the broker asks for a {mechanism} extension this client does not know"
                    )))
                }
                Some(("e", error)) => {
                    return Err(auth_error(format!(
                        "the broker refused {mechanism} authentication: {error}"
                    )))
                }
                Some(("r", value)) => nonce = Some(value),
                Some(("s", value)) => salt = Some(value),
                Some(("i", value)) => iterations = Some(value),
                _ => {}
            }
        }
        let malformed = |what: &str| {
            auth_error(format!(
                "malformed {mechanism} server-first message: {what}"
            ))
        };
        let nonce = nonce.ok_or_else(|| malformed("no nonce"))?;
        if !nonce.starts_with(&self.client_nonce) || nonce.len() <= self.client_nonce.len() {
            return Err(auth_error(format!(
                "the broker's {mechanism} nonce does not extend the client's"
            )));
        }
        let salt = BASE64
            .decode(salt.ok_or_else(|| malformed("no salt"))?)
            .map_err(|_| malformed("the salt is not base64"))?;
        let iterations: u32 = iterations
            .ok_or_else(|| malformed("no iteration count"))?
            .parse()
            .map_err(|_| malformed("the iteration count is not a number"))?;
        if iterations < MIN_ITERATIONS {
            return Err(auth_error(format!(
                "the broker asks for {iterations} {mechanism} iterations; at least {MIN_ITERATIONS} are required"
            )));
        }
        if iterations > MAX_ITERATIONS {
            return Err(auth_error(format!(
                "the broker asks for {iterations} {mechanism} iterations; Kafka allows at most {MAX_ITERATIONS}"
            )));
        }

        let alg = self.algorithm;
        let salted = alg.salted_password(self.password.expose().as_bytes(), &salt, iterations);
        let client_key = alg.hmac(&salted, b"Client Key");
        let stored_key = alg.hash(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_signature = alg.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = alg.hmac(&salted, b"Server Key");
        self.step = Step::SentClientFinal {
            server_key,
            auth_message,
        };
        Ok(format!("{without_proof},p={}", BASE64.encode(proof)))
    }

    /// Checks server-final: the server's signature must be the one its knowledge of
    /// the user's credentials gives.
    pub fn verify_server_final(&mut self, server_final: &str) -> Result<()> {
        let Step::SentClientFinal {
            server_key,
            auth_message,
        } = &self.step
        else {
            return Err(auth_error("unexpected SCRAM server-final message"));
        };
        let mechanism = self.algorithm.mechanism();
        let first = server_final.split(',').next().unwrap_or("");
        let signature = match first.split_once('=') {
            Some(("v", signature)) => signature,
            Some(("e", error)) => {
                return Err(auth_error(format!(
                    "the broker rejected the {mechanism} credentials of user `{}`: {error}",
                    self.username
                )))
            }
            _ => {
                return Err(auth_error(format!(
                    "malformed {mechanism} server-final message"
                )))
            }
        };
        let verified = BASE64.decode(signature).is_ok_and(|signature| {
            self.algorithm
                .verify_hmac(server_key, auth_message.as_bytes(), &signature)
        });
        if !verified {
            return Err(auth_error(format!(
                "the broker's {mechanism} server signature is wrong: it does not hold the \
                 credentials of user `{}`, so it is not trusted",
                self.username
            )));
        }
        self.step = Step::Done;
        Ok(())
    }
}

impl Mechanism for ScramClient {
    fn initial(&mut self) -> Result<Vec<u8>> {
        self.client_first().map(String::into_bytes)
    }

    fn on_server(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>> {
        let text = std::str::from_utf8(message).map_err(|_| {
            auth_error(format!(
                "the broker's {} message is not UTF-8",
                self.algorithm.mechanism()
            ))
        })?;
        match self.step {
            Step::SentClientFirst { .. } => self.client_final(text).map(|m| Some(m.into_bytes())),
            Step::SentClientFinal { .. } => self.verify_server_final(text).map(|()| None),
            Step::Start | Step::Done => Err(auth_error(format!(
                "unexpected {} message from the broker",
                self.algorithm.mechanism()
            ))),
        }
    }
}

/// RFC 5802 `saslname`: `=` and `,` are escaped as `=3D` and `=2C`.
fn escape_username(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677, section 3.
    #[test]
    fn rfc7677_sha256_vector() {
        let mut client = ScramClient::with_nonce(
            ScramAlgorithm::Sha256,
            "user",
            &Secret::new("pencil"),
            "rOprNGfwEbeRWgbNEkqO",
        );
        assert_eq!(
            client.client_first().unwrap(),
            "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let server_first =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        assert_eq!(
            client.client_final(server_first).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        client
            .verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
    }

    /// RFC 7677's exchange, with the server's signature tampered with: refused.
    #[test]
    fn a_wrong_server_signature_is_refused() {
        for bad in [
            "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
            "v=",
            "v=not base64!",
            "",
            "e=invalid-proof",
        ] {
            let mut client = ScramClient::with_nonce(
                ScramAlgorithm::Sha256,
                "user",
                &Secret::new("pencil"),
                "rOprNGfwEbeRWgbNEkqO",
            );
            client.initial().unwrap();
            client
                .on_server(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
                .unwrap();
            let err = client.on_server(bad.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
            assert!(!err.to_string().contains("pencil"));
        }
    }

    /// SCRAM-SHA-512 against values computed with Python's hashlib/hmac (independent
    /// of this code): user "user", password "pencil", salt "W22ZaJ0SNY7soEsUEjb6gQ==",
    /// 4096 iterations, the nonces of RFC 7677.
    #[test]
    fn sha512_exchange() {
        let mut client = ScramClient::with_nonce(
            ScramAlgorithm::Sha512,
            "user",
            &Secret::new("pencil"),
            "rOprNGfwEbeRWgbNEkqO",
        );
        client.initial().unwrap();
        let server_first =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let client_final =
            String::from_utf8(client.on_server(server_first.as_bytes()).unwrap().unwrap()).unwrap();
        assert_eq!(
            client_final,
            format!("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p={SHA512_PROOF}")
        );
        assert_eq!(
            client
                .on_server(format!("v={SHA512_SIGNATURE}").as_bytes())
                .unwrap(),
            None
        );
    }

    const SHA512_PROOF: &str =
        "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==";
    const SHA512_SIGNATURE: &str =
        "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==";

    #[test]
    fn server_first_checks() {
        let fresh = || {
            let mut c = ScramClient::with_nonce(
                ScramAlgorithm::Sha256,
                "user",
                &Secret::new("pencil"),
                "abc",
            );
            c.initial().unwrap();
            c
        };
        for (server_first, expected) in [
            ("r=xyz123,s=QUJD,i=4096", "does not extend"),
            ("r=abc,s=QUJD,i=4096", "does not extend"),
            ("r=abcdef,s=QUJD,i=1000", "at least 4096"),
            ("r=abcdef,s=QUJD,i=4294967295", "at most 16384"),
            ("r=abcdef,s=QUJD,i=16385", "at most 16384"),
            ("r=abcdef,s=***,i=4096", "base64"),
            ("r=abcdef,s=QUJD", "iteration"),
            ("m=ext,r=abcdef,s=QUJD,i=4096", "extension"),
            ("e=unknown-user", "unknown-user"),
        ] {
            let err = fresh().client_final(server_first).unwrap_err();
            assert!(err.to_string().contains(expected), "{server_first}: {err}");
        }
    }

    #[test]
    fn usernames_are_escaped_and_nonces_random() {
        let mut a = ScramClient::new(ScramAlgorithm::Sha512, "a=b,c", &Secret::new("p")).unwrap();
        let b = ScramClient::new(ScramAlgorithm::Sha512, "a=b,c", &Secret::new("p")).unwrap();
        assert_ne!(a.client_nonce, b.client_nonce);
        assert_eq!(a.client_nonce.len(), 32);
        let first = a.client_first().unwrap();
        assert!(first.starts_with("n,,n=a=3Db=2Cc,r="), "{first}");
        assert!(!format!("{a:?}").contains("\"p\""));
    }
}
