//! Record structs: one per response block and per realtime TR, with the `set` that stores each
//! decoded value.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::tokens::*;
use crate::model::*;

/// A record struct with its `Record`/`RealtimeRecord` impl.
pub(super) fn record(
    rt: &TokenStream,
    name: &Ident,
    fields: &[Field],
    doc_text: &str,
    realtime: bool,
    serde_gate: Option<&TokenStream>,
) -> TokenStream {
    let d = doc(doc_text);
    let decls = fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        let t = field_type(rt, f, realtime);
        let fd = doc(&field_doc(f));
        quote!(#fd pub #n: #t,)
    });
    let metas = fields.iter().map(|f| field_meta(rt, f));
    if !realtime {
        let serialize = serde_gate.map(|gate| {
            quote! {
                #gate
                impl #rt::Serialize for #name {
                    fn serialize<S: #rt::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                        #rt::serialize_record(self, s)
                    }
                }
            }
        });
        let rec = rest_record(rt, name, &d, decls.collect(), metas.collect(), fields);
        return quote!(#rec #serialize);
    }
    let serialize = serde_gate.map(|gate| realtime_serialize(rt, gate, name, fields));
    // `set` is #[inline]: compiled into the programs that decode the record, rather than for
    // every record of the catalog in kis-api's own (debug) build
    let body = set_body(rt, fields);
    let custom_debug = redacting_debug(rt, name, quote!(<'a>), &debug_fields(fields));
    let derive_debug = if custom_debug.is_some() {
        TokenStream::new()
    } else {
        quote!(Debug,)
    };
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
        #serialize
    }
}

/// `Serialize` for a realtime record (feature `serde`): a field view by column index, written
/// by the runtime like a response record.
fn realtime_serialize(
    rt: &TokenStream,
    gate: &TokenStream,
    name: &Ident,
    fields: &[Field],
) -> TokenStream {
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let n = ident(&f.rust_name);
        let kind = field_kind(f);
        let i = Literal::usize_unsuffixed(i);
        if f.ty.is_textual() && f.code_enum.is_none() {
            quote!(#i => F::#kind(self.#n),)
        } else {
            quote!(#i => F::#kind(&self.#n),)
        }
    });
    quote! {
        #gate
        impl<'a> #rt::Serialize for #name<'a> {
            fn serialize<S: #rt::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                use #rt::FieldRef as F;
                let view = |index: usize| {
                    ::core::option::Option::Some(match index {
                        #(#arms)*
                        _ => return ::core::option::Option::None,
                    })
                };
                #rt::serialize_fields(<Self as #rt::RealtimeRecord<'a>>::COLUMNS, &view, s)
            }
        }
    }
}

/// A response record: its fields, two views of them by index (`field`, `field_mut`), and
/// `Debug`, `Clone` and `PartialEq` written once in the runtime over those views. Per-field
/// derives cost every build of kis-api a body per trait and record; the storing `set` is the
/// runtime's too.
fn rest_record(
    rt: &TokenStream,
    name: &Ident,
    d: &TokenStream,
    decls: Vec<TokenStream>,
    metas: Vec<TokenStream>,
    fields: &[Field],
) -> TokenStream {
    let views = fields.iter().enumerate().map(|(i, f)| {
        let n = ident(&f.rust_name);
        let kind = field_kind(f);
        let i = Literal::usize_unsuffixed(i);
        (
            quote!(#i => F::#kind(&self.#n),),
            quote!(#i => F::#kind(&mut self.#n),),
        )
    });
    let (refs, muts): (Vec<_>, Vec<_>) = views.unzip();
    let n = lit(&name.to_string());
    quote! {
        #d
        #[derive(Default)]
        #[non_exhaustive]
        pub struct #name {
            #(#decls)*
        }
        impl #rt::Record for #name {
            const FIELDS: &'static [#rt::FieldMeta] = &[#(#metas),*];
            #[inline]
            fn field(&self, index: usize) -> ::core::option::Option<#rt::FieldRef<'_>> {
                // a short name: the match has an arm per field, and the generator's time is
                // in its tokens
                use #rt::FieldRef as F;
                ::core::option::Option::Some(match index {
                    #(#refs)*
                    _ => return ::core::option::Option::None,
                })
            }
            #[inline]
            fn field_mut(&mut self, index: usize) -> ::core::option::Option<#rt::FieldMut<'_>> {
                use #rt::FieldMut as F;
                ::core::option::Option::Some(match index {
                    #(#muts)*
                    _ => return ::core::option::Option::None,
                })
            }
        }
        impl ::core::fmt::Debug for #name {
            #[inline]
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #rt::debug_record(self, #n, f)
            }
        }
        impl ::core::clone::Clone for #name {
            #[inline]
            fn clone(&self) -> Self {
                #rt::clone_record(self)
            }
        }
        impl ::core::cmp::PartialEq for #name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                #rt::records_eq(self, other)
            }
        }
    }
}

/// The `FieldRef`/`FieldMut` variant that stores a field (see `field_type`).
pub(super) fn field_kind(f: &Field) -> Ident {
    if f.code_enum.is_some() {
        return format_ident!("Code");
    }
    format_ident!(
        "{}",
        match f.ty {
            ValueType::Text | ValueType::Code => "Text",
            ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate =>
                "Decimal",
            ValueType::Quantity | ValueType::Integer => "Integer",
            ValueType::Date => "Date",
            ValueType::Time => "Time",
            ValueType::DateTime => "DateTime",
            ValueType::YesNo => "YesNo",
        }
    )
}

/// The body of a realtime record's `set`: a `match` on the column index storing the parsed
/// value, borrowed from the frame for text.
fn set_body(rt: &TokenStream, fields: &[Field]) -> TokenStream {
    // Each value arm is one call into a parse-and-store helper: with the parse inlined into the
    // arms, the match compiled to one huge stack frame set up for every column.
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let n = ident(&f.rust_name);
        let into = if f.code_enum.is_some() {
            quote!(#rt::code_into)
        } else {
            into_parser(rt, f.ty, true)
        };
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
