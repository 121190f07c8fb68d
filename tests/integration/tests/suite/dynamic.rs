//! Calls chosen at run time from metadata (what the `kis` command line does).

use futures_util::StreamExt;
use kis_api::{DynamicRequest, ENDPOINTS, Env, Error};
use kis_integration_tests::{client_for, mock_config, start_mock};
use kis_mock::Environment;

fn meta(id: &str) -> &'static kis_api::EndpointMeta {
    ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_calls_use_the_same_runtime() {
    let mock = start_mock(mock_config(Environment::Real).with_pages(3, 2)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());

    let quote = DynamicRequest::new(meta("domestic_stock.inquire_price"))
        .and_then(|r| r.set("fid_cond_mrkt_div_code", "J"))
        .and_then(|r| r.set("FID_INPUT_ISCD", "005930"))
        .expect("request");
    let reply = client.call_dynamic(&quote).await.expect("quote");
    assert!(reply.envelope.is_success());
    assert!(
        reply.body["output"]["stck_prpr"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );

    let missing = DynamicRequest::new(meta("domestic_stock.inquire_price")).expect("request");
    let names: Vec<&str> = missing.missing().iter().map(|f| f.wire).collect();
    assert_eq!(names, ["FID_COND_MRKT_DIV_CODE", "FID_INPUT_ISCD"]);
    let err = client
        .call_dynamic(&missing)
        .await
        .expect_err("missing input");
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("FID_COND_MRKT_DIV_CODE")),
        "{err}"
    );
    assert!(
        DynamicRequest::new(meta("domestic_stock.inquire_price"))
            .and_then(|r| r.set("NO_SUCH", "1"))
            .is_err()
    );

    let ccld = DynamicRequest::new(meta("domestic_stock.inquire_daily_ccld"))
        .and_then(|r| r.variant("within_3_months"))
        .and_then(|r| r.set("INQR_STRT_DT", "20240102"))
        .and_then(|r| r.set("INQR_END_DT", "20240131"))
        .and_then(|r| r.set("CCLD_DVSN", "00"))
        .and_then(|r| r.set("INQR_DVSN", "00"))
        .and_then(|r| r.set("INQR_DVSN_3", "00"))
        .expect("request");
    let pages: Vec<_> = client.call_dynamic_pages(ccld).collect().await;
    assert_eq!(pages.len(), 3);
    let rows: usize = pages
        .iter()
        .map(|p| {
            p.as_ref()
                .map(|r| r.body["output1"].as_array().map_or(0, Vec::len))
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(rows, 6);

    let buy = DynamicRequest::new(meta("domestic_stock.order_cash"))
        .and_then(|r| r.variant("buy"))
        .expect("variant");
    let buy = ["PDNO=005930", "ORD_DVSN=01", "ORD_QTY=1", "ORD_UNPR=0"]
        .iter()
        .try_fold(buy, |r, kv| {
            let (k, v) = kv.split_once('=').unwrap_or_default();
            r.set(k, v)
        });
    let reply = client
        .call_dynamic(&buy.expect("order"))
        .await
        .expect("order placed");
    assert_eq!(reply.tr_id, "TTTC0012U");
    assert_eq!(mock.control().orders().len(), 1);
    assert!(
        DynamicRequest::new(meta("domestic_stock.order_cash"))
            .and_then(|r| r.variant("hold"))
            .is_err()
    );
}
