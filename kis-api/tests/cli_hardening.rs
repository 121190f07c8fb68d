//! The `kis` command line under issue 14 (hardening): secrets never reach stderr, half a
//! credential and oversized inputs are errors, `--config DIR` says what is wrong, logging follows
//! `-v`/`RUST_LOG`, and the token cache without a home directory is private and checked.
#![cfg(all(feature = "cli", unix))]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kis_mock::{MockConfig, MockServer};

mod common;

const APP_KEY: &str = "PShardeningAppKey000000000000000000";
const APP_SECRET: &str = "hardening-secret-that-must-never-be-printed";

/// What a run of `kis` left behind.
#[derive(Debug)]
struct Out {
    code: i32,
    stderr: String,
}

/// Runs `kis` with exactly `env` (nothing inherited), off the async runtime.
async fn kis(args: &[&str], env: &[(&str, &str)]) -> Out {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_kis"))
            .args(&args)
            .env_clear()
            .envs(env)
            .output()
            .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        Out {
            code: out.status.code().unwrap_or(-1),
            stderr,
        }
    })
    .await
    .unwrap_or_else(|e| panic!("kis did not run: {e}"))
}

async fn start_mock() -> MockServer {
    MockServer::start(
        MockConfig::default()
            .with_credentials(APP_KEY, APP_SECRET)
            .with_token_issue_interval(Duration::from_millis(50)),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot start kis-mock: {e}"))
}

const QUOTE: [&str; 4] = [
    "call",
    "domestic_stock.inquire_price",
    "FID_COND_MRKT_DIV_CODE=J",
    "FID_INPUT_ISCD=005930",
];

/// The credentials and a REST URL, as flags.
fn against(url: &str) -> [&str; 6] {
    [
        "--app-key",
        APP_KEY,
        "--app-secret",
        APP_SECRET,
        "--rest-url",
        url,
    ]
}

/// `args` then a quote call.
fn quote_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().chain(QUOTE).collect()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// Issue 14, item 6: half a credential is an error naming the missing key, not fake data from
/// the embedded mock; the message has one `configuration:` prefix; `--config DIR` says it is a
/// directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_mistakes_are_named() {
    let home = tempdir();
    let h = home.path().to_string_lossy().into_owned();
    let config = home.path().join("kis_devlp.yaml");
    std::fs::write(
        &config,
        format!("my_app: \"{APP_KEY}\"\nmy_acct_stock: \"50012345\"\n"),
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let path = config.to_string_lossy().into_owned();
    let out = kis(&quote_args(&["--config", &path]), &[("HOME", &h)]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("my_sec is missing"), "{}", out.stderr);
    assert!(!out.stderr.contains("embedded mock"), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("configuration:").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(APP_KEY), "{}", out.stderr);

    // a bad account in the file: one prefix, not "configuration: configuration:"
    std::fs::write(
        &config,
        format!("my_app: \"{APP_KEY}\"\nmy_sec: \"{APP_SECRET}\"\nmy_acct_stock: \"1234\"\n"),
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let out = kis(&quote_args(&["--config", &path]), &[("HOME", &h)]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("configuration:").count(),
        1,
        "{}",
        out.stderr
    );

    let out = kis(&quote_args(&["--config", &h]), &[("HOME", &h)]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
}

/// Issue 14, item 6: a 100 KB input value is an input error before any I/O (the REST URL goes
/// nowhere: a network error would exit 1), and it is not quoted whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_input_value_is_refused_before_any_io() {
    let home = tempdir();
    let h = home.path().to_string_lossy().into_owned();
    let huge = format!("FID_INPUT_ISCD={}", "9".repeat(100 * 1024));
    let args = [
        "--app-key",
        APP_KEY,
        "--app-secret",
        APP_SECRET,
        "--rest-url",
        "http://127.0.0.1:9",
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
        &huge,
    ];
    let out = kis(&args, &[("HOME", &h)]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("characters long"), "{}", out.stderr);
    assert!(
        out.stderr.len() < 1000,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

/// A loopback server answering every request with 400 and the request itself.
async fn echo_server() -> String {
    common::loopback_http(|request| (400, request.to_string())).await
}

/// Issue 14, item 3: `kis --rest-url <echoing server> call ...` shows neither the app key nor
/// the secret, whatever the server sends back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoing_server_gets_no_secret_onto_stderr() {
    let url = echo_server().await;
    let home = tempdir();
    let h = home.path().to_string_lossy().into_owned();
    let mut flags = against(&url).to_vec();
    flags.push("-vv");
    let args = quote_args(&flags);
    let out = kis(&args, &[("HOME", &h)]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("HTTP 400"), "{}", out.stderr);
    assert!(!out.stderr.contains(APP_KEY), "{}", out.stderr);
    assert!(!out.stderr.contains(APP_SECRET), "{}", out.stderr);
}

/// Issue 14, item 6: `kis` logs through a subscriber: nothing but warnings by default, `-v`
/// shows info events, `RUST_LOG` chooses when no flag is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_follows_verbose_flags_and_rust_log() {
    let mock = start_mock().await;
    let home = tempdir();
    let h = home.path().to_string_lossy().into_owned();
    let url = mock.rest_url();
    let base = against(&url);
    let quiet = kis(&quote_args(&base), &[("HOME", &h)]).await;
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("INFO"), "{}", quiet.stderr);

    let debug = kis(
        &quote_args(&base),
        &[("HOME", &h), ("RUST_LOG", "kis_api=debug")],
    )
    .await;
    assert_eq!(debug.code, 0, "{}", debug.stderr);
    assert!(debug.stderr.contains("DEBUG"), "{}", debug.stderr);
    // a new home and a new mock: a token is issued, which is logged at info (the first mock
    // would refuse a second token within its minute, and the CLI would wait KIS's minute)
    let second = start_mock().await;
    let second_url = second.rest_url();
    let mut verbose = against(&second_url).to_vec();
    verbose.push("-v");
    let fresh = tempdir();
    let f = fresh.path().to_string_lossy().into_owned();
    let out = kis(&quote_args(&verbose), &[("HOME", &f)]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("INFO"), "{}", out.stderr);

    for o in [&quiet, &debug, &out] {
        assert!(!o.stderr.contains(APP_KEY) && !o.stderr.contains(APP_SECRET));
    }
    mock.shutdown().await;
    second.shutdown().await;
}

fn own_uid(dir: &Path) -> u32 {
    std::fs::metadata(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .uid()
}

/// Issue 14, items 1 and 2: without `HOME` and `XDG_CACHE_HOME` the cache goes to a directory of
/// this user in the temporary directory, created private; one that another user created first
/// (world-writable) is not used: the call still works, with one warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_home_the_token_cache_is_per_user_and_checked() {
    let mock = start_mock().await;
    let url = mock.rest_url();
    let args = quote_args(&against(&url));

    let tmp = tempdir();
    let t = tmp.path().to_string_lossy().into_owned();
    let out = kis(&args, &[("TMPDIR", &t)]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let uid = own_uid(tmp.path());
    let mine = tmp.path().join(format!("kis-api-{uid}"));
    let tokens = mine.join("tokens");
    for dir in [&mine, &tokens] {
        let mode = std::fs::metadata(dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
    }
    let files: Vec<_> = std::fs::read_dir(&tokens)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(files.len(), 1);
    let mode = files[0].metadata().unwrap_or_else(|e| panic!("{e}")).mode();
    assert_eq!(mode & 0o777, 0o600);

    // another user got there first and left the directory open to all; a new mock, as a new
    // cache means a new token (the first mock would refuse one within its minute)
    let second = start_mock().await;
    let second_url = second.rest_url();
    let args = quote_args(&against(&second_url));
    let tmp = tempdir();
    let t = tmp.path().to_string_lossy().into_owned();
    let planted = tmp.path().join(format!("kis-api-{uid}"));
    std::fs::create_dir(&planted).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::os::unix::fs::chown(&planted, Some(4242), Some(4242));
    let out = kis(&args, &[("TMPDIR", &t)]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("token cache cannot be used").count(),
        1,
        "{}",
        out.stderr
    );
    let inside: Vec<_> = std::fs::read_dir(&planted)
        .unwrap_or_else(|e| panic!("{e}"))
        .collect();
    assert!(inside.is_empty(), "nothing is created in it: {inside:?}");
    mock.shutdown().await;
    second.shutdown().await;
}
