//! The slot ring: the rate budget's algorithm, the same in memory and in the state file (the Redis
//! script in `redis.rs` follows it line by line).
//!
//! An app key may send `n` requests per window. Each slot is one of them: reserved with the time
//! its holder may send, released when the answer arrives, and free again one window after the
//! release. KIS counts a request when it arrives, which is between the send and the answer, so
//! counting the window from the answer keeps two uses of one slot a full window apart at KIS
//! whatever the network delay: no safety margin is needed. A reserved slot whose holder vanished
//! (a process killed mid-request) frees itself when its lease ends; nothing leaks.
//!
//! Times are nanoseconds since the Unix epoch: the one clock every process of a machine shares.

/// One request's place in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    /// While reserved: when the holder may send.
    pub(crate) start: u64,
    /// While reserved: the end of the lease; once released: when the slot may be used again.
    pub(crate) free_at: u64,
    /// The holder while reserved; 0 once released.
    pub(crate) owner: u64,
}

/// The outcome of [`reserve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Grant {
    /// Slot `index` is the caller's; it may send at `start`.
    Slot {
        /// Position in the ring.
        index: usize,
        /// When to send (never before the reservation).
        start: u64,
    },
    /// Every slot is held by a request not yet answered: ask again, not before `retry_at` (no
    /// answer can come before the earliest holder has even sent).
    Busy {
        /// Earliest moment worth asking again.
        retry_at: u64,
    },
}

/// The timing of one budget: window and lease, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    /// The window KIS counts requests in.
    pub(crate) window: u64,
    /// How long a reserved slot stays taken without being released.
    pub(crate) lease: u64,
}

impl Timing {
    /// The latest `free_at` a sane slot can have at `now`; later ones come from a clock set back
    /// or a damaged file, and are pulled in so no wait is ever longer than this.
    fn horizon(&self, now: u64) -> u64 {
        now.saturating_add(self.window).saturating_add(self.lease)
    }
}

/// Reserves the slot free soonest for `owner`, or says when to ask again.
pub(crate) fn reserve(slots: &mut [Slot], now: u64, timing: Timing, owner: u64) -> Grant {
    let horizon = timing.horizon(now);
    let mut best: Option<(usize, u64)> = None;
    let mut earliest_start = u64::MAX;
    for (i, s) in slots.iter_mut().enumerate() {
        if s.free_at > horizon {
            s.free_at = horizon;
        }
        let taken = s.owner != 0 && s.free_at > now;
        if taken {
            earliest_start = earliest_start.min(s.start);
        } else if best.is_none_or(|(_, at)| s.free_at < at) {
            best = Some((i, s.free_at));
        }
    }
    match best {
        Some((index, free_at)) => {
            let start = now.max(free_at);
            slots[index] = Slot {
                start,
                free_at: start.saturating_add(timing.lease),
                owner,
            };
            Grant::Slot { index, start }
        }
        None => Grant::Busy {
            retry_at: earliest_start.max(now),
        },
    }
}

/// Releases slot `index` if `owner` still holds it: free one window from `now`. False when the
/// lease had ended and the slot was taken again (nothing to do: the new holder owns it).
pub(crate) fn release(
    slots: &mut [Slot],
    index: usize,
    owner: u64,
    now: u64,
    timing: Timing,
) -> bool {
    match slots.get_mut(index) {
        Some(s) if s.owner == owner && owner != 0 => {
            *s = Slot {
                start: 0,
                free_at: now.saturating_add(timing.window),
                owner: 0,
            };
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const T: Timing = Timing {
        window: 1_000 * MS,
        lease: 3_000 * MS,
    };

    fn take(slots: &mut [Slot], now: u64, owner: u64) -> (usize, u64) {
        match reserve(slots, now, T, owner) {
            Grant::Slot { index, start } => (index, start),
            Grant::Busy { .. } => panic!("no slot at {now}"),
        }
    }

    #[test]
    fn a_slot_is_free_again_one_window_after_its_answer() {
        let mut ring = vec![Slot::default(); 2];
        let now = 10_000 * MS;
        let (a, start_a) = take(&mut ring, now, 1);
        let (b, start_b) = take(&mut ring, now, 2);
        assert_eq!((start_a, start_b), (now, now), "the first n go at once");
        assert_ne!(a, b);
        // both in flight: the next request must wait for an answer
        assert_eq!(
            reserve(&mut ring, now + MS, T, 3),
            Grant::Busy { retry_at: now + MS }
        );
        // answers at +40 ms and +20 ms: the slots are free one window after each answer
        assert!(release(&mut ring, a, 1, now + 40 * MS, T));
        assert!(release(&mut ring, b, 2, now + 20 * MS, T));
        let (c, start_c) = take(&mut ring, now + 50 * MS, 3);
        assert_eq!(
            (c, start_c),
            (b, now + 1_020 * MS),
            "the slot answered first"
        );
        let (_, start_d) = take(&mut ring, now + 50 * MS, 4);
        assert_eq!(start_d, now + 1_040 * MS);
        // a reserved slot waits for its start before anyone polls again
        assert_eq!(
            reserve(&mut ring, now + 60 * MS, T, 5),
            Grant::Busy {
                retry_at: now + 1_020 * MS
            }
        );
    }

    #[test]
    fn a_holder_that_vanished_frees_its_slot_when_the_lease_ends() {
        let mut ring = vec![Slot::default(); 1];
        let now = 10_000 * MS;
        let (index, _) = take(&mut ring, now, 7);
        // the holder dies without releasing; before the lease ends the slot stays taken
        assert!(matches!(
            reserve(&mut ring, now + 2_999 * MS, T, 8),
            Grant::Busy { .. }
        ));
        let (again, start) = take(&mut ring, now + 3_000 * MS, 8);
        assert_eq!((again, start), (index, now + 3_000 * MS));
        // the late release of the old holder changes nothing
        assert!(!release(&mut ring, index, 7, now + 3_001 * MS, T));
        assert_eq!(ring[index].owner, 8);
    }

    #[test]
    fn times_beyond_the_horizon_are_pulled_in() {
        // a clock set back by an hour leaves slots "free" far in the future: waits stay bounded
        let now = 10_000 * MS;
        let mut ring = vec![Slot {
            start: 0,
            free_at: now + 3_600_000 * MS,
            owner: 0,
        }];
        let (_, start) = take(&mut ring, now, 1);
        assert_eq!(start, now + T.window + T.lease);
    }

    #[test]
    fn never_more_than_n_sends_within_a_window_of_answers() {
        // a simulation with random latencies: every send is at least a window after the answer
        // of the previous use of its slot, so no window of KIS arrivals holds more than n
        let n = 5;
        let mut ring = vec![Slot::default(); n];
        let mut rng = fastrand::Rng::with_seed(42);
        let mut now = 1_000_000 * MS;
        let mut in_flight: Vec<(usize, u64, u64)> = Vec::new(); // (slot, owner, answer time)
        let mut sends: Vec<u64> = Vec::new();
        let mut arrivals: Vec<u64> = Vec::new();
        for owner in 1..=400u64 {
            loop {
                in_flight.retain(|&(i, o, answer)| {
                    if answer <= now {
                        release(&mut ring, i, o, answer, T);
                        false
                    } else {
                        true
                    }
                });
                match reserve(&mut ring, now, T, owner) {
                    Grant::Slot { index, start } => {
                        let latency = rng.u64(1..80) * MS;
                        let arrival = start + rng.u64(0..=latency);
                        sends.push(start);
                        arrivals.push(arrival);
                        in_flight.push((index, owner, start + latency));
                        break;
                    }
                    Grant::Busy { retry_at } => now = retry_at.max(now + MS),
                }
            }
        }
        arrivals.sort_unstable();
        for w in arrivals.windows(n + 1) {
            assert!(
                w[n] - w[0] >= T.window,
                "{} arrivals within a window",
                n + 1
            );
        }
        assert_eq!(sends.len(), 400);
    }
}
