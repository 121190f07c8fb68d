//! `cargo xtask learn` on recordings written by hand: what it finds, what `--write` does, and
//! recordings that are broken.

use std::path::{Path, PathBuf};

use kis_api::meta::ValueType;

use super::analyze::Kind;
use super::{Finding, learn, read, to_json, to_text};

const COPIED: [&str; 4] = [
    "domestic_stock/inquire_price.yaml",
    "domestic_stock/inquire_ccnl.yaml",
    "domestic_stock/ccnl_krx.yaml",
    "auth/auth_ws_token.yaml",
];

const SESSION: &str = r#"{"kind":"session","format":"kis-recording","version":1,"at":"2026-12-06T01:02:03.000Z","env":"real","client":"kis-api 0.1.0"}"#;

/// A catalog of a few endpoints in `dir`, copied from the repository's.
pub(super) fn spec_copy(dir: &Path, files: &[&str]) {
    let spec = crate::workspace_root().join("spec");
    std::fs::create_dir_all(dir).expect("the spec dir");
    std::fs::copy(spec.join("common.yaml"), dir.join("common.yaml")).expect("copy common.yaml");
    for f in files {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().expect("a group dir")).expect("group dir");
        std::fs::copy(spec.join(f), to).expect("copy a catalog file");
    }
}

/// A recording of `lines` (after the session line) in `dir`.
fn recording(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let mut text = format!("{SESSION}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a recording");
    p
}

/// A REST line of `endpoint` with `body`.
fn rest(endpoint: &str, tr_id: &str, path: &str, body: &serde_json::Value) -> String {
    serde_json::json!({
        "kind": "rest", "at": "2026-12-06T01:02:04.000Z", "env": "real",
        "endpoint": endpoint, "tr_id": tr_id, "method": "GET", "path": path, "page": "",
        "inputs": [["FID_INPUT_ISCD", "005930"]], "status": 200, "tr_cont": "",
        "body": body.to_string(),
    })
    .to_string()
}

fn frame(text: &str) -> String {
    serde_json::json!({"kind": "ws_frame", "at": "2026-12-06T01:02:05.000Z", "env": "real", "tr_id": "H0STCNT0", "text": text}).to_string()
}

fn find<'a>(findings: &'a [Finding], kind: Kind, path: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.kind == kind && f.path() == path)
        .unwrap_or_else(|| panic!("no {} at {path} in {findings:#?}", kind.name()))
}

#[test]
fn findings_of_every_kind_and_write_applies_only_unknown_keys_of_known_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("spec");
    spec_copy(&spec, &COPIED);
    let recs = dir.path().join("rec");
    std::fs::create_dir_all(&recs).expect("dir");
    let price = serde_json::json!({
        "rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다.",
        // an object block that arrived as a list, with a key the catalog lacks
        "output": [{"stck_prpr": "abc", "stck_mxpr": "99999999", "new_amt_val": "12.5", "new_flag_yn": "Y",
                    "new_day_dt": "20261204", "zz_thing": "12", "acct_like_cano": "***"}],
        "output9": {"x": "1"},
    });
    // 46 columns in the catalog; frames of 47, and two records of 47 in one frame
    let cols = |n: usize| (0..n).map(|i| format!("{i}")).collect::<Vec<_>>().join("^");
    recording(
        &recs,
        "a.jsonl",
        &[
            rest(
                "domestic_stock.inquire_price",
                "FHKST01010100",
                "/uapi/domestic-stock/v1/quotations/inquire-price",
                &price,
            ),
            frame(&format!("0|H0STCNT0|001|{}", cols(47))),
            frame(&format!("0|H0STCNT0|002|{}", cols(94))),
            frame("1|H0STCNT0|001|"),
        ],
    );
    let learned = learn(&spec, &recs, false).expect("learn");
    let f = &learned.analysis.findings;
    assert_eq!(learned.analysis.answers, 1);
    assert_eq!(
        learned.analysis.frames, 2,
        "the encrypted frame has no payload"
    );
    assert_eq!(
        find(f, Kind::UnknownKey, "output.new_amt_val").apparent,
        Some(ValueType::Decimal)
    );
    assert_eq!(
        find(f, Kind::UnknownKey, "output.new_flag_yn").apparent,
        Some(ValueType::YesNo)
    );
    assert_eq!(
        find(f, Kind::UnknownKey, "output.new_day_dt").apparent,
        Some(ValueType::Date)
    );
    assert_eq!(
        find(f, Kind::UnknownKey, "output.acct_like_cano").apparent,
        None
    );
    let unreadable = find(f, Kind::Unreadable, "output.stck_prpr");
    assert_eq!(unreadable.examples, ["abc"]);
    find(f, Kind::Sentinel, "output.stck_mxpr");
    find(f, Kind::ListForObject, "output");
    find(f, Kind::UnknownBlock, "output9");
    let columns = find(f, Kind::ColumnCount, "47 columns");
    assert_eq!(columns.endpoint, "domestic_stock.ccnl_krx");
    assert_eq!(columns.seen, 2);
    assert!(columns.detail.contains("1 more"), "{}", columns.detail);
    // the report, as text and as data
    let text = to_text(&learned);
    assert!(
        text.contains("domestic_stock.inquire_price: unknown key: output.new_amt_val (seen 1×, looks like decimal, e.g. 12.5)"),
        "{text}"
    );
    let json = to_json(&learned);
    let amt = json["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["key"] == "new_amt_val"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            amt["kind"].as_str(),
            amt["apparent_type"].as_str(),
            amt["block"].as_str()
        ),
        (Some("unknown key"), Some("decimal"), Some("output"))
    );
    assert!(
        amt["first_seen"]
            .as_str()
            .is_some_and(|p| p.ends_with("a.jsonl:2"))
    );

    let before = std::fs::read_to_string(spec.join(COPIED[0])).expect("read");
    let learned = learn(&spec, &recs, true).expect("learn --write");
    let outcome = learned.outcome.expect("an outcome");
    let after = std::fs::read_to_string(spec.join(COPIED[0])).expect("read");
    assert_eq!(outcome.applied.len(), 4, "{outcome:#?}");
    // name rules already type *_amt_val, *_yn and *_dt; zz_thing needs its type written
    for line in [
        "        - {name: new_amt_val, label: \"new_amt_val\", doc: \"learned from a recording of 2026-12-06",
        "        - {name: new_flag_yn, label: \"new_flag_yn\", doc:",
        "        - {name: new_day_dt, label: \"new_day_dt\", doc:",
        "        - {name: zz_thing, label: \"zz_thing\", type: integer, doc:",
    ] {
        assert!(after.contains(line), "{line} in\n{after}");
    }
    assert!(
        !after.contains("acct_like_cano"),
        "a hidden value is no type"
    );
    assert_eq!(after.lines().count(), before.lines().count() + 4);
    assert!(
        outcome.for_review.iter().any(|r| r.contains("output9")),
        "{:#?}",
        outcome.for_review
    );
    // the edited catalog loads, and learning again finds the keys known
    let again = learn(&spec, &recs, false).expect("learn again");
    assert!(
        !again
            .analysis
            .findings
            .iter()
            .any(|f| f.kind == Kind::UnknownKey && f.key == "new_amt_val")
    );
}

#[test]
fn broken_recordings_are_errors_with_file_and_line_and_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recs = dir.path();
    recording(
        recs,
        "a.jsonl",
        &[
            "{not json".to_string(),
            "[1,2]".to_string(),
            String::new(),
            rest("x.y", "T", "/p", &serde_json::json!({"rt_cd": "0"})),
            r#"{"kind":"rest","status":"two hundred","body":7}"#.to_string(),
            r#"{"kind":"ws_frame","text":"0|H0STCNT0|0|"}"#.to_string(),
            r#"{"kind":"ws_frame","text":"0|H0STCNT0|999999999999|a^b"}"#.to_string(),
            r#"{"kind":"ws_frame","text":"||||"}"#.to_string(),
        ],
    );
    std::fs::write(recs.join("b.jsonl"), "{\"kind\":\"rest\"}\n").expect("write");
    std::fs::write(recs.join("c.jsonl"), "").expect("write");
    std::fs::write(
        recs.join("d.jsonl"),
        SESSION.replace("\"version\":1", "\"version\":9"),
    )
    .expect("write");
    std::fs::write(recs.join("e.jsonl"), [0xff, 0xfe, b'\n', b'{']).expect("write");
    std::fs::write(recs.join("ignored.txt"), "anything").expect("write");
    let r = read(recs).expect("the directory reads");
    assert_eq!(r.files, 5);
    let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    let has =
        |place: &str, what: &str| errors.iter().any(|e| e.contains(place) && e.contains(what));
    assert!(has("a.jsonl:2", "not JSON"), "{errors:#?}");
    assert!(has("a.jsonl:3", "not a JSON object"), "{errors:#?}");
    assert!(has("b.jsonl:1", "not a recording"), "{errors:#?}");
    assert!(has("c.jsonl", "empty"), "{errors:#?}");
    assert!(has("d.jsonl:1", "version 9"), "{errors:#?}");
    assert!(has("e.jsonl:1", "not"), "{errors:#?}");
    assert_eq!(r.entries.len(), 5, "the readable lines of a.jsonl are kept");
    // analysing what was read never panics, whatever the lines hold
    let spec = dir.path().join("spec");
    spec_copy(&spec, &COPIED);
    let learned = learn(&spec, recs, false).expect("learn");
    assert!(
        learned
            .analysis
            .findings
            .iter()
            .any(|f| f.kind == Kind::UnknownTr),
        "{:#?}",
        learned.analysis.findings
    );
    assert!(read(&recs.join("missing")).is_err());
}
