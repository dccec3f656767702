//! The transaction manager: the producer's identity on the brokers and the sequence
//! numbers of its batches (KIP-98 idempotence, KIP-360 epoch bumps).
//!
//! It owns the producer id and epoch and, per partition, the next sequence number, the
//! last one the broker acknowledged and the sequences of batches not resolved yet. The
//! accumulator asks it, under the partition's lock, whether the head batch of a
//! partition may go and with which sequence; the sender tells it what the brokers said.
//! It does no I/O and reads no clock, so its rules are unit-tested on their own.
//!
//! The rules, and why:
//! - **Until the broker has acknowledged a batch of a producer id and epoch on a
//!   partition, one batch at a time.** A broker with no state for the producer accepts
//!   any sequence number, so a second batch in flight could be written before a first
//!   one that failed with a retriable error.
//! - **Retries go in sequence order.** A batch that already has a sequence is resent
//!   only when nothing else of its partition is in flight (the accumulator's rule), and
//!   batches stay in creation order in their queue; later batches that fail with
//!   OUT_OF_ORDER_SEQUENCE_NUMBER because an earlier one is missing follow it.
//! - **A partition whose producer id or epoch is stale takes no new batch while any of
//!   its batches is in flight**: a batch numbered from 0 under the new epoch could be
//!   written before the old ones complete.
//! - **Unresolved sequences stop a partition.** A batch that failed for good after it
//!   was sent may or may not be in the log. No new batch goes until everything of the
//!   partition in flight has come back; then, if the broker acknowledged a sequence at
//!   or past the failed batch's last one, it was written and nothing is wrong;
//!   otherwise later sequences would never be accepted.
//! - **Then the epoch is bumped (KIP-360)** rather than taking a new producer id: an
//!   idempotent producer may raise its own epoch, and the broker accepts sequence 0
//!   under a higher epoch. The same happens when the broker lost the producer's state
//!   (UNKNOWN_PRODUCER_ID) or keeps rejecting the very next sequence
//!   (OUT_OF_ORDER_SEQUENCE_NUMBER for the batch after the last acknowledged one). The
//!   partition's queued batches are numbered again from 0, in order, as they are sent;
//!   other partitions move to the new epoch once their batches in flight are done. An
//!   epoch at its maximum needs a new producer id instead.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::client::TopicPartition;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::batch::Sequence;

/// A producer id and epoch.
pub(crate) type ProducerIdAndEpoch = (i64, i16);

/// Sequence numbers wrap at `i32::MAX` (the broker's rule).
fn add_sequence(sequence: i32, count: i32) -> i32 {
    let next = i64::from(sequence) + i64::from(count);
    i32::try_from(next % (i64::from(i32::MAX) + 1)).unwrap_or(0)
}

/// What the accumulator may do with the head batch of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendDecision {
    /// Leave it queued for now.
    Hold,
    /// Send it with the sequence it already has (a retry).
    Keep,
    /// Send it with this (new) sequence.
    Assign(Sequence),
}

#[derive(Debug, Default)]
struct PartitionState {
    /// The producer id and epoch the sequences below count for.
    owner: Option<ProducerIdAndEpoch>,
    next_sequence: i32,
    /// The last sequence the broker acknowledged under `owner`.
    last_acked: Option<i32>,
    /// Sequenced batches not resolved yet: base sequence to record count.
    unresolved_batches: BTreeMap<i32, i32>,
    /// The last sequence of a batch that failed after it was sent: its fate on the
    /// broker is unknown until everything in flight has come back.
    unknown_fate: Option<i32>,
    /// The epoch must move on before this partition sends again.
    bump_needed: bool,
}

#[derive(Debug, Default)]
struct State {
    producer: Option<ProducerIdAndEpoch>,
    partitions: HashMap<(Arc<str>, i32), PartitionState>,
    /// With transactions protocol v1, the partitions added to the current transaction:
    /// the only ones whose batches may go. `None` when nothing is held back.
    allowed: Option<HashSet<(Arc<str>, i32)>>,
}

/// The producer's identity and sequence numbers. See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct TransactionManager {
    state: Mutex<State>,
    /// The producer id belongs to a transactional id: only its coordinator may raise
    /// the epoch, so a bump waits for a new producer id (from `abort_transaction`).
    transactional: bool,
    /// The transactions use protocol v2 (KIP-890): Produce requests at version 12 or
    /// later, which add their partitions to the transaction on the broker.
    transaction_v2: AtomicBool,
}

impl TransactionManager {
    /// The manager of a transactional producer (see `transactional`).
    pub fn transactional() -> Self {
        TransactionManager {
            state: Mutex::default(),
            transactional: true,
            transaction_v2: AtomicBool::new(false),
        }
    }

    /// Whether the transactions use protocol v2 (see `transactional`).
    pub fn transaction_v2(&self) -> bool {
        self.transaction_v2.load(Ordering::Relaxed)
    }

    /// Set at the start of each transaction, from what the cluster finalized. With
    /// protocol v1 no batch goes until its partition joined the transaction
    /// ([`allow_partitions`](Self::allow_partitions)).
    pub fn begin_transaction(&self, v2: bool) {
        self.transaction_v2.store(v2, Ordering::Relaxed);
        self.state.lock().allowed = (!v2).then(HashSet::new);
    }

    /// `partitions` joined the transaction: their batches may go.
    pub fn allow_partitions(&self, partitions: &[TopicPartition]) {
        if let Some(allowed) = &mut self.state.lock().allowed {
            allowed.extend(
                partitions
                    .iter()
                    .map(|tp| (Arc::from(tp.topic.as_str()), tp.partition)),
            );
        }
    }

    /// The current producer id and epoch, once known.
    #[cfg(test)]
    pub fn producer(&self) -> Option<ProducerIdAndEpoch> {
        self.state.lock().producer
    }

    /// A producer id and epoch from InitProducerId.
    pub fn set_producer(&self, producer: ProducerIdAndEpoch) {
        self.state.lock().producer = Some(producer);
    }

    /// Whether a new producer id is needed (none yet, or the epoch ran out).
    pub fn needs_producer_id(&self) -> bool {
        self.state.lock().producer.is_none()
    }

    /// Decides for the head batch of `topic`-`partition`, whose sequence is
    /// `sequence` (if it was sent before) and which holds `records` records, while
    /// `network_in_flight` batches of the partition are on the network. An
    /// [`Assign`](SendDecision::Assign) takes the sequence numbers: the batch must be
    /// sent.
    pub fn decide(
        &self,
        topic: &Arc<str>,
        partition: i32,
        sequence: Option<Sequence>,
        records: i32,
        network_in_flight: usize,
    ) -> SendDecision {
        let mut state = self.state.lock();
        let State {
            producer,
            partitions,
            allowed,
        } = &mut *state;
        let Some(current) = *producer else {
            return SendDecision::Hold;
        };
        if allowed
            .as_ref()
            .is_some_and(|a| !a.contains(&(Arc::clone(topic), partition)))
        {
            // Not in the transaction yet: the partition adder is on it.
            return SendDecision::Hold;
        }
        let p = partitions
            .entry((Arc::clone(topic), partition))
            .or_default();
        if network_in_flight == 0 {
            if let Some(last) = p.unknown_fate.take() {
                // Everything in flight came back: did the broker take the failed batch?
                let written = p.last_acked.is_some_and(|acked| acked >= last);
                if !written {
                    p.bump_needed = true;
                }
            }
            if p.bump_needed {
                if p.owner == Some(current) {
                    // The failing epoch is the current one: raise it (or, at its
                    // maximum, get a new producer id). A transactional producer's
                    // epoch is its coordinator's to raise.
                    if current.1 == i16::MAX || self.transactional {
                        *producer = None;
                        return SendDecision::Hold;
                    }
                    *producer = Some((current.0, current.1 + 1));
                }
                *p = PartitionState::default();
                return decide_fresh(producer.unwrap_or(current), p, records, 0);
            }
        } else if p.unknown_fate.is_some() || p.bump_needed {
            return SendDecision::Hold;
        }
        let current = producer.unwrap_or(current);
        match sequence {
            Some(seq) if p.owner == Some((seq.producer_id, seq.producer_epoch)) => {
                // A retry under the partition's producer id and epoch: it goes as it is
                // (the accumulator only lets it go with nothing else in flight).
                SendDecision::Keep
            }
            _ => decide_fresh(current, p, records, network_in_flight),
        }
    }

    /// The broker wrote the batch `sequence` of `records` records.
    pub fn acknowledged(&self, topic: &Arc<str>, partition: i32, sequence: Sequence, records: i32) {
        let mut state = self.state.lock();
        let Some(p) = state.partitions.get_mut(&(Arc::clone(topic), partition)) else {
            return;
        };
        if p.owner != Some((sequence.producer_id, sequence.producer_epoch)) {
            return;
        }
        p.unresolved_batches.remove(&sequence.base_sequence);
        let last = add_sequence(sequence.base_sequence, records.saturating_sub(1).max(0));
        // Sequences grow (and wrap only after two billion records): keep the larger.
        p.last_acked = Some(match p.last_acked {
            Some(acked) if acked >= last => acked,
            _ => last,
        });
    }

    /// The broker answered OUT_OF_ORDER_SEQUENCE_NUMBER for the batch `sequence`. If
    /// an earlier batch of the partition is still to come, the batch waits for it and
    /// goes again; if it is the very next one the broker expects, the broker's state
    /// has a gap no retry fills: the epoch is bumped.
    pub fn out_of_order(&self, topic: &Arc<str>, partition: i32, sequence: Sequence) {
        let mut state = self.state.lock();
        let Some(p) = state.partitions.get_mut(&(Arc::clone(topic), partition)) else {
            return;
        };
        if p.owner != Some((sequence.producer_id, sequence.producer_epoch)) {
            return;
        }
        let expected = match p.last_acked {
            Some(acked) => add_sequence(acked, 1),
            None => p
                .unresolved_batches
                .keys()
                .next()
                .copied()
                .unwrap_or(sequence.base_sequence),
        };
        if sequence.base_sequence == expected {
            p.bump_needed = true;
        }
    }

    /// The broker no longer knows the producer on this partition (UNKNOWN_PRODUCER_ID,
    /// INVALID_PRODUCER_ID_MAPPING): its batches go again under a bumped epoch.
    pub fn lost_producer_state(&self, topic: &Arc<str>, partition: i32, sequence: Sequence) {
        let mut state = self.state.lock();
        let Some(p) = state.partitions.get_mut(&(Arc::clone(topic), partition)) else {
            return;
        };
        if p.owner == Some((sequence.producer_id, sequence.producer_epoch)) {
            p.bump_needed = true;
        }
    }

    /// The batch `sequence` of `records` records failed for good (a non-retriable
    /// error, or the delivery timeout) after it was sent: it may or may not be in the
    /// log. The partition waits until that is known (see the module documentation).
    pub fn failed(&self, topic: &Arc<str>, partition: i32, sequence: Sequence, records: i32) {
        let mut state = self.state.lock();
        let Some(p) = state.partitions.get_mut(&(Arc::clone(topic), partition)) else {
            return;
        };
        if p.owner != Some((sequence.producer_id, sequence.producer_epoch)) {
            return;
        }
        p.unresolved_batches.remove(&sequence.base_sequence);
        let last = add_sequence(sequence.base_sequence, records.saturating_sub(1).max(0));
        p.unknown_fate = Some(p.unknown_fate.map_or(last, |u| u.max(last)));
    }
}

/// A batch without a sequence under the partition's owner: it gets the next one,
/// unless the partition must wait.
fn decide_fresh(
    current: ProducerIdAndEpoch,
    p: &mut PartitionState,
    records: i32,
    network_in_flight: usize,
) -> SendDecision {
    if p.owner != Some(current) {
        if network_in_flight > 0 {
            // Batches of the old producer id or epoch are still in flight.
            return SendDecision::Hold;
        }
        *p = PartitionState {
            owner: Some(current),
            ..PartitionState::default()
        };
    }
    if p.last_acked.is_none() && network_in_flight > 0 {
        // The broker may hold no state for this producer yet: one batch at a time.
        return SendDecision::Hold;
    }
    let sequence = Sequence {
        producer_id: current.0,
        producer_epoch: current.1,
        base_sequence: p.next_sequence,
    };
    p.unresolved_batches.insert(p.next_sequence, records);
    p.next_sequence = add_sequence(p.next_sequence, records);
    SendDecision::Assign(sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> Arc<str> {
        Arc::from("t")
    }

    fn assigned(decision: SendDecision) -> Sequence {
        match decision {
            SendDecision::Assign(s) => s,
            other => panic!("expected a new sequence, got {other:?}"),
        }
    }

    #[test]
    fn nothing_goes_without_a_producer_id() {
        let tm = TransactionManager::default();
        assert!(tm.needs_producer_id());
        assert_eq!(tm.decide(&topic(), 0, None, 10, 0), SendDecision::Hold);
    }

    #[test]
    fn one_batch_at_a_time_until_the_first_acknowledgement() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let first = assigned(tm.decide(&topic(), 0, None, 10, 0));
        assert_eq!(
            (first.producer_id, first.producer_epoch, first.base_sequence),
            (7, 0, 0)
        );
        // The broker may not know the producer yet: the second batch waits.
        assert_eq!(tm.decide(&topic(), 0, None, 5, 1), SendDecision::Hold);
        tm.acknowledged(&topic(), 0, first, 10);
        let second = assigned(tm.decide(&topic(), 0, None, 5, 0));
        assert_eq!(second.base_sequence, 10);
        // Acknowledged once: several may be in flight.
        let third = assigned(tm.decide(&topic(), 0, None, 5, 1));
        assert_eq!(third.base_sequence, 15);
        // Other partitions count on their own.
        assert_eq!(
            assigned(tm.decide(&topic(), 1, None, 3, 0)).base_sequence,
            0
        );
    }

    #[test]
    fn a_retry_keeps_its_sequence() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let first = assigned(tm.decide(&topic(), 0, None, 10, 0));
        assert_eq!(
            tm.decide(&topic(), 0, Some(first), 10, 0),
            SendDecision::Keep
        );
    }

    #[test]
    fn out_of_order_for_a_later_batch_waits_for_the_earlier_one() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let a = assigned(tm.decide(&topic(), 0, None, 10, 0));
        tm.acknowledged(&topic(), 0, a, 10);
        let b = assigned(tm.decide(&topic(), 0, None, 10, 0));
        let c = assigned(tm.decide(&topic(), 0, None, 10, 1));
        // b failed with a retriable error; c arrived first and was refused.
        tm.out_of_order(&topic(), 0, c);
        assert_eq!(tm.decide(&topic(), 0, Some(b), 10, 0), SendDecision::Keep);
        assert_eq!(tm.producer(), Some((7, 0)), "no bump: b fills the gap");
    }

    #[test]
    fn out_of_order_for_the_next_expected_batch_bumps_the_epoch() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let a = assigned(tm.decide(&topic(), 0, None, 10, 0));
        tm.acknowledged(&topic(), 0, a, 10);
        let b = assigned(tm.decide(&topic(), 0, None, 4, 0));
        let c = assigned(tm.decide(&topic(), 0, None, 4, 1));
        tm.out_of_order(&topic(), 0, b);
        // While c is on the network, nothing moves.
        assert_eq!(tm.decide(&topic(), 0, Some(b), 4, 1), SendDecision::Hold);
        tm.out_of_order(&topic(), 0, c);
        // Both back: the epoch goes up and b, then c, are numbered again from 0.
        let b2 = assigned(tm.decide(&topic(), 0, Some(b), 4, 0));
        assert_eq!((b2.producer_epoch, b2.base_sequence), (1, 0));
        assert_eq!(tm.producer(), Some((7, 1)));
        assert_eq!(
            tm.decide(&topic(), 0, Some(c), 4, 1),
            SendDecision::Hold,
            "first ack"
        );
        tm.acknowledged(&topic(), 0, b2, 4);
        let c2 = assigned(tm.decide(&topic(), 0, Some(c), 4, 0));
        assert_eq!((c2.producer_epoch, c2.base_sequence), (1, 4));
    }

    #[test]
    fn a_lost_producer_state_bumps_the_epoch_and_other_partitions_follow_when_idle() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 3));
        let a = assigned(tm.decide(&topic(), 0, None, 2, 0));
        let other = assigned(tm.decide(&topic(), 1, None, 2, 0));
        tm.acknowledged(&topic(), 1, other, 2);
        let other_next = assigned(tm.decide(&topic(), 1, None, 2, 0));
        tm.lost_producer_state(&topic(), 0, a);
        let a2 = assigned(tm.decide(&topic(), 0, Some(a), 2, 0));
        assert_eq!((a2.producer_epoch, a2.base_sequence), (4, 0));
        // Partition 1 still has a batch of epoch 3 in flight: no epoch-4 batch yet.
        assert_eq!(tm.decide(&topic(), 1, None, 2, 1), SendDecision::Hold);
        // Its retry goes under its old epoch.
        assert_eq!(
            tm.decide(&topic(), 1, Some(other_next), 2, 0),
            SendDecision::Keep
        );
        tm.acknowledged(&topic(), 1, other_next, 2);
        let moved = assigned(tm.decide(&topic(), 1, None, 2, 0));
        assert_eq!((moved.producer_epoch, moved.base_sequence), (4, 0));
    }

    #[test]
    fn a_failed_batch_holds_its_partition_until_its_fate_is_known() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let a = assigned(tm.decide(&topic(), 0, None, 5, 0));
        tm.acknowledged(&topic(), 0, a, 5);
        let b = assigned(tm.decide(&topic(), 0, None, 5, 0));
        let c = assigned(tm.decide(&topic(), 0, None, 5, 1));
        // b expires; c is still on the network.
        tm.failed(&topic(), 0, b, 5);
        assert_eq!(tm.decide(&topic(), 0, None, 5, 1), SendDecision::Hold);
        // c comes back acknowledged (so b must have been written too): no bump.
        tm.acknowledged(&topic(), 0, c, 5);
        let d = assigned(tm.decide(&topic(), 0, None, 5, 0));
        assert_eq!((d.producer_epoch, d.base_sequence), (0, 15));
    }

    #[test]
    fn a_failed_batch_that_the_broker_never_took_bumps_the_epoch() {
        let tm = TransactionManager::default();
        tm.set_producer((7, 0));
        let a = assigned(tm.decide(&topic(), 0, None, 5, 0));
        tm.acknowledged(&topic(), 0, a, 5);
        let b = assigned(tm.decide(&topic(), 0, None, 5, 0));
        tm.failed(&topic(), 0, b, 5);
        let c = assigned(tm.decide(&topic(), 0, None, 5, 0));
        assert_eq!((c.producer_epoch, c.base_sequence), (1, 0));
    }

    #[test]
    fn an_exhausted_epoch_needs_a_new_producer_id() {
        let tm = TransactionManager::default();
        tm.set_producer((7, i16::MAX));
        let a = assigned(tm.decide(&topic(), 0, None, 1, 0));
        tm.lost_producer_state(&topic(), 0, a);
        assert_eq!(tm.decide(&topic(), 0, Some(a), 1, 0), SendDecision::Hold);
        assert!(tm.needs_producer_id());
        tm.set_producer((8, 0));
        let a2 = assigned(tm.decide(&topic(), 0, Some(a), 1, 0));
        assert_eq!((a2.producer_id, a2.base_sequence), (8, 0));
    }

    #[test]
    fn with_protocol_v1_a_partition_waits_until_it_joined_the_transaction() {
        let tm = TransactionManager::transactional();
        tm.set_producer((7, 0));
        tm.begin_transaction(false);
        assert_eq!(tm.decide(&topic(), 0, None, 1, 0), SendDecision::Hold);
        tm.allow_partitions(&[TopicPartition::new("t", 0)]);
        assert!(matches!(
            tm.decide(&topic(), 0, None, 1, 0),
            SendDecision::Assign(_)
        ));
        assert_eq!(
            tm.decide(&topic(), 1, None, 1, 0),
            SendDecision::Hold,
            "another one"
        );
        tm.begin_transaction(false);
        assert_eq!(
            tm.decide(&topic(), 0, None, 1, 0),
            SendDecision::Hold,
            "a new transaction"
        );
        tm.begin_transaction(true);
        assert!(
            matches!(tm.decide(&topic(), 1, None, 1, 0), SendDecision::Assign(_)),
            "protocol v2 holds nothing back"
        );
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert_eq!(add_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(add_sequence(5, 3), 8);
    }
}
