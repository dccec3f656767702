//! JSON Schema serializers and deserializers on a schema registry (feature
//! `json-schema`): `serde` values written as JSON in the Confluent wire format
//! ([`framing`]), validated against the schema when asked (with the
//! `jsonschema` crate).
//!
//! - [`JsonSerializer`] writes any `serde::Serialize` value. Its schema is registered
//!   under the subject (`auto.register.schemas`), looked up, or replaced by the subject's
//!   latest version (`use.latest.version`); see [`SerdeConfig`]. With validation on, a
//!   value the schema refuses is an error and nothing is sent.
//! - [`JsonDeserializer`] reads into any `serde::de::DeserializeOwned` type
//!   (`serde_json::Value` for any JSON); with validation on it first checks the JSON
//!   against the writer's schema, fetched by the id in the payload (once per id).
//!
//! The record name strategies use the schema's `title`. Referenced schemas (a `$ref` to
//! a reference's name) are fetched from the registry. A null key or value stays `None`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kafka_sync::producer::Serializer;
//! use kafka_sync::schema_registry::json::JsonSerializer;
//! use kafka_sync::schema_registry::serdes::SerdeConfig;
//! use kafka_sync::schema_registry::{Schema, SchemaRegistryClient, SchemaRegistryConfig};
//!
//! let registry = Arc::new(SchemaRegistryClient::new(SchemaRegistryConfig::new("http://localhost:8081"))?);
//! let schema = Schema::json(
//!     r#"{"title":"Order","type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#,
//! );
//! let serializer = JsonSerializer::new(registry, schema, SerdeConfig::value(), true)?;
//! let mut out = Vec::new();
//! assert!(serializer.serialize("orders", &serde_json::json!({"id": "x"}), &mut out).is_err());
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use jsonschema::{Retrieve, Uri, Validator};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::cache::BoundedCache;
use super::framing;
use super::serdes::SerdeConfig;
use super::writer_schemas::{serde_error, WriterSchemas};
use super::{Schema, SchemaRegistryClient, SchemaType};
use crate::consumer::Deserializer;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::producer::Serializer;

/// How many writer schemas by id a validating deserializer keeps.
const SCHEMAS_CACHED: usize = 1000;

/// How deep references of references may go before a schema is taken for a cycle.
const MAX_REFERENCE_DEPTH: usize = 32;

/// How many validation errors an error message lists.
const ERRORS_SHOWN: usize = 5;

/// A parsed JSON Schema: its `title` and, with validation on, its validator.
pub(crate) struct ParsedJson {
    title: Option<String>,
    validator: Option<Validator>,
}

/// Parses `schema` and, if `validate`, compiles it with the schemas it references
/// (fetched from `registry`).
fn parse(registry: &SchemaRegistryClient, schema: &Schema, validate: bool) -> Result<ParsedJson> {
    if schema.schema_type != SchemaType::Json {
        return Err(KafkaError::new(
            ErrorKind::Serialization,
            format!("a {} schema is not a JSON Schema", schema.schema_type),
        ));
    }
    let document: Value = serde_json::from_str(&schema.schema).map_err(|e| {
        KafkaError::new(
            ErrorKind::Serialization,
            format!("a JSON Schema that is not JSON: {e}"),
        )
    })?;
    let title = document
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let validator = if validate {
        let mut references = HashMap::new();
        collect_references(registry, schema, 0, &mut references)?;
        let validator = jsonschema::options()
            .with_retriever(References(references))
            .build(&document)
            .map_err(|e| {
                KafkaError::new(
                    ErrorKind::Serialization,
                    format!("not a valid JSON Schema: {e}"),
                )
            })?;
        Some(validator)
    } else {
        None
    };
    Ok(ParsedJson { title, validator })
}

/// The referenced schemas by the name the referring schema uses for them.
fn collect_references(
    registry: &SchemaRegistryClient,
    schema: &Schema,
    depth: usize,
    found: &mut HashMap<String, Value>,
) -> Result<()> {
    if depth > MAX_REFERENCE_DEPTH {
        return Err(KafkaError::new(
            ErrorKind::Serialization,
            format!("JSON Schema references nest deeper than {MAX_REFERENCE_DEPTH} (a cycle?)"),
        ));
    }
    for reference in &schema.references {
        if found.contains_key(&reference.name) {
            continue;
        }
        let referenced = registry
            .get_version(&reference.subject, reference.version)
            .map_err(|e| {
                e.context(format!(
                    "the JSON Schema references `{}` (subject `{}` version {})",
                    reference.name, reference.subject, reference.version
                ))
            })?;
        let document: Value = serde_json::from_str(&referenced.schema.schema).map_err(|e| {
            KafkaError::new(
                ErrorKind::Serialization,
                format!(
                    "the referenced schema `{}` is not JSON: {e}",
                    reference.name
                ),
            )
        })?;
        found.insert(reference.name.clone(), document);
        collect_references(registry, &referenced.schema, depth + 1, found)?;
    }
    Ok(())
}

/// Serves `$ref`s to referenced schemas: a URI that is a reference's name, or ends
/// with `/` and the name.
struct References(HashMap<String, Value>);

impl Retrieve for References {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        self.0
            .iter()
            .find(|(name, _)| {
                wanted == name.as_str()
                    || wanted
                        .strip_suffix(name.as_str())
                        .is_some_and(|base| base.ends_with('/'))
            })
            .map(|(_, document)| document.clone())
            .ok_or_else(|| format!("no schema reference is named `{wanted}`").into())
    }
}

/// Checks `value` against `parsed`'s validator, if it has one.
fn check(parsed: &ParsedJson, value: &Value) -> std::result::Result<(), String> {
    let Some(validator) = &parsed.validator else {
        return Ok(());
    };
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(ERRORS_SHOWN + 1)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let more = if errors.len() > ERRORS_SHOWN {
        ", ..."
    } else {
        ""
    };
    Err(format!(
        "{}{more}",
        errors[..errors.len().min(ERRORS_SHOWN)].join("; ")
    ))
}

/// Writes `serde::Serialize` values as JSON (see the [module documentation](self)).
pub struct JsonSerializer {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    schema: Schema,
    parsed: Arc<ParsedJson>,
    validate: bool,
    writers: WriterSchemas<ParsedJson>,
}

impl std::fmt::Debug for JsonSerializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSerializer")
            .field("config", &self.config)
            .field("title", &self.parsed.title)
            .field("validate", &self.validate)
            .finish_non_exhaustive()
    }
}

impl JsonSerializer {
    /// A serializer that writes with `schema` (a JSON Schema, parsed here, and compiled
    /// with the schemas it references if `validate`). Fails when the schema does not
    /// parse or compile, when a record name strategy meets a schema without a `title`,
    /// or when `config` has both `use.latest.version` and `auto.register.schemas`.
    pub fn new(
        registry: Arc<SchemaRegistryClient>,
        schema: Schema,
        config: SerdeConfig,
        validate: bool,
    ) -> Result<Self> {
        config.validate()?;
        let parsed = parse(&registry, &schema, validate)?;
        if config.strategy().needs_record_name() && parsed.title.is_none() {
            return Err(KafkaError::config(
                "subject.name.strategy",
                format!("{} needs a JSON Schema with a `title`", config.strategy()),
            ));
        }
        Ok(JsonSerializer {
            registry,
            config,
            schema,
            parsed: Arc::new(parsed),
            validate,
            writers: WriterSchemas::new(),
        })
    }
}

impl<T: Serialize + ?Sized> Serializer<T> for JsonSerializer {
    fn serialize(&self, topic: &str, value: &T, out: &mut Vec<u8>) -> Result<()> {
        let subject = self.config.subject(topic, self.parsed.title.as_deref())?;
        let registry = &*self.registry;
        let (id, writer) = self.writers.resolve(
            registry,
            &self.config,
            subject,
            (&self.schema, &self.parsed),
            |latest| parse(registry, latest, self.validate),
        )?;
        let json = serde_json::to_value(value).map_err(|e| {
            serde_error(
                &self.config,
                topic,
                format!("the value does not convert to JSON: {e}"),
            )
        })?;
        check(&writer, &json).map_err(|problems| {
            serde_error(
                &self.config,
                topic,
                format!("the value does not match the JSON Schema (id {id}): {problems}"),
            )
        })?;
        framing::write_header(out, id);
        serde_json::to_writer(&mut *out, &json)
            .map_err(|e| serde_error(&self.config, topic, format!("writing JSON failed: {e}")))
    }
}

/// Reads JSON into a `serde::de::DeserializeOwned` type `T` (see the
/// [module documentation](self)): the output is `None` for a null key or value.
pub struct JsonDeserializer<T> {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    validate: bool,
    writers: Mutex<BoundedCache<i32, Arc<ParsedJson>>>,
    output: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonDeserializer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonDeserializer")
            .field("config", &self.config)
            .field("validate", &self.validate)
            .finish_non_exhaustive()
    }
}

impl<T> JsonDeserializer<T> {
    /// A deserializer that, if `validate`, checks every record against its writer's
    /// schema (fetched by id); without validation it only checks the framing.
    pub fn new(registry: Arc<SchemaRegistryClient>, config: SerdeConfig, validate: bool) -> Self {
        JsonDeserializer {
            registry,
            config,
            validate,
            writers: Mutex::new(BoundedCache::new(SCHEMAS_CACHED)),
            output: PhantomData,
        }
    }

    fn writer_schema(&self, topic: &str, id: i32) -> Result<Arc<ParsedJson>> {
        if let Some(found) = self.writers.lock().get(&id) {
            return Ok(found);
        }
        let schema = self.registry.get_by_id(id).map_err(|e| {
            e.context(format!(
                "schema registry: the writer schema (id {id}) of a record of `{topic}`"
            ))
        })?;
        let parsed = Arc::new(
            parse(&self.registry, &schema, true)
                .map_err(|e| e.context(format!("the writer schema with id {id}")))?,
        );
        self.writers.lock().insert(id, Arc::clone(&parsed));
        Ok(parsed)
    }
}

impl<T: DeserializeOwned> Deserializer for JsonDeserializer<T> {
    type Output = Option<T>;

    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<T>> {
        let Some(data) = data else {
            return Ok(None);
        };
        let (id, payload) = framing::read_header(data)
            .map_err(|e| serde_error(&self.config, topic, e.message()))?;
        let not_json = |e: serde_json::Error| {
            serde_error(
                &self.config,
                topic,
                format!(
                    "{} byte(s) after the header (schema id {id}) are not the expected JSON: {e}",
                    payload.len()
                ),
            )
        };
        if !self.validate {
            return serde_json::from_slice(payload).map(Some).map_err(not_json);
        }
        let json: Value = serde_json::from_slice(payload).map_err(not_json)?;
        let writer = self.writer_schema(topic, id)?;
        check(&writer, &json).map_err(|problems| {
            serde_error(
                &self.config,
                topic,
                format!("the JSON does not match its schema (id {id}): {problems}"),
            )
        })?;
        serde_json::from_value(json).map(Some).map_err(not_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(schema: &str) -> ParsedJson {
        let document: Value = serde_json::from_str(schema).unwrap();
        ParsedJson {
            title: None,
            validator: Some(jsonschema::validator_for(&document).unwrap()),
        }
    }

    #[test]
    fn validation_lists_the_problems_with_their_paths() {
        let parsed = validator(
            r#"{"type":"object","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["id"]}"#,
        );
        assert!(check(&parsed, &serde_json::json!({"id": 1, "tags": ["a"]})).is_ok());
        let problems = check(&parsed, &serde_json::json!({"tags": ["a", 2]})).unwrap_err();
        assert!(
            problems.contains("\"id\" is a required property"),
            "{problems}"
        );
        assert!(problems.contains("at /tags/1"), "{problems}");
        let unchecked = ParsedJson {
            title: None,
            validator: None,
        };
        assert!(check(&unchecked, &serde_json::json!("anything")).is_ok());
    }

    #[test]
    fn references_are_found_by_name_or_path_end() {
        let refs = References(HashMap::from([(
            "address.json".to_owned(),
            serde_json::json!({"type": "string"}),
        )]));
        let uri = |s: &str| jsonschema::uri::from_str(s).unwrap();
        assert!(refs
            .retrieve(&uri("https://example.com/address.json"))
            .is_ok());
        assert!(refs
            .retrieve(&uri("https://example.com/other.json"))
            .is_err());
        assert!(refs
            .retrieve(&uri("https://example.com/myaddress.json"))
            .is_err());
    }
}
