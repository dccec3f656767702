//! Where admin requests go, and how they are retried: to the controller (topic and
//! partition changes, elections, reassignments), to a consumer group's or a
//! transactional id's coordinator, to partition leaders (offsets, records,
//! producers), to one broker (its configs, its log dirs), or to any broker (configs,
//! ACLs, SCRAM users, the quorum: KRaft brokers forward what the controller must do).
//!
//! Every function here retries, until the call's deadline, what can succeed if asked
//! again: a broker that cannot be reached (the next metadata names its successor),
//! NOT_CONTROLLER, NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE (looked up again),
//! and COORDINATOR_LOAD_IN_PROGRESS (asked again after the back-off).

use std::time::{Duration, Instant};

use crate::client::client::coordinator_of;
use crate::client::KafkaClient;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::protocol::messages::FindCoordinatorRequest;
use crate::protocol::Request;

/// FindCoordinator's key type of a consumer group.
const GROUP_KEY: i8 = 0;
/// FindCoordinator's key type of a transactional id.
const TRANSACTION_KEY: i8 = 1;

/// The time left until `deadline`, or a timeout error.
pub(super) fn remaining(deadline: Instant) -> Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(KafkaError::timeout("the admin call's timeout passed"))
    } else {
        Ok(left)
    }
}

/// Waits the client's retry back-off (no longer than the deadline allows).
pub(super) fn back_off(client: &KafkaClient, deadline: Instant) -> Result<()> {
    let wait = client.config().retry_backoff.min(remaining(deadline)?);
    // A back-off between attempts; nothing to wait on but time.
    std::thread::sleep(wait);
    Ok(())
}

/// Finds the controller (refreshing metadata), or any broker if the cluster names none.
fn controller(client: &mut KafkaClient, deadline: Instant) -> Result<i32> {
    client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
    match client.cluster().controller {
        Some(id) => Ok(id),
        None => client
            .least_loaded_node(Instant::now())
            .ok_or_else(|| KafkaError::timeout("no broker is reachable")),
    }
}

/// Sends `request` to the controller, retrying until `deadline` when it cannot be
/// reached or `not_controller` says it answered NOT_CONTROLLER (it moved).
pub(super) fn send_to_controller<R: Request>(
    client: &mut KafkaClient,
    request: &R,
    deadline: Instant,
    not_controller: impl Fn(&R::Response) -> bool,
) -> Result<R::Response> {
    loop {
        let node = controller(client, deadline)?;
        match client.send_and_wait(node, request, remaining(deadline)?) {
            Ok(response) if !not_controller(&response) => return Ok(response),
            Ok(_) => log::debug!("node {node} is no longer the controller; retrying"),
            Err(e) if e.kind() == ErrorKind::Connection => {
                log::debug!("the controller (node {node}) cannot be reached: {e}");
            }
            Err(e) => return Err(e),
        }
        back_off(client, deadline)?;
    }
}

/// Sends `request` to node `node` if given (a broker's own configs), or else to any
/// broker, retrying until `deadline` while the node cannot be reached.
pub(super) fn send_to_any_or<R: Request>(
    client: &mut KafkaClient,
    node: Option<i32>,
    request: &R,
    deadline: Instant,
) -> Result<R::Response> {
    let Some(node) = node else {
        return client
            .send_to_any(request, remaining(deadline)?)
            .map(|(_, response)| response);
    };
    loop {
        if client.cluster().broker(node).is_none() {
            client.update_metadata(Some(&[]), false, remaining(deadline)?)?;
            if client.cluster().broker(node).is_none() {
                return Err(KafkaError::invalid_argument(format!(
                    "the cluster has no broker {node}"
                )));
            }
        }
        match client.send_and_wait(node, request, remaining(deadline)?) {
            Err(e) if e.kind() == ErrorKind::Connection => {
                log::debug!("node {node} cannot be reached: {e}");
                back_off(client, deadline)?;
            }
            outcome => return outcome,
        }
    }
}

/// The coordinator of consumer group `group`, registered with the client.
pub(super) fn group_coordinator(
    client: &mut KafkaClient,
    group: &str,
    deadline: Instant,
) -> Result<i32> {
    coordinator(client, group, GROUP_KEY, deadline)
        .map_err(|e| e.context(format!("finding the coordinator of group {group}")))
}

/// The transaction coordinator of `transactional_id`, registered with the client.
pub(super) fn transaction_coordinator(
    client: &mut KafkaClient,
    transactional_id: &str,
    deadline: Instant,
) -> Result<i32> {
    coordinator(client, transactional_id, TRANSACTION_KEY, deadline).map_err(|e| {
        e.context(format!(
            "finding the coordinator of transactional id {transactional_id}"
        ))
    })
}

fn coordinator(
    client: &mut KafkaClient,
    key: &str,
    key_type: i8,
    deadline: Instant,
) -> Result<i32> {
    let request = FindCoordinatorRequest {
        key: key.to_owned(),
        key_type,
        coordinator_keys: vec![key.to_owned()],
    };
    loop {
        let (_, response) = client.send_to_any(&request, remaining(deadline)?)?;
        match coordinator_of(&response) {
            Ok((node, address)) => {
                client.add_node(node, address);
                return Ok(node);
            }
            Err(e) if e.is_retriable() => {
                log::debug!("finding the coordinator of {key}: {e}");
                back_off(client, deadline)?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether `code` says to look the coordinator up again or ask it again later.
fn coordinator_busy_or_moved(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::NOT_COORDINATOR
            | ErrorCode::COORDINATOR_NOT_AVAILABLE
            | ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
    )
}

/// Sends `request` to the coordinator of `group`, retrying until `deadline` while the
/// coordinator moved, is loading, or cannot be reached. `code` reads the error code
/// that decides this (the group's, for requests about one group).
pub(super) fn send_to_coordinator<R: Request>(
    client: &mut KafkaClient,
    group: &str,
    request: &R,
    deadline: Instant,
    code: impl Fn(&R::Response) -> i16,
) -> Result<R::Response> {
    loop {
        let node = group_coordinator(client, group, deadline)?;
        match client.send_and_wait(node, request, remaining(deadline)?) {
            Ok(response) => {
                let c = ErrorCode(code(&response));
                if !coordinator_busy_or_moved(c) {
                    return Ok(response);
                }
                log::debug!("the coordinator of group {group} (node {node}) answered {c:?}");
            }
            Err(e) if e.kind() == ErrorKind::Connection => {
                log::debug!("the coordinator of group {group} (node {node}): {e}");
            }
            Err(e) => return Err(e),
        }
        back_off(client, deadline)?;
    }
}
