//! The rate budget benchmark (`cargo xtask bench` runs it): 400 quotes against kis-mock limiting
//! the app key to 20 requests in any one-second window, sent by
//! - 1 process x 32 tasks,
//! - 4 processes x 100 quotes sharing one machine's budget (one token cache directory),
//! - 4 processes with separate caches sharing only Redis (as 4 machines would);
//!
//! and the cost of one reservation + release of the machine-wide budget. Efficiency is the ideal
//! time over the actual one, the ideal being the least a strict sliding window allows: the first
//! 20 at once, each further 20 one second later, so 400 quotes need 19 s from the first send to
//! the last. Prints a markdown table (the rows of `cargo xtask bench`'s summary) and, with
//! `--out FILE`, writes it there too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kis_integration_tests::{RedisServer, Workers, mock_config, start_mock};
use kis_mock::Environment;

const QUOTES: u64 = 400;
const PER_SECOND: u32 = 20;

struct Scenario {
    name: &'static str,
    processes: u64,
    tasks: u64,
    redis: bool,
    target: f64,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "1 process x 32 tasks",
        processes: 1,
        tasks: 32,
        redis: false,
        target: 0.95,
    },
    Scenario {
        name: "4 processes x 100, one machine",
        processes: 4,
        tasks: 32,
        redis: false,
        target: 0.95,
    },
    Scenario {
        name: "4 processes x 100, own caches, Redis",
        processes: 4,
        tasks: 32,
        redis: true,
        target: 0.90,
    },
];

/// One measured scenario.
struct Outcome {
    seconds: f64,
    ok: u64,
    failed: u64,
    refused: u64,
}

async fn measure(s: &Scenario, redis: Option<&RedisServer>, worker: &Path) -> Outcome {
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(PER_SECOND))).await;
    let shared_cache = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let own_caches: Vec<_> = (0..s.processes)
        .map(|_| tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")))
        .collect();
    let per_process = QUOTES / s.processes;
    let args = (0..s.processes as usize)
        .map(|i| {
            let cache = if s.redis {
                own_caches[i].path()
            } else {
                shared_cache.path()
            };
            let mut a = vec![
                mock.rest_url(),
                cache.display().to_string(),
                "--count".into(),
                per_process.to_string(),
                "--tasks".into(),
                s.tasks.to_string(),
                "--rate".into(),
                PER_SECOND.to_string(),
            ];
            if let Some(r) = redis.filter(|_| s.redis) {
                a.extend(["--redis".to_string(), r.url()]);
            }
            a
        })
        .collect();
    let mut workers = Workers::start(worker, args).await;
    workers.go().await;
    let reports = workers.reports().await;
    let first = reports.iter().map(|r| r.first_us).min().unwrap_or(0);
    let last = reports.iter().map(|r| r.last_us).max().unwrap_or(0);
    let refused = mock.control().stats().rate_limited;
    mock.shutdown().await;
    Outcome {
        seconds: last.saturating_sub(first) as f64 / 1e6,
        ok: reports.iter().map(|r| r.ok).sum(),
        failed: reports.iter().map(|r| r.failed).sum(),
        refused,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--out" => Some(path.clone()),
        _ => {
            eprintln!("usage: rate-bench [--out FILE]");
            return ExitCode::from(2);
        }
    };
    // built beside this executable by `cargo build -p kis-integration-tests --bins`
    let worker: PathBuf = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(format!("quote-worker{}", std::env::consts::EXE_SUFFIX)),
        Err(e) => {
            eprintln!("cannot locate quote-worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !worker.exists() {
        eprintln!(
            "{} is missing: cargo build -p kis-integration-tests --bins",
            worker.display()
        );
        return ExitCode::FAILURE;
    }
    let redis = RedisServer::start();
    let ideal = (QUOTES.div_ceil(u64::from(PER_SECOND)) - 1) as f64;
    let mut text = String::new();
    for s in SCENARIOS {
        let o = measure(s, Some(&redis), &worker).await;
        let efficiency = ideal / o.seconds.max(1e-9);
        let met = efficiency >= s.target && o.failed == 0 && o.refused == 0 && o.ok == QUOTES;
        text.push_str(&format!(
            "| rate_budget/{} | {} ok, {} failed, {} EGW00201 in {:.2} s | ideal {ideal:.0} s | {efficiency:.3} | >= {}, 0 failed, 0 EGW00201 | {} |\n",
            s.name,
            o.ok,
            o.failed,
            o.refused,
            o.seconds,
            s.target,
            if met { "ok" } else { "MISSED" }
        ));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let cost = kis_api::__rate_budget_cost(dir.path(), 20_000).await;
    let micros = cost.as_secs_f64() * 1e6;
    text.push_str(&format!(
        "| rate_budget/file acquire+release | {micros:.2} µs | | | < 100 µs | {} |\n",
        if micros < 100.0 { "ok" } else { "MISSED" }
    ));
    print!("{text}");
    if let Some(path) = out
        && let Err(e) = std::fs::write(&path, &text)
    {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
