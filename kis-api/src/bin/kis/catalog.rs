//! `kis list` and `kis describe`, and finding endpoints, inputs and values by name with
//! suggestions for near misses.

use kis_api::meta::{AccountKind, EndpointKind, Shape, TrKeyMeaning};
use kis_api::{ENDPOINTS, EndpointMeta};
use serde_json::{Value, json};

use crate::Failure;
// callers name these through `catalog::` (they were here before finding got its own file)
pub use crate::lookup::{
    check_name, did_you_mean, field_position, find, names_field, nearest, normalize, shown,
};
use crate::render::{Table, heading};

/// Every endpoint of the catalog compiled into this binary.
pub fn endpoints() -> impl Iterator<Item = &'static EndpointMeta> {
    ENDPOINTS.iter().copied()
}

/// The API groups, in catalog order.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for m in endpoints() {
        if !out.contains(&m.group) {
            out.push(m.group);
        }
    }
    out
}

fn method_name(m: &EndpointMeta) -> &'static str {
    match (m.kind, m.method) {
        (EndpointKind::WebSocket, _) => "WS",
        (_, Some(method)) => method.name(),
        (_, None) => "-",
    }
}

/// The TR IDs of one environment, at most two named (`kis describe` lists them all).
fn tr_ids(m: &EndpointMeta, demo: bool) -> String {
    let ids: Vec<&str> = m
        .variants
        .iter()
        .map(|v| if demo { v.demo.unwrap_or("-") } else { v.real })
        .collect();
    match ids.as_slice() {
        [] => "-".to_string(),
        [a] => a.to_string(),
        [a, b] => format!("{a},{b}"),
        [a, b, rest @ ..] => format!("{a},{b} +{}", rest.len()),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "-" }
}

/// `kis list [group] [--json]`.
pub fn list(group: Option<&str>, json: bool) -> Result<(), Failure> {
    let group = match group {
        None => None,
        Some(raw) => {
            check_name("group", raw)?;
            let g = normalize(raw);
            let all = groups();
            match all.iter().find(|x| **x == g) {
                Some(found) => Some(*found),
                None => {
                    let near = nearest(&g, all.iter().copied(), 3);
                    let hint = did_you_mean(&near)
                        .unwrap_or_else(|| format!("groups: {}", all.join(", ")));
                    return Err(Failure::usage(format!("unknown group '{raw}'; {hint}")));
                }
            }
        }
    };
    let selected: Vec<&EndpointMeta> = endpoints()
        .filter(|m| group.is_none_or(|g| m.group == g))
        .collect();
    if json {
        let items: Vec<Value> = selected.iter().map(|m| summary_json(m)).collect();
        outln!("{}", pretty(&Value::Array(items)));
        return Ok(());
    }
    let mut t = Table::new(&[
        "id",
        "name",
        "method",
        "TR ID (real)",
        "TR ID (demo)",
        "demo",
        "pages",
    ]);
    for m in &selected {
        t.row(vec![
            m.id.to_string(),
            m.name.to_string(),
            method_name(m).to_string(),
            tr_ids(m, false),
            tr_ids(m, true),
            yes(m.demo).to_string(),
            yes(m.is_paginated()).to_string(),
        ]);
    }
    out!("{}", t.render());
    let demo = selected.iter().filter(|m| m.demo).count();
    outln!(
        "\n{} endpoints, {demo} served in demo (모의투자). `kis describe <id>` shows one.",
        selected.len()
    );
    Ok(())
}

fn kind_name(m: &EndpointMeta) -> &'static str {
    m.kind.name()
}

fn summary_json(m: &EndpointMeta) -> Value {
    json!({
        "id": m.id,
        "group": m.group,
        "name": m.name,
        "api_code": m.api_code,
        "kind": kind_name(m),
        "method": method_name(m),
        "path": m.path,
        "tr_ids": m.variants.iter().map(|v| json!({
            "variant": v.name, "label": v.label, "real": v.real, "demo": v.demo,
        })).collect::<Vec<_>>(),
        "demo": m.demo,
        "paginated": m.is_paginated(),
        "mutates": m.mutates,
    })
}

/// Pretty JSON; serializing a `Value` cannot fail, but never panic if it did.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn account_name(a: AccountKind) -> Option<&'static str> {
    match a {
        AccountKind::None => None,
        AccountKind::Stock => Some("stock account (KIS_ACCOUNT, --account)"),
        AccountKind::DomesticFutures => Some("futures account (KIS_FUTURES_ACCOUNT)"),
        AccountKind::OverseasFutures => {
            Some("overseas futures account (KIS_OVERSEAS_FUTURES_ACCOUNT)")
        }
    }
}

/// How the client fills an input: from the account, by the paginator, or not at all.
pub fn filled_by(f: &kis_api::meta::RequestFieldMeta) -> Option<&'static str> {
    match f.fill {
        Some(kis_api::meta::FillSource::AccountNumber) => Some("account number"),
        Some(kis_api::meta::FillSource::AccountProductCode) => Some("account product code"),
        Some(kis_api::meta::FillSource::HtsId) => Some("HTS id"),
        None if f.paging => Some("paginator"),
        None => None,
    }
}

/// `kis describe <endpoint> [--json]`.
pub fn describe(query: &str, json: bool) -> Result<(), Failure> {
    let m = find(query)?;
    if json {
        outln!("{}", pretty(&describe_json(m)));
        return Ok(());
    }
    let mut out = String::new();
    out.push_str(&format!("{}  {}", m.id, m.name));
    if let Some(code) = m.api_code {
        out.push_str(&format!("  [{code}]"));
    }
    out.push('\n');
    match m.kind {
        EndpointKind::WebSocket => out.push_str(&format!("realtime (WebSocket) {}\n", m.path)),
        _ => out.push_str(&format!("{} {}\n", method_name(m), m.path)),
    }
    let mut facts = vec![
        format!(
            "demo (모의투자): {}",
            if m.demo { "served" } else { "not served" }
        ),
        format!("paginated: {}", if m.is_paginated() { "yes" } else { "no" }),
    ];
    if m.mutates {
        facts.push("changes state (an order): never resent".to_string());
    }
    if let Some(a) = account_name(m.account) {
        facts.push(format!("account: {a}"));
    }
    out.push_str(&facts.join("   "));
    out.push('\n');

    if m.kind == EndpointKind::Auth {
        out.push_str(
            "made by the client itself (access tokens, WebSocket approval keys, hashkeys): \
             kis and the library call it on the way, never `kis call`\n",
        );
    } else {
        out.push_str(&heading("TR IDs"));
        let mut t = Table::new(&["variant", "label", "real", "demo", "also accepted"]);
        for v in m.variants {
            t.row(vec![
                v.name.to_string(),
                v.label.to_string(),
                v.real.to_string(),
                v.demo.unwrap_or("-").to_string(),
                v.aliases.join(", "),
            ]);
        }
        out.push_str(&t.render());
    }
    if m.variants.len() > 1 {
        out.push_str(&format!(
            "choose with --variant <variant>{}\n",
            m.selector.map(|s| format!(" ({s})")).unwrap_or_default()
        ));
    }

    if m.kind == EndpointKind::WebSocket {
        let key = match m.tr_key {
            Some(TrKeyMeaning::HtsId) => "your HTS id",
            _ => "a product code such as 005930",
        };
        out.push_str(&heading(&format!(
            "Columns ({}, ^-separated{})",
            m.columns.len(),
            if m.encrypted { ", encrypted" } else { "" }
        )));
        out.push_str(&fields_table(m.columns).render());
        out.push_str(&format!(
            "\nkey: {key}\nexample: kis watch {} {}\n",
            m.variants.first().map(|v| v.real).unwrap_or(m.id),
            if m.tr_key == Some(TrKeyMeaning::HtsId) {
                "<HTS id>"
            } else {
                "005930"
            }
        ));
        out!("{out}");
        return Ok(());
    }

    out.push_str(&heading(&format!("Inputs ({})", m.request.len())));
    let mut t = Table::new(&["input", "label", "required", "default", "known values"]);
    for f in m.request {
        let required = match (f.must_be_given(), filled_by(f)) {
            (true, _) => "yes".to_string(),
            (false, Some(by)) => format!("filled: {by}"),
            (false, None) if f.required => "has default".to_string(),
            (false, None) => "-".to_string(),
        };
        let default = match f.default {
            Some("") => "\"\"".to_string(),
            Some(d) => d.to_string(),
            None => String::new(),
        };
        t.row(vec![
            f.wire.to_string(),
            f.label.to_string(),
            required,
            default,
            values_text(f.values),
        ]);
    }
    out.push_str(&t.render());

    if !m.body.is_empty() {
        out.push_str(&heading("Output: top-level fields"));
        out.push_str(&fields_table(m.body).render());
    }
    for b in m.blocks {
        let shape = match b.shape {
            Shape::Object => "object",
            Shape::Array => "array",
        };
        out.push_str(&heading(&format!(
            "Output: {} ({shape}, {} fields)",
            b.wire,
            b.fields.len()
        )));
        out.push_str(&fields_table(b.fields).render());
    }
    if !m.pagination.is_empty() {
        let keys: Vec<String> = m
            .pagination
            .iter()
            .map(|k| match (k.next, k.block) {
                (Some(fixed), _) => format!("{}={fixed} after the first page", k.request),
                (None, Some(b)) => format!("{} <- {b}.{}", k.request, k.response),
                (None, None) => format!("{} <- {}", k.request, k.response),
            })
            .collect();
        out.push_str(&format!(
            "\ncontinuation: {} (kis call --all follows them)\n",
            keys.join(", ")
        ));
    }
    if m.kind == EndpointKind::Rest {
        out.push_str(&format!("\nexample: {}\n", example_call(m)));
    }
    out!("{out}");
    Ok(())
}

/// `J=KRX (Krx), NX=NXT (Nxt), ...`: each value, its label and the Rust enum variant that
/// sends it (the command line takes any of the three).
pub fn values_text(values: &[kis_api::meta::ValueMeta]) -> String {
    values
        .iter()
        .map(|v| {
            let mut s = v.value.to_string();
            if !v.label.is_empty() {
                s.push('=');
                s.push_str(v.label);
            }
            if !v.name.is_empty() {
                s.push_str(&format!(" ({})", v.name));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fields_table(fields: &[kis_api::meta::FieldMeta]) -> Table {
    let mut t = Table::new(&["field", "label", "type"]);
    for f in fields {
        t.row(vec![
            f.wire.to_string(),
            f.label.to_string(),
            f.ty.name().to_string(),
        ]);
    }
    t
}

/// A `kis call` line with every input that must be given.
fn example_call(m: &EndpointMeta) -> String {
    let mut parts = vec!["kis call".to_string(), m.id.to_string()];
    if m.variants.len() > 1
        && let Some(v) = m.variants.first()
    {
        parts.push(format!("--variant {}", v.name));
    }
    for f in m.request.iter().filter(|f| f.must_be_given()) {
        let v = f
            .values
            .first()
            .map(|v| v.value.to_string())
            .unwrap_or_else(|| format!("<{}>", f.label.replace(' ', "")));
        parts.push(format!("{}={v}", f.wire));
    }
    if m.is_paginated() {
        parts.push("--all".to_string());
    }
    parts.join(" ")
}

/// An endpoint as `kis describe --json` shows it: inputs with value sets, TR IDs, outputs.
pub fn describe_json(m: &EndpointMeta) -> Value {
    let mut v = summary_json(m);
    let fields = |fs: &[kis_api::meta::FieldMeta]| -> Vec<Value> {
        fs.iter()
            .map(|f| json!({"wire": f.wire, "label": f.label, "type": f.ty.name()}))
            .collect()
    };
    if let Value::Object(o) = &mut v {
        o.insert(
            "inputs".into(),
            Value::Array(
                m.request
                    .iter()
                    .map(|f| {
                        json!({
                            "wire": f.wire,
                            "label": f.label,
                            "required": f.required,
                            "must_be_given": f.must_be_given(),
                            "default": f.default,
                            "type": f.ty.name(),
                            "filled_by": filled_by(f),
                            "values": f.values.iter().map(|x| json!({"value": x.value, "label": x.label, "name": x.name})).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        );
        o.insert("selector".into(), json!(m.selector));
        o.insert("body".into(), Value::Array(fields(m.body)));
        o.insert(
            "blocks".into(),
            Value::Array(
                m.blocks
                    .iter()
                    .map(|b| {
                        json!({
                            "wire": b.wire,
                            "aliases": b.aliases,
                            "shape": match b.shape { Shape::Object => "object", Shape::Array => "array" },
                            "fields": fields(b.fields),
                        })
                    })
                    .collect(),
            ),
        );
        o.insert(
            "pagination".into(),
            Value::Array(
                m.pagination
                    .iter()
                    .map(|k| json!({"request": k.request, "block": k.block, "response": k.response, "next": k.next}))
                    .collect(),
            ),
        );
        if m.kind == EndpointKind::WebSocket {
            o.insert("columns".into(), Value::Array(fields(m.columns)));
            o.insert("encrypted".into(), json!(m.encrypted));
            o.insert(
                "tr_key".into(),
                json!(match m.tr_key {
                    Some(TrKeyMeaning::HtsId) => Some("hts_id"),
                    Some(TrKeyMeaning::Symbol) => Some("symbol"),
                    None => None,
                }),
            );
        }
        o.insert("source".into(), json!(m.source));
    }
    v
}
