//! [`ConsumerRebalanceListener`]: user code that runs when the group moves partitions.

use super::KafkaConsumer;
use crate::client::TopicPartition;

/// Called on the caller's thread, inside `poll()`, when a rebalance takes partitions
/// away from this consumer or gives it new ones. The consumer is passed in, so a
/// listener can commit, seek or look up positions (but not `poll()`).
///
/// With eager assignors (range, roundrobin, sticky) every rebalance first revokes all
/// partitions, then assigns the new set. With cooperative-sticky only the partitions
/// that move are revoked, and only the new ones are passed as assigned.
///
/// ```no_run
/// use kafka_sync::{ConsumerRebalanceListener, KafkaConsumer, TopicPartition};
///
/// struct CommitOnRevoke;
/// impl ConsumerRebalanceListener for CommitOnRevoke {
///     fn on_partitions_revoked(&mut self, consumer: &mut KafkaConsumer, _: &[TopicPartition]) {
///         if let Err(e) = consumer.commit() {
///             eprintln!("commit before revocation failed: {e}");
///         }
///     }
/// }
/// ```
pub trait ConsumerRebalanceListener: Send {
    /// Partitions are about to be taken away; their offsets can still be committed.
    /// With auto-commit on, the consumer has already committed them.
    fn on_partitions_revoked(
        &mut self,
        consumer: &mut KafkaConsumer,
        partitions: &[TopicPartition],
    ) {
        let _ = (consumer, partitions);
    }

    /// Partitions were assigned; their positions are looked up on the next fetch (or
    /// can be set here with `seek`).
    fn on_partitions_assigned(
        &mut self,
        consumer: &mut KafkaConsumer,
        partitions: &[TopicPartition],
    ) {
        let _ = (consumer, partitions);
    }

    /// Partitions were lost without a chance to commit: the member was fenced or did
    /// not poll in time, and others may own them already. By default this calls
    /// `on_partitions_revoked`.
    fn on_partitions_lost(&mut self, consumer: &mut KafkaConsumer, partitions: &[TopicPartition]) {
        self.on_partitions_revoked(consumer, partitions);
    }
}
