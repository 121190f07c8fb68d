//! Record structs: one per response block and per realtime TR, with the `set` that stores each
//! decoded value.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use super::tokens::*;
use crate::model::*;

/// A record struct with its `Record`/`RealtimeRecord` impl.
pub(super) fn record(
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
    // `set` is #[inline]: compiled into the programs that decode the record, rather than for
    // every record of the catalog in kis-api's own (debug) build
    let body = set_body(rt, fields, realtime);
    let generics = if realtime {
        quote!(<'a>)
    } else {
        TokenStream::new()
    };
    let custom_debug = redacting_debug(rt, name, generics, &debug_fields(fields));
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
                #[inline]
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
                #[inline]
                fn set(&mut self, index: usize, raw: &str) -> ::core::result::Result<(), #rt::ValueError> {
                    #body
                }
            }
        }
    }
}

/// The body of `set`: a `match` on the field index storing the parsed value.
fn set_body(rt: &TokenStream, fields: &[Field], realtime: bool) -> TokenStream {
    // Each value arm is one call into a parse-and-store helper: with the parse inlined into the
    // arms, the match compiled to one huge stack frame set up for every column.
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let n = ident(&f.rust_name);
        let into = into_parser(rt, f.ty, realtime);
        let i = Literal::usize_unsuffixed(i);
        quote!(#i => #into(&mut self.#n, raw),)
    });
    quote! {
        match index {
            #(#arms)*
            _ => ::core::result::Result::Ok(()),
        }
    }
}

/// (identifier, name shown, redacted) of each field, for `Debug`.
fn debug_fields(fields: &[Field]) -> Vec<(Ident, &str, bool)> {
    fields
        .iter()
        .map(|f| {
            (
                ident(&f.rust_name),
                f.rust_name.trim_start_matches("r#"),
                f.redacted,
            )
        })
        .collect()
}
