//! The access token of one environment and app key: from memory, the cache file, a shared store,
//! or issued (at most once a minute).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use tokio::sync::Mutex;

use super::auth_call::{auth_url, json_body, post_auth, token_endpoint_error};
use super::cache_file::{
    CACHE_VERSION, CacheFile, cache_files, lock_cache, read_cache, write_cache,
};
use super::grant::{GrantError, read_grant};
use super::{RemoteTokens, Token, TokenCache, key_hash};
use crate::config::{Credentials, Secret};
use crate::environment::Env;
use crate::error::AuthError;
use crate::private_fs;

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

    /// Whether `t` may still be sent at `now`: it is refreshed `refresh_before` ahead of its
    /// expiry.
    pub(crate) fn usable(&self, t: &Token, now: DateTime<Utc>) -> bool {
        let margin = TimeDelta::from_std(self.refresh_before).unwrap_or(TimeDelta::minutes(30));
        // checked: a cache file or a shared store may hold any time at all
        t.expires_at
            .checked_sub_signed(margin)
            .is_some_and(|refresh_at| refresh_at > now)
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
                crate::announced_wait::sleep(
                    wait,
                    "before issuing a token: KIS issues one per minute and app key",
                )
                .await;
            }
        }
        match self.issue().await {
            Err(e)
                if e.code
                    .as_deref()
                    .and_then(|c| crate::auth::auth_token::META.catalog.action(c))
                    == Some(crate::meta::ErrorAction::ReuseToken) =>
            {
                // another process issued within the minute without sharing our cache
                tracing::info!(
                    code = e.code.as_deref().unwrap_or_default(),
                    wait_ms = self.issue_interval.as_millis() as u64,
                    "token issued elsewhere within the minute; waiting and retrying once"
                );
                crate::announced_wait::sleep(
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
        tracing::info!(env = %self.env, "issuing an access token");
        let body = json_body(&Req {
            grant_type: "client_credentials",
            appkey: self.credentials.app_key.expose(),
            appsecret: self.credentials.app_secret.expose(),
        });
        let secrets = self.credentials.secrets();
        let (_, status, bytes) = post_auth::<serde::de::IgnoredAny>(
            &self.http,
            self.token_url.clone(),
            "access token",
            &[],
            body,
            &secrets,
        )
        .await?;
        read_grant(&bytes, Utc::now()).map_err(|e| match e {
            GrantError::NoToken => token_endpoint_error("access token", status, &bytes, &secrets),
            GrantError::Unusable(why) => AuthError {
                what: "access token",
                code: None,
                message: format!("KIS's answer cannot be used: {why}"),
            },
        })
    }
}
