//! A request to a catalog endpoint: KIS's checks (token, app key, TR ID, inputs), rate limit,
//! pagination, orders and the success messages.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::StatusCode;
use kis_catalog::model::Method;

use super::auth::{key_ok, secret_ok};
use super::faults::{Pre, apply_pre, take_faults, with_extra_keys};
use super::{Dropped, Resp, answer, header, invalid, respond};
use crate::endpoint_plan::RestPlan;
use crate::error_table::{Answer, When};
use crate::fault::Fault;
use crate::observed::RequestRecord;
use crate::orders::order_request_key;
use crate::state::Shared;
use crate::success_body::{Generator, ReqCtx, parse_page_key};
use crate::values::{fnv, mix};

/// A REST request to a catalog endpoint (or an unknown path).
pub(super) async fn rest_request(
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
fn order_msg(shared: &Shared, side: Option<crate::observed::OrderSide>) -> &Answer {
    use crate::observed::OrderSide;
    let when = match (shared.demo, side) {
        (false, _) => When::OrderAccepted,
        (true, Some(OrderSide::Sell)) => When::DemoSellAccepted,
        (true, _) => When::DemoBuyAccepted,
    };
    shared.plans.answers.get(when)
}
