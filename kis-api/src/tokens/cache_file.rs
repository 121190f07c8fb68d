//! The token cache file: one private file per environment and app key, written atomically and
//! read only when it is well-formed, ours, and holds a token that can be sent.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::grant::check_token_text;
use super::{TokenCache, key_hash};
use crate::config::Credentials;
use crate::environment::Env;
use crate::private_fs;

/// What a token file holds.
#[derive(Serialize, Deserialize)]
pub(crate) struct CacheFile {
    pub(crate) version: u32,
    pub(crate) env: String,
    pub(crate) app_key_sha256: String,
    pub(crate) access_token: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) issued_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) invalid: bool,
}

pub(crate) const CACHE_VERSION: u32 = 1;

/// The cache file of one environment and app key, and the lock file beside it.
pub(crate) fn cache_files(dir: &Path, env: Env, key_hash: &str) -> (PathBuf, PathBuf) {
    let stem = format!("{}-{}", env.name(), key_hash.get(..16).unwrap_or(key_hash));
    (
        dir.join(format!("{stem}.json")),
        dir.join(format!("{stem}.lock")),
    )
}

/// Prepares the cache directory (created private, or checked) and takes the exclusive lock of
/// the cache, released when the file is dropped.
pub(crate) async fn lock_cache(lock: PathBuf) -> std::io::Result<File> {
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
pub(crate) fn read_cache(file: &Path, env: Env, hash: &str) -> Option<CacheFile> {
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
    // written by an older version, or by hand: a token that cannot be a header is no token
    if let Err(why) = check_token_text(&c.access_token) {
        tracing::warn!(file = %file.display(), reason = why, "ignoring a cached token that cannot be sent");
        return None;
    }
    Some(c)
}

/// Writes the cache atomically (a new private file renamed into place, never through a link)
/// in a directory checked to be private.
pub(crate) fn write_cache(file: &Path, c: &CacheFile) -> std::io::Result<()> {
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
    fn a_cached_token_that_cannot_be_sent_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tokens").join("real-abc.json");
        let hash = key_hash("PSkey");
        let mut c = sample(Env::Real, &hash);
        c.access_token = "tok\r\nX-Injected: 1".into();
        write_cache(&file, &c).expect("write");
        assert!(read_cache(&file, Env::Real, &hash).is_none());
    }
}
