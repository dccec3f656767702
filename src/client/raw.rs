//! [`RawClient`]: the low-level request entry point.

use std::time::Duration;

use super::client::KafkaClient;
use super::cluster::TopicMetadata;
use crate::config::ClientConfig;
use crate::error::Result;
use crate::protocol::messages::{MetadataRequest, MetadataResponse};
use crate::protocol::Request;

/// Low-level API: sends requests of the [`protocol`](crate::protocol) layer to the
/// brokers of a cluster, one blocking call at a time, and hands back the decoded
/// responses as they are.
///
/// It sits with the low-level [`protocol`](crate::protocol) and
/// [`record`](crate::record) modules: for tools and tests that need a request the
/// [`KafkaProducer`](crate::KafkaProducer), [`KafkaConsumer`](crate::KafkaConsumer)
/// and [`KafkaAdminClient`](crate::KafkaAdminClient) do not send as such (a Produce
/// request with a hand-built batch, a Fetch that returns the batches as stored). It
/// connects, authenticates and negotiates each API's version as those clients do, but
/// interprets nothing: error codes in a response are the caller's to read, and no
/// request is retried.
///
/// Brokers are named by their node ids, which it learns from
/// [`metadata`](Self::metadata); call that first.
///
/// ```no_run
/// use std::time::Duration;
/// use kafka_sync::protocol::messages::{ListOffsetsRequest, MetadataRequest};
/// use kafka_sync::{ClientConfig, RawClient};
///
/// let timeout = Duration::from_secs(10);
/// let mut client = RawClient::new(ClientConfig::new("127.0.0.1:9092"))?;
/// client.metadata(&MetadataRequest::for_topics(Some(&["events"]), false), timeout)?;
/// if let Some(leader) = client.leader_for("events", 0) {
///     let response = client.send(leader, &ListOffsetsRequest::default(), timeout)?;
///     println!("{response:?}");
/// }
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
#[derive(Debug)]
pub struct RawClient {
    client: KafkaClient,
}

impl RawClient {
    /// A client of the cluster that `config` names. Nothing is connected yet.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Ok(RawClient {
            client: KafkaClient::new(config)?,
        })
    }

    /// Sends `request` to any broker that answers (the bootstrap servers until the
    /// first response names the brokers) and returns the response. The brokers and
    /// topics it describes are kept: they give the node ids that [`send`](Self::send)
    /// takes, and what [`topic`](Self::topic) and [`leader_for`](Self::leader_for)
    /// return.
    pub fn metadata(
        &mut self,
        request: &MetadataRequest,
        timeout: Duration,
    ) -> Result<MetadataResponse> {
        let (_, response) = self.client.send_to_any(request, timeout)?;
        self.client
            .apply_metadata(&response, request.topics.is_none())?;
        Ok(response)
    }

    /// Asks any broker for the metadata of `topics` (created on the way when
    /// `allow_auto_create` is set and the brokers do that) and keeps what it
    /// describes, as [`metadata`](Self::metadata) does.
    pub fn metadata_for(
        &mut self,
        topics: &[&str],
        allow_auto_create: bool,
        timeout: Duration,
    ) -> Result<MetadataResponse> {
        self.metadata(
            &MetadataRequest::for_topics(Some(topics), allow_auto_create),
            timeout,
        )
    }

    /// The node ids of the brokers the last [`metadata`](Self::metadata) response
    /// named, in ascending order.
    pub fn brokers(&self) -> Vec<i32> {
        self.client.cluster().brokers.keys().copied().collect()
    }

    /// `topic` as the last [`metadata`](Self::metadata) response described it.
    pub fn topic(&self, topic: &str) -> Option<&TopicMetadata> {
        self.client.cluster().topic(topic)
    }

    /// The node id of the leader of `topic`-`partition`, as the last
    /// [`metadata`](Self::metadata) response named it.
    pub fn leader_for(&self, topic: &str, partition: i32) -> Option<i32> {
        self.client
            .cluster()
            .leader_for(topic, partition)
            .map(|n| n.id)
    }

    /// Sends `request` to broker `node_id` (connecting first if needed) at the
    /// highest version both support, and waits up to `timeout` for its response. A
    /// broker that cannot be reached fails the call with a connection error.
    pub fn send<R: Request>(
        &mut self,
        node_id: i32,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response> {
        self.client.send_and_wait(node_id, request, timeout)
    }
}
