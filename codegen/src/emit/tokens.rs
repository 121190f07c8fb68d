//! Small token and text helpers shared by the emitters: identifiers, literals, docs, and the
//! Rust types and runtime parsers of value types.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::*;
use kis_catalog::ValueType;

/// The identifier `s` (a raw identifier for `r#` names).
pub(crate) fn ident(s: &str) -> Ident {
    // field names are validated identifiers; `r#type` style names come pre-escaped
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// The runtime path of [`Options::runtime`](super::Options::runtime) as tokens.
pub(super) fn path(s: &str) -> TokenStream {
    s.parse().unwrap_or_else(|_| quote!(crate::runtime))
}

/// A string literal.
pub(super) fn lit(s: &str) -> Literal {
    Literal::string(s)
}

/// `Some("...")` / `None`.
pub(super) fn opt_lit(s: Option<&str>) -> TokenStream {
    match s {
        Some(v) => {
            let l = lit(v);
            quote!(::core::option::Option::Some(#l))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// `rt::Ty::Variant` for a member of one of the catalog's closed sets (their `Debug` is the
/// variant name).
pub(super) fn variant(rt: &TokenStream, ty: &str, member: impl std::fmt::Debug) -> TokenStream {
    let (t, v) = (format_ident!("{ty}"), format_ident!("{member:?}"));
    quote!(#rt::#t::#v)
}

/// `Some(tokens)` / `None`.
pub(super) fn option(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    }
}

/// `#[doc = " ..."]` per line.
pub(super) fn doc(text: &str) -> TokenStream {
    let lines: Vec<TokenStream> = text
        .lines()
        .map(|l| {
            let l = lit(&format!(" {l}"));
            quote!(#[doc = #l])
        })
        .collect();
    quote!(#(#lines)*)
}

/// Escapes text that rustdoc would read as markup (`[`, `<`, `*` from the sources' labels).
pub(super) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '[' | ']' | '<' | '>' | '*' | '_' | '`' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// `rt::ValueType::...`.
pub(super) fn value_type_tokens(rt: &TokenStream, t: ValueType) -> TokenStream {
    variant(rt, "ValueType", t)
}

/// Rust type of a decoded response value.
pub(super) fn response_type(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
    match t {
        ValueType::Text | ValueType::Code => {
            if borrowed {
                quote!(&'a str)
            } else {
                quote!(::std::string::String)
            }
        }
        ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate => {
            quote!(::core::option::Option<#rt::Decimal>)
        }
        ValueType::Quantity | ValueType::Integer => quote!(::core::option::Option<i64>),
        ValueType::Date => quote!(::core::option::Option<#rt::NaiveDate>),
        ValueType::Time => quote!(::core::option::Option<#rt::NaiveTime>),
        ValueType::DateTime => quote!(::core::option::Option<#rt::NaiveDateTime>),
        ValueType::YesNo => quote!(::core::option::Option<bool>),
    }
}

/// The Rust type of a response field or realtime column: the `codes` enum a rule of
/// `response_enums` names, else the type of its value type.
pub(super) fn field_type(rt: &TokenStream, f: &Field, borrowed: bool) -> TokenStream {
    match &f.code_enum {
        Some(en) => {
            let en = format_ident!("{}", en);
            quote!(::core::option::Option<super::super::codes::#en>)
        }
        None => response_type(rt, f.ty, borrowed),
    }
}

/// The runtime parser of a value type.
pub(super) fn parser(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
    let f = format_ident!("{}", parser_name(t, borrowed));
    quote!(#rt::#f)
}

/// Name of the runtime parser of a value type (`kis_api::decode::price`).
fn parser_name(t: ValueType, borrowed: bool) -> &'static str {
    match t {
        ValueType::Text | ValueType::Code if borrowed => "borrowed",
        ValueType::Text | ValueType::Code => "text",
        // every other runtime parser is named after its catalog type
        _ => t.name(),
    }
}

/// The runtime helper that parses a non-text value straight into its field.
pub(super) fn into_parser(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
    let f = format_ident!("{}_into", parser_name(t, borrowed));
    quote!(#rt::#f)
}

/// Rust type of a request value, and whether setters take `impl Into<String>`.
pub(super) fn request_type(rt: &TokenStream, t: ValueType) -> (TokenStream, bool) {
    match t {
        ValueType::Text | ValueType::Code => (quote!(::std::string::String), true),
        ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate => {
            (quote!(#rt::Decimal), false)
        }
        ValueType::Quantity => (quote!(u64), false),
        ValueType::Integer => (quote!(i64), false),
        ValueType::Date => (quote!(#rt::NaiveDate), false),
        ValueType::Time => (quote!(#rt::NaiveTime), false),
        ValueType::DateTime => (quote!(#rt::NaiveDate), false),
        ValueType::YesNo => (quote!(bool), false),
    }
}

/// A response field's `FieldMeta`.
pub(super) fn field_meta(rt: &TokenStream, f: &Field) -> TokenStream {
    let (w, l, t) = (lit(&f.wire), lit(&f.label), value_type_tokens(rt, f.ty));
    if f.redacted {
        quote!(#rt::FieldMeta::new(#w, #l, #t).redacted())
    } else {
        quote!(#rt::FieldMeta::new(#w, #l, #t))
    }
}

/// A response field's doc: label, wire name, type and the catalog's note.
pub(super) fn field_doc(f: &Field) -> String {
    let mut s = format!("{} (`{}`, {})", md(&f.label), f.wire, f.ty.name());
    if let Some(d) = &f.doc {
        s.push_str("\n\n");
        s.push_str(&md(d));
    }
    s
}

/// A `Debug` impl that prints *** for personal-data fields; `None` when no field needs it.
pub(super) fn redacting_debug(
    rt: &TokenStream,
    name: &Ident,
    generics: TokenStream,
    fields: &[(Ident, &str, bool)],
) -> Option<TokenStream> {
    if !fields.iter().any(|(_, _, r)| *r) {
        return None;
    }
    let n = lit(&name.to_string());
    let calls = fields.iter().map(|(id, label, redacted)| {
        let l = lit(label);
        if *redacted {
            quote!(.field(#l, &#rt::Redacted))
        } else {
            quote!(.field(#l, &self.#id))
        }
    });
    Some(quote! {
        impl #generics ::core::fmt::Debug for #name #generics {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#n) #(#calls)* .finish()
            }
        }
    })
}
