//! Cluster metadata and API version negotiation against a real broker.

mod common;

use std::time::Duration;

use kafka_sync::protocol::api::{ApiKey, SUPPORTED_APIS};

const TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn describe_cluster_lists_brokers_and_controller() {
    let cluster = common::admin().describe_cluster(TIMEOUT).unwrap();
    assert!(!cluster.brokers.is_empty());
    for broker in &cluster.brokers {
        assert!(!broker.host.is_empty());
        assert!(broker.port > 0);
    }
    if let Some(controller) = &cluster.controller {
        assert!(cluster.brokers.iter().any(|b| b.id == controller.id));
    }
}

#[test]
fn api_versions_are_reported_and_negotiated_per_api() {
    let versions = common::admin().broker_api_versions(TIMEOUT).unwrap();
    assert!(!versions.is_empty());
    for table in versions.values() {
        for key in [
            ApiKey::API_VERSIONS,
            ApiKey::METADATA,
            ApiKey::PRODUCE,
            ApiKey::FETCH,
        ] {
            let (min, max) = table
                .range(key)
                .unwrap_or_else(|| panic!("broker lacks {key}"));
            let ours = SUPPORTED_APIS.iter().find(|s| s.key == key).unwrap();
            let chosen = table.negotiate(key).expect("a common version");
            assert_eq!(
                chosen,
                ours.max_version.min(max),
                "{key}: highest common version"
            );
            assert!(chosen >= min.max(ours.min_version), "{key}");
        }
    }
}
