//! The SASL states against a scripted broker: the legacy unframed exchange
//! (SaslHandshake v0), re-authentication when the session has a lifetime (KIP-368),
//! a SCRAM "broker" that cannot prove it knows the password, OAUTHBEARER rejections and
//! an unknown mechanism. Real brokers cover the common paths (tests/security_*.rs);
//! these paths no broker at hand takes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::*;
use crate::config::security::{
    OAuthBearerToken, OAuthBearerTokenProvider, SaslMechanism, SecurityConfig, SecurityProtocol,
};
use crate::net::NetworkClient;
use crate::protocol::messages::{
    ApiVersion, ApiVersionsResponse, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse,
};
use crate::protocol::primitives::Reader;
use crate::protocol::schema::Field;

/// One request as the scripted broker sees it.
struct Received {
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    body: Reader,
}

/// The broker's end of one connection.
struct Peer(TcpStream);

impl Peer {
    fn read_frame(&mut self) -> Option<Vec<u8>> {
        let mut size = [0u8; 4];
        self.0.read_exact(&mut size).ok()?;
        let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
        self.0.read_exact(&mut frame).ok()?;
        Some(frame)
    }

    fn read_request(&mut self) -> Option<Received> {
        let frame = self.read_frame()?;
        let mut r = Reader::new(frame);
        let api_key = r.i16().ok()?;
        let api_version = r.i16().ok()?;
        let correlation_id = r.i32().ok()?;
        let client_id_len = r.i16().ok()?;
        r.skip(client_id_len.max(0) as usize, "client id").ok()?;
        let support = crate::protocol::api::support(ApiKey(api_key))?;
        if support.is_flexible(api_version) {
            r.skip(1, "header tags").ok()?; // an empty tag section
        }
        Some(Received {
            api_key,
            api_version,
            correlation_id,
            body: r,
        })
    }

    fn write_frame(&mut self, body: &[u8]) {
        let mut frame = (body.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(body);
        self.0.write_all(&frame).expect("write to the client");
    }

    /// Answers `request` with `response` (a `Field` of the request's API).
    fn respond<F: Field>(&mut self, request: &Received, response: &F) {
        let support = crate::protocol::api::support(ApiKey(request.api_key)).expect("known API");
        let mut body = request.correlation_id.to_be_bytes().to_vec();
        if support.response_header_version(request.api_version) >= 1 {
            body.push(0);
        }
        response.encode(&mut body, support.ctx(request.api_version));
        self.write_frame(&body);
    }

    fn api_versions(&mut self, apis: &[(ApiKey, i16, i16)]) {
        let request = self.read_request().expect("ApiVersions request");
        assert_eq!(request.api_key, ApiKey::API_VERSIONS.0);
        let response = ApiVersionsResponse {
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
        };
        self.respond(&request, &response);
    }

    fn handshake(&mut self, expected_mechanism: &str, error_code: i16, enabled: &[&str]) -> i16 {
        let mut request = self.read_request().expect("SaslHandshake request");
        assert_eq!(request.api_key, ApiKey::SASL_HANDSHAKE.0);
        let ctx = ApiKey::SASL_HANDSHAKE;
        let support = crate::protocol::api::support(ctx).expect("known API");
        let body =
            SaslHandshakeRequest::decode(&mut request.body, support.ctx(request.api_version))
                .expect("decode SaslHandshake");
        assert_eq!(body.mechanism, expected_mechanism);
        let response = SaslHandshakeResponse {
            error_code,
            mechanisms: enabled.iter().map(|s| s.to_string()).collect(),
        };
        self.respond(&request, &response);
        request.api_version
    }

    /// Reads a SaslAuthenticate request; returns it and its token.
    fn authenticate_request(&mut self) -> (Received, Vec<u8>) {
        let mut request = self.read_request().expect("SaslAuthenticate request");
        assert_eq!(request.api_key, ApiKey::SASL_AUTHENTICATE.0);
        let support = crate::protocol::api::support(ApiKey::SASL_AUTHENTICATE).expect("known");
        let body =
            SaslAuthenticateRequest::decode(&mut request.body, support.ctx(request.api_version))
                .expect("decode SaslAuthenticate");
        (request, body.auth_bytes.to_vec())
    }

    fn authenticate_response(
        &mut self,
        request: &Received,
        error_code: i16,
        error_message: Option<&str>,
        token: &[u8],
        session_lifetime_ms: i64,
    ) {
        let response = SaslAuthenticateResponse {
            error_code,
            error_message: error_message.map(str::to_owned),
            auth_bytes: Bytes::copy_from_slice(token),
            session_lifetime_ms,
        };
        self.respond(request, &response);
    }
}

/// Runs `script` as the broker of one connection, on a thread.
fn scripted_broker(script: impl FnOnce(Peer) + Send + 'static) -> BrokerAddress {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            script(Peer(stream));
        }
    });
    BrokerAddress {
        host: "127.0.0.1".into(),
        port,
    }
}

fn client(security: SecurityConfig, address: BrokerAddress) -> NetworkClient {
    let settings = ConnectionSettings {
        connect_timeout: Duration::from_secs(10),
        reconnect_backoff: Duration::from_secs(5),
        reconnect_backoff_max: Duration::from_secs(5),
        security: Security::new(&security).expect("security settings"),
        ..ConnectionSettings::default()
    };
    let mut client = NetworkClient::new(settings, Duration::from_secs(10)).expect("client");
    client.add_node(0, address);
    client
}

/// Polls until node 0 is ready (`Ok`) or its connection failed (`Err`).
fn connect(client: &mut NetworkClient) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    client.ensure_connecting(0, Instant::now());
    while Instant::now() < deadline {
        client.poll(Duration::from_millis(50)).expect("poll");
        if client.is_ready(0) {
            return Ok(());
        }
        if let Some(err) = client.last_error(0) {
            return Err(err.clone());
        }
    }
    panic!("neither ready nor failed in time");
}

fn sasl(mechanism: SaslMechanism, user: &str, password: &str) -> SecurityConfig {
    SecurityConfig::new()
        .protocol(SecurityProtocol::SaslPlaintext)
        .sasl(mechanism, user, password)
}

const LEGACY_APIS: &[(ApiKey, i16, i16)] =
    &[(ApiKey::API_VERSIONS, 0, 3), (ApiKey::SASL_HANDSHAKE, 0, 0)];
const APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::API_VERSIONS, 0, 3),
    (ApiKey::SASL_HANDSHAKE, 0, 1),
    (ApiKey::SASL_AUTHENTICATE, 0, 2),
];

#[test]
fn legacy_unframed_exchange_after_handshake_v0() {
    let (tx, rx) = mpsc::channel();
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(LEGACY_APIS);
        assert_eq!(peer.handshake("PLAIN", 0, &["PLAIN"]), 0);
        // The token comes raw: no Kafka header.
        let token = peer.read_frame().expect("raw PLAIN token");
        tx.send(token).expect("report");
        peer.write_frame(b"");
        // Keep the connection open until the client is done with it.
        let _ = peer.read_frame();
    });
    let mut client = client(sasl(SaslMechanism::Plain, "ann", "pw-legacy"), address);
    connect(&mut client).unwrap();
    assert_eq!(rx.recv().unwrap(), b"\0ann\0pw-legacy");
}

#[test]
fn legacy_exchange_rejected_by_closing_is_an_authentication_error() {
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(LEGACY_APIS);
        peer.handshake("PLAIN", 0, &["PLAIN"]);
        let _ = peer.read_frame();
        // Kafka before 1.0 closes the connection on bad credentials.
    });
    let mut client = client(sasl(SaslMechanism::Plain, "ann", "pw-legacy"), address);
    let err = connect(&mut client).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(err.to_string().contains("rejected"), "{err}");
    assert!(!format!("{err:?}").contains("pw-legacy"));
}

#[test]
fn re_authenticates_on_the_same_connection_before_the_session_ends() {
    let (tx, rx) = mpsc::channel();
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(APIS);
        assert_eq!(peer.handshake("PLAIN", 0, &["PLAIN"]), 1);
        let (request, token) = peer.authenticate_request();
        assert_eq!(token, b"\0ann\0pw");
        // A session of 300 ms: the client must authenticate again within it.
        peer.authenticate_response(&request, 0, None, b"", 300);
        let first = Instant::now();
        assert_eq!(peer.handshake("PLAIN", 0, &["PLAIN"]), 1);
        let (request, token) = peer.authenticate_request();
        assert_eq!(token, b"\0ann\0pw");
        peer.authenticate_response(&request, 0, None, b"", 0);
        tx.send(first.elapsed()).expect("report");
        let _ = peer.read_frame();
    });
    let mut client = client(sasl(SaslMechanism::Plain, "ann", "pw"), address);
    connect(&mut client).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        client.poll(Duration::from_millis(20)).expect("poll");
        if let Ok(after) = rx.try_recv() {
            break after;
        }
        assert!(Instant::now() < deadline, "no re-authentication");
        assert!(client.last_error(0).is_none(), "{:?}", client.last_error(0));
    };
    // Planned at 85 % to 95 % of the 300 ms lifetime (255 to 285 ms after the client
    // read the answer); the upper bound leaves slack for a loaded machine's scheduling.
    assert!(
        after >= Duration::from_millis(240) && after < Duration::from_millis(450),
        "re-authenticated after {after:?}"
    );
    // Ready again once the broker's answer is read.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !client.is_ready(0) {
        assert!(
            Instant::now() < deadline,
            "not ready after re-authentication"
        );
        client.poll(Duration::from_millis(20)).expect("poll");
    }
}

#[test]
fn a_scram_broker_that_cannot_prove_itself_is_refused() {
    // An impostor (or a broken broker) that accepts any proof: its signature cannot be
    // right, since it does not know the password.
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(APIS);
        peer.handshake("SCRAM-SHA-256", 0, &["SCRAM-SHA-256"]);
        let (request, first) = peer.authenticate_request();
        let first = String::from_utf8(first).expect("utf-8");
        let nonce = first.split("r=").nth(1).expect("client nonce").to_owned();
        let server_first = format!("r={nonce}srv,s=c2FsdA==,i=4096");
        peer.authenticate_response(&request, 0, None, server_first.as_bytes(), 0);
        let (request, _final) = peer.authenticate_request();
        let bogus = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        peer.authenticate_response(&request, 0, None, bogus.as_bytes(), 0);
        let _ = peer.read_frame();
    });
    let mut client = client(sasl(SaslMechanism::ScramSha256, "ann", "pw-scram"), address);
    let err = connect(&mut client).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(
        err.to_string().contains("server signature is wrong"),
        "{err}"
    );
    assert!(!client.is_ready(0));
}

struct Fixed;

impl OAuthBearerTokenProvider for Fixed {
    fn token(&self) -> Result<OAuthBearerToken> {
        Ok(OAuthBearerToken::new(
            "tok.en.sig",
            SystemTime::now() + Duration::from_secs(600),
        ))
    }
}

#[test]
fn oauthbearer_rejection_reports_the_broker_status() {
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(APIS);
        peer.handshake("OAUTHBEARER", 0, &["OAUTHBEARER"]);
        let (request, token) = peer.authenticate_request();
        assert_eq!(token, b"n,,\x01auth=Bearer tok.en.sig\x01\x01");
        let status = br#"{"status":"invalid_token"}"#;
        peer.authenticate_response(&request, 0, None, status, 0);
        let (request, ack) = peer.authenticate_request();
        assert_eq!(ack, b"\x01");
        peer.authenticate_response(&request, 58, Some("token expired"), b"", 0);
        let _ = peer.read_frame();
    });
    let security = SecurityConfig::new()
        .protocol(SecurityProtocol::SaslPlaintext)
        .oauthbearer(Arc::new(Fixed));
    let mut client = client(security, address);
    let err = connect(&mut client).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("token expired") && text.contains("invalid_token"),
        "{text}"
    );
    assert!(!format!("{err:?}").contains("tok.en.sig"));
}

#[test]
fn a_mechanism_the_broker_lacks_names_the_ones_it_has() {
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(APIS);
        peer.handshake("PLAIN", 33, &["SCRAM-SHA-512", "GSSAPI"]);
        let _ = peer.read_frame();
    });
    let mut client = client(sasl(SaslMechanism::Plain, "ann", "pw"), address);
    let err = connect(&mut client).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(
        err.to_string()
            .contains("does not enable SASL mechanism PLAIN (sasl.mechanism); it enables: SCRAM-SHA-512, GSSAPI"),
        "{err}"
    );
}

#[test]
fn client_settings_reach_the_connections() {
    for lookup in [
        DnsLookup::UseAllDnsIps,
        DnsLookup::ResolveCanonicalBootstrapServersOnly,
    ] {
        let mut config = crate::ClientConfig::new("h:1");
        config.client_dns_lookup = lookup;
        config.client_id = "ops".into();
        config.max_response_size = 4096;
        let settings = ConnectionSettings::from_config(&config).unwrap();
        assert_eq!(settings.dns_lookup, lookup);
        assert_eq!(settings.client_id.as_deref(), Some("ops"));
        assert_eq!(settings.max_response_size, 4096);
    }
}

#[test]
fn a_produce_request_larger_than_the_socket_buffers_arrives_whole() {
    use crate::protocol::messages::{ProduceRequest, ProduceRequestPartition, ProduceRequestTopic};
    // Three batches of 2 MiB each: far more than loopback socket buffers take at once,
    // so the vectored writes are partial and resume inside chunks.
    let batches: Vec<Bytes> = (0..3u8)
        .map(|i| Bytes::from(vec![i.wrapping_mul(37).wrapping_add(1); 2 << 20]))
        .collect();
    let request = ProduceRequest {
        transactional_id: None,
        acks: 0,
        timeout_ms: 30_000,
        topic_data: vec![ProduceRequestTopic {
            name: "big".into(),
            partition_data: batches
                .iter()
                .enumerate()
                .map(|(i, batch)| ProduceRequestPartition {
                    index: i as i32,
                    records: Some(batch.clone()),
                })
                .collect(),
        }],
    };
    let version = 9;
    let mut expected_body = Vec::new();
    request.encode(&mut expected_body, ProduceRequest::SUPPORT.ctx(version));
    let (tx, rx) = mpsc::channel();
    let address = scripted_broker(move |mut peer| {
        peer.api_versions(&[(ApiKey::API_VERSIONS, 0, 3), (ApiKey::PRODUCE, 3, 11)]);
        // Let the client fill the socket buffers before reading anything.
        std::thread::sleep(Duration::from_millis(200));
        let received = peer.read_request().expect("the Produce request");
        tx.send((
            received.api_key,
            received.api_version,
            received.body.peek_rest().to_vec(),
        ))
        .expect("report");
        let _ = peer.read_frame();
    });
    let mut client = client(SecurityConfig::new(), address);
    connect(&mut client).unwrap();
    let correlation_id = client
        .send_with(0, &request, version, Duration::from_secs(30), false)
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut written = false;
    while !written {
        assert!(Instant::now() < deadline, "the request was never written");
        for response in client.poll(Duration::from_millis(20)).expect("poll") {
            assert_eq!(response.correlation_id, correlation_id);
            assert!(response.result.expect("written").is_empty());
            written = true;
        }
    }
    let (api_key, api_version, body) = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the broker read it");
    assert_eq!((api_key, api_version), (ApiKey::PRODUCE.0, version));
    assert!(body == expected_body, "the body differs from its encoding");
}
