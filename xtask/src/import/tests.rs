//! The importer against a small example tree these tests write (in the layout of KIS's
//! repository, with made-up content) and a copy of a few catalog files.

use std::path::Path;

use kis_codegen::model::{Catalog, Endpoint, EndpointKind};

use super::{Category, compare, read_tree, write};

/// Catalog files the synthetic catalog copies.
pub(super) const COPIED: [&str; 6] = [
    "domestic_stock/asking_price_krx.yaml",
    "domestic_futureoption/fuopt_ccnl_notice.yaml",
    "domestic_stock/inquire_price.yaml",
    "domestic_stock/inquire_ccnl.yaml",
    "domestic_stock/ccnl_krx.yaml",
    "auth/auth_ws_token.yaml",
];

/// Adds an entry to the `fixes:` of a copied catalog file, as a person recording a reason would.
pub(super) fn record(spec: &Path, file: &str, line: &str) {
    let path = spec.join(file);
    let text = std::fs::read_to_string(&path).expect("a copied catalog file");
    let entry = format!("  - {}\n", serde_json::Value::from(line));
    let text = match text.find("\nfixes:\n") {
        Some(at) => {
            let at = at + "\nfixes:\n".len();
            format!("{}{entry}{}", &text[..at], &text[at..])
        }
        None => format!("{text}fixes:\n{entry}"),
    };
    std::fs::write(&path, text).expect("write the catalog file");
}

/// Explanations the synthetic catalog records: one for the changed demo TR ID of
/// fuopt_ccnl_notice (a conflict for `--write`), one for a whole block, one that explains
/// nothing (stale) and one that cannot be read.
fn record_explanations(spec: &Path) {
    record(
        spec,
        "domestic_futureoption/fuopt_ccnl_notice.yaml",
        "example sends tr_id H0IFCNI0; omits tr_id H0IFCNI9: the portal gives H0IFCNI9 for demo",
    );
    record(
        spec,
        "domestic_stock/inquire_ccnl.yaml",
        "example omits field output.*: the example leaves out fields of output",
    );
    record(
        spec,
        "domestic_stock/inquire_price.yaml",
        "example labels field stck_prpr: a label the example now shares",
    );
    record(
        spec,
        "domestic_stock/inquire_price.yaml",
        "example drops field stck_oprc: not a claim the importer knows",
    );
}

pub(super) fn spec_copy(dir: &Path) {
    let spec = crate::workspace_root().join("spec");
    std::fs::create_dir_all(dir).expect("the spec dir");
    std::fs::copy(spec.join("common.yaml"), dir.join("common.yaml")).expect("copy common.yaml");
    for f in COPIED {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().expect("a group dir")).expect("group dir");
        std::fs::copy(spec.join(f), to).expect("copy a catalog file");
    }
}

/// One synthetic example, in the shape the reader expects.
struct Ex<'a> {
    group: &'a str,
    id: &'a str,
    path: &'a str,
    method: &'a str,
    real: &'a str,
    demo: Option<&'a str>,
    inputs: Vec<(String, String, bool)>,
    outputs: Vec<(String, String)>,
    columns: Vec<String>,
}

impl Ex<'_> {
    fn write(&self, root: &Path) {
        let dir = root.join("examples_llm").join(self.group).join(self.id);
        std::fs::create_dir_all(&dir).expect("example dir");
        let mut py = format!("# [test] group > {} 이름[test-001]\n", self.id);
        let ws = self.method == "WS";
        if !ws {
            py.push_str(&format!("API_URL = \"{}\"\n\n", self.path));
        }
        py.push_str(&format!(
            "def {}(\n    env_dv: str,  # [필수] env\n",
            self.id
        ));
        for (wire, label, required) in &self.inputs {
            let mark = if *required { "[필수] " } else { "" };
            py.push_str(&format!(
                "    {}: str,  # {mark}{label}\n",
                wire.to_lowercase()
            ));
        }
        py.push_str(") -> None:\n    if env_dv == \"real\":\n");
        py.push_str(&format!("        tr_id = \"{}\"\n", self.real));
        py.push_str("    elif env_dv == \"demo\":\n");
        match self.demo {
            Some(d) => py.push_str(&format!("        tr_id = \"{d}\"\n")),
            None => py.push_str("        raise ValueError(\"no demo\")\n"),
        }
        if ws {
            py.push_str("    msg = ka.data_fetch(tr_id, tr_type, params)\n    columns = [\n");
            for c in &self.columns {
                py.push_str(&format!("        \"{c}\",\n"));
            }
            py.push_str("    ]\n");
        } else {
            py.push_str("    params = {\n");
            for (wire, _, _) in &self.inputs {
                py.push_str(&format!("        \"{wire}\": {},\n", wire.to_lowercase()));
            }
            py.push_str("    }\n");
            let post = if self.method == "POST" {
                ", postFlag=True"
            } else {
                ""
            };
            py.push_str(&format!(
                "    res = ka._url_fetch(API_URL, tr_id, \"\", params{post})\n"
            ));
        }
        std::fs::write(dir.join(format!("{}.py", self.id)), py).expect("write example");
        let mut chk = String::from("COLUMN_MAPPING = {\n");
        for (n, l) in &self.outputs {
            chk.push_str(&format!("    '{n}': '{l}',\n"));
        }
        chk.push_str("}\n");
        std::fs::write(dir.join(format!("chk_{}.py", self.id)), chk).expect("write check");
    }
}

/// An example that agrees with the catalog entry `e`.
fn agreeing(e: &Endpoint) -> Ex<'_> {
    let v = e.tr.variants.first();
    let realtime = e.kind == EndpointKind::WebSocket;
    let fields: Vec<&kis_codegen::model::Field> = if realtime {
        e.realtime.iter().flat_map(|r| &r.columns).collect()
    } else {
        e.response
            .body
            .iter()
            .chain(e.response.blocks.iter().flat_map(|b| &b.fields))
            .collect()
    };
    Ex {
        group: &e.group,
        id: &e.id,
        path: &e.path,
        method: match (e.kind, e.method) {
            (EndpointKind::WebSocket, _) => "WS",
            (_, Some(m)) => m.name(),
            (_, None) => "GET",
        },
        real: v.map_or("", |v| v.real.as_str()),
        demo: v.and_then(|v| v.demo.as_deref()),
        inputs: e
            .request
            .iter()
            .map(|f| (f.wire.clone(), f.label.clone(), f.required))
            .collect(),
        outputs: fields
            .iter()
            .map(|f| (f.wire.clone(), f.label.clone()))
            .collect(),
        columns: fields.iter().map(|f| f.wire.clone()).collect(),
    }
}

/// The synthetic tree: an added endpoint, a changed TR ID, an added realtime column, a removed
/// input, and a difference a recorded fix explains.
fn write_tree(catalog: &Catalog, root: &Path) {
    let price = catalog
        .endpoint("domestic_stock.inquire_price")
        .expect("inquire_price");
    let mut changed_tr = agreeing(price);
    changed_tr.demo = Some("VHKST01010199");
    changed_tr.write(root);

    let ccnl = catalog
        .endpoint("domestic_stock.inquire_ccnl")
        .expect("inquire_ccnl");
    let mut removed_input = agreeing(ccnl);
    removed_input.inputs.pop();
    // and two output fields: the recorded `output.*` explains each
    removed_input.outputs.drain(..2);
    removed_input.write(root);

    let ticks = catalog
        .endpoint("domestic_stock.ccnl_krx")
        .expect("ccnl_krx");
    let mut grown = agreeing(ticks);
    grown.columns.push("TEST_NEW_CLMN".to_string());
    grown
        .outputs
        .push(("TEST_NEW_CLMN".into(), "시험 신규 컬럼".into()));
    grown.write(root);

    let book = catalog
        .endpoint("domestic_stock.asking_price_krx")
        .expect("asking_price_krx");
    let mut reordered = agreeing(book);
    reordered.columns.swap(1, 2);
    // KIS's example lacks the mid-price columns, as the catalog records
    reordered.columns.retain(|c| !c.starts_with("KMID_"));
    reordered.write(root);

    // the recorded fix of auth_ws_token says the example lists code and message
    let ws_token = catalog
        .endpoint("auth.auth_ws_token")
        .expect("auth_ws_token");
    let mut explained = agreeing(ws_token);
    explained.outputs.push(("code".into(), "응답코드".into()));
    explained
        .outputs
        .push(("message".into(), "응답메세지".into()));
    explained.write(root);

    // a recorded fix keeps the portal's demo ID where the example reuses the real one
    let notice = catalog
        .endpoint("domestic_futureoption.fuopt_ccnl_notice")
        .expect("fuopt_ccnl_notice");
    let mut conflicting = agreeing(notice);
    conflicting.demo = Some(conflicting.real);
    conflicting.write(root);

    Ex {
        group: "domestic_stock",
        id: "test_new_quote",
        path: "/uapi/domestic-stock/v1/quotations/test-new-quote",
        method: "GET",
        real: "FHKSTTEST001",
        demo: None,
        inputs: vec![
            (
                "FID_COND_MRKT_DIV_CODE".into(),
                "조건 시장 분류 코드".into(),
                true,
            ),
            ("FID_INPUT_ISCD".into(), "입력 종목코드".into(), true),
            ("FID_TEST_OPTN".into(), "시험 선택 입력".into(), false),
        ],
        outputs: vec![
            ("stck_prpr".into(), "주식 현재가".into()),
            ("test_ntby_qty".into(), "시험 순매수 수량".into()),
        ],
        columns: Vec::new(),
    }
    .write(root);
}

fn setup() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = dir.path().join("spec");
    spec_copy(&spec);
    record_explanations(&spec);
    let catalog = kis_codegen::load_catalog(&spec).expect("the copied catalog loads");
    write_tree(&catalog, &dir.path().join("kis"));
    (dir, catalog)
}

#[test]
fn the_report_lists_each_kind_of_change_and_explains_recorded_fixes() {
    let (dir, catalog) = setup();
    let examples = read_tree(&dir.path().join("kis")).expect("the tree reads");
    assert_eq!(examples.len(), 7);
    let report = compare(&catalog, &examples);
    let unexplained: Vec<Category> = report.unexplained().map(|d| d.category).collect();
    assert!(
        report
            .unexplained()
            .any(|d| d.category == Category::Column && d.text.starts_with("reordered")),
        "{}",
        report.to_text()
    );
    for c in [
        Category::New,
        Category::TrId,
        Category::Column,
        Category::Input,
    ] {
        assert!(
            unexplained.contains(&c),
            "{c:?} missing:\n{}",
            report.to_text()
        );
    }
    let explained: Vec<&str> = report
        .endpoints
        .iter()
        .flat_map(|e| &e.differences)
        .filter(|d| d.explained_by.is_some())
        .map(|d| d.text.as_str())
        .collect();
    for text in ["code ", "message ", "KMID_PRC ", "demo: H0IFCNI0 "] {
        assert!(
            explained.iter().any(|t| t.starts_with(text)),
            "{text} not explained: {explained:?}"
        );
    }
    let by_block = report
        .endpoints
        .iter()
        .filter(|e| e.endpoint == "domestic_stock/inquire_ccnl")
        .flat_map(|e| &e.differences)
        .filter(|d| d.category == Category::Output)
        .filter(|d| d.explained_by.as_deref() == Some("the example leaves out fields of output"))
        .count();
    assert_eq!(by_block, 2, "{}", report.to_text());
    // the block's fields are explained by `output.*`, and none is left unexplained
    assert!(
        !report.unexplained().any(|d| d.category == Category::Output),
        "{}",
        report.to_text()
    );
    let recorded: Vec<&str> = report
        .unexplained()
        .filter(|d| d.category == Category::Explanation)
        .map(|d| d.text.as_str())
        .collect();
    assert_eq!(
        recorded,
        [
            "unreadable: \"example drops field stck_oprc: not a claim the importer knows\": \
             'drops field stck_oprc' is not a claim (one of: adds field, omits field, labels \
             field, adds input, omits input, requires input, sends tr_id, omits tr_id, adds \
             column, omits column, reorders column, uses path, has no folder)",
            "stale: \"example labels field stck_prpr\" matches no difference",
        ],
        "{}",
        report.to_text()
    );
    insta::assert_snapshot!("import_report", report.to_text());
    insta::assert_json_snapshot!("import_report_json", report.to_json());
}

#[test]
fn an_example_that_agrees_with_the_catalog_gives_no_difference() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let catalog =
        kis_codegen::load_catalog(&crate::workspace_root().join("spec")).expect("catalog");
    for id in ["domestic_stock.inquire_price", "domestic_stock.ccnl_krx"] {
        agreeing(catalog.endpoint(id).expect("endpoint")).write(dir.path());
    }
    let examples = read_tree(dir.path()).expect("the tree reads");
    let report = compare(&catalog, &examples);
    let compared: Vec<_> = report
        .endpoints
        .iter()
        .filter(|e| {
            e.endpoint == "domestic_stock/inquire_price" || e.endpoint == "domestic_stock/ccnl_krx"
        })
        .collect();
    assert!(compared.is_empty(), "{}", report.to_text());
}

#[test]
fn write_drafts_new_endpoints_applies_unambiguous_changes_and_the_result_loads() {
    let (dir, catalog) = setup();
    let spec = dir.path().join("spec");
    let examples = read_tree(&dir.path().join("kis")).expect("the tree reads");
    let report = compare(&catalog, &examples);
    let outcome = write::apply(&spec, &catalog, &examples, &report, &write::draft).expect("write");
    insta::assert_snapshot!("import_write_outcome", outcome.to_text());
    let draft =
        std::fs::read_to_string(spec.join("domestic_stock/test_new_quote.yaml")).expect("a draft");
    insta::assert_snapshot!("import_draft", draft);
    let price = std::fs::read_to_string(spec.join("domestic_stock/inquire_price.yaml"))
        .expect("inquire_price");
    assert!(price.contains("demo: VHKST01010199"), "{price}");
    let ticks =
        std::fs::read_to_string(spec.join("domestic_stock/ccnl_krx.yaml")).expect("ccnl_krx");
    assert!(
        ticks.contains("{name: TEST_NEW_CLMN, label: \"시험 신규 컬럼\"}"),
        "{ticks}"
    );

    // the written catalog is valid, has the new endpoint, and compares clean where applied
    let after = kis_codegen::load_catalog(&spec).unwrap_or_else(|d| panic!("{d}"));
    let new = after
        .endpoint("domestic_stock.test_new_quote")
        .expect("drafted endpoint");
    assert!(new.response.blocks.iter().all(|b| b.judged));
    let again = compare(&after, &examples);
    let left: Vec<String> = again
        .unexplained()
        .map(|d| format!("{:?} {}", d.category, d.text))
        .collect();
    assert!(
        left.iter().all(|d| d.starts_with("Input")
            || d.starts_with("Column reordered")
            || d.starts_with("Explanation")),
        "only the removed input, the reordered columns and the recorded lines that explain \
         nothing are left for review: {left:?}"
    );
    assert_eq!(outcome.conflicts.len(), 5, "{}", outcome.to_text());
    // the recorded fixes were not touched
    let notice = std::fs::read_to_string(spec.join("domestic_futureoption/fuopt_ccnl_notice.yaml"))
        .expect("fuopt_ccnl_notice");
    assert!(notice.contains("demo: H0IFCNI9"), "{notice}");
    let ws_token =
        std::fs::read_to_string(spec.join("auth/auth_ws_token.yaml")).expect("auth_ws_token");
    assert_eq!(
        ws_token,
        std::fs::read_to_string(crate::workspace_root().join("spec/auth/auth_ws_token.yaml"))
            .expect("the original")
    );
}

#[test]
fn keys_an_example_numbers_in_a_loop_are_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = dir.path().join("overseas_futureoption/series");
    std::fs::create_dir_all(&api).expect("example dir");
    let py = "API_URL = \"/uapi/test\"\n\
        def series(\n    qry_cnt: str,  # [필수] 요청개수\n) -> None:\n\
        \x20   tr_id = \"HHDFC55200000\"\n\
        \x20   params = {\n        \"QRY_CNT\": qry_cnt,\n    }\n\
        \x20   for i in range(1, 4):\n\
        \x20       srs_key = f\"srs_cd_{i:02d}\"\n\
        \x20       api_key = f\"SRS_CD_{i:02d}\"\n\
        \x20       params[api_key] = kwargs.get(srs_key, \"\")\n\
        \x20   params[other_key] = 1\n\
        \x20   res = ka._url_fetch(API_URL, tr_id, \"\", params)\n";
    std::fs::write(api.join("series.py"), py).expect("write example");
    let examples = read_tree(dir.path()).expect("the tree reads");
    let keys: Vec<(&str, bool)> = examples[0]
        .inputs
        .iter()
        .map(|i| (i.wire.as_str(), i.required))
        .collect();
    // the series expands; a computed key the reader cannot resolve is not guessed
    assert_eq!(
        keys,
        [
            ("QRY_CNT", true),
            ("SRS_CD_01", false),
            ("SRS_CD_02", false),
            ("SRS_CD_03", false)
        ]
    );
}

#[test]
fn lint_lists_recorded_lines_whose_names_contradict_the_entry() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = dir.path().join("spec");
    spec_copy(&spec);
    let file = "domestic_stock/inquire_price.yaml";
    for line in [
        "example omits field stck_prpr, output.*: fine, the entry has both",
        "example omits field no_such_field: a typo",
        "example adds field stck_prpr: but the entry has it",
        "example omits field output9.*: no such block",
        "example requires input FID_INPUT_ISCD; omits tr_id FHKST01010100: fine",
        "example omits tr_id FHKST99999999: not an ID of the entry",
        "example omits field: nothing named",
    ] {
        record(&spec, file, line);
    }
    let catalog = kis_codegen::load_catalog(&spec).expect("the copied catalog loads");
    let problems = super::lint(&catalog);
    assert_eq!(
        problems,
        [
            "domestic_stock/inquire_price.yaml: fixes: \"example omits field: nothing named\": \
             'omits field' names nothing",
            // `record` puts each line first, so the rest come in reverse
            "domestic_stock/inquire_price.yaml: fixes: \"example omits tr_id FHKST99999999\": \
             the entry has no FHKST99999999",
            "domestic_stock/inquire_price.yaml: fixes: \"example omits field output9.*\": the \
             entry has no output9.*",
            "domestic_stock/inquire_price.yaml: fixes: \"example adds field stck_prpr\": the \
             entry has stck_prpr",
            "domestic_stock/inquire_price.yaml: fixes: \"example omits field no_such_field\": \
             the entry has no no_such_field",
        ]
    );
}
