//! The kis-api generator: Rust source from the endpoint catalog.
//!
//! The catalog itself (its files, model, validator and closed sets) is [`kis_catalog`]; this
//! crate turns the validated [`Catalog`] into code:
//!
//! - [`emit`]: the bindings for `kis-api` (or an external crate), built with `quote` and formatted
//!   with `prettyplease`;
//! - [`surface`]: the one-line-per-endpoint API surface reviewed through snapshots;
//! - [`conformance`]: the calls the integration suite makes to every endpoint;
//! - [`report`]: `cargo xtask spec-report`.
//!
//! `kis-api/build.rs` and `cargo xtask codegen` run [`load_catalog`] then
//! [`emit::generate_catalog`] (timing the two apart); [`generate`] does both in one call.

pub mod conformance;
pub mod emit;
pub mod report;
pub mod surface;

pub use kis_catalog::{
    CATALOG_DIR, Catalog, Diagnostic, Diagnostics, SourceFile, diag, load, load_catalog,
    load_from_sources, model, names, read_sources,
};

use std::path::Path;

pub use emit::{ALWAYS_BUILT, GeneratedFile, Options};

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
