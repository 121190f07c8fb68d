//! A REST endpoint's `Request`: the TR ID selector, constructor, setters and the parameter
//! writer.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs::values_doc;
use super::tokens::*;
use crate::model::*;

pub(super) fn request_type_tokens(rt: &TokenStream, e: &Endpoint) -> TokenStream {
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
