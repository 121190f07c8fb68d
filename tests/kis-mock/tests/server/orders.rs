//! Orders: place, inquire, modify, cancel, balance; the state tests assert on.

use crate::common::{CANO, Kis, set, well_formed};
use kis_mock::{MockConfig, OrderSide, OrderStatus};
use serde_json::Value;

async fn order_cash(
    kis: &Kis,
    tr: &str,
    code: &str,
    dvsn: &str,
    qty: &str,
    price: &str,
) -> crate::common::Reply {
    let ep = kis.endpoint("domestic_stock.order_cash");
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "PDNO", code);
    set(&mut inputs, "ORD_DVSN", dvsn);
    set(&mut inputs, "ORD_QTY", qty);
    set(&mut inputs, "ORD_UNPR", price);
    kis.call(&ep, tr, "", &inputs).await.expect("reply")
}

async fn rvsecncl(
    kis: &Kis,
    odno: &str,
    kind: &str,
    qty: &str,
    price: &str,
) -> crate::common::Reply {
    let ep = kis.endpoint("domestic_stock.order_rvsecncl");
    let mut inputs = well_formed(&ep, Some(odno));
    set(&mut inputs, "RVSE_CNCL_DVSN_CD", kind);
    set(&mut inputs, "ORD_DVSN", "00");
    set(&mut inputs, "ORD_QTY", qty);
    set(&mut inputs, "ORD_UNPR", price);
    set(&mut inputs, "QTY_ALL_ORD_YN", "Y");
    kis.call(&ep, "TTTC0013U", "", &inputs)
        .await
        .expect("reply")
}

async fn inquiry(kis: &Kis, qualified: &str) -> Value {
    let ep = kis.endpoint(qualified);
    let tr = crate::common::tr_of(&ep, false).expect("tr");
    let r = kis
        .call(&ep, &tr, "", &well_formed(&ep, None))
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    let problems = crate::common::schema_problems(&ep, &r.json);
    assert!(problems.is_empty(), "{problems:?}");
    r.json
}

fn rows<'a>(v: &'a Value, block: &str) -> Vec<&'a Value> {
    v[block]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn order_inquiry_cancel_balance() {
    let kis = Kis::start(MockConfig::default()).await;
    let control = kis.control();
    control.set_price("005930", "70000");
    // the account's seeded position, bought at this price before its first order
    control.set_price("035420", "200000");

    // a limit buy below the market stays open
    let r = order_cash(&kis, "TTTC0012U", "005930", "00", "10", "60000").await;
    assert_eq!(r.status, 200);
    assert_eq!((r.str("/rt_cd"), r.str("/msg_cd")), ("0", "APBK0013"));
    let open_odno = r.str("/output/ODNO").to_string();
    assert_eq!(open_odno.len(), 10);
    assert!(open_odno.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(r.str("/output/KRX_FWDG_ORD_ORGNO").len(), 5);
    let tmd = r.str("/output/ORD_TMD");
    assert!(
        tmd.len() == 6 && tmd.bytes().all(|b| b.is_ascii_digit()),
        "{tmd}"
    );

    // a market buy fills at once at the current price
    let r = order_cash(&kis, "TTTC0012U", "005930", "01", "5", "0").await;
    assert_eq!(r.str("/rt_cd"), "0");
    let filled_odno = r.str("/output/ODNO").to_string();
    assert_ne!(filled_odno, open_odno);

    let orders = control.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].odno, open_odno);
    assert_eq!(orders[0].status, OrderStatus::Open);
    assert_eq!(
        (orders[0].side, orders[0].qty, orders[0].price.as_str()),
        (OrderSide::Buy, 10, "60000")
    );
    assert_eq!(orders[0].account, CANO);
    assert_eq!(orders[0].received, 1);
    assert_eq!(orders[1].status, OrderStatus::Filled);
    assert_eq!(orders[1].fill_price.as_deref(), Some("70000"));

    // the cancellable list shows only the open order
    let psbl = inquiry(&kis, "domestic_stock.inquire_psbl_rvsecncl").await;
    let list = rows(&psbl, "output");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["odno"], open_odno.as_str());
    assert_eq!(list[0]["pdno"], "005930");
    assert_eq!(list[0]["ord_qty"], "10");
    assert_eq!(list[0]["psbl_qty"], "10");

    // the daily order list shows both, newest first, with fills
    let ccld = inquiry(&kis, "domestic_stock.inquire_daily_ccld").await;
    let list = rows(&ccld, "output1");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["odno"], filled_odno.as_str());
    assert_eq!(list[0]["tot_ccld_qty"], "5");
    assert_eq!(list[0]["avg_prvs"], "70000");
    assert_eq!(list[0]["sll_buy_dvsn_cd"], "02");
    assert_eq!(list[1]["tot_ccld_qty"], "0");
    assert_eq!(list[1]["rmn_qty"], "10");

    // the balance holds the filled quantity, next to the seeded position
    let bal = inquiry(&kis, "domestic_stock.inquire_balance").await;
    let held = rows(&bal, "output1");
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0]["pdno"], "005930");
    assert_eq!(held[0]["hldg_qty"], "5");
    assert_eq!(held[0]["pchs_avg_pric"], "70000");
    assert_eq!(held[0]["pchs_amt"], "350000");
    assert_eq!(held[1]["pdno"], "035420");
    assert_eq!(held[1]["hldg_qty"], "10");
    assert_eq!(held[1]["pchs_amt"], "2000000");
    let totals = rows(&bal, "output2");
    assert_eq!(totals[0]["pchs_amt_smtl_amt"], "2350000");
    assert_eq!(totals[0]["evlu_amt_smtl_amt"], "2350000");

    // cancel the open order; then it is gone from the cancellable list
    let r = rvsecncl(&kis, &open_odno, "02", "0", "0").await;
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    assert_eq!(control.orders()[0].status, OrderStatus::Cancelled);
    let psbl = inquiry(&kis, "domestic_stock.inquire_psbl_rvsecncl").await;
    assert!(rows(&psbl, "output").is_empty());

    // cancelling again, a filled order, or an unknown one is an error
    for odno in [open_odno.as_str(), filled_odno.as_str(), "0000999999"] {
        let r = rvsecncl(&kis, odno, "02", "0", "0").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            (r.str("/rt_cd"), r.str("/msg_cd")),
            ("1", "APBK0918"),
            "{odno}"
        );
    }

    // a price rise moves the valuation
    control.set_price("005930", "71000");
    let bal = inquiry(&kis, "domestic_stock.inquire_balance").await;
    assert_eq!(rows(&bal, "output1")[0]["evlu_pfls_amt"], "5000");
    assert_eq!(rows(&bal, "output1")[0]["prpr"], "71000");
}

#[tokio::test]
async fn modify_makes_an_order_marketable() {
    let kis = Kis::start(MockConfig::default()).await;
    let control = kis.control();
    control.set_price("000660", "200000");
    let r = order_cash(&kis, "TTTC0012U", "000660", "00", "3", "150000").await;
    let odno = r.str("/output/ODNO").to_string();
    let r = rvsecncl(&kis, &odno, "01", "0", "210000").await;
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    let new_odno = r.str("/output/ODNO").to_string();
    assert_ne!(new_odno, odno);
    let orders = control.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].status, OrderStatus::Replaced);
    assert_eq!(orders[1].orig_odno.as_deref(), Some(odno.as_str()));
    assert_eq!(orders[1].status, OrderStatus::Filled);
    assert_eq!(orders[1].qty, 3);
    // sell part of it back with a marketable limit
    let r = order_cash(&kis, "TTTC0011U", "000660", "00", "1", "190000").await;
    assert_eq!(r.str("/rt_cd"), "0");
    let last = control.orders().pop().expect("order");
    assert_eq!(
        (last.side, last.status),
        (OrderSide::Sell, OrderStatus::Filled)
    );
    let bal = inquiry(&kis, "domestic_stock.inquire_balance").await;
    assert_eq!(rows(&bal, "output1")[0]["hldg_qty"], "2");
}

#[tokio::test]
async fn overseas_orders_are_remembered_per_group() {
    let kis = Kis::start(MockConfig::default()).await;
    let control = kis.control();
    control.set_price("AAPL", "182.52");
    let ep = kis.endpoint("overseas_stock.order");
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "PDNO", "AAPL");
    set(&mut inputs, "ORD_QTY", "4");
    set(&mut inputs, "OVRS_ORD_UNPR", "190.00");
    let r = kis
        .call(&ep, "TTTT1002U", "", &inputs)
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    let o = control.orders().pop().expect("order");
    assert_eq!(o.endpoint, "overseas_stock.order");
    assert_eq!(
        (o.product.as_str(), o.qty, o.status),
        ("AAPL", 4, OrderStatus::Filled)
    );
    assert_eq!(o.fill_price.as_deref(), Some("182.5200"));
    // the domestic order list of the same account shows a domestic order, not the overseas one
    let r = order_cash(&kis, "TTTC0012U", "005930", "00", "1", "70000").await;
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    let ccld = inquiry(&kis, "domestic_stock.inquire_daily_ccld").await;
    let listed = rows(&ccld, "output1");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["pdno"], "005930", "{listed:?}");
    // a bad quantity is refused and nothing is remembered
    set(&mut inputs, "ORD_QTY", "many");
    let r = kis
        .call(&ep, "TTTT1002U", "", &inputs)
        .await
        .expect("reply");
    assert_eq!((r.str("/rt_cd"), r.str("/msg_cd")), ("2", "OPSQ2001"));
    assert_eq!(
        control.orders().len(),
        2,
        "the overseas and the domestic order"
    );
}

#[tokio::test]
async fn demo_orders_answer_like_demo() {
    let kis = Kis::start(MockConfig::demo()).await;
    let r = order_cash(&kis, "VTTC0012U", "005930", "01", "1", "0").await;
    assert_eq!((r.str("/rt_cd"), r.str("/msg_cd")), ("0", "40600000"));
    assert!(r.str("/msg1").contains("모의투자"));
    assert_eq!(kis.control().orders()[0].tr_id, "VTTC0012U");
}
