//! The one error type of the crate, [`KafkaError`], and the table of broker error codes,
//! [`ErrorCode`].
//!
//! Every fallible call returns `Result<T, KafkaError>`. A `KafkaError` has an
//! [`ErrorKind`] a caller can match on (for a broker error it carries the broker's
//! [`ErrorCode`]), a message that says what happened and what to do about it, and
//! [`KafkaError::is_retriable`], which says whether trying the same call again may
//! succeed.
//!
//! ```
//! use kafka_sync::{ErrorCode, ErrorKind, KafkaError};
//!
//! let err = KafkaError::broker(ErrorCode::NOT_LEADER_OR_FOLLOWER, "produce to events-0");
//! assert_eq!(err.kind(), ErrorKind::Broker(ErrorCode::NOT_LEADER_OR_FOLLOWER));
//! assert!(err.is_retriable());
//! assert!(ErrorCode::NOT_LEADER_OR_FOLLOWER.is_invalid_metadata());
//! ```

use std::fmt;
use std::sync::Arc;

mod codes;

pub use codes::ErrorCode;

/// A specialised `Result` whose error is [`KafkaError`].
pub type Result<T, E = KafkaError> = std::result::Result<T, E>;

/// What kind of failure a [`KafkaError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The broker answered with this error code.
    Broker(ErrorCode),
    /// An operation did not finish within its timeout.
    Timeout,
    /// A broker could not be reached, or the connection to it broke.
    Connection,
    /// Bytes from the broker (or a stored batch) are malformed: a bad length, a CRC
    /// mismatch, a truncated field, an unknown enum value.
    CorruptMessage,
    /// The broker answered something the client did not expect (a wrong correlation
    /// id, a response for another API, a missing partition).
    UnexpectedResponse,
    /// No API version is supported by both the client and the broker.
    UnsupportedVersion,
    /// A configuration value is unknown, malformed or inconsistent with another.
    Config,
    /// A caller-supplied argument is invalid (an empty topic name, a negative partition).
    InvalidArgument,
    /// A user's serializer or deserializer failed.
    Serialization,
    /// A record is larger than the configured maximum request or batch size.
    RecordTooLarge,
    /// The producer's buffer memory stayed full for longer than `max_block`.
    BufferExhausted,
    /// The client was closed before or while the operation ran.
    Closed,
    /// The TLS handshake or a TLS setting failed.
    Tls,
    /// SASL authentication failed.
    Authentication,
    /// A consumer's blocking call was interrupted by
    /// [`WakeupHandle::wakeup`](crate::WakeupHandle::wakeup) from another thread.
    Wakeup,
    /// A schema registry answered an error (feature `schema-registry`): its HTTP
    /// `status`, and `code`, the Confluent error code of the answer's body (40401
    /// subject not found, 40403 schema not found, 409 incompatible schema, 42201
    /// invalid schema, ...), or the HTTP status where the body has none.
    SchemaRegistry {
        /// The HTTP status of the answer.
        status: u16,
        /// The registry's error code.
        code: i32,
    },
}

impl ErrorKind {
    /// A short lowercase name, used at the start of the error's message.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Broker(_) => "broker error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection error",
            ErrorKind::CorruptMessage => "corrupt message",
            ErrorKind::UnexpectedResponse => "unexpected response",
            ErrorKind::UnsupportedVersion => "unsupported version",
            ErrorKind::Config => "configuration error",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Serialization => "serialization error",
            ErrorKind::RecordTooLarge => "record too large",
            ErrorKind::BufferExhausted => "buffer exhausted",
            ErrorKind::Closed => "closed",
            ErrorKind::Tls => "TLS error",
            ErrorKind::Authentication => "authentication failed",
            ErrorKind::Wakeup => "woken up",
            ErrorKind::SchemaRegistry { .. } => "schema registry error",
        }
    }
}

/// The error type of every fallible call in this crate.
///
/// It is cheap to clone (the message and the cause are shared), so one failure can be
/// handed to all the futures of a batch.
///
/// An error made from a [`std::io::Error`] keeps it as its
/// [`source`](std::error::Error::source). Two errors are equal when their kinds and
/// messages are; the source is not compared.
#[derive(Clone)]
pub struct KafkaError {
    kind: ErrorKind,
    message: Arc<str>,
    /// The lower-level error that caused this one, if any.
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl KafkaError {
    /// An error of `kind` with a message that says what happened.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        KafkaError {
            kind,
            message: Arc::from(message.into()),
            source: None,
        }
    }

    /// The same error with `source` as its cause.
    fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// A broker error: `code` was returned for the operation named by `context`.
    pub fn broker(code: ErrorCode, context: impl fmt::Display) -> Self {
        KafkaError::new(
            ErrorKind::Broker(code),
            format!(
                "{} ({}) for {}: {}",
                code.name(),
                code.code(),
                context,
                code.description()
            ),
        )
    }

    /// A timeout while doing `what`.
    pub fn timeout(what: impl Into<String>) -> Self {
        KafkaError::new(ErrorKind::Timeout, what)
    }

    /// A connection failure.
    pub fn connection(what: impl Into<String>) -> Self {
        KafkaError::new(ErrorKind::Connection, what)
    }

    /// Malformed bytes.
    pub fn corrupt(what: impl Into<String>) -> Self {
        KafkaError::new(ErrorKind::CorruptMessage, what)
    }

    /// An invalid configuration value: `key` names the setting.
    pub fn config(key: &str, problem: impl fmt::Display) -> Self {
        KafkaError::new(ErrorKind::Config, format!("`{key}`: {problem}"))
    }

    /// An invalid argument to a call.
    pub fn invalid_argument(what: impl Into<String>) -> Self {
        KafkaError::new(ErrorKind::InvalidArgument, what)
    }

    /// A blocking consumer call was woken up.
    pub fn wakeup() -> Self {
        KafkaError::new(
            ErrorKind::Wakeup,
            "the consumer was woken up from another thread",
        )
    }

    /// The client is closed.
    pub fn closed(what: impl Into<String>) -> Self {
        KafkaError::new(ErrorKind::Closed, what)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The broker's error code, if the broker returned one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self.kind {
            ErrorKind::Broker(code) => Some(code),
            _ => None,
        }
    }

    /// The message, without the kind's name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the same operation may succeed if tried again (after a metadata refresh
    /// or a back-off). Broker errors follow the broker's table; timeouts and broken
    /// connections are retriable, and so are a schema registry's answers with HTTP
    /// status 408, 429, 500, 502, 503 or 504; everything else is not.
    pub fn is_retriable(&self) -> bool {
        match self.kind {
            ErrorKind::Broker(code) => code.is_retriable(),
            ErrorKind::Timeout | ErrorKind::Connection => true,
            ErrorKind::SchemaRegistry { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            _ => false,
        }
    }

    /// Whether the client's metadata may be stale (the leader moved, a topic is
    /// unknown): refresh it before retrying.
    pub fn is_invalid_metadata(&self) -> bool {
        match self.kind {
            ErrorKind::Broker(code) => code.is_invalid_metadata(),
            ErrorKind::Connection => true,
            _ => false,
        }
    }

    /// Whether a transactional producer that got this error must be closed (see
    /// [`ErrorCode::is_transaction_fatal`]): no further transaction can succeed.
    pub fn is_fatal(&self) -> bool {
        match self.kind {
            ErrorKind::Broker(code) => code.is_transaction_fatal(),
            ErrorKind::UnsupportedVersion | ErrorKind::Authentication => true,
            _ => false,
        }
    }

    /// Whether the transaction this error ended must be aborted
    /// (`abort_transaction`), after which the producer can go on with a new one. The
    /// transactional producer reports every failure of a transaction that is not
    /// fatal this way, with the cause in the message.
    pub fn is_abortable(&self) -> bool {
        self.code() == Some(ErrorCode::TRANSACTION_ABORTABLE)
    }

    /// The same error with `context` put in front of its message.
    pub fn context(self, context: impl fmt::Display) -> Self {
        KafkaError {
            message: Arc::from(format!("{context}: {}", self.message)),
            ..self
        }
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl fmt::Debug for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaError")
            .field("kind", &self.kind)
            .field("message", &&*self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl PartialEq for KafkaError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for KafkaError {}

impl std::error::Error for KafkaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        Some(source)
    }
}

/// A timed-out or would-block I/O error becomes [`ErrorKind::Timeout`], any other
/// [`ErrorKind::Connection`]; the message is the I/O error's text and the I/O error
/// stays reachable through [`source`](std::error::Error::source).
impl From<std::io::Error> for KafkaError {
    fn from(err: std::io::Error) -> Self {
        let kafka = match err.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                KafkaError::timeout(err.to_string())
            }
            _ => KafkaError::connection(err.to_string()),
        };
        kafka.with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_errors_carry_code_and_retriability() {
        let err = KafkaError::broker(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "topic `x`");
        assert_eq!(err.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
        assert!(err.is_retriable());
        assert!(err.is_invalid_metadata());
        let text = err.to_string();
        assert!(text.contains("UNKNOWN_TOPIC_OR_PARTITION"), "{text}");
        assert!(text.contains("topic `x`"), "{text}");

        let fatal = KafkaError::broker(ErrorCode::TOPIC_AUTHORIZATION_FAILED, "topic `x`");
        assert!(!fatal.is_retriable());
    }

    #[test]
    fn an_io_error_stays_the_source() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let err = KafkaError::from(io);
        assert_eq!(err.kind(), ErrorKind::Connection);
        assert_eq!(err.message(), "reset by peer");
        let source = err.source().expect("the io error is the source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("the source is an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);

        let err = KafkaError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(err.kind(), ErrorKind::Timeout);
        let context = err.context("fetch from broker 1");
        let io = context
            .source()
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .expect("context keeps the source");
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        assert!(KafkaError::timeout("x").source().is_none());
    }

    #[test]
    fn client_kinds() {
        assert!(KafkaError::timeout("fetch").is_retriable());
        assert!(!KafkaError::config("acks", "must be 0, 1 or all").is_retriable());
        assert_eq!(
            KafkaError::config("acks", "x").to_string(),
            "configuration error: `acks`: x"
        );
    }
}
