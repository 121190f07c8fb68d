//! With the `embedded` feature: embeds the catalog files of this package into the crate, as
//! `$OUT_DIR/catalog_files.rs` holding (path relative to the catalog, text) pairs made with
//! `include_str!`, so a program (kis-mock, the `kis` command line) serves the catalog it was
//! built with, wherever it runs.

use std::path::PathBuf;

#[path = "src/walk.rs"]
#[allow(dead_code)]
mod walk;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_none() {
        return;
    }
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // a directory makes cargo rescan every file below it
    println!("cargo::rerun-if-changed={}", dir.display());
    let found = walk::catalog_files(&dir);
    for (path, problem) in &found.problems {
        println!("cargo::error={}: {problem}", path.display());
    }
    let mut src = String::from("&[\n");
    for f in &found.files {
        let rel = f
            .strip_prefix(&dir)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        src.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.to_string_lossy()
        ));
    }
    src.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("catalog_files.rs"), src) {
        println!("cargo::error=cannot write catalog_files.rs: {e}");
    }
}
