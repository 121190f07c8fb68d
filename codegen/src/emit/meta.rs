//! The static metadata: each endpoint's `META` and the catalog's `CATALOG`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Options;
use super::tokens::*;
use crate::model::*;

/// `META`: the static facts of one endpoint (`columns` is the realtime record's, or `&[]`).
pub(super) fn meta_static(
    rt: &TokenStream,
    e: &Endpoint,
    group: &Group,
    opts: &Options,
    block_types: &[(Ident, &Block)],
    columns: TokenStream,
) -> TokenStream {
    let id = lit(&e.qualified_id);
    let g = lit(&e.group);
    let name = lit(&e.name);
    let code = opt_lit(e.api_code.as_deref());
    let kind = variant(rt, "EndpointKind", e.kind);
    let method = option(e.method.map(|m| variant(rt, "Method", m)));
    let p = lit(&e.path);
    let variants = variants_meta(rt, e);
    let selector = opt_lit(e.tr.selector.as_ref().map(|s| s.label.as_str()));
    let demo = e.demo;
    let mutates = e.mutates;
    let account = format_ident!(
        "{}",
        if e.kind == EndpointKind::Rest {
            group.account.rust_variant()
        } else {
            "None"
        }
    );
    let request = e.request.iter().map(|f| request_field_meta(rt, f));
    let pages = pages_meta(rt, e);
    let body = e.response.body.iter().map(|f| field_meta(rt, f));
    let blocks = block_types.iter().map(|(t, b)| block_meta(rt, t, b));
    let encrypted = e.realtime.as_ref().is_some_and(|r| r.encrypted);
    let tr_key = option(
        e.realtime
            .as_ref()
            .map(|r| variant(rt, "TrKeyMeaning", r.tr_key.meaning)),
    );
    let source = lit(&format!("{}/{}", opts.spec_label, e.source));
    quote! {
        /// Static facts about this endpoint, from the catalog.
        pub static META: #rt::EndpointMeta = #rt::EndpointMeta {
            id: #id,
            group: #g,
            name: #name,
            api_code: #code,
            kind: #kind,
            method: #method,
            path: #p,
            variants: &[#(#variants),*],
            selector: #selector,
            demo: #demo,
            mutates: #mutates,
            account: #rt::AccountKind::#account,
            request: &[#(#request),*],
            pagination: &[#(#pages),*],
            body: &[#(#body),*],
            blocks: &[#(#blocks),*],
            columns: #columns,
            encrypted: #encrypted,
            tr_key: #tr_key,
            source: #source,
            catalog: &crate::CATALOG,
        };
    }
}

/// One `VariantMeta` per TR ID variant.
fn variants_meta(rt: &TokenStream, e: &Endpoint) -> Vec<TokenStream> {
    e.tr.variants
        .iter()
        .map(|v| {
            let (n, l, r) = (
                lit(&v.name),
                lit(v.label.as_deref().unwrap_or("")),
                lit(&v.real),
            );
            let d = opt_lit(v.demo.as_deref());
            let a = v.aliases.iter().map(|a| lit(&a.tr_id));
            quote!(#rt::VariantMeta { name: #n, label: #l, real: #r, demo: #d, aliases: &[#(#a),*] })
        })
        .collect()
}

/// One `RequestFieldMeta`.
fn request_field_meta(rt: &TokenStream, f: &RequestField) -> TokenStream {
    let (w, l) = (lit(&f.wire), lit(&f.label));
    let req = f.required;
    let def = opt_lit(f.default.as_deref());
    let vals = f.values.iter().map(|v| {
        let (a, b) = (lit(&v.value), lit(v.label.as_deref().unwrap_or("")));
        let n = lit(v.rust_name.as_deref().unwrap_or(""));
        quote!(#rt::ValueMeta::new(#a, #b, #n))
    });
    let t = value_type_tokens(rt, f.ty);
    let fill = option(f.fill.map(|x| variant(rt, "FillSource", x)));
    let paging = f.paging;
    quote!(#rt::RequestFieldMeta { wire: #w, label: #l, required: #req, default: #def, values: &[#(#vals),*], ty: #t, fill: #fill, paging: #paging })
}

/// One `PageKeyMeta` per continuation key copied from the response, then per fixed next value.
fn pages_meta(rt: &TokenStream, e: &Endpoint) -> Vec<TokenStream> {
    let mut pages: Vec<TokenStream> = e
        .pagination
        .iter()
        .flat_map(|p| p.keys.iter())
        .map(|k| {
            let r = lit(&k.request);
            let (b, f) = match &k.response {
                ResponseKey::Body(f) => (quote!(::core::option::Option::None), lit(f)),
                ResponseKey::InBlock { block, field } => (opt_lit(Some(block)), lit(field)),
            };
            quote!(#rt::PageKeyMeta { request: #r, block: #b, response: #f, next: ::core::option::Option::None })
        })
        .collect();
    for (req, value) in e.pagination.iter().flat_map(|p| p.next_values.iter()) {
        let (r, v) = (lit(req), lit(value));
        pages.push(quote!(#rt::PageKeyMeta { request: #r, block: ::core::option::Option::None, response: "", next: ::core::option::Option::Some(#v) }));
    }
    pages
}

/// One `BlockMeta`, its fields taken from the block's record type.
fn block_meta(rt: &TokenStream, t: &Ident, b: &Block) -> TokenStream {
    let w = lit(&b.wire);
    let a = b.aliases.iter().map(|x| lit(x));
    let shape = variant(rt, "Shape", b.shape);
    quote!(#rt::BlockMeta { wire: #w, aliases: &[#(#a),*], shape: #shape, fields: <#t as #rt::Record>::FIELDS })
}

/// The shared facts of `common.yaml` a running client reads: `CATALOG`.
pub(super) fn catalog_static(catalog: &Catalog, rt: &TokenStream) -> TokenStream {
    let c = &catalog.common;
    let hosts = |rest: &str, ws: &str| {
        let (r, w) = (lit(rest), lit(ws));
        quote!(#rt::HostsMeta { rest: #r, websocket: #w })
    };
    let real = hosts(&c.real_rest, &c.real_websocket);
    let demo = hosts(&c.demo_rest, &c.demo_websocket);
    let crate::model::Limits {
        real_per_second,
        demo_per_second,
        token_issue_interval_seconds,
        websocket_subscriptions,
        client_real_per_second,
        client_demo_per_second,
        client_token_issue_interval_seconds,
    } = c.limits;
    // exact codes first: a lookup tries them before any prefix
    let mut errors: Vec<&ErrorCode> = c.errors.iter().collect();
    errors.sort_by_key(|e| e.prefix);
    let errors = errors.iter().map(|e| {
        let (code, prefix, meaning) = (lit(&e.code), e.prefix, lit(&e.meaning));
        let action = variant(rt, "ErrorAction", e.action);
        quote!(#rt::ErrorMeta { code: #code, prefix: #prefix, meaning: #meaning, action: #action })
    });
    let sentinels = c.sentinels.iter().map(|(ty, values)| {
        let ty = variant(rt, "ValueType", ty);
        let values = values.iter().map(|v| lit(v));
        quote!((#ty, &[#(#values),*]))
    });
    let all_remaining = c.all_remaining_inputs.iter().map(|w| lit(w));
    let redacted_names = c.redacted_names.iter().map(|v| lit(v));
    let redacted_suffixes = c.redacted_suffixes.iter().map(|v| lit(v));
    quote! {
        /// The shared facts of the catalog (`common.yaml`): hosts, rate limits, the response-code
        /// table and its actions. Every generated endpoint's `META.catalog` points here.
        pub static CATALOG: #rt::CatalogMeta = #rt::CatalogMeta {
            real: #real,
            demo: #demo,
            limits: #rt::Limits {
                real_per_second: #real_per_second,
                demo_per_second: #demo_per_second,
                token_issue_interval_seconds: #token_issue_interval_seconds,
                websocket_subscriptions: #websocket_subscriptions,
                client_real_per_second: #client_real_per_second,
                client_demo_per_second: #client_demo_per_second,
                client_token_issue_interval_seconds: #client_token_issue_interval_seconds,
            },
            errors: &[#(#errors),*],
            sentinels: &[#(#sentinels),*],
            all_remaining_inputs: &[#(#all_remaining),*],
            redacted_names: &[#(#redacted_names),*],
            redacted_suffixes: &[#(#redacted_suffixes),*],
        };
    }
}
