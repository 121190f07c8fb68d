//! Endpoint modules: a REST or auth endpoint's request, response and records, and a WebSocket
//! TR's record and marker type.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::Options;
use super::docs::endpoint_doc;
use super::meta::meta_static;
use super::record::record;
use super::request::request_type_tokens;
use super::tokens::*;
use crate::model::*;

/// A REST or auth endpoint module.
pub(super) fn rest_endpoint(
    rt: &TokenStream,
    e: &Endpoint,
    group: &Group,
    opts: &Options,
) -> TokenStream {
    let module = ident(&crate::names::field_ident(&e.id));
    let mdoc = doc(&endpoint_doc(e, opts));
    let serde_gate = opts.serde_gate();
    let (records, block_types) = block_records(rt, e, serde_gate.as_ref());
    let response = response_type_tokens(rt, e, &block_types, serde_gate.as_ref());
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

/// One record struct per response block, and each block's type name.
fn block_records<'e>(
    rt: &TokenStream,
    e: &'e Endpoint,
    serde_gate: Option<&TokenStream>,
) -> (Vec<TokenStream>, Vec<(Ident, &'e Block)>) {
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
            serde_gate,
        ));
        block_types.push((t, b));
    }
    (records, block_types)
}

/// The `Response` struct (blocks, then body fields) and its `Body` impl.
fn response_type_tokens(
    rt: &TokenStream,
    e: &Endpoint,
    block_types: &[(Ident, &Block)],
    serde_gate: Option<&TokenStream>,
) -> TokenStream {
    let body_decls = e.response.body.iter().map(|f| {
        let n = ident(&f.rust_name);
        let t = field_type(rt, f, false);
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
    let uses_cx = !block_types.is_empty() || e.response.body.iter().any(|f| !f.ty.is_textual());
    let cx = if uses_cx { quote!(cx) } else { quote!(_cx) };
    let entry_body = entry_body(rt, e, block_types);
    let page_key = e.pagination.as_ref().map(|p| page_key_fn(e, p));
    let serialize = serde_gate.map(|gate| serialize_response(rt, gate, e, block_types));
    quote! {
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
        #serialize
    }
}

/// `Serialize` for `Response` (feature `serde`): each block under its wire name (the records
/// serialize themselves), then each top-level field through the runtime's field view.
fn serialize_response(
    rt: &TokenStream,
    gate: &TokenStream,
    e: &Endpoint,
    block_types: &[(Ident, &Block)],
) -> TokenStream {
    let blocks = block_types.iter().map(|(_, b)| {
        let (n, w) = (ident(&b.rust_name), lit(&b.wire));
        quote!(m.serialize_entry(#w, &self.#n)?;)
    });
    let fields = e.response.body.iter().map(|f| {
        let (n, w) = (ident(&f.rust_name), lit(&f.wire));
        if f.redacted {
            quote!(m.serialize_entry(#w, "***")?;)
        } else {
            let kind = super::record::field_kind(f);
            quote!(m.serialize_entry(#w, &#rt::FieldRef::#kind(&self.#n))?;)
        }
    });
    let len = Literal::usize_unsuffixed(block_types.len() + e.response.body.len());
    quote! {
        #gate
        impl #rt::Serialize for Response {
            fn serialize<S: #rt::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                use #rt::SerializeMap as _;
                let mut m = s.serialize_map(::core::option::Option::Some(#len))?;
                #(#blocks)*
                #(#fields)*
                m.end()
            }
        }
    }
}

/// `Body::entry`: stores the value under each known key (blocks by name or alias, body fields).
fn entry_body(rt: &TokenStream, e: &Endpoint, block_types: &[(Ident, &Block)]) -> TokenStream {
    let mut arms = Vec::new();
    for (t, b) in block_types {
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
        if f.code_enum.is_some() {
            arms.push(quote!(#w => #rt::CodeSlot::set_code(&mut self.#n, &#rt::field_text(map)?),));
        } else if f.ty.is_textual() {
            arms.push(quote!(#w => self.#n = #rt::field_text(map)?,));
        } else {
            let p = parser(rt, f.ty, false);
            arms.push(quote!(#w => self.#n = #rt::field(map, cx, #w, #p)?,));
        }
    }
    if arms.is_empty() {
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
    }
}

/// `Body::page_key`: where each continuation key is read in a decoded response.
fn page_key_fn(e: &Endpoint, p: &Pagination) -> TokenStream {
    let arms = p.keys.iter().enumerate().map(|(i, k)| {
        let i = Literal::usize_unsuffixed(i);
        let read = page_key_read(e, &k.response);
        quote!(#i => #read,)
    });
    quote! {
        fn page_key(&self, index: usize) -> ::core::option::Option<&str> {
            match index {
                #(#arms)*
                _ => ::core::option::Option::None,
            }
        }
    }
}

/// The expression reading one continuation key (`None` when the response lacks it).
fn page_key_read(e: &Endpoint, key: &ResponseKey) -> TokenStream {
    let none = quote!(::core::option::Option::None);
    match key {
        ResponseKey::Body(f) => {
            let n = e
                .response
                .body
                .iter()
                .find(|x| &x.wire == f)
                .map(|x| ident(&x.rust_name));
            match n {
                Some(n) => quote!(::core::option::Option::Some(self.#n.as_str())),
                None => none,
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
                    quote!(self.#bn.as_ref().map(|b| b.#fname.as_str()))
                }
                // an array block: the key is on its first row
                Some((Shape::Array, bn, fname)) => {
                    quote!(self.#bn.first().map(|b| b.#fname.as_str()))
                }
                None => none,
            }
        }
    }
}

/// A WebSocket TR module: its record and the `Tr` marker to subscribe with.
pub(super) fn websocket_endpoint(
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
        opts.serde_gate().as_ref(),
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
    let gate = opts.realtime_gate();
    quote! {
        #mdoc
        #gate
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
