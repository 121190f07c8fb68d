//! Client accessors: each group's accessor type (the head of its file) and `groups.rs`, which
//! includes the group files and adds the accessors to `Client`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Options;
use super::meta::catalog_static;
use super::tokens::*;
use crate::model::*;

/// The head of a group file: the group's accessor type with one method per REST endpoint (those
/// not served in demo only for real-capable clients), and one constant per realtime TR.
pub(super) fn group_head(catalog: &Catalog, group: &Group, opts: &Options) -> TokenStream {
    let runtime = path(&opts.runtime);
    // generated items reach the runtime through the alias `rt`, declared once per file
    let rt = quote!(rt);
    let endpoints: Vec<&Endpoint> = catalog.endpoints_of(&group.id).collect();
    let accessor = format_ident!("{}", group.type_name);
    let rest = |demo: bool| {
        endpoints
            .iter()
            .filter(move |e| e.kind == EndpointKind::Rest && e.demo == demo)
    };
    let demo_methods = rest(true).map(|e| accessor_method(&rt, e));
    let real_methods = rest(false).map(|e| accessor_method(&rt, e));
    let consts = endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::WebSocket)
        .filter_map(|e| realtime_const(e, opts));
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

/// The accessor method calling one REST endpoint.
fn accessor_method(rt: &TokenStream, e: &Endpoint) -> TokenStream {
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
}

/// The constant naming a realtime TR by its TR ID, to subscribe with.
fn realtime_const(e: &Endpoint, opts: &Options) -> Option<TokenStream> {
    let gate = opts.realtime_gate();
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
        #gate
        pub const #c: #m::Tr = #m::Tr;
    })
}

/// `groups.rs`: the `codes` and group modules, the client accessors, `ENDPOINTS` and `CATALOG`.
pub(super) fn groups_file(catalog: &Catalog, groups: &[&Group], opts: &Options) -> TokenStream {
    let rt = path(&opts.runtime);
    let mods = groups.iter().map(|g| {
        let m = ident(&g.id);
        let file = lit(&format!("/{}.rs", g.id));
        let d = doc(&format!("{} ({}): {}", md(&g.name), g.id, md(&g.doc)));
        let gate = opts.group_gate(g);
        quote! {
            #d
            #gate
            pub mod #m {
                include!(concat!(env!("OUT_DIR"), #file));
            }
        }
    });
    let client_methods = client_accessors(catalog, groups, opts, &rt);
    let endpoints = endpoint_list(catalog, groups, opts, &rt);
    let catalog_static = catalog_static(catalog, &rt);
    quote! {
        /// Closed value sets of the catalog, as enums (`enum:` request fields take them).
        pub mod codes {
            include!(concat!(env!("OUT_DIR"), "/codes.rs"));
        }
        #(#mods)*
        #client_methods
        #endpoints
        #catalog_static
    }
}

/// One accessor per group with REST endpoints: inherent methods of `Client` inside `kis-api`,
/// an extension trait elsewhere.
fn client_accessors(
    catalog: &Catalog,
    groups: &[&Group],
    opts: &Options,
    rt: &TokenStream,
) -> TokenStream {
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
    // the feature gate goes with the doc: both are attributes of the accessor
    let docs: Vec<TokenStream> = with_rest
        .iter()
        .map(|g| {
            let d = doc(&format!("{} endpoints ({}).", md(&g.name), g.id));
            let gate = opts.group_gate(g);
            quote!(#d #gate)
        })
        .collect();
    if opts.inherent_client_methods {
        let items = accessors
            .iter()
            .zip(bodies)
            .zip(&docs)
            .map(|((a, b), d)| quote!(#d pub #a { #b }));
        return quote! {
            impl<E: #rt::Environment> #rt::Client<E> {
                #(#items)*
            }
        };
    }
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
}

/// `ENDPOINTS`: every generated endpoint's `META`, in catalog order.
fn endpoint_list(
    catalog: &Catalog,
    groups: &[&Group],
    opts: &Options,
    rt: &TokenStream,
) -> TokenStream {
    let metas = groups.iter().flat_map(|g| {
        let gate = opts.group_gate(g);
        catalog.endpoints_of(&g.id).map(move |e| {
            let realtime = if e.kind == EndpointKind::WebSocket {
                opts.realtime_gate()
            } else {
                TokenStream::new()
            };
            let m = ident(&g.id);
            let e = ident(&crate::names::field_ident(&e.id));
            quote!(#gate #realtime &#m::#e::META)
        })
    });
    let list_doc =
        doc("Every endpoint compiled in (those of the enabled groups), in catalog order.");
    quote! {
        #list_doc
        pub static ENDPOINTS: &[&#rt::EndpointMeta] = &[#(#metas),*];
    }
}
