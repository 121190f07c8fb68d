//! The session's bookkeeping as plain state, with no I/O: the subscription table, the requests
//! waiting for KIS's answer, the AES keys per TR and the limits.
//!
//! The session task feeds it what happens (a call of a handle, a reply, a data frame, the time)
//! and carries out what it returns: [`Request`]s to send, or a verdict that the connection must
//! be replaced. Frames go straight to the non-blocking outlets of the streams, and the answers
//! of subscribe and unsubscribe calls straight to their waiting callers.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::control::Reply;
use super::crypto::CipherKey;
use super::frame::{RawFrame, first_field};
use super::known_secrets::KnownSecrets;
use super::outlet::{Ack, Item, Outlet, offer_all};
use super::requests::{Op, Outcome, ReplyEffect, Request, rejected, reply_outcome};
use super::status::Status;
use crate::meta::{EndpointMeta, TrKeyMeaning};
use crate::realtime_error::{FrameError, FrameErrorKind, RealtimeError};

/// Subscriptions KIS allows on one session: the catalog's `rate_limits.websocket_subscriptions`
/// (`spec/common.yaml`). The default of
/// [`SessionBuilder::max_subscriptions`](super::SessionBuilder::max_subscriptions).
pub const MAX_SUBSCRIPTIONS: usize = crate::CATALOG.limits.websocket_subscriptions as usize;

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

    /// Fails the pending subscribe calls with `err`.
    fn fail_waiters(&mut self, err: &RealtimeError) {
        for w in self.waiters.drain(..) {
            let _ = w.send(Err(err.clone()));
        }
    }

    /// Ends the subscription with `err`: its pending subscribe calls fail and its streams get the
    /// error, then end as the outlets drop.
    fn fail(mut self, err: &RealtimeError) {
        self.fail_waiters(err);
        offer_all(&mut self.outlets, &Err(err.clone()));
    }
}

/// A request sent and not answered yet. KIS answers in order.
struct InFlight {
    op: Op,
    tr_id: &'static str,
    key: Arc<str>,
    sent_at: Instant,
    ack: Option<Ack>,
}

/// Everything a session holds besides its socket.
pub(super) struct Subscriptions {
    max: usize,
    reply_timeout: Duration,
    /// Where the number of subscriptions is published, before any caller hears of a change.
    status: Arc<Status>,
    /// Connections made so far; frames carry the current one.
    connection: u64,
    /// Whether a connection is up: requests are only emitted then.
    online: bool,
    /// Removes the session's secrets from server text before it reaches an error or a log.
    secrets: KnownSecrets,
    /// Whether the current (or last) connection proved itself: KIS confirmed a subscription on
    /// it or a data frame came. The reconnect backoff starts over only after such a connection.
    proven: bool,
    subs: Vec<ServerSub>,
    /// AES key and iv per TR ID, from the latest subscribe reply.
    ciphers: HashMap<String, CipherKey>,
    taps: Vec<Outlet>,
    inflight: VecDeque<InFlight>,
}

impl Subscriptions {
    /// An empty table, offline, allowing `max` subscriptions and waiting `reply_timeout` for
    /// an answer; `secrets` are removed from every server text it passes on.
    pub(super) fn new(
        max: usize,
        reply_timeout: Duration,
        status: Arc<Status>,
        secrets: KnownSecrets,
    ) -> Self {
        Subscriptions {
            max,
            reply_timeout,
            status,
            secrets,
            connection: 0,
            online: false,
            proven: false,
            subs: Vec::new(),
            ciphers: HashMap::new(),
            taps: Vec::new(),
            inflight: VecDeque::new(),
        }
    }

    /// The number of the current (or last) connection.
    pub(super) fn connection(&self) -> u64 {
        self.connection
    }

    /// The session's secrets, to scrub server text with.
    pub(super) fn secrets(&self) -> &KnownSecrets {
        &self.secrets
    }

    /// The session now uses a renewed approval key.
    pub(super) fn renewed_approval(&mut self, key: &str) {
        self.secrets.add_approval(key);
    }

    /// Whether the current (or last) connection proved itself (a subscription confirmed or a
    /// data frame received on it).
    pub(super) fn proven(&self) -> bool {
        self.proven
    }

    /// A connection is up: every subscription is requested again, with the same keys.
    pub(super) fn connected(&mut self, now: Instant) -> Vec<Request> {
        self.connection += 1;
        self.online = true;
        self.proven = false;
        self.status.set_connections(self.connection);
        let mut out = Vec::with_capacity(self.subs.len());
        for s in &mut self.subs {
            s.confirmed = false;
            out.push(Request {
                op: Op::Subscribe,
                tr_id: s.tr_id,
                key: Arc::clone(&s.key),
            });
        }
        for r in &out {
            self.record(r, now, None);
        }
        out
    }

    /// The connection dropped: pending unsubscribes are moot (the server forgets everything),
    /// subscriptions wait for the next connection.
    pub(super) fn disconnected(&mut self) {
        self.online = false;
        for f in self.inflight.drain(..) {
            if let Some(a) = f.ack {
                let _ = a.send(Ok(()));
            }
        }
        for s in &mut self.subs {
            s.confirmed = false;
        }
    }

    /// A stream asks for TR `tr_id` and `key`. It shares the server subscription when there is
    /// one; otherwise, within the limit, one is added and requested (once connected). `ack`
    /// hears of the confirmation or the refusal.
    pub(super) fn subscribe(
        &mut self,
        meta: &'static EndpointMeta,
        tr_id: &'static str,
        key: Arc<str>,
        outlet: Outlet,
        ack: Ack,
        now: Instant,
    ) -> Option<Request> {
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
            return None;
        }
        if self.subs.len() >= self.max {
            let _ = ack.send(Err(RealtimeError::TooManySubscriptions {
                tr_id: tr_id.to_owned(),
                limit: self.max,
            }));
            return None;
        }
        self.subs.push(ServerSub {
            meta,
            tr_id,
            key: Arc::clone(&key),
            confirmed: false,
            ever_confirmed: false,
            waiters: vec![ack],
            outlets: vec![outlet],
        });
        self.publish();
        if !self.online {
            // queued: requested when the connection is back
            return None;
        }
        tracing::debug!(tr_id, key = %shown(meta, &key), "subscribing");
        Some(self.request(Op::Subscribe, tr_id, key, now, None))
    }

    /// The stream of outlet `outlet` is done. When it was the last of its subscription, the
    /// subscription goes and, once connected, an unsubscribe is requested that `ack` waits
    /// for; otherwise `ack` is answered at once.
    pub(super) fn unsubscribe(
        &mut self,
        outlet: u64,
        ack: Option<Ack>,
        now: Instant,
    ) -> Option<Request> {
        let gone = self.remove_outlet(outlet);
        let Some(mut s) = gone.filter(|_| self.online) else {
            // offline there is nothing to send: the subscription is not resent after the reconnect
            if let Some(a) = ack {
                let _ = a.send(Ok(()));
            }
            return None;
        };
        // waiters of a subscription nobody listens to any more
        s.fail_waiters(&RealtimeError::Closed {
            reason: Some("unsubscribed".into()),
        });
        tracing::debug!(tr_id = s.tr_id, key = %s.shown_key(), "unsubscribing");
        Some(self.request(Op::Unsubscribe, s.tr_id, s.key, now, ack))
    }

    /// Adds a tap, which sees every frame from now on.
    pub(super) fn tap(&mut self, outlet: Outlet) {
        self.taps.push(outlet);
    }

    /// Removes a tap.
    pub(super) fn untap(&mut self, outlet: u64) {
        self.taps.retain(|t| t.id != outlet);
    }

    /// A data frame: decrypted with its TR's key and offered to the streams of its
    /// subscription (all of its TR when it names no subscribed key) and the taps. A malformed
    /// one is reported instead.
    pub(super) fn on_data(&mut self, text: Utf8Bytes) {
        let ciphers = &self.ciphers;
        let raw = match RawFrame::from_text(text.clone(), |tr| ciphers.get(tr)) {
            Ok(raw) => raw,
            Err(mut e) => {
                // the excerpt again, from the whole frame: scrubbed before it is cut
                e.excerpt = self.secrets.excerpt(text.as_str());
                return self.report(e);
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
        // data flows for a subscription: the connection works
        self.proven = true;
        let target = exact.or(if n == 1 { only } else { None });
        let Some((tr_id, meta)) = self.subs.get(any).map(|s| (s.tr_id, s.meta)) else {
            return;
        };
        let key = target
            .and_then(|i| self.subs.get(i))
            .map(|s| Arc::clone(&s.key));
        let raw = raw.routed(key, meta, self.connection);
        if let Some(missing) = raw.missing_columns().filter(|&n| n > 0) {
            crate::decode::warn_missing_columns(tr_id, missing, meta.columns.len());
        }
        let item: Item = Ok(raw);
        match target.and_then(|i| self.subs.get_mut(i)) {
            Some(s) => offer_all(&mut s.outlets, &item),
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
    /// Its server text (TR ID, excerpt) is scrubbed first.
    pub(super) fn report(&mut self, mut e: FrameError) {
        e.tr_id = e.tr_id.map(|t| self.secrets.scrub(&t));
        // (an excerpt is short: scrubbing it again does not cut it)
        e.excerpt = self.secrets.scrub(&e.excerpt);
        tracing::warn!(error = %e, "skipping a malformed realtime frame");
        if let Some(tr) = e.tr_id.clone() {
            let item: Item = Err(RealtimeError::Frame(e.clone()));
            for s in self.subs.iter_mut().filter(|s| s.tr_id == tr) {
                offer_all(&mut s.outlets, &item);
            }
        }
        offer_all(&mut self.taps, &Err(RealtimeError::Frame(e)));
    }

    /// A reply to a subscribe or unsubscribe request: matched to the request it answers (by
    /// TR and key, else the oldest of its TR, else the oldest when it names no TR), whose
    /// caller hears the outcome. Its texts are scrubbed before they go anywhere.
    pub(super) fn on_reply(&mut self, mut r: Reply) -> ReplyEffect {
        r.msg_cd = self.secrets.scrub(&r.msg_cd);
        r.msg1 = self.secrets.scrub(&r.msg1);
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
            return ReplyEffect::Unmatched {
                tr_id: self.secrets.scrub(&r.tr_id),
                msg_cd: r.msg_cd,
            };
        };
        let outcome = reply_outcome(&r.msg_cd, &r.rt_cd, f.op);
        if f.op == Op::Unsubscribe {
            let res = match outcome {
                Outcome::Accepted => Ok(()),
                _ => Err(rejected(&r, f.tr_id, true)),
            };
            if let Some(a) = f.ack {
                let _ = a.send(res);
            }
            return ReplyEffect::Settled;
        }
        let Some(i) = self.position(f.tr_id, &f.key) else {
            // unsubscribed while the request was on its way
            return ReplyEffect::Settled;
        };
        match outcome {
            Outcome::Accepted => {
                self.confirm(i, r);
                ReplyEffect::Settled
            }
            // the approval key expired or was revoked: a fresh one, a fresh connection
            Outcome::ApprovalRefused => ReplyEffect::RenewApproval(format!(
                "{}: approval key refused ({})",
                f.tr_id,
                r.msg1.trim()
            )),
            // the server still holds the previous connection: retry on a fresh one
            Outcome::KeyInUse if self.subs.get(i).is_some_and(|s| s.ever_confirmed) => {
                ReplyEffect::Reconnect(format!(
                    "{}: approval key still in use by the previous connection ({})",
                    f.tr_id, r.msg_cd
                ))
            }
            Outcome::KeyInUse | Outcome::Refused => {
                let err = rejected(&r, f.tr_id, false);
                let s = self.remove(i);
                tracing::warn!(tr_id = s.tr_id, key = %s.shown_key(), error = %err, "subscription refused");
                s.fail(&err);
                ReplyEffect::Settled
            }
        }
    }

    /// Times out unanswered requests and releases subscriptions whose streams are all gone.
    /// Returns the unsubscribes to send, or why the connection must be replaced (a
    /// resubscription KIS did not answer).
    pub(super) fn sweep(&mut self, now: Instant) -> Result<Vec<Request>, String> {
        let mut out = Vec::new();
        while let Some(f) = self.inflight.front() {
            if now.saturating_duration_since(f.sent_at) < self.reply_timeout {
                break;
            }
            let Some(f) = self.inflight.pop_front() else {
                break;
            };
            let err = RealtimeError::Timeout {
                tr_id: f.tr_id.to_owned(),
                waited: now.saturating_duration_since(f.sent_at),
            };
            if f.op == Op::Unsubscribe {
                if let Some(a) = f.ack {
                    let _ = a.send(Err(err));
                }
                continue;
            }
            let Some(i) = self
                .position(f.tr_id, &f.key)
                .filter(|&i| self.subs.get(i).is_some_and(|s| !s.confirmed))
            else {
                continue;
            };
            if self.subs.get(i).is_some_and(|s| s.ever_confirmed) {
                return Err(format!("{}: no answer to the resubscription", f.tr_id));
            }
            let s = self.remove(i);
            let (tr_id, key) = (s.tr_id, Arc::clone(&s.key));
            s.fail(&err);
            // KIS may still act on it: make sure it does not hold a subscription slot
            out.push(self.request(Op::Unsubscribe, tr_id, key, now, None));
        }
        out.extend(self.sweep_idle(now));
        Ok(out)
    }

    /// Confirmed subscriptions whose streams were all dropped without a word (a cancelled
    /// subscribe call) give up their slots.
    fn sweep_idle(&mut self, now: Instant) -> Vec<Request> {
        let mut idle = Vec::new();
        for s in &mut self.subs {
            s.outlets.retain(|o| !o.is_closed());
            if s.outlets.is_empty() && s.confirmed {
                idle.push((s.tr_id, Arc::clone(&s.key)));
            }
        }
        let mut out = Vec::with_capacity(idle.len());
        for (tr_id, key) in idle {
            if let Some(i) = self.position(tr_id, &key) {
                self.remove(i);
            }
            out.push(self.request(Op::Unsubscribe, tr_id, key, now, None));
        }
        self.taps.retain(|t| !t.is_closed());
        out
    }

    /// The session ends. `reason` says why when it was not on request: then every stream and
    /// tap gets a `Closed` error; on request they end quietly. Pending calls fail either way.
    pub(super) fn close(&mut self, reason: Option<String>) {
        let announce = reason.is_some();
        let err = RealtimeError::Closed { reason };
        self.disconnected();
        for mut s in std::mem::take(&mut self.subs) {
            if announce {
                s.fail(&err);
            } else {
                s.fail_waiters(&err);
            }
        }
        if announce {
            offer_all(&mut self.taps, &Err(err));
        }
        self.taps.clear();
        self.ciphers.clear();
        self.publish();
    }

    /// Records a request as waiting for its answer and returns it for sending.
    fn request(
        &mut self,
        op: Op,
        tr_id: &'static str,
        key: Arc<str>,
        now: Instant,
        ack: Option<Ack>,
    ) -> Request {
        let r = Request { op, tr_id, key };
        self.record(&r, now, ack);
        r
    }

    fn record(&mut self, r: &Request, now: Instant, ack: Option<Ack>) {
        self.inflight.push_back(InFlight {
            op: r.op,
            tr_id: r.tr_id,
            key: Arc::clone(&r.key),
            sent_at: now,
            ack,
        });
    }

    /// Marks subscription `i` confirmed by reply `r`, taking its AES key and iv.
    fn confirm(&mut self, i: usize, r: Reply) {
        let Some(s) = self.subs.get_mut(i) else {
            return;
        };
        match r.cipher {
            Some(Ok(c)) => {
                self.ciphers.insert(s.tr_id.to_owned(), c);
            }
            Some(Err(e)) => {
                tracing::warn!(tr_id = s.tr_id, error = %e, "subscribe reply with an unusable AES key/iv")
            }
            None => {}
        }
        if s.meta.encrypted && !self.ciphers.contains_key(s.tr_id) {
            tracing::warn!(
                tr_id = s.tr_id,
                "encrypted TR subscribed without an AES key/iv: its frames cannot be read"
            );
        }
        s.confirmed = true;
        s.ever_confirmed = true;
        self.proven = true;
        tracing::debug!(tr_id = s.tr_id, key = %s.shown_key(), msg_cd = %r.msg_cd, "subscribed");
        for w in s.waiters.drain(..) {
            let _ = w.send(Ok(()));
        }
    }

    fn position(&self, tr_id: &str, key: &str) -> Option<usize> {
        self.subs
            .iter()
            .position(|s| s.tr_id == tr_id && *s.key == *key)
    }

    /// Removes outlet `outlet`; returns its subscription when it was the last outlet.
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
        Some(self.remove(i))
    }

    /// Removes subscription `i`, forgetting its TR's AES key when no other subscription of the
    /// TR needs it, and publishes the new count.
    fn remove(&mut self, i: usize) -> ServerSub {
        let s = self.subs.remove(i);
        if !self.subs.iter().any(|o| o.tr_id == s.tr_id) {
            self.ciphers.remove(s.tr_id);
        }
        self.publish();
        s
    }

    fn publish(&self) {
        self.status.set_subscriptions(self.subs.len());
    }
}

/// A subscription key as it may appear in logs and `Debug` output: an HTS id never does.
pub(super) fn shown<'a>(meta: &EndpointMeta, key: &'a str) -> &'a str {
    if meta.tr_key == Some(TrKeyMeaning::HtsId) {
        "***"
    } else {
        key
    }
}
