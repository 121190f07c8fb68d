//! `cargo xtask compile-times`: how long `cargo build -p kis-api` takes cold (dependencies built,
//! kis-api and its build script not) and after editing one spec file, with every API group and with
//! one group.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The spec file edited for the incremental case; in the group of the one-group build.
const EDITED_SPEC: &str = "spec/domestic_stock/inquire_price.yaml";

const CONFIGS: &[(&str, &[&str])] = &[
    ("all groups (default features)", &[]),
    (
        "one group (--no-default-features --features domestic-stock,regenerate)",
        &[
            "--no-default-features",
            "--features",
            "domestic-stock,regenerate",
        ],
    ),
];

/// Puts the edited spec file back however the measurement ends.
struct Restore {
    path: PathBuf,
    original: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.original) {
            eprintln!("warning: could not restore {}: {e}", self.path.display());
        }
    }
}

pub fn run(write: Option<PathBuf>, cargo: impl Fn(&[&str]) -> bool) -> Result<ExitCode, String> {
    let root = crate::workspace_root();
    let timed = |args: &[&str]| -> Result<f64, String> {
        let started = Instant::now();
        if cargo(args) {
            Ok(started.elapsed().as_secs_f64())
        } else {
            Err(format!("cargo {} failed", args.join(" ")))
        }
    };
    let mut rows = Vec::new();
    for (label, features) in CONFIGS {
        let build: Vec<&str> = ["build", "-p", "kis-api"]
            .iter()
            .chain(features.iter())
            .copied()
            .collect();
        // dependencies first, so the cold figure is kis-api alone
        timed(&build)?;
        timed(&["clean", "-p", "kis-api"])?;
        let cold = timed(&build)?;
        let spec = root.join(EDITED_SPEC);
        let original =
            std::fs::read_to_string(&spec).map_err(|e| format!("{}: {e}", spec.display()))?;
        let incremental = {
            let _restore = Restore {
                path: spec.clone(),
                original: original.clone(),
            };
            // a real edit, as a catalog fix would be: the endpoint's name, which changes the
            // generated docs and metadata of that endpoint
            let edited = edit_name(&original)
                .ok_or_else(|| format!("{}: no top-level `name:` line", spec.display()))?;
            std::fs::write(&spec, edited).map_err(|e| format!("{}: {e}", spec.display()))?;
            timed(&build)?
        };
        // leave the tree built as it is on disk
        timed(&build)?;
        rows.push((label, cold, incremental));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "| build of `kis-api` (dev profile) | cold | after editing one spec file (an endpoint name) |"
    );
    let _ = writeln!(text, "|---|---|---|");
    for (label, cold, incremental) in &rows {
        let _ = writeln!(text, "| {label} | {cold:.1} s | {incremental:.1} s |");
    }
    let _ = writeln!(text, "\n{}", machine(&root));
    print!("\n{text}");
    if let Some(path) = write {
        std::fs::write(&path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The spec text with its top-level `name:` value extended.
fn edit_name(spec: &str) -> Option<String> {
    let start = if spec.starts_with("name:") {
        0
    } else {
        spec.find("\nname:")? + 1
    };
    let end = spec[start..].find('\n').map_or(spec.len(), |i| start + i);
    Some(format!(
        "{} (compile-times edit){}",
        &spec[..end],
        &spec[end..]
    ))
}

/// The machine, for the record: CPU, cores, memory, compiler.
pub(crate) fn machine(root: &Path) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "unknown memory".to_string(),
            |kb| format!("{:.0} GB", kb / 1024.0 / 1024.0),
        );
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown rustc".to_string());
    format!("Machine: {cpu}, {cores} cores available, {memory}; {rustc}.")
}

#[cfg(test)]
mod tests {
    use super::edit_name;

    #[test]
    fn the_edit_changes_only_the_top_level_name() {
        let spec = "# title\nid: x\nname: 주식현재가\nrequest:\n  - {name: FID, label: a}\n";
        let edited = edit_name(spec).expect("edited");
        assert_eq!(
            edited,
            "# title\nid: x\nname: 주식현재가 (compile-times edit)\nrequest:\n  - {name: FID, label: a}\n"
        );
        assert_eq!(
            edit_name("name: a").as_deref(),
            Some("name: a (compile-times edit)")
        );
        assert_eq!(edit_name("id: x\n  name: nested\n"), None);
    }
}
