//! Generates the endpoint bindings from the catalog (the `kis-catalog` crate's files, `spec/` in
//! the repository, or `$KIS_SPEC_DIR`) into OUT_DIR, for the API groups whose cargo feature is
//! enabled.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=KIS_SPEC_DIR");
    let spec = std::env::var_os("KIS_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(kis_codegen::CATALOG_DIR));
    // a directory makes cargo rescan every file below it
    println!("cargo::rerun-if-changed={}", spec.display());
    let catalog = match kis_codegen::load_catalog(&spec) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems.iter() {
                println!("cargo::error={p}");
            }
            std::process::exit(1);
        }
    };
    // the auth group is always built: the client calls it itself (tokens, approval keys)
    let groups = catalog
        .groups
        .iter()
        .filter(|g| {
            let var = format!(
                "CARGO_FEATURE_{}",
                g.feature.to_uppercase().replace('-', "_")
            );
            g.id == "auth" || std::env::var_os(var).is_some()
        })
        .map(|g| g.id.clone())
        .collect();
    let files = kis_codegen::emit::generate_catalog(
        &catalog,
        &kis_codegen::Options::for_kis_api(Some(groups)),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = kis_codegen::write_files(&out, &files) {
        println!(
            "cargo::error=cannot write generated code to {}: {e}",
            out.display()
        );
        std::process::exit(1);
    }
}
