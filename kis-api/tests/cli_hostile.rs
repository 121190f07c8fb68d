//! `kis` against a server that echoes the request back in KIS's own error fields: no secret (app
//! key, app secret, token, account number) reaches stdout or stderr, at any verbosity, in tables
//! or `--json`.
#![cfg(all(feature = "cli", unix))]

use std::process::Command;

mod common;

const APP_KEY: &str = "PShostileAppKey0000000000000000000";
const APP_SECRET: &str = "hostile-secret-that-must-never-be-printed";
const TOKEN: &str = "eyJhostileToken.0123456789abcdef.ghijklmnop";
const ACCOUNT: &str = "73311234";

/// A loopback server: token requests get [`TOKEN`]; every other request an `rt_cd` 1 whose
/// `msg_cd` and `msg1` quote the request (headers, query and body) and the secrets outright.
async fn echoing_kis() -> String {
    common::loopback_http(|request| {
        let body = if request.contains("/oauth2/tokenP") {
            format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":86400}}"#)
        } else {
            serde_json::json!({
                "rt_cd": "1",
                "msg_cd": "OPSQ0002",
                "msg1": format!("you sent {request} / {APP_KEY} {APP_SECRET} {TOKEN} {ACCOUNT}"),
            })
            .to_string()
        };
        (200, body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoing_server_gets_no_secret_onto_stdout_or_stderr_at_any_verbosity() {
    let url = echoing_kis().await;
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let h = home.path().to_string_lossy().into_owned();
    let account = format!("{ACCOUNT}-01");
    let env = [
        ("HOME", h.as_str()),
        ("KIS_APP_KEY", APP_KEY),
        ("KIS_APP_SECRET", APP_SECRET),
        ("KIS_ACCOUNT", account.as_str()),
        ("KIS_ENV", "real"),
        ("KIS_REST_URL", url.as_str()),
    ];
    for verbosity in [None, Some("-v"), Some("-vv"), Some("-vvv")] {
        for json in [false, true] {
            let mut args = vec![
                "call",
                "domestic_stock.inquire_balance",
                "AFHR_FLPR_YN=N",
                "INQR_DVSN=02",
                "UNPR_DVSN=01",
                "FUND_STTL_ICLD_YN=N",
                "FNCG_AMT_AUTO_RDPT_YN=N",
                "PRCS_DVSN=00",
            ];
            args.extend(verbosity);
            if json {
                args.push("--json");
            }
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let env: Vec<(String, String)> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let out = tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_kis"))
                    .args(&args)
                    .env_clear()
                    .envs(env)
                    .output()
                    .unwrap_or_else(|e| panic!("cannot run kis: {e}"))
            })
            .await
            .unwrap_or_else(|e| panic!("kis did not run: {e}"));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let shown = format!("{stdout}\n{stderr}");
            assert_eq!(out.status.code(), Some(1), "{verbosity:?} {json}: {shown}");
            // the error reached the user, with KIS's code
            assert!(shown.contains("OPSQ0002"), "{verbosity:?} {json}: {shown}");
            for secret in [APP_KEY, APP_SECRET, TOKEN, ACCOUNT] {
                assert!(
                    !shown.contains(secret),
                    "{verbosity:?} json={json} shows {secret}:\n{shown}"
                );
            }
        }
    }
}
