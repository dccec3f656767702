//! Protocol conformance: every API and version of the schema table
//! (`kafka_sync::protocol::api::API_SCHEMAS`) against Apache Kafka's own JSON message
//! specs, pinned in `tests/fixtures/kafka-message-specs/` (where they come from is in its
//! `SOURCE.md`).
//!
//! For every API, for its request and its response, and for every version in our
//! supported range, the test checks that:
//!
//! - our version range lies within the spec's `validVersions`, and our first flexible
//!   version is where the spec's `flexibleVersions` start (or neither has one);
//! - the regular (untagged) fields present at that version are exactly the spec's, in
//!   order, with the same names (spec `CamelCase`, ours `snake_case`) and types,
//!   recursively through nested structs and arrays of structs;
//! - every tagged field we declare is a tagged field of the spec with the same tag,
//!   present in exactly the versions the spec has it in (`versions` and
//!   `taggedVersions`), and with the same default: an absent tagged field means its
//!   default, so a different default is a different value on the wire. The same holds
//!   for the fields of a struct carried in a tagged field, since the whole struct is
//!   left out when it equals its default. Tagged fields of the spec that we do not
//!   declare are fine: unknown tags are skipped on decode.
//!
//! Type mapping (spec → ours):
//!
//! | spec | ours |
//! | --- | --- |
//! | `int8` `int16` `uint16` `int32` `uint32` `int64` `float64` `bool` `uuid` | `i8` `i16` `u16` `i32` `u32` `i64` `f64` `bool` `Uuid` |
//! | `string`, `bytes`, `[]T` | `String`, `Bytes`, `Vec<T>`, each as `Option<..>` where the spec makes it nullable |
//! | `records` | `Option<Bytes>`, always (records travel as nullable bytes) |
//! | a struct, `[]Struct` | a `message!` struct (any name), `Vec` of one, each as `Option<..>` where the spec makes it nullable; compared field by field |
//!
//! Nullability: a field the spec makes nullable at a version must be an `Option<..>`
//! there (a null read into a plain `String`, `Bytes`, `Vec` or struct would be
//! indistinguishable from an empty value, and we could never send one), and an
//! `Option<..>` is allowed only on a field the spec makes nullable in some version. One
//! Rust type serves every version, so `Option<String>` on a field nullable only from
//! version N is fine.
//!
//! The request and response headers are checked too: the header version each API
//! version uses must exist and be flexible exactly when the API version is, and the
//! bytes `protocol::header` writes and reads must follow the header specs' layouts.
//!
//! The test is quiet when everything conforms; otherwise it fails once, listing every
//! mismatch with the API, the versions, request or response, the struct path and the
//! field.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use kafka_sync::protocol::api::{ApiKey, ApiSupport, API_SCHEMAS};
use kafka_sync::protocol::header::{decode_response_header, RequestHeader};
use kafka_sync::protocol::primitives::Reader;
use kafka_sync::protocol::schema::FieldSpec;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// The spec side: parsing Kafka's JSON (with `//` comments) into a small model.
// ---------------------------------------------------------------------------------------

/// A version range of the spec: `N+`, `A-B` or `N`. `none` is `Option::None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Versions {
    lo: i16,
    hi: Option<i16>,
}

impl Versions {
    fn contains(self, version: i16) -> bool {
        version >= self.lo && self.hi.is_none_or(|hi| version <= hi)
    }
}

fn parse_versions(text: &str) -> Option<Versions> {
    let text = text.trim();
    if text == "none" {
        return None;
    }
    let number = |s: &str| -> i16 {
        s.trim()
            .parse()
            .unwrap_or_else(|_| panic!("bad version range {text:?}"))
    };
    Some(if let Some(lo) = text.strip_suffix('+') {
        Versions {
            lo: number(lo),
            hi: None,
        }
    } else if let Some((lo, hi)) = text.split_once('-') {
        Versions {
            lo: number(lo),
            hi: Some(number(hi)),
        }
    } else {
        let v = number(text);
        Versions { lo: v, hi: Some(v) }
    })
}

/// A spec range as the spec writes it: `3+`, `0-4`, `none`.
fn show(range: Option<Versions>) -> String {
    match range {
        None => "none".to_owned(),
        Some(Versions { lo, hi: None }) => format!("{lo}+"),
        Some(Versions { lo, hi: Some(hi) }) => format!("{lo}-{hi}"),
    }
}

fn contains(range: Option<Versions>, version: i16) -> bool {
    range.is_some_and(|r| r.contains(version))
}

/// One field of a spec struct.
#[derive(Debug, Clone)]
struct SpecField {
    name: String,
    ty: String,
    versions: Option<Versions>,
    nullable: Option<Versions>,
    tag: Option<u32>,
    tagged: Option<Versions>,
    default: Option<String>,
    flexible_override: Option<String>,
    fields: Vec<SpecField>,
}

/// One spec file: a request, a response or a header.
#[derive(Debug)]
struct SpecMessage {
    name: String,
    api_key: Option<i16>,
    valid: Option<Versions>,
    flexible: Option<Versions>,
    fields: Vec<SpecField>,
    /// Every struct defined in the file (inline or in `commonStructs`), by type name,
    /// for fields that refer to a struct defined elsewhere.
    structs: HashMap<String, Vec<SpecField>>,
}

/// Removes `//` and `/* */` comments outside JSON strings.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(escaped) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = '\0';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_fields(
    value: Option<&Value>,
    file: &str,
    structs: &mut HashMap<String, Vec<SpecField>>,
) -> Vec<SpecField> {
    let Some(list) = value.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|f| {
            let get = |key: &str| f.get(key).and_then(text_of);
            let name = get("name").unwrap_or_else(|| panic!("{file}: a field without a name"));
            let ty = get("type").unwrap_or_else(|| panic!("{file}: {name} has no type"));
            let fields = parse_fields(f.get("fields"), file, structs);
            let versions = parse_versions(
                &get("versions").unwrap_or_else(|| panic!("{file}: {name} has no versions")),
            );
            let field = SpecField {
                versions,
                nullable: get("nullableVersions").and_then(|v| parse_versions(&v)),
                tag: f.get("tag").map(|t| {
                    t.as_u64()
                        .and_then(|t| u32::try_from(t).ok())
                        .unwrap_or_else(|| panic!("{file}: {name} has a bad tag"))
                }),
                tagged: get("taggedVersions").and_then(|v| parse_versions(&v)),
                default: get("default"),
                flexible_override: get("flexibleVersions"),
                fields,
                name,
                ty,
            };
            // A field with inline fields defines the struct its type names, which
            // other fields of the file may then use by name alone.
            if !field.fields.is_empty() {
                let struct_name = field.ty.trim_start_matches("[]").to_owned();
                structs
                    .entry(struct_name)
                    .or_insert_with(|| field.fields.clone());
            }
            field
        })
        .collect()
}

/// Versions past the pinned specs' `validVersions` that Kafka's spec comments declare
/// the same as an earlier version (API name, version, the version it repeats): the
/// version number alone tells the broker something, here the transactions protocol v2
/// (KIP-890: "Version 12 is the same as version 11", and TxnOffsetCommit 5 the same
/// as 4). For these the test checks that our fields at the version are our fields at
/// the earlier one (which is checked against the spec), and
/// `later_versions_repeat_their_base_in_the_kafka_jar` checks the claim against the
/// schemas compiled into the test broker's `kafka-clients` jar.
const LATER_VERSIONS: &[(&str, i16, i16)] = &[("Produce", 12, 11), ("TxnOffsetCommit", 5, 4)];

/// The version `version` of API `name` repeats, if it is one of [`LATER_VERSIONS`].
fn repeats(name: &str, version: i16) -> Option<i16> {
    LATER_VERSIONS
        .iter()
        .find(|(api, v, _)| *api == name && *v == version)
        .map(|(_, _, base)| *base)
}

/// Whether `fields` (recursively) are present at `a` exactly where they are at `b`.
fn same_fields_at(fields: &[FieldSpec], a: i16, b: i16) -> bool {
    fields.iter().all(|f| {
        f.in_version(a) == f.in_version(b) && f.nested.is_none_or(|n| same_fields_at(n(), a, b))
    })
}

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kafka-message-specs")
}

fn load_spec(file: &str) -> SpecMessage {
    let path = spec_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse_spec(&text, file)
}

fn parse_spec(text: &str, file: &str) -> SpecMessage {
    let json: Value = serde_json::from_str(&strip_comments(text))
        .unwrap_or_else(|e| panic!("parsing {file}: {e}"));
    let get = |key: &str| json.get(key).and_then(text_of);
    let mut structs = HashMap::new();
    if let Some(common) = json.get("commonStructs").and_then(Value::as_array) {
        for s in common {
            let name = s
                .get("name")
                .and_then(text_of)
                .unwrap_or_else(|| panic!("{file}: a common struct without a name"));
            let fields = parse_fields(s.get("fields"), file, &mut structs);
            structs.insert(name, fields);
        }
    }
    let fields = parse_fields(json.get("fields"), file, &mut structs);
    SpecMessage {
        name: get("name").unwrap_or_else(|| panic!("{file}: no name")),
        api_key: json
            .get("apiKey")
            .and_then(Value::as_i64)
            .and_then(|k| i16::try_from(k).ok()),
        valid: parse_versions(
            &get("validVersions").unwrap_or_else(|| panic!("{file}: no validVersions")),
        ),
        flexible: parse_versions(&get("flexibleVersions").unwrap_or_else(|| "none".into())),
        fields,
        structs,
    }
}

// ---------------------------------------------------------------------------------------
// Names, types and defaults on both sides.
// ---------------------------------------------------------------------------------------

/// `ThrottleTimeMs` → `throttle_time_ms`, `ISRNodes` → `isr_nodes`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Our type text without spaces and without module paths (`bytes::Bytes` → `Bytes`).
fn normalize_type(ty: &str) -> String {
    let compact: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::with_capacity(compact.len());
    let mut segment = String::new();
    for c in compact.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(""));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(""));
    out
}

/// Splits `Wrapper<Inner>` into `Inner` if the type is a `Wrapper`.
fn unwrap_generic<'t>(ty: &'t str, wrapper: &str) -> Option<&'t str> {
    ty.strip_prefix(wrapper)?
        .strip_prefix('<')?
        .strip_suffix('>')
}

/// Our type for a spec primitive type, or `None` if it is not a primitive.
fn primitive(spec_ty: &str) -> Option<&'static str> {
    Some(match spec_ty {
        "int8" => "i8",
        "int16" => "i16",
        "uint16" => "u16",
        "int32" => "i32",
        "uint32" => "u32",
        "int64" => "i64",
        "float64" => "f64",
        "bool" => "bool",
        "uuid" => "Uuid",
        "string" => "String",
        "bytes" => "Bytes",
        _ => return None,
    })
}

/// A default value in a comparable form.
#[derive(Debug, Clone, PartialEq)]
enum DefaultValue {
    Int(i128),
    Bool(bool),
    Str(String),
    Null,
    /// The all-zero UUID or empty bytes: the only defaults of those types here.
    Zero,
}

fn parse_int(text: &str) -> Option<i128> {
    let t: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, t.clone()),
    };
    let magnitude = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Ok(v) = digits.parse::<i128>() {
        v
    } else {
        let (ty, bound) = t.split_once("::")?;
        let bits: u32 = ty
            .strip_prefix('i')
            .or_else(|| ty.strip_prefix('u'))?
            .parse()
            .ok()?;
        let signed = ty.starts_with('i');
        return Some(match (bound, signed) {
            ("MIN", true) => -(1i128 << (bits - 1)),
            ("MAX", true) => (1i128 << (bits - 1)) - 1,
            ("MIN", false) => 0,
            ("MAX", false) => (1i128 << bits) - 1,
            _ => return None,
        });
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The default of a spec field of a primitive type (`None` for other types), `Err` if
/// unreadable.
fn spec_default(field: &SpecField) -> Result<Option<DefaultValue>, String> {
    let text = field.default.as_deref();
    let bad = || format!("spec default {text:?} of type {} is unreadable", field.ty);
    Ok(Some(match field.ty.as_str() {
        "int8" | "int16" | "uint16" | "int32" | "uint32" | "int64" => match text {
            None => DefaultValue::Int(0),
            Some(t) => DefaultValue::Int(parse_int(t).ok_or_else(bad)?),
        },
        "bool" => match text {
            None | Some("false") => DefaultValue::Bool(false),
            Some("true") => DefaultValue::Bool(true),
            Some(_) => return Err(bad()),
        },
        "string" => match text {
            Some("null") => DefaultValue::Null,
            None => DefaultValue::Str(String::new()),
            Some(t) => DefaultValue::Str(t.to_owned()),
        },
        "uuid" | "bytes" | "records" => match text {
            None => DefaultValue::Zero,
            Some("null") => DefaultValue::Null,
            Some(_) => return Err(bad()),
        },
        _ => return Ok(None),
    }))
}

/// The default of our field of (normalized) type `ty`, `Err` if unreadable.
fn our_default(field: &FieldSpec, ty: &str) -> Result<Option<DefaultValue>, String> {
    let text = field.default.map(|t| t.replace(' ', ""));
    let bad = || format!("our default {:?} of type {ty} is unreadable", field.default);
    let inner = unwrap_generic(ty, "Option");
    Ok(Some(match (ty, text.as_deref()) {
        ("i8" | "i16" | "u16" | "i32" | "u32" | "i64", None) => DefaultValue::Int(0),
        ("i8" | "i16" | "u16" | "i32" | "u32" | "i64", Some(t)) => {
            DefaultValue::Int(parse_int(t).ok_or_else(bad)?)
        }
        ("bool", None | Some("false")) => DefaultValue::Bool(false),
        ("bool", Some("true")) => DefaultValue::Bool(true),
        ("String", None) => DefaultValue::Str(String::new()),
        ("Uuid" | "Bytes", None) | ("Uuid", Some("Uuid::ZERO")) => DefaultValue::Zero,
        (_, None | Some("None")) if matches!(inner, Some("String" | "Bytes")) => DefaultValue::Null,
        (_, None) => return Ok(None),
        _ => return Err(bad()),
    }))
}

// ---------------------------------------------------------------------------------------
// The comparison.
// ---------------------------------------------------------------------------------------

/// Where a check happens: API, direction and version.
#[derive(Clone, Copy)]
struct Site<'a> {
    api: &'a str,
    direction: &'static str,
    version: i16,
    flexible: bool,
}

/// Collects mismatches, merging the same mismatch at several versions into one line.
#[derive(Default)]
struct Failures {
    /// (api and direction, message) → versions.
    found: BTreeMap<(String, String), Vec<i16>>,
}

impl Failures {
    fn add(&mut self, site: Site<'_>, path: &str, message: impl AsRef<str>) {
        let key = (
            format!("{} {}", site.api, site.direction),
            format!("{path}: {}", message.as_ref()),
        );
        let versions = self.found.entry(key).or_default();
        if !versions.contains(&site.version) {
            versions.push(site.version);
        }
    }

    fn add_api(&mut self, api: &str, direction: &str, message: impl AsRef<str>) {
        self.found
            .entry((format!("{api} {direction}"), message.as_ref().to_owned()))
            .or_default();
    }

    /// Every mismatch as one line.
    fn lines(&self) -> Vec<String> {
        self.found
            .iter()
            .map(|((api, message), versions)| {
                if versions.is_empty() {
                    format!("{api}: {message}")
                } else {
                    format!("{api} {}: {message}", version_list(versions))
                }
            })
            .collect()
    }

    fn report(self) {
        if self.found.is_empty() {
            return;
        }
        let mut text = format!(
            "{} mismatch(es) between our schemas and the Kafka message specs:\n",
            self.found.len()
        );
        for line in self.lines() {
            let _ = writeln!(text, "  {line}");
        }
        panic!("{text}");
    }
}

/// `[3, 4, 5, 7]` → `v3-5,7`.
fn version_list(versions: &[i16]) -> String {
    let mut sorted = versions.to_vec();
    sorted.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    format!("v{}", parts.join(","))
}

struct Checker<'a> {
    spec: &'a SpecMessage,
    failures: &'a mut Failures,
}

/// The fields of the spec struct a field holds: its inline fields, or those of the
/// struct of that name defined elsewhere in the file.
fn struct_fields<'s>(message: &'s SpecMessage, field: &'s SpecField) -> Option<&'s [SpecField]> {
    if !field.fields.is_empty() {
        return Some(&field.fields);
    }
    message
        .structs
        .get(field.ty.trim_start_matches("[]"))
        .map(Vec::as_slice)
}

impl<'a> Checker<'a> {
    /// Compares the fields of one struct at `site.version`. `defaults_matter` is set
    /// inside a struct carried by a tagged field.
    fn check_struct(
        &mut self,
        site: Site<'_>,
        path: &str,
        ours: &[FieldSpec],
        spec: &'a [SpecField],
        defaults_matter: bool,
    ) {
        let v = site.version;
        let ours_regular: Vec<&FieldSpec> = ours
            .iter()
            .filter(|f| f.tag.is_none() && f.in_version(v))
            .collect();
        let spec_regular: Vec<&SpecField> = spec
            .iter()
            .filter(|f| f.tag.is_none() && contains(f.versions, v))
            .collect();
        let our_names: Vec<&str> = ours_regular.iter().map(|f| f.name).collect();
        let spec_names: Vec<String> = spec_regular.iter().map(|f| snake_case(&f.name)).collect();
        if our_names != spec_names {
            let missing: Vec<&str> = spec_names
                .iter()
                .map(String::as_str)
                .filter(|n| !our_names.contains(n))
                .collect();
            let extra: Vec<&str> = our_names
                .iter()
                .copied()
                .filter(|n| !spec_names.iter().any(|s| s == n))
                .collect();
            let mut message = format!(
                "regular fields differ: spec has [{}], ours [{}]",
                spec_names.join(", "),
                our_names.join(", ")
            );
            if !missing.is_empty() {
                let _ = write!(message, "; missing: {}", missing.join(", "));
            }
            if !extra.is_empty() {
                let _ = write!(message, "; extra: {}", extra.join(", "));
            }
            if missing.is_empty() && extra.is_empty() {
                message.push_str("; out of order");
            }
            self.failures.add(site, path, message);
        }
        // Compare what can be paired by name, even if the sequences differ.
        for o in &ours_regular {
            if let Some(s) = spec_regular.iter().find(|s| snake_case(&s.name) == o.name) {
                self.check_field(site, path, o, s, defaults_matter);
            }
        }

        // The encoder writes tagged fields in declaration order, and the protocol wants
        // them in ascending tag order.
        let tags: Vec<u32> = ours
            .iter()
            .filter(|f| f.in_version(v))
            .filter_map(|f| f.tag)
            .collect();
        if site.flexible && tags.windows(2).any(|w| w[0] >= w[1]) {
            self.failures.add(
                site,
                path,
                format!("tagged fields are declared in tag order {tags:?}, not ascending"),
            );
        }

        for o in ours.iter().filter(|f| f.tag.is_some()) {
            let field_path = format!("{path}.{}", o.name);
            let Some(s) = spec.iter().find(|s| snake_case(&s.name) == o.name) else {
                self.failures
                    .add(site, &field_path, "tagged field is not in the spec");
                continue;
            };
            let Some(spec_tag) = s.tag else {
                self.failures.add(
                    site,
                    &field_path,
                    "tagged in ours, a regular field in the spec",
                );
                continue;
            };
            if o.tag != Some(spec_tag) {
                self.failures.add(
                    site,
                    &field_path,
                    format!("tag {:?} in ours, {spec_tag} in the spec", o.tag),
                );
                continue;
            }
            if !site.flexible {
                continue; // tagged fields only exist in flexible versions
            }
            let ours_present = o.in_version(v);
            let spec_present = contains(s.versions, v) && contains(s.tagged, v);
            if ours_present != spec_present {
                self.failures.add(
                    site,
                    &field_path,
                    format!(
                        "tagged field present in ours: {ours_present}, in the spec: {spec_present}"
                    ),
                );
            } else if ours_present {
                self.check_field(site, path, o, s, true);
            }
        }
    }

    /// Compares one field's type (and its default if `defaults_matter` or the field is
    /// tagged), recursing into the struct it holds.
    fn check_field(
        &mut self,
        site: Site<'_>,
        path: &str,
        ours: &FieldSpec,
        spec: &'a SpecField,
        defaults_matter: bool,
    ) {
        let v = site.version;
        let path = format!("{path}.{}", ours.name);
        if let Some(flex) = &spec.flexible_override {
            self.failures.add(
                site,
                &path,
                format!("the spec overrides flexibleVersions ({flex}) for this field, which message! cannot express"),
            );
        }
        let ty = normalize_type(ours.ty);
        let nullable_now = contains(spec.nullable, v);
        let nullable_ever = spec.nullable.is_some();
        let (is_option, inner) = match unwrap_generic(&ty, "Option") {
            Some(inner) => (true, inner),
            None => (false, ty.as_str()),
        };
        let fail = |failures: &mut Failures, message: String| {
            failures.add(site, &path, message);
        };
        let spec_ty = spec.ty.as_str();
        let described = format!(
            "spec {spec_ty}{}",
            if nullable_now { " (nullable)" } else { "" }
        );

        if spec_ty == "records" {
            if ty != "Option<Bytes>" {
                fail(
                    self.failures,
                    format!("type {ty}, but records map to Option<Bytes> ({described})"),
                );
            }
            return;
        }
        // Strings, bytes, arrays and structs can be null; numbers, bools and UUIDs cannot.
        let nullable_kind =
            primitive(spec_ty).is_none_or(|ours| ours == "String" || ours == "Bytes");
        if nullable_kind {
            if nullable_now && !is_option {
                fail(
                    self.failures,
                    format!("type {ty} cannot hold the null the spec allows here ({described})"),
                );
            } else if is_option && !nullable_ever {
                fail(
                    self.failures,
                    format!("type {ty} is nullable, but the spec never is ({described})"),
                );
            }
        } else if is_option {
            fail(
                self.failures,
                format!("type {ty}, but the spec type {spec_ty} is never nullable here"),
            );
        }

        if let Some(element) = spec_ty.strip_prefix("[]") {
            let Some(our_element) = unwrap_generic(inner, "Vec") else {
                fail(
                    self.failures,
                    format!("type {ty}, but the spec has an array ({described})"),
                );
                return;
            };
            if let Some(expected) = primitive(element) {
                if our_element != expected {
                    fail(
                        self.failures,
                        format!(
                            "element type {our_element}, but the spec's {element} is {expected}"
                        ),
                    );
                }
            } else {
                self.check_nested(site, &format!("{path}[]"), ours, spec, false);
            }
        } else if let Some(expected) = primitive(spec_ty) {
            if inner != expected {
                fail(
                    self.failures,
                    format!("type {ty}, but the spec's {spec_ty} is {expected}"),
                );
            }
            if defaults_matter || ours.tag.is_some() {
                match (our_default(ours, &ty), spec_default(spec)) {
                    (Ok(Some(a)), Ok(Some(b))) if a != b => fail(
                        self.failures,
                        format!("default {a:?} in ours, {b:?} in the spec (it decides when the field is left out)"),
                    ),
                    (Err(e), _) | (_, Err(e)) => fail(self.failures, e),
                    _ => {}
                }
            }
        } else {
            let nested_defaults = defaults_matter || ours.tag.is_some();
            self.check_nested(site, &path, ours, spec, nested_defaults);
        }
    }

    /// Recurses into the struct a field holds (directly or as array elements).
    fn check_nested(
        &mut self,
        site: Site<'_>,
        path: &str,
        ours: &FieldSpec,
        spec: &'a SpecField,
        defaults_matter: bool,
    ) {
        let Some(spec_fields) = struct_fields(self.spec, spec) else {
            self.failures.add(
                site,
                path,
                format!("the spec's struct type {} is not defined", spec.ty),
            );
            return;
        };
        let Some(nested) = ours.nested else {
            self.failures.add(
                site,
                path,
                format!(
                    "type {}, but the spec has the struct type {}",
                    normalize_type(ours.ty),
                    spec.ty
                ),
            );
            return;
        };
        self.check_struct(site, path, nested(), spec_fields, defaults_matter);
    }
}

/// Checks one API's request or response against its spec file.
fn check_message(
    failures: &mut Failures,
    support: ApiSupport,
    direction: &'static str,
    type_name: &str,
    fields: &[FieldSpec],
    spec: &SpecMessage,
) {
    let name = support.key.name();
    if spec.name != type_name {
        failures.add_api(
            name,
            direction,
            format!(
                "our type {type_name}, but the spec message is {}",
                spec.name
            ),
        );
    }
    if spec.api_key != Some(support.key.0) {
        failures.add_api(
            name,
            direction,
            format!(
                "api key {} in ours, {:?} in the spec",
                support.key.0, spec.api_key
            ),
        );
    }
    let (min, max) = (support.min_version, support.max_version);
    // The highest version the spec itself must cover.
    let mut spec_max = max;
    while spec_max > min && repeats(name, spec_max).is_some() {
        spec_max -= 1;
    }
    if !(contains(spec.valid, min) && contains(spec.valid, spec_max)) {
        failures.add_api(
            name,
            direction,
            format!(
                "our versions {min}-{spec_max} are not within the spec's validVersions {}",
                show(spec.valid)
            ),
        );
    }
    let ours_flexible = match support.first_flexible {
        i16::MAX => None,
        first => Some(Versions {
            lo: first,
            hi: None,
        }),
    };
    if ours_flexible != spec.flexible {
        failures.add_api(
            name,
            direction,
            format!(
                "flexible versions {} in ours, {} in the spec",
                show(ours_flexible),
                show(spec.flexible)
            ),
        );
    }
    for version in spec_max + 1..=max {
        let base = repeats(name, version).unwrap_or(version);
        if !same_fields_at(fields, version, base) {
            failures.add_api(
                name,
                direction,
                format!(
                    "our fields at version {version} differ from those at {base}, which it repeats"
                ),
            );
        }
    }
    let mut checker = Checker { spec, failures };
    for version in min..=spec_max {
        let site = Site {
            api: name,
            direction,
            version,
            flexible: support.is_flexible(version),
        };
        checker.check_struct(site, type_name, fields, &spec.fields, false);
    }
}

#[test]
fn every_api_and_version_matches_the_kafka_message_specs() {
    let mut failures = Failures::default();
    for api in API_SCHEMAS {
        let name = api.support.key.name();
        let request = load_spec(&format!("{name}Request.json"));
        check_message(
            &mut failures,
            api.support,
            "request",
            api.request_type,
            api.request_fields,
            &request,
        );
        let response = load_spec(&format!("{name}Response.json"));
        check_message(
            &mut failures,
            api.support,
            "response",
            api.response_type,
            api.response_fields,
            &response,
        );
    }
    failures.report();
}

#[test]
fn later_versions_repeat_their_base_in_the_kafka_jar() {
    let mut args = Vec::new();
    for (api, version, base) in LATER_VERSIONS {
        for direction in ["Request", "Response"] {
            args.push(format!("{api}{direction}Data:{version}:{base}"));
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = common::java::run("SchemaVersions", &args, "");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), args.len(), "{output}");
    for (arg, line) in args.iter().zip(&lines) {
        assert_eq!(*line, format!("{arg} same"), "the jar's schemas");
    }
}

// ---------------------------------------------------------------------------------------
// Headers.
// ---------------------------------------------------------------------------------------

/// Appends the classic (`INT16` length) or compact (varint length + 1) encoding of a
/// short non-null string.
fn put_string(buf: &mut Vec<u8>, value: &str, compact: bool) {
    let len = u8::try_from(value.len()).expect("test strings are short");
    assert!(len < 127, "test strings are short");
    if compact {
        buf.push(len + 1);
    } else {
        buf.extend_from_slice(&i16::from(len).to_be_bytes());
    }
    buf.extend_from_slice(value.as_bytes());
}

/// The bytes of a header at `version`, laid out from the spec's fields with `value`
/// giving each field's value by name.
fn header_bytes_from_spec(
    spec: &SpecMessage,
    version: i16,
    value: impl Fn(&str) -> i64,
) -> Vec<u8> {
    let flexible = contains(spec.flexible, version);
    let mut buf = Vec::new();
    for field in spec
        .fields
        .iter()
        .filter(|f| f.tag.is_none() && contains(f.versions, version))
    {
        let compact = match &field.flexible_override {
            Some(over) => contains(parse_versions(over), version),
            None => flexible,
        };
        match field.ty.as_str() {
            "int16" => buf.extend_from_slice(&(value(&field.name) as i16).to_be_bytes()),
            "int32" => buf.extend_from_slice(&(value(&field.name) as i32).to_be_bytes()),
            "string" => put_string(&mut buf, "client-1", compact),
            other => panic!("header field {} of type {other} is not handled", field.name),
        }
    }
    if flexible {
        buf.push(0); // no tagged fields
    }
    buf
}

#[test]
fn headers_match_the_kafka_header_specs() {
    let request = load_spec("RequestHeader.json");
    let response = load_spec("ResponseHeader.json");
    let mut failures = Failures::default();

    for api in API_SCHEMAS {
        let s = api.support;
        for version in s.min_version..=s.max_version {
            let site = Site {
                api: s.key.name(),
                direction: "header",
                version,
                flexible: s.is_flexible(version),
            };
            let rh = s.request_header_version(version);
            if !contains(request.valid, rh)
                || contains(request.flexible, rh) != s.is_flexible(version)
            {
                failures.add(
                    site,
                    "RequestHeader",
                    format!(
                        "request header v{rh} does not fit (flexible API version: {})",
                        s.is_flexible(version)
                    ),
                );
            }
            // ApiVersions responses always use header v0, so that a client can read
            // them before it knows what the broker speaks (KIP-511).
            let expected_flexible = s.is_flexible(version) && s.key != ApiKey::API_VERSIONS;
            let ph = s.response_header_version(version);
            if !contains(response.valid, ph) || contains(response.flexible, ph) != expected_flexible
            {
                failures.add(
                    site,
                    "ResponseHeader",
                    format!("response header v{ph} does not fit (flexible: {expected_flexible})"),
                );
            }
        }
    }

    let values = |name: &str| match name {
        "RequestApiKey" => 3,
        "RequestApiVersion" => 12,
        "CorrelationId" => 7,
        other => panic!("unexpected header field {other}"),
    };
    let header = RequestHeader {
        api_key: ApiKey::METADATA,
        api_version: 12,
        correlation_id: 7,
        client_id: Some("client-1"),
    };
    let valid = request.valid.expect("RequestHeader has versions");
    for version in valid.lo..=valid.hi.expect("a closed range") {
        let mut ours = Vec::new();
        header.encode(&mut ours, version);
        let expected = header_bytes_from_spec(&request, version, values);
        if ours != expected {
            failures.add_api(
                "RequestHeader",
                "encoding",
                format!("v{version}: ours {ours:?}, spec layout {expected:?}"),
            );
        }
    }
    let valid = response.valid.expect("ResponseHeader has versions");
    for version in valid.lo..=valid.hi.expect("a closed range") {
        let bytes = header_bytes_from_spec(&response, version, values);
        let mut r = Reader::new(bytes.clone());
        match decode_response_header(&mut r, version) {
            Ok(7) if r.is_empty() => {}
            other => failures.add_api(
                "ResponseHeader",
                "decoding",
                format!(
                    "v{version}: spec layout {bytes:?} decoded to {other:?} with {} bytes left",
                    r.remaining()
                ),
            ),
        }
    }
    failures.report();
}

// ---------------------------------------------------------------------------------------
// The checker itself.
// ---------------------------------------------------------------------------------------

#[test]
fn helpers_read_names_versions_and_defaults() {
    assert_eq!(snake_case("ThrottleTimeMs"), "throttle_time_ms");
    assert_eq!(snake_case("ISRNodes"), "isr_nodes");
    assert_eq!(snake_case("TopicId"), "topic_id");
    assert_eq!(parse_versions("3+"), Some(Versions { lo: 3, hi: None }));
    assert_eq!(parse_versions("0-4"), Some(Versions { lo: 0, hi: Some(4) }));
    assert_eq!(parse_versions("7"), Some(Versions { lo: 7, hi: Some(7) }));
    assert_eq!(parse_versions("none"), None);
    assert_eq!(
        normalize_type("Option < Vec < bytes::Bytes > >"),
        "Option<Vec<Bytes>>"
    );
    assert_eq!(parse_int("i32::MIN"), Some(i128::from(i32::MIN)));
    assert_eq!(parse_int("0x7fffffff"), Some(i128::from(i32::MAX)));
    assert_eq!(parse_int("60_000"), Some(60_000));
    assert_eq!(parse_int("-1"), Some(-1));
    let stripped = strip_comments("// a\n{ \"a\": \"b//c\", /* d */ \"e\": 1 } // f\n");
    let json: Value = serde_json::from_str(&stripped).expect("comments stripped");
    assert_eq!(json["a"], "b//c");
    assert_eq!(json["e"], 1);
    assert_eq!(version_list(&[3, 4, 5, 7]), "v3-5,7");
}

// A deliberately wrong transcription of a small spec, to show that the checker finds
// each kind of mismatch.
const SAMPLE_SPEC: &str = r#"
// A comment, as in Kafka's files.
{
  "apiKey": 999, "type": "request", "name": "SampleRequest",
  "validVersions": "0-3", "flexibleVersions": "2+",
  "fields": [
    { "name": "Name", "type": "string", "versions": "0+", "nullableVersions": "1+" },
    { "name": "Count", "type": "int32", "versions": "0+" },
    { "name": "Late", "type": "int32", "versions": "1+" },
    { "name": "Items", "type": "[]Item", "versions": "0+", "fields": [
      { "name": "Id", "type": "int64", "versions": "0+" },
      { "name": "Gone", "type": "bool", "versions": "0-1" }
    ]},
    { "name": "Payload", "type": "records", "versions": "0+", "nullableVersions": "0+" },
    { "name": "Owner", "type": "Owner", "versions": "0+", "nullableVersions": "0+", "fields": [
      { "name": "LeaderId", "type": "int32", "versions": "0+" }
    ]},
    { "name": "Hint", "type": "int32", "versions": "2+", "taggedVersions": "2+", "tag": 0 },
    { "name": "Epoch", "type": "int32", "versions": "2+", "taggedVersions": "2+", "tag": 1,
      "default": "-1" },
    { "name": "Leader", "type": "Leader", "versions": "2+", "taggedVersions": "2+", "tag": 2,
      "fields": [
        { "name": "LeaderId", "type": "int32", "versions": "0+", "default": "-1" }
    ]}
  ]
}
"#;

kafka_sync::message! {
    /// Wrong on purpose: see `checker_reports_each_kind_of_mismatch`.
    pub struct SampleRequest {
        /// Not nullable, but the spec's is from version 1.
        name: String [0..],
        /// The wrong width.
        count: i64 [0..],
        /// The wrong first version.
        late: i32 [2..],
        /// Not in the spec.
        extra: i8 [0..],
        /// A nested array.
        items: Vec<SampleItem> [0..],
        /// Records must be `Option<Bytes>`.
        payload: bytes::Bytes [0..],
        /// Not nullable, but the spec's struct is.
        owner: SampleLeader [0..],
        /// The wrong tag.
        hint: i32 [2..] tag 1,
        /// The wrong default.
        epoch: i32 [2..] tag 1 = 5,
        /// A tagged struct whose field default is wrong.
        leader: SampleLeader [2..] tag 2,
    }
}

kafka_sync::message! {
    /// An element of `items`.
    pub struct SampleItem {
        /// Right.
        id: i64 [0..],
        /// One version too long.
        gone: bool [0..=2],
    }
}

kafka_sync::message! {
    /// The tagged struct, and the nullable one.
    pub struct SampleLeader {
        /// The spec's default is -1.
        leader_id: i32 [0..],
    }
}

#[test]
fn checker_reports_each_kind_of_mismatch() {
    let spec = parse_spec(SAMPLE_SPEC, "sample");
    let support = ApiSupport {
        key: ApiKey(999),
        min_version: 0,
        max_version: 4,
        first_flexible: 3,
    };
    let mut failures = Failures::default();
    check_message(
        &mut failures,
        support,
        "request",
        "SampleRequest",
        SampleRequest::FIELDS,
        &spec,
    );
    let lines = failures.lines();
    let expect = [
        "Unknown request: our versions 0-4 are not within the spec's validVersions 0-3",
        "Unknown request: flexible versions 3+ in ours, 2+ in the spec",
        "Unknown request v1-4: SampleRequest.name: type String cannot hold the null",
        "Unknown request v0-4: SampleRequest.count: type i64, but the spec's int32 is i32",
        "Unknown request v1: SampleRequest: regular fields differ: spec has [name, count, late, \
         items, payload, owner], ours [name, count, extra, items, payload, owner]; missing: late; \
         extra: extra",
        "SampleRequest.items[]: regular fields differ: spec has [id], ours [id, gone]",
        "Unknown request v0-4: SampleRequest.payload: type Bytes, but records map to Option<Bytes>",
        "Unknown request v0-4: SampleRequest.owner: type SampleLeader cannot hold the null",
        "Unknown request v0-4: SampleRequest.hint: tag Some(1) in ours, 0 in the spec",
        "Unknown request v3-4: SampleRequest: tagged fields are declared in tag order [1, 1, 2]",
        "Unknown request v3-4: SampleRequest.epoch: default Int(5) in ours, Int(-1) in the spec",
        "Unknown request v3-4: SampleRequest.leader.leader_id: default Int(0) in ours, Int(-1)",
    ];
    for expected in expect {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(expected) || l.contains(expected)),
            "no mismatch {expected:?} among:\n{}",
            lines.join("\n")
        );
    }
}
