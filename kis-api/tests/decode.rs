//! Decoding server responses into the generated types: the shapes KIS really sends, the ones it
//! sends by mistake, keys the catalog does not know and values that cannot be read, which are
//! reported naming the endpoint, block and field, and never dropped silently.

#![cfg(feature = "domestic-stock")]

use kis_api::Decimal;
use kis_api::decode::{DecodeCx, Unrecognized, UnrecognizedKind, decode_body};
use kis_api::domestic_stock::{inquire_daily_itemchartprice as chart, inquire_price};
use kis_api::runtime::Endpoint;

fn decode<E: Endpoint>(body: &str) -> Result<E::Response, kis_api::decode::DecodeError> {
    decode_reporting::<E>(body).map(|(r, _)| r)
}

/// The body and what the catalog does not account for.
fn decode_reporting<E: Endpoint>(
    body: &str,
) -> Result<(E::Response, Vec<Unrecognized>), kis_api::decode::DecodeError> {
    let cx = DecodeCx::new("FHKST03010100", E::META);
    let (_, r) = decode_body::<E::Response>(body.as_bytes(), &cx)?;
    Ok((r, cx.into_unrecognized()))
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
    let (r, found) = decode_reporting::<chart::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<String> = found.iter().map(Unrecognized::path).collect();
    assert_eq!(paths, ["output2[1].unknown_new_field"]);
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
    // an object block sent as an array of one record is that record; an empty string is no data
    let body = format!(r#"{{"output":[{{"stck_prpr":"71900"}},{{}}],{OK}}}"#);
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
fn an_object_block_sent_as_several_records_fails_naming_the_tr_and_block() {
    let body = format!(r#"{{"output":[{{"stck_prpr":"71900"}},{{"stck_prpr":"1"}}],{OK}}}"#);
    let e = decode::<inquire_price::Request>(&body)
        .err()
        .unwrap_or_else(|| panic!("decoded, dropping a record"));
    assert_eq!(e.tr_id, "FHKST03010100");
    assert_eq!(e.field, "output");
    assert!(e.reason.contains("array of 2 records"), "{e}");
}

#[test]
fn an_unreadable_value_is_reported_with_the_row_field_and_raw_text() {
    let body = format!(
        r#"{{"output2":[{{"stck_clpr":"71600"}},{{"stck_clpr":"71,700","stck_oprc":"71800"}},
            {{"stck_clpr":["1"]}},{{"stck_clpr":{{"a":1}}}}],{OK}}}"#
    );
    let (r, found) = decode_reporting::<chart::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
    // the rest of the response is read; the unreadable field is empty
    assert_eq!(r.output2.len(), 4);
    assert_eq!(r.output2[1].stck_clpr, None);
    assert_eq!(r.output2[1].stck_oprc, Some(Decimal::new(71800, 0)));
    let seen: Vec<(String, Option<String>)> = found
        .iter()
        .map(|u| {
            assert!(matches!(u.kind, UnrecognizedKind::Unreadable(_)), "{u}");
            assert_eq!(u.endpoint, chart::Request::META.id);
            (
                u.path(),
                u.value().and_then(|v| v.as_str()).map(String::from),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "output2[1].stck_clpr".to_string(),
                Some("71,700".to_string())
            ),
            (
                "output2[2].stck_clpr".to_string(),
                Some(r#"["1"]"#.to_string())
            ),
            (
                "output2[3].stck_clpr".to_string(),
                Some(r#"{"a":1}"#.to_string())
            ),
        ]
    );
    let text = found[0].to_string();
    assert!(text.contains("output2[1].stck_clpr"), "{text}");
}

#[test]
fn broken_json_and_wrong_shapes_are_errors_not_panics() {
    for body in [
        "",
        "{",
        "[]",
        "null",
        r#"{"output2":[{"stck_clpr":"1"}"#,
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

#[test]
fn codes_of_a_known_set_read_into_enums_and_unknown_ones_are_kept() {
    use kis_api::codes::ChangeSign;

    // a member, a code KIS may add later (kept as Other, not an error), a blank (None)
    for (raw, want) in [
        ("2", Some(ChangeSign::Rise)),
        (" 5 ", Some(ChangeSign::Fall)),
        ("9", Some(ChangeSign::Other("9".into()))),
        ("", None),
    ] {
        let body = format!(r#"{{"output":{{"prdy_vrss_sign":"{raw}","stck_prpr":"71900"}},{OK}}}"#);
        let (r, found) =
            decode_reporting::<inquire_price::Request>(&body).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            found.is_empty(),
            "{raw:?}: an unknown code is no problem: {found:?}"
        );
        let out = r.output.unwrap_or_else(|| panic!("output"));
        assert_eq!(out.prdy_vrss_sign, want, "{raw:?}");
        // the other fields are untouched by the enum field
        assert_eq!(out.stck_prpr, Some(Decimal::new(71900, 0)));
        // the copy and the comparison of the record see the enum field
        let copy = out.clone();
        assert_eq!(copy, out);
        assert_eq!(copy.prdy_vrss_sign, want);
    }
}
