//! The `kis` command line under issue 24 (hardening 2), the items at its edge: one test per item,
//! each against the embedded mock or a loopback server of its own.
#![cfg(all(feature = "cli", unix))]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP_KEY: &str = "PSedgeAppKey0000000000000000000000000";
const APP_SECRET: &str = "edge-secret-that-must-never-be-printed";

/// What a run of `kis` left behind.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `kis` with exactly `env` plus a private home, killing it after `limit`.
fn run_kis(args: &[String], env: &[(String, String)], limit: Duration) -> Out {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_kis"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
    let mut stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut stderr = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("wait: {e}")) {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let Some(status) = status else {
        panic!("kis {args:?} still ran after {limit:?}; stderr:\n{stderr}");
    };
    assert!(!stderr.contains("panicked"), "{stderr}");
    Out {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Runs `kis` off the async runtime (a server of the test keeps serving meanwhile).
async fn kis(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Out {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || run_kis(&args, &env, limit))
        .await
        .unwrap_or_else(|e| panic!("kis did not run: {e}"))
}

const MINUTE: Duration = Duration::from_secs(60);

/// Issue 24, item 9: `KIS_APP_KEY` without `KIS_APP_SECRET` (or the reverse) is an error naming
/// the missing variable, not the embedded mock's data with exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_credential_in_the_environment_is_an_error() {
    let quote = [
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISCD=005930",
    ];
    for (env, missing) in [
        (vec![("KIS_APP_KEY", APP_KEY)], "KIS_APP_SECRET"),
        (vec![("KIS_APP_SECRET", APP_SECRET)], "KIS_APP_KEY"),
        (
            vec![("KIS_APP_KEY", APP_KEY), ("KIS_APP_SECRET", "  ")],
            "KIS_APP_SECRET",
        ),
    ] {
        let out = kis(&quote, &env, MINUTE).await;
        assert_eq!(out.code, 2, "{env:?}: {}", out.stderr);
        assert!(out.stderr.contains(missing), "{}", out.stderr);
        assert!(
            !out.stderr.contains("using an embedded mock"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(
            !out.stderr.contains(APP_KEY) && !out.stderr.contains(APP_SECRET),
            "{}",
            out.stderr
        );
    }
    // --mock still chooses the embedded mock on purpose
    let mut mocked = vec!["--mock"];
    mocked.extend(quote);
    let out = kis(&mocked, &[("KIS_APP_KEY", APP_KEY)], MINUTE).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Issue 24, item 13: a 100,000-character name is refused before the fuzzy matching and is
/// not echoed whole, wherever a name is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_names_are_refused_and_not_echoed() {
    let huge = "x".repeat(100_000);
    let input = format!("{huge}=1");
    let fields = format!("--fields={huge}");
    let variant = format!("--variant={huge}");
    let runs: [Vec<&str>; 6] = [
        vec!["describe", &huge],
        vec!["call", &huge],
        vec!["list", &huge],
        vec!["call", "domestic_stock.inquire_price", &input],
        vec!["call", "domestic_stock.order_cash", &variant],
        vec!["watch", "H0STCNT0", "005930", &fields],
    ];
    for args in runs {
        let out = kis(&args, &[], MINUTE).await;
        assert_eq!(out.code, 2, "{:?}: {}", &args[..1], out.stderr);
        assert!(
            out.stderr.len() < 1000,
            "{:?}: {} bytes of stderr",
            &args[..1],
            out.stderr.len()
        );
        assert!(out.stderr.contains("characters long"), "{}", out.stderr);
    }
}
/// Issue 24, item 10: at `-vvv` this crate logs at trace, but tungstenite's frame trace (which
/// carries the approval key and the AES key and iv) stays off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_verbosity_shows_no_websocket_frames() {
    let out = kis(
        &["-vvv", "watch", "H0STCNT0", "005930", "--count", "1"],
        &[],
        MINUTE,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("kis_api"), "{}", out.stderr);
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);
    for leak in ["tungstenite", "approval_key", "\"iv\"", "hyper", "reqwest"] {
        assert!(!out.stderr.contains(leak), "{leak}:\n{}", out.stderr);
    }
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loopback server that counts the connections it gets and answers none of them.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (url, count)
}

/// Issue 24, item 7: order quantities and prices of the wrong form are refused before any I/O,
/// `--force` or not; the server sees no connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_inputs_of_the_wrong_form_never_reach_the_wire() {
    let (url, connections) = counting_server().await;
    let order = |qty: &str, price: &str, force: bool| {
        let mut a: Vec<String> = [
            "--app-key",
            APP_KEY,
            "--app-secret",
            APP_SECRET,
            "--rest-url",
            &url,
            "--demo",
            "--account",
            "50012345-01",
            "call",
            "domestic_stock.order_cash",
            "--variant",
            "buy",
            "PDNO=005930",
            "ORD_DVSN=00",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.push(format!("ORD_QTY={qty}"));
        a.push(format!("ORD_UNPR={price}"));
        if force {
            a.push("--force".into());
        }
        a
    };
    let cases = [
        ("-1", "50000", "ORD_QTY"),
        ("0", "50000", "at least 1"),
        ("00", "50000", "at least 1"),
        ("+5", "50000", "ORD_QTY"),
        ("1e3", "50000", "ORD_QTY"),
        (" 1", "50000", "ORD_QTY"),
        ("1", "-50000", "ORD_UNPR"),
        ("1", "1e5", "ORD_UNPR"),
    ];
    for (qty, price, named) in cases {
        for force in [false, true] {
            let args = order(qty, price, force);
            let out = tokio::task::spawn_blocking(move || run_kis(&args, &[], MINUTE))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                out.code, 2,
                "ORD_QTY={qty} ORD_UNPR={price}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains(named),
                "ORD_QTY={qty} ORD_UNPR={price}: {}",
                out.stderr
            );
        }
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the server"
    );
}

/// A WebSocket server that completes every handshake and closes at once, before any
/// subscription is answered.
async fn handshake_then_close() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let url = format!(
        "ws://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(s).await {
                    let _ = ws.close(None).await;
                }
            });
        }
    });
    url
}

/// Issue 24, item 4: `--seconds 18446744073709551615` is "until stopped" (no Instant overflow),
/// and `--seconds` bounds the whole command: a server that never confirms a subscription
/// cannot keep `kis watch` running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_seconds_saturate_and_count_from_the_start() {
    let out = kis(
        &[
            "watch",
            "H0STCNT0",
            "005930",
            "--seconds",
            "18446744073709551615",
            "--count",
            "1",
            "--json",
        ],
        &[],
        MINUTE,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);

    let mock = kis_mock::MockServer::start(
        kis_mock::MockConfig::default().with_credentials(APP_KEY, APP_SECRET),
    )
    .await
    .unwrap_or_else(|e| panic!("kis-mock: {e}"));
    let rest = mock.rest_url();
    let ws = handshake_then_close().await;
    let started = Instant::now();
    let out = kis(
        &[
            "--app-key",
            APP_KEY,
            "--app-secret",
            APP_SECRET,
            "--rest-url",
            &rest,
            "--ws-url",
            &ws,
            "watch",
            "H0STCNT0",
            "005930",
            "--seconds",
            "2",
        ],
        &[],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--seconds 2"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "ended by its own deadline"
    );
    mock.shutdown().await;
}
