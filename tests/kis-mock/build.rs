//! Embeds the endpoint catalog (`spec/**/*.yaml`) into the crate: generates
//! `$OUT_DIR/spec_files.rs` holding `SPEC_FILES`, a list of (relative path, text) pairs made
//! with `include_str!` of absolute paths, so the mock serves the catalog it was built with.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let spec = manifest.join("../../spec");
    let spec = spec.canonicalize().unwrap_or(spec);
    println!("cargo:rerun-if-changed={}", spec.display());
    let mut files = Vec::new();
    collect(&spec, &mut files);
    files.sort();
    let mut src = String::from(
        "/// The catalog files embedded at build time: (path relative to `spec/`, text).\n\
         pub(crate) static SPEC_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&spec)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        src.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            rel,
            f.to_string_lossy()
        ));
    }
    src.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("spec_files.rs");
    fs::write(&out, src).expect("write spec_files.rs");
}
