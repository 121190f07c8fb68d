//! Shared pieces of the integration suite: the generated conformance calls and helpers that
//! start `kis-mock` and build clients against it.

use std::path::Path;
use std::time::Duration;

use kis_api::{AccountKind, Client, Env, TokenCache};
use kis_mock::{MockConfig, MockServer};

mod conformance;
pub use conformance::{FrameCheck, Outcome, RealtimeTrInfo, Summary};
use conformance::{spawn_checks, summarize_pages};

include!(concat!(env!("OUT_DIR"), "/calls.rs"));

/// App key the suite uses.
pub const APP_KEY: &str = "PSintegrationAppKey0000000000000000";
/// App secret the suite uses.
pub const APP_SECRET: &str = "integration-app-secret-value-that-must-never-be-logged";
/// Stock account the suite uses.
pub const STOCK_ACCOUNT: &str = "50012345-01";
/// HTS id the suite uses.
pub const HTS_ID: &str = "suiteuser";

/// A mock configuration for tests: the suite's credentials, short token interval.
pub fn mock_config(env: kis_mock::Environment) -> MockConfig {
    MockConfig::default()
        .with_environment(env)
        .with_credentials(APP_KEY, APP_SECRET)
        .with_token_issue_interval(Duration::from_millis(200))
        .with_seed(7)
}

/// Starts a mock server.
pub async fn start_mock(config: MockConfig) -> MockServer {
    match MockServer::start(config).await {
        Ok(m) => m,
        Err(e) => panic!("cannot start kis-mock: {e}"),
    }
}

/// A client builder aimed at `mock`, with every account configured, tokens cached in `cache`
/// (a directory) and no client-side rate limit.
pub fn builder_for(
    mock: &MockServer,
    env: Env,
    cache: &Path,
) -> kis_api::ClientBuilder<kis_api::AnyEnv> {
    Client::builder()
        .environment(env)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(mock.rest_url())
        .websocket_url(mock.ws_url())
        .token_cache(TokenCache::Dir(cache.to_path_buf()))
        .token_issue_interval(Duration::from_millis(250))
        .no_rate_limit()
        .stock_account(STOCK_ACCOUNT)
        .account(
            AccountKind::DomesticFutures,
            kis_api::Account::parse("60012345-03").unwrap_or_else(|e| panic!("{e}")),
        )
        .account(
            AccountKind::OverseasFutures,
            kis_api::Account::parse("70012345-08").unwrap_or_else(|e| panic!("{e}")),
        )
        .hts_id(HTS_ID)
}

/// A client of [`builder_for`] as it is.
pub fn client_for(mock: &MockServer, env: Env, cache: &Path) -> Client {
    match builder_for(mock, env, cache).build() {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

/// A cash buy of Samsung Electronics (005930), the stock the suite trades.
pub fn buy_samsung(
    division: kis_api::codes::OrderDivision,
    quantity: u64,
    price: kis_api::Decimal,
) -> kis_api::domestic_stock::order_cash::Request {
    use kis_api::domestic_stock::order_cash;
    order_cash::Request::new(order_cash::Side::Buy, "005930", division, quantity, price)
}

/// A Samsung Electronics (005930) quote on KRX, the query the suite uses most.
pub async fn quote(
    client: &Client,
) -> kis_api::Result<kis_api::domestic_stock::inquire_price::Response> {
    let request = kis_api::domestic_stock::inquire_price::Request::new(
        kis_api::codes::StockMarket::Krx,
        "005930",
    );
    client.domestic_stock().inquire_price(request).await
}
