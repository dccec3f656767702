//! Security settings: TLS and SASL, in typed form and by their Java/librdkafka names.
//!
//! ```
//! use kafka_sync::config::security::{SaslMechanism, SecurityConfig, SecurityProtocol};
//!
//! // Typed:
//! let security = SecurityConfig::new()
//!     .protocol(SecurityProtocol::SaslSsl)
//!     .ca_location("/etc/kafka/ca.pem")
//!     .sasl(SaslMechanism::ScramSha512, "alice", "secret");
//! assert!(!format!("{security:?}").contains("secret"));
//!
//! // By name, as in a `client.properties` file:
//! let mut security = SecurityConfig::new();
//! security.set("security.protocol", "SASL_SSL").unwrap();
//! security.set("sasl.mechanism", "SCRAM-SHA-256").unwrap();
//! security.set("sasl.username", "alice").unwrap();
//! security.set("sasl.password", "secret").unwrap();
//! assert_eq!(security.protocol, SecurityProtocol::SaslSsl);
//! ```
//!
//! The property names and what they mean here:
//!
//! | name | meaning |
//! | --- | --- |
//! | `security.protocol` | `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT`, `SASL_SSL` |
//! | `ssl.ca.location` | PEM file of the CA certificates to trust (librdkafka's name). When set, only these are trusted; when unset, the system's roots are |
//! | `ssl.truststore.location` | the same, accepted only with `ssl.truststore.type=PEM` (Java's JKS stores cannot be read: convert with `keytool -exportcert -rfc`) |
//! | `ssl.certificate.location` | PEM file of the client certificate (and its chain), for brokers that require client authentication |
//! | `ssl.key.location` | PEM file of the client's private key: PKCS#8, encrypted (`ENCRYPTED PRIVATE KEY`, then `ssl.key.password` is required) or not |
//! | `ssl.key.password` | the password of `ssl.key.location` |
//! | `ssl.keystore.location` | a PKCS#12 file holding the client certificate and key, instead of the two PEM files (librdkafka's meaning; Java's `ssl.keystore.type` must then be `PKCS12`) |
//! | `ssl.keystore.password` | the password of the PKCS#12 file |
//! | `ssl.endpoint.identification.algorithm` | `https` (default): the broker's certificate must name the host (or IP address) the client connects to; `none` (or empty): it need not, which is logged as a warning |
//! | `sasl.mechanism` (also librdkafka's `sasl.mechanisms`) | `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER`; required with the SASL protocols (Java's default, `GSSAPI`, is not supported) |
//! | `sasl.username`, `sasl.password` | the credentials of PLAIN and SCRAM |
//! | `sasl.jaas.config` | Java's form of the same: the `username="..."` and `password="..."` options of a `PlainLoginModule` or `ScramLoginModule` line are read |
//!
//! OAUTHBEARER tokens come from an [`OAuthBearerTokenProvider`] set with
//! [`SecurityConfig::oauthbearer`]; it has no property form.
//!
//! Passwords and tokens are held in [`Secret`]s, whose `Debug` output is `"***"`, and no
//! error message quotes them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{KafkaError, Result};
pub use crate::net::sasl::oauthbearer::{OAuthBearerToken, OAuthBearerTokenProvider};

/// A password or token. `Debug` and `Display` print `***`; [`Secret::expose`] gives the
/// value to the code that must send it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// `security.protocol`: whether connections use TLS, SASL, both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// Plain TCP (the default).
    #[default]
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL authentication over plain TCP.
    SaslPlaintext,
    /// SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Parses the Java name (`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`; any case).
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(SecurityProtocol::Plaintext),
            "SSL" => Ok(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Ok(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Ok(SecurityProtocol::SaslSsl),
            _ => Err(KafkaError::config(
                "security.protocol",
                format!("`{value}` is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
            )),
        }
    }

    /// The Java name.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether connections are encrypted with TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// PLAIN (RFC 4616): user name and password in the clear; use it over TLS only.
    Plain,
    /// SCRAM-SHA-256 (RFC 5802, RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-512 (RFC 5802).
    ScramSha512,
    /// OAUTHBEARER (RFC 7628) with tokens from an [`OAuthBearerTokenProvider`].
    OAuthBearer,
}

impl SaslMechanism {
    /// Parses the mechanism's name (any case).
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
            "OAUTHBEARER" => Ok(SaslMechanism::OAuthBearer),
            "GSSAPI" => Err(KafkaError::config(
                "sasl.mechanism",
                "GSSAPI (Kerberos) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
            )),
            _ => Err(KafkaError::config(
                "sasl.mechanism",
                format!(
                    "`{value}` is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER"
                ),
            )),
        }
    }

    /// The mechanism's name as sent to the broker.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// TLS settings, used when `security.protocol` is `SSL` or `SASL_SSL`.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// `ssl.ca.location`: PEM CA certificates to trust instead of the system's roots.
    pub ca_location: Option<PathBuf>,
    /// `ssl.certificate.location`: PEM client certificate (and chain).
    pub certificate_location: Option<PathBuf>,
    /// `ssl.key.location`: PEM private key of the client certificate.
    pub key_location: Option<PathBuf>,
    /// `ssl.key.password`: password of an encrypted `ssl.key.location`.
    pub key_password: Option<Secret>,
    /// `ssl.keystore.location`: PKCS#12 file with the client certificate and key.
    pub keystore_location: Option<PathBuf>,
    /// `ssl.keystore.password`: password of the PKCS#12 file.
    pub keystore_password: Option<Secret>,
    /// `ssl.endpoint.identification.algorithm`: whether the broker's certificate must
    /// match its host name or IP address. Default `true`; turning it off is logged.
    pub verify_hostname: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            ca_location: None,
            certificate_location: None,
            key_location: None,
            key_password: None,
            keystore_location: None,
            keystore_password: None,
            verify_hostname: true,
        }
    }
}

/// SASL settings, used when `security.protocol` is `SASL_PLAINTEXT` or `SASL_SSL`.
#[derive(Clone, Default)]
pub struct SaslConfig {
    /// `sasl.mechanism`. Required with a SASL protocol.
    pub mechanism: Option<SaslMechanism>,
    /// `sasl.username` (PLAIN and SCRAM).
    pub username: Option<String>,
    /// `sasl.password` (PLAIN and SCRAM).
    pub password: Option<Secret>,
    /// Where OAUTHBEARER tokens come from.
    pub token_provider: Option<Arc<dyn OAuthBearerTokenProvider>>,
}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field(
                "token_provider",
                &self.token_provider.as_ref().map(|_| "<provider>"),
            )
            .finish()
    }
}

/// The security settings of a client: [`SecurityProtocol`], TLS and SASL.
#[derive(Debug, Clone, Default)]
pub struct SecurityConfig {
    /// `security.protocol`. Default `PLAINTEXT`.
    pub protocol: SecurityProtocol,
    /// The TLS settings.
    pub tls: TlsConfig,
    /// The SASL settings.
    pub sasl: SaslConfig,
}

impl SecurityConfig {
    /// Plaintext, no authentication (the default).
    pub fn new() -> Self {
        SecurityConfig::default()
    }

    /// `security.protocol`.
    pub fn protocol(mut self, protocol: SecurityProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// `ssl.ca.location`: trust the CA certificates of this PEM file (only them).
    pub fn ca_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_location = Some(path.into());
        self
    }

    /// `ssl.certificate.location` and `ssl.key.location`: a client certificate and its
    /// private key, both PEM.
    pub fn client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.tls.certificate_location = Some(certificate.into());
        self.tls.key_location = Some(key.into());
        self
    }

    /// `ssl.key.password`: the password of an encrypted PEM private key.
    pub fn key_password(mut self, password: impl Into<Secret>) -> Self {
        self.tls.key_password = Some(password.into());
        self
    }

    /// `ssl.keystore.location` and `ssl.keystore.password`: a PKCS#12 file holding
    /// the client certificate and key.
    pub fn keystore(mut self, path: impl Into<PathBuf>, password: impl Into<Secret>) -> Self {
        self.tls.keystore_location = Some(path.into());
        self.tls.keystore_password = Some(password.into());
        self
    }

    /// `ssl.endpoint.identification.algorithm`: `false` accepts a broker certificate
    /// that names another host. Default `true`. Turning it off is logged as a warning.
    pub fn verify_hostname(mut self, verify: bool) -> Self {
        self.tls.verify_hostname = verify;
        self
    }

    /// `sasl.mechanism`, `sasl.username` and `sasl.password` (PLAIN and SCRAM).
    pub fn sasl(
        mut self,
        mechanism: SaslMechanism,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.sasl.mechanism = Some(mechanism);
        self.sasl.username = Some(username.into());
        self.sasl.password = Some(password.into());
        self
    }

    /// OAUTHBEARER with tokens from `provider`.
    pub fn oauthbearer(mut self, provider: Arc<dyn OAuthBearerTokenProvider>) -> Self {
        self.sasl.mechanism = Some(SaslMechanism::OAuthBearer);
        self.sasl.token_provider = Some(provider);
        self
    }

    /// Sets one setting by its Java/librdkafka name (see the module documentation).
    /// Returns `Ok(false)` if the key is not a security setting. Error messages name the
    /// key and never quote a password.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        let path = || Some(PathBuf::from(value.trim()));
        match key {
            "security.protocol" => self.protocol = SecurityProtocol::parse(value)?,
            "ssl.ca.location" => self.tls.ca_location = path(),
            "ssl.truststore.location" => self.tls.ca_location = path(),
            "ssl.truststore.type" => {
                if !value.trim().eq_ignore_ascii_case("PEM") {
                    return Err(KafkaError::config(
                        key,
                        format!(
                            "`{value}` trust stores cannot be read; use a PEM file \
                             (ssl.truststore.type=PEM or ssl.ca.location)"
                        ),
                    ));
                }
            }
            "ssl.certificate.location" => self.tls.certificate_location = path(),
            "ssl.key.location" => self.tls.key_location = path(),
            "ssl.key.password" => self.tls.key_password = Some(Secret::new(value)),
            "ssl.keystore.location" => self.tls.keystore_location = path(),
            "ssl.keystore.password" => self.tls.keystore_password = Some(Secret::new(value)),
            "ssl.keystore.type" => {
                if !value.trim().eq_ignore_ascii_case("PKCS12") {
                    return Err(KafkaError::config(
                        key,
                        format!("`{value}` key stores cannot be read; use PKCS12"),
                    ));
                }
            }
            "ssl.endpoint.identification.algorithm" => {
                self.tls.verify_hostname = match value.trim().to_ascii_lowercase().as_str() {
                    "https" => true,
                    "" | "none" => false,
                    _ => {
                        return Err(KafkaError::config(
                            key,
                            format!("`{value}` is not `https` or `none`"),
                        ))
                    }
                }
            }
            "sasl.mechanism" | "sasl.mechanisms" => {
                self.sasl.mechanism = Some(SaslMechanism::parse(value)?)
            }
            "sasl.username" => self.sasl.username = Some(value.to_owned()),
            "sasl.password" => self.sasl.password = Some(Secret::new(value)),
            "sasl.jaas.config" => {
                let (username, password) = parse_jaas(value)?;
                self.sasl.username = Some(username);
                self.sasl.password = Some(password);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the settings together; the error names the offending key.
    pub fn validate(&self) -> Result<()> {
        if self.protocol.uses_tls() {
            if !cfg!(feature = "tls") {
                return Err(KafkaError::config(
                    "security.protocol",
                    format!(
                        "{} needs TLS, and this build of kafka-sync has no `tls` feature",
                        self.protocol.name()
                    ),
                ));
            }
            let tls = &self.tls;
            if tls.certificate_location.is_some() != tls.key_location.is_some() {
                return Err(KafkaError::config(
                    "ssl.certificate.location",
                    "a client certificate needs its key (ssl.key.location) and a key needs its certificate",
                ));
            }
            if tls.keystore_location.is_some() && tls.certificate_location.is_some() {
                return Err(KafkaError::config(
                    "ssl.keystore.location",
                    "give the client certificate either as a PKCS#12 key store or as PEM files, not both",
                ));
            }
        }
        if self.protocol.uses_sasl() {
            let Some(mechanism) = self.sasl.mechanism else {
                return Err(KafkaError::config(
                    "sasl.mechanism",
                    format!(
                        "{} needs a mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                        self.protocol.name()
                    ),
                ));
            };
            match mechanism {
                SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                    if self.sasl.username.as_deref().is_none_or(str::is_empty) {
                        return Err(KafkaError::config(
                            "sasl.username",
                            format!("{mechanism} needs a user name"),
                        ));
                    }
                    if self.sasl.password.is_none() {
                        return Err(KafkaError::config(
                            "sasl.password",
                            format!("{mechanism} needs a password"),
                        ));
                    }
                }
                SaslMechanism::OAuthBearer => {
                    if self.sasl.token_provider.is_none() {
                        return Err(KafkaError::config(
                            "sasl.mechanism",
                            "OAUTHBEARER needs a token provider (SecurityConfig::oauthbearer)",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Reads `username="..."` and `password="..."` out of a JAAS line such as
/// `org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";`.
fn parse_jaas(value: &str) -> Result<(String, Secret)> {
    const KEY: &str = "sasl.jaas.config";
    let mut username = None;
    let mut password = None;
    let mut rest = value;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        let after = &rest[eq + 1..];
        let (option, tail) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => {
                    return Err(KafkaError::config(KEY, "an option's quote is not closed"));
                }
            },
            None => {
                let end = after
                    .find(|c: char| c.is_whitespace() || c == ';')
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        match name {
            "username" => username = Some(option.to_owned()),
            "password" => password = Some(Secret::new(option)),
            _ => {}
        }
        rest = tail;
    }
    match (username, password) {
        (Some(u), Some(p)) => Ok((u, p)),
        _ => Err(KafkaError::config(
            KEY,
            "expected a PlainLoginModule or ScramLoginModule line with username=\"...\" and password=\"...\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_names() {
        let mut s = SecurityConfig::new();
        assert!(s.set("security.protocol", "sasl_ssl").unwrap());
        assert!(s.set("ssl.ca.location", "/ca.pem").unwrap());
        assert!(s.set("ssl.endpoint.identification.algorithm", "").unwrap());
        assert!(!s.tls.verify_hostname);
        assert!(s.set("sasl.mechanisms", "scram-sha-512").unwrap());
        assert!(!s.set("linger.ms", "5").unwrap());
        assert_eq!(s.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(s.sasl.mechanism, Some(SaslMechanism::ScramSha512));
        assert_eq!(
            s.tls.ca_location.as_deref(),
            Some(std::path::Path::new("/ca.pem"))
        );
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("sasl.username"), "{err}");
        s.set("sasl.username", "alice").unwrap();
        s.set("sasl.password", "pw-123").unwrap();
        s.validate().unwrap();

        let err = s.set("sasl.mechanism", "GSSAPI").unwrap_err();
        assert!(err.to_string().contains("Kerberos"), "{err}");
        assert!(s.set("security.protocol", "TLS").is_err());
        assert!(s.set("ssl.keystore.type", "JKS").is_err());
        assert!(s.set("ssl.endpoint.identification.algorithm", "x").is_err());
    }

    #[test]
    fn jaas_line() {
        let mut s = SecurityConfig::new();
        s.set(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="p=w d";"#,
        )
        .unwrap();
        assert_eq!(s.sasl.username.as_deref(), Some("bob"));
        assert_eq!(s.sasl.password.as_ref().map(Secret::expose), Some("p=w d"));
        let err = s
            .set(
                "sasl.jaas.config",
                "PlainLoginModule required password=\"hunter2\";",
            )
            .unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = SecurityConfig::new()
            .protocol(SecurityProtocol::SaslSsl)
            .sasl(SaslMechanism::Plain, "alice", "hunter2")
            .keystore("/ks.p12", "storepass-9")
            .key_password("keypass-7");
        let text = format!("{s:?} {s:#?}");
        for secret in ["hunter2", "storepass-9", "keypass-7"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("alice"), "{text}");
    }

    #[test]
    fn certificate_needs_key() {
        let mut s = SecurityConfig::new().protocol(SecurityProtocol::Ssl);
        s.tls.certificate_location = Some("/c.pem".into());
        if cfg!(feature = "tls") {
            let err = s.validate().unwrap_err();
            assert!(err.to_string().contains("ssl.key.location"), "{err}");
        }
    }
}
