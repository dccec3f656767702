//! The heartbeat thread: keeps a group member's session alive while the caller works
//! between `poll()` calls, and enforces `max.poll.interval.ms`.
//!
//! The thread has its own connection to the coordinator (through its own
//! [`KafkaClient`]), so a heartbeat never waits behind a long-polling fetch or a
//! JoinGroup of the caller's thread. It heartbeats only while the member is in a
//! stable generation ([`Heartbeat::start`] until [`Heartbeat::stop`]); what it learns
//! (a rebalance started, the member was fenced, the coordinator moved, the caller
//! stopped polling) it reports as [`HeartbeatEvent`]s that the next `poll()` acts on,
//! on the caller's thread.
//!
//! `max.poll.interval.ms` (KIP-62): a caller that does not call `poll()` for that long
//! is considered stuck. The thread then leaves the group on its behalf (a static
//! member just stops heartbeating, so that its session times out instead), so that
//! the other members take over its partitions; the next `poll()` rejoins.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::thread::HeartbeatThread;
use crate::client::KafkaClient;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, ErrorKind, KafkaError};
use crate::net::BrokerAddress;
use crate::protocol::messages::{HeartbeatRequest, LeaveGroupRequest, LeaveGroupRequestMember};

/// Who to heartbeat for, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeartbeatTarget {
    pub coordinator_id: i32,
    pub coordinator: BrokerAddress,
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

/// What the heartbeat thread found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeartbeatEvent {
    /// The group is rebalancing: rejoin.
    RejoinNeeded,
    /// The coordinator no longer knows this member or generation: its partitions are
    /// lost; rejoin (with a new member id if `reset_member`).
    Fenced { code: ErrorCode, reset_member: bool },
    /// The coordinator (this connection id) could not be reached or moved: look it up
    /// again.
    CoordinatorLost { coordinator_id: i32, why: String },
    /// `poll()` was not called within `max.poll.interval.ms`; the member left.
    PollTimeout,
}

#[derive(Debug)]
struct State {
    target: Option<HeartbeatTarget>,
    last_poll: Instant,
    events: Vec<HeartbeatEvent>,
    closed: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Timing settings.
#[derive(Debug, Clone)]
pub(crate) struct HeartbeatSettings {
    pub interval: Duration,
    pub session_timeout: Duration,
    pub max_poll_interval: Duration,
    pub retry_backoff: Duration,
    pub request_timeout: Duration,
}

/// The handle of the heartbeat thread; dropping it stops the thread.
#[derive(Debug)]
pub(crate) struct Heartbeat {
    shared: Arc<Shared>,
    thread: HeartbeatThread,
}

impl Heartbeat {
    /// Starts the thread (idle until [`Heartbeat::start`]).
    pub fn spawn(config: ClientConfig, settings: HeartbeatSettings) -> crate::Result<Heartbeat> {
        let client = KafkaClient::new(config)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                target: None,
                last_poll: Instant::now(),
                events: Vec::new(),
                closed: false,
            }),
            wake: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = HeartbeatThread::spawn(move || run(thread_shared, client, settings))?;
        Ok(Heartbeat { shared, thread })
    }

    /// Heartbeats for `target` from now on.
    pub fn start(&self, target: HeartbeatTarget) {
        let mut state = self.shared.state.lock();
        state.target = Some(target);
        state.last_poll = Instant::now();
        self.shared.wake.notify_all();
    }

    /// Stops heartbeating (while rejoining, or after leaving).
    pub fn stop(&self) {
        self.shared.state.lock().target = None;
        self.shared.wake.notify_all();
    }

    /// Records that the caller polled (for `max.poll.interval.ms`).
    pub fn note_poll(&self) {
        self.shared.state.lock().last_poll = Instant::now();
    }

    /// What happened since the last call.
    pub fn take_events(&self) -> Vec<HeartbeatEvent> {
        std::mem::take(&mut self.shared.state.lock().events)
    }

    /// Stops the thread and waits for it: it wakes at once, but a heartbeat in flight
    /// may hold it up; after a short wait it is left to end by itself.
    pub fn close(&mut self) {
        {
            let mut state = self.shared.state.lock();
            state.closed = true;
            state.target = None;
        }
        self.shared.wake.notify_all();
        self.thread.join();
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(shared: Arc<Shared>, mut client: KafkaClient, settings: HeartbeatSettings) {
    let mut next_heartbeat = Instant::now();
    let mut last_success = Instant::now();
    let mut current: Option<HeartbeatTarget> = None;
    loop {
        let target = {
            let mut state = shared.state.lock();
            if state.closed {
                return;
            }
            let Some(target) = state.target.clone() else {
                current = None;
                shared.wake.wait(&mut state);
                continue;
            };
            if current.as_ref() != Some(&target) {
                // A new generation: heartbeat right away, and the session starts now.
                current = Some(target.clone());
                next_heartbeat = Instant::now();
                last_success = Instant::now();
            }
            let now = Instant::now();
            if now.duration_since(state.last_poll) > settings.max_poll_interval {
                log::warn!(
                    "poll() was not called for more than max.poll.interval.ms ({:?}); leaving group {} so that others take over its partitions",
                    settings.max_poll_interval,
                    target.group_id
                );
                state.target = None;
                state.events.push(HeartbeatEvent::PollTimeout);
                drop(state);
                if target.group_instance_id.is_none() {
                    leave(&mut client, &target, settings.request_timeout);
                }
                continue;
            }
            if now < next_heartbeat {
                let poll_deadline = state.last_poll + settings.max_poll_interval;
                let wake_at = next_heartbeat.min(poll_deadline + Duration::from_millis(1));
                shared.wake.wait_until(&mut state, wake_at);
                continue;
            }
            target
        };

        let sent = Instant::now();
        let outcome = heartbeat(&mut client, &target, &settings);
        let mut state = shared.state.lock();
        if state.target.as_ref() != Some(&target) {
            // The caller moved on (rejoined, closed) while the heartbeat was out.
            continue;
        }
        match outcome {
            Ok(()) => {
                last_success = Instant::now();
                next_heartbeat = sent + settings.interval;
            }
            Err(event) => {
                next_heartbeat = crate::time::deadline_in(settings.retry_backoff);
                match event {
                    Outcome::Rebalance => {
                        // Keep heartbeating until the caller rejoins.
                        last_success = Instant::now();
                        next_heartbeat = sent + settings.interval;
                        if !state.events.contains(&HeartbeatEvent::RejoinNeeded) {
                            state.events.push(HeartbeatEvent::RejoinNeeded);
                        }
                    }
                    Outcome::Fenced(code) => {
                        state.target = None;
                        state.events.push(HeartbeatEvent::Fenced {
                            code,
                            reset_member: code == ErrorCode::UNKNOWN_MEMBER_ID
                                || code == ErrorCode::FENCED_INSTANCE_ID,
                        });
                    }
                    Outcome::CoordinatorLost(why) => {
                        state.target = None;
                        client.network().close(
                            target.coordinator_id,
                            KafkaError::connection("coordinator lost"),
                        );
                        state.events.push(HeartbeatEvent::CoordinatorLost {
                            coordinator_id: target.coordinator_id,
                            why,
                        });
                    }
                    Outcome::Retry(why) => {
                        log::debug!("heartbeat failed: {why}");
                        if last_success.elapsed() > settings.session_timeout {
                            state.target = None;
                            state.events.push(HeartbeatEvent::CoordinatorLost {
                                coordinator_id: target.coordinator_id,
                                why: format!(
                                    "no successful heartbeat within the session timeout: {why}"
                                ),
                            });
                        }
                    }
                }
            }
        }
    }
}

enum Outcome {
    Rebalance,
    Fenced(ErrorCode),
    CoordinatorLost(String),
    Retry(String),
}

/// Whether a failed request to the coordinator means the coordinator is gone (moved,
/// or its broker unreachable), so that it must be looked up again: the coordinator
/// error codes, stale metadata, and (as in the Java client, which marks the
/// coordinator dead on a disconnect) a broken connection or a request timeout.
pub(crate) fn loses_coordinator(e: &KafkaError) -> bool {
    e.is_invalid_metadata()
        || matches!(e.kind(), ErrorKind::Connection | ErrorKind::Timeout)
        || matches!(
            e.code(),
            Some(ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE)
        )
}

fn ensure_node(client: &mut KafkaClient, target: &HeartbeatTarget) {
    if client.network().address(target.coordinator_id) != Some(&target.coordinator) {
        client
            .network()
            .add_node(target.coordinator_id, target.coordinator.clone());
    }
}

fn heartbeat(
    client: &mut KafkaClient,
    target: &HeartbeatTarget,
    settings: &HeartbeatSettings,
) -> Result<(), Outcome> {
    ensure_node(client, target);
    let request = HeartbeatRequest {
        group_id: target.group_id.clone(),
        generation_id: target.generation_id,
        member_id: target.member_id.clone(),
        group_instance_id: target.group_instance_id.clone(),
    };
    let timeout = settings.request_timeout.min(settings.session_timeout);
    let response = match client.send_and_wait(target.coordinator_id, &request, timeout) {
        Ok(response) => response,
        Err(e) if loses_coordinator(&e) => return Err(Outcome::CoordinatorLost(e.to_string())),
        Err(e) => return Err(Outcome::Retry(e.to_string())),
    };
    // Drop whatever else completed; this client sends nothing else that needs an answer.
    let _ = client.poll(Duration::ZERO);
    match ErrorCode(response.error_code) {
        ErrorCode::NONE => Ok(()),
        ErrorCode::REBALANCE_IN_PROGRESS => Err(Outcome::Rebalance),
        code @ (ErrorCode::ILLEGAL_GENERATION
        | ErrorCode::UNKNOWN_MEMBER_ID
        | ErrorCode::FENCED_INSTANCE_ID) => Err(Outcome::Fenced(code)),
        code @ (ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE) => {
            Err(Outcome::CoordinatorLost(code.name().to_owned()))
        }
        code => Err(Outcome::Retry(code.name().to_owned())),
    }
}

/// Sends LeaveGroup for `target`, best effort.
fn leave(client: &mut KafkaClient, target: &HeartbeatTarget, timeout: Duration) {
    ensure_node(client, target);
    let request = leave_request(
        &target.group_id,
        &target.member_id,
        None,
        "poll() was not called within max.poll.interval.ms",
    );
    if let Err(e) = client.send_and_wait(target.coordinator_id, &request, timeout) {
        log::debug!("LeaveGroup after a poll timeout failed: {e}");
    }
}

/// A LeaveGroup request for one member (the `member_id` field up to version 2, the
/// `members` list from version 3).
pub(crate) fn leave_request(
    group_id: &str,
    member_id: &str,
    group_instance_id: Option<&str>,
    reason: &str,
) -> LeaveGroupRequest {
    LeaveGroupRequest {
        group_id: group_id.to_owned(),
        member_id: member_id.to_owned(),
        members: vec![LeaveGroupRequestMember {
            member_id: member_id.to_owned(),
            group_instance_id: group_instance_id.map(str::to_owned),
            reason: Some(reason.to_owned()),
        }],
    }
}
