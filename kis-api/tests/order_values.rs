//! Issue 24, item 7: request values are checked against their catalog type before any I/O, on
//! the typed and the by-name path: an order of 0 shares or at a negative price, and quantities
//! written `-1`, `+5`, `1e3` or `" 1"`, never reach the server. Against kis-mock on loopback.

use kis_api::domestic_stock::{order_cash, order_rvsecncl};
use kis_api::{Client, Decimal, DynamicRequest, ENDPOINTS, Env, Error, TokenCache};
use kis_mock::{MockConfig, MockServer};

const APP_KEY: &str = "PSordervaluesAppKey0000000000000000";
const APP_SECRET: &str = "order-values-secret";

async fn mock() -> MockServer {
    MockServer::start(
        MockConfig::demo()
            .with_credentials(APP_KEY, APP_SECRET)
            .with_token_issue_interval(std::time::Duration::from_millis(1)),
    )
    .await
    .unwrap_or_else(|e| panic!("kis-mock: {e}"))
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .environment(Env::Demo)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(mock.rest_url())
        .token_cache(TokenCache::Memory)
        .no_rate_limit()
        .stock_account("50012345-01")
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

fn buy(quantity: u64, price: Decimal) -> order_cash::Request {
    order_cash::Request::new(
        order_cash::Side::Buy,
        "005930",
        kis_api::codes::OrderDivision::Limit,
        quantity,
        price,
    )
}

/// The message of a refusal before any I/O.
fn refused(r: kis_api::Result<impl Sized>) -> String {
    match r {
        Err(Error::Config(m)) => m,
        Err(other) => panic!("a refusal before any I/O, not {other}"),
        Ok(_) => panic!("sent"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_orders_of_zero_shares_or_a_negative_price_are_refused() {
    let mock = mock().await;
    let client = client(&mock);
    let stock = client.domestic_stock();
    let m = refused(stock.order_cash(buy(0, Decimal::new(50_000, 0))).await);
    assert!(m.contains("ORD_QTY") && m.contains("at least 1"), "{m}");
    let m = refused(stock.order_cash(buy(1, Decimal::new(-50_000, 0))).await);
    assert!(m.contains("ORD_UNPR"), "{m}");
    assert!(
        mock.control().stats().sequence.is_empty(),
        "no request at all, not even a token"
    );
    // a well-formed order still goes, once
    stock
        .order_cash(buy(1, Decimal::new(50_000, 0)))
        .await
        .unwrap_or_else(|e| panic!("a valid order: {e}"));
    assert_eq!(mock.control().stats().count("VTTC0012U"), 1);

    // zero is the documented quantity of "cancel all that remains"
    let cancel_all = order_rvsecncl::Request::new(
        "00950",
        "0000012345",
        kis_api::codes::OrderDivision::Limit,
        kis_api::codes::ModifyOrCancel::Cancel,
        0,
        Decimal::ZERO,
        true,
    );
    let r = stock.order_rvsecncl(cancel_all).await;
    assert!(!matches!(r, Err(Error::Config(_))), "{r:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_name_values_are_checked_when_set_and_when_sent() {
    let meta = ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.id == "domestic_stock.order_cash")
        .unwrap_or_else(|| panic!("order_cash"));
    let base = || {
        DynamicRequest::new(meta)
            .and_then(|r| r.variant("buy"))
            .and_then(|r| r.set("PDNO", "005930"))
            .and_then(|r| r.set("ORD_DVSN", "00"))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for qty in ["-1", "+5", "1e3", " 1", "1 ", "1.0", "0x1"] {
        let m = refused(base().set("ORD_QTY", qty));
        assert!(m.contains("ORD_QTY"), "{qty:?}: {m}");
    }
    for price in ["-1", "-0.5", "+1", "1e5", " 1", "NaN"] {
        let m = refused(base().set("ORD_UNPR", price));
        assert!(m.contains("ORD_UNPR"), "{price:?}: {m}");
    }
    // a quantity of 0 has the form of a quantity: the order as a whole is refused when sent
    let mock = mock().await;
    let client = client(&mock);
    let zero = base()
        .set("ORD_QTY", "0")
        .and_then(|r| r.set("ORD_UNPR", "50000"))
        .unwrap_or_else(|e| panic!("{e}"));
    let m = refused(client.call_dynamic(&zero).await);
    assert!(m.contains("at least 1"), "{m}");
    assert!(mock.control().stats().sequence.is_empty());
    let one = base()
        .set("ORD_QTY", "1")
        .and_then(|r| r.set("ORD_UNPR", "50000"))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = client
        .call_dynamic(&one)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.envelope.rt_cd, "0");
    mock.shutdown().await;
}
