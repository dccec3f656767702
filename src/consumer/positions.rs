//! Finding where to read: the positions of assigned partitions that have none yet.
//! In order, the group's committed offset (with its leader epoch), a check with the
//! leader that a position with an epoch is still on its log (KIP-320), and else the
//! reset policy (`auto.offset.reset`, or a `seek_to_beginning`/`seek_to_end`) through
//! ListOffsets.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::coordinator::GroupCoordinator;
use super::offsets::{list_offsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP};
use super::subscription::{FetchState, SubscriptionState};
use super::validation::validate_positions;
use crate::client::{KafkaClient, TopicPartition};
use crate::config::{IsolationLevel, OffsetReset};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};

/// When the next position lookup is due, and how far apart failed ones are.
#[derive(Debug)]
pub(super) struct PositionLookups {
    next: Instant,
    retry_backoff: Duration,
    /// The least time a due lookup gets, even late in a poll.
    min_time: Duration,
    isolation_level: IsolationLevel,
}

impl PositionLookups {
    pub fn new(
        now: Instant,
        retry_backoff: Duration,
        min_time: Duration,
        isolation_level: IsolationLevel,
    ) -> Self {
        PositionLookups {
            next: now,
            retry_backoff,
            min_time,
            isolation_level,
        }
    }

    /// When the next lookup is due (a poll waiting for data wakes up for it).
    pub fn next_due(&self) -> Instant {
        self.next
    }

    /// Makes a lookup due at once (a seek asked for a reset, an assignment came).
    pub fn due_now(&mut self) {
        self.next = Instant::now();
    }

    /// Runs a lookup if one is due. It gets until `deadline`, or at least the minimum
    /// time: one started with no time left would only time out, and be due again at
    /// the same point of the next poll. A retriable failure is tried again after the
    /// back-off; any other is returned.
    pub fn update(
        &mut self,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
        group: Option<&mut GroupCoordinator>,
        deadline: Instant,
    ) -> Result<()> {
        let now = Instant::now();
        if now < self.next {
            return Ok(());
        }
        let deadline = deadline.max(crate::time::deadline_after(now, self.min_time));
        match self.lookup(client, subscriptions, group, deadline) {
            Ok(()) => Ok(()),
            Err(e) if e.is_retriable() => {
                log::debug!("position lookup failed, retrying: {e}");
                self.next = crate::time::deadline_in(self.retry_backoff);
                Ok(())
            }
            Err(e) => {
                self.next = crate::time::deadline_in(self.retry_backoff);
                Err(e)
            }
        }
    }

    /// Looks up every missing position now, up to `deadline`.
    pub fn lookup(
        &self,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
        group: Option<&mut GroupCoordinator>,
        deadline: Instant,
    ) -> Result<()> {
        let awaiting = subscriptions.awaiting(|s| s == FetchState::AwaitCommitted);
        if !awaiting.is_empty() {
            let partitions: Vec<TopicPartition> = awaiting.into_iter().map(|(tp, _)| tp).collect();
            let default = subscriptions.default_reset();
            match group {
                Some(group) => {
                    let committed = group.fetch_committed(client, &partitions, deadline)?;
                    for (tp, offset) in committed {
                        match offset {
                            Some(om) => subscriptions.complete_lookup(
                                &tp,
                                FetchState::AwaitCommitted,
                                om.offset,
                                om.leader_epoch,
                            ),
                            None => {
                                if subscriptions.state(&tp).map(|s| s.fetch_state)
                                    == Some(FetchState::AwaitCommitted)
                                {
                                    subscriptions.request_reset(&tp, default)?;
                                }
                            }
                        }
                    }
                }
                None => {
                    for tp in &partitions {
                        subscriptions.request_reset(tp, default)?;
                    }
                }
            }
        }
        if subscriptions
            .states()
            .any(|(_, s)| s.fetch_state == FetchState::AwaitValidation)
        {
            subscriptions.update_leader_epochs(client.cluster(), client.metadata_generation());
            validate_positions(client, subscriptions, deadline)?;
        }
        let resets = subscriptions.awaiting(|s| matches!(s, FetchState::AwaitReset(_)));
        if resets.is_empty() {
            return Ok(());
        }
        let mut query = BTreeMap::new();
        for (tp, state) in &resets {
            let FetchState::AwaitReset(policy) = state else {
                continue;
            };
            let timestamp = match policy {
                OffsetReset::Earliest => EARLIEST_TIMESTAMP,
                OffsetReset::Latest => LATEST_TIMESTAMP,
                OffsetReset::None => {
                    return Err(KafkaError::new(
                        ErrorKind::Broker(ErrorCode::OFFSET_OUT_OF_RANGE),
                        format!(
                            "{tp} has no committed offset and auto.offset.reset is none: seek to an offset first"
                        ),
                    ));
                }
            };
            query.insert(tp.clone(), timestamp);
        }
        let found = list_offsets(client, self.isolation_level, &query, deadline)?;
        for (tp, state) in resets {
            if let Some(Some(o)) = found.get(&tp) {
                subscriptions.complete_lookup(&tp, state, o.offset, o.leader_epoch);
            }
        }
        Ok(())
    }
}
