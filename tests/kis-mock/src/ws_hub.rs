//! The hub of live WebSocket sessions: their command channels and subscriptions, and the
//! realtime controls (ticks on or off, their interval) shared with [`crate::MockControl`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

/// A live subscription.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub(crate) tr_id: String,
    pub(crate) tr_key: String,
    pub(crate) plan: usize,
    pub(crate) key: String,
    pub(crate) iv: String,
}

#[derive(Debug)]
pub(crate) enum Cmd {
    Raw(String),
    Close,
    Wake,
}

#[derive(Debug)]
pub(crate) struct SessionHandle {
    pub(crate) tx: mpsc::UnboundedSender<Cmd>,
    pub(crate) subs: Arc<Mutex<Vec<Sub>>>,
}

/// Sessions and realtime controls shared with [`crate::MockControl`].
#[derive(Debug)]
pub(crate) struct WsHub {
    pub(crate) ticks: AtomicBool,
    pub(crate) tick_ms: AtomicU64,
    pub(crate) sessions: Mutex<HashMap<u64, SessionHandle>>,
    pub(crate) bound: Mutex<HashMap<String, u64>>,
    pub(crate) next_id: AtomicU64,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WsHub {
    pub(crate) fn new(ticks: bool, interval: Duration) -> WsHub {
        WsHub {
            ticks: AtomicBool::new(ticks),
            tick_ms: AtomicU64::new(u64::try_from(interval.as_millis()).unwrap_or(500).max(1)),
            sessions: Mutex::new(HashMap::new()),
            bound: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    fn send_all(&self, mk: impl Fn() -> Cmd) {
        for s in lock(&self.sessions).values() {
            let _ = s.tx.send(mk());
        }
    }

    pub(crate) fn wake_all(&self) {
        self.send_all(|| Cmd::Wake);
    }

    pub(crate) fn drop_all(&self) {
        self.send_all(|| Cmd::Close);
    }

    pub(crate) fn push_raw(&self, frame: String) {
        self.send_all(|| Cmd::Raw(frame.clone()));
    }

    pub(crate) fn subscription_count(&self) -> usize {
        lock(&self.sessions)
            .values()
            .map(|s| lock(&s.subs).len())
            .sum()
    }

    pub(crate) fn session_count(&self) -> usize {
        lock(&self.sessions).len()
    }
}
