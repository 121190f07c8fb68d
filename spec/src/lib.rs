//! The KIS Open API endpoint catalog as Rust: one model used by the generator, the runtime, the
//! mock server and the tools.
//!
//! - [`kinds`]: the catalog's closed sets (value types, endpoint kinds, response-code actions,
//!   environments, ...), defined once;
//! - [`meta`]: the static metadata generated bindings carry (`EndpointMeta`, `CatalogMeta`);
//! - with the `load` feature: [`load_catalog`] reads and validates the YAML files (stage 1,
//!   [`files`]) into the [`model`] (stage 2), reporting every problem as a [`Diagnostic`].
//!
//! The YAML files live beside this crate's sources (`spec/` in the repository) and are part of
//! its package: [`CATALOG_DIR`] points at them.

pub mod kinds;
pub mod meta;

#[cfg(feature = "load")]
pub mod diag;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "load")]
pub mod files;
#[cfg(feature = "load")]
pub mod load;
#[cfg(feature = "load")]
pub mod model;
#[cfg(feature = "load")]
pub mod names;
#[cfg(feature = "load")]
pub mod rules;
#[cfg(feature = "load")]
pub mod walk;

pub use kinds::{
    AccountKind, EndpointKind, Env, ErrorAction, FillSource, Method, Shape, TrKeyMeaning, ValueType,
};

#[cfg(feature = "load")]
pub use diag::{Diagnostic, Diagnostics};
#[cfg(feature = "load")]
pub use load::{SourceFile, load_catalog, load_from_sources, read_sources};
#[cfg(feature = "load")]
pub use model::Catalog;

/// The catalog directory this crate was built with (its own package directory).
pub const CATALOG_DIR: &str = env!("CARGO_MANIFEST_DIR");
