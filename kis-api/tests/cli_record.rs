//! `kis record DIR -- <command>`: the command runs as it would, and its exchanges land in a
//! recording without the credentials or the account number.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kis_mock::{MockConfig, MockServer};

const APP_KEY: &str = "PSrecordCliAppKey000000000000000000";
const APP_SECRET: &str = "record-cli-secret-that-must-never-be-written";
const ACCOUNT: &str = "50012345-01";

/// Runs `kis` off the async runtime with a clean environment plus `env`.
async fn kis(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_kis"))
            .args(&args)
            .env_clear()
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join("cache"))
            .envs(env)
            .output()
            .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap_or_else(|e| panic!("kis did not run: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_command_answers_as_usual_and_its_recording_holds_no_secret() {
    let mock = MockServer::start(
        MockConfig::default()
            .with_credentials(APP_KEY, APP_SECRET)
            .with_token_issue_interval(Duration::from_millis(50)),
    )
    .await
    .unwrap_or_else(|e| panic!("kis-mock: {e}"));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = home.path().join("recordings");
    let dir_arg = dir.to_string_lossy().into_owned();
    let rest = mock.rest_url();
    let env = [
        ("KIS_APP_KEY", APP_KEY),
        ("KIS_APP_SECRET", APP_SECRET),
        ("KIS_ACCOUNT", ACCOUNT),
        ("KIS_REST_URL", rest.as_str()),
    ];
    let (code, stdout, stderr) = kis(
        home.path(),
        &[
            "record",
            &dir_arg,
            "--",
            "call",
            "domestic_stock.inquire_balance",
            "AFHR_FLPR_YN=N",
            "INQR_DVSN=02",
            "UNPR_DVSN=01",
            "FUND_STTL_ICLD_YN=N",
            "FNCG_AMT_AUTO_RDPT_YN=N",
            "PRCS_DVSN=00",
            "OFL_YN=",
            "--json",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("\"output1\""),
        "the command's own output: {stdout}"
    );
    assert!(
        stderr.contains("kis record: 1 exchange(s) in"),
        "what was recorded is said: {stderr}"
    );
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains("\"endpoint\":\"domestic_stock.inquire_balance\""),
        "{text}"
    );
    assert!(text.contains("[\"CANO\",\"***\"]"), "{text}");
    for secret in [APP_KEY, APP_SECRET, &ACCOUNT[..8]] {
        assert!(!text.contains(secret), "a secret in the recording:\n{text}");
        assert!(!stderr.contains(secret) && !stdout.contains(secret));
    }

    // what kis record refuses: no command, a nested record
    let (code, _, stderr) = kis(home.path(), &["record", &dir_arg], &env).await;
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = kis(
        home.path(),
        &["record", &dir_arg, "--", "record", &dir_arg, "--", "list"],
        &env,
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nested"), "{stderr}");
    mock.shutdown().await;
}
