//! The values the registry's REST API exchanges: schemas with their type and
//! references, registered versions, compatibility levels and check results.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{KafkaError, Result};

/// The kind of a schema: the registry's `schemaType`. An answer without one is Avro.
///
/// ```
/// use kafka_sync::schema_registry::SchemaType;
///
/// assert_eq!("PROTOBUF".parse::<SchemaType>().unwrap(), SchemaType::Protobuf);
/// assert_eq!(SchemaType::default(), SchemaType::Avro);
/// assert_eq!(SchemaType::Json.to_string(), "JSON");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro (the registry's default).
    #[default]
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers.
    Protobuf,
}

impl SchemaType {
    /// The name the registry uses: `AVRO`, `JSON` or `PROTOBUF`.
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SchemaType {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "JSON" => Ok(SchemaType::Json),
            "PROTOBUF" => Ok(SchemaType::Protobuf),
            _ => Err(KafkaError::invalid_argument(format!(
                "`{s}` is not a schema type (AVRO, JSON or PROTOBUF)"
            ))),
        }
    }
}

/// A reference from one schema to another registered one: `name` is how the
/// referring schema names it (an Avro full name, a JSON Schema `$ref`, a `.proto`
/// import path), `subject` and `version` where the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referring schema uses.
    pub name: String,
    /// The subject of the referenced schema.
    pub subject: String,
    /// The version of the referenced schema under that subject.
    pub version: i32,
}

impl SchemaReference {
    /// A reference to version `version` of `subject`, named `name` in the schema.
    pub fn new(name: impl Into<String>, subject: impl Into<String>, version: i32) -> Self {
        SchemaReference {
            name: name.into(),
            subject: subject.into(),
            version,
        }
    }
}

/// A schema: its text, its type and the schemas it references.
///
/// Equal schemas (same text, type and references) get the same id under a subject, and
/// the client's schema-to-id cache uses that equality: a registered schema is looked up
/// without a request when the same text is registered again.
///
/// ```
/// use kafka_sync::schema_registry::{Schema, SchemaReference, SchemaType};
///
/// let user = Schema::avro(r#"{"type":"record","name":"User","fields":[]}"#);
/// assert_eq!(user.schema_type, SchemaType::Avro);
///
/// let order = Schema::new(
///     r#"syntax = "proto3"; import "user.proto"; message Order { User user = 1; }"#,
///     SchemaType::Protobuf,
/// )
/// .with_reference(SchemaReference::new("user.proto", "user-value", 1));
/// assert_eq!(order.references.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    /// The schema's text (Avro or JSON Schema JSON, or a `.proto` file).
    pub schema: String,
    /// Its type.
    pub schema_type: SchemaType,
    /// The schemas it references.
    pub references: Vec<SchemaReference>,
}

impl Schema {
    /// A schema of `schema_type` without references.
    pub fn new(schema: impl Into<String>, schema_type: SchemaType) -> Self {
        Schema {
            schema: schema.into(),
            schema_type,
            references: Vec::new(),
        }
    }

    /// An Avro schema without references.
    pub fn avro(schema: impl Into<String>) -> Self {
        Schema::new(schema, SchemaType::Avro)
    }

    /// A JSON Schema without references.
    pub fn json(schema: impl Into<String>) -> Self {
        Schema::new(schema, SchemaType::Json)
    }

    /// A Protobuf schema (a `.proto` file's text) without references.
    pub fn protobuf(schema: impl Into<String>) -> Self {
        Schema::new(schema, SchemaType::Protobuf)
    }

    /// The same schema with `reference` added.
    pub fn with_reference(mut self, reference: SchemaReference) -> Self {
        self.references.push(reference);
        self
    }
}

/// A schema as registered under a subject: the registry's answer for a version of a
/// subject or for a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The schema's id, the one the wire format carries.
    pub id: i32,
    /// The subject.
    pub subject: String,
    /// The version under that subject.
    pub version: i32,
    /// The schema.
    pub schema: Schema,
}

/// A subject's or the registry's compatibility level: which changes a new version of a
/// schema may make relative to the earlier ones.
///
/// ```
/// use kafka_sync::schema_registry::CompatibilityLevel;
///
/// let level: CompatibilityLevel = "BACKWARD_TRANSITIVE".parse().unwrap();
/// assert_eq!(level, CompatibilityLevel::BackwardTransitive);
/// assert_eq!(level.to_string(), "BACKWARD_TRANSITIVE");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompatibilityLevel {
    /// New schemas can read data written with the latest one (the registry's usual
    /// default).
    Backward,
    /// New schemas can read data written with every earlier one.
    BackwardTransitive,
    /// Data written with new schemas can be read with the latest one.
    Forward,
    /// Data written with new schemas can be read with every earlier one.
    ForwardTransitive,
    /// Backward and forward against the latest schema.
    Full,
    /// Backward and forward against every earlier schema.
    FullTransitive,
    /// No check.
    None,
}

impl CompatibilityLevel {
    /// The name the registry uses (`BACKWARD`, `FULL_TRANSITIVE`, `NONE`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
            CompatibilityLevel::None => "NONE",
        }
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "BACKWARD" => CompatibilityLevel::Backward,
            "BACKWARD_TRANSITIVE" => CompatibilityLevel::BackwardTransitive,
            "FORWARD" => CompatibilityLevel::Forward,
            "FORWARD_TRANSITIVE" => CompatibilityLevel::ForwardTransitive,
            "FULL" => CompatibilityLevel::Full,
            "FULL_TRANSITIVE" => CompatibilityLevel::FullTransitive,
            "NONE" => CompatibilityLevel::None,
            _ => {
                return Err(KafkaError::invalid_argument(format!(
                    "`{s}` is not a compatibility level"
                )))
            }
        })
    }
}

/// The answer of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatibilityCheck {
    /// Whether the schema may be registered as a new version.
    pub is_compatible: bool,
    /// Why not, as the registry words it (empty when compatible, or when the registry
    /// gives no reasons).
    pub messages: Vec<String>,
}

/// The JSON the API exchanges, private to the client: field names as on the wire.
pub(crate) mod wire {
    use serde::{Deserialize, Serialize};

    use super::{SchemaReference, SchemaType};

    /// The body of a register, lookup or compatibility request.
    #[derive(Serialize)]
    pub(crate) struct SchemaRequest<'a> {
        pub(crate) schema: &'a str,
        /// Left out for Avro, as the registry's own clients do, so that registries
        /// older than schema types accept it.
        #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
        pub(crate) schema_type: Option<SchemaType>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        pub(crate) references: &'a [SchemaReference],
    }

    /// A schema by id: `GET /schemas/ids/{id}`.
    #[derive(Deserialize)]
    pub(crate) struct SchemaAnswer {
        pub(crate) schema: String,
        #[serde(rename = "schemaType", default)]
        pub(crate) schema_type: Option<SchemaType>,
        #[serde(default)]
        pub(crate) references: Option<Vec<SchemaReference>>,
    }

    /// A subject's version: `GET /subjects/{s}/versions/{v}`, `POST /subjects/{s}`.
    #[derive(Deserialize)]
    pub(crate) struct VersionAnswer {
        pub(crate) subject: String,
        pub(crate) id: i32,
        pub(crate) version: i32,
        pub(crate) schema: String,
        #[serde(rename = "schemaType", default)]
        pub(crate) schema_type: Option<SchemaType>,
        #[serde(default)]
        pub(crate) references: Option<Vec<SchemaReference>>,
    }

    /// `POST /subjects/{s}/versions`.
    #[derive(Deserialize)]
    pub(crate) struct IdAnswer {
        pub(crate) id: i32,
    }

    /// `POST /compatibility/...`: Confluent's registry gives `messages` (with
    /// `verbose=true`), Apicurio's a `reason`.
    #[derive(Deserialize)]
    pub(crate) struct CompatibilityAnswer {
        pub(crate) is_compatible: bool,
        #[serde(default)]
        pub(crate) messages: Option<Vec<String>>,
        #[serde(default)]
        pub(crate) reason: Option<String>,
    }

    /// `GET /config` answers `compatibilityLevel`; `PUT /config` echoes
    /// `compatibility`.
    #[derive(Deserialize)]
    pub(crate) struct ConfigAnswer {
        #[serde(rename = "compatibilityLevel", default)]
        pub(crate) compatibility_level: Option<String>,
        #[serde(default)]
        pub(crate) compatibility: Option<String>,
    }

    /// The body of `PUT /config`.
    #[derive(Serialize)]
    pub(crate) struct ConfigRequest<'a> {
        pub(crate) compatibility: &'a str,
    }

    /// An error answer.
    #[derive(Deserialize)]
    pub(crate) struct ErrorAnswer {
        #[serde(default)]
        pub(crate) error_code: Option<i64>,
        #[serde(default)]
        pub(crate) message: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_types_and_levels_parse_their_names() {
        for t in [SchemaType::Avro, SchemaType::Json, SchemaType::Protobuf] {
            assert_eq!(t.name().parse::<SchemaType>().unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.name()));
        }
        assert!("XML".parse::<SchemaType>().is_err());
        for level in [
            CompatibilityLevel::Backward,
            CompatibilityLevel::BackwardTransitive,
            CompatibilityLevel::Forward,
            CompatibilityLevel::ForwardTransitive,
            CompatibilityLevel::Full,
            CompatibilityLevel::FullTransitive,
            CompatibilityLevel::None,
        ] {
            assert_eq!(level.name().parse::<CompatibilityLevel>().unwrap(), level);
        }
        assert!("SIDEWAYS".parse::<CompatibilityLevel>().is_err());
    }

    #[test]
    fn avro_requests_leave_the_type_out_and_others_name_it() {
        let avro = wire::SchemaRequest {
            schema: "\"string\"",
            schema_type: None,
            references: &[],
        };
        assert_eq!(
            serde_json::to_string(&avro).unwrap(),
            r#"{"schema":"\"string\""}"#
        );
        let refs = [SchemaReference::new("a.proto", "a-value", 2)];
        let proto = wire::SchemaRequest {
            schema: "syntax = \"proto3\";",
            schema_type: Some(SchemaType::Protobuf),
            references: &refs,
        };
        assert_eq!(
            serde_json::to_string(&proto).unwrap(),
            r#"{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF","references":[{"name":"a.proto","subject":"a-value","version":2}]}"#
        );
    }
}
