//! `kis mcp` driven by real MCP clients: an agent's session through the official Python SDK over
//! stdio against a kis-mock started here (tools, errors, orders confirmed once, realtime, no
//! secret anywhere), and the streamable HTTP transport (bearer token, loopback by default).
#![cfg(all(feature = "mcp", unix))]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kis_mock::{MockConfig, MockServer};

const APP_KEY: &str = "PSmcpTestAppKey000000000000000000000";
const APP_SECRET: &str = "mcp-test-secret-that-must-never-be-printed";
const ACCOUNT: &str = "50012345-01";

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Fails, naming the command that installs it, when the MCP Python SDK is missing: tests
/// install nothing (`.ci/run` installs it), and never skip.
fn require_python_sdk() {
    let present = Command::new(python())
        .args(["-c", "import mcp.client.stdio, mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        present,
        "the kis mcp test drives the server with the MCP Python SDK; install it with \
         `{python} -m pip install mcp` (add --break-system-packages for an externally managed \
         system Python, as .ci/run does)",
        python = python()
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The agent session of `mcp_agent.py` (its checks are listed there): tools listed with
/// schemas, search, describe, a quote, tool errors for an unknown endpoint and a bad enum
/// value, an order refused by kis_call, a preview, a confirmation refused without
/// --allow-orders, then with it the order placed once and the confirmation refused on reuse,
/// realtime snapshots. Here: the mock saw exactly one order, and no secret (app key, secret,
/// account number, access token) is in any tool result or in the servers' stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_drives_kis_mcp_over_stdio_with_the_python_sdk() {
    require_python_sdk();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (home, out) = (dir.path().join("home"), dir.path().join("out"));
    for d in [&home, &out] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    let record = dir.path().join("requests.jsonl");
    let mock = MockServer::start(
        MockConfig::demo()
            .with_credentials(APP_KEY, APP_SECRET)
            .with_record(&record)
            .with_ticks(true, Duration::from_millis(100)),
    )
    .await
    .unwrap_or_else(|e| panic!("mock: {e}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_agent.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .args(["--kis", env!("CARGO_BIN_EXE_kis")])
        .args(["--rest-url", &mock.rest_url(), "--ws-url", &mock.ws_url()])
        .arg("--out")
        .arg(&out)
        .env("KIS_APP_KEY", APP_KEY)
        .env("KIS_APP_SECRET", APP_SECRET)
        .env("KIS_ACCOUNT", ACCOUNT)
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("KIS_ENV");
    // the script bounds its own session (90 s); the mock keeps serving on this runtime meanwhile
    let agent = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()));
    let results = read(&out.join("results.jsonl"));
    let stderr = read(&out.join("stderr-previews.log")) + &read(&out.join("stderr-orders.log"));
    assert!(
        agent.status.success(),
        "the agent's checks failed\nstdout:\n{}\nstderr:\n{}\nservers' stderr:\n{stderr}",
        String::from_utf8_lossy(&agent.stdout),
        String::from_utf8_lossy(&agent.stderr),
    );
    assert!(String::from_utf8_lossy(&agent.stdout).contains("all checks passed"));
    // 15 tool calls made it to the log, errors included
    assert!(results.lines().count() >= 15, "{results}");

    // exactly one order reached the mock, as previewed (3 at 70,000 KRW, label read as code)
    let orders = mock.control().orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].tr_id, "VTTC0012U");
    assert_eq!((orders[0].product.as_str(), orders[0].qty), ("005930", 3));
    assert_eq!(orders[0].ord_dvsn, "00");
    let recorded = read(&record);
    let order_lines = recorded.lines().filter(|l| l.contains("VTTC0012U")).count();
    assert_eq!(order_lines, 1, "{recorded}");
    assert!(recorded.contains("FHKST01010100"), "the quote was recorded");

    // no secret in any tool result or log line
    let token_file = std::fs::read_dir(home.join("cache/kis-api/tokens"))
        .unwrap_or_else(|e| panic!("the token cache: {e}"))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap_or_else(|| panic!("no cached token"));
    let cached: serde_json::Value =
        serde_json::from_str(&read(&token_file)).unwrap_or_else(|e| panic!("{e}"));
    let token = cached["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(token.len() > 20, "the access token was cached");
    for (what, secret) in [
        ("app key", APP_KEY),
        ("app secret", APP_SECRET),
        ("account number", "50012345"),
        ("access token", token.as_str()),
    ] {
        assert!(!results.contains(secret), "the {what} is in a tool result");
        assert!(
            !stderr.contains(secret),
            "the {what} is in stderr:\n{stderr}"
        );
    }
    // and the logs say where calls go, on stderr (stdout is the protocol)
    assert!(stderr.contains("demo environment"), "{stderr}");
    mock.shutdown().await;
}

/// A `kis mcp --http` child, killed when the test ends.
struct Server {
    child: Child,
    url: String,
    token_line: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kis mcp --http ADDR` on the embedded mock; returns once it said where it listens.
fn http_server(home: &Path, addr: &str, token: Option<&str>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kis"));
    cmd.args(["mcp", "--http", addr])
        .env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("KIS_MCP_TOKEN", t);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let (mut url, mut token_line) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if line.contains("bearer token (shown once): ") {
            token_line = Some(line.clone());
        }
        if let Some(rest) = line.split("streamable HTTP at ").nth(1) {
            url = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    // keep draining stderr so the server never blocks on a full pipe
    std::thread::spawn(move || for _ in lines {});
    let url = url.unwrap_or_else(|| panic!("kis mcp --http never said where it listens"));
    Server {
        child,
        url,
        token_line,
    }
}

fn initialize() -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "kis-test", "version": "1"}}
    })
}

async fn post(
    url: &str,
    bearer: Option<&str>,
    session: Option<&str>,
    body: &serde_json::Value,
) -> (u16, Option<String>, String) {
    // reqwest is built without a TLS provider of its own (the library installs ring's)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut req = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    let session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // an SSE stream ends when the response is complete; read its first message
    let text = tokio::time::timeout(Duration::from_secs(20), async {
        let mut resp = resp;
        let mut text = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("\"result\"") || text.contains("\"error\"") || status != 200 {
                break;
            }
        }
        text
    })
    .await
    .unwrap_or_default();
    (status, session, text)
}

/// The HTTP transport answers 401 without the right bearer token and serves MCP with it (raw
/// requests, then the Python SDK's streamable HTTP client), bound to 127.0.0.1 when given a bare
/// port; a generated token is printed once, to stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_needs_the_bearer_token_and_binds_loopback_by_default() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token = "test-token-0123456789abcdef";
    let server = http_server(dir.path(), "0", Some(token));
    assert!(
        server.url.starts_with("http://127.0.0.1:") && server.url.ends_with("/mcp"),
        "{}",
        server.url
    );
    assert!(server.token_line.is_none(), "a given token is not printed");
    let (status, _, _) = post(&server.url, None, None, &initialize()).await;
    assert_eq!(status, 401, "no bearer");
    let (status, _, _) = post(
        &server.url,
        Some("test-token-0123456789abcdeX"),
        None,
        &initialize(),
    )
    .await;
    assert_eq!(status, 401, "a wrong bearer");
    let (status, session, text) = post(&server.url, Some(token), None, &initialize()).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"name\":\"kis\""), "{text}");
    let session = session.unwrap_or_else(|| panic!("no session id: {text}"));
    let initialized = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, _) = post(&server.url, Some(token), Some(&session), &initialized).await;
    assert!(status == 202 || status == 200, "{status}");
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "kis_call", "arguments": {"endpoint": "domestic_stock.inquire_price",
            "inputs": {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}}}});
    let (status, _, text) = post(&server.url, Some(token), Some(&session), &call).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("stck_prpr") && text.contains("embedded_mock"),
        "{text}"
    );
    drop(server);

    // without KIS_MCP_TOKEN a token is generated, printed once, and required
    let generated = http_server(dir.path(), "127.0.0.1:0", None);
    let line = generated
        .token_line
        .clone()
        .unwrap_or_else(|| panic!("no token printed"));
    let token = line.rsplit(' ').next().unwrap_or_default().to_string();
    assert!(token.len() >= 32, "{line}");
    let (status, _, _) = post(&generated.url, None, None, &initialize()).await;
    assert_eq!(status, 401);
    let (status, _, text) = post(&generated.url, Some(&token), None, &initialize()).await;
    assert_eq!(status, 200, "{text}");
}
