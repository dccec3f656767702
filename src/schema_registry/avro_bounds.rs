//! A check of an Avro datum's lengths, counts and nesting against the bytes present,
//! before apache-avro decodes it.
//!
//! apache-avro allocates what a payload claims before reading it: a string's buffer of
//! the length it gives (up to its process-wide cap of 512 MiB) and room for an array's
//! or map's items as counted by the block header. A hostile record of a few bytes could
//! make a deserializer allocate gigabytes, and a deeply nested recursive datum could
//! overflow the stack. [`check`] walks the datum as the decoder will, without
//! allocating for it, and refuses:
//! - a length longer than the bytes left;
//! - a block of more items than the bytes left could hold (each item's smallest
//!   encoding times the count; items that encode in no bytes, such as nulls, may count
//!   up to [`ZERO_SIZE_SLACK`] more than the bytes left);
//! - nesting deeper than [`MAX_DEPTH`];
//! - a union branch or enum index out of range, and a datum cut short.
//!
//! So what apache-avro allocates is bounded by a constant times the payload's size.

use apache_avro::schema::{Name, NamesRef, Namespace, Schema};

/// How deeply records, arrays, maps and unions may nest in one datum (a linked list of
/// records through a union takes two levels a node). apache-avro decodes recursively
/// with large stack frames: in a debug build a thread's default 2 MiB stack overflows
/// at about 50 levels, so deeper datums are refused rather than risk an abort.
pub(crate) const MAX_DEPTH: usize = 32;

/// How many more items than bytes left a block of zero-size items may claim.
pub(crate) const ZERO_SIZE_SLACK: usize = 4096;

/// Checks `payload` against `schema`, with `names` resolving its references. The
/// error says what claimed more than was there.
pub(crate) fn check(schema: &Schema, names: &NamesRef<'_>, payload: &[u8]) -> Result<(), String> {
    let mut walk = Walk {
        names,
        rest: payload,
    };
    walk.datum(schema, &None, 0)
}

struct Walk<'a, 'n> {
    names: &'a NamesRef<'n>,
    rest: &'a [u8],
}

impl<'n> Walk<'_, 'n> {
    fn datum(
        &mut self,
        schema: &Schema,
        namespace: &Namespace,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("the datum nests deeper than {MAX_DEPTH} levels"));
        }
        match schema {
            Schema::Null => Ok(()),
            Schema::Boolean => self.skip(1, "a boolean"),
            Schema::Int
            | Schema::Long
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => self.long().map(drop),
            Schema::Float => self.skip(4, "a float"),
            Schema::Double => self.skip(8, "a double"),
            Schema::Duration => self.skip(12, "a duration"),
            Schema::Bytes | Schema::String | Schema::BigDecimal | Schema::Uuid => {
                self.length_prefixed()
            }
            Schema::Fixed(fixed) => self.skip(fixed.size, "a fixed"),
            Schema::Decimal(decimal) => self.datum(&decimal.inner, namespace, depth),
            Schema::Enum(schema) => {
                let index = self.long()?;
                if usize::try_from(index).is_ok_and(|i| i < schema.symbols.len()) {
                    Ok(())
                } else {
                    Err(format!(
                        "enum index {index} is out of range (the enum has {} symbols)",
                        schema.symbols.len()
                    ))
                }
            }
            Schema::Union(union) => {
                let index = self.long()?;
                let variants = union.variants();
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .ok_or_else(|| {
                        format!(
                            "union branch {index} is out of range (the union has {})",
                            variants.len()
                        )
                    })?;
                self.datum(branch, namespace, depth + 1)
            }
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(namespace).namespace;
                for field in &record.fields {
                    self.datum(&field.schema, &inner, depth + 1)?;
                }
                Ok(())
            }
            Schema::Array(array) => {
                let min = self.min_size(&array.items, namespace, 0);
                self.blocks(min, "array", |walk| {
                    walk.datum(&array.items, namespace, depth + 1)
                })
            }
            Schema::Map(map) => {
                // A key is a string: at least its length byte.
                let min = 1 + self.min_size(&map.types, namespace, 0);
                self.blocks(min, "map", |walk| {
                    walk.length_prefixed()?;
                    walk.datum(&map.types, namespace, depth + 1)
                })
            }
            Schema::Ref { name } => {
                let (resolved, inner) = self.resolve(name, namespace)?;
                self.datum(resolved, &inner, depth)
            }
        }
    }

    /// The blocks of an array or map: counts (negative ones followed by a byte size),
    /// each checked against the bytes left, until a zero count.
    fn blocks(
        &mut self,
        min_item_size: usize,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let count = self.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                self.long()?; // the block's size in bytes
            }
            let count = count.unsigned_abs();
            let left = self.rest.len() as u64;
            let fits = match min_item_size {
                0 => count <= left.saturating_add(ZERO_SIZE_SLACK as u64),
                size => count.saturating_mul(size as u64) <= left,
            };
            if !fits {
                return Err(format!(
                    "an {what} block claims {count} items with {left} bytes left"
                ));
            }
            for _ in 0..count {
                item(self)?;
            }
        }
    }

    /// The fewest bytes a datum of `schema` encodes in (0 where unsure).
    fn min_size(&self, schema: &Schema, namespace: &Namespace, depth: usize) -> usize {
        if depth > 16 {
            return 0;
        }
        match schema {
            Schema::Null => 0,
            Schema::Float => 4,
            Schema::Double => 8,
            Schema::Duration => 12,
            Schema::Fixed(fixed) => fixed.size,
            Schema::Decimal(decimal) => self.min_size(&decimal.inner, namespace, depth + 1),
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(namespace).namespace;
                record.fields.iter().fold(0usize, |sum, field| {
                    sum.saturating_add(self.min_size(&field.schema, &inner, depth + 1))
                })
            }
            Schema::Ref { name } => match self.resolve(name, namespace) {
                Ok((resolved, inner)) => self.min_size(resolved, &inner, depth + 1),
                Err(_) => 0,
            },
            // Every other type starts with a varint or a byte.
            _ => 1,
        }
    }

    fn resolve(
        &self,
        name: &Name,
        namespace: &Namespace,
    ) -> Result<(&'n Schema, Namespace), String> {
        let full = name.fully_qualified_name(namespace);
        match self.names.get(&full) {
            Some(&schema) => Ok((schema, full.namespace.clone())),
            None => Err(format!(
                "the schema names `{}`, which it does not define",
                full
            )),
        }
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<(), String> {
        if n > self.rest.len() {
            return Err(format!(
                "the payload is truncated: {what} needs {n} bytes, {} are left",
                self.rest.len()
            ));
        }
        self.rest = &self.rest[n..];
        Ok(())
    }

    fn length_prefixed(&mut self) -> Result<(), String> {
        let len = self.long()?;
        match usize::try_from(len) {
            Ok(len) if len <= self.rest.len() => self.skip(len, "a string or bytes"),
            _ => Err(format!(
                "a string or bytes claims {len} bytes with {} left",
                self.rest.len()
            )),
        }
    }

    /// A zig-zag varint of up to 10 bytes.
    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some((&byte, rest)) = self.rest.split_first() else {
                return Err("the payload is truncated inside a number".to_owned());
            };
            self.rest = rest;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err("a number is longer than 10 bytes".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::schema::ResolvedSchema;

    fn run(schema: &str, payload: &[u8]) -> Result<(), String> {
        let schema = Schema::parse_str(schema).expect("schema");
        let resolved = ResolvedSchema::try_from(&schema).expect("resolved");
        check(&schema, resolved.get_names(), payload)
    }

    #[test]
    fn well_formed_data_passes() {
        let schema = r#"{"type":"record","name":"R","fields":[
            {"name":"s","type":"string"},
            {"name":"a","type":{"type":"array","items":"long"}},
            {"name":"m","type":{"type":"map","values":"double"}},
            {"name":"u","type":["null","int"]},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#;
        let mut payload = vec![6, b'a', b'b', b'c']; // "abc"
        payload.extend([4, 2, 4, 0]); // [1, 2]
        payload.extend([2, 2, b'k']); // {"k": ...
        payload.extend(1.5f64.to_le_bytes()); // ... 1.5}
        payload.push(0);
        payload.extend([2, 14]); // int 7
        payload.push(2); // Y
        assert_eq!(run(schema, &payload), Ok(()));
        // Negative block counts carry a byte size.
        assert_eq!(
            run(r#"{"type":"array","items":"int"}"#, &[3, 4, 2, 4, 0]),
            Ok(())
        );
        // Up to ZERO_SIZE_SLACK nulls need no bytes.
        assert_eq!(
            run(r#"{"type":"array","items":"null"}"#, &[200, 1, 0]),
            Ok(())
        );
    }

    #[test]
    fn claims_beyond_the_bytes_are_refused() {
        // A string of about 2^62 bytes, and of 300 MB in a 4-byte payload.
        let err = run(
            r#""string""#,
            &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        )
        .unwrap_err();
        assert!(err.contains("claims"), "{err}");
        assert!(run(r#""bytes""#, &[0x80, 0xb0, 0xc3, 0x8f, 0x02]).is_err());
        // 500 million longs, or maps, or nulls, in a few bytes.
        let many = [0x80, 0xd0, 0xac, 0xf3, 0x07];
        for schema in [
            r#"{"type":"array","items":"long"}"#,
            r#"{"type":"map","values":"null"}"#,
            r#"{"type":"array","items":"null"}"#,
        ] {
            let err = run(schema, &many).unwrap_err();
            assert!(err.contains("block claims"), "{schema}: {err}");
        }
        // Three fixed items of 16 bytes do not fit in 20 bytes.
        let fixed = r#"{"type":"array","items":{"type":"fixed","name":"F","size":16}}"#;
        let mut payload = vec![6];
        payload.extend([0; 20]);
        assert!(run(fixed, &payload).unwrap_err().contains("3 items"));
    }

    #[test]
    fn bad_indexes_truncation_and_deep_nesting_are_refused() {
        assert!(run(r#"["null","int"]"#, &[4])
            .unwrap_err()
            .contains("branch 2"));
        let e = r#"{"type":"enum","name":"E","symbols":["X"]}"#;
        assert!(run(e, &[2]).unwrap_err().contains("enum index 1"));
        assert!(run(r#""double""#, &[0; 7])
            .unwrap_err()
            .contains("truncated"));
        assert!(run(r#""long""#, &[0x80]).unwrap_err().contains("truncated"));
        assert!(run(r#""long""#, &[0xff; 11])
            .unwrap_err()
            .contains("10 bytes"));

        // A linked list: each level is a union branch 1, then the next node.
        let list = r#"{"type":"record","name":"Node","fields":[
            {"name":"next","type":["null","Node"]}]}"#;
        let mut shallow = vec![2; MAX_DEPTH / 2 - 1];
        shallow.push(0);
        assert_eq!(run(list, &shallow), Ok(()));
        // apache-avro decodes what passes within a test thread's stack.
        let schema = Schema::parse_str(list).expect("schema");
        let value = apache_avro::from_avro_datum(&schema, &mut &shallow[..], None);
        assert!(value.is_ok(), "{value:?}");
        let mut deep = vec![2; MAX_DEPTH / 2 + 1];
        deep.push(0);
        assert!(run(list, &deep).unwrap_err().contains("deeper"));
        // A hostile datum nested far deeper is refused just as well.
        let mut hostile = vec![2; 100_000];
        hostile.push(0);
        assert!(run(list, &hostile).unwrap_err().contains("deeper"));
    }
}
