//! One WebSocket session: KIS's subscribe protocol, its replies and `PINGPONG`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::records::tick_records;
use crate::error_table::{Answer, When};
use crate::state::Shared;
use crate::values::kst_now;
use crate::values::{Rng, alnum, mix, push_json_str};
use crate::ws_hub::{Cmd, SessionHandle, Sub, lock};

fn reply(
    tr_id: &str,
    tr_key: &str,
    encrypt: bool,
    answer: &Answer,
    output: Option<(&str, &str)>,
) -> String {
    let (rt_cd, msg_cd, msg1) = (&answer.rt_cd, &answer.code, answer.msg1(""));
    let mut s = String::with_capacity(200);
    s.push_str("{\"header\":{\"tr_id\":");
    push_json_str(&mut s, tr_id);
    s.push_str(",\"tr_key\":");
    push_json_str(&mut s, tr_key);
    s.push_str(",\"encrypt\":");
    s.push_str(if encrypt { "\"Y\"" } else { "\"N\"" });
    s.push_str("},\"body\":{\"rt_cd\":");
    push_json_str(&mut s, rt_cd);
    s.push_str(",\"msg_cd\":");
    push_json_str(&mut s, msg_cd);
    s.push_str(",\"msg1\":");
    push_json_str(&mut s, &msg1);
    if let Some((iv, key)) = output {
        s.push_str(",\"output\":{\"iv\":");
        push_json_str(&mut s, iv);
        s.push_str(",\"key\":");
        push_json_str(&mut s, key);
        s.push('}');
    }
    s.push_str("}}");
    s
}

struct Session {
    id: u64,
    subs: Arc<Mutex<Vec<Sub>>>,
    approval: Option<String>,
    rng: Rng,
}

impl Session {
    fn text(&mut self, shared: &Shared, text: &str) -> Option<String> {
        let v: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => {
                return Some(reply(
                    "",
                    "",
                    false,
                    shared.plans.answers.get(When::WsBodyNotJson),
                    None,
                ));
            }
        };
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let tr_id = s("/header/tr_id");
        if tr_id == "PINGPONG" {
            shared.lock().stats.pingpong_echoes += 1;
            return None;
        }
        shared.lock().stats.ws_subscribe_messages += 1;
        let approval = s("/header/approval_key");
        let tr_type = s("/header/tr_type");
        let tr_id = s("/body/input/tr_id");
        let tr_key = s("/body/input/tr_key");
        if !shared.lock().approvals.contains_key(&approval) {
            return Some(reply(
                &tr_id,
                &tr_key,
                false,
                shared.plans.answers.get(When::WsApprovalInvalid),
                None,
            ));
        }
        {
            let mut bound = lock(&shared.ws.bound);
            let sessions = lock(&shared.ws.sessions);
            match bound.get(&approval) {
                Some(other) if *other != self.id && sessions.contains_key(other) => {
                    return Some(reply(
                        &tr_id,
                        &tr_key,
                        false,
                        shared.plans.answers.get(When::WsKeyInUse),
                        None,
                    ));
                }
                _ => {
                    bound.insert(approval.clone(), self.id);
                    self.approval = Some(approval);
                }
            }
        }
        let plan = shared
            .plans
            .ws_by_tr
            .get(&tr_id)
            .copied()
            .filter(|&i| shared.plans.ws[i].tr_for(shared.demo) == Some(tr_id.as_str()));
        let Some(pi) = plan else {
            return Some(reply(
                &tr_id,
                &tr_key,
                false,
                shared.plans.answers.get(When::WsTrIdInvalid),
                None,
            ));
        };
        let encrypted = shared.plans.ws[pi].encrypted;
        let mut subs = lock(&self.subs);
        let pos = subs
            .iter()
            .position(|x| x.tr_id == tr_id && x.tr_key == tr_key);
        match (tr_type.as_str(), pos) {
            ("1", Some(i)) => {
                let x = &subs[i];
                Some(reply(
                    &tr_id,
                    &tr_key,
                    encrypted,
                    shared.plans.answers.get(When::WsAlreadySubscribed),
                    Some((&x.iv, &x.key)),
                ))
            }
            ("1", None) if subs.len() >= shared.ws_cap => Some(reply(
                &tr_id,
                &tr_key,
                encrypted,
                shared.plans.answers.get(When::WsMaxSubscriptions),
                None,
            )),
            ("1", None) => {
                let key = alnum(&mut self.rng, 32);
                let iv = alnum(&mut self.rng, 16);
                let r = reply(
                    &tr_id,
                    &tr_key,
                    encrypted,
                    shared.plans.answers.get(When::WsSubscribed),
                    Some((&iv, &key)),
                );
                subs.push(Sub {
                    tr_id,
                    tr_key,
                    plan: pi,
                    key,
                    iv,
                });
                Some(r)
            }
            ("2", Some(i)) => {
                let x = subs.remove(i);
                Some(reply(
                    &tr_id,
                    &tr_key,
                    encrypted,
                    shared.plans.answers.get(When::WsUnsubscribed),
                    Some((&x.iv, &x.key)),
                ))
            }
            ("2", None) => Some(reply(
                &tr_id,
                &tr_key,
                encrypted,
                shared.plans.answers.get(When::WsNotSubscribed),
                None,
            )),
            _ => Some(reply(
                &tr_id,
                &tr_key,
                encrypted,
                shared.plans.answers.get(When::WsTrTypeInvalid),
                None,
            )),
        }
    }

    fn tick(&mut self, shared: &Shared) -> Vec<String> {
        let subs = lock(&self.subs).clone();
        let mut frames = Vec::new();
        for sub in subs {
            let Some(plan) = shared.plans.ws.get(sub.plan) else {
                continue;
            };
            if plan.encrypted || plan.hts_key {
                continue;
            }
            let (n, payload) = tick_records(shared, plan, &sub.tr_key, &mut self.rng);
            frames.push(format!("0|{}|{n:03}|{payload}", sub.tr_id));
        }
        frames
    }
}

fn pingpong() -> String {
    let now = kst_now();
    format!(
        "{{\"header\":{{\"tr_id\":\"PINGPONG\",\"datetime\":\"{}\"}}}}",
        now.format("%Y%m%d%H%M%S")
    )
}

/// One WebSocket session; `_permit` is its place among the connections served at once.
pub(super) async fn session(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let limit = shared.config.ws_max_message_bytes.max(1);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    // a client that connects and never finishes the handshake gives its place up
    let handshake = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config));
    let Ok(Ok(ws)) = tokio::time::timeout(shared.config.ws_handshake_timeout, handshake).await
    else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let id = shared.ws.next_id.fetch_add(1, Ordering::SeqCst);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let subs = Arc::new(Mutex::new(Vec::new()));
    lock(&shared.ws.sessions).insert(
        id,
        SessionHandle {
            tx,
            subs: subs.clone(),
        },
    );
    shared.lock().stats.ws_connections += 1;
    let mut sess = Session {
        id,
        subs,
        approval: None,
        rng: Rng::new(mix(shared.config.seed ^ 0x5e55, id)),
    };
    let ping_every = shared.config.ping_interval.max(Duration::from_millis(1));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let tick_every = || Duration::from_millis(shared.ws.tick_ms.load(Ordering::SeqCst));
    let tick_sleep = tokio::time::sleep(tick_every());
    tokio::pin!(tick_sleep);
    loop {
        tokio::select! {
            msg = source.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if let Some(r) = sess.text(&shared, t.as_str())
                        && sink.send(Message::text(r)).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Binary(b))) => {
                    let t = String::from_utf8_lossy(&b).into_owned();
                    if let Some(r) = sess.text(&shared, &t)
                        && sink.send(Message::text(r)).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            cmd = rx.recv() => match cmd {
                Some(Cmd::Raw(s)) => {
                    if sink.send(Message::text(s)).await.is_err() {
                        break;
                    }
                }
                Some(Cmd::Wake) => {
                    tick_sleep.as_mut().reset(tokio::time::Instant::now() + tick_every());
                }
                Some(Cmd::Close) | None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            _ = ping.tick() => {
                shared.lock().stats.pingpongs_sent += 1;
                if sink.send(Message::text(pingpong())).await.is_err() {
                    break;
                }
            }
            _ = &mut tick_sleep => {
                if shared.ws.ticks.load(Ordering::SeqCst) {
                    for f in sess.tick(&shared) {
                        if sink.send(Message::text(f)).await.is_err() {
                            break;
                        }
                    }
                }
                tick_sleep.as_mut().reset(tokio::time::Instant::now() + tick_every());
            }
            _ = stop.changed() => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
        }
    }
    lock(&shared.ws.sessions).remove(&id);
    if let Some(a) = sess.approval {
        let mut bound = lock(&shared.ws.bound);
        if bound.get(&a) == Some(&id) {
            bound.remove(&a);
        }
    }
}
