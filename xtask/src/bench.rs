//! `cargo xtask bench`: runs every criterion benchmark and the rate budget benchmark
//! (`kis-integration-tests`' `rate-bench`), then reads criterion's estimates and prints each
//! comparison against its target.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use serde_json::Value;

/// What a comparison must reach.
#[derive(Clone, Copy)]
enum Target {
    /// Baseline time / our time, at least this.
    RatioAtLeast(f64),
    /// Elements per second of ours, at least this.
    ThroughputAtLeast(f64),
    /// Our time per iteration, below this many seconds.
    TimeBelow(f64),
    /// Our time minus the baseline's, below this many seconds (what a layer adds).
    AddedBelow(f64),
}

/// One line of the summary: a criterion group, the function measured, and what it is held to.
struct Check {
    group: &'static str,
    ours: &'static str,
    baseline: Option<&'static str>,
    target: Target,
}

const CHECKS: &[Check] = &[
    Check {
        group: "rest_decode/daily_chart_100_rows",
        ours: "typed",
        baseline: Some("serde_json_value"),
        target: Target::RatioAtLeast(2.0),
    },
    Check {
        group: "rest_decode/balance_50_rows",
        ours: "typed",
        baseline: Some("serde_json_value"),
        target: Target::RatioAtLeast(2.0),
    },
    Check {
        group: "realtime_parse/H0STCNT0_46_cols_x8",
        ours: "typed",
        baseline: Some("naive_vec_string"),
        target: Target::RatioAtLeast(3.0),
    },
    Check {
        group: "realtime_parse/H0STCNT0_46_cols_x8",
        ours: "typed",
        baseline: None,
        target: Target::ThroughputAtLeast(1e6),
    },
    Check {
        group: "realtime_parse/H0STASP0_62_cols_x8",
        ours: "typed",
        baseline: Some("naive_vec_string"),
        target: Target::RatioAtLeast(3.0),
    },
    Check {
        group: "realtime_parse/H0STASP0_62_cols_x8",
        ours: "typed",
        baseline: None,
        target: Target::ThroughputAtLeast(1e6),
    },
    Check {
        group: "client_overhead/sequential_64",
        ours: "client",
        baseline: Some("bare_reqwest"),
        target: Target::RatioAtLeast(0.9),
    },
    Check {
        group: "client_overhead/concurrent_64",
        ours: "client",
        baseline: Some("bare_reqwest"),
        target: Target::RatioAtLeast(0.9),
    },
    Check {
        group: "mcp_overhead/quote",
        ours: "tool_call",
        baseline: Some("library"),
        target: Target::AddedBelow(0.002),
    },
    Check {
        group: "codegen",
        ours: "whole_catalog",
        baseline: None,
        target: Target::TimeBelow(0.5),
    },
];

/// The benchmark targets, per package, and the features they need.
const BENCHES: &[(&str, &[&str], &str)] = &[
    (
        "kis-api",
        &["decode", "realtime", "client", "mcp"],
        "realtime,mcp",
    ),
    ("kis-codegen", &["generate"], ""),
];

/// Criterion arguments of the smoke run: enough iterations to exercise every benchmark and produce
/// estimates, far too few for figures worth quoting.
const SMOKE_ARGS: &[&str] = &[
    "--warm-up-time",
    "0.2",
    "--measurement-time",
    "0.5",
    "--sample-size",
    "10",
];

/// One measured benchmark, from criterion's files.
struct Measured {
    /// Median time per iteration, in seconds.
    seconds: f64,
    /// Elements per iteration, when the benchmark declared a throughput.
    elements: Option<f64>,
}

/// The cargo commands that build and run the criterion benchmarks.
///
/// The full run builds each package's benchmarks with the `bench` profile (release), as figures
/// need. The smoke run only shows that every benchmark runs and gives an estimate, so it builds
/// them as the README's test command builds everything else: the dev profile, and the feature
/// set of `--workspace --all-features` (cargo unifies features over the packages it is asked
/// for, and a different set rebuilds every crate whose features differ). After that test
/// command it compiles the benchmark targets and nothing else, where a release build of the
/// runtime, the generator and all their dependencies took minutes of CPU.
fn bench_commands(smoke: bool) -> Vec<Vec<&'static str>> {
    if smoke {
        let mut args = vec!["bench", "--workspace", "--all-features", "--profile", "dev"];
        for (_, benches, _) in BENCHES {
            for b in *benches {
                args.extend(["--bench", b]);
            }
        }
        args.push("--");
        args.extend(SMOKE_ARGS);
        return vec![args];
    }
    BENCHES
        .iter()
        .map(|(package, benches, features)| {
            let mut args = vec!["bench", "-p", package];
            if !features.is_empty() {
                args.extend(["--features", features]);
            }
            for b in *benches {
                args.extend(["--bench", b]);
            }
            args.push("--");
            args
        })
        .collect()
}

pub fn run(smoke: bool, strict: bool, cargo: impl Fn(&[&str]) -> bool) -> Result<ExitCode, String> {
    let started = SystemTime::now();
    for args in bench_commands(smoke) {
        if !cargo(&args) {
            return Ok(ExitCode::FAILURE);
        }
    }
    let dir = criterion_dir();
    // the rate budget group: processes against kis-mock, timed by the clock rather than criterion
    // (one run of 400 quotes is the measurement; smoke or not, the figures are real)
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let rate_file = dir.join("rate_budget.md");
    let _ = std::fs::remove_file(&rate_file);
    let rate_ran = cargo(RATE_BENCH_BUILD) && run_rate_bench(&rate_file);
    let mut table = summary(&dir, started, smoke)?;
    match std::fs::read_to_string(&rate_file) {
        Ok(rows) if rate_ran => {
            table.missed += rows.lines().filter(|l| l.contains("| MISSED |")).count();
            table.text.push_str(&rows);
        }
        _ => {
            table.missing += 1;
            table
                .text
                .push_str("| rate_budget | no estimate | | | | |\n");
        }
    }
    // `kis mcp`'s idle memory: rows the mcp benchmark wrote next to criterion's estimates
    match fresh_rows(&dir.join("mcp_idle_rss.md"), started) {
        Some(rows) => {
            if smoke {
                table.text.push_str(
                    &rows
                        .replace("| ok |", "| not judged |")
                        .replace("| MISSED |", "| not judged |"),
                );
            } else {
                table.missed += rows.lines().filter(|l| l.contains("| MISSED |")).count();
                table.text.push_str(&rows);
            }
        }
        None => {
            table.missing += 1;
            table
                .text
                .push_str("| mcp_idle_rss | no estimate | | | | |\n");
        }
    }
    print!("{}", table.text);
    let path = dir.join("summary.md");
    std::fs::write(&path, &table.text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("summary written to {}", path.display());
    if table.missing > 0 {
        eprintln!("{} benchmark(s) produced no fresh estimate", table.missing);
        return Ok(ExitCode::FAILURE);
    }
    if strict && table.missed > 0 {
        eprintln!("{} target(s) missed", table.missed);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds `rate-bench` and the `quote-worker` processes it starts (the dev profile) as the
/// README's test command does, so that after it nothing is rebuilt: `cargo build -p
/// kis-integration-tests` would unify other features and rebuild nearly every crate.
const RATE_BENCH_BUILD: &[&str] = &["test", "--workspace", "--all-features", "--no-run"];

/// Runs the `rate-bench` binary the build above made, writing its rows to `out`; false when it
/// failed.
fn run_rate_bench(out: &Path) -> bool {
    let exe = crate::package::target_dir(&crate::workspace_root())
        .join("debug")
        .join(format!("rate-bench{}", std::env::consts::EXE_SUFFIX));
    let started = std::time::Instant::now();
    eprintln!("\n==> {} --out {}", exe.display(), out.display());
    let ok = std::process::Command::new(&exe)
        .arg("--out")
        .arg(out)
        .current_dir(crate::workspace_root())
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

/// The text of `path` if it was written after `since`.
fn fresh_rows(path: &Path, since: SystemTime) -> Option<String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    (modified >= since)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
}

fn criterion_dir() -> PathBuf {
    crate::package::target_dir(&crate::workspace_root()).join("criterion")
}

struct Table {
    text: String,
    missed: usize,
    missing: usize,
}

fn summary(dir: &Path, since: SystemTime, smoke: bool) -> Result<Table, String> {
    let mut text = String::new();
    let mode = if smoke {
        "smoke run: dev profile, few iterations; figures only show the benchmarks work"
    } else {
        "full run"
    };
    let _ = writeln!(text, "\nBenchmarks ({mode})\n");
    let _ = writeln!(
        text,
        "| benchmark | ours | baseline | measured | target | |\n|---|---|---|---|---|---|"
    );
    let (mut missed, mut missing) = (0, 0);
    for check in CHECKS {
        let ours = read(dir, check.group, check.ours, since)?;
        let baseline = match check.baseline {
            Some(name) => Some(read(dir, check.group, name, since)?),
            None => None,
        };
        let Some(ours) = ours else {
            missing += 1;
            let _ = writeln!(text, "| {} | no estimate | | | | |", check.group);
            continue;
        };
        let (measured, target, met) = match (check.target, &baseline) {
            (Target::RatioAtLeast(want), Some(Some(base))) => {
                let ratio = base.seconds / ours.seconds;
                (format!("{ratio:.2}x"), format!(">= {want}x"), ratio >= want)
            }
            (Target::AddedBelow(limit), Some(Some(base))) => {
                let added = ours.seconds - base.seconds;
                (
                    format!("+{}", duration(added.max(0.0))),
                    format!("< +{}", duration(limit)),
                    added < limit,
                )
            }
            (Target::RatioAtLeast(_) | Target::AddedBelow(_), _) => {
                missing += 1;
                ("no baseline estimate".to_string(), String::new(), false)
            }
            (Target::ThroughputAtLeast(want), _) => match ours.elements {
                Some(n) => {
                    let per_second = n / ours.seconds;
                    (
                        format!("{} elem/s", si(per_second)),
                        format!(">= {} elem/s", si(want)),
                        per_second >= want,
                    )
                }
                None => ("no throughput".to_string(), String::new(), false),
            },
            (Target::TimeBelow(limit), _) => (
                duration(ours.seconds),
                format!("< {}", duration(limit)),
                ours.seconds < limit,
            ),
        };
        // a dev-profile smoke run's figures say nothing about the targets
        if !met && !smoke {
            missed += 1;
        }
        let baseline_text = match (check.baseline, &baseline) {
            (Some(name), Some(Some(b))) => format!("{name} {}", duration(b.seconds)),
            _ => String::new(),
        };
        let _ = writeln!(
            text,
            "| {} | {} {} | {} | {} | {} | {} |",
            check.group,
            check.ours,
            duration(ours.seconds),
            baseline_text,
            measured,
            target,
            match (smoke, met) {
                (true, _) => "not judged",
                (false, true) => "ok",
                (false, false) => "MISSED",
            }
        );
    }
    Ok(Table {
        text,
        missed,
        missing,
    })
}

/// The estimate of `group/function` if criterion wrote it after `since`.
fn read(
    dir: &Path,
    group: &str,
    function: &str,
    since: SystemTime,
) -> Result<Option<Measured>, String> {
    // criterion names directories after the ids with '/' replaced
    let base = dir.join(group.replace('/', "_")).join(function).join("new");
    let estimates = base.join("estimates.json");
    let fresh = std::fs::metadata(&estimates)
        .and_then(|m| m.modified())
        .map(|t| t >= since)
        .unwrap_or(false);
    if !fresh {
        return Ok(None);
    }
    let parse = |path: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let est = parse(&estimates)?;
    let bench = parse(&base.join("benchmark.json"))?;
    let nanos = est["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median.point_estimate", estimates.display()))?;
    Ok(Some(Measured {
        seconds: nanos / 1e9,
        elements: bench["throughput"]["Elements"].as_f64(),
    }))
}

fn duration(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.0} ns", seconds * 1e9)
    }
}

fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_run_builds_with_the_test_commands_packages_and_features() {
        let readme =
            std::fs::read_to_string(crate::workspace_root().join("README.md")).expect("README.md");
        let command = crate::tests::readme_test_command(&readme).expect("the test command");
        let test_build = command.split("&&").next().expect("cargo test ...");
        let flags: Vec<&str> = test_build
            .split_whitespace()
            .filter(|a| a.starts_with("--"))
            .collect();
        assert!(flags.contains(&"--workspace"), "{test_build}");
        let smoke = bench_commands(true);
        assert_eq!(smoke.len(), 1);
        for flag in &flags {
            assert!(smoke[0].contains(flag), "the smoke run lacks {flag}");
            assert!(
                RATE_BENCH_BUILD.contains(flag),
                "the rate-bench build lacks {flag}"
            );
        }
        assert!(smoke[0].windows(2).any(|w| w == ["--profile", "dev"]));
        for (_, benches, _) in BENCHES {
            for b in *benches {
                assert!(smoke[0].windows(2).any(|w| w == ["--bench", *b]), "{b}");
            }
        }
        // the full run measures release builds, package by package
        let full = bench_commands(false);
        assert_eq!(full.len(), BENCHES.len());
        assert!(full.iter().all(|c| !c.contains(&"--profile")));
    }

    fn write_estimate(dir: &Path, group: &str, function: &str, nanos: f64, elements: Option<u64>) {
        let base = dir.join(group.replace('/', "_")).join(function).join("new");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(
            base.join("estimates.json"),
            format!(r#"{{"median":{{"point_estimate":{nanos}}}}}"#),
        )
        .unwrap();
        let throughput = match elements {
            Some(n) => format!(r#"{{"Elements":{n}}}"#),
            None => "null".to_string(),
        };
        std::fs::write(
            base.join("benchmark.json"),
            format!(
                r#"{{"group_id":"{group}","function_id":"{function}","throughput":{throughput}}}"#
            ),
        )
        .unwrap();
    }

    #[test]
    fn the_summary_compares_each_benchmark_with_its_baseline_and_target() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let since = SystemTime::now() - std::time::Duration::from_secs(5);
        // decode: 3x faster, passes; balance: 1.5x, misses
        write_estimate(
            &dir,
            "rest_decode/daily_chart_100_rows",
            "typed",
            100_000.0,
            Some(100),
        );
        write_estimate(
            &dir,
            "rest_decode/daily_chart_100_rows",
            "serde_json_value",
            300_000.0,
            Some(100),
        );
        write_estimate(
            &dir,
            "rest_decode/balance_50_rows",
            "typed",
            100_000.0,
            Some(50),
        );
        write_estimate(
            &dir,
            "rest_decode/balance_50_rows",
            "serde_json_value",
            150_000.0,
            Some(50),
        );
        // 8 records in 4 µs: 2 M records/s
        write_estimate(
            &dir,
            "realtime_parse/H0STCNT0_46_cols_x8",
            "typed",
            4_000.0,
            Some(8),
        );
        write_estimate(
            &dir,
            "realtime_parse/H0STCNT0_46_cols_x8",
            "naive_vec_string",
            20_000.0,
            Some(8),
        );
        write_estimate(&dir, "codegen", "whole_catalog", 400_000_000.0, None);
        // the MCP tool call adds 1 ms to the library's 0.5 ms: within 2 ms
        write_estimate(&dir, "mcp_overhead/quote", "tool_call", 1_500_000.0, None);
        write_estimate(&dir, "mcp_overhead/quote", "library", 500_000.0, None);
        let table = summary(&dir, since, false).unwrap();
        let line = |group: &str| {
            table
                .text
                .lines()
                .filter(|l| l.starts_with(&format!("| {group} |")))
                .collect::<Vec<_>>()
        };
        assert!(line("rest_decode/daily_chart_100_rows")[0].contains("| 3.00x | >= 2x | ok |"));
        assert!(line("rest_decode/balance_50_rows")[0].contains("| 1.50x | >= 2x | MISSED |"));
        let realtime = line("realtime_parse/H0STCNT0_46_cols_x8");
        assert!(
            realtime[0].contains("| 5.00x | >= 3x | ok |"),
            "{}",
            realtime[0]
        );
        assert!(realtime[1].contains("2.00 M elem/s"), "{}", realtime[1]);
        assert!(line("codegen")[0].contains("| 400.00 ms | < 500.00 ms | ok |"));
        let mcp = line("mcp_overhead/quote");
        assert!(
            mcp[0].contains("| +1.00 ms | < +2.00 ms | ok |"),
            "{}",
            mcp[0]
        );
        // a smoke run (dev profile) shows the same figures without judging them
        let smoke = summary(&dir, since, true).unwrap();
        assert_eq!(smoke.missed, 0);
        assert!(
            smoke.text.contains("| 1.50x | >= 2x | not judged |"),
            "{}",
            smoke.text
        );
        // H0STASP0 and the client were never measured: reported, not invented
        assert_eq!(table.missed, 1);
        assert_eq!(table.missing, 4);
        assert!(line("client_overhead/sequential_64")[0].contains("no estimate"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
