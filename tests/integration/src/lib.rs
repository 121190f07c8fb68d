//! Shared pieces of the integration suite: the generated conformance calls and helpers that
//! start `kis-mock` and build clients against it.

use std::path::Path;
use std::time::Duration;

use kis_api::{AccountKind, Client, Env, TokenCache};
use kis_mock::{MockConfig, MockServer};

mod conformance;
pub use conformance::{FrameCheck, Outcome, RealtimeTrInfo, Summary};
use conformance::{spawn_checks, summarize_pages};

include!(concat!(env!("OUT_DIR"), "/calls.rs"));

/// App key the suite uses.
pub const APP_KEY: &str = "PSintegrationAppKey0000000000000000";
/// App secret the suite uses.
pub const APP_SECRET: &str = "integration-app-secret-value-that-must-never-be-logged";
/// Stock account the suite uses.
pub const STOCK_ACCOUNT: &str = "50012345-01";
/// HTS id the suite uses.
pub const HTS_ID: &str = "suiteuser";

/// A mock configuration for tests: the suite's credentials, short token interval.
pub fn mock_config(env: kis_mock::Environment) -> MockConfig {
    MockConfig::default()
        .with_environment(env)
        .with_credentials(APP_KEY, APP_SECRET)
        .with_token_issue_interval(Duration::from_millis(200))
        .with_seed(7)
}

/// Starts a mock server.
pub async fn start_mock(config: MockConfig) -> MockServer {
    match MockServer::start(config).await {
        Ok(m) => m,
        Err(e) => panic!("cannot start kis-mock: {e}"),
    }
}

/// A client builder aimed at `mock`, with every account configured, tokens cached in `cache`
/// (a directory) and no client-side rate limit.
pub fn builder_for(
    mock: &MockServer,
    env: Env,
    cache: &Path,
) -> kis_api::ClientBuilder<kis_api::AnyEnv> {
    Client::builder()
        .environment(env)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(mock.rest_url())
        .websocket_url(mock.ws_url())
        .token_cache(TokenCache::Dir(cache.to_path_buf()))
        .token_issue_interval(Duration::from_millis(250))
        .no_rate_limit()
        .stock_account(STOCK_ACCOUNT)
        .account(
            AccountKind::DomesticFutures,
            kis_api::Account::parse("60012345-03").unwrap_or_else(|e| panic!("{e}")),
        )
        .account(
            AccountKind::OverseasFutures,
            kis_api::Account::parse("70012345-08").unwrap_or_else(|e| panic!("{e}")),
        )
        .hts_id(HTS_ID)
}

/// A client of [`builder_for`] as it is.
pub fn client_for(mock: &MockServer, env: Env, cache: &Path) -> Client {
    match builder_for(mock, env, cache).build() {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

/// A cash buy of Samsung Electronics (005930), the stock the suite trades.
pub fn buy_samsung(
    division: kis_api::codes::OrderDivision,
    quantity: u64,
    price: kis_api::Decimal,
) -> kis_api::domestic_stock::order_cash::Request {
    use kis_api::domestic_stock::order_cash;
    order_cash::Request::new(order_cash::Side::Buy, "005930", division, quantity, price)
}

/// A Samsung Electronics (005930) quote on KRX, the query the suite uses most.
pub async fn quote(
    client: &Client,
) -> kis_api::Result<kis_api::domestic_stock::inquire_price::Response> {
    let request = kis_api::domestic_stock::inquire_price::Request::new(
        kis_api::codes::StockMarket::Krx,
        "005930",
    );
    client.domestic_stock().inquire_price(request).await
}

/// A `redis-server` of the test's own: a free loopback port, a temporary directory, no
/// persistence. Stopped when dropped.
pub struct RedisServer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts one and waits until it answers. Panics with what to install when `redis-server` is
    /// missing: the Redis tests fail rather than skip.
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let child = spawn_redis(port, dir.path());
        let server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        server.wait_until_ready();
        server
    }

    /// Starts the server again on the same port (after [`RedisServer::stop`]), empty.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn_redis(self.port, self._dir.path());
        self.wait_until_ready();
    }

    fn wait_until_ready(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.ping() {
            if std::time::Instant::now() > deadline {
                panic!(
                    "redis-server on port {} did not answer within 10 s",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// Every key the server holds.
    pub fn keys(&self) -> Vec<String> {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
            .and_then(|mut c| redis::cmd("KEYS").arg("*").query(&mut c))
            .unwrap_or_else(|e| panic!("KEYS on the test's redis-server: {e}"))
    }

    /// Stops the server (as a crash would: no goodbye to the clients).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_redis(port: u16, dir: &Path) -> std::process::Child {
    std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start redis-server ({e}): the Redis tests need it installed \
                 (Debian/Ubuntu: apt-get install -y redis-server; .ci/run does this)"
            )
        })
}

/// What a `quote-worker` process reports on its last line of output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Quotes answered successfully.
    pub ok: u64,
    /// Quotes that failed after the client's retries.
    pub failed: u64,
    /// When the first quote was started (µs since the Unix epoch).
    pub first_us: u64,
    /// When the last quote finished (µs since the Unix epoch).
    pub last_us: u64,
}

impl WorkerReport {
    /// Reads `ok=N failed=N first_us=N last_us=N`.
    pub fn parse(line: &str) -> Option<WorkerReport> {
        let mut r = WorkerReport::default();
        for part in line.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            let v: u64 = v.parse().ok()?;
            match k {
                "ok" => r.ok = v,
                "failed" => r.failed = v,
                "first_us" => r.first_us = v,
                "last_us" => r.last_us = v,
                _ => return None,
            }
        }
        Some(r)
    }
}

/// `quote-worker` processes started together: each builds its client and gets its token, then
/// all start sending when [`Workers::go`] is called.
pub struct Workers {
    children: Vec<tokio::process::Child>,
}

impl Workers {
    /// Starts one `quote-worker` (the executable `exe`) per argument list (see
    /// `src/bin/quote_worker.rs` for the arguments) and waits until every one has its token.
    pub async fn start(exe: &Path, arg_lists: Vec<Vec<String>>) -> Workers {
        use tokio::io::AsyncBufReadExt;
        let mut children = Vec::new();
        for args in arg_lists {
            let child = tokio::process::Command::new(exe)
                .args(&args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn quote-worker: {e}"));
            children.push(child);
        }
        for c in &mut children {
            let Some(out) = c.stdout.as_mut() else {
                panic!("quote-worker stdout")
            };
            let mut line = String::new();
            let mut reader = tokio::io::BufReader::new(out);
            let read = tokio::time::timeout(Duration::from_secs(60), reader.read_line(&mut line));
            match read.await {
                Ok(Ok(_)) if line.trim() == "ready" => {}
                other => panic!("quote-worker did not get ready: {other:?} {line:?}"),
            }
        }
        Workers { children }
    }

    /// Lets every worker start sending.
    pub async fn go(&mut self) {
        use tokio::io::AsyncWriteExt;
        for c in &mut self.children {
            if let Some(stdin) = c.stdin.as_mut() {
                let _ = stdin.write_all(b"go\n").await;
                let _ = stdin.flush().await;
            }
        }
    }

    /// The processes, to kill one.
    pub fn children(&mut self) -> &mut [tokio::process::Child] {
        &mut self.children
    }

    /// Waits for every worker and reads its report; panics on a worker that failed to run.
    pub async fn reports(self) -> Vec<WorkerReport> {
        let mut out = Vec::new();
        for c in self.children {
            let o = c
                .wait_with_output()
                .await
                .unwrap_or_else(|e| panic!("wait for quote-worker: {e}"));
            let stdout = String::from_utf8_lossy(&o.stdout);
            let report = stdout.lines().last().and_then(WorkerReport::parse);
            match report {
                Some(r) if o.status.success() => out.push(r),
                _ => panic!(
                    "quote-worker failed ({}): {stdout} {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                ),
            }
        }
        out
    }
}
