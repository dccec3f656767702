//! The range assignor (`range`): for each topic, the members subscribed to it, sorted,
//! get consecutive ranges of its partitions; the first `partitions % members` members
//! get one extra. With co-partitioned topics, a member gets the same partition numbers
//! of each topic.

use std::collections::BTreeMap;

use super::{empty_assignment, sorted, Member};
use crate::client::TopicPartition;

/// The range assignment of `partition_counts` among `members`.
pub(crate) fn assign(
    partition_counts: &BTreeMap<String, i32>,
    members: &[Member],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut assignment = empty_assignment(members);
    let members = sorted(members);
    for (topic, &count) in partition_counts {
        let subscribed: Vec<&&Member> = members.iter().filter(|m| m.wants(topic)).collect();
        if subscribed.is_empty() || count <= 0 {
            continue;
        }
        let n = subscribed.len() as i32;
        let per_member = count / n;
        let extra = count % n;
        for (i, member) in subscribed.iter().enumerate() {
            let i = i as i32;
            let start = per_member * i + i.min(extra);
            let len = per_member + i32::from(i < extra);
            if let Some(list) = assignment.get_mut(&member.member_id) {
                list.extend((start..start + len).map(|p| TopicPartition::new(topic.clone(), p)));
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
    fn ranges_per_topic_extra_to_the_first() {
        let members = [member("b", &["t", "u"]), member("a", &["t", "u"])];
        let a = assign(&counts(&[("t", 3), ("u", 2)]), &members);
        assert_eq!(names(&a["a"]), ["t-0", "t-1", "u-0"]);
        assert_eq!(names(&a["b"]), ["t-2", "u-1"]);
    }

    #[test]
    fn only_subscribers_of_a_topic_share_it() {
        let members = [
            member("a", &["t"]),
            member("b", &["u"]),
            member("c", &["t"]),
        ];
        let a = assign(&counts(&[("t", 4), ("u", 1)]), &members);
        assert_eq!(names(&a["a"]), ["t-0", "t-1"]);
        assert_eq!(names(&a["b"]), ["u-0"]);
        assert_eq!(names(&a["c"]), ["t-2", "t-3"]);
    }

    #[test]
    fn more_members_than_partitions() {
        let members = [
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ];
        let a = assign(&counts(&[("t", 2)]), &members);
        assert_eq!(names(&a["a"]), ["t-0"]);
        assert_eq!(names(&a["b"]), ["t-1"]);
        assert!(a["c"].is_empty());
    }
}
