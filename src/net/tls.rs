//! TLS for broker connections (native-tls: OpenSSL on Linux, the platform's library
//! elsewhere), and the stream a connection reads and writes: plain TCP or TLS.
//!
//! The handshake is non-blocking: [`start_handshake`] begins it on a connected socket
//! and [`continue_handshake`] drives it further each time the poll loop reports the
//! socket ready, until the stream is [`Stream::Tls`]. OpenSSL reads and writes the
//! socket until it would block, which is what edge-triggered readiness needs.

use std::fmt;
use std::io::{self, Read, Write};

use mio::net::TcpStream;

use super::BrokerAddress;
use crate::config::security::TlsConfig;
use crate::error::{ErrorKind, KafkaError, Result};

/// A connection's byte stream.
pub(crate) enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// A TLS handshake under way.
    #[cfg(feature = "tls")]
    Handshaking(native_tls::MidHandshakeTlsStream<TcpStream>),
    /// TLS, handshake done.
    #[cfg(feature = "tls")]
    Tls(native_tls::TlsStream<TcpStream>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Stream::Plain(_) => "Plain",
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => "TlsHandshaking",
            #[cfg(feature = "tls")]
            Stream::Tls(_) => "Tls",
        };
        f.debug_tuple(kind).field(self.tcp()).finish()
    }
}

impl Stream {
    /// The TCP socket underneath, for registration and socket options.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Handshaking(s) => s.get_ref(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.get_ref(),
        }
    }

    /// The TCP socket underneath, mutably.
    pub(crate) fn tcp_mut(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Handshaking(s) => s.get_mut(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.get_mut(),
        }
    }

    /// Whether a TLS handshake is under way.
    pub(crate) fn is_handshaking(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => true,
            #[cfg(feature = "tls")]
            Stream::Tls(_) => false,
        }
    }

    /// Whether bytes go through TLS.
    pub(crate) fn is_tls(&self) -> bool {
        !matches!(self, Stream::Plain(_))
    }

    /// The error of an I/O call on this stream as a [`KafkaError`]: TLS protocol
    /// failures (alerts, bad records) are [`ErrorKind::Tls`], socket failures are
    /// [`ErrorKind::Connection`].
    pub(crate) fn io_error(&self, what: String, err: io::Error) -> KafkaError {
        // OpenSSL's own errors reach us as `Other` errors without an OS error code.
        let tls_failure =
            self.is_tls() && err.raw_os_error().is_none() && err.kind() == io::ErrorKind::Other;
        let kind = if tls_failure {
            ErrorKind::Tls
        } else {
            ErrorKind::Connection
        };
        KafkaError::new(kind, format!("{what}: {err}"))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => Err(io::ErrorKind::WouldBlock.into()),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => Err(io::ErrorKind::WouldBlock.into()),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }

    /// Plain TCP writes every slice with one system call (`writev`). TLS writes the
    /// first non-empty one: the connection hands TLS one buffer at a time.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write_vectored(bufs),
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => Err(io::ErrorKind::WouldBlock.into()),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Handshaking(_) => Ok(()),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The TLS settings every connection of a client shares: a connector built once, so
/// that bad certificate files fail the client's construction, not each connect.
#[derive(Clone)]
pub(crate) struct TlsSettings {
    #[cfg(feature = "tls")]
    connector: native_tls::TlsConnector,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings").finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// Reads the certificate files of `config` and builds the connector.
    #[cfg(feature = "tls")]
    pub(crate) fn new(config: &TlsConfig) -> Result<Self> {
        let mut builder = native_tls::TlsConnector::builder();
        if let Some(path) = &config.ca_location {
            let certificates = if config.truststore_is_pkcs12() {
                let password = config.truststore_password.as_ref().map(|p| p.expose());
                pkcs12_truststore(path, password)?
            } else {
                let pem = read_file("ssl.ca.location", path)?;
                native_tls::Certificate::stack_from_pem(&pem)
                    .map_err(|e| tls_config_error("ssl.ca.location", path, e))?
            };
            if certificates.is_empty() {
                return Err(KafkaError::config(
                    "ssl.ca.location",
                    format!("{} holds no PEM certificate", path.display()),
                ));
            }
            // Like the Java client and librdkafka: a configured CA replaces the
            // system's roots rather than adding to them.
            builder.disable_built_in_roots(true);
            for certificate in certificates {
                builder.add_root_certificate(certificate);
            }
        }
        if let Some(identity) = identity(config)? {
            builder.identity(identity);
        }
        if !config.verify_hostname {
            log::warn!(
                "TLS hostname verification is off (ssl.endpoint.identification.algorithm=none): \
                 any server with a certificate from a trusted CA can pose as a broker"
            );
            builder.danger_accept_invalid_hostnames(true);
        }
        let connector = builder
            .build()
            .map_err(|e| KafkaError::new(ErrorKind::Tls, format!("cannot set up TLS: {e}")))?;
        Ok(TlsSettings { connector })
    }

    /// Without the `tls` feature there is no TLS.
    #[cfg(not(feature = "tls"))]
    pub(crate) fn new(_config: &TlsConfig) -> Result<Self> {
        Err(KafkaError::config(
            "security.protocol",
            "this build of kafka-sync has no `tls` feature",
        ))
    }
}

#[cfg(feature = "tls")]
fn read_file(key: &str, path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| KafkaError::config(key, format!("cannot read {}: {e}", path.display())))
}

#[cfg(feature = "tls")]
fn tls_config_error(key: &str, path: &std::path::Path, err: impl fmt::Display) -> KafkaError {
    KafkaError::new(
        ErrorKind::Tls,
        format!("`{key}`: cannot use {}: {err}", path.display()),
    )
}

/// The OpenSSL binding takes passwords as C strings: one with a NUL byte cannot be
/// passed (and would make it panic), so it is refused first.
#[cfg(feature = "tls")]
fn check_c_password(key: &str, password: &str) -> Result<()> {
    if password.contains('\0') {
        return Err(KafkaError::config(
            key,
            "the password holds a NUL character",
        ));
    }
    Ok(())
}

/// The certificates of the PKCS#12 trust store at `path` (`ssl.truststore.type=PKCS12`):
/// every certificate in it except the one that belongs to a private key, if the file
/// holds one (Java trusts a store's certificate entries, not its key entries).
/// `password` is `ssl.truststore.password`; without one, a store without a password
/// (or with an empty one) is read.
#[cfg(all(
    feature = "tls",
    not(any(target_os = "windows", target_vendor = "apple"))
))]
fn pkcs12_truststore(
    path: &std::path::Path,
    password: Option<&str>,
) -> Result<Vec<native_tls::Certificate>> {
    const KEY: &str = "ssl.truststore.location";
    let der = read_file(KEY, path)?;
    let store = openssl::pkcs12::Pkcs12::from_der(&der).map_err(|e| {
        KafkaError::config(
            KEY,
            format!(
                "{} is not a PKCS#12 file (ssl.truststore.type=PKCS12): {e}",
                path.display()
            ),
        )
    })?;
    check_c_password("ssl.truststore.password", password.unwrap_or_default())?;
    let parsed = store.parse2(password.unwrap_or_default()).map_err(|e| {
        // OpenSSL says "mac verify failure" when the password does not open the file;
        // its messages never quote the password.
        let wrong_password = e
            .errors()
            .iter()
            .any(|e| e.reason().is_some_and(|r| r.contains("mac verify failure")));
        match (wrong_password, password) {
            (true, Some(_)) => KafkaError::config(
                "ssl.truststore.password",
                format!(
                    "cannot open the PKCS#12 trust store {} (ssl.truststore.location): \
                     wrong password",
                    path.display()
                ),
            ),
            (true, None) => KafkaError::config(
                "ssl.truststore.password",
                format!(
                    "the PKCS#12 trust store {} (ssl.truststore.location) has a password; \
                     give it as ssl.truststore.password",
                    path.display()
                ),
            ),
            (false, _) => KafkaError::config(
                KEY,
                format!(
                    "cannot read the PKCS#12 trust store {}: {e}",
                    path.display()
                ),
            ),
        }
    })?;
    if parsed.pkey.is_some() {
        log::warn!(
            "the trust store {} holds a private key (is it a key store?): its certificate is \
             not trusted, the other certificates in it are",
            path.display()
        );
    }
    let mut certificates = Vec::new();
    for certificate in parsed.ca.into_iter().flatten() {
        let der = certificate
            .to_der()
            .map_err(|e| tls_config_error(KEY, path, e))?;
        certificates.push(
            native_tls::Certificate::from_der(&der).map_err(|e| tls_config_error(KEY, path, e))?,
        );
    }
    if certificates.is_empty() {
        return Err(KafkaError::config(
            KEY,
            format!(
                "the PKCS#12 trust store {} holds no certificate to trust",
                path.display()
            ),
        ));
    }
    Ok(certificates)
}

/// The TLS libraries of Windows and Apple's systems read PKCS#12 files with a key only.
#[cfg(all(feature = "tls", any(target_os = "windows", target_vendor = "apple")))]
fn pkcs12_truststore(
    path: &std::path::Path,
    _password: Option<&str>,
) -> Result<Vec<native_tls::Certificate>> {
    let pem = path.with_extension("pem");
    Err(KafkaError::config(
        "ssl.truststore.type",
        format!(
            "PKCS#12 trust stores cannot be read on this platform; export the certificates \
             as PEM with `openssl pkcs12 -in {} -nokeys -out {}` and set \
             ssl.truststore.location={} and ssl.truststore.type=PEM",
            path.display(),
            pem.display(),
            pem.display()
        ),
    ))
}

/// The client certificate and key, from a PKCS#12 file or PEM files.
#[cfg(feature = "tls")]
fn identity(config: &TlsConfig) -> Result<Option<native_tls::Identity>> {
    if let Some(path) = &config.keystore_location {
        let der = read_file("ssl.keystore.location", path)?;
        let password = config.keystore_password.as_ref().map_or("", |p| p.expose());
        check_c_password("ssl.keystore.password", password)?;
        // OpenSSL's message for a wrong password names no secret.
        let identity = native_tls::Identity::from_pkcs12(&der, password)
            .map_err(|e| tls_config_error("ssl.keystore.location", path, e))?;
        return Ok(Some(identity));
    }
    let (Some(cert_path), Some(key_path)) = (&config.certificate_location, &config.key_location)
    else {
        return Ok(None);
    };
    let certificate = read_file("ssl.certificate.location", cert_path)?;
    let key_file = read_file("ssl.key.location", key_path)?;
    let key_text = String::from_utf8_lossy(&key_file);
    let key = if let Some(block) = pem_block(&key_text, "PRIVATE KEY") {
        block
    } else if let Some(block) = pem_block(&key_text, "ENCRYPTED PRIVATE KEY") {
        let Some(password) = &config.key_password else {
            return Err(KafkaError::config(
                "ssl.key.password",
                format!("{} is encrypted and needs a password", key_path.display()),
            ));
        };
        decrypt_pkcs8(&block, password.expose())
            .map_err(|e| tls_config_error("ssl.key.location", key_path, e))?
    } else {
        return Err(KafkaError::config(
            "ssl.key.location",
            format!(
                "{} holds no PKCS#8 PEM private key (`BEGIN PRIVATE KEY` or `BEGIN ENCRYPTED \
                 PRIVATE KEY`); convert it with `openssl pkcs8 -topk8`",
                key_path.display()
            ),
        ));
    };
    let identity = native_tls::Identity::from_pkcs8(&certificate, key.as_bytes())
        .map_err(|e| tls_config_error("ssl.certificate.location", cert_path, e))?;
    Ok(Some(identity))
}

/// The first PEM block labelled `label` in `text`, with its BEGIN and END lines.
#[cfg(feature = "tls")]
fn pem_block(text: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(format!("{}\n", &text[start..stop]))
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2) into a `PRIVATE KEY` PEM.
#[cfg(feature = "tls")]
fn decrypt_pkcs8(pem: &str, password: &str) -> std::result::Result<String, String> {
    use pkcs8::der::EncodePem;
    let (_, der) = pkcs8::der::Document::from_pem(pem)
        .map_err(|e| format!("not an encrypted PKCS#8 key: {e}"))?;
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_bytes())
        .map_err(|e| format!("not an encrypted PKCS#8 key: {e}"))?;
    let document = encrypted
        .decrypt(password)
        .map_err(|_| "cannot decrypt the key: wrong ssl.key.password?".to_owned())?;
    let info: pkcs8::PrivateKeyInfo<'_> = document
        .decode_msg()
        .map_err(|e| format!("the decrypted key is malformed: {e}"))?;
    info.to_pem(pkcs8::LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| format!("cannot re-encode the key: {e}"))
}

/// Starts the TLS handshake on a connected socket to `broker`, whose host (a name or an
/// IP address) the certificate must match unless hostname verification is off.
#[cfg(feature = "tls")]
pub(crate) fn start_handshake(
    settings: &TlsSettings,
    broker: &BrokerAddress,
    tcp: TcpStream,
) -> Result<Stream> {
    handshake_result(broker, settings.connector.connect(&broker.host, tcp))
}

/// Drives a handshake under way; returns [`Stream::Tls`] once it is done.
#[cfg(feature = "tls")]
pub(crate) fn continue_handshake(broker: &BrokerAddress, stream: Stream) -> Result<Stream> {
    match stream {
        Stream::Handshaking(mid) => handshake_result(broker, mid.handshake()),
        other => Ok(other),
    }
}

#[cfg(feature = "tls")]
fn handshake_result(
    broker: &BrokerAddress,
    result: std::result::Result<
        native_tls::TlsStream<TcpStream>,
        native_tls::HandshakeError<TcpStream>,
    >,
) -> Result<Stream> {
    match result {
        Ok(tls) => Ok(Stream::Tls(tls)),
        Err(native_tls::HandshakeError::WouldBlock(mid)) => Ok(Stream::Handshaking(mid)),
        Err(native_tls::HandshakeError::Failure(e)) => Err(KafkaError::new(
            ErrorKind::Tls,
            format!("TLS handshake with broker {broker} failed: {e}"),
        )),
    }
}

/// Without the `tls` feature there is no TLS (the configuration is refused earlier).
#[cfg(not(feature = "tls"))]
pub(crate) fn start_handshake(
    _settings: &TlsSettings,
    _broker: &BrokerAddress,
    _tcp: TcpStream,
) -> Result<Stream> {
    Err(KafkaError::new(ErrorKind::Tls, "built without TLS support"))
}

/// Without the `tls` feature there is no TLS.
#[cfg(not(feature = "tls"))]
pub(crate) fn continue_handshake(_broker: &BrokerAddress, stream: Stream) -> Result<Stream> {
    Ok(stream)
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\
                    -----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            pem_block(text, "PRIVATE KEY").unwrap(),
            "-----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n"
        );
        assert!(pem_block(text, "ENCRYPTED PRIVATE KEY").is_none());
    }

    /// A PKCS#12 trust store holding one self-signed CA certificate, protected by
    /// `password`, written to a file of this test process.
    #[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
    fn pkcs12_trust_store(name: &str, password: &str) -> std::path::PathBuf {
        use openssl::{asn1, bn, ec, hash, nid, pkcs12, pkey, stack, x509};
        let group = ec::EcGroup::from_curve_name(nid::Nid::X9_62_PRIME256V1).unwrap();
        let key = pkey::PKey::from_ec_key(ec::EcKey::generate(&group).unwrap()).unwrap();
        let mut subject = x509::X509NameBuilder::new().unwrap();
        subject.append_entry_by_text("CN", "unit test CA").unwrap();
        let subject = subject.build();
        let mut builder = x509::X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        let serial = bn::BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap();
        builder.set_serial_number(&serial).unwrap();
        builder.set_subject_name(&subject).unwrap();
        builder.set_issuer_name(&subject).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&asn1::Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        builder.sign(&key, hash::MessageDigest::sha256()).unwrap();
        let mut ca = stack::Stack::new().unwrap();
        ca.push(builder.build()).unwrap();
        let der = pkcs12::Pkcs12::builder()
            .ca(ca)
            .build2(password)
            .unwrap()
            .to_der()
            .unwrap();
        let dir = std::env::temp_dir().join(format!("kafka-sync-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, der).unwrap();
        path
    }

    fn pkcs12_config(path: &std::path::Path, password: Option<&str>) -> TlsConfig {
        TlsConfig {
            ca_location: Some(path.to_owned()),
            truststore_type: Some("PKCS12".to_owned()),
            truststore_password: password.map(Into::into),
            ..TlsConfig::default()
        }
    }

    #[test]
    #[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
    fn pkcs12_trust_stores_open_with_their_password_only() {
        let path = pkcs12_trust_store("trust.p12", "right-pass-1");
        TlsSettings::new(&pkcs12_config(&path, Some("right-pass-1"))).unwrap();

        let err = TlsSettings::new(&pkcs12_config(&path, Some("wrong-pass-2"))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("`ssl.truststore.password`"), "{text}");
        assert!(text.contains("wrong password"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(!text.contains("wrong-pass-2") && !text.contains("right-pass-1"));

        let err = TlsSettings::new(&pkcs12_config(&path, None)).unwrap_err();
        assert!(
            err.to_string()
                .contains("give it as ssl.truststore.password"),
            "{err}"
        );
        // A password with a NUL character is an error, not a panic of the binding.
        let err = TlsSettings::new(&pkcs12_config(&path, Some("a\0b"))).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");

        // A store made without a password opens without one.
        let open = pkcs12_trust_store("open.p12", "");
        TlsSettings::new(&pkcs12_config(&open, None)).unwrap();
    }

    #[test]
    fn a_file_typed_pkcs12_that_is_not_is_a_config_error() {
        let dir = std::env::temp_dir().join(format!("kafka-sync-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let err = TlsSettings::new(&pkcs12_config(&path, Some("pw"))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.to_string().contains("ssl.truststore"), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn missing_files_name_the_key() {
        let config = TlsConfig {
            ca_location: Some("/nonexistent/ca.pem".into()),
            ..TlsConfig::default()
        };
        let err = TlsSettings::new(&config).unwrap_err();
        assert!(err.to_string().contains("ssl.ca.location"), "{err}");
    }
}
