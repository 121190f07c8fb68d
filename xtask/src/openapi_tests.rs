//! Tests of the OpenAPI export: coverage of the catalog, the facts an operation carries, and
//! (with Python) a maintained validator and a client a third-party generator made from it.

use std::path::Path;
use std::process::{Command, Output};

use kis_codegen::model::Catalog;
use serde_json::Value;

use super::{document, http_endpoints, operation_id, to_text};

fn catalog() -> Catalog {
    kis_codegen::load_catalog(&crate::workspace_root().join("spec")).expect("the catalog loads")
}

/// Every operation of the document, by operation id.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            ops.push((path.clone(), method.clone(), op));
        }
    }
    ops
}

fn operation<'a>(doc: &'a Value, id: &str) -> &'a Value {
    operations(doc)
        .into_iter()
        .find(|(_, _, op)| op["operationId"] == id)
        .map(|(_, _, op)| op)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

#[test]
fn every_rest_and_auth_endpoint_is_one_operation() {
    let catalog = catalog();
    let doc = document(&catalog).expect("a document");
    let ops = operations(&doc);
    let http: Vec<_> = http_endpoints(&catalog).collect();
    let rest = catalog
        .endpoints
        .iter()
        .filter(|e| e.kind == kis_codegen::model::EndpointKind::Rest)
        .count();
    assert!(rest > 250, "the catalog has {rest} REST endpoints");
    assert_eq!(ops.len(), http.len(), "one operation per HTTP endpoint");
    for e in &http {
        let (path, method, _) = ops
            .iter()
            .find(|(_, _, op)| op["operationId"] == operation_id(e).as_str())
            .unwrap_or_else(|| panic!("{} is missing", e.qualified_id));
        assert_eq!(path, &e.path, "{}", e.qualified_id);
        let wanted = e.method.expect("a method").name().to_lowercase();
        assert_eq!(method, &wanted, "{}", e.qualified_id);
    }
    let servers: Vec<&str> = doc["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .filter_map(|s| s["url"].as_str())
        .collect();
    assert_eq!(
        servers,
        [&catalog.common.real_rest[..], &catalog.common.demo_rest[..]]
    );
}

#[test]
fn an_operation_carries_tr_ids_inputs_blocks_and_demo() {
    let catalog = catalog();
    let doc = document(&catalog).expect("a document");
    let quote = operation(&doc, "domestic_stock_inquire_price");
    assert_eq!(quote["x-kis-demo"], true);
    let params = quote["parameters"].as_array().expect("parameters");
    let tr_id = params.iter().find(|p| p["name"] == "tr_id").expect("tr_id");
    assert_eq!(tr_id["in"], "header");
    assert_eq!(tr_id["schema"]["enum"][0], "FHKST01010100");
    let market = params
        .iter()
        .find(|p| p["name"] == "FID_COND_MRKT_DIV_CODE")
        .expect("the market input");
    assert_eq!(market["in"], "query");
    assert_eq!(market["required"], true);
    assert!(
        market["description"]
            .as_str()
            .expect("a label")
            .starts_with("조건 시장 분류 코드"),
        "{market}"
    );
    assert_eq!(market["schema"]["enum"][0], "J");
    let output = &doc["components"]["schemas"]["DomesticStockInquirePriceOutput"];
    assert_eq!(output["properties"]["stck_prpr"]["format"], "decimal");
    assert_eq!(
        output["properties"]["stck_prpr"]["description"],
        "주식 현재가"
    );

    // variants: each with its real and demo ID
    let with_variants = catalog
        .endpoints
        .iter()
        .find(|e| e.tr.variants.len() > 1 && e.tr.variants.iter().any(|v| v.demo.is_some()))
        .expect("an endpoint with TR ID variants");
    let op = operation(&doc, &operation_id(with_variants));
    let variants = op["x-kis-tr-ids"]["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), with_variants.tr.variants.len());
    for (v, expected) in variants.iter().zip(&with_variants.tr.variants) {
        assert_eq!(v["real"], expected.real.as_str());
        assert_eq!(v["demo"].as_str(), expected.demo.as_deref());
    }
    assert!(op["requestBody"].is_object() || op["parameters"].is_array());

    // real-only endpoints say so; paginated ones name their keys
    let real_only = catalog
        .endpoints
        .iter()
        .find(|e| e.kind == kis_codegen::model::EndpointKind::Rest && !e.demo)
        .expect("a real-only endpoint");
    assert_eq!(
        operation(&doc, &operation_id(real_only))["x-kis-demo"],
        false
    );
    let paged = catalog
        .endpoints
        .iter()
        .find(|e| e.kind == kis_codegen::model::EndpointKind::Rest && e.is_paginated())
        .expect("a paginated endpoint");
    let keys = &operation(&doc, &operation_id(paged))["x-kis-pagination"]["keys"];
    assert_eq!(
        keys.as_array().map(Vec::len),
        paged.pagination.as_ref().map(|p| p.keys.len())
    );

    // the error envelope names every known code
    let errors = doc["x-kis-errors"].as_array().expect("x-kis-errors");
    assert_eq!(errors.len(), catalog.common.errors.len());
    let envelope = &doc["components"]["schemas"]["KisError"];
    for c in &catalog.common.errors {
        assert!(
            envelope["description"]
                .as_str()
                .is_some_and(|d| d.contains(&c.code)),
            "{} missing from the envelope",
            c.code
        );
    }
}

#[test]
fn the_document_is_deterministic() {
    let catalog = catalog();
    let a = to_text(&document(&catalog).expect("a document")).expect("text");
    let b = to_text(&document(&catalog).expect("a document")).expect("text");
    assert_eq!(a, b);
    assert!(a.ends_with("}\n"));
}

// --- with Python: a maintained validator and a generated client ------------------------------

/// The Python packages the check uses, as `pip install` names them.
const PACKAGES: [&str; 2] = ["openapi-spec-validator", "openapi-python-client"];

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e} (the OpenAPI check needs python3)"));
    assert!(
        out.status.success(),
        "{shown} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn packages_present() -> bool {
    Command::new(python())
        .args([
            "-c",
            "import openapi_spec_validator, openapi_python_client, httpx, attrs",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails, naming the command that installs them, when the packages are missing: tests install
/// nothing (`.ci/run` installs them before the tests), and never skip.
fn require_python_packages() {
    assert!(
        packages_present(),
        "the OpenAPI check needs the Python packages {PACKAGES:?} in `{python}` ($PYTHON, default \
         python3); install them with `{python} -m pip install {packages}` (add \
         --break-system-packages for an externally managed system Python, as .ci/run does)",
        python = python(),
        packages = PACKAGES.join(" "),
    );
}

#[test]
fn the_document_validates_and_a_generated_python_client_reads_a_quote() {
    require_python_packages();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("openapi.json");
    let doc = document(&catalog()).expect("a document");
    std::fs::write(&file, to_text(&doc).expect("text")).expect("write the document");

    let validated = run(Command::new(python())
        .args(["-m", "openapi_spec_validator"])
        .arg(&file));
    assert!(
        String::from_utf8_lossy(&validated.stdout).contains("OK"),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );

    let client = dir.path().join("kis_client");
    run(Command::new(python())
        .args([
            "-m",
            "openapi_python_client",
            "generate",
            "--meta",
            "none",
            "--path",
        ])
        .arg(&file)
        .arg("--output-path")
        .arg(&client));
    assert!(
        client
            .join("api/domestic_stock/domestic_stock_inquire_price.py")
            .is_file()
    );

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = runtime
        .block_on(kis_mock::MockServer::start(kis_mock::MockConfig::default()))
        .expect("kis-mock starts");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi_quote.py");
    let out = run(Command::new(python())
        .arg(&script)
        .arg(dir.path())
        .arg(server.rest_url()));
    runtime.block_on(server.shutdown());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let price = stdout.lines().last().unwrap_or_default().trim();
    let price: rust_decimal::Decimal = price
        .parse()
        .unwrap_or_else(|e| panic!("not a price: {price:?} ({e})"));
    assert!(price > rust_decimal::Decimal::ZERO, "{price}");
}

#[test]
fn check_accepts_the_written_file_and_rejects_a_stale_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("docs/openapi.json");
    let spec = crate::workspace_root().join("spec");
    let ok = std::process::ExitCode::SUCCESS;
    assert_eq!(super::run(&spec, &file, false), Ok(ok));
    assert_eq!(super::run(&spec, &file, true), Ok(ok));
    let text = std::fs::read_to_string(&file).expect("the written file");
    std::fs::write(&file, text.replacen("FHKST01010100", "FHKST01010199", 1)).expect("edit");
    assert_eq!(
        super::run(&spec, &file, true),
        Ok(std::process::ExitCode::FAILURE)
    );
}
