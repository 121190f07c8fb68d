//! Access tokens, WebSocket approval keys, hashkeys and token revocation: what KIS's auth
//! endpoints issue. (The generated group of those endpoints is `kis_api::auth`; this is the
//! runtime that uses them.)
//!
//! KIS lets an app key issue a token once per minute and notifies the account owner every time,
//! so tokens are precious: they are cached on disk per environment and app key (mode 0600, the
//! file named by a hash of the key, never the key), shared by every client and process (a file
//! lock serialises issuing), refreshed ahead of expiry, and a refresh is never issued within the
//! minute that follows the previous one. A token answer is checked before anything is cached
//! (`grant`).
//!
//! The cache directory is private (see [`crate::private_fs`]); when it cannot be used (not
//! writable, another user's, a file in its place) tokens are kept in memory, with one warning.

mod access;
mod approval;
mod auth_call;
mod cache_file;
pub(crate) mod grant;
mod hashkey;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::AuthError;
use crate::private_fs;
use crate::secret::Secret;

pub(crate) use access::TokenManager;
pub(crate) use approval::ApprovalKeys;
pub(crate) use cache_file::forget_cached;
pub(crate) use hashkey::{hashkey, revoke};

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

/// A token store shared beyond this machine (Redis, `crate::redis_store`), consulted before the
/// cache file.
pub(crate) trait RemoteTokens: Send + Sync {
    /// The token to use: the store's, or one issued through `tokens` under the store's lock;
    /// `None` when the store cannot be reached (the cache file takes over).
    fn get<'a>(
        &'a self,
        tokens: &'a TokenManager,
        previous: Option<&'a Token>,
    ) -> crate::boxed::BoxFuture<'a, Option<Result<Token, AuthError>>>;
    /// Marks `token` as rejected by KIS in the store.
    fn invalidate<'a>(&'a self, token: &'a Secret) -> crate::boxed::BoxFuture<'a, ()>;
}

/// Hex SHA-256 of the app key: names cache files without revealing the key.
pub(crate) fn key_hash(app_key: &str) -> String {
    // ring's SHA-256: the TLS stack builds ring anyway, so no hashing crates of our own
    let digest = ring::digest::digest(&ring::digest::SHA256, app_key.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
