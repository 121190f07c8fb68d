//! A rate budget shared beyond this machine (the `redis` feature's store implements it). The
//! budget consults it first and falls back to its local ring when it cannot be reached.

use super::Reserved;
use super::slots::Timing;
use crate::boxed::BoxFuture;

/// A store holding the slot ring of every machine using the app key.
pub(crate) trait RemoteBudget: Send + Sync {
    /// Reserves a slot of the shared ring of `n`; `None` when the store is unavailable.
    fn reserve(&self, n: usize, timing: Timing, owner: u64) -> BoxFuture<'_, Option<Reserved>>;
    /// Releases slot `index` (an unreachable store lets the lease free it).
    fn release(&self, index: usize, owner: u64, timing: Timing) -> BoxFuture<'_, ()>;
    /// Whether an outage began since the last call (the local ring must count the last window
    /// as spent: what went out through the store is unknown here).
    fn outage_began(&self) -> bool;
    /// Whether the store is back and waits for the local ring to be quiet before it is used.
    fn is_rejoining(&self) -> bool;
    /// The local ring is quiet: use the store again.
    fn rejoined(&self);
}
