//! The sticky assignor (`sticky`): an assignment as balanced as round-robin's that
//! moves as few partitions as possible between rebalances.
//!
//! Each member reports the partitions it owns (subscription version 1 and later, with
//! the generation they are from). The leader lets every member keep what it owns, up
//! to its fair share (a member that owned more gives up the excess), hands the
//! remaining partitions one by one to the eligible member with the fewest, and finally
//! moves partitions from members with at least two more than another eligible member
//! until no such pair is left. When two members claim one partition (one of them has
//! not noticed a rebalance yet), the claim from the newer generation wins.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{empty_assignment, sorted, Member};
use crate::client::TopicPartition;

/// The sticky assignment of `partition_counts` among `members`.
pub(crate) fn assign(
    partition_counts: &BTreeMap<String, i32>,
    members: &[Member],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut assignment = empty_assignment(members);
    let members = sorted(members);
    if members.is_empty() {
        return assignment;
    }
    let all: Vec<TopicPartition> = partition_counts
        .iter()
        .filter(|(topic, _)| members.iter().any(|m| m.wants(topic)))
        .flat_map(|(topic, &count)| {
            (0..count.max(0)).map(move |p| TopicPartition::new(topic.clone(), p))
        })
        .collect();
    let existing: BTreeSet<&TopicPartition> = all.iter().collect();

    // Who owns each partition now (the newest generation's claim wins).
    let owners = previous_owners(&members, &existing);

    let quota = all.len().div_ceil(members.len());
    let mut taken: BTreeMap<&str, Vec<TopicPartition>> = members
        .iter()
        .map(|m| (m.member_id.as_str(), Vec::new()))
        .collect();
    let mut unassigned: Vec<TopicPartition> = Vec::new();
    for tp in &all {
        match owners.get(tp) {
            Some(owner) if taken[owner].len() < quota => {
                if let Some(list) = taken.get_mut(owner) {
                    list.push(tp.clone());
                }
            }
            _ => unassigned.push(tp.clone()),
        }
    }

    // Hand out the rest: each to the eligible member with the fewest partitions.
    for tp in unassigned {
        let target = members
            .iter()
            .filter(|m| m.wants(&tp.topic))
            .min_by_key(|m| taken[m.member_id.as_str()].len());
        if let Some(m) = target {
            if let Some(list) = taken.get_mut(m.member_id.as_str()) {
                list.push(tp);
            }
        }
    }

    rebalance(&members, &mut taken);

    for (member, mut partitions) in taken {
        partitions.sort();
        assignment.insert(member.to_owned(), partitions);
    }
    assignment
}

/// The current owner of each existing partition, by member id.
pub(crate) fn previous_owners<'a>(
    members: &[&'a Member],
    existing: &BTreeSet<&TopicPartition>,
) -> HashMap<TopicPartition, &'a str> {
    let mut owners: HashMap<TopicPartition, (&'a str, i32)> = HashMap::new();
    for m in members {
        for tp in &m.owned {
            if !existing.contains(tp) || !m.wants(&tp.topic) {
                continue;
            }
            match owners.get(tp) {
                Some(&(_, generation)) if generation >= m.generation => {}
                _ => {
                    owners.insert(tp.clone(), (m.member_id.as_str(), m.generation));
                }
            }
        }
    }
    owners.into_iter().map(|(tp, (m, _))| (tp, m)).collect()
}

/// Moves partitions from fuller to emptier eligible members until no member has two
/// more than another member that could take one of its partitions.
fn rebalance(members: &[&Member], taken: &mut BTreeMap<&str, Vec<TopicPartition>>) {
    let by_id: HashMap<&str, &Member> =
        members.iter().map(|m| (m.member_id.as_str(), *m)).collect();
    let total: usize = taken.values().map(Vec::len).sum();
    // Each move lowers the sum of squared counts, so this ends; the bound is a guard.
    for _ in 0..=total * members.len() {
        let mut moved = false;
        let mut order: Vec<&str> = taken.keys().copied().collect();
        order.sort_by_key(|m| std::cmp::Reverse(taken[m].len()));
        'outer: for &from in &order {
            let from_len = taken[from].len();
            for i in (0..from_len).rev() {
                let topic = taken[from][i].topic.clone();
                let to = order
                    .iter()
                    .rev()
                    .copied()
                    .filter(|&to| to != from && by_id[to].wants(&topic))
                    .min_by_key(|to| taken[to].len());
                if let Some(to) = to {
                    if taken[to].len() + 1 < from_len {
                        let Some(list) = taken.get_mut(from) else {
                            continue;
                        };
                        let tp = list.remove(i);
                        if let Some(list) = taken.get_mut(to) {
                            list.push(tp);
                        }
                        moved = true;
                        break 'outer;
                    }
                }
            }
        }
        if !moved {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{counts, member, names};
    use super::*;

    #[test]
    fn balanced_like_round_robin() {
        let members = [
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ];
        let a = assign(&counts(&[("t", 7)]), &members);
        let mut sizes: Vec<usize> = a.values().map(Vec::len).collect();
        sizes.sort();
        assert_eq!(sizes, [2, 2, 3]);
    }

    #[test]
    fn keeps_owned_partitions_when_a_member_joins() {
        let mut a = member("a", &["t"]);
        let mut b = member("b", &["t"]);
        a.owned = (0..3).map(|p| TopicPartition::new("t", p)).collect();
        b.owned = (3..6).map(|p| TopicPartition::new("t", p)).collect();
        a.generation = 1;
        b.generation = 1;
        let c = member("c", &["t"]);
        let result = assign(&counts(&[("t", 6)]), &[a, b, c]);
        // Each old member keeps two of its three; the newcomer gets one from each.
        assert_eq!(result["a"].len(), 2);
        assert_eq!(result["b"].len(), 2);
        assert_eq!(result["c"].len(), 2);
        assert!(
            result["a"].iter().all(|tp| tp.partition < 3),
            "{:?}",
            names(&result["a"])
        );
        assert!(
            result["b"].iter().all(|tp| tp.partition >= 3),
            "{:?}",
            names(&result["b"])
        );
    }

    #[test]
    fn newest_generation_wins_a_double_claim() {
        let mut a = member("a", &["t"]);
        let mut b = member("b", &["t"]);
        a.owned = vec![TopicPartition::new("t", 0)];
        a.generation = 1;
        b.owned = vec![TopicPartition::new("t", 0)];
        b.generation = 2;
        let result = assign(&counts(&[("t", 2)]), &[a, b]);
        assert_eq!(names(&result["b"]), ["t-0"]);
        assert_eq!(names(&result["a"]), ["t-1"]);
    }

    #[test]
    fn heterogeneous_subscriptions_stay_eligible() {
        let members = [member("a", &["t"]), member("b", &["t", "u"])];
        let a = assign(&counts(&[("t", 2), ("u", 2)]), &members);
        assert!(a["a"].iter().all(|tp| tp.topic == "t"));
        assert_eq!(a["a"].len() + a["b"].len(), 4);
        assert_eq!(a["a"].len(), 2);
    }
}
