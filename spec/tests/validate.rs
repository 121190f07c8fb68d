//! Every class of bad catalog input is rejected with the file, key path and line, never a panic.

use kis_catalog::{Diagnostics, SourceFile, load_from_sources};

const COMMON: &str = r#"
hosts:
  real: {rest: "https://real", websocket: "ws://real"}
  demo: {rest: "https://demo", websocket: "ws://demo"}
headers: []
rate_limits: {real_per_second: 20, demo_per_second: 2, token_issue_interval_seconds: 60, websocket_subscriptions: 40, client_real_per_second: 19, client_demo_per_second: 2, client_token_issue_interval_seconds: 61}
errors:
  - {code: EGW00201, meaning: rate, action: retry_query}
groups:
  - {id: domestic_stock, name: 국내주식, feature: domestic-stock, account: stock, doc: stocks}
  - {id: overseas_stock, name: 해외주식, feature: overseas-stock, account: stock, doc: overseas}
fills:
  - {field: CANO, from: account_number}
value_types:
  default: text
  rules:
    - {type: price, suffixes: [prpr]}
    - {type: yes_no, suffixes: [yn]}
request_types:
  default: text
  rules:
    - {type: quantity, names: [ord_qty]}
"#;

const QUOTE: &str = r#"
id: inquire_price
name: 주식현재가 시세
kind: rest
method: GET
path: /uapi/domestic-stock/v1/quotations/inquire-price
tr_id: {real: FHKST01010100, demo: FHKST01010100}
demo: true
table_rows: ["[국내주식]기본시세 / 주식현재가 시세"]
request:
  - {name: FID_COND_MRKT_DIV_CODE, label: 조건시장분류코드, required: true}
  - {name: FID_INPUT_ISCD, label: 입력종목코드, required: true}
response:
  blocks:
    - name: output
      shape: object
      split: source
      fields:
        - {name: stck_prpr, label: 주식현재가}
        - {name: temp_stop_yn, label: 임시정지여부}
"#;

const TICKS: &str = r#"
id: ccnl_krx
name: 국내주식 실시간체결가
kind: websocket
path: /tryitout/H0STCNT0
tr_id: {real: H0STCNT0, demo: H0STCNT0}
demo: true
encrypted: false
tr_key: {meaning: symbol, label: 종목코드}
columns:
  - {name: MKSC_SHRN_ISCD, label: 종목코드}
  - {name: STCK_PRPR, label: 현재가}
"#;

fn src(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        text: text.to_string(),
    }
}

fn base() -> Vec<SourceFile> {
    vec![
        src("common.yaml", COMMON),
        src("domestic_stock/inquire_price.yaml", QUOTE),
        src("domestic_stock/ccnl_krx.yaml", TICKS),
    ]
}

fn with(path: &str, text: &str) -> Vec<SourceFile> {
    let mut v = base();
    match v.iter_mut().find(|s| s.path == path) {
        Some(s) => s.text = text.to_string(),
        None => v.push(src(path, text)),
    }
    v
}

fn errors(sources: Vec<SourceFile>) -> Diagnostics {
    match load_from_sources(&sources) {
        Ok(_) => panic!("the catalog was accepted"),
        Err(d) => d,
    }
}

/// Asserts that one diagnostic names `file`, contains `key` in its key path and `needle` in its
/// message, and carries a line number when `line` is set.
fn assert_rejected(d: &Diagnostics, file: &str, key: &str, needle: &str, line: bool) {
    let hit = d.iter().find(|x| {
        x.file.to_string_lossy() == file && x.key.contains(key) && x.message.contains(needle)
    });
    let Some(hit) = hit else {
        panic!("no diagnostic for {file} / {key} / {needle}; got:\n{d}");
    };
    if line {
        assert!(hit.line.is_some(), "expected a line number in: {hit}");
    }
}

#[test]
fn the_minimal_catalog_is_valid() {
    let c = load_from_sources(&base()).expect("valid");
    assert_eq!(c.endpoints.len(), 2);
    let q = c.endpoint("domestic_stock.inquire_price").expect("quote");
    assert_eq!(q.response.blocks[0].fields[0].ty.name(), "price");
    assert_eq!(q.response.blocks[0].fields[1].ty.name(), "yes_no");
}

#[test]
fn duplicate_endpoint_ids_are_rejected() {
    let copy = QUOTE.replace("FHKST01010100", "FHKST01010200");
    let d = errors(with("domestic_stock/inquire_price_copy.yaml", &copy));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price_copy.yaml",
        "id",
        "differs from the file name",
        true,
    );
    assert_rejected(
        &d,
        "domestic_stock/inquire_price_copy.yaml",
        "id",
        "is also used by",
        false,
    );
}

#[test]
fn a_tr_id_used_by_two_endpoints_is_rejected() {
    let other = QUOTE
        .replace("id: inquire_price", "id: inquire_price_2")
        .replace("table_rows:", "x_rows:");
    let other = other.replace("x_rows: [\"[국내주식]기본시세 / 주식현재가 시세\"]\n", "");
    let d = errors(with("domestic_stock/inquire_price_2.yaml", &other));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price_2.yaml",
        "tr_id",
        "FHKST01010100 is also used by",
        false,
    );
}

#[test]
fn unknown_value_types_are_rejected_with_their_line() {
    let bad = QUOTE.replace("label: 주식현재가}", "label: 주식현재가, type: float}");
    let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "response.blocks[0].fields[0].type",
        "unknown value type 'float'",
        true,
    );

    let bad_rule = COMMON.replace(
        "{type: price, suffixes: [prpr]}",
        "{type: money, suffixes: [prpr]}",
    );
    let d = errors(with("common.yaml", &bad_rule));
    assert_rejected(
        &d,
        "common.yaml",
        "value_types.rules[0].type",
        "unknown value type 'money'",
        true,
    );
}

#[test]
fn demo_availability_must_match_the_tr_ids() {
    let no_demo_tr = QUOTE.replace(
        "tr_id: {real: FHKST01010100, demo: FHKST01010100}",
        "tr_id: {real: FHKST01010100}",
    );
    let d = errors(with("domestic_stock/inquire_price.yaml", &no_demo_tr));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "demo",
        "no variant has a demo TR ID",
        true,
    );

    let demo_false = QUOTE.replace("demo: true", "demo: false");
    let d = errors(with("domestic_stock/inquire_price.yaml", &demo_false));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "demo",
        "demo is false but a demo TR ID is given",
        true,
    );
}

#[test]
fn field_names_colliding_after_case_conversion_are_rejected() {
    let bad = QUOTE.replace(
        "        - {name: temp_stop_yn, label: 임시정지여부}",
        "        - {name: temp_stop_yn, label: 임시정지여부}\n        - {name: STCK_PRPR, label: 현재가}",
    );
    let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "response.blocks[0].fields[2].name",
        "collides with 'stck_prpr'",
        true,
    );

    let req = QUOTE.replace(
        "  - {name: FID_INPUT_ISCD, label: 입력종목코드, required: true}",
        "  - {name: FID_INPUT_ISCD, label: 입력종목코드, required: true}\n  - {name: fid_input_iscd, label: 또, required: false}",
    );
    let d = errors(with("domestic_stock/inquire_price.yaml", &req));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "request[2].name",
        "collides",
        true,
    );

    let blocks = QUOTE.replace("    - name: output\n", "    - name: Output\n      fields: [{name: a_yn, label: x}]\n      shape: object\n      split: source\n    - name: output\n");
    let d = errors(with("domestic_stock/inquire_price.yaml", &blocks));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "response.blocks[1].name",
        "collides with block 'Output'",
        true,
    );
}

#[test]
fn empty_blocks_are_rejected() {
    let bad = QUOTE
        .split("      fields:")
        .next()
        .unwrap_or_default()
        .to_string()
        + "      fields: []\n";
    let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "response.blocks[0].fields",
        "has no fields",
        true,
    );
}

#[test]
fn malformed_yaml_is_an_error_not_a_panic() {
    for text in [
        "id: [unclosed",
        "\t- tab: indented",
        "id: inquire_price\nid: inquire_price\n",
        "",
        "- a list\n- at the top",
        "id: inquire_price\nname: x\nkind: rest\nmethod: GET\npath: /x\ndemo: maybe\n",
        "{{{{",
        "id: \"\\uZZZZ\"",
    ] {
        let d = errors(with("domestic_stock/inquire_price.yaml", text));
        assert!(
            d.iter()
                .any(|x| x.file.to_string_lossy() == "domestic_stock/inquire_price.yaml"),
            "no diagnostic for {text:?}: {d}"
        );
    }
    let d = errors(with("common.yaml", "hosts: ["));
    assert_rejected(&d, "common.yaml", "", "", false);
}

#[test]
fn unknown_keys_are_rejected() {
    let bad = QUOTE.replace("demo: true", "demo: true\ndemo_available: true");
    let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "",
        "demo_available",
        true,
    );
}

#[test]
fn structural_mistakes_are_rejected() {
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("bad shape", QUOTE.replace("shape: object", "shape: list"), "response.blocks[0].shape", "unknown shape 'list'"),
        ("bad split", QUOTE.replace("split: source", "split: guessed"), "response.blocks[0].split", "unknown split"),
        ("judged without note", QUOTE.replace("split: source", "split: judged"), "response.blocks[0].note", "says why"),
        ("bad kind", QUOTE.replace("kind: rest", "kind: graphql"), "kind", "unknown kind"),
        ("bad method", QUOTE.replace("method: GET", "method: PUT"), "method", "unknown method"),
        ("bad tr id", QUOTE.replace("{real: FHKST01010100, demo: FHKST01010100}", "{real: fhk, demo: FHKST01010100}"), "tr_id.real", "is not a TR ID"),
        ("no tr id", QUOTE.replace("tr_id: {real: FHKST01010100, demo: FHKST01010100}\n", ""), "tr_id", "missing"),
        ("bad path", QUOTE.replace("path: /uapi", "path: uapi"), "path", "starts with '/'"),
        ("paging to nowhere", QUOTE.replace("response:", "pagination:\n  - {request: CTX_AREA_NK100, response: ctx_area_nk100}\nresponse:"), "pagination[0].request", "is not a request field"),
        ("no request list", QUOTE.replace("request:\n  - {name: FID_COND_MRKT_DIV_CODE, label: 조건시장분류코드, required: true}\n  - {name: FID_INPUT_ISCD, label: 입력종목코드, required: true}\n", ""), "request", "lists its `request`"),
        ("duplicate value", QUOTE.replace("label: 조건시장분류코드, required: true}", "label: 조건시장분류코드, required: true, values: [{value: J}, {value: J}]}"), "request[0].values[1].value", "listed twice"),
        ("variants without selector", QUOTE.replace("tr_id: {real: FHKST01010100, demo: FHKST01010100}", "tr_id:\n  variants:\n    - {name: a, real: FHKST01010100}"), "tr_id", "give either"),
        ("unknown default variant", QUOTE.replace("tr_id: {real: FHKST01010100, demo: FHKST01010100}", "tr_id:\n  select: {name: side, label: x, default: hold}\n  variants:\n    - {name: buy, real: FHKST01010100, demo: FHKST01010100}\n    - {name: sell, real: FHKST01010101}"), "tr_id.select.default", "no variant named 'hold'"),
        ("websocket keys on rest", QUOTE.replace("demo: true", "demo: true\nencrypted: false"), "encrypted", "belongs to websocket"),
        ("non-identifier field", QUOTE.replace("{name: stck_prpr, label: 주식현재가}", "{name: 현재가, label: 주식현재가}"), "response.blocks[0].fields[0].name", "Rust identifier"),
    ];
    for (what, text, key, needle) in cases {
        let d = match load_from_sources(&with("domestic_stock/inquire_price.yaml", &text)) {
            Ok(_) => panic!("{what}: accepted"),
            Err(d) => d,
        };
        assert!(
            d.iter()
                .any(|x| x.key.contains(key) && x.message.contains(needle)),
            "{what}: expected {key} / {needle}, got:\n{d}"
        );
    }
}

#[test]
fn websocket_mistakes_are_rejected() {
    let d = errors(with(
        "domestic_stock/ccnl_krx.yaml",
        &TICKS.replace("path: /tryitout/H0STCNT0", "path: /tryitout/H0STASP0"),
    ));
    assert_rejected(
        &d,
        "domestic_stock/ccnl_krx.yaml",
        "path",
        "/tryitout/H0STCNT0",
        true,
    );
    let d = errors(with(
        "domestic_stock/ccnl_krx.yaml",
        &TICKS.replace("encrypted: false\n", ""),
    ));
    assert_rejected(
        &d,
        "domestic_stock/ccnl_krx.yaml",
        "encrypted",
        "whether frames",
        false,
    );
    let d = errors(with(
        "domestic_stock/ccnl_krx.yaml",
        &TICKS.replace("meaning: symbol", "meaning: account"),
    ));
    assert_rejected(
        &d,
        "domestic_stock/ccnl_krx.yaml",
        "tr_key.meaning",
        "unknown tr_key meaning",
        true,
    );
    let d = errors(with(
        "domestic_stock/ccnl_krx.yaml",
        &(TICKS.to_string() + "request: []\n"),
    ));
    assert_rejected(
        &d,
        "domestic_stock/ccnl_krx.yaml",
        "request",
        "has no `request`",
        false,
    );
}

#[test]
fn files_outside_known_groups_and_duplicate_table_rows_are_rejected() {
    let d = errors(with(
        "bonds/inquire_price.yaml",
        &QUOTE.replace("FHKST01010100", "FHKST01010300"),
    ));
    assert_rejected(
        &d,
        "bonds/inquire_price.yaml",
        "",
        "is not a group of common.yaml",
        false,
    );

    let twin = QUOTE
        .replace("id: inquire_price", "id: price_twin")
        .replace("FHKST01010100", "FHKST01010400");
    let d = errors(with("overseas_stock/price_twin.yaml", &twin));
    assert_rejected(
        &d,
        "overseas_stock/price_twin.yaml",
        "table_rows",
        "already mapped to domestic_stock.inquire_price",
        false,
    );

    let no_common: Vec<_> = base()
        .into_iter()
        .filter(|s| s.path != "common.yaml")
        .collect();
    let d = errors(no_common);
    assert_rejected(&d, "common.yaml", "", "no common.yaml", false);
}

#[test]
fn the_real_catalog_is_valid() {
    let dir = std::path::PathBuf::from(kis_catalog::CATALOG_DIR);
    let catalog = kis_catalog::load_catalog(&dir).unwrap_or_else(|d| panic!("{d}"));
    assert!(
        catalog.endpoints.len() >= 339,
        "{} endpoints",
        catalog.endpoints.len()
    );
}

#[test]
fn empty_is_a_fact_about_required_keys_only() {
    // a required key KIS accepts empty loads, and the model says so
    let ok = QUOTE.replace(
        "{name: FID_INPUT_ISCD, label: 입력종목코드, required: true}",
        "{name: FID_INPUT_ISCD, label: 입력종목코드, required: true, empty: true}",
    );
    let catalog = load_from_sources(&with("domestic_stock/inquire_price.yaml", &ok))
        .unwrap_or_else(|d| panic!("{d}"));
    let ep = catalog
        .endpoints
        .iter()
        .find(|e| e.id == "inquire_price")
        .unwrap_or_else(|| panic!("endpoint missing"));
    let flags: Vec<(bool, bool)> = ep.request.iter().map(|f| (f.required, f.empty)).collect();
    assert_eq!(flags, vec![(true, false), (true, true)]);

    // on an optional key it says nothing (an optional key may always be empty): rejected
    let bad = QUOTE.replace(
        "{name: FID_INPUT_ISCD, label: 입력종목코드, required: true}",
        "{name: FID_INPUT_ISCD, label: 입력종목코드, empty: true}",
    );
    let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "request[1].empty",
        "only for required keys",
        true,
    );
}

#[test]
fn error_answers_need_unique_situations_and_known_shapes() {
    let ok = COMMON.replace(
        "{code: EGW00201, meaning: rate, action: retry_query}",
        "{code: EGW00201, meaning: rate, action: retry_query, answers: [{when: rate_limited, http: 500, msg1: \"초당 거래건수를 초과하였습니다.\"}]}",
    );
    let catalog = load_from_sources(&with("common.yaml", &ok)).unwrap_or_else(|d| panic!("{d}"));
    let (code, a) = catalog
        .common
        .answer("rate_limited")
        .unwrap_or_else(|| panic!("no answer"));
    assert_eq!(
        (code.code.as_str(), a.http_status, a.rt_cd.as_str()),
        ("EGW00201", Some(500), "1")
    );
    assert!(!a.token_shape);

    let twice = COMMON.replace(
        "{code: EGW00201, meaning: rate, action: retry_query}",
        "{code: EGW00201, meaning: rate, action: retry_query, answers: [{when: rate_limited, msg1: a}, {when: rate_limited, msg1: b}]}",
    );
    let d = errors(with("common.yaml", &twice));
    assert_rejected(
        &d,
        "common.yaml",
        "errors[0].answers[1].when",
        "answered twice",
        true,
    );

    let shape = COMMON.replace(
        "{code: EGW00201, meaning: rate, action: retry_query}",
        "{code: EGW00201, meaning: rate, action: retry_query, answers: [{when: rate_limited, msg1: a, shape: xml}]}",
    );
    let d = errors(with("common.yaml", &shape));
    assert_rejected(
        &d,
        "common.yaml",
        "errors[0].answers[0].shape",
        "unknown shape 'xml'",
        true,
    );

    let status = COMMON.replace(
        "{code: EGW00201, meaning: rate, action: retry_query}",
        "{code: EGW00201, meaning: rate, action: retry_query, answers: [{when: Rate-Limited, http: 999, msg1: a}]}",
    );
    let d = errors(with("common.yaml", &status));
    assert_rejected(
        &d,
        "common.yaml",
        "errors[0].answers[0].when",
        "not a snake_case",
        true,
    );
}

#[test]
fn files_loaded_in_parallel_report_in_file_order() {
    // more bad files than cores: the loader spreads them over threads, the report keeps the
    // order of the sources
    let mut sources = base();
    let names: Vec<String> = (0..12)
        .map(|i| format!("domestic_stock/broken_{i:02}.yaml"))
        .collect();
    for n in &names {
        sources.push(src(n, "id: [unclosed"));
    }
    let d = errors(sources);
    let files: Vec<String> = d
        .iter()
        .map(|x| x.file.to_string_lossy().into_owned())
        .filter(|f| f.contains("broken_"))
        .collect();
    let mut first_seen: Vec<String> = Vec::new();
    for f in files {
        if first_seen.last() != Some(&f) {
            first_seen.push(f);
        }
    }
    assert_eq!(first_seen, names);
}

/// `QUOTE` with its first request field replaced by `field` (a flow-style YAML mapping).
fn quote_with_field(field: &str) -> String {
    QUOTE.replace(
        "{name: FID_COND_MRKT_DIV_CODE, label: 조건시장분류코드, required: true}",
        field,
    )
}

#[test]
fn a_local_enum_takes_the_name_the_catalog_gives_it() {
    let ok = quote_with_field(
        "{name: FID_RANK_SORT_CLS_CODE, label: 순위 정렬 구분 코드, required: true, enum: RankSort, values: [{value: \"0\", label: 매수상위, name: top_buy}, {value: \"1\", label: 매도상위, name: top_sell}]}",
    );
    let catalog = load_from_sources(&with("domestic_stock/inquire_price.yaml", &ok))
        .unwrap_or_else(|d| panic!("{d}"));
    let ep = catalog
        .endpoints
        .iter()
        .find(|e| e.id == "inquire_price")
        .unwrap_or_else(|| panic!("endpoint missing"));
    let en = ep.request[0]
        .local_enum
        .as_ref()
        .unwrap_or_else(|| panic!("no local enum"));
    assert_eq!(en.name, "RankSort");
    let members: Vec<&str> = en.members.iter().map(|m| m.rust_name.as_str()).collect();
    assert_eq!(members, ["TopBuy", "TopSell"]);
    assert_eq!(
        ep.request[0].enum_name, None,
        "a local enum is not a shared one"
    );
}

#[test]
fn enum_names_derived_from_the_wire_name_are_rejected() {
    let values =
        "values: [{value: \"0\", label: 전체, name: all}, {value: \"1\", label: 매수, name: buy}]";
    for (wire, name) in [
        ("FID_RANK_SORT_CLS_CODE", "FidRankSortClsCode"),
        ("GB3", "Gb3"),
        ("GB3", "Gb"),
        ("INQR_DVSN_3", "InqrDvsn3"),
        ("INQR_DVSN_3", "InqrDvsn"),
        ("NCOD", "Ncod"),
    ] {
        let bad = quote_with_field(&format!(
            "{{name: {wire}, label: x, required: true, enum: {name}, {values}}}"
        ));
        let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
        assert_rejected(
            &d,
            "domestic_stock/inquire_price.yaml",
            "request[0].enum",
            "spells the wire name",
            true,
        );
    }
    // a named value set without a name for its type is rejected too
    let unnamed = quote_with_field(&format!(
        "{{name: GB3, label: x, required: true, {values}}}"
    ));
    let d = errors(with("domestic_stock/inquire_price.yaml", &unnamed));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "request[0].enum",
        "names its type",
        true,
    );
    // names the module defines itself are taken
    let taken = quote_with_field(&format!(
        "{{name: GB3, label: x, required: true, enum: Output1, {values}}}"
    ));
    let d = errors(with("domestic_stock/inquire_price.yaml", &taken));
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "request[0].enum",
        "taken by the endpoint module",
        true,
    );
}

#[test]
fn fallback_member_names_are_rejected() {
    for name in ["code_00", "code_faq", "n1", "v2", "value_3"] {
        let bad = quote_with_field(&format!(
            "{{name: GB3, label: x, required: true, enum: Choice, values: [{{value: \"0\", label: 전체, name: all}}, {{value: \"1\", label: \"1\", name: {name}}}]}}"
        ));
        let d = errors(with("domestic_stock/inquire_price.yaml", &bad));
        assert_rejected(
            &d,
            "domestic_stock/inquire_price.yaml",
            "request[0].values[1].name",
            "only repeats the code",
            true,
        );
    }
    // the same rule holds for the shared enums of common.yaml
    let common = COMMON.replace(
        "fills:",
        "enums:\n  - name: ReportPeriod\n    label: x\n    values:\n      - {value: \"0\", name: n1, label: \"1\"}\nfills:",
    );
    let d = errors(with("common.yaml", &common));
    assert_rejected(
        &d,
        "common.yaml",
        "enums[0].values[0].name",
        "only repeats the code",
        true,
    );
    // meaningful names that merely contain digits pass
    let ok = quote_with_field(
        "{name: GB3, label: x, required: true, enum: Lookback, values: [{value: \"0\", label: 5일, name: days_5}, {value: \"1\", label: 1분, name: minutes_1}]}",
    );
    load_from_sources(&with("domestic_stock/inquire_price.yaml", &ok))
        .unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn a_shared_enum_field_cannot_rename_or_reverse_its_members() {
    let common = COMMON.replace(
        "fills:",
        "enums:\n  - name: CurrencyBasis\n    label: x\n    values:\n      - {value: \"01\", name: foreign_currency, label: 외화}\n      - {value: \"02\", name: won, label: 원화}\nfills:",
    );
    let reversed = quote_with_field(
        "{name: WCRC_FRCR_DVSN_CD, label: x, required: true, enum: CurrencyBasis, values: [{value: \"01\", label: 원화, name: won}, {value: \"02\", label: 외화, name: foreign_currency}]}",
    );
    let mut sources = with("common.yaml", &common);
    if let Some(s) = sources
        .iter_mut()
        .find(|s| s.path == "domestic_stock/inquire_price.yaml")
    {
        s.text = reversed;
    }
    let d = errors(sources);
    assert_rejected(
        &d,
        "domestic_stock/inquire_price.yaml",
        "request[0].values[0].name",
        "is member ForeignCurrency of enum CurrencyBasis",
        true,
    );
}

#[test]
fn response_enums_name_known_enums_and_retype_only_codes() {
    let enums = "enums:\n  - name: ChangeSign\n    label: x\n    values:\n      - {value: \"1\", name: upper_limit, label: 상한}\n      - {value: \"2\", name: rise, label: 상승}\n";
    let ok = COMMON.replace(
        "fills:",
        &format!("{enums}response_enums:\n  - {{enum: ChangeSign, names: [prdy_vrss_sign, stck_prpr]}}\nfills:"),
    );
    let quote = QUOTE.replace(
        "        - {name: stck_prpr, label: 주식현재가}",
        "        - {name: stck_prpr, label: 주식현재가}\n        - {name: prdy_vrss_sign, label: 전일 대비 부호}",
    );
    let mut sources = with("common.yaml", &ok);
    if let Some(s) = sources
        .iter_mut()
        .find(|s| s.path == "domestic_stock/inquire_price.yaml")
    {
        s.text = quote;
    }
    let catalog = load_from_sources(&sources).unwrap_or_else(|d| panic!("{d}"));
    let ep = catalog
        .endpoints
        .iter()
        .find(|e| e.id == "inquire_price")
        .unwrap_or_else(|| panic!("endpoint missing"));
    let fields = &ep.response.blocks[0].fields;
    let enum_of = |wire: &str| {
        fields
            .iter()
            .find(|f| f.wire == wire)
            .and_then(|f| f.code_enum.clone())
    };
    assert_eq!(enum_of("prdy_vrss_sign").as_deref(), Some("ChangeSign"));
    assert_eq!(enum_of("stck_prpr"), None, "a price is never an enum");
    assert_eq!(enum_of("temp_stop_yn"), None);

    let bad = COMMON.replace(
        "fills:",
        "response_enums:\n  - {enum: NoSuchEnum, names: [prdy_vrss_sign]}\nfills:",
    );
    let d = errors(with("common.yaml", &bad));
    assert_rejected(
        &d,
        "common.yaml",
        "response_enums[0].enum",
        "unknown enum 'NoSuchEnum'",
        true,
    );
}
