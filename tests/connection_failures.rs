//! Unreachable and silent brokers, dead bootstrap servers, broker restarts.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use kafka_sync::{AdminConfig, ErrorKind, KafkaAdminClient};

#[test]
fn bootstrap_skips_a_dead_server() {
    let dead = format!("127.0.0.1:{}", common::free_port());
    let servers = format!("{dead},{}", common::bootstrap());
    let admin = KafkaAdminClient::new(AdminConfig::new(&servers)).unwrap();
    let cluster = admin.describe_cluster(Duration::from_secs(20)).unwrap();
    assert!(!cluster.brokers.is_empty());
}

#[test]
fn only_dead_servers_give_a_timeout_error_within_the_timeout() {
    let servers = format!(
        "127.0.0.1:{},127.0.0.1:{}",
        common::free_port(),
        common::free_port()
    );
    let admin = KafkaAdminClient::new(AdminConfig::new(&servers)).unwrap();
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = admin.describe_cluster(timeout).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        err.to_string().contains("refused") || err.to_string().contains("connect"),
        "{err}"
    );
    assert!(
        took < timeout + Duration::from_secs(2),
        "returned after {took:?}"
    );
}

#[test]
fn a_listener_that_never_answers_times_out_without_hanging() {
    // Accepts connections and never writes a byte back.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let config = AdminConfig::new(&address.to_string())
        .set("socket.connection.setup.timeout.ms", "500")
        .unwrap()
        .set("request.timeout.ms", "500")
        .unwrap();
    let admin = KafkaAdminClient::new(config).unwrap();
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = admin.describe_cluster(timeout).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        took < timeout + Duration::from_secs(2),
        "returned after {took:?}"
    );
}

#[test]
fn invalid_bootstrap_is_a_config_error_naming_the_key() {
    let err = KafkaAdminClient::new(AdminConfig::new("no-port-here")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("bootstrap.servers"), "{err}");
}

#[test]
fn reconnects_after_the_broker_restarts() {
    // A broker of its own, also with KAFKA_BOOTSTRAP set: it gets killed.
    let cluster = common::kafka::KafkaCluster::start(1);
    let admin = KafkaAdminClient::new(AdminConfig::new(&cluster.bootstrap())).unwrap();
    let before = admin.describe_cluster(Duration::from_secs(10)).unwrap();

    cluster.kill(1);
    let err = admin.describe_cluster(Duration::from_secs(1)).unwrap_err();
    assert!(err.is_retriable(), "{err}");

    cluster.start_node(1);
    let after = admin.describe_cluster(Duration::from_secs(20)).unwrap();
    assert_eq!(before.brokers.len(), after.brokers.len());
}
