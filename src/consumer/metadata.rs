//! The consumer's metadata refresh: asks for the subscribed topics' metadata when it
//! is stale or a topic is missing, and for a pattern subscription notes which topics
//! match now (the membership notices a changed topic set at its next poll).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::subscription::{SubscriptionKind, SubscriptionState};
use crate::client::KafkaClient;
use crate::config::ConsumerConfig;

/// When the consumer may ask for metadata next.
#[derive(Debug)]
pub(super) struct MetadataRefresh {
    next_attempt: Instant,
}

impl MetadataRefresh {
    pub fn new(now: Instant) -> Self {
        MetadataRefresh { next_attempt: now }
    }

    /// Makes the next [`maybe_refresh`](Self::maybe_refresh) ask at once (the
    /// subscription changed).
    pub fn due_now(&mut self) {
        self.next_attempt = Instant::now();
    }

    /// Refreshes metadata if it is stale or a subscribed topic is missing, waiting up
    /// to `deadline`. A failure is logged and tried again after a back-off: the
    /// consumer goes on with the metadata it has.
    pub fn maybe_refresh(
        &mut self,
        client: &mut KafkaClient,
        subscriptions: &mut SubscriptionState,
        config: &ConsumerConfig,
        deadline: Instant,
    ) {
        let now = Instant::now();
        let pattern = *subscriptions.kind() == SubscriptionKind::Pattern;
        let topics: Vec<String> = subscriptions.topics().iter().cloned().collect();
        let missing = !pattern && topics.iter().any(|t| client.cluster().topic(t).is_none());
        let stale = client.metadata_needs_update(now);
        if !(stale || missing) || now < self.next_attempt {
            return;
        }
        if topics.is_empty() && !pattern {
            return;
        }
        self.next_attempt = now + config.client.retry_backoff.max(Duration::from_millis(500));
        let timeout = deadline.saturating_duration_since(now);
        let result = if pattern {
            client.update_metadata(None, false, timeout)
        } else {
            let mut wanted: BTreeSet<String> = client.cluster().topics.keys().cloned().collect();
            wanted.extend(topics.iter().cloned());
            let wanted: Vec<String> = wanted.into_iter().collect();
            client.update_metadata(Some(&wanted), config.allow_auto_create_topics, timeout)
        };
        if let Err(e) = result {
            log::debug!("metadata refresh failed: {e}");
            return;
        }
        if pattern {
            let matched: BTreeSet<String> = match subscriptions.pattern() {
                Some(regex) => client
                    .cluster()
                    .topics
                    .values()
                    .filter(|t| !(config.exclude_internal_topics && t.is_internal))
                    .filter(|t| regex.is_match(&t.name))
                    .map(|t| t.name.clone())
                    .collect(),
                None => BTreeSet::new(),
            };
            subscriptions.set_matched_topics(matched);
        }
    }
}
