//! When a session reconnects: the policy a user sets ([`ReconnectPolicy`]) and the decision it
//! drives ([`Backoff`]), kept free of I/O so that it is tested as plain values.
//!
//! The backoff grows with every reconnect and goes back to its start only once a connection
//! has proved itself: KIS confirmed a subscription on it, or a data frame came. A server that
//! accepts the handshake and then closes (or refuses everything) proves nothing, so the delays
//! keep growing to the cap instead of starting over at every handshake.

use std::time::Duration;

/// How a session reconnects after the connection drops: exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Delay before the first attempt; doubled per attempt until a connection proves itself (a
    /// subscription confirmed or a data frame received on it).
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts in a row, without a connection proving itself in between, before the session
    /// gives up and closes; `None` never gives up.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// Never reconnect: a dropped connection closes the session.
    pub fn never() -> Self {
        ReconnectPolicy {
            max_attempts: Some(0),
            ..Default::default()
        }
    }

    /// The delay before attempt `attempt` (0-based): between half and all of
    /// `base_delay * 2^attempt`, capped at `max_delay`.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_at(attempt, fastrand::f64())
    }

    /// [`delay`](Self::delay) with the jitter given: `unit` in `[0, 1]` picks the point between
    /// half and all of the capped delay.
    fn delay_at(&self, attempt: u32, unit: f64) -> Duration {
        let capped = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// What to do after a connection is lost or an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Wait `delay`, then make attempt `attempt` (1-based, counted since the last connection
    /// that proved itself).
    Wait { attempt: u32, delay: Duration },
    /// The policy's attempts are used up: close the session.
    GiveUp { attempts: u32 },
}

/// The reconnect decision of one session.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    policy: ReconnectPolicy,
    /// Attempts made since a connection last proved itself.
    attempts: u32,
}

impl Backoff {
    pub(super) fn new(policy: ReconnectPolicy) -> Self {
        Backoff {
            policy,
            attempts: 0,
        }
    }

    /// A connection was lost. `proven` says whether it proved itself (a subscription confirmed
    /// or a data frame received): only then does the backoff start over.
    pub(super) fn lost(&mut self, proven: bool) {
        if proven {
            self.attempts = 0;
        }
    }

    /// The next step, with random jitter.
    pub(super) fn next(&mut self) -> Step {
        self.next_at(fastrand::f64())
    }

    /// The next step, with the jitter given (see [`ReconnectPolicy::delay`]).
    fn next_at(&mut self, unit: f64) -> Step {
        if let Some(max) = self.policy.max_attempts
            && self.attempts >= max
        {
            return Step::GiveUp {
                attempts: self.attempts,
            };
        }
        let delay = self.policy.delay_at(self.attempts, unit);
        self.attempts = self.attempts.saturating_add(1);
        Step::Wait {
            attempt: self.attempts,
            delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: Option<u32>) -> ReconnectPolicy {
        ReconnectPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_attempts,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn delays(b: &mut Backoff, n: usize, unit: f64) -> Vec<Duration> {
        (0..n)
            .map(|_| match b.next_at(unit) {
                Step::Wait { delay, .. } => delay,
                Step::GiveUp { .. } => panic!("gave up"),
            })
            .collect()
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = policy(None);
        for _ in 0..50 {
            let d0 = p.delay(0);
            assert!(d0 >= ms(50) && d0 <= ms(100));
            let d2 = p.delay(2);
            assert!(d2 >= ms(200) && d2 <= ms(400));
            let d9 = p.delay(40);
            assert!(d9 >= ms(500) && d9 <= Duration::from_secs(1));
        }
        assert_eq!(p.delay_at(3, 0.0), ms(400));
        assert_eq!(p.delay_at(3, 1.0), ms(800));
        assert_eq!(p.delay_at(3, 7.0), ms(800), "jitter is clamped");
        assert_eq!(ReconnectPolicy::never().max_attempts, Some(0));
        let huge = ReconnectPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            max_attempts: None,
        };
        assert!(
            huge.delay_at(u32::MAX, 1.0) > Duration::from_secs(1),
            "saturates"
        );
    }

    #[test]
    fn connections_that_prove_nothing_keep_the_delays_growing() {
        // a server that completes the handshake and closes: every connection is lost unproven
        let mut b = Backoff::new(policy(None));
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.extend(delays(&mut b, 1, 1.0));
            b.lost(false);
        }
        assert_eq!(
            seen,
            [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
        );
    }

    #[test]
    fn a_proven_connection_starts_the_backoff_over() {
        let mut b = Backoff::new(policy(None));
        assert_eq!(delays(&mut b, 3, 1.0), [ms(100), ms(200), ms(400)]);
        b.lost(true);
        assert_eq!(
            b.next_at(1.0),
            Step::Wait {
                attempt: 1,
                delay: ms(100)
            }
        );
    }

    #[test]
    fn attempts_without_proof_are_limited_by_the_policy() {
        let mut b = Backoff::new(policy(Some(2)));
        assert!(matches!(b.next_at(0.5), Step::Wait { attempt: 1, .. }));
        b.lost(false); // handshake, then closed
        assert!(matches!(b.next_at(0.5), Step::Wait { attempt: 2, .. }));
        b.lost(false);
        assert_eq!(b.next_at(0.5), Step::GiveUp { attempts: 2 });

        let mut b = Backoff::new(policy(Some(2)));
        let _ = delays(&mut b, 2, 0.5);
        b.lost(true);
        assert!(matches!(b.next_at(0.5), Step::Wait { attempt: 1, .. }));

        let mut never = Backoff::new(ReconnectPolicy::never());
        assert_eq!(never.next_at(0.5), Step::GiveUp { attempts: 0 });
    }
}
