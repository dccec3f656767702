//! Avro serializers and deserializers on a schema registry (feature `avro`, on the
//! `apache-avro` crate), in the Confluent wire format ([`framing`]).
//!
//! - [`AvroSerializer`] writes any `serde::Serialize` value with a writer schema given
//!   once (parsed once); [`AvroValueSerializer`] writes `apache_avro::types::Value`s.
//!   The schema is registered under the subject (`auto.register.schemas`, the default),
//!   or looked up, or replaced by the subject's latest version (`use.latest.version`);
//!   see [`SerdeConfig`]. Each asks the registry once per subject.
//! - [`AvroDeserializer`] reads into any `serde::de::DeserializeOwned` type and
//!   [`AvroValueDeserializer`] into `Value`s. Both fetch the writer's schema by the id
//!   in the payload (once per id) and decode with it; given a reader schema (or with
//!   `use.latest.version`, the subject's latest) they resolve the data into it, by the
//!   Avro rules of schema evolution: a field the writer did not have takes the reader's
//!   default.
//!
//! A null key or value (a tombstone) stays `None` both ways. The record name strategies
//! use the schema's full name (`namespace.name`). Schemas with references (named types
//! registered under other subjects) are resolved through the registry.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kafka_sync::consumer::{StringDeserializer, TypedConsumer};
//! use kafka_sync::producer::{StringSerializer, TypedProducer};
//! use kafka_sync::schema_registry::avro::{AvroDeserializer, AvroSerializer};
//! use kafka_sync::schema_registry::serdes::SerdeConfig;
//! use kafka_sync::schema_registry::{Schema, SchemaRegistryClient, SchemaRegistryConfig};
//! use kafka_sync::{ConsumerConfig, ProducerConfig};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug)]
//! struct User {
//!     name: String,
//!     age: i32,
//! }
//!
//! let registry = Arc::new(SchemaRegistryClient::new(SchemaRegistryConfig::new("http://localhost:8081"))?);
//! let schema = Schema::avro(
//!     r#"{"type":"record","name":"User","namespace":"example","fields":[
//!         {"name":"name","type":"string"},{"name":"age","type":"int"}]}"#,
//! );
//! let serializer = AvroSerializer::new(Arc::clone(&registry), schema, SerdeConfig::value())?;
//! let producer = TypedProducer::<str, User>::new(ProducerConfig::new("localhost:9092"), StringSerializer, serializer)?;
//! let user = User { name: "Ada".into(), age: 36 };
//! producer.send("users", Some("ada"), Some(&user))?.get(Duration::from_secs(10))?;
//!
//! let deserializer = AvroDeserializer::<User>::new(registry, SerdeConfig::value());
//! let config = ConsumerConfig::new("localhost:9092").group_id("users-reader");
//! let mut consumer = TypedConsumer::new(config, StringDeserializer, deserializer)?;
//! consumer.subscribe(&["users"])?;
//! for record in consumer.poll(Duration::from_secs(1))? {
//!     let user: Option<User> = record.value;
//!     println!("{:?}: {user:?}", record.key);
//! }
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::marker::PhantomData;
use std::sync::Arc;

use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::Schema as AvroSchema;
use bytes::Bytes;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::avro_bounds;
use super::cache::BoundedCache;
use super::framing;
use super::serdes::SerdeConfig;
use super::writer_schemas::{serde_error, WriterSchemas};
use super::{Schema, SchemaRegistryClient, SchemaType};
use crate::consumer::Deserializer;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::producer::Serializer;

/// How many writer schemas by id, and reader schemas by subject, a deserializer keeps.
const SCHEMAS_CACHED: usize = 1000;

/// How deep references of references may go before a schema is taken for a cycle.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A parsed Avro schema with the named schemas it references.
#[derive(Debug)]
pub(crate) struct ParsedAvro {
    schema: AvroSchema,
    /// The referenced schemas followed by `schema` itself, for the name lookups of
    /// apache-avro's `*_schemata` calls; empty without references.
    schemata: Vec<AvroSchema>,
}

impl ParsedAvro {
    fn full_name(&self) -> Option<String> {
        self.schema.name().map(|name| name.fullname(None))
    }

    fn schemata(&self) -> Vec<&AvroSchema> {
        self.schemata.iter().collect()
    }

    fn encode(&self, value: Value) -> std::result::Result<Vec<u8>, apache_avro::Error> {
        if self.schemata.is_empty() {
            let value = value.resolve(&self.schema)?;
            apache_avro::to_avro_datum(&self.schema, value)
        } else {
            let value = value.resolve_schemata(&self.schema, self.schemata())?;
            apache_avro::to_avro_datum_schemata(&self.schema, self.schemata(), value)
        }
    }

    fn decode(
        &self,
        payload: &[u8],
        reader: Option<&ParsedAvro>,
    ) -> std::result::Result<Value, String> {
        let resolved = if self.schemata.is_empty() {
            ResolvedSchema::try_from(&self.schema)
        } else {
            ResolvedSchema::try_from(self.schemata())
        }
        .map_err(|e| e.to_string())?;
        avro_bounds::check(&self.schema, resolved.get_names(), payload)?;
        let mut input = Input {
            rest: payload,
            overran: false,
        };
        let value = if self.schemata.is_empty() {
            apache_avro::from_avro_datum(&self.schema, &mut input, None)
        } else {
            apache_avro::from_avro_datum_schemata(&self.schema, self.schemata(), &mut input, None)
        };
        // apache-avro reads a union cut off before its branch as null: a read past the
        // end means the payload was truncated, whatever the decoder made of it.
        if input.overran {
            return Err("the payload is truncated".to_owned());
        }
        let value = value.map_err(|e| e.to_string())?;
        match reader {
            None => Ok(value),
            Some(reader) if reader.schemata.is_empty() => value.resolve(&reader.schema),
            Some(reader) => value.resolve_schemata(&reader.schema, reader.schemata()),
        }
        .map_err(|e| e.to_string())
    }
}

/// A payload that remembers whether the decoder tried to read beyond its end.
struct Input<'a> {
    rest: &'a [u8],
    overran: bool,
}

impl std::io::Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !buf.is_empty() && self.rest.is_empty() {
            self.overran = true;
        }
        self.rest.read(buf)
    }
}

/// Parses `schema`, fetching the schemas it references (and theirs) from `registry`.
pub(crate) fn parse(registry: &SchemaRegistryClient, schema: &Schema) -> Result<ParsedAvro> {
    if schema.schema_type != SchemaType::Avro {
        return Err(KafkaError::new(
            ErrorKind::Serialization,
            format!("a {} schema is not an Avro schema", schema.schema_type),
        ));
    }
    if schema.references.is_empty() {
        let parsed = AvroSchema::parse_str(&schema.schema).map_err(invalid_schema)?;
        return Ok(ParsedAvro {
            schema: parsed,
            schemata: Vec::new(),
        });
    }
    let mut texts = Vec::new();
    let mut seen = Vec::new();
    collect_references(registry, schema, 0, &mut seen, &mut texts)?;
    let (parsed, mut schemata) =
        AvroSchema::parse_str_with_list(&schema.schema, &texts).map_err(invalid_schema)?;
    schemata.push(parsed.clone());
    Ok(ParsedAvro {
        schema: parsed,
        schemata,
    })
}

/// Appends the texts of the schemas `schema` references, dependencies first, each once.
fn collect_references(
    registry: &SchemaRegistryClient,
    schema: &Schema,
    depth: usize,
    seen: &mut Vec<(String, i32)>,
    texts: &mut Vec<String>,
) -> Result<()> {
    if depth > MAX_REFERENCE_DEPTH {
        return Err(KafkaError::new(
            ErrorKind::Serialization,
            format!("Avro schema references nest deeper than {MAX_REFERENCE_DEPTH} (a cycle?)"),
        ));
    }
    for reference in &schema.references {
        let key = (reference.subject.clone(), reference.version);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let referenced = registry
            .get_version(&reference.subject, reference.version)
            .map_err(|e| {
                e.context(format!(
                    "the Avro schema references `{}` (subject `{}` version {})",
                    reference.name, reference.subject, reference.version
                ))
            })?;
        collect_references(registry, &referenced.schema, depth + 1, seen, texts)?;
        texts.push(referenced.schema.schema);
    }
    Ok(())
}

fn invalid_schema(e: apache_avro::Error) -> KafkaError {
    KafkaError::new(
        ErrorKind::Serialization,
        format!("not a valid Avro schema: {e}"),
    )
}

/// The work both serializers share: the writer schema, the subject's ids.
struct AvroWriter {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    schema: Schema,
    parsed: Arc<ParsedAvro>,
    record_name: Option<String>,
    writers: WriterSchemas<ParsedAvro>,
}

impl AvroWriter {
    fn new(
        registry: Arc<SchemaRegistryClient>,
        schema: Schema,
        config: SerdeConfig,
    ) -> Result<Self> {
        config.validate()?;
        let parsed = parse(&registry, &schema)?;
        let record_name = parsed.full_name();
        if config.strategy().needs_record_name() && record_name.is_none() {
            return Err(KafkaError::config(
                "subject.name.strategy",
                format!(
                    "{} needs a named Avro schema (a record, an enum or a fixed)",
                    config.strategy()
                ),
            ));
        }
        Ok(AvroWriter {
            registry,
            config,
            schema,
            parsed: Arc::new(parsed),
            record_name,
            writers: WriterSchemas::new(),
        })
    }

    fn write(&self, topic: &str, value: Value, out: &mut Vec<u8>) -> Result<()> {
        let subject = self.config.subject(topic, self.record_name.as_deref())?;
        let registry = &*self.registry;
        let (id, writer) = self.writers.resolve(
            registry,
            &self.config,
            subject,
            (&self.schema, &self.parsed),
            |latest| parse(registry, latest),
        )?;
        let datum = writer.encode(value).map_err(|e| {
            serde_error(
                &self.config,
                topic,
                format!("the value does not fit the Avro schema (id {id}): {e}"),
            )
        })?;
        framing::write_header(out, id);
        out.extend_from_slice(&datum);
        Ok(())
    }
}

impl std::fmt::Debug for AvroWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroWriter")
            .field("config", &self.config)
            .field("record_name", &self.record_name)
            .finish_non_exhaustive()
    }
}

/// Writes `serde::Serialize` values as Avro with a writer schema (see the
/// [module documentation](self)).
#[derive(Debug)]
pub struct AvroSerializer {
    writer: AvroWriter,
}

impl AvroSerializer {
    /// A serializer that writes with `schema` (an Avro schema, parsed here; referenced
    /// schemas are fetched from `registry` now). Fails when the schema does not parse,
    /// when a record name strategy meets an unnamed schema, or when `config` has both
    /// `use.latest.version` and `auto.register.schemas`.
    pub fn new(
        registry: Arc<SchemaRegistryClient>,
        schema: Schema,
        config: SerdeConfig,
    ) -> Result<Self> {
        Ok(AvroSerializer {
            writer: AvroWriter::new(registry, schema, config)?,
        })
    }
}

impl<T: Serialize + ?Sized> Serializer<T> for AvroSerializer {
    fn serialize(&self, topic: &str, value: &T, out: &mut Vec<u8>) -> Result<()> {
        let value = apache_avro::to_value(value).map_err(|e| {
            serde_error(
                &self.writer.config,
                topic,
                format!("the value does not convert to Avro: {e}"),
            )
        })?;
        self.writer.write(topic, value, out)
    }
}

/// Writes `apache_avro::types::Value`s with a writer schema (see the
/// [module documentation](self)).
#[derive(Debug)]
pub struct AvroValueSerializer {
    writer: AvroWriter,
}

impl AvroValueSerializer {
    /// A serializer of `Value`s that writes with `schema`; see [`AvroSerializer::new`].
    pub fn new(
        registry: Arc<SchemaRegistryClient>,
        schema: Schema,
        config: SerdeConfig,
    ) -> Result<Self> {
        Ok(AvroValueSerializer {
            writer: AvroWriter::new(registry, schema, config)?,
        })
    }
}

impl Serializer<Value> for AvroValueSerializer {
    fn serialize(&self, topic: &str, value: &Value, out: &mut Vec<u8>) -> Result<()> {
        self.writer.write(topic, value.clone(), out)
    }
}

/// The work both deserializers share: writer schemas by id, the reader schema.
struct AvroReader {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    reader: Option<Arc<ParsedAvro>>,
    writers: Mutex<BoundedCache<i32, Arc<ParsedAvro>>>,
    latest: Mutex<BoundedCache<String, Arc<ParsedAvro>>>,
}

impl std::fmt::Debug for AvroReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroReader")
            .field("config", &self.config)
            .field(
                "reader_schema",
                &self.reader.as_ref().map(|r| r.full_name()),
            )
            .finish_non_exhaustive()
    }
}

impl AvroReader {
    fn new(registry: Arc<SchemaRegistryClient>, config: SerdeConfig) -> Self {
        AvroReader {
            registry,
            config,
            reader: None,
            writers: Mutex::new(BoundedCache::new(SCHEMAS_CACHED)),
            latest: Mutex::new(BoundedCache::new(SCHEMAS_CACHED)),
        }
    }

    fn with_reader_schema(mut self, schema: &Schema) -> Result<Self> {
        self.reader = Some(Arc::new(parse(&self.registry, schema)?));
        Ok(self)
    }

    fn writer_schema(&self, topic: &str, id: i32) -> Result<Arc<ParsedAvro>> {
        if let Some(found) = self.writers.lock().get(&id) {
            return Ok(found);
        }
        let schema = self.registry.get_by_id(id).map_err(|e| {
            e.context(format!(
                "schema registry: the writer schema (id {id}) of a record of `{topic}`"
            ))
        })?;
        let parsed = Arc::new(
            parse(&self.registry, &schema)
                .map_err(|e| e.context(format!("the writer schema with id {id}")))?,
        );
        self.writers.lock().insert(id, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The reader schema: the given one, or with `use.latest.version` the subject's
    /// latest version (the record name strategies take the writer's name).
    fn reader_schema(&self, topic: &str, writer: &ParsedAvro) -> Result<Option<Arc<ParsedAvro>>> {
        if let Some(reader) = &self.reader {
            return Ok(Some(Arc::clone(reader)));
        }
        if !self.config.uses_latest_version() {
            return Ok(None);
        }
        let subject = self.config.subject(topic, writer.full_name().as_deref())?;
        if let Some(found) = self.latest.lock().get(&subject) {
            return Ok(Some(found));
        }
        let latest = self.registry.get_latest_version(&subject).map_err(|e| {
            e.context(format!(
                "schema registry: use.latest.version: the latest version of subject `{subject}`"
            ))
        })?;
        let parsed = Arc::new(parse(&self.registry, &latest.schema)?);
        self.latest.lock().insert(subject, Arc::clone(&parsed));
        Ok(Some(parsed))
    }

    fn read(&self, topic: &str, data: &[u8]) -> Result<Value> {
        let (id, payload) = framing::read_header(data)
            .map_err(|e| serde_error(&self.config, topic, e.message()))?;
        let writer = self.writer_schema(topic, id)?;
        let reader = self.reader_schema(topic, &writer)?;
        writer.decode(payload, reader.as_deref()).map_err(|e| {
            serde_error(
                &self.config,
                topic,
                format!(
                    "{} byte(s) of Avro do not decode with the writer schema (id {id}){}: {e}",
                    payload.len(),
                    if reader.is_some() {
                        " into the reader schema"
                    } else {
                        ""
                    }
                ),
            )
        })
    }
}

/// Reads Avro into a `serde::de::DeserializeOwned` type `T` (see the
/// [module documentation](self)): the output is `None` for a null key or value.
pub struct AvroDeserializer<T> {
    reader: AvroReader,
    output: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for AvroDeserializer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroDeserializer")
            .field("reader", &self.reader)
            .finish()
    }
}

impl<T> AvroDeserializer<T> {
    /// A deserializer that reads with the writer's schema (and with
    /// `use.latest.version` resolves into the subject's latest version).
    pub fn new(registry: Arc<SchemaRegistryClient>, config: SerdeConfig) -> Self {
        AvroDeserializer {
            reader: AvroReader::new(registry, config),
            output: PhantomData,
        }
    }

    /// The same, resolving every record into `schema` (parsed here) by the rules of
    /// schema evolution.
    pub fn with_reader_schema(self, schema: &Schema) -> Result<Self> {
        Ok(AvroDeserializer {
            reader: self.reader.with_reader_schema(schema)?,
            output: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Deserializer for AvroDeserializer<T> {
    type Output = Option<T>;

    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<T>> {
        let Some(data) = data else {
            return Ok(None);
        };
        let value = self.reader.read(topic, data)?;
        apache_avro::from_value::<T>(&value).map(Some).map_err(|e| {
            serde_error(
                &self.reader.config,
                topic,
                format!(
                    "the Avro value does not fit {}: {e}",
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}

/// Reads Avro into `apache_avro::types::Value`s (see the [module documentation](self)):
/// the output is `None` for a null key or value.
#[derive(Debug)]
pub struct AvroValueDeserializer {
    reader: AvroReader,
}

impl AvroValueDeserializer {
    /// See [`AvroDeserializer::new`].
    pub fn new(registry: Arc<SchemaRegistryClient>, config: SerdeConfig) -> Self {
        AvroValueDeserializer {
            reader: AvroReader::new(registry, config),
        }
    }

    /// See [`AvroDeserializer::with_reader_schema`].
    pub fn with_reader_schema(self, schema: &Schema) -> Result<Self> {
        Ok(AvroValueDeserializer {
            reader: self.reader.with_reader_schema(schema)?,
        })
    }
}

impl Deserializer for AvroValueDeserializer {
    type Output = Option<Value>;

    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<Value>> {
        data.map(|data| self.reader.read(topic, data)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"{"type":"record","name":"User","namespace":"test","fields":[
        {"name":"name","type":"string"},
        {"name":"age","type":"int"},
        {"name":"email","type":["null","string"],"default":null}]}"#;

    fn parsed(text: &str) -> ParsedAvro {
        ParsedAvro {
            schema: AvroSchema::parse_str(text).unwrap(),
            schemata: Vec::new(),
        }
    }

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct User {
        name: String,
        age: i32,
        email: Option<String>,
    }

    #[test]
    fn serde_values_encode_with_their_schema_and_decode_back() {
        let schema = parsed(USER);
        assert_eq!(schema.full_name().as_deref(), Some("test.User"));
        let user = User {
            name: "Ada".into(),
            age: 36,
            email: None,
        };
        let bytes = schema
            .encode(apache_avro::to_value(&user).unwrap())
            .unwrap();
        // "Ada" (zig-zag length 3 = 6), 36 (= 72), union branch 0 (null).
        assert_eq!(bytes, [6, b'A', b'd', b'a', 72, 0]);
        let value = schema.decode(&bytes, None).unwrap();
        assert_eq!(apache_avro::from_value::<User>(&value).unwrap(), user);

        let with_email = User {
            email: Some("a@b".into()),
            ..user
        };
        let bytes = schema
            .encode(apache_avro::to_value(&with_email).unwrap())
            .unwrap();
        assert_eq!(&bytes[5..], [2, 6, b'a', b'@', b'b']);
    }

    #[test]
    fn truncated_and_hostile_payloads_are_errors() {
        let schema = parsed(USER);
        let bytes = schema
            .encode(
                apache_avro::to_value(User {
                    name: "Grace".into(),
                    age: 85,
                    email: Some("g@h".into()),
                })
                .unwrap(),
            )
            .unwrap();
        for len in 0..bytes.len() {
            assert!(schema.decode(&bytes[..len], None).is_err(), "{len} bytes");
        }
        // A string length of about 2^62 in a 10-byte payload.
        let hostile = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0];
        assert!(schema.decode(&hostile, None).is_err());
        // A varint that never ends.
        assert!(schema.decode(&[0xff; 32], None).is_err());
        // A string of 284 MB, and an array of a billion longs, in a few bytes: refused
        // before apache-avro allocates for them (avro_bounds).
        let err = schema
            .decode(&[0x80, 0xb0, 0xc3, 0x8f, 0x02, 0], None)
            .unwrap_err();
        assert!(err.contains("claims"), "{err}");
        let longs = parsed(r#"{"type":"array","items":"long"}"#);
        let err = longs
            .decode(&[0x80, 0xd0, 0xac, 0xf3, 0x07, 2, 0], None)
            .unwrap_err();
        assert!(err.contains("block claims"), "{err}");
    }

    #[test]
    fn a_reader_schema_fills_defaults_of_fields_the_writer_lacked() {
        let v1 = parsed(
            r#"{"type":"record","name":"User","namespace":"test","fields":[
                {"name":"name","type":"string"},{"name":"age","type":"int"}]}"#,
        );
        let v2 = parsed(USER);
        let bytes = v1
            .encode(Value::Record(vec![
                ("name".into(), Value::String("Ada".into())),
                ("age".into(), Value::Int(36)),
            ]))
            .unwrap();
        let value = v1.decode(&bytes, Some(&v2)).unwrap();
        assert_eq!(
            apache_avro::from_value::<User>(&value).unwrap(),
            User {
                name: "Ada".into(),
                age: 36,
                email: None
            }
        );
    }

    #[test]
    fn values_that_do_not_fit_the_schema_are_errors() {
        let schema = parsed(USER);
        assert!(schema.encode(Value::String("no".into())).is_err());
        assert!(schema
            .encode(Value::Record(vec![("name".into(), Value::Int(1))]))
            .is_err());
    }
}
