//! The broker error codes of the Kafka protocol, one row per code.

use std::fmt;

/// A broker error code, as carried in responses.
///
/// The well-known codes are associated constants (`ErrorCode::NOT_LEADER_OR_FOLLOWER`);
/// a code this client does not know is kept as is and reported as
/// `UNKNOWN_BROKER_ERROR_<n>`, non-retriable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ErrorCode(pub i16);

/// One row of the table: number, name, retriable, invalid-metadata, description.
struct Row {
    code: i16,
    name: &'static str,
    retriable: bool,
    invalid_metadata: bool,
    description: &'static str,
}

macro_rules! error_codes {
    ($( $code:literal $name:ident $retriable:literal $invalid_metadata:literal $desc:literal ;)*) => {
        impl ErrorCode {
            $(
                #[doc = $desc]
                pub const $name: ErrorCode = ErrorCode($code);
            )*
        }

        static TABLE: &[Row] = &[
            $( Row {
                code: $code,
                name: stringify!($name),
                retriable: $retriable,
                invalid_metadata: $invalid_metadata,
                description: $desc,
            }, )*
        ];
    };
}

// code, name, retriable, invalid_metadata, description
error_codes! {
    -1 UNKNOWN_SERVER_ERROR false false "The server experienced an unexpected error when processing the request.";
    0 NONE false false "No error.";
    3 UNKNOWN_TOPIC_OR_PARTITION true true "This server does not host this topic-partition.";
    6 NOT_LEADER_OR_FOLLOWER true true "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.";
    29 TOPIC_AUTHORIZATION_FAILED false false "Topic authorization failed.";
}

impl ErrorCode {
    fn row(self) -> Option<&'static Row> {
        // The table is sorted by code, so a binary search finds the row.
        TABLE
            .binary_search_by_key(&self.0, |row| row.code)
            .ok()
            .map(|i| &TABLE[i])
    }

    /// The numeric code.
    pub fn code(self) -> i16 {
        self.0
    }

    /// Whether this is the "no error" code, 0.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The code's name in upper snake case, as in the Kafka protocol documentation.
    pub fn name(self) -> &'static str {
        self.row().map_or("UNKNOWN_BROKER_ERROR", |row| row.name)
    }

    /// What the code means.
    pub fn description(self) -> &'static str {
        self.row()
            .map_or("An error code this client does not know.", |row| row.description)
    }

    /// Whether the operation may succeed if retried.
    pub fn is_retriable(self) -> bool {
        self.row().is_some_and(|row| row.retriable)
    }

    /// Whether the client should refresh its metadata before retrying.
    pub fn is_invalid_metadata(self) -> bool {
        self.row().is_some_and(|row| row.invalid_metadata)
    }

    /// `Ok(())` for code 0, otherwise a [`KafkaError`](crate::KafkaError) naming `context`.
    pub fn check(self, context: impl fmt::Display) -> crate::Result<()> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(crate::KafkaError::broker(self, context))
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} before {}", pair[0].name, pair[1].name);
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        let code = ErrorCode(32000);
        assert_eq!(code.name(), "UNKNOWN_BROKER_ERROR");
        assert!(!code.is_retriable());
        assert_eq!(code.code(), 32000);
    }
}
