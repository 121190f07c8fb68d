//! A REST endpoint's `Request`: the TR ID selector, constructor, setters and the parameter
//! writer.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::codes::code_enum;
use super::docs::values_doc;
use super::tokens::*;
use crate::model::*;

/// The `Request` type of a REST endpoint, with its selector enum and its `Endpoint` (and
/// `Paginated`) impls.
pub(super) fn request_type_tokens(rt: &TokenStream, e: &Endpoint) -> TokenStream {
    let selector = e.tr.selector.as_ref();
    let selector_enum = selector.map(|s| selector_enum(e, s));
    let local_enums = e.request.iter().filter_map(|f| {
        let en = f.local_enum.as_ref()?;
        let d = format!(
            "{} (`{}`): the values KIS documents for this input.",
            md(&en.label),
            f.wire
        );
        Some(code_enum(en, &d))
    });
    let mut parts = Parts::default();
    if let Some(s) = selector {
        parts.add_selector(e, s);
    }
    for f in &e.request {
        parts.add_field(rt, f);
    }
    let Parts {
        fields,
        debug_fields,
        params,
        inits,
        setters,
        writes,
        param_docs,
    } = parts;
    let new_doc = constructor_doc(&param_docs);
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
    let default_impl = params.is_empty().then(default_via_new);
    let variant_fn = selector.map(variant_method);
    let paginated = paginated_impl(rt, e);
    let req_ident = format_ident!("Request");
    let custom_debug = redacting_debug(rt, &req_ident, TokenStream::new(), &debug_fields);
    let derive_debug = if custom_debug.is_some() {
        TokenStream::new()
    } else {
        quote!(Debug,)
    };
    quote! {
        #selector_enum
        #(#local_enums)*
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

/// The enum choosing the TR ID a request is sent with.
fn selector_enum(e: &Endpoint, s: &Selector) -> TokenStream {
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
}

/// The pieces of `Request` each input contributes, in field order.
#[derive(Default)]
struct Parts<'a> {
    /// Struct fields.
    fields: Vec<TokenStream>,
    /// (field, name shown, redacted) for the `Debug` impl.
    debug_fields: Vec<(Ident, &'a str, bool)>,
    /// Parameters of `Request::new`.
    params: Vec<TokenStream>,
    /// Field initialisers in `Request::new`.
    inits: Vec<TokenStream>,
    /// Setter methods.
    setters: Vec<TokenStream>,
    /// Statements of `Endpoint::write`.
    writes: Vec<TokenStream>,
    /// Doc lines of `Request::new`'s parameters.
    param_docs: Vec<String>,
}

/// A request input as the generated code names and types it.
struct Input {
    /// The struct field and setter name.
    name: Ident,
    /// The wire name.
    wire: Literal,
    /// The Rust type.
    ty: TokenStream,
    /// Whether setters take `impl Into<String>`.
    into_string: bool,
}

impl<'a> Parts<'a> {
    /// The TR ID selector: a constructor argument, or a setter when it has a default.
    fn add_selector(&mut self, e: &Endpoint, s: &'a Selector) {
        let n = ident(&s.param);
        let t = format_ident!("{}", s.type_name);
        self.fields.push(quote!(#n: #t,));
        self.debug_fields
            .push((n.clone(), s.param.trim_start_matches("r#"), false));
        if s.default.is_some() {
            self.inits.push(quote!(#n: #t::default(),));
            let sd = doc(&format!(
                "{}: which TR ID is used (default: `{}`).",
                md(&s.label),
                e.tr.variants[s.default.unwrap_or(0)].name
            ));
            self.setters.push(quote! {
                #sd
                pub fn #n(mut self, value: #t) -> Self {
                    self.#n = value;
                    self
                }
            });
        } else {
            self.params.push(quote!(#n: #t));
            self.inits.push(quote!(#n,));
            self.param_docs
                .push(format!("- `{}`: {}", s.param, md(&s.label)));
        }
    }

    /// One request field: written by the paginator, a constructor argument, or optional.
    fn add_field(&mut self, rt: &TokenStream, f: &'a RequestField) {
        let n = ident(&f.rust_name);
        let w = lit(&f.wire);
        if f.paging {
            self.writes.push(quote!(w.paging(#w);));
            return;
        }
        let (t, into_string) = match (&f.enum_name, &f.local_enum) {
            (Some(en), _) => {
                let en = format_ident!("{}", en);
                (quote!(super::super::codes::#en), false)
            }
            (None, Some(en)) => {
                let en = format_ident!("{}", en.name);
                (quote!(#en), false)
            }
            (None, None) => request_type(rt, f.ty),
        };
        let vd = values_doc(f);
        self.debug_fields
            .push((n.clone(), f.rust_name.trim_start_matches("r#"), f.redacted));
        let input = Input {
            name: n,
            wire: w,
            ty: t,
            into_string,
        };
        if f.is_constructor_arg() {
            self.add_constructor_arg(f, &input, &vd);
        } else {
            self.add_optional(rt, f, &input, vd);
        }
    }

    /// A required input without a default: a parameter of `Request::new`.
    fn add_constructor_arg(&mut self, f: &RequestField, input: &Input, vd: &str) {
        let Input {
            name: n,
            wire: w,
            ty: t,
            into_string,
        } = input;
        self.fields.push(quote!(#n: #t,));
        if *into_string {
            self.params
                .push(quote!(#n: impl ::core::convert::Into<::std::string::String>));
            self.inits.push(quote!(#n: #n.into(),));
        } else {
            self.params.push(quote!(#n: #t));
            self.inits.push(quote!(#n,));
        }
        self.param_docs.push(format!(
            "- `{}`: {vd}",
            f.rust_name.trim_start_matches("r#")
        ));
        self.writes.push(quote!(w.put(#w, &self.#n);));
    }

    /// An input with a setter, sent with its fill, default or empty when unset.
    fn add_optional(&mut self, rt: &TokenStream, f: &RequestField, input: &Input, vd: String) {
        let Input {
            name: n,
            wire: w,
            ty: t,
            into_string,
        } = input;
        self.fields.push(quote!(#n: ::core::option::Option<#t>,));
        self.inits.push(quote!(#n: ::core::option::Option::None,));
        let sd = doc(&optional_doc(f, vd));
        if *into_string {
            self.setters.push(quote! {
                #sd
                pub fn #n(mut self, value: impl ::core::convert::Into<::std::string::String>) -> Self {
                    self.#n = ::core::option::Option::Some(value.into());
                    self
                }
            });
        } else {
            self.setters.push(quote! {
                #sd
                pub fn #n(mut self, value: #t) -> Self {
                    self.#n = ::core::option::Option::Some(value);
                    self
                }
            });
        }
        self.writes.push(optional_write(rt, f, n, w));
    }
}

/// A setter's doc: the field's values, then what is sent when it is not set.
fn optional_doc(f: &RequestField, mut sd: String) -> String {
    match (f.fill, &f.default) {
        (Some(FillSource::AccountNumber), _) => {
            sd.push_str("\n\nDefault: the client's account number for this API group.")
        }
        (Some(FillSource::AccountProductCode), _) => {
            sd.push_str("\n\nDefault: the client's account product code for this API group.")
        }
        (Some(FillSource::HtsId), _) => sd.push_str("\n\nDefault: the client's HTS id."),
        (None, Some(d)) if d.is_empty() => sd.push_str("\n\nDefault: sent empty."),
        (None, Some(d)) => sd.push_str(&format!("\n\nDefault: `{d}`.")),
        (None, None) => sd.push_str("\n\nSent empty unless set."),
    }
    if f.required && f.fill.is_none() {
        sd.push_str(" KIS marks it required.");
    }
    sd
}

/// How `Endpoint::write` sends an optional input: filled from the account, or its default.
fn optional_write(rt: &TokenStream, f: &RequestField, n: &Ident, w: &Literal) -> TokenStream {
    match f.fill {
        Some(FillSource::AccountNumber) => {
            quote!(w.fill(#w, self.#n.as_deref(), #rt::FillSource::AccountNumber);)
        }
        Some(FillSource::AccountProductCode) => {
            quote!(w.fill(#w, self.#n.as_deref(), #rt::FillSource::AccountProductCode);)
        }
        Some(FillSource::HtsId) => {
            quote!(w.fill(#w, self.#n.as_deref(), #rt::FillSource::HtsId);)
        }
        None => {
            let def = lit(f.default.as_deref().unwrap_or(""));
            quote!(w.opt(#w, self.#n.as_ref(), #def);)
        }
    }
}

/// `Request::new`'s doc, listing its parameters.
fn constructor_doc(param_docs: &[String]) -> TokenStream {
    let mut new_doc = String::from("A request with the inputs KIS requires.");
    if !param_docs.is_empty() {
        new_doc.push_str("\n\n");
        new_doc.push_str(&param_docs.join("\n"));
    }
    doc(&new_doc)
}

/// `Default` for a request whose constructor takes no arguments.
fn default_via_new() -> TokenStream {
    quote! {
        impl ::core::default::Default for Request {
            fn default() -> Self {
                Self::new()
            }
        }
    }
}

/// `Endpoint::variant`: the index of the chosen TR ID variant.
fn variant_method(s: &Selector) -> TokenStream {
    let n = ident(&s.param);
    quote! {
        fn variant(&self) -> usize {
            self.#n as usize
        }
    }
}

/// `Paginated` for a paginated endpoint: the rows are its array block's records, or whole pages.
fn paginated_impl(rt: &TokenStream, e: &Endpoint) -> Option<TokenStream> {
    e.pagination.as_ref()?;
    let row = e.response.blocks.iter().find(|b| b.shape == Shape::Array);
    Some(match row {
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
    })
}
