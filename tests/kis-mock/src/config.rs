//! Server configuration.

use std::path::PathBuf;
use std::time::Duration;

/// Which KIS environment the server emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// 실전투자: real TR IDs (`TTTC...`) are served, demo ones (`VTTC...`) refused.
    #[default]
    Real,
    /// 모의투자: only endpoints the catalog marks `demo: true`, with their demo TR IDs.
    Demo,
}

impl Environment {
    /// `real` / `demo`.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Real => "real",
            Environment::Demo => "demo",
        }
    }
}

/// How a [`crate::MockServer`] behaves. Build one with `MockConfig::default()` and struct update
/// syntax, or with the `with_*` helpers.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Emulated environment.
    pub environment: Environment,
    /// REST port on 127.0.0.1; 0 picks a free one.
    pub rest_port: u16,
    /// WebSocket port on 127.0.0.1; 0 picks a free one.
    pub ws_port: u16,
    /// The only accepted app key, if set; `None` accepts any non-empty key (a token remembers
    /// the key/secret pair it was issued to, and later calls must present that pair).
    pub app_key: Option<String>,
    /// The only accepted app secret, if set (see `app_key`).
    pub app_secret: Option<String>,
    /// Seed of the generated data: the same request and seed give the same body.
    pub seed: u64,
    /// Minimum time between two token issues for one app key (KIS: one minute).
    pub token_issue_interval: Duration,
    /// Lifetime of an issued access token (KIS: 24 hours).
    pub token_lifetime: Duration,
    /// Requests per app key within any [`Self::rate_window`] before `EGW00201`; `None` is
    /// unlimited.
    pub rate_limit_per_second: Option<u32>,
    /// The sliding window the rate limit counts in (default one second): a request is refused
    /// when `rate_limit_per_second` accepted requests of its key arrived less than this long ago.
    pub rate_window: Duration,
    /// Pages served by paginated endpoints.
    pub pages: u32,
    /// Rows of every array block (per page when paginated).
    pub rows_per_page: u32,
    /// The HTS id execution notices are addressed to (their `tr_key`).
    pub hts_id: String,
    /// Load the catalog from this directory instead of the embedded one.
    pub catalog_dir: Option<PathBuf>,
    /// Interval of the `PINGPONG` heartbeat on WebSocket sessions.
    pub ping_interval: Duration,
    /// Whether realtime ticks are generated for subscriptions from the start.
    pub ticks: bool,
    /// Interval between two tick frames of a session.
    pub tick_interval: Duration,
    /// Subscriptions per WebSocket session; `None` takes `rate_limits.websocket_subscriptions`
    /// from the catalog.
    pub ws_subscription_cap: Option<u32>,
    /// How long a REST client may take to send a request's headers (also how long an idle
    /// keep-alive connection is kept): a client that trickles them is disconnected.
    pub header_timeout: Duration,
    /// WebSocket connections served at once (handshakes in progress included); one more is
    /// answered `503 Service Unavailable` before the upgrade. KIS serves one session per
    /// approval key; the cap keeps a flood of idle connections from exhausting the process's
    /// file descriptors, which REST needs too.
    pub ws_max_connections: usize,
    /// How long a WebSocket client may take to complete its opening handshake.
    pub ws_handshake_timeout: Duration,
    /// Largest WebSocket message (and frame) accepted, in bytes; a larger one, or an unfinished
    /// fragmented message that grows past it, closes the connection. KIS's subscribe messages
    /// are a few hundred bytes.
    pub ws_max_message_bytes: usize,
    /// Write one JSON line per REST request to this file (method, path, `tr_id`, status and the
    /// input keys with their values; personal data masked, credentials never).
    pub record: Option<PathBuf>,
    /// Answer REST requests with the exchanges of the client's recordings in this file or
    /// directory (`kis record`, `ClientBuilder::record`) instead of generated data; the auth
    /// endpoints and WebSocket are served as usual.
    pub replay: Option<PathBuf>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            environment: Environment::Real,
            rest_port: 0,
            ws_port: 0,
            app_key: None,
            app_secret: None,
            seed: 0x4b49_535f_4d4f_434b,
            token_issue_interval: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(86_400),
            rate_limit_per_second: None,
            rate_window: Duration::from_secs(1),
            pages: 3,
            rows_per_page: 10,
            hts_id: "mockhts01".to_string(),
            catalog_dir: None,
            ping_interval: Duration::from_secs(10),
            ticks: true,
            tick_interval: Duration::from_millis(500),
            ws_subscription_cap: None,
            header_timeout: Duration::from_secs(5),
            ws_max_connections: 256,
            ws_handshake_timeout: Duration::from_secs(5),
            ws_max_message_bytes: 64 * 1024,
            record: None,
            replay: None,
        }
    }
}

impl MockConfig {
    /// The default configuration emulating the demo (모의투자) environment.
    pub fn demo() -> Self {
        MockConfig {
            environment: Environment::Demo,
            ..MockConfig::default()
        }
    }

    /// Sets the environment.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Accepts only this app key / secret pair.
    pub fn with_credentials(
        mut self,
        app_key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.app_key = Some(app_key.into());
        self.app_secret = Some(secret.into());
        self
    }

    /// Sets the token issue interval.
    pub fn with_token_issue_interval(mut self, interval: Duration) -> Self {
        self.token_issue_interval = interval;
        self
    }

    /// Sets the per-second rate limit.
    pub fn with_rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit_per_second = per_second;
        self
    }

    /// Sets the sliding window the rate limit counts in.
    pub fn with_rate_window(mut self, window: Duration) -> Self {
        self.rate_window = window;
        self
    }

    /// Sets pages and rows per page.
    pub fn with_pages(mut self, pages: u32, rows_per_page: u32) -> Self {
        self.pages = pages;
        self.rows_per_page = rows_per_page;
        self
    }

    /// Loads the catalog from a directory.
    pub fn with_catalog_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.catalog_dir = Some(dir.into());
        self
    }

    /// Sets the `PINGPONG` interval.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets how long a client may take to send a request's headers.
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Sets how many WebSocket connections are served at once (at least 1).
    pub fn with_ws_max_connections(mut self, n: usize) -> Self {
        self.ws_max_connections = n.max(1);
        self
    }

    /// Sets how long a WebSocket client may take to complete its opening handshake.
    pub fn with_ws_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.ws_handshake_timeout = timeout;
        self
    }

    /// Sets the largest WebSocket message (and frame) accepted, in bytes.
    pub fn with_ws_max_message_bytes(mut self, bytes: usize) -> Self {
        self.ws_max_message_bytes = bytes;
        self
    }

    /// Answers REST requests from the client's recordings at `recordings` (see
    /// [`MockConfig::replay`]).
    pub fn with_replay(mut self, recordings: impl Into<PathBuf>) -> Self {
        self.replay = Some(recordings.into());
        self
    }

    /// Records every REST request to `path` (see [`MockConfig::record`]).
    pub fn with_record(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Sets whether ticks run and their interval.
    pub fn with_ticks(mut self, enabled: bool, interval: Duration) -> Self {
        self.ticks = enabled;
        self.tick_interval = interval;
        self
    }
}
