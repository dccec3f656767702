//! A tour of the admin client's common calls against a running cluster:
//!
//! ```text
//! cargo run --example admin -- BOOTSTRAP
//! ```
//!
//! It creates a topic, grows it, changes and reads one of its configs, writes and
//! reads offsets of a consumer group, lists and describes groups, describes the
//! cluster's features and metadata quorum, deletes the records before an offset, and
//! deletes what it made. Every call prints what came back.

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_sync::admin::{AlterConfigOp, ConfigResource, NewPartitions, OffsetSpec};
use kafka_sync::{
    AdminConfig, IsolationLevel, KafkaAdminClient, KafkaError, KafkaProducer, NewTopic,
    OffsetAndMetadata, ProducerConfig, ProducerRecord, TopicPartition,
};

const TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    let Some(bootstrap) = std::env::args().nth(1) else {
        eprintln!("usage: admin BOOTSTRAP");
        std::process::exit(2);
    };
    if let Err(e) = run(&bootstrap) {
        eprintln!("admin: {e}");
        std::process::exit(1);
    }
}

fn run(bootstrap: &str) -> Result<(), KafkaError> {
    let admin = KafkaAdminClient::new(AdminConfig::new(bootstrap))?;
    let cluster = admin.describe_cluster(TIMEOUT)?;
    println!(
        "cluster {:?}: {} brokers",
        cluster.cluster_id,
        cluster.brokers.len()
    );

    let topic = format!("admin-tour-{}", std::process::id());
    for r in admin.create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)? {
        println!("create {}: {:?}", r.topic, r.result);
    }
    let grown = admin.create_partitions(
        &BTreeMap::from([(topic.clone(), NewPartitions::increase_to(2))]),
        false,
        TIMEOUT,
    )?;
    println!("grow to 2 partitions: {:?}", grown[&topic]);

    let resource = ConfigResource::topic(&topic);
    let changed = admin.incremental_alter_configs(
        &BTreeMap::from([(
            resource.clone(),
            vec![AlterConfigOp::set("retention.ms", "3600000")],
        )]),
        false,
        TIMEOUT,
    )?;
    println!("set retention.ms: {:?}", changed[&resource]);
    let configs = admin.describe_configs(std::slice::from_ref(&resource), TIMEOUT)?;
    if let Ok(entries) = &configs[&resource] {
        for e in entries.iter().filter(|e| e.name == "retention.ms") {
            println!("{} = {:?} ({:?})", e.name, e.value, e.source);
        }
    }

    let producer = KafkaProducer::new(ProducerConfig::new(bootstrap))?;
    for i in 0..10 {
        producer.send(
            ProducerRecord::new(&topic)
                .partition(0)
                .value(&format!("r{i}")),
        )?;
    }
    producer.flush(Some(TIMEOUT))?;
    producer.close(Some(TIMEOUT))?;
    let tp = TopicPartition::new(&topic, 0);
    let latest = admin.list_offsets(
        &BTreeMap::from([(tp.clone(), OffsetSpec::Latest)]),
        IsolationLevel::ReadUncommitted,
        TIMEOUT,
    )?;
    println!("latest offset of {tp}: {:?}", latest[&tp]);

    let group = format!("admin-tour-group-{}", std::process::id());
    let set = admin.alter_consumer_group_offsets(
        &group,
        &BTreeMap::from([(tp.clone(), OffsetAndMetadata::new(4))]),
        TIMEOUT,
    )?;
    println!("commit offset 4 for {group}: {:?}", set[&tp]);
    for (tp, lag) in admin.consumer_group_lag(&group, TIMEOUT)? {
        println!("lag of {group} on {tp}: {lag:?}");
    }
    for g in admin.list_consumer_groups(&[], &[], TIMEOUT)? {
        println!("group {} ({:?}, {})", g.group_id, g.group_type, g.state);
    }
    let described = admin.describe_consumer_groups(&[&group], TIMEOUT)?;
    println!("describe {group}: {:?}", described[&group]);

    let features = admin.describe_features(TIMEOUT)?;
    println!("finalized features: {:?}", features.finalized);
    let quorum = admin.describe_metadata_quorum(TIMEOUT)?;
    println!(
        "metadata quorum: leader {} epoch {}, {} voters",
        quorum.leader_id,
        quorum.leader_epoch,
        quorum.voters.len()
    );

    let deleted = admin.delete_records(&BTreeMap::from([(tp.clone(), 5)]), TIMEOUT)?;
    println!("delete records before 5: {:?}", deleted[&tp]);

    println!(
        "delete group: {:?}",
        admin.delete_consumer_groups(&[&group], TIMEOUT)?
    );
    for r in admin.delete_topics(&[&topic], TIMEOUT)? {
        println!("delete {}: {:?}", r.topic, r.result);
    }
    Ok(())
}
