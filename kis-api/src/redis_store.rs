//! The rate budget and access token shared by every machine through Redis (feature `redis`).
//!
//! Keys are `kis-api:<env>:<SHA-256 of the app key>:budget|token|token-lock`: a hash, never the
//! key. The budget is the slot ring of [`crate::budget::slots`] in one hash, changed by one Lua
//! script per reservation and release, timed by Redis's own clock (one clock for every machine).
//! The token is issued by whoever takes `token-lock` (`SET NX PX`), so one issue per minute holds
//! across machines. Any Redis failure (refused, timed out, a script error) makes this process
//! warn once and use the local budget and token cache until Redis answers again, a few seconds
//! later at the earliest: never no limit.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{RedisResult, Script};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::boxed::BoxFuture;
use crate::budget::slots::Timing;
use crate::budget::{RemoteBudget, Reserved};
use crate::environment::Env;
use crate::error::{AuthError, Error};
use crate::secret::Secret;
use crate::tokens::grant::check_token_text;
use crate::tokens::{RemoteTokens, Token, TokenManager};

/// Longest wait for one Redis command: on loopback or a LAN it answers in well under a
/// millisecond, so anything near this is an outage.
const OP_TIMEOUT: Duration = Duration::from_millis(500);
/// Longest wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after a failure Redis is left alone (the local budget serves meanwhile).
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// How often a machine waiting for another's token issue looks again.
const TOKEN_POLL: Duration = Duration::from_millis(100);

/// Reserves the slot free soonest (see `budget::slots::reserve`). KEYS[1] the ring; ARGV: slot
/// count, window and lease (µs), owner. Returns {slot, µs to wait} or {-1, µs until worth asking}.
const RESERVE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local horizon = now + window + lease
local best, best_at, earliest = -1, 0, -1
for i = 0, n - 1 do
  local v = redis.call('HMGET', KEYS[1], 's' .. i, 'f' .. i, 'o' .. i)
  local s = tonumber(v[1]) or 0
  local f = tonumber(v[2]) or 0
  local o = v[3] or ''
  if f > horizon then f = horizon end
  if o ~= '' and f > now then
    if earliest < 0 or s < earliest then earliest = s end
  elseif best < 0 or f < best_at then
    best, best_at = i, f
  end
end
if best < 0 then
  if earliest < now then earliest = now end
  return {-1, earliest - now}
end
local start = best_at
if start < now then start = now end
redis.call('HSET', KEYS[1], 's' .. best, string.format('%.0f', start),
  'f' .. best, string.format('%.0f', start + lease), 'o' .. best, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil((start - now + lease + window) / 1000) + 1000)
return {best, start - now}
"#;

/// Releases a slot its owner still holds: free one window from now. KEYS[1] the ring; ARGV:
/// slot, owner, window (µs).
const RELEASE: &str = r#"
if redis.call('HGET', KEYS[1], 'o' .. ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', KEYS[1], 's' .. ARGV[1], '0',
  'f' .. ARGV[1], string.format('%.0f', now + tonumber(ARGV[3])), 'o' .. ARGV[1], '')
return 1
"#;

/// Deletes the token lock if `ARGV[1]` still holds it.
const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// Marks the stored token rejected if it is `ARGV[1]` (a newer one is left alone).
const INVALIDATE: &str = r#"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, t = pcall(cjson.decode, v)
if not ok or type(t) ~= 'table' or t.access_token ~= ARGV[1] then return 0 end
t.invalid = true
redis.call('SET', KEYS[1], cjson.encode(t), 'KEEPTTL')
return 1
"#;

/// The token as stored in Redis.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    expires_at: DateTime<Utc>,
    issued_at: DateTime<Utc>,
    #[serde(default)]
    invalid: bool,
}

/// A connection to the Redis server shared by the clients of one app key and environment.
pub(crate) struct RedisShared {
    client: ::redis::Client,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    down_until: Mutex<Option<Instant>>,
    warned: AtomicBool,
    fresh_outage: AtomicBool,
    /// Redis answers again after an outage, but the budget waits until what this machine sent
    /// locally meanwhile (unknown to Redis) has aged out (see `budget::RateBudget::reserve`).
    rejoining: AtomicBool,
    budget_key: String,
    token_key: String,
    lock_key: String,
    reserve: Script,
    release: Script,
    unlock: Script,
    invalidate: Script,
}

impl RedisShared {
    /// Parses `url` (no I/O: the connection opens on first use).
    pub(crate) fn new(url: &Secret, env: Env, key_hash: &str) -> Result<RedisShared, Error> {
        // the URL may hold a password: the error names what is wrong, not the URL
        let client = ::redis::Client::open(url.expose()).map_err(|e| {
            Error::Config(format!(
                "the Redis URL is not valid ({:?}); expected redis://host:port/db",
                e.kind()
            ))
        })?;
        let prefix = format!("kis-api:{}:{key_hash}", env.name());
        Ok(RedisShared {
            client,
            conn: tokio::sync::Mutex::new(None),
            down_until: Mutex::new(None),
            warned: AtomicBool::new(false),
            fresh_outage: AtomicBool::new(false),
            rejoining: AtomicBool::new(false),
            budget_key: format!("{prefix}:budget"),
            token_key: format!("{prefix}:token"),
            lock_key: format!("{prefix}:token-lock"),
            reserve: Script::new(RESERVE),
            release: Script::new(RELEASE),
            unlock: Script::new(UNLOCK),
            invalidate: Script::new(INVALIDATE),
        })
    }

    /// The keys this store writes (for tests: none may hold a secret).
    #[cfg(test)]
    pub(crate) fn keys(&self) -> [&str; 3] {
        [&self.budget_key, &self.token_key, &self.lock_key]
    }

    fn is_down(&self) -> bool {
        let d = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        d.is_some_and(|until| Instant::now() < until)
    }

    /// Notes a failure: the connection is dropped, Redis is left alone for a while, and the first
    /// failure of an outage is announced.
    fn failed(&self, what: &str, why: &str) {
        if let Ok(mut c) = self.conn.try_lock() {
            *c = None;
        }
        *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + RETRY_AFTER);
        if !self.warned.swap(true, Ordering::SeqCst) {
            self.fresh_outage.store(true, Ordering::SeqCst);
            tracing::warn!(
                operation = what,
                error = why,
                "Redis unreachable: the rate budget and token fall back to this machine's until it answers again"
            );
        }
    }

    /// Whether an outage began since the last call (true once per outage).
    pub(crate) fn outage_began(&self) -> bool {
        self.fresh_outage.swap(false, Ordering::SeqCst)
    }

    fn answered(&self) {
        if self.warned.swap(false, Ordering::SeqCst) {
            self.rejoining.store(true, Ordering::SeqCst);
            tracing::info!("Redis answers again: the rate budget and token are shared again");
        }
    }

    /// Whether Redis is back after an outage and the budget has not rejoined it yet.
    pub(crate) fn is_rejoining(&self) -> bool {
        self.rejoining.load(Ordering::SeqCst)
    }

    /// The local ring is quiet: the budget may use Redis again.
    pub(crate) fn rejoined(&self) {
        self.rejoining.store(false, Ordering::SeqCst);
    }

    async fn connection(&self) -> Option<MultiplexedConnection> {
        if self.is_down() {
            return None;
        }
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Some(c.clone());
        }
        let opened = tokio::time::timeout(
            CONNECT_TIMEOUT,
            self.client.get_multiplexed_async_connection(),
        )
        .await;
        match opened {
            Ok(Ok(c)) => {
                *guard = Some(c.clone());
                self.answered();
                Some(c)
            }
            Ok(Err(e)) => {
                drop(guard);
                self.failed("connect", &format!("{:?}", e.kind()));
                None
            }
            Err(_) => {
                drop(guard);
                self.failed("connect", "timed out");
                None
            }
        }
    }

    /// Runs one command; `None` when Redis could not be reached or failed.
    async fn run<T, F, Fut>(&self, what: &'static str, op: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(OP_TIMEOUT, op(conn)).await {
            Ok(Ok(v)) => {
                self.answered();
                Some(v)
            }
            Ok(Err(e)) => {
                self.failed(what, &format!("{:?}", e.kind()));
                None
            }
            Err(_) => {
                self.failed(what, "timed out");
                None
            }
        }
    }

    /// Reserves a slot of the shared ring; `None` when Redis is unavailable.
    pub(crate) async fn reserve(&self, n: usize, timing: Timing, owner: u64) -> Option<Reserved> {
        let micros = |ns: u64| ns / 1_000;
        // a connection opened again after an outage marks the rejoin before any reservation
        if self.is_rejoining() || self.connection().await.is_none() || self.is_rejoining() {
            return None;
        }
        let reply: (i64, i64) = self
            .run("reserve", |mut c| async move {
                self.reserve
                    .key(&self.budget_key)
                    .arg(n)
                    .arg(micros(timing.window))
                    .arg(micros(timing.lease))
                    .arg(owner.to_string())
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let (slot, wait) = reply;
        // a wait past a window and a lease is no answer of the script's: never sleep on it
        let longest = Duration::from_nanos(timing.window.saturating_add(timing.lease));
        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0)).min(longest);
        Some(match usize::try_from(slot) {
            Ok(index) if index < n => Reserved::Slot { index, wait },
            Ok(_) => {
                self.failed("reserve", "the script answered a slot out of range");
                return None;
            }
            Err(_) => Reserved::Busy { retry_in: wait },
        })
    }

    /// Releases a slot of the shared ring (an unreachable Redis lets the lease free it).
    pub(crate) async fn release(&self, index: usize, owner: u64, timing: Timing) {
        let _: Option<i64> = self
            .run("release", |mut c| async move {
                self.release
                    .key(&self.budget_key)
                    .arg(index)
                    .arg(owner.to_string())
                    .arg(timing.window / 1_000)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
    }

    /// The stored token; `None` when Redis is unavailable, `Some(None)` when none is stored (a
    /// record that does not parse counts as none and is replaced by the next issue).
    async fn read_token(&self) -> Option<Option<Stored>> {
        let raw: Option<String> = self
            .run("read token", |mut c| async move {
                ::redis::cmd("GET")
                    .arg(&self.token_key)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Some(raw.and_then(|r| match serde_json::from_str(&r) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a malformed token record in Redis");
                None
            }
        }))
    }

    async fn write_token(&self, t: &Token) {
        let record = Stored {
            access_token: t.access.expose().to_string(),
            expires_at: t.expires_at,
            issued_at: t.issued_at,
            invalid: false,
        };
        let Ok(json) = serde_json::to_string(&record) else {
            return;
        };
        // kept a minute past expiry, so the time of the last issue outlives the token
        let ttl = (t.expires_at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .saturating_add(Duration::from_secs(60));
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let _: Option<()> = self
            .run("write token", |mut c| async move {
                ::redis::cmd("SET")
                    .arg(&self.token_key)
                    .arg(json)
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut c)
                    .await
            })
            .await;
    }

    async fn try_lock(&self, owner: &str, ttl: Duration) -> Option<bool> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let reply: Option<String> = self
            .run("lock token", |mut c| async move {
                ::redis::cmd("SET")
                    .arg(&self.lock_key)
                    .arg(owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Some(reply.is_some())
    }

    async fn unlock_token(&self, owner: &str) {
        let _: Option<i64> = self
            .run("unlock token", |mut c| async move {
                self.unlock
                    .key(&self.lock_key)
                    .arg(owner)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
    }

    async fn get_token(
        &self,
        tokens: &TokenManager,
        previous: Option<&Token>,
    ) -> Option<Result<Token, AuthError>> {
        // the holder may wait out the once-a-minute rule before issuing, then issue
        let lock_ttl = tokens
            .issue_interval
            .saturating_mul(2)
            .saturating_add(Duration::from_secs(60));
        // checked: the interval is the caller's (bounded by the builder, checked again here)
        let deadline = Instant::now()
            .checked_add(lock_ttl)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(24 * 60 * 60));
        let owner = fastrand::u64(1..).to_string();
        let good = |s: &Option<Stored>| {
            let s = s.as_ref().filter(|s| !s.invalid)?;
            // another machine's record is checked like any answer before it is sent
            check_token_text(&s.access_token).ok()?;
            let t = Token {
                access: Secret::new(s.access_token.clone()),
                expires_at: s.expires_at,
                issued_at: s.issued_at,
            };
            let fresh = previous.is_none_or(|p| p.access != t.access);
            (fresh && tokens.usable(&t, Utc::now())).then_some(t)
        };
        loop {
            let stored = self.read_token().await?;
            if let Some(t) = good(&stored) {
                tracing::debug!("access token from Redis");
                return Some(Ok(t));
            }
            if self.try_lock(&owner, lock_ttl).await? {
                // someone may have issued between the read and the lock
                let Some(stored) = self.read_token().await else {
                    self.unlock_token(&owner).await;
                    return None;
                };
                if let Some(t) = good(&stored) {
                    self.unlock_token(&owner).await;
                    return Some(Ok(t));
                }
                let last_issue = [
                    stored.as_ref().map(|s| s.issued_at),
                    previous.map(|p| p.issued_at),
                ]
                .into_iter()
                .flatten()
                .max();
                let issued = tokens.issue_respecting_interval(last_issue).await;
                if let Ok(t) = &issued {
                    self.write_token(t).await;
                }
                self.unlock_token(&owner).await;
                return Some(issued);
            }
            if Instant::now() >= deadline {
                return Some(Err(AuthError {
                    what: "access token",
                    code: None,
                    message: "another machine has held the Redis token lock too long".into(),
                }));
            }
            tokio::time::sleep(TOKEN_POLL).await;
        }
    }
}

impl RemoteBudget for RedisShared {
    fn reserve(&self, n: usize, timing: Timing, owner: u64) -> BoxFuture<'_, Option<Reserved>> {
        Box::pin(RedisShared::reserve(self, n, timing, owner))
    }
    fn release(&self, index: usize, owner: u64, timing: Timing) -> BoxFuture<'_, ()> {
        Box::pin(RedisShared::release(self, index, owner, timing))
    }
    fn outage_began(&self) -> bool {
        RedisShared::outage_began(self)
    }
    fn is_rejoining(&self) -> bool {
        RedisShared::is_rejoining(self)
    }
    fn rejoined(&self) {
        RedisShared::rejoined(self)
    }
}

impl RemoteTokens for RedisShared {
    fn get<'a>(
        &'a self,
        tokens: &'a TokenManager,
        previous: Option<&'a Token>,
    ) -> BoxFuture<'a, Option<Result<Token, AuthError>>> {
        Box::pin(self.get_token(tokens, previous))
    }

    fn invalidate<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let _: Option<i64> = self
                .run("invalidate token", |mut c| async move {
                    self.invalidate
                        .key(&self.token_key)
                        .arg(token.expose())
                        .invoke_async(&mut c)
                        .await
                })
                .await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_the_hash_of_the_app_key_and_a_bad_url_stays_secret() {
        let hash = crate::tokens::key_hash("PSsecretAppKey");
        let store =
            RedisShared::new(&Secret::new("redis://127.0.0.1:1/0"), Env::Real, &hash).expect("url");
        for key in store.keys() {
            assert!(key.starts_with(&format!("kis-api:real:{hash}:")), "{key}");
            assert!(!key.contains("PSsecretAppKey"));
        }
        let e = RedisShared::new(&Secret::new("nonsense://:hunter2@x"), Env::Real, &hash)
            .err()
            .expect("rejected");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
