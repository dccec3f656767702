//! The tool's error: one or more lines, each printed as `kafka-sync: <line>` on
//! stderr before the program exits with status 1.

use std::fmt;

use kafka_sync::KafkaError;

/// What went wrong; usually one message, one per failed item for calls on several.
#[derive(Debug)]
pub struct CliError {
    lines: Vec<String>,
}

/// The result of the tool's functions.
pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    /// An error with one message.
    pub fn new(message: impl fmt::Display) -> Self {
        CliError {
            lines: vec![one_line(&message.to_string())],
        }
    }

    /// An error of several items (at least one).
    pub fn many(messages: Vec<String>) -> Self {
        CliError {
            lines: messages.iter().map(|m| one_line(m)).collect(),
        }
    }

    /// The same error with `context` in front of each message.
    pub fn context(self, context: impl fmt::Display) -> Self {
        CliError {
            lines: self
                .lines
                .into_iter()
                .map(|l| format!("{context}: {l}"))
                .collect(),
        }
    }

    /// Prints the error on stderr.
    pub fn report(&self) {
        for line in &self.lines {
            eprintln!("kafka-sync: {line}");
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("; "))
    }
}

/// Newlines (from a broker's error message, say) would break the one-line promise.
fn one_line(message: &str) -> String {
    message
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<KafkaError> for CliError {
    fn from(e: KafkaError) -> Self {
        CliError::new(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(e)
    }
}

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError::new(e)
    }
}

impl From<&str> for CliError {
    fn from(e: &str) -> Self {
        CliError::new(e)
    }
}
