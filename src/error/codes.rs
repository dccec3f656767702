//! The broker error codes of the Kafka protocol, one row per code.

use std::fmt;

/// A broker error code, as carried in responses.
///
/// The well-known codes are associated constants (`ErrorCode::NOT_LEADER_OR_FOLLOWER`);
/// a code this client does not know is kept as is, named `UNKNOWN_BROKER_ERROR`
/// (`Display` and `Debug` still show the number) and treated as non-retriable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ErrorCode(pub i16);

/// One row of the table: number, name, retriable, invalid-metadata, description.
struct Row {
    code: i16,
    name: &'static str,
    retriable: bool,
    invalid_metadata: bool,
    description: &'static str,
}

macro_rules! error_codes {
    ($( $code:literal $name:ident $retriable:literal $invalid_metadata:literal $desc:literal ;)*) => {
        impl ErrorCode {
            $(
                #[doc = $desc]
                pub const $name: ErrorCode = ErrorCode($code);
            )*
        }

        static TABLE: &[Row] = &[
            $( Row {
                code: $code,
                name: stringify!($name),
                retriable: $retriable,
                invalid_metadata: $invalid_metadata,
                description: $desc,
            }, )*
        ];
    };
}

// code, name, retriable, invalid_metadata, description
//
// Numbers, names and flags follow Apache Kafka's `Errors.java`: a code is retriable when its
// Java exception extends `RetriableException`, and invalid-metadata when it extends
// `InvalidMetadataException` (every such code is also retriable).
#[rustfmt::skip]
error_codes! {
    -1 UNKNOWN_SERVER_ERROR false false "The broker hit an unexpected internal error while handling the request; its log may say more.";
    0 NONE false false "The request succeeded.";
    1 OFFSET_OUT_OF_RANGE false false "The requested offset lies outside the range the partition currently holds; reset the position and fetch again.";
    2 CORRUPT_MESSAGE true false "A record failed its CRC check, exceeded the allowed size, lacked a key on a compacted topic, or was otherwise malformed.";
    3 UNKNOWN_TOPIC_OR_PARTITION true true "The broker does not host this topic-partition; it may not exist (yet) or the client's metadata may be stale.";
    4 INVALID_FETCH_SIZE false false "The fetch request asked for an invalid number of bytes.";
    5 LEADER_NOT_AVAILABLE true true "The partition has no leader right now, usually because an election is under way; refresh metadata and retry.";
    6 NOT_LEADER_OR_FOLLOWER true true "The broker is not the partition's leader (for leader-only requests) or not one of its replicas; refresh metadata and retry.";
    7 REQUEST_TIMED_OUT true false "The broker did not complete the request within its timeout.";
    8 BROKER_NOT_AVAILABLE false false "A broker the request depends on is currently down or unreachable.";
    9 REPLICA_NOT_AVAILABLE true true "The requested replica of this partition is not available on the broker.";
    10 MESSAGE_TOO_LARGE false false "A record is bigger than the broker accepts; shrink it or raise the topic's max.message.bytes.";
    11 STALE_CONTROLLER_EPOCH false false "The request came from a controller that has since been replaced by another broker.";
    12 OFFSET_METADATA_TOO_LARGE false false "The metadata string attached to a committed offset is longer than the broker allows.";
    13 NETWORK_EXCEPTION true true "The connection to the broker was lost before a response arrived.";
    14 COORDINATOR_LOAD_IN_PROGRESS true false "The coordinator is still loading its state and cannot serve requests yet; retry shortly.";
    15 COORDINATOR_NOT_AVAILABLE true false "No coordinator is available for this group or transactional id at the moment.";
    16 NOT_COORDINATOR true false "The broker is not the coordinator for this group or transactional id; look the coordinator up again.";
    17 INVALID_TOPIC_EXCEPTION false false "The topic name is invalid, or the operation is not allowed on this topic.";
    18 RECORD_LIST_TOO_LARGE false false "The record batch is larger than the segment size configured for the topic.";
    19 NOT_ENOUGH_REPLICAS true false "The write was refused because fewer replicas are in sync than min.insync.replicas requires.";
    20 NOT_ENOUGH_REPLICAS_AFTER_APPEND true false "The records were appended, but fewer in-sync replicas than required acknowledged them.";
    21 INVALID_REQUIRED_ACKS false false "The produce request used an acks value the broker does not accept.";
    22 ILLEGAL_GENERATION false false "The group generation id in the request is not the current one; the member must rejoin.";
    23 INCONSISTENT_GROUP_PROTOCOL false false "The member's protocol type or protocols are missing or incompatible with those of the group.";
    24 INVALID_GROUP_ID false false "The group id is empty or otherwise invalid.";
    25 UNKNOWN_MEMBER_ID false false "The coordinator does not know this member id; rejoin the group without one.";
    26 INVALID_SESSION_TIMEOUT false false "The requested session timeout falls outside the bounds set by the broker's group.min.session.timeout.ms and group.max.session.timeout.ms.";
    27 REBALANCE_IN_PROGRESS false false "The group is rebalancing, so the member has to rejoin.";
    28 INVALID_COMMIT_OFFSET_SIZE false false "The offset commit carries data of an invalid size.";
    29 TOPIC_AUTHORIZATION_FAILED false false "The principal is not authorized to access the topic.";
    30 GROUP_AUTHORIZATION_FAILED false false "The principal is not authorized to access the group.";
    31 CLUSTER_AUTHORIZATION_FAILED false false "The principal is not authorized to perform this cluster-level operation.";
    32 INVALID_TIMESTAMP false false "A record timestamp falls outside the range the broker accepts.";
    33 UNSUPPORTED_SASL_MECHANISM false false "The SASL mechanism the client asked for is not enabled on the broker.";
    34 ILLEGAL_SASL_STATE false false "The request is not allowed at this stage of the SASL exchange.";
    35 UNSUPPORTED_VERSION false false "The broker does not support the API version used by the request.";
    36 TOPIC_ALREADY_EXISTS false false "A topic with this name exists already.";
    37 INVALID_PARTITIONS false false "The requested partition count is invalid, for example less than one.";
    38 INVALID_REPLICATION_FACTOR false false "The replication factor is invalid: less than one, or more than there are brokers available.";
    39 INVALID_REPLICA_ASSIGNMENT false false "The explicit replica assignment in the request is invalid.";
    40 INVALID_CONFIG false false "A configuration entry in the request is invalid.";
    41 NOT_CONTROLLER true false "The broker is not the active controller; refresh metadata and send the request to the controller.";
    42 INVALID_REQUEST false false "The broker could not make sense of the request, most likely a client bug or an incompatible broker; see the broker log.";
    43 UNSUPPORTED_FOR_MESSAGE_FORMAT false false "The request needs a newer message format than the broker or topic uses.";
    44 POLICY_VIOLATION false false "The request breaks a policy configured on the broker.";
    45 OUT_OF_ORDER_SEQUENCE_NUMBER false false "The broker got a producer sequence number out of order, so records may have been lost.";
    46 DUPLICATE_SEQUENCE_NUMBER false false "The broker got a producer sequence number it has already seen.";
    47 INVALID_PRODUCER_EPOCH false false "The producer used an epoch older than the current one for its producer id.";
    48 INVALID_TXN_STATE false false "The transactional operation is not allowed in the transaction's current state.";
    49 INVALID_PRODUCER_ID_MAPPING false false "The producer id is not the one currently assigned to this transactional id.";
    50 INVALID_TRANSACTION_TIMEOUT false false "The transaction timeout exceeds the broker's transaction.max.timeout.ms.";
    51 CONCURRENT_TRANSACTIONS true false "Another operation on the same transaction is still running; retry once it completes.";
    52 TRANSACTION_COORDINATOR_FENCED false false "The coordinator that sent the transaction markers is no longer the coordinator for this producer.";
    53 TRANSACTIONAL_ID_AUTHORIZATION_FAILED false false "The principal is not authorized to use this transactional id.";
    54 SECURITY_DISABLED false false "The operation needs security features that are disabled on the broker.";
    55 OPERATION_NOT_ATTEMPTED false false "The broker skipped this operation, typically because another one in the same batch failed.";
    56 KAFKA_STORAGE_ERROR true true "The broker hit a disk error reading or writing the partition's log; refresh metadata and retry.";
    57 LOG_DIR_NOT_FOUND false false "The requested log directory is not configured on the broker.";
    58 SASL_AUTHENTICATION_FAILED false false "SASL authentication failed, for example because of wrong credentials.";
    59 UNKNOWN_PRODUCER_ID false false "The broker holds no state for this producer id, for example because retention removed all its records.";
    60 REASSIGNMENT_IN_PROGRESS false false "The operation conflicts with a partition reassignment that is under way.";
    61 DELEGATION_TOKEN_AUTH_DISABLED false false "Delegation tokens are not enabled on the cluster.";
    62 DELEGATION_TOKEN_NOT_FOUND false false "The broker does not know this delegation token.";
    63 DELEGATION_TOKEN_OWNER_MISMATCH false false "The principal is neither the owner nor a renewer of the delegation token.";
    64 DELEGATION_TOKEN_REQUEST_NOT_ALLOWED false false "Delegation token requests are refused on plaintext, one-way SSL and token-authenticated connections.";
    65 DELEGATION_TOKEN_AUTHORIZATION_FAILED false false "The principal is not authorized to perform this delegation token operation.";
    66 DELEGATION_TOKEN_EXPIRED false false "This delegation token is past its expiry time; create a new one.";
    67 INVALID_PRINCIPAL_TYPE false false "The principal type given in the request is not supported.";
    68 NON_EMPTY_GROUP false false "The group still has members, so the operation is refused.";
    69 GROUP_ID_NOT_FOUND false false "No group with this id exists.";
    70 FETCH_SESSION_ID_NOT_FOUND true false "The broker does not know this fetch session; start a new one.";
    71 INVALID_FETCH_SESSION_EPOCH true false "The fetch session epoch is not the one the broker expects; start a new session.";
    72 LISTENER_NOT_FOUND true true "The partition leader has no listener matching the one the metadata request arrived on.";
    73 TOPIC_DELETION_DISABLED false false "Deleting topics is disabled on the cluster (delete.topic.enable=false).";
    74 FENCED_LEADER_EPOCH true true "The leader epoch in the request is older than the broker's; refresh metadata and retry.";
    75 UNKNOWN_LEADER_EPOCH true false "The leader epoch in the request is newer than the broker knows, so the broker is lagging; retry later.";
    76 UNSUPPORTED_COMPRESSION_TYPE false false "This partition uses a compression codec the requesting client cannot decode.";
    77 STALE_BROKER_EPOCH false false "The broker epoch in the request is out of date.";
    78 OFFSET_NOT_AVAILABLE true false "After a leader change the new leader's high watermark has not caught up, so offsets cannot be served yet; retry.";
    79 MEMBER_ID_REQUIRED false false "The member must join again using the member id the coordinator has just assigned to it.";
    80 PREFERRED_LEADER_NOT_AVAILABLE true true "The preferred replica could not be made leader of the partition.";
    81 GROUP_MAX_SIZE_REACHED false false "The group already has as many members as the broker allows.";
    82 FENCED_INSTANCE_ID false false "Another member registered with the same group.instance.id has replaced this static member.";
    83 ELIGIBLE_LEADERS_NOT_AVAILABLE true true "No replica eligible to lead the partition is available.";
    84 ELECTION_NOT_NEEDED true true "The partition needed no leader election.";
    85 NO_REASSIGNMENT_IN_PROGRESS false false "There is no partition reassignment under way to act on.";
    86 GROUP_SUBSCRIBED_TO_TOPIC false false "The group's offsets for a topic cannot be deleted while the group is subscribed to it.";
    87 INVALID_RECORD false false "The broker rejected a record that failed its validation.";
    88 UNSTABLE_OFFSET_COMMIT true false "Offsets for the partition are pending in an open transaction; retry once it finishes.";
    89 THROTTLING_QUOTA_EXCEEDED true false "The request exceeded the principal's throttling quota; retry later.";
    90 PRODUCER_FENCED false false "A newer producer with the same transactional id has fenced this one; close it.";
    91 RESOURCE_NOT_FOUND false false "A resource named in the request does not exist.";
    92 DUPLICATE_RESOURCE false false "The request names the same resource more than once.";
    93 UNACCEPTABLE_CREDENTIAL false false "The requested credential does not meet the broker's acceptance criteria.";
    94 INCONSISTENT_VOTER_SET false false "The sender or the receiver of a voter-only request is not one of the expected voters.";
    95 INVALID_UPDATE_VERSION false false "The update version in the request is invalid.";
    96 FEATURE_UPDATE_FAILED false false "The finalized features could not be updated because of an unexpected server error.";
    97 PRINCIPAL_DESERIALIZATION_FAILURE false false "The principal of a forwarded request could not be deserialized, which points to a broken security setup in the cluster.";
    98 SNAPSHOT_NOT_FOUND false false "The requested snapshot does not exist.";
    99 POSITION_OUT_OF_RANGE false false "The requested position is negative or lies beyond the end of the snapshot.";
    100 UNKNOWN_TOPIC_ID true true "The broker does not host a topic with this id; refresh metadata and retry.";
    101 DUPLICATE_BROKER_REGISTRATION false false "Another broker has already registered with this broker id.";
    102 BROKER_ID_NOT_REGISTERED false false "No broker is registered under the given id.";
    103 INCONSISTENT_TOPIC_ID true true "The topic id in the request differs from the id of the log on the broker.";
    104 INCONSISTENT_CLUSTER_ID false false "The cluster id in the request differs from the one the server has.";
    105 TRANSACTIONAL_ID_NOT_FOUND false false "No transactional id with this name exists.";
    106 FETCH_SESSION_TOPIC_ID_ERROR true false "The fetch session used topic ids inconsistently; start a new session.";
    107 INELIGIBLE_REPLICA false false "The proposed in-sync replica set includes a replica that is not eligible.";
    108 NEW_LEADER_ELECTED false false "The partition state was updated, but a new leader has been elected in the meantime.";
    109 OFFSET_MOVED_TO_TIERED_STORAGE false false "The requested offset is now only available in tiered (remote) storage.";
    110 FENCED_MEMBER_EPOCH false false "The group coordinator fenced the member's epoch; the member must give up its partitions and rejoin.";
    111 UNRELEASED_INSTANCE_ID false false "Another member of the group still holds this instance id and must leave first.";
    112 UNSUPPORTED_ASSIGNOR false false "The group does not support the requested assignor or assignor version.";
    113 STALE_MEMBER_EPOCH false false "The member epoch is out of date; retry once the heartbeat response has delivered the current one.";
    114 MISMATCHED_ENDPOINT_TYPE false false "The request reached an endpoint of the wrong type, such as a broker instead of a controller.";
    115 UNSUPPORTED_ENDPOINT_TYPE false false "Endpoints of this type are not supported by the receiver yet.";
    116 UNKNOWN_CONTROLLER_ID false false "No controller with this id is known.";
    117 UNKNOWN_SUBSCRIPTION_ID false false "The telemetry push used an unknown or outdated subscription id; fetch the subscriptions again.";
    118 TELEMETRY_TOO_LARGE false false "The telemetry push is larger than the broker accepts.";
    119 INVALID_REGISTRATION false false "The controller rejected the broker's registration as invalid.";
    120 TRANSACTION_ABORTABLE false false "The transaction hit an error on the server; abort it to keep using the transactional id.";
    121 INVALID_RECORD_STATE false false "The record's delivery state does not allow this acknowledgement.";
    122 SHARE_SESSION_NOT_FOUND true false "The broker does not know this share session; start a new one.";
    123 INVALID_SHARE_SESSION_EPOCH true false "The share session epoch is not the one the broker expects.";
    124 FENCED_STATE_EPOCH false false "The share-group state epoch in the request differs from the share coordinator's, so the update was refused.";
    125 INVALID_VOTER_KEY false false "The voter key does not match the key of the replica receiving the request.";
    126 DUPLICATE_VOTER false false "The voter already belongs to the voter set.";
    127 VOTER_NOT_FOUND false false "The voter does not belong to the voter set.";
    128 INVALID_REGULAR_EXPRESSION false false "The subscription's regular expression is invalid.";
    129 REBOOTSTRAP_REQUIRED false false "The client's metadata is too stale to use; it should rebootstrap from its bootstrap servers.";
    130 STREAMS_INVALID_TOPOLOGY false false "The Kafka Streams topology sent to the group is invalid.";
    131 STREAMS_INVALID_TOPOLOGY_EPOCH false false "The Kafka Streams topology epoch sent to the group is invalid.";
    132 STREAMS_TOPOLOGY_FENCED false false "The Kafka Streams topology epoch sent to the group is outdated.";
    133 SHARE_SESSION_LIMIT_REACHED true false "The broker cannot open another share session because it has reached its limit; retry later.";
}

impl ErrorCode {
    fn row(self) -> Option<&'static Row> {
        // The table is sorted by code, so a binary search finds the row.
        TABLE
            .binary_search_by_key(&self.0, |row| row.code)
            .ok()
            .map(|i| &TABLE[i])
    }

    /// The numeric code.
    pub fn code(self) -> i16 {
        self.0
    }

    /// Whether this is the "no error" code, 0.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The code's name in upper snake case, as in the Kafka protocol documentation.
    pub fn name(self) -> &'static str {
        self.row().map_or("UNKNOWN_BROKER_ERROR", |row| row.name)
    }

    /// What the code means.
    pub fn description(self) -> &'static str {
        self.row()
            .map_or("An error code this client does not know.", |row| {
                row.description
            })
    }

    /// Whether the operation may succeed if retried.
    pub fn is_retriable(self) -> bool {
        self.row().is_some_and(|row| row.retriable)
    }

    /// Whether a transactional producer that got this error cannot go on and must be
    /// closed: it was fenced by a newer producer with its transactional id
    /// (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH), is not authorized, or the broker
    /// cannot do what transactions need.
    pub fn is_transaction_fatal(self) -> bool {
        matches!(
            self,
            ErrorCode::PRODUCER_FENCED
                | ErrorCode::INVALID_PRODUCER_EPOCH
                | ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED
                | ErrorCode::CLUSTER_AUTHORIZATION_FAILED
                | ErrorCode::INVALID_PRODUCER_ID_MAPPING
                | ErrorCode::UNSUPPORTED_VERSION
                | ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT
        )
    }

    /// Whether the client should refresh its metadata before retrying.
    pub fn is_invalid_metadata(self) -> bool {
        self.row().is_some_and(|row| row.invalid_metadata)
    }

    /// `Ok(())` for code 0, otherwise a [`KafkaError`](crate::KafkaError) naming `context`.
    pub fn check(self, context: impl fmt::Display) -> crate::Result<()> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(crate::KafkaError::broker(self, context))
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    /// Checks one row by number: name, flags and the associated constant.
    fn check(code: i16, name: &str, retriable: bool, invalid_metadata: bool) {
        let error = ErrorCode(code);
        assert_eq!(error.name(), name, "name of code {code}");
        assert_eq!(error.is_retriable(), retriable, "retriable flag of {name}");
        assert_eq!(
            error.is_invalid_metadata(),
            invalid_metadata,
            "invalid-metadata flag of {name}"
        );
        assert_ne!(
            error.description(),
            "An error code this client does not know.",
            "{name}"
        );
    }

    #[test]
    fn spot_check_rows() {
        check(-1, "UNKNOWN_SERVER_ERROR", false, false);
        check(0, "NONE", false, false);
        check(1, "OFFSET_OUT_OF_RANGE", false, false);
        check(2, "CORRUPT_MESSAGE", true, false);
        check(3, "UNKNOWN_TOPIC_OR_PARTITION", true, true);
        check(6, "NOT_LEADER_OR_FOLLOWER", true, true);
        check(13, "NETWORK_EXCEPTION", true, true);
        check(16, "NOT_COORDINATOR", true, false);
        check(27, "REBALANCE_IN_PROGRESS", false, false);
        check(45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, false);
        check(47, "INVALID_PRODUCER_EPOCH", false, false);
        check(56, "KAFKA_STORAGE_ERROR", true, true);
        check(59, "UNKNOWN_PRODUCER_ID", false, false);
        check(74, "FENCED_LEADER_EPOCH", true, true);
        check(75, "UNKNOWN_LEADER_EPOCH", true, false);
        check(79, "MEMBER_ID_REQUIRED", false, false);
        check(82, "FENCED_INSTANCE_ID", false, false);
        check(100, "UNKNOWN_TOPIC_ID", true, true);
        check(103, "INCONSISTENT_TOPIC_ID", true, true);
        check(120, "TRANSACTION_ABORTABLE", false, false);
        check(122, "SHARE_SESSION_NOT_FOUND", true, false);
        check(133, "SHARE_SESSION_LIMIT_REACHED", true, false);
    }

    #[test]
    fn constants_match_their_rows() {
        assert_eq!(ErrorCode::NONE, ErrorCode(0));
        assert!(ErrorCode::NONE.is_ok());
        assert_eq!(ErrorCode::MEMBER_ID_REQUIRED.code(), 79);
        assert_eq!(ErrorCode::DUPLICATE_SEQUENCE_NUMBER.code(), 46);
        assert_eq!(ErrorCode::SHARE_SESSION_LIMIT_REACHED.code(), 133);
        assert_eq!(
            ErrorCode::NOT_LEADER_OR_FOLLOWER.to_string(),
            "NOT_LEADER_OR_FOLLOWER (6)"
        );
        assert_eq!(
            format!("{:?}", ErrorCode::FENCED_LEADER_EPOCH),
            "FENCED_LEADER_EPOCH(74)"
        );
    }

    #[test]
    fn table_covers_every_code_without_gaps() {
        assert_eq!(TABLE.first().map(|row| row.code), Some(-1));
        assert_eq!(TABLE.last().map(|row| row.code), Some(133));
        for (row, expected) in TABLE.iter().zip(-1i16..) {
            assert_eq!(row.code, expected, "missing code before {}", row.name);
        }
    }

    #[test]
    fn rows_are_well_formed() {
        let mut names = std::collections::HashSet::new();
        for row in TABLE {
            assert!(names.insert(row.name), "duplicate name {}", row.name);
            // In Kafka every invalid-metadata error is also retriable.
            assert!(
                row.retriable || !row.invalid_metadata,
                "{} is invalid-metadata but not retriable",
                row.name
            );
            assert!(
                row.description.ends_with('.'),
                "description of {} is not a sentence",
                row.name
            );
        }
        let invalid_metadata = TABLE.iter().filter(|row| row.invalid_metadata).count();
        assert_eq!(invalid_metadata, 13);
    }

    #[test]
    fn unknown_codes_are_kept() {
        let code = ErrorCode(32000);
        assert_eq!(code.name(), "UNKNOWN_BROKER_ERROR");
        assert!(!code.is_retriable());
        assert_eq!(code.code(), 32000);
    }
}
