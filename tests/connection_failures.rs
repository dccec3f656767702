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
fn bootstrap_moves_past_dead_servers_without_waiting_out_their_connect_timeout() {
    // Two refusing servers before the live one, and a call shorter than one connect
    // timeout (10 s): each refused attempt must hand the turn to the next server.
    let dead1 = format!("127.0.0.1:{}", common::free_port());
    let dead2 = format!("127.0.0.1:{}", common::free_port());
    let servers = format!("{dead1},{dead2},{}", common::bootstrap());
    for _ in 0..3 {
        let admin = KafkaAdminClient::new(AdminConfig::new(&servers)).unwrap();
        let cluster = admin.describe_cluster(Duration::from_secs(5)).unwrap();
        assert!(!cluster.brokers.is_empty());
    }
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

#[test]
fn host_names_resolve_off_the_network_thread_with_either_dns_lookup() {
    // The shared broker by a host name: "localhost" for a local one.
    let first = common::bootstrap()
        .split(',')
        .next()
        .map(str::to_owned)
        .expect("a bootstrap server");
    let (host, port) = first.rsplit_once(':').expect("host:port");
    let host = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => "localhost",
        _ => host,
    };
    for lookup in [
        "use_all_dns_ips",
        "resolve_canonical_bootstrap_servers_only",
    ] {
        let config = AdminConfig::new(&format!("{host}:{port}"))
            .set("client.dns.lookup", lookup)
            .expect("a known value");
        let admin = KafkaAdminClient::new(config).expect("admin");
        let cluster = admin
            .describe_cluster(Duration::from_secs(20))
            .expect(lookup);
        assert!(!cluster.brokers.is_empty(), "{lookup}");
    }
    let err = AdminConfig::new("localhost:1")
        .set("client.dns.lookup", "default")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("client.dns.lookup"), "{err}");
}

#[test]
fn a_name_that_does_not_resolve_is_a_clear_error_within_the_timeout() {
    let admin = KafkaAdminClient::new(AdminConfig::new("no-such-host.invalid:9092")).unwrap();
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let err = admin.describe_cluster(timeout).unwrap_err();
    assert!(
        started.elapsed() < timeout + Duration::from_secs(2),
        "returned after {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("cannot resolve"), "{err}");
}
