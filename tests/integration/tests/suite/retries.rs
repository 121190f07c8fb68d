//! Retries: queries are retried on rate limits, 5xx and dropped connections; orders are sent at
//! most once and a failure after sending is "outcome unknown".

use std::time::Duration;

use kis_api::codes::{OrderDivision, StockMarket};
use kis_api::domestic_stock::{inquire_price, order_cash};
use kis_api::{Decimal, Env, Error, RetryPolicy};
use kis_integration_tests::{builder_for, buy_samsung, mock_config, quote, start_mock};
use kis_mock::{Environment, Fault};

const QUOTE_TR: &str = "FHKST01010100";
const BUY_TR: &str = "TTTC0012U";

fn buy() -> order_cash::Request {
    buy_samsung(OrderDivision::Limit, 10, Decimal::new(60000, 0))
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

async fn setup() -> (kis_mock::MockServer, tempfile::TempDir, kis_api::Client) {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .retry(fast_retries())
        .timeout(Duration::from_millis(800))
        .build()
        .expect("client");
    (mock, cache, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_query_is_retried() {
    let (mock, _c, client) = setup().await;
    let fault = mock
        .control()
        .inject(Fault::RateLimit.times(2).on_tr_id(QUOTE_TR));
    let r = quote(&client).await.expect("retried until accepted");
    assert!(r.output.is_some());
    assert_eq!(fault.hits(), 2);
    assert_eq!(mock.control().stats().count(QUOTE_TR), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_rate_limited_past_the_attempts_fails_clearly() {
    let (mock, _c, client) = setup().await;
    mock.control()
        .inject(Fault::RateLimit.always().on_tr_id(QUOTE_TR));
    let err = quote(&client).await.expect_err("gives up");
    assert!(
        matches!(err, Error::RateLimited { attempts: 4, .. }),
        "{err}"
    );
    assert_eq!(mock.control().stats().count(QUOTE_TR), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_order_is_not_resent() {
    let (mock, _c, client) = setup().await;
    mock.control()
        .inject(Fault::RateLimit.times(1).on_tr_id(BUY_TR));
    let err = client
        .domestic_stock()
        .order_cash(buy())
        .await
        .expect_err("not resent");
    assert!(
        matches!(err, Error::RateLimited { attempts: 1, .. }),
        "{err}"
    );
    assert_eq!(mock.control().stats().count(BUY_TR), 1);
    assert!(mock.control().orders().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_after_an_order_is_sent_is_outcome_unknown_and_not_resent() {
    let (mock, _c, client) = setup().await;
    mock.control()
        .inject(Fault::DropAfterProcessing.times(1).on_tr_id(BUY_TR));
    let err = client
        .domestic_stock()
        .order_cash(buy())
        .await
        .expect_err("unknown outcome");
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert!(err.to_string().contains("inquire before retrying"), "{err}");
    let orders = mock.control().orders();
    assert_eq!(orders.len(), 1, "the order was placed once");
    assert_eq!(orders[0].received, 1, "and received once");
    assert_eq!(mock.control().stats().count(BUY_TR), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_before_processing_is_still_unknown_for_an_order() {
    let (mock, _c, client) = setup().await;
    mock.control()
        .inject(Fault::DropBeforeProcessing.times(1).on_tr_id(BUY_TR));
    let err = client
        .domestic_stock()
        .order_cash(buy())
        .await
        .expect_err("unknown outcome");
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert!(mock.control().orders().is_empty());
    assert_eq!(mock.control().stats().count(BUY_TR), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_and_5xx_are_retried_for_queries() {
    let (mock, _c, client) = setup().await;
    mock.control()
        .inject(Fault::DropBeforeProcessing.times(1).on_tr_id(QUOTE_TR));
    quote(&client).await.expect("after a dropped connection");
    mock.control().inject(
        Fault::ServerError { json_body: false }
            .times(1)
            .on_tr_id(QUOTE_TR),
    );
    quote(&client).await.expect("after an empty 500");
    mock.control().inject(
        Fault::ServerError { json_body: true }
            .times(1)
            .on_tr_id(QUOTE_TR),
    );
    quote(&client).await.expect("after a gateway 500");
    assert_eq!(mock.control().stats().count(QUOTE_TR), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_with_a_kis_body_is_an_api_error() {
    let (mock, _c, client) = setup().await;
    mock.control().inject(
        Fault::ServerError { json_body: true }
            .always()
            .on_tr_id(QUOTE_TR),
    );
    let err = quote(&client).await.expect_err("api error");
    match &err {
        Error::Api {
            status,
            msg_cd,
            tr_id,
            ..
        } => {
            assert_eq!(*status, 500);
            assert!(!msg_cd.is_empty());
            assert_eq!(tr_id, QUOTE_TR);
        }
        other => panic!("expected an API error, got {other}"),
    }
    mock.control().clear_faults();
    mock.control().inject(
        Fault::ServerError { json_body: false }
            .always()
            .on_tr_id(QUOTE_TR),
    );
    let err = quote(&client).await.expect_err("http error");
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_times_out_is_outcome_unknown() {
    let (mock, _c, client) = setup().await;
    mock.control().inject(
        Fault::Delay(Duration::from_secs(3))
            .times(1)
            .on_tr_id(BUY_TR),
    );
    let err = client
        .domestic_stock()
        .order_cash(buy())
        .await
        .expect_err("timeout");
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(mock.control().stats().count(BUY_TR), 1, "never resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_rejecting_an_input_is_not_retried() {
    let (mock, _c, client) = setup().await;
    let bad = inquire_price::Request::new(StockMarket::Other("ZZ".into()), "005930");
    let err = client
        .domestic_stock()
        .inquire_price(bad)
        .await
        .expect_err("invalid input");
    assert_eq!(err.msg_cd(), Some("OPSQ2001"), "{err}");
    assert_eq!(mock.control().stats().count(QUOTE_TR), 1);
}
