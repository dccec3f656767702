//! The cluster client: bootstrap, metadata and its refresh, node selection, and
//! blocking request/response calls on top of the [`NetworkClient`] poll loop.
//!
//! Bootstrap servers get negative pseudo node ids (-1, -2, ...) until the first
//! Metadata response names the real brokers; after that, requests that may go to any
//! broker pick the least loaded one (connected with the fewest requests in flight, else
//! one that is connecting, else one whose reconnect back-off has passed), so one dead
//! server in the bootstrap list only costs a failed connect.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::cluster::Cluster;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::{ApiVersionTable, BrokerAddress, NetworkClient, Response};
use crate::protocol::messages::{MetadataRequest, MetadataResponse};
use crate::protocol::Request;

/// How long a poll waits at most when nothing else bounds it, so deadlines are checked.
const MAX_POLL: Duration = Duration::from_millis(100);

/// A connection pool plus the cluster metadata.
pub struct KafkaClient {
    net: NetworkClient,
    config: ClientConfig,
    bootstrap_ids: Vec<i32>,
    cluster: Cluster,
    metadata_updated: Option<Instant>,
    metadata_stale: bool,
    /// Responses that arrived while a blocking call waited for its own; handed out by
    /// the next [`KafkaClient::poll`].
    stashed: Vec<Response>,
}

/// Written by hand: the network state without its buffers, and the config (whose own
/// `Debug` hides secrets).
impl std::fmt::Debug for KafkaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaClient")
            .field("config", &self.config)
            .field("net", &self.net)
            .field("brokers", &self.cluster.brokers.len())
            .field("topics", &self.cluster.topics.len())
            .finish_non_exhaustive()
    }
}

impl KafkaClient {
    /// A client for the cluster `config` names. Does not connect yet.
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let mut net = NetworkClient::new(config.connection_settings()?, config.request_timeout)?;
        let mut bootstrap_ids = Vec::new();
        for (i, address) in config.bootstrap_addresses()?.into_iter().enumerate() {
            let id = -1 - i as i32;
            net.add_node(id, address);
            bootstrap_ids.push(id);
        }
        Ok(KafkaClient {
            net,
            config,
            bootstrap_ids,
            cluster: Cluster::default(),
            metadata_updated: None,
            metadata_stale: true,
            stashed: Vec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The network layer, for callers that drive their own poll loop.
    pub fn network(&mut self) -> &mut NetworkClient {
        &mut self.net
    }

    /// The network layer, read-only.
    pub fn network_ref(&self) -> &NetworkClient {
        &self.net
    }

    /// The cluster as last seen.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Marks the metadata stale (after a leader or topic error).
    pub fn request_metadata_update(&mut self) {
        self.metadata_stale = true;
    }

    /// Whether metadata should be refreshed: it was marked stale or is older than
    /// `metadata.max.age.ms`.
    pub fn metadata_needs_update(&self, now: Instant) -> bool {
        self.metadata_stale
            || self
                .metadata_updated
                .is_none_or(|t| now.duration_since(t) >= self.config.metadata_max_age)
    }

    /// The API versions `node_id` announced (connecting to it first if needed).
    pub fn api_versions(&mut self, node_id: i32, timeout: Duration) -> Result<ApiVersionTable> {
        let deadline = crate::time::deadline_in(timeout);
        self.wait_ready(node_id, deadline)?;
        self.net
            .api_versions(node_id)
            .cloned()
            .ok_or_else(|| KafkaError::connection(format!("node {node_id} is not connected")))
    }

    /// Every node the client could send to: the known brokers, or the bootstrap servers
    /// before the first metadata response.
    fn candidate_nodes(&self) -> Vec<i32> {
        if self.cluster.brokers.is_empty() {
            self.bootstrap_ids.clone()
        } else {
            self.cluster.brokers.keys().copied().collect()
        }
    }

    /// The node to send a request to that any broker can answer: ready with the fewest
    /// requests in flight, else connecting, else one whose back-off has passed.
    pub fn least_loaded_node(&mut self, now: Instant) -> Option<i32> {
        let candidates = self.candidate_nodes();
        if let Some(ready) = candidates
            .iter()
            .copied()
            .filter(|&id| self.net.is_ready(id))
            .min_by_key(|&id| self.net.in_flight(id))
        {
            return Some(ready);
        }
        if let Some(&connecting) = candidates.iter().find(|&&id| self.net.is_connecting(id)) {
            return Some(connecting);
        }
        candidates
            .iter()
            .copied()
            .find(|&id| !self.net.is_blacked_out(id, now))
    }

    /// Registers the brokers of the current metadata with the network layer.
    fn sync_nodes(&mut self) {
        let nodes: Vec<(i32, BrokerAddress)> = self
            .cluster
            .brokers
            .values()
            .map(|n| (n.id, n.address()))
            .collect();
        for (id, address) in nodes {
            self.net.add_node(id, address);
        }
    }

    /// Connects to `node_id` and waits until it is ready or `deadline` passes.
    pub fn wait_ready(&mut self, node_id: i32, deadline: Instant) -> Result<()> {
        self.wait_ready_inner(node_id, deadline, false)
    }

    /// Like [`wait_ready`](Self::wait_ready), but gives up as soon as an attempt to
    /// connect fails (or the node is backing off after one), so that the caller can
    /// try another broker: with dead bootstrap servers first in the list, waiting out
    /// each one's connect timeout could use up the whole call before a live one is
    /// tried.
    fn wait_ready_or_fail(&mut self, node_id: i32, deadline: Instant) -> Result<()> {
        self.wait_ready_inner(node_id, deadline, true)
    }

    fn wait_ready_inner(&mut self, node_id: i32, deadline: Instant, fail_fast: bool) -> Result<()> {
        if !self.net.has_node(node_id) {
            if let Some(node) = self.cluster.broker(node_id) {
                let address = node.address();
                self.net.add_node(node_id, address);
            } else {
                return Err(KafkaError::connection(format!(
                    "unknown broker id {node_id}"
                )));
            }
        }
        loop {
            let now = Instant::now();
            if self.net.ensure_connecting(node_id, now) {
                return Ok(());
            }
            if let Some(err) = self.net.fatal_error(node_id) {
                return Err(err.clone());
            }
            if fail_fast && self.net.is_failing(node_id) {
                if let Some(err) = self.net.last_error(node_id) {
                    return Err(err.clone());
                }
            }
            if now >= deadline {
                let why = self
                    .net
                    .last_error(node_id)
                    .map_or_else(String::new, |e| format!(" (last error: {e})"));
                let address = self
                    .net
                    .address(node_id)
                    .map_or_else(String::new, |a| a.to_string());
                return Err(KafkaError::timeout(format!(
                    "could not connect to broker {address} (node {node_id}) in time{why}"
                )));
            }
            let wait = (deadline - now).min(MAX_POLL);
            let wait = if self.net.is_blacked_out(node_id, now) {
                wait.min(Duration::from_millis(10))
            } else {
                wait
            };
            let responses = self.net.poll(wait)?;
            self.stashed.extend(responses);
        }
    }

    /// Sends `request` to `node_id` and waits for its response, up to `timeout`
    /// (connecting first if needed). A failed connection attempt fails the call at
    /// once with a connection error, as a disconnect fails a request in the Java
    /// client: the caller decides whether to look for another broker (a moved
    /// coordinator, a new leader) rather than wait out `timeout` on a dead one.
    pub fn send_and_wait<R: Request>(
        &mut self,
        node_id: i32,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response> {
        let deadline = crate::time::deadline_in(timeout);
        self.wait_ready_or_fail(node_id, deadline)?;
        let version = self.net.negotiate::<R>(node_id)?;
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let correlation_id = self
            .net
            .send_with(node_id, request, version, remaining, true)?;
        loop {
            let responses = self
                .net
                .poll(MAX_POLL.min(deadline.saturating_duration_since(Instant::now())))?;
            // Keep every other response for the next poll(), including those that came
            // in the same batch after ours: a pipelined fetch must never be lost.
            let mut ours = None;
            for response in responses {
                if response.node_id == node_id && response.correlation_id == correlation_id {
                    ours = Some(response);
                } else {
                    self.stashed.push(response);
                }
            }
            if let Some(response) = ours {
                return response.decode::<R>();
            }
        }
    }

    /// Sends `request` to the least loaded broker, moving on to another broker when one
    /// cannot be reached, until `timeout`. Returns the responding node and the response.
    pub fn send_to_any<R: Request>(
        &mut self,
        request: &R,
        timeout: Duration,
    ) -> Result<(i32, R::Response)> {
        let deadline = crate::time::deadline_in(timeout);
        let mut last_error: Option<KafkaError> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                let why = last_error.map_or_else(String::new, |e| format!(": {e}"));
                return Err(KafkaError::timeout(format!(
                    "no broker of {} answered {} in time{why}",
                    self.config.bootstrap_servers.join(","),
                    R::SUPPORT.key
                )));
            }
            let Some(node) = self.least_loaded_node(now) else {
                // Every broker is backing off; wait for the earliest to allow a retry.
                let responses = self
                    .net
                    .poll(Duration::from_millis(10).min(deadline - now))?;
                self.stashed.extend(responses);
                continue;
            };
            // Give one broker at most the connect timeout, so others get their turn.
            let attempt_deadline = deadline.min(crate::time::deadline_after(
                now,
                self.config.connect_timeout,
            ));
            match self.wait_ready_or_fail(node, attempt_deadline) {
                Ok(()) => {}
                // Another broker would refuse the same credentials or certificate.
                Err(e) if matches!(e.kind(), ErrorKind::Authentication | ErrorKind::Tls) => {
                    return Err(e)
                }
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            }
            match self.send_and_wait(
                node,
                request,
                deadline.saturating_duration_since(Instant::now()),
            ) {
                Ok(response) => return Ok((node, response)),
                Err(e) if matches!(e.kind(), ErrorKind::Connection) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
    }

    /// Fetches metadata for `topics` (all topics if `None`) from any broker and
    /// updates the cluster view. With `allow_auto_create`, brokers configured to do so
    /// create missing topics.
    pub fn update_metadata(
        &mut self,
        topics: Option<&[String]>,
        allow_auto_create: bool,
        timeout: Duration,
    ) -> Result<MetadataResponse> {
        let request = MetadataRequest::for_topics(topics, allow_auto_create);
        let (_, response) = self.send_to_any(&request, timeout)?;
        self.apply_metadata(&response, topics.is_none())?;
        Ok(response)
    }

    /// Applies a Metadata response obtained by the caller's own (non-blocking) request:
    /// updates the cluster view and registers its brokers. `all_topics` says whether
    /// the request asked for every topic.
    pub fn apply_metadata(&mut self, response: &MetadataResponse, all_topics: bool) -> Result<()> {
        if response.error_code != 0 {
            ErrorCode(response.error_code).check("metadata request")?;
        }
        self.cluster.update(response, all_topics);
        self.sync_nodes();
        self.metadata_updated = Some(Instant::now());
        self.metadata_stale = false;
        Ok(())
    }

    /// Makes sure metadata for `topics` is known, fetching it if any is missing or the
    /// metadata is stale.
    pub fn ensure_topics(&mut self, topics: &[String], timeout: Duration) -> Result<()> {
        let missing = topics.iter().any(|t| self.cluster.topic(t).is_none());
        if missing || self.metadata_needs_update(Instant::now()) {
            let mut wanted: HashSet<String> = self.cluster.topics.keys().cloned().collect();
            wanted.extend(topics.iter().cloned());
            let wanted: Vec<String> = wanted.into_iter().collect();
            self.update_metadata(Some(&wanted), false, timeout)?;
        }
        Ok(())
    }

    /// Waits up to `timeout` for I/O and returns the requests that completed
    /// (including any that completed during an earlier blocking call). Requests sent
    /// through [`KafkaClient::network`] complete here.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<Response>> {
        let timeout = if self.stashed.is_empty() {
            timeout
        } else {
            Duration::ZERO
        };
        let mut responses = std::mem::take(&mut self.stashed);
        responses.extend(self.net.poll(timeout)?);
        Ok(responses)
    }
}
