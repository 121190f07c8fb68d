//! The WebSocket side: the hub of live sessions and their subscriptions, the listener with its
//! connection cap, and the refusal of connections over it.

mod records;
mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};

use crate::orders::Notice;
use crate::state::Shared;
use records::{encrypt, notice_record};
use session::session;

/// A live subscription.
#[derive(Debug, Clone)]
struct Sub {
    tr_id: String,
    tr_key: String,
    plan: usize,
    key: String,
    iv: String,
}

#[derive(Debug)]
enum Cmd {
    Raw(String),
    Close,
    Wake,
}

#[derive(Debug)]
struct SessionHandle {
    tx: mpsc::UnboundedSender<Cmd>,
    subs: Arc<Mutex<Vec<Sub>>>,
}

/// Sessions and realtime controls shared with [`crate::MockControl`].
#[derive(Debug)]
pub(crate) struct WsHub {
    pub(crate) ticks: AtomicBool,
    pub(crate) tick_ms: AtomicU64,
    sessions: Mutex<HashMap<u64, SessionHandle>>,
    bound: Mutex<HashMap<String, u64>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

    /// Sends an execution notice to every session subscribed to a notice TR of the order's
    /// group in this environment, with `tr_key` = the configured HTS id.
    pub(crate) fn notify(&self, shared: &Shared, n: &Notice) {
        let hts = shared.config.hts_id.as_str();
        for (pi, plan) in shared.plans.ws.iter().enumerate() {
            if !plan.hts_key || plan.group != n.order.group {
                continue;
            }
            let Some(tr) = plan.tr_for(shared.demo) else {
                continue;
            };
            let mut record: Option<String> = None;
            for s in lock(&self.sessions).values() {
                let subs = lock(&s.subs);
                for sub in subs
                    .iter()
                    .filter(|x| x.plan == pi && x.tr_id == tr && x.tr_key == hts)
                {
                    let rec = record.get_or_insert_with(|| notice_record(shared, plan, n));
                    let frame = if plan.encrypted {
                        format!("1|{tr}|001|{}", encrypt(&sub.key, &sub.iv, rec))
                    } else {
                        format!("0|{tr}|001|{rec}")
                    };
                    let _ = s.tx.send(Cmd::Raw(frame));
                }
            }
        }
    }
}

/// Accepts WebSocket connections until `stop` turns true.
/// Refusals (a 503 answer to a connection over the cap) in progress at once; beyond them a
/// connection is closed without an answer, so a flood costs a bounded number of sockets.
const REFUSALS_CAP: usize = 64;

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let cap = shared.config.ws_max_connections.max(1);
    let served = Arc::new(Semaphore::new(cap));
    let refusing = Arc::new(Semaphore::new(REFUSALS_CAP));
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    if let Ok(permit) = served.clone().try_acquire_owned() {
                        tokio::spawn(session(stream, shared.clone(), stop.clone(), permit));
                        continue;
                    }
                    shared.lock().stats.ws_refused += 1;
                    if let Ok(permit) = refusing.clone().try_acquire_owned() {
                        let timeout = shared.config.ws_handshake_timeout;
                        tokio::spawn(refuse(stream, cap, timeout, permit));
                    }
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stop.changed() => break,
        }
    }
}

/// Answers a connection over the cap with `503 Service Unavailable` (and `Retry-After`) in
/// place of the upgrade, once its request has arrived (within the handshake timeout).
// the callback's signature is tungstenite's (an `ErrorResponse` by value)
#[allow(clippy::result_large_err)]
async fn refuse(stream: TcpStream, cap: usize, timeout: Duration, _permit: OwnedSemaphorePermit) {
    let busy = move |_: &Request, _: Response| -> Result<Response, ErrorResponse> {
        let mut answer = ErrorResponse::new(Some(format!(
            "too many WebSocket connections (this server serves {cap} at once); retry later\n"
        )));
        *answer.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        Err(answer)
    };
    let _ = tokio::time::timeout(timeout, tokio_tungstenite::accept_hdr_async(stream, busy)).await;
}
