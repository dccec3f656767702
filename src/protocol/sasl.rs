//! SaslHandshake (key 17) and SaslAuthenticate (key 36): SASL authentication.
//!
//! The handshake picks a mechanism; from handshake version 1 the mechanism's tokens
//! then travel in SaslAuthenticate requests (KIP-152) rather than as raw frames.
//! SaslHandshake versions 0 and 1 share one layout and are never flexible.
//! SaslAuthenticate version 1 adds the session lifetime (KIP-368) and version 2 is
//! flexible.

use bytes::Bytes;

use crate::message;

message! {
    /// Chooses a SASL mechanism.
    pub struct SaslHandshakeRequest {
        /// The mechanism, e.g. "PLAIN" or "SCRAM-SHA-512".
        mechanism: String [0..],
    }
}

message! {
    /// Whether the broker accepts the mechanism, and which it has enabled.
    pub struct SaslHandshakeResponse {
        /// The error code.
        error_code: i16 [0..],
        /// The mechanisms the broker has enabled.
        mechanisms: Vec<String> [0..],
    }
}

message! {
    /// Carries one token from the client to the broker.
    pub struct SaslAuthenticateRequest {
        /// The client's token, as defined by the mechanism.
        auth_bytes: Bytes [0..],
    }
}

message! {
    /// Carries one token from the broker back to the client.
    pub struct SaslAuthenticateResponse {
        /// The error code.
        error_code: i16 [0..],
        /// The error message, if any.
        error_message: Option<String> [0..],
        /// The broker's token, as defined by the mechanism.
        auth_bytes: Bytes [0..],
        /// How long the session lasts before reauthentication, in milliseconds; 0 if unbounded.
        session_lifetime_ms: i64 [1..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    #[test]
    fn handshake_golden_bytes() {
        let req = SaslHandshakeRequest {
            mechanism: "PLAIN".into(),
        };
        let expected = [0, 5, b'P', b'L', b'A', b'I', b'N'];
        assert_golden::<SaslHandshakeRequest>(&req, 0, &expected);
        assert_golden::<SaslHandshakeRequest>(&req, 1, &expected);

        let resp = SaslHandshakeResponse {
            error_code: 33,
            mechanisms: vec!["PLAIN".into()],
        };
        #[rustfmt::skip]
        let expected = [
            0, 33,                          // error_code: UNSUPPORTED_SASL_MECHANISM
            0, 0, 0, 1,                     // mechanisms: 1
            0, 5, b'P', b'L', b'A', b'I', b'N',
        ];
        assert_golden::<SaslHandshakeResponse>(&resp, 0, &expected);
        assert_golden::<SaslHandshakeResponse>(&resp, 1, &expected);
    }

    #[test]
    fn authenticate_golden_bytes() {
        let req = SaslAuthenticateRequest {
            auth_bytes: Bytes::from_static(b"\0u\0p"),
        };
        assert_golden::<SaslAuthenticateRequest>(&req, 0, &[0, 0, 0, 4, 0, b'u', 0, b'p']);
        assert_golden::<SaslAuthenticateRequest>(&req, 1, &[0, 0, 0, 4, 0, b'u', 0, b'p']);
        // v2: compact bytes and a tag section.
        assert_golden::<SaslAuthenticateRequest>(&req, 2, &[5, 0, b'u', 0, b'p', 0]);

        let resp = SaslAuthenticateResponse {
            error_code: 0,
            error_message: None,
            auth_bytes: Bytes::from_static(b"ok"),
            session_lifetime_ms: 3_600_000,
        };
        #[rustfmt::skip]
        assert_golden::<SaslAuthenticateResponse>(&resp, 0, &[
            0, 0,                           // error_code
            0xff, 0xff,                     // error_message: null
            0, 0, 0, 2, b'o', b'k',         // auth_bytes
        ]);
        #[rustfmt::skip]
        assert_golden::<SaslAuthenticateResponse>(&resp, 1, &[
            0, 0, 0xff, 0xff, 0, 0, 0, 2, b'o', b'k',
            0, 0, 0, 0, 0, 0x36, 0xee, 0x80, // session_lifetime_ms: one hour
        ]);
        #[rustfmt::skip]
        assert_golden::<SaslAuthenticateResponse>(&resp, 2, &[
            0, 0,                           // error_code
            0,                              // error_message: null
            3, b'o', b'k',                  // auth_bytes
            0, 0, 0, 0, 0, 0x36, 0xee, 0x80, // session_lifetime_ms
            0,                              // tags
        ]);
    }

    #[test]
    fn round_trips() {
        let req = SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-512".into(),
        };
        assert_round_trip_all_versions::<SaslHandshakeRequest>(&req, 0..=1, i16::MAX);
        let resp = SaslHandshakeResponse {
            error_code: 33,
            mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()],
        };
        assert_round_trip_all_versions::<SaslHandshakeResponse>(&resp, 0..=1, i16::MAX);

        let req = SaslAuthenticateRequest {
            auth_bytes: Bytes::from_static(b"n,,n=user,r=nonce"),
        };
        assert_round_trip_all_versions::<SaslAuthenticateRequest>(&req, 0..=2, 2);
        let resp = SaslAuthenticateResponse {
            error_code: 58,
            error_message: Some("authentication failed".into()),
            auth_bytes: Bytes::from_static(b"r=nonce,s=salt,i=4096"),
            session_lifetime_ms: 60_000,
        };
        assert_round_trip_all_versions::<SaslAuthenticateResponse>(&resp, 0..=2, 2);
    }
}
