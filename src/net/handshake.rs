//! What a connection does between TCP (and TLS) and ready, as a sans-IO state machine.
//!
//! This module owns one job: the exchanges that make a socket a usable Kafka
//! connection. It consumes the responses to its own requests and says what to send
//! next, or that the connection is ready; it never touches a socket, a buffer or a
//! correlation id ([`super::connection`] sends what it asks for through
//! [`super::codec`] and hands back the answers).
//!
//! ```text
//!  start ─► ApiVersions ──answered, no SASL──────────────────────────────► Ready
//!                │ answered, SASL                                             ▲
//!                ▼                                                            │
//!  reauthenticate ─► SaslHandshake ──mechanism agreed──► SaslAuthenticate ────┘
//!                                                          (one round per
//!                                                           server message)
//! ```
//!
//! **ApiVersions** goes first, at the highest version this client speaks. A broker
//! that does not know that version answers UNSUPPORTED_VERSION in the v0 layout with
//! its own range (KIP-511), and the request is sent again at the highest common
//! version; a broker whose answer does not even decode that way is asked with v0,
//! which every broker speaks. The announced versions, lowered to the configured caps,
//! become the connection's [`ApiVersionTable`].
//!
//! **SASL** (SASL_PLAINTEXT, SASL_SSL) follows. A SaslHandshake request names the
//! mechanism. From SaslHandshake v1 on (Kafka 1.0+, KIP-152) the mechanism's messages
//! travel in SaslAuthenticate requests, whose errors say why a login failed; with a
//! v0-only broker they travel as raw size-prefixed frames without a Kafka header (the
//! legacy exchange, [`Framing::RawSasl`]), and a broker that rejects the client just
//! closes the connection, which [`Handshake::explain`] reports as an authentication
//! failure. When the broker gives the session a lifetime (SaslAuthenticate v1+,
//! KIP-368), [`Next::Ready`] says when to authenticate again
//! ([`Handshake::reauthenticate`]): at a random point between 85 % and 95 % of it, as
//! the Java client does, so that many connections do not re-authenticate at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::codec::Framing;
use super::connection::BrokerAddress;
use super::sasl::{Mechanism, SaslSettings};
use super::ApiVersionTable;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::api::{decode_response, ApiKey, Request};
use crate::protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse,
};
use crate::protocol::primitives::Reader;

/// The highest ApiVersions version this client speaks, asked with first.
const API_VERSIONS_MAX: i16 = <ApiVersionsRequest as Request>::SUPPORT.max_version;

/// A request the handshake wants sent, with the version to send it at.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// ApiVersions at `version`.
    ApiVersions {
        version: i16,
        request: ApiVersionsRequest,
    },
    /// SaslHandshake at `version`, naming the mechanism.
    SaslHandshake {
        version: i16,
        request: SaslHandshakeRequest,
    },
    /// SaslAuthenticate at `version`, carrying one mechanism message.
    SaslAuthenticate {
        version: i16,
        request: SaslAuthenticateRequest,
    },
    /// One mechanism message of the legacy exchange, to be sent as a bare frame.
    RawSasl(Vec<u8>),
}

/// What the connection does after a step.
#[derive(Debug)]
pub(crate) enum Next {
    /// Sends this, then waits for the answer.
    Send(Outgoing),
    /// The connection is ready. `reauth_at`: when to authenticate again, if the broker
    /// gave the session a lifetime.
    Ready { reauth_at: Option<Instant> },
}

/// How SASL mechanism messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SaslFraming {
    /// In SaslAuthenticate requests of this version (after SaslHandshake v1).
    Framed { version: i16 },
    /// As raw size-prefixed frames (after SaslHandshake v0).
    Legacy,
}

/// Where the handshake is; each step awaits one answer.
#[derive(Debug)]
enum Step {
    /// Our ApiVersions request is in flight.
    ApiVersions,
    /// Our SaslHandshake request is in flight.
    SaslHandshake,
    /// The mechanism's messages are being exchanged; a server message is awaited.
    SaslAuthenticate {
        framing: SaslFraming,
        mechanism: Box<dyn Mechanism>,
    },
}

/// The handshake of one connection attempt (or one re-authentication).
#[derive(Debug)]
pub(crate) struct Handshake {
    /// The broker, for messages.
    broker: BrokerAddress,
    sasl: Option<Arc<SaslSettings>>,
    /// Caps on the versions the broker announces.
    caps: BTreeMap<ApiKey, i16>,
    /// Whether the connection was ready and authenticates again (KIP-368).
    reauth: bool,
    step: Step,
}

impl Handshake {
    /// The handshake of a new connection: ApiVersions, then SASL if `sasl` is set.
    /// Returns it with the first request to send.
    pub(crate) fn start(
        broker: BrokerAddress,
        sasl: Option<Arc<SaslSettings>>,
        caps: BTreeMap<ApiKey, i16>,
    ) -> (Self, Outgoing) {
        let handshake = Handshake {
            broker,
            sasl,
            caps,
            reauth: false,
            step: Step::ApiVersions,
        };
        (handshake, api_versions_request(API_VERSIONS_MAX))
    }

    /// Authenticates a ready connection again, before its session ends (KIP-368):
    /// SaslHandshake and SaslAuthenticate on the same socket, with the versions the
    /// broker announced when it connected.
    pub(crate) fn reauthenticate(
        broker: BrokerAddress,
        sasl: Arc<SaslSettings>,
        versions: Option<&ApiVersionTable>,
    ) -> Result<(Self, Outgoing)> {
        let mut handshake = Handshake {
            broker,
            sasl: Some(sasl),
            caps: BTreeMap::new(),
            reauth: true,
            step: Step::SaslHandshake,
        };
        let request = handshake.start_sasl_handshake(versions)?;
        Ok((handshake, request))
    }

    /// Whether this re-authenticates a connection that was ready.
    pub(crate) fn is_reauthentication(&self) -> bool {
        self.reauth
    }

    /// The name of the step, for messages.
    pub(crate) fn phase(&self) -> &'static str {
        match self.step {
            Step::ApiVersions => "ApiVersions exchange",
            Step::SaslHandshake => "SaslHandshake exchange",
            Step::SaslAuthenticate { .. } => "SASL authentication",
        }
    }

    /// How the frames the broker sends now are framed: raw during the legacy exchange.
    pub(crate) fn framing(&self) -> Framing {
        match self.step {
            Step::SaslAuthenticate {
                framing: SaslFraming::Legacy,
                ..
            } => Framing::RawSasl,
            _ => Framing::Responses,
        }
    }

    /// Handles the response `frame` (header included) to the handshake's request of
    /// `api_key` at `version`. `versions` is the connection's table of the broker's
    /// API versions: set when ApiVersions is answered, read to pick the SASL versions.
    pub(crate) fn on_response(
        &mut self,
        api_key: ApiKey,
        version: i16,
        frame: Bytes,
        now: Instant,
        versions: &mut Option<ApiVersionTable>,
    ) -> Result<Next> {
        match api_key {
            ApiKey::API_VERSIONS => self.on_api_versions(frame, version, versions),
            ApiKey::SASL_HANDSHAKE => self.on_sasl_handshake(frame, version, versions.as_ref()),
            ApiKey::SASL_AUTHENTICATE => self.on_sasl_authenticate(frame, version, now),
            other => Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!("internal {other} request"),
            )),
        }
    }

    /// Handles a mechanism message of the legacy exchange (a raw frame).
    pub(crate) fn on_raw(&mut self, token: &[u8], now: Instant) -> Result<Next> {
        self.on_sasl_token(token, 0, now)
    }

    fn on_api_versions(
        &mut self,
        frame: Bytes,
        version: i16,
        versions: &mut Option<ApiVersionTable>,
    ) -> Result<Next> {
        if !matches!(self.step, Step::ApiVersions) {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "ApiVersions response outside the handshake",
            ));
        }
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
            match decode_response::<ApiVersionsRequest>(frame, decode_version) {
                Ok(response) => response,
                // Some brokers (librdkafka's mock cluster) answer UNSUPPORTED_VERSION in a
                // layout that is not v0's; version 0 is always supported, so ask with it.
                Err(_) if error == ErrorCode::UNSUPPORTED_VERSION && version > 0 => {
                    return Ok(Next::Send(api_versions_request(0)));
                }
                Err(e) => return Err(e),
            };
        if error == ErrorCode::UNSUPPORTED_VERSION {
            let theirs = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::API_VERSIONS.0);
            let retry = theirs
                .and_then(|k| ApiVersionsRequest::SUPPORT.negotiate(k.min_version, k.max_version));
            return match retry {
                Some(v) if v < version => Ok(Next::Send(api_versions_request(v))),
                _ => Err(KafkaError::new(
                    ErrorKind::UnsupportedVersion,
                    format!(
                        "broker {} supports no ApiVersions version this client speaks",
                        self.broker
                    ),
                )),
            };
        }
        error.check(format!("ApiVersions from broker {}", self.broker))?;
        *versions = Some(ApiVersionTable::from_response(&response).capped(&self.caps));
        if self.sasl.is_none() {
            return Ok(Next::Ready { reauth_at: None });
        }
        self.start_sasl_handshake(versions.as_ref()).map(Next::Send)
    }

    /// The SaslHandshake request naming the mechanism: after ApiVersions, or to
    /// re-authenticate a ready connection.
    fn start_sasl_handshake(&mut self, versions: Option<&ApiVersionTable>) -> Result<Outgoing> {
        let Some(sasl) = &self.sasl else {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "SaslHandshake without SASL settings",
            ));
        };
        let version = versions
            .and_then(|v| v.negotiate(ApiKey::SASL_HANDSHAKE))
            .ok_or_else(|| {
                KafkaError::new(
                    ErrorKind::Authentication,
                    format!(
                        "broker {} does not offer SASL (no SaslHandshake in its ApiVersions): \
                         is security.protocol right for this listener?",
                        self.broker
                    ),
                )
            })?;
        let request = SaslHandshakeRequest {
            mechanism: sasl.mechanism().name().to_owned(),
        };
        self.step = Step::SaslHandshake;
        Ok(Outgoing::SaslHandshake { version, request })
    }

    fn on_sasl_handshake(
        &mut self,
        frame: Bytes,
        version: i16,
        versions: Option<&ApiVersionTable>,
    ) -> Result<Next> {
        if !matches!(self.step, Step::SaslHandshake) {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "SaslHandshake response outside the handshake",
            ));
        }
        let Some(sasl) = self.sasl.clone() else {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "SaslHandshake response without SASL settings",
            ));
        };
        let response: SaslHandshakeResponse =
            decode_response::<SaslHandshakeRequest>(frame, version)?;
        let mechanism_name = sasl.mechanism().name();
        match ErrorCode(response.error_code) {
            ErrorCode::NONE => {}
            ErrorCode::UNSUPPORTED_SASL_MECHANISM => {
                return Err(KafkaError::new(
                    ErrorKind::Authentication,
                    format!(
                        "broker {} does not enable SASL mechanism {mechanism_name} \
                         (sasl.mechanism); it enables: {}",
                        self.broker,
                        if response.mechanisms.is_empty() {
                            "none".to_owned()
                        } else {
                            response.mechanisms.join(", ")
                        }
                    ),
                ))
            }
            code => {
                return Err(KafkaError::new(
                    ErrorKind::Authentication,
                    format!(
                        "SaslHandshake for {mechanism_name} with broker {} failed: {} ({})",
                        self.broker,
                        code.name(),
                        code.description()
                    ),
                ))
            }
        }
        let framing = if version == 0 {
            SaslFraming::Legacy
        } else {
            let version = versions
                .and_then(|v| v.negotiate(ApiKey::SASL_AUTHENTICATE))
                .ok_or_else(|| {
                    KafkaError::new(
                        ErrorKind::UnsupportedVersion,
                        format!(
                            "broker {} answered SaslHandshake v{version} but supports no \
                             SaslAuthenticate version this client speaks",
                            self.broker
                        ),
                    )
                })?;
            SaslFraming::Framed { version }
        };
        if self.reauth && framing == SaslFraming::Legacy {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "re-authentication needs SaslHandshake v1 or later",
            ));
        }
        let mut mechanism = sasl.start()?;
        let first = mechanism.initial()?;
        self.step = Step::SaslAuthenticate { framing, mechanism };
        Ok(Next::Send(sasl_message(first, framing)))
    }

    fn on_sasl_authenticate(&mut self, frame: Bytes, version: i16, now: Instant) -> Result<Next> {
        let response: SaslAuthenticateResponse =
            decode_response::<SaslAuthenticateRequest>(frame, version)?;
        if response.error_code != 0 {
            let code = ErrorCode(response.error_code);
            let detail = match &self.step {
                Step::SaslAuthenticate { mechanism, .. } => mechanism.failure_detail(),
                _ => None,
            };
            let why = response
                .error_message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| code.description().to_owned());
            let detail = detail.map_or_else(String::new, |d| format!(" (server status: {d})"));
            return Err(KafkaError::new(
                ErrorKind::Authentication,
                format!("{}: {} ({}){detail}", self.sasl_context(), why, code.name()),
            ));
        }
        self.on_sasl_token(&response.auth_bytes, response.session_lifetime_ms, now)
    }

    /// Hands a server message to the mechanism: its answer to send, or ready.
    fn on_sasl_token(
        &mut self,
        token: &[u8],
        session_lifetime_ms: i64,
        now: Instant,
    ) -> Result<Next> {
        let context = self.sasl_context();
        let Step::SaslAuthenticate { framing, mechanism } = &mut self.step else {
            return Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "SaslAuthenticate response outside authentication",
            ));
        };
        match mechanism
            .on_server(token)
            .map_err(|e| e.context(&context))?
        {
            Some(next) => Ok(Next::Send(sasl_message(next, *framing))),
            None => Ok(Next::Ready {
                reauth_at: reauthentication_time(now, session_lifetime_ms),
            }),
        }
    }

    /// "SASL MECHANISM authentication of PRINCIPAL with broker ADDRESS failed", for
    /// errors. Names the user, never a password or token.
    fn sasl_context(&self) -> String {
        match &self.sasl {
            Some(sasl) => format!(
                "SASL {} authentication of {} with broker {} failed",
                sasl.mechanism(),
                sasl.principal(),
                self.broker
            ),
            None => format!("SASL authentication with broker {} failed", self.broker),
        }
    }

    /// Explains an error that interrupted the handshake in terms of its step.
    pub(crate) fn explain(&self, err: KafkaError) -> KafkaError {
        if err.kind() != ErrorKind::Connection {
            return err;
        }
        match &self.step {
            // The legacy exchange has no error responses: a broker that rejects the
            // client closes the connection.
            Step::SaslAuthenticate {
                framing: SaslFraming::Legacy,
                ..
            } => KafkaError::new(
                ErrorKind::Authentication,
                format!(
                    "{}: the broker closed the connection during the exchange \
                     (SaslHandshake v0 has no error responses), which means it rejected \
                     the credentials: {}",
                    self.sasl_context(),
                    err.message()
                ),
            ),
            // Brokers answer an unknown mechanism with UNSUPPORTED_SASL_MECHANISM; some
            // (tansu 0.6) close the connection instead.
            Step::SaslHandshake => {
                let mechanism = self.sasl.as_ref().map_or("?", |s| s.mechanism().name());
                KafkaError::new(
                    ErrorKind::Authentication,
                    format!(
                        "{}: the broker closed the connection in answer to SaslHandshake, \
                         which brokers do when they do not enable the mechanism \
                         ({mechanism}, sasl.mechanism): {}",
                        self.sasl_context(),
                        err.message()
                    ),
                )
            }
            _ => err,
        }
    }
}

/// Our ApiVersions request at `version`.
fn api_versions_request(version: i16) -> Outgoing {
    Outgoing::ApiVersions {
        version,
        request: ApiVersionsRequest {
            client_software_name: "kafka-sync".to_owned(),
            client_software_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    }
}

/// One mechanism message, as `framing` carries it.
fn sasl_message(message: Vec<u8>, framing: SaslFraming) -> Outgoing {
    match framing {
        SaslFraming::Framed { version } => Outgoing::SaslAuthenticate {
            version,
            request: SaslAuthenticateRequest {
                auth_bytes: Bytes::from(message),
            },
        },
        SaslFraming::Legacy => Outgoing::RawSasl(message),
    }
}

/// When to re-authenticate a session the broker gave `session_lifetime_ms` (KIP-368):
/// at a random point between 85 % and 95 % of it, as the Java client does, so that
/// many connections do not re-authenticate at once. `None` if the session is unbounded.
fn reauthentication_time(now: Instant, session_lifetime_ms: i64) -> Option<Instant> {
    let lifetime = u64::try_from(session_lifetime_ms)
        .ok()
        .filter(|&ms| ms > 0)?;
    let lifetime = Duration::from_millis(lifetime);
    let jitter = getrandom::u32().map_or(0.5, |r| f64::from(r) / f64::from(u32::MAX));
    Some(crate::time::deadline_after(
        now,
        lifetime.mul_f64(0.85 + 0.10 * jitter),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::security::{SaslMechanism, SecurityConfig, SecurityProtocol};
    use crate::net::Security;
    use crate::protocol::api::support;
    use crate::protocol::messages::ApiVersion;
    use crate::protocol::schema::Field;

    fn broker() -> BrokerAddress {
        BrokerAddress {
            host: "b1".into(),
            port: 9092,
        }
    }

    fn sasl(mechanism: SaslMechanism, user: &str, password: &str) -> Arc<SaslSettings> {
        let config = SecurityConfig::new()
            .protocol(SecurityProtocol::SaslPlaintext)
            .sasl(mechanism, user, password);
        Security::new(&config)
            .expect("security settings")
            .sasl
            .expect("SASL settings")
    }

    /// The frame a broker sends in answer to `key` at `version`: the response header
    /// (correlation id 0, tags if the header is v1), then `response`.
    fn frame<F: Field>(key: ApiKey, version: i16, response: &F) -> Bytes {
        let support = support(key).expect("known API");
        let mut body = 0i32.to_be_bytes().to_vec();
        if support.response_header_version(version) >= 1 {
            body.push(0);
        }
        response.encode(&mut body, support.ctx(version));
        Bytes::from(body)
    }

    fn api_versions(apis: &[(ApiKey, i16, i16)]) -> ApiVersionsResponse {
        ApiVersionsResponse {
            error_code: 0,
            api_keys: apis
                .iter()
                .map(|&(key, min_version, max_version)| ApiVersion {
                    api_key: key.0,
                    min_version,
                    max_version,
                })
                .collect(),
            ..ApiVersionsResponse::default()
        }
    }

    const APIS: &[(ApiKey, i16, i16)] = &[
        (ApiKey::API_VERSIONS, 0, 4),
        (ApiKey::METADATA, 0, 12),
        (ApiKey::SASL_HANDSHAKE, 0, 1),
        (ApiKey::SASL_AUTHENTICATE, 0, 2),
    ];

    fn sent_version(next: Next) -> (i16, Outgoing) {
        match next {
            Next::Send(outgoing) => match &outgoing {
                Outgoing::ApiVersions { version, .. }
                | Outgoing::SaslHandshake { version, .. }
                | Outgoing::SaslAuthenticate { version, .. } => (*version, outgoing),
                Outgoing::RawSasl(_) => (-1, outgoing),
            },
            Next::Ready { .. } => panic!("ready, not sending"),
        }
    }

    /// Runs ApiVersions at the client's highest version, answered with `apis`.
    fn after_api_versions(
        sasl: Option<Arc<SaslSettings>>,
        apis: &[(ApiKey, i16, i16)],
        versions: &mut Option<ApiVersionTable>,
    ) -> (Handshake, Result<Next>) {
        let (mut handshake, first) = Handshake::start(broker(), sasl, BTreeMap::new());
        let Outgoing::ApiVersions { version, .. } = first else {
            panic!("ApiVersions first, not {first:?}");
        };
        let response = frame(ApiKey::API_VERSIONS, version, &api_versions(apis));
        let next = handshake.on_response(
            ApiKey::API_VERSIONS,
            version,
            response,
            Instant::now(),
            versions,
        );
        (handshake, next)
    }

    #[test]
    fn without_sasl_the_connection_is_ready_after_api_versions() {
        let (mut handshake, first) =
            Handshake::start(broker(), None, BTreeMap::from([(ApiKey::METADATA, 9)]));
        let Outgoing::ApiVersions { version, request } = first else {
            panic!("{first:?}");
        };
        assert_eq!(version, API_VERSIONS_MAX);
        assert_eq!(request.client_software_name, "kafka-sync");
        assert_eq!(handshake.phase(), "ApiVersions exchange");
        assert_eq!(handshake.framing(), Framing::Responses);
        let mut versions = None;
        let response = frame(ApiKey::API_VERSIONS, version, &api_versions(APIS));
        let next = handshake
            .on_response(
                ApiKey::API_VERSIONS,
                version,
                response,
                Instant::now(),
                &mut versions,
            )
            .unwrap();
        assert!(matches!(next, Next::Ready { reauth_at: None }), "{next:?}");
        let table = versions.expect("the broker's versions");
        assert_eq!(table.range(ApiKey::METADATA), Some((0, 9)), "capped");
        assert_eq!(table.range(ApiKey::SASL_HANDSHAKE), Some((0, 1)));
    }

    #[test]
    fn unsupported_api_versions_version_is_asked_again_at_the_brokers_highest() {
        let (mut handshake, _) = Handshake::start(broker(), None, BTreeMap::new());
        // UNSUPPORTED_VERSION in the v0 layout with the broker's range 0 to 2.
        let mut response = api_versions(&[(ApiKey::API_VERSIONS, 0, 2)]);
        response.error_code = ErrorCode::UNSUPPORTED_VERSION.0;
        let bytes = frame(ApiKey::API_VERSIONS, 0, &response);
        let mut versions = None;
        let next = handshake
            .on_response(
                ApiKey::API_VERSIONS,
                API_VERSIONS_MAX,
                bytes.clone(),
                Instant::now(),
                &mut versions,
            )
            .unwrap();
        assert_eq!(sent_version(next).0, 2);
        assert!(versions.is_none());
        // The same answer to the retry at v2 leaves nothing lower to try.
        let err = handshake
            .on_response(
                ApiKey::API_VERSIONS,
                2,
                bytes,
                Instant::now(),
                &mut versions,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedVersion, "{err}");
        assert!(err.to_string().contains("broker b1:9092"), "{err}");
    }

    #[test]
    fn an_unsupported_version_answer_that_does_not_decode_is_asked_again_with_v0() {
        let (mut handshake, _) = Handshake::start(broker(), None, BTreeMap::new());
        // Correlation id, UNSUPPORTED_VERSION, then an api array length cut short.
        let mut bytes = 0i32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&ErrorCode::UNSUPPORTED_VERSION.0.to_be_bytes());
        bytes.extend_from_slice(&[0, 0]);
        let next = handshake
            .on_response(
                ApiKey::API_VERSIONS,
                API_VERSIONS_MAX,
                Bytes::from(bytes),
                Instant::now(),
                &mut None,
            )
            .unwrap();
        assert_eq!(sent_version(next).0, 0);
        // Too short to hold an error code at all: corrupt.
        let err = handshake
            .on_response(
                ApiKey::API_VERSIONS,
                0,
                Bytes::from_static(&[0, 0, 0, 0, 0]),
                Instant::now(),
                &mut None,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptMessage, "{err}");
    }

    #[test]
    fn plain_over_sasl_authenticate_is_ready_with_a_reauthentication_time() {
        let settings = sasl(SaslMechanism::Plain, "ann", "pw");
        let mut versions = None;
        let (mut handshake, next) = after_api_versions(Some(settings), APIS, &mut versions);
        let (version, outgoing) = sent_version(next.unwrap());
        let Outgoing::SaslHandshake { request, .. } = outgoing else {
            panic!("{outgoing:?}");
        };
        assert_eq!((version, request.mechanism.as_str()), (1, "PLAIN"));
        assert_eq!(handshake.phase(), "SaslHandshake exchange");
        let response = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into()],
        };
        let next = handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                1,
                frame(ApiKey::SASL_HANDSHAKE, 1, &response),
                Instant::now(),
                &mut versions,
            )
            .unwrap();
        let (version, outgoing) = sent_version(next);
        let Outgoing::SaslAuthenticate { request, .. } = outgoing else {
            panic!("{outgoing:?}");
        };
        assert_eq!(version, 2);
        assert_eq!(&request.auth_bytes[..], b"\0ann\0pw");
        assert_eq!(handshake.framing(), Framing::Responses);
        let response = SaslAuthenticateResponse {
            error_code: 0,
            error_message: None,
            auth_bytes: Bytes::new(),
            session_lifetime_ms: 10_000,
        };
        let now = Instant::now();
        let next = handshake
            .on_response(
                ApiKey::SASL_AUTHENTICATE,
                2,
                frame(ApiKey::SASL_AUTHENTICATE, 2, &response),
                now,
                &mut versions,
            )
            .unwrap();
        let Next::Ready {
            reauth_at: Some(at),
        } = next
        else {
            panic!("{next:?}");
        };
        let after = at - now;
        assert!(
            after >= Duration::from_millis(8_500) && after <= Duration::from_millis(9_500),
            "{after:?}"
        );
        assert!(!handshake.is_reauthentication());
    }

    #[test]
    fn handshake_v0_carries_the_mechanism_in_raw_frames() {
        let settings = sasl(SaslMechanism::Plain, "ann", "pw-legacy");
        let legacy = &[(ApiKey::API_VERSIONS, 0, 3), (ApiKey::SASL_HANDSHAKE, 0, 0)];
        let mut versions = None;
        let (mut handshake, next) = after_api_versions(Some(settings), legacy, &mut versions);
        assert_eq!(sent_version(next.unwrap()).0, 0);
        let response = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into()],
        };
        let next = handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                0,
                frame(ApiKey::SASL_HANDSHAKE, 0, &response),
                Instant::now(),
                &mut versions,
            )
            .unwrap();
        let Next::Send(Outgoing::RawSasl(token)) = next else {
            panic!("{next:?}");
        };
        assert_eq!(token, b"\0ann\0pw-legacy");
        assert_eq!(handshake.framing(), Framing::RawSasl);
        // A broker that rejects the client closes the connection.
        let closed = handshake.explain(KafkaError::connection("closed"));
        assert_eq!(closed.kind(), ErrorKind::Authentication, "{closed}");
        assert!(closed.to_string().contains("rejected"), "{closed}");
        assert!(!format!("{closed:?}").contains("pw-legacy"));
        // An empty raw frame ends the exchange; no session lifetime in v0.
        let next = handshake.on_raw(b"", Instant::now()).unwrap();
        assert!(matches!(next, Next::Ready { reauth_at: None }), "{next:?}");
    }

    #[test]
    fn a_mechanism_the_broker_lacks_names_the_ones_it_has() {
        let settings = sasl(SaslMechanism::Plain, "ann", "pw");
        let mut versions = None;
        let (mut handshake, _) = after_api_versions(Some(settings), APIS, &mut versions);
        let closed = handshake.explain(KafkaError::connection("closed"));
        assert!(
            closed.to_string().contains("in answer to SaslHandshake"),
            "{closed}"
        );
        let response = SaslHandshakeResponse {
            error_code: ErrorCode::UNSUPPORTED_SASL_MECHANISM.0,
            mechanisms: vec!["SCRAM-SHA-512".into(), "GSSAPI".into()],
        };
        let err = handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                1,
                frame(ApiKey::SASL_HANDSHAKE, 1, &response),
                Instant::now(),
                &mut versions,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(
            err.to_string().contains(
                "does not enable SASL mechanism PLAIN (sasl.mechanism); it enables: SCRAM-SHA-512, GSSAPI"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_rejected_login_says_why_and_never_the_password() {
        let settings = sasl(SaslMechanism::ScramSha256, "ann", "pw-secret");
        let mut versions = None;
        let (mut handshake, _) = after_api_versions(Some(settings), APIS, &mut versions);
        let response = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["SCRAM-SHA-256".into()],
        };
        handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                1,
                frame(ApiKey::SASL_HANDSHAKE, 1, &response),
                Instant::now(),
                &mut versions,
            )
            .unwrap();
        assert_eq!(handshake.phase(), "SASL authentication");
        let response = SaslAuthenticateResponse {
            error_code: ErrorCode::SASL_AUTHENTICATION_FAILED.0,
            error_message: Some("Authentication failed during authentication".into()),
            auth_bytes: Bytes::new(),
            session_lifetime_ms: 0,
        };
        let err = handshake
            .on_response(
                ApiKey::SASL_AUTHENTICATE,
                2,
                frame(ApiKey::SASL_AUTHENTICATE, 2, &response),
                Instant::now(),
                &mut versions,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        let text = err.to_string();
        assert!(
            text.contains("SASL SCRAM-SHA-256 authentication of user `ann` with broker b1:9092")
                && text.contains("Authentication failed during authentication")
                && text.contains("SASL_AUTHENTICATION_FAILED"),
            "{text}"
        );
        assert!(!format!("{err:?}").contains("pw-secret"));
    }

    #[test]
    fn a_broker_without_sasl_handshake_is_an_authentication_error() {
        let settings = sasl(SaslMechanism::Plain, "ann", "pw");
        let mut versions = None;
        let (_, next) = after_api_versions(
            Some(settings),
            &[(ApiKey::API_VERSIONS, 0, 3)],
            &mut versions,
        );
        let err = next.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(err.to_string().contains("does not offer SASL"), "{err}");
        // The broker's versions are known all the same.
        assert!(versions.is_some());
    }

    #[test]
    fn reauthentication_starts_with_sasl_handshake_and_refuses_v0() {
        let settings = sasl(SaslMechanism::Plain, "ann", "pw");
        let table = ApiVersionTable::from_response(&api_versions(APIS));
        let (handshake, first) =
            Handshake::reauthenticate(broker(), Arc::clone(&settings), Some(&table)).unwrap();
        assert!(handshake.is_reauthentication());
        assert!(matches!(first, Outgoing::SaslHandshake { version: 1, .. }));
        // A broker that offers only SaslHandshake v0 cannot re-authenticate.
        let legacy =
            ApiVersionTable::from_response(&api_versions(&[(ApiKey::SASL_HANDSHAKE, 0, 0)]));
        let (mut handshake, _) =
            Handshake::reauthenticate(broker(), settings, Some(&legacy)).unwrap();
        let response = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into()],
        };
        let err = handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                0,
                frame(ApiKey::SASL_HANDSHAKE, 0, &response),
                Instant::now(),
                &mut Some(legacy),
            )
            .unwrap_err();
        assert!(err.to_string().contains("re-authentication needs"), "{err}");
    }

    #[test]
    fn an_answer_for_another_step_is_unexpected() {
        let (mut handshake, _) = Handshake::start(broker(), None, BTreeMap::new());
        let response = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec![],
        };
        let err = handshake
            .on_response(
                ApiKey::SASL_HANDSHAKE,
                1,
                frame(ApiKey::SASL_HANDSHAKE, 1, &response),
                Instant::now(),
                &mut None,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
        let err = handshake.on_raw(b"token", Instant::now()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
        let err = handshake
            .on_response(
                ApiKey::METADATA,
                12,
                Bytes::from_static(&[0, 0, 0, 0, 0]),
                Instant::now(),
                &mut None,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    }

    #[test]
    fn reauthentication_time_lies_between_85_and_95_percent_of_the_session() {
        let now = Instant::now();
        assert_eq!(reauthentication_time(now, 0), None);
        assert_eq!(reauthentication_time(now, -5), None);
        for _ in 0..100 {
            let at = reauthentication_time(now, 1_000).expect("bounded session");
            let after = at - now;
            assert!(
                after >= Duration::from_millis(850) && after <= Duration::from_millis(950),
                "{after:?}"
            );
        }
        // A huge lifetime saturates instead of overflowing.
        assert!(reauthentication_time(now, i64::MAX).is_some());
    }
}
