//! The HTTP side of the client: one request to the registry, with fail-over across
//! its URLs, bounded retries with back-off, and the mapping of error answers and
//! transport failures to [`KafkaError`]s.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};

use super::config::{redact_url, SchemaRegistryConfig};
use super::types::wire::ErrorAnswer;
use crate::error::{ErrorKind, KafkaError, Result};

/// The media type of the registry's API, asked for and sent.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str =
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";
/// The largest answer read: schemas are text, and the largest lists (every subject)
/// stay far below this.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        })
    }
}

/// Sends requests to the registry. Shared by all threads of a client.
pub(crate) struct Transport {
    agent: ureq::Agent,
    urls: Vec<String>,
    /// The `Authorization` header's value, if basic auth is configured.
    authorization: Option<String>,
    max_retries: u32,
    retries_wait: Duration,
    retries_max_wait: Duration,
    /// The URL that answered last: requests start there, so that a registry that is
    /// down costs one failed connect, not one per request.
    preferred: AtomicUsize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("urls", &self.urls)
            .field("basic_auth", &self.authorization.is_some())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Checks the settings and reads the certificate files, so that a bad setting
    /// fails here rather than at the first request.
    pub(crate) fn new(config: &SchemaRegistryConfig) -> Result<Self> {
        let (urls, credentials) = config.endpoints()?;
        let authorization = credentials.map(|(user, password)| {
            format!(
                "Basic {}",
                BASE64.encode(format!("{user}:{}", password.expose()))
            )
        });
        let tls = tls_config(config)?;
        let agent_config = ureq::Agent::config_builder()
            // Error answers carry the registry's error code in their body: read them.
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .tls_config(tls)
            .user_agent(concat!("kafka-sync/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Transport {
            agent: agent_config.into(),
            urls,
            authorization,
            max_retries: config.max_retries,
            retries_wait: config.retries_wait,
            retries_max_wait: config.retries_max_wait,
            preferred: AtomicUsize::new(0),
        })
    }

    /// Sends `method path` (a path below the base URL, with its query) with `body`,
    /// and returns the answer's body. A connection error or a retriable status moves
    /// on to the next URL; once every URL failed, the round is tried again after a
    /// back-off, up to `max.retries` times. Any other error answer is returned at
    /// once.
    pub(crate) fn request(&self, method: Method, path: &str, body: Option<&str>) -> Result<String> {
        let first = self.preferred.load(Ordering::Relaxed) % self.urls.len().max(1);
        let mut last_error = None;
        for attempt in 0..=self.max_retries {
            if attempt > 0 {
                std::thread::sleep(backoff(
                    self.retries_wait,
                    self.retries_max_wait,
                    attempt - 1,
                ));
            }
            for k in 0..self.urls.len() {
                let index = (first + k) % self.urls.len();
                let url = &self.urls[index];
                match self.send(method, url, path, body) {
                    Ok(answer) => {
                        self.preferred.store(index, Ordering::Relaxed);
                        return Ok(answer);
                    }
                    Err(err) if err.is_retriable() => {
                        log::debug!("schema registry {method} {url}{path}: {err}");
                        last_error = Some(err);
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        let tries = u64::from(self.max_retries) + 1;
        Err(last_error
            .map(|err| {
                err.context(format!(
                    "gave up after {tries} round(s) over every registry URL"
                ))
            })
            .unwrap_or_else(|| KafkaError::config("url", "no schema registry URL given")))
    }

    fn send(&self, method: Method, base: &str, path: &str, body: Option<&str>) -> Result<String> {
        let url = format!("{base}{path}");
        let what = || format!("{method} {url}");
        let answer = match method {
            Method::Get => self.with_headers_get(self.agent.get(&url)).call(),
            Method::Delete => self.with_headers_get(self.agent.delete(&url)).call(),
            Method::Post => self
                .with_headers_body(self.agent.post(&url))
                .send(body.unwrap_or("")),
            Method::Put => self
                .with_headers_body(self.agent.put(&url))
                .send(body.unwrap_or("")),
        };
        let mut answer = answer.map_err(|e| transport_error(e, &what()))?;
        let status = answer.status().as_u16();
        let text = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| transport_error(e, &format!("reading the answer to {}", what())))?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(registry_error(status, &text, &what()))
        }
    }

    fn with_headers_get(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let request = request.header("Accept", ACCEPT);
        match &self.authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }

    fn with_headers_body(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
    ) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let request = request
            .header("Accept", ACCEPT)
            .header("Content-Type", CONTENT_TYPE);
        match &self.authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }
}

/// The wait before retry `retry` (from 0): a random time up to
/// `min(first * 2^retry, max)` ("full jitter", as confluent-kafka-python waits).
pub(crate) fn backoff(first: Duration, max: Duration, retry: u32) -> Duration {
    let ceiling = first
        .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max);
    let fraction = getrandom::u32().map_or(0.5, |r| f64::from(r) / f64::from(u32::MAX));
    ceiling.mul_f64(fraction)
}

/// The error for an error answer: `status`, and the `error_code` and `message` of its
/// JSON body. A body without a positive `error_code` (Apicurio answers 409 with
/// `error_code` 0; a proxy's error page has none) gets the HTTP status as its code.
pub(crate) fn registry_error(status: u16, body: &str, what: &str) -> KafkaError {
    let parsed: Option<ErrorAnswer> = serde_json::from_str(body).ok();
    let body_code = parsed
        .as_ref()
        .and_then(|answer| answer.error_code)
        .and_then(|code| i32::try_from(code).ok())
        .filter(|code| *code > 0);
    let code = body_code.unwrap_or(i32::from(status));
    let message = match parsed.and_then(|answer| answer.message) {
        Some(message) if !message.is_empty() => message,
        _ => {
            let text: String = body.chars().take(200).collect();
            if text.trim().is_empty() {
                "(no message)".to_owned()
            } else {
                text.trim().to_owned()
            }
        }
    };
    let meaning = super::error_codes::meaning(code)
        .map(|m| format!(" {m}:"))
        .unwrap_or_default();
    KafkaError::new(
        ErrorKind::SchemaRegistry { status, code },
        format!(
            "{} answered HTTP {status}, error code {code}:{meaning} {message}",
            redact_url(what)
        ),
    )
}

/// Maps a failure to get an answer at all.
fn transport_error(err: ureq::Error, what: &str) -> KafkaError {
    let what = redact_url(what);
    match err {
        ureq::Error::Timeout(_) => {
            KafkaError::timeout(format!("{what}: no answer in time ({err})"))
        }
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            KafkaError::connection(format!("{what}: {err}"))
        }
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                KafkaError::timeout(format!("{what}: {io}"))
            }
            _ => KafkaError::connection(format!("{what}: {io}")),
        },
        ureq::Error::NativeTls(_) | ureq::Error::Tls(_) | ureq::Error::Der(_) => {
            KafkaError::new(ErrorKind::Tls, format!("{what}: {err}"))
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            KafkaError::config("url", format!("{what}: {err}"))
        }
        ureq::Error::BodyExceedsLimit(limit) => KafkaError::new(
            ErrorKind::UnexpectedResponse,
            format!("{what}: the answer is larger than {limit} bytes"),
        ),
        other => KafkaError::connection(format!("{what}: {other}")),
    }
}

/// The TLS settings: the configured CA instead of the system's roots, and the client
/// certificate, read now so that a bad file fails the client's construction.
fn tls_config(config: &SchemaRegistryConfig) -> Result<TlsConfig> {
    let mut builder = TlsConfig::builder().provider(TlsProvider::NativeTls);
    builder = match &config.ca_location {
        Some(path) => {
            let pem = read_file("ssl.ca.location", path)?;
            let certificates = pem_certificates("ssl.ca.location", path, &pem)?;
            builder.root_certs(RootCerts::Specific(Arc::new(certificates)))
        }
        None => builder.root_certs(RootCerts::PlatformVerifier),
    };
    if let (Some(cert_path), Some(key_path)) = (&config.certificate_location, &config.key_location)
    {
        let pem = read_file("ssl.certificate.location", cert_path)?;
        let chain = pem_certificates("ssl.certificate.location", cert_path, &pem)?;
        let key_pem = read_file("ssl.key.location", key_path)?;
        let key = private_key(
            &key_pem,
            key_path,
            config.key_password.as_ref().map(|p| p.expose()),
        )?;
        builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(builder.build())
}

fn read_file(key: &str, path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| KafkaError::config(key, format!("cannot read {}: {e}", path.display())))
}

fn pem_certificates(
    key: &str,
    path: &std::path::Path,
    pem: &[u8],
) -> Result<Vec<Certificate<'static>>> {
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(e) => {
                return Err(KafkaError::new(
                    ErrorKind::Tls,
                    format!("`{key}`: cannot read {}: {e}", path.display()),
                ))
            }
        }
    }
    if certificates.is_empty() {
        return Err(KafkaError::config(
            key,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(certificates)
}

/// The client key: a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`, the only kind
/// native-tls takes), or with `password` an encrypted one
/// (`-----BEGIN ENCRYPTED PRIVATE KEY-----`).
fn private_key(
    pem: &[u8],
    path: &std::path::Path,
    password: Option<&str>,
) -> Result<PrivateKey<'static>> {
    const KEY: &str = "ssl.key.location";
    let tls_error = |e: &dyn fmt::Display| {
        KafkaError::new(
            ErrorKind::Tls,
            format!("`{KEY}`: cannot use {}: {e}", path.display()),
        )
    };
    let text = std::str::from_utf8(pem).map_err(|e| tls_error(&e))?;
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let Some(password) = password else {
            return Err(KafkaError::config(
                KEY,
                format!("{} is encrypted: give `ssl.key.password`", path.display()),
            ));
        };
        let (_, der) = pkcs8::der::Document::from_pem(text.trim()).map_err(|e| tls_error(&e))?;
        let encrypted =
            pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_bytes()).map_err(|e| tls_error(&e))?;
        let document = encrypted
            .decrypt(password)
            .map_err(|e| tls_error(&format!("wrong `ssl.key.password`? {e}")))?;
        let decrypted = document
            .to_pem("PRIVATE KEY", pkcs8::LineEnding::LF)
            .map_err(|e| tls_error(&e))?;
        return PrivateKey::from_pem(decrypted.as_bytes()).map_err(|e| tls_error(&e));
    }
    // native-tls takes PKCS#8 keys only.
    if text.contains("-----BEGIN RSA PRIVATE KEY-----")
        || text.contains("-----BEGIN EC PRIVATE KEY-----")
    {
        return Err(KafkaError::config(
            KEY,
            format!(
                "{} is not a PKCS#8 key (`BEGIN PRIVATE KEY`); convert it with \
                 `openssl pkcs8 -topk8 -nocrypt`",
                path.display()
            ),
        ));
    }
    PrivateKey::from_pem(pem).map_err(|e| tls_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_keep_the_registry_code_and_message() {
        let err = registry_error(
            404,
            r#"{"error_code":40401,"message":"Subject 'x' not found."}"#,
            "GET http://reg/subjects/x/versions",
        );
        assert_eq!(
            err.kind(),
            ErrorKind::SchemaRegistry {
                status: 404,
                code: 40401
            }
        );
        let text = err.to_string();
        assert!(text.contains("40401"), "{text}");
        assert!(text.contains("subject not found"), "{text}");
        assert!(text.contains("Subject 'x' not found."), "{text}");
        assert!(!err.is_retriable());
    }

    #[test]
    fn answers_without_a_code_take_the_http_status() {
        // Apicurio's incompatible-schema answer.
        let err = registry_error(
            409,
            r#"{"message":"Incompatible artifact","error_code":0}"#,
            "POST x",
        );
        assert_eq!(
            err.kind(),
            ErrorKind::SchemaRegistry {
                status: 409,
                code: 409
            }
        );
        assert!(err.to_string().contains("incompatible schema"), "{err}");
        // A proxy's page.
        let err = registry_error(502, "<html>Bad Gateway</html>", "GET x");
        assert_eq!(
            err.kind(),
            ErrorKind::SchemaRegistry {
                status: 502,
                code: 502
            }
        );
        assert!(err.to_string().contains("Bad Gateway"), "{err}");
        assert!(err.is_retriable());
        let err = registry_error(401, "", "GET x");
        assert_eq!(
            err.kind(),
            ErrorKind::SchemaRegistry {
                status: 401,
                code: 401
            }
        );
        assert!(err.to_string().contains("(no message)"), "{err}");
        assert!(!err.is_retriable());
    }

    #[test]
    fn messages_never_show_a_password_in_a_url() {
        let err = registry_error(500, "{}", "GET http://bob:hunter2@reg/subjects");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_jitter() {
        let first = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        for retry in 0..40 {
            let ceiling = Duration::from_millis((100u64 << retry.min(20)).min(1000));
            for _ in 0..20 {
                let wait = backoff(first, max, retry);
                assert!(wait <= ceiling, "retry {retry}: {wait:?} > {ceiling:?}");
            }
        }
    }

    #[test]
    fn bad_certificate_files_fail_the_construction() {
        let dir = std::env::temp_dir().join(format!("kafka-sync-sr-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let err = Transport::new(&SchemaRegistryConfig::new("https://reg").ca_location(&not_pem))
            .unwrap_err();
        assert!(err.to_string().contains("ssl.ca.location"), "{err}");
        let err = Transport::new(
            &SchemaRegistryConfig::new("https://reg").ca_location(dir.join("missing.pem")),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
