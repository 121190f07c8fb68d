//! Generates one typed call per REST endpoint and one typed subscription per realtime TR of the
//! catalog (see kis_codegen::conformance).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let spec = manifest.join("../../spec");
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
    let mut code = kis_codegen::conformance::conformance_calls(&catalog, "::kis_api");
    code.push('\n');
    code.push_str(&kis_codegen::conformance::realtime_subscriptions(
        &catalog,
        "::kis_api",
    ));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let file = kis_codegen::GeneratedFile {
        name: "calls.rs".into(),
        contents: code,
    };
    if let Err(e) = kis_codegen::write_files(&out, &[file]) {
        println!("cargo::error=cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}
