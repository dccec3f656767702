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
    /// Whether a pattern subscription was matched against the topics yet.
    matched_once: bool,
}

impl MetadataRefresh {
    pub fn new(now: Instant) -> Self {
        MetadataRefresh {
            next_attempt: now,
            matched_once: false,
        }
    }

    /// Makes the next [`maybe_refresh`](Self::maybe_refresh) ask at once (the
    /// subscription changed).
    pub fn due_now(&mut self) {
        self.next_attempt = Instant::now();
        self.matched_once = false;
    }

    /// Asks for metadata if it is stale or a subscribed topic is missing. A stale
    /// view is refreshed without waiting: the client applies the answer in a later
    /// poll. While a subscribed topic is not known at all, or a pattern was never
    /// matched, it waits for the answer (up to `deadline`), as the group cannot join
    /// nor the fetcher start without it. A failure is logged and tried again after a
    /// back-off: the consumer goes on with the metadata it has.
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
        let missing = if pattern {
            !self.matched_once
        } else {
            topics.iter().any(|t| client.cluster().topic(t).is_none())
        };
        let stale = client.metadata_needs_update(now);
        let due = (stale || missing) && now >= self.next_attempt;
        if due && (pattern || !topics.is_empty()) {
            let wanted: Option<Vec<String>> = (!pattern).then(|| {
                let mut wanted: BTreeSet<String> =
                    client.cluster().topics.keys().cloned().collect();
                wanted.extend(topics.iter().cloned());
                wanted.into_iter().collect()
            });
            let auto_create = config.allow_auto_create_topics && !pattern;
            let backoff = config.client.retry_backoff.max(Duration::from_millis(500));
            if missing {
                self.next_attempt = now + backoff;
                let timeout = deadline.saturating_duration_since(now);
                match client.update_metadata(wanted.as_deref(), auto_create, timeout) {
                    Ok(_) => self.match_pattern(client, subscriptions, config),
                    Err(e) => log::debug!("metadata refresh failed: {e}"),
                }
            } else if client.refresh_metadata(wanted.as_deref(), auto_create, true, now) {
                self.next_attempt = now + backoff;
            }
        }
        if client.take_metadata_refresh().is_some() {
            self.match_pattern(client, subscriptions, config);
        }
    }

    /// Notes which topics a pattern subscription matches in the client's metadata.
    fn match_pattern(
        &mut self,
        client: &KafkaClient,
        subscriptions: &mut SubscriptionState,
        config: &ConsumerConfig,
    ) {
        if *subscriptions.kind() != SubscriptionKind::Pattern {
            return;
        }
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
        self.matched_once = true;
    }
}
