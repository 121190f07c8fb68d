//! Demo safety: real-only endpoints never reach the network from a demo client.

use kis_api::codes::{OrderDivision, StockMarket};
use kis_api::domestic_futureoption::order as fo_order;
use kis_api::domestic_stock::{inquire_price, inquire_price_2};
use kis_api::{Client, Decimal, Env, Error};
use kis_integration_tests::{builder_for, buy_samsung, client_for, mock_config, start_mock};
use kis_mock::Environment;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_only_endpoint_on_a_demo_client_never_reaches_the_network() {
    let mock = start_mock(mock_config(Environment::Demo)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client: Client = client_for(&mock, Env::Demo, cache.path());
    let err = client
        .domestic_stock()
        .inquire_price_2(inquire_price_2::Request::new(StockMarket::Krx, "005930"))
        .await
        .expect_err("not in demo");
    match &err {
        Error::NotInDemo {
            endpoint,
            name,
            variant,
        } => {
            assert_eq!(*endpoint, "domestic_stock.inquire_price_2");
            assert!(!name.is_empty());
            assert!(variant.is_none());
        }
        other => panic!("expected NotInDemo, got {other}"),
    }
    assert!(
        err.to_string().contains("domestic_stock.inquire_price_2"),
        "{err}"
    );
    let stats = mock.control().stats();
    assert!(stats.sequence.is_empty(), "no request at all");
    assert_eq!(stats.tokens_issued, 0, "not even a token");

    // a variant the demo does not serve: the night session of futures orders
    let night = fo_order::Request::new(
        fo_order::Session::Night,
        kis_api::codes::Side::Buy,
        "101W09",
        1,
        kis_api::Decimal::new(3505, 1),
        kis_api::codes::PriceType::Limit,
        kis_api::codes::FuturesOrderDivision::Limit,
    );
    let err = client
        .domestic_futureoption()
        .order(night)
        .await
        .expect_err("night not in demo");
    assert!(
        matches!(
            err,
            Error::NotInDemo {
                variant: Some("night"),
                ..
            }
        ),
        "{err}"
    );
    assert!(mock.control().stats().sequence.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_demo_client_calls_demo_endpoints_with_demo_tr_ids() {
    let mock = start_mock(mock_config(Environment::Demo)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Demo, cache.path())
        .demo()
        .build()
        .expect("client");
    let q = client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .expect("quote in demo");
    assert!(q.output.is_some());
    let order = buy_samsung(OrderDivision::Market, 1, Decimal::ZERO);
    let reply = client
        .domestic_stock()
        .order_cash(order)
        .reply()
        .await
        .expect("demo order");
    assert_eq!(reply.tr_id, "VTTC0012U");
    assert_eq!(mock.control().stats().count("VTTC0012U"), 1);
}
