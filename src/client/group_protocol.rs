//! The embedded "consumer" protocol of the classic group protocol: the bytes a member
//! puts in its JoinGroup `metadata` (ConsumerProtocolSubscription) and the bytes the
//! leader hands each member through SyncGroup (ConsumerProtocolAssignment).
//!
//! These layouts are shared by every Kafka client (Java, librdkafka, kafka-python), so
//! members of different clients can share a group: whoever is elected leader decodes
//! the others' subscriptions and encodes their assignments. Both structures start with
//! a version, and newer versions only append fields, so a reader takes the fields of
//! the versions it knows and ignores trailing bytes (as the Java client does).
//!
//! Subscription: version 0 has `topics` and `user_data`; version 1 adds
//! `owned_partitions` (KIP-429, for cooperative rebalancing); version 2 the member's
//! `generation_id` (KIP-792); version 3 its `rack_id` (KIP-881).
//! Assignment: `assigned_partitions` and `user_data` in every version.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::TopicPartition;
use crate::error::{KafkaError, Result};
use crate::protocol::primitives::{Reader, Write};

/// The subscription version this client writes.
pub(crate) const SUBSCRIPTION_VERSION: i16 = 3;
/// The assignment version this client writes.
pub(crate) const ASSIGNMENT_VERSION: i16 = 3;

/// What a member tells the leader in JoinGroup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// The topics the member wants.
    pub topics: Vec<String>,
    /// Assignor-specific data (the Java sticky assignor's older versions put the owned
    /// partitions here).
    pub user_data: Option<Bytes>,
    /// The partitions the member owns now.
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation the owned partitions are from, -1 if unknown.
    pub generation_id: i32,
    /// The member's rack, if any.
    pub rack_id: Option<String>,
}

/// What the leader tells a member in SyncGroup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Assignment {
    /// The partitions the member gets.
    pub partitions: Vec<TopicPartition>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
}

fn put_partitions(buf: &mut Vec<u8>, partitions: &[TopicPartition]) {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    buf.put_i32(by_topic.len() as i32);
    for (topic, mut parts) in by_topic {
        parts.sort_unstable();
        buf.put_string(Some(topic), false);
        buf.put_i32(parts.len() as i32);
        for p in parts {
            buf.put_i32(p);
        }
    }
}

fn read_count(r: &mut Reader, min_item: usize, what: &str) -> Result<usize> {
    match r.array_len(false, min_item)? {
        Some(n) => Ok(n),
        None => Err(KafkaError::corrupt(format!("{what} is a null array"))),
    }
}

fn read_partitions(r: &mut Reader) -> Result<Vec<TopicPartition>> {
    let topics = read_count(r, 6, "topic partitions")?;
    let mut out = Vec::new();
    for _ in 0..topics {
        let topic = r.string(false)?;
        let n = read_count(r, 4, "partitions")?;
        for _ in 0..n {
            out.push(TopicPartition::new(topic.clone(), r.i32()?));
        }
    }
    Ok(out)
}

impl Subscription {
    /// The JoinGroup metadata bytes.
    pub fn encode(&self) -> Bytes {
        let mut buf = Vec::with_capacity(64);
        buf.put_i16(SUBSCRIPTION_VERSION);
        buf.put_i32(self.topics.len() as i32);
        for t in &self.topics {
            buf.put_string(Some(t), false);
        }
        buf.put_bytes(self.user_data.as_deref(), false);
        put_partitions(&mut buf, &self.owned_partitions);
        buf.put_i32(self.generation_id);
        buf.put_string(self.rack_id.as_deref(), false);
        Bytes::from(buf)
    }

    /// Reads a member's JoinGroup metadata, of any version.
    pub fn decode(bytes: Bytes) -> Result<Subscription> {
        let mut r = Reader::new(bytes);
        let version = r.i16()?;
        if version < 0 {
            return Err(KafkaError::corrupt(format!(
                "consumer subscription has version {version}"
            )));
        }
        let n = read_count(&mut r, 2, "subscribed topics")?;
        let mut topics = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            topics.push(r.string(false)?);
        }
        let user_data = r.nullable_bytes(false)?;
        let mut sub = Subscription {
            topics,
            user_data,
            owned_partitions: Vec::new(),
            generation_id: -1,
            rack_id: None,
        };
        // Some clients end a version-1+ subscription early; accept what is there.
        if version >= 1 && !r.is_empty() {
            sub.owned_partitions = read_partitions(&mut r)?;
        }
        if version >= 2 && r.remaining() >= 4 {
            sub.generation_id = r.i32()?;
        }
        if version >= 3 && !r.is_empty() {
            sub.rack_id = r.nullable_string(false)?;
        }
        Ok(sub)
    }
}

impl Assignment {
    /// The SyncGroup assignment bytes.
    pub fn encode(&self) -> Bytes {
        let mut buf = Vec::with_capacity(64);
        buf.put_i16(ASSIGNMENT_VERSION);
        put_partitions(&mut buf, &self.partitions);
        buf.put_bytes(self.user_data.as_deref(), false);
        Bytes::from(buf)
    }

    /// Reads the assignment the leader sent; empty bytes (a member the leader left out,
    /// or an empty group) mean no partitions.
    pub fn decode(bytes: Bytes) -> Result<Assignment> {
        if bytes.is_empty() {
            return Ok(Assignment::default());
        }
        let mut r = Reader::new(bytes);
        let version = r.i16()?;
        if version < 0 {
            return Err(KafkaError::corrupt(format!(
                "consumer assignment has version {version}"
            )));
        }
        let partitions = read_partitions(&mut r)?;
        let user_data = if r.is_empty() {
            None
        } else {
            r.nullable_bytes(false)?
        };
        Ok(Assignment {
            partitions,
            user_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_round_trip() {
        let sub = Subscription {
            topics: vec!["a".into(), "b".into()],
            user_data: None,
            owned_partitions: vec![TopicPartition::new("a", 1), TopicPartition::new("a", 0)],
            generation_id: 7,
            rack_id: Some("r1".into()),
        };
        let decoded = Subscription::decode(sub.encode()).unwrap();
        assert_eq!(decoded.topics, sub.topics);
        assert_eq!(
            decoded.owned_partitions,
            vec![TopicPartition::new("a", 0), TopicPartition::new("a", 1)]
        );
        assert_eq!(decoded.generation_id, 7);
        assert_eq!(decoded.rack_id.as_deref(), Some("r1"));
    }

    #[test]
    fn version_0_subscription_as_old_clients_write_it() {
        // version 0, one topic "t", null user data.
        let bytes = Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff]);
        let sub = Subscription::decode(bytes).unwrap();
        assert_eq!(sub.topics, ["t"]);
        assert!(sub.owned_partitions.is_empty());
        assert_eq!(sub.generation_id, -1);
    }

    #[test]
    fn assignment_golden_bytes() {
        let a = Assignment {
            partitions: vec![TopicPartition::new("t", 2), TopicPartition::new("t", 0)],
            user_data: None,
        };
        let bytes = a.encode();
        assert_eq!(
            &bytes[..],
            &[
                0, 3, // version
                0, 0, 0, 1, // one topic
                0, 1, b't', // "t"
                0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, // partitions [0, 2]
                0xff, 0xff, 0xff, 0xff // null user data
            ]
        );
        let decoded = Assignment::decode(bytes).unwrap();
        assert_eq!(decoded.partitions.len(), 2);
        assert!(Assignment::decode(Bytes::new())
            .unwrap()
            .partitions
            .is_empty());
        assert!(Assignment::decode(Bytes::from_static(&[0, 0, 0, 0, 0, 9])).is_err());
    }
}
