//! The settings of a [`SchemaRegistryClient`](super::SchemaRegistryClient).
//!
//! The keys are confluent-kafka-python's (`url`, `basic.auth.user.info`,
//! `ssl.ca.location`, `cache.capacity`, `timeout`, `max.retries`, ...); each may also be
//! given with the `schema.registry.` prefix that the Java serializers' settings and
//! Confluent's .NET client use (`schema.registry.url`,
//! `schema.registry.basic.auth.user.info`, ...), so a producer's properties file can
//! carry them beside the Kafka settings.
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `url` | (required) | comma-separated base URLs; the next one is tried when one cannot be reached |
//! | `basic.auth.credentials.source` | `USER_INFO` | `USER_INFO` (from `basic.auth.user.info`) or `URL` (the URL's `user:password@`) |
//! | `basic.auth.user.info` | none | `user:password` for HTTP basic auth |
//! | `ssl.ca.location` | system roots | PEM file of the CAs to trust instead of the system's |
//! | `ssl.certificate.location` | none | PEM client certificate (and chain) |
//! | `ssl.key.location` | none | PEM private key of the client certificate |
//! | `ssl.key.password` | none | password of an encrypted (PKCS#8) `ssl.key.location` |
//! | `timeout` | 30 | seconds one HTTP request may take, connecting included |
//! | `max.retries` | 3 | how often a request is tried again after a connection error or an HTTP 408, 429, 500, 502, 503 or 504 |
//! | `retries.wait.ms` | 1000 | the first retry's longest wait; each retry doubles it |
//! | `retries.max.wait.ms` | 20000 | the longest wait before any retry |
//! | `cache.capacity` | 1000 | entries of each cache (schemas by id; ids by subject and schema) |
//!
//! ```
//! use kafka_sync::schema_registry::SchemaRegistryConfig;
//! use std::time::Duration;
//!
//! let config = SchemaRegistryConfig::new("https://registry-1:8081,https://registry-2:8081")
//!     .set("schema.registry.basic.auth.user.info", "alice:secret")?
//!     .set("ssl.ca.location", "/etc/ssl/registry-ca.pem")?
//!     .set("cache.capacity", "500")?
//!     .timeout(Duration::from_secs(10));
//! assert_eq!(config.urls().len(), 2);
//! assert_eq!(config.cache_capacity_value(), 500);
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::security::Secret;
use crate::config::{parse_size, read_properties};
use crate::error::{KafkaError, Result};

/// The settings of a [`SchemaRegistryClient`](super::SchemaRegistryClient) (see the
/// [module documentation](self) for the keys and their defaults).
#[derive(Clone)]
pub struct SchemaRegistryConfig {
    urls: Vec<String>,
    credentials_source: CredentialsSource,
    user_info: Option<Credentials>,
    pub(crate) ca_location: Option<PathBuf>,
    pub(crate) certificate_location: Option<PathBuf>,
    pub(crate) key_location: Option<PathBuf>,
    pub(crate) key_password: Option<Secret>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retries_wait: Duration,
    pub(crate) retries_max_wait: Duration,
    pub(crate) cache_capacity: usize,
}

/// Basic auth credentials: user and password.
pub(crate) type Credentials = (String, Secret);

/// Where the basic auth credentials come from (`basic.auth.credentials.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CredentialsSource {
    UserInfo,
    Url,
}

impl fmt::Debug for SchemaRegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaRegistryConfig")
            .field(
                "urls",
                &self.urls.iter().map(|u| redact_url(u)).collect::<Vec<_>>(),
            )
            .field("credentials_source", &self.credentials_source)
            .field("user", &self.user_info.as_ref().map(|(user, _)| user))
            .field("ca_location", &self.ca_location)
            .field("certificate_location", &self.certificate_location)
            .field("key_location", &self.key_location)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retries_wait", &self.retries_wait)
            .field("retries_max_wait", &self.retries_max_wait)
            .field("cache_capacity", &self.cache_capacity)
            .finish_non_exhaustive()
    }
}

impl SchemaRegistryConfig {
    /// Defaults with `url`: one base URL or a comma-separated list of them, such as
    /// `http://registry:8081` (Confluent) or `http://registry:8080/apis/ccompat/v7`
    /// (Apicurio's Confluent-compatible API). The URLs are checked when the client is
    /// made.
    pub fn new(url: &str) -> Self {
        SchemaRegistryConfig {
            urls: split_urls(url),
            credentials_source: CredentialsSource::UserInfo,
            user_info: None,
            ca_location: None,
            certificate_location: None,
            key_location: None,
            key_password: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            retries_wait: Duration::from_millis(1000),
            retries_max_wait: Duration::from_millis(20_000),
            cache_capacity: 1000,
        }
    }

    /// Sets a setting by its key (see the [module documentation](self)); the
    /// `schema.registry.` prefix is optional. Unknown keys and bad values are errors
    /// naming the key.
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        let name = key.strip_prefix("schema.registry.").unwrap_or(key);
        match name {
            "url" => self.urls = split_urls(value),
            "basic.auth.credentials.source" => {
                self.credentials_source = match value.trim().to_ascii_uppercase().as_str() {
                    "USER_INFO" => CredentialsSource::UserInfo,
                    "URL" => CredentialsSource::Url,
                    _ => {
                        return Err(KafkaError::config(
                            key,
                            format!("`{value}` is not supported: USER_INFO or URL"),
                        ))
                    }
                }
            }
            "basic.auth.user.info" => {
                self.user_info = if value.is_empty() {
                    None
                } else {
                    Some(parse_user_info(key, value)?)
                }
            }
            "ssl.ca.location" => self.ca_location = non_empty_path(value),
            "ssl.certificate.location" => self.certificate_location = non_empty_path(value),
            "ssl.key.location" => self.key_location = non_empty_path(value),
            "ssl.key.password" => {
                self.key_password = (!value.is_empty()).then(|| Secret::new(value));
            }
            "timeout" => self.timeout = parse_seconds(key, value)?,
            "max.retries" => {
                self.max_retries = value.trim().parse::<u32>().map_err(|_| {
                    KafkaError::config(key, format!("`{value}` is not a whole number"))
                })?
            }
            "retries.wait.ms" => self.retries_wait = crate::config::parse_ms(key, value)?,
            "retries.max.wait.ms" => self.retries_max_wait = crate::config::parse_ms(key, value)?,
            "cache.capacity" => self.cache_capacity = parse_size(key, value)?,
            _ => {
                return Err(KafkaError::config(
                    key,
                    "not a schema registry client setting",
                ))
            }
        }
        Ok(self)
    }

    /// Reads `key=value` settings from a Java-style properties file, as
    /// [`set`](Self::set) takes them.
    pub fn from_properties(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let mut config = SchemaRegistryConfig::new("");
        for (key, value) in read_properties(path.as_ref())? {
            config = config.set(&key, &value)?;
        }
        Ok(config)
    }

    /// HTTP basic auth as `user` with `password` (`basic.auth.user.info`).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user_info = Some((user.into(), Secret::new(password.into())));
        self
    }

    /// `ssl.ca.location`: a PEM file of the CAs to trust instead of the system's.
    pub fn ca_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_location = Some(path.into());
        self
    }

    /// `ssl.certificate.location` and `ssl.key.location`: a PEM client certificate
    /// (and chain) and its unencrypted private key.
    pub fn client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.certificate_location = Some(certificate.into());
        self.key_location = Some(key.into());
        self
    }

    /// `timeout`: how long one HTTP request may take, connecting included (default
    /// 30 s). Retries each get this long again.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `max.retries`: how often a request is tried again after a connection error or a
    /// retriable HTTP status (default 3; 0 tries once).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// `retries.wait.ms` and `retries.max.wait.ms`: retry `n` (from 0) waits a random
    /// time up to `min(first * 2^n, max)` (defaults 1 s and 20 s).
    pub fn retry_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.retries_wait = first;
        self.retries_max_wait = max;
        self
    }

    /// `cache.capacity`: the entries each cache keeps (default 1000; 0 turns caching
    /// off).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The base URLs, as given (trimmed, without a trailing `/`).
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The cache capacity.
    pub fn cache_capacity_value(&self) -> usize {
        self.cache_capacity
    }

    /// The checked base URLs with any `user:password@` taken out, and the basic auth
    /// credentials to send (`user`, `password`), per `basic.auth.credentials.source`.
    pub(crate) fn endpoints(&self) -> Result<(Vec<String>, Option<Credentials>)> {
        if self.urls.is_empty() {
            return Err(KafkaError::config("url", "no schema registry URL given"));
        }
        let mut urls = Vec::with_capacity(self.urls.len());
        let mut url_credentials = None;
        for url in &self.urls {
            let (clean, credentials) = split_credentials(url)?;
            if url_credentials.is_none() {
                url_credentials = credentials;
            }
            urls.push(clean);
        }
        let credentials = match self.credentials_source {
            CredentialsSource::UserInfo => {
                if url_credentials.is_some() && self.user_info.is_some() {
                    return Err(KafkaError::config(
                        "basic.auth.user.info",
                        "credentials are given both here and in the URL: give them once",
                    ));
                }
                // Like confluent-kafka-python: credentials in the URL count when no
                // user info is given.
                self.user_info.clone().or(url_credentials)
            }
            CredentialsSource::Url => match url_credentials {
                Some(credentials) => Some(credentials),
                None => {
                    return Err(KafkaError::config(
                        "basic.auth.credentials.source",
                        "URL, but no URL holds user:password@",
                    ))
                }
            },
        };
        if (self.key_location.is_some() || self.key_password.is_some())
            && self.certificate_location.is_none()
        {
            return Err(KafkaError::config(
                "ssl.key.location",
                "a client key needs `ssl.certificate.location` too",
            ));
        }
        if self.certificate_location.is_some() && self.key_location.is_none() {
            return Err(KafkaError::config(
                "ssl.certificate.location",
                "a client certificate needs `ssl.key.location` too",
            ));
        }
        Ok((urls, credentials))
    }
}

fn split_urls(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
        .collect()
}

fn non_empty_path(value: &str) -> Option<PathBuf> {
    (!value.trim().is_empty()).then(|| PathBuf::from(value.trim()))
}

fn parse_user_info(key: &str, value: &str) -> Result<Credentials> {
    match value.split_once(':') {
        Some((user, password)) => Ok((user.to_owned(), Secret::new(password))),
        None => Err(KafkaError::config(key, "must be user:password")),
    }
}

fn parse_seconds(key: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            KafkaError::config(
                key,
                format!("`{value}` is not a positive number of seconds"),
            )
        })
}

/// Checks `url` (http or https, a host) and takes `user:password@` out of it.
fn split_credentials(url: &str) -> Result<(String, Option<Credentials>)> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(KafkaError::config(
            "url",
            format!("`{}` is not an http:// or https:// URL", redact_url(url)),
        ));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(KafkaError::config(
            "url",
            format!("`{}` is not an http:// or https:// URL", redact_url(url)),
        ));
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (credentials, host) = match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
            (
                Some((percent_decode(user), Secret::new(percent_decode(password)))),
                host,
            )
        }
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(KafkaError::config(
            "url",
            format!("`{}` names no host", redact_url(url)),
        ));
    }
    Ok((format!("{scheme}://{host}{path}"), credentials))
}

/// `url` with any password replaced by `***`, for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_take_the_optional_prefix_and_bad_values_name_the_key() {
        let config = SchemaRegistryConfig::new("")
            .set("schema.registry.url", " http://a:8081/ , https://b:8081 ")
            .unwrap()
            .set("basic.auth.user.info", "alice:pa:ss")
            .unwrap()
            .set("timeout", "2.5")
            .unwrap()
            .set("schema.registry.max.retries", "0")
            .unwrap()
            .set("cache.capacity", "7")
            .unwrap();
        assert_eq!(config.urls(), ["http://a:8081", "https://b:8081"]);
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert_eq!(config.max_retries, 0);
        assert_eq!(config.cache_capacity, 7);
        let (urls, credentials) = config.endpoints().unwrap();
        assert_eq!(urls, ["http://a:8081", "https://b:8081"]);
        let (user, password) = credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("alice", "pa:ss"));
        assert!(!format!("{config:?}").contains("pa:ss"), "{config:?}");

        for (key, value) in [
            ("timeout", "soon"),
            ("timeout", "0"),
            ("max.retries", "-1"),
            ("cache.capacity", "lots"),
            ("basic.auth.user.info", "no-colon"),
            ("basic.auth.credentials.source", "SASL_INHERIT"),
            ("bootstrap.servers", "x:9092"),
        ] {
            let err = SchemaRegistryConfig::new("http://a")
                .set(key, value)
                .unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{key}");
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn urls_are_checked_and_their_credentials_taken_out() {
        let (urls, credentials) = SchemaRegistryConfig::new("https://bob:s%40cret@reg:8081/base")
            .endpoints()
            .unwrap();
        assert_eq!(urls, ["https://reg:8081/base"]);
        let (user, password) = credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("bob", "s@cret"));

        let err = SchemaRegistryConfig::new("http://bob:x@reg")
            .basic_auth("alice", "y")
            .endpoints()
            .unwrap_err();
        assert!(err.to_string().contains("both"), "{err}");
        assert!(!err.to_string().contains(":x@"), "{err}");

        let err = SchemaRegistryConfig::new("http://reg")
            .set("basic.auth.credentials.source", "URL")
            .unwrap()
            .endpoints()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);

        for bad in ["", "reg:8081", "ftp://reg", "http://", "http:///path"] {
            let err = SchemaRegistryConfig::new(bad).endpoints().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
        }
        assert_eq!(
            redact_url("http://bob:secret@reg:1/x"),
            "http://bob:***@reg:1/x"
        );
    }

    #[test]
    fn a_client_key_and_certificate_come_together() {
        let err = SchemaRegistryConfig::new("https://reg")
            .set("ssl.key.location", "/k.pem")
            .unwrap()
            .endpoints()
            .unwrap_err();
        assert!(
            err.to_string().contains("ssl.certificate.location"),
            "{err}"
        );
        let err = SchemaRegistryConfig::new("https://reg")
            .set("ssl.certificate.location", "/c.pem")
            .unwrap()
            .endpoints()
            .unwrap_err();
        assert!(err.to_string().contains("ssl.key.location"), "{err}");
    }
}
