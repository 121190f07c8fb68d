//! One rate budget per app key and environment, whoever sends: every client of the process, every
//! process of the machine (a state file next to the token cache) and, with the `redis` feature
//! and [`crate::ClientBuilder::redis`], every machine.
//!
//! The budget is a ring of slots (see [`slots`]): a request reserves one, sleeps until its start,
//! is sent, and releases it when the answer arrives. Within a process, reservations are made one
//! at a time in arrival order (a fair async lock held for microseconds); across processes the
//! state file's OS lock orders them. It replaces the per-process limiter entirely: one algorithm
//! whether shared or not, and no second limiter spacing requests the ring already allows.

pub(crate) mod file;
mod remote;
pub(crate) mod slots;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use file::StateFile;
pub(crate) use remote::RemoteBudget;
use slots::{Grant, Slot, Timing};

/// How often a process asks again while every slot waits for an answer. A release by another
/// task of this process wakes it at once; this only bounds how late a release by another process
/// (or machine) is noticed, which costs nothing as the freed slot is one window away anyway.
const POLL: Duration = Duration::from_millis(2);

/// How often a budget waiting to rejoin its shared store looks at the local ring (a reserved
/// slot's lease may be far off while its answer, which frees it sooner, is due any moment).
const REJOIN_POLL: Duration = Duration::from_millis(50);

/// Nanoseconds since the Unix epoch: the clock every process of the machine shares.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The state file of `env` and the app key of `key_hash` in the token cache directory `dir`.
pub(crate) fn state_file(
    dir: &std::path::Path,
    env: crate::environment::Env,
    key_hash: &str,
) -> PathBuf {
    dir.join(format!(
        "{}-{}.rate",
        env.name(),
        key_hash.get(..16).unwrap_or(key_hash)
    ))
}

/// What a budget is made of.
#[derive(Debug, Clone)]
pub(crate) struct BudgetConfig {
    /// Requests per window.
    pub(crate) per_window: u32,
    /// The window KIS counts in.
    pub(crate) window: Duration,
    /// How long a slot stays reserved without an answer (its holder may have died).
    pub(crate) lease: Duration,
    /// The machine-wide state file; `None` keeps the budget in this process.
    pub(crate) file: Option<PathBuf>,
}

/// The local ring: in the state file, or in memory when sharing is off or the file failed.
enum Local {
    Memory(Vec<Slot>),
    File(StateFile),
}

/// Where a reserved slot lives.
enum Place {
    Local,
    Remote(Arc<dyn RemoteBudget>),
}

/// The rate budget of one app key and environment.
pub(crate) struct RateBudget {
    n: usize,
    timing: Timing,
    local: Mutex<Local>,
    queue: tokio::sync::Mutex<()>,
    released: tokio::sync::Notify,
    /// The budget shared beyond this machine, if any (Redis): consulted first.
    remote: Option<Arc<dyn RemoteBudget>>,
}

impl std::fmt::Debug for RateBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateBudget")
            .field("per_window", &self.n)
            .finish_non_exhaustive()
    }
}

/// One reserved slot: send, then [`Permit::release`] when the answer (or an error) arrives.
/// Dropped unreleased (a cancelled call), it is released on the spot.
pub(crate) struct Permit<'a> {
    budget: &'a RateBudget,
    index: usize,
    owner: u64,
    place: Option<Place>,
}

impl RateBudget {
    /// A budget; opening the state file is tried here, and its failure leaves the budget in
    /// this process (with a warning), never without a limit.
    pub(crate) fn new(config: BudgetConfig) -> RateBudget {
        let n = (config.per_window as usize).clamp(1, file::MAX_SLOTS);
        let local = match &config.file {
            Some(path) => match StateFile::open(path) {
                Ok(f) => Local::File(f),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "cannot open the shared rate budget file; limiting this process alone");
                    Local::Memory(vec![Slot::default(); n])
                }
            },
            None => Local::Memory(vec![Slot::default(); n]),
        };
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        RateBudget {
            n,
            timing: Timing {
                window: nanos(config.window),
                lease: nanos(config.window.saturating_add(config.lease)),
            },
            local: Mutex::new(local),
            queue: tokio::sync::Mutex::new(()),
            released: tokio::sync::Notify::new(),
            remote: None,
        }
    }

    /// Shares the budget through `remote` first (the local ring stays the fallback).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn with_remote(mut self, remote: Arc<dyn RemoteBudget>) -> Self {
        self.remote = Some(remote);
        self
    }

    /// Whether the budget is shared with other processes through the state file.
    #[cfg(test)]
    pub(crate) fn is_shared(&self) -> bool {
        matches!(*self.lock_local(), Local::File(_))
    }

    fn lock_local(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the local ring. A state file that fails (disk full, removed permissions) is
    /// given up for memory, with a warning: the limit stays, shared by this process only.
    fn on_local<T>(&self, f: impl FnOnce(&mut [Slot], u64) -> T) -> T {
        let mut local = self.lock_local();
        let now = now_ns();
        let spent = || {
            // nothing is known of the last window: start with it spent
            let busy = Slot {
                start: 0,
                free_at: now.saturating_add(self.timing.window),
                owner: 0,
            };
            vec![busy; self.n]
        };
        match &mut *local {
            Local::Memory(ring) => f(ring, now),
            Local::File(file) => {
                let path = file.path().to_path_buf();
                let (out, failed) = match file.lock_ring(self.n, now, self.timing) {
                    Ok(mut locked) => {
                        let out = f(&mut locked.ring, now);
                        (out, locked.save().err().map(|e| (e, spent())))
                    }
                    Err(e) => {
                        let mut ring = spent();
                        let out = f(&mut ring, now);
                        (out, Some((e, ring)))
                    }
                };
                if let Some((e, ring)) = failed {
                    tracing::warn!(file = %path.display(), error = %e, "the shared rate budget file failed; limiting this process alone from now on");
                    *local = Local::Memory(ring);
                }
                out
            }
        }
    }

    /// Reserves a slot: one reservation at a time per process, then a sleep until its start.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        let began = Instant::now();
        let owner = fastrand::u64(1..);
        let queue = self.queue.lock().await;
        loop {
            let notified = self.released.notified();
            let (grant, place) = self.reserve(owner).await;
            match grant {
                Reserved::Slot { index, wait } => {
                    drop(queue);
                    let total = began.elapsed() + wait;
                    if total > Duration::from_secs(1) {
                        tracing::info!(
                            wait_ms = u64::try_from(total.as_millis()).unwrap_or(u64::MAX),
                            per_second = self.n,
                            "waiting for the app key's rate budget (shared by every client using the key)"
                        );
                    }
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return Permit {
                        budget: self,
                        index,
                        owner,
                        place: Some(place),
                    };
                }
                Reserved::Busy { retry_in } => {
                    let pause = retry_in.max(POLL);
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = notified => {}
                    }
                }
            }
        }
    }

    async fn reserve(&self, owner: u64) -> (Reserved, Place) {
        if let Some(remote) = &self.remote {
            if let Some(r) = remote.reserve(self.n, self.timing, owner).await {
                return (r, Place::Remote(Arc::clone(remote)));
            }
            if remote.outage_began() {
                // what went out through Redis this last window is unknown here: count it spent
                self.on_local(|ring, now| {
                    let spent = now.saturating_add(self.timing.window);
                    for s in ring.iter_mut() {
                        s.free_at = s.free_at.max(spent);
                    }
                });
            }
            if remote.is_rejoining() {
                // Redis is back, but what this machine sent locally meanwhile is unknown to it:
                // rejoin once the local ring has been quiet for a window, and send nothing until
                // then (a pause of at most a window, once per outage)
                let quiet_in = self.on_local(|ring, now| {
                    ring.iter()
                        .map(|s| s.free_at.saturating_sub(now))
                        .max()
                        .unwrap_or(0)
                });
                if quiet_in == 0 {
                    remote.rejoined();
                    return (
                        Reserved::Busy {
                            retry_in: Duration::ZERO,
                        },
                        Place::Local,
                    );
                }
                let retry_in = Duration::from_nanos(quiet_in).min(REJOIN_POLL);
                return (Reserved::Busy { retry_in }, Place::Local);
            }
        }
        let r = self.on_local(
            |ring, now| match slots::reserve(ring, now, self.timing, owner) {
                Grant::Slot { index, start } => Reserved::Slot {
                    index,
                    wait: Duration::from_nanos(start.saturating_sub(now)),
                },
                Grant::Busy { retry_at } => Reserved::Busy {
                    retry_in: Duration::from_nanos(retry_at.saturating_sub(now)),
                },
            },
        );
        (r, Place::Local)
    }

    fn release_local(&self, index: usize, owner: u64) {
        self.on_local(|ring, now| slots::release(ring, index, owner, now, self.timing));
        self.released.notify_waiters();
    }
}

/// A reservation as the caller needs it: which slot and how long to wait, or when to ask again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reserved {
    /// Slot `index`, usable after `wait`.
    Slot {
        /// Position in the ring.
        index: usize,
        /// Time until the slot may be used.
        wait: Duration,
    },
    /// Every slot awaits an answer; ask again after `retry_in`.
    Busy {
        /// Time until asking again is worthwhile.
        retry_in: Duration,
    },
}

impl Permit<'_> {
    /// Releases the slot: the answer arrived (or the request failed), so it is free one window
    /// from now.
    pub(crate) async fn release(mut self) {
        match self.place.take() {
            Some(Place::Local) => self.budget.release_local(self.index, self.owner),
            Some(Place::Remote(remote)) => {
                remote
                    .release(self.index, self.owner, self.budget.timing)
                    .await;
                self.budget.released.notify_waiters();
            }
            None => {}
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        match self.place.take() {
            Some(Place::Local) => self.budget.release_local(self.index, self.owner),
            Some(Place::Remote(remote)) => {
                // a cancelled call: release in the background if a runtime is there, else the
                // lease frees the slot
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let (index, owner, timing) = (self.index, self.owner, self.budget.timing);
                    handle.spawn(async move { remote.release(index, owner, timing).await });
                }
            }
            None => {}
        }
    }
}

/// The cost of one reservation and release of a machine-wide budget (file lock, read, write)
/// with a state file in `dir`, averaged over `rounds` uncontended rounds. For the benchmark.
pub(crate) async fn measure_cost(dir: &std::path::Path, rounds: u32) -> Duration {
    let budget = RateBudget::new(BudgetConfig {
        per_window: 20,
        // a window of one nanosecond: every slot is free again at once, so nothing waits
        window: Duration::from_nanos(1),
        lease: Duration::from_secs(1),
        file: Some(state_file(
            dir,
            crate::environment::Env::Real,
            &"0".repeat(64),
        )),
    });
    let began = Instant::now();
    for _ in 0..rounds {
        budget.acquire().await.release().await;
    }
    began.elapsed() / rounds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(n: u32, window_ms: u64, file: Option<PathBuf>) -> RateBudget {
        RateBudget::new(BudgetConfig {
            per_window: n,
            window: Duration::from_millis(window_ms),
            lease: Duration::from_secs(2),
            file,
        })
    }

    #[tokio::test]
    async fn two_budgets_on_one_file_draw_from_one_ring() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = state_file(dir.path(), crate::environment::Env::Real, &"ab".repeat(32));
        // two processes, as far as the ring can tell: separate handles on one file
        let (a, b) = (
            budget(2, 300, Some(path.clone())),
            budget(2, 300, Some(path)),
        );
        assert!(a.is_shared() && b.is_shared());
        let began = Instant::now();
        a.acquire().await.release().await;
        b.acquire().await.release().await;
        assert!(began.elapsed() < Duration::from_millis(200), "two at once");
        a.acquire().await.release().await;
        let waited = began.elapsed();
        assert!(
            waited >= Duration::from_millis(290),
            "the third waits a window after an answer: {waited:?}"
        );
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_opened_leaves_a_limit_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("not-a-dir");
        std::fs::write(&blocker, b"x").expect("write");
        let b = budget(1, 250, Some(blocker.join("real-x.rate")));
        assert!(!b.is_shared());
        let began = Instant::now();
        b.acquire().await.release().await;
        // dropped unreleased (a cancelled call) still frees the slot
        drop(b.acquire().await);
        assert!(
            began.elapsed() >= Duration::from_millis(240),
            "still limited"
        );
    }
}
