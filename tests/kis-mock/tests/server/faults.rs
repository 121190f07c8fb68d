//! Fault injection: every fault kind, targeting, counts, removal; request statistics.

use std::time::{Duration, Instant};

use crate::common::{Kis, set, well_formed};
use kis_mock::{Fault, MockConfig, OrderStatus};

const PRICE_PATH: &str = "/uapi/domestic-stock/v1/quotations/inquire-price";

fn quote() -> Vec<(String, String)> {
    vec![
        ("FID_COND_MRKT_DIV_CODE".into(), "J".into()),
        ("FID_INPUT_ISCD".into(), "005930".into()),
    ]
}

async fn price(kis: &Kis) -> Result<crate::common::Reply, String> {
    kis.get(PRICE_PATH, "FHKST01010100", "", &quote()).await
}

async fn buy(kis: &Kis) -> Result<crate::common::Reply, String> {
    let ep = kis.endpoint("domestic_stock.order_cash");
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "ORD_DVSN", "01");
    set(&mut inputs, "ORD_UNPR", "0");
    kis.call(&ep, "TTTC0012U", "", &inputs).await
}

#[tokio::test]
async fn rate_limit_fault_hits_n_times() {
    let kis = Kis::start(MockConfig::default()).await;
    let h = kis
        .control()
        .inject(Fault::RateLimit.times(2).on_tr_id("FHKST01010100"));
    // another TR is not affected and uses none of the fault's hits
    assert_eq!(buy(&kis).await.expect("reply").str("/rt_cd"), "0");
    for _ in 0..2 {
        let r = price(&kis).await.expect("reply");
        assert_eq!(
            (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
            (500, "1", "EGW00201")
        );
        assert_eq!(r.str("/msg1"), "초당 거래건수를 초과하였습니다.");
    }
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
    assert_eq!(h.hits(), 2);
    let stats = kis.control().stats();
    assert_eq!(stats.count("FHKST01010100"), 3);
}

#[tokio::test]
async fn token_expiry_fault_with_either_status() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control()
        .inject(Fault::TokenExpired { http_status: 200 }.times(1));
    let r = price(&kis).await.expect("reply");
    assert_eq!((r.status, r.str("/msg_cd")), (200, "EGW00123"));
    kis.control()
        .inject(Fault::TokenExpired { http_status: 500 }.times(1));
    let r = price(&kis).await.expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
        (500, "1", "EGW00123")
    );
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
    // until removed
    let h = kis
        .control()
        .inject(Fault::TokenExpired { http_status: 500 });
    for _ in 0..3 {
        assert_eq!(price(&kis).await.expect("reply").str("/msg_cd"), "EGW00123");
    }
    h.remove();
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
}

#[tokio::test]
async fn paging_fault_on_page_k() {
    let kis = Kis::start(MockConfig::default().with_pages(3, 2)).await;
    kis.control()
        .inject(Fault::PagingDataChanged { page: 2 }.times(1));
    let ep = kis.endpoint("domestic_stock.inquire_balance");
    let mut inputs = well_formed(&ep, None);
    let r = kis
        .call(&ep, "TTTC8434R", "", &inputs)
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0");
    set(&mut inputs, "CTX_AREA_FK100", r.str("/ctx_area_fk100"));
    set(&mut inputs, "CTX_AREA_NK100", r.str("/ctx_area_nk100"));
    let r2 = kis
        .call(&ep, "TTTC8434R", "N", &inputs)
        .await
        .expect("reply");
    assert_eq!(
        (r2.status, r2.str("/rt_cd"), r2.str("/msg_cd")),
        (500, "1", "SYDB0050")
    );
    // the same page again succeeds (the fault fired once)
    let r3 = kis
        .call(&ep, "TTTC8434R", "N", &inputs)
        .await
        .expect("reply");
    assert_eq!(r3.str("/rt_cd"), "0");
    assert_eq!(r3.header("tr_cont"), Some("M"));
}

#[tokio::test]
async fn server_errors_with_and_without_body() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control()
        .inject(Fault::ServerError { json_body: true }.times(1));
    let r = price(&kis).await.expect("reply");
    assert_eq!(r.status, 500);
    assert_eq!(r.str("/rt_cd"), "1");
    assert!(!r.str("/msg_cd").is_empty());
    kis.control()
        .inject(Fault::ServerError { json_body: false }.times(1));
    let r = price(&kis).await.expect("reply");
    assert_eq!(r.status, 500);
    assert!(r.raw.is_empty());
    assert_eq!(price(&kis).await.expect("reply").status, 200);
}

#[tokio::test]
async fn delay_fault_delays() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control().inject(
        Fault::Delay(Duration::from_millis(300))
            .on_path(PRICE_PATH)
            .times(1),
    );
    let t = Instant::now();
    let r = price(&kis).await.expect("reply");
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.str("/rt_cd"), "0");
}

#[tokio::test]
async fn drop_before_processing_places_nothing() {
    let kis = Kis::start(MockConfig::default()).await;
    let h = kis
        .control()
        .inject(Fault::DropBeforeProcessing.on_tr_id("TTTC0012U").times(1));
    assert!(
        buy(&kis).await.is_err(),
        "connection closed without a response"
    );
    assert_eq!(h.hits(), 1);
    assert!(kis.control().orders().is_empty());
    assert_eq!(kis.control().requests_for("TTTC0012U"), 1);
    // the next one goes through, and counts the earlier identical request
    let r = buy(&kis).await.expect("reply");
    assert_eq!(r.str("/rt_cd"), "0");
    let orders = kis.control().orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].received, 2);
}

#[tokio::test]
async fn drop_after_processing_places_the_order_once() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control()
        .inject(Fault::DropAfterProcessing.on_tr_id("TTTC0012U").times(1));
    assert!(buy(&kis).await.is_err(), "no response: outcome unknown");
    let orders = kis.control().orders();
    assert_eq!(orders.len(), 1, "the order was placed");
    assert_eq!(orders[0].received, 1, "and received once");
    assert_eq!(orders[0].status, OrderStatus::Filled);
    // a query on a fresh connection still works
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
}

#[tokio::test]
async fn faults_target_paths_and_auth_and_clear() {
    let kis = Kis::start(MockConfig::default()).await;
    let control = kis.control();
    // an All-target fault leaves the token endpoint alone; a path target reaches it
    control.inject(Fault::RateLimit);
    let r = crate::common::send(
        kis.addr,
        "POST",
        "/oauth2/Approval",
        &[],
        "{\"grant_type\":\"client_credentials\",\"appkey\":\"k\",\"secretkey\":\"s\"}",
    )
    .await
    .expect("reply");
    assert_eq!(r.status, 200);
    assert_eq!(price(&kis).await.expect("reply").str("/msg_cd"), "EGW00201");
    control.clear_faults();
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
    control.inject(Fault::ServerError { json_body: true }.on_path("/oauth2/Approval"));
    let r = crate::common::send(kis.addr, "POST", "/oauth2/Approval", &[], "{}")
        .await
        .expect("reply");
    assert_eq!(r.status, 500);
    assert_eq!(price(&kis).await.expect("reply").str("/rt_cd"), "0");
    // statistics: per-TR counts and the sequence
    let stats = control.stats();
    assert_eq!(stats.count("FHKST01010100"), 3);
    assert_eq!(
        stats.sequence.last().map(|r| r.path.as_str()),
        Some(PRICE_PATH)
    );
    control.reset_stats();
    assert!(control.stats().sequence.is_empty());
}

#[tokio::test]
async fn extra_keys_go_into_a_block_or_the_top_of_the_body_of_successes_only() {
    let kis = Kis::start(MockConfig::default()).await;
    let into_block = kis.control().inject(
        Fault::ExtraKey {
            block: Some("output".into()),
            key: "zz_added".into(),
            value: "1.5".into(),
        }
        .times(1)
        .on_tr_id("FHKST01010100"),
    );
    let r = price(&kis).await.expect("reply");
    assert_eq!((r.str("/rt_cd"), r.str("/output/zz_added")), ("0", "1.5"));
    assert_ne!(
        r.str("/output/stck_prpr"),
        "",
        "the rest of the answer stays"
    );
    assert_eq!(into_block.hits(), 1);
    assert_eq!(
        price(&kis).await.expect("reply").str("/output/zz_added"),
        ""
    );
    kis.control().inject(
        Fault::ExtraKey {
            block: None,
            key: "zz_top".into(),
            value: "Y".into(),
        }
        .on_tr_id("TTTC0012U"),
    );
    assert_eq!(buy(&kis).await.expect("reply").str("/zz_top"), "Y");
    // an error answer is left as KIS sends it
    kis.control()
        .inject(Fault::RateLimit.times(1).on_tr_id("TTTC0012U"));
    let refused = buy(&kis).await.expect("reply");
    assert_eq!(
        (refused.str("/msg_cd"), refused.str("/zz_top")),
        ("EGW00201", "")
    );
}
