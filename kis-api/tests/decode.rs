//! Decoding server responses into the generated types: the shapes KIS really sends, the ones it
//! sends by mistake, and values that cannot be read, which become errors naming the TR and field.

#![cfg(feature = "domestic-stock")]

use kis_api::Decimal;
use kis_api::decode::{DecodeCx, decode_body};
use kis_api::domestic_stock::{inquire_daily_itemchartprice as chart, inquire_price};
use kis_api::runtime::Endpoint;

fn decode<E: Endpoint>(body: &str) -> Result<E::Response, kis_api::decode::DecodeError> {
    let cx = DecodeCx::new("FHKST03010100", E::META);
    decode_body::<E::Response>(body.as_bytes(), &cx).map(|(_, r)| r)
}

const OK: &str = r#""rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다.""#;

#[test]
fn keys_in_any_order_case_or_escaping_reach_their_fields() {
    let body = format!(
        r#"{{"output2":[
            {{"stck_bsop_date":"20240105","stck_clpr":"71600","stck_oprc":"+71800.50"}},
            {{"STCK_CLPR":"71700","stck_bsop_date":"20240104","unknown_new_field":"x"}},
            {{"stck_\u0063lpr":"71800","\u0073tck_bsop_date":"20240103"}},
            {{}}
        ],{OK}}}"#
    );
    let r = decode::<chart::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    let rows = &r.output2;
    assert_eq!(rows.len(), 3, "an empty record is no row");
    assert_eq!(rows[0].stck_clpr, Some(Decimal::new(71600, 0)));
    assert_eq!(rows[0].stck_oprc, Some(Decimal::new(7180050, 2)));
    assert_eq!(rows[1].stck_clpr, Some(Decimal::new(71700, 0)));
    assert_eq!(
        rows[1].stck_bsop_date,
        chrono::NaiveDate::from_ymd_opt(2024, 1, 4)
    );
    assert_eq!(rows[2].stck_clpr, Some(Decimal::new(71800, 0)));
    assert_eq!(
        rows[2].stck_bsop_date,
        chrono::NaiveDate::from_ymd_opt(2024, 1, 3)
    );
}

#[test]
fn numbers_blanks_nulls_and_misshapen_blocks_are_accepted() {
    // a JSON number, a padded value, null, and an array block sent as a single object
    let body = format!(
        r#"{{"output2":{{"stck_clpr":71600,"stck_oprc":" 71800 ","stck_hgpr":null,"stck_lwpr":""}},{OK}}}"#
    );
    let r = decode::<chart::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.output2.len(), 1);
    let row = &r.output2[0];
    assert_eq!(row.stck_clpr, Some(Decimal::new(71600, 0)));
    assert_eq!(row.stck_oprc, Some(Decimal::new(71800, 0)));
    assert_eq!(row.stck_hgpr, None);
    assert_eq!(row.stck_lwpr, None);
    // an object block sent as an array keeps its first record; an empty string is no data
    let body = format!(r#"{{"output":[{{"stck_prpr":"71900"}},{{"stck_prpr":"1"}}],{OK}}}"#);
    let q = decode::<inquire_price::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        q.output.and_then(|o| o.stck_prpr),
        Some(Decimal::new(71900, 0))
    );
    let body = format!(r#"{{"output":"",{OK}}}"#);
    let q = decode::<inquire_price::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    assert!(q.output.is_none());
}

#[test]
fn an_unreadable_value_names_the_tr_the_row_and_the_field() {
    let body = format!(r#"{{"output2":[{{"stck_clpr":"71600"}},{{"stck_clpr":"71,700"}}],{OK}}}"#);
    let e = decode::<chart::Request>(&body)
        .err()
        .unwrap_or_else(|| panic!("decoded"));
    assert_eq!(e.tr_id, "FHKST03010100");
    assert_eq!(e.field, "output2[1].stck_clpr");
    assert_eq!(e.raw.as_deref(), Some("71,700"));
    let text = e.to_string();
    assert!(
        text.contains("FHKST03010100") && text.contains("output2[1].stck_clpr"),
        "{text}"
    );
}

#[test]
fn broken_json_and_wrong_shapes_are_errors_not_panics() {
    for body in [
        "",
        "{",
        "[]",
        "null",
        r#"{"output2":[{"stck_clpr":"1"}"#,
        r#"{"output2":[{"stck_clpr":["1"]}],"rt_cd":"0"}"#,
        r#"{"output2":[{"stck_clpr":{"a":1}}],"rt_cd":"0"}"#,
        r#"{"output2":42,"rt_cd":"0"}"#,
        r#"{"output2":"not a block","rt_cd":"0"}"#,
        "{\"output2\":[{\"stck_clpr\":\"\u{1}\u{2}\"}]}",
    ] {
        assert!(
            decode::<chart::Request>(body).is_err(),
            "{body:?} decoded without an error"
        );
    }
}
