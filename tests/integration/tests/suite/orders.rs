//! An order's life through the typed client: place, find it, modify, cancel, fill, balance.

use kis_api::codes::{ModifyOrCancel, OrderDivision, PreviousDayTrades};
use kis_api::domestic_stock::{inquire_balance, inquire_psbl_rvsecncl, order_rvsecncl};
use kis_api::{Decimal, Env};
use kis_integration_tests::{buy_samsung, client_for, mock_config, start_mock};
use kis_mock::{Environment, OrderStatus};
use std::str::FromStr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_modify_cancel_fill_and_see_the_balance() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    mock.control().set_price("005930", "71900");
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let stock = client.domestic_stock();

    // a limit buy far below the market stays open
    let low = Decimal::new(50000, 0);
    let placed = stock
        .order_cash(buy_samsung(OrderDivision::Limit, 10, low))
        .reply()
        .await
        .expect("order");
    let out = placed.body.output.expect("order output");
    assert_eq!(out.odno.len(), 10);
    assert!(placed.envelope.is_success());

    let open = stock
        .inquire_psbl_rvsecncl(inquire_psbl_rvsecncl::Request::new(
            inquire_psbl_rvsecncl::ListOrder::Order,
        ))
        .all_rows()
        .await
        .expect("open orders");
    assert!(
        open.iter().any(|o| o.odno == out.odno),
        "the open order is listed"
    );

    // modify the price, then cancel what is left
    let modified = stock
        .order_rvsecncl(order_rvsecncl::Request::new(
            &*out.krx_fwdg_ord_orgno,
            &*out.odno,
            OrderDivision::Limit,
            ModifyOrCancel::Modify,
            10,
            Decimal::new(51000, 0),
            true,
        ))
        .await
        .expect("modify")
        .output
        .expect("modify output");
    assert_ne!(
        modified.odno, out.odno,
        "a modification gets its own order number"
    );
    stock
        .order_rvsecncl(order_rvsecncl::Request::new(
            &*modified.krx_fwdg_ord_orgno,
            &*modified.odno,
            OrderDivision::Limit,
            ModifyOrCancel::Cancel,
            10,
            Decimal::ZERO,
            true,
        ))
        .await
        .expect("cancel");
    let orders = mock.control().orders();
    assert!(
        orders
            .iter()
            .any(|o| o.odno == modified.odno && o.status == OrderStatus::Cancelled),
        "{orders:?}"
    );

    // a market buy fills, and the balance shows the holding
    stock
        .order_cash(buy_samsung(OrderDivision::Market, 3, Decimal::ZERO))
        .await
        .expect("market order");
    let pages = stock
        .inquire_balance(inquire_balance::Request::new(
            inquire_balance::BalanceGrouping::BySymbol,
            false,
            PreviousDayTrades::WithPreviousDay,
        ))
        .all()
        .await
        .expect("balance");
    let holding = pages
        .iter()
        .flat_map(|p| p.output1.iter())
        .find(|h| h.pdno == "005930")
        .expect("holding");
    assert_eq!(holding.hldg_qty, Some(3));
    assert_eq!(
        holding.pchs_avg_pric,
        Some(Decimal::from_str("71900").expect("decimal"))
    );
    assert!(
        mock.control().orders().iter().all(|o| o.received == 1),
        "no order was sent twice"
    );
}
