//! Opening a session: its settings ([`SessionBuilder`]) and the first connection.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::sync::mpsc;

use super::driver::{Driver, DriverConfig, open_socket};
use super::handles::{Session, SessionInner};
use super::known_secrets::KnownSecrets;
use super::reconnect::ReconnectPolicy;
use super::status::Status;
use super::subscriptions::MAX_SUBSCRIPTIONS;
use crate::client::{Client, Inner};
use crate::environment::Environment;
use crate::error::Result;
use crate::realtime_error::RealtimeError;

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
            .field("env", &self.inner.env())
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
            url: self.inner.websocket_url().to_string(),
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
        // the same rules as the client's URLs: no credentials, query or fragment
        let url = crate::client::base_url("WebSocket", self.url.clone(), &["ws", "wss"])?;
        let approval = self.inner.transport().approval_key().await?;
        let ws = open_socket(&url, self.connect_timeout)
            .await
            .map_err(|reason| RealtimeError::Connect {
                url: url.clone(),
                reason: KnownSecrets::of_session(&self.inner, &approval).scrub(&reason),
            })?;
        let status = Arc::new(Status::default());
        let (cmds_tx, cmds_rx) = mpsc::unbounded_channel();
        let cfg = DriverConfig {
            url: url.clone(),
            reconnect: self.reconnect,
            max_subscriptions: self.max_subscriptions,
            reply_timeout: self.reply_timeout,
            idle_timeout: self.idle_timeout,
            connect_timeout: self.connect_timeout,
        };
        let driver = Driver::new(Arc::clone(&self.inner), cfg, Arc::clone(&status), approval);
        tracing::debug!(url = %url, env = %self.inner.env(), "realtime session connected");
        tokio::spawn(driver.run(ws, cmds_rx));
        Ok(Session::new(SessionInner {
            cmds: cmds_tx,
            status,
            env: self.inner.env(),
            hts_id: self.inner.hts_id().map(str::to_string),
            url,
            max_subscriptions: self.max_subscriptions,
            buffer: self.buffer,
            next_id: AtomicU64::new(1),
        }))
    }
}
