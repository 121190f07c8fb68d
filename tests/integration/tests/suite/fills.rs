//! Request fields the client fills from its configuration: `USER_ID` (watch lists, condition
//! searches) takes the client's HTS id as `CANO` takes the account, and a caller's value wins.

use kis_api::Env;
use kis_api::domestic_stock::psearch_title;
use kis_integration_tests::{HTS_ID, builder_for, mock_config, start_mock};
use kis_mock::Environment;

use crate::escape_hatch::{recording_proxy, sent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_id_is_the_clients_hts_id_unless_set() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let target = mock.rest_url().trim_start_matches("http://").to_string();
    let (proxy, seen) = recording_proxy(target).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .rest_url(proxy.clone())
        .build()
        .expect("client");

    // no constructor argument: the client fills it
    client
        .domestic_stock()
        .psearch_title(psearch_title::Request::new())
        .await
        .expect("psearch_title");
    assert!(
        sent(&seen).contains(&format!("USER_ID={HTS_ID}")),
        "{}",
        sent(&seen)
    );

    // the caller's value wins
    client
        .domestic_stock()
        .psearch_title(psearch_title::Request::new().user_id("someone02"))
        .await
        .expect("psearch_title");
    assert!(sent(&seen).contains("USER_ID=someone02"), "{}", sent(&seen));

    // without an HTS id, nothing is sent and the error says what is missing
    let cache2 = tempfile::tempdir().expect("tempdir");
    let bare = kis_api::Client::builder()
        .environment(Env::Real)
        .app_key(
            kis_integration_tests::APP_KEY,
            kis_integration_tests::APP_SECRET,
        )
        .rest_url(proxy)
        .token_cache(kis_api::TokenCache::Dir(cache2.path().to_path_buf()))
        .no_rate_limit()
        .build()
        .expect("client");
    let before = sent(&seen).len();
    let err = bare
        .domestic_stock()
        .psearch_title(psearch_title::Request::new())
        .await
        .expect_err("no HTS id");
    let text = err.to_string();
    assert!(
        text.contains("USER_ID") && text.contains("HTS id"),
        "{text}"
    );
    assert!(
        !sent(&seen)[before..].contains("psearch"),
        "nothing reached the server"
    );
}
