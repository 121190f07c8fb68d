//! A bounded realtime feed, shared by `kis watch` and `kis mcp`'s `kis_watch`: one session, one
//! subscription per key (each waits for KIS's confirmation), then records until a count, a
//! deadline or a stop (Ctrl-C on the command line; nothing for a tool call). The deadline bounds
//! connecting and subscribing too: a server that never confirms cannot hold the caller.

use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::SelectAll;
use kis_api::realtime::{RawSubscription, RealtimeError, Session};
use kis_api::{AnyEnv, Client, EndpointMeta};
use tokio::time::Instant;

use crate::Failure;
use crate::render::clean;

/// Why waiting ended before the work did.
enum Cut {
    /// The deadline passed.
    TimeUp,
    /// The stop signal came.
    Stopped,
}

/// Why a feed did not start.
pub enum StartError {
    /// The deadline passed while waiting for what this says ("the realtime session started").
    TimeUp(String),
    /// The stop signal came first.
    Stopped,
    /// The session or a subscription failed.
    Failed(Failure),
}

/// Runs `work` until it ends, the deadline passes or `stop` completes.
async fn until<F: Future, S: Future>(
    deadline: Option<Instant>,
    stop: S,
    work: F,
) -> Result<F::Output, Cut> {
    let bounded = async {
        match deadline {
            Some(d) => tokio::time::timeout_at(d, work)
                .await
                .map_err(|_| Cut::TimeUp),
            None => Ok(work.await),
        }
    };
    tokio::select! {
        r = bounded => r,
        _ = stop => Err(Cut::Stopped),
    }
}

/// A session with its subscriptions, merged into one stream of frames.
pub struct Feed {
    session: Session,
    frames: SelectAll<RawSubscription>,
    meta: &'static EndpointMeta,
    tr_id: &'static str,
}

impl Feed {
    /// Starts a session and subscribes to `meta` for each key, calling `on_subscribed` as each
    /// is confirmed. On failure the session is closed.
    pub async fn open<S: Future>(
        client: &Client<AnyEnv>,
        meta: &'static EndpointMeta,
        keys: &[&str],
        deadline: Option<Instant>,
        stop: impl Fn() -> S,
        mut on_subscribed: impl FnMut(&RawSubscription),
    ) -> Result<Feed, StartError> {
        let session = match until(deadline, stop(), client.realtime()).await {
            Ok(started) => started.map_err(|e| StartError::Failed(e.into()))?,
            Err(Cut::TimeUp) => {
                return Err(StartError::TimeUp(
                    "the realtime session started".to_string(),
                ));
            }
            Err(Cut::Stopped) => return Err(StartError::Stopped),
        };
        let mut subscriptions = Vec::with_capacity(keys.len());
        for key in keys {
            let sub = match until(deadline, stop(), session.subscribe_raw(meta, key)).await {
                Ok(Ok(sub)) => sub,
                Ok(Err(e)) => {
                    session.close().await;
                    return Err(StartError::Failed(e.into()));
                }
                Err(cut) => {
                    session.close().await;
                    return Err(match cut {
                        Cut::TimeUp => StartError::TimeUp(format!(
                            "KIS confirmed the subscription to {} {}",
                            meta.id,
                            clean(&crate::catalog::shown(key))
                        )),
                        Cut::Stopped => StartError::Stopped,
                    });
                }
            };
            on_subscribed(&sub);
            subscriptions.push(sub);
        }
        let tr_id = subscriptions.first().map_or("", |s| s.tr_id());
        Ok(Feed {
            session,
            frames: futures_util::stream::select_all(subscriptions),
            meta,
            tr_id,
        })
    }

    /// The TR ID subscribed (the environment's).
    pub fn tr_id(&self) -> &'static str {
        self.tr_id
    }

    /// Hands each record's values (at most the catalog's columns, as sent) to `on_record`, with
    /// its frame's TR ID, until `count` records, the deadline or `stop`: `Ok` with the number
    /// handed. The session ending or closing is `Err` with why, after the records before it.
    /// Malformed frames and records go to `on_warning`, and the feed goes on.
    pub async fn records<S: Future>(
        &mut self,
        count: Option<usize>,
        deadline: Option<Instant>,
        stop: impl Fn() -> S,
        mut on_record: impl FnMut(&str, &[&str]),
        mut on_warning: impl FnMut(String),
    ) -> Result<usize, String> {
        let mut seen = 0usize;
        loop {
            if count.is_some_and(|n| seen >= n) {
                return Ok(seen);
            }
            let Ok(item) = until(deadline, stop(), self.frames.next()).await else {
                return Ok(seen);
            };
            let frame = match item {
                None => return Err("the realtime session ended".to_string()),
                Some(Ok(frame)) => frame,
                Some(Err(RealtimeError::Closed { reason })) => {
                    return Err(format!(
                        "the realtime session closed{}",
                        reason
                            .map(|r| format!(": {}", clean(&r)))
                            .unwrap_or_default()
                    ));
                }
                // a malformed frame, or frames lost to a slow reader
                Some(Err(e)) => {
                    on_warning(clean(&e.to_string()));
                    continue;
                }
            };
            for rec in frame.records() {
                if count.is_some_and(|n| seen >= n) {
                    break;
                }
                match rec {
                    Ok(rec) => {
                        let values: Vec<&str> =
                            rec.fields().take(self.meta.columns.len()).collect();
                        on_record(frame.tr_id(), &values);
                        seen += 1;
                    }
                    Err(e) => on_warning(format!(
                        "{} record skipped: {}",
                        self.tr_id,
                        clean(&e.to_string())
                    )),
                }
            }
        }
    }

    /// Unsubscribes (dropping the subscriptions) and closes the session.
    pub async fn close(self) {
        drop(self.frames);
        self.session.close().await;
    }
}
