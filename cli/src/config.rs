//! Client configs from the connection flags: the `--command-config` properties file,
//! then the `-X` overrides, then `--bootstrap-server`, through the library's `set`
//! (so every key and value is checked as the library checks it).

use kafka_sync::config::read_properties;
use kafka_sync::{AdminConfig, ConsumerConfig, ProducerConfig};

use crate::args::Common;
use crate::error::{CliError, Result};

/// The kinds of client config the tool builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Producer,
    Consumer,
    Admin,
}

/// A client config built from Java properties.
pub trait ClientSettings: Clone + Sized {
    const KIND: Kind;
    fn empty() -> Self;
    fn put(self, key: &str, value: &str) -> kafka_sync::Result<Self>;
    fn bootstrap_servers(&self) -> &[String];
}

impl ClientSettings for ProducerConfig {
    const KIND: Kind = Kind::Producer;
    fn empty() -> Self {
        ProducerConfig::new("")
    }
    fn put(self, key: &str, value: &str) -> kafka_sync::Result<Self> {
        self.set(key, value)
    }
    fn bootstrap_servers(&self) -> &[String] {
        &self.client.bootstrap_servers
    }
}

impl ClientSettings for ConsumerConfig {
    const KIND: Kind = Kind::Consumer;
    fn empty() -> Self {
        ConsumerConfig::new("")
    }
    fn put(self, key: &str, value: &str) -> kafka_sync::Result<Self> {
        self.set(key, value)
    }
    fn bootstrap_servers(&self) -> &[String] {
        &self.client.bootstrap_servers
    }
}

impl ClientSettings for AdminConfig {
    const KIND: Kind = Kind::Admin;
    fn empty() -> Self {
        AdminConfig::new("")
    }
    fn put(self, key: &str, value: &str) -> kafka_sync::Result<Self> {
        self.set(key, value)
    }
    fn bootstrap_servers(&self) -> &[String] {
        &self.client.bootstrap_servers
    }
}

/// Whether a client of another kind than `kind` takes `key=value`: a shared
/// client.properties file has `group.id` for consumers and `acks` for producers.
///
/// Interim: the library's configs are about to accept (and report) keys meant for
/// another kind of client themselves; once they do, `put` no longer fails for such
/// keys and this is never asked.
fn meant_for_another_client(kind: Kind, key: &str, value: &str) -> bool {
    (kind != Kind::Producer && ProducerConfig::empty().put(key, value).is_ok())
        || (kind != Kind::Consumer && ConsumerConfig::empty().put(key, value).is_ok())
        || (kind != Kind::Admin && AdminConfig::empty().put(key, value).is_ok())
}

/// The config of a client of kind `C` from the connection flags.
pub fn build<C: ClientSettings>(common: &Common) -> Result<C> {
    let mut config = C::empty();
    if let Some(path) = &common.command_config {
        let context = || format!("--command-config {}", path.display());
        for (key, value) in
            read_properties(path).map_err(|e| CliError::from(e).context(context()))?
        {
            config = match config.clone().put(&key, &value) {
                Ok(config) => config,
                Err(_) if meant_for_another_client(C::KIND, &key, &value) => config,
                Err(e) => return Err(CliError::from(e).context(context())),
            };
        }
    }
    for (key, value) in &common.overrides {
        config = config
            .put(key, value)
            .map_err(|e| CliError::from(e).context(format!("-X {key}")))?;
    }
    if let Some(servers) = &common.bootstrap_server {
        config = config
            .put("bootstrap.servers", servers)
            .map_err(|e| CliError::from(e).context("--bootstrap-server"))?;
    }
    if config.bootstrap_servers().is_empty() {
        return Err(CliError::new(
            "no brokers to connect to: pass --bootstrap-server HOST:PORT, or set \
             bootstrap.servers in the --command-config file",
        ));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn common(file: Option<std::path::PathBuf>, overrides: &[(&str, &str)]) -> Common {
        Common {
            bootstrap_server: None,
            command_config: file,
            overrides: overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn properties(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("kafka-sync-cli-{}-{name}", std::process::id()));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("write the properties file");
        path
    }

    #[test]
    fn a_shared_file_gives_each_client_its_own_keys() {
        let path = properties(
            "shared",
            "bootstrap.servers=b1:9092,b2:9092\nclient.id=ops\ngroup.id=billing\nacks=1\n",
        );
        let producer: ProducerConfig = build(&common(Some(path.clone()), &[])).unwrap();
        assert_eq!(producer.client.bootstrap_servers, ["b1:9092", "b2:9092"]);
        assert_eq!(producer.client.client_id, "ops");
        assert_eq!(producer.acks, kafka_sync::Acks::Leader);
        let consumer: ConsumerConfig = build(&common(Some(path.clone()), &[])).unwrap();
        assert_eq!(consumer.group_id.as_deref(), Some("billing"));
        let admin: AdminConfig = build(&common(Some(path.clone()), &[])).unwrap();
        assert_eq!(admin.client.client_id, "ops");
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn bad_values_and_unknown_keys_are_errors_naming_the_key() {
        let path = properties("bad", "bootstrap.servers=b:9092\nrequest.timeout.ms=soon\n");
        let err = build::<AdminConfig>(&common(Some(path.clone()), &[])).unwrap_err();
        assert!(err.to_string().contains("request.timeout.ms"), "{err}");
        std::fs::remove_file(path).ok();
        let err = build::<AdminConfig>(&common(
            None,
            &[("bootstrap.servers", "b:1"), ("no.such.key", "1")],
        ))
        .unwrap_err();
        assert!(err.to_string().contains("-X no.such.key"), "{err}");
    }

    #[test]
    fn overrides_and_the_flag_win_over_the_file() {
        let path = properties("override", "bootstrap.servers=file:9092\nclient.id=file\n");
        let mut flags = common(Some(path.clone()), &[("client.id", "flag")]);
        flags.bootstrap_server = Some("flag:9092".into());
        let admin: AdminConfig = build(&flags).unwrap();
        assert_eq!(admin.client.bootstrap_servers, ["flag:9092"]);
        assert_eq!(admin.client.client_id, "flag");
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn brokers_are_required() {
        let err = build::<AdminConfig>(&common(None, &[])).unwrap_err();
        assert!(err.to_string().contains("--bootstrap-server"), "{err}");
    }
}
