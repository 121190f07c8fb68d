//! Stage 3: Rust source for the validated catalog, built with `quote` and formatted with
//! `prettyplease`.
//!
//! Generated code stays thin: data types, constructors and setters, a `match` that stores each
//! decoded value, static metadata, and one-line client methods. Sending, auth, retries, pagination
//! and decoding live in `kis-api`'s runtime, reached through the path given in [`Options::runtime`].
//!
//! This file holds the options and drives the generation; the pieces have their own files:
//! `tokens` (small helpers), `record` (record structs), `request` (request types), `endpoint`
//! (endpoint modules), `meta` (`META` and `CATALOG`), `docs` (doc text), `client` (group
//! accessors and `groups.rs`) and `codes` (`codes.rs`).

mod client;
mod codes;
mod docs;
mod endpoint;
mod field_types;
mod meta;
mod record;
mod request;
mod tokens;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::*;

pub use field_types::field_types;
pub(crate) use tokens::ident;

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
    /// Inside `kis-api`: each group's module, accessor and `ENDPOINTS` entries compile only with
    /// the group's cargo feature (all but [`ALWAYS_BUILT`]), so one generated source serves every
    /// feature set (the packaged crate ships it). Elsewhere the features are not the crate's.
    pub feature_gates: bool,
}

/// Groups `kis-api` builds whatever its features: the client calls them itself (tokens,
/// approval keys).
pub const ALWAYS_BUILT: &[&str] = &["auth"];

impl Options {
    /// The `#[cfg(feature = ..)]` a group's items carry (none when ungated or always built).
    pub(crate) fn group_gate(&self, group: &Group) -> TokenStream {
        if !self.feature_gates || ALWAYS_BUILT.contains(&group.id.as_str()) {
            return TokenStream::new();
        }
        let feature = &group.feature;
        quote!(#[cfg(feature = #feature)])
    }

    /// The `#[cfg(feature = "realtime")]` a realtime TR's module, constant and `ENDPOINTS` entry
    /// carry inside `kis-api`: its types serve only the realtime client, and without it they
    /// were a tenth of every REST-only program's build of kis-api.
    pub(crate) fn realtime_gate(&self) -> TokenStream {
        if !self.feature_gates {
            return TokenStream::new();
        }
        quote!(#[cfg(feature = "realtime")])
    }

    /// The `#[cfg(feature = "serde")]` of the `Serialize` impls, which exist only inside
    /// `kis-api` (elsewhere the feature is not the crate's): `None` when none are generated.
    pub(crate) fn serde_gate(&self) -> Option<TokenStream> {
        self.feature_gates
            .then(|| quote!(#[cfg(feature = "serde")]))
    }
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
            feature_gates: true,
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
            feature_gates: false,
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

/// Formats generated tokens as a source file under `header` (none when empty).
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
        None => client::group_head(catalog, group, opts),
        Some(e) if e.kind == EndpointKind::WebSocket => {
            endpoint::websocket_endpoint(&rt, e, group, opts)
        }
        Some(e) => endpoint::rest_endpoint(&rt, e, group, opts),
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
        contents: format(client::groups_file(catalog, &groups, opts), &header),
    });
    let header = format!(
        "// @generated by kis-codegen from {}/common.yaml (enums).\n// Do not edit: change the catalog and rebuild.",
        opts.spec_label
    );
    out.push(GeneratedFile {
        name: "codes.rs".into(),
        contents: format(codes::codes_file(catalog, opts), &header),
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
