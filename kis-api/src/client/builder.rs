//! Building a [`Client`]: settings, credentials from code, the environment or `kis_devlp.yaml`,
//! and the validation that keeps a bad setting from reaching the network.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Client, Inner};
use crate::budget::{BudgetConfig, RateBudget};
#[cfg(feature = "redis")]
use crate::config::Secret;
use crate::config::{Account, Credentials, CustomerType, DevlpConfig};
use crate::environment::{AnyEnv, Demo, Env, Environment, Real};
use crate::error::{Error, Result};
use crate::http::{RetryPolicy, Transport, TransportConfig};
use crate::key_state::KeyState;
use crate::meta::AccountKind;
use crate::recording::Recorder;
use crate::tokens::{ApprovalKeys, TokenCache, TokenManager};

/// The longest token interval a caller can set: a token lives at most a day, and longer waits
/// would only overflow deadlines computed from them.
const MAX_TOKEN_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// Default of [`ClientBuilder::max_response_bytes`]: far above KIS's largest pages (a few
/// hundred kilobytes), far below what would hurt.
const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The message of a configuration error without its `configuration:` prefix, for errors that
/// [`ClientBuilder::build`] wraps again.
fn config_message(e: Error) -> String {
    match e {
        Error::Config(m) => m,
        other => other.to_string(),
    }
}

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder<E: Environment> {
    env: Option<Env>,
    credentials: Option<Credentials>,
    devlp: Option<DevlpConfig>,
    accounts: HashMap<AccountKind, Account>,
    hts_id: Option<String>,
    customer_type: CustomerType,
    rest_url: Option<String>,
    websocket_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: Option<String>,
    token_cache: Option<TokenCache>,
    rate_limit: Option<Option<u32>>,
    shared_rate_limit: bool,
    #[cfg(feature = "redis")]
    redis_url: Option<Secret>,
    token_issue_interval: Duration,
    token_refresh_before: Duration,
    retry: RetryPolicy,
    page_limit: usize,
    hashkey: bool,
    max_response_bytes: usize,
    strict: bool,
    record: Option<PathBuf>,
    errors: Vec<String>,
    _env: PhantomData<E>,
}

impl<E: Environment> fmt::Debug for ClientBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("env", &self.env)
            .field("credentials", &self.credentials)
            .field("rest_url", &self.rest_url)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder<AnyEnv> {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder<AnyEnv> {
    /// A builder with nothing set.
    pub fn new() -> Self {
        ClientBuilder {
            env: None,
            credentials: None,
            devlp: None,
            accounts: HashMap::new(),
            hts_id: None,
            customer_type: CustomerType::Personal,
            rest_url: None,
            websocket_url: None,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            user_agent: None,
            token_cache: None,
            rate_limit: None,
            shared_rate_limit: true,
            #[cfg(feature = "redis")]
            redis_url: None,
            token_issue_interval: Duration::from_secs(
                crate::CATALOG
                    .limits
                    .client_token_issue_interval_seconds
                    .into(),
            ),
            token_refresh_before: Duration::from_secs(30 * 60),
            retry: RetryPolicy::default(),
            page_limit: 100,
            hashkey: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            strict: false,
            record: None,
            errors: Vec::new(),
            _env: PhantomData,
        }
    }

    /// The environment, chosen at run time.
    pub fn environment(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    /// The real environment, fixed in the type: `Client<Real>`.
    pub fn real(self) -> ClientBuilder<Real> {
        self.retype(Some(Env::Real))
    }

    /// The demo environment, fixed in the type: `Client<Demo>`, without real-only methods.
    pub fn demo(self) -> ClientBuilder<Demo> {
        self.retype(Some(Env::Demo))
    }
}

impl<E: Environment> ClientBuilder<E> {
    fn retype<F: Environment>(self, env: Option<Env>) -> ClientBuilder<F> {
        ClientBuilder {
            env,
            credentials: self.credentials,
            devlp: self.devlp,
            accounts: self.accounts,
            hts_id: self.hts_id,
            customer_type: self.customer_type,
            rest_url: self.rest_url,
            websocket_url: self.websocket_url,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            user_agent: self.user_agent,
            token_cache: self.token_cache,
            rate_limit: self.rate_limit,
            shared_rate_limit: self.shared_rate_limit,
            #[cfg(feature = "redis")]
            redis_url: self.redis_url,
            token_issue_interval: self.token_issue_interval,
            token_refresh_before: self.token_refresh_before,
            retry: self.retry,
            page_limit: self.page_limit,
            hashkey: self.hashkey,
            max_response_bytes: self.max_response_bytes,
            strict: self.strict,
            record: self.record,
            errors: self.errors,
            _env: PhantomData,
        }
    }

    /// App key and secret.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// App key and secret from strings.
    pub fn app_key(self, app_key: impl Into<String>, app_secret: impl Into<String>) -> Self {
        self.credentials(Credentials::new(app_key, app_secret))
    }

    /// Reads settings from the environment variables `KIS_APP_KEY`, `KIS_APP_SECRET`,
    /// `KIS_ENV` (`real`/`demo`, for `AnyEnv`), `KIS_ACCOUNT` (stock, `12345678-01`),
    /// `KIS_FUTURES_ACCOUNT`, `KIS_OVERSEAS_FUTURES_ACCOUNT`, `KIS_HTS_ID`, `KIS_REST_URL` and
    /// `KIS_WS_URL`. Values set explicitly on the builder take precedence.
    pub fn from_env(mut self) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        if self.credentials.is_none() {
            match (var("KIS_APP_KEY"), var("KIS_APP_SECRET")) {
                (Some(k), Some(s)) => self.credentials = Some(Credentials::new(k, s)),
                // half a credential is a mistake, never a reason to fall back to something else
                (Some(_), None) => self
                    .errors
                    .push("KIS_APP_KEY is set but KIS_APP_SECRET is not".into()),
                (None, Some(_)) => self
                    .errors
                    .push("KIS_APP_SECRET is set but KIS_APP_KEY is not".into()),
                (None, None) => {}
            }
        }
        if E::FIXED.is_none()
            && self.env.is_none()
            && let Some(e) = var("KIS_ENV")
        {
            match e.parse() {
                Ok(env) => self.env = Some(env),
                Err(msg) => self.errors.push(format!("KIS_ENV: {msg}")),
            }
        }
        for (key, kind) in [
            ("KIS_ACCOUNT", AccountKind::Stock),
            ("KIS_FUTURES_ACCOUNT", AccountKind::DomesticFutures),
            ("KIS_OVERSEAS_FUTURES_ACCOUNT", AccountKind::OverseasFutures),
        ] {
            if let Some(v) = var(key)
                && !self.accounts.contains_key(&kind)
            {
                match Account::parse(&v) {
                    Ok(a) => {
                        self.accounts.insert(kind, a);
                    }
                    Err(e) => self.errors.push(format!("{key}: {}", config_message(e))),
                }
            }
        }
        if self.hts_id.is_none() {
            self.hts_id = var("KIS_HTS_ID");
        }
        if self.rest_url.is_none() {
            self.rest_url = var("KIS_REST_URL");
        }
        if self.websocket_url.is_none() {
            self.websocket_url = var("KIS_WS_URL");
        }
        self
    }

    /// Reads the official samples' `kis_devlp.yaml` (keys `my_app`, `my_sec`, `paper_app`,
    /// `paper_sec`, `my_htsid`, `my_acct_stock`, `my_acct_future`, `my_paper_stock`,
    /// `my_paper_future`, `my_prod`, `prod`, `vps`, `ops`, `vops`, `my_agent`). Values set
    /// explicitly take precedence.
    pub fn kis_devlp_yaml(mut self, path: impl AsRef<Path>) -> Self {
        match DevlpConfig::from_file(path.as_ref()) {
            Ok(c) => self.devlp = Some(c),
            Err(e) => self.errors.push(config_message(e)),
        }
        self
    }

    /// The account of `kind`, e.g. `Account::parse("12345678-01")?`.
    pub fn account(mut self, kind: AccountKind, account: Account) -> Self {
        self.accounts.insert(kind, account);
        self
    }

    /// The stock account, written `12345678-01`.
    pub fn stock_account(mut self, account: &str) -> Self {
        match Account::parse(account) {
            Ok(a) => {
                self.accounts.insert(AccountKind::Stock, a);
            }
            Err(e) => self.errors.push(config_message(e)),
        }
        self
    }

    /// The HTS id: the key of execution-notice subscriptions.
    pub fn hts_id(mut self, hts_id: impl Into<String>) -> Self {
        self.hts_id = Some(hts_id.into());
        self
    }

    /// Personal (default) or corporate customer.
    pub fn customer_type(mut self, t: CustomerType) -> Self {
        self.customer_type = t;
        self
    }

    /// Overrides the REST base URL (tests, the mock server, proxies).
    pub fn rest_url(mut self, url: impl Into<String>) -> Self {
        self.rest_url = Some(url.into());
        self
    }

    /// Overrides the WebSocket base URL.
    pub fn websocket_url(mut self, url: impl Into<String>) -> Self {
        self.websocket_url = Some(url.into());
        self
    }

    /// Timeout of one HTTP request (default 15 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Connection timeout (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// User agent sent with every request.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// Where tokens are cached (default: [`TokenCache::default_dir`]).
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.token_cache = Some(cache);
        self
    }

    /// Requests per second for this app key (default: the catalog's
    /// `rate_limits.client_real_per_second` / `client_demo_per_second`). Any one-second window at
    /// KIS holds at most this many of the key's requests: a request's place in the budget is free
    /// again one second after its answer, whatever the network delay.
    pub fn rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = Some(Some(per_second));
        self
    }

    /// Whether every process of this machine using the app key and environment draws from one
    /// rate budget (default on): a small state file next to the token cache, under a file lock.
    /// Off, or with [`TokenCache::Memory`], the budget is this process's alone.
    pub fn shared_rate_limit(mut self, on: bool) -> Self {
        self.shared_rate_limit = on;
        self
    }

    /// Shares the rate budget and the access token with every machine using the app key, through
    /// the Redis server at `url` (`redis://host:port/db`, feature `redis`). Keys hold a hash of the
    /// app key, never the key. A machine that loses Redis warns once and falls back to the local
    /// budget and token cache until Redis is back: never to no limit.
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis_url = Some(Secret::new(url));
        self
    }

    /// No client-side rate limit (a local mock, or an external limiter).
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = Some(None);
        self
    }

    /// Minimum time between two token issues (KIS: one per minute; default the catalog's
    /// `rate_limits.client_token_issue_interval_seconds`). Lower only against a mock server.
    /// Values over a day are cut to a day: a token lives at most that long.
    pub fn token_issue_interval(mut self, d: Duration) -> Self {
        self.token_issue_interval = d.min(MAX_TOKEN_INTERVAL);
        self
    }

    /// How long before expiry a token is refreshed (default 30 min; at most a day).
    pub fn token_refresh_before(mut self, d: Duration) -> Self {
        self.token_refresh_before = d.min(MAX_TOKEN_INTERVAL);
        self
    }

    /// How queries are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Most pages a pagination fetches before failing with [`Error::Pagination`] (default 100).
    pub fn page_limit(mut self, pages: usize) -> Self {
        self.page_limit = pages.max(1);
        self
    }

    /// Sends a `hashkey` header with every order (default off; KIS does not require it).
    pub fn hashkey(mut self, on: bool) -> Self {
        self.hashkey = on;
        self
    }

    /// The largest response body read, in bytes (default 16 MiB); a longer one fails with
    /// [`Error::ResponseTooLarge`] without being read further.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Fails a call whose response holds a key the catalog does not know or a value its type
    /// cannot read, with [`Error::Unrecognized`] (default off: such replies succeed and expose
    /// them as [`crate::Reply::unrecognized`]). For conformance tests.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Records every exchange in a new file in `dir` (created private when missing): TR ID,
    /// inputs, `tr_cont`, status and body of each REST call, and the realtime messages, with
    /// secrets, account numbers and personal fields hidden. For `cargo xtask learn` and
    /// `kis-mock --replay`; see `docs/recording.md`. [`ClientBuilder::build`] fails when `dir`
    /// cannot be used; a later write error is logged and counted ([`Client::recording`]),
    /// never a call's failure.
    pub fn record(mut self, dir: impl Into<PathBuf>) -> Self {
        self.record = Some(dir.into());
        self
    }

    /// Builds the client. Fails on missing credentials or a bad setting, never on the network.
    pub fn build(self) -> Result<Client<E>> {
        if let Some(e) = self.errors.first() {
            return Err(Error::Config(e.clone()));
        }
        let env = E::FIXED.or(self.env).ok_or_else(|| {
            Error::Config(
                "choose the environment: .real(), .demo() or .environment(..) (or KIS_ENV)".into(),
            )
        })?;
        let devlp = self.devlp.unwrap_or_default();
        let credentials = self
            .credentials
            .or_else(|| match env {
                Env::Real => devlp.real.clone(),
                Env::Demo => devlp.demo.clone(),
            })
            .ok_or_else(|| Error::Config(format!("no app key/secret for the {env} environment")))?;
        if credentials.app_key.is_empty() || credentials.app_secret.is_empty() {
            return Err(Error::Config(
                "the app key and secret must not be empty".into(),
            ));
        }
        let mut accounts = self.accounts;
        for ((e, kind), a) in &devlp.accounts {
            if *e == env {
                accounts.entry(*kind).or_insert_with(|| a.clone());
            }
        }
        let rest_url = base_url(
            "REST",
            self.rest_url
                .or_else(|| devlp.rest_urls.get(&env).cloned())
                .unwrap_or_else(|| crate::CATALOG.hosts(env).rest.to_string()),
            &["http", "https"],
        )?;
        let websocket_url = base_url(
            "WebSocket",
            self.websocket_url
                .or_else(|| devlp.websocket_urls.get(&env).cloned())
                .unwrap_or_else(|| crate::CATALOG.hosts(env).websocket.to_string()),
            &["ws", "wss"],
        )?;
        // rustls needs a process-wide crypto provider; install ring's unless the program chose one
        let _ = rustls::crypto::ring::default_provider().install_default();
        let user_agent = self
            .user_agent
            .or(devlp.user_agent)
            .unwrap_or_else(|| concat!("kis-api/", env!("CARGO_PKG_VERSION")).to_string());
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(user_agent)
            .pool_idle_timeout(Duration::from_secs(50))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let token_cache = self.token_cache.unwrap_or_else(TokenCache::default_dir);
        let key_hash = crate::tokens::key_hash(credentials.app_key.expose());
        let make_key_state = || -> Result<KeyState> {
            let tokens = TokenManager::new(
                env,
                credentials.clone(),
                &rest_url,
                http.clone(),
                token_cache.clone(),
                self.token_issue_interval,
                self.token_refresh_before,
            );
            let per_second = match self.rate_limit {
                Some(r) => r,
                None => Some(crate::CATALOG.limits.client_per_second(env)),
            };
            let budget = per_second.filter(|n| *n > 0).map(|n| {
                RateBudget::new(BudgetConfig {
                    per_window: n,
                    window: Duration::from_secs(1),
                    // a request not answered by then reached KIS long ago, or never will
                    lease: self.connect_timeout,
                    file: match (&token_cache, self.shared_rate_limit) {
                        (TokenCache::Dir(dir), true) => {
                            Some(crate::budget::state_file(dir, env, &key_hash))
                        }
                        _ => None,
                    },
                })
            });
            #[cfg(feature = "redis")]
            let (tokens, budget) = match &self.redis_url {
                Some(url) => {
                    let redis =
                        Arc::new(crate::redis_store::RedisShared::new(url, env, &key_hash)?);
                    (
                        tokens.with_remote(redis.clone()),
                        budget.map(|b| b.with_remote(redis)),
                    )
                }
                None => (tokens, budget),
            };
            Ok(KeyState {
                tokens,
                budget,
                approval: ApprovalKeys::new(),
            })
        };
        let key = KeyState::shared((env, key_hash.clone(), rest_url.clone()), make_key_state)?;
        let hts_id = self.hts_id.or(devlp.hts_id);
        let recorder = match &self.record {
            Some(dir) => {
                let mut secrets = vec![
                    credentials.app_key.expose().to_string(),
                    credentials.app_secret.expose().to_string(),
                ];
                secrets.extend(accounts.values().map(|a| a.number().to_string()));
                secrets.extend(hts_id.clone());
                let r = Recorder::start(dir, env, secrets).map_err(|e| {
                    Error::Config(format!("cannot record in {}: {e}", dir.display()))
                })?;
                Some(Arc::new(r))
            }
            None => None,
        };
        let transport = Transport::new(
            TransportConfig {
                http,
                rest_url,
                credentials,
                customer_type: self.customer_type,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                key,
                recorder,
            },
            accounts.values(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                env,
                accounts,
                hts_id,
                websocket_url,
                page_limit: self.page_limit,
                hashkey: self.hashkey,
                strict: self.strict,
                token_cache,
                transport,
            }),
            _env: PhantomData,
        })
    }
}

/// A base URL as the client uses it (no trailing `/`), or why it cannot be one. Credentials, a
/// query or a fragment are refused: the first would be printed wherever the URL is, the others
/// would silently send every request to the wrong path. The URL itself is never quoted back.
pub(crate) fn base_url(what: &str, url: String, schemes: &[&str; 2]) -> Result<String> {
    let refuse = |why: &str| Err(Error::Config(format!("the {what} URL {why}")));
    let trimmed = url.trim();
    let parsed = match reqwest::Url::parse(trimmed) {
        Ok(u) => u,
        Err(e) => return refuse(&format!("is not a URL ({e})")),
    };
    if !schemes.contains(&parsed.scheme()) {
        return refuse(&format!(
            "must start with {}:// or {}://",
            schemes[0], schemes[1]
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse("must not hold a user name or password");
    }
    if parsed.query().is_some() || trimmed.contains('?') {
        return refuse("must not have a query (?...): paths are appended to it");
    }
    if parsed.fragment().is_some() || trimmed.contains('#') {
        return refuse("must not have a fragment (#...): paths are appended to it");
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return refuse("has no host");
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_token_intervals_are_cut_to_a_day() {
        let b = Client::builder()
            .token_issue_interval(Duration::MAX)
            .token_refresh_before(Duration::MAX);
        assert_eq!(b.token_issue_interval, MAX_TOKEN_INTERVAL);
        assert_eq!(b.token_refresh_before, MAX_TOKEN_INTERVAL);
        let b = Client::builder().token_issue_interval(Duration::from_secs(5));
        assert_eq!(b.token_issue_interval, Duration::from_secs(5));
    }

    fn client(key: &str, url: &str) -> Client<Real> {
        Client::builder()
            .real()
            .app_key(key, "secret")
            .rest_url(url)
            .token_cache(TokenCache::Memory)
            .build()
            .expect("client")
    }

    /// The documented choice (`crate::key_state`): clients built separately with one app key,
    /// environment and host share its token and budget; anything else does not; the state ends
    /// with its last client (the registry holds weak references).
    #[test]
    fn clients_of_one_app_key_share_its_state_and_only_they_do() {
        let a = client("PSregistryKeyA", "http://127.0.0.1:9");
        let b = client("PSregistryKeyA", "http://127.0.0.1:9");
        assert!(a.inner.transport.shares_key_state_with(&b.inner.transport));
        let other_key = client("PSregistryKeyB", "http://127.0.0.1:9");
        assert!(
            !a.inner
                .transport
                .shares_key_state_with(&other_key.inner.transport)
        );
        let other_host = client("PSregistryKeyA", "http://127.0.0.1:10");
        assert!(
            !a.inner
                .transport
                .shares_key_state_with(&other_host.inner.transport)
        );
        let demo = Client::builder()
            .demo()
            .app_key("PSregistryKeyA", "secret")
            .rest_url("http://127.0.0.1:9")
            .token_cache(TokenCache::Memory)
            .build()
            .expect("client");
        assert!(
            !a.inner
                .transport
                .shares_key_state_with(&demo.inner.transport)
        );
        // a clone shares everything, of course
        assert!(
            a.clone()
                .inner
                .transport
                .shares_key_state_with(&b.inner.transport)
        );
    }

    #[test]
    fn base_urls_with_credentials_queries_or_fragments_are_refused_unquoted() {
        for (url, why) in [
            ("http://user:pa55word@127.0.0.1:1", "user name or password"),
            ("http://user@127.0.0.1:1", "user name or password"),
            ("http://127.0.0.1:1/?x=1", "query"),
            ("http://127.0.0.1:1?", "query"),
            ("http://127.0.0.1:1/#frag", "fragment"),
            ("ftp://127.0.0.1:1", "must start with"),
            ("not a url", "is not a URL"),
        ] {
            let e = base_url("REST", url.into(), &["http", "https"]).expect_err(url);
            let shown = e.to_string();
            assert!(shown.contains(why), "{url}: {shown}");
            assert!(
                !shown.contains("pa55word") && !shown.contains("user@"),
                "{shown}"
            );
        }
        assert_eq!(
            base_url(
                "REST",
                " https://h.example:9443/ ".into(),
                &["http", "https"]
            )
            .expect("ok"),
            "https://h.example:9443"
        );
        assert_eq!(
            base_url("WebSocket", "ws://127.0.0.1:21000".into(), &["ws", "wss"]).expect("ok"),
            "ws://127.0.0.1:21000"
        );
    }
}
