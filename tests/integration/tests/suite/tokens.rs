//! Tokens: one issue for many tasks and processes, the on-disk cache, refresh, revoke, approval
//! keys and hashkeys.

use std::time::Duration;

use kis_api::{Client, Env, Error};
use kis_integration_tests::{builder_for, client_for, mock_config, quote, start_mock};
use kis_mock::Environment;

fn cache_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts one `token-probe` process per cache directory (with `redis`, each also shares through
/// Redis), all at once, and returns the token fingerprint each printed.
pub(crate) async fn token_probes(
    mock: &kis_mock::MockServer,
    caches: &[&std::path::Path],
    redis: Option<&str>,
) -> Vec<String> {
    let children: Vec<_> = caches
        .iter()
        .map(|cache| {
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_token-probe"));
            cmd.arg(mock.rest_url()).arg(cache);
            if let Some(url) = redis {
                cmd.arg(url);
            }
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn token-probe")
        })
        .collect();
    let mut fingerprints = Vec::new();
    for c in children {
        let out = c.wait_with_output().await.expect("wait");
        assert!(
            out.status.success(),
            "probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        fingerprints.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    fingerprints
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_tasks_with_an_empty_cache_issue_one_token() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        // separate clients, as separate parts of a program would build them
        let client = client_for(&mock, Env::Real, cache.path());
        tasks.push(tokio::spawn(
            async move { quote(&client).await.map(|_| ()) },
        ));
    }
    for t in tasks {
        t.await.expect("task").expect("quote");
    }
    assert_eq!(mock.control().tokens_issued(), 1);
    assert_eq!(mock.control().stats().count("FHKST01010100"), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_processes_with_an_empty_cache_issue_one_token() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let caches = vec![cache.path(); 10];
    let mut fingerprints = token_probes(&mock, &caches, None).await;
    assert_eq!(
        mock.control().tokens_issued(),
        1,
        "exactly one token for ten processes"
    );
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 1, "every process uses the same token");
    assert_eq!(cache_files(cache.path()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_is_reused_and_a_corrupted_or_foreign_file_is_replaced() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    {
        let a = client_for(&mock, Env::Real, cache.path());
        quote(&a).await.expect("quote");
    }
    assert_eq!(mock.control().tokens_issued(), 1);
    {
        // a new client (the first is gone) reads the token from the file
        let b = client_for(&mock, Env::Real, cache.path());
        quote(&b).await.expect("quote");
    }
    assert_eq!(
        mock.control().tokens_issued(),
        1,
        "reused from the cache file"
    );

    let files = cache_files(cache.path());
    assert_eq!(files.len(), 1);
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        name.starts_with("real-") && !name.contains("PSintegration"),
        "no secret in the file name: {name}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0])
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "token file readable by its owner only");
    }

    std::fs::write(&files[0], b"\x00\x01 not json {").expect("corrupt");
    {
        let c = client_for(&mock, Env::Real, cache.path());
        quote(&c).await.expect("quote despite a corrupted cache");
    }
    assert_eq!(mock.control().tokens_issued(), 2);
    let text = std::fs::read_to_string(&files[0]).expect("rewritten");
    assert!(
        text.contains("\"access_token\""),
        "the corrupted file was replaced: {text}"
    );

    // a file that belongs to the demo environment is not used by a real client
    let foreign = text.replace("\"env\": \"real\"", "\"env\": \"demo\"");
    std::fs::write(&files[0], foreign).expect("foreign");
    {
        let d = client_for(&mock, Env::Real, cache.path());
        quote(&d).await.expect("quote");
    }
    assert_eq!(mock.control().tokens_issued(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_and_the_query_retried_once() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    quote(&client).await.expect("first");
    mock.control().expire_tokens();
    quote(&client).await.expect("refreshed and retried");
    let stats = mock.control().stats();
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(
        stats.token_issue_refused, 0,
        "the second issue waited out the interval"
    );
    assert_eq!(
        stats.count("FHKST01010100"),
        3,
        "one rejected request, one retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egw00133_from_the_token_endpoint_is_a_clear_auth_error() {
    // the server enforces a long interval the client was told is short
    let mock = start_mock(
        mock_config(Environment::Real).with_token_issue_interval(Duration::from_secs(30)),
    )
    .await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .token_issue_interval(Duration::from_millis(20))
        .build()
        .expect("client");
    quote(&client).await.expect("first");
    mock.control().expire_tokens();
    let err = quote(&client).await.expect_err("refused");
    match err {
        Error::Auth(a) => assert_eq!(a.code.as_deref(), Some("EGW00133"), "{a}"),
        other => panic!("expected an auth error, got {other}"),
    }
    assert!(mock.control().stats().token_issue_refused >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_near_its_expiry_is_refreshed_ahead() {
    // KIS states expiry in access_token_token_expired; the mock's tokens live 10 minutes and the
    // client refreshes 30 minutes ahead, so every token is already due for refresh
    let mut config = mock_config(Environment::Real);
    config.token_lifetime = Duration::from_secs(600);
    let mock = start_mock(config).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    quote(&client).await.expect("first");
    quote(&client).await.expect("second");
    assert_eq!(mock.control().tokens_issued(), 2);
    assert_eq!(mock.control().stats().token_issue_refused, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_approval_key_and_hashkey() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client: Client = client_for(&mock, Env::Real, cache.path());
    quote(&client).await.expect("quote");
    client.revoke_token().await.expect("revoke");
    assert!(
        cache_files(cache.path()).is_empty(),
        "a revoked token leaves the cache"
    );
    quote(&client).await.expect("a new token after revoke");
    assert_eq!(mock.control().tokens_issued(), 2);

    let k1 = client.approval_key().await.expect("approval key");
    let k2 = client.approval_key().await.expect("approval key again");
    assert_eq!(k1, k2);
    assert_eq!(
        mock.control().stats().approvals_issued,
        1,
        "the approval key is reused"
    );

    let hash = client
        .hashkey(br#"{"CANO":"50012345","ACNT_PRDT_CD":"01"}"#)
        .await
        .expect("hashkey");
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
}

/// How often the warning about an unusable cache names `dir` in this process's logs.
fn cache_warnings(dir: &std::path::Path) -> usize {
    let dir = dir.display().to_string();
    crate::secrets::logs()
        .lines()
        .filter(|l| l.contains("token cache cannot be used") && l.contains(&dir))
        .count()
}

/// Issue 14, items 1 and 2: a cache directory that another user owns, that others may write to,
/// or that is a file, is never written into; calls keep working with the token in memory, and
/// the process warns once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_or_unsafe_cache_directory_is_bypassed_with_one_warning() {
    use std::os::unix::fs::PermissionsExt;
    let _ = crate::secrets::logs();
    let mock = start_mock(mock_config(Environment::Real)).await;
    let base = tempfile::tempdir().expect("tempdir");
    let world_writable = base.path().join("open");
    std::fs::create_dir(&world_writable).expect("mkdir");
    std::fs::set_permissions(&world_writable, std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    let a_file = base.path().join("file");
    std::fs::write(&a_file, b"not a directory").expect("file");
    let mut cases = vec![("world-writable", world_writable), ("a file", a_file)];
    let foreign = base.path().join("foreign");
    std::fs::create_dir(&foreign).expect("mkdir");
    // tests run as root: another user's directory is made by giving it away
    if std::os::unix::fs::chown(&foreign, Some(4242), Some(4242)).is_ok() {
        std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        cases.push(("foreign-owned", foreign));
    }
    for (what, dir) in &cases {
        let client = client_for(&mock, Env::Real, dir);
        for _ in 0..3 {
            quote(&client)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        assert_eq!(cache_warnings(dir), 1, "{what}: one warning");
        if dir.is_dir() {
            assert!(
                cache_files(dir).is_empty(),
                "{what}: nothing written into it"
            );
        }
    }
}

/// Issue 14, item 1: a link planted where the cache writes its token is replaced, never
/// followed: the file it points to keeps its content and mode, and the token lands in a private
/// file. A link in place of the lock file makes the cache unusable (memory instead), and the file
/// it points to is not touched either.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_link_in_the_cache_is_never_followed() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mock = start_mock(mock_config(Environment::Real)).await;
    let base = tempfile::tempdir().expect("tempdir");
    let cache = base.path().join("tokens");
    // learn the cache's file names from a first client
    let client = client_for(&mock, Env::Real, &cache);
    quote(&client).await.expect("quote");
    drop(client);
    let json = cache_files(&cache).pop().expect("a token file");
    let lock = json.with_extension("lock");
    assert!(lock.exists(), "{}", lock.display());
    let victim = base.path().join("victim");
    std::fs::write(&victim, b"precious").expect("victim");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let untouched = |what: &str| {
        assert_eq!(
            std::fs::read(&victim).expect("victim"),
            b"precious",
            "{what}"
        );
        let mode = std::fs::metadata(&victim).expect("meta").mode() & 0o777;
        assert_eq!(mode, 0o644, "{what}");
    };

    std::fs::remove_file(&json).expect("remove");
    std::os::unix::fs::symlink(&victim, &json).expect("plant a link");
    // a new client (the first one's shared state is gone with it) reads and writes the cache
    let client = client_for(&mock, Env::Real, &cache);
    quote(&client).await.expect("quote with a link planted");
    drop(client);
    untouched("link at the token file");
    let md = std::fs::symlink_metadata(&json).expect("meta");
    assert!(md.is_file(), "the link was replaced by a file");
    assert_eq!(md.mode() & 0o777, 0o600);

    std::fs::remove_file(&lock).expect("remove");
    std::os::unix::fs::symlink(&victim, &lock).expect("plant a link");
    std::fs::remove_file(&json).expect("remove");
    let client = client_for(&mock, Env::Real, &cache);
    quote(&client)
        .await
        .expect("quote with the lock file a link");
    untouched("link at the lock file");
    assert!(
        cache_files(&cache).is_empty(),
        "no token written without the lock"
    );
}
