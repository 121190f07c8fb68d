//! Generates bindings for the fixture catalog plus the new endpoint file, the way a user would for
//! an API KIS added before kis-api has it: kis-codegen in their own build script.

use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!(
        "cargo::rerun-if-changed={}",
        manifest.join("catalog").display()
    );
    println!(
        "cargo::rerun-if-changed={}",
        manifest.join("new-endpoint").display()
    );
    // the fixture catalog with the new endpoint file dropped in
    let catalog = out.join("catalog");
    let _ = std::fs::remove_dir_all(&catalog);
    for dir in ["catalog", "new-endpoint"] {
        if let Err(e) = copy_tree(&manifest.join(dir), &catalog) {
            println!("cargo::error=cannot assemble the fixture catalog: {e}");
            std::process::exit(1);
        }
    }
    let files = match kis_codegen::generate(&catalog, &kis_codegen::Options::external("FixtureApi"))
    {
        Ok(f) => f,
        Err(problems) => {
            for p in problems.iter() {
                println!("cargo::error={p}");
            }
            std::process::exit(1);
        }
    };
    if let Err(e) = kis_codegen::write_files(&out, &files) {
        println!("cargo::error=cannot write the bindings: {e}");
        std::process::exit(1);
    }
    println!("cargo::rustc-env=FIXTURE_CATALOG={}", catalog.display());
}
