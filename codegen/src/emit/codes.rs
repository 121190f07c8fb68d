//! `codes.rs`: the closed value sets of `common.yaml` as Rust enums.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Options;
use super::tokens::*;
use crate::model::*;

/// `codes.rs`: the closed value sets of `common.yaml` as Rust enums.
pub(super) fn codes_file(catalog: &Catalog, opts: &Options) -> TokenStream {
    let runtime = path(&opts.runtime);
    let enums = catalog.common.enums.iter().map(|en| {
        let d = format!(
            "{}: a closed value set of the catalog (`{}/common.yaml`).",
            md(&en.label),
            opts.spec_label
        );
        let t = format_ident!("{}", en.name);
        let e = code_enum(en, &d);
        // response fields read into the shared enums (`response_enums`)
        quote! {
            #e
            impl rt::CodeEnum for #t {
                fn read(code: &str) -> Self {
                    match code.parse() {
                        ::core::result::Result::Ok(v) => v,
                        ::core::result::Result::Err(never) => match never {},
                    }
                }
                fn wire(&self) -> &str {
                    self.code()
                }
            }
        }
    });
    quote! {
        use #runtime as rt;
        #(#enums)*
    }
}

/// One enum documented by `doc_text`: its members and `Other` for codes outside the set. Shared
/// enums live in `codes`; a field's own value set becomes one in its endpoint module (both
/// scopes name the runtime `rt`).
pub(super) fn code_enum(en: &CodeEnum, doc_text: &str) -> TokenStream {
    let t = format_ident!("{}", en.name);
    let d = doc(doc_text);
    let variants = en.members.iter().map(|m| {
        let v = format_ident!("{}", m.rust_name);
        let d = doc(&format!("`{}`: {}", m.value, md(&m.label)));
        quote!(#d #v,)
    });
    let impls = code_enum_impls(&t, en);
    quote! {
        #d
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #t {
            #(#variants)*
            /// A code outside the catalog's set (KIS added one), sent as is: a literal
            /// (`Other("03".into())`) or a code read at run time ([`Self::other`], `str::parse`).
            Other(::std::borrow::Cow<'static, str>),
        }
        #impls
    }
}

/// An enum's `ALL`, `code` and `from_code`, its `FromStr`, `Display` and `ParamValue` (the
/// labels are in the variants' docs and the endpoint metadata).
fn code_enum_impls(t: &Ident, en: &CodeEnum) -> TokenStream {
    let member = |m: &CodeMember| format_ident!("{}", m.rust_name);
    let all = en.members.iter().map(|m| {
        let v = member(m);
        quote!(#t::#v)
    });
    let codes = en.members.iter().map(|m| {
        let (v, c) = (member(m), lit(&m.value));
        quote!(#t::#v => #c,)
    });
    let parse = en.members.iter().map(|m| {
        let (v, c) = (member(m), lit(&m.value));
        quote!(#c => ::core::option::Option::Some(#t::#v),)
    });
    quote! {
        impl #t {
            /// Every member of the set.
            pub const ALL: &'static [#t] = &[#(#all),*];
            /// The code as sent.
            pub fn code(&self) -> &str {
                match self {
                    #(#codes)*
                    #t::Other(code) => code,
                }
            }
            /// The member sent as `code`, or `None` outside the set.
            pub fn from_code(code: &str) -> ::core::option::Option<Self> {
                match code {
                    #(#parse)*
                    _ => ::core::option::Option::None,
                }
            }
            /// The member sent as `code`, or `Other` holding it: a code the catalog does not
            /// list is kept, never an error.
            pub fn other(code: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>) -> Self {
                let code = code.into();
                Self::from_code(&code).unwrap_or(#t::Other(code))
            }
        }
        impl ::core::str::FromStr for #t {
            type Err = ::core::convert::Infallible;
            /// Never fails: a code outside the set is `Other` (use [`Self::from_code`] to
            /// tell the two apart).
            fn from_str(code: &str) -> ::core::result::Result<Self, ::core::convert::Infallible> {
                // a member costs no allocation; only an unlisted code is copied
                ::core::result::Result::Ok(Self::from_code(code).unwrap_or_else(|| {
                    #t::Other(::std::borrow::Cow::Owned(code.to_owned()))
                }))
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
}
