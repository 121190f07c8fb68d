//! Client-side rate limiting is per app key and shared by every clone and client.

use kis_api::codes::StockMarket;
use kis_api::domestic_stock::inquire_price;
use kis_api::{Env, RetryPolicy};
use kis_integration_tests::{builder_for, mock_config, start_mock};
use kis_mock::Environment;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_and_clients_of_one_key_share_the_limit() {
    // the server refuses more than 5 requests a second; the client allows itself 4
    let mock = start_mock(mock_config(Environment::Real).with_rate_limit(Some(5))).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let first = builder_for(&mock, Env::Real, cache.path())
        .rate_limit(4)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let second = builder_for(&mock, Env::Real, cache.path())
        .rate_limit(4)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    first.access_token().await.expect("token");
    let mut tasks = Vec::new();
    for i in 0..12 {
        // three handles: two clones of one client and a separately built client
        let c = if i % 3 == 2 {
            second.clone()
        } else {
            first.clone()
        };
        tasks.push(tokio::spawn(async move {
            c.domestic_stock()
                .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        // with one limiter per handle, 12 requests would go out at 12/s and the server would refuse
        t.await
            .expect("task")
            .expect("no request over the server's limit");
    }
    assert_eq!(mock.control().stats().count("FHKST01010100"), 12);
}
