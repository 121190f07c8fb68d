//! What every client of one app key shares in this process: the access token, the rate budget
//! (itself shared with other processes, and with other machines through Redis) and the WebSocket
//! approval key.
//!
//! Clients built separately with the same environment, app key and REST URL share one
//! [`KeyState`] through a process-wide registry. That is a deliberate choice: KIS limits requests
//! and token issues per app key, not per client object, so two clients of one key in one program
//! must draw from one budget and one token or they would exceed the limit together (and issue a
//! second token within the minute). The registry holds weak references: the state lives while a
//! client of the key does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::budget::RateBudget;
use crate::environment::Env;
use crate::tokens::{ApprovalKeys, TokenManager};

/// The state shared by every client of one environment, app key and host.
pub(crate) struct KeyState {
    pub(crate) tokens: TokenManager,
    pub(crate) budget: Option<RateBudget>,
    pub(crate) approval: ApprovalKeys,
}

/// Environment, SHA-256 of the app key, REST URL.
pub(crate) type Key = (Env, String, String);

fn registry() -> &'static Mutex<HashMap<Key, Weak<KeyState>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<KeyState>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl KeyState {
    /// The state of `key` in this process: the one a living client already uses, or `make()`'s.
    pub(crate) fn shared<E>(
        key: Key,
        make: impl FnOnce() -> Result<KeyState, E>,
    ) -> Result<Arc<KeyState>, E> {
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if let Some(s) = reg.get(&key).and_then(Weak::upgrade) {
            return Ok(s);
        }
        let s = Arc::new(make()?);
        reg.insert(key, Arc::downgrade(&s));
        Ok(s)
    }
}
