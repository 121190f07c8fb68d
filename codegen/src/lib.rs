//! The kis-api generator: the endpoint catalog (`spec/`) in three stages.
//!
//! 1. [`spec`]: the YAML files as written (serde types, unknown keys rejected);
//! 2. [`model`]: the validated catalog ([`load::load_catalog`]), with Rust names resolved, value
//!    types assigned and every reference checked;
//! 3. [`emit`]: Rust source for `kis-api`, built with `quote` and formatted with `prettyplease`.
//!
//! `kis-api/build.rs` and `cargo xtask` share the single entry point [`generate`].

pub mod diag;
pub mod load;
pub mod model;
pub mod names;
pub mod report;
pub mod spec;
pub mod types;

pub use diag::{Diagnostic, Diagnostics};
pub use load::{SourceFile, load_catalog, load_from_sources, read_sources};
pub use model::Catalog;
