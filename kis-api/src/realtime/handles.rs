//! The handles of a session: [`Session`] itself, the subscription streams and the frame tap.
//! Each sends its calls to the session task as a `Command` and receives frames through its
//! own bounded channel.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};

use super::driver::Command;
use super::frame::Frame;
use super::outlet::{Item, Outlet};
use super::status::{SessionStatus, Status};
use super::subscriptions::shown;
use crate::endpoint::RealtimeTr;
use crate::environment::Env;
use crate::error::{Error, Result};
use crate::meta::{EndpointKind, EndpointMeta, TrKeyMeaning};
use crate::realtime_error::RealtimeError;

/// Longest subscription key accepted (KIS's keys are product codes and HTS ids).
const MAX_KEY_LEN: usize = 64;

/// A realtime session: one WebSocket connection (KIS allows one per approval key), with up to
/// [`MAX_SUBSCRIPTIONS`](super::MAX_SUBSCRIPTIONS) subscriptions. Cheap to clone; the connection lives while the session
/// or any of its subscriptions and taps is alive, or until [`Session::close`].
///
/// After a drop the session reconnects with backoff ([`ReconnectPolicy`](super::ReconnectPolicy)) and subscribes again
/// to everything, with the same keys; encrypted TRs switch to the keys of the new replies.
/// Frames carry the [`connection`](super::RawFrame::connection) they came on, so a consumer can tell
/// that some may have been missed.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

/// What every clone of a [`Session`] shares.
pub(super) struct SessionInner {
    pub(super) cmds: mpsc::UnboundedSender<Command>,
    pub(super) status: Arc<Status>,
    pub(super) env: Env,
    pub(super) hts_id: Option<String>,
    pub(super) url: String,
    pub(super) max_subscriptions: usize,
    pub(super) buffer: usize,
    pub(super) next_id: AtomicU64,
}

impl Session {
    pub(super) fn new(inner: SessionInner) -> Self {
        Session {
            inner: Arc::new(inner),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("env", &self.inner.env)
            .field("url", &self.inner.url)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

fn closed() -> Error {
    Error::Realtime(RealtimeError::Closed { reason: None })
}

impl Session {
    /// Subscribes to TR `T` for `key` (a product code; the HTS id for execution notices, see
    /// [`Session::subscribe_notices`]) and waits for KIS's confirmation. The TR ID is the
    /// environment's (`H0STCNI9` in demo for [`H0STCNI0`](crate::domestic_stock::H0STCNI0)).
    ///
    /// Fails before any I/O with [`Error::NotInDemo`] for a real-only TR on a demo client, with
    /// [`RealtimeError::TooManySubscriptions`] past the session's limit and with
    /// [`RealtimeError::InvalidKey`]; fails with [`RealtimeError::Rejected`] when KIS refuses.
    /// Subscribing again to the same TR and key shares the one subscription. Dropping the
    /// returned stream unsubscribes (when it was the last one of its TR and key).
    ///
    /// ```no_run
    /// # async fn run(session: kis_api::realtime::Session) -> kis_api::Result<()> {
    /// use futures_util::StreamExt;
    /// use kis_api::domestic_stock::H0STASP0;
    ///
    /// let mut quotes = session.subscribe(H0STASP0, "005930").await?;
    /// while let Some(frame) = quotes.next().await {
    ///     for q in frame?.records() {
    ///         let q = q?;
    ///         println!("ask {:?} bid {:?}", q.askp1, q.bidp1);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn subscribe<T: RealtimeTr>(
        &self,
        tr: T,
        key: impl AsRef<str>,
    ) -> Result<Subscription<T>> {
        let _ = tr;
        let feed = self.open(T::META, key.as_ref()).await?;
        Ok(Subscription {
            feed,
            _tr: PhantomData,
        })
    }

    /// Subscribes to an execution-notice TR (keyed by the HTS id) with the client's configured
    /// HTS id. Notices come encrypted; frames arrive decrypted.
    ///
    /// ```no_run
    /// # async fn run(session: kis_api::realtime::Session) -> kis_api::Result<()> {
    /// let mut notices = session
    ///     .subscribe_notices(kis_api::domestic_stock::H0STCNI0)
    ///     .await?;
    /// while let Some(frame) = notices.recv().await {
    ///     for n in frame?.records() {
    ///         let n = n?;
    ///         println!("{} {} qty {:?} at {:?}", n.oder_no, n.stck_shrn_iscd, n.cntg_qty, n.cntg_unpr);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_notices<T: RealtimeTr>(&self, tr: T) -> Result<Subscription<T>> {
        let meta = T::META;
        self.tr_id_for(meta)?;
        if meta.tr_key != Some(TrKeyMeaning::HtsId) {
            return Err(RealtimeError::WrongTr {
                endpoint: meta.id,
                reason: "not an execution-notice TR (it is keyed by a product code): use subscribe(tr, code)",
            }
            .into());
        }
        let Some(hts) = self.inner.hts_id.clone() else {
            return Err(RealtimeError::NoHtsId {
                tr_id: meta.tr_id(0, self.inner.env).unwrap_or("").to_owned(),
            }
            .into());
        };
        self.subscribe(tr, hts).await
    }

    /// Subscribes to a TR chosen at run time, by its catalog entry (from
    /// [`crate::ENDPOINTS`]); frames come untyped. The checks are those of
    /// [`Session::subscribe`].
    pub async fn subscribe_raw(
        &self,
        meta: &'static EndpointMeta,
        key: &str,
    ) -> Result<RawSubscription> {
        let feed = self.open(meta, key).await?;
        Ok(RawSubscription { feed })
    }

    /// Every data frame of the session, untyped, and every malformed frame as an error item
    /// (which is also logged as a `tracing` warning). For tools that watch TRs chosen at run
    /// time. The tap sees everything received after this returns; dropping it stops it.
    ///
    /// ```no_run
    /// # async fn run(session: kis_api::realtime::Session) -> kis_api::Result<()> {
    /// let meta = kis_api::ENDPOINTS
    ///     .iter()
    ///     .copied()
    ///     .find(|m| m.id == "domestic_stock.ccnl_krx")
    ///     .expect("in the catalog");
    /// let mut tap = session.frames().await;
    /// let _sub = session.subscribe_raw(meta, "005930").await?;
    /// while let Some(item) = tap.recv().await {
    ///     match item {
    ///         Ok(frame) => {
    ///             for record in frame.records() {
    ///                 for (column, value) in record?.columns() {
    ///                     println!("{} = {value}", column.map_or("?", |c| c.label));
    ///                 }
    ///             }
    ///         }
    ///         Err(e) => eprintln!("skipped: {e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn frames(&self) -> FrameTap {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.buffer);
        let (ack_tx, ack_rx) = oneshot::channel();
        if self
            .inner
            .cmds
            .send(Command::Tap {
                outlet: Outlet::new(id, tx),
                ack: ack_tx,
            })
            .is_ok()
        {
            // registered once the session task has seen it: ordered with incoming frames
            let _ = ack_rx.await;
        }
        FrameTap {
            feed: Feed {
                rx,
                id,
                cmds: self.inner.cmds.clone(),
                release: Release::Tap,
                tr_id: "",
                key: Arc::from(""),
            },
        }
    }

    /// Connection state, connections made and subscriptions held.
    pub fn status(&self) -> SessionStatus {
        self.inner.status.snapshot()
    }

    /// The session's subscription limit.
    pub fn max_subscriptions(&self) -> usize {
        self.inner.max_subscriptions
    }

    /// The environment of the client that opened the session.
    pub fn env(&self) -> Env {
        self.inner.env
    }

    /// Closes the connection; every subscription stream and tap ends. Waits until the
    /// connection is closed.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.cmds.send(Command::Close { done: tx }).is_ok() {
            let _ = rx.await;
        }
    }

    fn tr_id_for(&self, meta: &'static EndpointMeta) -> Result<&'static str> {
        if meta.kind != EndpointKind::WebSocket {
            return Err(RealtimeError::WrongTr {
                endpoint: meta.id,
                reason: "not a realtime (WebSocket) TR",
            }
            .into());
        }
        meta.tr_id(0, self.inner.env).ok_or(Error::NotInDemo {
            endpoint: meta.id,
            name: meta.name,
            variant: None,
        })
    }

    async fn open(&self, meta: &'static EndpointMeta, key: &str) -> Result<Feed> {
        let tr_id = self.tr_id_for(meta)?;
        check_key(tr_id, key)?;
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.buffer);
        let (ack_tx, ack_rx) = oneshot::channel();
        let key: Arc<str> = Arc::from(key);
        self.inner
            .cmds
            .send(Command::Subscribe {
                meta,
                tr_id,
                key: Arc::clone(&key),
                outlet: Outlet::new(id, tx),
                ack: ack_tx,
            })
            .map_err(|_| closed())?;
        // from here on, dropping the feed (also when this future is cancelled) releases it
        let feed = Feed {
            rx,
            id,
            cmds: self.inner.cmds.clone(),
            release: Release::Unsubscribe,
            tr_id,
            key,
        };
        match ack_rx.await {
            Ok(Ok(())) => Ok(feed),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(closed()),
        }
    }
}

fn check_key(tr_id: &str, key: &str) -> std::result::Result<(), RealtimeError> {
    let reason = if key.trim().is_empty() {
        Some("empty")
    } else if key.len() > MAX_KEY_LEN {
        Some("longer than 64 bytes")
    } else if key.chars().any(|c| c.is_control() || c == '|' || c == '^') {
        Some("control characters or the frame separators | and ^")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(RealtimeError::InvalidKey {
            tr_id: tr_id.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    Unsubscribe,
    Tap,
    Done,
}

/// The receiving end of one outlet, released on drop.
struct Feed {
    rx: mpsc::Receiver<Item>,
    id: u64,
    cmds: mpsc::UnboundedSender<Command>,
    release: Release,
    /// The subscription's TR ID and key (empty for a tap).
    tr_id: &'static str,
    key: Arc<str>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        let cmd = match self.release {
            Release::Unsubscribe => Command::Unsubscribe {
                outlet: self.id,
                ack: None,
            },
            Release::Tap => Command::Untap { outlet: self.id },
            Release::Done => return,
        };
        let _ = self.cmds.send(cmd);
    }
}

impl Feed {
    async fn unsubscribe(mut self) -> Result<()> {
        self.release = Release::Done;
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send(Command::Unsubscribe {
                outlet: self.id,
                ack: Some(tx),
            })
            .map_err(|_| closed())?;
        match rx.await {
            Ok(r) => r.map_err(Error::from),
            // the session is gone, and its subscriptions with it
            Err(_) => Ok(()),
        }
    }
}

/// The frames of one subscription of TR `T`: a [`Stream`](futures_core::Stream) of
/// `Result<Frame<T>, RealtimeError>`, also readable with [`Subscription::recv`].
///
/// Error items do not end the stream: [`RealtimeError::Frame`] (a frame of this TR that could
/// not be decrypted, then skipped), [`RealtimeError::Lagged`]. It ends after
/// [`RealtimeError::Rejected`] (KIS refused the subscription again after a reconnect) and
/// [`RealtimeError::Closed`], and when the session is closed. Dropping it unsubscribes.
pub struct Subscription<T> {
    feed: Feed,
    _tr: PhantomData<fn() -> T>,
}

impl<T: RealtimeTr> Subscription<T> {
    /// The next frame or error; `None` once the subscription has ended.
    pub async fn recv(&mut self) -> Option<std::result::Result<Frame<T>, RealtimeError>> {
        self.feed.rx.recv().await.map(|r| r.map(Frame::new))
    }

    /// Unsubscribes and waits for KIS's answer (dropping the subscription does the same
    /// without waiting).
    pub async fn unsubscribe(self) -> Result<()> {
        self.feed.unsubscribe().await
    }

    /// The TR ID subscribed (the environment's).
    pub fn tr_id(&self) -> &'static str {
        self.feed.tr_id
    }

    /// The subscription key (product code, or the HTS id for notices).
    pub fn key(&self) -> &str {
        &self.feed.key
    }
}

impl<T: RealtimeTr> fmt::Debug for Subscription<T> {
    // the key of a notice subscription is the HTS id: never shown
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("tr_id", &self.feed.tr_id)
            .field("key", &shown(T::META, &self.feed.key))
            .finish_non_exhaustive()
    }
}

impl<T: RealtimeTr> futures_core::Stream for Subscription<T> {
    type Item = std::result::Result<Frame<T>, RealtimeError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut()
            .feed
            .rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(Frame::new)))
    }
}

/// The frames of a subscription made with [`Session::subscribe_raw`], untyped; otherwise like
/// [`Subscription`].
pub struct RawSubscription {
    feed: Feed,
}

impl RawSubscription {
    /// The next frame or error; `None` once the subscription has ended.
    pub async fn recv(&mut self) -> Option<Item> {
        self.feed.rx.recv().await
    }

    /// Unsubscribes and waits for KIS's answer.
    pub async fn unsubscribe(self) -> Result<()> {
        self.feed.unsubscribe().await
    }

    /// The TR ID subscribed (the environment's).
    pub fn tr_id(&self) -> &'static str {
        self.feed.tr_id
    }

    /// The subscription key.
    pub fn key(&self) -> &str {
        &self.feed.key
    }
}

impl fmt::Debug for RawSubscription {
    // the key is not shown: it may be an HTS id
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSubscription")
            .field("tr_id", &self.feed.tr_id)
            .finish_non_exhaustive()
    }
}

impl futures_core::Stream for RawSubscription {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.get_mut().feed.rx.poll_recv(cx)
    }
}

/// Every frame of a session, untyped, with malformed frames as error items; see
/// [`Session::frames`].
pub struct FrameTap {
    feed: Feed,
}

impl FrameTap {
    /// The next frame or error; `None` once the session is closed.
    pub async fn recv(&mut self) -> Option<Item> {
        self.feed.rx.recv().await
    }
}

impl fmt::Debug for FrameTap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameTap")
            .field("id", &self.feed.id)
            .finish_non_exhaustive()
    }
}

impl futures_core::Stream for FrameTap {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.get_mut().feed.rx.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_before_sending() {
        assert!(check_key("H0STCNT0", "005930").is_ok());
        for bad in ["", "  ", "005930|x", "a^b", "a\nb", &"x".repeat(65)] {
            assert!(
                matches!(
                    check_key("H0STCNT0", bad),
                    Err(RealtimeError::InvalidKey { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
