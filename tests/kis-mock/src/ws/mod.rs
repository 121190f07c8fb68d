//! The WebSocket side: the listener with its connection cap, the refusal of connections over
//! it, and execution notices sent to the sessions subscribed to them.

mod records;
mod session;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};

use crate::state::Shared;
use crate::ws_hub::{Cmd, lock};
pub(crate) use records::Notice;
use records::{encrypt, notice_record};
use session::session;

/// Sends an execution notice to every session subscribed to a notice TR of the order's
/// group in this environment, with `tr_key` = the configured HTS id.
pub(crate) fn notify(shared: &Shared, n: &Notice) {
    let hts = shared.config.hts_id.as_str();
    for (pi, plan) in shared.plans.ws.iter().enumerate() {
        if !plan.hts_key || plan.group != n.order.group {
            continue;
        }
        let Some(tr) = plan.tr_for(shared.demo) else {
            continue;
        };
        let mut record: Option<String> = None;
        for s in lock(&shared.ws.sessions).values() {
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
