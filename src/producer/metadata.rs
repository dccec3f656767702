//! The producer's view of topic metadata, shared between `send()` callers and the
//! sender thread.
//!
//! The sender thread owns the network and refreshes metadata; callers read an immutable
//! snapshot (an `Arc` clone under a read lock, no allocation) when their thread's route
//! cache (`route.rs`) lacks the topic or is older than the snapshot's version. A caller
//! that needs a topic the snapshot lacks registers it as wanted, wakes the sender, and
//! waits on a condition variable until the topic appears, an error for it arrives, or
//! `max.block.ms` passes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};

use super::BlockDeadline;
use crate::client::{Cluster, PartitionMetadata};
use crate::error::{ErrorCode, KafkaError, Result};
use crate::hash::FastMap;

/// What `send()` needs to know about a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicInfo {
    /// The number of partitions.
    pub partitions: i32,
    /// Partitions that have a leader now.
    pub available: Vec<i32>,
}

/// An immutable snapshot of the metadata.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub cluster: Cluster,
    pub topics: FastMap<String, Arc<TopicInfo>>,
}

impl Snapshot {
    fn new(cluster: Cluster) -> Self {
        let topics = cluster
            .topics
            .iter()
            .filter(|(_, t)| !t.partitions.is_empty())
            .map(|(name, t)| {
                let available = t
                    .partitions
                    .iter()
                    .filter(|p| p.leader.is_some_and(|l| cluster.brokers.contains_key(&l)))
                    .map(|p| p.partition)
                    .collect();
                (
                    name.clone(),
                    Arc::new(TopicInfo {
                        partitions: t.partitions.len() as i32,
                        available,
                    }),
                )
            })
            .collect();
        Snapshot { cluster, topics }
    }
}

#[derive(Debug, Default)]
struct State {
    wanted: HashSet<String>,
    update_requested: bool,
    /// Errors that make waiting for a topic pointless (authorization, invalid name).
    topic_errors: HashMap<String, KafkaError>,
}

/// Shared metadata.
#[derive(Debug, Default)]
pub(crate) struct ProducerMetadata {
    snapshot: RwLock<Arc<Snapshot>>,
    state: Mutex<State>,
    changed: Condvar,
    /// Set by `close()`: waiting `send()`s give up.
    closed: std::sync::atomic::AtomicBool,
    /// Bumped after each new snapshot, for the per-thread route caches.
    version: std::sync::atomic::AtomicU64,
}

impl ProducerMetadata {
    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read())
    }

    /// The snapshot's version: it changes after every [`publish`](Self::publish).
    pub fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The topic's info, waiting for the sender to fetch it until `deadline`.
    /// `wake` asks the sender thread to look at the request.
    pub fn wait_for_topic(
        &self,
        topic: &str,
        deadline: &BlockDeadline,
        wake: impl Fn(),
    ) -> Result<Arc<TopicInfo>> {
        // The common case, on every send(): looked up under the read lock, without
        // taking a reference to the whole snapshot.
        if let Some(info) = self.snapshot.read().topics.get(topic) {
            return Ok(Arc::clone(info));
        }
        let mut state = self.state.lock();
        state.wanted.insert(topic.to_owned());
        state.update_requested = true;
        loop {
            if let Some(info) = self.snapshot().topics.get(topic) {
                return Ok(Arc::clone(info));
            }
            if let Some(err) = state.topic_errors.get(topic) {
                return Err(err.clone());
            }
            if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(KafkaError::closed(format!(
                    "the producer was closed while send() waited for the metadata of `{topic}`"
                )));
            }
            wake();
            if self
                .changed
                .wait_until(&mut state, deadline.get())
                .timed_out()
            {
                if let Some(info) = self.snapshot().topics.get(topic) {
                    return Ok(Arc::clone(info));
                }
                return Err(KafkaError::timeout(format!(
                    "topic `{topic}` not present in metadata after max.block.ms (does it exist, and is a broker reachable?)"
                )));
            }
        }
    }

    /// Makes every waiting and later [`wait_for_topic`](Self::wait_for_topic) return
    /// (the producer is closing).
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake_all();
    }

    /// The partitions of `topic`, waiting for them like [`wait_for_topic`](Self::wait_for_topic).
    pub fn partitions(
        &self,
        topic: &str,
        deadline: &BlockDeadline,
        wake: impl Fn(),
    ) -> Result<Vec<PartitionMetadata>> {
        self.wait_for_topic(topic, deadline, wake)?;
        Ok(self
            .snapshot()
            .cluster
            .topic(topic)
            .map(|t| t.partitions.clone())
            .unwrap_or_default())
    }

    /// Topics to ask for, and whether an update was requested since the last one.
    pub fn wanted(&self) -> (Vec<String>, bool) {
        let state = self.state.lock();
        (
            state.wanted.iter().cloned().collect(),
            state.update_requested,
        )
    }

    /// Requests an update (after a leader error).
    pub fn request_update(&self) {
        self.state.lock().update_requested = true;
    }

    /// Publishes a new cluster view and the per-topic errors of its response.
    ///
    /// An update stays requested while a wanted topic is neither in the new view nor
    /// failed for good: the response may answer a request sent before a `send()` asked
    /// for the topic, and the waiting `send()` would otherwise wait for the next
    /// periodic refresh (`metadata.max.age.ms`), past its `max.block.ms`.
    pub fn publish(&self, cluster: Cluster, errors: Vec<(String, ErrorCode)>) {
        let snapshot = Arc::new(Snapshot::new(cluster));
        *self.snapshot.write() = Arc::clone(&snapshot);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        let mut state = self.state.lock();
        state.topic_errors.clear();
        for (topic, code) in errors {
            // Unknown topics may still be auto-created or created by someone else: keep
            // waiting for them. Other errors will not go away by waiting.
            if !code.is_retriable() {
                state.topic_errors.insert(
                    topic.clone(),
                    KafkaError::broker(code, format!("metadata for topic `{topic}`")),
                );
            }
        }
        let missing = state
            .wanted
            .iter()
            .any(|t| !snapshot.topics.contains_key(t) && !state.topic_errors.contains_key(t));
        state.update_requested = missing;
        self.changed.notify_all();
    }

    /// Wakes every waiter (on close).
    pub fn wake_all(&self) {
        let _state = self.state.lock();
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_topic_asked_for_after_the_request_went_out_is_asked_for_again() {
        let metadata = ProducerMetadata::default();
        // The sender's first request (no topics yet) is in flight when send() asks for
        // "t"; its answer, without "t", must not end the request for "t".
        let (_, requested) = metadata.wanted();
        assert!(!requested);
        {
            let mut state = metadata.state.lock();
            state.wanted.insert("t".to_owned());
            state.update_requested = true;
        }
        metadata.publish(Cluster::default(), Vec::new());
        let (wanted, requested) = metadata.wanted();
        assert_eq!(wanted, vec!["t".to_owned()]);
        assert!(requested, "still to be asked for");
        // A topic that failed for good is not asked for again and again.
        metadata.publish(
            Cluster::default(),
            vec![("t".to_owned(), ErrorCode::TOPIC_AUTHORIZATION_FAILED)],
        );
        assert!(!metadata.wanted().1);
    }

    #[test]
    fn close_releases_a_send_waiting_for_metadata() {
        let metadata = Arc::new(ProducerMetadata::default());
        let waiter = {
            let metadata = Arc::clone(&metadata);
            std::thread::spawn(move || {
                let deadline = BlockDeadline::new(Duration::from_secs(60));
                let started = Instant::now();
                let result = metadata.wait_for_topic("t", &deadline, || {});
                (result, started.elapsed())
            })
        };
        // Whether close() comes before or after the waiter starts to wait, it returns
        // at once with a Closed error instead of after max.block.ms.
        metadata.close();
        let (result, waited) = waiter.join().expect("the waiter");
        let err = result.unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Closed, "{err}");
        assert!(waited < Duration::from_secs(30), "waited {waited:?}");
    }
}
