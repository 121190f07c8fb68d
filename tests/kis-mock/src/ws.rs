//! The WebSocket side: KIS's subscribe protocol, `PINGPONG`, generated ticks and encrypted
//! execution notices.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::endpoint_plan::{Role, StateRole, WsPlan};
use crate::error_table::{Answer, When};
use crate::orders::Notice;
use crate::rest::kst_now;
use crate::server::Shared;
use crate::success_body::{default_anchor, gen_value};
use crate::values::{Ohlc, Rng, alnum, day_prices, mix, push_json_str};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// A live subscription.
#[derive(Debug, Clone)]
struct Sub {
    tr_id: String,
    tr_key: String,
    plan: usize,
    key: String,
    iv: String,
}

#[derive(Debug)]
enum Cmd {
    Raw(String),
    Close,
    Wake,
}

#[derive(Debug)]
struct SessionHandle {
    tx: mpsc::UnboundedSender<Cmd>,
    subs: Arc<Mutex<Vec<Sub>>>,
}

/// Sessions and realtime controls shared with [`crate::MockControl`].
#[derive(Debug)]
pub(crate) struct WsHub {
    pub(crate) ticks: AtomicBool,
    pub(crate) tick_ms: AtomicU64,
    sessions: Mutex<HashMap<u64, SessionHandle>>,
    bound: Mutex<HashMap<String, u64>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WsHub {
    pub(crate) fn new(ticks: bool, interval: Duration) -> WsHub {
        WsHub {
            ticks: AtomicBool::new(ticks),
            tick_ms: AtomicU64::new(u64::try_from(interval.as_millis()).unwrap_or(500).max(1)),
            sessions: Mutex::new(HashMap::new()),
            bound: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    fn send_all(&self, mk: impl Fn() -> Cmd) {
        for s in lock(&self.sessions).values() {
            let _ = s.tx.send(mk());
        }
    }

    pub(crate) fn wake_all(&self) {
        self.send_all(|| Cmd::Wake);
    }

    pub(crate) fn drop_all(&self) {
        self.send_all(|| Cmd::Close);
    }

    pub(crate) fn push_raw(&self, frame: String) {
        self.send_all(|| Cmd::Raw(frame.clone()));
    }

    pub(crate) fn subscription_count(&self) -> usize {
        lock(&self.sessions)
            .values()
            .map(|s| lock(&s.subs).len())
            .sum()
    }

    pub(crate) fn session_count(&self) -> usize {
        lock(&self.sessions).len()
    }

    /// Sends an execution notice to every session subscribed to a notice TR of the order's
    /// group in this environment, with `tr_key` = the configured HTS id.
    pub(crate) fn notify(&self, shared: &Shared, n: &Notice) {
        let hts = shared.config.hts_id.as_str();
        for (pi, plan) in shared.plans.ws.iter().enumerate() {
            if !plan.hts_key || plan.group != n.order.group {
                continue;
            }
            let Some(tr) = plan.tr_for(shared.demo) else {
                continue;
            };
            let mut record: Option<String> = None;
            for s in lock(&self.sessions).values() {
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
}

/// Base64 of AES-256-CBC with PKCS#7; key and iv are the UTF-8 bytes of the strings.
pub(crate) fn encrypt(key: &str, iv: &str, plain: &str) -> String {
    match Aes256CbcEnc::new_from_slices(key.as_bytes(), iv.as_bytes()) {
        Ok(enc) => {
            let ct = enc.encrypt_padded_vec::<Pkcs7>(plain.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(ct)
        }
        Err(_) => String::new(),
    }
}

fn clean(s: &str) -> String {
    s.replace(['^', '|'], "_")
}

fn kst_secs() -> u32 {
    chrono::Timelike::num_seconds_from_midnight(&kst_now().time())
}

fn notice_record(shared: &Shared, plan: &WsPlan, n: &Notice) -> String {
    let o = &n.order;
    let sc = o.style.scale;
    let mut rng = Rng::new(mix(
        shared.config.seed ^ plan.salt,
        o.odno.len() as u64 ^ o.qty,
    ));
    let base = shared.current_price(&plan.style, &o.product);
    let ohlc = day_prices(&plan.style, shared.config.seed, &o.product, base, 0);
    let mut out = String::new();
    let mut tmp = String::new();
    let now = kst_secs();
    let fill_qty = if n.fill { o.filled_qty } else { 0 };
    let fill_price = if n.fill { o.fill_price.unwrap_or(0) } else { 0 };
    for (i, c) in plan.columns.iter().enumerate() {
        if i > 0 {
            out.push('^');
        }
        let stem = crate::endpoint_plan::stem(&c.lower).to_ascii_uppercase();
        let v: String = match stem.as_str() {
            "CUST_ID" | "USER_ID" => shared.config.hts_id.clone(),
            "ACNT_NO" | "ACCT_NO" => format!("{}{}", o.account, o.account_product),
            "ODER_NO" | "ODNO" => o.odno.clone(),
            "OODER_NO" | "ORGN_ODNO" => o.orig_odno.clone().unwrap_or_default(),
            "SELN_BYOV_CLS" | "SLL_BUY_DVSN_CD" => match o.side {
                crate::control::OrderSide::Sell => "01".into(),
                crate::control::OrderSide::Buy => "02".into(),
            },
            "RCTF_CLS" | "RVSE_CNCL_DVSN_CD" => n.rctf.into(),
            "CNTG_QTY" | "CCLD_QTY" | "TOT_CCLD_QTY" => fill_qty.to_string(),
            "CNTG_UNPR" | "FM_CCLD_PRIC" | "TOT_CCLD_UV" => {
                crate::values::fmt_scaled(fill_price, sc)
            }
            "STCK_CNTG_HOUR" => o.ord_time.clone(),
            "RFUS_YN" => "N".into(),
            "CNTG_YN" => {
                if n.fill {
                    "2".into()
                } else {
                    "1".into()
                }
            }
            "ACPT_YN" => "1".into(),
            "ODER_QTY" | "ORD_QTY" => o.qty.to_string(),
            "ODER_PRC" | "ORDER_PRC" | "FM_LMT_PRIC" => crate::values::fmt_scaled(o.price, sc),
            "ORD_REMQ" => o.remaining().to_string(),
            "ORD_DT" => o.ord_date.clone(),
            s if s.starts_with("ODER_KIND") => o.ord_dvsn.clone(),
            _ if c.role == Role::Product => o.product.clone(),
            _ => {
                tmp.clear();
                if c.state == Some(StateRole::Odno) {
                    o.odno.clone()
                } else {
                    gen_value(
                        &mut tmp,
                        c,
                        ohlc,
                        &plan.style,
                        default_anchor(),
                        0,
                        &mut rng,
                        &plan.group,
                        Some(now),
                    );
                    tmp.clone()
                }
            }
        };
        out.push_str(&clean(&v));
    }
    out
}

fn tick_records(shared: &Shared, plan: &WsPlan, symbol: &str, rng: &mut Rng) -> (usize, String) {
    let n = rng.range(1, 4) as usize;
    let base = shared.current_price(&plan.style, symbol);
    let day = day_prices(&plan.style, shared.config.seed, symbol, base, 0);
    let now = kst_secs();
    let sym = clean(symbol);
    let mut out = String::with_capacity(n * plan.columns.len() * 8);
    let mut tmp = String::new();
    for r in 0..n {
        let t = plan.style.tick(day.close);
        let close = (day.close + t * rng.range(-3, 3)).clamp(day.low, day.high);
        let ohlc = Ohlc { close, ..day };
        for (i, c) in plan.columns.iter().enumerate() {
            if r > 0 || i > 0 {
                out.push('^');
            }
            if c.role == Role::Product {
                out.push_str(&sym);
                continue;
            }
            tmp.clear();
            gen_value(
                &mut tmp,
                c,
                ohlc,
                &plan.style,
                default_anchor(),
                0,
                rng,
                &plan.group,
                Some(now),
            );
            out.push_str(&clean(&tmp));
        }
    }
    (n, out)
}

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

/// One WebSocket session; `_permit` is its place among the connections served at once.
async fn session(
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
