//! Pagination: `tr_cont` M…D, continuation keys padded like KIS, rows in order across pages,
//! stale keys refused, keys inside an object block (fixture catalog).

use std::path::Path;

use crate::common::{Kis, set, tr_of, well_formed};
use kis_mock::MockConfig;
use serde_json::Value;

/// Pages through an endpoint whose continuation keys are body fields; returns every row of
/// `block` and the `tr_cont` sequence.
async fn walk(kis: &Kis, qualified: &str, block: &str) -> (Vec<Value>, Vec<String>) {
    let ep = kis.endpoint(qualified);
    let tr = tr_of(&ep, false).expect("tr");
    let pg = ep.pagination.clone().expect("paginated");
    let mut inputs = well_formed(&ep, None);
    let mut rows = Vec::new();
    let mut conts = Vec::new();
    let mut tr_cont = String::new();
    for _ in 0..20 {
        let r = kis.call(&ep, &tr, &tr_cont, &inputs).await.expect("reply");
        assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
        rows.extend(r.json[block].as_array().cloned().unwrap_or_default());
        let cont = r.header("tr_cont").unwrap_or("").to_string();
        conts.push(cont.clone());
        if cont != "M" && cont != "F" {
            break;
        }
        for key in &pg.keys {
            let v = r
                .json
                .pointer(&format!("/{}", key.response.dotted().replace('.', "/")));
            let v = v
                .and_then(Value::as_str)
                .expect("continuation key in the body");
            set(&mut inputs, &key.request, v);
        }
        tr_cont = "N".into();
    }
    (rows, conts)
}

#[tokio::test]
async fn body_keys_page_through_all_pages_in_order() {
    let kis = Kis::start(MockConfig::default().with_pages(3, 4)).await;
    let (rows, conts) = walk(&kis, "domestic_stock.inquire_daily_ccld", "output1").await;
    assert_eq!(conts, vec!["M", "M", "D"]);
    assert_eq!(rows.len(), 12);
    let dates: Vec<&str> = rows
        .iter()
        .map(|r| r["ord_dt"].as_str().unwrap_or(""))
        .collect();
    for w in dates.windows(2) {
        assert!(w[0] > w[1], "dates descend across pages: {dates:?}");
    }
    // the server saw "", N, N with the keys copied
    let stats = kis.control().stats();
    let seq: Vec<_> = stats
        .sequence
        .iter()
        .filter(|r| r.tr_id == "TTTC0081R")
        .collect();
    assert_eq!(seq.len(), 3);
    assert_eq!(seq[0].tr_cont, "");
    assert_eq!(seq[1].tr_cont, "N");
    assert!(seq[0].keys.iter().all(|(_, v)| v.is_empty()));
    assert_eq!(seq[2].keys.len(), 2, "{:?}", seq[2].keys);
    assert!(seq[2].keys.iter().all(|(_, v)| !v.trim().is_empty()));
    assert_eq!(stats.count("TTTC0081R"), 3);
}

#[tokio::test]
async fn keys_are_padded_and_stale_keys_are_refused() {
    let kis = Kis::start(MockConfig::default().with_pages(3, 2)).await;
    let ep = kis.endpoint("domestic_stock.inquire_balance");
    let inputs = well_formed(&ep, None);
    let r = kis
        .call(&ep, "TTTC8434R", "", &inputs)
        .await
        .expect("reply");
    assert_eq!(r.header("tr_cont"), Some("M"));
    let fk = r.str("/ctx_area_fk100").to_string();
    let nk = r.str("/ctx_area_nk100").to_string();
    assert_eq!(fk.chars().count(), 100, "padded to the documented size");
    assert!(fk.ends_with(' ') && !fk.trim().is_empty());
    assert_eq!(nk.chars().count(), 100);
    // the keys without tr_cont N: the first page again
    let mut next = inputs.clone();
    set(&mut next, "CTX_AREA_FK100", &fk);
    set(&mut next, "CTX_AREA_NK100", &nk);
    let again = kis.call(&ep, "TTTC8434R", "", &next).await.expect("reply");
    assert_eq!(again.raw, r.raw, "no tr_cont: first page");
    let page2 = kis.call(&ep, "TTTC8434R", "N", &next).await.expect("reply");
    assert_eq!(page2.str("/rt_cd"), "0");
    assert_ne!(
        page2.json["output1"], r.json["output1"],
        "rows differ per page"
    );
    // garbage keys
    let mut bad = inputs.clone();
    set(&mut bad, "CTX_AREA_FK100", "garbage");
    set(&mut bad, "CTX_AREA_NK100", "garbage");
    let r = kis.call(&ep, "TTTC8434R", "N", &bad).await.expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
        (500, "2", "OPSQ2001")
    );
    // N without keys asks from the start (KIS positions by the keys): the first page
    let r = kis
        .call(&ep, "TTTC8434R", "N", &inputs)
        .await
        .expect("reply");
    assert_eq!(
        r.json["output1"], again.json["output1"],
        "N without keys: first page"
    );
    assert_eq!(r.header("tr_cont"), Some("M"));
    // keys of another query (other inputs)
    let mut other = next.clone();
    set(&mut other, "INQR_DVSN", "02");
    let r = kis
        .call(&ep, "TTTC8434R", "N", &other)
        .await
        .expect("reply");
    assert_eq!(
        r.str("/msg_cd"),
        "OPSQ2001",
        "keys belong to the query they came from"
    );
}

const FIXTURE: &str = r#"id: fixture_chart
name: 픽스처 분봉
kind: rest
method: GET
path: /uapi/overseas-futureoption/v1/quotations/fixture-chart
tr_id:
  real: HHDFC99999999
demo: false
table_rows:
  - "[해외선물옵션]기본시세 / 픽스처"
request:
  - {name: SRS_CD, label: 종목코드, required: true, max_length: 32}
  - {name: QRY_CNT, label: 요청개수, required: true, max_length: 4}
  - {name: INDEX_KEY, label: 이전조회KEY, required: true, max_length: 30}
pagination:
  - {request: INDEX_KEY, response: output2.index_key}
response:
  blocks:
    - name: output2
      shape: object
      split: source
      note: "fixture"
      fields:
        - {name: ret_cnt, label: 자료개수}
        - {name: index_key, label: 이전조회KEY}
    - name: output1
      shape: array
      split: source
      note: "fixture"
      fields:
        - {name: data_date, label: 일자}
        - {name: open_price, label: 시가}
        - {name: high_price, label: 고가}
        - {name: low_price, label: 저가}
        - {name: last_price, label: 체결가격}
"#;

#[tokio::test]
async fn keys_inside_an_object_block_from_a_fixture_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/common.yaml");
    std::fs::copy(spec, dir.path().join("common.yaml")).expect("copy common.yaml");
    std::fs::create_dir(dir.path().join("overseas_futureoption")).expect("mkdir");
    std::fs::create_dir(dir.path().join("auth")).expect("mkdir");
    let auth = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/auth");
    for f in std::fs::read_dir(auth).expect("auth dir").flatten() {
        std::fs::copy(f.path(), dir.path().join("auth").join(f.file_name())).expect("copy");
    }
    std::fs::write(
        dir.path().join("overseas_futureoption/fixture_chart.yaml"),
        FIXTURE,
    )
    .expect("write");
    let kis = Kis::start(
        MockConfig::default()
            .with_pages(4, 3)
            .with_catalog_dir(dir.path()),
    )
    .await;
    assert_eq!(
        kis.server
            .catalog()
            .endpoints
            .iter()
            .filter(|e| e.kind == kis_catalog::model::EndpointKind::Rest)
            .count(),
        1
    );
    let (rows, conts) = walk(&kis, "overseas_futureoption.fixture_chart", "output1").await;
    assert_eq!(conts, vec!["M", "M", "M", "D"]);
    assert_eq!(rows.len(), 12);
    let mut prev = String::from("99999999");
    for r in &rows {
        let d = r["data_date"].as_str().unwrap_or("").to_string();
        assert!(d < prev, "descending");
        prev = d;
        let n = |k: &str| r[k].as_str().unwrap_or("").parse::<f64>().expect(k);
        assert!(n("low_price") <= n("open_price") && n("open_price") <= n("high_price"));
        assert!(n("low_price") <= n("last_price") && n("last_price") <= n("high_price"));
        assert!(
            r["last_price"].as_str().unwrap_or("").contains('.'),
            "overseas prices are decimals"
        );
    }
    // a catalog dir that does not validate is an error, not a panic
    std::fs::write(
        dir.path().join("overseas_futureoption/broken.yaml"),
        "id: [",
    )
    .expect("write");
    let err = kis_mock::MockServer::start(MockConfig::default().with_catalog_dir(dir.path())).await;
    assert!(err.is_err());
}
