//! KIS's example programs, run one after another against one mock, place orders before they
//! ask for balances: the balance inquiries they make after them list the account's holdings
//! (its seeded position among them), never nothing. Inputs as KIS's examples send them
//! (`examples_llm/*/*/chk_*.py` of `koreainvestment/open-trading-api`).

use crate::common::{Kis, schema_problems, set, well_formed};
use kis_mock::MockConfig;
use serde_json::Value;

/// Calls `qualified` with TR `tr`: the catalog's well-formed request with `pairs` set as the
/// example sets them.
async fn example(kis: &Kis, qualified: &str, tr: &str, pairs: &[(&str, &str)]) -> Value {
    let ep = kis.endpoint(qualified);
    let mut inputs = well_formed(&ep, None);
    for (k, v) in pairs {
        assert!(
            inputs.iter().any(|(key, _)| key.eq_ignore_ascii_case(k)),
            "{qualified} has no input {k}"
        );
        set(&mut inputs, k, v);
    }
    let r = kis.call(&ep, tr, "", &inputs).await.expect("reply");
    assert_eq!(r.str("/rt_cd"), "0", "{qualified}: {}", r.json);
    let problems = schema_problems(&ep, &r.json);
    assert!(problems.is_empty(), "{qualified}: {problems:?}");
    r.json
}

/// A balance inquiry of the examples: endpoint, TR ID, the inputs it sets, the block of
/// holdings and that block's product and quantity fields.
struct Inquiry {
    endpoint: &'static str,
    tr: &'static str,
    inputs: &'static [(&'static str, &'static str)],
    block: &'static str,
    product: &'static str,
    qty: &'static str,
}

const INQUIRIES: [Inquiry; 4] = [
    Inquiry {
        endpoint: "domestic_stock.pension_inquire_balance",
        tr: "TTTC2208R",
        inputs: &[("ACCA_DVSN_CD", "00"), ("INQR_DVSN", "00")],
        block: "output1",
        product: "pdno",
        qty: "hldg_qty",
    },
    Inquiry {
        endpoint: "domestic_stock.pension_inquire_present_balance",
        tr: "TTTC2202R",
        inputs: &[("USER_DVSN_CD", "00")],
        block: "output1",
        product: "pdno",
        qty: "hldg_qty",
    },
    Inquiry {
        endpoint: "domestic_stock.period_rights",
        tr: "CTRGA011R",
        inputs: &[
            ("INQR_DVSN", "03"),
            ("INQR_STRT_DT", "20250101"),
            ("INQR_END_DT", "20250103"),
            ("CUST_RNCNO25", ""),
            ("HMID", ""),
            ("RGHT_TYPE_CD", ""),
            ("PDNO", ""),
            ("PRDT_TYPE_CD", ""),
        ],
        block: "output",
        product: "pdno",
        qty: "cblc_qty",
    },
    Inquiry {
        endpoint: "overseas_stock.inquire_balance",
        tr: "TTTS3012R",
        inputs: &[("OVRS_EXCG_CD", "NASD"), ("TR_CRCY_CD", "USD")],
        block: "output1",
        product: "ovrs_pdno",
        qty: "ovrs_cblc_qty",
    },
];

/// Rows of `block` whose product is named and whose quantity is a positive whole number.
fn plausible_rows(body: &Value, block: &str, product: &str, qty: &str) -> Vec<(String, u64)> {
    body[block]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let p = r[product].as_str()?.trim();
                    let q: u64 = r[qty].as_str()?.trim().parse().ok()?;
                    (!p.is_empty() && q > 0).then(|| (p.to_string(), q))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_examples_balance_inquiries_list_rows_before_and_after_their_orders() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control().set_price("005930", "71900");
    kis.control().set_price("AAPL", "182.52");

    // before any order: generated rows
    for q in &INQUIRIES {
        let body = example(&kis, q.endpoint, q.tr, q.inputs).await;
        let rows = plausible_rows(&body, q.block, q.product, q.qty);
        assert!(!rows.is_empty(), "{} before the orders: {body}", q.endpoint);
    }

    // the orders the examples place before those inquiries (domestic_stock/order_cash,
    // order_credit; overseas_stock/daytime_order): a sell of a share the account never bought,
    // a credit buy and an overseas buy far below the market, which stay open
    example(
        &kis,
        "domestic_stock.order_cash",
        "TTTC0011U",
        &[
            ("PDNO", "005930"),
            ("ORD_DVSN", "00"),
            ("ORD_QTY", "1"),
            ("ORD_UNPR", "2000"),
            ("EXCG_ID_DVSN_CD", "SOR"),
        ],
    )
    .await;
    example(
        &kis,
        "domestic_stock.order_credit",
        "TTTC0052U",
        &[
            ("PDNO", "005930"),
            ("CRDT_TYPE", "21"),
            ("LOAN_DT", "20220810"),
            ("ORD_DVSN", "00"),
            ("ORD_QTY", "1"),
            ("ORD_UNPR", "55000"),
        ],
    )
    .await;
    example(
        &kis,
        "overseas_stock.daytime_order",
        "TTTS6036U",
        &[
            ("OVRS_EXCG_CD", "NASD"),
            ("PDNO", "AAPL"),
            ("ORD_QTY", "10"),
            ("OVRS_ORD_UNPR", "0.8"),
            ("ORD_SVR_DVSN_CD", "0"),
            ("ORD_DVSN", "00"),
        ],
    )
    .await;
    let orders = kis.control().orders();
    assert_eq!(orders.len(), 3, "{orders:?}");

    // after them the balances show the account's holdings: its seeded position
    for q in &INQUIRIES {
        let body = example(&kis, q.endpoint, q.tr, q.inputs).await;
        let rows = plausible_rows(&body, q.block, q.product, q.qty);
        let seeded = if q.endpoint.starts_with("overseas") {
            "MSFT"
        } else {
            "035420"
        };
        assert_eq!(
            rows,
            [(seeded.to_string(), 10)],
            "{} after the orders: {body}",
            q.endpoint
        );
    }
}
