//! One rate budget per app key across processes (a state file next to the token cache) and across
//! machines (Redis), and one token issue for all of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kis_api::Env;
use kis_integration_tests::{
    APP_KEY, APP_SECRET, RedisServer, WorkerReport, Workers, builder_for, mock_config, quote,
    start_mock,
};
use kis_mock::{Environment, Fault, MockServer};

const WORKER: &str = env!("CARGO_BIN_EXE_quote-worker");

/// Arguments of one `quote-worker`.
fn worker(mock: &MockServer, cache: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![mock.rest_url(), cache.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs `arg_lists` together; returns the reports and the time from go to the last answer.
async fn run(arg_lists: Vec<Vec<String>>) -> (Vec<WorkerReport>, Duration) {
    let mut workers = Workers::start(WORKER.as_ref(), arg_lists).await;
    let began = Instant::now();
    workers.go().await;
    let reports = tokio::time::timeout(Duration::from_secs(60), workers.reports())
        .await
        .expect("workers finish");
    (reports, began.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_on_one_machine_share_one_budget() {
    // the server takes 5 a second; three processes of 5 quotes each, 5/s each as configured
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(5))).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let args = ["--count", "5", "--tasks", "5", "--rate", "5"];
    let (reports, took) = run((0..3).map(|_| worker(&mock, cache.path(), &args)).collect()).await;
    assert!(
        reports.iter().all(|r| r.ok == 5 && r.failed == 0),
        "{reports:?}"
    );
    assert_eq!(mock.control().stats().rate_limited, 0, "no EGW00201");
    assert!(
        took >= Duration::from_secs(2),
        "15 at 5/s take two windows: {took:?}"
    );
    // the control: the same processes with a budget each overrun the key's limit
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(5))).await;
    let mut alone = args.to_vec();
    alone.push("--no-shared");
    run((0..3)
        .map(|_| worker(&mock, cache.path(), &alone))
        .collect())
    .await;
    assert!(
        mock.control().stats().rate_limited > 0,
        "separate budgets are refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_request_does_not_leak_budget() {
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(2))).await;
    let cache = tempfile::tempdir().expect("tempdir");
    // the first two quotes hang at the server, holding both slots of the budget
    mock.control().inject(
        Fault::Delay(Duration::from_secs(30))
            .on_tr_id("FHKST01010100")
            .times(2),
    );
    // a slot whose answer never comes is free a window plus the connect timeout after its start
    let args = [
        "--count",
        "2",
        "--tasks",
        "2",
        "--rate",
        "2",
        "--connect-timeout-ms",
        "1000",
    ];
    let mut doomed =
        Workers::start(WORKER.as_ref(), vec![worker(&mock, cache.path(), &args)]).await;
    doomed.go().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.control().stats().count("FHKST01010100") < 2 {
        assert!(
            Instant::now() < deadline,
            "the hanging quotes never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for c in doomed.children() {
        c.kill().await.expect("kill the worker mid-request");
    }
    // a new process on the same budget gets both slots back once the leases end
    let args = [
        "--count",
        "4",
        "--tasks",
        "2",
        "--rate",
        "2",
        "--connect-timeout-ms",
        "1000",
    ];
    let (reports, took) = run(vec![worker(&mock, cache.path(), &args)]).await;
    assert_eq!((reports[0].ok, reports[0].failed), (4, 0));
    assert!(
        took < Duration::from_secs(8),
        "the dead holder's slots came back: {took:?}"
    );
    assert_eq!(mock.control().stats().rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machines_sharing_redis_issue_one_token_and_share_one_budget() {
    let redis = RedisServer::start();
    let mock = start_mock(mock_config(Environment::Real)).await;
    // ten "machines": ten processes, each with its own token cache, sharing only Redis
    let caches: Vec<_> = (0..10)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let paths: Vec<&std::path::Path> = caches.iter().map(|c| c.path()).collect();
    let mut fingerprints = crate::tokens::token_probes(&mock, &paths, Some(&redis.url())).await;
    assert_eq!(
        mock.control().tokens_issued(),
        1,
        "one token for ten machines"
    );
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 1, "every machine uses the same token");

    // three machines at 5/s each against a server taking 5/s: one budget, no refusal
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(5))).await;
    let url = redis.url();
    let args = [
        "--count", "5", "--tasks", "5", "--rate", "5", "--redis", &url,
    ];
    let (reports, took) = run(caches[..3]
        .iter()
        .map(|c| worker(&mock, c.path(), &args))
        .collect())
    .await;
    assert!(
        reports.iter().all(|r| r.ok == 5 && r.failed == 0),
        "{reports:?}"
    );
    assert_eq!(mock.control().stats().rate_limited, 0, "no EGW00201");
    assert!(
        took >= Duration::from_secs(2),
        "15 at 5/s take two windows: {took:?}"
    );

    // keys name a hash of the app key; neither the key nor the secret is in any of them
    let keys = redis.keys();
    assert!(keys.iter().any(|k| k.ends_with(":token")), "{keys:?}");
    assert!(keys.iter().any(|k| k.ends_with(":budget")), "{keys:?}");
    for k in &keys {
        assert!(k.starts_with("kis-api:real:"), "{k}");
        assert!(!k.contains(APP_KEY) && !k.contains(APP_SECRET), "{k}");
    }
}

/// Collects what the client logs.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn redis_going_away_mid_run_degrades_to_local_limits_with_one_warning() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut redis = RedisServer::start();
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(5))).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .rate_limit(5)
        .redis(redis.url())
        .build()
        .expect("client");
    let burst = |n: usize| {
        let client = client.clone();
        async move {
            let calls = (0..n).map(|_| quote(&client));
            futures_util::future::join_all(calls).await
        }
    };
    assert!(burst(5).await.iter().all(|r| r.is_ok()));
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":budget")),
        "through Redis"
    );
    redis.stop();
    let began = Instant::now();
    let results = burst(10).await;
    let took = began.elapsed();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(mock.control().stats().rate_limited, 0, "never no limit");
    assert!(took >= Duration::from_secs(1), "limited locally: {took:?}");
    let text = log.text();
    assert_eq!(
        text.matches("Redis unreachable").count(),
        1,
        "one warning for the outage:\n{text}"
    );

    // Redis comes back (empty): the budget is shared through it again, still within the limit
    redis.restart();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(burst(10).await.iter().all(|r| r.is_ok()));
    assert!(burst(5).await.iter().all(|r| r.is_ok()));
    assert_eq!(
        mock.control().stats().rate_limited,
        0,
        "no overrun on rejoining"
    );
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":budget")),
        "shared again"
    );
    let text = log.text();
    assert!(text.contains("Redis answers again"), "{text}");
    assert!(!text.contains(APP_KEY) && !text.contains(APP_SECRET));
}
