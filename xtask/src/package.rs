//! `cargo xtask package`: the crates a user needs, packaged as crates.io would get them, and a
//! fresh project built from those packages (not from the workspace) that reads a quote from
//! kis-mock.
//!
//! 1. `cargo package` for kis-catalog, kis-codegen, kis-mock and kis-api;
//! 2. the packaged catalog must equal `spec/` file for file (the one source of truth);
//! 3. a new project outside the workspace depends on `kis-api` and `kis-mock` by version, with
//!    `[patch.crates-io]` pointing at the unpacked packages, and runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::workspace_root;

/// The published crates, in dependency order.
const CRATES: [&str; 4] = ["kis-catalog", "kis-codegen", "kis-mock", "kis-api"];

const APP_MAIN: &str = r#"//! A new user's first program, built from the packaged crates.
use kis_api::{Client, Env, TokenCache, codes::StockMarket, domestic_stock::inquire_price};
use kis_mock::{MockConfig, MockServer};

#[tokio::main]
async fn main() {
    let mock = MockServer::start(MockConfig::default().with_credentials("PSpackageKey", "secret"))
        .await
        .expect("kis-mock starts");
    let cache = std::env::temp_dir().join(format!("kis-package-check-{}", std::process::id()));
    let client = Client::builder()
        .environment(Env::Real)
        .app_key("PSpackageKey", "secret")
        .rest_url(mock.rest_url())
        .token_cache(TokenCache::Dir(cache.clone()))
        .build()
        .expect("client");
    let quote = client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .expect("a quote");
    let price = quote.output.and_then(|o| o.stck_prpr).expect("a price");
    let _ = std::fs::remove_dir_all(cache);
    println!("price {price}");
}
"#;

/// Runs the packaging check.
pub fn run() -> Result<ExitCode, String> {
    let root = workspace_root();
    let version = env!("CARGO_PKG_VERSION");
    let mut args = vec!["package", "--allow-dirty", "--no-verify"];
    for c in CRATES {
        args.extend(["-p", c]);
    }
    if !crate::cargo(&args) {
        return Err("cargo package failed".into());
    }
    let work = root.join("target").join("package-check");
    let _ = fs::remove_dir_all(&work);
    let crates_dir = work.join("crates");
    fs::create_dir_all(&crates_dir).map_err(|e| format!("{}: {e}", crates_dir.display()))?;
    let mut unpacked = Vec::new();
    for c in CRATES {
        let file = root
            .join("target")
            .join("package")
            .join(format!("{c}-{version}.crate"));
        run_command(
            Command::new("tar")
                .arg("-xzf")
                .arg(&file)
                .arg("-C")
                .arg(&crates_dir),
        )?;
        unpacked.push((c, crates_dir.join(format!("{c}-{version}"))));
    }
    let catalog = &unpacked[0].1;
    let drift = catalog_drift(&root.join("spec"), catalog)?;
    if !drift.is_empty() {
        return Err(format!(
            "the packaged catalog differs from spec/: {}",
            drift.join(", ")
        ));
    }
    eprintln!("==> packaged catalog equals spec/");
    let app = write_app(&work, &unpacked, version, &root)?;
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .map_err(|e| format!("cargo run: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !stdout.starts_with("price ") {
        return Err(format!(
            "the fresh project failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!(
        "==> a fresh project built from the packaged crates read a quote from kis-mock: {}",
        stdout.trim()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_command(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?}: {status}"))
    }
}

/// Files that differ between the catalog in `spec` and the packaged one (YAML files only).
fn catalog_drift(spec: &Path, packaged: &Path) -> Result<Vec<String>, String> {
    let list = |dir: &Path| -> Result<Vec<(String, Vec<u8>)>, String> {
        let sources = kis_codegen::read_sources(dir).map_err(|d| d.to_string())?;
        Ok(sources
            .into_iter()
            .map(|s| (s.path, s.text.into_bytes()))
            .collect())
    };
    let (want, got) = (list(spec)?, list(packaged)?);
    let mut drift: Vec<String> = want
        .iter()
        .filter(|w| !got.contains(w))
        .map(|(p, _)| p.clone())
        .collect();
    drift.extend(
        got.iter()
            .filter(|g| !want.iter().any(|w| w.0 == g.0))
            .map(|(p, _)| format!("{p} (only packaged)")),
    );
    Ok(drift)
}

/// A new project beside the unpacked crates, with the workspace's lock file so that it builds
/// the same dependency versions.
fn write_app(
    work: &Path,
    unpacked: &[(&str, PathBuf)],
    version: &str,
    root: &Path,
) -> Result<PathBuf, String> {
    let app = work.join("app");
    let src = app.join("src");
    fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let patches: String = unpacked
        .iter()
        .map(|(name, dir)| format!("{name} = {{ path = {:?} }}\n", dir.display().to_string()))
        .collect();
    let manifest = format!(
        "[package]\nname = \"kis-first-program\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nkis-api = \"{version}\"\nkis-mock = \"{version}\"\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [patch.crates-io]\n{patches}\n# not a member of the repository's workspace\n[workspace]\n"
    );
    let write = |path: PathBuf, text: &str| {
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(app.join("Cargo.toml"), &manifest)?;
    write(src.join("main.rs"), APP_MAIN)?;
    fs::copy(root.join("Cargo.lock"), app.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    Ok(app)
}
