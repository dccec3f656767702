//! Delivery callbacks that misbehave: they panic, send to the partition they were
//! called for, or call `flush()` or `close()`. The producer keeps working (or closes)
//! and nothing deadlocks.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use kafka_sync::{ErrorKind, KafkaProducer, ProducerConfig, ProducerRecord};

const TIMEOUT: Duration = Duration::from_secs(30);

fn producer() -> (Arc<KafkaProducer>, String) {
    let topic = common::unique_topic("callbacks");
    common::create_topic(&topic, 1);
    let producer = KafkaProducer::new(ProducerConfig::new(&common::bootstrap())).expect("producer");
    (Arc::new(producer), topic)
}

#[test]
fn a_panicking_callback_does_not_stop_the_producer() {
    let (producer, topic) = producer();
    producer
        .send_with_callback(ProducerRecord::new(&topic).value("boom"), |_| {
            panic!("a bug in a delivery callback")
        })
        .expect("send");
    producer.flush(Some(TIMEOUT)).expect("flush");
    // Later records still go out, their futures and callbacks complete.
    let (tx, rx) = mpsc::channel();
    let future = producer
        .send_with_callback(ProducerRecord::new(&topic).value("after"), move |r| {
            let _ = tx.send(r.map(|m| m.offset).map_err(|e| e.to_string()));
        })
        .expect("send after the panic");
    assert_eq!(future.get(TIMEOUT).expect("delivered").offset, 1);
    assert_eq!(rx.recv_timeout(TIMEOUT).expect("callback ran"), Ok(1));
    producer.close(Some(TIMEOUT)).expect("close");
}

#[test]
fn a_callback_can_send_to_its_own_partition() {
    let (producer, topic) = producer();
    let (tx, rx) = mpsc::channel();
    let inner = Arc::clone(&producer);
    let inner_topic = topic.clone();
    producer
        .send_with_callback(ProducerRecord::new(&topic).value("first"), move |r| {
            r.expect("first delivered");
            // Callbacks run with no locks held: this must not deadlock.
            let sent = inner.send(
                ProducerRecord::new(&inner_topic)
                    .partition(0)
                    .value("second"),
            );
            let _ = tx.send(sent.map(|_| ()).map_err(|e| e.to_string()));
        })
        .expect("send");
    rx.recv_timeout(TIMEOUT)
        .expect("the callback returned")
        .expect("send from a callback");
    producer.flush(Some(TIMEOUT)).expect("flush");
    let records = common::fetch::fetch_records(&common::bootstrap(), &topic, 0, 2, TIMEOUT);
    let values: Vec<&[u8]> = records
        .iter()
        .map(|r| r.value.as_deref().expect("value"))
        .collect();
    assert_eq!(values, vec![&b"first"[..], &b"second"[..]]);
    producer.close(Some(TIMEOUT)).expect("close");
}

#[test]
fn flush_from_a_callback_is_an_error_and_close_does_not_wait() {
    let (producer, topic) = producer();
    let (tx, rx) = mpsc::channel();
    let inner = Arc::clone(&producer);
    producer
        .send_with_callback(ProducerRecord::new(&topic).value("v"), move |_| {
            let flushed = inner.flush(None).map_err(|e| (e.kind(), e.to_string()));
            // As in the Java client, close() from the sender thread is close(0).
            let closed = inner.close(None).map_err(|e| e.to_string());
            let _ = tx.send((flushed, closed));
        })
        .expect("send");
    let (flushed, closed) = rx.recv_timeout(TIMEOUT).expect("the callback returned");
    let (kind, text) = flushed.unwrap_err();
    assert_eq!(kind, ErrorKind::InvalidArgument, "{text}");
    assert!(text.contains("delivery callback"), "{text}");
    closed.expect("close from a callback returns");
    let err = producer
        .send(ProducerRecord::new(&topic).value("late"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    producer.close(Some(TIMEOUT)).expect("close again");
}

#[test]
fn callbacks_and_futures_of_many_threads_all_complete() {
    let (producer, topic) = producer();
    let called = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let producer = Arc::clone(&producer);
            let topic = topic.clone();
            let called = Arc::clone(&called);
            std::thread::spawn(move || {
                let futures: Vec<_> = (0..2000)
                    .map(|i| {
                        let called = Arc::clone(&called);
                        producer
                            .send_with_callback(
                                ProducerRecord::new(&topic).value(&format!("{t}-{i}")),
                                move |r| {
                                    r.expect("delivered");
                                    called.fetch_add(1, Ordering::SeqCst);
                                },
                            )
                            .expect("send")
                    })
                    .collect();
                for f in futures {
                    f.get(TIMEOUT).expect("delivered");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("sender thread");
    }
    producer.close(Some(TIMEOUT)).expect("close");
    assert_eq!(called.load(Ordering::SeqCst), 8000);
}
