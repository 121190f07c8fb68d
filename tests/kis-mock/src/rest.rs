//! The REST side: connection handling, KIS's checks, auth endpoints, pagination and faults.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use kis_catalog::model::Method;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::control::{Fault, FaultTarget, RequestRecord};
use crate::error_table::{Answer, When};
use crate::header_case::CaseIo;
use crate::plan::{AuthRole, RestPlan};
use crate::record::Recorded;
use crate::respond::{Generator, ReqCtx, parse_page_key};
use crate::server::{Shared, TokenInfo};
use crate::values::{fnv, hex, mix, push_json_str};

/// Largest request body kept; a longer one is answered 413.
const MAX_BODY: usize = 1 << 20;
/// How much of an oversized body is read and thrown away so the client, still sending, gets to
/// read the 413 (closing on unread data resets the connection and loses the answer).
const DRAIN_LIMIT: usize = 256 << 20;
/// How long draining an oversized body may take.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The connection is closed without a response.
#[derive(Debug)]
pub(crate) struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

type Resp = Response<Full<Bytes>>;

/// Accepts REST connections until `stop` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, shared.clone(), stop.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stop.changed() => break,
        }
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let abort = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(CaseIo::new(stream, abort.clone()));
    let header_timeout = shared.config.header_timeout;
    let svc = service_fn(move |req| {
        let shared = shared.clone();
        let abort = abort.clone();
        async move {
            let r = handle(&shared, req).await;
            if r.is_err() {
                abort.store(true, Ordering::SeqCst);
            }
            r
        }
    });
    // a client trickling its headers (slowloris) is dropped instead of holding the connection
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> &'h str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("")
}

/// A JSON response with KIS's headers.
fn respond(
    status: u16,
    body: impl Into<Bytes>,
    tr_id: &str,
    tr_cont: &str,
    shared: &Shared,
) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        HeaderName::from_static("tr_id"),
        HeaderValue::from_str(tr_id).unwrap_or(HeaderValue::from_static("")),
    );
    h.insert(
        HeaderName::from_static("tr_cont"),
        HeaderValue::from_str(tr_cont).unwrap_or(HeaderValue::from_static("")),
    );
    if let Ok(v) = HeaderValue::from_str(&shared.next_uid()) {
        h.insert(HeaderName::from_static("gt_uid"), v);
    }
    r
}

/// A JSON response of the auth endpoints (no TR headers).
fn respond_auth(status: u16, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// `{"rt_cd":..,"msg_cd":..,"msg1":..}`.
pub(crate) fn envelope(rt_cd: &str, msg_cd: &str, msg1: &str) -> String {
    let mut s = String::with_capacity(64 + msg1.len());
    s.push_str("{\"rt_cd\":");
    push_json_str(&mut s, rt_cd);
    s.push_str(",\"msg_cd\":");
    push_json_str(&mut s, msg_cd);
    s.push_str(",\"msg1\":");
    push_json_str(&mut s, msg1);
    s.push('}');
    s
}

/// KIS's answer to a situation (code, status, `rt_cd`, `msg1` from the catalog's error table),
/// with KIS's headers.
fn answer(shared: &Shared, tr_id: &str, when: When, detail: &str) -> Resp {
    let a = shared.plans.answers.get(when);
    respond(a.http, a.body(detail), tr_id, "", shared)
}

/// KIS's answer to a situation of the auth endpoints (no TR headers).
fn answer_auth(shared: &Shared, when: When) -> Resp {
    let a = shared.plans.answers.get(when);
    respond_auth(a.http, a.body(""))
}

/// The request body, or `None` when it is longer than [`MAX_BODY`]: then at most `MAX_BODY`
/// bytes were kept and the rest read and dropped (up to [`DRAIN_LIMIT`] and [`DRAIN_TIME`]).
async fn read_body(body: Incoming) -> Result<Option<Bytes>, ()> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    let mut body = Limited::new(body, DRAIN_LIMIT);
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(|_| ())?.into_data() else {
                continue;
            };
            seen = seen.saturating_add(data.len());
            if seen <= MAX_BODY {
                kept.extend_from_slice(&data);
            }
        }
        Ok::<(), ()>(())
    })
    .await;
    match drained {
        Ok(Ok(())) if seen <= MAX_BODY => Ok(Some(Bytes::from(kept))),
        // over the limit: answered 413, whether all of it could be drained or not
        _ if seen > MAX_BODY => Ok(None),
        _ => Err(()),
    }
}

/// A body over [`MAX_BODY`]: HTTP 413 with KIS's input-error envelope.
fn too_large(shared: &Shared, parts: &hyper::http::request::Parts) -> Resp {
    let a = shared.plans.answers.get(When::BodyTooLarge);
    let mut r = respond_auth(a.http, a.body(&MAX_BODY.to_string()));
    // after a body that was not drained to its end the connection cannot carry another request
    r.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    let tr_id = header(&parts.headers, "tr_id");
    if let Ok(v) = HeaderValue::from_str(tr_id) {
        r.headers_mut().insert(HeaderName::from_static("tr_id"), v);
    }
    r
}

/// An input error (KIS: `rt_cd` "2", `OPSQ2001`, "ERROR INVALID <KEY>").
fn invalid(shared: &Shared, tr_id: &str, key: &str) -> Resp {
    answer(shared, tr_id, When::InputInvalid, key)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hv = |c: u8| (c as char).to_digit(16);
                match (hv(b[i + 1]), hv(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request's inputs as (key as sent, value) pairs; KIS matches keys case-insensitively.
fn raw_inputs(
    method: &hyper::Method,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, ()> {
    let mut out = Vec::new();
    if method == hyper::Method::GET {
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((percent_decode(k), percent_decode(v)));
        }
        return Ok(out);
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(out);
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| ())?;
    let serde_json::Value::Object(map) = v else {
        return Err(());
    };
    for (k, v) in map {
        let s = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        out.push((k, s));
    }
    Ok(out)
}

fn json_map(body: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn jstr<'m>(m: &'m serde_json::Map<String, serde_json::Value>, key: &str) -> &'m str {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::trim)
        .unwrap_or("")
}

fn key_ok(shared: &Shared, key: &str) -> bool {
    !key.is_empty() && shared.config.app_key.as_deref().is_none_or(|k| k == key)
}

fn secret_ok(shared: &Shared, secret: &str) -> bool {
    !secret.is_empty()
        && shared
            .config
            .app_secret
            .as_deref()
            .is_none_or(|k| k == secret)
}

/// Korea time now, as naive date-time.
pub(crate) fn kst_now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc() + chrono::Duration::hours(9)
}

/// Applies the matching faults of the pre-processing stage; returns (delay, terminal fault,
/// drop-after).
fn take_faults(
    shared: &Shared,
    tr: &str,
    path: &str,
    is_auth: bool,
    page: Option<u32>,
) -> Vec<Fault> {
    if !shared.faults_active.load(Ordering::Relaxed) {
        return Vec::new();
    }
    let mut st = shared.lock();
    let mut out = Vec::new();
    for e in st.faults.iter_mut() {
        let hit = match &e.spec.target {
            FaultTarget::All => !is_auth,
            FaultTarget::TrId(t) => t == tr,
            FaultTarget::Path(p) => p == path,
        };
        if !hit || e.spec.times == Some(0) {
            continue;
        }
        let stage_ok = match (&e.spec.fault, page) {
            (Fault::PagingDataChanged { page: k }, Some(p)) => *k == p,
            (Fault::PagingDataChanged { .. }, None) => false,
            (_, Some(_)) => false,
            (_, None) => true,
        };
        if !stage_ok {
            continue;
        }
        e.hits += 1;
        if let Some(t) = e.spec.times.as_mut() {
            *t -= 1;
        }
        out.push(e.spec.fault.clone());
    }
    out
}

/// What the pre-processing faults decided.
enum Pre {
    Continue { drop_after: bool },
    Respond(Resp),
    Drop,
}

async fn apply_pre(shared: &Shared, faults: Vec<Fault>, tr: &str) -> Pre {
    let mut drop_after = false;
    for f in &faults {
        if let Fault::Delay(d) = f {
            tokio::time::sleep(*d).await;
        }
    }
    for f in faults {
        match f {
            Fault::Delay(_) | Fault::PagingDataChanged { .. } | Fault::ExtraKey { .. } => {}
            Fault::DropAfterProcessing => drop_after = true,
            Fault::DropBeforeProcessing => return Pre::Drop,
            Fault::RateLimit => {
                return Pre::Respond(answer(shared, tr, When::RateLimited, ""));
            }
            Fault::TokenExpired { http_status } => {
                let a = shared.plans.answers.get(When::TokenExpired);
                return Pre::Respond(respond(http_status, a.body(""), tr, "", shared));
            }
            Fault::Answer {
                msg_cd,
                msg1,
                http_status,
            } => {
                let body = envelope("1", &msg_cd, &msg1);
                return Pre::Respond(respond(http_status, body, tr, "", shared));
            }
            Fault::ServerError { json_body } => {
                let body = if json_body {
                    shared.plans.answers.get(When::ServerError).body("")
                } else {
                    String::new()
                };
                return Pre::Respond(respond(500, body, tr, "", shared));
            }
        }
    }
    Pre::Continue { drop_after }
}

async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let (parts, body) = req.into_parts();
    let body = match read_body(body).await {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(too_large(shared, &parts)),
        Err(()) => return Err(Dropped),
    };
    let path = parts.uri.path();
    if let Some(role) = shared.plans.auth.get(path).copied() {
        let faults = take_faults(shared, "", path, true, None);
        let drop_after = match apply_pre(shared, faults, "").await {
            Pre::Continue { drop_after } => drop_after,
            Pre::Respond(r) => return Ok(r),
            Pre::Drop => return Err(Dropped),
        };
        let r = auth(shared, role, &parts.method, &parts.headers, &body);
        return if drop_after { Err(Dropped) } else { Ok(r) };
    }
    let raw = raw_inputs(&parts.method, parts.uri.query(), &body);
    let r = match &shared.replay {
        Some(replay) => Ok(replayed(shared, replay, &parts, &raw)),
        None => rest_request(shared, &parts, &raw).await,
    };
    if let Some(rec) = &shared.recorder {
        let no_inputs = Vec::new();
        let line = Recorded {
            method: parts.method.as_str(),
            path,
            tr_id: header(&parts.headers, "tr_id"),
            tr_cont: header(&parts.headers, "tr_cont"),
            // 0: the connection was dropped without an answer
            status: r.as_ref().map(|r| r.status().as_u16()).unwrap_or(0),
            inputs: raw.as_ref().unwrap_or(&no_inputs),
        };
        rec.write(&line, |k| shared.plans.catalog.common.is_redacted(k));
    }
    r
}

/// The recorded answer to a request, or KIS's answer to an invalid input when none matches.
fn replayed(
    shared: &Shared,
    replay: &crate::replay::Replay,
    parts: &hyper::http::request::Parts,
    raw: &Result<Vec<(String, String)>, ()>,
) -> Resp {
    let tr_id = header(&parts.headers, "tr_id");
    let no_inputs = Vec::new();
    let sent = raw.as_ref().unwrap_or(&no_inputs);
    match replay.answer(
        tr_id,
        parts.uri.path(),
        header(&parts.headers, "tr_cont"),
        sent,
    ) {
        Some(x) => respond(x.status, x.body.clone(), tr_id, &x.tr_cont, shared),
        None => answer(shared, tr_id, When::InputInvalid, "no recorded answer"),
    }
}

/// The answer with the keys of [`Fault::ExtraKey`] faults added.
async fn with_extra_keys(resp: Resp, extras: &[Fault]) -> Resp {
    let (parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Full::new(bytes));
    };
    for f in extras {
        let Fault::ExtraKey { block, key, value } = f else {
            continue;
        };
        let v = serde_json::Value::String(value.clone());
        match block.as_ref().and_then(|b| map.get_mut(b)) {
            Some(serde_json::Value::Object(o)) => {
                o.insert(key.clone(), v);
            }
            Some(serde_json::Value::Array(rows)) => {
                for row in rows.iter_mut().filter_map(|r| r.as_object_mut()) {
                    row.insert(key.clone(), v.clone());
                }
            }
            Some(_) => {}
            None if block.is_none() => {
                map.insert(key.clone(), v);
            }
            None => {}
        }
    }
    let body = serde_json::to_vec(&map).unwrap_or_else(|_| bytes.to_vec());
    Response::from_parts(parts, Full::new(Bytes::from(body)))
}

/// A REST request to a catalog endpoint (or an unknown path).
async fn rest_request(
    shared: &Arc<Shared>,
    parts: &hyper::http::request::Parts,
    raw: &Result<Vec<(String, String)>, ()>,
) -> Result<Resp, Dropped> {
    let path = parts.uri.path();
    let tr_id = header(&parts.headers, "tr_id");
    let Some(idxs) = shared.plans.by_path.get(path) else {
        return Ok(answer(shared, tr_id, When::UnknownPath, ""));
    };
    let plan_idx = idxs
        .iter()
        .copied()
        .find(|&i| {
            let (r, d) = shared.plans.rest[i].tr_lookup(tr_id);
            r.is_some() || d.is_some()
        })
        .unwrap_or(idxs[0]);
    let plan = &shared.plans.rest[plan_idx];
    let tr_cont = header(&parts.headers, "tr_cont");

    // inputs, aligned with the plan; `None` for a key the request lacks
    let sent: Vec<Option<&String>> = match raw {
        Ok(raw) => plan
            .inputs
            .iter()
            .map(|inp| {
                raw.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&inp.upper))
                    .map(|(_, v)| v)
            })
            .collect(),
        Err(()) => vec![None; plan.inputs.len()],
    };
    let missing = plan
        .inputs
        .iter()
        .zip(&sent)
        .find(|(inp, v)| inp.required && v.is_none())
        .map(|(inp, _)| inp.upper.as_str());
    let inputs: Vec<String> = sent
        .iter()
        .map(|v| v.cloned().unwrap_or_default())
        .collect();
    let mut canonical = String::with_capacity(64);
    for (i, v) in inputs.iter().enumerate() {
        // continuation keys and values that change on later pages are not part of the query
        if plan.paging.iter().any(|p| p.input == i) || plan.next_values.iter().any(|(n, _)| *n == i)
        {
            continue;
        }
        canonical.push_str(v.trim());
        canonical.push('\u{1f}');
    }
    let qhash = mix(fnv(canonical.as_bytes()), plan.salt);

    {
        let mut st = shared.lock();
        st.record(RequestRecord {
            path: path.to_string(),
            tr_id: tr_id.to_string(),
            tr_cont: tr_cont.to_string(),
            keys: plan
                .paging
                .iter()
                .map(|p| (p.request.clone(), inputs[p.input].clone()))
                .collect(),
        });
        if plan.mutates {
            let key = order_request_key(tr_id, &inputs);
            *st.order_requests.entry(key).or_insert(0) += 1;
        }
    }

    let (extras, faults): (Vec<Fault>, Vec<Fault>) = take_faults(shared, tr_id, path, false, None)
        .into_iter()
        .partition(|f| matches!(f, Fault::ExtraKey { .. }));
    let drop_after = match apply_pre(shared, faults, tr_id).await {
        Pre::Continue { drop_after } => drop_after,
        Pre::Respond(r) => return Ok(r),
        Pre::Drop => return Err(Dropped),
    };

    let resp = process(
        shared,
        plan_idx,
        plan,
        parts,
        tr_id,
        tr_cont,
        raw.is_ok(),
        missing,
        &inputs,
        &canonical,
        qhash,
    );
    if drop_after {
        return Err(Dropped);
    }
    if !extras.is_empty() && resp.status() == StatusCode::OK {
        return Ok(with_extra_keys(resp, &extras).await);
    }
    Ok(resp)
}

pub(crate) fn order_request_key(tr_id: &str, inputs: &[String]) -> String {
    let mut k = String::from(tr_id);
    for v in inputs {
        k.push('\u{1f}');
        k.push_str(v);
    }
    k
}

#[allow(clippy::too_many_arguments)]
fn process(
    shared: &Arc<Shared>,
    plan_idx: usize,
    plan: &RestPlan,
    parts: &hyper::http::request::Parts,
    tr_id: &str,
    tr_cont: &str,
    body_ok: bool,
    missing: Option<&str>,
    inputs: &[String],
    canonical: &str,
    qhash: u64,
) -> Resp {
    let h = &parts.headers;
    // credentials and token
    let appkey = header(h, "appkey");
    let appsecret = header(h, "appsecret");
    if !key_ok(shared, appkey) {
        return answer(shared, tr_id, When::AppKeyInvalid, "");
    }
    if !secret_ok(shared, appsecret) {
        return answer(shared, tr_id, When::AppSecretInvalid, "");
    }
    let auth = header(h, "authorization");
    let token = match auth.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => auth[7..].trim(),
        _ => "",
    };
    {
        let mut st = shared.lock();
        match st.tokens.get(token) {
            None => {
                drop(st);
                return answer(shared, tr_id, When::TokenInvalid, "");
            }
            Some(t) if t.app_key != appkey => {
                drop(st);
                return answer(shared, tr_id, When::TokenInvalid, "");
            }
            Some(t) if t.app_secret != appsecret => {
                drop(st);
                return answer(shared, tr_id, When::AppSecretInvalid, "");
            }
            Some(t) if t.expired || Instant::now() >= t.expires => {
                drop(st);
                return answer(shared, tr_id, When::TokenExpired, "");
            }
            Some(_) => {}
        }
        if let Some(limit) = shared.config.rate_limit_per_second
            && !st.admit(appkey, limit, shared.config.rate_window, Instant::now())
        {
            drop(st);
            return answer(shared, tr_id, When::RateLimited, "");
        }
    }
    // method and TR ID
    let method_ok = match plan.method {
        Method::Get => parts.method == hyper::Method::GET,
        Method::Post => parts.method == hyper::Method::POST,
    };
    if !method_ok {
        return answer(shared, tr_id, When::MethodNotAllowed, "");
    }
    let (real, demo) = plan.tr_lookup(tr_id);
    let variant = if shared.demo {
        match demo {
            Some(v) if plan.demo_ok => v,
            _ if real.is_some() || demo.is_some() => {
                return answer(shared, tr_id, When::RealOnlyInDemo, "");
            }
            _ => return answer(shared, tr_id, When::UnknownTrId, ""),
        }
    } else {
        match real {
            Some(v) => v,
            None if demo.is_some() => {
                return answer(shared, tr_id, When::DemoTrOnReal, "");
            }
            None => return answer(shared, tr_id, When::UnknownTrId, ""),
        }
    };
    if !body_ok {
        return answer(shared, tr_id, When::BodyNotJson, "");
    }
    // inputs: a required key must be present, and non-empty unless the catalog says KIS
    // accepts it empty
    if let Some(key) = missing {
        return answer(shared, tr_id, When::InputMissing, key);
    }
    for (i, inp) in plan.inputs.iter().enumerate() {
        let v = inputs[i].trim();
        if inp.required && !inp.empty_ok && v.is_empty() {
            return invalid(shared, tr_id, &inp.upper);
        }
        if let Some(vals) = &inp.values
            && !v.is_empty()
            && !vals.iter().any(|x| x == v)
        {
            return invalid(shared, tr_id, &inp.upper);
        }
    }
    // state
    let state_view = if plan.stateful {
        crate::orders::view(shared, plan, inputs)
    } else {
        None
    };
    let pages = if plan.paging.is_empty() || state_view.is_some() {
        1
    } else {
        shared.config.pages.max(1)
    };
    // page: a continuation needs tr_cont N, the keys and the values of the pages after the
    // first (`QRY_TP` P); without keys, or without those values, the request asks from the start
    // (KIS positions by the keys), as KIS's examples do when they repeat their first request
    let from_start = plan.paging.is_empty()
        || !tr_cont.eq_ignore_ascii_case("N")
        || plan
            .paging
            .iter()
            .all(|p| inputs[p.input].trim().is_empty())
        || plan
            .next_values
            .iter()
            .any(|(i, value)| inputs.get(*i).map(|v| v.trim()) != Some(value.as_str()));
    let page = if from_start {
        1
    } else {
        let mut page = None;
        for (k, p) in plan.paging.iter().enumerate() {
            match parse_page_key(qhash, k, &inputs[p.input]) {
                Some(pg) if pg >= 2 && pg <= pages && page.is_none_or(|x| x == pg) => {
                    page = Some(pg);
                }
                _ => return invalid(shared, tr_id, &plan.inputs[p.input].upper),
            }
        }
        match page {
            Some(p) => p,
            None => return invalid(shared, tr_id, "TR_CONT"),
        }
    };
    if !plan.paging.is_empty() {
        for f in take_faults(shared, tr_id, parts.uri.path(), false, Some(page)) {
            if let Fault::PagingDataChanged { .. } = f {
                return answer(shared, tr_id, When::PagingDataChanged, "");
            }
        }
    }
    let resp_tr_cont = if plan.paging.is_empty() {
        ""
    } else if page < pages {
        "M"
    } else {
        "D"
    };
    let req = ReqCtx { inputs, qhash };
    let variant_name = plan.variants.get(variant).map(String::as_str).unwrap_or("");
    // orders
    if plan.mutates {
        return match crate::orders::place(shared, plan, variant_name, tr_id, inputs) {
            Ok(rec) => {
                let generator = Generator::new(shared, plan, &req);
                let msg = order_msg(shared, rec.as_ref().map(|r| r.side));
                let body = generator.body(1, 1, None, rec.as_ref(), (&msg.code, &msg.msg1("")));
                respond(200, body, tr_id, resp_tr_cont, shared)
            }
            Err((when, detail)) => answer(shared, tr_id, when, &detail),
        };
    }
    let msg = query_msg(shared, plan.quote);
    let msg = (msg.code.as_str(), msg.msg1(""));
    if state_view.is_some() {
        let generator = Generator::new(shared, plan, &req);
        let body = generator.body(page, pages, state_view.as_ref(), None, (msg.0, &msg.1));
        return respond(200, body, tr_id, resp_tr_cont, shared);
    }
    let key = (plan_idx, page, canonical.to_string());
    if let Some(b) = shared.cached(&key) {
        return respond(200, b, tr_id, resp_tr_cont, shared);
    }
    let generator = Generator::new(shared, plan, &req);
    let body = Bytes::from(generator.body(page, pages, None, None, (msg.0, &msg.1)));
    shared.store_cache(key, body.clone());
    respond(200, body, tr_id, resp_tr_cont, shared)
}

/// The success answer of a query: quotes answer `quote_answered`, account queries
/// `query_answered` (or its demo form).
fn query_msg(shared: &Shared, quote: bool) -> &Answer {
    let when = if quote {
        When::QuoteAnswered
    } else if shared.demo {
        When::DemoQueryAnswered
    } else {
        When::QueryAnswered
    };
    shared.plans.answers.get(when)
}

/// The success answer of an order.
fn order_msg(shared: &Shared, side: Option<crate::control::OrderSide>) -> &Answer {
    use crate::control::OrderSide;
    let when = match (shared.demo, side) {
        (false, _) => When::OrderAccepted,
        (true, Some(OrderSide::Sell)) => When::DemoSellAccepted,
        (true, _) => When::DemoBuyAccepted,
    };
    shared.plans.answers.get(when)
}

fn auth(
    shared: &Arc<Shared>,
    role: AuthRole,
    method: &hyper::Method,
    h: &HeaderMap,
    body: &[u8],
) -> Resp {
    if method != hyper::Method::POST {
        return answer_auth(shared, When::AuthMethodNotAllowed);
    }
    match role {
        AuthRole::Hashkey => {
            if !key_ok(shared, header(h, "appkey")) {
                return answer(shared, "", When::AppKeyInvalid, "");
            }
            if !secret_ok(shared, header(h, "appsecret")) {
                return answer(shared, "", When::AppSecretInvalid, "");
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
                return answer_auth(shared, When::BodyNotJson);
            };
            shared.lock().stats.hashkeys += 1;
            let hash = hex(&Sha256::digest(body));
            let out = serde_json::json!({ "BODY": v, "HASH": hash });
            respond_auth(200, out.to_string())
        }
        AuthRole::Token | AuthRole::Approval | AuthRole::Revoke => {
            let Some(m) = json_map(body) else {
                return answer_auth(shared, When::AuthBodyNotJson);
            };
            let appkey = jstr(&m, "appkey");
            let secret_field = if role == AuthRole::Approval {
                "secretkey"
            } else {
                "appsecret"
            };
            let secret = jstr(&m, secret_field);
            if role != AuthRole::Revoke && jstr(&m, "grant_type") != "client_credentials" {
                return answer_auth(shared, When::AuthGrantTypeInvalid);
            }
            if !key_ok(shared, appkey) {
                return answer_auth(shared, When::AuthAppKeyInvalid);
            }
            if !secret_ok(shared, secret) {
                return answer_auth(shared, When::AuthAppSecretInvalid);
            }
            match role {
                AuthRole::Token => issue_token(shared, appkey, secret),
                AuthRole::Approval => {
                    let mut st = shared.lock();
                    st.token_counter += 1;
                    let n = st.token_counter;
                    let a = mix(shared.config.seed ^ 0xa9, n);
                    let b = mix(a, n);
                    let s = format!("{a:016x}{b:016x}");
                    let key = format!(
                        "{}-{}-{}-{}-{}",
                        &s[0..8],
                        &s[8..12],
                        &s[12..16],
                        &s[16..20],
                        &s[20..32]
                    );
                    st.approvals.insert(key.clone(), appkey.to_string());
                    st.stats.approvals_issued += 1;
                    drop(st);
                    let mut out = String::from("{\"approval_key\":");
                    push_json_str(&mut out, &key);
                    out.push('}');
                    respond_auth(200, out)
                }
                _ => {
                    let token = jstr(&m, "token");
                    let mut st = shared.lock();
                    let ok = st.tokens.get(token).is_some_and(|t| t.app_key == appkey);
                    if ok {
                        st.tokens.remove(token);
                        drop(st);
                        respond_auth(
                            200,
                            "{\"code\":200,\"message\":\"접근토큰 폐기에 성공하였습니다\"}",
                        )
                    } else {
                        drop(st);
                        answer_auth(shared, When::RevokeTokenInvalid)
                    }
                }
            }
        }
    }
}

fn issue_token(shared: &Arc<Shared>, appkey: &str, secret: &str) -> Resp {
    let now = Instant::now();
    let interval = shared.config.token_issue_interval;
    let mut st = shared.lock();
    if let Some(last) = st.last_issue.get(appkey)
        && now.duration_since(*last) < interval
    {
        st.stats.token_issue_refused += 1;
        drop(st);
        return answer_auth(shared, When::TokenIssueTooSoon);
    }
    st.token_counter += 1;
    let n = st.token_counter;
    let lifetime = shared.config.token_lifetime;
    let now_kst = kst_now();
    let expires_kst = i64::try_from(lifetime.as_secs())
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .and_then(|d| now_kst.checked_add_signed(d))
        .unwrap_or(now_kst);
    let claims = format!(
        "{{\"sub\":\"token\",\"aud\":\"{}\",\"prdt_cd\":\"\",\"iss\":\"kis-mock\",\"exp\":{},\"jti\":{n}}}",
        fnv(appkey.as_bytes()),
        expires_kst.and_utc().timestamp()
    );
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sig = Sha256::digest(format!("{claims}{}{}", shared.config.seed, n).as_bytes());
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.{}.{}",
        b64.encode(claims.as_bytes()),
        b64.encode(sig)
    );
    st.tokens.insert(
        token.clone(),
        TokenInfo {
            app_key: appkey.to_string(),
            app_secret: secret.to_string(),
            expires: now
                .checked_add(lifetime)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
            expired: false,
        },
    );
    st.last_issue.insert(appkey.to_string(), now);
    st.stats.tokens_issued += 1;
    drop(st);
    let mut out = String::from("{\"access_token\":");
    push_json_str(&mut out, &token);
    out.push_str(",\"access_token_token_expired\":");
    push_json_str(
        &mut out,
        &expires_kst.format("%Y-%m-%d %H:%M:%S").to_string(),
    );
    out.push_str(",\"token_type\":\"Bearer\",\"expires_in\":");
    out.push_str(&lifetime.as_secs().to_string());
    out.push('}');
    respond_auth(200, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%ZZ%4"), "%ZZ%4");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
        let r = raw_inputs(&hyper::Method::GET, Some("fid_input_iscd=005930&X&=1"), b"")
            .unwrap_or_default();
        assert_eq!(r[0], ("fid_input_iscd".to_string(), "005930".to_string()));
        assert_eq!(r[1], ("X".to_string(), String::new()));
        assert!(raw_inputs(&hyper::Method::POST, None, b"[1]").is_err());
        assert!(raw_inputs(&hyper::Method::POST, None, b"{\"a\":1}").is_ok());
    }
}
