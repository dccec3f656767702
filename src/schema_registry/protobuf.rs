//! Protobuf serializers and deserializers on a schema registry (feature `protobuf`,
//! on `prost`), in the Confluent wire format: the header, the message indexes, then
//! the message ([`framing`]).
//!
//! The crate does not parse `.proto` files: the serializer is given the schema's text
//! (registered as it is, with its references) and the *message index path* of the
//! message type it writes in that file: `[0]` for the first top-level message (the
//! default), `[2]` for the third, `[1, 0]` for the first message nested in the second.
//! The deserializer reads the path from each payload and checks it is the one its type
//! stands for, so a record of another message type of the same file is an error and not
//! a silent misreading.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kafka_sync::schema_registry::protobuf::{ProtobufDeserializer, ProtobufSerializer};
//! use kafka_sync::schema_registry::serdes::SerdeConfig;
//! use kafka_sync::schema_registry::{Schema, SchemaRegistryClient, SchemaRegistryConfig};
//!
//! #[derive(Clone, PartialEq, prost::Message)]
//! struct Order {
//!     #[prost(int64, tag = "1")]
//!     id: i64,
//! }
//!
//! let registry = Arc::new(SchemaRegistryClient::new(SchemaRegistryConfig::new("http://localhost:8081"))?);
//! let proto = Schema::protobuf(r#"syntax = "proto3"; package shop; message Order { int64 id = 1; }"#);
//! let serializer = ProtobufSerializer::new(Arc::clone(&registry), proto, &[0], SerdeConfig::value())?
//!     .with_record_name("shop.Order");
//! let deserializer = ProtobufDeserializer::<Order>::new(registry, &[0], SerdeConfig::value());
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use prost::Message;

use super::framing;
use super::serdes::SerdeConfig;
use super::writer_schemas::{serde_error, WriterSchemas};
use super::{Schema, SchemaRegistryClient, SchemaType};
use crate::consumer::Deserializer;
use crate::error::{KafkaError, Result};
use crate::producer::Serializer;

/// Writes `prost` messages of the type at a message index path of a `.proto` schema
/// (see the [module documentation](self)).
pub struct ProtobufSerializer {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    schema: Schema,
    /// The framed message indexes, written once.
    indexes: Vec<u8>,
    record_name: Option<String>,
    writers: WriterSchemas<()>,
}

impl std::fmt::Debug for ProtobufSerializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufSerializer")
            .field("config", &self.config)
            .field("record_name", &self.record_name)
            .finish_non_exhaustive()
    }
}

impl ProtobufSerializer {
    /// A serializer of the message at `message_path` in `schema` (a `.proto` file's
    /// text, with its references), registered or looked up as `config` says. With
    /// `use.latest.version` it writes under the latest version's id with the same path.
    /// Fails when `schema` is not a Protobuf schema, the path has a negative index, or
    /// `config` has both `use.latest.version` and `auto.register.schemas`.
    pub fn new(
        registry: Arc<SchemaRegistryClient>,
        schema: Schema,
        message_path: &[i32],
        config: SerdeConfig,
    ) -> Result<Self> {
        config.validate()?;
        if schema.schema_type != SchemaType::Protobuf {
            return Err(KafkaError::invalid_argument(format!(
                "a {} schema is not a Protobuf schema",
                schema.schema_type
            )));
        }
        if message_path.iter().any(|&i| i < 0) {
            return Err(KafkaError::invalid_argument(format!(
                "a message index path has no negative indexes: {message_path:?}"
            )));
        }
        let mut indexes = Vec::new();
        framing::write_message_indexes(&mut indexes, message_path);
        Ok(ProtobufSerializer {
            registry,
            config,
            schema,
            indexes,
            record_name: None,
            writers: WriterSchemas::new(),
        })
    }

    /// The message's full name (`package.Message`), which the record name strategies
    /// need.
    pub fn with_record_name(mut self, full_name: impl Into<String>) -> Self {
        self.record_name = Some(full_name.into());
        self
    }
}

impl<T: Message> Serializer<T> for ProtobufSerializer {
    fn serialize(&self, topic: &str, value: &T, out: &mut Vec<u8>) -> Result<()> {
        let subject = self.config.subject(topic, self.record_name.as_deref())?;
        let (id, _) = self.writers.resolve(
            &self.registry,
            &self.config,
            subject,
            (&self.schema, &Arc::new(())),
            |_| Ok(()),
        )?;
        framing::write_header(out, id);
        out.extend_from_slice(&self.indexes);
        value.encode(out).map_err(|e| {
            serde_error(
                &self.config,
                topic,
                format!("encoding the Protobuf message failed: {e}"),
            )
        })
    }
}

/// Reads `prost` messages of one type (see the [module documentation](self)): the
/// output is `None` for a null key or value.
pub struct ProtobufDeserializer<T> {
    registry: Arc<SchemaRegistryClient>,
    config: SerdeConfig,
    message_path: Vec<i32>,
    message: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ProtobufDeserializer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufDeserializer")
            .field("config", &self.config)
            .field("message_path", &self.message_path)
            .finish_non_exhaustive()
    }
}

impl<T> ProtobufDeserializer<T> {
    /// A deserializer of the message type at `message_path` of its schema (`[0]`, the
    /// first message, as most files have it). Each payload's schema id is checked with
    /// `registry` (once per id): it must name a Protobuf schema.
    pub fn new(
        registry: Arc<SchemaRegistryClient>,
        message_path: &[i32],
        config: SerdeConfig,
    ) -> Self {
        let message_path = if message_path.is_empty() {
            vec![0]
        } else {
            message_path.to_vec()
        };
        ProtobufDeserializer {
            registry,
            config,
            message_path,
            message: PhantomData,
        }
    }
}

impl<T: Message + Default> Deserializer for ProtobufDeserializer<T> {
    type Output = Option<T>;

    fn deserialize(&self, topic: &str, data: Option<&Bytes>) -> Result<Option<T>> {
        let Some(data) = data else {
            return Ok(None);
        };
        let malformed = |e: KafkaError| serde_error(&self.config, topic, e.message());
        let (id, rest) = framing::read_header(data).map_err(malformed)?;
        let (path, message) = framing::read_message_indexes(rest).map_err(malformed)?;
        let schema = self.registry.get_by_id(id).map_err(|e| {
            e.context(format!(
                "schema registry: the writer schema (id {id}) of a record of `{topic}`"
            ))
        })?;
        if schema.schema_type != SchemaType::Protobuf {
            return Err(serde_error(
                &self.config,
                topic,
                format!(
                    "the record was written with schema id {id}, a {} schema, not Protobuf",
                    schema.schema_type
                ),
            ));
        }
        if path != self.message_path {
            return Err(serde_error(
                &self.config,
                topic,
                format!(
                    "the record is message {path:?} of schema id {id}; this deserializer reads \
                     message {:?}",
                    self.message_path
                ),
            ));
        }
        T::decode(message).map(Some).map_err(|e| {
            serde_error(
                &self.config,
                topic,
                format!(
                    "{} byte(s) do not decode as {} (schema id {id}): {e}",
                    message.len(),
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}
