//! Puts the endpoint bindings into OUT_DIR, one of two ways:
//!
//! - feature `regenerate` (on in the repository): generates them from the catalog (the
//!   `kis-catalog` crate's files, `spec/` in the repository, or `$KIS_SPEC_DIR`) with
//!   `kis-codegen`, for the API groups whose cargo feature is enabled;
//! - otherwise (the crate as published): copies the generated source the package ships in
//!   `generated/`, made by the same generator for every group when the crate was packaged
//!   (`cargo xtask package`). Each group's items there compile only with the group's feature, so
//!   no generator, catalog loader or formatter is built for a user's program.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    #[cfg(feature = "regenerate")]
    regenerate(&out);
    #[cfg(not(feature = "regenerate"))]
    copy_shipped(&out);
}

#[cfg(feature = "regenerate")]
fn regenerate(out: &Path) {
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
    let groups = catalog
        .groups
        .iter()
        .filter(|g| {
            let var = format!(
                "CARGO_FEATURE_{}",
                g.feature.to_uppercase().replace('-', "_")
            );
            kis_codegen::ALWAYS_BUILT.contains(&g.id.as_str()) || std::env::var_os(var).is_some()
        })
        .map(|g| g.id.clone())
        .collect();
    let files = kis_codegen::emit::generate_catalog(
        &catalog,
        &kis_codegen::Options::for_kis_api(Some(groups)),
    );
    if let Err(e) = kis_codegen::write_files(out, &files) {
        fail(&format!(
            "cannot write generated code to {}: {e}",
            out.display()
        ));
    }
}

#[cfg(not(feature = "regenerate"))]
fn copy_shipped(out: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
    println!("cargo::rerun-if-changed={}", dir.display());
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => fail(&format!(
            "{}: {e}. Only the packaged kis-api ships generated bindings; in the repository, \
             build with the `regenerate` feature (a default there)",
            dir.display()
        )),
    };
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(e) => fail(&format!("{}: {e}", dir.display())),
        };
        if path.extension().is_some_and(|x| x == "rs") {
            let to = out.join(path.file_name().unwrap_or_default());
            if let Err(e) = std::fs::copy(&path, &to) {
                fail(&format!(
                    "cannot copy {} to {}: {e}",
                    path.display(),
                    to.display()
                ));
            }
        }
    }
}

fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1);
}
