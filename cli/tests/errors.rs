//! How `kafka-sync` fails: bad usage (clap's message, status 2), and errors at run time
//! (one line `kafka-sync: ...` on stderr, status 1), such as a broker nobody listens
//! at. No broker is needed.

mod support;

use std::time::{Duration, Instant};

use support::kafka_sync;

/// Nothing listens on port 1 of the loopback address.
const NOBODY: &str = "127.0.0.1:1";

/// Asserts one line `kafka-sync: ...` containing each of `needles`, and status 1.
fn one_error_line(run: &support::Run, needles: &[&str]) {
    assert_eq!(run.status, Some(1), "stderr: {}", run.stderr);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("kafka-sync: "), "{lines:?}");
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} not in {lines:?}");
    }
    assert!(
        run.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&run.stdout)
    );
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let run = kafka_sync(&["topics", "list", "--no-such-flag", "-b", NOBODY], b"");
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    let first = run.stderr_lines()[0];
    assert_eq!(first, "error: unexpected argument '--no-such-flag' found");
    assert!(
        run.stderr.contains("Usage: kafka-sync topics list"),
        "{}",
        run.stderr
    );
    // A bad value is one too.
    let run = kafka_sync(&["produce", "t", "--acks", "2", "-b", NOBODY], b"");
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert!(
        run.stderr_lines()[0].starts_with("error: invalid value '2' for '--acks <ACKS>'"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let run = kafka_sync(&["topix", "list"], b"");
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr_lines()[0],
        "error: unrecognized subcommand 'topix'"
    );
    let run = kafka_sync(&["groups", "lsit"], b"");
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr_lines()[0],
        "error: unrecognized subcommand 'lsit'"
    );
    assert!(
        run.stderr.contains("a similar subcommand exists: 'list'"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_shows_an_example_for_each_command() {
    for command in [
        &["produce"][..],
        &["consume"],
        &["topics", "create"],
        &["groups", "describe"],
        &["groups", "reset-offsets"],
        &["cluster", "describe"],
        &["configs", "alter"],
    ] {
        let run = kafka_sync(&[command, &["--help"]].concat(), b"").success();
        let text = run.stdout_text();
        assert!(text.contains("Example"), "{command:?}: {text}");
        assert!(
            text.contains(&format!("kafka-sync {}", command.join(" "))),
            "{command:?}: {text}"
        );
        assert!(text.contains("--bootstrap-server"), "{command:?}: {text}");
    }
    let run = kafka_sync(&["consume", "--help"], b"").success();
    assert!(
        run.stdout_text().contains(r#"{"base64":STRING}"#),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn an_unreachable_broker_is_one_line_and_a_failure() {
    let started = Instant::now();
    let run = kafka_sync(
        &[
            "topics",
            "list",
            "--bootstrap-server",
            NOBODY,
            "-X",
            "request.timeout.ms=1500",
        ],
        b"",
    );
    one_error_line(&run, &["timeout", NOBODY]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    let run = kafka_sync(
        &["consume", "events", "-b", NOBODY, "--timeout-ms", "1000"],
        b"",
    );
    one_error_line(&run, &["looking up topic events", NOBODY]);

    let run = kafka_sync(
        &[
            "groups",
            "describe",
            "g",
            "-b",
            NOBODY,
            "-X",
            "request.timeout.ms=1000",
        ],
        b"",
    );
    one_error_line(&run, &[NOBODY]);

    let run = kafka_sync(
        &["produce", "events", "-b", NOBODY, "-X", "max.block.ms=1000"],
        b"x\n",
    );
    one_error_line(&run, &["timeout", "events"]);
}

#[test]
fn bad_settings_are_one_line_naming_them() {
    one_error_line(
        &kafka_sync(&["topics", "list"], b""),
        &["--bootstrap-server"],
    );
    one_error_line(
        &kafka_sync(
            &["cluster", "describe", "-b", NOBODY, "-X", "no.such.key=1"],
            b"",
        ),
        &["-X no.such.key", "no.such.key"],
    );
    one_error_line(
        &kafka_sync(&["topics", "list", "-b", "no-port"], b""),
        &["bootstrap", "no-port"],
    );
    one_error_line(
        &kafka_sync(
            &[
                "topics",
                "list",
                "--command-config",
                "/no/such/file.properties",
                "-b",
                NOBODY,
            ],
            b"",
        ),
        &["/no/such/file.properties"],
    );
    one_error_line(
        &kafka_sync(
            &[
                "groups",
                "reset-offsets",
                "g",
                "--topic",
                "t",
                "--to-datetime",
                "yesterday",
                "-b",
                NOBODY,
            ],
            b"",
        ),
        &["--to-datetime", "RFC 3339"],
    );
}
