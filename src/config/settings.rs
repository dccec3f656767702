//! The settings table: each setting of a config struct is one row that gives its field
//! (with its documentation), its default, its Java property name with the parser of its
//! value, and whether it gets a typed setter. [`config_struct!`] turns the rows into the
//! struct, its `new`, the setters and `set_from_table`, the lookup of a Java name that
//! the struct's own `set` calls before the keys that need more than one field.
//!
//! A row reads
//!
//! ```text
//! /// `linger.ms`: how long a batch waits for more records. Default 5 ms.
//! linger: Duration = Duration::from_millis(5), "linger.ms" => parse_ms, setter;
//! ```
//!
//! `setter` makes `fn linger(self, value: Duration) -> Self`; `setter some` (for an
//! `Option<String>`) makes `fn group_id(self, value: impl Into<String>) -> Self`; a row
//! without one has its setter written by hand, or none. Fields that are not settings
//! (the shared `ClientConfig`, bookkeeping) are listed before the rows with their
//! defaults, and are private unless marked `pub`.

use std::str::FromStr;

use crate::error::{KafkaError, Result};

/// Declares a config struct from its settings table (see the [module
/// documentation](self)).
macro_rules! config_struct {
    (
        $(#[$meta:meta])*
        pub struct $config:ident {
            fn new($arg:ident);
            fields {
                $( $(#[$fdoc:meta])* $fvis:vis $fname:ident: $fty:ty = $fdefault:expr; )*
            }
            settings {
                $(
                    $(#[$doc:meta])*
                    $name:ident: $ty:ty = $default:expr, $key:literal => $parse:path
                    $(, setter $($some:ident)?)?;
                )*
            }
        }
    ) => {
        $(#[$meta])*
        pub struct $config {
            $( $(#[$fdoc])* $fvis $fname: $fty, )*
            $( $(#[$doc])* pub $name: $ty, )*
        }

        impl $config {
            /// Defaults with the given bootstrap servers (comma-separated `host:port`).
            pub fn new($arg: &str) -> Self {
                $config {
                    $( $fname: $fdefault, )*
                    $( $name: $default, )*
                }
            }

            $( $( $crate::config::settings::config_struct!(@setter $name, $ty, $key $(, $some)?); )? )*

            /// Sets the setting of the table whose Java name is `key`; `Ok(false)` if
            /// no row has that name.
            fn set_from_table(&mut self, key: &str, value: &str) -> $crate::error::Result<bool> {
                match key {
                    $( $key => self.$name = $parse(key, value)?, )*
                    _ => return Ok(false),
                }
                Ok(true)
            }

            /// The Java names of the settings in the table, in table order.
            #[cfg(test)]
            pub(crate) const TABLE_KEYS: &'static [&'static str] = &[$( $key, )*];
        }
    };
    (@setter $name:ident, $ty:ty, $key:literal) => {
        #[doc = concat!("`", $key, "`.")]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
    (@setter $name:ident, $ty:ty, $key:literal, some) => {
        #[doc = concat!("`", $key, "`.")]
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

pub(crate) use config_struct;

/// A value of a type with its own parser, whose errors name the key already.
pub(crate) fn parse_value<T: FromStr<Err = KafkaError>>(_key: &str, value: &str) -> Result<T> {
    value.parse()
}

/// A comma-separated list of values of a type with its own parser; empty items are
/// left out.
pub(crate) fn parse_list<T: FromStr<Err = KafkaError>>(_key: &str, value: &str) -> Result<Vec<T>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// Text without the whitespace around it; empty text is `None`.
pub(crate) fn parse_optional_text(_key: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Text without the whitespace around it.
pub(crate) fn parse_trimmed(_key: &str, value: &str) -> Result<String> {
    Ok(value.trim().to_owned())
}

/// Text as given.
pub(crate) fn parse_text(_key: &str, value: &str) -> Result<String> {
    Ok(value.to_owned())
}

/// Text as given; empty text is `None`.
pub(crate) fn parse_nonempty_text(_key: &str, value: &str) -> Result<Option<String>> {
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// A whole number of 32 bits.
pub(crate) fn parse_i32(key: &str, value: &str) -> Result<i32> {
    value
        .trim()
        .parse::<i32>()
        .map_err(|_| KafkaError::config(key, format!("`{value}` is not a 32-bit whole number")))
}

/// A whole number of 0 or more that fits in 32 bits.
pub(crate) fn parse_u32(key: &str, value: &str) -> Result<u32> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| KafkaError::config(key, format!("`{value}` is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    config_struct! {
        /// A config for the test.
        #[derive(Debug)]
        pub struct Sample {
            fn new(servers);
            fields {
                /// Not a setting.
                origin: String = servers.to_owned();
            }
            settings {
                /// A duration.
                wait: Duration = Duration::from_secs(1), "wait.ms" => crate::config::parse_ms, setter;
                /// A name.
                name: Option<String> = None, "name" => parse_optional_text, setter some;
                /// No setter.
                count: i32 = 3, "count" => parse_i32;
            }
        }
    }

    #[test]
    fn rows_make_fields_defaults_setters_and_java_names() {
        let sample = Sample::new("h:1").wait(Duration::from_millis(5)).name("n");
        assert_eq!(sample.origin, "h:1");
        assert_eq!(sample.wait, Duration::from_millis(5));
        assert_eq!(sample.name.as_deref(), Some("n"));
        assert_eq!(sample.count, 3);

        let mut sample = Sample::new("h:1");
        assert!(sample.set_from_table("wait.ms", "250").unwrap());
        assert!(sample.set_from_table("name", "  ").unwrap());
        assert!(sample.set_from_table("count", "-7").unwrap());
        assert!(!sample.set_from_table("other", "1").unwrap());
        assert_eq!(sample.wait, Duration::from_millis(250));
        assert_eq!(sample.name, None);
        assert_eq!(sample.count, -7);
        let err = sample.set_from_table("count", "x").unwrap_err();
        assert!(err.to_string().contains("`count`"), "{err}");
        assert_eq!(Sample::TABLE_KEYS, ["wait.ms", "name", "count"]);
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_u32("k", " 12 ").unwrap(), 12);
        assert!(parse_u32("k", "-1").is_err());
        assert_eq!(parse_trimmed("k", " a ").unwrap(), "a");
        assert_eq!(parse_text("k", " a ").unwrap(), " a ");
        assert_eq!(parse_nonempty_text("k", "").unwrap(), None);
        assert_eq!(parse_nonempty_text("k", " ").unwrap().as_deref(), Some(" "));
        assert_eq!(
            parse_optional_text("k", " a ").unwrap().as_deref(),
            Some("a")
        );
    }
}
