//! Position validation (KIP-320): before the consumer fetches from a position that may
//! have come from another leader's log, it asks the partition's leader where the leader
//! epoch of the last record it returned ends (OffsetForLeaderEpoch). If the log ends
//! below the position, it was truncated under the consumer (an unclean leader
//! election): the position moves back to where the logs diverge, as in the Java client,
//! or, with `auto.offset.reset=none`, `poll()` reports the truncation and the user
//! seeks. A leader that no longer knows the epoch (its log starts later) makes the
//! reset policy decide.
//!
//! Positions wait for validation after the partition's leader epoch went up, after a
//! seek to an offset with an epoch, and after the group's committed offset (with its
//! epoch) was looked up; see [`SubscriptionState::update_leader_epochs`].

use std::collections::BTreeMap;
use std::time::Instant;

use super::subscription::{FetchState, SubscriptionState};
use crate::client::{KafkaClient, TopicPartition};
use crate::config::OffsetReset;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    EpochEndOffset, OffsetForLeaderEpochRequest, OffsetForLeaderPartition, OffsetForLeaderTopic,
};

/// What the leader's answer means for one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The log holds the position: fetch from it.
    Valid,
    /// The log was truncated: it ends at `offset` after records of `epoch`, below the
    /// position.
    Truncated { offset: i64, epoch: i32 },
    /// The leader does not know the epoch: reset by the policy.
    Unknown,
    /// Ask again once metadata is fresh (the leader moved, or its epoch is not ours).
    Retry,
}

/// Judges the leader's answer for a position at `position`.
pub(crate) fn judge(answer: &EpochEndOffset, position: i64) -> Result<Verdict> {
    let code = ErrorCode(answer.error_code);
    if code != ErrorCode::NONE {
        if code.is_retriable()
            || code == ErrorCode::FENCED_LEADER_EPOCH
            || code == ErrorCode::UNKNOWN_LEADER_EPOCH
        {
            return Ok(Verdict::Retry);
        }
        return Err(KafkaError::broker(code, "validating the position"));
    }
    if answer.end_offset < 0 || answer.leader_epoch < 0 {
        return Ok(Verdict::Unknown);
    }
    if answer.end_offset < position {
        return Ok(Verdict::Truncated {
            offset: answer.end_offset,
            epoch: answer.leader_epoch,
        });
    }
    Ok(Verdict::Valid)
}

/// Validates every position waiting for it, one OffsetForLeaderEpoch per leader, until
/// `deadline`. Positions that cannot be validated yet wait for the next call. Returns
/// the truncation error of a partition whose reset policy is `none`.
pub(crate) fn validate_positions(
    client: &mut KafkaClient,
    subscriptions: &mut SubscriptionState,
    deadline: Instant,
) -> Result<()> {
    let mut per_leader: BTreeMap<i32, Vec<(TopicPartition, i64, i32, i32)>> = BTreeMap::new();
    for (tp, _) in subscriptions.awaiting(|s| s == FetchState::AwaitValidation) {
        let Some(state) = subscriptions.state(&tp) else {
            continue;
        };
        let (Some(position), Some(epoch)) = (state.position, state.position_epoch) else {
            subscriptions.complete_validation(&tp, None);
            continue;
        };
        let current = state.leader_epoch.unwrap_or(-1);
        match client.cluster().leader_for(&tp.topic, tp.partition) {
            Some(leader) => per_leader
                .entry(leader.id)
                .or_default()
                .push((tp, position, epoch, current)),
            None => client.request_metadata_update(),
        }
    }
    let mut truncation: Option<KafkaError> = None;
    for (leader, partitions) in per_leader {
        let mut topics: Vec<OffsetForLeaderTopic> = Vec::new();
        for (tp, _, epoch, current) in &partitions {
            let partition = OffsetForLeaderPartition {
                partition: tp.partition,
                current_leader_epoch: *current,
                leader_epoch: *epoch,
            };
            match topics.last_mut() {
                Some(t) if t.topic == tp.topic => t.partitions.push(partition),
                _ => topics.push(OffsetForLeaderTopic {
                    topic: tp.topic.clone(),
                    partitions: vec![partition],
                }),
            }
        }
        let request = OffsetForLeaderEpochRequest {
            replica_id: -1,
            topics,
        };
        let timeout = deadline.saturating_duration_since(Instant::now());
        let response = match client.send_and_wait(leader, &request, timeout) {
            Ok(response) => response,
            Err(e) if e.kind() == ErrorKind::UnsupportedVersion => {
                // A broker without OffsetForLeaderEpoch v2: fetch unvalidated, as the
                // Java client does with such brokers.
                for (tp, ..) in &partitions {
                    subscriptions.complete_validation(tp, None);
                }
                continue;
            }
            Err(e) if e.is_retriable() => {
                client.request_metadata_update();
                return Err(e.context("validating positions"));
            }
            Err(e) => return Err(e),
        };
        for (tp, position, epoch, _) in partitions {
            let answer = response
                .topics
                .iter()
                .filter(|t| t.topic == tp.topic)
                .flat_map(|t| &t.partitions)
                .find(|p| p.partition == tp.partition);
            let Some(answer) = answer else {
                client.request_metadata_update();
                continue;
            };
            match judge(answer, position).map_err(|e| e.context(format!("{tp}")))? {
                Verdict::Valid => subscriptions.complete_validation(&tp, None),
                Verdict::Retry => client.request_metadata_update(),
                Verdict::Unknown => {
                    log::info!(
                        "the leader of {tp} does not know epoch {epoch}; resetting to {}",
                        subscriptions.default_reset()
                    );
                    subscriptions.reset_to_default(&tp);
                }
                Verdict::Truncated {
                    offset,
                    epoch: end_epoch,
                } => {
                    if subscriptions.default_reset() == OffsetReset::None {
                        truncation.get_or_insert_with(|| {
                            KafkaError::new(
                                ErrorKind::Broker(ErrorCode::OFFSET_OUT_OF_RANGE),
                                format!(
                                    "log truncation detected on {tp}: the position {position} \
                                     (after records of leader epoch {epoch}) is past the \
                                     log, which diverges at offset {offset} (epoch \
                                     {end_epoch}); auto.offset.reset is none: seek"
                                ),
                            )
                        });
                    } else {
                        log::warn!(
                            "log truncation detected on {tp}: position {position} of epoch \
                             {epoch} is past the log, which diverges at offset {offset}; \
                             moving there"
                        );
                        subscriptions.complete_validation(&tp, Some((offset, end_epoch)));
                    }
                }
            }
        }
    }
    truncation.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(error: ErrorCode, epoch: i32, end: i64) -> EpochEndOffset {
        EpochEndOffset {
            error_code: error.0,
            partition: 0,
            leader_epoch: epoch,
            end_offset: end,
        }
    }

    #[test]
    fn a_log_ending_below_the_position_was_truncated() {
        assert_eq!(
            judge(&answer(ErrorCode::NONE, 3, 40), 55).unwrap(),
            Verdict::Truncated {
                offset: 40,
                epoch: 3
            }
        );
    }

    #[test]
    fn a_log_reaching_the_position_is_valid() {
        assert_eq!(
            judge(&answer(ErrorCode::NONE, 3, 55), 55).unwrap(),
            Verdict::Valid
        );
        assert_eq!(
            judge(&answer(ErrorCode::NONE, 4, 90), 55).unwrap(),
            Verdict::Valid
        );
    }

    #[test]
    fn an_unknown_epoch_resets() {
        assert_eq!(
            judge(&answer(ErrorCode::NONE, -1, -1), 55).unwrap(),
            Verdict::Unknown
        );
    }

    #[test]
    fn fencing_and_moved_leaders_retry_and_other_errors_fail() {
        for code in [
            ErrorCode::FENCED_LEADER_EPOCH,
            ErrorCode::UNKNOWN_LEADER_EPOCH,
            ErrorCode::NOT_LEADER_OR_FOLLOWER,
        ] {
            assert_eq!(judge(&answer(code, -1, -1), 5).unwrap(), Verdict::Retry);
        }
        let err = judge(&answer(ErrorCode::TOPIC_AUTHORIZATION_FAILED, -1, -1), 5).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Broker(ErrorCode::TOPIC_AUTHORIZATION_FAILED)
        );
    }
}
