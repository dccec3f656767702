//! A blocking client of the Confluent Schema Registry REST API (feature
//! `schema-registry`).
//!
//! [`SchemaRegistryClient`] registers and fetches schemas (Avro, JSON Schema and
//! Protobuf, with references), reads and deletes subjects and their versions, checks
//! compatibility and reads and sets compatibility levels. It works with Confluent's
//! registry and with the registries that serve the same API (Apicurio's under
//! `/apis/ccompat/v7`, Redpanda's, Karapace).
//!
//! It is built for serializers: [`register`](SchemaRegistryClient::register) and
//! [`get_by_id`](SchemaRegistryClient::get_by_id) answer from bounded caches after the
//! first call, so a producer that writes many records of one schema asks the registry
//! once. The client is `Send + Sync`: share one through an [`Arc`] among threads and
//! serializers.
//!
//! Connection settings are confluent-kafka-python's (see [`config`]): several URLs
//! with fail-over, HTTP basic auth, TLS with a CA and a client certificate, a request
//! timeout, and retries with back-off on connection errors and on HTTP 408, 429, 500,
//! 502, 503 and 504.
//!
//! An error answer becomes a [`KafkaError`] of kind [`ErrorKind::SchemaRegistry`] with
//! the HTTP status and the registry's error code ([`error_codes`]):
//!
//! ```no_run
//! use kafka_sync::schema_registry::{error_codes, Schema, SchemaRegistryClient, SchemaRegistryConfig};
//! use kafka_sync::ErrorKind;
//!
//! let registry = SchemaRegistryClient::new(SchemaRegistryConfig::new("http://localhost:8081"))?;
//! let schema = Schema::avro(
//!     r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#,
//! );
//! let id = registry.register("users-value", &schema)?;
//! assert_eq!(*registry.get_by_id(id)?, schema);
//!
//! match registry.get_latest_version("no-such-subject") {
//!     Err(e) if matches!(e.kind(), ErrorKind::SchemaRegistry { code: error_codes::SUBJECT_NOT_FOUND, .. }) => {}
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```
//!
//! [`Arc`]: std::sync::Arc
//! [`ErrorKind::SchemaRegistry`]: crate::ErrorKind::SchemaRegistry

#[cfg(feature = "avro")]
pub mod avro;
#[cfg(feature = "avro")]
mod avro_bounds;
pub(crate) mod cache;
pub mod config;
pub mod framing;
mod http;
#[cfg(feature = "json-schema")]
pub mod json;
#[cfg(feature = "protobuf")]
pub mod protobuf;
pub mod serdes;
pub mod subject;
mod types;
#[cfg(any(feature = "avro", feature = "json-schema", feature = "protobuf"))]
mod writer_schemas;

use std::sync::Arc;

use parking_lot::Mutex;

use self::cache::BoundedCache;
pub use self::config::SchemaRegistryConfig;
use self::http::{Method, Transport};
use self::types::wire;
pub use self::types::{
    CompatibilityCheck, CompatibilityLevel, RegisteredSchema, Schema, SchemaReference, SchemaType,
};
use crate::error::{ErrorKind, KafkaError, Result};

/// The error codes a Confluent schema registry puts in its error answers, as
/// [`ErrorKind::SchemaRegistry`] carries them.
///
/// ```
/// use kafka_sync::schema_registry::error_codes;
///
/// assert_eq!(error_codes::meaning(error_codes::SUBJECT_NOT_FOUND), Some("subject not found"));
/// ```
pub mod error_codes {
    /// HTTP basic auth is missing or wrong.
    pub const UNAUTHORIZED: i32 = 401;
    /// The user may not do this.
    pub const FORBIDDEN: i32 = 403;
    /// The schema is incompatible with earlier versions under the subject's
    /// compatibility level.
    pub const INCOMPATIBLE_SCHEMA: i32 = 409;
    /// The subject does not exist.
    pub const SUBJECT_NOT_FOUND: i32 = 40401;
    /// The subject has no such version.
    pub const VERSION_NOT_FOUND: i32 = 40402;
    /// No such schema (by id, or under the subject in a lookup).
    pub const SCHEMA_NOT_FOUND: i32 = 40403;
    /// The subject was soft-deleted (a permanent delete needs that first).
    pub const SUBJECT_SOFT_DELETED: i32 = 40404;
    /// A permanent delete of a subject that was not soft-deleted first.
    pub const SUBJECT_NOT_SOFT_DELETED: i32 = 40405;
    /// The version was soft-deleted.
    pub const VERSION_SOFT_DELETED: i32 = 40406;
    /// A permanent delete of a version that was not soft-deleted first.
    pub const VERSION_NOT_SOFT_DELETED: i32 = 40407;
    /// The subject has no compatibility level of its own.
    pub const SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: i32 = 40408;
    /// The schema is not valid for its type.
    pub const INVALID_SCHEMA: i32 = 42201;
    /// The version is not valid (not a positive number nor `latest`).
    pub const INVALID_VERSION: i32 = 42202;
    /// The compatibility level is not valid.
    pub const INVALID_COMPATIBILITY_LEVEL: i32 = 42203;
    /// The registry's mode does not allow the operation.
    pub const OPERATION_NOT_PERMITTED: i32 = 42205;
    /// The schema is still referenced by another.
    pub const REFERENCE_EXISTS: i32 = 42206;
    /// The registry's storage failed.
    pub const STORE_ERROR: i32 = 50001;
    /// The registry timed out.
    pub const OPERATION_TIMEOUT: i32 = 50002;
    /// The registry could not forward the request to its leader.
    pub const FORWARDING_ERROR: i32 = 50003;

    /// What `code` means, for the codes above.
    pub fn meaning(code: i32) -> Option<&'static str> {
        Some(match code {
            UNAUTHORIZED => "unauthorized",
            FORBIDDEN => "forbidden",
            INCOMPATIBLE_SCHEMA => "incompatible schema",
            SUBJECT_NOT_FOUND => "subject not found",
            VERSION_NOT_FOUND => "version not found",
            SCHEMA_NOT_FOUND => "schema not found",
            SUBJECT_SOFT_DELETED => "subject soft-deleted",
            SUBJECT_NOT_SOFT_DELETED => "subject not soft-deleted",
            VERSION_SOFT_DELETED => "version soft-deleted",
            VERSION_NOT_SOFT_DELETED => "version not soft-deleted",
            SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED => {
                "subject-level compatibility not configured"
            }
            INVALID_SCHEMA => "invalid schema",
            INVALID_VERSION => "invalid version",
            INVALID_COMPATIBILITY_LEVEL => "invalid compatibility level",
            OPERATION_NOT_PERMITTED => "operation not permitted",
            REFERENCE_EXISTS => "reference exists",
            STORE_ERROR => "store error",
            OPERATION_TIMEOUT => "operation timeout",
            FORWARDING_ERROR => "forwarding error",
            _ => return None,
        })
    }
}

/// The registry code of `err` if it is a schema registry's error answer.
///
/// ```
/// use kafka_sync::schema_registry::{error_code, error_codes};
/// use kafka_sync::{ErrorKind, KafkaError};
///
/// let err = KafkaError::new(ErrorKind::SchemaRegistry { status: 404, code: 40401 }, "gone");
/// assert_eq!(error_code(&err), Some(error_codes::SUBJECT_NOT_FOUND));
/// assert_eq!(error_code(&KafkaError::timeout("x")), None);
/// ```
pub fn error_code(err: &KafkaError) -> Option<i32> {
    match err.kind() {
        ErrorKind::SchemaRegistry { code, .. } => Some(code),
        _ => None,
    }
}

/// A version of a subject to read or check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The newest version.
    Latest,
    /// This version number (from 1).
    Number(i32),
}

impl Version {
    fn path(self) -> String {
        match self {
            Version::Latest => "latest".to_owned(),
            Version::Number(n) => n.to_string(),
        }
    }
}

impl From<i32> for Version {
    fn from(n: i32) -> Self {
        Version::Number(n)
    }
}

/// A blocking client of a schema registry's REST API, with bounded caches of schemas
/// by id and of ids by subject and schema (see the [module documentation](self)).
///
/// ```no_run
/// use std::sync::Arc;
/// use kafka_sync::schema_registry::{CompatibilityLevel, Schema, SchemaRegistryClient, SchemaRegistryConfig};
///
/// let config = SchemaRegistryConfig::new("https://registry:8081")
///     .set("basic.auth.user.info", "alice:secret")?
///     .set("ssl.ca.location", "/etc/ssl/registry-ca.pem")?;
/// let registry = Arc::new(SchemaRegistryClient::new(config)?);
///
/// registry.set_compatibility(Some("users-value"), CompatibilityLevel::Backward)?;
/// let v2 = Schema::avro(
///     r#"{"type":"record","name":"User","fields":[
///         {"name":"name","type":"string"},
///         {"name":"email","type":["null","string"],"default":null}]}"#,
/// );
/// if registry.test_compatibility("users-value", None, &v2)? {
///     let id = registry.register("users-value", &v2)?;
///     println!("registered as id {id}");
/// }
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
pub struct SchemaRegistryClient {
    transport: Transport,
    /// Schemas by id: ids never change their schema.
    schemas: Mutex<BoundedCache<i32, Arc<Schema>>>,
    /// Ids by subject and schema: what `register` and `lookup` learned.
    ids: Mutex<BoundedCache<(String, Schema), i32>>,
}

impl std::fmt::Debug for SchemaRegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistryClient")
            .field("transport", &self.transport)
            .field("cached_schemas", &self.schemas.lock().len())
            .field("cached_ids", &self.ids.lock().len())
            .finish()
    }
}

impl SchemaRegistryClient {
    /// A client with `config`. The URLs and certificate files are checked here; no
    /// request is made until the first call.
    pub fn new(config: SchemaRegistryConfig) -> Result<Self> {
        let transport = Transport::new(&config)?;
        Ok(SchemaRegistryClient {
            transport,
            schemas: Mutex::new(BoundedCache::new(config.cache_capacity)),
            ids: Mutex::new(BoundedCache::new(config.cache_capacity)),
        })
    }

    /// Registers `schema` under `subject` (a new version, unless the subject already
    /// has this schema) and returns its id: `POST /subjects/{subject}/versions`.
    /// Answered from the cache once this client has registered or looked up the same
    /// schema under the same subject.
    pub fn register(&self, subject: &str, schema: &Schema) -> Result<i32> {
        let key = (subject.to_owned(), schema.clone());
        if let Some(id) = self.ids.lock().get(&key) {
            return Ok(id);
        }
        let body = schema_request(schema)?;
        let path = format!("/subjects/{}/versions", segment(subject));
        let answer: wire::IdAnswer =
            self.call(Method::Post, &path, Some(&body), "register a schema")?;
        self.ids.lock().insert(key, answer.id);
        self.schemas
            .lock()
            .insert(answer.id, Arc::new(schema.clone()));
        Ok(answer.id)
    }

    /// The schema with id `id`: `GET /schemas/ids/{id}`. Answered from the cache after
    /// the first call for an id (and for ids this client registered).
    pub fn get_by_id(&self, id: i32) -> Result<Arc<Schema>> {
        if let Some(schema) = self.schemas.lock().get(&id) {
            return Ok(schema);
        }
        let answer: wire::SchemaAnswer = self.call(
            Method::Get,
            &format!("/schemas/ids/{id}"),
            None,
            "get a schema by id",
        )?;
        let schema = Arc::new(Schema {
            schema: answer.schema,
            schema_type: answer.schema_type.unwrap_or_default(),
            references: answer.references.unwrap_or_default(),
        });
        self.schemas.lock().insert(id, Arc::clone(&schema));
        Ok(schema)
    }

    /// The id, version and schema under `subject` that equals `schema` (the registry
    /// compares them after parsing): `POST /subjects/{subject}`. An error with code
    /// [`error_codes::SCHEMA_NOT_FOUND`] (or [`error_codes::SUBJECT_NOT_FOUND`]) if the
    /// subject has no such schema. Not cached, but it fills the caches that
    /// [`register`](Self::register) and [`get_by_id`](Self::get_by_id) use.
    pub fn lookup(&self, subject: &str, schema: &Schema) -> Result<RegisteredSchema> {
        let body = schema_request(schema)?;
        let path = format!("/subjects/{}", segment(subject));
        let answer: wire::VersionAnswer =
            self.call(Method::Post, &path, Some(&body), "look up a schema")?;
        let registered = registered(answer);
        self.ids
            .lock()
            .insert((subject.to_owned(), schema.clone()), registered.id);
        self.schemas
            .lock()
            .insert(registered.id, Arc::new(registered.schema.clone()));
        Ok(registered)
    }

    /// The newest version of `subject`: `GET /subjects/{subject}/versions/latest`.
    pub fn get_latest_version(&self, subject: &str) -> Result<RegisteredSchema> {
        self.get_version(subject, Version::Latest)
    }

    /// Version `version` of `subject`: `GET /subjects/{subject}/versions/{version}`.
    pub fn get_version(
        &self,
        subject: &str,
        version: impl Into<Version>,
    ) -> Result<RegisteredSchema> {
        let path = format!(
            "/subjects/{}/versions/{}",
            segment(subject),
            version.into().path()
        );
        let answer: wire::VersionAnswer =
            self.call(Method::Get, &path, None, "get a subject's version")?;
        let registered = registered(answer);
        self.schemas
            .lock()
            .insert(registered.id, Arc::new(registered.schema.clone()));
        Ok(registered)
    }

    /// The subjects, in the registry's order: `GET /subjects`. With `include_deleted`,
    /// soft-deleted subjects too (`?deleted=true`).
    pub fn get_subjects(&self, include_deleted: bool) -> Result<Vec<String>> {
        let path = if include_deleted {
            "/subjects?deleted=true"
        } else {
            "/subjects"
        };
        self.call(Method::Get, path, None, "list subjects")
    }

    /// The version numbers of `subject`: `GET /subjects/{subject}/versions`.
    pub fn get_versions(&self, subject: &str) -> Result<Vec<i32>> {
        let path = format!("/subjects/{}/versions", segment(subject));
        self.call(Method::Get, &path, None, "list a subject's versions")
    }

    /// Deletes `subject` and returns the versions it had: `DELETE /subjects/{subject}`.
    /// Without `permanent` the registry keeps the versions (a soft delete, and the
    /// registry's schemas by id stay readable); `permanent` removes a soft-deleted
    /// subject for good (`?permanent=true`). Forgets the subject's cached ids.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let path = format!(
            "/subjects/{}{}",
            segment(subject),
            permanent_query(permanent)
        );
        let versions = self.call(Method::Delete, &path, None, "delete a subject")?;
        self.forget_subject(subject);
        Ok(versions)
    }

    /// Deletes version `version` of `subject` and returns its number:
    /// `DELETE /subjects/{subject}/versions/{version}`, soft or `permanent` as for
    /// [`delete_subject`](Self::delete_subject). Forgets the subject's cached ids.
    pub fn delete_version(
        &self,
        subject: &str,
        version: impl Into<Version>,
        permanent: bool,
    ) -> Result<i32> {
        let path = format!(
            "/subjects/{}/versions/{}{}",
            segment(subject),
            version.into().path(),
            permanent_query(permanent)
        );
        let deleted = self.call(Method::Delete, &path, None, "delete a subject's version")?;
        self.forget_subject(subject);
        Ok(deleted)
    }

    /// Whether `schema` may be registered under `subject` as its compatibility level
    /// stands, checked against `version` (`None`: the latest):
    /// `POST /compatibility/subjects/{subject}/versions/{version}`.
    pub fn test_compatibility(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
    ) -> Result<bool> {
        Ok(self
            .check_compatibility(subject, version, schema)?
            .is_compatible)
    }

    /// [`test_compatibility`](Self::test_compatibility) with the registry's reasons
    /// when it is not compatible (`?verbose=true`).
    pub fn check_compatibility(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
    ) -> Result<CompatibilityCheck> {
        let body = schema_request(schema)?;
        let path = format!(
            "/compatibility/subjects/{}/versions/{}?verbose=true",
            segment(subject),
            version.unwrap_or(Version::Latest).path()
        );
        let answer: wire::CompatibilityAnswer =
            self.call(Method::Post, &path, Some(&body), "check compatibility")?;
        let mut messages = answer.messages.unwrap_or_default();
        if let Some(reason) = answer.reason.filter(|r| !r.is_empty()) {
            messages.push(reason);
        }
        Ok(CompatibilityCheck {
            is_compatible: answer.is_compatible,
            messages,
        })
    }

    /// The compatibility level of `subject`, or with `None` the registry's default:
    /// `GET /config/{subject}` or `GET /config`. A subject without a level of its own
    /// gives an error with code
    /// [`error_codes::SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED`] on Confluent's
    /// registry.
    pub fn get_compatibility(&self, subject: Option<&str>) -> Result<CompatibilityLevel> {
        let answer: wire::ConfigAnswer = self.call(
            Method::Get,
            &config_path(subject),
            None,
            "get a compatibility level",
        )?;
        config_level(answer)
    }

    /// Sets the compatibility level of `subject`, or with `None` the registry's default,
    /// and returns the level the registry now has: `PUT /config/{subject}` or
    /// `PUT /config`.
    pub fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<CompatibilityLevel> {
        let body = serde_json::to_string(&wire::ConfigRequest {
            compatibility: level.name(),
        })
        .map_err(|e| KafkaError::new(ErrorKind::Serialization, e.to_string()))?;
        let answer: wire::ConfigAnswer = self.call(
            Method::Put,
            &config_path(subject),
            Some(&body),
            "set a compatibility level",
        )?;
        config_level(answer)
    }

    /// Empties the caches: the next calls ask the registry.
    pub fn clear_caches(&self) {
        self.schemas.lock().clear();
        self.ids.lock().clear();
    }

    fn forget_subject(&self, subject: &str) {
        self.ids.lock().remove_where(|(s, _)| s == subject);
    }

    fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        what: &str,
    ) -> Result<T> {
        let text = self.transport.request(method, path, body)?;
        serde_json::from_str(&text).map_err(|e| {
            let shown: String = text.chars().take(200).collect();
            KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!("schema registry: cannot {what}: {method} {path} answered `{shown}`: {e}"),
            )
        })
    }
}

fn schema_request(schema: &Schema) -> Result<String> {
    serde_json::to_string(&wire::SchemaRequest {
        schema: &schema.schema,
        schema_type: (schema.schema_type != SchemaType::Avro).then_some(schema.schema_type),
        references: &schema.references,
    })
    .map_err(|e| KafkaError::new(ErrorKind::Serialization, e.to_string()))
}

fn registered(answer: wire::VersionAnswer) -> RegisteredSchema {
    RegisteredSchema {
        id: answer.id,
        subject: answer.subject,
        version: answer.version,
        schema: Schema {
            schema: answer.schema,
            schema_type: answer.schema_type.unwrap_or_default(),
            references: answer.references.unwrap_or_default(),
        },
    }
}

fn config_path(subject: Option<&str>) -> String {
    match subject {
        Some(subject) => format!("/config/{}", segment(subject)),
        None => "/config".to_owned(),
    }
}

fn config_level(answer: wire::ConfigAnswer) -> Result<CompatibilityLevel> {
    let name = answer
        .compatibility_level
        .or(answer.compatibility)
        .ok_or_else(|| {
            KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "schema registry: a config answer without a compatibility level",
            )
        })?;
    name.parse().map_err(|_| {
        KafkaError::new(
            ErrorKind::UnexpectedResponse,
            format!("schema registry: unknown compatibility level `{name}`"),
        )
    })
}

fn permanent_query(permanent: bool) -> &'static str {
    if permanent {
        "?permanent=true"
    } else {
        ""
    }
}

/// `text` as one URL path segment: every byte but the unreserved ones
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so that a subject such as `a/b c` or
/// `:.ctx:orders` stays one segment.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_become_one_encoded_path_segment() {
        assert_eq!(segment("orders-value"), "orders-value");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment(":.ctx:x"), "%3A.ctx%3Ax");
        assert_eq!(segment("ü?#%"), "%C3%BC%3F%23%25");
        assert_eq!(
            format!(
                "/subjects/{}/versions/{}",
                segment("t/v"),
                Version::Latest.path()
            ),
            "/subjects/t%2Fv/versions/latest"
        );
        assert_eq!(config_path(None), "/config");
        assert_eq!(config_path(Some("s p")), "/config/s%20p");
        assert_eq!(permanent_query(true), "?permanent=true");
    }

    #[test]
    fn config_answers_name_the_level_either_way() {
        let get: wire::ConfigAnswer =
            serde_json::from_str(r#"{"compatibilityLevel":"FULL"}"#).unwrap();
        assert_eq!(config_level(get).unwrap(), CompatibilityLevel::Full);
        let put: wire::ConfigAnswer = serde_json::from_str(r#"{"compatibility":"NONE"}"#).unwrap();
        assert_eq!(config_level(put).unwrap(), CompatibilityLevel::None);
        let neither: wire::ConfigAnswer = serde_json::from_str("{}").unwrap();
        assert_eq!(
            config_level(neither).unwrap_err().kind(),
            ErrorKind::UnexpectedResponse
        );
    }

    #[test]
    fn answers_without_a_type_are_avro() {
        let answer: wire::VersionAnswer =
            serde_json::from_str(r#"{"subject":"s","id":3,"version":2,"schema":"\"string\""}"#)
                .unwrap();
        let first = registered(answer);
        assert_eq!(first.schema.schema_type, SchemaType::Avro);
        assert!(first.schema.references.is_empty());
        let answer: wire::VersionAnswer = serde_json::from_str(
            r#"{"subject":"s","id":3,"version":2,"schema":"{}","schemaType":"JSON",
                "references":[{"name":"n","subject":"t","version":1}]}"#,
        )
        .unwrap();
        let second = registered(answer);
        assert_eq!(second.schema.schema_type, SchemaType::Json);
        assert_eq!(
            second.schema.references,
            [SchemaReference::new("n", "t", 1)]
        );
    }

    #[test]
    fn the_client_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<SchemaRegistryClient>();
    }

    #[test]
    fn an_unreachable_registry_is_a_connection_error_after_the_retries() {
        // A port nothing listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = SchemaRegistryConfig::new(&format!("http://127.0.0.1:{port}"))
            .max_retries(2)
            .retry_backoff(
                std::time::Duration::from_millis(1),
                std::time::Duration::from_millis(2),
            );
        let client = SchemaRegistryClient::new(config).unwrap();
        let err = client.get_subjects(false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
        assert!(err.to_string().contains("3 round(s)"), "{err}");
    }
}
