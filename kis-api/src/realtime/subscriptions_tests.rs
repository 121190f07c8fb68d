//! The session's bookkeeping without a socket: subscribe calls, KIS's replies, data frames and
//! the passing of time go in; requests, answers and delivered frames come out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::control::Reply;
use super::crypto::CipherKey;
use super::crypto::tests::{IV, KEY, encrypt};
use super::known_secrets::KnownSecrets;
use super::outlet::{Item, Outlet};
use super::requests::{Op, Outcome, ReplyEffect, Request, reply_outcome};
use super::status::Status;
use super::subscriptions::Subscriptions;
use crate::environment::Env;
use crate::meta::EndpointMeta;
use crate::realtime_error::{FrameErrorKind, RealtimeError};

const TICKS: &str = "H0STCNT0";
const NOTICES: &str = "H0STCNI0";
const SAMSUNG: &str = "005930";
const HYNIX: &str = "000660";
const HTS: &str = "suiteuser";
const TIMEOUT: Duration = Duration::from_secs(10);
/// The session's approval key and app secret, as a server may echo them.
const APPROVAL: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const SECRET: &str = "app/secret";

type Answer = oneshot::Receiver<Result<(), RealtimeError>>;

/// The catalog entry of a realtime TR, by its real TR ID.
fn meta(tr_id: &str) -> &'static EndpointMeta {
    crate::ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.tr_id(0, Env::Real) == Some(tr_id))
        .unwrap_or_else(|| panic!("{tr_id} is in the catalog"))
}

/// A subscribe call as the state sees it: its stream and its pending answer.
struct Call {
    id: u64,
    rx: mpsc::Receiver<Item>,
    answer: Answer,
}

impl Call {
    /// The answer, or `None` while it is still pending.
    fn answer(&mut self) -> Option<Result<(), RealtimeError>> {
        self.answer.try_recv().ok()
    }

    fn next(&mut self) -> Result<Item, TryRecvError> {
        self.rx.try_recv()
    }
}

struct Harness {
    state: Subscriptions,
    status: Arc<Status>,
    t0: Instant,
    next_id: u64,
}

impl Harness {
    /// A connected session allowing `max` subscriptions.
    fn online(max: usize) -> Self {
        let status = Arc::new(Status::default());
        let secrets = KnownSecrets::new(["PSappKey", SECRET, HTS], APPROVAL);
        let mut state = Subscriptions::new(max, TIMEOUT, Arc::clone(&status), secrets);
        let t0 = Instant::now();
        assert!(state.connected(t0).is_empty(), "nothing to resubscribe yet");
        Harness {
            state,
            status,
            t0,
            next_id: 1,
        }
    }

    fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    fn held(&self) -> usize {
        self.status.snapshot().subscriptions
    }

    fn outlet(&mut self) -> (Outlet, u64, mpsc::Receiver<Item>) {
        let id = self.next_id;
        self.next_id += 1;
        let (tx, rx) = mpsc::channel(16);
        (Outlet::new(id, tx), id, rx)
    }

    fn subscribe(&mut self, tr_id: &'static str, key: &str) -> (Call, Option<Request>) {
        let (outlet, id, rx) = self.outlet();
        let (ack, answer) = oneshot::channel();
        let now = self.t0;
        let req = self
            .state
            .subscribe(meta(tr_id), tr_id, Arc::from(key), outlet, ack, now);
        (Call { id, rx, answer }, req)
    }

    /// Subscribes and confirms with `OPSP0000`.
    fn subscribed(&mut self, tr_id: &'static str, key: &str) -> Call {
        let (mut call, req) = self.subscribe(tr_id, key);
        assert_eq!(shape(&req), Some((Op::Subscribe, tr_id, key)));
        assert_eq!(self.state.on_reply(ok(tr_id, key)), ReplyEffect::Settled);
        assert_eq!(call.answer(), Some(Ok(())));
        call
    }

    fn tap(&mut self) -> mpsc::Receiver<Item> {
        let (outlet, _, rx) = self.outlet();
        self.state.tap(outlet);
        rx
    }

    fn unsubscribe(&mut self, call: &Call) -> (Answer, Option<Request>) {
        let (ack, answer) = oneshot::channel();
        let req = self.state.unsubscribe(call.id, Some(ack), self.t0);
        (answer, req)
    }

    fn frame(&mut self, text: &str) {
        self.state.on_data(Utf8Bytes::from(text.to_owned()));
    }
}

/// A request as (op, TR ID, key), comparable.
fn shape(r: &Option<Request>) -> Option<(Op, &'static str, &str)> {
    r.as_ref().map(|r| (r.op, r.tr_id, &*r.key))
}

fn shapes(rs: &[Request]) -> Vec<(Op, &'static str, &str)> {
    rs.iter().map(|r| (r.op, r.tr_id, &*r.key)).collect()
}

fn reply(tr_id: &str, key: &str, rt_cd: &str, msg_cd: &str) -> Reply {
    Reply {
        tr_id: tr_id.into(),
        tr_key: key.into(),
        rt_cd: rt_cd.into(),
        msg_cd: msg_cd.into(),
        msg1: "as KIS says it ".into(),
        cipher: None,
    }
}

fn ok(tr_id: &str, key: &str) -> Reply {
    reply(tr_id, key, "0", "OPSP0000")
}

fn refused(tr_id: &str, key: &str, msg_cd: &str) -> Reply {
    reply(tr_id, key, "1", msg_cd)
}

fn tick(key: &str) -> String {
    format!("0|{TICKS}|001|{key}^093354^71900")
}

/// Whether a stream has ended.
fn ended(next: Result<Item, TryRecvError>) -> bool {
    matches!(next, Err(TryRecvError::Disconnected))
}

/// Whether a stream is open with nothing to read.
fn quiet(next: Result<Item, TryRecvError>) -> bool {
    matches!(next, Err(TryRecvError::Empty))
}

fn rejected_code(r: Option<Result<(), RealtimeError>>) -> Option<String> {
    match r {
        Some(Err(RealtimeError::Rejected { msg_cd, .. })) => Some(msg_cd),
        _ => None,
    }
}

#[test]
fn a_subscription_is_requested_then_confirmed_by_opsp0000() {
    let mut h = Harness::online(40);
    let (mut call, req) = h.subscribe(TICKS, SAMSUNG);
    assert_eq!(shape(&req), Some((Op::Subscribe, TICKS, SAMSUNG)));
    assert_eq!(call.answer(), None, "waits for KIS");
    assert_eq!(h.held(), 1, "counted while waiting");
    assert_eq!(h.state.on_reply(ok(TICKS, SAMSUNG)), ReplyEffect::Settled);
    assert_eq!(call.answer(), Some(Ok(())));
    h.frame(&tick(SAMSUNG));
    let f = call.next().expect("a frame").expect("not an error");
    assert_eq!((f.key(), f.connection(), f.count()), (Some(SAMSUNG), 1, 1));
}

#[test]
fn a_second_subscriber_shares_the_server_subscription() {
    let mut h = Harness::online(40);
    let (mut first, req) = h.subscribe(TICKS, SAMSUNG);
    assert!(req.is_some());
    let (mut second, again) = h.subscribe(TICKS, SAMSUNG);
    assert!(again.is_none(), "one server subscription");
    assert_eq!(second.answer(), None, "waits for the same confirmation");
    h.state.on_reply(ok(TICKS, SAMSUNG));
    assert_eq!(
        (first.answer(), second.answer()),
        (Some(Ok(())), Some(Ok(())))
    );
    let (mut third, late) = h.subscribe(TICKS, SAMSUNG);
    assert!(late.is_none());
    assert_eq!(third.answer(), Some(Ok(())), "confirmed already: at once");
    assert_eq!(h.held(), 1);
    h.frame(&tick(SAMSUNG));
    for c in [&mut first, &mut second, &mut third] {
        assert!(matches!(c.next(), Ok(Ok(_))), "every stream gets the frame");
    }
}

#[test]
fn past_the_limit_a_subscription_is_refused_before_sending() {
    let mut h = Harness::online(2);
    h.subscribed(TICKS, SAMSUNG);
    h.subscribed(TICKS, HYNIX);
    let (mut over, req) = h.subscribe(TICKS, "035720");
    assert!(req.is_none(), "nothing sent");
    assert_eq!(
        over.answer(),
        Some(Err(RealtimeError::TooManySubscriptions {
            tr_id: TICKS.into(),
            limit: 2
        }))
    );
    assert!(ended(over.next()), "its stream ends");
    let (mut shared, req) = h.subscribe(TICKS, SAMSUNG);
    assert!(req.is_none());
    assert_eq!(shared.answer(), Some(Ok(())), "sharing takes no new slot");
    assert_eq!(h.held(), 2);
}

#[test]
fn only_the_last_stream_of_a_subscription_unsubscribes() {
    let mut h = Harness::online(40);
    let first = h.subscribed(TICKS, SAMSUNG);
    let (second, _) = h.subscribe(TICKS, SAMSUNG);
    let (mut answer, req) = h.unsubscribe(&first);
    assert!(req.is_none(), "another stream still listens");
    assert_eq!(answer.try_recv(), Ok(Ok(())));
    assert_eq!(h.held(), 1);
    let (mut answer, req) = h.unsubscribe(&second);
    assert_eq!(shape(&req), Some((Op::Unsubscribe, TICKS, SAMSUNG)));
    assert_eq!(h.held(), 0, "the slot is free at once");
    assert!(answer.try_recv().is_err(), "waits for KIS");
    let effect = h.state.on_reply(reply(TICKS, SAMSUNG, "0", "OPSP0001"));
    assert_eq!(effect, ReplyEffect::Settled);
    assert_eq!(answer.try_recv(), Ok(Ok(())));
}

#[test]
fn a_refused_unsubscribe_reports_the_code() {
    let mut h = Harness::online(40);
    let call = h.subscribed(TICKS, SAMSUNG);
    let (mut answer, _) = h.unsubscribe(&call);
    h.state.on_reply(refused(TICKS, SAMSUNG, "OPSP9999"));
    match answer.try_recv() {
        Ok(Err(RealtimeError::Rejected {
            msg_cd,
            unsubscribe,
            ..
        })) => assert_eq!((msg_cd.as_str(), unsubscribe), ("OPSP9999", true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refusal_fails_every_waiter_with_its_code() {
    let mut h = Harness::online(40);
    let (mut first, _) = h.subscribe(TICKS, SAMSUNG);
    let (mut second, _) = h.subscribe(TICKS, SAMSUNG);
    let effect = h.state.on_reply(refused(TICKS, SAMSUNG, "OPSP0008"));
    assert_eq!(effect, ReplyEffect::Settled);
    for c in [&mut first, &mut second] {
        assert_eq!(rejected_code(c.answer()).as_deref(), Some("OPSP0008"));
        assert!(matches!(c.next(), Ok(Err(RealtimeError::Rejected { .. }))));
        assert!(ended(c.next()), "then it ends");
    }
    assert_eq!(h.held(), 0);
}

#[test]
fn a_reply_nobody_waits_for_is_reported() {
    let mut h = Harness::online(40);
    let unmatched = |msg_cd: &str| ReplyEffect::Unmatched {
        tr_id: TICKS.into(),
        msg_cd: msg_cd.into(),
    };
    assert_eq!(h.state.on_reply(ok(TICKS, SAMSUNG)), unmatched("OPSP0000"));
    let (mut call, _) = h.subscribe(NOTICES, HTS);
    // a reply of another TR does not settle the pending request
    let stray = h.state.on_reply(refused(TICKS, HYNIX, "OPSP0008"));
    assert_eq!(stray, unmatched("OPSP0008"));
    assert_eq!(call.answer(), None);
    assert_eq!(h.state.on_reply(ok(NOTICES, HTS)), ReplyEffect::Settled);
    assert_eq!(call.answer(), Some(Ok(())));
    let twice = h.state.on_reply(ok(NOTICES, HTS));
    assert!(matches!(twice, ReplyEffect::Unmatched { .. }), "{twice:?}");
}

#[test]
fn replies_are_matched_by_key_then_by_tr_then_in_order() {
    let mut h = Harness::online(40);
    let (mut samsung, _) = h.subscribe(TICKS, SAMSUNG);
    let (mut hynix, _) = h.subscribe(TICKS, HYNIX);
    h.state.on_reply(ok(TICKS, HYNIX));
    assert_eq!((samsung.answer(), hynix.answer()), (None, Some(Ok(()))));
    // a reply without a key answers the oldest request of its TR
    h.state.on_reply(ok(TICKS, ""));
    assert_eq!(samsung.answer(), Some(Ok(())));
    let (mut notices, _) = h.subscribe(NOTICES, HTS);
    // one that names no TR answers the oldest request
    h.state.on_reply(ok("", ""));
    assert_eq!(notices.answer(), Some(Ok(())));
}

fn notice_frame(plain: &str) -> String {
    format!("1|{NOTICES}|001|{}", encrypt(KEY, IV, plain))
}

#[test]
fn an_encrypted_tr_keeps_its_key_while_subscribed() {
    let mut h = Harness::online(40);
    let mut tap = h.tap();
    let (mut call, _) = h.subscribe(NOTICES, HTS);
    let mut r = ok(NOTICES, HTS);
    r.cipher = Some(CipherKey::from_reply(KEY, IV));
    h.state.on_reply(r);
    assert_eq!(call.answer(), Some(Ok(())));
    let plain = format!("{HTS}^5001234501^0000012345");
    h.frame(&notice_frame(&plain));
    let f = call.next().expect("a frame").expect("decrypted");
    assert_eq!((f.payload(), f.is_encrypted()), (plain.as_str(), true));
    assert!(matches!(tap.try_recv(), Ok(Ok(_))));
    let (_, req) = h.unsubscribe(&call);
    assert!(req.is_some());
    // the key went with the last subscription of its TR
    h.frame(&notice_frame(&plain));
    match tap.try_recv() {
        Ok(Err(RealtimeError::Frame(e))) => assert_eq!(e.kind, FrameErrorKind::NoCipherKey),
        other => panic!("{other:?}"),
    }
}

#[test]
fn after_a_reconnect_every_subscription_is_requested_again() {
    let mut h = Harness::online(40);
    let mut samsung = h.subscribed(TICKS, SAMSUNG);
    let (mut hynix, _) = h.subscribe(TICKS, HYNIX);
    let notices = h.subscribed(NOTICES, HTS);
    let (mut unsubscribed, _) = h.unsubscribe(&notices);
    h.state.disconnected();
    assert_eq!(
        unsubscribed.try_recv(),
        Ok(Ok(())),
        "moot once the connection is gone"
    );
    assert_eq!(hynix.answer(), None, "still waits");
    let (queued, req) = h.subscribe(TICKS, "035720");
    assert!(req.is_none(), "offline: queued");
    assert_eq!(h.held(), 3);
    let again = h.state.connected(h.at(1));
    assert_eq!(
        shapes(&again),
        [
            (Op::Subscribe, TICKS, SAMSUNG),
            (Op::Subscribe, TICKS, HYNIX),
            (Op::Subscribe, TICKS, "035720"),
        ]
    );
    assert_eq!(
        (h.state.connection(), h.status.snapshot().connections),
        (2, 2)
    );
    let (mut late, _) = h.subscribe(TICKS, SAMSUNG);
    assert_eq!(late.answer(), None, "unconfirmed on the new connection");
    h.state.on_reply(ok(TICKS, SAMSUNG));
    assert_eq!(late.answer(), Some(Ok(())));
    h.frame(&tick(SAMSUNG));
    assert_eq!(
        samsung.next().expect("a frame").map(|f| f.connection()),
        Ok(2)
    );
    drop(queued);
}

#[test]
fn offline_an_unsubscribe_sends_nothing() {
    let mut h = Harness::online(40);
    let call = h.subscribed(TICKS, SAMSUNG);
    h.state.disconnected();
    let (mut answer, req) = h.unsubscribe(&call);
    assert!(req.is_none());
    assert_eq!(answer.try_recv(), Ok(Ok(())));
    assert_eq!(h.held(), 0);
    assert!(h.state.connected(h.at(1)).is_empty(), "not resubscribed");
}

#[test]
fn an_unanswered_subscribe_times_out_and_is_withdrawn() {
    let mut h = Harness::online(40);
    let (mut call, _) = h.subscribe(TICKS, SAMSUNG);
    let early = h.state.sweep(h.at(9)).expect("no reconnect");
    assert!(early.is_empty());
    assert_eq!(call.answer(), None);
    let late = h.state.sweep(h.at(10)).expect("no reconnect");
    assert_eq!(
        shapes(&late),
        [(Op::Unsubscribe, TICKS, SAMSUNG)],
        "KIS may act late"
    );
    assert_eq!(
        call.answer(),
        Some(Err(RealtimeError::Timeout {
            tr_id: TICKS.into(),
            waited: TIMEOUT
        }))
    );
    assert_eq!(h.held(), 0);
    // the late answer finds the withdrawing unsubscribe, not a subscription
    assert_eq!(h.state.on_reply(ok(TICKS, SAMSUNG)), ReplyEffect::Settled);
    assert_eq!(h.held(), 0);
}

#[test]
fn an_unanswered_unsubscribe_times_out() {
    let mut h = Harness::online(40);
    let call = h.subscribed(TICKS, SAMSUNG);
    let (mut answer, _) = h.unsubscribe(&call);
    assert!(h.state.sweep(h.at(10)).expect("no reconnect").is_empty());
    assert!(matches!(
        answer.try_recv(),
        Ok(Err(RealtimeError::Timeout { .. }))
    ));
}

#[test]
fn an_unanswered_resubscription_replaces_the_connection() {
    let mut h = Harness::online(40);
    let mut call = h.subscribed(TICKS, SAMSUNG);
    h.state.disconnected();
    assert_eq!(h.state.connected(h.at(1)).len(), 1);
    let verdict = h.state.sweep(h.at(11));
    assert!(verdict.is_err_and(|r| r.contains("resubscription")));
    assert_eq!(h.held(), 1, "kept for the next connection");
    assert!(quiet(call.next()), "the stream goes on");
}

#[test]
fn a_stream_dropped_without_a_word_frees_its_slot() {
    let mut h = Harness::online(40);
    let call = h.subscribed(TICKS, SAMSUNG);
    assert!(h.state.sweep(h.at(1)).expect("no reconnect").is_empty());
    drop(call);
    let out = h.state.sweep(h.at(2)).expect("no reconnect");
    assert_eq!(shapes(&out), [(Op::Unsubscribe, TICKS, SAMSUNG)]);
    assert_eq!(h.held(), 0);
}

#[test]
fn a_refused_approval_key_is_renewed_and_an_unfreed_one_retried() {
    let mut h = Harness::online(40);
    let (mut call, _) = h.subscribe(TICKS, SAMSUNG);
    let effect = h.state.on_reply(refused(TICKS, SAMSUNG, "OPSP0011"));
    assert!(
        matches!(effect, ReplyEffect::RenewApproval(_)),
        "{effect:?}"
    );
    assert_eq!(call.answer(), None, "retried on the next connection");
    // the previous connection still holds the key: only after a confirmation is it the server's doing
    h.state.disconnected();
    h.state.connected(h.at(1));
    let effect = h.state.on_reply(refused(TICKS, SAMSUNG, "OPSP8996"));
    assert_eq!(effect, ReplyEffect::Settled);
    assert_eq!(rejected_code(call.answer()).as_deref(), Some("OPSP8996"));
    let mut call = h.subscribed(TICKS, SAMSUNG);
    h.state.disconnected();
    h.state.connected(h.at(2));
    let effect = h.state.on_reply(refused(TICKS, SAMSUNG, "OPSP8996"));
    assert!(matches!(effect, ReplyEffect::Reconnect(_)), "{effect:?}");
    assert!(quiet(call.next()), "the subscription stays");
}

#[test]
fn control_codes_are_classified_in_one_place() {
    use Op::{Subscribe as S, Unsubscribe as U};
    for (msg_cd, rt_cd, op, want) in [
        ("OPSP0000", "0", S, Outcome::Accepted),
        ("OPSP0002", "1", S, Outcome::Accepted),
        ("OPSP0001", "1", U, Outcome::Accepted),
        ("OPSP0003", "1", U, Outcome::Accepted),
        ("OPSP0003", "1", S, Outcome::Refused),
        ("OPSP0008", "1", S, Outcome::Refused),
        ("OPSP0008", " 0 ", S, Outcome::Accepted),
        ("OPSP0011", "1", S, Outcome::ApprovalRefused),
        ("OPSP8996", "1", S, Outcome::KeyInUse),
        ("", "", U, Outcome::Refused),
    ] {
        assert_eq!(
            reply_outcome(msg_cd, rt_cd, op),
            want,
            "{msg_cd} {rt_cd:?} {op:?}"
        );
    }
}

#[test]
fn frames_go_to_the_subscription_they_name() {
    let mut h = Harness::online(40);
    let mut samsung = h.subscribed(TICKS, SAMSUNG);
    let mut hynix = h.subscribed(TICKS, HYNIX);
    h.frame(&tick(HYNIX));
    assert!(quiet(samsung.next()));
    let f = hynix.next().expect("a frame").expect("not an error");
    assert_eq!(f.key(), Some(HYNIX));
    // a frame naming neither goes to both, without a key
    h.frame(&tick("035720"));
    for c in [&mut samsung, &mut hynix] {
        let f = c.next().expect("a frame").expect("not an error");
        assert_eq!(f.key(), None);
    }
}

#[test]
fn malformed_and_unknown_frames_are_reported() {
    let mut h = Harness::online(40);
    let mut call = h.subscribed(TICKS, SAMSUNG);
    let mut tap = h.tap();
    h.frame(&format!("0|{TICKS}|x|{SAMSUNG}"));
    for rx in [&mut call.rx, &mut tap] {
        match rx.try_recv() {
            Ok(Err(RealtimeError::Frame(e))) => assert_eq!(e.kind, FrameErrorKind::BadCount),
            other => panic!("{other:?}"),
        }
    }
    h.frame("0|ZZZZ9999|001|x");
    match tap.try_recv() {
        Ok(Err(RealtimeError::Frame(e))) => assert_eq!(e.kind, FrameErrorKind::UnknownTr),
        other => panic!("{other:?}"),
    }
    assert!(quiet(call.next()), "not its TR");
    // a known TR not subscribed here: a late frame, skipped quietly
    h.frame(&format!("0|{NOTICES}|001|{HTS}"));
    assert!(quiet(tap.try_recv()));
}

#[test]
fn closing_ends_everything() {
    let mut h = Harness::online(40);
    let mut live = h.subscribed(TICKS, SAMSUNG);
    let (mut waiting, _) = h.subscribe(TICKS, HYNIX);
    let mut tap = h.tap();
    h.state.close(Some("gave up".into()));
    let closed = RealtimeError::Closed {
        reason: Some("gave up".into()),
    };
    assert_eq!(waiting.answer(), Some(Err(closed.clone())));
    for rx in [&mut live.rx, &mut tap] {
        assert!(matches!(rx.try_recv(), Ok(Err(e)) if e == closed));
        assert!(ended(rx.try_recv()));
    }
    assert_eq!(h.held(), 0);
}

#[test]
fn closing_on_request_ends_the_streams_quietly() {
    let mut h = Harness::online(40);
    let mut live = h.subscribed(TICKS, SAMSUNG);
    let (mut waiting, _) = h.subscribe(TICKS, HYNIX);
    h.state.close(None);
    assert_eq!(
        waiting.answer(),
        Some(Err(RealtimeError::Closed { reason: None }))
    );
    assert!(ended(live.next()));
}

#[test]
fn a_connection_proves_itself_by_a_confirmation_or_data_only() {
    let mut h = Harness::online(40);
    assert!(!h.state.proven(), "a handshake proves nothing");
    let (_refused, _) = h.subscribe(TICKS, HYNIX);
    h.state.on_reply(refused(TICKS, HYNIX, "OPSP0008"));
    h.frame("0|H0UNKNWN|001|x");
    h.frame("garbage");
    assert!(
        !h.state.proven(),
        "refusals and unreadable frames prove nothing"
    );
    let _call = h.subscribed(TICKS, SAMSUNG);
    assert!(h.state.proven(), "a confirmation does");
    h.state.disconnected();
    let again = h.state.connected(h.at(1));
    assert_eq!(again.len(), 1);
    assert!(!h.state.proven(), "each connection proves itself anew");
    h.frame(&tick(SAMSUNG));
    assert!(h.state.proven(), "data of a subscription does");
}

#[test]
fn server_text_in_refusals_and_reports_is_scrubbed() {
    let mut h = Harness::online(40);
    let mut tap = h.tap();
    let (mut call, _) = h.subscribe(TICKS, SAMSUNG);
    let mut r = refused(TICKS, SAMSUNG, &format!("E{APPROVAL}"));
    r.msg1 = format!("echo {{\"approval_key\":\"{APPROVAL}\"}} secret {SECRET} 잘못된 요청");
    assert_eq!(h.state.on_reply(r), ReplyEffect::Settled);
    let Some(Err(e)) = call.answer() else {
        panic!("refused")
    };
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains(APPROVAL) && !shown.contains(SECRET),
        "{shown}"
    );
    assert!(
        shown.contains("잘못된 요청"),
        "the message is kept: {shown}"
    );
    // a frame and a stray reply echoing the key
    h.frame(&format!("9|{APPROVAL}|001|x"));
    let Ok(Err(RealtimeError::Frame(f))) = tap.try_recv() else {
        panic!("reported")
    };
    assert_eq!(f.kind, FrameErrorKind::BadFlag);
    assert!(!f.excerpt.contains(&APPROVAL[..8]), "{f}");
    // a long frame without secrets keeps its 48-byte excerpt, cut once
    let long = format!("9|{}", "a^".repeat(60));
    h.frame(&long);
    let Ok(Err(RealtimeError::Frame(f))) = tap.try_recv() else {
        panic!("reported")
    };
    assert_eq!(f.excerpt, format!("{}...", &long[..48]));
    let stray = reply(SECRET, "x", "1", SECRET);
    let ReplyEffect::Unmatched { tr_id, msg_cd } = h.state.on_reply(stray) else {
        panic!("unmatched")
    };
    assert!(!tr_id.contains(SECRET) && !msg_cd.contains(SECRET));
    // a renewed approval key is known as well
    h.state.renewed_approval("renewed-key");
    let (mut call, _) = h.subscribe(TICKS, HYNIX);
    let mut r = refused(TICKS, HYNIX, "OPSP0008");
    r.msg1 = "key renewed-key".into();
    h.state.on_reply(r);
    let Some(Err(e)) = call.answer() else {
        panic!("refused")
    };
    assert!(!e.to_string().contains("renewed-key"), "{e}");
}
