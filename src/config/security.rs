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
//! | `ssl.truststore.location` | the same (Java's name): a PEM file, or a PKCS#12 file with `ssl.truststore.type=PKCS12`. JKS trust stores cannot be read: the error says how to convert them to PKCS#12 |
//! | `ssl.truststore.type` | `PEM` (the default) or `PKCS12`: every certificate of a PKCS#12 trust store (made with `keytool -importcert -storetype PKCS12`, say) is trusted, except one that belongs to a private key in it. `JKS` is refused with the `keytool -importkeystore ... -deststoretype PKCS12` command that converts the store. A `.jks` `ssl.truststore.location` without a type is refused too (Java's default type is JKS) |
//! | `ssl.truststore.password` | the password of a PKCS#12 trust store (without it, one without a password is read). As in Java, a PEM trust store takes no password: one given with it is an error |
//! | `ssl.certificate.location` | PEM file of the client certificate (and its chain), for brokers that require client authentication |
//! | `ssl.key.location` | PEM file of the client's private key: PKCS#8, encrypted (`ENCRYPTED PRIVATE KEY`, then `ssl.key.password` is required) or not |
//! | `ssl.key.password` | the password of `ssl.key.location` |
//! | `ssl.keystore.location` | a PKCS#12 file holding the client certificate and key, instead of the two PEM files (librdkafka's meaning; Java's `ssl.keystore.type` must then be `PKCS12` if given) |
//! | `ssl.keystore.type` | `PKCS12`; `JKS` (and a `.jks` `ssl.keystore.location` without a type, Java's default type being JKS) is refused with the `keytool -importkeystore ... -deststoretype PKCS12` command that converts it |
//! | `ssl.keystore.password` | the password of the PKCS#12 file |
//! | `ssl.endpoint.identification.algorithm` | `https` (default): the broker's certificate must name the host (or IP address) the client connects to; `none` (or empty): it need not, which is logged as a warning |
//! | `sasl.mechanism` (also librdkafka's `sasl.mechanisms`) | `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER`; required with the SASL protocols (Java's default, `GSSAPI`, is not supported) |
//! | `sasl.username`, `sasl.password` | the credentials of PLAIN and SCRAM |
//! | `sasl.jaas.config` | Java's form of the same: the `username` and `password` options of a `PlainLoginModule` or `ScramLoginModule` line are read. Values may be in double or single quotes (`username='a' password="b"`), with Java's backslash escapes (`\"`, `\'`, `\\`, `\n`, ...) inside either; an `OAuthBearerLoginModule` line is accepted and its options left to the token provider |
//!
//! Whether TLS files hold what their keys say is checked by
//! [`validate`](SecurityConfig::validate) where it can be seen at once: a JKS store
//! (its magic number, whatever its name) is refused with the command that converts it,
//! and a binary (DER or PKCS#12) file given as a PEM trust store is refused with the
//! `ssl.truststore.type=PKCS12` that reads it. PKCS#12 trust stores need OpenSSL: on
//! macOS, iOS and Windows, whose TLS libraries cannot read them, they are refused
//! with the `openssl pkcs12 -nokeys` command that exports them as PEM. The Java
//! keys for inline PEM (`ssl.truststore.certificates`, `ssl.keystore.key`,
//! `ssl.keystore.certificate.chain`) and `ssl.engine.factory.class` are errors: ignoring
//! them would change what is trusted or presented. Java TLS tuning keys
//! (`ssl.protocol`, `ssl.enabled.protocols`, `ssl.cipher.suites`, ...), Kerberos and
//! token endpoint keys are accepted and ignored (see [the config
//! module](super#keys-a-config-does-not-use)).
//!
//! OAUTHBEARER tokens come from an [`OAuthBearerTokenProvider`] set with
//! [`SecurityConfig::oauthbearer`]; it has no property form.
//!
//! Passwords and tokens are held in [`Secret`]s, whose `Debug` output is `"***"`, and no
//! error message quotes them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::oauthbearer::{OAuthBearerToken, OAuthBearerTokenProvider};
use crate::error::{KafkaError, Result};

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
    /// `ssl.ca.location` or `ssl.truststore.location`: the CA certificates to trust
    /// instead of the system's roots: a PEM file, or a PKCS#12 file if
    /// [`truststore_type`](Self::truststore_type) is `PKCS12`.
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
    /// `ssl.keystore.type` as given (only `PKCS12` is accepted); `None` if not given,
    /// which a `.jks` `ssl.keystore.location` does not allow.
    pub keystore_type: Option<String>,
    /// `ssl.truststore.type` in capitals, `PEM` or `PKCS12`; `None` if not given,
    /// which means PEM and which a `.jks` `ssl.truststore.location` does not allow.
    pub truststore_type: Option<String>,
    /// `ssl.truststore.password`: password of a PKCS#12 trust store.
    pub truststore_password: Option<Secret>,
}

impl TlsConfig {
    /// Whether [`ca_location`](Self::ca_location) is a PKCS#12 trust store
    /// (`ssl.truststore.type=PKCS12`) rather than a PEM file.
    pub fn truststore_is_pkcs12(&self) -> bool {
        self.truststore_type.as_deref() == Some("PKCS12")
    }
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
            keystore_type: None,
            truststore_type: None,
            truststore_password: None,
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

    /// `ssl.truststore.location`, `ssl.truststore.type=PKCS12` and
    /// `ssl.truststore.password`: trust the certificates of this PKCS#12 trust store
    /// (only them), as made by `keytool -importcert -storetype PKCS12`.
    pub fn truststore(mut self, path: impl Into<PathBuf>, password: impl Into<Secret>) -> Self {
        self.tls.ca_location = Some(path.into());
        self.tls.truststore_type = Some("PKCS12".to_owned());
        self.tls.truststore_password = Some(password.into());
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
                self.tls.truststore_type = Some(parse_truststore_type(
                    value,
                    self.tls.ca_location.as_deref(),
                )?)
            }
            "ssl.truststore.password" => self.tls.truststore_password = Some(Secret::new(value)),
            "ssl.certificate.location" => self.tls.certificate_location = path(),
            "ssl.key.location" => self.tls.key_location = path(),
            "ssl.key.password" => self.tls.key_password = Some(Secret::new(value)),
            "ssl.keystore.location" => self.tls.keystore_location = path(),
            "ssl.keystore.password" => self.tls.keystore_password = Some(Secret::new(value)),
            "ssl.keystore.type" => {
                let kind = value.trim().to_ascii_uppercase();
                if kind != "PKCS12" {
                    let how = match kind.as_str() {
                        "JKS" | "JCEKS" => {
                            keystore_conversion(self.tls.keystore_location.as_deref())
                        }
                        "PEM" => "give a PEM key and certificate as ssl.key.location and \
                                  ssl.certificate.location"
                            .to_owned(),
                        _ => "use a PKCS#12 key store".to_owned(),
                    };
                    return Err(KafkaError::config(
                        key,
                        format!("`{}` key stores cannot be read; {how}", value.trim()),
                    ));
                }
                self.tls.keystore_type = Some(kind);
            }
            "ssl.truststore.certificates" => {
                return Err(KafkaError::config(
                    key,
                    "certificates inline in the configuration are not supported; put them in \
                     a PEM file and give it as ssl.truststore.location with \
                     ssl.truststore.type=PEM",
                ))
            }
            "ssl.keystore.key" | "ssl.keystore.certificate.chain" => {
                return Err(KafkaError::config(
                    key,
                    "keys and certificates inline in the configuration are not supported; put \
                     them in PEM files and give them as ssl.key.location and \
                     ssl.certificate.location",
                ))
            }
            "ssl.engine.factory.class" => {
                return Err(KafkaError::config(
                    key,
                    "a Java TLS engine cannot be used; TLS is the platform's library, set up \
                     with the ssl.* keys",
                ))
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
                if let Some((username, password)) = parse_jaas(value)? {
                    self.sasl.username = Some(username);
                    self.sasl.password = Some(password);
                }
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
            check_store_files(tls)?;
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

/// Refuses JKS stores and binary trust stores before the TLS library sees them, with
/// the command that converts them: a `.jks` location without a type (Java's default
/// type is JKS), and a file whose first bytes say JKS, JCEKS or DER whatever its name.
/// Files that cannot be read are left to the TLS set-up, whose error names them.
fn check_store_files(tls: &TlsConfig) -> Result<()> {
    let is_jks_name = |path: &Path| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jks"))
    };
    if let Some(path) = &tls.keystore_location {
        let kind = file_kind(path);
        if kind == FileKind::Jks || (tls.keystore_type.is_none() && is_jks_name(path)) {
            return Err(KafkaError::config(
                "ssl.keystore.location",
                format!(
                    "{} is a JKS key store, which cannot be read; {}",
                    path.display(),
                    keystore_conversion(Some(path))
                ),
            ));
        }
    }
    if let Some(path) = &tls.ca_location {
        let kind = file_kind(path);
        if kind == FileKind::Jks || (tls.truststore_type.is_none() && is_jks_name(path)) {
            return Err(KafkaError::config(
                "ssl.truststore.location",
                format!(
                    "{} is a JKS trust store, which cannot be read; {}",
                    path.display(),
                    truststore_conversion("JKS", Some(path))
                ),
            ));
        }
        if kind == FileKind::Der && !tls.truststore_is_pkcs12() {
            return Err(KafkaError::config(
                "ssl.truststore.location",
                format!(
                    "{} is binary (a PKCS#12 trust store or a DER certificate), not PEM; for \
                     PKCS#12 set ssl.truststore.type=PKCS12 (and ssl.truststore.password), \
                     for one DER certificate convert it with `openssl x509 -inform der -in {} \
                     -out ca.pem`",
                    path.display(),
                    path.display()
                ),
            ));
        }
    }
    // Java refuses a password for a PEM trust store ("SSL trust store password cannot
    // be specified for PEM format"): it means the store is not what the type says.
    if !tls.truststore_is_pkcs12()
        && tls
            .truststore_password
            .as_ref()
            .is_some_and(|p| !p.expose().is_empty())
    {
        return Err(KafkaError::config(
            "ssl.truststore.password",
            "a PEM trust store has no password: remove ssl.truststore.password, or set \
             ssl.truststore.type=PKCS12 if the trust store is PKCS#12",
        ));
    }
    Ok(())
}

/// Parses `ssl.truststore.type`: `PEM` or `PKCS12` (any case), returned in capitals.
/// JKS (and JCEKS) is refused with the command that converts the store at `location`
/// (if known yet) to PKCS#12.
fn parse_truststore_type(value: &str, location: Option<&Path>) -> Result<String> {
    let kind = value.trim().to_ascii_uppercase();
    match kind.as_str() {
        "PEM" | "PKCS12" => Ok(kind),
        _ => Err(KafkaError::config(
            "ssl.truststore.type",
            format!(
                "`{}` trust stores cannot be read; {}",
                value.trim(),
                truststore_conversion(&kind, location)
            ),
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum FileKind {
    /// JKS or JCEKS (Java's own formats).
    Jks,
    /// DER: PKCS#12, or a certificate.
    Der,
    /// Anything else, or unreadable.
    Other,
}

/// What a store file's first bytes say it is.
fn file_kind(path: &Path) -> FileKind {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    match (read, magic) {
        (Ok(()), [0xFE, 0xED, 0xFE, 0xED] | [0xCE, 0xCE, 0xCE, 0xCE]) => FileKind::Jks,
        (Ok(()), [0x30, 0x80..=0x84, ..]) => FileKind::Der,
        _ => FileKind::Other,
    }
}

/// How to turn a JKS key store into the PKCS#12 file this client reads.
fn keystore_conversion(path: Option<&Path>) -> String {
    let source = path.map_or("client.keystore.jks".into(), |p| p.display().to_string());
    let target = with_extension(&source, "p12");
    format!(
        "convert it to PKCS#12 with `keytool -importkeystore -srckeystore {source} \
         -destkeystore {target} -deststoretype PKCS12` and set \
         ssl.keystore.location={target} and ssl.keystore.type=PKCS12"
    )
}

/// How to turn a trust store of type `kind` into one this client reads: a JKS store
/// into PKCS#12.
fn truststore_conversion(kind: &str, path: Option<&Path>) -> String {
    match kind {
        "JKS" | "JCEKS" => {
            let source = path.map_or("client.truststore.jks".into(), |p| p.display().to_string());
            let target = with_extension(&source, "p12");
            format!(
                "convert it to PKCS#12 with `keytool -importkeystore -srckeystore {source} \
                 -destkeystore {target} -deststoretype PKCS12` and set \
                 ssl.truststore.location={target}, ssl.truststore.type=PKCS12 and its \
                 ssl.truststore.password"
            )
        }
        _ => "use a PKCS#12 (ssl.truststore.type=PKCS12) or PEM (ssl.truststore.type=PEM) \
              trust store"
            .to_owned(),
    }
}

/// `path` with its extension replaced (or added).
fn with_extension(path: &str, extension: &str) -> String {
    Path::new(path)
        .with_extension(extension)
        .display()
        .to_string()
}

/// A `sasl.jaas.config` line: `LoginModuleClass flag option=value ... ;`.
#[derive(Debug)]
struct JaasLine {
    module: String,
    options: Vec<(String, String)>,
}

impl JaasLine {
    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a JAAS line as Java's `JaasConfig` does: one login module, a control flag
/// (`required`, `requisite`, `sufficient`, `optional`), then `key=value` options up to
/// a `;`. Values are bare words or quoted with `"` or `'`, and in quotes a backslash
/// escapes the next character as in Java's `StreamTokenizer` (`\"`, `\'`, `\\`, `\n`,
/// `\t`, octal `\123`, ...). Errors name option keys, never values.
fn parse_jaas_line(text: &str) -> Result<JaasLine> {
    const KEY: &str = "sasl.jaas.config";
    let error = |why: String| KafkaError::config(KEY, why);
    let mut chars = text.chars().peekable();
    let skip_blanks = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
    };
    let word = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, stop_at_equals: bool| {
        let mut word = String::new();
        while let Some(c) = chars.next_if(|&c| {
            !c.is_whitespace()
                && c != ';'
                && !(stop_at_equals && (c == '=' || c == '"' || c == '\''))
        }) {
            word.push(c);
        }
        word
    };
    skip_blanks(&mut chars);
    let module = word(&mut chars, true);
    if module.is_empty() {
        return Err(error("no login module (expected e.g. `org.apache.kafka.common.security.plain.PlainLoginModule required username=\"...\" password=\"...\";`)".into()));
    }
    skip_blanks(&mut chars);
    let flag = word(&mut chars, true);
    if !["required", "requisite", "sufficient", "optional"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(&flag))
    {
        return Err(error(format!(
            "`{module}` needs a control flag (required, requisite, sufficient or optional) \
             before its options"
        )));
    }
    let mut options = Vec::new();
    loop {
        skip_blanks(&mut chars);
        match chars.peek() {
            None => break,
            Some(';') => {
                chars.next();
                skip_blanks(&mut chars);
                if chars.peek().is_some() {
                    return Err(error("give exactly one login module, ended by `;`".into()));
                }
                break;
            }
            Some(_) => {}
        }
        let name = word(&mut chars, true);
        if name.is_empty() {
            return Err(error(format!(
                "expected an option name after `{}`",
                options
                    .last()
                    .map_or(module.as_str(), |(k, _): &(String, String)| k.as_str())
            )));
        }
        skip_blanks(&mut chars);
        if chars.next_if_eq(&'=').is_none() {
            return Err(error(format!("option `{name}` has no `=value`")));
        }
        skip_blanks(&mut chars);
        let value = match chars.next_if(|&c| c == '"' || c == '\'') {
            Some(quote) => quoted(&mut chars, quote)
                .ok_or_else(|| error(format!("the quote of option `{name}` is not closed")))?,
            None => {
                let value = word(&mut chars, false);
                if value.is_empty() {
                    return Err(error(format!("option `{name}` has no value")));
                }
                value
            }
        };
        options.push((name, value));
    }
    Ok(JaasLine { module, options })
}

/// The rest of a quoted JAAS value after its opening `quote`, with escapes resolved;
/// `None` if the quote is not closed.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, quote: char) -> Option<String> {
    let mut value = String::new();
    loop {
        let c = chars.next()?;
        if c == quote {
            return Some(value);
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let escaped = chars.next()?;
        value.push(match escaped {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '0'..='7' => {
                // Up to three octal digits, the first of three at most 3 (as Java).
                let mut code = escaped.to_digit(8).unwrap_or(0);
                let max_digits = if escaped <= '3' { 3 } else { 2 };
                for _ in 1..max_digits {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            code = code * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            other => other,
        });
    }
}

/// The user name and password of a JAAS line, or `None` for an
/// `OAuthBearerLoginModule` line (whose tokens come from a provider).
fn parse_jaas(value: &str) -> Result<Option<(String, Secret)>> {
    let line = parse_jaas_line(value)?;
    match (line.option("username"), line.option("password")) {
        (Some(user), Some(password)) => Ok(Some((user.to_owned(), Secret::new(password)))),
        _ if line.module.ends_with("OAuthBearerLoginModule") => Ok(None),
        (user, _) => Err(KafkaError::config(
            "sasl.jaas.config",
            format!(
                "`{}` has no {} option: expected a PlainLoginModule or ScramLoginModule line \
                 with username=\"...\" and password=\"...\"",
                line.module,
                if user.is_none() {
                    "username"
                } else {
                    "password"
                }
            ),
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

    /// The user name and password `set("sasl.jaas.config", line)` takes from `line`.
    fn credentials(line: &str) -> (String, String) {
        let mut s = SecurityConfig::new();
        s.set("sasl.jaas.config", line).unwrap();
        (
            s.sasl.username.clone().expect("a user name"),
            s.sasl
                .password
                .as_ref()
                .expect("a password")
                .expose()
                .to_owned(),
        )
    }

    #[test]
    fn jaas_values_in_single_and_double_quotes() {
        const PLAIN: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
        const SCRAM: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";
        // Confluent Cloud's generated files use single quotes.
        let (user, password) = credentials(&format!(
            "{PLAIN} required username='ABCDEFGH12345678' password='s3cr+t/Key==';"
        ));
        assert_eq!(user, "ABCDEFGH12345678");
        assert_eq!(password, "s3cr+t/Key==");
        // Mixed quotes, the other quote inside each, no spaces around `=`, a flag in
        // capitals, and the options in either order.
        let (user, password) = credentials(&format!(
            "{SCRAM}  REQUIRED\tpassword = \"it's\"\n   username='say \"hi\"' ;  "
        ));
        assert_eq!(user, r#"say "hi""#);
        assert_eq!(password, "it's");
        // Escapes inside double and single quotes, as Java's StreamTokenizer reads them.
        let (user, password) = credentials(&format!(
            r#"{PLAIN} required username="a\"b\\c" password='d\'e\tf\101';"#
        ));
        assert_eq!(user, r#"a"b\c"#);
        assert_eq!(password, "d'e\tfA");
        // `;` and `=` inside quotes are part of the value; bare words end at blanks.
        let (user, password) = credentials(&format!(
            r#"{PLAIN} required username=bob password="p;w=d x";"#
        ));
        assert_eq!(user, "bob");
        assert_eq!(password, "p;w=d x");
        // Other options (SCRAM's tokenauth) are read past; no final `;` is tolerated.
        let (user, password) = credentials(&format!(
            r#"{SCRAM} required tokenauth="false" username="u" password="p""#
        ));
        assert_eq!((user.as_str(), password.as_str()), ("u", "p"));
        // Empty quoted values are values.
        let (user, password) =
            credentials(&format!(r#"{PLAIN} required username="" password='';"#));
        assert_eq!((user.as_str(), password.as_str()), ("", ""));
    }

    #[test]
    fn jaas_lines_java_refuses_are_errors_that_show_no_secret() {
        const PLAIN: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
        for (line, expected) in [
            (
                format!("{PLAIN} required username=\"u\" password=\"hunter2;"),
                "not closed",
            ),
            (
                format!("{PLAIN} required username='u' password='hunter2\\';"),
                "not closed",
            ),
            (
                format!("{PLAIN} username=\"u\" password=\"hunter2\";"),
                "control flag",
            ),
            (
                format!("{PLAIN} required username=\"u\" password;"),
                "`password`",
            ),
            (
                format!("{PLAIN} required username=\"u\" password=;"),
                "`password`",
            ),
            (
                format!("{PLAIN} required password=\"hunter2\";"),
                "username",
            ),
            (format!("{PLAIN} required username=\"u\";"), "password"),
            (
                format!("{PLAIN} required username=\"u\" password=\"hunter2\"; {PLAIN} required;"),
                "exactly one",
            ),
            ("".to_owned(), "no login module"),
        ] {
            let mut s = SecurityConfig::new();
            let err = s.set("sasl.jaas.config", &line).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.contains("sasl.jaas.config"), "{line}: {text}");
            assert!(text.contains(expected), "{line}: {text}");
            assert!(!text.contains("hunter2"), "{line}: {text}");
            assert!(s.sasl.password.is_none(), "{line}");
        }
        // An OAUTHBEARER line is accepted: its options are for Java's token callback,
        // and the token comes from a provider here.
        let mut s = SecurityConfig::new();
        s.set(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
             clientId='id' clientSecret='secret';",
        )
        .unwrap();
        assert!(s.sasl.username.is_none() && s.sasl.password.is_none());
    }

    #[test]
    fn jks_stores_are_refused_with_the_conversion_command() {
        let mut s = SecurityConfig::new();
        s.set("ssl.keystore.location", "/etc/kafka/client.keystore.jks")
            .unwrap();
        let err = s.set("ssl.keystore.type", "JKS").unwrap_err().to_string();
        assert!(err.contains("ssl.keystore.type"), "{err}");
        assert!(
            err.contains(
                "keytool -importkeystore -srckeystore /etc/kafka/client.keystore.jks \
                 -destkeystore /etc/kafka/client.keystore.p12 -deststoretype PKCS12"
            ),
            "{err}"
        );
        s.set(
            "ssl.truststore.location",
            "/etc/kafka/client.truststore.jks",
        )
        .unwrap();
        let err = s.set("ssl.truststore.type", "jks").unwrap_err().to_string();
        assert!(err.contains("ssl.truststore.type"), "{err}");
        assert!(
            err.contains(
                "keytool -importkeystore -srckeystore /etc/kafka/client.truststore.jks \
                 -destkeystore /etc/kafka/client.truststore.p12 -deststoretype PKCS12"
            ),
            "{err}"
        );
        assert!(err.contains("ssl.truststore.type=PKCS12"), "{err}");
        assert!(s.tls.truststore_type.is_none());

        // A `.jks` location without a type: Java's default type is JKS.
        if cfg!(feature = "tls") {
            let mut s = SecurityConfig::new().protocol(SecurityProtocol::Ssl);
            s.set(
                "ssl.truststore.location",
                "/etc/kafka/client.truststore.jks",
            )
            .unwrap();
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("ssl.truststore.location"), "{err}");
            assert!(
                err.contains(
                    "keytool -importkeystore -srckeystore /etc/kafka/client.truststore.jks \
                     -destkeystore /etc/kafka/client.truststore.p12 -deststoretype PKCS12"
                ),
                "{err}"
            );
            let mut s = SecurityConfig::new().protocol(SecurityProtocol::Ssl);
            s.set("ssl.keystore.location", "/etc/kafka/client.keystore.jks")
                .unwrap();
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("ssl.keystore.location"), "{err}");
            assert!(err.contains("-deststoretype PKCS12"), "{err}");
            // Given as PKCS12 (a converted store that kept its name), it is taken.
            s.set("ssl.keystore.type", "PKCS12").unwrap();
            s.validate().unwrap();
        }
    }

    #[test]
    fn store_files_are_recognised_by_their_first_bytes() {
        let dir = std::env::temp_dir().join(format!("kafka-sync-stores-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jks = dir.join("client.p12");
        std::fs::write(&jks, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).unwrap();
        let der = dir.join("ca.pem");
        std::fs::write(&der, [0x30, 0x82, 0x01, 0x00, 0x02]).unwrap();
        let pem = dir.join("real.pem");
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
        assert_eq!(file_kind(&jks), FileKind::Jks);
        assert_eq!(file_kind(&der), FileKind::Der);
        assert_eq!(file_kind(&pem), FileKind::Other);
        assert_eq!(file_kind(&dir.join("missing")), FileKind::Other);
        if cfg!(feature = "tls") {
            // A JKS file named .p12 and typed PKCS12 is still JKS.
            let s = SecurityConfig::new()
                .protocol(SecurityProtocol::Ssl)
                .keystore(&jks, "pw");
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("JKS key store"), "{err}");
            assert!(err.contains("keytool -importkeystore"), "{err}");
            // A binary trust store given as PEM.
            let s = SecurityConfig::new()
                .protocol(SecurityProtocol::Ssl)
                .ca_location(&der);
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("not PEM"), "{err}");
            assert!(err.contains("ssl.truststore.type=PKCS12"), "{err}");
            assert!(err.contains("openssl x509 -inform der"), "{err}");
            // The same binary file typed PKCS12 is left to the TLS set-up to read.
            let s = SecurityConfig::new()
                .protocol(SecurityProtocol::Ssl)
                .truststore(&der, "pw");
            s.validate().unwrap();
            // A JKS file typed PKCS12 is still JKS.
            let s = SecurityConfig::new()
                .protocol(SecurityProtocol::Ssl)
                .truststore(&jks, "pw");
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("JKS trust store"), "{err}");
            let s = SecurityConfig::new()
                .protocol(SecurityProtocol::Ssl)
                .ca_location(&pem);
            s.validate().unwrap();
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn truststore_types() {
        for (given, parsed) in [
            ("PEM", "PEM"),
            ("pem", "PEM"),
            ("PKCS12", "PKCS12"),
            (" pkcs12 ", "PKCS12"),
        ] {
            let mut s = SecurityConfig::new();
            assert!(s.set("ssl.truststore.type", given).unwrap());
            assert_eq!(s.tls.truststore_type.as_deref(), Some(parsed), "{given}");
            assert_eq!(s.tls.truststore_is_pkcs12(), parsed == "PKCS12", "{given}");
        }
        assert!(!SecurityConfig::new().tls.truststore_is_pkcs12());
        for refused in ["JKS", "jceks"] {
            let err = SecurityConfig::new()
                .set("ssl.truststore.type", refused)
                .unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{err}");
            let text = err.to_string();
            assert!(text.contains("`ssl.truststore.type`"), "{text}");
            assert!(
                text.contains(
                    "keytool -importkeystore -srckeystore client.truststore.jks \
                     -destkeystore client.truststore.p12 -deststoretype PKCS12"
                ),
                "{text}"
            );
        }
        let err = SecurityConfig::new()
            .set("ssl.truststore.type", "BKS")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`BKS` trust stores cannot be read"), "{err}");
        assert!(err.contains("ssl.truststore.type=PKCS12"), "{err}");

        // By name, in any order, as in a Java client.properties file.
        let mut s = SecurityConfig::new();
        s.set("security.protocol", "SSL").unwrap();
        s.set("ssl.truststore.password", "trust-pass-31").unwrap();
        s.set("ssl.truststore.type", "PKCS12").unwrap();
        s.set("ssl.truststore.location", "/etc/kafka/truststore.p12")
            .unwrap();
        assert_eq!(
            s.tls.ca_location.as_deref(),
            Some(Path::new("/etc/kafka/truststore.p12"))
        );
        assert_eq!(
            s.tls.truststore_password.as_ref().map(Secret::expose),
            Some("trust-pass-31")
        );
        if cfg!(feature = "tls") {
            s.validate().unwrap();
        }
        assert!(!format!("{s:?}").contains("trust-pass-31"));
        let typed = SecurityConfig::new()
            .protocol(SecurityProtocol::Ssl)
            .truststore("/etc/kafka/truststore.p12", "trust-pass-31");
        assert_eq!(typed.tls.ca_location, s.tls.ca_location);
        assert_eq!(typed.tls.truststore_type, s.tls.truststore_type);
        assert_eq!(typed.tls.truststore_password, s.tls.truststore_password);
    }

    #[test]
    fn a_pem_truststore_takes_no_password() {
        if !cfg!(feature = "tls") {
            return;
        }
        for pem_type in [None, Some("PEM")] {
            let mut s = SecurityConfig::new().protocol(SecurityProtocol::Ssl);
            s.set("ssl.truststore.location", "/etc/kafka/ca.pem")
                .unwrap();
            if let Some(kind) = pem_type {
                s.set("ssl.truststore.type", kind).unwrap();
            }
            s.set("ssl.truststore.password", "").unwrap();
            s.validate().unwrap();
            s.set("ssl.truststore.password", "changeit").unwrap();
            let err = s.validate().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{err}");
            let text = format!("{err} {err:?}");
            assert!(text.contains("`ssl.truststore.password`"), "{text}");
            assert!(text.contains("ssl.truststore.type=PKCS12"), "{text}");
            assert!(!text.contains("changeit"), "{text}");
        }
    }

    #[test]
    fn inline_pem_and_java_engines_are_refused() {
        for key in [
            "ssl.truststore.certificates",
            "ssl.keystore.key",
            "ssl.keystore.certificate.chain",
            "ssl.engine.factory.class",
        ] {
            let err = SecurityConfig::new()
                .set(key, "-----BEGIN CERTIFICATE-----")
                .unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = SecurityConfig::new()
            .protocol(SecurityProtocol::SaslSsl)
            .sasl(SaslMechanism::Plain, "alice", "hunter2")
            .keystore("/ks.p12", "storepass-9")
            .key_password("keypass-7")
            .truststore("/ts.p12", "trustpass-5");
        let text = format!("{s:?} {s:#?}");
        for secret in ["hunter2", "storepass-9", "keypass-7", "trustpass-5"] {
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
