//! The session task: the one owner of the socket. It connects and reconnects, reads and writes
//! messages, keeps the timers and echoes `PINGPONG`; everything else it hands to the
//! [`Subscriptions`] state and carries out what that returns.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::control::{Control, Reply, parse_control};
use super::known_secrets::KnownSecrets;
use super::outlet::{Ack, Outlet};
use super::reconnect::{Backoff, ReconnectPolicy, Step};
use super::requests::{ReplyEffect, Request, encode};
use super::status::{ConnectionState, Status};
use super::subscriptions::Subscriptions;
use crate::client::Inner;
use crate::meta::EndpointMeta;
use crate::realtime_error::{FrameError, FrameErrorKind};
use crate::secret::Secret;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = futures_util::stream::SplitSink<Ws, Message>;

/// Why the connection is being replaced (for logs, and the `Closed` error when the reconnect
/// policy gives up).
type Lost = String;

/// What the handles ask of the session task.
pub(super) enum Command {
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

/// The settings the session task works with.
pub(super) struct DriverConfig {
    pub(super) url: String,
    pub(super) reconnect: ReconnectPolicy,
    pub(super) max_subscriptions: usize,
    pub(super) reply_timeout: Duration,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) connect_timeout: Duration,
}

enum Exit {
    /// Closed on request or because every handle is gone.
    Closed,
    /// The connection is lost; reconnect.
    Lost(Lost),
}

/// The session task.
pub(super) struct Driver {
    inner: Arc<Inner>,
    cfg: DriverConfig,
    status: Arc<Status>,
    approval: Secret,
    state: Subscriptions,
    close_acks: Vec<oneshot::Sender<()>>,
}

/// Opens one WebSocket connection, within `timeout`.
pub(super) async fn open_socket(url: &str, timeout: Duration) -> Result<Ws, String> {
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {timeout:?}")),
    }
}

/// The time the state works with (tokio's clock, so that paused-time tests hold).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

impl Driver {
    pub(super) fn new(
        inner: Arc<Inner>,
        cfg: DriverConfig,
        status: Arc<Status>,
        approval: Secret,
    ) -> Self {
        let secrets = KnownSecrets::of_session(&inner, &approval);
        let state = Subscriptions::new(
            cfg.max_subscriptions,
            cfg.reply_timeout,
            Arc::clone(&status),
            secrets,
        );
        Driver {
            inner,
            cfg,
            status,
            approval,
            state,
            close_acks: Vec::new(),
        }
    }

    /// Serves the session on `first` and the connections after it until the session closes.
    pub(super) async fn run(mut self, first: Ws, mut cmds: mpsc::UnboundedReceiver<Command>) {
        let mut next = Some(first);
        let mut backoff = Backoff::new(self.cfg.reconnect);
        let mut lost = String::new();
        let reason = loop {
            let ws = match next.take() {
                Some(ws) => ws,
                None => match self
                    .reconnect(&mut cmds, &mut backoff, std::mem::take(&mut lost))
                    .await
                {
                    Ok(ws) => ws,
                    Err(reason) => break reason,
                },
            };
            let resubscribe = self.state.connected(now());
            self.status.set_state(ConnectionState::Connected);
            match self.serve(ws, resubscribe, &mut cmds).await {
                Exit::Closed => break None,
                Exit::Lost(reason) => {
                    self.status.set_state(ConnectionState::Reconnecting);
                    backoff.lost(self.state.proven());
                    self.state.disconnected();
                    lost = self.state.secrets().scrub(&reason);
                }
            }
        };
        self.shutdown(reason);
    }

    /// Waits out the backoff and connects again, serving commands meanwhile; `lost` says why
    /// the last connection went. `Err(None)` when closed on request, `Err(Some(reason))` when
    /// the policy gives up. Each attempt and its wait is announced at `warn`.
    async fn reconnect(
        &mut self,
        cmds: &mut mpsc::UnboundedReceiver<Command>,
        backoff: &mut Backoff,
        lost: Lost,
    ) -> Result<Ws, Option<String>> {
        let mut why = format!("connection lost: {lost}");
        loop {
            let (attempt, delay) = match backoff.next() {
                Step::Wait { attempt, delay } => (attempt, delay),
                Step::GiveUp { attempts } => {
                    return Err(Some(format!(
                        "gave up reconnecting after {attempts} attempt(s): {why}"
                    )));
                }
            };
            tracing::warn!(
                connection = self.state.connection(),
                attempt,
                wait = ?delay,
                reason = %why,
                "realtime connection lost; reconnecting after a wait"
            );
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
            let attempt_fut = self.open();
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
                    tracing::info!(attempt, "realtime session reconnected");
                    self.state.renewed_approval(approval.expose());
                    self.approval = approval;
                    return Ok(ws);
                }
                Err(e) => why = format!("reconnect failed: {}", self.state.secrets().scrub(&e)),
            }
        }
    }

    /// One connection attempt: the approval key (reused or fresh), then the socket.
    fn open(&self) -> impl Future<Output = Result<(Secret, Ws), String>> + use<> {
        let inner = Arc::clone(&self.inner);
        let url = self.cfg.url.clone();
        let timeout = self.cfg.connect_timeout;
        async move {
            let approval = inner
                .transport()
                .approval_key()
                .await
                .map_err(|e| format!("approval key: {e}"))?;
            let ws = open_socket(&url, timeout).await?;
            Ok((approval, ws))
        }
    }

    /// A command while disconnected; `false` to stop the session.
    fn offline(&mut self, cmd: Option<Command>) -> bool {
        match self.take(cmd) {
            Some(c) => {
                // offline the state queues subscriptions and requests nothing
                let _nothing = self.command(c);
                true
            }
            None => false,
        }
    }

    /// The command, or `None` when the session is to stop (closed on request, or every
    /// handle gone).
    fn take(&mut self, cmd: Option<Command>) -> Option<Command> {
        match cmd {
            Some(Command::Close { done }) => {
                self.close_acks.push(done);
                None
            }
            cmd => cmd,
        }
    }

    /// Hands a command to the state; the request to send, if any.
    fn command(&mut self, cmd: Command) -> Option<Request> {
        let now = now();
        match cmd {
            Command::Subscribe {
                meta,
                tr_id,
                key,
                outlet,
                ack,
            } => self.state.subscribe(meta, tr_id, key, outlet, ack, now),
            Command::Unsubscribe { outlet, ack } => self.state.unsubscribe(outlet, ack, now),
            Command::Tap { outlet, ack } => {
                self.state.tap(outlet);
                let _ = ack.send(());
                None
            }
            Command::Untap { outlet } => {
                self.state.untap(outlet);
                None
            }
            Command::Close { done } => {
                self.close_acks.push(done);
                None
            }
        }
    }

    /// Serves one connection until it is lost or the session is closed; `resubscribe` goes
    /// out first.
    async fn serve(
        &mut self,
        ws: Ws,
        resubscribe: Vec<Request>,
        cmds: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Exit {
        let (mut sink, mut source) = ws.split();
        for r in &resubscribe {
            if let Err(e) = self.send(&mut sink, r).await {
                return Exit::Lost(e);
            }
        }
        let mut housekeeping = tokio::time::interval(housekeeping_interval(&self.cfg));
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_rx = Instant::now();
        loop {
            let step = tokio::select! {
                msg = source.next() => {
                    last_rx = Instant::now();
                    self.on_message(msg, &mut sink).await
                }
                cmd = cmds.recv() => match self.take(cmd) {
                    Some(c) => match self.command(c) {
                        Some(r) => self.send(&mut sink, &r).await,
                        None => Ok(()),
                    },
                    None => {
                        let _ = sink.send(Message::Close(None)).await;
                        let _ = sink.close().await;
                        return Exit::Closed;
                    }
                },
                _ = housekeeping.tick() => self.housekeeping(last_rx, &mut sink).await,
            };
            if let Err(e) = step {
                return Exit::Lost(e);
            }
        }
    }

    /// Builds a request into KIS's JSON and sends it.
    async fn send(&self, sink: &mut Sink, r: &Request) -> Result<(), Lost> {
        let text = encode(
            r,
            self.approval.expose(),
            self.inner.transport().customer_type().code(),
        )?;
        if let Some(r) = self.inner.transport().recorder() {
            r.ws_sent(&text, self.approval.expose());
        }
        sink.send(Message::text(text))
            .await
            .map_err(|e| e.to_string())
    }

    async fn on_message(
        &mut self,
        msg: Option<Result<Message, tungstenite::Error>>,
        sink: &mut Sink,
    ) -> Result<(), Lost> {
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(b))) => match Utf8Bytes::try_from(b) {
                Ok(t) => t,
                Err(_) => {
                    let e = FrameError::new(
                        FrameErrorKind::BadFlag,
                        None,
                        "<binary message, not UTF-8>",
                    );
                    self.state.report(e);
                    return Ok(());
                }
            },
            // tungstenite queues the pong; flushing sends it
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {
                return sink.flush().await.map_err(|e| e.to_string());
            }
            Some(Ok(Message::Close(frame))) => {
                let why = frame
                    .map(|f| format!(" ({} {})", f.code, f.reason))
                    .unwrap_or_default();
                return Err(format!("closed by the server{why}"));
            }
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the connection ended".into()),
        };
        self.on_text(text, sink).await
    }

    async fn on_text(&mut self, text: Utf8Bytes, sink: &mut Sink) -> Result<(), Lost> {
        if let Some(r) = self.inner.transport().recorder() {
            r.ws_received(text.as_str(), self.approval.expose());
        }
        if !text.as_str().trim_start().starts_with('{') {
            self.state.on_data(text);
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
            Ok(Control::Reply(r)) => self.on_reply(*r).await,
            Err(e) => {
                self.state.report(e);
                Ok(())
            }
        }
    }

    async fn on_reply(&mut self, r: Reply) -> Result<(), Lost> {
        match self.state.on_reply(r) {
            ReplyEffect::Settled => Ok(()),
            ReplyEffect::Unmatched { tr_id, msg_cd } => {
                tracing::debug!(%tr_id, %msg_cd, "control message without a pending request");
                Ok(())
            }
            ReplyEffect::Reconnect(reason) => Err(reason),
            ReplyEffect::RenewApproval(reason) => {
                self.inner
                    .transport()
                    .forget_approval_key(&self.approval)
                    .await;
                Err(reason)
            }
        }
    }

    /// Replaces a silent connection, and sends what the state's sweep asks for.
    async fn housekeeping(&mut self, last_rx: Instant, sink: &mut Sink) -> Result<(), Lost> {
        if let Some(idle) = self.cfg.idle_timeout
            && last_rx.elapsed() >= idle
        {
            return Err(format!("nothing received for {idle:?}"));
        }
        for r in self.state.sweep(now())? {
            self.send(sink, &r).await?;
        }
        Ok(())
    }

    fn shutdown(&mut self, reason: Option<String>) {
        self.status.set_state(ConnectionState::Closed);
        if let Some(r) = &reason {
            tracing::warn!(reason = %r, "realtime session closed");
        }
        self.state.close(reason);
        for a in self.close_acks.drain(..) {
            let _ = a.send(());
        }
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
    fn housekeeping_runs_at_a_quarter_of_the_shortest_timeout() {
        let cfg = |reply_ms: u64, idle_ms: Option<u64>| DriverConfig {
            url: String::new(),
            reconnect: ReconnectPolicy::never(),
            max_subscriptions: 1,
            reply_timeout: Duration::from_millis(reply_ms),
            idle_timeout: idle_ms.map(Duration::from_millis),
            connect_timeout: Duration::from_secs(1),
        };
        let tick = |c: DriverConfig| housekeeping_interval(&c).as_millis();
        assert_eq!(tick(cfg(400, Some(800))), 100);
        assert_eq!(tick(cfg(800, Some(400))), 100);
        assert_eq!(tick(cfg(8, None)), 10, "at least 10 ms");
        assert_eq!(tick(cfg(60_000, None)), 1_000, "at most 1 s");
    }
}
