//! The partition adder: with transactions protocol v1, the thread that adds the
//! partitions a transaction's records go to, in batches (one AddPartitionsToTxn for
//! every partition that got its first record since the last one), before the sender
//! may send their records.
//!
//! `send()` only notes a new partition (in the transaction's state, under its lock) and
//! signals this thread; the record waits in the accumulator, which holds back the
//! partition's batches until the transaction manager allows them. The adder takes the
//! transaction's lock for the request, so its requests and those of the user's calls
//! (EndTxn above all) reach the coordinator one after the other, over one connection,
//! in the order they were made: an abort never overtakes an add of its own
//! transaction. User calls wait for the lock no longer than their deadline.
//!
//! When an add fails for good, the transaction is doomed (the state moved to an
//! abortable or fatal error): the records still queued fail with the error, so that a
//! `commit_transaction` flushing them returns instead of waiting for partitions that
//! will never join. An add that timed out is tried again after the back-off; the
//! records' delivery timeout bounds how long they wait.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::Shared;
use crate::error::{ErrorKind, KafkaError, Result};

/// How the producer wakes the adder and tells it to stop.
#[derive(Debug, Default)]
pub(crate) struct AdderSignal {
    state: Mutex<SignalState>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct SignalState {
    /// New partitions are waiting to be added.
    work: bool,
    /// The producer is closing: the thread ends.
    closed: bool,
    /// The thread has ended.
    done: bool,
}

impl AdderSignal {
    /// New partitions wait to be added.
    pub fn notify(&self) {
        self.state.lock().work = true;
        self.wake.notify_all();
    }

    /// Asks the thread to stop, and waits up to `timeout` for it to end. Returns
    /// whether it did.
    pub fn stop(&self, timeout: Duration) -> bool {
        let deadline = crate::time::deadline_in(timeout);
        let mut state = self.state.lock();
        state.closed = true;
        self.wake.notify_all();
        while !state.done {
            if self.wake.wait_until(&mut state, deadline).timed_out() {
                return state.done;
            }
        }
        true
    }

    /// Waits until there is work (`true`) or the producer closes (`false`), at most
    /// `timeout` (a retry's back-off: then `true`).
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let mut state = self.state.lock();
        if let Some(timeout) = timeout {
            let deadline = crate::time::deadline_in(timeout);
            while !state.work && !state.closed {
                if self.wake.wait_until(&mut state, deadline).timed_out() {
                    break;
                }
            }
        } else {
            while !state.work && !state.closed {
                self.wake.wait(&mut state);
            }
        }
        state.work = false;
        !state.closed
    }

    fn ended(&self) {
        self.state.lock().done = true;
        self.wake.notify_all();
    }
}

/// Starts the adder thread of a transactional producer.
pub(crate) fn spawn(shared: Arc<Shared>) -> Result<()> {
    let name = format!("kafka-producer-txn-{}", shared.config.client.client_id);
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            run(&shared);
            shared.adder.ended();
        })
        .map(|_| ())
        .map_err(|e| {
            KafkaError::new(
                ErrorKind::Closed,
                format!("cannot start the producer's transaction thread: {e}"),
            )
        })
}

fn run(shared: &Shared) {
    let Some(transaction) = &shared.transaction else {
        return;
    };
    let mut backoff = None;
    while shared.adder.wait(backoff.take()) {
        let deadline = crate::time::deadline_in(shared.config.client.request_timeout);
        let outcome = transaction.lock().add_pending(deadline);
        match outcome {
            Ok(added) => {
                if !added.is_empty() {
                    shared.transactions.allow_partitions(&added);
                    shared.wake_sender();
                }
            }
            Err(e) if e.kind() == ErrorKind::Timeout => {
                log::debug!("adding partitions to the transaction: {e}; trying again");
                backoff = Some(shared.config.client.retry_backoff);
            }
            Err(e) => {
                log::warn!("adding partitions to the transaction failed: {e}");
                shared.transaction_failure.lock().get_or_insert(e.clone());
                shared.accumulator.abort_all(&e);
            }
        }
    }
}
