//! Faults applied around an answer: the ones taken before processing (delay, status, drop),
//! the extra keys added after it, and answers replayed from a recording.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;

use super::{Resp, answer, envelope, header, respond};
use crate::error_table::When;
use crate::fault::{Fault, FaultTarget};
use crate::state::Shared;

/// Applies the matching faults of the pre-processing stage; returns (delay, terminal fault,
/// drop-after).
pub(super) fn take_faults(
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
pub(super) enum Pre {
    Continue { drop_after: bool },
    Respond(Resp),
    Drop,
}

pub(super) async fn apply_pre(shared: &Shared, faults: Vec<Fault>, tr: &str) -> Pre {
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

/// The recorded answer to a request, or KIS's answer to an invalid input when none matches.
pub(super) fn replayed(
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
pub(super) async fn with_extra_keys(resp: Resp, extras: &[Fault]) -> Resp {
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
