//! The declarative schema machinery: the [`Field`] trait that every wire type
//! implements, and the [`message!`](crate::message) macro that turns a struct
//! declaration annotated with version ranges into its encoder and decoder.
//!
//! A message is written once, transcribed from the Kafka message spec (the JSON files in
//! apache/kafka `clients/src/main/resources/common/message/`):
//!
//! ```text
//! message! {
//!     /// One topic of a Metadata request.
//!     pub struct MetadataRequestTopic {
//!         /// The topic id (zero UUID when the name is used).
//!         topic_id: Uuid [10..],
//!         /// The topic name; null from version 10 when the id is given.
//!         name: Option<String> [0..],
//!     }
//! }
//! ```
//!
//! Each field names its type and the versions it is present in (`[3..]` or `[0..=4]`);
//! `tag N` makes it a tagged field of flexible versions, and `= expr` gives the value
//! used when the field is absent (otherwise `Default::default()`). Whether a version is
//! flexible (compact strings and arrays, tagged fields) is not a property of the struct
//! but of the API version being spoken, so it travels in the [`Ctx`] passed down.
//! Supporting a new version of an API is therefore an edit to its field annotations and
//! its row in the API table ([`crate::protocol::api`]), never a new code path.
//!
//! Every message struct also describes itself: its hidden `FIELDS` constant lists each
//! field as a [`FieldSpec`] (name, Rust type as written, version range, tag, default),
//! and [`FieldSpec::nested`] leads to the fields of a nested struct (found through the
//! [`Describe`] trait, which every field type implements), so a test can walk a whole
//! message and compare it with the Kafka message spec (`tests/protocol_conformance.rs`).
//! The description is a constant: it costs nothing unless something reads it.

use bytes::Bytes;

use super::primitives::{Reader, Write};
use crate::error::{KafkaError, Result};

/// The version being encoded or decoded, and whether it is a flexible version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The API version.
    pub version: i16,
    /// Whether this version uses compact types and tagged fields (KIP-482).
    pub flexible: bool,
}

/// A type that can be written to and read from the wire at a given version.
pub trait Field: Sized {
    /// Appends the encoded value to `buf`: a `Vec<u8>`, or a
    /// [`ChunkedBuf`](crate::wire::ChunkedBuf) that keeps record batches by reference.
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx);
    /// Reads a value.
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self>;
    /// The smallest encoded size of one value, used to bound array lengths before
    /// allocating.
    const MIN_SIZE: usize = 1;
}

/// The description of one field of a [`message!`](crate::message) struct, as written in
/// its declaration. Read by the protocol conformance test; nothing at run time uses it.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The field name, e.g. `"throttle_time_ms"`.
    pub name: &'static str,
    /// The Rust type as written, e.g. `"Option<Vec<MetadataRequestTopic>>"`.
    pub ty: &'static str,
    /// The first version the field is present in.
    pub min_version: i16,
    /// The last version the field is present in, or `None` if it is in every later one.
    pub max_version: Option<i16>,
    /// The tag of a tagged field (flexible versions only), or `None` for a regular one.
    pub tag: Option<u32>,
    /// The default value as written after `=`, or `None` for `Default::default()`.
    pub default: Option<&'static str>,
    /// The fields of the message struct this field holds (directly, in a `Vec` or in an
    /// `Option`), or `None` if it holds a primitive type.
    pub nested: Option<fn() -> &'static [FieldSpec]>,
}

impl FieldSpec {
    /// Whether the field is present in `version` (tagged fields: in flexible versions).
    pub fn in_version(&self, version: i16) -> bool {
        version >= self.min_version && self.max_version.is_none_or(|max| version <= max)
    }
}

/// Leads from a field type to the description of the message struct it holds, if any.
/// Implemented for every wire type: primitives and strings hold none, `Vec<T>` and
/// `Option<T>` hold what `T` holds, and [`message!`](crate::message) structs themselves.
pub trait Describe {
    /// The fields of the message struct held by this type, or `None`.
    const NESTED: Option<fn() -> &'static [FieldSpec]> = None;
}

impl Describe for bool {}
impl Describe for i8 {}
impl Describe for i16 {}
impl Describe for u16 {}
impl Describe for i32 {}
impl Describe for u32 {}
impl Describe for i64 {}
impl Describe for f64 {}
impl Describe for Uuid {}
impl Describe for String {}
impl Describe for Bytes {}

impl<T: Describe> Describe for Vec<T> {
    const NESTED: Option<fn() -> &'static [FieldSpec]> = T::NESTED;
}

impl<T: Describe> Describe for Option<T> {
    const NESTED: Option<fn() -> &'static [FieldSpec]> = T::NESTED;
}

macro_rules! fixed_field {
    ($($ty:ty => $put:ident, $get:ident, $size:literal;)*) => {$(
        impl Field for $ty {
            fn encode<W: Write>(&self, buf: &mut W, _: Ctx) {
                buf.$put(*self);
            }
            fn decode(r: &mut Reader, _: Ctx) -> Result<Self> {
                r.$get()
            }
            const MIN_SIZE: usize = $size;
        }
    )*};
}

fixed_field! {
    bool => put_bool, bool, 1;
    i8 => put_i8, i8, 1;
    i16 => put_i16, i16, 2;
    u16 => put_u16, u16, 2;
    i32 => put_i32, i32, 4;
    u32 => put_u32, u32, 4;
    i64 => put_i64, i64, 8;
    f64 => put_f64, f64, 8;
}

/// A 128-bit UUID (topic ids, KIP-516). The all-zero value means "no id".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero UUID.
    pub const ZERO: Uuid = Uuid([0; 16]);
}

impl std::fmt::Debug for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Field for Uuid {
    fn encode<W: Write>(&self, buf: &mut W, _: Ctx) {
        buf.put_slice(&self.0);
    }
    fn decode(r: &mut Reader, _: Ctx) -> Result<Self> {
        r.uuid().map(Uuid)
    }
    const MIN_SIZE: usize = 16;
}

impl Field for String {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_string(Some(self), ctx.flexible);
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        r.string(ctx.flexible)
    }
}

impl Field for Option<String> {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_string(self.as_deref(), ctx.flexible);
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        r.nullable_string(ctx.flexible)
    }
}

impl Field for Bytes {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_shared_bytes(Some(self), ctx.flexible);
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        Ok(r.nullable_bytes(ctx.flexible)?.unwrap_or_default())
    }
}

/// Nullable bytes; also the `records` type (a record batch or message set), which a
/// [`ChunkedBuf`](crate::wire::ChunkedBuf) keeps by reference.
impl Field for Option<Bytes> {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_shared_bytes(self.as_ref(), ctx.flexible);
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        r.nullable_bytes(ctx.flexible)
    }
}

fn encode_items<T: Field, W: Write>(items: &[T], buf: &mut W, ctx: Ctx) {
    for item in items {
        item.encode(buf, ctx);
    }
}

/// The most items reserved for at once. `len` is the peer's claim, checked only
/// against the bytes left at `MIN_SIZE` bytes per item, while an item in memory is
/// bigger than its smallest encoding: the vector grows with the items actually read.
const MAX_RESERVED_ITEMS: usize = 1024;

fn decode_items<T: Field>(r: &mut Reader, ctx: Ctx, len: usize) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(len.min(MAX_RESERVED_ITEMS));
    for _ in 0..len {
        out.push(T::decode(r, ctx)?);
    }
    Ok(out)
}

impl<T: Field> Field for Vec<T> {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_length(Some(self.len()), ctx.flexible, true);
        encode_items(self, buf, ctx);
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        match r.array_len(ctx.flexible, T::MIN_SIZE)? {
            None => Ok(Vec::new()),
            Some(len) => decode_items(r, ctx, len),
        }
    }
}

impl<T: Field> Field for Option<Vec<T>> {
    fn encode<W: Write>(&self, buf: &mut W, ctx: Ctx) {
        buf.put_length(self.as_ref().map(Vec::len), ctx.flexible, true);
        if let Some(items) = self {
            encode_items(items, buf, ctx);
        }
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> Result<Self> {
        match r.array_len(ctx.flexible, T::MIN_SIZE)? {
            None => Ok(None),
            Some(len) => decode_items(r, ctx, len).map(Some),
        }
    }
}

/// Writes the tagged-field section of a flexible struct: the count, then each
/// `(tag, size, bytes)` in ascending tag order. Tagged fields are encoded into their own
/// `Vec<u8>` first, to learn their size, so they are always copied (none holds records).
#[doc(hidden)]
pub fn write_tagged_fields<W: Write>(buf: &mut W, fields: &[(u32, Vec<u8>)]) {
    buf.put_unsigned_varint(fields.len() as u32);
    for (tag, data) in fields {
        buf.put_unsigned_varint(*tag);
        buf.put_unsigned_varint(data.len() as u32);
        buf.put_slice(data);
    }
}

/// Reads the tagged-field section of a flexible struct, handing each known field's
/// bytes to `on_field` and skipping unknown ones.
#[doc(hidden)]
pub fn read_tagged_fields(
    r: &mut Reader,
    mut on_field: impl FnMut(u32, &mut Reader) -> Result<()>,
) -> Result<()> {
    let count = r.unsigned_varint()?;
    let mut last: Option<u32> = None;
    for _ in 0..count {
        let tag = r.unsigned_varint()?;
        if last.is_some_and(|last| tag <= last) {
            return Err(KafkaError::corrupt(format!(
                "tagged field {tag} out of order or repeated"
            )));
        }
        last = Some(tag);
        let size = r.unsigned_varint()? as usize;
        let mut sub = Reader::new(r.bytes(size, "tagged field")?);
        on_field(tag, &mut sub)?;
    }
    Ok(())
}

/// Whether `version` lies in a field's version range, written `[lo..]` or `[lo..=hi]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __version_in {
    ($v:expr, $lo:literal ..) => {
        $v >= $lo
    };
    ($v:expr, $lo:literal ..= $hi:literal) => {
        ($v >= $lo && $v <= $hi)
    };
}

/// The first version of a field's version range.
#[doc(hidden)]
#[macro_export]
macro_rules! __version_min {
    ($lo:literal ..) => {
        $lo
    };
    ($lo:literal ..= $hi:literal) => {
        $lo
    };
}

/// The last version of a field's version range, `None` if it is open.
#[doc(hidden)]
#[macro_export]
macro_rules! __version_max {
    ($lo:literal ..) => {
        None
    };
    ($lo:literal ..= $hi:literal) => {
        Some($hi)
    };
}

/// `Some(tag)` for a tagged field, `None` for a regular one.
#[doc(hidden)]
#[macro_export]
macro_rules! __field_tag {
    () => {
        None
    };
    ($tag:literal) => {
        Some($tag)
    };
}

/// The default value of a field as text, `None` if it is `Default::default()`.
#[doc(hidden)]
#[macro_export]
macro_rules! __field_default_text {
    () => {
        None
    };
    ($default:expr) => {
        Some(stringify!($default))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_default {
    ($ty:ty) => {
        <$ty as Default>::default()
    };
    ($ty:ty, $default:expr) => {
        $default
    };
}

/// Encodes one field in the regular (untagged) pass; tagged fields are skipped here.
#[doc(hidden)]
#[macro_export]
macro_rules! __field_encode {
    ($self:ident, $buf:ident, $ctx:ident, $field:ident, [$($vers:tt)*]) => {
        if $crate::__version_in!($ctx.version, $($vers)*) {
            $crate::protocol::schema::Field::encode(&$self.$field, $buf, $ctx);
        }
    };
    ($self:ident, $buf:ident, $ctx:ident, $field:ident, [$($vers:tt)*], $tag:literal) => {};
}

/// Encodes one tagged field (if it is tagged, present in this version and not default).
#[doc(hidden)]
#[macro_export]
macro_rules! __field_encode_tagged {
    ($self:ident, $out:ident, $ctx:ident, $field:ident, $ty:ty, [$($vers:tt)*], {}, {$($default:expr)?}) => {};
    ($self:ident, $out:ident, $ctx:ident, $field:ident, $ty:ty, [$($vers:tt)*], {$tag:literal}, {$($default:expr)?}) => {
        if $crate::__version_in!($ctx.version, $($vers)*)
            && $self.$field != $crate::__field_default!($ty $(, $default)?)
        {
            let mut data = Vec::new();
            $crate::protocol::schema::Field::encode(&$self.$field, &mut data, $ctx);
            $out.push(($tag, data));
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_decode {
    ($out:ident, $r:ident, $ctx:ident, $field:ident, [$($vers:tt)*]) => {
        if $crate::__version_in!($ctx.version, $($vers)*) {
            $out.$field = $crate::protocol::schema::Field::decode($r, $ctx)?;
        }
    };
    ($out:ident, $r:ident, $ctx:ident, $field:ident, [$($vers:tt)*], $tag:literal) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_decode_tagged {
    ($out:ident, $t:ident, $sub:ident, $ctx:ident, $field:ident, [$($vers:tt)*]) => {};
    ($out:ident, $t:ident, $sub:ident, $ctx:ident, $field:ident, [$($vers:tt)*], $tag:literal) => {
        if $t == $tag && $crate::__version_in!($ctx.version, $($vers)*) {
            $out.$field = $crate::protocol::schema::Field::decode($sub, $ctx)?;
        }
    };
}

/// Declares a protocol struct and implements [`Field`] for it from per-field version
/// annotations. See the [module documentation](crate::protocol::schema).
#[macro_export]
macro_rules! message {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty [$($vers:tt)*] $(tag $tag:literal)? $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The description of this struct's fields, in declaration order.
            #[doc(hidden)]
            pub const FIELDS: &'static [$crate::protocol::schema::FieldSpec] = &[
                $(
                    $crate::protocol::schema::FieldSpec {
                        name: stringify!($field),
                        ty: stringify!($ty),
                        min_version: $crate::__version_min!($($vers)*),
                        max_version: $crate::__version_max!($($vers)*),
                        tag: $crate::__field_tag!($($tag)?),
                        default: $crate::__field_default_text!($($default)?),
                        nested: <$ty as $crate::protocol::schema::Describe>::NESTED,
                    },
                )*
            ];
        }

        impl $crate::protocol::schema::Describe for $name {
            const NESTED: Option<fn() -> &'static [$crate::protocol::schema::FieldSpec]> =
                Some(|| $name::FIELDS);
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $( $field: $crate::__field_default!($ty $(, $default)?), )*
                }
            }
        }

        impl $crate::protocol::schema::Field for $name {
            #[allow(unused_variables)]
            fn encode<W: $crate::protocol::primitives::Write>(
                &self,
                buf: &mut W,
                ctx: $crate::protocol::schema::Ctx,
            ) {
                $( $crate::__field_encode!(self, buf, ctx, $field, [$($vers)*] $(, $tag)?); )*
                if ctx.flexible {
                    #[allow(unused_mut)]
                    let mut tagged: Vec<(u32, Vec<u8>)> = Vec::new();
                    $( $crate::__field_encode_tagged!(self, tagged, ctx, $field, $ty, [$($vers)*], {$($tag)?}, {$($default)?}); )*
                    $crate::protocol::schema::write_tagged_fields(buf, &tagged);
                }
            }

            #[allow(unused_variables, unused_mut)]
            fn decode(
                r: &mut $crate::protocol::primitives::Reader,
                ctx: $crate::protocol::schema::Ctx,
            ) -> $crate::error::Result<Self> {
                let mut out = <$name as Default>::default();
                $( $crate::__field_decode!(out, r, ctx, $field, [$($vers)*] $(, $tag)?); )*
                if ctx.flexible {
                    $crate::protocol::schema::read_tagged_fields(r, |t, sub| {
                        $( $crate::__field_decode_tagged!(out, t, sub, ctx, $field, [$($vers)*] $(, $tag)?); )*
                        Ok(())
                    })?;
                }
                Ok(out)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::message! {
        /// A test struct exercising every annotation.
        pub struct Sample {
            /// Always present.
            a: i32 [0..],
            /// Only in versions 1 to 2.
            b: Option<String> [1..=2],
            /// From version 2, with a default.
            c: bool [2..] = true,
            /// A tagged field in flexible versions.
            d: i64 [3..] tag 0,
            /// A nested array.
            e: Vec<Inner> [0..],
        }
    }

    crate::message! {
        /// A nested struct.
        pub struct Inner {
            /// A name.
            name: String [0..],
        }
    }

    fn round_trip(value: &Sample, ctx: Ctx) -> (Vec<u8>, Sample) {
        let mut buf = Vec::new();
        value.encode(&mut buf, ctx);
        let mut r = Reader::new(buf.clone());
        let back = Sample::decode(&mut r, ctx).unwrap();
        assert!(r.is_empty());
        (buf, back)
    }

    #[test]
    fn versions_select_fields() {
        let mut s = Sample::default();
        assert!(s.c);
        s.a = 7;
        s.b = Some("x".into());
        s.c = false;
        s.d = 5;
        s.e = vec![Inner { name: "n".into() }];

        let (bytes, back) = round_trip(
            &s,
            Ctx {
                version: 0,
                flexible: false,
            },
        );
        assert_eq!(bytes, [0, 0, 0, 7, 0, 0, 0, 1, 0, 1, b'n']);
        assert_eq!(back.b, None);
        assert!(back.c, "absent field takes its default");

        let (bytes, back) = round_trip(
            &s,
            Ctx {
                version: 2,
                flexible: false,
            },
        );
        assert_eq!(bytes, [0, 0, 0, 7, 0, 1, b'x', 0, 0, 0, 0, 1, 0, 1, b'n']);
        assert_eq!(back.b.as_deref(), Some("x"));
        assert!(!back.c);

        let (bytes, back) = round_trip(
            &s,
            Ctx {
                version: 3,
                flexible: true,
            },
        );
        // a, c, e (compact array of 1 with compact string + empty tag section),
        // then the tag section with d: count 1, tag 0, size 8, value 5.
        assert_eq!(
            bytes,
            [0, 0, 0, 7, 0, 2, 2, b'n', 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5]
        );
        assert_eq!(back, Sample { b: None, ..s });
    }

    #[test]
    fn unknown_tags_are_skipped_and_disorder_rejected() {
        let ctx = Ctx {
            version: 3,
            flexible: true,
        };
        // a=1, c=true, e=[] , tags: {7: [1,2]}
        let bytes = vec![0, 0, 0, 1, 1, 1, 1, 7, 2, 1, 2];
        let s = Sample::decode(&mut Reader::new(bytes), ctx).unwrap();
        assert_eq!(s.a, 1);
        let bytes = vec![0, 0, 0, 1, 1, 1, 2, 7, 0, 7, 0];
        assert!(Sample::decode(&mut Reader::new(bytes), ctx).is_err());
    }

    #[test]
    fn fields_describe_the_declaration() {
        let fields = Sample::FIELDS;
        let names: Vec<_> = fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        let b = &fields[1];
        assert_eq!(b.ty.replace(' ', ""), "Option<String>");
        assert_eq!((b.min_version, b.max_version), (1, Some(2)));
        assert!(!b.in_version(0) && b.in_version(2) && !b.in_version(3));
        assert_eq!(fields[2].default, Some("true"));
        assert_eq!(fields[2].max_version, None);
        assert_eq!(fields[3].tag, Some(0));
        assert_eq!(fields[0].tag, None);
        assert!(fields[0].nested.is_none());
        let inner = fields[4].nested.expect("Vec<Inner> leads to Inner")();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].name, "name");
    }

    #[test]
    fn a_small_frame_claiming_a_hundred_million_items_is_an_error() {
        use crate::protocol::messages::MetadataResponse;
        // Metadata v1 response body: throttle time is absent, then the brokers array,
        // claimed to hold 10^8 entries in a frame of a few bytes.
        let ctx = Ctx {
            version: 1,
            flexible: false,
        };
        let mut frame = Vec::new();
        frame.put_i32(100_000_000);
        frame.extend_from_slice(&[0; 16]);
        let err = MetadataResponse::decode(&mut Reader::new(frame), ctx).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::CorruptMessage, "{err}");
        // A flexible version's compact array says the same with a varint.
        let ctx = Ctx {
            version: 9,
            flexible: true,
        };
        let mut frame = vec![0, 0, 0, 0];
        frame.put_unsigned_varint(100_000_001);
        frame.extend_from_slice(&[0; 16]);
        assert!(MetadataResponse::decode(&mut Reader::new(frame), ctx).is_err());
    }

    #[test]
    fn truncated_input_is_an_error() {
        let ctx = Ctx {
            version: 2,
            flexible: false,
        };
        let mut buf = Vec::new();
        Sample::default().encode(&mut buf, ctx);
        for cut in 0..buf.len() {
            assert!(Sample::decode(&mut Reader::new(buf[..cut].to_vec()), ctx).is_err());
        }
    }
}
