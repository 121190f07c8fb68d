//! The generated API surface in one line per endpoint: what a reviewer reads to see what a
//! catalog change adds, removes or changes.

use std::fmt::Write;

use crate::model::{Catalog, Endpoint, EndpointKind, FillSource, Shape};
use kis_catalog::ValueType;

/// The Rust type a request input of type `t` takes.
fn rust_type(t: ValueType) -> &'static str {
    match t {
        ValueType::Text | ValueType::Code => "String",
        ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate => "Decimal",
        ValueType::Quantity => "u64",
        ValueType::Integer => "i64",
        ValueType::Date | ValueType::DateTime => "NaiveDate",
        ValueType::Time => "NaiveTime",
        ValueType::YesNo => "bool",
    }
}

/// `real|demo` per variant (`real` alone when both are the same, `real|-` without demo).
fn tr_ids(e: &Endpoint) -> String {
    let v: Vec<String> =
        e.tr.variants
            .iter()
            .map(|v| match &v.demo {
                Some(d) if d == &v.real => v.real.clone(),
                Some(d) => format!("{}|{}", v.real, d),
                None => format!("{}|-", v.real),
            })
            .collect();
    v.join(",")
}

/// One line per endpoint: id, kind, TR IDs (real|demo), the call and what it returns.
pub fn api_surface(catalog: &Catalog) -> String {
    let mut out = String::new();
    for e in &catalog.endpoints {
        let line = match e.kind {
            EndpointKind::Rest => rest_line(e),
            EndpointKind::WebSocket => websocket_line(e),
            EndpointKind::Auth => auth_line(e),
        };
        let _ = writeln!(out, "{} {line}", e.qualified_id);
    }
    out
}

/// `GET <TR IDs> (<constructor args>) +N setters -> {<blocks>} [notes]`.
fn rest_line(e: &Endpoint) -> String {
    let setters = e
        .request
        .iter()
        .filter(|f| !f.is_constructor_arg() && !f.paging)
        .count();
    let blocks: Vec<String> = e
        .response
        .blocks
        .iter()
        .map(|b| match b.shape {
            Shape::Object => format!(
                "{}: Option<{}>[{}]",
                b.rust_name,
                b.type_name,
                b.fields.len()
            ),
            Shape::Array => {
                format!("{}: Vec<{}>[{}]", b.rust_name, b.type_name, b.fields.len())
            }
        })
        .collect();
    let notes = rest_notes(e);
    format!(
        "{} {} ({}){} -> {{{}}}{}",
        e.method.map(|m| m.name()).unwrap_or(""),
        tr_ids(e),
        constructor_args(e).join(", "),
        if setters > 0 {
            format!(" +{setters} setters")
        } else {
            String::new()
        },
        blocks.join(", "),
        if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        }
    )
}

/// `Request::new`'s arguments: the TR ID selector when it has no default, then required inputs.
fn constructor_args(e: &Endpoint) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    if let Some(s) = &e.tr.selector
        && s.default.is_none()
    {
        let names: Vec<&str> = e.tr.variants.iter().map(|v| v.rust_name.as_str()).collect();
        args.push(format!(
            "{}: {}{{{}}}",
            s.param,
            s.type_name,
            names.join("|")
        ));
    }
    for f in e.constructor_fields() {
        let t = f.enum_type().unwrap_or(rust_type(f.ty));
        args.push(format!("{}: {}", f.rust_name, t));
    }
    args
}

/// What sets a REST endpoint apart: real-only, mutates, pages, takes the account.
fn rest_notes(e: &Endpoint) -> Vec<&'static str> {
    let takes_account = e
        .request
        .iter()
        .any(|f| f.fill == Some(FillSource::AccountNumber));
    let mut notes = Vec::new();
    if !e.demo {
        notes.push("real-only");
    }
    if e.mutates {
        notes.push("mutates");
    }
    if e.is_paginated() {
        notes.push("pages");
    }
    if takes_account {
        notes.push("account");
    }
    notes
}

/// `WS <TR IDs> -> Record<'_>[columns] [encrypted] [real-only]`.
fn websocket_line(e: &Endpoint) -> String {
    let r = e.realtime.as_ref();
    format!(
        "WS {} -> Record<'_>[{}]{}{}",
        tr_ids(e),
        r.map(|r| r.columns.len()).unwrap_or(0),
        if r.is_some_and(|r| r.encrypted) {
            " [encrypted]"
        } else {
            ""
        },
        if e.demo { "" } else { " [real-only]" }
    )
}

/// `POST <path> -> {<body fields>} [client runtime]`.
fn auth_line(e: &Endpoint) -> String {
    let body: Vec<&str> = e
        .response
        .body
        .iter()
        .map(|f| f.rust_name.as_str())
        .collect();
    format!(
        "{} {} -> {{{}}} [client runtime]",
        e.method.map(|m| m.name()).unwrap_or(""),
        e.path,
        body.join(", ")
    )
}

/// How typed the requests are: `Request::new` parameters (all, and `String` ones), and request
/// fields with a closed value set (two or more known values other than a yes/no pair), of which
/// enums. Issue 12 measures its progress with these counts.
pub fn request_type_counts(catalog: &Catalog) -> String {
    let (mut params, mut strings, mut closed, mut enums) = (0, 0, 0, 0);
    for e in catalog
        .endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::Rest)
    {
        for f in e.request.iter().filter(|f| !f.paging) {
            if f.is_constructor_arg() {
                params += 1;
                if f.enum_type().is_none() && rust_type(f.ty) == "String" {
                    strings += 1;
                }
            }
            let yes_no = f
                .values
                .iter()
                .all(|v| matches!(v.value.as_str(), "Y" | "N" | ""));
            if f.enum_type().is_some() || (f.values.len() >= 2 && !yes_no) {
                closed += 1;
                if f.enum_type().is_some() {
                    enums += 1;
                }
            }
        }
    }
    format!(
        "constructor parameters: {params}, of which String: {strings}\n\
         fields with a closed value set: {closed}, of which enums: {enums}\n"
    )
}
