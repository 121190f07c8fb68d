//! Sends quotes (`inquire_price`) to a KIS server (the suite's mock) from one process, as one of
//! several programs sharing an app key would. It builds its client and gets its token, prints
//! `ready`, waits for a line on standard input, sends, and prints
//! `ok=N failed=N first_us=N last_us=N`.
//!
//! Usage: quote-worker <rest-url> <cache-dir> [--count N] [--tasks N] [--rate N]
//! [--connect-timeout-ms N] [--redis URL] [--no-shared]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Args {
    url: String,
    cache: PathBuf,
    count: u64,
    tasks: u64,
    rate: u32,
    connect_timeout: Duration,
    redis: Option<String>,
    shared: bool,
}

fn parse() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(cache)) = (argv.first(), argv.get(1)) else {
        return Err("usage: quote-worker <rest-url> <cache-dir> [options]".into());
    };
    let mut a = Args {
        url: url.clone(),
        cache: PathBuf::from(cache),
        count: 10,
        tasks: 4,
        rate: 20,
        connect_timeout: Duration::from_secs(5),
        redis: None,
        shared: true,
    };
    let mut rest = argv[2..].iter();
    while let Some(flag) = rest.next() {
        if flag == "--no-shared" {
            a.shared = false;
            continue;
        }
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--count" => a.count = num()?,
            "--tasks" => a.tasks = num()?.max(1),
            "--rate" => a.rate = u32::try_from(num()?).map_err(|e| e.to_string())?,
            "--connect-timeout-ms" => a.connect_timeout = Duration::from_millis(num()?),
            "--redis" => a.redis = Some(value.clone()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = kis_api::Client::builder()
        .environment(kis_api::Env::Real)
        .app_key(
            kis_integration_tests::APP_KEY,
            kis_integration_tests::APP_SECRET,
        )
        .rest_url(args.url.as_str())
        .token_cache(kis_api::TokenCache::Dir(args.cache.clone()))
        .token_issue_interval(Duration::from_millis(250))
        .connect_timeout(args.connect_timeout)
        .rate_limit(args.rate)
        .shared_rate_limit(args.shared);
    if let Some(url) = &args.redis {
        builder = builder.redis(url.as_str());
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = client.access_token().await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    println!("ready");
    let go = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)
    });
    if !matches!(go.await, Ok(Ok(n)) if n > 0) {
        // the parent went away before saying go
        return ExitCode::FAILURE;
    }
    let first_us = now_us();
    let remaining = Arc::new(AtomicU64::new(args.count));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tasks = Vec::new();
    for _ in 0..args.tasks {
        let (client, remaining) = (client.clone(), remaining.clone());
        let (ok, failed) = (ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                match kis_integration_tests::quote(&client).await {
                    Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(e) => {
                        eprintln!("quote failed: {e}");
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
        }));
    }
    for t in tasks {
        if t.await.is_err() {
            failed.fetch_add(1, Ordering::SeqCst);
        }
    }
    println!(
        "ok={} failed={} first_us={first_us} last_us={}",
        ok.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
        now_us()
    );
    ExitCode::SUCCESS
}
