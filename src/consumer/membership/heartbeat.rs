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
use crate::protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, LeaveGroupRequest, LeaveGroupRequestMember,
};

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

    /// A handle that reports events as the thread would, for unit tests of the parts
    /// that act on what the thread finds.
    #[cfg(test)]
    pub fn reporter(&self) -> Reporter {
        Reporter(Arc::clone(&self.shared))
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

/// Reports events in place of the heartbeat thread (unit tests).
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct Reporter(Arc<Shared>);

#[cfg(test)]
impl Reporter {
    /// Reports `event`, as the thread does when it finds something out.
    pub fn report(&self, event: HeartbeatEvent) {
        self.0.state.lock().events.push(event);
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(shared: Arc<Shared>, mut client: KafkaClient, settings: HeartbeatSettings) {
    let mut session = Session::new(Instant::now());
    loop {
        let target = {
            let mut state = shared.state.lock();
            if state.closed {
                return;
            }
            match session.next_step(&mut state, &settings, Instant::now()) {
                Step::Idle => {
                    shared.wake.wait(&mut state);
                    continue;
                }
                Step::WaitUntil(at) => {
                    shared.wake.wait_until(&mut state, at);
                    continue;
                }
                Step::PollTimeout(target) => {
                    log::warn!(
                        "poll() was not called for more than max.poll.interval.ms ({:?}); leaving group {} so that others take over its partitions",
                        settings.max_poll_interval,
                        target.group_id
                    );
                    drop(state);
                    if target.group_instance_id.is_none() {
                        leave(&mut client, &target, settings.request_timeout);
                    }
                    continue;
                }
                Step::Send(target) => target,
            }
        };

        let sent = Instant::now();
        let outcome = heartbeat(&mut client, &target, &settings);
        let mut state = shared.state.lock();
        if session.on_outcome(
            &mut state,
            &target,
            outcome,
            sent,
            Instant::now(),
            &settings,
        ) {
            client.close(
                target.coordinator_id,
                KafkaError::connection("coordinator lost"),
            );
        }
    }
}

/// What the heartbeat thread does next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Nothing to heartbeat for: wait to be told.
    Idle,
    /// Wait until then (or until woken): the next heartbeat, or the poll deadline.
    WaitUntil(Instant),
    /// `poll()` was not called within `max.poll.interval.ms`: the member was taken
    /// out and [`HeartbeatEvent::PollTimeout`] reported; it leaves the group (a
    /// dynamic member sends LeaveGroup for this target).
    PollTimeout(HeartbeatTarget),
    /// Heartbeat for this target now.
    Send(HeartbeatTarget),
}

/// The heartbeat thread's timing for the generation it heartbeats for: when the next
/// heartbeat is due and when one last succeeded. It reads no clock: every decision
/// takes `now`.
#[derive(Debug)]
struct Session {
    current: Option<HeartbeatTarget>,
    next_heartbeat: Instant,
    last_success: Instant,
}

impl Session {
    fn new(now: Instant) -> Self {
        Session {
            current: None,
            next_heartbeat: now,
            last_success: now,
        }
    }

    /// Decides, at `now` and with the shared `state` locked, what to do next.
    fn next_step(&mut self, state: &mut State, settings: &HeartbeatSettings, now: Instant) -> Step {
        let Some(target) = state.target.clone() else {
            self.current = None;
            return Step::Idle;
        };
        if self.current.as_ref() != Some(&target) {
            // A new generation: heartbeat right away, and the session starts now.
            self.current = Some(target.clone());
            self.next_heartbeat = now;
            self.last_success = now;
        }
        if now.saturating_duration_since(state.last_poll) > settings.max_poll_interval {
            state.target = None;
            state.events.push(HeartbeatEvent::PollTimeout);
            return Step::PollTimeout(target);
        }
        if now < self.next_heartbeat {
            let poll_deadline = state.last_poll + settings.max_poll_interval;
            return Step::WaitUntil(
                self.next_heartbeat
                    .min(poll_deadline + Duration::from_millis(1)),
            );
        }
        Step::Send(target)
    }

    /// Applies the outcome of the heartbeat for `target` sent at `sent` and answered
    /// at `now`: when the next one is due, and what to report. Returns whether the
    /// connection to the coordinator must be closed (it is lost).
    fn on_outcome(
        &mut self,
        state: &mut State,
        target: &HeartbeatTarget,
        outcome: Result<(), Outcome>,
        sent: Instant,
        now: Instant,
        settings: &HeartbeatSettings,
    ) -> bool {
        if state.target.as_ref() != Some(target) {
            // The caller moved on (rejoined, closed) while the heartbeat was out.
            return false;
        }
        let event = match outcome {
            Ok(()) => {
                self.last_success = now;
                self.next_heartbeat = sent + settings.interval;
                return false;
            }
            Err(event) => event,
        };
        self.next_heartbeat = crate::time::deadline_after(now, settings.retry_backoff);
        match event {
            Outcome::Rebalance => {
                // Keep heartbeating until the caller rejoins.
                self.last_success = now;
                self.next_heartbeat = sent + settings.interval;
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
                state.events.push(HeartbeatEvent::CoordinatorLost {
                    coordinator_id: target.coordinator_id,
                    why,
                });
                return true;
            }
            Outcome::Retry(why) => {
                log::debug!("heartbeat failed: {why}");
                if now.saturating_duration_since(self.last_success) > settings.session_timeout {
                    state.target = None;
                    state.events.push(HeartbeatEvent::CoordinatorLost {
                        coordinator_id: target.coordinator_id,
                        why: format!("no successful heartbeat within the session timeout: {why}"),
                    });
                }
            }
        }
        false
    }
}

/// What a heartbeat found, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    if client.address(target.coordinator_id) != Some(&target.coordinator) {
        client.add_node(target.coordinator_id, target.coordinator.clone());
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
    let response = client.send_and_wait(target.coordinator_id, &request, timeout);
    if response.is_ok() {
        // Drop whatever else completed; this client sends nothing else that needs an
        // answer.
        let _ = client.poll(Duration::ZERO);
    }
    outcome_of(response)
}

/// What the answer to a heartbeat (or the failure to get one) means.
fn outcome_of(response: crate::Result<HeartbeatResponse>) -> Result<(), Outcome> {
    let response = match response {
        Ok(response) => response,
        Err(e) if loses_coordinator(&e) => return Err(Outcome::CoordinatorLost(e.to_string())),
        Err(e) => return Err(Outcome::Retry(e.to_string())),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(3);
    const SESSION: Duration = Duration::from_secs(45);
    const MAX_POLL: Duration = Duration::from_secs(300);
    const BACKOFF: Duration = Duration::from_millis(100);
    const MS: Duration = Duration::from_millis(1);

    fn settings() -> HeartbeatSettings {
        HeartbeatSettings {
            interval: INTERVAL,
            session_timeout: SESSION,
            max_poll_interval: MAX_POLL,
            retry_backoff: BACKOFF,
            request_timeout: Duration::from_secs(30),
        }
    }

    fn target(generation_id: i32) -> HeartbeatTarget {
        HeartbeatTarget {
            coordinator_id: i32::MAX - 1,
            coordinator: BrokerAddress {
                host: "127.0.0.1".into(),
                port: 1,
            },
            group_id: "g".into(),
            generation_id,
            member_id: "m".into(),
            group_instance_id: None,
        }
    }

    /// The state right after `Heartbeat::start(target)` at `t0`.
    fn started(t0: Instant) -> State {
        State {
            target: Some(target(3)),
            last_poll: t0,
            events: Vec::new(),
            closed: false,
        }
    }

    fn answer(code: ErrorCode) -> Result<(), Outcome> {
        outcome_of(Ok(HeartbeatResponse {
            throttle_time_ms: 0,
            error_code: code.code(),
        }))
    }

    /// Sends the heartbeat that is due at `now` and applies `outcome`, answered at
    /// once. Returns whether the coordinator connection is to be closed.
    fn beat(
        session: &mut Session,
        state: &mut State,
        now: Instant,
        outcome: Result<(), Outcome>,
    ) -> bool {
        let step = session.next_step(state, &settings(), now);
        let Step::Send(sent_for) = step else {
            panic!("a heartbeat is due at {now:?}: {step:?}");
        };
        session.on_outcome(state, &sent_for, outcome, now, now, &settings())
    }

    #[test]
    fn a_heartbeat_goes_at_once_for_a_new_generation_then_every_interval() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        assert_eq!(
            session.next_step(&mut state, &settings(), t0),
            Step::Send(target(3))
        );
        // The answer takes 10 ms; the interval counts from the send.
        let answered = t0 + Duration::from_millis(10);
        assert!(!session.on_outcome(&mut state, &target(3), Ok(()), t0, answered, &settings()));
        assert_eq!(
            session.next_step(&mut state, &settings(), answered),
            Step::WaitUntil(t0 + INTERVAL)
        );
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + INTERVAL - MS),
            Step::WaitUntil(t0 + INTERVAL)
        );
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + INTERVAL),
            Step::Send(target(3))
        );
        // A new generation starts over: its first heartbeat goes at once.
        state.target = Some(target(4));
        assert_eq!(
            session.next_step(&mut state, &settings(), answered),
            Step::Send(target(4))
        );
        assert!(state.events.is_empty());
    }

    #[test]
    fn without_a_target_the_thread_idles() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        state.target = None;
        assert_eq!(session.next_step(&mut state, &settings(), t0), Step::Idle);
        assert!(state.events.is_empty());
    }

    #[test]
    fn a_member_that_does_not_poll_for_max_poll_interval_leaves() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        let mut now = t0;
        // Heartbeats keep the session, but not the membership, alive.
        while now + INTERVAL <= t0 + MAX_POLL {
            assert!(!beat(&mut session, &mut state, now, Ok(())));
            now += INTERVAL;
        }
        assert_eq!(
            now,
            t0 + MAX_POLL,
            "the interval divides max.poll.interval.ms"
        );
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + MAX_POLL),
            Step::Send(target(3)),
            "at max.poll.interval.ms exactly the member still heartbeats"
        );
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + MAX_POLL + MS),
            Step::PollTimeout(target(3))
        );
        assert_eq!(state.target, None, "no more heartbeats");
        assert_eq!(state.events, vec![HeartbeatEvent::PollTimeout]);
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + MAX_POLL + MS),
            Step::Idle
        );
    }

    #[test]
    fn polling_moves_the_poll_deadline_and_the_wait_ends_for_it() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        assert!(!beat(&mut session, &mut state, t0, Ok(())));
        // A poll interval shorter than the heartbeat interval: wake for its end.
        let short = HeartbeatSettings {
            max_poll_interval: Duration::from_secs(1),
            ..settings()
        };
        assert_eq!(
            session.next_step(&mut state, &short, t0 + MS),
            Step::WaitUntil(t0 + Duration::from_secs(1) + MS)
        );
        state.last_poll = t0 + Duration::from_millis(900);
        assert_eq!(
            session.next_step(&mut state, &short, t0 + Duration::from_millis(1500)),
            Step::WaitUntil(t0 + Duration::from_millis(1900) + MS),
            "the caller polled: not a poll timeout"
        );
        assert!(state.events.is_empty());
    }

    #[test]
    fn rebalance_in_progress_asks_once_to_rejoin_and_keeps_heartbeating() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        assert_eq!(
            answer(ErrorCode::REBALANCE_IN_PROGRESS),
            Err(Outcome::Rebalance)
        );
        assert!(!beat(
            &mut session,
            &mut state,
            t0,
            answer(ErrorCode::REBALANCE_IN_PROGRESS)
        ));
        assert_eq!(state.events, vec![HeartbeatEvent::RejoinNeeded]);
        assert_eq!(
            state.target,
            Some(target(3)),
            "still a member until it rejoins"
        );
        assert_eq!(
            session.next_step(&mut state, &settings(), t0 + MS),
            Step::WaitUntil(t0 + INTERVAL),
            "at the interval, not the back-off"
        );
        // Answered the same for a whole session: still no session loss, one event.
        let mut now = t0 + INTERVAL;
        while now <= t0 + SESSION + INTERVAL {
            beat(
                &mut session,
                &mut state,
                now,
                answer(ErrorCode::REBALANCE_IN_PROGRESS),
            );
            now += INTERVAL;
        }
        assert_eq!(state.events, vec![HeartbeatEvent::RejoinNeeded]);
        assert_eq!(state.target, Some(target(3)));
    }

    #[test]
    fn fencing_codes_stop_heartbeats_and_say_whether_the_member_id_is_gone() {
        for (code, reset_member) in [
            (ErrorCode::ILLEGAL_GENERATION, false),
            (ErrorCode::UNKNOWN_MEMBER_ID, true),
            (ErrorCode::FENCED_INSTANCE_ID, true),
        ] {
            let t0 = Instant::now();
            let mut session = Session::new(t0);
            let mut state = started(t0);
            assert_eq!(answer(code), Err(Outcome::Fenced(code)));
            assert!(!beat(&mut session, &mut state, t0, answer(code)), "{code}");
            assert_eq!(state.target, None, "{code}");
            assert_eq!(
                state.events,
                vec![HeartbeatEvent::Fenced { code, reset_member }]
            );
            assert_eq!(session.next_step(&mut state, &settings(), t0), Step::Idle);
        }
    }

    #[test]
    fn not_coordinator_and_broken_connections_lose_the_coordinator() {
        let failures = [
            answer(ErrorCode::NOT_COORDINATOR),
            answer(ErrorCode::COORDINATOR_NOT_AVAILABLE),
            outcome_of(Err(KafkaError::connection("connection refused"))),
            outcome_of(Err(KafkaError::timeout("request timed out"))),
        ];
        for outcome in failures {
            let why = match &outcome {
                Err(Outcome::CoordinatorLost(why)) => why.clone(),
                other => panic!("the coordinator is lost: {other:?}"),
            };
            let t0 = Instant::now();
            let mut session = Session::new(t0);
            let mut state = started(t0);
            assert!(
                beat(&mut session, &mut state, t0, outcome),
                "its connection is closed"
            );
            assert_eq!(state.target, None);
            assert_eq!(
                state.events,
                vec![HeartbeatEvent::CoordinatorLost {
                    coordinator_id: i32::MAX - 1,
                    why
                }]
            );
        }
        assert!(answer(ErrorCode::NOT_COORDINATOR)
            .is_err_and(|o| o == Outcome::CoordinatorLost("NOT_COORDINATOR".into())));
    }

    #[test]
    fn other_errors_retry_after_backoff_until_the_session_times_out() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        assert!(!beat(&mut session, &mut state, t0, Ok(())));
        let busy = || answer(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
        assert!(matches!(busy(), Err(Outcome::Retry(_))));
        let mut now = t0 + INTERVAL;
        assert!(!beat(&mut session, &mut state, now, busy()));
        assert_eq!(
            session.next_step(&mut state, &settings(), now + BACKOFF - MS),
            Step::WaitUntil(now + BACKOFF),
            "retried after retry.backoff.ms"
        );
        // Retried every back-off; within the session nothing is reported.
        now += BACKOFF;
        while now <= t0 + SESSION {
            assert!(!beat(&mut session, &mut state, now, busy()));
            assert!(
                state.events.is_empty(),
                "within the session at {:?}",
                now - t0
            );
            now += BACKOFF;
        }
        assert_eq!(state.target, Some(target(3)));
        // The first failure more than the session timeout after the last success.
        assert!(now > t0 + SESSION);
        assert!(!beat(&mut session, &mut state, now, busy()));
        assert_eq!(state.target, None);
        match state.events.as_slice() {
            [HeartbeatEvent::CoordinatorLost {
                coordinator_id,
                why,
            }] => {
                assert_eq!(*coordinator_id, i32::MAX - 1);
                assert!(why.contains("session timeout"), "{why}");
                assert!(why.contains("COORDINATOR_LOAD_IN_PROGRESS"), "{why}");
            }
            other => panic!("one coordinator loss: {other:?}"),
        }
    }

    #[test]
    fn a_success_restarts_the_session_clock() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        let busy = || {
            outcome_of(Err(KafkaError::new(
                ErrorKind::UnexpectedResponse,
                "garbled",
            )))
        };
        assert!(matches!(busy(), Err(Outcome::Retry(_))));
        assert!(!beat(
            &mut session,
            &mut state,
            t0 + SESSION - BACKOFF,
            busy()
        ));
        assert!(!beat(&mut session, &mut state, t0 + SESSION, Ok(())));
        assert!(!beat(
            &mut session,
            &mut state,
            t0 + SESSION + INTERVAL,
            busy()
        ));
        assert!(state.events.is_empty(), "{:?}", state.events);
        assert_eq!(state.target, Some(target(3)));
    }

    #[test]
    fn an_answer_for_a_generation_the_caller_left_is_ignored() {
        let t0 = Instant::now();
        let mut session = Session::new(t0);
        let mut state = started(t0);
        let Step::Send(sent_for) = session.next_step(&mut state, &settings(), t0) else {
            panic!("due");
        };
        // The caller rejoined while the heartbeat was out.
        state.target = Some(target(4));
        let close = session.on_outcome(
            &mut state,
            &sent_for,
            answer(ErrorCode::NOT_COORDINATOR),
            t0,
            t0,
            &settings(),
        );
        assert!(!close);
        assert!(state.events.is_empty());
        assert_eq!(state.target, Some(target(4)));
    }

    #[test]
    fn leave_requests_name_the_member_for_every_version() {
        let request = leave_request("g", "m", Some("static-1"), "closing");
        assert_eq!(request.group_id, "g");
        assert_eq!(request.member_id, "m", "versions 0 to 2");
        assert_eq!(request.members.len(), 1, "versions 3 and later");
        assert_eq!(request.members[0].member_id, "m");
        assert_eq!(
            request.members[0].group_instance_id.as_deref(),
            Some("static-1")
        );
        assert_eq!(request.members[0].reason.as_deref(), Some("closing"));
    }
}
