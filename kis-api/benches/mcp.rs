//! `kis mcp`'s cost: the latency a `kis_call` tool call adds over the library call for the same
//! quote (`inquire_price`, FHKST01010100) against kis-mock on loopback, and the server's idle
//! resident memory.
//!
//! The tool side is what an agent's MCP client does: one JSON-RPC line to the server's stdin
//! (`tools/call kis_call`) and one line read back, the server being `kis mcp` as a child
//! process on its embedded mock (the same kis-mock, in its process, no rate limit). The library
//! side is `Client::domestic_stock().inquire_price` against a kis-mock in this process, without
//! rate limit. Both are interleaved, each measured run followed by an unmeasured one of the
//! other, so both see the same machine load (see benches/client.rs).
//!
//! The idle memory (VmRSS of the child after `initialize` and `tools/list`) is written to
//! `<target>/criterion/mcp_idle_rss.md` as rows of `cargo xtask bench`'s summary.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kis_api::codes::StockMarket;
use kis_api::domestic_stock::inquire_price;
use kis_api::{Client, Real, TokenCache};
use kis_mock::{MockConfig, MockServer};
use serde_json::{Value, json};

const APP_KEY: &str = "PSbenchAppKey00000000000000000000000";
const APP_SECRET: &str = "bench-app-secret";

/// Idle memory a server may hold: the catalog of every endpoint compiled in, a client, and
/// (here) the embedded mock.
const IDLE_RSS_TARGET_MIB: f64 = 64.0;

/// `kis mcp` over pipes, spoken to line by line.
struct McpChild {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl McpChild {
    fn start(home: &std::path::Path, extra_env: &[(&str, String)], args: &[&str]) -> McpChild {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kis"))
            .args(args)
            .arg("mcp")
            .env_clear()
            .env("HOME", home)
            .env("XDG_CACHE_HOME", home.join("cache"))
            .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run kis mcp: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        let stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("stdout")));
        let mut c = McpChild {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        let init = c.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "kis-bench", "version": "1"}}),
        );
        assert!(init["result"]["serverInfo"]["name"] == "kis", "{init}");
        c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        let tools = c.request("tools/list", json!({}));
        assert!(
            tools["result"]["tools"]
                .as_array()
                .is_some_and(|t| t.len() >= 6)
        );
        c
    }

    fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("write to kis mcp: {e}"));
    }

    /// Sends a request and reads lines until its answer.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let mut line = String::new();
        loop {
            line.clear();
            let n = self
                .stdout
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("read from kis mcp: {e}"));
            assert!(n > 0, "kis mcp closed its stdout");
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["id"] == id {
                return v;
            }
        }
    }

    fn quote(&mut self) -> bool {
        let r = self.request(
            "tools/call",
            json!({"name": "kis_call", "arguments": {"endpoint": "domestic_stock.inquire_price",
                   "inputs": {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}}}),
        );
        r["result"]["isError"] == false
            && r["result"]["structuredContent"]["data"]["output"].is_object()
    }

    /// The child's resident memory in KiB (Linux /proc), after a moment of idleness.
    fn idle_rss_kib(&self) -> Option<u64> {
        std::thread::sleep(Duration::from_millis(300));
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    }
}

impl Drop for McpChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn library_quote(client: &Client<Real>) -> bool {
    client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .is_ok_and(|r| r.output.is_some())
}

/// `<target>/criterion`, where `cargo xtask bench` reads estimates: the bench executable is
/// `<target>/<profile>/deps/mcp-<hash>`.
fn criterion_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(std::path::PathBuf::from(dir).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion"))
}

fn write_rss_rows(embedded: Option<u64>, client_only: Option<u64>) {
    let row = |name: &str, kib: Option<u64>| match kib {
        Some(k) => {
            let mib = k as f64 / 1024.0;
            let ok = if mib < IDLE_RSS_TARGET_MIB {
                "ok"
            } else {
                "MISSED"
            };
            format!(
                "| {name} | {mib:.1} MiB | | {mib:.1} MiB | < {IDLE_RSS_TARGET_MIB} MiB | {ok} |\n"
            )
        }
        None => format!("| {name} | no estimate | | | | |\n"),
    };
    let text =
        row("mcp_idle_rss/embedded_mock", embedded) + &row("mcp_idle_rss/client_only", client_only);
    eprintln!("{text}");
    if let Some(dir) = criterion_dir() {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("mcp_idle_rss.md"), text);
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (mock, client) = rt.block_on(async {
        let mock = MockServer::start(
            MockConfig::default()
                .with_credentials(APP_KEY, APP_SECRET)
                .with_token_issue_interval(Duration::ZERO),
        )
        .await
        .unwrap_or_else(|e| panic!("kis-mock: {e}"));
        let client = Client::builder()
            .real()
            .app_key(APP_KEY, APP_SECRET)
            .rest_url(mock.rest_url())
            .token_cache(TokenCache::Memory)
            .no_rate_limit()
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        assert!(library_quote(&client).await, "library quote failed");
        (mock, client)
    });
    // the server on its embedded mock (no credentials), as an agent starts it by default
    let mut server = McpChild::start(home.path(), &[], &[]);
    assert!(server.quote(), "tool call quote failed");
    let embedded_rss = server.idle_rss_kib();
    // a server with credentials, holding a client only (idle: no call made)
    let creds = [
        ("KIS_APP_KEY", APP_KEY.to_string()),
        ("KIS_APP_SECRET", APP_SECRET.to_string()),
        ("KIS_REST_URL", mock.rest_url()),
    ];
    let client_only_rss = McpChild::start(home.path(), &creds, &["--real"]).idle_rss_kib();
    write_rss_rows(embedded_rss, client_only_rss);

    let server = std::cell::RefCell::new(server);
    let tool = || assert!(server.borrow_mut().quote(), "a tool call failed");
    let library = || assert!(rt.block_on(library_quote(&client)), "a library call failed");
    let mut g = c.benchmark_group("mcp_overhead/quote");
    g.bench_function("tool_call", |b| {
        b.iter_custom(|iters| paired(iters, tool, library))
    });
    g.bench_function("library", |b| {
        b.iter_custom(|iters| paired(iters, library, tool))
    });
    g.finish();
    drop(server);
    rt.block_on(mock.shutdown());
}

/// Runs `measured` `iters` times, each followed by one unmeasured run of `other`; the time of
/// `measured` alone.
fn paired(iters: u64, measured: impl Fn(), other: impl Fn()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        measured();
        total += started.elapsed();
        other();
    }
    total
}

criterion_group!(benches, bench);
criterion_main!(benches);
