//! The REST tools: `kis_search`, `kis_describe`, `kis_call`, `kis_order` and `kis_confirm`, on
//! the command line's by-name call path (`catalog::find`, `inputs::build`) and the client.

use std::time::Instant;

use futures_util::StreamExt;
use kis_api::meta::{EndpointKind, FieldMeta};
use kis_api::{DynamicReply, EndpointMeta};
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};

use super::args;
use super::confirm::{self, Refusal};
use super::reply;
use super::schemas::MAX_PAGES;
use super::server::{PendingOrder, State};
use crate::render::clean;
use crate::{Failure, catalog, inputs};

/// Answers for a failure or a result, in one type.
type Answer = Result<CallToolResult, Failure>;

/// `kis_search {query, limit?}`.
pub fn search(state: &State, a: &JsonObject) -> Answer {
    let query = args::required_str(a, "query")?;
    let limit = args::clamped(a, "limit", 10, 50)? as usize;
    let found = crate::lookup::search(
        query,
        catalog::endpoints().filter(|m| state.exposes(m)),
        limit,
    )?;
    let items: Vec<Value> = found
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.name,
                "group": m.group,
                "kind": m.kind.name(),
                "tr_ids": m.variants.iter().map(|v| v.real).collect::<Vec<_>>(),
                "demo": m.demo,
                "changes_state": m.mutates,
                "use": tool_for(m),
            })
        })
        .collect();
    let mut body = json!({"query": query, "count": items.len(), "endpoints": items});
    if found.is_empty() {
        body["hint"] = json!(
            "nothing matched; try a Korean name (현재가), an English word of the id (price), a TR ID or a group"
        );
    }
    Ok(reply::success(state.place(), body))
}

/// Which tool calls an endpoint.
fn tool_for(m: &EndpointMeta) -> &'static str {
    match (m.kind, m.mutates) {
        (EndpointKind::WebSocket, _) => "kis_watch",
        (EndpointKind::Auth, _) => "none (the server makes tokens and keys itself)",
        (_, true) => "kis_order, then kis_confirm",
        (_, false) => "kis_call",
    }
}

/// `kis_describe {endpoint}`.
pub fn describe(state: &State, a: &JsonObject) -> Answer {
    let meta = state.find(args::required_str(a, "endpoint")?)?;
    let mut body = catalog::describe_json(meta);
    body["use"] = json!(tool_for(meta));
    // the catalog's file path says nothing to an agent
    if let Value::Object(o) = &mut body {
        o.remove("source");
    }
    Ok(reply::success(state.place(), body))
}

/// A REST endpoint that `kis_call` may call, or why not.
fn callable(meta: &'static EndpointMeta) -> Result<(), Failure> {
    match meta.kind {
        EndpointKind::Rest if meta.mutates => Err(Failure::usage(format!(
            "{} ({}) changes state (an order); kis_call never sends it. Preview it with kis_order \
             and send it with kis_confirm",
            meta.id, meta.name
        ))),
        EndpointKind::Rest => Ok(()),
        EndpointKind::WebSocket => Err(Failure::usage(format!(
            "{} ({}) is a realtime TR; take a snapshot with kis_watch",
            meta.id, meta.name
        ))),
        EndpointKind::Auth => Err(Failure::usage(format!(
            "{} ({}) is made by the server itself (tokens, approval keys, hashkeys)",
            meta.id, meta.name
        ))),
    }
}

/// The request a tool call asks for, checked against the catalog as `kis call` checks it
/// (without `--force`), and the notes on values read as codes. A typed endpoint tool's
/// arguments are its inputs, except the tool's own (`own`); `kis_call` and `kis_order` take
/// them under `inputs`.
fn request(
    meta: &'static EndpointMeta,
    a: &JsonObject,
    typed: bool,
    own: &[&str],
) -> Result<(kis_api::DynamicRequest, Vec<String>), Failure> {
    let pairs = if typed {
        args::typed_inputs(a, own)?
    } else {
        args::inputs(a, "inputs")?
    };
    let mut notes = Vec::new();
    let request = inputs::build(
        meta,
        args::optional_str(a, "variant")?,
        &pairs,
        false,
        &mut notes,
    )?;
    Ok((request, notes))
}

/// `kis_call {endpoint, variant?, inputs, max_pages?, labels?}`, and a typed endpoint tool
/// of an endpoint that changes nothing (its arguments are the inputs).
pub async fn call(
    state: &State,
    meta: &'static EndpointMeta,
    a: &JsonObject,
    typed: bool,
) -> Answer {
    callable(meta)?;
    let (request, notes) = request(meta, a, typed, &["variant", "max_pages", "labels"])?;
    let max_pages = args::clamped(a, "max_pages", 1, MAX_PAGES)? as usize;
    let client = &state.target.client;
    let replies = if meta.is_paginated() && max_pages > 1 {
        let mut pages = client.call_dynamic_pages(request).take(max_pages);
        let mut out = Vec::new();
        while let Some(p) = pages.next().await {
            out.push(p?);
        }
        out
    } else {
        vec![client.call_dynamic(&request).await?]
    };
    let mut body = result_body(meta, &replies, args::flag(a, "labels"));
    if meta.is_paginated() {
        body["more_pages"] = json!(replies.last().is_some_and(DynamicReply::has_more));
    }
    if !notes.is_empty() {
        body["notes"] = json!(notes);
    }
    Ok(reply::success(state.place(), body))
}

/// A reply as compact typed JSON: KIS's message, the data under wire names (decimals as exact
/// strings, personal data as `***`), Korean labels on request, and the paths the catalog does
/// not describe (their values are not repeated: they may be anything).
fn result_body(meta: &'static EndpointMeta, replies: &[DynamicReply], labels: bool) -> Value {
    let all = |_: &FieldMeta| true;
    let data = crate::export::typed_json(meta, replies, &all);
    let last = replies.last();
    let mut body = json!({
        "endpoint": meta.id,
        "name": meta.name,
        "tr_id": last.map(|r| r.tr_id),
        "msg_cd": last.map(|r| clean(r.envelope.msg_cd.trim())),
        "message": last.map(|r| clean(r.envelope.msg1.trim())),
        "pages": replies.len(),
        "data": serde_json::to_value(&data).unwrap_or(Value::Null),
    });
    if labels {
        let mut map = serde_json::Map::new();
        for f in meta
            .body
            .iter()
            .chain(meta.blocks.iter().flat_map(|b| b.fields.iter()))
        {
            map.insert(f.wire.to_string(), json!(f.label));
        }
        body["labels"] = Value::Object(map);
    }
    let unknown: Vec<String> = replies
        .iter()
        .flat_map(|r| r.unrecognized.iter().map(|u| clean(&u.path())))
        .collect();
    if !unknown.is_empty() {
        body["not_in_catalog"] = json!(unknown);
    }
    body
}

/// An account number with all but its last two digits hidden: `******45-01`.
fn masked(account: &kis_api::Account) -> String {
    let n = account.number();
    let shown = n.len().saturating_sub(2);
    format!(
        "{}{}-{}",
        "*".repeat(shown),
        n.get(shown..).unwrap_or(""),
        account.product()
    )
}

/// `kis_order {endpoint, variant?, inputs}`, and a typed endpoint tool of an order.
pub fn order(state: &State, meta: &'static EndpointMeta, a: &JsonObject, typed: bool) -> Answer {
    if meta.kind != EndpointKind::Rest || !meta.mutates {
        return Err(Failure::usage(format!(
            "{} ({}) changes nothing; call it with kis_call (kis_order is for orders)",
            meta.id, meta.name
        )));
    }
    let (request, notes) = request(meta, a, typed, &["variant"])?;
    let place = state.place();
    let variant = meta.variants.get(request.variant_index());
    let (variant_name, variant_label) = variant.map_or(("", ""), |v| (v.name, v.label));
    let Some(tr_id) = meta.tr_id(request.variant_index(), place.env) else {
        let variant = (meta.variants.len() > 1).then_some(variant_name);
        return Err(Failure::Api(kis_api::Error::NotInDemo {
            endpoint: meta.id,
            name: meta.name,
            variant,
        }));
    };
    let account = state.target.client.account(meta.account).map(masked);
    let sent: Vec<Value> = meta
        .request
        .iter()
        .filter_map(|f| {
            let value = match (request.value(f.wire), catalog::filled_by(f)) {
                (Some(v), _) => v.to_string(),
                (None, Some(by)) if by.starts_with("account") => {
                    format!("(filled by the server: {by})")
                }
                (None, Some(_)) => return None,
                (None, None) => f.default.unwrap_or("").to_string(),
            };
            let label = f.values.iter().find(|v| v.value == value).map(|v| v.label);
            Some(json!({"input": f.wire, "label": f.label, "value": value, "meaning": label}))
        })
        .collect();
    let id = confirm::fresh_id().map_err(Failure::Runtime)?;
    let valid = {
        let mut table = state.lock_confirmations();
        table
            .issue(
                id.clone(),
                PendingOrder { meta, request },
                place.env,
                Instant::now(),
            )
            .map_err(|r| Failure::usage(r.message()))?;
        table.valid_for().as_secs()
    };
    let refusal = state.allowance().refusal(place.env);
    let body = json!({
        "preview": {
            "endpoint": meta.id,
            "name": meta.name,
            "variant": variant_name,
            "variant_label": variant_label,
            "tr_id": tr_id,
            "method": meta.method.map(|m| m.name()),
            "path": meta.path,
            "account": account,
            "inputs": sent,
        },
        "sent": false,
        "confirmation": id,
        "expires_in_seconds": valid,
        "can_confirm": refusal.is_none(),
        "next": match refusal {
            None => "call kis_confirm with this confirmation to send the order once".to_string(),
            Some(r) => r.message(),
        },
        "notes": notes,
    });
    Ok(reply::success(place, body))
}

/// `kis_confirm {confirmation}`: the order sent once through the client (which never resends
/// an order), or why not.
pub async fn confirm(state: &State, a: &JsonObject) -> Answer {
    let id = args::required_str(a, "confirmation")?.trim();
    if id.len() > 64 {
        return Err(Failure::usage(Refusal::Unknown.message()));
    }
    let env = state.place().env;
    let redeemed = state
        .lock_confirmations()
        .redeem(id, env, state.allowance(), Instant::now());
    let PendingOrder { meta, request } = match redeemed {
        Ok(o) => o,
        Err(r) => return Ok(refused(state, r)),
    };
    tracing::info!(target: "kis", "kis_confirm: sending {} once", meta.id);
    // an order that may have reached KIS fails as `OutcomeUnknown`, never resent: its message
    // says to inquire before ordering again
    let reply = state.target.client.call_dynamic(&request).await?;
    let mut body = result_body(meta, std::slice::from_ref(&reply), false);
    body["sent"] = json!(true);
    Ok(reply::success(state.place(), body))
}

/// A refused confirmation as a tool error.
fn refused(state: &State, r: Refusal) -> CallToolResult {
    let hint = match r {
        Refusal::OrdersNotAllowed => Some("restart the server with --allow-orders to send orders"),
        Refusal::RealOrdersNotAllowed => Some(
            "restart the server with --allow-orders --allow-real-orders, or use the demo \
             environment (--demo)",
        ),
        _ => None,
    };
    reply::error(state.place(), &r.message(), None, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_masked_but_for_the_last_two_digits() {
        let a = kis_api::Account::parse("50012345-01").unwrap();
        assert_eq!(masked(&a), "******45-01");
    }

    #[test]
    fn orders_are_refused_by_kis_call_and_queries_by_kis_order() {
        let order = catalog::find("domestic_stock.order_cash").unwrap();
        let quote = catalog::find("domestic_stock.inquire_price").unwrap();
        let e = callable(order).err().unwrap().to_string();
        assert!(e.contains("kis_order"), "{e}");
        assert!(callable(quote).is_ok());
        let ws = catalog::find("H0STCNT0").unwrap();
        assert!(
            callable(ws)
                .err()
                .unwrap()
                .to_string()
                .contains("kis_watch")
        );
    }
}
