//! The kis-api generator: the endpoint catalog (`spec/`) in three stages.
//!
//! 1. [`spec`]: the YAML files as written (serde types, unknown keys rejected);
//! 2. [`model`]: the validated catalog ([`load::load_catalog`]), with Rust names resolved, value
//!    types assigned and every reference checked;
//! 3. [`emit`]: Rust source for `kis-api`, built with `quote` and formatted with `prettyplease`.
//!
//! `kis-api/build.rs` and `cargo xtask codegen` run [`load_catalog`] then
//! [`emit::generate_catalog`] (timing the two apart); [`generate`] does both in one call.

pub mod conformance;
pub mod diag;
pub mod emit;
pub mod load;
pub mod model;
pub mod names;
pub mod report;
pub mod spec;
pub mod surface;
pub mod types;

pub use diag::{Diagnostic, Diagnostics};
pub use load::{SourceFile, load_catalog, load_from_sources, read_sources};
pub use model::Catalog;

use std::path::Path;

pub use emit::{GeneratedFile, Options};

/// Loads and validates the catalog in `spec_dir` and generates its Rust source.
pub fn generate(spec_dir: &Path, options: &Options) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let catalog = load_catalog(spec_dir)?;
    Ok(emit::generate_catalog(&catalog, options))
}

/// Writes generated files into `dir`, leaving files whose content is unchanged untouched (so
/// their modification time does not trigger rebuilds).
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in files {
        let path = dir.join(&f.name);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == f.contents) {
            continue;
        }
        std::fs::write(&path, &f.contents)?;
    }
    Ok(())
}
