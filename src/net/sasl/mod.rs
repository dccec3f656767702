//! SASL authentication: the mechanisms' client sides, sans I/O.
//!
//! The connection's handshake (`super::handshake`) carries their messages: in
//! SaslAuthenticate requests after a SaslHandshake v1 (KIP-152), or as raw size-prefixed
//! frames after a SaslHandshake v0 (the legacy exchange of brokers older than 1.0). A
//! mechanism only turns server messages into client messages.

pub mod oauthbearer;
pub mod plain;
pub mod scram;

use std::fmt;
use std::sync::Arc;

use crate::config::security::{SaslConfig, SaslMechanism, Secret};
use crate::error::{KafkaError, Result};
use oauthbearer::TokenCache;
use scram::{ScramAlgorithm, ScramClient};

/// The client side of one SASL exchange. Every mechanism Kafka uses starts with a
/// client message, and each server message is answered by the next client message,
/// until the mechanism is satisfied.
pub(crate) trait Mechanism: Send + fmt::Debug {
    /// The first client message.
    fn initial(&mut self) -> Result<Vec<u8>>;

    /// Handles a server message: the next client message, or `None` when the exchange
    /// is complete (and, for SCRAM, the server proved itself).
    fn on_server(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>>;

    /// What the server said when it rejected the client, if the mechanism carries that
    /// (OAUTHBEARER's error status).
    fn failure_detail(&self) -> Option<String> {
        None
    }
}

/// The SASL settings every connection of a client shares.
pub(crate) struct SaslSettings {
    mechanism: SaslMechanism,
    username: String,
    password: Secret,
    tokens: Option<Arc<TokenCache>>,
}

impl fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslSettings")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SaslSettings {
    /// The settings of a validated [`SaslConfig`].
    pub(crate) fn new(config: &SaslConfig) -> Result<Self> {
        let mechanism = config.mechanism.ok_or_else(|| {
            KafkaError::config("sasl.mechanism", "a SASL protocol needs a mechanism")
        })?;
        Ok(SaslSettings {
            mechanism,
            username: config.username.clone().unwrap_or_default(),
            password: config.password.clone().unwrap_or_default(),
            tokens: config
                .token_provider
                .as_ref()
                .map(|p| Arc::new(TokenCache::new(Arc::clone(p)))),
        })
    }

    /// The mechanism.
    pub(crate) fn mechanism(&self) -> SaslMechanism {
        self.mechanism
    }

    /// Who authenticates, for messages: the user name, or "an OAUTHBEARER token".
    pub(crate) fn principal(&self) -> String {
        match self.mechanism {
            SaslMechanism::OAuthBearer => "an OAUTHBEARER token".to_owned(),
            _ => format!("user `{}`", self.username),
        }
    }

    /// A new exchange.
    pub(crate) fn start(&self) -> Result<Box<dyn Mechanism>> {
        Ok(match self.mechanism {
            SaslMechanism::Plain => Box::new(plain::Plain::new(&self.username, &self.password)),
            SaslMechanism::ScramSha256 => Box::new(ScramClient::new(
                ScramAlgorithm::Sha256,
                &self.username,
                &self.password,
            )?),
            SaslMechanism::ScramSha512 => Box::new(ScramClient::new(
                ScramAlgorithm::Sha512,
                &self.username,
                &self.password,
            )?),
            SaslMechanism::OAuthBearer => {
                let tokens = self.tokens.as_ref().ok_or_else(|| {
                    KafkaError::config(
                        "sasl.mechanism",
                        "OAUTHBEARER needs a token provider (SecurityConfig::oauthbearer)",
                    )
                })?;
                Box::new(oauthbearer::OAuthBearer::new(Arc::clone(tokens)))
            }
        })
    }
}
