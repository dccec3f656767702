//! One connection to one broker: its socket I/O, as an explicit state machine.
//!
//! ```text
//!              connect()               connected, TLS              TLS done
//! Disconnected ──────────► Connecting ───────────────► TlsHandshake ─────────┐
//!      ▲    │ a name to look up ▲  │ connected, no TLS                          ▼
//!      │    └──────► Resolving ─┘  └─────────────────────────────────────► Handshake ◄─┐
//!      │                 resolved                    ApiVersions, SASL done │         │
//!      │                                                                    ▼         │
//!      │                                                                  Ready ──────┘
//!      │                                          re-authentication due (KIP-368)
//!      └──────────── any error, timeout, failed authentication, close (from every state)
//! ```
//!
//! The connection owns one job, moving bytes: a non-blocking socket registered with the
//! poll loop's [`mio::Poll`], the TLS stream over it, and the read and write buffers. It
//! queues encoded request frames in its [`WriteQueue`] and writes as much as the socket
//! takes (partial writes are normal); it reads whatever arrives into the read buffer and
//! drives two sans-IO parts with it:
//!
//! - its [`Codec`] ([`super::codec`]) cuts the buffer into frames, checking each
//!   frame's size against the configured maximum *before* reserving memory for it, and
//!   matches each response to the oldest request in flight by correlation id (a
//!   mismatch means the stream is corrupt, and the connection closes); it also encodes
//!   the requests;
//! - in the `Handshake` state, the handshake (`super::handshake`: ApiVersions, then
//!   SASL) gets the answers to its own requests and says what to send next, or that the
//!   connection is ready. When the broker gives a SASL session a lifetime, a ready
//!   connection goes through it again (SaslHandshake and SaslAuthenticate on the same
//!   socket); responses to requests sent before keep arriving in order meanwhile, and
//!   new requests wait until it is done.
//!
//! Each state has one exit per event: the `match` in each handler below lists them all.
//!
//! **TLS** (`security.protocol` SSL, SASL_SSL) starts once TCP is connected; the
//! handshake is driven by readiness events like everything else, and the stream then
//! reads and writes through TLS.
//!
//! **Writes.** The queued frames are chunks: request headers, and record batches kept by
//! reference in the producer's buffers. Over plain TCP they go out with vectored writes
//! (`writev`), so a batch is never copied on its way to the socket. TLS takes one buffer
//! per write and encrypts it, which copies it anyway: a chunk of at least a TLS record's
//! worth is handed over as it is, and smaller ones are gathered into one record-sized
//! buffer first, so that a request's small pieces do not each become a TLS record and a
//! system call.
//!
//! Failed authentication and TLS failures close the connection with an error of kind
//! [`ErrorKind::Authentication`](crate::ErrorKind) or [`ErrorKind::Tls`](crate::ErrorKind).
//! The reconnect back-off applies to them as to any failure, so a client with a wrong
//! password does not hammer the broker, and blocking calls report the error itself.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, IoSlice, Read, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::backoff::Backoff;
use super::codec::{Codec, Expect, Frame, Framing, WriteQueue};
use super::handshake::{Handshake, Next, Outgoing};
use super::resolver::{DnsLookup, Resolution, Resolved};
use super::sasl::SaslSettings;
use super::tls::{self, Stream};
use super::{ApiVersionTable, Security};
pub use crate::config::BrokerAddress;
use crate::config::ClientConfig;
use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::api::{ApiKey, Request};

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
    /// TLS and SASL.
    pub security: Security,
    /// Caps on the API versions the broker announces (see
    /// [`ClientConfig::max_api_version`](crate::ClientConfig::max_api_version)).
    pub max_api_versions: BTreeMap<ApiKey, i16>,
    /// `client.dns.lookup`.
    pub dns_lookup: DnsLookup,
    /// Woken when a host name lookup finishes, so the poll loop takes the answer.
    pub(crate) waker: Option<std::sync::Arc<mio::Waker>>,
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
            security: Security::default(),
            max_api_versions: BTreeMap::new(),
            dns_lookup: DnsLookup::default(),
            waker: None,
        }
    }
}

impl ConnectionSettings {
    /// The settings of each broker connection of a client configured by `config`.
    /// Fails if the TLS files cannot be read.
    pub(crate) fn from_config(config: &ClientConfig) -> Result<Self> {
        Ok(ConnectionSettings {
            client_id: Some(config.client_id.clone()),
            connect_timeout: config.connect_timeout,
            max_response_size: config.max_response_size,
            reconnect_backoff: config.reconnect_backoff,
            reconnect_backoff_max: config.reconnect_backoff_max,
            send_buffer_bytes: config.send_buffer_bytes,
            receive_buffer_bytes: config.receive_buffer_bytes,
            security: Security::new(&config.security)?,
            max_api_versions: config.max_api_versions.clone(),
            dns_lookup: config.client_dns_lookup,
            waker: None,
        })
    }
}

/// The state of a connection. See the module documentation for the transitions.
/// `deadline` is when connecting (TCP, TLS, ApiVersions, SASL) must be done.
#[derive(Debug)]
enum State {
    /// No socket. A new attempt may start once the back-off allows.
    Disconnected,
    /// The host name is being looked up, off this thread (see [`resolver`]).
    Resolving {
        deadline: Instant,
        resolution: Resolution,
    },
    /// A non-blocking connect is under way.
    Connecting { deadline: Instant },
    /// Connected; the TLS handshake is under way.
    TlsHandshake { deadline: Instant },
    /// Connected (TLS done, if any); the handshake (ApiVersions, then SASL) is under
    /// way. Also a ready connection that authenticates again because its session is
    /// about to end (KIP-368).
    Handshake {
        deadline: Instant,
        handshake: Handshake,
    },
    /// Ready for requests. `reauth_at`: when to authenticate again, if the broker gave
    /// the session a lifetime.
    Ready { reauth_at: Option<Instant> },
}

impl State {
    /// The name of the phase, for messages.
    fn phase(&self) -> &'static str {
        match self {
            State::Disconnected => "disconnected",
            State::Resolving { .. } => "DNS lookup",
            State::Connecting { .. } => "TCP connect",
            State::TlsHandshake { .. } => "TLS handshake",
            State::Handshake { handshake, .. } => handshake.phase(),
            State::Ready { .. } => "ready",
        }
    }
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

/// The most plaintext one TLS record carries (RFC 8446, 5.1): over TLS, chunks at
/// least this large are written as they are, smaller ones gathered up to this size.
const TLS_RECORD: usize = 16 * 1024;

/// The most chunks one vectored write hands to the socket (Linux takes up to 1024).
const MAX_WRITE_SLICES: usize = 64;

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
pub struct Connection {
    node_id: i32,
    address: BrokerAddress,
    token: Token,
    state: State,
    /// The socket, present in every state but `Disconnected`.
    stream: Option<Stream>,
    /// The frames waiting to be written, as chunks.
    out: WriteQueue,
    /// Where small chunks are gathered for one TLS write.
    tls_out: Vec<u8>,
    /// Bytes written to the socket since the connection opened.
    written: u64,
    input: BytesMut,
    /// Where socket reads land before they are appended to `input`: zeroed once, so
    /// reads never zero-fill buffer space again.
    scratch: Vec<u8>,
    /// Frames `input` into responses matched to the requests in flight, and encodes
    /// requests into `out`. Internal requests (ApiVersions, SASL) are answered to the
    /// connection itself, not to the caller.
    codec: Codec,
    unanswered: VecDeque<Unanswered>,
    versions: Option<ApiVersionTable>,
    backoff: Backoff,
    /// The addresses the host name resolved to, tried in turn.
    resolved: Vec<SocketAddr>,
    /// The host name TLS verifies, if a canonical lookup replaced the configured one.
    canonical_host: Option<String>,
    next_address: usize,
    settings: ConnectionSettings,
}

/// Written by hand: the buffers hold request bytes, SASL messages among them (a PLAIN
/// password, an OAUTHBEARER token), which must never be printed.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("node_id", &self.node_id)
            .field("address", &self.address)
            .field("state", &self.state.phase())
            .field("in_flight", &self.codec.in_flight_len())
            .field("buffered_out", &self.out.len())
            .field("buffered_in", &self.input.len())
            .finish_non_exhaustive()
    }
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
            out: WriteQueue::default(),
            tls_out: Vec::new(),
            written: 0,
            input: BytesMut::new(),
            scratch: Vec::new(),
            codec: Codec::new(settings.client_id.clone(), settings.max_response_size),
            unanswered: VecDeque::new(),
            versions: None,
            backoff,
            resolved: Vec::new(),
            canonical_host: None,
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
        matches!(self.state, State::Ready { .. })
    }

    /// Whether no socket is open.
    pub fn is_disconnected(&self) -> bool {
        matches!(self.state, State::Disconnected)
    }

    /// Whether a connect attempt may start now (disconnected and back-off elapsed).
    pub fn can_connect(&self, now: Instant) -> bool {
        self.is_disconnected() && self.backoff.ready(now)
    }

    /// The API versions the broker announced, once connected.
    pub fn api_versions(&self) -> Option<&ApiVersionTable> {
        self.versions.as_ref()
    }

    /// Requests sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.codec.in_flight_len() + self.unanswered.len()
    }

    /// The earliest deadline this connection waits on, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let state_deadline = match &self.state {
            State::Disconnected => None,
            State::Resolving { deadline, .. }
            | State::Connecting { deadline }
            | State::TlsHandshake { deadline }
            | State::Handshake { deadline, .. } => Some(*deadline),
            State::Ready { reauth_at } => *reauth_at,
        };
        let request_deadline = self.codec.earliest_deadline();
        match (state_deadline, request_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Starts a non-blocking connect. On failure the connection stays disconnected and
    /// the back-off grows; the error says why.
    ///
    /// A host name that has to be looked up (first, or once every address it had
    /// was tried) is looked up off this thread: the connection waits in `Resolving`
    /// and [`check_timeouts`](Self::check_timeouts) carries on once the answer is in.
    pub fn connect(&mut self, registry: &Registry, now: Instant) -> Result<()> {
        debug_assert!(self.is_disconnected());
        let deadline = crate::time::deadline_after(now, self.settings.connect_timeout);
        self.codec.reset_internal_ids();
        if self.next_address >= self.resolved.len() {
            let canonical = self.node_id < 0
                && self.settings.dns_lookup == DnsLookup::ResolveCanonicalBootstrapServersOnly;
            let resolution = Resolution::start(
                &self.address.host,
                self.address.port,
                canonical,
                self.settings.waker.clone(),
            );
            match resolution.try_take() {
                Some(answer) => {
                    if let Err(err) = self.take_resolution(answer) {
                        self.backoff.failed(now);
                        return Err(err);
                    }
                }
                None => {
                    self.state = State::Resolving {
                        deadline,
                        resolution,
                    };
                    return Ok(());
                }
            }
        }
        self.open_socket(registry, now, deadline)
    }

    /// Keeps the addresses a lookup found, or says why there are none.
    fn take_resolution(&mut self, answer: io::Result<Resolved>) -> Result<()> {
        let resolved = answer
            .map_err(|e| KafkaError::connection(format!("cannot resolve {}: {e}", self.address)))?;
        if resolved.addresses.is_empty() {
            return Err(KafkaError::connection(format!(
                "{} resolved to no address",
                self.address
            )));
        }
        if let Some(name) = &resolved.canonical_host {
            log::debug!(
                "bootstrap server {} has the canonical name {name}",
                self.address
            );
        }
        self.resolved = resolved.addresses;
        self.canonical_host = resolved.canonical_host;
        self.next_address = 0;
        Ok(())
    }

    /// Opens a non-blocking socket to the next resolved address.
    fn open_socket(&mut self, registry: &Registry, now: Instant, deadline: Instant) -> Result<()> {
        match self.start_connect(registry) {
            Ok(stream) => {
                self.stream = Some(Stream::Plain(stream));
                self.state = State::Connecting { deadline };
                Ok(())
            }
            Err(err) => {
                self.state = State::Disconnected;
                self.backoff.failed(now);
                Err(err)
            }
        }
    }

    fn start_connect(&mut self, registry: &Registry) -> Result<TcpStream> {
        let Some(&addr) = self.resolved.get(self.next_address) else {
            return Err(KafkaError::connection(format!(
                "{} has no address left to try",
                self.address
            )));
        };
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
            crate::time::deadline_after(now, timeout),
            expect_response,
            false,
        )
    }

    fn queue<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        correlation_id: i32,
        deadline: Instant,
        expect_response: bool,
        internal: bool,
    ) -> Result<()> {
        let expect = if expect_response {
            Expect::Response { deadline, internal }
        } else {
            Expect::Nothing
        };
        self.codec
            .encode_request(&mut self.out, request, version, correlation_id, expect)?;
        if !expect_response {
            let end = self.written + self.out.len() as u64;
            self.unanswered.push_back(Unanswered {
                correlation_id,
                api_key: R::SUPPORT.key,
                api_version: version,
                end,
            });
        }
        Ok(())
    }

    /// Queues an internal request (ApiVersions, SASL), answered to the connection.
    fn queue_internal<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        deadline: Instant,
    ) -> Result<()> {
        let correlation_id = self.codec.next_internal_id();
        self.queue(request, version, correlation_id, deadline, true, true)
    }

    /// Tries to write queued bytes now (called after queueing, since readiness is
    /// edge-triggered and no event may come for a socket that is already writable).
    pub fn flush(&mut self, registry: &Registry, events: &mut Vec<Event>) {
        if let Err(err) = self.write_out(events) {
            let err = self.explain(err);
            self.close(registry, err, events);
        }
    }

    /// Handles readiness reported by the poll loop.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        readable: bool,
        writable: bool,
        now: Instant,
        events: &mut Vec<Event>,
    ) {
        if let Err(err) = self.handle_ready(readable, writable, now, events) {
            let err = self.explain(err);
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
            State::Disconnected | State::Resolving { .. } => Ok(()),
            State::Connecting { deadline } => {
                if !(writable || readable) {
                    return Ok(());
                }
                let Some(stream) = self.stream.as_mut() else {
                    return Err(KafkaError::connection("connecting without a socket"));
                };
                let tcp = stream.tcp_mut();
                if let Some(err) = tcp.take_error()? {
                    return Err(KafkaError::connection(format!(
                        "cannot connect to broker {}: {err}",
                        self.address
                    )));
                }
                match tcp.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
                    Err(e) => {
                        return Err(KafkaError::connection(format!(
                            "cannot connect to broker {}: {e}",
                            self.address
                        )))
                    }
                }
                match self.settings.security.tls.clone() {
                    Some(tls_settings) => {
                        let Some(Stream::Plain(tcp)) = self.stream.take() else {
                            return Err(KafkaError::connection("TLS over a non-TCP stream"));
                        };
                        self.state = State::TlsHandshake { deadline };
                        let host = self.tls_address();
                        self.stream = Some(tls::start_handshake(&tls_settings, &host, tcp)?);
                        self.after_tls_progress(deadline, now, events)
                    }
                    None => self.start_handshake(deadline, now, events),
                }
            }
            State::TlsHandshake { deadline } => {
                let Some(stream) = self.stream.take() else {
                    return Err(KafkaError::connection("TLS handshake without a socket"));
                };
                self.stream = Some(tls::continue_handshake(&self.tls_address(), stream)?);
                self.after_tls_progress(deadline, now, events)
            }
            State::Handshake { .. } | State::Ready { .. } => {
                // TLS may need to write to read (and read to write), so over TLS any
                // readiness drives both directions.
                let tls = self.stream.as_ref().is_some_and(Stream::is_tls);
                if writable || tls {
                    self.write_out(events)?;
                }
                if readable || tls {
                    self.read_in(now, events)?;
                }
                Ok(())
            }
        }
    }

    /// The address whose host name TLS verifies: the canonical name when a canonical
    /// lookup found one, else the configured host.
    fn tls_address(&self) -> BrokerAddress {
        match &self.canonical_host {
            Some(host) => BrokerAddress {
                host: host.clone(),
                port: self.address.port,
            },
            None => self.address.clone(),
        }
    }

    /// Moves on to ApiVersions once the TLS handshake is done.
    fn after_tls_progress(
        &mut self,
        deadline: Instant,
        now: Instant,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        match &self.stream {
            None => Err(KafkaError::connection("the TLS handshake lost its stream")),
            Some(stream) if stream.is_handshaking() => Ok(()),
            Some(_) => {
                log::debug!(
                    "TLS established with node {} at {}",
                    self.node_id,
                    self.address
                );
                self.start_handshake(deadline, now, events)
            }
        }
    }

    /// Starts the handshake (ApiVersions, then SASL) once TCP and TLS are up.
    fn start_handshake(
        &mut self,
        deadline: Instant,
        now: Instant,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let (handshake, first) = Handshake::start(
            self.address.clone(),
            self.settings.security.sasl.clone(),
            self.settings.max_api_versions.clone(),
        );
        self.state = State::Handshake {
            deadline,
            handshake,
        };
        self.send_internal(first, deadline)?;
        self.write_out(events)?;
        // Edge-triggered: whatever is readable now will not be announced again.
        self.read_in(now, events)
    }

    /// Queues a request the handshake asked for.
    fn send_internal(&mut self, outgoing: Outgoing, deadline: Instant) -> Result<()> {
        match outgoing {
            Outgoing::ApiVersions { version, request } => {
                self.queue_internal(&request, version, deadline)
            }
            Outgoing::SaslHandshake { version, request } => {
                self.queue_internal(&request, version, deadline)
            }
            Outgoing::SaslAuthenticate { version, request } => {
                self.queue_internal(&request, version, deadline)
            }
            Outgoing::RawSasl(message) => Codec::encode_raw(&mut self.out, &message),
        }
    }

    /// Acts on what the handshake said after an answer: sends its next request, or
    /// makes the connection ready.
    fn after_handshake_step(&mut self, step: Result<Next>, events: &mut Vec<Event>) -> Result<()> {
        let State::Handshake {
            deadline,
            handshake,
        } = &self.state
        else {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "a handshake step outside the handshake",
            ));
        };
        let (deadline, reauth) = (*deadline, handshake.is_reauthentication());
        match step? {
            Next::Send(outgoing) => {
                self.send_internal(outgoing, deadline)?;
                self.write_out(events)
            }
            Next::Ready { reauth_at } if reauth => {
                log::debug!("node {} at {} re-authenticated", self.node_id, self.address);
                self.state = State::Ready { reauth_at };
                Ok(())
            }
            Next::Ready { reauth_at } => {
                if self.settings.security.sasl.is_some() {
                    log::debug!("node {} at {} authenticated", self.node_id, self.address);
                }
                self.become_ready(reauth_at, events);
                Ok(())
            }
        }
    }

    fn write_out(&mut self, events: &mut Vec<Event>) -> Result<()> {
        match self.state {
            State::Disconnected
            | State::Resolving { .. }
            | State::Connecting { .. }
            | State::TlsHandshake { .. } => return Ok(()),
            State::Handshake { .. } | State::Ready { .. } => {}
        }
        while !self.out.is_empty() {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(());
            };
            let result = if stream.is_tls() {
                // One buffer per write: a large chunk as it is, small ones gathered.
                // After a would-block, the retry starts at the same byte with the same
                // bytes, as OpenSSL requires.
                let front = self.out.front();
                if front.len() >= TLS_RECORD {
                    stream.write(front)
                } else {
                    self.out.gather(TLS_RECORD, &mut self.tls_out);
                    stream.write(&self.tls_out)
                }
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
                let filled = self.out.io_slices(&mut slices);
                stream.write_vectored(&slices[..filled])
            };
            match result {
                Ok(0) => {
                    return Err(KafkaError::connection(format!(
                        "broker {} closed the connection",
                        self.address
                    )))
                }
                Ok(n) => {
                    self.out.advance(n);
                    self.written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(
                        stream.io_error(format!("write to broker {} failed", self.address), e)
                    )
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
        if self.scratch.len() < CHUNK {
            self.scratch = vec![0; CHUNK];
        }
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(());
            };
            let result = stream.read(&mut self.scratch);
            match result {
                Ok(0) => {
                    return Err(KafkaError::connection(format!(
                        "broker {} (node {}) closed the connection",
                        self.address, self.node_id
                    )));
                }
                Ok(n) => {
                    self.input.extend_from_slice(&self.scratch[..n]);
                    self.parse_frames(now, events)?;
                }
                Err(e) => match e.kind() {
                    io::ErrorKind::WouldBlock => return Ok(()),
                    io::ErrorKind::Interrupted => continue,
                    _ => {
                        return Err(
                            stream.io_error(format!("read from broker {} failed", self.address), e)
                        )
                    }
                },
            }
        }
    }

    fn parse_frames(&mut self, now: Instant, events: &mut Vec<Event>) -> Result<()> {
        loop {
            let framing = self.framing();
            let decoded = self.codec.decode(&mut self.input, framing);
            match decoded {
                Ok(Some(frame)) => self.on_frame(frame, now, events)?,
                Ok(None) => return Ok(()),
                Err(err) => {
                    let tls = self.stream.as_ref().is_some_and(Stream::is_tls);
                    return Err(err.to_error(&self.address, tls));
                }
            }
        }
    }

    /// How the frames arriving now are framed: raw during the legacy SASL exchange.
    fn framing(&self) -> Framing {
        match &self.state {
            State::Handshake { handshake, .. } => handshake.framing(),
            _ => Framing::Responses,
        }
    }

    fn on_frame(&mut self, frame: Frame, now: Instant, events: &mut Vec<Event>) -> Result<()> {
        let (request, result) = match frame {
            // A raw mechanism message: no header, no correlation id.
            Frame::Raw(token) => {
                let State::Handshake { handshake, .. } = &mut self.state else {
                    return Err(KafkaError::new(
                        ErrorKind::UnexpectedResponse,
                        "a raw SASL frame outside the handshake",
                    ));
                };
                let step = handshake.on_raw(&token, now);
                return self.after_handshake_step(step, events);
            }
            Frame::Response { request, result } => (request, result.map(|r| r.frame)),
        };
        if request.internal {
            let frame = result?;
            let State::Handshake { handshake, .. } = &mut self.state else {
                return Err(KafkaError::new(
                    ErrorKind::UnexpectedResponse,
                    format!("{} response outside the handshake", request.api_key),
                ));
            };
            let step = handshake.on_response(
                request.api_key,
                request.api_version,
                frame,
                now,
                &mut self.versions,
            );
            return self.after_handshake_step(step, events);
        }
        events.push(Event::Response {
            correlation_id: request.correlation_id,
            api_key: request.api_key,
            api_version: request.api_version,
            result,
        });
        Ok(())
    }

    fn become_ready(&mut self, reauth_at: Option<Instant>, events: &mut Vec<Event>) {
        self.state = State::Ready { reauth_at };
        self.backoff.succeeded();
        log::debug!("node {} at {} is ready", self.node_id, self.address);
        events.push(Event::Ready);
    }

    /// Explains an error in terms of the phase it interrupted.
    fn explain(&self, err: KafkaError) -> KafkaError {
        match &self.state {
            State::Handshake { handshake, .. } => handshake.explain(err),
            _ => err,
        }
    }

    /// Fails requests whose deadline passed, and the connection itself if connecting
    /// took too long. A timed-out request closes the connection: the broker may still
    /// answer it, and a late answer would be taken for the next request's. Starts
    /// re-authentication when it is due.
    pub fn check_timeouts(&mut self, registry: &Registry, now: Instant, events: &mut Vec<Event>) {
        if let State::Resolving {
            deadline,
            resolution,
        } = &self.state
        {
            let deadline = *deadline;
            if let Some(answer) = resolution.try_take() {
                self.state = State::Disconnected;
                let opened = match self.take_resolution(answer) {
                    Ok(()) => self.open_socket(registry, now, deadline),
                    Err(err) => {
                        self.backoff.failed(now);
                        Err(err)
                    }
                };
                if let Err(err) = opened {
                    log::debug!("connecting to node {} failed: {err}", self.node_id);
                    events.push(Event::Closed(err));
                }
                return;
            }
        }
        let state_timeout = match &self.state {
            State::Resolving { deadline, .. }
            | State::Connecting { deadline }
            | State::TlsHandshake { deadline }
            | State::Handshake { deadline, .. }
                if *deadline <= now =>
            {
                Some(KafkaError::timeout(format!(
                    "connecting to broker {} (node {}) took longer than {:?} (in the {})",
                    self.address,
                    self.node_id,
                    self.settings.connect_timeout,
                    self.state.phase()
                )))
            }
            _ => None,
        };
        let err = state_timeout.or_else(|| {
            self.codec.in_flight().find(|r| r.deadline <= now).map(|r| {
                KafkaError::timeout(format!(
                    "{} request to broker {} (node {}) got no response in time",
                    r.api_key, self.address, self.node_id
                ))
            })
        });
        if let Some(err) = err {
            self.close(registry, err, events);
            return;
        }
        let reauth_due = match self.state {
            State::Ready {
                reauth_at: Some(at),
            } => at <= now,
            _ => false,
        };
        if reauth_due {
            if let Some(sasl) = self.settings.security.sasl.clone() {
                log::debug!(
                    "re-authenticating node {} at {} before its session ends",
                    self.node_id,
                    self.address
                );
                let deadline = crate::time::deadline_after(now, self.settings.connect_timeout);
                if let Err(err) = self.start_reauthentication(sasl, deadline, events) {
                    self.close(registry, err, events);
                }
            }
        }
    }

    /// Authenticates a ready connection again, on the same socket (KIP-368).
    fn start_reauthentication(
        &mut self,
        sasl: Arc<SaslSettings>,
        deadline: Instant,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let (handshake, first) =
            Handshake::reauthenticate(self.address.clone(), sasl, self.versions.as_ref())?;
        self.state = State::Handshake {
            deadline,
            handshake,
        };
        self.send_internal(first, deadline)?;
        self.write_out(events)
    }

    /// Closes the socket and fails every request in flight with `reason`.
    pub fn close(&mut self, registry: &Registry, reason: KafkaError, events: &mut Vec<Event>) {
        let was_connected = !self.is_disconnected();
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(stream.tcp_mut());
        }
        let was_ready = self.is_ready();
        self.state = State::Disconnected;
        if was_connected {
            if matches!(reason.kind(), ErrorKind::Authentication | ErrorKind::Tls) {
                log::warn!(
                    "connection to node {} ({}) failed: {reason}",
                    self.node_id,
                    self.address
                );
            } else if was_ready {
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
        self.tls_out = Vec::new();
        self.written = 0;
        self.input.clear();
        for request in self.codec.drain_in_flight() {
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

#[cfg(test)]
mod tests;
