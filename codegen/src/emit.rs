//! Stage 3: Rust source for the validated catalog, built with `quote` and formatted with
//! `prettyplease`.
//!
//! Generated code stays thin: data types, constructors and setters, a `match` that stores each
//! decoded value, static metadata, and one-line client methods. Sending, auth, retries, pagination
//! and decoding live in `kis-api`'s runtime, reached through the path given in [`Options::runtime`].

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::*;
use kis_catalog::ValueType;

/// What to generate and how it reaches the runtime.
#[derive(Debug, Clone)]
pub struct Options {
    /// Groups to generate (by id); `None` for every group.
    pub groups: Option<Vec<String>>,
    /// Path of `kis-api`'s runtime module: `crate::runtime` inside `kis-api`,
    /// `::kis_api::runtime` for bindings generated in another crate.
    pub runtime: String,
    /// Inside `kis-api`: add the group accessors to `Client` directly. Elsewhere: emit an
    /// extension trait named by [`Options::extension_trait`].
    pub inherent_client_methods: bool,
    /// Name of the extension trait when `inherent_client_methods` is false.
    pub extension_trait: String,
    /// Directory name of the catalog, for the "generated from" notes (`spec`).
    pub spec_label: String,
}

impl Options {
    /// Options for `kis-api` itself.
    pub fn for_kis_api(groups: Option<Vec<String>>) -> Options {
        Options {
            groups,
            runtime: "crate::runtime".into(),
            inherent_client_methods: true,
            extension_trait: String::new(),
            spec_label: "spec".into(),
        }
    }

    /// Options for bindings generated in another crate that depends on `kis-api`.
    pub fn external(extension_trait: &str) -> Options {
        Options {
            groups: None,
            runtime: "::kis_api::runtime".into(),
            inherent_client_methods: false,
            extension_trait: extension_trait.into(),
            spec_label: "spec".into(),
        }
    }
}

/// One generated source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name (`domestic_stock.rs`, `groups.rs`).
    pub name: String,
    /// Formatted Rust source, starting with a "generated" header.
    pub contents: String,
}

pub(crate) fn ident(s: &str) -> Ident {
    // field names are validated identifiers; `r#type` style names come pre-escaped
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

fn path(s: &str) -> TokenStream {
    s.parse().unwrap_or_else(|_| quote!(crate::runtime))
}

fn lit(s: &str) -> Literal {
    Literal::string(s)
}

fn opt_lit(s: Option<&str>) -> TokenStream {
    match s {
        Some(v) => {
            let l = lit(v);
            quote!(::core::option::Option::Some(#l))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// `#[doc = " ..."]` per line.
/// `rt::Ty::Variant` for a member of one of the catalog's closed sets (their `Debug` is the
/// variant name).
fn variant(rt: &TokenStream, ty: &str, member: impl std::fmt::Debug) -> TokenStream {
    let (t, v) = (format_ident!("{ty}"), format_ident!("{member:?}"));
    quote!(#rt::#t::#v)
}

/// `Some(tokens)` / `None`.
fn option(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    }
}

fn doc(text: &str) -> TokenStream {
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
fn md(s: &str) -> String {
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

fn value_type_tokens(rt: &TokenStream, t: ValueType) -> TokenStream {
    variant(rt, "ValueType", t)
}

/// Rust type of a decoded response value.
fn response_type(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
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

/// The runtime parser of a value type.
fn parser(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
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
fn into_parser(rt: &TokenStream, t: ValueType, borrowed: bool) -> TokenStream {
    let f = format_ident!("{}_into", parser_name(t, borrowed));
    quote!(#rt::#f)
}

/// Rust type of a request value, and whether setters take `impl Into<String>`.
fn request_type(rt: &TokenStream, t: ValueType) -> (TokenStream, bool) {
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

fn field_meta(rt: &TokenStream, f: &Field) -> TokenStream {
    let (w, l, t) = (lit(&f.wire), lit(&f.label), value_type_tokens(rt, f.ty));
    if f.redacted {
        quote!(#rt::FieldMeta::new(#w, #l, #t).redacted())
    } else {
        quote!(#rt::FieldMeta::new(#w, #l, #t))
    }
}

fn field_doc(f: &Field) -> String {
    let mut s = format!("{} (`{}`, {})", md(&f.label), f.wire, f.ty.name());
    if let Some(d) = &f.doc {
        s.push_str("\n\n");
        s.push_str(&md(d));
    }
    s
}

/// A `Debug` impl that prints *** for personal-data fields; `None` when no field needs it.
fn redacting_debug(
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

/// A record struct with its `Record`/`RealtimeRecord` impl.
fn record(
    rt: &TokenStream,
    name: &Ident,
    fields: &[Field],
    doc_text: &str,
    realtime: bool,
) -> TokenStream {
    let d = doc(doc_text);
    let decls = fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        let t = response_type(rt, f.ty, realtime);
        let fd = doc(&field_doc(f));
        quote!(#fd pub #n: #t,)
    });
    let metas = fields.iter().map(|f| field_meta(rt, f));
    // Each value arm is one call into a parse-and-store helper: with the parse inlined into the
    // arms, the match compiled to one huge stack frame set up for every column.
    let arms: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = ident(&f.rust_name);
            let into = into_parser(rt, f.ty, realtime);
            let i = Literal::usize_unsuffixed(i);
            quote!(#i => #into(&mut self.#n, raw),)
        })
        .collect();
    let body = quote! {
        match index {
            #(#arms)*
            _ => ::core::result::Result::Ok(()),
        }
    };
    let debug_fields: Vec<(Ident, &str, bool)> = fields
        .iter()
        .map(|f| {
            (
                ident(&f.rust_name),
                f.rust_name.trim_start_matches("r#"),
                f.redacted,
            )
        })
        .collect();
    let generics = if realtime {
        quote!(<'a>)
    } else {
        TokenStream::new()
    };
    let custom_debug = redacting_debug(rt, name, generics, &debug_fields);
    let derive_debug = if custom_debug.is_some() {
        TokenStream::new()
    } else {
        quote!(Debug,)
    };
    if realtime {
        quote! {
            #d
            #[derive(#derive_debug Clone, Default, PartialEq)]
            #[non_exhaustive]
            pub struct #name<'a> {
                #(#decls)*
            }
            #custom_debug
            impl<'a> #rt::RealtimeRecord<'a> for #name<'a> {
                const COLUMNS: &'static [#rt::FieldMeta] = &[#(#metas),*];
                fn set(&mut self, index: usize, raw: &'a str) -> ::core::result::Result<(), #rt::ValueError> {
                    #body
                }
            }
        }
    } else {
        quote! {
            #d
            #[derive(#derive_debug Clone, Default, PartialEq)]
            #[non_exhaustive]
            pub struct #name {
                #(#decls)*
            }
            #custom_debug
            impl #rt::Record for #name {
                const FIELDS: &'static [#rt::FieldMeta] = &[#(#metas),*];
                fn set(&mut self, index: usize, raw: &str) -> ::core::result::Result<(), #rt::ValueError> {
                    #body
                }
            }
        }
    }
}

fn tr_summary(e: &Endpoint) -> String {
    let mut parts = Vec::new();
    for v in &e.tr.variants {
        let mut s = String::new();
        if e.tr.variants.len() > 1 {
            s.push_str(&format!(
                "{}: ",
                v.label.as_deref().map(md).unwrap_or_else(|| v.name.clone())
            ));
        }
        s.push_str(&format!("실전 `{}`", v.real));
        match &v.demo {
            Some(d) => s.push_str(&format!(", 모의 `{d}`")),
            None => s.push_str(", 모의 없음"),
        }
        if !v.aliases.is_empty() {
            let a: Vec<String> = v.aliases.iter().map(|a| format!("`{}`", a.tr_id)).collect();
            s.push_str(&format!(" (also documented: {})", a.join(", ")));
        }
        parts.push(s);
    }
    parts.join("; ")
}

fn endpoint_doc(e: &Endpoint, opts: &Options) -> String {
    let mut s = md(&e.name);
    if let Some(c) = &e.api_code {
        s.push_str(&format!(" (`{c}`)"));
    }
    s.push_str("\n\n");
    match e.kind {
        EndpointKind::WebSocket => s.push_str(&format!("- realtime TR: {}\n", tr_summary(e))),
        _ => {
            let m = e.method.map(|m| m.name()).unwrap_or("");
            s.push_str(&format!("- `{m} {}`\n", e.path));
            if !e.tr.variants.is_empty() {
                s.push_str(&format!("- TR ID: {}\n", tr_summary(e)));
            }
        }
    }
    s.push_str(&format!(
        "- 모의투자 (demo): {}\n",
        if e.demo { "served" } else { "not served" }
    ));
    if let Some(n) = &e.demo_note {
        s.push_str(&format!("  ({})\n", md(n)));
    }
    if e.mutates {
        s.push_str("- changes state: never resent automatically once it may have reached KIS\n");
    }
    if let Some(p) = &e.pagination {
        let keys: Vec<String> = p
            .keys
            .iter()
            .map(|k| format!("`{}` ← `{}`", k.request, k.response.dotted()))
            .collect();
        s.push_str(&format!("- paginated: {}\n", keys.join(", ")));
    }
    if let Some(c) = &e.category {
        s.push_str(&format!("- category: {}\n", md(c)));
    }
    s.push_str(&format!(
        "\nGenerated from `{}/{}`.",
        opts.spec_label, e.source
    ));
    s
}

fn meta_static(
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
    let variants = e.tr.variants.iter().map(|v| {
        let (n, l, r) = (
            lit(&v.name),
            lit(v.label.as_deref().unwrap_or("")),
            lit(&v.real),
        );
        let d = opt_lit(v.demo.as_deref());
        let a = v.aliases.iter().map(|a| lit(&a.tr_id));
        quote!(#rt::VariantMeta { name: #n, label: #l, real: #r, demo: #d, aliases: &[#(#a),*] })
    });
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
    let request = e.request.iter().map(|f| {
        let (w, l) = (lit(&f.wire), lit(&f.label));
        let req = f.required;
        let def = opt_lit(f.default.as_deref());
        let vals = f.values.iter().map(|v| {
            let (a, b) = (lit(&v.value), lit(v.label.as_deref().unwrap_or("")));
            quote!(#rt::ValueMeta::new(#a, #b))
        });
        let t = value_type_tokens(rt, f.ty);
        let fill = option(f.fill.map(|x| variant(rt, "FillSource", x)));
        let paging = f.paging;
        quote!(#rt::RequestFieldMeta { wire: #w, label: #l, required: #req, default: #def, values: &[#(#vals),*], ty: #t, fill: #fill, paging: #paging })
    });
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
    let body = e.response.body.iter().map(|f| field_meta(rt, f));
    let blocks = block_types.iter().map(|(t, b)| {
        let w = lit(&b.wire);
        let a = b.aliases.iter().map(|x| lit(x));
        let shape = variant(rt, "Shape", b.shape);
        quote!(#rt::BlockMeta { wire: #w, aliases: &[#(#a),*], shape: #shape, fields: <#t as #rt::Record>::FIELDS })
    });
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

fn values_doc(f: &RequestField) -> String {
    let mut s = format!("{} (`{}`)", md(&f.label), f.wire);
    if !f.values.is_empty() {
        let vals: Vec<String> = f
            .values
            .iter()
            .map(|v| match &v.label {
                Some(l) if !l.is_empty() => format!("`{}` {}", v.value, md(l)),
                _ => format!("`{}`", v.value),
            })
            .collect();
        s.push_str(&format!(": {}", vals.join(", ")));
    }
    s
}

/// A REST or auth endpoint module.
fn rest_endpoint(rt: &TokenStream, e: &Endpoint, group: &Group, opts: &Options) -> TokenStream {
    let module = ident(&crate::names::field_ident(&e.id));
    let mdoc = doc(&endpoint_doc(e, opts));
    // response records
    let mut records = Vec::new();
    let mut block_types = Vec::new();
    for b in &e.response.blocks {
        let t = format_ident!("{}", b.type_name);
        let note = if b.judged {
            format!(
                "\n\nThe field split of this block is a judgement: {}",
                md(b.note.as_deref().unwrap_or(""))
            )
        } else {
            String::new()
        };
        let shape = match b.shape {
            Shape::Object => "an object",
            Shape::Array => "an array",
        };
        records.push(record(
            rt,
            &t,
            &b.fields,
            &format!(
                "One record of block `{}` ({shape} on the wire).{note}",
                b.wire
            ),
            false,
        ));
        block_types.push((t, b));
    }
    // response body
    let body_decls = e.response.body.iter().map(|f| {
        let n = ident(&f.rust_name);
        let t = response_type(rt, f.ty, false);
        let d = doc(&field_doc(f));
        quote!(#d pub #n: #t,)
    });
    let block_decls = block_types.iter().map(|(t, b)| {
        let n = ident(&b.rust_name);
        let d = doc(&format!("Block `{}`.", b.wire));
        match b.shape {
            Shape::Object => quote!(#d pub #n: ::core::option::Option<#t>,),
            Shape::Array => quote!(#d pub #n: ::std::vec::Vec<#t>,),
        }
    });
    let mut arms = Vec::new();
    for (t, b) in &block_types {
        let n = ident(&b.rust_name);
        let keys = std::iter::once(&b.wire)
            .chain(b.aliases.iter())
            .map(|k| lit(k));
        let w = lit(&b.wire);
        let f = match b.shape {
            Shape::Object => quote!(#rt::one::<_, #t>(map, cx, #w)?),
            Shape::Array => quote!(#rt::many::<_, #t>(map, cx, #w)?),
        };
        arms.push(quote!(#(#keys)|* => self.#n = #f,));
    }
    for f in &e.response.body {
        let n = ident(&f.rust_name);
        let w = lit(&f.wire);
        if f.ty.is_textual() {
            arms.push(quote!(#w => self.#n = #rt::field_text(map)?,));
        } else {
            let p = parser(rt, f.ty, false);
            arms.push(quote!(#w => self.#n = #rt::field(map, cx, #w, #p)?,));
        }
    }
    let uses_cx = !block_types.is_empty() || e.response.body.iter().any(|f| !f.ty.is_textual());
    let cx = if uses_cx { quote!(cx) } else { quote!(_cx) };
    let entry_body = if arms.is_empty() {
        quote! {
            let _ = (key, map);
            ::core::result::Result::Ok(false)
        }
    } else {
        quote! {
            match key {
                #(#arms)*
                _ => return ::core::result::Result::Ok(false),
            }
            ::core::result::Result::Ok(true)
        }
    };
    let page_key = e.pagination.as_ref().map(|p| {
        let arms = p.keys.iter().enumerate().map(|(i, k)| {
            let i = Literal::usize_unsuffixed(i);
            match &k.response {
                ResponseKey::Body(f) => {
                    let n = e
                        .response
                        .body
                        .iter()
                        .find(|x| &x.wire == f)
                        .map(|x| ident(&x.rust_name));
                    match n {
                        Some(n) => quote!(#i => ::core::option::Option::Some(self.#n.as_str()),),
                        None => quote!(#i => ::core::option::Option::None,),
                    }
                }
                ResponseKey::InBlock { block, field } => {
                    let b = e.response.blocks.iter().find(|b| &b.wire == block);
                    let bf = b.and_then(|b| {
                        b.fields
                            .iter()
                            .find(|x| &x.wire == field)
                            .map(|x| (b.shape, ident(&b.rust_name), ident(&x.rust_name)))
                    });
                    match bf {
                        Some((Shape::Object, bn, fname)) => {
                            quote!(#i => self.#bn.as_ref().map(|b| b.#fname.as_str()),)
                        }
                        // an array block: the key is on its first row
                        Some((Shape::Array, bn, fname)) => {
                            quote!(#i => self.#bn.first().map(|b| b.#fname.as_str()),)
                        }
                        None => quote!(#i => ::core::option::Option::None,),
                    }
                }
            }
        });
        quote! {
            fn page_key(&self, index: usize) -> ::core::option::Option<&str> {
                match index {
                    #(#arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    });
    let response = quote! {
        /// The response body (envelope aside: see `Reply` for `msg_cd`/`msg1`).
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct Response {
            #(#block_decls)*
            #(#body_decls)*
        }
        impl #rt::Body for Response {
            fn entry<'de, A: #rt::MapAccess<'de>>(&mut self, key: &str, map: &mut A, #cx: &#rt::DecodeCx<'_>) -> ::core::result::Result<bool, A::Error> {
                #entry_body
            }
            #page_key
        }
    };
    let meta = meta_static(rt, e, group, opts, &block_types, quote!(&[]));
    let request = if e.kind == EndpointKind::Rest {
        request_type_tokens(rt, e)
    } else {
        TokenStream::new()
    };
    quote! {
        #mdoc
        pub mod #module {
            use super::rt;
            #request
            #response
            #(#records)*
            #meta
        }
    }
}

fn request_type_tokens(rt: &TokenStream, e: &Endpoint) -> TokenStream {
    let selector = e.tr.selector.as_ref();
    // the TR ID choice
    let selector_enum = selector.map(|s| {
        let t = format_ident!("{}", s.type_name);
        let variants = e.tr.variants.iter().enumerate().map(|(i, v)| {
            let n = format_ident!("{}", v.rust_name);
            let default_attr = if s.default == Some(i) {
                quote!(#[default])
            } else {
                TokenStream::new()
            };
            let i = Literal::isize_unsuffixed(i as isize);
            let d = doc(&format!(
                "{}: 실전 `{}`{}",
                v.label.as_deref().map(md).unwrap_or_else(|| v.name.clone()),
                v.real,
                v.demo
                    .as_ref()
                    .map(|d| format!(", 모의 `{d}`"))
                    .unwrap_or_else(|| ", 모의 없음".into())
            ));
            quote!(#d #default_attr #n = #i,)
        });
        let d = doc(&format!(
            "{}: chooses the TR ID this request is sent with.",
            md(&s.label)
        ));
        let derive_default = if s.default.is_some() {
            quote!(Default,)
        } else {
            TokenStream::new()
        };
        quote! {
            #d
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, #derive_default)]
            pub enum #t {
                #(#variants)*
            }
        }
    });
    let mut fields = Vec::new();
    let mut debug_fields: Vec<(Ident, &str, bool)> = Vec::new();
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    let mut writes = Vec::new();
    let mut param_docs = Vec::new();
    if let Some(s) = selector {
        let n = ident(&s.param);
        let t = format_ident!("{}", s.type_name);
        fields.push(quote!(#n: #t,));
        debug_fields.push((n.clone(), s.param.trim_start_matches("r#"), false));
        if s.default.is_some() {
            inits.push(quote!(#n: #t::default(),));
            let sd = doc(&format!(
                "{}: which TR ID is used (default: `{}`).",
                md(&s.label),
                e.tr.variants[s.default.unwrap_or(0)].name
            ));
            setters.push(quote! {
                #sd
                pub fn #n(mut self, value: #t) -> Self {
                    self.#n = value;
                    self
                }
            });
        } else {
            params.push(quote!(#n: #t));
            inits.push(quote!(#n,));
            param_docs.push(format!("- `{}`: {}", s.param, md(&s.label)));
        }
    }
    for f in &e.request {
        let n = ident(&f.rust_name);
        let w = lit(&f.wire);
        if f.paging {
            writes.push(quote!(w.paging(#w);));
            continue;
        }
        let (t, into_string) = match &f.enum_name {
            Some(en) => {
                let en = format_ident!("{}", en);
                (quote!(super::super::codes::#en), false)
            }
            None => request_type(rt, f.ty),
        };
        let vd = values_doc(f);
        debug_fields.push((n.clone(), f.rust_name.trim_start_matches("r#"), f.redacted));
        if f.is_constructor_arg() {
            fields.push(quote!(#n: #t,));
            if into_string {
                params.push(quote!(#n: impl ::core::convert::Into<::std::string::String>));
                inits.push(quote!(#n: #n.into(),));
            } else {
                params.push(quote!(#n: #t));
                inits.push(quote!(#n,));
            }
            param_docs.push(format!(
                "- `{}`: {vd}",
                f.rust_name.trim_start_matches("r#")
            ));
            writes.push(quote!(w.put(#w, &self.#n);));
        } else {
            fields.push(quote!(#n: ::core::option::Option<#t>,));
            inits.push(quote!(#n: ::core::option::Option::None,));
            let mut sd = vd.clone();
            match (f.fill, &f.default) {
                (Some(FillSource::AccountNumber), _) => {
                    sd.push_str("\n\nDefault: the client's account number for this API group.")
                }
                (Some(FillSource::AccountProductCode), _) => sd
                    .push_str("\n\nDefault: the client's account product code for this API group."),
                (None, Some(d)) if d.is_empty() => sd.push_str("\n\nDefault: sent empty."),
                (None, Some(d)) => sd.push_str(&format!("\n\nDefault: `{d}`.")),
                (None, None) => sd.push_str("\n\nSent empty unless set."),
            }
            if f.required && f.fill.is_none() {
                sd.push_str(" KIS marks it required.");
            }
            let sd = doc(&sd);
            if into_string {
                setters.push(quote! {
                    #sd
                    pub fn #n(mut self, value: impl ::core::convert::Into<::std::string::String>) -> Self {
                        self.#n = ::core::option::Option::Some(value.into());
                        self
                    }
                });
            } else {
                setters.push(quote! {
                    #sd
                    pub fn #n(mut self, value: #t) -> Self {
                        self.#n = ::core::option::Option::Some(value);
                        self
                    }
                });
            }
            match f.fill {
                Some(FillSource::AccountNumber) => writes
                    .push(quote!(w.fill(#w, self.#n.as_deref(), #rt::FillSource::AccountNumber);)),
                Some(FillSource::AccountProductCode) => writes.push(
                    quote!(w.fill(#w, self.#n.as_deref(), #rt::FillSource::AccountProductCode);),
                ),
                None => {
                    let def = lit(f.default.as_deref().unwrap_or(""));
                    writes.push(quote!(w.opt(#w, self.#n.as_ref(), #def);));
                }
            }
        }
    }
    let mut new_doc = String::from("A request with the inputs KIS requires.");
    if !param_docs.is_empty() {
        new_doc.push_str("\n\n");
        new_doc.push_str(&param_docs.join("\n"));
    }
    let new_doc = doc(&new_doc);
    let w_param = if writes.is_empty() {
        quote!(_w)
    } else {
        quote!(w)
    };
    let many_args = if params.len() > 7 {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        TokenStream::new()
    };
    let default_impl = params.is_empty().then(|| {
        quote! {
            impl ::core::default::Default for Request {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    });
    let variant_fn = selector.map(|s| {
        let n = ident(&s.param);
        quote! {
            fn variant(&self) -> usize {
                self.#n as usize
            }
        }
    });
    let paginated = e.pagination.as_ref().map(|_| {
        let row = e.response.blocks.iter().find(|b| b.shape == Shape::Array);
        match row {
            Some(b) => {
                let t = format_ident!("{}", b.type_name);
                let n = ident(&b.rust_name);
                let d = doc(&format!("Rows are the records of block `{}`.", b.wire));
                quote! {
                    #d
                    impl #rt::Paginated for Request {
                        type Row = #t;
                        fn rows(response: Response) -> ::std::vec::Vec<#t> {
                            response.#n
                        }
                    }
                }
            }
            None => quote! {
                /// Each page is one row.
                impl #rt::Paginated for Request {
                    type Row = Response;
                    fn rows(response: Response) -> ::std::vec::Vec<Response> {
                        ::std::vec![response]
                    }
                }
            },
        }
    });
    let req_ident = format_ident!("Request");
    let custom_debug = redacting_debug(rt, &req_ident, TokenStream::new(), &debug_fields);
    let derive_debug = if custom_debug.is_some() {
        TokenStream::new()
    } else {
        quote!(Debug,)
    };
    quote! {
        #selector_enum
        /// The request. Required inputs go to [`Request::new`]; the others have setters and are
        /// sent with their default (or empty) when unset.
        #[derive(#derive_debug Clone, PartialEq)]
        pub struct Request {
            #(#fields)*
        }
        #custom_debug
        #[allow(clippy::wrong_self_convention)]
        impl Request {
            #new_doc
            #many_args
            pub fn new(#(#params),*) -> Self {
                Request { #(#inits)* }
            }
            #(#setters)*
        }
        #default_impl
        impl #rt::Endpoint for Request {
            type Response = Response;
            const META: &'static #rt::EndpointMeta = &META;
            #variant_fn
            fn write<'a>(&'a self, #w_param: &mut #rt::ParamWriter<'a>) {
                #(#writes)*
            }
        }
        #paginated
    }
}

fn websocket_endpoint(
    rt: &TokenStream,
    e: &Endpoint,
    group: &Group,
    opts: &Options,
) -> TokenStream {
    let module = ident(&crate::names::field_ident(&e.id));
    let mdoc = doc(&endpoint_doc(e, opts));
    let Some(r) = &e.realtime else {
        return TokenStream::new();
    };
    let rec = format_ident!("Record");
    let key = match r.tr_key.meaning {
        TrKeyMeaning::Symbol => format!("a product code ({})", md(&r.tr_key.label)),
        TrKeyMeaning::HtsId => "the user's HTS id".to_string(),
    };
    let record = record(
        rt,
        &rec,
        &r.columns,
        &format!(
            "One record of {} (`{}`): the `^`-separated columns in order, text borrowed from the frame.{}",
            md(&e.name),
            e.tr.variants.first().map(|v| v.real.as_str()).unwrap_or(""),
            if r.encrypted {
                " Frames of this TR are AES-256-CBC encrypted."
            } else {
                ""
            }
        ),
        true,
    );
    let tr_doc = doc(&format!(
        "The realtime TR, to subscribe to; its key is {key}."
    ));
    let meta = meta_static(
        rt,
        e,
        group,
        opts,
        &[],
        quote!(<Record<'static> as #rt::RealtimeRecord<'static>>::COLUMNS),
    );
    quote! {
        #mdoc
        pub mod #module {
            use super::rt;
            #record
            #tr_doc
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            pub struct Tr;
            impl #rt::RealtimeTr for Tr {
                const META: &'static #rt::EndpointMeta = &META;
                type Record<'a> = Record<'a>;
            }
            #meta
        }
    }
}

fn group_head(catalog: &Catalog, group: &Group, opts: &Options) -> TokenStream {
    let runtime = path(&opts.runtime);
    // generated items reach the runtime through the alias `rt`, declared once per file
    let rt = quote!(rt);
    let endpoints: Vec<&Endpoint> = catalog.endpoints_of(&group.id).collect();
    let accessor = format_ident!("{}", group.type_name);
    let method = |e: &Endpoint| {
        let m = ident(&crate::names::field_ident(&e.id));
        let module = m.clone();
        let mut d = format!(
            "{} (`{}`)",
            md(&e.name),
            e.tr.variants.first().map(|v| v.real.as_str()).unwrap_or("")
        );
        if !e.demo {
            d.push_str("; not served in demo");
        }
        d.push_str(&format!(".\n\nSee [`{}`]({}/index.html).", e.id, e.id));
        let d = doc(&d);
        quote! {
            #d
            pub fn #m(&self, request: #module::Request) -> #rt::Call<'c, #module::Request, E> {
                self.client.call(request)
            }
        }
    };
    let demo_methods = endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::Rest && e.demo)
        .map(|e| method(e));
    let real_methods = endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::Rest && !e.demo)
        .map(|e| method(e));
    let consts = endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::WebSocket)
        .filter_map(|e| {
            let v = e.tr.variants.first()?;
            let c = format_ident!("{}", v.real);
            let m = ident(&crate::names::field_ident(&e.id));
            let d = doc(&format!(
                "{}: subscribe with `session.subscribe({}, key)`.",
                md(&e.name),
                v.real
            ));
            Some(quote! {
                #d
                pub const #c: #m::Tr = #m::Tr;
            })
        });
    let has_rest = endpoints.iter().any(|e| e.kind == EndpointKind::Rest);
    let gdoc = doc(&format!(
        "{} API of {}: {} endpoints. Obtained from `client.{}()`.",
        md(&group.name),
        md(&group.doc),
        endpoints.len(),
        group.id
    ));
    if !has_rest {
        return quote! {
            use #runtime as rt;
            #(#consts)*
        };
    }
    quote! {
        use #runtime as rt;
        #gdoc
        #[derive(Debug)]
        pub struct #accessor<'c, E: rt::Environment> {
            client: &'c rt::Client<E>,
        }
        impl<'c, E: rt::Environment> ::core::clone::Clone for #accessor<'c, E> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<'c, E: rt::Environment> ::core::marker::Copy for #accessor<'c, E> {}
        impl<'c, E: rt::Environment> #accessor<'c, E> {
            /// The group's endpoints on `client`.
            pub fn new(client: &'c rt::Client<E>) -> Self {
                #accessor { client }
            }
            #(#demo_methods)*
        }
        /// Endpoints the demo environment does not serve: no methods on `Client<Demo>`.
        impl<'c, E: rt::RealCapable> #accessor<'c, E> {
            #(#real_methods)*
        }
        #(#consts)*
    }
}

/// `codes.rs`: the closed value sets of `common.yaml` as Rust enums.
fn codes_file(catalog: &Catalog, opts: &Options) -> TokenStream {
    let runtime = path(&opts.runtime);
    let enums = catalog.common.enums.iter().map(|en| {
        let t = format_ident!("{}", en.name);
        let d = doc(&format!(
            "{}: a closed value set of the catalog (`{}/common.yaml`).",
            md(&en.label),
            opts.spec_label
        ));
        let variants = en.members.iter().map(|m| {
            let v = format_ident!("{}", m.rust_name);
            let d = doc(&format!("`{}`: {}", m.value, md(&m.label)));
            quote!(#d #v,)
        });
        let all = en.members.iter().map(|m| {
            let v = format_ident!("{}", m.rust_name);
            quote!(#t::#v)
        });
        let codes = en.members.iter().map(|m| {
            let v = format_ident!("{}", m.rust_name);
            let c = lit(&m.value);
            quote!(#t::#v => #c,)
        });
        let labels = en.members.iter().map(|m| {
            let v = format_ident!("{}", m.rust_name);
            let l = lit(&m.label);
            quote!(#t::#v => #l,)
        });
        let parse = en.members.iter().map(|m| {
            let v = format_ident!("{}", m.rust_name);
            let c = lit(&m.value);
            quote!(#c => ::core::option::Option::Some(#t::#v),)
        });
        quote! {
            #d
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #t {
                #(#variants)*
                /// A code outside the catalog's set (KIS added one), sent as is.
                Other(&'static str),
            }
            impl #t {
                /// Every member of the set.
                pub const ALL: &'static [#t] = &[#(#all),*];
                /// The code as sent.
                pub fn code(self) -> &'static str {
                    match self {
                        #(#codes)*
                        #t::Other(code) => code,
                    }
                }
                /// The meaning of the code.
                pub fn label(self) -> &'static str {
                    match self {
                        #(#labels)*
                        #t::Other(_) => "",
                    }
                }
                /// The member sent as `code`, or `None` outside the set.
                pub fn from_code(code: &str) -> ::core::option::Option<Self> {
                    match code {
                        #(#parse)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
            impl ::core::fmt::Display for #t {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.code())
                }
            }
            impl rt::ParamValue for #t {
                fn to_param(&self) -> ::std::borrow::Cow<'_, str> {
                    ::std::borrow::Cow::Borrowed(self.code())
                }
            }
        }
    });
    quote! {
        use #runtime as rt;
        #(#enums)*
    }
}

fn groups_file(catalog: &Catalog, groups: &[&Group], opts: &Options) -> TokenStream {
    let rt = path(&opts.runtime);
    let mods = groups.iter().map(|g| {
        let m = ident(&g.id);
        let file = lit(&format!("/{}.rs", g.id));
        let d = doc(&format!("{} ({}): {}", md(&g.name), g.id, md(&g.doc)));
        quote! {
            #d
            pub mod #m {
                include!(concat!(env!("OUT_DIR"), #file));
            }
        }
    });
    let with_rest: Vec<&&Group> = groups
        .iter()
        .filter(|g| {
            catalog
                .endpoints_of(&g.id)
                .any(|e| e.kind == EndpointKind::Rest)
        })
        .collect();
    let accessors: Vec<TokenStream> = with_rest
        .iter()
        .map(|g| {
            let m = ident(&g.id);
            let t = format_ident!("{}", g.type_name);
            quote!(fn #m(&self) -> #m::#t<'_, E>)
        })
        .collect();
    let bodies = with_rest.iter().map(|g| {
        let m = ident(&g.id);
        let t = format_ident!("{}", g.type_name);
        quote!(#m::#t::new(self))
    });
    let docs: Vec<TokenStream> = with_rest
        .iter()
        .map(|g| doc(&format!("{} endpoints ({}).", md(&g.name), g.id)))
        .collect();
    let client_methods = if opts.inherent_client_methods {
        let items = accessors
            .iter()
            .zip(bodies)
            .zip(&docs)
            .map(|((a, b), d)| quote!(#d pub #a { #b }));
        quote! {
            impl<E: #rt::Environment> #rt::Client<E> {
                #(#items)*
            }
        }
    } else {
        let tr = format_ident!("{}", opts.extension_trait);
        let items = accessors.iter().zip(bodies).map(|(a, b)| quote!(#a { #b }));
        let decls = accessors.iter().zip(&docs).map(|(a, d)| quote!(#d #a;));
        quote! {
            /// Adds this catalog's API groups to `kis_api::Client`.
            pub trait #tr<E: #rt::Environment> {
                #(#decls)*
            }
            impl<E: #rt::Environment> #tr<E> for #rt::Client<E> {
                #(#items)*
            }
        }
    };
    let metas = groups.iter().flat_map(|g| {
        catalog.endpoints_of(&g.id).map(move |e| {
            let m = ident(&g.id);
            let e = ident(&crate::names::field_ident(&e.id));
            quote!(&#m::#e::META)
        })
    });
    let n = catalog
        .endpoints
        .iter()
        .filter(|e| groups.iter().any(|g| g.id == e.group))
        .count();
    let list_doc = doc(&format!(
        "Every endpoint compiled in ({n} with the enabled groups), in catalog order."
    ));
    let catalog_static = catalog_static(catalog, &rt);
    quote! {
        /// Closed value sets of the catalog, as enums (`enum:` request fields take them).
        pub mod codes {
            include!(concat!(env!("OUT_DIR"), "/codes.rs"));
        }
        #(#mods)*
        #client_methods
        #list_doc
        pub static ENDPOINTS: &[&#rt::EndpointMeta] = &[#(#metas),*];
        #catalog_static
    }
}

/// The shared facts of `common.yaml` a running client reads: `CATALOG`.
fn catalog_static(catalog: &Catalog, rt: &TokenStream) -> TokenStream {
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
        };
    }
}

pub(crate) fn format(tokens: TokenStream, header: &str) -> String {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // keep the unformatted tokens: the compiler will point at the problem
        Err(e) => format!("// prettyplease could not parse the generated code: {e}\n{tokens}\n"),
    };
    if header.is_empty() {
        body
    } else {
        format!("{header}\n{body}")
    }
}

/// One formatted piece of a group file: its head (`None`) or one endpoint's module.
fn piece(catalog: &Catalog, group: &Group, endpoint: Option<&Endpoint>, opts: &Options) -> String {
    let rt = quote!(rt);
    let tokens = match endpoint {
        None => group_head(catalog, group, opts),
        Some(e) if e.kind == EndpointKind::WebSocket => websocket_endpoint(&rt, e, group, opts),
        Some(e) => rest_endpoint(&rt, e, group, opts),
    };
    format(tokens, "")
}

/// Generates and formats every piece, spreading the work over the available cores (each thread
/// builds its own token streams: they cannot cross threads).
fn format_pieces(catalog: &Catalog, groups: &[&Group], opts: &Options) -> Vec<(usize, String)> {
    let mut work: Vec<(usize, usize, Option<&Endpoint>)> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        work.push((work.len(), gi, None));
        for e in catalog.endpoints_of(&g.id) {
            work.push((work.len(), gi, Some(e)));
        }
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let run = |items: Vec<(usize, usize, Option<&Endpoint>)>| -> Vec<(usize, usize, String)> {
        items
            .into_iter()
            .map(|(i, gi, e)| (i, gi, piece(catalog, groups[gi], e, opts)))
            .collect()
    };
    let mut done: Vec<(usize, usize, String)> = if threads == 1 {
        run(work)
    } else {
        // deal the items out round-robin: neighbouring endpoints have similar sizes
        let mut buckets: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
        for (n, item) in work.into_iter().enumerate() {
            buckets[n % threads].push(item);
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = buckets
                .into_iter()
                .map(|b| s.spawn(move || run(b)))
                .collect();
            handles
                .into_iter()
                // a generator bug must fail the build with its message, not drop modules
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, gi, text)| (gi, text)).collect()
}

/// Generates the Rust source of `catalog`.
pub fn generate_catalog(catalog: &Catalog, opts: &Options) -> Vec<GeneratedFile> {
    let groups: Vec<&Group> = catalog
        .groups
        .iter()
        .filter(|g| {
            opts.groups
                .as_ref()
                .is_none_or(|sel| sel.iter().any(|s| s == &g.id))
        })
        .collect();
    let mut bodies: Vec<String> = vec![String::new(); groups.len()];
    for (gi, text) in format_pieces(catalog, &groups, opts) {
        bodies[gi].push_str(&text);
    }
    let mut out = Vec::new();
    for (g, body) in groups.iter().zip(bodies) {
        let n = catalog.endpoints_of(&g.id).count();
        let header = format!(
            "// @generated by kis-codegen from {spec}/common.yaml and the {n} files of {spec}/{g}/.\n// Do not edit: change the catalog and rebuild.",
            spec = opts.spec_label,
            g = g.id
        );
        out.push(GeneratedFile {
            name: format!("{}.rs", g.id),
            contents: format!("{header}\n{body}"),
        });
    }
    let header = format!(
        "// @generated by kis-codegen from {}/common.yaml: the API group modules and client accessors.\n// Do not edit: change the catalog and rebuild.",
        opts.spec_label
    );
    out.push(GeneratedFile {
        name: "groups.rs".into(),
        contents: format(groups_file(catalog, &groups, opts), &header),
    });
    let header = format!(
        "// @generated by kis-codegen from {}/common.yaml (enums).\n// Do not edit: change the catalog and rebuild.",
        opts.spec_label
    );
    out.push(GeneratedFile {
        name: "codes.rs".into(),
        contents: format(codes_file(catalog, opts), &header),
    });
    out
}

/// The formatted source of one endpoint's module, as generated for `kis-api` (for review and
/// snapshot tests).
pub fn endpoint_source(catalog: &Catalog, qualified_id: &str) -> Option<String> {
    let e = catalog.endpoint(qualified_id)?;
    let group = catalog.group(&e.group)?;
    let opts = Options::for_kis_api(None);
    Some(format!(
        "// {qualified_id}: generated from spec/{}\n{}",
        e.source,
        piece(catalog, group, Some(e), &opts)
    ))
}
