//! Fetch sessions (KIP-227, incremental fetch): what one broker remembers of the
//! consumer's fetches, so that each Fetch names only what changed.
//!
//! The first Fetch to a broker is a full one (epoch 0): it lists every partition, and
//! the broker answers with a session id. Each later Fetch of that session carries the
//! next epoch and lists only the partitions that are new or whose fetch offset, leader
//! epoch or byte limit changed; partitions to drop are listed as forgotten. The broker
//! fetches the others from the offsets it holds and answers only for partitions with
//! something new (records, a moved high watermark, an error). With many partitions of
//! which few receive data, requests and responses stay small.
//!
//! A partition whose data is still buffered is not fetched in a round, so the session
//! forgets it: the broker would otherwise send the same records again from the offset
//! it holds (the fetcher would drop them, as it drops data for any partition its
//! request did not ask for, but they would cost the broker and the network). It is
//! added back once its data is drained.
//!
//! Any failure (a session error, another top-level error, a lost request) ends the
//! session: the next Fetch is a full one that closes the old session and opens a new
//! one. This module is the bookkeeping only; the fetcher sends and receives.

use std::collections::{BTreeMap, HashMap};

use crate::client::TopicPartition;
use crate::error::ErrorCode;
use crate::protocol::Uuid;

/// The first Fetch version with sessions.
const FIRST_SESSION_VERSION: i16 = 7;

/// The epoch of a full Fetch that opens a session (and closes the one named, if any).
const INITIAL_EPOCH: i32 = 0;

/// The epoch of a full Fetch outside any session.
const SESSIONLESS_EPOCH: i32 = -1;

/// What a round asks of one partition; a change of any field is sent to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartitionFetch {
    /// The topic's id (zero when fetching by name).
    pub topic_id: Uuid,
    /// The offset to fetch from.
    pub offset: i64,
    /// The leader epoch the position was read under, or -1.
    pub leader_epoch: i32,
    /// `max.partition.fetch.bytes`.
    pub max_bytes: i32,
}

/// The session fields and the partitions of one Fetch request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SessionRequest {
    pub session_id: i32,
    pub session_epoch: i32,
    /// The partitions to list in the request, in topic order.
    pub send: Vec<(TopicPartition, PartitionFetch)>,
    /// The partitions the broker is to drop from the session, with their topic ids.
    pub forget: Vec<(TopicPartition, Uuid)>,
}

impl SessionRequest {
    /// Whether the request lists every partition (no incremental session yet).
    pub fn is_full(&self) -> bool {
        self.session_epoch <= INITIAL_EPOCH
    }
}

/// The fetch session with one broker.
#[derive(Debug)]
pub(crate) struct FetchSession {
    /// The broker's id for the session; 0 when there is none.
    id: i32,
    /// The epoch of the next request: 0 for a full one, 1 and up within a session.
    epoch: i32,
    /// The Fetch version of the session's requests: a change of version (topic ids
    /// come and go with version 13) starts a new session.
    version: i16,
    /// The partitions as the broker holds them.
    partitions: HashMap<TopicPartition, PartitionFetch>,
}

impl Default for FetchSession {
    fn default() -> Self {
        FetchSession {
            id: 0,
            epoch: INITIAL_EPOCH,
            version: -1,
            partitions: HashMap::new(),
        }
    }
}

impl FetchSession {
    /// The request that asks for `next` (every partition to fetch from this broker in
    /// this round) at Fetch `version`.
    pub fn build(
        &self,
        next: &BTreeMap<TopicPartition, PartitionFetch>,
        version: i16,
    ) -> SessionRequest {
        let all = || next.iter().map(|(tp, f)| (tp.clone(), *f)).collect();
        if version < FIRST_SESSION_VERSION {
            return SessionRequest {
                session_id: 0,
                session_epoch: SESSIONLESS_EPOCH,
                send: all(),
                forget: Vec::new(),
            };
        }
        // A partition whose topic id changed (the topic was deleted and made again)
        // is another partition to the broker: start over rather than mix them.
        let ids_changed = next.iter().any(|(tp, f)| {
            self.partitions
                .get(tp)
                .is_some_and(|held| held.topic_id != f.topic_id)
        });
        if self.epoch == INITIAL_EPOCH || version != self.version || ids_changed {
            return SessionRequest {
                session_id: self.id,
                session_epoch: INITIAL_EPOCH,
                send: all(),
                forget: Vec::new(),
            };
        }
        let send = next
            .iter()
            .filter(|(tp, f)| self.partitions.get(*tp) != Some(*f))
            .map(|(tp, f)| (tp.clone(), *f))
            .collect();
        let mut forget: Vec<(TopicPartition, Uuid)> = self
            .partitions
            .iter()
            .filter(|(tp, _)| !next.contains_key(*tp))
            .map(|(tp, held)| (tp.clone(), held.topic_id))
            .collect();
        forget.sort_by(|a, b| a.0.cmp(&b.0));
        SessionRequest {
            session_id: self.id,
            session_epoch: self.epoch,
            send,
            forget,
        }
    }

    /// Takes in the answer to `sent` (built by [`build`](Self::build) for `next` at
    /// `version`): the response's top-level `error` and `session_id`.
    pub fn on_response(
        &mut self,
        sent: &SessionRequest,
        next: BTreeMap<TopicPartition, PartitionFetch>,
        version: i16,
        error: ErrorCode,
        session_id: i32,
    ) {
        if sent.session_epoch == SESSIONLESS_EPOCH {
            return;
        }
        if error != ErrorCode::NONE {
            log::debug!(
                "fetch session {} ended: {}; the next fetch is a full one",
                self.id,
                error.name()
            );
            return self.on_failure();
        }
        if session_id == 0 {
            // The broker keeps no session (its cache is full, or it closed ours):
            // full fetches, each asking for one, until it does.
            *self = FetchSession::default();
            return;
        }
        if !sent.is_full() && session_id != self.id {
            log::debug!(
                "fetch session {} answered as session {session_id}; starting over",
                self.id
            );
            return self.on_failure();
        }
        self.id = session_id;
        self.version = version;
        self.epoch = if sent.is_full() {
            1
        } else {
            // Epochs run from 1 to i32::MAX and then start at 1 again.
            self.epoch.checked_add(1).unwrap_or(1)
        };
        self.partitions = next.into_iter().collect();
    }

    /// The request failed or its answer was lost: the broker's view of the session is
    /// unknown, so the next request is a full one that closes it and opens another.
    pub fn on_failure(&mut self) {
        self.epoch = INITIAL_EPOCH;
        self.partitions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: i16 = 13;

    fn at(offset: i64) -> PartitionFetch {
        PartitionFetch {
            topic_id: Uuid::ZERO,
            offset,
            leader_epoch: 0,
            max_bytes: 1024,
        }
    }

    fn round(parts: &[(i32, i64)]) -> BTreeMap<TopicPartition, PartitionFetch> {
        parts
            .iter()
            .map(|&(p, offset)| (TopicPartition::new("t", p), at(offset)))
            .collect()
    }

    fn partitions(list: &[(TopicPartition, PartitionFetch)]) -> Vec<(i32, i64)> {
        list.iter()
            .map(|(tp, f)| (tp.partition, f.offset))
            .collect()
    }

    /// A session the broker accepted as id 9 after a full fetch of `parts`.
    fn established(parts: &[(i32, i64)]) -> FetchSession {
        let mut session = FetchSession::default();
        let next = round(parts);
        let sent = session.build(&next, V);
        session.on_response(&sent, next, V, ErrorCode::NONE, 9);
        session
    }

    #[test]
    fn the_first_fetch_is_full_and_asks_for_a_session() {
        let session = FetchSession::default();
        let sent = session.build(&round(&[(0, 5), (1, 7)]), V);
        assert_eq!((sent.session_id, sent.session_epoch), (0, 0));
        assert_eq!(partitions(&sent.send), [(0, 5), (1, 7)]);
        assert!(sent.forget.is_empty() && sent.is_full());
    }

    #[test]
    fn within_a_session_only_changed_new_and_dropped_partitions_are_named() {
        let session = established(&[(0, 5), (1, 7), (2, 9)]);
        // Partition 0 moved on, 1 did not, 2 is buffered (left out), 3 is new.
        let sent = session.build(&round(&[(0, 6), (1, 7), (3, 0)]), V);
        assert_eq!((sent.session_id, sent.session_epoch), (9, 1));
        assert_eq!(partitions(&sent.send), [(0, 6), (3, 0)]);
        assert_eq!(sent.forget, [(TopicPartition::new("t", 2), Uuid::ZERO)]);
    }

    #[test]
    fn an_unchanged_round_sends_an_empty_incremental_fetch() {
        let session = established(&[(0, 5), (1, 7)]);
        let sent = session.build(&round(&[(0, 5), (1, 7)]), V);
        assert_eq!(sent.session_epoch, 1);
        assert!(sent.send.is_empty() && sent.forget.is_empty());
    }

    #[test]
    fn each_answered_fetch_moves_the_epoch_on_and_it_wraps_to_one() {
        let mut session = established(&[(0, 5)]);
        let next = round(&[(0, 6)]);
        let sent = session.build(&next, V);
        session.on_response(&sent, next.clone(), V, ErrorCode::NONE, 9);
        assert_eq!(session.build(&next, V).session_epoch, 2);
        session.epoch = i32::MAX;
        let sent = session.build(&next, V);
        session.on_response(&sent, next.clone(), V, ErrorCode::NONE, 9);
        assert_eq!(session.build(&next, V).session_epoch, 1);
    }

    #[test]
    fn a_session_error_makes_the_next_fetch_full_closing_the_old_session() {
        for error in [
            ErrorCode::FETCH_SESSION_ID_NOT_FOUND,
            ErrorCode::INVALID_FETCH_SESSION_EPOCH,
            ErrorCode::FETCH_SESSION_TOPIC_ID_ERROR,
        ] {
            let mut session = established(&[(0, 5), (1, 7)]);
            let next = round(&[(0, 6), (1, 7)]);
            let sent = session.build(&next, V);
            session.on_response(&sent, next.clone(), V, error, 0);
            let again = session.build(&next, V);
            assert_eq!((again.session_id, again.session_epoch), (9, 0), "{error:?}");
            assert_eq!(partitions(&again.send), [(0, 6), (1, 7)]);
        }
    }

    #[test]
    fn a_lost_answer_makes_the_next_fetch_full() {
        let mut session = established(&[(0, 5)]);
        session.on_failure();
        let sent = session.build(&round(&[(0, 5)]), V);
        assert!(sent.is_full());
        assert_eq!(partitions(&sent.send), [(0, 5)]);
    }

    #[test]
    fn a_broker_that_keeps_no_session_gets_full_fetches() {
        let mut session = FetchSession::default();
        let next = round(&[(0, 5)]);
        let sent = session.build(&next, V);
        session.on_response(&sent, next.clone(), V, ErrorCode::NONE, 0);
        let again = session.build(&next, V);
        assert_eq!((again.session_id, again.session_epoch), (0, 0));
        assert_eq!(partitions(&again.send), [(0, 5)]);
    }

    #[test]
    fn an_answer_from_another_session_starts_over() {
        let mut session = established(&[(0, 5)]);
        let next = round(&[(0, 6)]);
        let sent = session.build(&next, V);
        session.on_response(&sent, next.clone(), V, ErrorCode::NONE, 12);
        assert!(session.build(&next, V).is_full());
    }

    #[test]
    fn old_versions_fetch_without_a_session() {
        let mut session = FetchSession::default();
        let next = round(&[(0, 5)]);
        let sent = session.build(&next, 6);
        assert_eq!((sent.session_id, sent.session_epoch), (0, -1));
        session.on_response(&sent, next.clone(), 6, ErrorCode::NONE, 0);
        assert_eq!(session.build(&next, 6).session_epoch, -1);
    }

    #[test]
    fn a_new_version_or_topic_id_starts_a_new_session() {
        let session = established(&[(0, 5)]);
        assert!(session.build(&round(&[(0, 5)]), 12).is_full());
        let mut recreated = round(&[(0, 5)]);
        for f in recreated.values_mut() {
            f.topic_id = Uuid([1; 16]);
        }
        let sent = session.build(&recreated, V);
        assert_eq!((sent.session_id, sent.session_epoch), (9, 0));
    }
}
