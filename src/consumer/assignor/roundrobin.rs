//! The round-robin assignor (`roundrobin`): every partition of every subscribed topic,
//! in topic then partition order, goes to the next member (in sorted order) that
//! subscribed to its topic.

use std::collections::BTreeMap;

use super::{empty_assignment, sorted, Member};
use crate::client::TopicPartition;

/// The round-robin assignment of `partition_counts` among `members`.
pub(crate) fn assign(
    partition_counts: &BTreeMap<String, i32>,
    members: &[Member],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut assignment = empty_assignment(members);
    let members = sorted(members);
    if members.is_empty() {
        return assignment;
    }
    let mut next = 0usize;
    for (topic, &count) in partition_counts {
        if !members.iter().any(|m| m.wants(topic)) {
            continue;
        }
        for partition in 0..count.max(0) {
            // Advance (circularly) to the next member that wants this topic.
            while !members[next % members.len()].wants(topic) {
                next += 1;
            }
            let member = members[next % members.len()];
            next += 1;
            if let Some(list) = assignment.get_mut(&member.member_id) {
                list.push(TopicPartition::new(topic.clone(), partition));
            }
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::super::testing::{counts, member, names};
    use super::*;

    #[test]
    fn deals_partitions_in_turn() {
        let members = [member("a", &["t", "u"]), member("b", &["t", "u"])];
        let a = assign(&counts(&[("t", 3), ("u", 2)]), &members);
        assert_eq!(names(&a["a"]), ["t-0", "t-2", "u-1"]);
        assert_eq!(names(&a["b"]), ["t-1", "u-0"]);
    }

    #[test]
    fn skips_members_not_subscribed() {
        let members = [
            member("a", &["t"]),
            member("b", &["t", "u"]),
            member("c", &["u"]),
        ];
        let a = assign(&counts(&[("t", 2), ("u", 2)]), &members);
        assert_eq!(names(&a["a"]), ["t-0"]);
        assert_eq!(names(&a["b"]), ["t-1", "u-1"]);
        assert_eq!(names(&a["c"]), ["u-0"]);
    }
}
