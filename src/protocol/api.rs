//! The API table: for each API this client speaks, the request and response types, the
//! version range it supports and the first flexible version. Version negotiation picks,
//! per broker and per API, the highest version both sides support. The API keys and
//! their names are in [`api_key`](super::api_key).

use std::fmt;

use bytes::Bytes;

pub use super::api_key::ApiKey;
use super::header::{decode_response_header, RequestHeader};
use super::primitives::{ChunkedBuf, Reader, Write};
use super::schema::{Ctx, Field, FieldSpec};
use crate::error::{ErrorKind, KafkaError, Result};

/// What this client supports of one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSupport {
    /// The API.
    pub key: ApiKey,
    /// The lowest version this client speaks.
    pub min_version: i16,
    /// The highest version this client speaks.
    pub max_version: i16,
    /// The first flexible version (KIP-482), or `i16::MAX` if none is.
    pub first_flexible: i16,
}

impl ApiSupport {
    /// Whether `version` of this API is flexible.
    pub fn is_flexible(&self, version: i16) -> bool {
        version >= self.first_flexible
    }

    /// The encoding context of `version`.
    pub fn ctx(&self, version: i16) -> Ctx {
        Ctx {
            version,
            flexible: self.is_flexible(version),
        }
    }

    /// The request header version for `version` of this API.
    pub fn request_header_version(&self, version: i16) -> i16 {
        if self.is_flexible(version) {
            2
        } else {
            1
        }
    }

    /// The response header version for `version` of this API. ApiVersions responses
    /// always use header v0 (KIP-511).
    pub fn response_header_version(&self, version: i16) -> i16 {
        if self.is_flexible(version) && self.key != ApiKey::API_VERSIONS {
            1
        } else {
            0
        }
    }

    /// The highest version in both this client's range and the broker's
    /// `[broker_min, broker_max]`, or `None` if the ranges do not meet.
    pub fn negotiate(&self, broker_min: i16, broker_max: i16) -> Option<i16> {
        let version = self.max_version.min(broker_max);
        (version >= self.min_version.max(broker_min)).then_some(version)
    }
}

/// The schema of one API of the table: its row and the descriptions of its request and
/// response bodies (see [`FieldSpec`]), for the protocol conformance test
/// (`tests/protocol_conformance.rs`), which walks them against the Kafka message specs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ApiSchema {
    /// The API's row: key, version range and first flexible version.
    pub support: ApiSupport,
    /// The request type's name, e.g. `"MetadataRequest"`.
    pub request_type: &'static str,
    /// The request body's fields.
    pub request_fields: &'static [FieldSpec],
    /// The response type's name, e.g. `"MetadataResponse"`.
    pub response_type: &'static str,
    /// The response body's fields.
    pub response_fields: &'static [FieldSpec],
}

/// A request of one API: its response type and its row in the API table.
pub trait Request: Field + fmt::Debug {
    /// The response type.
    type Response: Field + fmt::Debug;
    /// What this client supports of the API.
    const SUPPORT: ApiSupport;
}

/// A top-level request or response body: knows whether a version is flexible.
pub trait Versioned {
    /// The encoding context of `version`.
    fn ctx(version: i16) -> Ctx;
}

macro_rules! api_table {
    ($($key:ident => $req:ty, $resp:ty, [$min:literal ..= $max:literal], flexible $flex:tt;)*) => {
        $(
            impl Request for $req {
                type Response = $resp;
                const SUPPORT: ApiSupport = ApiSupport {
                    key: ApiKey::$key,
                    min_version: $min,
                    max_version: $max,
                    first_flexible: api_table!(@flex $flex),
                };
            }
            impl Versioned for $req {
                fn ctx(version: i16) -> Ctx {
                    <$req as Request>::SUPPORT.ctx(version)
                }
            }
            impl Versioned for $resp {
                fn ctx(version: i16) -> Ctx {
                    <$req as Request>::SUPPORT.ctx(version)
                }
            }
        )*

        /// Every API this client speaks, with its supported versions.
        pub const SUPPORTED_APIS: &[ApiSupport] = &[ $( <$req as Request>::SUPPORT, )* ];

        /// Every API this client speaks, with the descriptions of its request and
        /// response schemas, in the order of [`SUPPORTED_APIS`].
        #[doc(hidden)]
        pub const API_SCHEMAS: &[ApiSchema] = &[
            $(
                ApiSchema {
                    support: <$req as Request>::SUPPORT,
                    request_type: stringify!($req),
                    request_fields: <$req>::FIELDS,
                    response_type: stringify!($resp),
                    response_fields: <$resp>::FIELDS,
                },
            )*
        ];

        /// Decodes `frame` as the request body and as the response frame of the
        /// `index`-th API of the table at `version`, discarding the results. For fuzzing:
        /// it must return (an error is fine) for any input.
        pub(crate) fn decode_both(index: usize, version: i16, frame: Bytes) {
            let mut i = 0;
            $(
                if i == index {
                    let ctx = <$req as Request>::SUPPORT.ctx(version);
                    let _ = <$req as Field>::decode(&mut Reader::new(frame.clone()), ctx);
                    let _ = decode_response::<$req>(frame, version);
                    return;
                }
                i += 1;
            )*
            let _ = i;
        }
    };
    (@flex none) => { i16::MAX };
    (@flex $v:literal) => { $v };
}

use super::messages::*;

// One row per API: the request and response types, the versions this client speaks
// (the lowest is what Kafka 0.11 brokers speak, or the first that carries record batch
// v2; the highest is the newest in the message spec), and the first flexible version.
api_table! {
    PRODUCE => ProduceRequest, ProduceResponse, [3..=12], flexible 9;
    FETCH => FetchRequest, FetchResponse, [4..=17], flexible 12;
    LIST_OFFSETS => ListOffsetsRequest, ListOffsetsResponse, [1..=9], flexible 6;
    METADATA => MetadataRequest, MetadataResponse, [0..=12], flexible 9;
    OFFSET_COMMIT => OffsetCommitRequest, OffsetCommitResponse, [2..=9], flexible 8;
    OFFSET_FETCH => OffsetFetchRequest, OffsetFetchResponse, [1..=9], flexible 6;
    FIND_COORDINATOR => FindCoordinatorRequest, FindCoordinatorResponse, [0..=6], flexible 3;
    JOIN_GROUP => JoinGroupRequest, JoinGroupResponse, [0..=9], flexible 6;
    HEARTBEAT => HeartbeatRequest, HeartbeatResponse, [0..=4], flexible 4;
    LEAVE_GROUP => LeaveGroupRequest, LeaveGroupResponse, [0..=5], flexible 4;
    SYNC_GROUP => SyncGroupRequest, SyncGroupResponse, [0..=5], flexible 4;
    SASL_HANDSHAKE => SaslHandshakeRequest, SaslHandshakeResponse, [0..=1], flexible none;
    API_VERSIONS => ApiVersionsRequest, ApiVersionsResponse, [0..=4], flexible 3;
    CREATE_TOPICS => CreateTopicsRequest, CreateTopicsResponse, [2..=7], flexible 5;
    DELETE_TOPICS => DeleteTopicsRequest, DeleteTopicsResponse, [1..=6], flexible 4;
    INIT_PRODUCER_ID => InitProducerIdRequest, InitProducerIdResponse, [0..=5], flexible 2;
    SASL_AUTHENTICATE => SaslAuthenticateRequest, SaslAuthenticateResponse, [0..=2], flexible 2;
    DESCRIBE_CLUSTER => DescribeClusterRequest, DescribeClusterResponse, [0..=1], flexible 0;
    OFFSET_FOR_LEADER_EPOCH => OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, [2..=4], flexible 4;
    ADD_PARTITIONS_TO_TXN => AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, [0..=3], flexible 3;
    ADD_OFFSETS_TO_TXN => AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, [0..=4], flexible 3;
    // EndTxn 5, TxnOffsetCommit 5 and Produce 12 mean transactions protocol v2
    // (KIP-890); the transactional producer caps them below that on v1 clusters.
    END_TXN => EndTxnRequest, EndTxnResponse, [0..=5], flexible 3;
    TXN_OFFSET_COMMIT => TxnOffsetCommitRequest, TxnOffsetCommitResponse, [0..=5], flexible 3;
    // The consumer group protocol of KIP-848; version 1 means a client-generated
    // member id (KIP-1082) and allows a subscribed regex.
    CONSUMER_GROUP_HEARTBEAT => ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, [0..=1], flexible 0;
    // Admin APIs, group A (topics, configs, ACLs, records, logs):
    CREATE_PARTITIONS => CreatePartitionsRequest, CreatePartitionsResponse, [0..=3], flexible 2;
    DESCRIBE_CONFIGS => DescribeConfigsRequest, DescribeConfigsResponse, [1..=4], flexible 4;
    ALTER_CONFIGS => AlterConfigsRequest, AlterConfigsResponse, [0..=2], flexible 2;
    INCREMENTAL_ALTER_CONFIGS => IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, [0..=1], flexible 1;
    CREATE_ACLS => CreateAclsRequest, CreateAclsResponse, [1..=3], flexible 2;
    DESCRIBE_ACLS => DescribeAclsRequest, DescribeAclsResponse, [1..=3], flexible 2;
    DELETE_ACLS => DeleteAclsRequest, DeleteAclsResponse, [1..=3], flexible 2;
    DELETE_RECORDS => DeleteRecordsRequest, DeleteRecordsResponse, [0..=2], flexible 2;
    DESCRIBE_LOG_DIRS => DescribeLogDirsRequest, DescribeLogDirsResponse, [1..=4], flexible 2;
    ELECT_LEADERS => ElectLeadersRequest, ElectLeadersResponse, [0..=2], flexible 2;
    ALTER_PARTITION_REASSIGNMENTS => AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, [0..=0], flexible 0;
    LIST_PARTITION_REASSIGNMENTS => ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, [0..=0], flexible 0;
    // Admin APIs, group B (groups, users, quorum, transactions, reassignments):
    LIST_GROUPS => ListGroupsRequest, ListGroupsResponse, [0..=5], flexible 3;
    DESCRIBE_GROUPS => DescribeGroupsRequest, DescribeGroupsResponse, [0..=5], flexible 5;
    DELETE_GROUPS => DeleteGroupsRequest, DeleteGroupsResponse, [0..=2], flexible 2;
    OFFSET_DELETE => OffsetDeleteRequest, OffsetDeleteResponse, [0..=0], flexible none;
    CONSUMER_GROUP_DESCRIBE => ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, [0..=1], flexible 0;
    DESCRIBE_USER_SCRAM_CREDENTIALS => DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, [0..=0], flexible 0;
    ALTER_USER_SCRAM_CREDENTIALS => AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, [0..=0], flexible 0;
    DESCRIBE_QUORUM => DescribeQuorumRequest, DescribeQuorumResponse, [0..=2], flexible 0;
    DESCRIBE_PRODUCERS => DescribeProducersRequest, DescribeProducersResponse, [0..=0], flexible 0;
    LIST_TRANSACTIONS => ListTransactionsRequest, ListTransactionsResponse, [0..=1], flexible 0;
    DESCRIBE_TRANSACTIONS => DescribeTransactionsRequest, DescribeTransactionsResponse, [0..=0], flexible 0;
}

/// The [`ApiSupport`] row of `key`, if this client speaks that API.
pub fn support(key: ApiKey) -> Option<&'static ApiSupport> {
    SUPPORTED_APIS.iter().find(|s| s.key == key)
}

/// Encodes a whole request frame: the `INT32` size, the header and the body of
/// `request` at `version`. Record batches are kept by reference, not copied (see
/// [`ChunkedBuf`]): the frame's chunks hold the batches' own buffers.
///
/// Fails only for a frame larger than the `INT32` size can say (2 GiB).
pub fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) -> Result<ChunkedBuf> {
    let support = R::SUPPORT;
    // Room for the size, the header and a small body; larger ones grow the buffer.
    let mut buf = ChunkedBuf::with_capacity(128);
    buf.put_i32(0); // size, patched below
    RequestHeader {
        api_key: support.key,
        api_version: version,
        correlation_id,
        client_id,
    }
    .encode(&mut buf, support.request_header_version(version));
    request.encode(&mut buf, support.ctx(version));
    let size = buf
        .len()
        .checked_sub(4)
        .and_then(|size| i32::try_from(size).ok())
        .ok_or_else(|| {
            KafkaError::new(
                ErrorKind::RecordTooLarge,
                format!(
                    "a {} request of {} bytes does not fit in a frame",
                    support.key.name(),
                    buf.len()
                ),
            )
        })?;
    buf.patch(0, &size.to_be_bytes());
    Ok(buf)
}

/// Reads the correlation id at the start of a response frame (the frame without its
/// size prefix). Every response header starts with it.
pub fn peek_correlation_id(frame: &[u8]) -> Result<i32> {
    match frame.get(..4) {
        Some(b) => Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(KafkaError::corrupt(format!(
            "response frame of {} bytes is too short for a header",
            frame.len()
        ))),
    }
}

/// Decodes a response frame (without its size prefix) of `R` at `version`.
pub fn decode_response<R: Request>(frame: Bytes, version: i16) -> Result<R::Response> {
    let support = R::SUPPORT;
    let mut r = Reader::new(frame);
    decode_response_header(&mut r, support.response_header_version(version))?;
    R::Response::decode(&mut r, support.ctx(version)).map_err(|e| {
        e.context(format!(
            "decoding {} v{} response",
            support.key.name(),
            version
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_picks_highest_common_version() {
        let s = ApiSupport {
            key: ApiKey::PRODUCE,
            min_version: 3,
            max_version: 11,
            first_flexible: 9,
        };
        assert_eq!(s.negotiate(0, 11), Some(11));
        assert_eq!(s.negotiate(0, 7), Some(7));
        assert_eq!(s.negotiate(0, 13), Some(11));
        assert_eq!(s.negotiate(0, 2), None);
        assert_eq!(s.negotiate(12, 13), None);
        assert!(s.is_flexible(9) && !s.is_flexible(8));
    }

    #[test]
    fn api_schemas_follow_the_table() {
        assert_eq!(API_SCHEMAS.len(), SUPPORTED_APIS.len());
        for (schema, support) in API_SCHEMAS.iter().zip(SUPPORTED_APIS) {
            assert_eq!(schema.support, *support);
            assert!(schema.request_type.ends_with("Request"));
            assert!(schema.response_type.ends_with("Response"));
        }
        let metadata = API_SCHEMAS
            .iter()
            .find(|s| s.support.key == ApiKey::METADATA)
            .expect("Metadata is in the table");
        assert_eq!(metadata.support.key, ApiKey::METADATA);
        assert_eq!(metadata.request_fields[0].name, "topics");
        assert!(metadata.request_fields[0].nested.is_some());
    }

    #[test]
    fn supported_apis_are_unique_and_ordered_ranges() {
        for (i, a) in SUPPORTED_APIS.iter().enumerate() {
            assert!(a.min_version <= a.max_version, "{:?}", a.key);
            assert!(
                SUPPORTED_APIS[i + 1..].iter().all(|b| b.key != a.key),
                "{:?} listed twice",
                a.key
            );
        }
    }
}
