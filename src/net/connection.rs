//! One connection to one broker, as an explicit state machine.
//!
//! ```text
//!            connect()                 writable, connected          ApiVersions answered
//! Disconnected ──────────► Connecting ─────────────────────► ApiVersions ─────────────────► Ready
//!      ▲                       │                                  │                          │
//!      └───────────────────────┴──────────── error, timeout, close ┴──────────────────────────┘
//! ```
//!
//! The connection owns a non-blocking socket registered with the selector's
//! [`mio::Poll`]. It queues encoded request frames in a write buffer and writes as much
//! as the socket takes (partial writes are normal); it reads whatever arrives into a read
//! buffer and cuts it into frames, checking each frame's size against the configured
//! maximum *before* reserving memory for it. Kafka answers requests on one connection in
//! the order they were sent, so in-flight requests are a queue matched by correlation
//! id; a mismatch means the stream is corrupt and the connection is closed.
//!
//! Each state has one exit per event: the `match` in each handler below lists them all.
//! TLS and SASL will become states between `Connecting` and `Ready`.

use std::collections::VecDeque;
use std::io::{self, Read, Write as _};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::backoff::Backoff;
use super::ApiVersionTable;
use crate::error::{ErrorCode, KafkaError, Result};
use crate::protocol::api::{decode_response, encode_request, peek_correlation_id, ApiKey, Request};
use crate::protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use crate::protocol::primitives::Reader;

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

/// Settings every connection shares.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Sent in every request header.
    pub client_id: Option<String>,
    /// How long connecting plus the ApiVersions exchange may take.
    pub connect_timeout: Duration,
    /// The largest response frame accepted; a larger size is treated as corrupt.
    pub max_response_size: usize,
    /// Reconnect back-off start.
    pub reconnect_backoff: Duration,
    /// Reconnect back-off cap.
    pub reconnect_backoff_max: Duration,
    /// Socket send buffer size in bytes (0: the OS default).
    pub send_buffer_bytes: usize,
    /// Socket receive buffer size in bytes (0: the OS default).
    pub receive_buffer_bytes: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            client_id: Some("kafka-sync".to_owned()),
            connect_timeout: Duration::from_secs(10),
            max_response_size: 100 * 1024 * 1024,
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            send_buffer_bytes: 0,
            receive_buffer_bytes: 0,
        }
    }
}

/// The state of a connection. See the module documentation for the transitions.
#[derive(Debug)]
enum State {
    /// No socket. A new attempt may start once the back-off allows.
    Disconnected,
    /// A non-blocking connect is under way.
    Connecting { deadline: Instant },
    /// Connected; our ApiVersions request is in flight.
    ApiVersions { deadline: Instant },
    /// Ready for requests.
    Ready,
}

/// A request sent and not yet answered.
#[derive(Debug)]
struct InFlight {
    correlation_id: i32,
    api_key: ApiKey,
    api_version: i16,
    deadline: Instant,
    /// Internal requests (the ApiVersions handshake) are answered to the connection
    /// itself, not to the caller.
    internal: bool,
}

/// A request written (acks=0 produce) that the broker never answers: it completes once
/// its last byte has left the write buffer.
#[derive(Debug)]
struct Unanswered {
    correlation_id: i32,
    api_key: ApiKey,
    api_version: i16,
    /// The absolute write-stream offset of the request's last byte.
    end: u64,
}

/// What a connection hands back to its owner after I/O.
#[derive(Debug)]
pub enum Event {
    /// A response (or the failure of a request).
    Response {
        /// The request's correlation id.
        correlation_id: i32,
        /// The request's API.
        api_key: ApiKey,
        /// The version it was sent at.
        api_version: i16,
        /// The whole response frame (header included), or why there is none.
        /// Requests that expect no response complete with an empty frame.
        result: Result<Bytes>,
    },
    /// The connection became ready.
    Ready,
    /// The connection closed; every request in flight on it has been failed.
    Closed(KafkaError),
}

/// One broker connection.
#[derive(Debug)]
pub struct Connection {
    node_id: i32,
    address: BrokerAddress,
    token: Token,
    state: State,
    /// The socket, present in every state but `Disconnected`.
    stream: Option<TcpStream>,
    out: Vec<u8>,
    out_pos: usize,
    /// Bytes written to the socket since the connection opened.
    written: u64,
    input: BytesMut,
    in_flight: VecDeque<InFlight>,
    unanswered: VecDeque<Unanswered>,
    versions: Option<ApiVersionTable>,
    backoff: Backoff,
    /// The addresses the host name resolved to, tried in turn.
    resolved: Vec<SocketAddr>,
    next_address: usize,
    settings: ConnectionSettings,
}

impl Connection {
    /// A disconnected connection to `address`, registered under `token` once connected.
    pub fn new(
        node_id: i32,
        address: BrokerAddress,
        token: Token,
        settings: ConnectionSettings,
    ) -> Self {
        let backoff = Backoff::new(settings.reconnect_backoff, settings.reconnect_backoff_max);
        Connection {
            node_id,
            address,
            token,
            state: State::Disconnected,
            stream: None,
            out: Vec::new(),
            out_pos: 0,
            written: 0,
            input: BytesMut::new(),
            in_flight: VecDeque::new(),
            unanswered: VecDeque::new(),
            versions: None,
            backoff,
            resolved: Vec::new(),
            next_address: 0,
            settings,
        }
    }

    /// The broker's node id.
    pub fn node_id(&self) -> i32 {
        self.node_id
    }

    /// The broker's address.
    pub fn address(&self) -> &BrokerAddress {
        &self.address
    }

    /// Points the connection at a new address (a broker moved). Closes it if it changed.
    pub fn set_address(
        &mut self,
        address: BrokerAddress,
        registry: &Registry,
        events: &mut Vec<Event>,
    ) {
        if address != self.address {
            self.address = address;
            self.resolved.clear();
            self.close(
                registry,
                KafkaError::connection("broker address changed"),
                events,
            );
        }
    }

    /// Whether requests can be sent now.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// Whether no socket is open.
    pub fn is_disconnected(&self) -> bool {
        matches!(self.state, State::Disconnected)
    }

    /// Whether a connect attempt may start now (disconnected and back-off elapsed).
    pub fn can_connect(&self, now: Instant) -> bool {
        self.is_disconnected() && self.backoff.ready(now)
    }

    /// When the next connect attempt may start.
    pub fn next_attempt(&self) -> Instant {
        self.backoff.next_attempt()
    }

    /// The API versions the broker announced, once connected.
    pub fn api_versions(&self) -> Option<&ApiVersionTable> {
        self.versions.as_ref()
    }

    /// Requests sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len() + self.unanswered.len()
    }

    /// Bytes queued and not yet written.
    pub fn pending_write_bytes(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// The earliest deadline this connection waits on, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let state_deadline = match &self.state {
            State::Connecting { deadline, .. } | State::ApiVersions { deadline, .. } => {
                Some(*deadline)
            }
            _ => None,
        };
        let request_deadline = self.in_flight.iter().map(|r| r.deadline).min();
        match (state_deadline, request_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Starts a non-blocking connect. On failure the connection stays disconnected and
    /// the back-off grows; the error says why.
    pub fn connect(&mut self, registry: &Registry, now: Instant) -> Result<()> {
        debug_assert!(self.is_disconnected());
        match self.start_connect(registry, now) {
            Ok(stream) => {
                self.stream = Some(stream);
                self.state = State::Connecting {
                    deadline: now + self.settings.connect_timeout,
                };
                Ok(())
            }
            Err(err) => {
                self.backoff.failed(now);
                Err(err)
            }
        }
    }

    fn start_connect(&mut self, registry: &Registry, _now: Instant) -> Result<TcpStream> {
        if self.resolved.is_empty() || self.next_address >= self.resolved.len() {
            self.resolved = (self.address.host.as_str(), self.address.port)
                .to_socket_addrs()
                .map_err(|e| {
                    KafkaError::connection(format!("cannot resolve {}: {e}", self.address))
                })?
                .collect();
            self.next_address = 0;
            if self.resolved.is_empty() {
                return Err(KafkaError::connection(format!(
                    "{} resolved to no address",
                    self.address
                )));
            }
        }
        let addr = self.resolved[self.next_address];
        self.next_address += 1;
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        socket.set_nodelay(true)?;
        socket.set_keepalive(true)?;
        if self.settings.send_buffer_bytes > 0 {
            socket.set_send_buffer_size(self.settings.send_buffer_bytes)?;
        }
        if self.settings.receive_buffer_bytes > 0 {
            socket.set_recv_buffer_size(self.settings.receive_buffer_bytes)?;
        }
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e)
                if e.raw_os_error() == Some(libc_einprogress())
                    || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => {
                return Err(KafkaError::connection(format!(
                    "cannot connect to broker {} ({addr}): {e}",
                    self.address
                )))
            }
        }
        let mut stream = TcpStream::from_std(socket.into());
        registry.register(
            &mut stream,
            self.token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        log::debug!(
            "connecting to node {} at {} ({addr})",
            self.node_id,
            self.address
        );
        Ok(stream)
    }

    /// Queues `request` for sending. The caller checks [`Connection::is_ready`] first.
    /// With `expect_response == false` (acks=0 produce) the request completes with an
    /// empty frame once it has been written.
    #[allow(clippy::too_many_arguments)]
    pub fn send<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        correlation_id: i32,
        timeout: Duration,
        expect_response: bool,
        now: Instant,
    ) -> Result<()> {
        if !self.is_ready() {
            return Err(KafkaError::connection(format!(
                "connection to node {} ({}) is not ready",
                self.node_id, self.address
            )));
        }
        self.queue(
            request,
            version,
            correlation_id,
            now + timeout,
            expect_response,
            false,
        );
        Ok(())
    }

    fn queue<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        correlation_id: i32,
        deadline: Instant,
        expect_response: bool,
        internal: bool,
    ) {
        // Compact the write buffer when everything queued so far has been written.
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        encode_request(
            &mut self.out,
            request,
            version,
            correlation_id,
            self.settings.client_id.as_deref(),
        );
        let api_key = R::SUPPORT.key;
        if expect_response {
            self.in_flight.push_back(InFlight {
                correlation_id,
                api_key,
                api_version: version,
                deadline,
                internal,
            });
        } else {
            let end = self.written + (self.out.len() - self.out_pos) as u64;
            self.unanswered.push_back(Unanswered {
                correlation_id,
                api_key,
                api_version: version,
                end,
            });
        }
    }

    /// Tries to write queued bytes now (called after queueing, since readiness is
    /// edge-triggered and no event may come for a socket that is already writable).
    pub fn flush(&mut self, registry: &Registry, events: &mut Vec<Event>) {
        if let Err(err) = self.write_out(events) {
            self.close(registry, err, events);
        }
    }

    /// Handles readiness reported by the selector.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        readable: bool,
        writable: bool,
        now: Instant,
        events: &mut Vec<Event>,
    ) {
        if let Err(err) = self.handle_ready(readable, writable, now, events) {
            self.close(registry, err, events);
        }
    }

    fn handle_ready(
        &mut self,
        readable: bool,
        writable: bool,
        now: Instant,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        match self.state {
            State::Disconnected => Ok(()),
            State::Connecting { deadline } => {
                if !(writable || readable) {
                    return Ok(());
                }
                let Some(stream) = self.stream.as_mut() else {
                    return Err(KafkaError::connection("connecting without a socket"));
                };
                if let Some(err) = stream.take_error()? {
                    return Err(KafkaError::connection(format!(
                        "cannot connect to broker {}: {err}",
                        self.address
                    )));
                }
                match stream.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
                    Err(e) => {
                        return Err(KafkaError::connection(format!(
                            "cannot connect to broker {}: {e}",
                            self.address
                        )))
                    }
                }
                self.state = State::ApiVersions { deadline };
                self.send_api_versions(ApiVersionsRequest::SUPPORT_MAX, deadline);
                self.write_out(events)?;
                if readable {
                    self.read_in(now, events)?;
                }
                Ok(())
            }
            State::ApiVersions { .. } | State::Ready => {
                if writable {
                    self.write_out(events)?;
                }
                if readable {
                    self.read_in(now, events)?;
                }
                Ok(())
            }
        }
    }

    fn send_api_versions(&mut self, version: i16, deadline: Instant) {
        let request = ApiVersionsRequest {
            client_software_name: "kafka-sync".to_owned(),
            client_software_version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        // Correlation ids of internal requests are negative so they never collide with
        // the caller's, which count up from zero.
        let correlation_id = -1 - i32::from(version);
        self.queue(&request, version, correlation_id, deadline, true, true);
    }

    fn write_out(&mut self, events: &mut Vec<Event>) -> Result<()> {
        if matches!(self.state, State::Connecting { .. }) {
            return Ok(());
        }
        while self.out_pos < self.out.len() {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(());
            };
            let pending = &self.out[self.out_pos..];
            match stream.write(pending) {
                Ok(0) => {
                    return Err(KafkaError::connection(format!(
                        "broker {} closed the connection",
                        self.address
                    )))
                }
                Ok(n) => {
                    self.out_pos += n;
                    self.written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(KafkaError::connection(format!(
                        "write to broker {} failed: {e}",
                        self.address
                    )))
                }
            }
        }
        while self
            .unanswered
            .front()
            .is_some_and(|u| u.end <= self.written)
        {
            if let Some(u) = self.unanswered.pop_front() {
                events.push(Event::Response {
                    correlation_id: u.correlation_id,
                    api_key: u.api_key,
                    api_version: u.api_version,
                    result: Ok(Bytes::new()),
                });
            }
        }
        Ok(())
    }

    fn read_in(&mut self, now: Instant, events: &mut Vec<Event>) -> Result<()> {
        const CHUNK: usize = 64 * 1024;
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(());
            };
            let start = self.input.len();
            // Read straight into the input buffer's spare room.
            self.input
                .resize(start + CHUNK.max(self.input.capacity() - start), 0);
            let result = stream.read(&mut self.input[start..]);
            match result {
                Ok(0) => {
                    self.input.truncate(start);
                    return Err(KafkaError::connection(format!(
                        "broker {} (node {}) closed the connection",
                        self.address, self.node_id
                    )));
                }
                Ok(n) => {
                    self.input.truncate(start + n);
                    self.parse_frames(now, events)?;
                }
                Err(e) => {
                    self.input.truncate(start);
                    match e.kind() {
                        io::ErrorKind::WouldBlock => return Ok(()),
                        io::ErrorKind::Interrupted => continue,
                        _ => {
                            return Err(KafkaError::connection(format!(
                                "read from broker {} failed: {e}",
                                self.address
                            )))
                        }
                    }
                }
            }
        }
    }

    fn parse_frames(&mut self, now: Instant, events: &mut Vec<Event>) -> Result<()> {
        loop {
            if self.input.len() < 4 {
                return Ok(());
            }
            let size =
                i32::from_be_bytes([self.input[0], self.input[1], self.input[2], self.input[3]]);
            if size < 4 || size as usize > self.settings.max_response_size {
                return Err(KafkaError::corrupt(format!(
                    "broker {} sent a frame of {size} bytes (allowed: 4 to {}); is this a Kafka broker?",
                    self.address, self.settings.max_response_size
                )));
            }
            let size = size as usize;
            if self.input.len() < 4 + size {
                // Reserve room for the rest of this frame at once, now that its size is
                // known to be sane.
                self.input.reserve(4 + size - self.input.len());
                return Ok(());
            }
            let mut frame = self.input.split_to(4 + size);
            let frame = frame.split_off(4).freeze();
            self.on_frame(frame, now, events)?;
        }
    }

    fn on_frame(&mut self, frame: Bytes, now: Instant, events: &mut Vec<Event>) -> Result<()> {
        let correlation_id = peek_correlation_id(&frame)?;
        let Some(request) = self.in_flight.pop_front() else {
            return Err(KafkaError::new(
                crate::ErrorKind::UnexpectedResponse,
                format!(
                    "broker {} sent a response (correlation id {correlation_id}) nobody asked for",
                    self.address
                ),
            ));
        };
        if request.correlation_id != correlation_id {
            return Err(KafkaError::new(
                crate::ErrorKind::UnexpectedResponse,
                format!(
                    "broker {} answered correlation id {correlation_id}, expected {}",
                    self.address, request.correlation_id
                ),
            ));
        }
        if request.internal {
            return self.on_api_versions(frame, request.api_version, now, events);
        }
        events.push(Event::Response {
            correlation_id,
            api_key: request.api_key,
            api_version: request.api_version,
            result: Ok(frame),
        });
        Ok(())
    }

    fn on_api_versions(
        &mut self,
        frame: Bytes,
        version: i16,
        _now: Instant,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        // A broker that does not know our ApiVersions version answers in the v0 layout
        // with UNSUPPORTED_VERSION and its own range (KIP-511). The error code is the
        // first field of every version, so look at it before decoding.
        let mut peek = Reader::new(frame.clone());
        peek.skip(4, "response header")?;
        let error = ErrorCode(peek.i16()?);
        let decode_version = if error == ErrorCode::UNSUPPORTED_VERSION {
            0
        } else {
            version
        };
        let response: ApiVersionsResponse =
            decode_response::<ApiVersionsRequest>(frame, decode_version)?;
        if error == ErrorCode::UNSUPPORTED_VERSION {
            let theirs = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::API_VERSIONS.0);
            let retry = theirs
                .and_then(|k| ApiVersionsRequest::SUPPORT.negotiate(k.min_version, k.max_version));
            return match retry {
                Some(v) if v < version => {
                    let deadline = match &self.state {
                        State::ApiVersions { deadline, .. } => *deadline,
                        _ => Instant::now() + self.settings.connect_timeout,
                    };
                    self.send_api_versions(v, deadline);
                    self.write_out(events)
                }
                _ => Err(KafkaError::new(
                    crate::ErrorKind::UnsupportedVersion,
                    format!(
                        "broker {} supports no ApiVersions version this client speaks",
                        self.address
                    ),
                )),
            };
        }
        error.check(format!("ApiVersions from broker {}", self.address))?;
        self.versions = Some(ApiVersionTable::from_response(&response));
        if !matches!(self.state, State::ApiVersions { .. }) {
            return Err(KafkaError::new(
                crate::ErrorKind::UnexpectedResponse,
                "ApiVersions response outside the handshake",
            ));
        }
        self.state = State::Ready;
        self.backoff.succeeded();
        log::debug!("node {} at {} is ready", self.node_id, self.address);
        events.push(Event::Ready);
        Ok(())
    }

    /// Fails requests whose deadline passed, and the connection itself if connecting
    /// took too long. A timed-out request closes the connection: the broker may still
    /// answer it, and a late answer would be taken for the next request's.
    pub fn check_timeouts(&mut self, registry: &Registry, now: Instant, events: &mut Vec<Event>) {
        let err = match &self.state {
            State::Connecting { deadline, .. } | State::ApiVersions { deadline, .. }
                if *deadline <= now =>
            {
                Some(KafkaError::timeout(format!(
                    "connecting to broker {} (node {}) took longer than {:?}",
                    self.address, self.node_id, self.settings.connect_timeout
                )))
            }
            _ => self.in_flight.iter().find(|r| r.deadline <= now).map(|r| {
                KafkaError::timeout(format!(
                    "{} request to broker {} (node {}) got no response in time",
                    r.api_key, self.address, self.node_id
                ))
            }),
        };
        if let Some(err) = err {
            self.close(registry, err, events);
        }
    }

    /// Closes the socket and fails every request in flight with `reason`.
    pub fn close(&mut self, registry: &Registry, reason: KafkaError, events: &mut Vec<Event>) {
        let was_connected = !self.is_disconnected();
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        let was_ready = self.is_ready();
        self.state = State::Disconnected;
        if was_connected {
            if was_ready {
                log::info!(
                    "connection to node {} ({}) closed: {reason}",
                    self.node_id,
                    self.address
                );
            } else {
                log::debug!(
                    "connecting to node {} ({}) failed: {reason}",
                    self.node_id,
                    self.address
                );
            }
            self.backoff.failed(Instant::now());
        }
        self.out.clear();
        self.out_pos = 0;
        self.written = 0;
        self.input.clear();
        for request in self.in_flight.drain(..) {
            if request.internal {
                continue;
            }
            events.push(Event::Response {
                correlation_id: request.correlation_id,
                api_key: request.api_key,
                api_version: request.api_version,
                result: Err(reason.clone()),
            });
        }
        for u in self.unanswered.drain(..) {
            events.push(Event::Response {
                correlation_id: u.correlation_id,
                api_key: u.api_key,
                api_version: u.api_version,
                result: Err(reason.clone()),
            });
        }
        if was_connected {
            events.push(Event::Closed(reason));
        }
    }
}

/// EINPROGRESS on Linux and the BSDs differs; socket2 surfaces it as a raw OS error.
fn libc_einprogress() -> i32 {
    if cfg!(target_os = "linux") {
        115
    } else if cfg!(windows) {
        10036 // WSAEINPROGRESS; WSAEWOULDBLOCK maps to WouldBlock
    } else {
        36
    }
}

/// The highest ApiVersions version this client speaks.
trait SupportMax {
    const SUPPORT_MAX: i16;
}

impl SupportMax for ApiVersionsRequest {
    const SUPPORT_MAX: i16 = <ApiVersionsRequest as Request>::SUPPORT.max_version;
}
