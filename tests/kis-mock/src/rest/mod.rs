//! The REST side: the connection loop, dispatch of each request (auth endpoint, replay or
//! catalog endpoint, then the recording), and the responses with KIS's headers.

mod auth;
mod endpoint;
mod faults;
mod request;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::error_table::When;
use crate::header_case::CaseIo;
use crate::record::Recorded;
use crate::state::Shared;
use crate::values::push_json_str;
use auth::auth;
use endpoint::rest_request;
use faults::{Pre, apply_pre, replayed, take_faults};
use request::{raw_inputs, read_body, too_large};

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

/// An input error (KIS: `rt_cd` "2", `OPSQ2001`, "ERROR INVALID <KEY>").
fn invalid(shared: &Shared, tr_id: &str, key: &str) -> Resp {
    answer(shared, tr_id, When::InputInvalid, key)
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
