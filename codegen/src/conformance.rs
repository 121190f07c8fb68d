//! Generated conformance calls: one typed call per REST endpoint of a catalog, with sample inputs.
//! The integration suite runs them against `kis-mock`, which proves every generated method, request
//! writer and response decoder works end to end. Only what depends on the catalog is generated;
//! the types and helpers it uses (`Outcome`, `Summary`, `summarize_pages`, `RealtimeTrInfo`,
//! `FrameCheck`, `spawn_checks`) are written by hand in the integration crate.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::emit::ident;
use crate::model::*;
use kis_catalog::ValueType;

fn sample_symbol(group: &str) -> &'static str {
    match group {
        "domestic_bond" => "KR2033022D33",
        "domestic_futureoption" => "101W09",
        "elw" => "58J297",
        "etfetn" => "069500",
        "overseas_stock" => "AAPL",
        "overseas_futureoption" => "CNHZ25",
        _ => "005930",
    }
}

/// A sample value for a text request field.
fn sample_text(e: &Endpoint, f: &RequestField) -> String {
    if let Some(v) = f.values.iter().find(|v| !v.value.is_empty()) {
        return v.value.clone();
    }
    let w = f.wire.to_ascii_uppercase();
    if w.contains("ISCD")
        || w.contains("PDNO")
        || w.starts_with("SYMB")
        || w.contains("SRS_CD")
        || w == "SHT_CD"
    {
        return sample_symbol(&e.group).to_string();
    }
    if w.ends_with("_DT") || w.contains("DATE") || w == "F_DT" || w == "T_DT" {
        return "20240102".to_string();
    }
    if w.contains("HOUR") || w.ends_with("_TM") {
        return "093000".to_string();
    }
    "1".to_string()
}

fn sample_arg(catalog: &Catalog, e: &Endpoint, f: &RequestField, api: &TokenStream) -> TokenStream {
    if let Some(en) = f
        .enum_name
        .as_deref()
        .and_then(|n| catalog.common.code_enum(n))
    {
        let pick = f
            .values
            .iter()
            .find_map(|v| en.members.iter().find(|m| m.value == v.value))
            .or_else(|| en.members.first());
        let t = format_ident!("{}", en.name);
        return match pick {
            Some(m) => {
                let v = format_ident!("{}", m.rust_name);
                quote!(#api::codes::#t::#v)
            }
            None => quote!(#api::codes::#t::Other(::std::borrow::Cow::Borrowed("1"))),
        };
    }
    if let Some(en) = &f.local_enum {
        let (group, module) = (ident(&e.group), ident(&crate::names::field_ident(&e.id)));
        let t = format_ident!("{}", en.name);
        return match en.members.first() {
            Some(m) => {
                let v = format_ident!("{}", m.rust_name);
                quote!(#api::#group::#module::#t::#v)
            }
            None => quote!(#api::#group::#module::#t::Other(::std::borrow::Cow::Borrowed("1"))),
        };
    }
    match f.ty {
        ValueType::Text | ValueType::Code => {
            let s = Literal::string(&sample_text(e, f));
            quote!(#s)
        }
        ValueType::Quantity => quote!(1u64),
        ValueType::Integer => quote!(1i64),
        ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate => {
            quote!(#api::Decimal::new(71900, 0))
        }
        ValueType::Date | ValueType::DateTime => {
            quote!(#api::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap_or_default())
        }
        ValueType::Time => quote!(#api::NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default()),
        ValueType::YesNo => quote!(true),
    }
}

/// Source of `call_every_query(client)` and `call_every_mutation(client)`, each returning a
/// `Vec<Outcome>`, for `catalog`, reaching the bindings at `api` (`::kis_api`).
pub fn conformance_calls(catalog: &Catalog, api: &str) -> String {
    let api: TokenStream = api.parse().unwrap_or_else(|_| quote!(::kis_api));
    let call = |e: &Endpoint| {
        let group = ident(&e.group);
        let module = ident(&crate::names::field_ident(&e.id));
        let id = Literal::string(&e.qualified_id);
        let mut args = Vec::new();
        if let Some(s) = &e.tr.selector
            && s.default.is_none()
        {
            let t = format_ident!("{}", s.type_name);
            let v = format_ident!("{}", e.tr.variants[0].rust_name);
            args.push(quote!(#api::#group::#module::#t::#v));
        }
        for f in e.constructor_fields() {
            args.push(sample_arg(catalog, e, f, &api));
        }
        let summary = e.response.blocks.iter().map(|b| {
            let n = ident(&b.rust_name);
            let w = Literal::string(&b.wire);
            match b.shape {
                Shape::Object => quote!((#w, usize::from(r.#n.is_some()))),
                Shape::Array => quote!((#w, r.#n.len())),
            }
        });
        let summarize = quote! {
            |r: &#api::#group::#module::Response| -> ::std::vec::Vec<(&'static str, usize)> { ::std::vec![#(#summary),*] }
        };
        let request = quote!(#api::#group::#module::Request::new(#(#args),*));
        if e.is_paginated() {
            quote! {
                {
                    let summarize = #summarize;
                    let result = client.#group().#module(#request).all().await.map(|pages| summarize_pages(&pages, summarize));
                    out.push(Outcome { id: #id, result });
                }
            }
        } else {
            quote! {
                {
                    let summarize = #summarize;
                    let result = client.#group().#module(#request).await.map(|r| Summary { pages: 1, rows: summarize(&r) });
                    out.push(Outcome { id: #id, result });
                }
            }
        }
    };
    let rest = || {
        catalog
            .endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Rest)
    };
    let queries: Vec<TokenStream> = rest().filter(|e| !e.mutates).map(call).collect();
    let mutations: Vec<TokenStream> = rest().filter(|e| e.mutates).map(call).collect();
    let tokens = quote! {
        /// Calls every REST query of the catalog once, through the generated methods, with sample
        /// inputs; paginated endpoints are followed to their last page.
        pub async fn call_every_query(client: &#api::Client<#api::AnyEnv>) -> ::std::vec::Vec<Outcome> {
            let mut out = ::std::vec::Vec::new();
            #(#queries)*
            out
        }

        /// Calls every state-changing REST endpoint (orders) of the catalog once, with sample inputs.
        pub async fn call_every_mutation(client: &#api::Client<#api::AnyEnv>) -> ::std::vec::Vec<Outcome> {
            let mut out = ::std::vec::Vec::new();
            #(#mutations)*
            out
        }
    };
    crate::emit::format(
        tokens,
        "// @generated by kis-codegen: one typed call per REST endpoint, for the integration suite.",
    )
}

/// Source of the realtime conformance calls for `catalog`, reaching the bindings at `api`: the
/// table `REALTIME_TRS` of every WebSocket TR, and `subscribe_realtime(session, id, tx)`, which
/// subscribes to one TR through its typed group constant (a sample product code, or the HTS id
/// for execution notices) and forwards a check of every frame it receives (records decoded
/// into the TR's generated `Record`, the first error) to `tx`.
pub fn realtime_subscriptions(catalog: &Catalog, api: &str) -> String {
    let api: TokenStream = api.parse().unwrap_or_else(|_| quote!(::kis_api));
    let trs: Vec<(&Endpoint, &Realtime, &Variant)> = catalog
        .endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::WebSocket)
        .filter_map(|e| Some((e, e.realtime.as_ref()?, e.tr.variants.first()?)))
        .collect();
    let infos = trs.iter().map(|(e, r, v)| {
        let id = Literal::string(&e.qualified_id);
        let real = Literal::string(&v.real);
        let demo = match &v.demo {
            Some(d) => {
                let d = Literal::string(d);
                quote!(::core::option::Option::Some(#d))
            }
            None => quote!(::core::option::Option::None),
        };
        let notice = r.tr_key.meaning == TrKeyMeaning::HtsId;
        let key = Literal::string(&sample_key(e, r));
        let encrypted = r.encrypted;
        let columns = r.columns.len();
        quote! {
            RealtimeTrInfo { id: #id, tr_id: #real, demo_tr_id: #demo, notice: #notice, encrypted: #encrypted, key: #key, columns: #columns }
        }
    });
    let arms = trs.iter().map(|(e, r, v)| {
        let id = Literal::string(&e.qualified_id);
        let group = ident(&e.group);
        let tr = format_ident!("{}", v.real);
        let subscribe = match r.tr_key.meaning {
            TrKeyMeaning::HtsId => quote!(session.subscribe_notices(#api::#group::#tr).await),
            TrKeyMeaning::Symbol => {
                let key = Literal::string(&sample_key(e, r));
                quote!(session.subscribe(#api::#group::#tr, #key).await)
            }
        };
        quote! {
            #id => ::core::option::Option::Some(#subscribe.map(|s| spawn_checks(#id, s, tx))),
        }
    });
    let tokens = quote! {
        /// Every realtime TR of the catalog, in catalog order.
        pub const REALTIME_TRS: &[RealtimeTrInfo] = &[#(#infos),*];

        /// Subscribes to the realtime TR `id` (an entry of [`REALTIME_TRS`]) through its typed
        /// group constant and forwards a [`FrameCheck`] of every item of its stream to `tx`, from
        /// a task; aborting the task drops the subscription (which unsubscribes). `None` for an
        /// unknown id.
        pub async fn subscribe_realtime(
            session: &#api::realtime::Session,
            id: &str,
            tx: ::tokio::sync::mpsc::UnboundedSender<FrameCheck>,
        ) -> ::core::option::Option<::core::result::Result<::tokio::task::JoinHandle<()>, #api::Error>> {
            match id {
                #(#arms)*
                _ => ::core::option::Option::None,
            }
        }
    };
    crate::emit::format(
        tokens,
        "// @generated by kis-codegen: one typed subscription per realtime TR, for the integration suite.",
    )
}

/// The key the suite subscribes a symbol-keyed TR with: the catalog's example, else a sample
/// product of the group. Empty for notices (they take the HTS id).
fn sample_key(e: &Endpoint, r: &Realtime) -> String {
    match r.tr_key.meaning {
        TrKeyMeaning::HtsId => String::new(),
        TrKeyMeaning::Symbol => r
            .tr_key
            .example
            .clone()
            .filter(|x| !x.trim().is_empty())
            .unwrap_or_else(|| sample_symbol(&e.group).to_string()),
    }
}
