//! `Serialize` (feature `serde`): a decoded response and a realtime record written as JSON keep
//! every value: wire names as keys, decimals as exact strings, dates and times as ISO 8601,
//! empty values as null, personal data as `***`.

#![cfg(all(feature = "serde", feature = "domestic-stock"))]

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use kis_api::Decimal;
use kis_api::decode::{DecodeCx, FieldRef, Record, decode_body};
use kis_api::domestic_stock::inquire_daily_itemchartprice as chart;
use kis_api::meta::FieldMeta;
use kis_api::runtime::Endpoint;
use serde_json::Value;

/// A daily chart answer as KIS sends it (all strings, a signed change, a blank rate, an
/// empty trailing row).
const CHART: &str = r#"{
  "output1": {"prdy_vrss": "-700", "prdy_vrss_sign": "5", "prdy_ctrt": "-0.97", "stck_prdy_clpr": "72300",
    "acml_vol": "10421932", "acml_tr_pbmn": "745812394500", "hts_kor_isnm": "삼성전자", "stck_prpr": "71600",
    "stck_shrn_iscd": "005930", "prdy_vol": "11230000", "per": "13.45", "eps": "5321.00", "pbr": " ",
    "vol_tnrt": "0.17", "lstn_stcn": "5969782550", "hts_avls": "4274364"},
  "output2": [
    {"stck_bsop_date": "20240105", "stck_clpr": "71600", "stck_oprc": "+71800.50", "stck_hgpr": "72100",
     "stck_lwpr": "71300", "acml_vol": "10421932", "acml_tr_pbmn": "745812394500", "flng_cls_code": "00",
     "prtt_rate": "0.00", "mod_yn": "N", "prdy_vrss_sign": "5", "prdy_vrss": "-700", "revl_issu_reas": ""},
    {"stck_bsop_date": "20240104", "stck_clpr": "72300", "stck_oprc": "72100", "stck_hgpr": "72800",
     "stck_lwpr": "71500", "acml_vol": "9300000", "acml_tr_pbmn": "671000000000", "flng_cls_code": "00",
     "prtt_rate": "", "mod_yn": "Y", "prdy_vrss_sign": "2", "prdy_vrss": "300", "revl_issu_reas": ""}
  ],
  "rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."
}"#;

/// Asserts that `json` (one serialized record) holds exactly the values of `view`, field by
/// field, under the wire names of `fields`, in their order.
fn assert_same_values<'r>(
    fields: &[FieldMeta],
    view: impl Fn(usize) -> Option<FieldRef<'r>>,
    json: &Value,
) {
    let Value::Object(map) = json else {
        panic!("a record serializes as an object: {json}");
    };
    // (serde_json's map sorts its keys: the written order is checked on the text)
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let mut wires: Vec<&str> = fields.iter().map(|f| f.wire).collect();
    wires.sort_unstable();
    assert_eq!(keys, wires, "every field, under its wire name");
    for (i, meta) in fields.iter().enumerate() {
        let got = &map[meta.wire];
        if meta.redacted {
            assert_eq!(got, "***", "{}", meta.wire);
            continue;
        }
        let text = got.as_str();
        let ok = match view(i).unwrap_or_else(|| panic!("no field {i}")) {
            FieldRef::Text(v) => text == Some(v),
            FieldRef::Decimal(v) => {
                v.map(|d| d.to_string()).as_deref() == text
                    && text.map(|t| Decimal::from_str(t).ok()) == v.map(Some)
            }
            FieldRef::Integer(v) => got.as_i64() == *v && (v.is_some() || got.is_null()),
            FieldRef::Date(v) => {
                text.map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()) == v.map(Some)
            }
            FieldRef::Time(v) => {
                text.map(|t| NaiveTime::parse_from_str(t, "%H:%M:%S%.f").ok()) == v.map(Some)
            }
            FieldRef::DateTime(v) => {
                text.map(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok())
                    == v.map(Some)
            }
            FieldRef::YesNo(v) => got.as_bool() == *v && (v.is_some() || got.is_null()),
            FieldRef::Code(v) => text == v.code() && (v.code().is_some() || got.is_null()),
        };
        assert!(ok, "{}: {:?} serialized as {got}", meta.wire, view(i));
    }
}

#[test]
fn a_decoded_response_round_trips_through_json() {
    let cx = DecodeCx::new("FHKST03010100", <chart::Request as Endpoint>::META);
    let (_, r) =
        decode_body::<chart::Response>(CHART.as_bytes(), &cx).unwrap_or_else(|e| panic!("{e}"));
    let text = serde_json::to_string(&r).expect("serialize");
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    // keys are written in catalog order
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap_or(usize::MAX);
    let order: Vec<usize> = chart::Output1::FIELDS.iter().map(|f| at(f.wire)).collect();
    assert!(
        order.is_sorted() && order[order.len() - 1] < usize::MAX,
        "{text}"
    );

    // the response: its blocks under their wire names
    let Value::Object(top) = &json else {
        panic!("{json}")
    };
    assert_eq!(top.keys().collect::<Vec<_>>(), ["output1", "output2"]);
    let summary = r.output1.as_ref().expect("output1");
    assert_same_values(
        chart::Output1::FIELDS,
        |i| summary.field(i),
        &json["output1"],
    );
    let rows = json["output2"].as_array().expect("output2 is a list");
    assert_eq!(rows.len(), r.output2.len());
    assert_eq!(rows.len(), 2);
    for (row, rec) in rows.iter().zip(&r.output2) {
        assert_same_values(chart::Output2::FIELDS, |i| rec.field(i), row);
    }

    // the values a reader relies on, spelled out
    assert_eq!(json["output1"]["hts_kor_isnm"], "삼성전자");
    assert_eq!(
        json["output1"]["stck_prpr"], "71600",
        "decimals are exact strings"
    );
    assert_eq!(json["output1"]["prdy_ctrt"], "-0.97");
    assert_eq!(json["output1"]["pbr"], Value::Null, "a blank value is null");
    assert_eq!(
        json["output1"]["acml_vol"], 10421932,
        "quantities are numbers"
    );
    assert_eq!(json["output2"][0]["stck_bsop_date"], "2024-01-05");
    assert_eq!(
        json["output2"][0]["stck_oprc"], "71800.50",
        "the scale is kept"
    );
    assert_eq!(json["output2"][0]["mod_yn"], false);
    assert_eq!(json["output2"][1]["prtt_rate"], Value::Null);

    // and the JSON reads back into the same decimals
    let back = Decimal::from_str(json["output2"][0]["stck_oprc"].as_str().unwrap_or(""));
    assert_eq!(back.ok(), r.output2[0].stck_oprc);
}

#[test]
fn an_empty_object_block_is_null() {
    let body =
        r#"{"output1": "", "output2": [], "rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok"}"#;
    let cx = DecodeCx::new("FHKST03010100", <chart::Request as Endpoint>::META);
    let (_, r) =
        decode_body::<chart::Response>(body.as_bytes(), &cx).unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&r).expect("serialize");
    assert_eq!(json, serde_json::json!({"output1": null, "output2": []}));
}

#[cfg(feature = "realtime")]
#[test]
fn a_realtime_record_round_trips_through_json() {
    use kis_api::decode::{RealtimeRecord, realtime_records};
    use kis_api::domestic_stock::ccnl_krx;
    use kis_api::meta::ValueType;

    let columns = ccnl_krx::Record::COLUMNS;
    // one record: every column given a value of its type (a blank one for the last)
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.ty {
            _ if i + 1 == columns.len() => String::new(),
            ValueType::Time => "093015".into(),
            ValueType::Date => "20240105".into(),
            ValueType::YesNo => "Y".into(),
            ValueType::Quantity | ValueType::Integer => format!("{}", 1000 + i),
            t if t.is_textual() => format!("t{i}"),
            _ => format!("{}.5", 1000 + i),
        })
        .collect();
    let payload = values.join("^");
    let mut records = realtime_records::<ccnl_krx::Record<'_>>(&payload, 1, &kis_api::CATALOG);
    let record = records
        .next()
        .expect("one record")
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&record).expect("serialize");
    assert_eq!(json["MKSC_SHRN_ISCD"], "t0");
    assert_eq!(json["STCK_CNTG_HOUR"], "09:30:15");
    assert_eq!(json[columns[columns.len() - 1].wire], Value::Null);
    let Value::Object(map) = &json else {
        panic!("{json}")
    };
    assert_eq!(map.len(), columns.len(), "every column");
    for (c, raw) in columns.iter().zip(&values) {
        let v = &map[c.wire];
        let ok = match c.ty {
            _ if c.redacted => v == "***",
            _ if raw.is_empty() => v.is_null() || v == "",
            ValueType::Quantity | ValueType::Integer => {
                v.as_i64().map(|n| n.to_string()).as_deref() == Some(raw.as_str())
            }
            ValueType::YesNo => v == true,
            ValueType::Time => v == "09:30:15",
            ValueType::Date => v == "2024-01-05",
            t if t.is_textual() => v == raw.as_str(),
            _ => v.as_str().and_then(|s| Decimal::from_str(s).ok()) == Decimal::from_str(raw).ok(),
        };
        assert!(ok, "{}: {raw:?} serialized as {v}", c.wire);
    }
}

#[test]
fn a_code_enum_field_serializes_as_its_code() {
    use kis_api::domestic_stock::inquire_price;
    let body = r#"{"output":{"prdy_vrss_sign":"9","stck_prpr":"71900"},"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok"}"#;
    let cx = DecodeCx::new("FHKST01010100", <inquire_price::Request as Endpoint>::META);
    let (_, r) = decode_body::<inquire_price::Response>(body.as_bytes(), &cx)
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&r).expect("serialize");
    assert_eq!(
        json["output"]["prdy_vrss_sign"], "9",
        "an unknown code as sent"
    );
    assert_eq!(json["output"]["prdy_ctrt"], Value::Null);
}
