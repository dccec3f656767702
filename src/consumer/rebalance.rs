//! The consumer's side of a group's rebalances, on the caller's thread: carrying out
//! the events the group coordinator hands over (commit before a revocation, the
//! rebalance listener's calls, the new assignment), and auto-commit.

use std::collections::BTreeSet;
use std::time::Instant;

use super::membership::GroupEvent;
use super::{ConsumerRebalanceListener, KafkaConsumer};
use crate::client::TopicPartition;
use crate::error::{ErrorKind, Result};

/// The most group events one `poll()` carries out (a loss, a revocation, an
/// assignment), so that it returns to fetching.
const MAX_GROUP_EVENTS_PER_POLL: usize = 4;

impl KafkaConsumer {
    /// Runs `f` with the listener, if there is one, and this consumer.
    pub(super) fn call_listener(
        &mut self,
        f: impl FnOnce(&mut dyn ConsumerRebalanceListener, &mut KafkaConsumer),
    ) {
        if let Some(mut listener) = self.listener.take() {
            self.in_listener = true;
            f(listener.as_mut(), self);
            self.in_listener = false;
            if self.listener.is_none() {
                self.listener = Some(listener);
            }
        }
    }

    /// Takes on a group event; it is carried out at once and, if the commit before
    /// its revocation needs longer, in the next polls (up to `default.api.timeout.ms`,
    /// after which the partitions go without it).
    pub(super) fn start_group_event(&mut self, event: GroupEvent) {
        let give_up = self.default_deadline();
        self.group_event = Some((event, give_up));
    }

    /// Carries out the group event under way, if any, until `deadline`: commits before
    /// a revocation, runs the listener, updates the assignment, and acknowledges it to
    /// the membership. Returns whether the event is done.
    pub(super) fn carry_out_group_event(&mut self, deadline: Instant) -> bool {
        let Some((event, give_up)) = self.group_event.clone() else {
            return true;
        };
        if event == GroupEvent::Lost {
            self.on_partitions_lost();
            self.group_event = None;
            if let Some(group) = &mut self.group {
                group.lost_handled();
            }
            return true;
        }
        let owned: BTreeSet<TopicPartition> = self.subscriptions.assigned().cloned().collect();
        let revoked: Vec<TopicPartition> = match &event {
            GroupEvent::Revoke(partitions) => partitions
                .iter()
                .filter(|tp| owned.contains(tp))
                .cloned()
                .collect(),
            GroupEvent::Assign(target) => owned.difference(target).cloned().collect(),
            GroupEvent::Lost => Vec::new(),
        };
        if !revoked.is_empty() {
            if !self.commit_before_revocation(&revoked, deadline) && Instant::now() < give_up {
                return false;
            }
            self.call_listener(|l, c| l.on_partitions_revoked(c, &revoked));
        }
        self.group_event = None;
        let added: Vec<TopicPartition> = match &event {
            GroupEvent::Assign(target) => {
                self.rebalances += 1;
                let added = target.difference(&owned).cloned().collect();
                self.subscriptions.set_assignment(target.iter().cloned());
                self.next_auto_commit = crate::time::deadline_in(self.config.auto_commit_interval);
                self.positions.due_now();
                added
            }
            _ => {
                let keep: Vec<TopicPartition> = owned
                    .iter()
                    .filter(|tp| !revoked.contains(tp))
                    .cloned()
                    .collect();
                self.subscriptions.set_assignment(keep);
                Vec::new()
            }
        };
        self.fetcher.retain_assigned(&self.subscriptions);
        if let Some(group) = &mut self.group {
            group.reconciled(&revoked, &mut self.client, &self.subscriptions);
        }
        if matches!(event, GroupEvent::Assign(_)) {
            self.call_listener(|l, c| l.on_partitions_assigned(c, &added));
        }
        true
    }

    /// With auto-commit on, commits the positions of `partitions` before they go,
    /// until `deadline`. Returns whether that is settled: committed, not needed, or
    /// failed for good (then the records after the last commit are read again by the
    /// partitions' next owners). A commit that only ran out of time is not settled.
    pub(super) fn commit_before_revocation(
        &mut self,
        partitions: &[TopicPartition],
        deadline: Instant,
    ) -> bool {
        if !self.config.enable_auto_commit {
            return true;
        }
        let mut offsets = self.consumed_offsets();
        offsets.retain(|tp, _| partitions.contains(tp));
        let member = self.subscriptions.is_auto();
        let Some(group) = &mut self.group else {
            return true;
        };
        match group.commit_sync(&mut self.client, &offsets, member, deadline) {
            Ok(()) => true,
            Err(e)
                if e.kind() == ErrorKind::Timeout
                    || e.kind() == ErrorKind::Wakeup
                    || e.is_retriable() =>
            {
                log::debug!("committing offsets before a rebalance: {e}; trying again");
                false
            }
            Err(e) => {
                log::warn!("committing offsets before a rebalance failed: {e}");
                true
            }
        }
    }

    /// The partitions are gone without a chance to commit (fenced, poll timeout).
    pub(super) fn on_partitions_lost(&mut self) {
        if !self.subscriptions.is_auto() {
            return;
        }
        let owned: Vec<TopicPartition> = self.subscriptions.assigned().cloned().collect();
        if !owned.is_empty() {
            self.call_listener(|l, c| l.on_partitions_lost(c, &owned));
        }
        self.subscriptions.set_assignment(Vec::new());
        self.fetcher.retain_assigned(&self.subscriptions);
    }

    /// The group's share of `poll()`: the membership's events (carried out here, on
    /// the caller's thread), and auto-commit.
    pub(super) fn group_poll(&mut self, deadline: Instant) -> Result<()> {
        let Some(group) = &mut self.group else {
            return Ok(());
        };
        group.run_commit_callbacks();
        for _ in 0..MAX_GROUP_EVENTS_PER_POLL {
            if !self.carry_out_group_event(deadline) {
                break;
            }
            let Some(group) = &mut self.group else {
                break;
            };
            match group.poll(&mut self.client, &self.subscriptions, deadline)? {
                Some(event) => self.start_group_event(event),
                None => break,
            }
        }
        self.maybe_auto_commit(deadline);
        Ok(())
    }

    pub(super) fn maybe_auto_commit(&mut self, deadline: Instant) {
        if !self.config.enable_auto_commit {
            return;
        }
        let now = Instant::now();
        if now < self.next_auto_commit {
            return;
        }
        let member = self.subscriptions.is_auto();
        let offsets = self.consumed_offsets();
        let Some(group) = &mut self.group else {
            return;
        };
        let stable = group.identity().is_some() || !member;
        if !stable || self.group_event.is_some() {
            return;
        }
        self.next_auto_commit = crate::time::deadline_after(now, self.config.auto_commit_interval);
        if offsets.is_empty() {
            return;
        }
        if !group.knows_coordinator() {
            if let Err(e) = group.ensure_coordinator(&mut self.client, deadline) {
                log::debug!("auto-commit put off: {e}");
                return;
            }
        }
        group.commit_async(&mut self.client, offsets, member, None);
    }
}
