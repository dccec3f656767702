//! Reconnect back-off: exponential from a start value to a cap, with ±20 % jitter so
//! that many clients do not reconnect to a restarted broker in lock-step (KIP-144).

use std::time::{Duration, Instant};

/// The back-off state of one connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    start: Duration,
    max: Duration,
    failures: u32,
    next_attempt: Option<Instant>,
    seed: u64,
}

impl Backoff {
    /// A back-off starting at `start` and doubling up to `max`.
    pub fn new(start: Duration, max: Duration) -> Self {
        let seed = Instant::now().elapsed().as_nanos() as u64 ^ (&start as *const Duration as u64);
        Backoff {
            start,
            max: max.max(start),
            failures: 0,
            next_attempt: None,
            seed: seed | 1,
        }
    }

    /// Whether an attempt may start at `now`.
    pub fn ready(&self, now: Instant) -> bool {
        self.next_attempt.is_none_or(|t| now >= t)
    }

    /// When the next attempt may start (now, if no failure is pending).
    #[cfg(test)]
    pub fn next_attempt(&self) -> Instant {
        self.next_attempt.unwrap_or_else(Instant::now)
    }

    /// The delay after the `failures`-th consecutive failure, before jitter.
    pub fn delay_before_jitter(&self) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (self.failures - 1).min(20);
        self.start.saturating_mul(factor).min(self.max)
    }

    /// Records a failed attempt at `now` and schedules the next one.
    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let base = self.delay_before_jitter();
        // xorshift64: jitter only needs to differ between clients, not be unpredictable.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let jitter = 0.8 + 0.4 * ((self.seed % 10_000) as f64 / 10_000.0);
        // A huge configured maximum times 1.2 may not fit a Duration: keep the base.
        let delay = Duration::try_from_secs_f64(base.as_secs_f64() * jitter).unwrap_or(base);
        self.next_attempt = Some(crate::time::deadline_after(now, delay));
    }

    /// Records a successful connection: the next failure starts from `start` again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.next_attempt = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_maximum_does_not_overflow() {
        let mut b = Backoff::new(Duration::from_secs(3600), Duration::MAX);
        let now = Instant::now();
        for _ in 0..40 {
            b.failed(now);
        }
        assert!(b.next_attempt() > now);
    }

    #[test]
    fn grows_exponentially_to_the_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_millis(50), Duration::from_millis(1000));
        let now = Instant::now();
        assert!(b.ready(now));
        let expected = [50u64, 100, 200, 400, 800, 1000, 1000];
        for ms in expected {
            b.failed(now);
            assert_eq!(b.delay_before_jitter(), Duration::from_millis(ms));
            let wait = b.next_attempt() - now;
            assert!(
                wait >= Duration::from_millis(ms * 8 / 10),
                "{wait:?} for {ms}"
            );
            assert!(
                wait <= Duration::from_millis(ms * 12 / 10 + 1),
                "{wait:?} for {ms}"
            );
            assert!(!b.ready(now));
        }
        b.succeeded();
        assert!(b.ready(now));
        b.failed(now);
        assert_eq!(b.delay_before_jitter(), Duration::from_millis(50));
    }
}
