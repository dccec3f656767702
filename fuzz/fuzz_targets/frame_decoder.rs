//! Feeds arbitrary bytes, in reads of arbitrary sizes, to a connection's frame decoder
//! (`net::codec`, reached through `kafka_sync::fuzzing`) while requests of both response-header versions are in flight: a
//! hostile broker's stream must give frames or an error, never a panic, a hang, or a
//! read buffer that grows by what a size prefix claims rather than by what arrived.
#![no_main]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use kafka_sync::fuzzing::codec::{Codec, Expect, Frame, Framing, WriteQueue};
use kafka_sync::protocol::messages::{ApiVersionsRequest, MetadataRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the largest frame accepted (16 B to 1 MiB) and whether the
    // stream is the legacy SASL exchange; the second how many requests are in flight
    // and the size of each read; the rest is the stream.
    let [limits, shape, stream @ ..] = data else {
        return;
    };
    let max_frame_size = 16usize << (limits % 17);
    let framing = if limits & 0x80 != 0 {
        Framing::RawSasl
    } else {
        Framing::Responses
    };
    let in_flight = usize::from(shape & 0x0f);
    let read_size = usize::from(shape >> 4) * 7 + 1;

    let mut codec = Codec::new(Some("fuzz".to_owned()), max_frame_size);
    let deadline = Instant::now() + Duration::from_secs(60);
    let expect = Expect::Response {
        deadline,
        internal: false,
    };
    let mut out = WriteQueue::default();
    for id in 0..in_flight {
        let id = id as i32;
        let encoded = match id % 3 {
            // Flexible: response header v1, with tagged fields.
            0 => codec.encode_request(&mut out, &MetadataRequest::default(), 12, id, expect),
            // ApiVersions answers with header v0 even when flexible (KIP-511).
            1 => codec.encode_request(&mut out, &ApiVersionsRequest::default(), 3, id, expect),
            // Not flexible: header v0.
            _ => codec.encode_request(&mut out, &MetadataRequest::default(), 8, id, expect),
        };
        encoded.expect("a small request encodes");
    }

    let mut input = BytesMut::new();
    let mut fed = 0usize;
    for chunk in stream.chunks(read_size) {
        input.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            let awaited = codec.in_flight_len();
            match codec.decode(&mut input, framing) {
                Ok(None) => break,
                Ok(Some(Frame::Raw(message))) => {
                    assert_eq!(framing, Framing::RawSasl);
                    assert!(message.len() <= max_frame_size);
                }
                Ok(Some(Frame::Response { request, result })) => {
                    assert_eq!(framing, Framing::Responses);
                    assert_eq!(codec.in_flight_len() + 1, awaited);
                    if let Ok(response) = result {
                        assert!(response.frame.len() <= max_frame_size);
                        assert!(response.header_len <= response.frame.len());
                        let id = response
                            .frame
                            .get(..4)
                            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                        assert_eq!(id, Some(request.correlation_id));
                    }
                }
                // The stream cannot be read on; the connection would close.
                Err(_) => {
                    assert_eq!(codec.in_flight_len(), awaited, "a request lost");
                    return;
                }
            }
        }
        // Room is reserved by what arrived, never by what a size prefix claims.
        assert!(
            input.capacity() <= 4 * fed.max(64 * 1024),
            "{} bytes reserved after {fed} arrived",
            input.capacity()
        );
    }
});
