//! The client and its builder.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use crate::budget::{BudgetConfig, RateBudget};
use crate::call::Call;
use crate::config::{Account, Credentials, CustomerType, DevlpConfig, Secret};
use crate::endpoint::Endpoint;
use crate::env::{AnyEnv, Demo, Env, Environment, Real};
use crate::error::{Error, Result};
use crate::meta::AccountKind;
use crate::tokens::{ApprovalKeys, TokenCache, TokenManager};

/// Default of [`ClientBuilder::max_response_bytes`]: far above KIS's largest pages (a few
/// hundred kilobytes), far below what would hurt.
const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How queries are retried. State-changing calls (orders) are never resent once the request may
/// have reached KIS, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff delay; doubled per attempt, with jitter.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        jittered_backoff(self.base_delay, self.max_delay, attempt)
    }
}

/// Between half and all of `base * 2^attempt`, capped at `max`. The jitter spreads the retries
/// (and reconnects) of concurrent tasks so they do not hit KIS in step.
pub(crate) fn jittered_backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let capped = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

/// The message of a configuration error without its `configuration:` prefix, for errors that
/// [`ClientBuilder::build`] wraps again.
fn config_message(e: Error) -> String {
    match e {
        Error::Config(m) => m,
        other => other.to_string(),
    }
}

/// State shared by every client of one environment, app key and host in this process: the token,
/// the rate budget (itself shared with other processes) and the WebSocket approval key.
pub(crate) struct Shared {
    pub(crate) tokens: TokenManager,
    pub(crate) budget: Option<RateBudget>,
    pub(crate) approval: ApprovalKeys,
}

type SharedKey = (Env, String, String);

fn registry() -> &'static Mutex<HashMap<SharedKey, Weak<Shared>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<SharedKey, Weak<Shared>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(crate) struct Inner {
    pub(crate) env: Env,
    pub(crate) credentials: Credentials,
    pub(crate) accounts: HashMap<AccountKind, Account>,
    pub(crate) hts_id: Option<String>,
    pub(crate) customer_type: CustomerType,
    pub(crate) rest_url: String,
    pub(crate) websocket_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) shared: Arc<Shared>,
    pub(crate) retry: RetryPolicy,
    pub(crate) page_limit: usize,
    pub(crate) hashkey: bool,
    pub(crate) strict: bool,
    pub(crate) token_cache: TokenCache,
    pub(crate) max_response_bytes: usize,
}

/// An async KIS client. Cheap to clone; clones share the connection pool, the token, the rate
/// limiter and the approval key (so do clients built separately with the same app key).
///
/// `E` is the environment: [`Real`], [`Demo`] or [`AnyEnv`] (chosen at run time). A
/// `Client<Demo>` has no methods for endpoints the demo environment does not serve.
pub struct Client<E: Environment = AnyEnv> {
    pub(crate) inner: Arc<Inner>,
    _env: PhantomData<E>,
}

impl<E: Environment> Clone for Client<E> {
    fn clone(&self) -> Self {
        Client {
            inner: Arc::clone(&self.inner),
            _env: PhantomData,
        }
    }
}

impl<E: Environment> fmt::Debug for Client<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("env", &self.inner.env)
            .field("rest_url", &self.inner.rest_url)
            .field("credentials", &self.inner.credentials)
            .field("accounts", &self.inner.accounts)
            .finish_non_exhaustive()
    }
}

impl Client<AnyEnv> {
    /// A builder; pick the environment with [`ClientBuilder::real`], [`ClientBuilder::demo`] or
    /// [`ClientBuilder::environment`].
    pub fn builder() -> ClientBuilder<AnyEnv> {
        ClientBuilder::new()
    }
}

impl<E: Environment> Client<E> {
    /// The environment this client talks to.
    pub fn env(&self) -> Env {
        self.inner.env
    }

    /// The REST base URL.
    pub fn rest_url(&self) -> &str {
        &self.inner.rest_url
    }

    /// The WebSocket base URL.
    pub fn websocket_url(&self) -> &str {
        &self.inner.websocket_url
    }

    /// The configured HTS id (the subscription key of execution notices).
    pub fn hts_id(&self) -> Option<&str> {
        self.inner.hts_id.as_deref()
    }

    /// The configured account of `kind`.
    pub fn account(&self, kind: AccountKind) -> Option<&Account> {
        self.inner.accounts.get(&kind)
    }

    /// A call of any endpoint. Generated methods (`client.domestic_stock().inquire_price(..)`)
    /// are the usual way; this one serves code that picks endpoints at run time, and checks demo
    /// availability before any I/O.
    pub fn call<R: Endpoint>(&self, request: R) -> Call<'_, R, E> {
        Call::new(self, request)
    }

    /// A valid access token, issued or refreshed if needed (the client does this itself before
    /// each call).
    pub async fn access_token(&self) -> Result<Secret> {
        Ok(self.inner.shared.tokens.get().await?.access)
    }

    /// The WebSocket approval key, issued on first use and then reused.
    pub async fn approval_key(&self) -> Result<Secret> {
        let i = &self.inner;
        Ok(i.shared
            .approval
            .get(&i.http, &i.rest_url, &i.credentials)
            .await?)
    }

    /// The hashkey of a JSON order body (`POST /uapi/hashkey`). Calls with
    /// [`Call::hashkey`] send it automatically.
    pub async fn hashkey(&self, body: &[u8]) -> Result<String> {
        let i = &self.inner;
        Ok(crate::tokens::hashkey(&i.http, &i.rest_url, &i.credentials, body).await?)
    }

    /// Revokes the current access token (`POST /oauth2/revokeP`) and forgets it, here and in the
    /// token cache. The next call issues a new one (at most one per minute).
    pub async fn revoke_token(&self) -> Result<()> {
        let i = &self.inner;
        let token = i.shared.tokens.get().await?.access;
        crate::tokens::revoke(&i.http, &i.rest_url, &i.credentials, &token).await?;
        i.shared.tokens.invalidate(&token).await;
        crate::tokens::forget_cached(&i.token_cache, i.env, &i.credentials);
        Ok(())
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
        if self.credentials.is_none()
            && let (Some(k), Some(s)) = (var("KIS_APP_KEY"), var("KIS_APP_SECRET"))
        {
            self.credentials = Some(Credentials::new(k, s));
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
    pub fn token_issue_interval(mut self, d: Duration) -> Self {
        self.token_issue_interval = d;
        self
    }

    /// How long before expiry a token is refreshed (default 30 min).
    pub fn token_refresh_before(mut self, d: Duration) -> Self {
        self.token_refresh_before = d;
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
        let rest_url = self
            .rest_url
            .or_else(|| devlp.rest_urls.get(&env).cloned())
            .unwrap_or_else(|| crate::CATALOG.hosts(env).rest.to_string())
            .trim_end_matches('/')
            .to_string();
        let websocket_url = self
            .websocket_url
            .or_else(|| devlp.websocket_urls.get(&env).cloned())
            .unwrap_or_else(|| crate::CATALOG.hosts(env).websocket.to_string())
            .trim_end_matches('/')
            .to_string();
        for (what, url, schemes) in [
            ("REST", &rest_url, ["http://", "https://"]),
            ("WebSocket", &websocket_url, ["ws://", "wss://"]),
        ] {
            if !schemes.iter().any(|s| url.starts_with(s)) {
                return Err(Error::Config(format!(
                    "the {what} URL must start with {} or {}",
                    schemes[0], schemes[1]
                )));
            }
        }
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
        let rate = match self.rate_limit {
            Some(r) => r,
            None => Some(crate::CATALOG.limits.client_per_second(env)),
        };
        let key_hash = crate::tokens::key_hash(credentials.app_key.expose());
        #[cfg(feature = "redis")]
        let redis = match &self.redis_url {
            Some(url) => Some(Arc::new(crate::redis_store::RedisShared::new(
                url, env, &key_hash,
            )?)),
            None => None,
        };
        let budget_file = match (&token_cache, self.shared_rate_limit) {
            (TokenCache::Dir(dir), true) => Some(crate::budget::state_file(dir, env, &key_hash)),
            _ => None,
        };
        let key: SharedKey = (env, key_hash, rest_url.clone());
        let shared = {
            let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
            reg.retain(|_, w| w.strong_count() > 0);
            match reg.get(&key).and_then(Weak::upgrade) {
                Some(s) => s,
                None => {
                    let tokens = TokenManager::new(
                        env,
                        credentials.clone(),
                        &rest_url,
                        http.clone(),
                        token_cache.clone(),
                        self.token_issue_interval,
                        self.token_refresh_before,
                    );
                    #[cfg(feature = "redis")]
                    let tokens = match &redis {
                        Some(r) => tokens.with_remote(r.clone()),
                        None => tokens,
                    };
                    let budget = rate.filter(|n| *n > 0).map(|n| {
                        let b = RateBudget::new(BudgetConfig {
                            per_window: n,
                            window: Duration::from_secs(1),
                            // a request not answered by then reached KIS long ago, or never will
                            lease: self.connect_timeout,
                            file: budget_file,
                        });
                        #[cfg(feature = "redis")]
                        let b = match &redis {
                            Some(r) => b.with_remote(r.clone()),
                            None => b,
                        };
                        b
                    });
                    let s = Arc::new(Shared {
                        tokens,
                        budget,
                        approval: ApprovalKeys::new(),
                    });
                    reg.insert(key, Arc::downgrade(&s));
                    s
                }
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                env,
                credentials,
                accounts,
                hts_id: self.hts_id.or(devlp.hts_id),
                customer_type: self.customer_type,
                rest_url,
                websocket_url,
                http,
                shared,
                retry: self.retry,
                page_limit: self.page_limit,
                hashkey: self.hashkey,
                strict: self.strict,
                token_cache,
                max_response_bytes: self.max_response_bytes,
            }),
            _env: PhantomData,
        })
    }
}
