//! A check that the lower layers import nothing above them.
//!
//! From the bottom: `error`, `hash`, `time`, `wire` (the byte primitives) and
//! `partitioner`; then `protocol` and `record`; `config`; `net`; `client`; and on top
//! `producer`, `consumer` and `admin`, which do not import each other. Each layer
//! imports only what is below it, so that a lower layer can be read, tested and
//! changed without the ones above.
//!
//! The test reads the source files and looks at every `crate::` path outside
//! comments, including each item of a `crate::{...}` group; doc links are comments
//! and may point anywhere.

use std::fs;
use std::path::{Path, PathBuf};

/// Every layer above the bottom modules.
const ABOVE_THE_BOTTOM: &[&str] = &[
    "protocol", "record", "config", "net", "client", "producer", "consumer", "admin",
];

/// What a file (or every `.rs` file under a directory) must not import.
const RULES: &[(&str, &[&str])] = &[
    ("src/wire.rs", ABOVE_THE_BOTTOM),
    ("src/partitioner.rs", ABOVE_THE_BOTTOM),
    (
        "src/record",
        &[
            "protocol", "config", "net", "client", "producer", "consumer", "admin",
        ],
    ),
    (
        "src/config",
        &["net", "client", "producer", "consumer", "admin"],
    ),
    (
        "src/protocol",
        &["config", "net", "client", "producer", "consumer", "admin"],
    ),
    ("src/net", &["client", "producer", "consumer", "admin"]),
    ("src/client", &["producer", "consumer", "admin"]),
    // The three clients on top share what they have in common through the layers
    // below (offsets, the embedded consumer protocol), not through each other.
    ("src/producer", &["consumer", "admin"]),
    ("src/consumer", &["producer", "admin"]),
    ("src/admin", &["producer", "consumer"]),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .expect("a source directory")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        out.push(path.to_owned());
    }
}

/// The top-level modules that the `crate::` paths in `code` name, each with the byte
/// offset of its path.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.push((at, ident(rest)));
            continue;
        };
        // The items of the group, split at the commas outside nested braces.
        let mut depth = 0;
        let mut item_start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    found.push((at, ident(&group[item_start..i])));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    found.push((at, ident(&group[item_start..i])));
                    item_start = i + 1;
                }
                _ => {}
            }
        }
    }
    found
}

/// `file:line: text` for each path of `text` into a module of `forbidden`.
fn upward_imports(file: &Path, text: &str, forbidden: &[&str]) -> Vec<String> {
    // Comment lines are blanked, so that offsets still give line numbers.
    let code: String = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("//") {
                "\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    crate_paths(&code)
        .into_iter()
        .filter(|(_, module)| forbidden.contains(&module.as_str()))
        .map(|(at, module)| {
            let line = code[..at].matches('\n').count();
            let source = text.lines().nth(line).unwrap_or("").trim();
            format!(
                "{}:{}: imports `{module}`: {source}",
                file.display(),
                line + 1
            )
        })
        .collect()
}

#[test]
fn lower_layers_import_nothing_above_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offending = Vec::new();
    for (path, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(path), &mut files);
        assert!(!files.is_empty(), "no source files at {path}");
        for file in files {
            let text = fs::read_to_string(&file).expect("a readable source file");
            let relative = file.strip_prefix(root).unwrap_or(&file);
            offending.extend(upward_imports(relative, &text, forbidden));
        }
    }
    assert!(
        offending.is_empty(),
        "imports that climb a layer:\n{}",
        offending.join("\n")
    );
}

#[test]
fn the_check_sees_plain_grouped_and_nested_paths_but_not_comments() {
    let text = "use crate::error::Result;\n\
                // use crate::net::Gone;\n\
                use crate::{\n    hash::FastMap,\n    net::{BrokerAddress, Security},\n};\n\
                fn f() { crate::producer::murmur2(b\"\"); }\n";
    let found = upward_imports(Path::new("f.rs"), text, &["net", "producer"]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("f.rs:3: imports `net`"), "{found:?}");
    assert!(
        found[1].starts_with("f.rs:7: imports `producer`"),
        "{found:?}"
    );
}
