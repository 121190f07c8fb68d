//! Developer tasks. Run as `cargo xtask <task>`; see `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use kis_codegen::report::Report;

mod bench;
mod cargo_cmd;
mod compile_times;
mod import;
mod learn;
mod new_user;
mod openapi;
mod package;
mod samples;

/// Developer tasks of the kis-api repository.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    after_help = "The tests are plain `cargo test`; README.md gives the full command CI runs."
)]
struct Cli {
    #[command(subcommand)]
    task: Option<Task>,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Validate the catalog; exit 1 with every problem listed
    LintSpec(SpecDir),
    /// Summarise the catalog (counts, demo, pagination, judged blocks)
    SpecReport(SpecReportArgs),
    /// Write the generated source (default target/generated) and the API surface
    Codegen(CodegenArgs),
    /// Run every benchmark and print each against its target
    Bench(BenchArgs),
    /// Time builds of kis-api; with --new-user, a new user's first build against a hand-written
    /// client
    #[command(long_about = COMPILE_TIMES_ABOUT)]
    CompileTimes(CompileTimesArgs),
    /// Write the OpenAPI 3.1 document of every REST and auth endpoint (default docs/openapi.json)
    Openapi(OpenapiArgs),
    /// Compare KIS's example repository (--from) or its full-document workbook (--workbook) with the catalog, by endpoint
    Import(ImportArgs),
    /// Propose catalog changes from recordings of real traffic (kis record)
    #[command(long_about = LEARN_ABOUT)]
    Learn(LearnArgs),
    /// Run KIS's REST example programs unchanged against kis-mock
    #[command(long_about = SAMPLES_ABOUT)]
    OfficialSamples(SamplesArgs),
    /// Package the crates a user needs and build and run a fresh project from the packages
    #[command(long_about = PACKAGE_ABOUT)]
    Package,
    /// The static checks: catalog, fmt, clippy, each API group building alone, the packaging check
    #[command(long_about = CHECK_ABOUT)]
    Check(SpecDir),
}

const COMPILE_TIMES_ABOUT: &str =
    "Time cargo build -p kis-api cold and after a spec edit, with all \
groups and with one.

With --new-user: time a new user's first build of a ten-line program on the packaged kis-api \
against a hand-written reqwest + serde + tokio client, cold, alternating (N rounds; dev profile, \
and release with --release); prints the ratios.";

const LEARN_ABOUT: &str = "Read recordings of real traffic (kis record DIR -- <command>, \
ClientBuilder::record) and propose catalog changes: keys KIS sent that the catalog does not list \
(with the type their values look like), values the catalog's type cannot read, values that look \
like unknown \"no value\" markers, object blocks that arrived as lists and back, and realtime \
frames with another column count. --write adds the unknown keys of known blocks to spec/ \
(marked as learned, for review) and lists the rest for review. See docs/recording.md.";

const SAMPLES_ABOUT: &str = "Run KIS's REST example programs (examples_llm/*/*/chk_*.py of a \
checkout or git directory of koreainvestment/open-trading-api) unchanged against kis-mock: one \
line per example, a summary, and the request keys that differ from our client's.";

const PACKAGE_ABOUT: &str = "cargo package the crates a user needs (kis-catalog, kis-codegen, \
kis-mock, kis-api), check the packaged catalog equals spec/, and build and run a fresh project \
from the packages that reads a quote from kis-mock.";

const CHECK_ABOUT: &str = "The static checks, in order, stopping at the first failure: the \
catalog, fmt, clippy, each API group building alone, the packaging check. The tests are plain \
cargo test; README.md gives the full command CI runs.";

/// The catalog directory a task reads.
#[derive(Debug, Args)]
struct SpecDir {
    /// The catalog directory (default: the repository's spec/)
    #[arg(long = "spec", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl SpecDir {
    fn path(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| workspace_root().join("spec"))
    }
}

#[derive(Debug, Args)]
struct SpecReportArgs {
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    spec: SpecDir,
}

#[derive(Debug, Args)]
struct CodegenArgs {
    /// Where to write (default target/generated)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write nothing; fail when DIR holds a stale copy
    #[arg(long)]
    check: bool,
    /// Generate only this API group (repeatable)
    #[arg(long = "group", value_name = "G")]
    groups: Vec<String>,
    #[command(flatten)]
    spec: SpecDir,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// A few iterations each, built with the dev profile as the tests are (what CI runs); fails
    /// when a benchmark gives no estimate
    #[arg(long)]
    smoke: bool,
    /// Fail on a missed target (the full run's figures; a smoke run's are not comparable)
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct CompileTimesArgs {
    /// Time a new user's first build against a hand-written client instead
    #[arg(long)]
    new_user: bool,
    /// Rounds of each side (with --new-user)
    #[arg(long, value_name = "N", default_value_t = 2, requires = "new_user",
          value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// Also time the release profile (with --new-user)
    #[arg(long, requires = "new_user")]
    release: bool,
    /// Package the checkout at DIR instead of this one, for a before/after (with --new-user)
    #[arg(long, value_name = "DIR", requires = "new_user")]
    from: Option<PathBuf>,
    /// Also write the figures to FILE
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct OpenapiArgs {
    /// The document to write (default docs/openapi.json)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write nothing; fail when FILE differs from the document
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    spec: SpecDir,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// A checkout of KIS's example repository (koreainvestment/open-trading-api)
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "workbook",
        conflicts_with = "workbook"
    )]
    from: Option<PathBuf>,
    /// KIS's full-document workbook (한국투자증권_오픈API_전체문서_<date>.xlsx)
    #[arg(long, value_name = "FILE")]
    workbook: Option<PathBuf>,
    /// Draft new endpoints and apply the changes that need no judgement to the catalog
    #[arg(long)]
    write: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    spec: SpecDir,
}

#[derive(Debug, Args)]
struct LearnArgs {
    /// A recording, or a directory of them (*.jsonl)
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Apply the changes that need no judgement to the catalog
    #[arg(long)]
    write: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    spec: SpecDir,
}

#[derive(Debug, Args)]
struct SamplesArgs {
    /// A checkout or git directory of KIS's example repository
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The Python that runs the examples
    #[arg(long, value_name = "PY", default_value = "python3")]
    python: String,
    /// Seconds each example may take (at least 1)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    timeout: u64,
    /// Only examples whose group/name contains TEXT
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Also keep kis-mock's record of every request in FILE
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(flatten)]
    spec: SpecDir,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.task) {
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

fn run(task: Option<Task>) -> Result<ExitCode, String> {
    let Some(task) = task else {
        use clap::CommandFactory;
        Cli::command()
            .print_help()
            .map_err(|e| format!("cannot print the help: {e}"))?;
        return Ok(ExitCode::SUCCESS);
    };
    match task {
        Task::LintSpec(spec) => lint_spec(&spec.path()),
        Task::SpecReport(args) => {
            let catalog =
                kis_codegen::load_catalog(&args.spec.path()).map_err(|d| d.to_string())?;
            let report = Report::new(&catalog);
            if args.json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{}", report.to_text(&catalog));
            }
            Ok(ExitCode::SUCCESS)
        }
        Task::Codegen(args) => {
            let out_dir = args
                .out
                .unwrap_or_else(|| workspace_root().join("target").join("generated"));
            codegen(&args.spec.path(), &out_dir, args.check, args.groups)
        }
        Task::Openapi(args) => {
            let file = args
                .out
                .unwrap_or_else(|| workspace_root().join("docs").join("openapi.json"));
            openapi::run(&args.spec.path(), &file, args.check)
        }
        Task::Bench(args) => bench::run(args.smoke, args.strict, cargo),
        Task::CompileTimes(args) if args.new_user => {
            new_user::run(args.rounds as usize, args.release, args.from, args.write)
        }
        Task::CompileTimes(args) => compile_times::run(args.write, cargo),
        Task::Import(args) => {
            let input = match (&args.from, &args.workbook) {
                (Some(dir), None) => import::Input::Examples(dir),
                (None, Some(file)) => import::Input::Workbook(file),
                _ => return Err("import reads one source: --from DIR or --workbook FILE".into()),
            };
            import::run(&args.spec.path(), input, args.write, args.json)
        }
        Task::Learn(args) => learn::run(&args.spec.path(), &args.from, args.write, args.json),
        Task::OfficialSamples(args) => samples::run(
            &args.spec.path(),
            &samples::Options {
                repo: args.repo,
                python: args.python,
                timeout: Duration::from_secs(args.timeout.max(1)),
                only: args.only,
                record: args.record,
            },
        ),
        Task::Package => package::run(),
        Task::Check(spec) => static_checks(&spec.path()),
    }
}

/// `cargo xtask lint-spec`: every problem of the catalog, or its endpoint count.
fn lint_spec(spec_dir: &Path) -> Result<ExitCode, String> {
    let catalog = match kis_codegen::load_catalog(spec_dir) {
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

/// Runs one cargo command, echoing it and its duration; false when it failed.
fn cargo(args: &[&str]) -> bool {
    let started = std::time::Instant::now();
    eprintln!("\n==> cargo {}", args.join(" "));
    let ok = cargo_cmd::cargo_command()
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
pub(crate) mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Task, workspace_root};

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cargo xtask").chain(line.split_whitespace()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_task_takes_its_own_flags() {
        let Some(Task::Import(import)) = parse("import --from DIR --write").unwrap().task else {
            panic!("import");
        };
        assert!(import.write);
        assert_eq!(import.from.as_deref().and_then(|p| p.to_str()), Some("DIR"));
        let Some(Task::Import(import)) = parse("import --workbook F.xlsx --json").unwrap().task
        else {
            panic!("import");
        };
        assert_eq!(
            import.workbook.as_deref().and_then(|p| p.to_str()),
            Some("F.xlsx")
        );
        assert!(import.json && import.from.is_none());
        assert!(
            parse("import --from DIR --workbook F.xlsx").is_err(),
            "one source"
        );
        assert!(parse("import").is_err(), "a source");
        let Some(Task::CompileTimes(times)) =
            parse("compile-times --new-user --release --rounds 3 --write F")
                .unwrap()
                .task
        else {
            panic!("compile-times");
        };
        assert!(times.new_user && times.release);
        assert_eq!(times.rounds, 3);
        assert_eq!(times.write.as_deref().and_then(|p| p.to_str()), Some("F"));
        let Some(Task::OfficialSamples(samples)) = parse(
            "official-samples --repo R --only domestic_stock/ --timeout 5 --python py --record F",
        )
        .unwrap()
        .task
        else {
            panic!("official-samples");
        };
        assert_eq!(samples.timeout, 5);
        assert_eq!(samples.python, "py");
        assert_eq!(samples.only.as_deref(), Some("domestic_stock/"));
        for right in [
            "bench --smoke --strict",
            "openapi --out FILE --check",
            "codegen --out DIR --check --group domestic-stock --group auth",
            "spec-report --json --spec DIR",
            "compile-times --write FILE",
            "compile-times --new-user --rounds 2 --from DIR",
            "package",
            "check",
        ] {
            if let Err(e) = parse(right) {
                panic!("{right}: {e}");
            }
        }
        for help in ["help", "help import", "import --help", "-h"] {
            let kind = parse(help).map(|_| ()).unwrap_err().kind();
            assert_eq!(kind, clap::error::ErrorKind::DisplayHelp, "{help}");
        }
        // a flag of another task, a missing value, a zero count, a missing required input
        for wrong in [
            "bench --write F",
            "import --from",
            "compile-times --new-user --rounds 0",
            "compile-times --rounds 3",
            "official-samples --timeout 5",
            "package --smoke",
            "lint",
        ] {
            assert!(parse(wrong).is_err(), "{wrong} was accepted");
        }
    }

    /// Every `cargo xtask` line of a shell block in the docs (and .ci/run) still parses.
    #[test]
    fn every_documented_invocation_parses() {
        let root = workspace_root();
        let mut files = vec![root.join("README.md"), root.join("spec/README.md")];
        if let Ok(dir) = std::fs::read_dir(root.join("docs")) {
            files.extend(dir.filter_map(Result::ok).map(|e| e.path()));
        }
        let mut lines = Vec::new();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md"))
        {
            let text = std::fs::read_to_string(file).expect("a doc");
            for block in text.split("```sh\n").skip(1) {
                let block = block.split("```").next().unwrap_or_default();
                lines.extend(block.lines().map(str::to_string));
            }
        }
        let ci = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
        lines.extend(ci.lines().map(str::to_string));
        let mut seen = 0;
        for line in &lines {
            let line = line.split('#').next().unwrap_or_default();
            for command in line.split("&&") {
                let Some(args) = command.trim().strip_prefix("cargo xtask ") else {
                    continue;
                };
                seen += 1;
                match parse(args) {
                    Ok(_) => {}
                    Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {}
                    Err(e) => panic!("`cargo xtask {args}` does not parse:\n{e}"),
                }
            }
        }
        assert!(seen >= 10, "only {seen} documented invocations found");
    }

    /// The command under README's "Run the tests" heading.
    pub(crate) fn readme_test_command(readme: &str) -> Option<String> {
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
