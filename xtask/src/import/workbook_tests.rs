//! `import --workbook` against small workbooks these tests write (in the layout of KIS's
//! full-document workbook, with made-up content) and a copy of a few catalog files.

use std::path::{Path, PathBuf};

use kis_codegen::model::{Catalog, Endpoint, EndpointKind, Shape};
use rust_xlsxwriter::Workbook as XlsxBook;

use super::tests::{record, spec_copy};
use super::workbook::{self, WorkbookError};
use super::{Category, Report, Source, compare_with, workbook_draft, workbook_match, write};

/// One sheet: its name and its rows of cells (an empty string leaves a cell empty).
type Sheet = (String, Vec<Vec<String>>);

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Writes the sheets as an xlsx workbook into `dir`.
fn write_book(dir: &Path, sheets: &[Sheet]) -> PathBuf {
    let mut book = XlsxBook::new();
    for (name, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(name).expect("a sheet name");
        for (r, cells) in rows.iter().enumerate() {
            for (c, text) in cells.iter().enumerate() {
                if !text.is_empty() {
                    ws.write_string(r as u32, c as u16, text).expect("a cell");
                }
            }
        }
    }
    let path = dir.join("book.xlsx");
    book.save(&path).expect("save the workbook");
    path
}

/// Three cells of a layout row.
type Triple = (String, String, String);

/// What one API sheet says, before it is laid out.
#[derive(Clone)]
struct Api {
    name: String,
    menu: String,
    real: String,
    demo: String,
    method: String,
    url: String,
    /// (name, label, required)
    inputs: Vec<(String, String, bool)>,
    /// (block row: name, label, `object` or `object array`; its fields: name, label, description)
    blocks: Vec<(Triple, Vec<Triple>)>,
    columns: Vec<(String, String)>,
}

impl Api {
    /// The sheet KIS's workbook would have for `e`, agreeing with the catalog.
    fn of(e: &Endpoint) -> Api {
        let ws = e.kind == EndpointKind::WebSocket;
        let variant = e.tr.variants.first();
        let mut blocks = Vec::new();
        if !e.response.body.is_empty() {
            blocks.push((
                (String::new(), String::new(), String::new()),
                e.response
                    .body
                    .iter()
                    .map(|f| (f.wire.clone(), f.label.clone(), String::new()))
                    .collect(),
            ));
        }
        for b in &e.response.blocks {
            let shape = match b.shape {
                Shape::Object => "object",
                Shape::Array => "object array",
            };
            blocks.push((
                (b.wire.clone(), "응답상세".to_string(), shape.to_string()),
                b.fields
                    .iter()
                    .map(|f| (f.wire.clone(), f.label.clone(), String::new()))
                    .collect(),
            ));
        }
        Api {
            name: e.name.clone(),
            menu: "[국내주식] 기본시세".to_string(),
            real: variant.map(|v| v.real.clone()).unwrap_or_default(),
            demo: variant
                .and_then(|v| v.demo.clone())
                .unwrap_or_else(|| "모의투자 미지원".to_string()),
            method: if ws {
                "POST".to_string()
            } else {
                e.method.map(|m| m.name().to_string()).unwrap_or_default()
            },
            url: e.path.clone(),
            inputs: e
                .request
                .iter()
                .map(|f| (f.wire.clone(), f.label.clone(), f.required))
                .collect(),
            blocks,
            columns: e
                .realtime
                .iter()
                .flat_map(|r| &r.columns)
                .map(|c| (c.wire.clone(), c.label.clone()))
                .collect(),
        }
    }

    fn list_row(&self, n: usize) -> Vec<String> {
        let kind = if self.columns.is_empty() {
            "REST"
        } else {
            "WEBSOCKET"
        };
        row(&[
            &n.to_string(),
            kind,
            &self.menu,
            &self.name,
            "test-001",
            &self.real,
            &self.demo,
            &self.method,
            &self.url,
            "https://openapi.koreainvestment.com:9443",
            "",
        ])
    }

    fn sheet(&self, sheet_name: &str) -> Sheet {
        let mut rows = vec![
            row(&[&self.name]),
            row(&["API 통신방식", "REST"]),
            row(&["메뉴 위치", &self.menu]),
            row(&["API 명", &self.name]),
            row(&["API ID", "test-001"]),
            row(&["실전 TR_ID", &self.real]),
            row(&["모의 TR_ID", &self.demo]),
            row(&["기본정보"]),
            row(&["HTTP Method", &self.method]),
            row(&["URL 명", &self.url]),
            row(&["Layout"]),
            row(&[
                "구분",
                "Element",
                "한글명",
                "Type",
                "Required",
                "Length",
                "Description",
            ]),
            row(&[
                "Request Header",
                "tr_id",
                "거래ID",
                "string",
                "Y",
                "13",
                &self.real,
            ]),
        ];
        let section = if self.method == "GET" {
            "Request Query Parameter"
        } else {
            "Request Body"
        };
        for (i, (name, label, required)) in self.inputs.iter().enumerate() {
            let mark = if i == 0 { section } else { "" };
            let req = if *required { "Y" } else { "N" };
            rows.push(row(&[mark, name, label, "string", req, "8", ""]));
        }
        rows.push(row(&[
            "Response Header",
            "tr_id",
            "거래ID",
            "string",
            "Y",
            "13",
            "",
        ]));
        if self.columns.is_empty() {
            rows.push(row(&[
                "Response Body",
                "rt_cd",
                "성공 실패 여부",
                "string",
                "Y",
                "1",
                "",
            ]));
        }
        for (i, (name, label)) in self.columns.iter().enumerate() {
            // KIS types a subscription's first column `object`
            let (mark, ty) = if i == 0 {
                ("Response Body", "object")
            } else {
                ("", "string")
            };
            rows.push(row(&[mark, name, label, ty, "Y", "8", ""]));
        }
        for ((name, label, shape), fields) in &self.blocks {
            if !name.is_empty() {
                rows.push(row(&["", name, label, shape, "Y", "", ""]));
            }
            for (f, l, description) in fields {
                rows.push(row(&["", f, l, "string", "Y", "10", description]));
            }
        }
        rows.push(row(&["Example"]));
        rows.push(row(&["Response Example", "{\"rt_cd\": \"0\"}"]));
        (sheet_name.to_string(), rows)
    }
}

fn list_header() -> Vec<String> {
    row(&[
        "순번",
        "API 통신방식",
        "메뉴 위치",
        "API 명",
        "API ID",
        "실전 TR_ID",
        "모의 TR_ID",
        "HTTP Method",
        "URL 명",
        "실전 Domain",
        "모의 Domain",
    ])
}

/// The list sheet and one sheet per API.
fn sheets_of(apis: &[Api]) -> Vec<Sheet> {
    let mut list = vec![list_header()];
    list.extend(apis.iter().enumerate().map(|(i, a)| a.list_row(i + 1)));
    let mut out = vec![(workbook::LIST_SHEET.to_string(), list)];
    out.extend(
        apis.iter()
            .enumerate()
            .map(|(i, a)| a.sheet(&format!("sheet {i}"))),
    );
    out
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = dir.path().join("spec");
    spec_copy(&spec);
    (dir, spec)
}

fn load(spec: &Path) -> Catalog {
    kis_codegen::load_catalog(spec).unwrap_or_else(|d| panic!("{d}"))
}

fn endpoint<'a>(catalog: &'a Catalog, id: &str) -> &'a Endpoint {
    catalog.endpoint(id).expect("a copied endpoint")
}

/// Reads the workbook and compares it with the catalog.
fn report(catalog: &Catalog, book: &Path) -> (Report, Vec<super::Example>) {
    let read = workbook::read(book).expect("the workbook reads");
    let examples = workbook_match::to_examples(catalog, &read.apis);
    (compare_with(Source::Workbook, catalog, &examples), examples)
}

fn differences<'a>(report: &'a Report, endpoint: &str) -> Vec<&'a super::Difference> {
    report
        .endpoints
        .iter()
        .filter(|e| e.endpoint == endpoint)
        .flat_map(|e| &e.differences)
        .collect()
}

/// Every copied endpoint as its sheet would describe it.
fn agreeing(catalog: &Catalog) -> Vec<Api> {
    catalog.endpoints.iter().map(Api::of).collect()
}

#[test]
fn a_workbook_that_agrees_with_the_catalog_gives_no_difference() {
    let (dir, spec) = setup();
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    // as KIS's sheet does, and as the catalog records (a `workbook omits column` line)
    let krx = apis
        .iter_mut()
        .find(|a| a.real == "H0STASP0")
        .expect("asking_price_krx's sheet");
    krx.columns.retain(|(c, _)| !c.starts_with("KMID_"));
    let book = write_book(dir.path(), &sheets_of(&apis));
    let (report, examples) = report(&catalog, &book);
    let krx = differences(&report, "domestic_stock/asking_price_krx");
    assert_eq!(krx.len(), 3, "{}", report.to_text());
    assert!(
        krx.iter()
            .all(|d| d.category == Category::Column && d.explained_by.is_some())
    );
    assert_eq!(
        examples.len(),
        catalog.endpoints.len(),
        "each API matched once"
    );
    assert_eq!(report.unexplained().count(), 0, "{}", report.to_text());
    assert!(report.to_text().contains("6 workbook sheets compared"));
    assert_eq!(report.to_json()["source"], "workbook");
}

#[test]
fn missing_and_added_fields_and_a_changed_tr_id_are_reported_by_endpoint() {
    let (dir, spec) = setup();
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    let price = apis
        .iter_mut()
        .find(|a| a.url == endpoint(&catalog, "domestic_stock.inquire_price").path)
        .expect("inquire_price's sheet");
    let (_, fields) = price.blocks.last_mut().expect("a block");
    let dropped = fields.remove(0).0;
    fields.push(("new_fld".into(), "새필드".into(), String::new()));
    price.inputs.push(("NEW_KEY".into(), "새입력".into(), true));
    let ccnl = apis
        .iter_mut()
        .find(|a| a.url == endpoint(&catalog, "domestic_stock.inquire_ccnl").path)
        .expect("inquire_ccnl's sheet");
    let old = std::mem::replace(&mut ccnl.real, "FHKST99999999".into());
    let book = write_book(dir.path(), &sheets_of(&apis));
    let (report, _) = report(&catalog, &book);

    let price = differences(&report, "domestic_stock/inquire_price");
    let texts: Vec<(Category, &str)> = price
        .iter()
        .map(|d| (d.category, d.text.as_str()))
        .collect();
    assert!(
        texts.contains(&(
            Category::Output,
            &format!("{dropped} ({}) removed", label_of(&catalog, &dropped))
        )),
        "{texts:?}"
    );
    assert!(
        texts.contains(&(Category::Output, "new_fld (새필드) added")),
        "{texts:?}"
    );
    assert!(
        texts.contains(&(Category::Input, "NEW_KEY (새입력) added")),
        "{texts:?}"
    );
    assert!(price.iter().all(|d| d.explained_by.is_none()));

    let ccnl = differences(&report, "domestic_stock/inquire_ccnl");
    assert!(
        ccnl.iter().any(|d| d.category == Category::TrId
            && d.text == "real: FHKST99999999 in the workbook, not in the catalog"),
        "{}",
        report.to_text()
    );
    assert!(
        ccnl.iter().any(|d| d.category == Category::TrId
            && d.text
                .contains(&format!("has {old}, which the workbook does not set"))),
        "{}",
        report.to_text()
    );
}

fn label_of(catalog: &Catalog, wire: &str) -> String {
    let e = endpoint(catalog, "domestic_stock.inquire_price");
    e.response
        .body
        .iter()
        .chain(e.response.blocks.iter().flat_map(|b| &b.fields))
        .find(|f| f.wire == wire)
        .map(|f| f.label.clone())
        .unwrap_or_default()
}

#[test]
fn a_workbook_line_explains_a_workbook_difference_and_an_example_line_does_not() {
    let (dir, spec) = setup();
    let file = "domestic_stock/inquire_price.yaml";
    let catalog = load(&spec);
    let e = endpoint(&catalog, "domestic_stock.inquire_price");
    let first = e.response.blocks[0].fields[0].wire.clone();
    let second = e.response.blocks[0].fields[1].wire.clone();
    record(
        &spec,
        file,
        &format!("workbook omits field {first}: the sheet leaves it out"),
    );
    record(
        &spec,
        file,
        &format!("example omits field {second}: about the examples only"),
    );
    record(
        &spec,
        file,
        "workbook omits field no_such_field: explains nothing",
    );
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    let price = apis
        .iter_mut()
        .find(|a| a.url == endpoint(&catalog, "domestic_stock.inquire_price").path)
        .expect("inquire_price's sheet");
    let (_, fields) = price.blocks.last_mut().expect("a block");
    fields.retain(|(n, _, _)| *n != first && *n != second);
    let book = write_book(dir.path(), &sheets_of(&apis));
    let (report, _) = report(&catalog, &book);
    let diffs = differences(&report, "domestic_stock/inquire_price");
    let about = |name: &str| {
        diffs
            .iter()
            .find(|d| d.text.starts_with(&format!("{name} (")))
            .unwrap_or_else(|| panic!("{name}: {}", report.to_text()))
    };
    assert_eq!(
        about(&first).explained_by.as_deref(),
        Some("the sheet leaves it out")
    );
    assert_eq!(
        about(&second).explained_by,
        None,
        "an example line is not about the workbook"
    );
    assert!(
        diffs.iter().any(|d| d.category == Category::Explanation
            && d.text == "stale: \"workbook omits field no_such_field\" matches no difference"),
        "{}",
        report.to_text()
    );
    // lint-spec sees the workbook line naming a field the entry lacks
    assert!(
        super::lint(&catalog)
            .iter()
            .any(|p| p.contains("workbook omits field no_such_field"))
    );
}

#[test]
fn a_new_api_is_reported_and_drafted_with_its_blocks_and_the_draft_loads() {
    let (dir, spec) = setup();
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    let new = Api {
        name: "시험용 신규 조회".into(),
        menu: "[국내주식] 기본시세".into(),
        real: "FHKST99990000".into(),
        demo: "모의투자 미지원".into(),
        method: "GET".into(),
        url: "/uapi/domestic-stock/v1/quotations/inquire-new-thing".into(),
        inputs: vec![
            (
                "FID_COND_MRKT_DIV_CODE".into(),
                "조건 시장 분류 코드".into(),
                true,
            ),
            ("FID_INPUT_ISCD".into(), "입력 종목코드".into(), false),
        ],
        blocks: vec![
            (
                ("output1".into(), "응답상세".into(), "object".into()),
                vec![("stck_prpr".into(), "주식 현재가".into(), String::new())],
            ),
            (
                ("output2".into(), "응답상세2".into(), "object array".into()),
                vec![(
                    "sll_buy_dvsn_cd".into(),
                    "매도매수구분코드".into(),
                    "01 : 매도\n02 : 매수".into(),
                )],
            ),
        ],
        columns: Vec::new(),
    };
    apis.push(new);
    let book = write_book(dir.path(), &sheets_of(&apis));
    let read = workbook::read(&book).expect("the workbook reads");
    let examples = workbook_match::to_examples(&catalog, &read.apis);
    let report = compare_with(Source::Workbook, &catalog, &examples);
    let diffs = differences(&report, "domestic_stock/inquire_new_thing");
    assert_eq!(diffs.len(), 1, "{}", report.to_text());
    assert_eq!(diffs[0].category, Category::New);

    let draft = |ex: &super::Example| workbook_draft::draft(ex, &read.apis);
    let outcome = write::apply(&spec, &catalog, &examples, &report, &draft).expect("write");
    assert_eq!(outcome.drafted, ["domestic_stock/inquire_new_thing.yaml"]);
    let text = std::fs::read_to_string(spec.join("domestic_stock/inquire_new_thing.yaml"))
        .expect("the draft");
    for expected in [
        "path: /uapi/domestic-stock/v1/quotations/inquire-new-thing",
        "tr_id: {real: FHKST99990000}",
        "demo: false",
        "{name: FID_COND_MRKT_DIV_CODE, label: \"조건 시장 분류 코드\", required: true, max_length: 8}",
        "    - name: output1\n      shape: object\n      split: source",
        "    - name: output2\n      shape: array\n      split: source",
        "{name: sll_buy_dvsn_cd, label: \"매도매수구분코드\"}",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    let after = load(&spec);
    let drafted = after
        .endpoint("domestic_stock.inquire_new_thing")
        .expect("the draft is in the catalog");
    assert_eq!(drafted.response.blocks.len(), 2);
    assert_eq!(drafted.response.blocks[1].shape, Shape::Array);
    assert!(drafted.request[0].required);
}

#[test]
fn value_sets_of_input_descriptions_are_drafted() {
    let (dir, spec) = setup();
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    let mut new = Api::of(endpoint(&catalog, "domestic_stock.inquire_price"));
    new.name = "시험용 구분 조회".into();
    new.real = "FHKST99990001".into();
    new.demo = "모의투자 미지원".into();
    new.url = "/uapi/domestic-stock/v1/quotations/inquire-split".into();
    new.inputs = vec![("INQR_DVSN".into(), "조회구분".into(), true)];
    apis.push(new);
    let mut sheets = sheets_of(&apis);
    // the input's description lists its values
    let last = sheets.last_mut().expect("the new sheet");
    let input = last
        .1
        .iter_mut()
        .find(|r| r.get(1).is_some_and(|c| c == "INQR_DVSN"))
        .expect("the input row");
    input[6] = "00 : 전체\n01 : 매도\n02 : 매수".into();
    let book = write_book(dir.path(), &sheets);
    let read = workbook::read(&book).expect("the workbook reads");
    let examples = workbook_match::to_examples(&catalog, &read.apis);
    let ex = examples
        .iter()
        .find(|x| x.id == "inquire_split")
        .expect("the new API");
    let text = workbook_draft::draft(ex, &read.apis);
    assert!(
        text.contains("    values:\n      - {value: \"00\", label: \"전체\"}\n      - {value: \"01\", label: \"매도\"}"),
        "{text}"
    );
}

#[test]
fn series_rows_stand_for_every_key_they_name() {
    let (dir, spec) = setup();
    let catalog = load(&spec);
    let mut apis = agreeing(&catalog);
    let mut new = Api::of(endpoint(&catalog, "domestic_stock.inquire_price"));
    new.name = "시험용 복수 조회".into();
    new.real = "FHKST99990002".into();
    new.url = "/uapi/domestic-stock/v1/quotations/multi".into();
    new.inputs = vec![
        ("EXCD_01 ~ 03".into(), "거래소코드".into(), true),
        ("SRS_CD_01".into(), "품목종류".into(), true),
        ("SRS_CD_02…".into(), "품목종류…".into(), true),
        ("SRS_CD_05".into(), "품목종류".into(), true),
    ];
    apis.push(new);
    let book = write_book(dir.path(), &sheets_of(&apis));
    let read = workbook::read(&book).expect("the workbook reads");
    let api = read
        .apis
        .iter()
        .find(|a| a.url.ends_with("/multi"))
        .expect("the API");
    let names: Vec<&str> = api.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "EXCD_01",
            "EXCD_02",
            "EXCD_03",
            "SRS_CD_01",
            "SRS_CD_02",
            "SRS_CD_03",
            "SRS_CD_04",
            "SRS_CD_05"
        ]
    );
    assert_eq!(api.inputs[5].label, "품목종류");
}

/// The error reading `sheets` gives.
fn error_of(sheets: &[Sheet]) -> WorkbookError {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let book = write_book(dir.path(), sheets);
    workbook::read(&book).expect_err("a malformed workbook")
}

fn one_api() -> Vec<Sheet> {
    let catalog =
        kis_codegen::load_catalog(&crate::workspace_root().join("spec")).expect("catalog");
    sheets_of(&[Api::of(endpoint(&catalog, "domestic_stock.inquire_price"))])
}

#[test]
fn a_malformed_workbook_is_a_typed_error_naming_sheet_and_cell() {
    // no list sheet
    let mut sheets = one_api();
    sheets.remove(0);
    assert_eq!(
        error_of(&sheets),
        WorkbookError::MissingSheet {
            sheet: "API 목록".into()
        }
    );

    // the list's header lacks a column
    let mut sheets = one_api();
    sheets[0].1[0][8] = "주소".into();
    match error_of(&sheets) {
        WorkbookError::Header {
            sheet, expected, ..
        } => {
            assert_eq!(sheet, "API 목록");
            assert_eq!(expected, "URL 명");
        }
        other => panic!("{other}"),
    }

    // a layout header that says something else
    let mut sheets = one_api();
    let header = sheets[1]
        .1
        .iter_mut()
        .find(|r| r.first().is_some_and(|c| c == "구분"))
        .expect("the layout header");
    header[4] = "필수".into();
    let err = error_of(&sheets);
    assert!(
        matches!(&err, WorkbookError::Header { sheet, cell, expected, found }
            if sheet == "sheet 0" && cell == "E12" && expected == "Required" && found == "필수"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("sheet 'sheet 0', cell E12"),
        "{err}"
    );

    // a sheet without a layout
    let mut sheets = one_api();
    sheets[1]
        .1
        .retain(|r| r.first().is_none_or(|c| c != "구분"));
    let err = error_of(&sheets);
    assert!(
        matches!(&err, WorkbookError::Sheet { sheet, reason } if sheet == "sheet 0" && reason.contains("no layout")),
        "{err:?}"
    );

    // a huge cell where a field name belongs
    let mut sheets = one_api();
    let rows = &mut sheets[1].1;
    let at = rows.len() - 3;
    rows[at][1] = "x".repeat(5_000);
    let err = error_of(&sheets);
    assert!(
        matches!(&err, WorkbookError::Cell { sheet, cell, problem }
            if sheet == "sheet 0" && *cell == format!("B{}", at + 1) && problem.contains("5000 bytes")),
        "{err:?}"
    );

    // an odd cell: text that is no field name, an unclosed series
    for odd in ["이름 없음", "SRS_CD_02…"] {
        let mut sheets = one_api();
        let rows = &mut sheets[1].1;
        let at = rows.len() - 3;
        rows[at][1] = odd.into();
        let err = error_of(&sheets);
        assert!(
            matches!(&err, WorkbookError::Cell { cell, problem, .. }
                if cell == &format!("B{}", at + 1) && problem.contains("not a field name")),
            "{odd}: {err:?}"
        );
    }

    // an API the list names without a URL
    let mut sheets = one_api();
    sheets[0].1[1][8] = String::new();
    assert!(
        matches!(error_of(&sheets), WorkbookError::Cell { sheet, cell, .. } if sheet == "API 목록" && cell == "I2")
    );
}

#[test]
fn a_file_that_is_no_workbook_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, b"PK\x03\x04 not really a zip").expect("write");
    assert!(matches!(
        workbook::read(&path),
        Err(WorkbookError::Open { .. })
    ));
    assert!(matches!(
        workbook::read(&dir.path().join("absent.xlsx")),
        Err(WorkbookError::Open { .. })
    ));
}

#[test]
fn a_workbook_that_would_unpack_to_gigabytes_is_refused_before_unpacking() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let book = write_book(dir.path(), &one_api());
    let mut bytes = std::fs::read(&book).expect("the workbook");
    // the first central directory record says its part unpacks to almost 4 GB
    let record = bytes
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .expect("a central directory");
    bytes[record + 24..record + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    std::fs::write(&book, bytes).expect("write");
    let err = workbook::read(&book).expect_err("refused");
    assert!(
        matches!(err, WorkbookError::Unpacks { bytes, .. } if bytes >= 0xFFFF_FFF0),
        "{err:?}"
    );
}
