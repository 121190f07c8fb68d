//! Where a session stands: its connection state and counters, shared between the handles
//! (which read them) and the session task (which writes them).

use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

/// Where a session's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Connected; subscriptions are live (or being confirmed).
    Connected,
    /// The connection dropped; the session is waiting to reconnect or connecting.
    Reconnecting,
    /// Closed for good: on request, when every handle was dropped, or after the reconnect
    /// policy gave up.
    Closed,
}

/// A snapshot of a session; see [`Session::status`](super::Session::status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStatus {
    /// Connection state.
    pub state: ConnectionState,
    /// Connections made so far (1 + reconnects).
    pub connections: u64,
    /// Subscriptions held (distinct TR and key), confirmed or waiting for KIS's answer.
    pub subscriptions: usize,
}

/// The live counters behind [`SessionStatus`].
#[derive(Debug, Default)]
pub(super) struct Status {
    state: AtomicU8,
    connections: AtomicU64,
    subscriptions: AtomicUsize,
}

impl Status {
    pub(super) fn set_state(&self, s: ConnectionState) {
        let v = match s {
            ConnectionState::Connected => 0,
            ConnectionState::Reconnecting => 1,
            ConnectionState::Closed => 2,
        };
        self.state.store(v, Ordering::SeqCst);
    }

    pub(super) fn set_connections(&self, n: u64) {
        self.connections.store(n, Ordering::SeqCst);
    }

    pub(super) fn set_subscriptions(&self, n: usize) {
        self.subscriptions.store(n, Ordering::SeqCst);
    }

    pub(super) fn snapshot(&self) -> SessionStatus {
        SessionStatus {
            state: match self.state.load(Ordering::SeqCst) {
                0 => ConnectionState::Connected,
                1 => ConnectionState::Reconnecting,
                _ => ConnectionState::Closed,
            },
            connections: self.connections.load(Ordering::SeqCst),
            subscriptions: self.subscriptions.load(Ordering::SeqCst),
        }
    }
}
