//! SASL OAUTHBEARER (RFC 7628) with tokens from a user-supplied provider.
//!
//! The client sends one message, `n,,\x01auth=Bearer <token>\x01[key=value\x01]*\x01`.
//! A broker that accepts the token answers with an empty message; one that rejects it
//! answers with a JSON error status, to which the client must reply with a single
//! `\x01` before the broker reports the failure (RFC 7628, section 3.2.3).
//!
//! Tokens come from an [`OAuthBearerTokenProvider`] and are cached: a token is used
//! until 80 % of its lifetime has passed, then a fresh one is asked for, so no
//! connection presents a token about to expire. When the broker sets a session lifetime
//! (KIP-368) the connection re-authenticates before it ends, with the current token.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::Mechanism;
pub use crate::config::security::{OAuthBearerToken, OAuthBearerTokenProvider};
use crate::error::{ErrorKind, KafkaError, Result};

/// Tokens from a provider, cached until 80 % of their lifetime has passed. Shared by
/// all connections of a client.
pub(crate) struct TokenCache {
    provider: Arc<dyn OAuthBearerTokenProvider>,
    cached: Mutex<Option<(OAuthBearerToken, SystemTime)>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

/// The fraction of a token's lifetime after which a new one is fetched (Kafka's
/// `sasl.login.refresh.window.factor` default).
const REFRESH_FACTOR: f64 = 0.8;

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn OAuthBearerTokenProvider>) -> Self {
        TokenCache {
            provider,
            cached: Mutex::new(None),
        }
    }

    /// A token that has not reached its refresh time, fetching one if needed.
    pub(crate) fn current(&self, now: SystemTime) -> Result<OAuthBearerToken> {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, obtained)) = cached.as_ref() {
            if now < refresh_time(*obtained, token.expires_at()) {
                return Ok(token.clone());
            }
        }
        let token = self.provider.token().map_err(|e| {
            KafkaError::new(
                ErrorKind::Authentication,
                format!("the OAUTHBEARER token provider failed: {e}"),
            )
        })?;
        if token.expires_at() <= now {
            return Err(KafkaError::new(
                ErrorKind::Authentication,
                "the OAUTHBEARER token provider returned an expired token",
            ));
        }
        *cached = Some((token.clone(), now));
        Ok(token)
    }
}

fn refresh_time(obtained: SystemTime, expires_at: SystemTime) -> SystemTime {
    let lifetime = expires_at.duration_since(obtained).unwrap_or_default();
    obtained + lifetime.mul_f64(REFRESH_FACTOR)
}

/// The client's OAUTHBEARER message for `token`.
pub fn client_message(token: &OAuthBearerToken) -> Result<Vec<u8>> {
    let value = token.value().expose();
    if !is_b64token(value) {
        // The token itself is not quoted: it is a secret.
        return Err(KafkaError::new(
            ErrorKind::Authentication,
            "the OAUTHBEARER token has characters a bearer token cannot have (RFC 6750 b64token)",
        ));
    }
    let mut message = format!("n,,\x01auth=Bearer {value}\x01");
    for (key, val) in token.extensions() {
        if key.is_empty() || key == "auth" || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(KafkaError::new(
                ErrorKind::Authentication,
                format!("`{key}` cannot be an OAUTHBEARER extension name"),
            ));
        }
        if !val
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) || b" \t\r\n".contains(&b))
        {
            return Err(KafkaError::new(
                ErrorKind::Authentication,
                format!("the value of OAUTHBEARER extension `{key}` has forbidden characters"),
            ));
        }
        message.push_str(&format!("{key}={val}\x01"));
    }
    message.push('\x01');
    Ok(message.into_bytes())
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(value: &str) -> bool {
    let body = value.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The client side of one OAUTHBEARER exchange.
pub(crate) struct OAuthBearer {
    tokens: Arc<TokenCache>,
    /// The broker's error status, once it sent one.
    rejected: Option<String>,
}

impl fmt::Debug for OAuthBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearer")
            .field("rejected", &self.rejected)
            .finish_non_exhaustive()
    }
}

impl OAuthBearer {
    pub(crate) fn new(tokens: Arc<TokenCache>) -> Self {
        OAuthBearer {
            tokens,
            rejected: None,
        }
    }
}

impl Mechanism for OAuthBearer {
    fn initial(&mut self) -> Result<Vec<u8>> {
        let token = self.tokens.current(SystemTime::now())?;
        client_message(&token)
    }

    fn on_server(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(status) = &self.rejected {
            return Err(KafkaError::new(
                ErrorKind::Authentication,
                format!("the broker rejected the OAUTHBEARER token: {status}"),
            ));
        }
        if message.is_empty() {
            return Ok(None);
        }
        // An error status: acknowledge it with a lone %x01 (RFC 7628 section 3.2.3);
        // the broker then fails the exchange, and the status explains why.
        self.rejected = Some(String::from_utf8_lossy(message).into_owned());
        Ok(Some(vec![0x01]))
    }

    fn failure_detail(&self) -> Option<String> {
        self.rejected.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    struct Counting(std::sync::atomic::AtomicU32, Duration);
    impl OAuthBearerTokenProvider for Counting {
        fn token(&self) -> Result<OAuthBearerToken> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(OAuthBearerToken::new(
                format!("tok{n}"),
                SystemTime::now() + self.1,
            ))
        }
    }

    #[test]
    fn message_format() {
        let token = OAuthBearerToken::new("eyJhbGc.eyJzdWI.sig-_~+/==", SystemTime::now())
            .extension("traceId", "abc 123");
        assert_eq!(
            client_message(&token).unwrap(),
            b"n,,\x01auth=Bearer eyJhbGc.eyJzdWI.sig-_~+/==\x01traceId=abc 123\x01\x01"
        );
        let plain = OAuthBearerToken::new("t", SystemTime::now());
        assert_eq!(
            client_message(&plain).unwrap(),
            b"n,,\x01auth=Bearer t\x01\x01"
        );
        for bad in ["", "has space", "a\x01b", "=="] {
            let err = client_message(&OAuthBearerToken::new(bad, SystemTime::now())).unwrap_err();
            assert!(bad.is_empty() || !err.to_string().contains(bad), "{err}");
        }
        assert!(client_message(&plain.clone().extension("auth", "x")).is_err());
        assert!(client_message(&plain.clone().extension("k1", "x")).is_err());
        assert!(client_message(&plain.extension("k", "\x01")).is_err());
        let unsecured = OAuthBearerToken::unsecured("al\"ice", Duration::from_secs(60));
        assert!(client_message(&unsecured).is_ok());
    }

    #[test]
    fn tokens_are_cached_and_refreshed_before_expiry() {
        let provider = Arc::new(Counting(0.into(), Duration::from_secs(100)));
        let cache = TokenCache::new(provider.clone());
        let t0 = SystemTime::now();
        let first = cache.current(t0).unwrap();
        assert_eq!(first.value().expose(), "tok0");
        // Within 80 % of the lifetime: the cached token.
        let again = cache.current(t0 + Duration::from_secs(70)).unwrap();
        assert_eq!(again.value().expose(), "tok0");
        // Past it: a fresh one, although the first has not expired yet.
        let fresh = cache.current(t0 + Duration::from_secs(85)).unwrap();
        assert_eq!(fresh.value().expose(), "tok1");
    }

    #[test]
    fn rejection_is_acknowledged_then_reported() {
        let provider = Arc::new(Counting(0.into(), Duration::from_secs(100)));
        let mut mech = OAuthBearer::new(Arc::new(TokenCache::new(provider)));
        assert_eq!(mech.initial().unwrap(), b"n,,\x01auth=Bearer tok0\x01\x01");
        let status = br#"{"status":"invalid_token"}"#;
        assert_eq!(mech.on_server(status).unwrap(), Some(vec![1]));
        let err = mech.on_server(b"").unwrap_err();
        assert!(err.to_string().contains("invalid_token"), "{err}");
        assert!(!format!("{mech:?}").contains("tok0"));
        let token = OAuthBearerToken::new("secret-token", SystemTime::now());
        assert!(!format!("{token:?}").contains("secret-token"));
    }
}
