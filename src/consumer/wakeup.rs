//! [`WakeupHandle`]: interrupts a consumer's blocking call from another thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Makes the consumer's blocking call (`poll`, `commit`, `committed`, `position`...)
/// return `Err` with [`ErrorKind::Wakeup`](crate::ErrorKind::Wakeup) at once, from
/// any thread; if no call is running, the next one does. Java's
/// `KafkaConsumer.wakeup()`. Clone it freely: it is `Send + Sync`.
///
/// ```no_run
/// use std::time::Duration;
/// use kafka_sync::{ConsumerConfig, ErrorKind, KafkaConsumer};
///
/// let mut consumer = KafkaConsumer::new(ConsumerConfig::new("localhost:9092").group_id("g"))?;
/// consumer.subscribe(&["events"])?;
/// let wakeup = consumer.wakeup_handle();
/// // A supervisor (or a signal handler's thread) stops the consumer:
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_secs(10));
///     wakeup.wakeup();
/// });
/// loop {
///     match consumer.poll(Duration::MAX) {
///         Ok(records) => println!("{} records", records.len()),
///         Err(e) if e.kind() == ErrorKind::Wakeup => break,
///         Err(e) => return Err(e),
///     }
/// }
/// consumer.close()?;
/// # Ok::<(), kafka_sync::KafkaError>(())
/// ```
#[derive(Clone)]
pub struct WakeupHandle {
    flag: Arc<AtomicBool>,
    waker: Arc<mio::Waker>,
}

impl std::fmt::Debug for WakeupHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WakeupHandle")
            .field("pending", &self.flag.load(Ordering::SeqCst))
            .finish()
    }
}

impl WakeupHandle {
    pub(crate) fn new(flag: Arc<AtomicBool>, waker: Arc<mio::Waker>) -> Self {
        WakeupHandle { flag, waker }
    }

    /// Interrupts the consumer's blocking call, or the next one.
    pub fn wakeup(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Err(e) = self.waker.wake() {
            log::debug!("waking the consumer's poll failed: {e}");
        }
    }
}
