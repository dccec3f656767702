//! The Kafka framing of one connection, without sockets (sans-IO).
//!
//! This module owns one job: turning the bytes a broker sends into responses matched to
//! the requests that asked for them, and requests into the bytes to send. It never
//! reads or writes a socket; `net::connection` moves the bytes and hands them here,
//! so every rule below is tested on constructed bytes.
//!
//! - **Frame boundaries.** Every frame starts with a big-endian `INT32` size that
//!   counts the bytes after it. [`Codec::decode`] cuts whole frames from the front of the
//!   caller's read buffer and leaves a partial frame there until the rest arrives.
//! - **The size check comes before any allocation.** A size below the minimum (a Kafka
//!   response holds at least its correlation id), negative, or above the configured
//!   maximum (`receive.message.max.bytes`) is an error at once ([`FrameError::Size`]).
//!   A size that passes still reserves memory only as the frame's bytes arrive (at most
//!   doubling what has arrived), never by what the peer claims: four bytes from any
//!   peer, before TLS or SASL is done, must not reserve megabytes.
//! - **Correlation.** Kafka answers the requests on one connection in the order they
//!   were sent, so the requests awaiting an answer are a queue. A response must carry
//!   the correlation id of the oldest; any other id means the stream cannot be trusted
//!   ([`FrameError::OutOfOrder`], [`FrameError::Unsolicited`]), and the request stays
//!   queued so that closing the connection fails it for a retry.
//! - **Response headers.** Header v0 is the correlation id; v1 (flexible versions, but
//!   never ApiVersions, KIP-511) adds a tagged-field section. A header that does not
//!   decode fails that one request: the frame's size kept the stream in step.
//! - **Legacy SASL frames.** After a SaslHandshake v0 the mechanism's messages travel as
//!   bare size-prefixed frames, with no header, and may be empty ([`Framing::RawSasl`]).
//! - **Outgoing frames are chunks.** A request is encoded into a [`ChunkedBuf`]: its
//!   header and small fields are written in place, and its record batches stay in the
//!   batches' own buffers, by reference. The frames queue in a [`WriteQueue`] as those
//!   chunks, which the connection writes with vectored writes: the one copy of a
//!   record's bytes is the producer's, into its batch.

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::api::{self, ApiKey, Request};
use crate::protocol::header::decode_response_header;
use crate::protocol::primitives::{ChunkedBuf, Reader, Write};

/// The bytes of the size prefix in front of every frame.
pub const SIZE_PREFIX: usize = 4;

/// What the frames arriving on a connection hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Kafka responses: a response header, then the body; at least the 4-byte
    /// correlation id.
    Responses,
    /// The raw mechanism messages of the legacy SASL exchange (after SaslHandshake v0):
    /// no header, no correlation id, possibly empty.
    RawSasl,
}

impl Framing {
    /// The smallest frame size (after the prefix) allowed.
    pub fn min_size(self) -> i32 {
        match self {
            Framing::Responses => 4,
            Framing::RawSasl => 0,
        }
    }
}

/// A request written whose response is awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// The correlation id its response carries.
    pub correlation_id: i32,
    /// The request's API.
    pub api_key: ApiKey,
    /// The version it was sent at.
    pub api_version: i16,
    /// The version of the response header to expect (0, or 1 for flexible versions).
    pub response_header_version: i16,
    /// When the request times out.
    pub deadline: Instant,
    /// Whether the connection itself sent it (the handshake), rather than its owner.
    pub internal: bool,
}

/// Whether a request expects a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The broker never answers it (an acks=0 produce).
    Nothing,
    /// A response is awaited until `deadline`. `internal`: see [`InFlight::internal`].
    Response {
        /// When the request times out.
        deadline: Instant,
        /// Whether the connection itself sent it.
        internal: bool,
    },
}

/// A response frame whose header decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFrame {
    /// The whole frame without its size prefix: the header, then the body.
    pub frame: Bytes,
    /// How many bytes of `frame` the header takes.
    pub header_len: usize,
}

impl ResponseFrame {
    /// The response body, after the header.
    pub fn body(&self) -> Bytes {
        self.frame.slice(self.header_len.min(self.frame.len())..)
    }
}

/// One frame cut from the stream.
#[derive(Debug)]
pub enum Frame {
    /// The response to `request`, the oldest in flight; `result` is the frame, or why
    /// its header does not decode.
    Response {
        /// The request it answers, no longer in flight.
        request: InFlight,
        /// The frame, or the header's decoding error.
        result: Result<ResponseFrame>,
    },
    /// A frame of [`Framing::RawSasl`]: the mechanism message, without its prefix.
    Raw(Bytes),
}

/// Why the stream from a broker cannot be read on: the connection must close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The size prefix is below the framing's minimum (negative included) or above the
    /// configured maximum.
    Size {
        /// The size the prefix claims.
        size: i32,
        /// The smallest size allowed.
        min: i32,
        /// The largest size allowed.
        max: usize,
    },
    /// A response to another request than the oldest in flight.
    OutOfOrder {
        /// The correlation id the response carries.
        correlation_id: i32,
        /// The correlation id of the oldest request in flight.
        expected: i32,
    },
    /// A response while no request is in flight.
    Unsolicited {
        /// The correlation id the response carries.
        correlation_id: i32,
    },
}

impl FrameError {
    /// The error to close the connection with. `broker` names the peer; `tls` says
    /// whether the stream is TLS (a plaintext client on a TLS listener reads the TLS
    /// record header as a huge size, which the message then hints at).
    pub fn to_error(&self, broker: &dyn fmt::Display, tls: bool) -> KafkaError {
        match *self {
            FrameError::Size { size, min, max } => KafkaError::corrupt(format!(
                "broker {broker} sent a frame of {size} bytes (allowed: {min} to {max}, \
                 receive.message.max.bytes); is this a Kafka broker{}?",
                if tls {
                    ""
                } else {
                    " (or a TLS listener: see security.protocol)"
                }
            )),
            FrameError::OutOfOrder {
                correlation_id,
                expected,
            } => KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!("broker {broker} answered correlation id {correlation_id}, expected {expected}"),
            ),
            FrameError::Unsolicited { correlation_id } => KafkaError::new(
                ErrorKind::UnexpectedResponse,
                format!(
                    "broker {broker} sent a response (correlation id {correlation_id}) nobody asked for"
                ),
            ),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Size { size, min, max } => {
                write!(f, "frame size {size} outside {min} to {max}")
            }
            FrameError::OutOfOrder {
                correlation_id,
                expected,
            } => write!(f, "correlation id {correlation_id}, expected {expected}"),
            FrameError::Unsolicited { correlation_id } => {
                write!(f, "correlation id {correlation_id} with nothing in flight")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// The framing state of one connection: the requests awaiting a response, the limits,
/// and the header fields every request carries.
#[derive(Debug, Clone)]
pub struct Codec {
    client_id: Option<String>,
    max_frame_size: usize,
    in_flight: VecDeque<InFlight>,
    /// The correlation id of the next internal request (ApiVersions, SASL): negative,
    /// so never one of the owner's, which count up from zero.
    next_internal_id: i32,
}

impl Codec {
    /// A codec whose requests name `client_id` and that accepts response frames of up
    /// to `max_frame_size` bytes (after the size prefix).
    pub fn new(client_id: Option<String>, max_frame_size: usize) -> Self {
        Codec {
            client_id,
            max_frame_size,
            in_flight: VecDeque::new(),
            next_internal_id: -1,
        }
    }

    /// The largest frame accepted.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Queues the whole frame of `request` at `version` (size prefix, request header,
    /// body) in `out`, and, if `expect` says so, as awaiting its response. Its record
    /// batches are queued by reference, not copied. Fails, queueing nothing, for a frame
    /// too large for its size prefix.
    pub fn encode_request<R: Request>(
        &mut self,
        out: &mut WriteQueue,
        request: &R,
        version: i16,
        correlation_id: i32,
        expect: Expect,
    ) -> Result<()> {
        let frame =
            api::encode_request(request, version, correlation_id, self.client_id.as_deref())?;
        out.push(frame);
        if let Expect::Response { deadline, internal } = expect {
            self.in_flight.push_back(InFlight {
                correlation_id,
                api_key: R::SUPPORT.key,
                api_version: version,
                response_header_version: R::SUPPORT.response_header_version(version),
                deadline,
                internal,
            });
        }
        Ok(())
    }

    /// Queues a mechanism message of the legacy SASL exchange in `out`: its size, then
    /// its bytes, with no Kafka header.
    pub fn encode_raw(out: &mut WriteQueue, message: &[u8]) -> Result<()> {
        let size = i32::try_from(message.len()).map_err(|_| {
            KafkaError::new(
                ErrorKind::Authentication,
                format!(
                    "a SASL message of {} bytes does not fit in a frame",
                    message.len()
                ),
            )
        })?;
        let mut frame = ChunkedBuf::with_capacity(SIZE_PREFIX + message.len());
        frame.put_i32(size);
        frame.put_slice(message);
        out.push(frame);
        Ok(())
    }

    /// The correlation id for the next internal request: -1, -2, ... down to
    /// `i32::MIN`, then -1 again.
    pub fn next_internal_id(&mut self) -> i32 {
        let id = self.next_internal_id;
        self.next_internal_id = if id == i32::MIN { -1 } else { id - 1 };
        id
    }

    /// Starts internal correlation ids from -1 again (a new connection).
    pub fn reset_internal_ids(&mut self) {
        self.next_internal_id = -1;
    }

    /// The requests awaiting a response, oldest first.
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight> + '_ {
        self.in_flight.iter()
    }

    /// How many requests await a response.
    pub fn in_flight_len(&self) -> usize {
        self.in_flight.len()
    }

    /// The earliest deadline of a request in flight.
    pub fn earliest_deadline(&self) -> Option<Instant> {
        self.in_flight.iter().map(|r| r.deadline).min()
    }

    /// Forgets every request in flight (the connection closed), oldest first.
    pub fn drain_in_flight(&mut self) -> impl Iterator<Item = InFlight> + '_ {
        self.in_flight.drain(..)
    }

    /// Cuts the next whole frame from the front of `input`, read as `framing` says.
    /// `Ok(None)`: more bytes are needed; `input` then has room reserved for part of
    /// the rest of the frame, bounded by what has arrived. An error means the stream
    /// cannot be trusted any more.
    pub fn decode(
        &mut self,
        input: &mut BytesMut,
        framing: Framing,
    ) -> std::result::Result<Option<Frame>, FrameError> {
        let Some(prefix) = input.first_chunk::<SIZE_PREFIX>() else {
            return Ok(None);
        };
        let size = i32::from_be_bytes(*prefix);
        let min = framing.min_size();
        let size_error = FrameError::Size {
            size,
            min,
            max: self.max_frame_size,
        };
        let len = match usize::try_from(size) {
            Ok(len) if size >= min && len <= self.max_frame_size => len,
            _ => return Err(size_error),
        };
        let Some(total) = len.checked_add(SIZE_PREFIX) else {
            return Err(size_error);
        };
        if input.len() < total {
            reserve_for_frame(input, total);
            return Ok(None);
        }
        let mut frame = input.split_to(total);
        let frame = frame.split_off(SIZE_PREFIX).freeze();
        match framing {
            Framing::RawSasl => Ok(Some(Frame::Raw(frame))),
            Framing::Responses => self.match_response(frame).map(Some),
        }
    }

    /// Pairs a response frame with the oldest request in flight.
    fn match_response(&mut self, frame: Bytes) -> std::result::Result<Frame, FrameError> {
        // Every header starts with the correlation id; `decode` made sure it is there.
        let Some(id) = frame.first_chunk::<4>() else {
            return Err(FrameError::Size {
                size: i32::try_from(frame.len()).unwrap_or(i32::MAX),
                min: Framing::Responses.min_size(),
                max: self.max_frame_size,
            });
        };
        let correlation_id = i32::from_be_bytes(*id);
        let Some(request) = self.in_flight.pop_front() else {
            return Err(FrameError::Unsolicited { correlation_id });
        };
        if request.correlation_id != correlation_id {
            let expected = request.correlation_id;
            self.in_flight.push_front(request);
            return Err(FrameError::OutOfOrder {
                correlation_id,
                expected,
            });
        }
        let result = decode_header(frame, request.response_header_version);
        Ok(Frame::Response { request, result })
    }
}

/// The bytes queued for a connection to write, as the chunks of the frames the codec
/// encoded (see [`ChunkedBuf`]): headers and small fields, and record batches kept by
/// reference.
///
/// The connection writes from the front, with [`io_slices`](Self::io_slices) for a
/// vectored write or [`front`](Self::front) and [`gather`](Self::gather) for a stream
/// that takes one buffer at a time (TLS), then [`advance`](Self::advance)s past what
/// the stream took; partial writes are normal. A chunk written whole is dropped at
/// once, so a batch's buffer is released as soon as it is on the wire.
#[derive(Default)]
pub struct WriteQueue {
    chunks: VecDeque<Bytes>,
    /// How many bytes of the front chunk were written.
    front_written: usize,
    /// How many bytes are not written yet.
    pending: usize,
}

/// Written by hand: the queue holds request bytes, SASL messages among them (a PLAIN
/// password, an OAUTHBEARER token), which must never be printed.
impl fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteQueue")
            .field("chunks", &self.chunks.len())
            .field("pending", &self.pending)
            .finish()
    }
}

impl WriteQueue {
    /// Queues `frame` after what is queued.
    pub fn push(&mut self, frame: ChunkedBuf) {
        self.pending += frame.len();
        self.chunks.extend(frame.into_chunks());
    }

    /// How many bytes wait to be written.
    pub fn len(&self) -> usize {
        self.pending
    }

    /// Whether everything queued was written.
    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// The unwritten bytes of the front chunk (empty when nothing waits).
    pub fn front(&self) -> &[u8] {
        self.chunks
            .front()
            .and_then(|chunk| chunk.get(self.front_written..))
            .unwrap_or_default()
    }

    /// Fills `slices` with the unwritten bytes, front first, for a vectored write, and
    /// returns how many it filled: all the chunks, or as many as `slices` holds.
    pub fn io_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        if self.is_empty() {
            return 0;
        }
        let rest = self.chunks.iter().skip(1).map(|chunk| &chunk[..]);
        let mut filled = 0;
        for (slot, bytes) in slices
            .iter_mut()
            .zip(std::iter::once(self.front()).chain(rest))
        {
            *slot = IoSlice::new(bytes);
            filled += 1;
        }
        filled
    }

    /// Replaces the contents of `out` with the first unwritten bytes, at most `limit`
    /// of them, for a stream that takes one buffer at a time.
    pub fn gather(&self, limit: usize, out: &mut Vec<u8>) {
        out.clear();
        let rest = self.chunks.iter().skip(1).map(|chunk| &chunk[..]);
        for bytes in std::iter::once(self.front()).chain(rest) {
            let room = limit.saturating_sub(out.len());
            if room == 0 {
                break;
            }
            out.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    /// Marks the first `n` unwritten bytes as written, dropping the chunks they
    /// finish. `n` beyond what waits (a stream claiming more than it was given) counts
    /// as everything.
    pub fn advance(&mut self, n: usize) {
        let mut n = n.min(self.pending);
        self.pending -= n;
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                break;
            };
            let left = front.len() - self.front_written;
            if n < left {
                self.front_written += n;
                return;
            }
            n -= left;
            self.chunks.pop_front();
            self.front_written = 0;
        }
    }

    /// Forgets everything queued (the connection closed).
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.front_written = 0;
        self.pending = 0;
    }

    /// The unwritten bytes in one buffer (a copy; for tests and diagnostics).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pending);
        self.gather(self.pending, &mut out);
        out
    }
}

/// Decodes the response header of `frame` (its version 0 or 1), keeping the frame.
fn decode_header(frame: Bytes, header_version: i16) -> Result<ResponseFrame> {
    let mut r = Reader::new(frame.clone());
    decode_response_header(&mut r, header_version)?;
    let header_len = frame.len() - r.remaining();
    Ok(ResponseFrame { frame, header_len })
}

/// Makes room in `input` for more of a frame of `frame_len` bytes (with its size
/// prefix). It grows towards the frame's size as the bytes arrive, at most doubling
/// what has arrived, never by the size the peer claims.
fn reserve_for_frame(input: &mut BytesMut, frame_len: usize) {
    let target = frame_len.min(input.len().saturating_mul(2).max(64 * 1024));
    if target > input.capacity() {
        input.reserve(target - input.len());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::protocol::header::RequestHeader;
    use crate::protocol::messages::{
        ApiVersionsRequest, MetadataRequest, ProduceRequest, ProduceRequestPartition,
        ProduceRequestTopic,
    };

    const MAX: usize = 1 << 20;

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    fn awaiting() -> Expect {
        Expect::Response {
            deadline: deadline(),
            internal: false,
        }
    }

    /// A codec awaiting responses to `ids` in order: Metadata v12 (flexible, header
    /// v1) for even ids, ApiVersions v3 (header v0 despite being flexible) for odd.
    fn codec_awaiting(ids: &[i32]) -> Codec {
        let mut codec = Codec::new(Some("test".into()), MAX);
        let mut out = WriteQueue::default();
        for &id in ids {
            if id % 2 == 0 {
                codec
                    .encode_request(&mut out, &MetadataRequest::default(), 12, id, awaiting())
                    .expect("encode");
            } else {
                codec
                    .encode_request(&mut out, &ApiVersionsRequest::default(), 3, id, awaiting())
                    .expect("encode");
            }
        }
        codec
    }

    /// A whole frame: size prefix, then `body`.
    fn frame(body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(body);
        out
    }

    /// A response frame with header v1 (correlation id, empty tag section) and `body`.
    fn v1_response(correlation_id: i32, body: &[u8]) -> Vec<u8> {
        let mut inner = correlation_id.to_be_bytes().to_vec();
        inner.push(0);
        inner.extend_from_slice(body);
        frame(&inner)
    }

    /// A response frame with header v0 (correlation id) and `body`.
    fn v0_response(correlation_id: i32, body: &[u8]) -> Vec<u8> {
        let mut inner = correlation_id.to_be_bytes().to_vec();
        inner.extend_from_slice(body);
        frame(&inner)
    }

    fn expect_response(frame: Option<Frame>) -> (InFlight, ResponseFrame) {
        match frame {
            Some(Frame::Response { request, result }) => (request, result.expect("header")),
            other => panic!("expected a response, got {other:?}"),
        }
    }

    #[test]
    fn encodes_a_request_frame_and_awaits_its_response() {
        let mut codec = Codec::new(Some("ab".into()), MAX);
        let mut out = WriteQueue::default();
        codec
            .encode_request(&mut out, &MetadataRequest::default(), 12, 7, awaiting())
            .expect("encode");
        let bytes = out.to_vec();
        let size = i32::from_be_bytes(bytes[..4].try_into().unwrap());
        assert_eq!(size as usize, bytes.len() - 4);
        // api key 3, version 12, correlation id 7, client id "ab", then header tags.
        assert_eq!(
            &bytes[4..17],
            &[0, 3, 0, 12, 0, 0, 0, 7, 0, 2, b'a', b'b', 0]
        );
        let request = codec.in_flight().next().expect("in flight");
        assert_eq!(request.correlation_id, 7);
        assert_eq!(request.api_key, ApiKey::METADATA);
        assert_eq!(request.response_header_version, 1);
        assert!(!request.internal);
        // A request that expects nothing is written and not awaited.
        codec
            .encode_request(
                &mut out,
                &MetadataRequest::default(),
                12,
                8,
                Expect::Nothing,
            )
            .expect("encode");
        assert_eq!(codec.in_flight_len(), 1);
    }

    /// A Produce request with one partition whose records are `records`.
    fn produce_request(records: Bytes) -> ProduceRequest {
        ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30_000,
            topic_data: vec![ProduceRequestTopic {
                name: "topic".into(),
                partition_data: vec![ProduceRequestPartition {
                    index: 3,
                    records: Some(records),
                }],
            }],
        }
    }

    /// The frame of `request` as one contiguous buffer, encoded the way every frame was
    /// before frames became chunks: into a `Vec<u8>`, copying the records.
    fn contiguous_frame<R: Request>(request: &R, version: i16, correlation_id: i32) -> Vec<u8> {
        let support = R::SUPPORT;
        let mut body = Vec::new();
        RequestHeader {
            api_key: support.key,
            api_version: version,
            correlation_id,
            client_id: Some("ab"),
        }
        .encode(&mut body, support.request_header_version(version));
        request.encode(&mut body, support.ctx(version));
        let mut frame = (body.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        frame
    }

    #[test]
    fn a_produce_frame_keeps_its_records_by_reference() {
        // A record batch large enough to be shared, and one small enough to be copied.
        let batch = Bytes::from((0..4096u32).map(|i| i as u8).collect::<Vec<u8>>());
        let small = Bytes::from_static(b"tiny batch");
        for version in [3, 8, 9, 12] {
            let mut codec = Codec::new(Some("ab".into()), MAX);
            let mut out = WriteQueue::default();
            let request = produce_request(batch.clone());
            codec
                .encode_request(&mut out, &request, version, 5, awaiting())
                .expect("encode");
            // The chunks together are exactly the bytes of the contiguous encoding.
            assert_eq!(
                out.to_vec(),
                contiguous_frame(&request, version, 5),
                "v{version}"
            );
            // One chunk is the batch itself: the same memory, not a copy.
            let chunks: Vec<&Bytes> = out.chunks.iter().collect();
            // Flexible versions end with the tag sections after the records.
            let expected_chunks = if version >= 9 { 3 } else { 2 };
            assert_eq!(
                chunks.len(),
                expected_chunks,
                "header, the batch: v{version}"
            );
            assert_eq!(chunks[1].as_ptr(), batch.as_ptr(), "v{version}");
            assert_eq!(chunks[1].len(), batch.len());

            let request = produce_request(small.clone());
            let mut out = WriteQueue::default();
            codec
                .encode_request(&mut out, &request, version, 6, awaiting())
                .expect("encode");
            assert_eq!(out.to_vec(), contiguous_frame(&request, version, 6));
            assert_eq!(out.chunks.len(), 1, "a small batch is copied in place");
        }
    }

    #[test]
    fn the_write_queue_hands_out_and_advances_across_chunks() {
        let mut codec = Codec::new(Some("ab".into()), MAX);
        let mut out = WriteQueue::default();
        let batches = [vec![1u8; 2000], vec![2u8; 3000]].map(Bytes::from);
        let mut request = produce_request(batches[0].clone());
        request.topic_data[0]
            .partition_data
            .push(ProduceRequestPartition {
                index: 4,
                records: Some(batches[1].clone()),
            });
        codec
            .encode_request(&mut out, &request, 9, 1, Expect::Nothing)
            .expect("encode");
        codec
            .encode_request(&mut out, &MetadataRequest::default(), 12, 2, awaiting())
            .expect("encode");
        let expected = [
            contiguous_frame(&request, 9, 1),
            contiguous_frame(&MetadataRequest::default(), 12, 2),
        ]
        .concat();
        assert_eq!(out.len(), expected.len());
        // head, batch, partition 4's index and length, batch, tags, then the Metadata
        // frame (the in-place bytes of one frame never merge with the next).
        assert_eq!(out.chunks.len(), 6);
        // Write it in uneven steps, through every kind of boundary.
        let mut written = Vec::new();
        let mut gathered = Vec::new();
        for step in [1usize, 2, 40, 1999, 1, 3000, 7, 500, 10_000]
            .iter()
            .cycle()
        {
            if out.is_empty() {
                break;
            }
            let mut slices = [IoSlice::new(&[]); 4];
            let filled = out.io_slices(&mut slices);
            assert!((1..=4).contains(&filled));
            assert_eq!(&*slices[0], out.front());
            let flat: Vec<u8> = slices[..filled]
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect();
            out.gather(*step, &mut gathered);
            assert_eq!(gathered, flat[..flat.len().min(*step)]);
            let n = (*step).min(out.len());
            written.extend_from_slice(&gathered[..n.min(gathered.len())]);
            out.advance(n);
        }
        assert_eq!(written, expected);
        assert_eq!(out.io_slices(&mut [IoSlice::new(&[])]), 0);
        assert!(out.front().is_empty());
        // Advancing past the end is everything, and clear forgets what waits.
        codec
            .encode_request(&mut out, &request, 9, 3, Expect::Nothing)
            .expect("encode");
        out.advance(usize::MAX);
        assert!(out.is_empty() && out.chunks.is_empty());
        codec
            .encode_request(&mut out, &request, 9, 4, Expect::Nothing)
            .expect("encode");
        out.clear();
        assert_eq!((out.len(), out.chunks.len()), (0, 0));
    }

    #[test]
    fn a_frame_split_at_every_byte_boundary_decodes_once_whole() {
        let body = b"some response body";
        let bytes = v1_response(4, body);
        for cut in 0..=bytes.len() {
            let mut codec = codec_awaiting(&[4]);
            let mut input = BytesMut::new();
            input.extend_from_slice(&bytes[..cut]);
            let first = codec
                .decode(&mut input, Framing::Responses)
                .expect("decode");
            if cut < bytes.len() {
                assert!(first.is_none(), "cut at {cut}: a frame from part of it");
                assert_eq!(input.len(), cut, "cut at {cut}: bytes consumed early");
                assert_eq!(codec.in_flight_len(), 1);
                input.extend_from_slice(&bytes[cut..]);
                let (request, response) =
                    expect_response(codec.decode(&mut input, Framing::Responses).unwrap());
                assert_eq!(request.correlation_id, 4);
                assert_eq!(&response.body()[..], body, "cut at {cut}");
            } else {
                let (_, response) = expect_response(first);
                assert_eq!(&response.body()[..], body);
            }
            assert!(input.is_empty());
            assert_eq!(codec.in_flight_len(), 0);
            assert!(codec
                .decode(&mut input, Framing::Responses)
                .unwrap()
                .is_none());
        }
    }

    #[test]
    fn a_frame_fed_one_byte_at_a_time_decodes_once() {
        let bytes = v0_response(1, b"xyz");
        let mut codec = codec_awaiting(&[1]);
        let mut input = BytesMut::new();
        let mut frames = 0;
        for &b in &bytes {
            input.extend_from_slice(&[b]);
            while let Some(frame) = codec.decode(&mut input, Framing::Responses).unwrap() {
                let (_, response) = expect_response(Some(frame));
                assert_eq!(response.header_len, 4, "header v0 of ApiVersions");
                assert_eq!(&response.body()[..], b"xyz");
                frames += 1;
            }
        }
        assert_eq!(frames, 1);
    }

    #[test]
    fn two_frames_in_one_read_come_out_in_order() {
        let mut codec = codec_awaiting(&[0, 1, 2]);
        let mut input = BytesMut::new();
        input.extend_from_slice(&v1_response(0, b"first"));
        input.extend_from_slice(&v0_response(1, b"second"));
        // And the start of a third.
        let third = v1_response(2, b"third");
        input.extend_from_slice(&third[..6]);
        let (a, fa) = expect_response(codec.decode(&mut input, Framing::Responses).unwrap());
        let (b, fb) = expect_response(codec.decode(&mut input, Framing::Responses).unwrap());
        assert_eq!((a.correlation_id, &fa.body()[..]), (0, &b"first"[..]));
        assert_eq!((b.correlation_id, &fb.body()[..]), (1, &b"second"[..]));
        assert_eq!(fa.header_len, 5);
        assert_eq!(fb.header_len, 4);
        assert!(codec
            .decode(&mut input, Framing::Responses)
            .unwrap()
            .is_none());
        assert_eq!(&input[..], &third[..6]);
        input.extend_from_slice(&third[6..]);
        let (c, fc) = expect_response(codec.decode(&mut input, Framing::Responses).unwrap());
        assert_eq!((c.correlation_id, &fc.body()[..]), (2, &b"third"[..]));
        // The whole frame, header included, is kept for the response's owner.
        assert_eq!(&fc.frame[..], &third[4..]);
    }

    #[test]
    fn an_oversized_size_prefix_is_an_error_before_any_allocation() {
        let mut codec = codec_awaiting(&[0]);
        let mut input = BytesMut::new();
        input.extend_from_slice(&(MAX as i32 + 1).to_be_bytes());
        let err = codec.decode(&mut input, Framing::Responses).unwrap_err();
        assert_eq!(
            err,
            FrameError::Size {
                size: MAX as i32 + 1,
                min: 4,
                max: MAX
            }
        );
        assert!(input.capacity() < 1024, "{}", input.capacity());
        let text = err.to_error(&"b:9092", false).to_string();
        assert!(
            text.contains("broker b:9092 sent a frame of 1048577 bytes")
                && text.contains("or a TLS listener"),
            "{text}"
        );
        let text = err.to_error(&"b:9093", true).to_string();
        assert!(!text.contains("TLS listener"), "{text}");
        // A TLS record header read as a size ("\x15\x03\x03\x00" from a TLS alert).
        let mut tls = BytesMut::from(&[0x15u8, 0x03, 0x03, 0x00, 0x02][..]);
        assert!(matches!(
            codec.decode(&mut tls, Framing::Responses),
            Err(FrameError::Size { .. })
        ));
    }

    #[test]
    fn negative_and_too_small_sizes_are_errors() {
        let mut codec = codec_awaiting(&[0]);
        for size in [-1i32, i32::MIN, 0, 3] {
            let mut input = BytesMut::from(&size.to_be_bytes()[..]);
            let err = codec.decode(&mut input, Framing::Responses).unwrap_err();
            assert_eq!(
                err,
                FrameError::Size {
                    size,
                    min: 4,
                    max: MAX
                }
            );
            assert_eq!(
                err.to_error(&"b:1", false).kind(),
                ErrorKind::CorruptMessage
            );
        }
        // Raw SASL frames may be empty, never negative.
        let mut input = BytesMut::from(&0i32.to_be_bytes()[..]);
        match codec.decode(&mut input, Framing::RawSasl).unwrap() {
            Some(Frame::Raw(token)) => assert!(token.is_empty()),
            other => panic!("{other:?}"),
        }
        let mut input = BytesMut::from(&(-4i32).to_be_bytes()[..]);
        assert!(codec.decode(&mut input, Framing::RawSasl).is_err());
        assert_eq!(codec.in_flight_len(), 1, "raw frames answer no request");
    }

    #[test]
    fn a_claimed_frame_size_reserves_only_what_arrived() {
        let mut codec = Codec::new(None, 200 << 20);
        // Four bytes claim a 100 MiB frame: the buffer must not grow to match.
        let mut input = BytesMut::new();
        input.extend_from_slice(&(100i32 << 20).to_be_bytes());
        assert!(codec
            .decode(&mut input, Framing::Responses)
            .unwrap()
            .is_none());
        assert!(input.capacity() <= 128 * 1024, "{}", input.capacity());
        // As bytes arrive, it grows at most to twice what is there.
        input.extend_from_slice(&vec![0u8; 1 << 20]);
        assert!(codec
            .decode(&mut input, Framing::Responses)
            .unwrap()
            .is_none());
        assert!(input.capacity() <= 3 << 20, "{}", input.capacity());
        // A small frame gets its room at once.
        let mut small = BytesMut::new();
        small.extend_from_slice(&100i32.to_be_bytes());
        assert!(codec
            .decode(&mut small, Framing::Responses)
            .unwrap()
            .is_none());
        assert!(small.capacity() >= 104);
    }

    #[test]
    fn a_response_with_an_unknown_correlation_id_is_an_error_and_keeps_the_request() {
        let mut codec = codec_awaiting(&[0, 2]);
        let mut input = BytesMut::from(&v1_response(2, b"")[..]);
        let err = codec.decode(&mut input, Framing::Responses).unwrap_err();
        assert_eq!(
            err,
            FrameError::OutOfOrder {
                correlation_id: 2,
                expected: 0
            }
        );
        let text = err.to_error(&"b:1", false);
        assert_eq!(text.kind(), ErrorKind::UnexpectedResponse);
        assert!(
            text.to_string()
                .contains("broker b:1 answered correlation id 2, expected 0"),
            "{text}"
        );
        // Both requests are still awaited, oldest first, to be failed on close.
        let ids: Vec<i32> = codec.drain_in_flight().map(|r| r.correlation_id).collect();
        assert_eq!(ids, [0, 2]);
        // With nothing in flight, any response is unsolicited.
        let mut input = BytesMut::from(&v1_response(9, b"")[..]);
        let err = codec.decode(&mut input, Framing::Responses).unwrap_err();
        assert_eq!(err, FrameError::Unsolicited { correlation_id: 9 });
        assert!(err
            .to_error(&"b:1", false)
            .to_string()
            .contains("nobody asked for"));
    }

    #[test]
    fn header_v1_tagged_fields_are_skipped() {
        let mut codec = codec_awaiting(&[0]);
        // Correlation id 0, two tagged fields (tag 0: 1 byte, tag 5: 2 bytes), body.
        let mut inner = 0i32.to_be_bytes().to_vec();
        inner.extend_from_slice(&[2, 0, 1, 0xaa, 5, 2, 0xbb, 0xcc]);
        inner.extend_from_slice(b"body");
        let mut input = BytesMut::from(&frame(&inner)[..]);
        let (_, response) = expect_response(codec.decode(&mut input, Framing::Responses).unwrap());
        assert_eq!(response.header_len, 12);
        assert_eq!(&response.body()[..], b"body");
    }

    #[test]
    fn a_truncated_header_fails_its_request_and_keeps_the_stream() {
        let mut codec = codec_awaiting(&[0, 2]);
        // One tagged field claiming 9 bytes, of which the frame holds 2.
        let mut inner = 0i32.to_be_bytes().to_vec();
        inner.extend_from_slice(&[1, 0, 9, 0xaa, 0xbb]);
        let mut input = BytesMut::new();
        input.extend_from_slice(&frame(&inner));
        // A header that ends inside its tag count.
        let mut inner = 2i32.to_be_bytes().to_vec();
        inner.push(0x80);
        input.extend_from_slice(&frame(&inner));
        for id in [0, 2] {
            match codec.decode(&mut input, Framing::Responses).unwrap() {
                Some(Frame::Response { request, result }) => {
                    assert_eq!(request.correlation_id, id);
                    let err = result.unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::CorruptMessage, "{err}");
                    assert!(err.to_string().contains("truncated"), "{err}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(input.is_empty());
        assert_eq!(codec.in_flight_len(), 0);
    }

    #[test]
    fn raw_sasl_frames_carry_no_header() {
        let mut codec = Codec::new(None, MAX);
        let mut out = WriteQueue::default();
        Codec::encode_raw(&mut out, b"\0ann\0pw").unwrap();
        let out = out.to_vec();
        assert_eq!(out, frame(b"\0ann\0pw"));
        let mut input = BytesMut::from(&out[..]);
        match codec.decode(&mut input, Framing::RawSasl).unwrap() {
            Some(Frame::Raw(token)) => assert_eq!(&token[..], b"\0ann\0pw"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn internal_correlation_ids_count_down_and_wrap() {
        let mut codec = Codec::new(None, MAX);
        assert_eq!(codec.next_internal_id(), -1);
        assert_eq!(codec.next_internal_id(), -2);
        codec.next_internal_id = i32::MIN;
        assert_eq!(codec.next_internal_id(), i32::MIN);
        assert_eq!(codec.next_internal_id(), -1);
        codec.next_internal_id();
        codec.reset_internal_ids();
        assert_eq!(codec.next_internal_id(), -1);
    }

    #[test]
    fn the_earliest_deadline_is_the_soonest_in_flight() {
        let mut codec = Codec::new(None, MAX);
        assert_eq!(codec.earliest_deadline(), None);
        let now = Instant::now();
        let mut out = WriteQueue::default();
        for (id, secs) in [(0, 9), (1, 3), (2, 5)] {
            codec
                .encode_request(
                    &mut out,
                    &MetadataRequest::default(),
                    12,
                    id,
                    Expect::Response {
                        deadline: now + Duration::from_secs(secs),
                        internal: false,
                    },
                )
                .expect("encode");
        }
        assert_eq!(
            codec.earliest_deadline(),
            Some(now + Duration::from_secs(3))
        );
    }
}
