//! [`HeartbeatThread`]: the handle of a group protocol's heartbeat thread.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{KafkaError, Result};

/// How long closing waits for the thread; a heartbeat stuck on an unresponsive
/// coordinator is left to finish on its own rather than holding up the close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// A named thread that is joined with a bounded wait.
#[derive(Debug)]
pub(crate) struct HeartbeatThread {
    thread: Option<JoinHandle<()>>,
    /// Disconnects when the thread ends (its sender is dropped; nothing is sent).
    finished: crossbeam_channel::Receiver<()>,
}

impl HeartbeatThread {
    /// Starts `body` on a thread named `kafka-consumer-heartbeat`.
    pub fn spawn(body: impl FnOnce() + Send + 'static) -> Result<Self> {
        let (done, finished) = crossbeam_channel::bounded::<()>(0);
        let thread = std::thread::Builder::new()
            .name("kafka-consumer-heartbeat".to_owned())
            .spawn(move || {
                let _done = done;
                body();
            })
            .map_err(|e| {
                KafkaError::connection(format!("cannot start the heartbeat thread: {e}"))
            })?;
        Ok(HeartbeatThread {
            thread: Some(thread),
            finished,
        })
    }

    /// Waits for the thread, which the caller has told to stop, for a short while;
    /// after that it is detached and ends by itself.
    pub fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            if let Err(crossbeam_channel::RecvTimeoutError::Disconnected) =
                self.finished.recv_timeout(CLOSE_WAIT)
            {
                let _ = thread.join();
            }
        }
    }
}
