//! Developer tasks. Run as `cargo xtask <task>`; see `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kis_codegen::report::Report;

mod bench;
mod compile_times;
mod import;
mod new_user;
mod openapi;
mod package;
mod samples;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  lint-spec [--spec DIR]             validate the catalog; exit 1 with every problem listed
  spec-report [--json] [--spec DIR]  summarise the catalog (counts, demo, pagination, judged blocks)
  codegen [--out DIR] [--check] [--group G]...
                                     write the generated source (default target/generated) and the
                                     API surface; --check fails when DIR holds a stale copy
  bench [--smoke] [--strict]         run every benchmark and print each against its target;
                                     --smoke takes few iterations, --strict fails on a missed target
  compile-times [--write FILE]       time cargo build -p kis-api cold and after a spec edit, with
                                     all groups and with one
  compile-times --new-user [--rounds N] [--release] [--from DIR] [--write FILE]
                                     time a new user's first build of a ten-line program on the
                                     packaged kis-api against a hand-written reqwest + serde +
                                     tokio client, cold, alternating (N rounds, default 2; dev
                                     profile, and release with --release); prints the ratios;
                                     --from DIR packages the checkout at DIR (a before/after)
  openapi [--out FILE] [--check]     write the OpenAPI 3.1 document of every REST and auth
                                     endpoint (default docs/openapi.json); --check fails when
                                     FILE differs from it
  import --from DIR [--write] [--json]
                                     compare a checkout of KIS's example repository with the
                                     catalog, by endpoint; --write drafts new endpoints and
                                     applies the changes that need no judgement
  official-samples --repo DIR [--python PY] [--timeout SECS] [--only TEXT] [--record FILE]
                                     run KIS's REST example programs (examples_llm/*/*/chk_*.py of
                                     a checkout or git directory of koreainvestment/open-trading-api)
                                     unchanged against kis-mock; one line per example, a summary,
                                     and the request keys that differ from our client's
  package                            cargo package the crates a user needs (kis-catalog,
                                     kis-codegen, kis-mock, kis-api), check the packaged catalog
                                     equals spec/, and build and run a fresh project from the
                                     packages that reads a quote from kis-mock
  check                              the static checks: catalog, fmt, clippy, each API group
                                     building alone, the packaging check (the tests are plain
                                     cargo test; README.md gives the full command CI runs)
  help                               this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some(task) = args.first() else {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let mut spec_dir = workspace_root().join("spec");
    let mut json = false;
    let mut check = false;
    let mut out: Option<PathBuf> = None;
    let mut groups: Vec<String> = Vec::new();
    let mut smoke = false;
    let mut strict = false;
    let mut write = None;
    let mut write_flag = false;
    let mut from: Option<PathBuf> = None;
    let mut repo: Option<PathBuf> = None;
    let mut python = "python3".to_string();
    let mut timeout = std::time::Duration::from_secs(60);
    let mut only: Option<String> = None;
    let mut record: Option<PathBuf> = None;
    let mut new_user = false;
    let mut release = false;
    let mut rounds = 2;
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--json" => json = true,
            "--check" => check = true,
            "--smoke" => smoke = true,
            "--strict" => strict = true,
            "--new-user" => new_user = true,
            "--release" => release = true,
            "--rounds" => {
                rounds = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--rounds needs a positive number")?
            }
            // import's --write is a switch; compile-times' names a file
            "--write" if task == "import" => write_flag = true,
            "--write" => write = Some(PathBuf::from(rest.next().ok_or("--write needs a file")?)),
            "--from" => {
                from = Some(PathBuf::from(
                    rest.next().ok_or("--from needs a directory")?,
                ))
            }
            "--repo" => {
                repo = Some(PathBuf::from(
                    rest.next().ok_or("--repo needs a directory")?,
                ))
            }
            "--python" => python = rest.next().ok_or("--python needs a program")?.clone(),
            "--timeout" => {
                let v = rest.next().ok_or("--timeout needs seconds")?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout: not a number: {v}"))?;
                timeout = std::time::Duration::from_secs(secs.max(1));
            }
            "--only" => only = Some(rest.next().ok_or("--only needs a text")?.clone()),
            "--record" => record = Some(PathBuf::from(rest.next().ok_or("--record needs a file")?)),
            "--out" => out = Some(PathBuf::from(rest.next().ok_or("--out needs a path")?)),
            "--group" => groups.push(rest.next().ok_or("--group needs a group id")?.clone()),
            "--spec" => spec_dir = PathBuf::from(rest.next().ok_or("--spec needs a directory")?),
            other => return Err(format!("unknown argument '{other}'\n\n{USAGE}")),
        }
    }
    match task.as_str() {
        "lint-spec" => {
            let catalog = match kis_codegen::load_catalog(&spec_dir) {
                Ok(c) => c,
                Err(d) => {
                    eprintln!("{d}");
                    eprintln!("{} problem(s) in {}", d.0.len(), spec_dir.display());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let explanations = import::lint(&catalog);
            if !explanations.is_empty() {
                for p in &explanations {
                    eprintln!("{p}");
                }
                eprintln!(
                    "{} problem(s) in {}",
                    explanations.len(),
                    spec_dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "{}: {} endpoints, no problems",
                spec_dir.display(),
                catalog.endpoints.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        "spec-report" => {
            let catalog = kis_codegen::load_catalog(&spec_dir).map_err(|d| d.to_string())?;
            let report = Report::new(&catalog);
            if json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{}", report.to_text(&catalog));
            }
            Ok(ExitCode::SUCCESS)
        }
        "codegen" => {
            let out_dir = out.unwrap_or_else(|| workspace_root().join("target").join("generated"));
            codegen(&spec_dir, &out_dir, check, groups)
        }
        "openapi" => {
            let file = out.unwrap_or_else(|| workspace_root().join("docs").join("openapi.json"));
            openapi::run(&spec_dir, &file, check)
        }
        "bench" => bench::run(smoke, strict, cargo),
        "compile-times" if new_user => new_user::run(rounds, release, from, write),
        "compile-times" => compile_times::run(write, cargo),
        "import" => {
            let from =
                from.ok_or("import needs --from DIR (a checkout of KIS's example repository)")?;
            import::run(&spec_dir, &from, write_flag, json)
        }
        "official-samples" => {
            let repo = repo.ok_or(
                "official-samples needs --repo DIR (a checkout or git directory of KIS's example repository)",
            )?;
            samples::run(
                &spec_dir,
                &samples::Options {
                    repo,
                    python,
                    timeout,
                    only,
                    record,
                },
            )
        }
        "package" => package::run(),
        "check" => static_checks(&spec_dir),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown task '{other}'\n\n{USAGE}")),
    }
}

/// Runs one cargo command, echoing it and its duration; false when it failed.
fn cargo(args: &[&str]) -> bool {
    let started = std::time::Instant::now();
    eprintln!("\n==> cargo {}", args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let ok = std::process::Command::new(cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    eprintln!(
        "<== {} in {:.1}s",
        if ok { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    ok
}

/// The static checks, in order, stopping at the first failure.
fn static_checks(spec_dir: &Path) -> Result<ExitCode, String> {
    let started = std::time::Instant::now();
    eprintln!("==> lint-spec");
    let catalog = match kis_codegen::load_catalog(spec_dir) {
        Ok(c) => c,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let explanations = import::lint(&catalog);
    if !explanations.is_empty() {
        eprintln!("{}", explanations.join("\n"));
        return Ok(ExitCode::FAILURE);
    }
    let steps: &[&[&str]] = &[
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    ];
    for step in steps {
        if !cargo(step) {
            return Ok(ExitCode::FAILURE);
        }
    }
    // every API group must build on its own: users enable only the groups they call (the
    // repository's kis-api generates its bindings: `regenerate`)
    for group in &catalog.groups {
        if !cargo(&[
            "check",
            "-p",
            "kis-api",
            "--no-default-features",
            "--features",
            &format!("{},regenerate", group.feature),
        ]) {
            return Ok(ExitCode::FAILURE);
        }
    }
    // what a user gets from the registry builds and works on its own
    eprintln!("\n==> package");
    if package::run()? != ExitCode::SUCCESS {
        return Ok(ExitCode::FAILURE);
    }
    eprintln!(
        "\ncheck: all static checks passed in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes (or checks) the full generated source and the API surface.
fn codegen(
    spec_dir: &Path,
    out_dir: &Path,
    check: bool,
    groups: Vec<String>,
) -> Result<ExitCode, String> {
    let started = std::time::Instant::now();
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let loaded = started.elapsed();
    let options = kis_codegen::Options::for_kis_api(if groups.is_empty() {
        None
    } else {
        Some(groups)
    });
    let mut files = kis_codegen::emit::generate_catalog(&catalog, &options);
    let generated = started.elapsed() - loaded;
    files.push(kis_codegen::GeneratedFile {
        name: "api-surface.txt".into(),
        contents: kis_codegen::surface::api_surface(&catalog),
    });
    if check {
        let mut stale = Vec::new();
        for f in &files {
            let path = out_dir.join(&f.name);
            if std::fs::read_to_string(&path)
                .map(|old| old != f.contents)
                .unwrap_or(true)
            {
                stale.push(path.display().to_string());
            }
        }
        if stale.is_empty() {
            println!("{}: up to date ({} files)", out_dir.display(), files.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "stale generated files (run cargo xtask codegen --out {}):",
            out_dir.display()
        );
        for s in stale {
            eprintln!("  {s}");
        }
        return Ok(ExitCode::FAILURE);
    }
    kis_codegen::write_files(out_dir, &files)
        .map_err(|e| format!("cannot write {}: {e}", out_dir.display()))?;
    for f in &files {
        println!(
            "{:>8} lines  {}",
            f.contents.lines().count(),
            out_dir.join(&f.name).display()
        );
    }
    println!(
        "{} endpoints: catalog loaded and validated in {:.0} ms, code generated in {:.0} ms",
        catalog.endpoints.len(),
        loaded.as_secs_f64() * 1e3,
        generated.as_secs_f64() * 1e3
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::workspace_root;

    /// The command under README's "Run the tests" heading.
    fn readme_test_command(readme: &str) -> Option<String> {
        let section = readme.split("\n## Run the tests\n").nth(1)?;
        let block = section.split("```sh\n").nth(1)?.split("```").next()?;
        Some(block.trim().to_string())
    }

    #[test]
    fn ci_runs_exactly_the_readme_test_command() {
        let root = workspace_root();
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        let run = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
        let command = readme_test_command(&readme).expect("a sh block under ## Run the tests");
        assert!(command.starts_with("cargo test"), "{command}");
        let last = run
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with('#'))
            .expect("a command in .ci/run");
        assert_eq!(last, command);
    }
}
