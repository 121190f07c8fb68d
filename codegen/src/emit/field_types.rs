//! Every field's Rust type in one line each, read from the same functions that emit the types:
//! a change of a naming rule in `common.yaml` or of a type mapping that retypes fields anywhere
//! shows in the committed snapshot of this list.

use std::fmt::Write;

use proc_macro2::TokenStream;
use quote::quote;

use super::tokens::{field_type, request_type};
use crate::model::{Catalog, EndpointKind, Field, RequestField};

/// `<group>.<id> <block> <field>: <RustType> (<label>)` for every request field (block
/// `request`), top-level response field (`body`), block field and realtime column (`columns`).
pub fn field_types(catalog: &Catalog) -> String {
    let mut out = String::new();
    for e in &catalog.endpoints {
        let id = format!("{}.{}", e.group, e.id);
        if e.kind == EndpointKind::Rest {
            for f in &e.request {
                let _ = writeln!(
                    out,
                    "{id} request {}: {} ({})",
                    f.wire,
                    request_field_type(f),
                    f.label
                );
            }
        }
        let borrowed = e.kind == EndpointKind::WebSocket;
        let mut fields = |block: &str, list: &[Field]| {
            for f in list {
                let t = plain(field_type(&rt(), f, borrowed));
                let _ = writeln!(out, "{id} {block} {}: {t} ({})", f.wire, f.label);
            }
        };
        fields("body", &e.response.body);
        for b in &e.response.blocks {
            fields(&b.wire, &b.fields);
        }
        if let Some(r) = &e.realtime {
            fields("columns", &r.columns);
        }
    }
    out
}

/// The type a request field takes in `Request::new` or its setter; a continuation key is the
/// paginator's.
fn request_field_type(f: &RequestField) -> String {
    if f.paging {
        return "(continuation key)".to_string();
    }
    match (&f.enum_name, &f.local_enum) {
        (Some(en), _) => format!("codes::{en}"),
        (None, Some(en)) => en.name.clone(),
        (None, None) => plain(request_type(&rt(), f.ty).0),
    }
}

/// The runtime path as the list shows it (`Decimal`, not `crate::runtime::Decimal`).
fn rt() -> TokenStream {
    quote!(rt)
}

/// Tokens as a type reads: `Option<Decimal>` for `::core::option::Option<rt::Decimal>`.
fn plain(t: TokenStream) -> String {
    let mut s = String::new();
    for word in t.to_string().split_whitespace() {
        // a lifetime keeps its space: `&'a str`
        if s.split('&')
            .next_back()
            .is_some_and(|l| l.starts_with('\''))
        {
            s.push(' ');
        }
        s.push_str(word);
    }
    [
        "::core::option::",
        "::std::string::",
        "rt::",
        "super::super::",
    ]
    .iter()
    .fold(s, |s, p| s.replace(p, ""))
}
