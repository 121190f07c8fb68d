//! Access tokens, WebSocket approval keys, hashkeys and token revocation.
//!
//! KIS lets an app key issue a token once per minute and notifies the account owner every time,
//! so tokens are precious: they are cached on disk per environment and app key (mode 0600, the
//! file named by a hash of the key, never the key), shared by every client and process (a file
//! lock serialises issuing), refreshed ahead of expiry, and a refresh is never issued within the
//! minute that follows the previous one.
//!
//! The cache directory is private (see [`crate::private_fs`]); when it cannot be used (not
//! writable, another user's, a file in its place) tokens are kept in memory, with one warning.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::{Credentials, Secret};
use crate::env::Env;
use crate::error::AuthError;
use crate::private_fs;
use crate::redact::redact;

/// Where tokens are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCache {
    /// A directory of token files (default: `$XDG_CACHE_HOME/kis-api/tokens` or
    /// `~/.cache/kis-api/tokens`). It must be private: owned by this user, not writable by group
    /// or others, not a link; otherwise tokens are kept in memory.
    Dir(PathBuf),
    /// Memory only: every new process issues a token. Meant for tests.
    Memory,
}

impl TokenCache {
    /// The default cache directory: `$XDG_CACHE_HOME/kis-api/tokens`, `$HOME/.cache/kis-api/tokens`
    /// (`%LOCALAPPDATA%` on Windows), else a directory of this user in the temporary directory
    /// (`kis-api-<uid>/tokens`), checked like any other before use.
    pub fn default_dir() -> TokenCache {
        let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let base = non_empty("XDG_CACHE_HOME")
            .map(PathBuf::from)
            // the XDG specification ignores a relative XDG_CACHE_HOME
            .filter(|p| p.is_absolute())
            .map(|p| p.join("kis-api"))
            .or_else(|| non_empty("HOME").map(|h| Path::new(&h).join(".cache").join("kis-api")))
            .or_else(|| non_empty("LOCALAPPDATA").map(|p| PathBuf::from(p).join("kis-api")))
            .unwrap_or_else(private_fs::per_user_temp_dir);
        TokenCache::Dir(base.join("tokens"))
    }
}

/// An issued access token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) access: Secret,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) issued_at: DateTime<Utc>,
}

/// What a token file holds.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    env: String,
    app_key_sha256: String,
    access_token: String,
    expires_at: DateTime<Utc>,
    issued_at: DateTime<Utc>,
    #[serde(default)]
    invalid: bool,
}

const CACHE_VERSION: u32 = 1;

/// A token store shared beyond this machine (Redis, `crate::redis_store`), consulted before the
/// cache file.
pub(crate) trait RemoteTokens: Send + Sync {
    /// The token to use: the store's, or one issued through `tokens` under the store's lock;
    /// `None` when the store cannot be reached (the cache file takes over).
    fn get<'a>(
        &'a self,
        tokens: &'a TokenManager,
        previous: Option<&'a Token>,
    ) -> crate::call::BoxFuture<'a, Option<Result<Token, AuthError>>>;
    /// Marks `token` as rejected by KIS in the store.
    fn invalidate<'a>(&'a self, token: &'a Secret) -> crate::call::BoxFuture<'a, ()>;
}

/// Issues, caches and refreshes access tokens for one environment and app key.
pub(crate) struct TokenManager {
    env: Env,
    credentials: Credentials,
    /// [`key_hash`] of the app key: checks and names the cache file.
    key_hash: String,
    token_url: String,
    http: reqwest::Client,
    cache: TokenCache,
    pub(crate) issue_interval: Duration,
    refresh_before: Duration,
    /// The store shared with other machines, if any.
    remote: Option<Arc<dyn RemoteTokens>>,
    /// Held while a token is looked up on disk or issued, so concurrent callers wait for one.
    state: Mutex<Option<Token>>,
    /// The token in use, readable without waiting: every request needs it, and taking the async
    /// lock for each one made concurrent requests queue behind each other.
    current: std::sync::RwLock<Option<Token>>,
    /// Set when the cache directory turned out unusable: tokens stay in memory from then on.
    cache_off: AtomicBool,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("env", &self.env)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of the app key: names cache files without revealing the key.
pub(crate) fn key_hash(app_key: &str) -> String {
    // ring's SHA-256: the TLS stack builds ring anyway, so no hashing crates of our own
    let digest = ring::digest::digest(&ring::digest::SHA256, app_key.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache file of one environment and app key, and the lock file beside it.
fn cache_files(dir: &Path, env: Env, key_hash: &str) -> (PathBuf, PathBuf) {
    let stem = format!("{}-{}", env.name(), key_hash.get(..16).unwrap_or(key_hash));
    (
        dir.join(format!("{stem}.json")),
        dir.join(format!("{stem}.lock")),
    )
}

impl TokenManager {
    pub(crate) fn new(
        env: Env,
        credentials: Credentials,
        rest_url: &str,
        http: reqwest::Client,
        cache: TokenCache,
        issue_interval: Duration,
        refresh_before: Duration,
    ) -> Self {
        TokenManager {
            env,
            key_hash: key_hash(credentials.app_key.expose()),
            credentials,
            token_url: auth_url(rest_url, &crate::auth::auth_token::META),
            http,
            cache,
            issue_interval,
            refresh_before,
            state: Mutex::new(None),
            current: std::sync::RwLock::new(None),
            cache_off: AtomicBool::new(false),
            remote: None,
        }
    }

    /// Shares tokens through `remote` first (the cache file stays the fallback).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn with_remote(mut self, remote: Arc<dyn RemoteTokens>) -> Self {
        self.remote = Some(remote);
        self
    }

    /// The token in use if it is still good.
    fn peek(&self, now: DateTime<Utc>) -> Option<Token> {
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|t| self.usable(t, now)).cloned()
    }

    fn publish(&self, token: Option<Token>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = token;
    }

    pub(crate) fn usable(&self, t: &Token, now: DateTime<Utc>) -> bool {
        let margin = chrono::Duration::from_std(self.refresh_before)
            .unwrap_or_else(|_| chrono::Duration::minutes(30));
        t.expires_at - margin > now
    }

    fn files(&self) -> Option<(PathBuf, PathBuf)> {
        match &self.cache {
            TokenCache::Dir(_) if self.cache_off.load(Ordering::Relaxed) => None,
            TokenCache::Dir(dir) => Some(cache_files(dir, self.env, &self.key_hash)),
            TokenCache::Memory => None,
        }
    }

    /// Stops using the cache directory for the rest of the process, with one warning.
    fn disable_cache(&self, error: &std::io::Error) {
        if !self.cache_off.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %error,
                "the token cache cannot be used; tokens are kept in memory (a new process issues a new token)"
            );
        }
    }

    /// A valid token: from memory, from the cache file, or freshly issued. Concurrent callers wait
    /// for one issue.
    pub(crate) async fn get(&self) -> Result<Token, AuthError> {
        if let Some(t) = self.peek(Utc::now()) {
            return Ok(t);
        }
        let mut state = self.state.lock().await;
        let now = Utc::now();
        if let Some(t) = state.as_ref()
            && self.usable(t, now)
        {
            return Ok(t.clone());
        }
        let previous = state.take();
        let remote = match &self.remote {
            Some(r) => r.get(self, previous.as_ref()).await,
            None => None,
        };
        let guard = match (&remote, self.files()) {
            (None, Some((file, lock))) => match lock_cache(lock).await {
                Ok(guard) => Some((file, guard)),
                Err(e) => {
                    self.disable_cache(&e);
                    None
                }
            },
            _ => None,
        };
        let token = match (remote, guard) {
            (Some(from_remote), _) => from_remote?,
            (None, Some((file, guard))) => {
                self.get_with_file(&file, guard, previous.as_ref()).await?
            }
            (None, None) => {
                self.issue_respecting_interval(previous.as_ref().map(|t| t.issued_at))
                    .await?
            }
        };
        *state = Some(token.clone());
        self.publish(Some(token.clone()));
        Ok(token)
    }

    /// Marks `token` as rejected by KIS (EGW00123/EGW00121) so the next [`Self::get`] replaces it.
    pub(crate) async fn invalidate(&self, token: &Secret) {
        let mut state = self.state.lock().await;
        if state.as_ref().is_some_and(|t| &t.access == token)
            && let Some(t) = state.as_mut()
        {
            t.expires_at = Utc::now() - chrono::Duration::seconds(1);
            self.publish(None);
        }
        drop(state);
        if let Some(r) = &self.remote {
            r.invalidate(token).await;
        }
        if let Some((file, lock)) = self.files() {
            let token = token.clone();
            let env = self.env;
            let hash = self.key_hash.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let Ok(_guard) = private_fs::lock(&lock) else {
                    return;
                };
                if let Some(mut c) = read_cache(&file, env, &hash)
                    && c.access_token == token.expose()
                {
                    c.invalid = true;
                    let _ = write_cache(&file, &c);
                }
            })
            .await;
        }
    }

    /// The token of the cache file, or a new one written to it; `guard` holds the cache's lock.
    async fn get_with_file(
        &self,
        file: &Path,
        guard: File,
        previous: Option<&Token>,
    ) -> Result<Token, AuthError> {
        let cached = read_cache(file, self.env, &self.key_hash);
        let now = Utc::now();
        if let Some(c) = &cached
            && !c.invalid
        {
            let t = Token {
                access: Secret::new(c.access_token.clone()),
                expires_at: c.expires_at,
                issued_at: c.issued_at,
            };
            if self.usable(&t, now) && previous.is_none_or(|p| p.access != t.access) {
                tracing::debug!(env = %self.env, "access token from the cache file");
                drop(guard);
                return Ok(t);
            }
        }
        let last_issue = [
            cached.as_ref().map(|c| c.issued_at),
            previous.map(|p| p.issued_at),
        ]
        .into_iter()
        .flatten()
        .max();
        let token = self.issue_respecting_interval(last_issue).await;
        let token = match token {
            Ok(t) => t,
            Err(e) => {
                drop(guard);
                return Err(e);
            }
        };
        let c = CacheFile {
            version: CACHE_VERSION,
            env: self.env.name().to_string(),
            app_key_sha256: self.key_hash.clone(),
            access_token: token.access.expose().to_string(),
            expires_at: token.expires_at,
            issued_at: token.issued_at,
            invalid: false,
        };
        if let Err(e) = write_cache(file, &c) {
            self.disable_cache(&e);
        }
        drop(guard);
        Ok(token)
    }

    /// Issues a token, first waiting out the once-per-interval rule when the last issue is recent.
    pub(crate) async fn issue_respecting_interval(
        &self,
        last_issue: Option<DateTime<Utc>>,
    ) -> Result<Token, AuthError> {
        if let Some(last) = last_issue {
            let since = (Utc::now() - last).to_std().unwrap_or(Duration::ZERO);
            if since < self.issue_interval {
                let wait = self.issue_interval - since;
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "waiting before re-issuing a token"
                );
                crate::wait::sleep(
                    wait,
                    "before issuing a token: KIS issues one per minute and app key",
                )
                .await;
            }
        }
        match self.issue().await {
            Err(e)
                if e.code.as_deref().and_then(|c| crate::CATALOG.action(c))
                    == Some(crate::meta::ErrorAction::ReuseToken) =>
            {
                // another process issued within the minute without sharing our cache
                tracing::info!(
                    code = e.code.as_deref().unwrap_or_default(),
                    wait_ms = self.issue_interval.as_millis() as u64,
                    "token issued elsewhere within the minute; waiting and retrying once"
                );
                crate::wait::sleep(
                    self.issue_interval,
                    "before retrying: a token was issued elsewhere within the minute",
                )
                .await;
                self.issue().await
            }
            other => other,
        }
    }

    async fn issue(&self) -> Result<Token, AuthError> {
        #[derive(Serialize)]
        struct Req<'a> {
            grant_type: &'a str,
            appkey: &'a str,
            appsecret: &'a str,
        }
        #[derive(Deserialize)]
        struct Resp {
            access_token: Option<String>,
            access_token_token_expired: Option<String>,
            expires_in: Option<serde_json::Value>,
        }
        tracing::info!(env = %self.env, "issuing an access token");
        let body = json_body(&Req {
            grant_type: "client_credentials",
            appkey: self.credentials.app_key.expose(),
            appsecret: self.credentials.app_secret.expose(),
        });
        let secrets = self.credentials.secrets();
        let (r, status, bytes) = post_auth::<Resp>(
            &self.http,
            self.token_url.clone(),
            "access token",
            &[],
            body,
            &secrets,
        )
        .await?;
        let issued_at = Utc::now();
        let Some(access) = r.access_token.filter(|a| !a.is_empty()) else {
            return Err(token_endpoint_error(
                "access token",
                status,
                &bytes,
                &secrets,
            ));
        };
        let by_expiry = r.access_token_token_expired.as_deref().and_then(|s| {
            NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                // KIS states the expiry in Korea time (UTC+9, no daylight saving)
                .map(|n| Utc.from_utc_datetime(&(n - chrono::Duration::hours(9))))
        });
        let by_seconds = r.expires_in.as_ref().and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        // KIS's expires_in has been seen off by about an hour: the stated expiry time wins
        let expires_at = by_expiry
            .or_else(|| by_seconds.map(|s| issued_at + chrono::Duration::seconds(s)))
            .unwrap_or_else(|| issued_at + chrono::Duration::hours(23));
        Ok(Token {
            access: Secret::new(access),
            expires_at,
            issued_at,
        })
    }
}

impl Credentials {
    /// The values an auth error must never quote.
    fn secrets(&self) -> [&str; 2] {
        [self.app_key.expose(), self.app_secret.expose()]
    }
}

/// The most of a body quoted in an auth error, in characters.
const QUOTED_CHARS: usize = 200;

/// The largest answer read from an auth endpoint: theirs are a few hundred bytes.
const AUTH_BODY_LIMIT: usize = 1024 * 1024;

/// Reads an error answer of an auth endpoint: `{"error_code","error_description"}` or the usual
/// `{"rt_cd","msg_cd","msg1"}`. Whatever of the body is quoted is first cleared of `secrets`
/// and anything else credential-shaped (a proxy may echo the request).
pub(crate) fn token_endpoint_error(
    what: &'static str,
    status: u16,
    bytes: &[u8],
    secrets: &[&str],
) -> AuthError {
    #[derive(Deserialize)]
    struct E {
        error_code: Option<String>,
        error_description: Option<String>,
        msg_cd: Option<String>,
        msg1: Option<String>,
    }
    match serde_json::from_slice::<E>(bytes) {
        Ok(e) if e.error_code.is_some() || e.msg_cd.is_some() => AuthError {
            what,
            code: e
                .error_code
                .or(e.msg_cd)
                .map(|c| redact(&c, secrets, QUOTED_CHARS)),
            message: e
                .error_description
                .or(e.msg1)
                .map(|m| redact(m.trim(), secrets, QUOTED_CHARS))
                .unwrap_or_else(|| format!("HTTP {status}")),
        },
        _ => AuthError {
            what,
            code: None,
            message: format!(
                "HTTP {status}: {}",
                redact(&String::from_utf8_lossy(bytes), secrets, QUOTED_CHARS)
            ),
        },
    }
}

/// POSTs `body` as JSON to an auth endpoint and reads the JSON answer as `T`. Non-2xx answers
/// (either error shape) become an [`AuthError`] about `what`, quoting nothing of `secrets`.
async fn post_auth<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: String,
    what: &'static str,
    headers: &[(&'static str, &str)],
    body: Vec<u8>,
    secrets: &[&str],
) -> Result<(T, u16, Vec<u8>), AuthError> {
    let err = |m: String| AuthError {
        what,
        code: None,
        message: redact(&m, secrets, QUOTED_CHARS),
    };
    let mut req = http
        .post(url)
        .header("content-type", "application/json; charset=utf-8");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| err(format!("request failed: {e}")))?;
    let status = resp.status().as_u16();
    let bytes = crate::body::read_capped(resp, AUTH_BODY_LIMIT)
        .await
        .map_err(|e| err(format!("response not read: {e}")))?;
    if !(200..300).contains(&status) {
        return Err(token_endpoint_error(what, status, &bytes, secrets));
    }
    let parsed: T =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("response is not JSON: {e}")))?;
    Ok((parsed, status, bytes))
}

fn json_body<T: Serialize>(value: &T) -> Vec<u8> {
    // serialising a struct of strings cannot fail
    serde_json::to_vec(value).unwrap_or_default()
}

/// Prepares the cache directory (created private, or checked) and takes the exclusive lock of
/// the cache, released when the file is dropped.
async fn lock_cache(lock: PathBuf) -> std::io::Result<File> {
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = lock.parent() {
            private_fs::prepare_dir(dir)?;
        }
        private_fs::lock(&lock)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The cached token of this environment and key, if the file is readable, well-formed and ours.
/// A corrupted or foreign file reads as no token and is replaced on the next write.
fn read_cache(file: &Path, env: Env, hash: &str) -> Option<CacheFile> {
    let bytes = private_fs::read(file).ok()?;
    let c: CacheFile = match serde_json::from_slice(&bytes) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "ignoring a corrupted token cache file");
            return None;
        }
    };
    if c.version != CACHE_VERSION || c.env != env.name() || c.app_key_sha256 != hash {
        tracing::warn!(file = %file.display(), "ignoring a token cache file of another environment or key");
        return None;
    }
    Some(c)
}

/// Writes the cache atomically (a new private file renamed into place, never through a link)
/// in a directory checked to be private.
fn write_cache(file: &Path, c: &CacheFile) -> std::io::Result<()> {
    private_fs::prepare_dir(file.parent().unwrap_or(Path::new(".")))?;
    let json = serde_json::to_vec_pretty(c).map_err(std::io::Error::other)?;
    private_fs::write_atomic(file, &json)
}

/// Deletes the cached token of `credentials` (after a revoke), in a private directory only.
pub(crate) fn forget_cached(cache: &TokenCache, env: Env, credentials: &Credentials) {
    if let TokenCache::Dir(dir) = cache
        && private_fs::check_dir(dir).is_ok()
    {
        let (file, _) = cache_files(dir, env, &key_hash(credentials.app_key.expose()));
        let _ = fs::remove_file(file);
    }
}

/// Obtains and reuses the WebSocket approval key.
#[derive(Debug)]
pub(crate) struct ApprovalKeys {
    key: Mutex<Option<Secret>>,
}

impl ApprovalKeys {
    pub(crate) fn new() -> Self {
        ApprovalKeys {
            key: Mutex::new(None),
        }
    }

    /// The approval key, issued on first use.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        rest_url: &str,
        credentials: &Credentials,
    ) -> Result<Secret, AuthError> {
        let mut k = self.key.lock().await;
        if let Some(key) = k.as_ref() {
            return Ok(key.clone());
        }
        let key = issue_approval_key(http, rest_url, credentials).await?;
        *k = Some(key.clone());
        Ok(key)
    }

    /// Forgets `key` (KIS refused it: expired or revoked) so the next [`Self::get`] issues a
    /// new one; a key issued meanwhile by someone else is kept.
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) async fn invalidate(&self, key: &Secret) {
        let mut k = self.key.lock().await;
        if k.as_ref() == Some(key) {
            *k = None;
        }
    }
}

async fn issue_approval_key(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
) -> Result<Secret, AuthError> {
    #[derive(Serialize)]
    struct Req<'a> {
        grant_type: &'a str,
        appkey: &'a str,
        // KIS names the app secret `secretkey` here
        secretkey: &'a str,
    }
    #[derive(Deserialize)]
    struct Resp {
        approval_key: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::auth_ws_token::META);
    let body = json_body(&Req {
        grant_type: "client_credentials",
        appkey: credentials.app_key.expose(),
        secretkey: credentials.app_secret.expose(),
    });
    let secrets = credentials.secrets();
    let (r, status, bytes) =
        post_auth::<Resp>(http, url, "approval key", &[], body, &secrets).await?;
    r.approval_key
        .filter(|k| !k.is_empty())
        .map(Secret::new)
        .ok_or_else(|| token_endpoint_error("approval key", status, &bytes, &secrets))
}

/// Computes the hashkey of an order body (`POST /uapi/hashkey`).
pub(crate) async fn hashkey(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
    body: &[u8],
) -> Result<String, AuthError> {
    #[derive(Deserialize)]
    struct Resp {
        #[serde(rename = "HASH")]
        hash: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::hashkey::META);
    let headers = [
        ("appkey", credentials.app_key.expose()),
        ("appsecret", credentials.app_secret.expose()),
    ];
    let secrets = credentials.secrets();
    let (r, _, _) =
        post_auth::<Resp>(http, url, "hashkey", &headers, body.to_vec(), &secrets).await?;
    r.hash.filter(|h| !h.is_empty()).ok_or_else(|| AuthError {
        what: "hashkey",
        code: None,
        message: "the response has no HASH".into(),
    })
}

/// The URL of an auth endpoint of the catalog (`spec/auth/`) on `rest_url`.
fn auth_url(rest_url: &str, meta: &crate::meta::EndpointMeta) -> String {
    format!("{}{}", rest_url.trim_end_matches('/'), meta.path)
}

/// Revokes a token (`POST /oauth2/revokeP`).
pub(crate) async fn revoke(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
    token: &Secret,
) -> Result<(), AuthError> {
    #[derive(Serialize)]
    struct Req<'a> {
        appkey: &'a str,
        appsecret: &'a str,
        token: &'a str,
    }
    #[derive(Deserialize)]
    struct Resp {
        // KIS sends the code as an integer (200), sometimes as a string
        code: Option<serde_json::Value>,
        message: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::revoke_token::META);
    let body = json_body(&Req {
        appkey: credentials.app_key.expose(),
        appsecret: credentials.app_secret.expose(),
        token: token.expose(),
    });
    let secrets = [
        credentials.app_key.expose(),
        credentials.app_secret.expose(),
        token.expose(),
    ];
    let (r, _, _) = post_auth::<Resp>(http, url, "token revoke", &[], body, &secrets).await?;
    let ok = match &r.code {
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(200),
        Some(serde_json::Value::String(s)) => s.trim() == "200",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError {
            what: "token revoke",
            code: None,
            message: r
                .message
                .map(|m| redact(&m, &secrets, QUOTED_CHARS))
                .unwrap_or_else(|| "unexpected answer".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(env: Env, hash: &str) -> CacheFile {
        CacheFile {
            version: CACHE_VERSION,
            env: env.name().into(),
            app_key_sha256: hash.into(),
            access_token: "tok".into(),
            expires_at: Utc::now() + chrono::Duration::hours(20),
            issued_at: Utc::now(),
            invalid: false,
        }
    }

    #[test]
    fn cache_files_are_private_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tokens").join("real-abc.json");
        let hash = key_hash("PSkey");
        write_cache(&file, &sample(Env::Real, &hash)).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(read_cache(&file, Env::Real, &hash).is_some());
        assert!(
            read_cache(&file, Env::Demo, &hash).is_none(),
            "another environment's file is foreign"
        );
        assert!(
            read_cache(&file, Env::Real, &key_hash("other")).is_none(),
            "another key's file is foreign"
        );
        fs::write(&file, b"{not json").expect("corrupt");
        assert!(
            read_cache(&file, Env::Real, &hash).is_none(),
            "a corrupted file reads as empty"
        );
        // a known SHA-256 vector: the file name is the digest, never the key
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn token_endpoint_errors_in_both_shapes() {
        let e = token_endpoint_error(
            "access token",
            403,
            br#"{"error_code":"EGW00133","error_description":"once a minute"}"#,
            &[],
        );
        assert_eq!(e.code.as_deref(), Some("EGW00133"));
        let e = token_endpoint_error(
            "access token",
            500,
            br#"{"rt_cd":"1","msg_cd":"EGW00103","msg1":"bad key  "}"#,
            &[],
        );
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("EGW00103"), "bad key")
        );
        let e = token_endpoint_error("access token", 502, b"<html>", &[]);
        assert!(e.code.is_none() && e.message.contains("502"));
    }
}
