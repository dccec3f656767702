//! Printing: aligned tables, JSON for bytes, and stdout that ends quietly when the
//! reader went away (`kafka-sync ... | head`).

use std::io::{self, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// A table with a header row, printed with its columns aligned.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    /// The table as text: columns two spaces apart, the last one not padded.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if i == last {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    let pad = width - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Bytes in JSON: `null` for none, a string when they are valid UTF-8, otherwise
/// `{"base64": "..."}` (standard alphabet, padded).
pub fn data(bytes: Option<&[u8]>) -> Value {
    match bytes {
        None => Value::Null,
        Some(b) => match std::str::from_utf8(b) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => json!({ "base64": STANDARD.encode(b) }),
        },
    }
}

/// Writes `text` to stdout. If stdout is a closed pipe, there is nobody left to tell
/// anything: the program ends with success, as `cat` does.
pub fn print(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        exit_on_closed_pipe(&e);
        eprintln!("kafka-sync: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Ends the program with success if `e` says stdout's reader went away.
pub fn exit_on_closed_pipe(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
}

/// `-` for a missing value.
pub fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A list of broker ids as `1,2,3`.
pub fn ids(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns() {
        let mut table = Table::new(&["TOPIC", "PARTITION", "LAG"]);
        table.row(vec!["events".into(), "0".into(), "12".into()]);
        table.row(vec!["a".into(), "10".into(), "-".into()]);
        assert_eq!(
            table.render(),
            "TOPIC   PARTITION  LAG\nevents  0          12\na       10         -\n"
        );
    }

    #[test]
    fn bytes_are_text_when_they_can_be() {
        assert_eq!(data(None), Value::Null);
        assert_eq!(data(Some(b"h\xc3\xa9")), json!("hé"));
        assert_eq!(data(Some(b"\xff\x00")), json!({"base64": "/wA="}));
        assert_eq!(data(Some(b"")), json!(""));
    }
}
