//! How long to wait before sending a query again.

use std::time::Duration;

/// How queries are retried. State-changing calls (orders) are never resent once the request may
/// have reached KIS, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff delay; doubled per attempt, with jitter.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// The wait before attempt `attempt + 1` (0-based count of failures so far).
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        jittered_backoff(self.base_delay, self.max_delay, attempt)
    }
}

/// Between half and all of `base * 2^attempt`, capped at `max`. The jitter spreads the retries
/// (and reconnects) of concurrent tasks so they do not hit KIS in step.
pub(crate) fn jittered_backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let capped = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_never_overflows() {
        let (base, max) = (Duration::from_millis(100), Duration::from_secs(2));
        for attempt in [0, 1, 3, 10, 31, u32::MAX] {
            let d = jittered_backoff(base, max, attempt);
            let full = base.saturating_mul(1u32 << attempt.min(16)).min(max);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(jittered_backoff(Duration::MAX, Duration::MAX, u32::MAX) >= Duration::MAX / 2);
    }
}
