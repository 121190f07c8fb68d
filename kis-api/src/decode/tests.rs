//! The JSON entry points on a hand-written body: unknown keys, unreadable values, sentinels and
//! object blocks that arrive as arrays.

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::de::MapAccess;

use super::*;
use crate::meta::{AccountKind, BlockMeta, EndpointKind, EndpointMeta, Method, Shape, ValueType};

static ROW_FIELDS: &[FieldMeta] = &[
    FieldMeta::new("stck_prpr", "현재가", ValueType::Price),
    FieldMeta::new("stck_bsop_date", "영업일자", ValueType::Date),
    FieldMeta::new("stck_cntg_hour", "체결시간", ValueType::Time),
    FieldMeta::new("evlu_amt", "평가금액", ValueType::Amount).redacted(),
    FieldMeta::new("hts_kor_isnm", "종목명", ValueType::Text),
];

static BODY_FIELDS: &[FieldMeta] = &[FieldMeta::new("tot_cnt", "건수", ValueType::Integer)];

static BLOCKS: &[BlockMeta] = &[
    BlockMeta {
        wire: "output1",
        aliases: &[],
        shape: Shape::Object,
        fields: ROW_FIELDS,
    },
    BlockMeta {
        wire: "output2",
        aliases: &[],
        shape: Shape::Array,
        fields: ROW_FIELDS,
    },
];

static META: EndpointMeta = EndpointMeta {
    id: "test.decode",
    group: "test",
    name: "시험",
    api_code: None,
    kind: EndpointKind::Rest,
    method: Some(Method::Get),
    path: "/test",
    variants: &[],
    selector: None,
    demo: true,
    mutates: false,
    account: AccountKind::None,
    request: &[],
    pagination: &[],
    body: BODY_FIELDS,
    blocks: BLOCKS,
    columns: &[],
    encrypted: false,
    tr_key: None,
    source: "test",
    catalog: &crate::CATALOG,
};

#[derive(Default)]
struct Row {
    stck_prpr: Option<Decimal>,
    stck_bsop_date: Option<NaiveDate>,
    stck_cntg_hour: Option<NaiveTime>,
    evlu_amt: Option<Decimal>,
    hts_kor_isnm: String,
}

impl Record for Row {
    const FIELDS: &'static [FieldMeta] = ROW_FIELDS;
    fn field(&self, index: usize) -> Option<FieldRef<'_>> {
        Some(match index {
            0 => FieldRef::Decimal(&self.stck_prpr),
            1 => FieldRef::Date(&self.stck_bsop_date),
            2 => FieldRef::Time(&self.stck_cntg_hour),
            3 => FieldRef::Decimal(&self.evlu_amt),
            4 => FieldRef::Text(&self.hts_kor_isnm),
            _ => return None,
        })
    }
    fn field_mut(&mut self, index: usize) -> Option<FieldMut<'_>> {
        Some(match index {
            0 => FieldMut::Decimal(&mut self.stck_prpr),
            1 => FieldMut::Date(&mut self.stck_bsop_date),
            2 => FieldMut::Time(&mut self.stck_cntg_hour),
            3 => FieldMut::Decimal(&mut self.evlu_amt),
            4 => FieldMut::Text(&mut self.hts_kor_isnm),
            _ => return None,
        })
    }
}

// what generated records do: the traits through the runtime's field views
impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_record(self, "Row", f)
    }
}

impl Clone for Row {
    fn clone(&self) -> Self {
        clone_record(self)
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        records_eq(self, other)
    }
}

#[derive(Debug, Default)]
struct Response {
    output1: Option<Row>,
    output2: Vec<Row>,
    tot_cnt: Option<i64>,
}

impl Body for Response {
    fn entry<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        cx: &DecodeCx<'_>,
    ) -> Result<bool, A::Error> {
        match key {
            "output1" => self.output1 = one::<_, Row>(map, cx, "output1")?,
            "output2" => self.output2 = many::<_, Row>(map, cx, "output2")?,
            "tot_cnt" => self.tot_cnt = field(map, cx, "tot_cnt", integer)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Decodes `json` and returns the body with what the catalog does not account for.
fn decode(json: &str) -> Result<(Response, Vec<Unrecognized>), DecodeError> {
    let cx = DecodeCx::new("TESTTR01", &META);
    let (_, body) = decode_body::<Response>(json.as_bytes(), &cx)?;
    Ok((body, cx.into_unrecognized()))
}

#[test]
fn a_clean_body_reports_nothing() {
    let (body, found) = decode(
        r#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok","tot_cnt":"2",
            "output1":{"stck_prpr":"71900","stck_bsop_date":"20240102","hts_kor_isnm":"삼성전자"},
            "output2":[{"stck_prpr":"1"},{"stck_prpr":"2"}]}"#,
    )
    .unwrap();
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(body.tot_cnt, Some(2));
    assert_eq!(body.output2.len(), 2);
    assert_eq!(
        body.output1.map(|o| o.stck_prpr),
        Some(Some(Decimal::from(71900)))
    );
}

#[test]
fn an_array_for_an_object_block_keeps_its_one_record_or_fails() {
    // one record, possibly followed by empty ones: it is the object
    let (body, found) =
        decode(r#"{"output1":[{"stck_prpr":"71900"},{},null,""],"rt_cd":"0"}"#).unwrap();
    assert!(found.is_empty());
    assert_eq!(
        body.output1.map(|o| o.stck_prpr),
        Some(Some(Decimal::from(71900)))
    );
    // two records: the object shape cannot hold them, and neither is dropped silently
    let e = decode(r#"{"output1":[{"stck_prpr":"1"},{"stck_prpr":"2"}],"rt_cd":"0"}"#).unwrap_err();
    assert_eq!(e.tr_id, "TESTTR01");
    assert_eq!(e.field, "output1");
    assert!(e.reason.contains("array of 2 records"), "{e}");
    assert!(e.to_string().contains("TESTTR01"), "{e}");
    // an array block takes a single object as one row
    let (body, _) = decode(r#"{"output2":{"stck_prpr":"5"}}"#).unwrap();
    assert_eq!(body.output2.len(), 1);
}

#[test]
fn unknown_keys_are_kept_with_block_row_and_value() {
    let (body, found) = decode(
        r#"{"rt_cd":"0","new_top":"x","output3":[{"a":"1"}],
            "output1":{"stck_prpr":"100","new_field":"7"},
            "output2":[{"stck_prpr":"1"},{"stck_prpr":"2","added":{"deep":[1,2]}}]}"#,
    )
    .unwrap();
    // the known values are still read
    assert_eq!(body.output2[1].stck_prpr, Some(Decimal::from(2)));
    let paths: Vec<String> = found.iter().map(Unrecognized::path).collect();
    assert_eq!(
        paths,
        [
            "new_top",
            "output3",
            "output1.new_field",
            "output2[1].added"
        ]
    );
    assert!(found.iter().all(Unrecognized::is_unknown_key));
    assert!(found.iter().all(|u| u.endpoint == "test.decode"));
    assert_eq!(found[1].value(), Some(&serde_json::json!([{"a": "1"}])));
    assert_eq!(found[2].value(), Some(&serde_json::json!("7")));
    assert_eq!(found[2].block, Some("output1"));
    assert_eq!(found[3].row, Some(1));
    assert_eq!(found[3].value(), Some(&serde_json::json!({"deep": [1, 2]})));
    // Debug and Display name the place, never the value
    let shown = format!("{:?} {}", found[2], found[2]);
    assert!(
        shown.contains("new_field") && !shown.contains("\"7\""),
        "{shown}"
    );
}

#[test]
fn sentinels_are_none_and_nothing_is_reported() {
    let (body, found) = decode(
        r#"{"output2":[
            {"stck_bsop_date":"0","stck_cntg_hour":"999999"},
            {"stck_bsop_date":"00000000","stck_cntg_hour":"888888"},
            {"stck_bsop_date":" 20240102 ","stck_prpr":"  71900 "}]}"#,
    )
    .unwrap();
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(body.output2[0].stck_bsop_date, None);
    assert_eq!(body.output2[0].stck_cntg_hour, None);
    assert_eq!(body.output2[1].stck_cntg_hour, None);
    assert_eq!(
        body.output2[2].stck_bsop_date,
        NaiveDate::from_ymd_opt(2024, 1, 2)
    );
    assert_eq!(body.output2[2].stck_prpr, Some(Decimal::from(71900)));
    // the table is per type: a time sentinel is no "no value" for a price
    assert!(crate::CATALOG.is_sentinel(ValueType::Time, " 999999 "));
    assert!(!crate::CATALOG.is_sentinel(ValueType::Price, "999999"));
    assert_eq!(price("999999").unwrap(), Some(Decimal::from(999_999)));
    // a value reader alone knows no sentinel: the endpoint's catalog decides
    assert!(time("999999").is_err());
    assert!(date("1").is_err());
}

#[test]
fn an_unreadable_value_keeps_its_raw_text_and_the_rest_of_the_response() {
    let (body, found) = decode(
        r#"{"tot_cnt":"many","output1":{"stck_prpr":"12,000","hts_kor_isnm":"삼성전자",
            "evlu_amt":"1,234,567","stck_bsop_date":"2024-13-45"},
            "output2":[{"stck_prpr":{"odd":1}},{"stck_prpr":"3"}]}"#,
    )
    .unwrap();
    let o = body.output1.unwrap();
    assert_eq!(o.stck_prpr, None);
    assert_eq!(o.hts_kor_isnm, "삼성전자");
    assert_eq!(body.tot_cnt, None);
    assert_eq!(body.output2[1].stck_prpr, Some(Decimal::from(3)));
    let seen: Vec<(String, UnrecognizedKind, Option<&serde_json::Value>)> = found
        .iter()
        .map(|u| (u.path(), u.kind, u.value()))
        .collect();
    let raw = |s: &str| serde_json::Value::String(s.to_string());
    assert_eq!(
        seen,
        [
            (
                "tot_cnt".to_string(),
                UnrecognizedKind::Unreadable(ValueType::Integer),
                Some(&raw("many"))
            ),
            (
                "output1.stck_prpr".to_string(),
                UnrecognizedKind::Unreadable(ValueType::Price),
                Some(&raw("12,000"))
            ),
            // personal data: reported without its value
            (
                "output1.evlu_amt".to_string(),
                UnrecognizedKind::Unreadable(ValueType::Amount),
                None
            ),
            (
                "output1.stck_bsop_date".to_string(),
                UnrecognizedKind::Unreadable(ValueType::Date),
                Some(&raw("2024-13-45"))
            ),
            // an object where a price belongs: kept as its JSON text
            (
                "output2[0].stck_prpr".to_string(),
                UnrecognizedKind::Unreadable(ValueType::Price),
                Some(&raw(r#"{"odd":1}"#))
            ),
        ]
    );
    assert!(found.iter().all(|u| !u.is_unknown_key()));
    let shown = found[2].to_string();
    assert!(!shown.contains("1,234,567"), "{shown}");
}

#[test]
fn a_body_that_is_not_json_is_still_an_error() {
    let e = decode("<html>gateway</html>").unwrap_err();
    assert_eq!(e.tr_id, "TESTTR01");
    assert!(e.reason.contains("not a KIS JSON body"), "{e}");
    assert!(decode(r#"{"output2":"unexpected"}"#).is_err());
}

#[test]
fn each_new_key_is_logged_once_per_process() {
    // keys no other test uses: the set of warned keys is process-wide
    let json = r#"{"logged_once_top":"1","output1":{"logged_once_in_block":"2","stck_prpr":"x"}}"#;
    let capture = crate::test_log::Capture::start();
    let (_, found) = decode(json).unwrap();
    let first = warn_new(&found);
    let (_, found) = decode(json).unwrap();
    let second = warn_new(&found);
    assert_eq!(first, 3);
    assert_eq!(second, 0);
    assert_eq!(capture.count(tracing::Level::WARN), 3);
}

#[test]
fn a_json_body_gets_the_same_account_as_the_typed_decode() {
    let json = r#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok","tot_cnt":"many","extra":1,
        "OUTPUT1":{"stck_prpr":"12,000","Stck_Bsop_Date":"0","new_field":"7","evlu_amt":"x"},
        "output2":[{"stck_prpr":"1"},{"stck_cntg_hour":"999999","added":[1]}]}"#;
    let (_, typed) = decode(json).unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let checked = unrecognized_in(&META, &value);
    let key = |u: &Unrecognized| (u.path(), u.kind, u.value().cloned());
    let mut typed: Vec<_> = typed.iter().map(key).collect();
    let mut checked: Vec<_> = checked.iter().map(key).collect();
    typed.sort_by(|a, b| a.0.cmp(&b.0));
    checked.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(typed, checked);
    assert_eq!(typed.len(), 6, "{typed:?}");
    // a sentinel is not readable as a time: the endpoint's catalog makes it "no value"
    assert!(readable(ValueType::Time, "888888").is_err());
    assert!(crate::CATALOG.is_sentinel(ValueType::Time, "888888"));
    assert!(readable(ValueType::Quantity, "1.5").is_err());
}

fn sample_row() -> Row {
    let mut row = Row::default();
    for (i, raw) in ["71900", "20261130", "153000", "1234500", "삼성전자"]
        .into_iter()
        .enumerate()
    {
        row.set(i, raw).unwrap();
    }
    row
}

#[test]
fn set_stores_each_field_and_names_its_catalog_type_on_error() {
    let row = sample_row();
    assert_eq!(row.stck_prpr, Some(Decimal::from(71900)));
    assert_eq!(row.stck_bsop_date, NaiveDate::from_ymd_opt(2026, 11, 30));
    assert_eq!(row.stck_cntg_hour, NaiveTime::from_hms_opt(15, 30, 0));
    assert_eq!(row.evlu_amt, Some(Decimal::from(1234500)));
    assert_eq!(row.hts_kor_isnm, "삼성전자");
    // both decimals, but the error names the field's own type
    let mut row = Row::default();
    assert_eq!(row.set(0, "x").unwrap_err().expected, ValueType::Price);
    assert_eq!(row.set(3, "x").unwrap_err().expected, ValueType::Amount);
    // past the last field: nothing to store
    assert_eq!(row.set(5, "x"), Ok(()));
    assert!(row.field(5).is_none() && row.field_mut(5).is_none());
}

#[test]
fn debug_prints_wire_names_and_hides_personal_fields() {
    let text = format!("{:?}", sample_row());
    assert_eq!(
        text,
        "Row { stck_prpr: Some(71900), stck_bsop_date: Some(2026-11-30), \
         stck_cntg_hour: Some(15:30:00), evlu_amt: ***, hts_kor_isnm: \"삼성전자\" }"
    );
    assert!(!text.contains("1234500"));
}

#[test]
fn clone_copies_every_field_and_eq_compares_each() {
    let row = sample_row();
    let copy = row.clone();
    assert!(copy == row);
    for i in 0..ROW_FIELDS.len() {
        let mut changed = row.clone();
        match changed.field_mut(i).unwrap() {
            FieldMut::Text(s) => s.push('!'),
            FieldMut::Decimal(v) => *v = None,
            FieldMut::Date(v) => *v = None,
            FieldMut::Time(v) => *v = None,
            other => panic!("Row has no {other:?} field"),
        }
        assert!(changed != row, "field {i} is compared");
    }
}
