//! SASL PLAIN (RFC 4616): one client message, `authzid NUL authcid NUL passwd`.
//!
//! Kafka sends no authorization id, so the message is `NUL user NUL password`. The
//! password travels in the clear: use PLAIN over TLS (`SASL_SSL`) only.

use std::fmt;

use super::Mechanism;
use crate::config::security::Secret;
use crate::error::{ErrorKind, KafkaError, Result};

/// The PLAIN message for `username` and `password` (no authorization id).
pub fn client_message(username: &str, password: &Secret) -> Result<Vec<u8>> {
    if username.contains('\0') || password.expose().contains('\0') {
        return Err(KafkaError::new(
            ErrorKind::Authentication,
            "PLAIN user names and passwords cannot contain NUL characters",
        ));
    }
    let mut message = Vec::with_capacity(2 + username.len() + password.expose().len());
    message.push(0);
    message.extend_from_slice(username.as_bytes());
    message.push(0);
    message.extend_from_slice(password.expose().as_bytes());
    Ok(message)
}

/// The client side of a PLAIN exchange.
pub(crate) struct Plain {
    username: String,
    password: Secret,
}

impl Plain {
    pub(crate) fn new(username: &str, password: &Secret) -> Self {
        Plain {
            username: username.to_owned(),
            password: password.clone(),
        }
    }
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plain")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Mechanism for Plain {
    fn initial(&mut self) -> Result<Vec<u8>> {
        client_message(&self.username, &self.password)
    }

    fn on_server(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>> {
        // The broker answers the one message with an empty token; anything else is a
        // protocol error, not a challenge PLAIN could answer.
        if message.is_empty() {
            Ok(None)
        } else {
            Err(KafkaError::new(
                ErrorKind::Authentication,
                "the broker sent a PLAIN challenge; PLAIN has none",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_format() {
        let message = client_message("alice", &Secret::new("pw")).unwrap();
        assert_eq!(message, b"\0alice\0pw");
        let mut plain = Plain::new("alice", &Secret::new("pw"));
        assert_eq!(plain.initial().unwrap(), b"\0alice\0pw");
        assert_eq!(plain.on_server(b"").unwrap(), None);
        assert!(plain.on_server(b"x").is_err());
        assert!(client_message("a\0b", &Secret::new("pw")).is_err());
        assert!(!format!("{plain:?}").contains("pw"));
    }
}
