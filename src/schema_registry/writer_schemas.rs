//! What the serializers of every schema type share: the schema id a record is written
//! with, by subject, and their errors.

use std::sync::Arc;

use parking_lot::Mutex;

use super::cache::BoundedCache;
use super::serdes::SerdeConfig;
use super::{Schema, SchemaRegistryClient};
use crate::error::{ErrorKind, KafkaError, Result};

/// How many subjects a serializer remembers the schema id of.
const SUBJECTS_CACHED: usize = 1000;

/// A serializer's schema ids by subject, with the schema each writes (its own, or
/// with `use.latest.version` the subject's latest, parsed once into `P`).
pub(crate) struct WriterSchemas<P> {
    by_subject: Mutex<BoundedCache<String, (i32, Arc<P>)>>,
}

impl<P> WriterSchemas<P> {
    pub(crate) fn new() -> Self {
        WriterSchemas {
            by_subject: Mutex::new(BoundedCache::new(SUBJECTS_CACHED)),
        }
    }

    /// The id to write under `subject` and the schema to write with: `own` registered
    /// (`auto.register.schemas`) or looked up, or with `use.latest.version` the latest
    /// version, which `parse` turns into a `P`. Asks the registry once per subject.
    pub(crate) fn resolve(
        &self,
        registry: &SchemaRegistryClient,
        config: &SerdeConfig,
        subject: String,
        own: (&Schema, &Arc<P>),
        parse: impl FnOnce(&Schema) -> Result<P>,
    ) -> Result<(i32, Arc<P>)> {
        if let Some(found) = self.by_subject.lock().get(&subject) {
            return Ok(found);
        }
        let (schema, parsed) = own;
        let found = if config.uses_latest_version() {
            let latest = registry.get_latest_version(&subject).map_err(|e| {
                e.context(format!(
                    "schema registry: use.latest.version: the latest version of subject \
                     `{subject}`"
                ))
            })?;
            let parsed = parse(&latest.schema).map_err(|e| {
                e.context(format!(
                    "the latest version of subject `{subject}` (schema id {})",
                    latest.id
                ))
            })?;
            (latest.id, Arc::new(parsed))
        } else if config.auto_registers() {
            let id = registry.register(&subject, schema).map_err(|e| {
                e.context(format!(
                    "schema registry: registering the schema under subject `{subject}`"
                ))
            })?;
            (id, Arc::clone(parsed))
        } else {
            let found = registry.lookup(&subject, schema).map_err(|e| {
                e.context(format!(
                    "schema registry: auto.register.schemas is off and subject `{subject}` \
                     does not have this schema"
                ))
            })?;
            (found.id, Arc::clone(parsed))
        };
        self.by_subject
            .lock()
            .insert(subject, (found.0, Arc::clone(&found.1)));
        Ok(found)
    }
}

/// A serialization error: `what` went wrong with `topic`'s keys or values.
pub(crate) fn serde_error(
    config: &SerdeConfig,
    topic: &str,
    what: impl std::fmt::Display,
) -> KafkaError {
    KafkaError::new(
        ErrorKind::Serialization,
        format!(
            "{what} (a record of `{topic}`'s {})",
            if config.is_key() { "keys" } else { "values" }
        ),
    )
}
