//! The cooperative sticky assignor (`cooperative-sticky`, KIP-429): the sticky
//! assignment, handed out in two steps.
//!
//! In an eager rebalance every member gives up all its partitions before rejoining. In
//! a cooperative one members keep consuming while the group rebalances, so a partition
//! must never be assigned to a new owner while its old owner may still be reading it.
//! The leader therefore leaves out of this round every partition whose owner changes;
//! the old owner sees the partition missing from its assignment, revokes it (committing
//! its offset), and rejoins at once; in that second rebalance the partition is free and
//! goes to its new owner.

use std::collections::{BTreeMap, HashMap};

use super::{sorted, Member};
use crate::client::TopicPartition;

/// The cooperative sticky assignment: the sticky one minus partitions changing owner.
pub(crate) fn assign(
    partition_counts: &BTreeMap<String, i32>,
    members: &[Member],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut assignment = super::sticky::assign(partition_counts, members);
    // Every claim counts here, even of a topic its owner no longer subscribes to:
    // until the owner has revoked it, nobody else may have it.
    let mut owners: HashMap<&TopicPartition, (&str, i32)> = HashMap::new();
    for m in sorted(members) {
        for tp in &m.owned {
            match owners.get(tp) {
                Some(&(_, generation)) if generation >= m.generation => {}
                _ => {
                    owners.insert(tp, (m.member_id.as_str(), m.generation));
                }
            }
        }
    }
    for (member, partitions) in assignment.iter_mut() {
        partitions.retain(|tp| owners.get(tp).is_none_or(|(owner, _)| owner == member));
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::super::testing::{counts, member, names};
    use super::*;

    #[test]
    fn moving_partitions_wait_for_the_second_round() {
        let mut a = member("a", &["t"]);
        a.owned = (0..4).map(|p| TopicPartition::new("t", p)).collect();
        a.generation = 3;
        let b = member("b", &["t"]);
        let first = assign(&counts(&[("t", 4)]), &[a.clone(), b.clone()]);
        // a keeps two, the two that move to b are assigned to nobody yet.
        assert_eq!(first["a"].len(), 2);
        assert!(first["b"].is_empty(), "{:?}", names(&first["b"]));

        // Second round: a now owns only its two.
        a.owned = first["a"].clone();
        a.generation = 4;
        let second = assign(&counts(&[("t", 4)]), &[a, b]);
        assert_eq!(second["a"], first["a"]);
        assert_eq!(second["b"].len(), 2);
    }
}
