//! Finding a group's coordinator (FindCoordinator) and keeping the dedicated
//! connection to it.
//!
//! Both group protocols, and the commits, talk to the coordinator through the one
//! [`Discovery`] of the consumer's poll thread. The coordinator gets a connection of
//! its own (`i32::MAX - broker id`, as the Java client does), so that group requests
//! never queue behind long-polling fetches to the same broker.

use std::time::Instant;

use crate::client::client::coordinator_of;
use crate::client::KafkaClient;
use crate::error::{KafkaError, Result};
use crate::net::BrokerAddress;
use crate::protocol::messages::FindCoordinatorRequest;

/// The coordinator as found by FindCoordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CoordinatorNode {
    /// The id of the dedicated connection.
    pub connection_id: i32,
    pub address: BrokerAddress,
}

/// The coordinator of one group, once found.
#[derive(Debug)]
pub(crate) struct Discovery {
    group_id: String,
    retry_backoff: std::time::Duration,
    node: Option<CoordinatorNode>,
}

impl Discovery {
    pub fn new(group_id: &str, retry_backoff: std::time::Duration) -> Self {
        Discovery {
            group_id: group_id.to_owned(),
            retry_backoff,
            node: None,
        }
    }

    /// The coordinator's connection id, if known.
    pub fn id(&self) -> Option<i32> {
        self.node.as_ref().map(|c| c.connection_id)
    }

    /// The coordinator, if known.
    pub fn node(&self) -> Option<&CoordinatorNode> {
        self.node.as_ref()
    }

    /// Forgets the coordinator (it moved or is unreachable) and closes its connection,
    /// failing what is in flight on it. Returns whether one was known.
    pub fn mark_unknown(&mut self, client: &mut KafkaClient, why: &str) -> bool {
        let Some(c) = self.node.take() else {
            return false;
        };
        log::info!(
            "group {}: coordinator {} lost ({why}); looking it up again",
            self.group_id,
            c.address
        );
        client.close(c.connection_id, KafkaError::connection("coordinator lost"));
        true
    }

    /// Finds the coordinator, unless known, trying until `deadline`.
    pub fn ensure(&mut self, client: &mut KafkaClient, deadline: Instant) -> Result<i32> {
        if let Some(id) = self.id() {
            return Ok(id);
        }
        let group = self.group_id.clone();
        let request = FindCoordinatorRequest {
            key: group.clone(),
            key_type: 0,
            coordinator_keys: vec![group.clone()],
        };
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(KafkaError::timeout(format!(
                    "the coordinator of group {group} was not found in time"
                )));
            }
            let (_, response) = client.send_to_any(&request, deadline - now)?;
            match coordinator_of(&response) {
                Ok((node_id, address)) => {
                    // i32::MAX - a node id never overflows: node ids are not negative.
                    let connection_id = i32::MAX - node_id;
                    client.add_node(connection_id, address.clone());
                    log::debug!("group {group}: coordinator is node {node_id} at {address}");
                    self.node = Some(CoordinatorNode {
                        connection_id,
                        address,
                    });
                    return Ok(connection_id);
                }
                Err(e) if e.is_retriable() => {
                    log::debug!("group {group}: {e}");
                }
                Err(e) => {
                    return Err(e.context(format!("finding the coordinator of group {group}")))
                }
            }
            let wait = self
                .retry_backoff
                .min(deadline.saturating_duration_since(Instant::now()));
            // A back-off before asking again; there is nothing to wait on but time.
            std::thread::sleep(wait);
        }
    }

    /// The coordinator's connection id if it can take a request now (starting to
    /// connect if not). A coordinator that cannot be reached (its last connection
    /// failed, and the reconnect back-off still runs) is forgotten, as in the Java
    /// client, so that the next step looks it up again: a killed broker stays the
    /// coordinator in the cluster's answers only until the controller notices.
    pub fn ready(&mut self, client: &mut KafkaClient) -> Option<i32> {
        let id = self.id()?;
        let now = Instant::now();
        if client.is_blacked_out(id, now) {
            self.mark_unknown(client, "it cannot be reached");
            return None;
        }
        client.ensure_connecting(id, now).then_some(id)
    }

    /// Sets the coordinator (unit tests).
    #[cfg(test)]
    pub fn set_for_test(&mut self, node: CoordinatorNode) {
        self.node = Some(node);
    }
}
