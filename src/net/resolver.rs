//! Host name resolution off the poll loop.
//!
//! `getaddrinfo` blocks, for as long as the system's resolver takes (seconds, with a
//! dead DNS server), and has no deadline of its own. A connection therefore never
//! resolves on the thread that polls its sockets: `Resolution::start` looks the name
//! up on a short-lived thread of its own and wakes the poll loop when the answer is
//! there; the connection collects it with `Resolution::try_take` and gives up at its
//! connect deadline. IP literals need no lookup and are answered at once.
//!
//! `client.dns.lookup` ([`DnsLookup`]): with `use_all_dns_ips` (the default, as in the
//! Java client since 2.6) a connection tries every address a name resolves to, in turn;
//! with `resolve_canonical_bootstrap_servers_only` the bootstrap servers' names are
//! first replaced by the canonical names of their addresses (a reverse lookup), which is
//! what TLS and SASL then see as the broker's host.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::Arc;

use mio::Waker;

pub use crate::config::DnsLookup;

/// What a lookup found: the addresses to try, and the host name to present to the
/// broker (TLS, SASL) if it differs from the configured one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Every address, in the resolver's order.
    pub addresses: Vec<SocketAddr>,
    /// The canonical name, with `resolve_canonical_bootstrap_servers_only`.
    pub canonical_host: Option<String>,
}

/// A lookup under way (or already answered).
#[derive(Debug)]
pub(crate) struct Resolution {
    answer: mpsc::Receiver<io::Result<Resolved>>,
}

impl Resolution {
    /// Starts looking up `host`. `canonical`: also find the canonical name of its
    /// first address. `waker` is woken when the answer is ready.
    pub fn start(host: &str, port: u16, canonical: bool, waker: Option<Arc<Waker>>) -> Self {
        let (tx, answer) = mpsc::channel();
        if let Ok(ip) = host.parse::<IpAddr>() {
            if !canonical {
                let _ = tx.send(Ok(Resolved {
                    addresses: vec![SocketAddr::new(ip, port)],
                    canonical_host: None,
                }));
                return Resolution { answer };
            }
        }
        let host = host.to_owned();
        let spawned = std::thread::Builder::new()
            .name(format!("kafka-resolve-{host}"))
            .spawn(move || {
                let _ = tx.send(lookup(&host, port, canonical));
                if let Some(waker) = waker {
                    let _ = waker.wake();
                }
            });
        if let Err(e) = spawned {
            // No thread to spare: the lookup fails like a lookup would, and the
            // connection retries after its back-off.
            let (tx, answer) = mpsc::channel();
            let _ = tx.send(Err(e));
            return Resolution { answer };
        }
        Resolution { answer }
    }

    /// The answer, once it is there.
    pub fn try_take(&self) -> Option<io::Result<Resolved>> {
        match self.answer.try_recv() {
            Ok(answer) => Some(answer),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(io::Error::other(
                "the resolver thread ended without an answer",
            ))),
        }
    }
}

/// The blocking lookup, on the resolver's thread.
fn lookup(host: &str, port: u16, canonical: bool) -> io::Result<Resolved> {
    let addresses: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    if addresses.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name resolved to no address",
        ));
    }
    if !canonical {
        return Ok(Resolved {
            addresses,
            canonical_host: None,
        });
    }
    // The canonical name of the first address, and that name's own addresses.
    let name = dns_lookup::lookup_addr(&addresses[0].ip())?;
    let canonical_addresses: Vec<SocketAddr> = (name.as_str(), port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    Ok(Resolved {
        addresses: if canonical_addresses.is_empty() {
            addresses
        } else {
            canonical_addresses
        },
        canonical_host: Some(name),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn wait(resolution: &Resolution) -> io::Result<Resolved> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(answer) = resolution.try_take() {
                return answer;
            }
            assert!(Instant::now() < deadline, "no answer");
            std::thread::yield_now();
        }
    }

    #[test]
    fn ip_literals_are_answered_at_once() {
        let r = Resolution::start("127.0.0.1", 9092, false, None);
        let answer = r.try_take().expect("no lookup needed").expect("an address");
        assert_eq!(answer.addresses, vec!["127.0.0.1:9092".parse().unwrap()]);
        let v6 = Resolution::start("::1", 9, false, None);
        assert!(v6.try_take().is_some());
    }

    #[test]
    fn names_resolve_on_another_thread() {
        let r = Resolution::start("localhost", 9092, false, None);
        let answer = wait(&r).expect("localhost resolves");
        assert!(answer.addresses.iter().all(|a| a.port() == 9092));
        assert!(answer.addresses.iter().any(|a| a.ip().is_loopback()));
        assert_eq!(answer.canonical_host, None);
    }

    #[test]
    fn canonical_lookup_names_the_address() {
        let r = Resolution::start("127.0.0.1", 9092, true, None);
        let answer = wait(&r).expect("a reverse lookup of loopback");
        let name = answer.canonical_host.expect("a canonical name");
        assert!(!name.is_empty());
        assert!(answer.addresses.iter().any(|a| a.ip().is_loopback()));
    }

    #[test]
    fn unknown_names_fail_without_blocking_the_caller() {
        let started = Instant::now();
        let r = Resolution::start("no-such-host.invalid", 9092, false, None);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "start() did not block"
        );
        assert!(wait(&r).is_err());
    }
}
