//! Where brokers are: [`BrokerAddress`], parsed from `bootstrap.servers` entries by
//! [`parse_address`], and how their names are looked up (`client.dns.lookup`,
//! [`DnsLookup`]). The network layer uses these types; they are defined here, below it,
//! so that the configs can hold them.

use crate::error::{KafkaError, Result};

/// Where a broker listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrokerAddress {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The `client.dns.lookup` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsLookup {
    /// Try every address a name resolves to, in order (`use_all_dns_ips`).
    #[default]
    UseAllDnsIps,
    /// Resolve bootstrap servers to their canonical names first
    /// (`resolve_canonical_bootstrap_servers_only`).
    ResolveCanonicalBootstrapServersOnly,
}

impl DnsLookup {
    /// The Java property value.
    pub fn name(self) -> &'static str {
        match self {
            DnsLookup::UseAllDnsIps => "use_all_dns_ips",
            DnsLookup::ResolveCanonicalBootstrapServersOnly => {
                "resolve_canonical_bootstrap_servers_only"
            }
        }
    }

    /// Parses a Java property value.
    pub fn from_name(value: &str) -> Option<DnsLookup> {
        match value.trim() {
            "use_all_dns_ips" => Some(DnsLookup::UseAllDnsIps),
            "resolve_canonical_bootstrap_servers_only" => {
                Some(DnsLookup::ResolveCanonicalBootstrapServersOnly)
            }
            _ => None,
        }
    }
}

/// Parses `host:port`, `[v6]:port`.
pub fn parse_address(server: &str) -> Result<BrokerAddress> {
    let bad = |why: &str| KafkaError::config("bootstrap.servers", format!("`{server}`: {why}"));
    let (host, port) = match server.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest
                .split_once("]:")
                .ok_or_else(|| bad("expected [ipv6]:port"))?;
            (host, port)
        }
        None => server
            .rsplit_once(':')
            .ok_or_else(|| bad("expected host:port"))?,
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| bad("port must be a number from 1 to 65535"))?;
    if port == 0 {
        return Err(bad("port must be a number from 1 to 65535"));
    }
    Ok(BrokerAddress {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("a:1").unwrap(),
            BrokerAddress {
                host: "a".into(),
                port: 1
            }
        );
        assert_eq!(parse_address("[::1]:9092").unwrap().host, "::1");
        for bad in ["a", "a:0", "a:x", ":9", "a:70000"] {
            let err = parse_address(bad).unwrap_err();
            assert!(err.to_string().contains("bootstrap.servers"), "{err}");
        }
    }

    #[test]
    fn dns_lookups_parse_by_their_java_names() {
        for lookup in [
            DnsLookup::UseAllDnsIps,
            DnsLookup::ResolveCanonicalBootstrapServersOnly,
        ] {
            assert_eq!(DnsLookup::from_name(lookup.name()), Some(lookup));
        }
        assert_eq!(DnsLookup::from_name("default"), None);
    }
}
