//! The cluster client: bootstrap, metadata and its refresh, node selection, and
//! blocking request/response calls on top of the [`NetworkClient`] poll loop.
//!
//! Bootstrap servers get negative pseudo node ids (-1, -2, ...) until the first
//! Metadata response names the real brokers; after that, requests that may go to any
//! broker pick the least loaded one (connected with the fewest requests in flight, else
//! one that is connecting, else one whose reconnect back-off has passed), so one dead
//! server in the bootstrap list only costs a failed connect.
//!
//! It is the one router of requests: blocking calls ([`KafkaClient::send_and_wait`],
//! [`KafkaClient::send_to_any`]) for the admin client and the consumer's group calls,
//! and non-blocking ones ([`KafkaClient::send_with`], answered by
//! [`KafkaClient::poll`]) for the loops that keep many requests going, the producer's
//! sender and the consumer's fetcher. Those loops also refresh metadata through it
//! without blocking: [`KafkaClient::refresh_metadata`] sends a Metadata request when
//! one is due, and `poll()` applies the answer itself
//! ([`KafkaClient::take_metadata_refresh`] tells the caller it happened).
//!
//! Rebootstrap (KIP-899, `metadata.recovery.strategy=rebootstrap`): when every broker
//! the metadata named is backing off after a failure, or metadata was wanted and none
//! came for `metadata.recovery.rebootstrap.trigger.ms`, the client forgets those
//! brokers and asks the bootstrap servers again, looking their names up anew: a
//! cluster that was replaced, or came back on other addresses, is found again.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cluster::Cluster;
use crate::config::{ClientConfig, MetadataRecovery};
use crate::error::{ErrorCode, ErrorKind, KafkaError, Result};
use crate::net::connection::ConnectionSettings;
use crate::net::{ApiVersionTable, BrokerAddress, BrokerStatistics, NetworkClient, Response};
use crate::protocol::messages::{FindCoordinatorResponse, MetadataRequest, MetadataResponse};
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
    /// How many metadata responses were applied.
    metadata_generation: u64,
    metadata_stale: bool,
    /// Since when metadata has been wanted without an update (the start of the
    /// rebootstrap trigger's clock).
    stale_since: Instant,
    /// Responses that arrived while a blocking call waited for its own; handed out by
    /// the next [`KafkaClient::poll`].
    stashed: Vec<Response>,
    /// Set from another thread to interrupt blocking calls (a consumer's wakeup).
    wakeup: Option<Arc<AtomicBool>>,
    /// The non-blocking metadata refresh that `poll()` completes.
    refresh: MetadataRefresh,
}

/// The state of the non-blocking metadata refresh ([`KafkaClient::refresh_metadata`]).
#[derive(Debug)]
struct MetadataRefresh {
    /// The request in flight: node id, correlation id, and whether it asked for
    /// every topic.
    pending: Option<(i32, i32, bool)>,
    /// No new request before this: at most one per `retry.backoff.ms`.
    not_before: Instant,
    /// Set when `poll()` applied an answer: the topics it reported errors for.
    applied: Option<Vec<(String, ErrorCode)>>,
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
        let mut net = NetworkClient::new(
            ConnectionSettings::from_config(&config)?,
            config.request_timeout,
        )?;
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
            metadata_generation: 0,
            metadata_stale: true,
            stale_since: Instant::now(),
            stashed: Vec::new(),
            wakeup: None,
            refresh: MetadataRefresh {
                pending: None,
                not_before: Instant::now(),
                applied: None,
            },
        })
    }

    /// Makes every blocking call fail with [`ErrorKind::Wakeup`] while `flag` is set;
    /// whoever sets it wakes the network poll ([`NetworkClient::waker`]). The flag is
    /// left set: the caller at the top clears it when it reports the wakeup.
    pub fn set_wakeup_flag(&mut self, flag: Arc<AtomicBool>) {
        self.wakeup = Some(flag);
    }

    /// Fails if the wakeup flag is set.
    fn check_wakeup(&self) -> Result<()> {
        match &self.wakeup {
            Some(flag) if flag.load(Ordering::SeqCst) => Err(KafkaError::wakeup()),
            _ => Ok(()),
        }
    }

    /// One network poll, failing first and after if the wakeup flag is set.
    fn net_poll(&mut self, timeout: Duration) -> Result<Vec<Response>> {
        self.check_wakeup()?;
        let responses = self.net.poll(timeout)?;
        if let Err(e) = self.check_wakeup() {
            self.stashed.extend(responses);
            return Err(e);
        }
        Ok(responses)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The cluster as last seen.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// How many metadata responses have been applied: a cheap test of whether the
    /// cluster view changed since a caller last looked.
    pub fn metadata_generation(&self) -> u64 {
        self.metadata_generation
    }

    /// Marks the metadata stale (after a leader or topic error).
    pub fn request_metadata_update(&mut self) {
        if !self.metadata_stale {
            self.metadata_stale = true;
            self.stale_since = Instant::now();
        }
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
    /// requests in flight, else connecting, else one whose back-off has passed. With
    /// `metadata.recovery.strategy=rebootstrap`, a cluster none of whose brokers can
    /// be reached is learnt again from the bootstrap servers (see the module docs).
    pub fn least_loaded_node(&mut self, now: Instant) -> Option<i32> {
        if self.rebootstrap_due(now) {
            self.rebootstrap(
                now,
                "no metadata came for metadata.recovery.rebootstrap.trigger.ms",
            );
        }
        if let Some(node) = self.pick_least_loaded(now) {
            return Some(node);
        }
        if self.config.metadata_recovery == MetadataRecovery::Rebootstrap
            && !self.cluster.brokers.is_empty()
        {
            self.rebootstrap(now, "none of the known brokers can be reached");
            return self.pick_least_loaded(now);
        }
        None
    }

    /// Whether the rebootstrap trigger ran out: metadata has been wanted (stale, or
    /// older than `metadata.max.age.ms`) without an update for
    /// `metadata.recovery.rebootstrap.trigger.ms`.
    fn rebootstrap_due(&self, now: Instant) -> bool {
        if self.config.metadata_recovery != MetadataRecovery::Rebootstrap
            || self.cluster.brokers.is_empty()
        {
            return false;
        }
        let wanted_since = if self.metadata_stale {
            Some(self.stale_since)
        } else {
            self.metadata_updated
                .and_then(|t| t.checked_add(self.config.metadata_max_age))
        };
        wanted_since.is_some_and(|since| {
            now.saturating_duration_since(since)
                >= self.config.metadata_recovery_rebootstrap_trigger
        })
    }

    /// Forgets the brokers of the last metadata (their connections stay until they
    /// fail on their own) and makes the bootstrap servers the candidates again; their
    /// names are resolved anew on the next connect. The topics are kept, so that
    /// senders keep their partitions until fresh metadata names the leaders.
    fn rebootstrap(&mut self, now: Instant, why: &str) {
        log::info!(
            "rebootstrapping from {} ({why})",
            self.config.bootstrap_servers.join(",")
        );
        self.cluster.brokers.clear();
        self.metadata_stale = true;
        // The trigger's clock starts again.
        self.stale_since = now;
    }

    fn pick_least_loaded(&mut self, now: Instant) -> Option<i32> {
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
            let responses = self.net_poll(wait)?;
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
        self.send_and_wait_at_most(node_id, request, i16::MAX, timeout)
    }

    /// [`send_and_wait`](Self::send_and_wait) at a version no higher than `cap`.
    pub fn send_and_wait_at_most<R: Request>(
        &mut self,
        node_id: i32,
        request: &R,
        cap: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let deadline = crate::time::deadline_in(timeout);
        self.wait_ready_or_fail(node_id, deadline)?;
        let version = self.net.negotiate_at_most::<R>(node_id, cap)?;
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let correlation_id = self
            .net
            .send_with(node_id, request, version, remaining, true)?;
        loop {
            let responses =
                self.net_poll(MAX_POLL.min(deadline.saturating_duration_since(Instant::now())))?;
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
                let responses = self.net_poll(Duration::from_millis(10).min(deadline - now))?;
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
                // Another broker would refuse the same credentials or certificate; a
                // wakeup interrupts the whole call.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Authentication | ErrorKind::Tls | ErrorKind::Wakeup
                    ) =>
                {
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
        if ErrorCode(response.error_code) == ErrorCode::REBOOTSTRAP_REQUIRED
            && self.config.metadata_recovery == MetadataRecovery::Rebootstrap
        {
            self.rebootstrap(Instant::now(), "a broker answered REBOOTSTRAP_REQUIRED");
            return Err(KafkaError::connection(
                "the broker asked the client to rebootstrap; metadata is asked for again",
            ));
        }
        if response.error_code != 0 {
            ErrorCode(response.error_code).check("metadata request")?;
        }
        self.cluster.update(response, all_topics);
        self.sync_nodes();
        self.metadata_updated = Some(Instant::now());
        self.metadata_generation = self.metadata_generation.wrapping_add(1);
        self.metadata_stale = false;
        self.stale_since = Instant::now();
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
    /// with [`send`](Self::send) or [`send_with`](Self::send_with) complete here; the
    /// answer to a [`refresh_metadata`](Self::refresh_metadata) request is applied
    /// here and not returned.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<Response>> {
        let timeout = if self.stashed.is_empty() {
            timeout
        } else {
            Duration::ZERO
        };
        let mut responses = std::mem::take(&mut self.stashed);
        match self.net_poll(timeout) {
            Ok(more) => responses.extend(more),
            Err(e) => {
                self.stashed = responses;
                return Err(e);
            }
        }
        self.complete_refresh(&mut responses, Instant::now());
        Ok(responses)
    }

    /// Takes the answer to the refresh in flight out of `responses`, if it is there,
    /// and applies it at `now`.
    fn complete_refresh(&mut self, responses: &mut Vec<Response>, now: Instant) {
        let Some((node, correlation_id, all_topics)) = self.refresh.pending else {
            return;
        };
        if let Some(i) = responses
            .iter()
            .position(|r| r.node_id == node && r.correlation_id == correlation_id)
        {
            let answer = responses.swap_remove(i);
            self.on_metadata_refresh(answer, all_topics, now);
        }
    }

    // Non-blocking requests, for the loops that keep many requests going and collect
    // their answers from poll().

    /// Sends a Metadata request for `topics` (every topic if `None`; created on the
    /// way, where the brokers allow it, when `allow_auto_create` is set) to the least
    /// loaded broker, without
    /// waiting for it, when metadata is wanted: `wanted` is set, or the metadata was
    /// marked stale or is older than `metadata.max.age.ms`. Nothing is sent while a
    /// refresh is in flight or within `retry.backoff.ms` of the last one. `poll()`
    /// applies the answer; [`take_metadata_refresh`](Self::take_metadata_refresh)
    /// says when it did. Returns whether a request went out now (none does while the
    /// chosen broker is still connecting: a later call sends it).
    pub fn refresh_metadata(
        &mut self,
        topics: Option<&[String]>,
        allow_auto_create: bool,
        wanted: bool,
        now: Instant,
    ) -> bool {
        if !self.metadata_refresh_may_start(now) {
            return false;
        }
        if !wanted && !self.metadata_needs_update(now) {
            return false;
        }
        let Some(node) = self.least_loaded_node(now) else {
            return false;
        };
        if !self.net.ensure_connecting(node, now) {
            return false;
        }
        let request = MetadataRequest::for_topics(topics, allow_auto_create);
        match self.net.send(node, &request) {
            Ok(correlation_id) => {
                self.refresh.pending = Some((node, correlation_id, topics.is_none()));
                true
            }
            Err(e) => {
                log::debug!("metadata request to node {node} failed: {e}");
                self.refresh.not_before =
                    crate::time::deadline_after(now, self.config.retry_backoff);
                false
            }
        }
    }

    /// Whether a [`refresh_metadata`](Self::refresh_metadata) request may go at `now`:
    /// none is in flight and the back-off since the last one has passed. Lets a caller
    /// skip gathering the topics to ask for when no request could go anyway.
    pub fn metadata_refresh_may_start(&self, now: Instant) -> bool {
        self.refresh.pending.is_none() && now >= self.refresh.not_before
    }

    /// Applies the answer to the refresh in flight (or notes its failure), at `now`.
    fn on_metadata_refresh(&mut self, response: Response, all_topics: bool, now: Instant) {
        self.refresh.pending = None;
        // At most one refresh per retry.backoff.ms: an unreachable leader asks for one
        // on every turn of the caller's loop until the cluster has elected another.
        self.refresh.not_before = crate::time::deadline_after(now, self.config.retry_backoff);
        let result = response.decode::<MetadataRequest>().and_then(|m| {
            self.apply_metadata(&m, all_topics)?;
            Ok(m)
        });
        match result {
            Ok(m) => {
                let errors = m
                    .topics
                    .iter()
                    .filter(|t| t.error_code != 0)
                    .filter_map(|t| Some((t.name.clone()?, ErrorCode(t.error_code))))
                    .collect();
                self.refresh.applied = Some(errors);
            }
            Err(e) => log::debug!("metadata request failed: {e}"),
        }
    }

    /// Whether a [`refresh_metadata`](Self::refresh_metadata) answer was applied since
    /// the last call: if so, the topics it reported an error for, with the error.
    pub fn take_metadata_refresh(&mut self) -> Option<Vec<(String, ErrorCode)>> {
        self.refresh.applied.take()
    }

    /// Whether a [`refresh_metadata`](Self::refresh_metadata) request is in flight.
    #[cfg(test)]
    pub fn metadata_refresh_in_flight(&self) -> bool {
        self.refresh.pending.is_some()
    }

    /// When the next [`refresh_metadata`](Self::refresh_metadata) request may go.
    #[cfg(test)]
    pub fn metadata_refresh_not_before(&self) -> Instant {
        self.refresh.not_before
    }

    /// Marks `correlation_id` to `node_id` as the refresh in flight, as if
    /// [`refresh_metadata`](Self::refresh_metadata) had sent it.
    #[cfg(test)]
    pub fn pretend_metadata_refresh(&mut self, node_id: i32, correlation_id: i32) {
        self.refresh.pending = Some((node_id, correlation_id, false));
    }

    /// What [`poll`](Self::poll) does with `responses` had they come off the network
    /// at `now`: applies a refresh answer among them and returns the others.
    #[cfg(test)]
    pub fn receive(&mut self, mut responses: Vec<Response>, now: Instant) -> Vec<Response> {
        self.complete_refresh(&mut responses, now);
        responses
    }

    /// Adds a broker the metadata does not name (a group or transaction coordinator)
    /// under `node_id`, or updates its address if it moved.
    pub fn add_node(&mut self, node_id: i32, address: BrokerAddress) {
        self.net.add_node(node_id, address);
    }

    /// The address the client connects to for `node_id`.
    pub fn address(&self, node_id: i32) -> Option<&BrokerAddress> {
        self.net.address(node_id)
    }

    /// Makes sure `node_id` is connected or connecting, and says whether it is ready
    /// for requests. A broker of the metadata that has no connection yet gets one.
    pub fn ensure_connecting(&mut self, node_id: i32, now: Instant) -> bool {
        if !self.net.has_node(node_id) {
            if let Some(node) = self.cluster.broker(node_id) {
                let address = node.address();
                self.net.add_node(node_id, address);
            }
        }
        self.net.ensure_connecting(node_id, now)
    }

    /// Whether `node_id` has no connection because the last one, or the last attempt,
    /// failed: the broker may be gone and the metadata out of date.
    pub fn is_failing(&self, node_id: i32) -> bool {
        self.net.is_failing(node_id)
    }

    /// Whether `node_id` has no connection and its back-off forbids connecting yet.
    pub fn is_blacked_out(&self, node_id: i32, now: Instant) -> bool {
        self.net.is_blacked_out(node_id, now)
    }

    /// Why the last connection to `node_id` closed or failed, if it did.
    pub fn last_error(&self, node_id: i32) -> Option<&KafkaError> {
        self.net.last_error(node_id)
    }

    /// Requests in flight to `node_id`.
    pub fn in_flight(&self, node_id: i32) -> usize {
        self.net.in_flight(node_id)
    }

    /// The API versions `node_id` announced, if it is connected (see
    /// [`api_versions`](Self::api_versions) for the blocking call that connects).
    pub fn known_api_versions(&self, node_id: i32) -> Option<&ApiVersionTable> {
        self.net.api_versions(node_id)
    }

    /// The version of `R` to speak with the connected `node_id`: the highest both
    /// sides support.
    pub fn negotiate<R: Request>(&self, node_id: i32) -> Result<i16> {
        self.net.negotiate::<R>(node_id)
    }

    /// [`negotiate`](Self::negotiate), no higher than `cap`.
    pub fn negotiate_at_most<R: Request>(&self, node_id: i32, cap: i16) -> Result<i16> {
        self.net.negotiate_at_most::<R>(node_id, cap)
    }

    /// Sends `request` to the ready `node_id` at the negotiated version with
    /// `request.timeout.ms`, without waiting; returns the correlation id of the
    /// response that [`poll`](Self::poll) will return.
    pub fn send<R: Request>(&mut self, node_id: i32, request: &R) -> Result<i32> {
        self.net.send(node_id, request)
    }

    /// [`send`](Self::send) at `version` with `timeout`. With `expect_response` unset
    /// (an acks=0 produce) the response completes, empty, once the request is written.
    pub fn send_with<R: Request>(
        &mut self,
        node_id: i32,
        request: &R,
        version: i16,
        timeout: Duration,
        expect_response: bool,
    ) -> Result<i32> {
        self.net
            .send_with(node_id, request, version, timeout, expect_response)
    }

    /// Closes the connection to `node_id`, failing its requests in flight with
    /// `reason`.
    pub fn close(&mut self, node_id: i32, reason: KafkaError) {
        self.net.close(node_id, reason);
    }

    /// Closes every connection.
    pub fn close_all(&mut self) {
        self.net.close_all();
    }

    /// A handle that interrupts a [`poll`](Self::poll) from another thread.
    pub fn waker(&self) -> Arc<mio::Waker> {
        self.net.waker()
    }

    /// What each broker's connection has done.
    pub fn broker_statistics(&self) -> BTreeMap<i32, BrokerStatistics> {
        self.net.broker_statistics()
    }
}

/// The coordinator a FindCoordinator answer names (its first entry from version 4,
/// the top-level fields before), as a broker node id and address; the broker's error
/// (with its message) otherwise. Shared by the consumer group and the transactional
/// producer.
pub fn coordinator_of(response: &FindCoordinatorResponse) -> Result<(i32, BrokerAddress)> {
    let (code, node_id, host, port, message) = match response.coordinators.first() {
        Some(c) => (
            c.error_code,
            c.node_id,
            &c.host,
            c.port,
            c.error_message.as_deref(),
        ),
        None => (
            response.error_code,
            response.node_id,
            &response.host,
            response.port,
            response.error_message.as_deref(),
        ),
    };
    let code = ErrorCode(code);
    if code != ErrorCode::NONE {
        let why = message.map_or_else(String::new, |m| format!(" ({m})"));
        return Err(KafkaError::broker(code, format!("FindCoordinator{why}")));
    }
    let port = u16::try_from(port).map_err(|_| {
        KafkaError::new(
            ErrorKind::UnexpectedResponse,
            format!("coordinator port {port} is invalid"),
        )
    })?;
    if node_id < 0 {
        return Err(KafkaError::new(
            ErrorKind::UnexpectedResponse,
            format!("the coordinator's node id {node_id} is invalid"),
        ));
    }
    Ok((
        node_id,
        BrokerAddress {
            host: host.clone(),
            port,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::MetadataResponseBroker;

    /// A client whose metadata names broker 5 at a port nothing listens on, with a
    /// long reconnect back-off so that a failed connect keeps it blacked out.
    fn client_knowing_a_dead_broker(recovery: MetadataRecovery) -> KafkaClient {
        let mut config = ClientConfig::new("127.0.0.1:1");
        config.reconnect_backoff = Duration::from_secs(30);
        config.reconnect_backoff_max = Duration::from_secs(30);
        config.metadata_recovery = recovery;
        let mut client = KafkaClient::new(config).expect("client");
        let response = MetadataResponse {
            brokers: vec![MetadataResponseBroker {
                node_id: 5,
                host: "127.0.0.1".into(),
                port: 1,
                rack: None,
            }],
            ..Default::default()
        };
        client.apply_metadata(&response, true).expect("metadata");
        client
    }

    fn fail_to_connect(client: &mut KafkaClient, node: i32) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let result = client.wait_ready_or_fail(node, deadline);
        assert!(result.is_err(), "nothing listens on port 1: {result:?}");
        assert!(client.net.is_blacked_out(node, Instant::now()));
    }

    #[test]
    fn a_client_whose_known_brokers_are_all_down_rebootstraps() {
        let mut client = client_knowing_a_dead_broker(MetadataRecovery::Rebootstrap);
        assert_eq!(client.least_loaded_node(Instant::now()), Some(5));
        fail_to_connect(&mut client, 5);
        assert_eq!(
            client.least_loaded_node(Instant::now()),
            Some(-1),
            "the bootstrap server is the candidate again"
        );
        assert!(client.cluster().brokers.is_empty());
        assert!(client.metadata_needs_update(Instant::now()));
    }

    #[test]
    fn without_recovery_the_client_keeps_its_known_brokers() {
        let mut client = client_knowing_a_dead_broker(MetadataRecovery::None);
        fail_to_connect(&mut client, 5);
        assert_eq!(client.least_loaded_node(Instant::now()), None);
        assert_eq!(client.cluster().brokers.len(), 1);
    }

    #[test]
    fn metadata_wanted_for_the_trigger_time_rebootstraps() {
        let mut client = client_knowing_a_dead_broker(MetadataRecovery::Rebootstrap);
        client.request_metadata_update();
        let now = Instant::now();
        let trigger = client.config().metadata_recovery_rebootstrap_trigger;
        assert_eq!(
            client.least_loaded_node(now + trigger - Duration::from_secs(1)),
            Some(5)
        );
        assert_eq!(client.least_loaded_node(now + trigger), Some(-1));
        assert!(client.cluster().brokers.is_empty());
    }

    #[test]
    fn metadata_too_old_counts_as_wanted_for_the_trigger() {
        let mut client = client_knowing_a_dead_broker(MetadataRecovery::Rebootstrap);
        let now = Instant::now();
        let age = client.config().metadata_max_age;
        let trigger = client.config().metadata_recovery_rebootstrap_trigger;
        assert_eq!(client.least_loaded_node(now + age), Some(5));
        assert_eq!(client.least_loaded_node(now + age + trigger), Some(-1));
    }

    #[test]
    fn rebootstrap_required_makes_the_client_rebootstrap() {
        let mut client = client_knowing_a_dead_broker(MetadataRecovery::Rebootstrap);
        let response = MetadataResponse {
            error_code: ErrorCode::REBOOTSTRAP_REQUIRED.0,
            ..Default::default()
        };
        let err = client.apply_metadata(&response, true).unwrap_err();
        assert!(err.is_retriable(), "{err}");
        assert!(client.cluster().brokers.is_empty());
    }

    /// A Metadata answer to correlation id `correlation_id` from `node`, naming
    /// broker 5 and a topic `t` whose error is `topic_error`.
    fn metadata_answer(node: i32, correlation_id: i32, topic_error: ErrorCode) -> Response {
        use crate::protocol::messages::MetadataResponseTopic;
        let body = MetadataResponse {
            brokers: vec![MetadataResponseBroker {
                node_id: 5,
                host: "127.0.0.1".into(),
                port: 1,
                rack: None,
            }],
            topics: vec![MetadataResponseTopic {
                error_code: topic_error.0,
                name: Some("t".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let version = MetadataRequest::SUPPORT.max_version;
        Response::encoded::<MetadataRequest>(&body, node, correlation_id, version)
    }

    #[test]
    fn poll_applies_the_answer_to_a_metadata_refresh_and_keeps_it_from_the_caller() {
        let mut client = KafkaClient::new(ClientConfig::new("127.0.0.1:1")).expect("client");
        let now = Instant::now();
        client.pretend_metadata_refresh(-1, 7);
        let other = metadata_answer(-1, 8, ErrorCode::NONE);
        let rest = client.receive(
            vec![
                metadata_answer(-1, 7, ErrorCode::LEADER_NOT_AVAILABLE),
                other,
            ],
            now,
        );
        assert_eq!(rest.len(), 1, "only the refresh's answer is kept");
        assert_eq!(rest[0].correlation_id, 8);
        assert!(!client.metadata_refresh_in_flight());
        assert_eq!(
            client.cluster().brokers.keys().copied().collect::<Vec<_>>(),
            [5]
        );
        assert_eq!(
            client.take_metadata_refresh(),
            Some(vec![("t".to_owned(), ErrorCode::LEADER_NOT_AVAILABLE)])
        );
        assert_eq!(client.take_metadata_refresh(), None, "told once");
        let backoff = client.config().retry_backoff;
        assert_eq!(client.metadata_refresh_not_before(), now + backoff);
        assert!(
            !client.refresh_metadata(None, false, true, now + backoff / 2),
            "at most one refresh per retry.backoff.ms"
        );
    }

    #[test]
    fn a_response_that_is_not_the_refresh_answer_leaves_it_in_flight() {
        let mut client = KafkaClient::new(ClientConfig::new("127.0.0.1:1")).expect("client");
        client.pretend_metadata_refresh(-1, 7);
        let rest = client.receive(
            vec![metadata_answer(-2, 7, ErrorCode::NONE)],
            Instant::now(),
        );
        assert_eq!(rest.len(), 1, "same correlation id from another node");
        assert!(client.metadata_refresh_in_flight());
        assert!(client.cluster().brokers.is_empty());
        assert_eq!(client.take_metadata_refresh(), None);
    }
}
