//! The catalog's response-code table drives the client: the fixture catalog marks OPSQ2001
//! `retry_query` where kis-api's own catalog (`spec/common.yaml`) says `fail`, and the same
//! answer from the same server is retried by one and not by the other.

use std::time::Duration;

use kis_api::codes::StockMarket as ApiMarket;
use kis_api::meta::ErrorAction;
use kis_api::{Client, Env, Error, TokenCache, domestic_stock::inquire_price};
use kis_fixture_client::codes::StockMarket;
use kis_fixture_client::{CATALOG_DIR, FixtureApi, sample};
use kis_mock::{Fault, MockConfig, MockServer};

const QUOTE_TR: &str = "FHKST01010100";

fn opsq2001() -> Fault {
    Fault::Answer {
        msg_cd: "OPSQ2001".into(),
        msg1: "ERROR INVALID FID_INPUT_ISCD".into(),
        http_status: 500,
    }
}

async fn client_for(mock: &MockServer, cache: &std::path::Path) -> Client {
    Client::builder()
        .environment(Env::Real)
        .app_key("PSfixtureAppKey", "fixture-secret")
        .rest_url(mock.rest_url())
        .token_cache(TokenCache::Dir(cache.to_path_buf()))
        .no_rate_limit()
        .build()
        .expect("client")
}

fn mock_config() -> MockConfig {
    MockConfig::default()
        .with_credentials("PSfixtureAppKey", "fixture-secret")
        .with_token_issue_interval(Duration::from_millis(100))
}

#[test]
fn the_two_catalogs_disagree_about_opsq2001() {
    assert_eq!(
        kis_fixture_client::CATALOG.action("OPSQ2001"),
        Some(ErrorAction::RetryQuery)
    );
    assert_eq!(kis_api::CATALOG.action("OPSQ2001"), Some(ErrorAction::Fail));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_marked_retry_query_is_retried() {
    let mock = MockServer::start(mock_config().with_catalog_dir(CATALOG_DIR))
        .await
        .expect("mock with the fixture catalog");
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, cache.path()).await;
    let fault = mock
        .control()
        .inject(opsq2001().times(1).on_tr_id(QUOTE_TR));
    let quote = client
        .sample()
        .inquire_price(sample::inquire_price::Request::new(
            StockMarket::Krx,
            "005930",
        ))
        .await
        .expect("retried after OPSQ2001");
    assert!(quote.output.is_some());
    assert_eq!(fault.hits(), 1);
    assert_eq!(mock.control().stats().count(QUOTE_TR), 2, "sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_code_marked_fail_is_not() {
    let mock = MockServer::start(mock_config()).await.expect("mock");
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, cache.path()).await;
    mock.control()
        .inject(opsq2001().times(1).on_tr_id(QUOTE_TR));
    let err = client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(ApiMarket::Krx, "005930"))
        .await
        .expect_err("OPSQ2001 fails at once");
    assert!(
        matches!(&err, Error::Api { msg_cd, .. } if msg_cd == "OPSQ2001"),
        "{err}"
    );
    assert_eq!(mock.control().stats().count(QUOTE_TR), 1, "sent once");
}
