//! `cargo xtask package`: the crates a user needs, packaged as crates.io would get them, and a
//! fresh project built from those packages (not from the workspace) that reads a quote from
//! kis-mock.
//!
//! 1. `cargo package` for kis-catalog, kis-codegen, kis-mock and kis-api;
//! 2. the unpacked kis-api becomes what is published: the generator's output for the packaged
//!    catalog in `generated/`, and `regenerate` out of its default features (see
//!    `kis-api/build.rs`);
//! 3. the packaged catalog must equal `spec/` file for file (the one source of truth);
//! 4. a new project outside the workspace depends on `kis-api` and `kis-mock` by version, with
//!    `[patch.crates-io]` pointing at the unpacked packages, runs, and its build has no generator.

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

/// The packaged crates, unpacked.
pub struct Unpacked {
    /// `(name, directory)` in [`CRATES`] order.
    pub crates: Vec<(&'static str, PathBuf)>,
    /// Whether kis-api ships its generated source (false for a version from before it did).
    pub ships_generated: bool,
}

/// The target directory cargo uses for this workspace (`CARGO_TARGET_DIR` or `target/`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo package` for [`CRATES`] of the workspace at `root`, unpacked into `dir` (emptied
/// first), kis-api made what is published ([`ship_generated`]).
pub fn package_crates(root: &Path, dir: &Path) -> Result<Unpacked, String> {
    let version = env!("CARGO_PKG_VERSION");
    let mut args = vec!["package", "--allow-dirty", "--no-verify"];
    for c in CRATES {
        args.extend(["-p", c]);
    }
    eprintln!("\n==> cargo {} (in {})", args.join(" "), root.display());
    run_command(
        crate::cargo_cmd::cargo_command()
            .args(&args)
            .current_dir(root),
    )?;
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut unpacked = Vec::new();
    for c in CRATES {
        let file = target_dir(root)
            .join("package")
            .join(format!("{c}-{version}.crate"));
        run_command(
            Command::new("tar")
                .arg("-xzf")
                .arg(&file)
                .arg("-C")
                .arg(dir),
        )?;
        unpacked.push((c, dir.join(format!("{c}-{version}"))));
    }
    let ships_generated = ship_generated(&unpacked[0].1, &unpacked[3].1)?;
    Ok(Unpacked {
        crates: unpacked,
        ships_generated,
    })
}

/// The feature that builds the generator; on by default only in the repository.
const REGENERATE: &str = "regenerate";

/// Makes the unpacked kis-api what is published: the generator's output for every group, from the
/// packaged catalog, in `generated/`, and a manifest whose defaults do not regenerate it. Publish
/// it with `cargo publish --manifest-path <this directory>/Cargo.toml`. False (and nothing
/// changed) when the manifest has no `regenerate` default: a kis-api from before the feature.
fn ship_generated(catalog: &Path, kis_api: &Path) -> Result<bool, String> {
    let manifest = kis_api.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let Some(edited) = without_default_feature(&text, REGENERATE) else {
        return Ok(false);
    };
    let files = kis_codegen::generate(catalog, &kis_codegen::Options::for_kis_api(None))
        .map_err(|d| format!("the packaged catalog does not generate: {d}"))?;
    kis_codegen::write_files(&kis_api.join("generated"), &files)
        .map_err(|e| format!("{}: {e}", kis_api.display()))?;
    // a package source again: cargo writes these two itself and refuses them in a source; the
    // empty workspace keeps it standalone wherever it lies (cargo drops the table on packaging)
    for generated_by_cargo in ["Cargo.toml.orig", ".cargo_vcs_info.json"] {
        let _ = fs::remove_file(kis_api.join(generated_by_cargo));
    }
    fs::write(&manifest, format!("{edited}\n[workspace]\n"))
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    Ok(true)
}

/// `cargo package` of the kis-api made by [`ship_generated`], its kis dependencies taken from
/// their unpacked packages (they are not on crates.io yet): what `cargo publish` of it would
/// upload.
fn package_shipped(crates: &[(&'static str, PathBuf)], target: &Path) -> Result<(), String> {
    let kis_api = &crates[3].1;
    let mut cmd = crate::cargo_cmd::cargo_command();
    cmd.args(["package", "--no-verify", "--allow-dirty", "--quiet"])
        .arg("--manifest-path")
        .arg(kis_api.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target);
    for (name, dir) in &crates[..3] {
        cmd.arg("--config").arg(format!(
            "patch.crates-io.{name}.path={:?}",
            dir.display().to_string()
        ));
    }
    run_command(&mut cmd)
}

/// `manifest` (as `cargo package` writes it) with `feature` taken out of the `default` feature
/// list; `None` when the list does not hold it.
fn without_default_feature(manifest: &str, feature: &str) -> Option<String> {
    let start = manifest.find("\ndefault = [")? + 1;
    let open = start + manifest[start..].find('[')?;
    let close = open + manifest[open..].find(']')?;
    let items: Vec<&str> = manifest[open + 1..close]
        .split(',')
        .map(|i| i.trim().trim_matches('"'))
        .filter(|i| !i.is_empty())
        .collect();
    if !items.contains(&feature) {
        return None;
    }
    let kept: Vec<String> = items
        .iter()
        .filter(|i| **i != feature)
        .map(|i| format!("    \"{i}\",\n"))
        .collect();
    Some(format!(
        "{}default = [\n{}]{}",
        &manifest[..start],
        kept.concat(),
        &manifest[close + 1..]
    ))
}

/// Runs the packaging check.
pub fn run() -> Result<ExitCode, String> {
    let root = workspace_root();
    let version = env!("CARGO_PKG_VERSION");
    let work = target_dir(&root).join("package-check");
    let _ = fs::remove_dir_all(&work);
    let packed = package_crates(&root, &work.join("crates"))?;
    if !packed.ships_generated {
        return Err(format!(
            "kis-api/Cargo.toml: `{REGENERATE}` must be a default feature (the packaged crate drops it)"
        ));
    }
    let unpacked = packed.crates;
    let catalog = &unpacked[0].1;
    let drift = catalog_drift(&root.join("spec"), catalog)?;
    if !drift.is_empty() {
        return Err(format!(
            "the packaged catalog differs from spec/: {}",
            drift.join(", ")
        ));
    }
    eprintln!("==> packaged catalog equals spec/");
    package_shipped(&unpacked, &work.join("shipped"))?;
    eprintln!(
        "==> kis-api with its generated source packages; publish it (after kis-catalog, \
         kis-codegen and kis-mock) with cargo publish --manifest-path {}",
        unpacked[3].1.join("Cargo.toml").display()
    );
    let app = write_app(&work, &unpacked, version, &root)?;
    let out = crate::cargo_cmd::cargo_command()
        .args(["run", "--quiet", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir(&root))
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
    // the point of shipping the generated source: a user's build has no generator in it (the
    // lock file lists optional dependencies too: ask for the build's graph)
    let tree = crate::cargo_cmd::cargo_command()
        .args([
            "tree",
            "--quiet",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(app.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    let tree = String::from_utf8_lossy(&tree.stdout);
    if !tree.lines().any(|l| l.starts_with("kis-api ")) {
        return Err(format!("cargo tree of the fresh project failed:\n{tree}"));
    }
    if tree.lines().any(|l| l.starts_with("kis-codegen ")) {
        return Err("the fresh project's build includes kis-codegen: the packaged kis-api regenerates its bindings by default".into());
    }
    eprintln!("==> and its build did not include the generator");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run_command(cmd: &mut Command) -> Result<(), String> {
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
    unpacked: &[(&'static str, PathBuf)],
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
         [patch.crates-io]\n{patches}\n# not a member of the repository's workspace\n[workspace]\n\n\
         # built once to run once: debug info would only cost build time\n\
         [profile.dev]\ndebug = false\n"
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

#[cfg(test)]
mod tests {
    use super::without_default_feature;

    #[test]
    fn regenerate_leaves_the_default_features_and_nothing_else() {
        let manifest = "[features]\nall = []\ndefault = [\n    \"all-groups\",\n    \"regenerate\",\n    \"realtime\",\n]\nregenerate = [\"dep:kis-codegen\"]\n";
        assert_eq!(
            without_default_feature(manifest, "regenerate").as_deref(),
            Some(
                "[features]\nall = []\ndefault = [\n    \"all-groups\",\n    \"realtime\",\n]\nregenerate = [\"dep:kis-codegen\"]\n"
            )
        );
        assert_eq!(
            without_default_feature(
                "[features]\ndefault = [\"a\", \"regenerate\"]\n",
                "regenerate"
            )
            .as_deref(),
            Some("[features]\ndefault = [\n    \"a\",\n]\n")
        );
        assert_eq!(
            without_default_feature("[features]\ndefault = [\"a\"]\n", "regenerate"),
            None
        );
        assert_eq!(
            without_default_feature("[features]\nregenerate = []\n", "regenerate"),
            None
        );
    }
}
