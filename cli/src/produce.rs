//! `produce`: one record per line of stdin (or a whole file as one record).

use std::io::{self, BufRead, BufReader, IsTerminal};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use kafka_sync::{ErrorKind, KafkaProducer, ProducerConfig, ProducerRecord};

use crate::args::{Common, ProduceArgs};
use crate::config;
use crate::error::{CliError, Result};

/// What happened to the records, counted as their deliveries complete.
#[derive(Default)]
struct Outcome {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Outcome {
    fn fail(&self, error: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(error);
    }
}

/// The part of each line that is sent: the key (with a separator) and the value.
fn split_line<'a>(
    line: &'a [u8],
    separator: Option<&[u8]>,
) -> Option<(Option<&'a [u8]>, &'a [u8])> {
    match separator {
        None => Some((None, line)),
        Some(sep) => {
            let at = line.windows(sep.len()).position(|w| w == sep)?;
            Some((Some(&line[..at]), &line[at + sep.len()..]))
        }
    }
}

pub fn run(common: &Common, args: &ProduceArgs) -> Result<()> {
    let mut config: ProducerConfig = config::build(common)?;
    if let Some(acks) = args.acks {
        config = config.set("acks", acks.property())?;
    }
    if let Some(codec) = args.compression {
        config = config.set("compression.type", codec.property())?;
    }
    if let Some(ms) = args.linger_ms {
        config = config.set("linger.ms", &ms.to_string())?;
    }
    if matches!(args.key_separator.as_deref(), Some("")) {
        return Err(CliError::new("--key-separator must not be empty"));
    }
    let producer = KafkaProducer::new(config)?;
    let outcome = Arc::new(Outcome::default());
    let progress = if io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        // A constant template; if it were refused, the default spinner style stays.
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {human_pos} records delivered [{elapsed}]")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut bytes: u64 = 0;
    let mut fatal: Option<CliError> = None;

    let mut send = |key: Option<&[u8]>, value: &[u8]| -> std::result::Result<(), CliError> {
        let mut record = ProducerRecord::new(&args.topic).value(value);
        record.key = key;
        record.partition = args.partition;
        for (k, v) in &args.headers {
            record = record.header(k.clone(), v.as_bytes());
        }
        let done = Arc::clone(&outcome);
        let bar = progress.clone();
        let result = producer.send_with_callback(record, move |result| match result {
            Ok(_) => {
                done.delivered.fetch_add(1, Ordering::Relaxed);
                bar.inc(1);
            }
            Err(e) => done.fail(e.to_string()),
        });
        match result {
            Ok(_) => {
                bytes += (key.map_or(0, <[u8]>::len) + value.len()) as u64;
                Ok(())
            }
            // This record only: the others may well fit.
            Err(e) if e.kind() == ErrorKind::RecordTooLarge => {
                outcome.fail(e.to_string());
                Ok(())
            }
            // No metadata, a partition that does not exist, a closed producer: the same
            // would happen to every record after it.
            Err(e) => Err(e.into()),
        }
    };

    if let Some(path) = &args.file {
        let data = std::fs::read(path)
            .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
        if let Err(e) = send(None, &data) {
            fatal = Some(e);
        }
    } else {
        let separator = args.key_separator.as_deref().map(str::as_bytes);
        let mut input = BufReader::with_capacity(256 * 1024, io::stdin().lock());
        let mut line = Vec::new();
        let mut number: u64 = 0;
        loop {
            line.clear();
            let n = match input.read_until(b'\n', &mut line) {
                Ok(n) => n,
                Err(e) => {
                    fatal = Some(CliError::new(format!("cannot read stdin: {e}")));
                    break;
                }
            };
            if n == 0 {
                break;
            }
            number += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            match split_line(&line, separator) {
                Some((key, value)) => {
                    if let Err(e) = send(key, value) {
                        fatal = Some(e);
                        break;
                    }
                }
                None => outcome.fail(format!(
                    "line {number} has no key separator `{}`; not sent",
                    args.key_separator.as_deref().unwrap_or_default()
                )),
            }
        }
    }

    // Waits for every record sent; each failed one was counted by its callback.
    let closed = producer.close(None);
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let delivered = outcome.delivered.load(Ordering::Relaxed);
    let failed = outcome.failed.load(Ordering::Relaxed);
    let rate = delivered as f64 / elapsed.as_secs_f64().max(1e-6);
    // After a fatal error before any record, there is nothing to sum up.
    if fatal.is_none() || delivered + failed > 0 {
        eprintln!(
            "produced {delivered} of {total} records ({bytes} bytes sent) to {topic} in {secs:.2} s \
         ({rate:.0} records/s), {failed} errors",
        // Once closed, every record was either delivered or failed.
        total = delivered + failed,
        topic = args.topic,
            secs = elapsed.as_secs_f64(),
        );
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    closed?;
    if failed > 0 {
        let first = outcome
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        return Err(CliError::new(format!(
            "{failed} record{} failed; the first: {first}",
            if failed == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_the_first_separator() {
        assert_eq!(
            split_line(b"a:b:c", Some(b":")),
            Some((Some(&b"a"[..]), &b"b:c"[..]))
        );
        assert_eq!(
            split_line(b"::x", Some(b"::")),
            Some((Some(&b""[..]), &b"x"[..]))
        );
        assert_eq!(split_line(b"abc", Some(b":")), None);
        assert_eq!(split_line(b"\xffa", None), Some((None, &b"\xffa"[..])));
    }
}
