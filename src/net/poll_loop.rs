//! The poll loop: one [`mio::Poll`] over every broker connection.
//!
//! A [`NetworkClient`] is owned by one thread (the producer's sender thread, a
//! consumer's caller, an admin call). That thread sends requests with
//! [`NetworkClient::send`], which only queues bytes and returns a correlation id, and
//! then calls [`NetworkClient::poll`], which does all reading and writing, enforces
//! connect and request timeouts, and returns the responses that completed. Other
//! threads may interrupt a poll through [`NetworkClient::waker`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::{Events, Poll, Token, Waker};

use super::connection::{BrokerAddress, Connection, ConnectionSettings, Event};
use super::ApiVersionTable;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::api::{decode_response, ApiKey, Request};

const WAKER_TOKEN: Token = Token(0);

/// A completed request: its response frame, or why it failed.
#[derive(Debug)]
pub struct Response {
    /// The broker the request went to.
    pub node_id: i32,
    /// The request's correlation id, as returned by [`NetworkClient::send`].
    pub correlation_id: i32,
    /// The request's API.
    pub api_key: ApiKey,
    /// The version it was sent at.
    pub api_version: i16,
    /// The response frame, or the failure (timeout, broken connection).
    pub result: Result<Bytes>,
}

impl Response {
    /// The frame `node_id` would send back for request `correlation_id` of `R`'s API
    /// answered with `body` at `version`: for unit tests of the loops that handle
    /// responses.
    #[cfg(test)]
    pub fn encoded<R: Request>(
        body: &R::Response,
        node_id: i32,
        correlation_id: i32,
        version: i16,
    ) -> Response {
        use crate::protocol::schema::Field;
        let support = R::SUPPORT;
        let mut frame = correlation_id.to_be_bytes().to_vec();
        if support.response_header_version(version) >= 1 {
            frame.push(0);
        }
        body.encode(&mut frame, support.ctx(version));
        Response {
            node_id,
            correlation_id,
            api_key: support.key,
            api_version: version,
            result: Ok(Bytes::from(frame)),
        }
    }

    /// Decodes the frame as the response of `R`.
    pub fn decode<R: Request>(self) -> Result<R::Response> {
        if self.api_key != R::SUPPORT.key {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!(
                    "expected a {} response, got {}",
                    R::SUPPORT.key,
                    self.api_key
                ),
            ));
        }
        decode_response::<R>(self.result?, self.api_version)
    }
}

/// Connections to many brokers, driven by one poll loop.
pub struct NetworkClient {
    poll: Poll,
    events: Events,
    waker: Arc<Waker>,
    connections: HashMap<i32, Connection>,
    tokens: HashMap<Token, i32>,
    next_token: usize,
    next_correlation_id: i32,
    settings: ConnectionSettings,
    request_timeout: Duration,
    completed: Vec<Response>,
    last_errors: HashMap<i32, KafkaError>,
    scratch: Vec<Event>,
    /// Per node: requests sent, responses (and failures) completed, connections made.
    stats: HashMap<i32, NodeCounts>,
}

/// The counts behind [`BrokerStatistics`], kept by the thread that owns the client.
#[derive(Debug, Default, Clone, Copy)]
struct NodeCounts {
    requests: u64,
    responses: u64,
    connects: u64,
}

/// What a client's connection to one broker has done, from its `statistics()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BrokerStatistics {
    /// Whether a connection is up and ready for requests now.
    pub connected: bool,
    /// Requests sent to the broker.
    pub requests_sent: u64,
    /// Requests completed (answered, failed or timed out).
    pub requests_completed: u64,
    /// Requests waiting for their answer now.
    pub in_flight: usize,
    /// Connections made to the broker (the first, and every reconnect).
    pub connects: u64,
}

/// Written by hand: only what helps to see the state, never buffered bytes (see
/// [`Connection`]'s `Debug`).
impl std::fmt::Debug for NetworkClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut connections: Vec<&Connection> = self.connections.values().collect();
        connections.sort_by_key(|c| c.node_id());
        f.debug_struct("NetworkClient")
            .field("connections", &connections)
            .field("completed", &self.completed.len())
            .finish_non_exhaustive()
    }
}

impl NetworkClient {
    /// A client with no connections yet.
    pub fn new(mut settings: ConnectionSettings, request_timeout: Duration) -> Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER_TOKEN)?);
        // Host name lookups run on threads of their own and wake this poll loop.
        settings.waker = Some(Arc::clone(&waker));
        Ok(NetworkClient {
            poll,
            events: Events::with_capacity(256),
            waker,
            connections: HashMap::new(),
            tokens: HashMap::new(),
            next_token: 1,
            next_correlation_id: 0,
            settings,
            request_timeout,
            completed: Vec::new(),
            last_errors: HashMap::new(),
            scratch: Vec::new(),
            stats: HashMap::new(),
        })
    }

    /// A handle that interrupts a [`NetworkClient::poll`] from another thread.
    pub fn waker(&self) -> Arc<Waker> {
        Arc::clone(&self.waker)
    }

    /// Adds a broker, or updates its address if it moved.
    pub fn add_node(&mut self, node_id: i32, address: BrokerAddress) {
        match self.connections.get_mut(&node_id) {
            Some(conn) => {
                let mut events = std::mem::take(&mut self.scratch);
                conn.set_address(address, self.poll.registry(), &mut events);
                self.absorb(node_id, &mut events);
                self.scratch = events;
            }
            None => {
                let token = Token(self.next_token);
                self.next_token += 1;
                self.tokens.insert(token, node_id);
                self.connections.insert(
                    node_id,
                    Connection::new(node_id, address, token, self.settings.clone()),
                );
            }
        }
    }

    /// Whether `node_id` is known.
    pub fn has_node(&self, node_id: i32) -> bool {
        self.connections.contains_key(&node_id)
    }

    /// The address of `node_id`.
    pub fn address(&self, node_id: i32) -> Option<&BrokerAddress> {
        self.connections.get(&node_id).map(Connection::address)
    }

    /// Whether requests can be sent to `node_id` now.
    pub fn is_ready(&self, node_id: i32) -> bool {
        self.connections
            .get(&node_id)
            .is_some_and(Connection::is_ready)
    }

    /// Whether `node_id` has no connection and the last attempt to connect, or the
    /// last connection, failed: the broker may be gone, and the cluster's metadata
    /// (who leads what) may be out of date.
    pub fn is_failing(&self, node_id: i32) -> bool {
        self.connections
            .get(&node_id)
            .is_some_and(Connection::is_disconnected)
            && self.last_errors.contains_key(&node_id)
    }

    /// Whether `node_id` has no socket and its back-off forbids connecting yet.
    pub fn is_blacked_out(&self, node_id: i32, now: Instant) -> bool {
        self.connections
            .get(&node_id)
            .is_some_and(|c| c.is_disconnected() && !c.can_connect(now))
    }

    /// Whether `node_id` is connecting (socket open, not ready yet).
    pub fn is_connecting(&self, node_id: i32) -> bool {
        self.connections
            .get(&node_id)
            .is_some_and(|c| !c.is_ready() && !c.is_disconnected())
    }

    /// Makes sure `node_id` is connected or connecting; returns whether it is ready.
    /// A connect attempt that fails at once (e.g. the name does not resolve) is
    /// recorded as the node's last error and returns `false`.
    pub fn ensure_connecting(&mut self, node_id: i32, now: Instant) -> bool {
        let Some(conn) = self.connections.get_mut(&node_id) else {
            return false;
        };
        if conn.is_ready() {
            return true;
        }
        if conn.can_connect(now) {
            if let Err(err) = conn.connect(self.poll.registry(), now) {
                log::debug!("connect to node {node_id} failed: {err}");
                self.last_errors.insert(node_id, err);
            }
        }
        false
    }

    /// Why the last connection to `node_id` closed or failed, if it did.
    pub fn last_error(&self, node_id: i32) -> Option<&KafkaError> {
        self.last_errors.get(&node_id)
    }

    /// The authentication or TLS failure of the last attempt to connect to `node_id`,
    /// while no new attempt is under way. Such a failure will not go away by waiting
    /// (a wrong password, an untrusted certificate), so blocking calls report it at once
    /// instead of waiting for their timeout; reconnects still follow the back-off.
    pub fn fatal_error(&self, node_id: i32) -> Option<&KafkaError> {
        let conn = self.connections.get(&node_id)?;
        if !conn.is_disconnected() {
            return None;
        }
        self.last_errors
            .get(&node_id)
            .filter(|e| matches!(e.kind(), ErrorKind::Authentication | ErrorKind::Tls))
    }

    /// Requests in flight to `node_id`.
    pub fn in_flight(&self, node_id: i32) -> usize {
        self.connections
            .get(&node_id)
            .map_or(0, Connection::in_flight)
    }

    /// The API versions `node_id` announced, once connected.
    pub fn api_versions(&self, node_id: i32) -> Option<&ApiVersionTable> {
        self.connections
            .get(&node_id)
            .and_then(Connection::api_versions)
    }

    /// The version of `R` to speak with `node_id`: the highest both sides support.
    pub fn negotiate<R: Request>(&self, node_id: i32) -> Result<i16> {
        self.negotiate_at_most::<R>(node_id, i16::MAX)
    }

    /// The version of `R` to speak with `node_id`: the highest both sides support, no
    /// higher than `cap`.
    pub fn negotiate_at_most<R: Request>(&self, node_id: i32, cap: i16) -> Result<i16> {
        let versions = self
            .api_versions(node_id)
            .ok_or_else(|| KafkaError::connection(format!("node {node_id} is not connected")))?;
        let key = R::SUPPORT.key;
        versions.negotiate_at_most(key, cap).ok_or_else(|| {
            let theirs = versions
                .range(key)
                .map_or_else(|| "none".to_owned(), |(lo, hi)| format!("{lo} to {hi}"));
            KafkaError::new(
                ErrorKind::UnsupportedVersion,
                format!(
                    "node {node_id} supports {key} versions {theirs}; this client speaks {} to {}",
                    R::SUPPORT.min_version,
                    R::SUPPORT.max_version
                ),
            )
        })
    }

    /// Sends `request` to a ready `node_id` at the negotiated version with the default
    /// timeout. Returns the correlation id its [`Response`] will carry.
    pub fn send<R: Request>(&mut self, node_id: i32, request: &R) -> Result<i32> {
        let version = self.negotiate::<R>(node_id)?;
        self.send_with(node_id, request, version, self.request_timeout, true)
    }

    /// Sends `request` at `version` with `timeout`. With `expect_response == false`
    /// (acks=0 produce) the response completes, empty, once the request is written.
    pub fn send_with<R: Request>(
        &mut self,
        node_id: i32,
        request: &R,
        version: i16,
        timeout: Duration,
        expect_response: bool,
    ) -> Result<i32> {
        let conn = self
            .connections
            .get_mut(&node_id)
            .ok_or_else(|| KafkaError::connection(format!("unknown node {node_id}")))?;
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1) & i32::MAX;
        conn.send(
            request,
            version,
            correlation_id,
            timeout,
            expect_response,
            Instant::now(),
        )?;
        self.stats.entry(node_id).or_default().requests += 1;
        let mut events = std::mem::take(&mut self.scratch);
        conn.flush(self.poll.registry(), &mut events);
        self.absorb(node_id, &mut events);
        self.scratch = events;
        Ok(correlation_id)
    }

    /// Closes the connection to `node_id`, failing its in-flight requests.
    pub fn close(&mut self, node_id: i32, reason: KafkaError) {
        if let Some(conn) = self.connections.get_mut(&node_id) {
            let mut events = std::mem::take(&mut self.scratch);
            conn.close(self.poll.registry(), reason, &mut events);
            self.absorb(node_id, &mut events);
            self.scratch = events;
        }
    }

    /// Closes every connection.
    pub fn close_all(&mut self) {
        let ids: Vec<i32> = self.connections.keys().copied().collect();
        for id in ids {
            self.close(id, KafkaError::closed("client closed"));
        }
    }

    /// What each known broker's connection has done.
    pub fn broker_statistics(&self) -> std::collections::BTreeMap<i32, BrokerStatistics> {
        self.connections
            .keys()
            .map(|&node_id| {
                let counts = self.stats.get(&node_id).copied().unwrap_or_default();
                let stats = BrokerStatistics {
                    connected: self.is_ready(node_id),
                    requests_sent: counts.requests,
                    requests_completed: counts.responses,
                    in_flight: self.in_flight(node_id),
                    connects: counts.connects,
                };
                (node_id, stats)
            })
            .collect()
    }

    /// Waits up to `timeout` for I/O (less if a request or connect deadline comes
    /// sooner, or another thread wakes the client), does it, and returns the requests
    /// that completed.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<Response>> {
        let now = Instant::now();
        let mut wait = if self.completed.is_empty() {
            timeout
        } else {
            Duration::ZERO
        };
        for conn in self.connections.values() {
            if let Some(deadline) = conn.next_deadline() {
                wait = wait.min(deadline.saturating_duration_since(now));
            }
        }
        if let Err(e) = self.poll.poll(&mut self.events, Some(wait)) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(KafkaError::connection(format!("poll failed: {e}")));
            }
        }
        let now = Instant::now();
        let ready: Vec<(Token, bool, bool)> = self
            .events
            .iter()
            .filter(|e| e.token() != WAKER_TOKEN)
            .map(|e| {
                (
                    e.token(),
                    e.is_readable() || e.is_read_closed() || e.is_error(),
                    e.is_writable() || e.is_write_closed(),
                )
            })
            .collect();
        let mut events = std::mem::take(&mut self.scratch);
        for (token, readable, writable) in ready {
            let Some(&node_id) = self.tokens.get(&token) else {
                continue;
            };
            if let Some(conn) = self.connections.get_mut(&node_id) {
                conn.on_ready(self.poll.registry(), readable, writable, now, &mut events);
                self.absorb(node_id, &mut events);
            }
        }
        let ids: Vec<i32> = self.connections.keys().copied().collect();
        for node_id in ids {
            if let Some(conn) = self.connections.get_mut(&node_id) {
                conn.check_timeouts(self.poll.registry(), now, &mut events);
                self.absorb(node_id, &mut events);
            }
        }
        self.scratch = events;
        Ok(std::mem::take(&mut self.completed))
    }

    fn absorb(&mut self, node_id: i32, events: &mut Vec<Event>) {
        for event in events.drain(..) {
            match event {
                Event::Response {
                    correlation_id,
                    api_key,
                    api_version,
                    result,
                } => {
                    self.stats.entry(node_id).or_default().responses += 1;
                    self.completed.push(Response {
                        node_id,
                        correlation_id,
                        api_key,
                        api_version,
                        result,
                    })
                }
                Event::Ready => {
                    self.last_errors.remove(&node_id);
                    self.stats.entry(node_id).or_default().connects += 1;
                }
                Event::Closed(reason) => {
                    self.last_errors.insert(node_id, reason);
                }
            }
        }
    }
}

impl Drop for NetworkClient {
    fn drop(&mut self) {
        self.close_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::protocol::messages::MetadataRequest;

    const BACKOFF: Duration = Duration::from_secs(30);

    /// A network client with a long reconnect back-off, so that a failed connect keeps
    /// its node blacked out for the whole test.
    fn network() -> NetworkClient {
        let mut config = ClientConfig::new("127.0.0.1:1");
        config.reconnect_backoff = BACKOFF;
        config.reconnect_backoff_max = BACKOFF;
        let settings = ConnectionSettings::from_config(&config).expect("settings");
        NetworkClient::new(settings, Duration::from_secs(5)).expect("network client")
    }

    fn local(port: u16) -> BrokerAddress {
        BrokerAddress {
            host: "127.0.0.1".into(),
            port,
        }
    }

    #[test]
    fn an_unknown_node_is_never_ready_and_refuses_requests() {
        let mut net = network();
        assert!(!net.has_node(3));
        assert!(!net.ensure_connecting(3, Instant::now()));
        assert!(!net.is_failing(3) && !net.is_connecting(3));
        let error = net
            .send(3, &MetadataRequest::default())
            .expect_err("nowhere to send");
        assert_eq!(error.kind(), ErrorKind::Connection);
        assert_eq!(net.in_flight(3), 0);
        assert!(net.broker_statistics().is_empty());
    }

    #[test]
    fn a_request_to_a_node_still_connecting_fails_without_a_version() {
        let mut net = network();
        net.add_node(1, local(1));
        net.ensure_connecting(1, Instant::now());
        let error = net
            .negotiate::<MetadataRequest>(1)
            .expect_err("no ApiVersions yet");
        assert!(error.to_string().contains("not connected"), "{error}");
    }

    #[test]
    fn a_refused_connect_is_the_nodes_last_error_and_backs_it_off() {
        let mut net = network();
        net.add_node(1, local(1));
        let started = Instant::now();
        net.ensure_connecting(1, started);
        // The refusal arrives as a socket event (or at once, from connect itself).
        let deadline = started + Duration::from_secs(10);
        while !net.is_failing(1) {
            assert!(Instant::now() < deadline, "no refusal from port 1");
            net.poll(Duration::from_millis(100)).expect("poll");
        }
        assert!(net.last_error(1).is_some());
        assert!(!net.is_ready(1) && !net.is_connecting(1));
        let now = Instant::now();
        assert!(net.is_blacked_out(1, now));
        assert!(
            !net.ensure_connecting(1, now),
            "no new attempt during the back-off"
        );
        assert!(net.is_failing(1), "still failing, not connecting again");
        assert!(!net.is_blacked_out(1, now + BACKOFF + BACKOFF));
        let stats = net.broker_statistics();
        assert!(!stats[&1].connected);
        assert_eq!(stats[&1].connects, 0);
    }

    #[test]
    fn adding_a_known_node_again_moves_it_to_the_new_address() {
        let mut net = network();
        net.add_node(1, local(1));
        net.add_node(1, local(2));
        assert_eq!(net.address(1), Some(&local(2)));
        assert_eq!(net.broker_statistics().len(), 1);
    }
}
