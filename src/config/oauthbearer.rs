//! The OAUTHBEARER token and where tokens come from: what a user configures. The SASL
//! exchange that sends them is `net::sasl::oauthbearer`, which imports these types.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine as _;

use super::security::Secret;
use crate::error::Result;

/// An OAuth 2 bearer token and what the client needs to know about it.
#[derive(Clone)]
pub struct OAuthBearerToken {
    value: Secret,
    expires_at: SystemTime,
    extensions: Vec<(String, String)>,
}

impl fmt::Debug for OAuthBearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearerToken")
            .field("value", &self.value)
            .field("expires_at", &self.expires_at)
            .field("extensions", &self.extensions)
            .finish()
    }
}

impl OAuthBearerToken {
    /// A token (the compact JWS or opaque string an authorization server issued) that
    /// expires at `expires_at`.
    pub fn new(value: impl Into<Secret>, expires_at: SystemTime) -> Self {
        OAuthBearerToken {
            value: value.into(),
            expires_at,
            extensions: Vec::new(),
        }
    }

    /// An unsecured JWT (`alg: none`) naming `principal`, valid for `lifetime`: what
    /// Kafka's default, test-only OAUTHBEARER validator accepts. Never use it against a
    /// production cluster.
    pub fn unsecured(principal: &str, lifetime: Duration) -> Self {
        let now = SystemTime::now();
        let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let exp = iat + lifetime.as_secs().max(1);
        let header = BASE64URL.encode(br#"{"alg":"none"}"#);
        let claims = format!(
            r#"{{"iat":{iat},"exp":{exp},"sub":"{}"}}"#,
            json_escape(principal)
        );
        let payload = BASE64URL.encode(claims);
        OAuthBearerToken::new(
            format!("{header}.{payload}."),
            UNIX_EPOCH + Duration::from_secs(exp),
        )
    }

    /// Adds a SASL extension (RFC 7628 section 3.1), sent with the token.
    pub fn extension(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extensions.push((key.into(), value.into()));
        self
    }

    /// The token itself. Never log it.
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// When the token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The SASL extensions sent with the token.
    pub(crate) fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }
}

/// Where OAUTHBEARER tokens come from: an authorization server, a file a sidecar
/// refreshes, a test fixture.
///
/// `token` is called on a network thread when a connection authenticates and no cached
/// token is fresh; it may block (a token request over HTTP), which holds up that
/// client's I/O meanwhile, so keep it within a few seconds. Its error fails the
/// connection attempt with [`ErrorKind::Authentication`](crate::ErrorKind); the attempt
/// is retried after the reconnect back-off.
///
/// ```
/// use std::time::Duration;
/// use kafka_sync::config::security::{OAuthBearerToken, OAuthBearerTokenProvider};
///
/// struct Fixed;
/// impl OAuthBearerTokenProvider for Fixed {
///     fn token(&self) -> kafka_sync::Result<OAuthBearerToken> {
///         Ok(OAuthBearerToken::unsecured("alice", Duration::from_secs(3600)))
///     }
/// }
/// ```
pub trait OAuthBearerTokenProvider: Send + Sync {
    /// A valid token.
    fn token(&self) -> Result<OAuthBearerToken>;
}

fn json_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsecured_token_claims() {
        let token = OAuthBearerToken::unsecured("al\"ice", Duration::from_secs(60));
        let parts: Vec<&str> = token.value().expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        assert_eq!(BASE64URL.decode(parts[0]).unwrap(), br#"{"alg":"none"}"#);
        let claims = String::from_utf8(BASE64URL.decode(parts[1]).unwrap()).unwrap();
        assert!(claims.contains(r#""sub":"al\"ice""#), "{claims}");
    }
}
