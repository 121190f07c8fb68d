//! The entry point of the `control` fuzz target (`kis-api/fuzz`): a server's JSON control
//! message (subscribe and unsubscribe answers, `PINGPONG`) through the reader and into a
//! session's bookkeeping, with the invariants both must keep. Not part of the API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::control::{Control, parse_control};
use super::known_secrets::KnownSecrets;
use super::outlet::Outlet;
use super::requests::ReplyEffect;
use super::status::Status;
use super::subscriptions::Subscriptions;
use crate::environment::Env;
use crate::realtime_error::FrameErrorKind;

/// Subscriptions the fuzzed table allows: two are held, so a reply can neither add one nor
/// go over.
const MAX: usize = 2;

/// The subscriptions waiting for an answer when the message arrives: a tick feed and an
/// execution notice (an encrypted TR, whose answer carries the AES key and iv).
const PENDING: [(&str, &str); 2] = [("H0STCNT0", "005930"), ("H0STCNI0", "suiteuser")];

/// Reads `text` as a control message and, when it is a subscribe/unsubscribe answer, hands it
/// to a session table with two subscriptions waiting; panics only when an invariant breaks:
/// a refused message is never quoted, `Debug` never shows the AES key, a reply never adds a
/// subscription, and whatever the reply did, reconnecting and the passing of time settle
/// every caller.
#[doc(hidden)]
pub fn fuzz_control(text: &str) {
    let reply = match parse_control(text) {
        Ok(Control::PingPong) => {
            assert!(text.contains("PINGPONG"), "a heartbeat names itself");
            return;
        }
        Ok(Control::Reply(r)) => r,
        Err(e) => {
            assert_eq!(e.kind, FrameErrorKind::BadControl);
            assert!(
                e.excerpt.is_empty(),
                "a refused control message is never quoted"
            );
            return;
        }
    };
    let shown = format!("{reply:?}");
    let own = format!(
        "{:?}{:?}{:?}{:?}",
        reply.tr_id, reply.rt_cd, reply.msg_cd, reply.msg1
    );
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        for secret in ["/body/output/key", "/body/output/iv"] {
            if let Some(s) = v.pointer(secret).and_then(|s| s.as_str())
                && s.len() >= 16
                && !own.contains(s)
            {
                assert!(!shown.contains(s), "Debug shows the AES {secret}");
            }
        }
    }

    let status = Arc::new(Status::default());
    let mut state = Subscriptions::new(
        MAX,
        Duration::from_secs(10),
        Arc::clone(&status),
        KnownSecrets::new(["PSfuzzAppKey", "fuzz-app-secret"], "fuzz-approval-key"),
    );
    let t0 = Instant::now();
    assert!(state.connected(t0).is_empty());
    let mut calls = Vec::new();
    for (i, (tr_id, key)) in (1u64..).zip(PENDING) {
        let Some(meta) = crate::ENDPOINTS
            .iter()
            .copied()
            .find(|m| m.tr_id(0, Env::Real) == Some(tr_id))
        else {
            // a build without the group of this TR
            continue;
        };
        let (tx, rx) = mpsc::channel(4);
        let (ack, answer) = oneshot::channel();
        let request = state.subscribe(meta, tr_id, Arc::from(key), Outlet::new(i, tx), ack, t0);
        assert!(request.is_some(), "online: the subscribe is sent");
        calls.push((rx, answer));
    }
    let before = status.snapshot().subscriptions;
    let effect = state.on_reply(*reply);
    let after = status.snapshot().subscriptions;
    assert!(after <= before && after <= MAX, "{before} -> {after}");
    match effect {
        ReplyEffect::Reconnect(reason) | ReplyEffect::RenewApproval(reason) => {
            assert!(!reason.is_empty(), "a reconnect says why");
            state.disconnected();
            let again = state.connected(t0);
            assert!(
                again.len() <= after,
                "only held subscriptions are requested again"
            );
        }
        ReplyEffect::Settled | ReplyEffect::Unmatched { .. } => {}
    }
    // nobody answers any more: the waiting calls time out and give their places up
    let late = t0 + Duration::from_secs(3600);
    if let Ok(unsubscribes) = state.sweep(late) {
        assert!(unsubscribes.len() <= PENDING.len());
    }
    for (_stream, mut answer) in calls {
        // answered (confirmed, refused or timed out), or still waiting on a resubscription
        // the sweep replaced the connection for; never an answer that was lost
        match answer.try_recv() {
            Ok(_) | Err(oneshot::error::TryRecvError::Empty) => {}
            Err(oneshot::error::TryRecvError::Closed) => {
                panic!("a subscribe call lost its answer")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fuzz_control;

    /// The seeds of the fuzz target (`kis-api/fuzz/seeds/control`), and mutations of them
    /// (cut at every position, bytes replaced), go through without breaking an invariant; on
    /// stable, without libFuzzer.
    #[test]
    fn control_seeds_and_their_mutations_keep_the_invariants() {
        let seeds = [
            include_str!("../../fuzz/seeds/control/pingpong"),
            include_str!("../../fuzz/seeds/control/subscribed"),
            include_str!("../../fuzz/seeds/control/subscribed_notice"),
            include_str!("../../fuzz/seeds/control/already_subscribed"),
            include_str!("../../fuzz/seeds/control/unsubscribed"),
            include_str!("../../fuzz/seeds/control/refused"),
            include_str!("../../fuzz/seeds/control/approval_refused"),
            include_str!("../../fuzz/seeds/control/key_in_use"),
            include_str!("../../fuzz/seeds/control/echoing"),
        ];
        let mut rng = fastrand::Rng::with_seed(24);
        for seed in seeds {
            fuzz_control(seed);
            for cut in 0..seed.len() {
                if let Some(prefix) = seed.get(..cut) {
                    fuzz_control(prefix);
                }
            }
            for _ in 0..200 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..rng.usize(1..4) {
                    let at = rng.usize(..bytes.len());
                    bytes[at] = rng.u8(..);
                }
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    fuzz_control(text);
                }
            }
        }
    }
}
