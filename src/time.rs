//! Deadlines from durations that may be huge.
//!
//! A user may pass `Duration::MAX` (or any timeout whose deadline would overflow
//! `Instant`) to mean "until done". `Instant + Duration` panics on overflow, so every
//! deadline in the crate is computed here, where an overflowing one saturates to an
//! instant about a century away.

use std::time::{Duration, Instant};

/// About a hundred years: farther than any process lives, near enough to never
/// overflow `Instant` arithmetic.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The instant `timeout` after `now`, saturating to [`far_future_from`]`(now)`.
pub(crate) fn deadline_after(now: Instant, timeout: Duration) -> Instant {
    now.checked_add(timeout.min(FAR))
        .unwrap_or_else(|| far_future_from(now))
}

/// The instant `timeout` from now, saturating (see [`deadline_after`]).
pub(crate) fn deadline_in(timeout: Duration) -> Instant {
    deadline_after(Instant::now(), timeout)
}

/// An instant far enough after `now` to stand for "no deadline".
pub(crate) fn far_future_from(now: Instant) -> Instant {
    // Instant may be near the end of its range on some platforms: fall back to `now`
    // plus as much as fits, then `now` itself.
    now.checked_add(FAR)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// An instant far enough away to stand for "no deadline".
pub(crate) fn far_future() -> Instant {
    far_future_from(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_timeouts_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert!(deadline_after(now, Duration::MAX) > now + Duration::from_secs(3600 * 24 * 365));
        assert!(deadline_in(Duration::MAX) > now);
        assert_eq!(
            deadline_after(now, Duration::from_millis(5)),
            now + Duration::from_millis(5)
        );
        assert_eq!(deadline_after(now, Duration::ZERO), now);
    }
}
