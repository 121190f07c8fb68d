//! The session: one WebSocket connection (one approval key), driven by a background task that
//! owns the socket, answers `PINGPONG`, routes frames to subscriptions, and reconnects and
//! resubscribes after a drop.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::crypto::CipherKey;
use super::error::{FrameError, FrameErrorKind, RealtimeError};
use super::frame::{Control, Frame, RawFrame, Reply, first_field, parse_control};
use crate::client::{Client, Inner};
use crate::config::Secret;
use crate::endpoint::RealtimeTr;
use crate::env::{Env, Environment};
use crate::error::{Error, Result};
use crate::meta::{EndpointKind, EndpointMeta, TrKeyMeaning};

/// Subscriptions KIS allows on one session (`rate_limits.websocket_subscriptions` in
/// `spec/common.yaml`; sources say 40 or 41). The default of
/// [`SessionBuilder::max_subscriptions`].
pub const MAX_SUBSCRIPTIONS: usize = 40;

/// Longest subscription key accepted (KIS's keys are product codes and HTS ids).
const MAX_KEY_LEN: usize = 64;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = futures_util::stream::SplitSink<Ws, Message>;
type Item = std::result::Result<RawFrame, RealtimeError>;
type Ack = oneshot::Sender<std::result::Result<(), RealtimeError>>;

/// How a session reconnects after the connection drops: exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Delay before the first attempt; doubled per failed attempt.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts in a row before the session gives up and closes; `None` never gives up.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// Never reconnect: a dropped connection closes the session.
    pub fn never() -> Self {
        ReconnectPolicy {
            max_attempts: Some(0),
            ..Default::default()
        }
    }

    /// The delay before attempt `attempt` (0-based): between half and all of
    /// `base_delay * 2^attempt`, capped at `max_delay`.
    pub fn delay(&self, attempt: u32) -> Duration {
        crate::client::jittered_backoff(self.base_delay, self.max_delay, attempt)
    }
}

/// Settings of a session; from [`Client::realtime_builder`].
#[derive(Clone)]
pub struct SessionBuilder {
    inner: Arc<Inner>,
    url: String,
    reconnect: ReconnectPolicy,
    max_subscriptions: usize,
    buffer: usize,
    reply_timeout: Duration,
    idle_timeout: Option<Duration>,
    connect_timeout: Duration,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("env", &self.inner.env)
            .field("url", &self.url)
            .field("reconnect", &self.reconnect)
            .field("max_subscriptions", &self.max_subscriptions)
            .field("buffer", &self.buffer)
            .field("reply_timeout", &self.reply_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl<E: Environment> Client<E> {
    /// Opens a realtime session with the default settings: obtains (or reuses) the approval
    /// key, connects to [`Client::websocket_url`] and returns once connected.
    ///
    /// ```no_run
    /// # async fn run() -> kis_api::Result<()> {
    /// use kis_api::{Client, domestic_stock};
    ///
    /// let client = Client::builder().real().from_env().build()?;
    /// let session = client.realtime().await?;
    /// let mut ticks = session.subscribe(domestic_stock::H0STCNT0, "005930").await?;
    /// let mut notices = session.subscribe_notices(domestic_stock::H0STCNI0).await?;
    /// loop {
    ///     tokio::select! {
    ///         Some(frame) = ticks.recv() => {
    ///             for tick in frame?.records() {
    ///                 let tick = tick?;
    ///                 println!("{} {:?}", tick.mksc_shrn_iscd, tick.stck_prpr);
    ///             }
    ///         }
    ///         Some(frame) = notices.recv() => {
    ///             for n in frame?.records() {
    ///                 let n = n?;
    ///                 println!("order {} filled {:?}", n.oder_no, n.cntg_qty);
    ///             }
    ///         }
    ///         else => break,
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn realtime(&self) -> Result<Session> {
        self.realtime_builder().connect().await
    }

    /// A realtime session with settings: URL, reconnect policy, subscription limit, buffers.
    pub fn realtime_builder(&self) -> SessionBuilder {
        SessionBuilder {
            inner: Arc::clone(&self.inner),
            url: self.inner.websocket_url.clone(),
            reconnect: ReconnectPolicy::default(),
            max_subscriptions: MAX_SUBSCRIPTIONS,
            buffer: 1024,
            reply_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(180)),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl SessionBuilder {
    /// The WebSocket URL, used exactly as given (default: the client's
    /// [`websocket_url`](Client::websocket_url)). KIS accepts the host root; its samples use
    /// `/tryitout/<TR>`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// How to reconnect after a drop (default: 0.5 s doubling to 30 s, forever).
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    /// Subscriptions allowed at once (default [`MAX_SUBSCRIPTIONS`]); one more fails with
    /// [`RealtimeError::TooManySubscriptions`] before anything is sent.
    pub fn max_subscriptions(mut self, n: usize) -> Self {
        self.max_subscriptions = n;
        self
    }

    /// Frames buffered per subscription and per tap (default 1024). A consumer that falls
    /// further behind loses frames and gets [`RealtimeError::Lagged`]: the connection is never
    /// held up by a slow consumer (KIS would drop it).
    pub fn buffer(mut self, frames: usize) -> Self {
        self.buffer = frames.max(1);
        self
    }

    /// How long a subscribe or unsubscribe request waits for KIS's answer once sent
    /// (default 10 s).
    pub fn reply_timeout(mut self, d: Duration) -> Self {
        self.reply_timeout = d.max(Duration::from_millis(1));
        self
    }

    /// A connection that receives nothing (not even `PINGPONG`) this long is considered dead
    /// and replaced (default 180 s; `None` never).
    pub fn idle_timeout(mut self, d: Option<Duration>) -> Self {
        self.idle_timeout = d.map(|d| d.max(Duration::from_millis(1)));
        self
    }

    /// Timeout of one connection attempt (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Obtains (or reuses) the approval key, connects, and starts the session task. Fails on
    /// a bad URL, an approval-key error ([`Error::Auth`]) or a connection error.
    pub async fn connect(self) -> Result<Session> {
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return Err(Error::Config(
                "the WebSocket URL must start with ws:// or wss://".into(),
            ));
        }
        let i = &self.inner;
        let approval = i
            .shared
            .approval
            .get(&i.http, &i.rest_url, &i.credentials)
            .await?;
        let ws = open_socket(&self.url, self.connect_timeout)
            .await
            .map_err(|reason| RealtimeError::Connect {
                url: self.url.clone(),
                reason,
            })?;
        let status = Arc::new(Status::default());
        let (cmds_tx, cmds_rx) = mpsc::unbounded_channel();
        let driver = Driver {
            inner: Arc::clone(&self.inner),
            cfg: DriverConfig {
                url: self.url.clone(),
                reconnect: self.reconnect,
                max_subscriptions: self.max_subscriptions,
                reply_timeout: self.reply_timeout,
                idle_timeout: self.idle_timeout,
                connect_timeout: self.connect_timeout,
            },
            status: Arc::clone(&status),
            approval,
            connection: 0,
            subs: Vec::new(),
            ciphers: HashMap::new(),
            taps: Vec::new(),
            inflight: VecDeque::new(),
            close_acks: Vec::new(),
        };
        tracing::debug!(url = %self.url, env = %self.inner.env, "realtime session connected");
        tokio::spawn(driver.run(ws, cmds_rx));
        Ok(Session {
            inner: Arc::new(SessionInner {
                cmds: cmds_tx,
                status,
                env: self.inner.env,
                hts_id: self.inner.hts_id.clone(),
                url: self.url,
                max_subscriptions: self.max_subscriptions,
                buffer: self.buffer,
                next_id: AtomicU64::new(1),
            }),
        })
    }
}

async fn open_socket(url: &str, timeout: Duration) -> std::result::Result<Ws, String> {
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {timeout:?}")),
    }
}

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

/// A snapshot of a session; see [`Session::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStatus {
    /// Connection state.
    pub state: ConnectionState,
    /// Connections made so far (1 + reconnects).
    pub connections: u64,
    /// Subscriptions held (distinct TR and key), confirmed or waiting for KIS's answer.
    pub subscriptions: usize,
}

#[derive(Default)]
struct Status {
    state: AtomicU8,
    connections: AtomicU64,
    subscriptions: AtomicUsize,
}

impl Status {
    fn set_state(&self, s: ConnectionState) {
        let v = match s {
            ConnectionState::Connected => 0,
            ConnectionState::Reconnecting => 1,
            ConnectionState::Closed => 2,
        };
        self.state.store(v, Ordering::SeqCst);
    }

    fn snapshot(&self) -> SessionStatus {
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

/// A realtime session: one WebSocket connection (KIS allows one per approval key), with up to
/// [`MAX_SUBSCRIPTIONS`] subscriptions. Cheap to clone; the connection lives while the session
/// or any of its subscriptions and taps is alive, or until [`Session::close`].
///
/// After a drop the session reconnects with backoff ([`ReconnectPolicy`]) and subscribes again
/// to everything, with the same keys; encrypted TRs switch to the keys of the new replies.
/// Frames carry the [`connection`](RawFrame::connection) they came on, so a consumer can tell
/// that some may have been missed.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    cmds: mpsc::UnboundedSender<Command>,
    status: Arc<Status>,
    env: Env,
    hts_id: Option<String>,
    url: String,
    max_subscriptions: usize,
    buffer: usize,
    next_id: AtomicU64,
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

enum Command {
    Subscribe {
        meta: &'static EndpointMeta,
        tr_id: &'static str,
        key: Arc<str>,
        outlet: Outlet,
        ack: Ack,
    },
    Unsubscribe {
        outlet: u64,
        ack: Option<Ack>,
    },
    Tap {
        outlet: Outlet,
        ack: oneshot::Sender<()>,
    },
    Untap {
        outlet: u64,
    },
    Close {
        done: oneshot::Sender<()>,
    },
}

/// The sending end of one subscription stream or tap. Never blocks: a full buffer drops the
/// frame and counts it, and the consumer gets [`RealtimeError::Lagged`] once there is room.
struct Outlet {
    id: u64,
    tx: mpsc::Sender<Item>,
    lagged: u64,
}

impl Outlet {
    fn new(id: u64, tx: mpsc::Sender<Item>) -> Self {
        Outlet { id, tx, lagged: 0 }
    }

    /// Offers `item`; `false` once the receiver is gone.
    fn offer(&mut self, item: &Item) -> bool {
        use mpsc::error::TrySendError;
        if self.lagged > 0 {
            match self.tx.try_send(Err(RealtimeError::Lagged {
                skipped: self.lagged,
            })) {
                Ok(()) => self.lagged = 0,
                Err(TrySendError::Full(_)) => {
                    self.lagged += 1;
                    return true;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.tx.try_send(item.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.lagged += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

fn offer_all(outlets: &mut Vec<Outlet>, item: &Item) {
    outlets.retain_mut(|o| o.offer(item));
}

/// One subscription on the server: a TR and key, shared by every stream that asked for it.
struct ServerSub {
    meta: &'static EndpointMeta,
    tr_id: &'static str,
    key: Arc<str>,
    /// Confirmed by KIS on the current connection.
    confirmed: bool,
    /// Confirmed on some connection: a refusal after a reconnect is the server's doing.
    ever_confirmed: bool,
    /// Subscribe calls waiting for the confirmation.
    waiters: Vec<Ack>,
    outlets: Vec<Outlet>,
}

impl ServerSub {
    /// The key as it may appear in logs (an HTS id never does).
    fn shown_key(&self) -> &str {
        shown(self.meta, &self.key)
    }

    /// Ends the subscription with `err`: its pending subscribe calls fail and its streams get the
    /// error, then end as the outlets drop.
    fn fail(self, err: &RealtimeError) {
        for w in self.waiters {
            let _ = w.send(Err(err.clone()));
        }
        let mut outlets = self.outlets;
        offer_all(&mut outlets, &Err(err.clone()));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Subscribe,
    Unsubscribe,
}

/// A request sent and not answered yet. KIS answers in order.
struct InFlight {
    op: Op,
    tr_id: &'static str,
    key: Arc<str>,
    sent_at: Instant,
    ack: Option<Ack>,
}

struct DriverConfig {
    url: String,
    reconnect: ReconnectPolicy,
    max_subscriptions: usize,
    reply_timeout: Duration,
    idle_timeout: Option<Duration>,
    connect_timeout: Duration,
}

enum Exit {
    /// Closed on request or because every handle is gone.
    Closed,
    /// The connection is lost; reconnect.
    Lost(String),
}

struct Driver {
    inner: Arc<Inner>,
    cfg: DriverConfig,
    status: Arc<Status>,
    approval: Secret,
    /// Connections made so far; frames carry the current one.
    connection: u64,
    subs: Vec<ServerSub>,
    /// AES key and iv per TR ID, from the latest subscribe reply.
    ciphers: HashMap<String, CipherKey>,
    taps: Vec<Outlet>,
    inflight: VecDeque<InFlight>,
    close_acks: Vec<oneshot::Sender<()>>,
}

impl Driver {
    async fn run(mut self, first: Ws, mut cmds: mpsc::UnboundedReceiver<Command>) {
        let mut next = Some(first);
        let mut attempt = 0u32;
        let reason = loop {
            let ws = match next.take() {
                Some(ws) => ws,
                None => match self.reconnect(&mut cmds, &mut attempt).await {
                    Ok(ws) => ws,
                    Err(reason) => break reason,
                },
            };
            self.connection += 1;
            self.status
                .connections
                .store(self.connection, Ordering::SeqCst);
            self.status.set_state(ConnectionState::Connected);
            match self.serve(ws, &mut cmds).await {
                Exit::Closed => break None,
                Exit::Lost(reason) => {
                    tracing::warn!(connection = self.connection, %reason, "realtime connection lost; reconnecting");
                    self.status.set_state(ConnectionState::Reconnecting);
                    self.connection_lost();
                }
            }
        };
        self.shutdown(reason);
    }

    /// Waits out the backoff and connects again, serving commands meanwhile. `Err(None)` when
    /// closed on request, `Err(Some(reason))` when the policy gives up.
    async fn reconnect(
        &mut self,
        cmds: &mut mpsc::UnboundedReceiver<Command>,
        attempt: &mut u32,
    ) -> std::result::Result<Ws, Option<String>> {
        let mut last_error = String::from("connection lost");
        loop {
            if let Some(max) = self.cfg.reconnect.max_attempts
                && *attempt >= max
            {
                return Err(Some(format!(
                    "gave up reconnecting after {max} attempt(s): {last_error}"
                )));
            }
            let delay = self.cfg.reconnect.delay(*attempt);
            *attempt += 1;
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    cmd = cmds.recv() => if !self.offline(cmd) {
                        return Err(None);
                    },
                }
            }
            let inner = Arc::clone(&self.inner);
            let url = self.cfg.url.clone();
            let timeout = self.cfg.connect_timeout;
            let attempt_fut = async move {
                let approval = inner
                    .shared
                    .approval
                    .get(&inner.http, &inner.rest_url, &inner.credentials)
                    .await
                    .map_err(|e| format!("approval key: {e}"))?;
                let ws = open_socket(&url, timeout).await?;
                Ok::<_, String>((approval, ws))
            };
            tokio::pin!(attempt_fut);
            let result = loop {
                tokio::select! {
                    r = &mut attempt_fut => break r,
                    cmd = cmds.recv() => if !self.offline(cmd) {
                        return Err(None);
                    },
                }
            };
            match result {
                Ok((approval, ws)) => {
                    tracing::info!(attempt = *attempt, "realtime session reconnected");
                    self.approval = approval;
                    *attempt = 0;
                    return Ok(ws);
                }
                Err(e) => {
                    tracing::warn!(attempt = *attempt, error = %e, "realtime reconnect failed");
                    last_error = e;
                }
            }
        }
    }

    /// A command while disconnected; `false` to stop the session.
    fn offline(&mut self, cmd: Option<Command>) -> bool {
        match cmd {
            None => false,
            Some(Command::Close { done }) => {
                self.close_acks.push(done);
                false
            }
            Some(Command::Subscribe {
                meta,
                tr_id,
                key,
                outlet,
                ack,
            }) => {
                // queued: sent when the connection is back
                let _ = self.add_subscription(meta, tr_id, key, outlet, ack);
                true
            }
            Some(Command::Unsubscribe { outlet, ack }) => {
                // nothing to send: the subscription is not resent after the reconnect
                let _ = self.remove_outlet(outlet);
                if let Some(a) = ack {
                    let _ = a.send(Ok(()));
                }
                true
            }
            Some(Command::Tap { outlet, ack }) => {
                self.taps.push(outlet);
                let _ = ack.send(());
                true
            }
            Some(Command::Untap { outlet }) => {
                self.taps.retain(|t| t.id != outlet);
                true
            }
        }
    }

    /// Adds a subscriber; `true` when a new server subscription must be requested.
    fn add_subscription(
        &mut self,
        meta: &'static EndpointMeta,
        tr_id: &'static str,
        key: Arc<str>,
        outlet: Outlet,
        ack: Ack,
    ) -> bool {
        if let Some(s) = self
            .subs
            .iter_mut()
            .find(|s| s.tr_id == tr_id && s.key == key)
        {
            s.outlets.push(outlet);
            if s.confirmed {
                let _ = ack.send(Ok(()));
            } else {
                s.waiters.push(ack);
            }
            return false;
        }
        if self.subs.len() >= self.cfg.max_subscriptions {
            let _ = ack.send(Err(RealtimeError::TooManySubscriptions {
                tr_id: tr_id.to_owned(),
                limit: self.cfg.max_subscriptions,
            }));
            return false;
        }
        self.subs.push(ServerSub {
            meta,
            tr_id,
            key,
            confirmed: false,
            ever_confirmed: false,
            waiters: vec![ack],
            outlets: vec![outlet],
        });
        self.publish();
        true
    }

    /// Removes a subscriber; returns the server subscription when it was the last one.
    fn remove_outlet(&mut self, outlet: u64) -> Option<ServerSub> {
        let i = self
            .subs
            .iter()
            .position(|s| s.outlets.iter().any(|o| o.id == outlet))?;
        let s = self.subs.get_mut(i)?;
        s.outlets.retain(|o| o.id != outlet);
        if !s.outlets.is_empty() {
            return None;
        }
        let s = self.subs.remove(i);
        self.forget_cipher_if_unused(s.tr_id);
        self.publish();
        Some(s)
    }

    fn forget_cipher_if_unused(&mut self, tr_id: &str) {
        if !self.subs.iter().any(|s| s.tr_id == tr_id) {
            self.ciphers.remove(tr_id);
        }
    }

    fn publish(&self) {
        self.status
            .subscriptions
            .store(self.subs.len(), Ordering::SeqCst);
    }

    /// Serves one connection until it is lost or the session is closed.
    async fn serve(&mut self, ws: Ws, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Exit {
        let (mut sink, mut source) = ws.split();
        // (re)subscribe everything, with the same keys
        for i in 0..self.subs.len() {
            let Some(s) = self.subs.get_mut(i) else {
                break;
            };
            s.confirmed = false;
            let (tr_id, key) = (s.tr_id, Arc::clone(&s.key));
            if let Err(e) = self
                .request(&mut sink, Op::Subscribe, tr_id, key, None)
                .await
            {
                return Exit::Lost(e);
            }
        }
        let tick = housekeeping_interval(&self.cfg);
        let mut housekeeping = tokio::time::interval(tick);
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_rx = Instant::now();
        loop {
            tokio::select! {
                msg = source.next() => {
                    last_rx = Instant::now();
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Binary(b))) => match Utf8Bytes::try_from(b) {
                            Ok(t) => t,
                            Err(_) => {
                                self.report(FrameError::new(FrameErrorKind::BadFlag, None, "<binary message, not UTF-8>"));
                                continue;
                            }
                        },
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {
                            // tungstenite queues the pong; flushing sends it
                            if let Err(e) = sink.flush().await {
                                return Exit::Lost(e.to_string());
                            }
                            continue;
                        }
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map(|f| format!(" ({} {})", f.code, f.reason)).unwrap_or_default();
                            return Exit::Lost(format!("closed by the server{why}"));
                        }
                        Some(Err(e)) => return Exit::Lost(e.to_string()),
                        None => return Exit::Lost("the connection ended".into()),
                    };
                    if let Err(e) = self.on_text(text, &mut sink).await {
                        return Exit::Lost(e);
                    }
                }
                cmd = cmds.recv() => {
                    let stop = match cmd {
                        None => true,
                        Some(Command::Close { done }) => {
                            self.close_acks.push(done);
                            true
                        }
                        Some(c) => {
                            if let Err(e) = self.online(c, &mut sink).await {
                                return Exit::Lost(e);
                            }
                            false
                        }
                    };
                    if stop {
                        let _ = sink.send(Message::Close(None)).await;
                        let _ = sink.close().await;
                        return Exit::Closed;
                    }
                }
                _ = housekeeping.tick() => {
                    if let Some(idle) = self.cfg.idle_timeout
                        && last_rx.elapsed() >= idle
                    {
                        return Exit::Lost(format!("nothing received for {idle:?}"));
                    }
                    if let Err(e) = self.housekeeping(&mut sink).await {
                        return Exit::Lost(e);
                    }
                }
            }
        }
    }

    /// Sends a subscribe (`tr_type` 1) or unsubscribe (2) request and records it.
    async fn request(
        &mut self,
        sink: &mut Sink,
        op: Op,
        tr_id: &'static str,
        key: Arc<str>,
        ack: Option<Ack>,
    ) -> std::result::Result<(), String> {
        #[derive(serde::Serialize)]
        struct Req<'a> {
            header: ReqHeader<'a>,
            body: ReqBody<'a>,
        }
        #[derive(serde::Serialize)]
        struct ReqHeader<'a> {
            approval_key: &'a str,
            custtype: &'a str,
            tr_type: &'a str,
            #[serde(rename = "content-type")]
            content_type: &'a str,
        }
        #[derive(serde::Serialize)]
        struct ReqBody<'a> {
            input: ReqInput<'a>,
        }
        #[derive(serde::Serialize)]
        struct ReqInput<'a> {
            tr_id: &'a str,
            tr_key: &'a str,
        }
        let req = Req {
            header: ReqHeader {
                approval_key: self.approval.expose(),
                custtype: self.inner.customer_type.code(),
                tr_type: match op {
                    Op::Subscribe => "1",
                    Op::Unsubscribe => "2",
                },
                content_type: "utf-8",
            },
            body: ReqBody {
                input: ReqInput {
                    tr_id,
                    tr_key: &key,
                },
            },
        };
        let text = serde_json::to_string(&req).map_err(|e| e.to_string())?;
        self.inflight.push_back(InFlight {
            op,
            tr_id,
            key,
            sent_at: Instant::now(),
            ack,
        });
        sink.send(Message::text(text))
            .await
            .map_err(|e| e.to_string())
    }

    async fn online(&mut self, cmd: Command, sink: &mut Sink) -> std::result::Result<(), String> {
        match cmd {
            Command::Subscribe {
                meta,
                tr_id,
                key,
                outlet,
                ack,
            } => {
                if self.add_subscription(meta, tr_id, Arc::clone(&key), outlet, ack) {
                    tracing::debug!(tr_id, key = %shown(meta, &key), "subscribing");
                    self.request(sink, Op::Subscribe, tr_id, key, None).await?;
                }
            }
            Command::Unsubscribe { outlet, ack } => match self.remove_outlet(outlet) {
                Some(s) => {
                    // waiters of a subscription nobody listens to any more
                    for w in s.waiters {
                        let _ = w.send(Err(RealtimeError::Closed {
                            reason: Some("unsubscribed".into()),
                        }));
                    }
                    tracing::debug!(tr_id = s.tr_id, key = %shown(s.meta, &s.key), "unsubscribing");
                    self.request(sink, Op::Unsubscribe, s.tr_id, s.key, ack)
                        .await?;
                }
                None => {
                    if let Some(a) = ack {
                        let _ = a.send(Ok(()));
                    }
                }
            },
            Command::Tap { outlet, ack } => {
                self.taps.push(outlet);
                let _ = ack.send(());
            }
            Command::Untap { outlet } => self.taps.retain(|t| t.id != outlet),
            Command::Close { done } => self.close_acks.push(done),
        }
        Ok(())
    }

    async fn on_text(
        &mut self,
        text: Utf8Bytes,
        sink: &mut Sink,
    ) -> std::result::Result<(), String> {
        if !text.as_str().trim_start().starts_with('{') {
            self.on_data(text);
            return Ok(());
        }
        match parse_control(text.as_str()) {
            Ok(Control::PingPong) => {
                // echo it back exactly as received
                sink.send(Message::Text(text))
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::trace!("PINGPONG echoed");
                Ok(())
            }
            Ok(Control::Reply(r)) => self.on_reply(r).await,
            Err(e) => {
                self.report(e);
                Ok(())
            }
        }
    }

    fn on_data(&mut self, text: Utf8Bytes) {
        let ciphers = &self.ciphers;
        let raw = match RawFrame::from_text(text, |tr| ciphers.get(tr)) {
            Ok(raw) => raw,
            Err(e) => {
                self.report(e);
                return;
            }
        };
        let tr = raw.tr_id();
        let first = first_field(raw.payload()).trim();
        let (mut exact, mut only, mut n) = (None, None, 0usize);
        for (i, s) in self.subs.iter().enumerate() {
            if s.tr_id == tr {
                n += 1;
                only = Some(i);
                if *s.key == *first {
                    exact = Some(i);
                }
            }
        }
        let Some(any) = only else {
            if crate::ENDPOINTS.iter().any(|m| m.has_tr_id(tr)) {
                // a late frame after an unsubscribe
                tracing::debug!(tr_id = tr, "frame of a TR not subscribed here; skipped");
            } else {
                let e = FrameError::new(FrameErrorKind::UnknownTr, Some(tr), raw.payload());
                self.report(e);
            }
            return;
        };
        let connection = self.connection;
        let target = exact.or(if n == 1 { only } else { None });
        let Some((tr_id, meta)) = self.subs.get(any).map(|s| (s.tr_id, s.meta)) else {
            return;
        };
        let item = match target.and_then(|i| self.subs.get(i)) {
            Some(s) => Ok(raw.routed(Some(Arc::clone(&s.key)), s.meta, connection)),
            None => Ok(raw.routed(None, meta, connection)),
        };
        match target {
            Some(i) => {
                if let Some(s) = self.subs.get_mut(i) {
                    offer_all(&mut s.outlets, &item);
                }
            }
            // several subscriptions of the TR and the frame names none: each gets it
            None => {
                for s in self.subs.iter_mut().filter(|s| s.tr_id == tr_id) {
                    offer_all(&mut s.outlets, &item);
                }
            }
        }
        offer_all(&mut self.taps, &item);
    }

    /// Reports a malformed frame: a warning, an error item on the taps, and on the streams of
    /// its TR when it names one that is subscribed (an undecryptable notice is a lost notice).
    fn report(&mut self, e: FrameError) {
        tracing::warn!(error = %e, "skipping a malformed realtime frame");
        let item: Item = Err(RealtimeError::Frame(e));
        if let Err(RealtimeError::Frame(FrameError {
            tr_id: Some(tr), ..
        })) = &item
        {
            for s in self.subs.iter_mut().filter(|s| s.tr_id == tr.as_str()) {
                offer_all(&mut s.outlets, &item);
            }
        }
        offer_all(&mut self.taps, &item);
    }

    async fn on_reply(&mut self, r: Box<Reply>) -> std::result::Result<(), String> {
        let pos = self
            .inflight
            .iter()
            .position(|f| f.tr_id == r.tr_id && *f.key == *r.tr_key)
            .or_else(|| {
                if r.tr_id.is_empty() {
                    (!self.inflight.is_empty()).then_some(0)
                } else {
                    self.inflight.iter().position(|f| f.tr_id == r.tr_id)
                }
            });
        let Some(f) = pos.and_then(|p| self.inflight.remove(p)) else {
            tracing::debug!(tr_id = %r.tr_id, msg_cd = %r.msg_cd, "control message without a pending request");
            return Ok(());
        };
        let success = matches!(r.msg_cd.as_str(), "OPSP0000" | "OPSP0002")
            || (f.op == Op::Unsubscribe && matches!(r.msg_cd.as_str(), "OPSP0001" | "OPSP0003"))
            || r.rt_cd.trim() == "0";
        if f.op == Op::Unsubscribe {
            let res = if success {
                Ok(())
            } else {
                Err(rejected(&r, f.tr_id, true))
            };
            if let Some(a) = f.ack {
                let _ = a.send(res);
            }
            return Ok(());
        }
        let Some(i) = self
            .subs
            .iter()
            .position(|s| s.tr_id == f.tr_id && s.key == f.key)
        else {
            // unsubscribed while the request was on its way
            return Ok(());
        };
        if success {
            match r.cipher {
                Some(Ok(c)) => {
                    self.ciphers.insert(f.tr_id.to_owned(), c);
                }
                Some(Err(e)) => {
                    tracing::warn!(tr_id = f.tr_id, error = %e, "subscribe reply with an unusable AES key/iv")
                }
                None => {}
            }
            if let Some(s) = self.subs.get_mut(i) {
                if s.meta.encrypted && !self.ciphers.contains_key(s.tr_id) {
                    tracing::warn!(
                        tr_id = s.tr_id,
                        "encrypted TR subscribed without an AES key/iv: its frames cannot be read"
                    );
                }
                s.confirmed = true;
                s.ever_confirmed = true;
                tracing::debug!(tr_id = s.tr_id, key = %s.shown_key(), msg_cd = %r.msg_cd, "subscribed");
                for w in s.waiters.drain(..) {
                    let _ = w.send(Ok(()));
                }
            }
            return Ok(());
        }
        match r.msg_cd.as_str() {
            // the approval key expired or was revoked: a fresh one, a fresh connection
            "OPSP0011" => {
                self.inner.shared.approval.invalidate(&self.approval).await;
                return Err(format!(
                    "{}: approval key refused ({})",
                    f.tr_id,
                    r.msg1.trim()
                ));
            }
            // the server still holds the previous connection: retry on a fresh one
            "OPSP8996" if self.subs.get(i).is_some_and(|s| s.ever_confirmed) => {
                return Err(format!(
                    "{}: approval key still in use by the previous connection (OPSP8996)",
                    f.tr_id
                ));
            }
            _ => {}
        }
        let err = rejected(&r, f.tr_id, false);
        let s = self.subs.remove(i);
        tracing::warn!(tr_id = s.tr_id, key = %s.shown_key(), error = %err, "subscription refused");
        self.forget_cipher_if_unused(s.tr_id);
        self.publish();
        s.fail(&err);
        Ok(())
    }

    /// Times out unanswered requests; unsubscribes subscriptions nobody listens to any more.
    async fn housekeeping(&mut self, sink: &mut Sink) -> std::result::Result<(), String> {
        let now = Instant::now();
        while let Some(f) = self.inflight.front() {
            if now.duration_since(f.sent_at) < self.cfg.reply_timeout {
                break;
            }
            let Some(f) = self.inflight.pop_front() else {
                break;
            };
            let err = RealtimeError::Timeout {
                tr_id: f.tr_id.to_owned(),
                waited: now.duration_since(f.sent_at),
            };
            if f.op == Op::Unsubscribe {
                if let Some(a) = f.ack {
                    let _ = a.send(Err(err));
                }
                continue;
            }
            let Some(i) = self
                .subs
                .iter()
                .position(|s| s.tr_id == f.tr_id && s.key == f.key && !s.confirmed)
            else {
                continue;
            };
            if self.subs.get(i).is_some_and(|s| s.ever_confirmed) {
                return Err(format!("{}: no answer to the resubscription", f.tr_id));
            }
            let s = self.subs.remove(i);
            self.publish();
            let (tr_id, key) = (s.tr_id, Arc::clone(&s.key));
            s.fail(&err);
            // KIS may still act on it: make sure it does not hold a subscription slot
            self.request(sink, Op::Unsubscribe, tr_id, key, None)
                .await?;
        }
        // streams dropped without a word (a cancelled subscribe call): release their slots
        let mut idle = Vec::new();
        for s in &mut self.subs {
            s.outlets.retain(|o| !o.tx.is_closed());
            if s.outlets.is_empty() && s.confirmed {
                idle.push((s.tr_id, Arc::clone(&s.key)));
            }
        }
        for (tr_id, key) in idle {
            if let Some(i) = self
                .subs
                .iter()
                .position(|s| s.tr_id == tr_id && s.key == key)
            {
                self.subs.remove(i);
            }
            self.forget_cipher_if_unused(tr_id);
            self.request(sink, Op::Unsubscribe, tr_id, key, None)
                .await?;
        }
        self.taps.retain(|t| !t.tx.is_closed());
        self.publish();
        Ok(())
    }

    /// The connection dropped: pending unsubscribes are moot, subscriptions wait for the next
    /// connection.
    fn connection_lost(&mut self) {
        for f in self.inflight.drain(..) {
            if let Some(a) = f.ack {
                let _ = a.send(Ok(()));
            }
        }
        for s in &mut self.subs {
            s.confirmed = false;
        }
    }

    fn shutdown(&mut self, reason: Option<String>) {
        self.status.set_state(ConnectionState::Closed);
        if let Some(r) = &reason {
            tracing::warn!(reason = %r, "realtime session closed");
        }
        // a close the user asked for ends the streams quietly; any other says why
        let announce = reason.is_some();
        let err = RealtimeError::Closed { reason };
        self.connection_lost();
        for s in self.subs.drain(..) {
            if announce {
                s.fail(&err);
            } else {
                for w in s.waiters {
                    let _ = w.send(Err(err.clone()));
                }
            }
        }
        if announce {
            offer_all(&mut self.taps, &Err(err));
        }
        self.taps.clear();
        self.publish();
        for a in self.close_acks.drain(..) {
            let _ = a.send(());
        }
    }
}

fn shown<'a>(meta: &EndpointMeta, key: &'a str) -> &'a str {
    if meta.tr_key == Some(TrKeyMeaning::HtsId) {
        "***"
    } else {
        key
    }
}

fn rejected(r: &Reply, tr_id: &str, unsubscribe: bool) -> RealtimeError {
    RealtimeError::Rejected {
        tr_id: tr_id.to_owned(),
        msg_cd: r.msg_cd.clone(),
        msg1: r.msg1.clone(),
        unsubscribe,
    }
}

/// How often the session checks reply and idle timeouts: a quarter of the shortest, between
/// 10 ms and 1 s.
fn housekeeping_interval(cfg: &DriverConfig) -> Duration {
    let shortest = cfg
        .idle_timeout
        .map_or(cfg.reply_timeout, |i| i.min(cfg.reply_timeout));
    (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = ReconnectPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_attempts: None,
        };
        for _ in 0..50 {
            let d0 = p.delay(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d2 = p.delay(2);
            assert!(d2 >= Duration::from_millis(200) && d2 <= Duration::from_millis(400));
            let d9 = p.delay(40);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_secs(1));
        }
        assert_eq!(ReconnectPolicy::never().max_attempts, Some(0));
    }

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

    #[test]
    fn the_limit_matches_the_catalog() {
        let common = include_str!("../../../spec/common.yaml");
        let line = common
            .lines()
            .find(|l| l.trim_start().starts_with("websocket_subscriptions:"))
            .expect("common.yaml states the WebSocket subscription limit");
        let n: usize = line
            .split(':')
            .nth(1)
            .map(str::trim)
            .and_then(|v| v.parse().ok())
            .expect("a number");
        assert_eq!(n, MAX_SUBSCRIPTIONS);
    }

    #[test]
    fn outlets_never_block_and_report_lag() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut o = Outlet::new(1, tx);
        let f = RawFrame::parse("0|H0STCNT0|001|005930", None).expect("frame");
        for _ in 0..5 {
            assert!(o.offer(&Ok(f.clone())));
        }
        assert_eq!(o.lagged, 3);
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        // room again: the lag is reported first, then frames flow
        assert!(o.offer(&Ok(f.clone())));
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(RealtimeError::Lagged { skipped: 3 }))
        ));
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        drop(rx);
        assert!(!o.offer(&Ok(f)), "a closed receiver is reported");
    }
}
