//! The catalog audit of `cargo xtask spec-report`: patterns that usually mean a catalog entry
//! disagrees with what KIS sends. A finding is accepted when its endpoint file records a reason:
//! a `fixes:` entry, or the block's `note:`, starting with `audit <check>:` and naming the block
//! or field the finding is about (the format has no dedicated key for it).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Block, Catalog, Endpoint, EndpointKind, Field, Shape};
use kis_catalog::ValueType;

/// Words of a Korean endpoint name that announce rows rather than one record.
const LIST_WORDS: &[&str] = &[
    "일별",
    "추이",
    "목록",
    "리스트",
    "현황",
    "순위",
    "체결",
    "내역",
    "휴장일",
    "뉴스",
    "제목",
    "기간별",
    "분봉",
    "시간대별",
    "비교대상",
];

/// Last name parts (after the final `_`, trailing digits removed) that mean a code or an id.
const CODE_PARTS: &[&str] = &[
    "cd", "code", "iscd", "no", "id", "odno", "pdno", "symb", "rsym", "excd", "key",
];

/// Request field names that carry a continuation key.
const CONTINUATION_MARKERS: &[&str] = &["CTX_AREA", "KEYB", "INDEX_KEY"];

/// One kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Two fields of one block (or realtime record) share a Korean label.
    RepeatedLabel,
    /// An object block whose endpoint pages, or whose name announces rows.
    ListBlock,
    /// A code-like field (name or label) under a numeric type, which would drop leading zeros.
    CodeNumeric,
    /// A request field that looks like a continuation key on an endpoint without pagination.
    UnpagedContinuation,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 4] = [
        Check::RepeatedLabel,
        Check::ListBlock,
        Check::CodeNumeric,
        Check::UnpagedContinuation,
    ];

    /// The name used in reports and in recorded reasons (`audit <name>: ...`).
    pub fn name(self) -> &'static str {
        match self {
            Check::RepeatedLabel => "repeated-label",
            Check::ListBlock => "list-block",
            Check::CodeNumeric => "code-numeric",
            Check::UnpagedContinuation => "unpaged-continuation",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// Qualified endpoint id.
    pub endpoint: String,
    /// Block wire name, `columns` for realtime records, or `request`.
    pub place: String,
    /// The fields concerned.
    pub fields: Vec<String>,
    /// What was found.
    pub detail: String,
    /// The recorded reason, when the file has one.
    pub reason: Option<String>,
}

/// Counts of one check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckCount {
    /// Findings.
    pub findings: usize,
    /// Findings with a recorded reason.
    pub accepted: usize,
}

/// The audit section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Findings in total.
    pub findings: usize,
    /// Findings with a recorded reason.
    pub accepted: usize,
    /// Findings without one.
    pub open: usize,
    /// Counts per check (by check name).
    pub by_check: BTreeMap<String, CheckCount>,
    /// Every finding, by check then endpoint.
    pub list: Vec<Finding>,
}

impl Audit {
    /// Runs every check over a validated catalog.
    pub fn new(catalog: &Catalog) -> Audit {
        let mut list = Vec::new();
        for e in &catalog.endpoints {
            repeated_labels(e, &mut list);
            list_blocks(e, &mut list);
            code_numeric(e, &mut list);
            unpaged_continuation(e, &mut list);
        }
        for f in &mut list {
            if let Some(e) = catalog.endpoint(&f.endpoint) {
                f.reason = recorded_reason(e, f);
            }
        }
        list.sort_by(|a, b| (a.check, &a.endpoint).cmp(&(b.check, &b.endpoint)));
        let mut by_check: BTreeMap<String, CheckCount> = Check::ALL
            .iter()
            .map(|c| (c.name().to_string(), CheckCount::default()))
            .collect();
        for f in &list {
            let c = by_check.entry(f.check.name().to_string()).or_default();
            c.findings += 1;
            c.accepted += usize::from(f.reason.is_some());
        }
        let accepted = list.iter().filter(|f| f.reason.is_some()).count();
        Audit {
            findings: list.len(),
            accepted,
            open: list.len() - accepted,
            by_check,
            list,
        }
    }
}

/// The blocks of an endpoint plus its realtime record, as (place, fields).
fn records(e: &Endpoint) -> Vec<(&str, &[Field])> {
    let mut out: Vec<(&str, &[Field])> = e
        .response
        .blocks
        .iter()
        .map(|b| (b.wire.as_str(), b.fields.as_slice()))
        .collect();
    if let Some(rt) = &e.realtime {
        out.push(("columns", rt.columns.as_slice()));
    }
    out
}

fn repeated_labels(e: &Endpoint, out: &mut Vec<Finding>) {
    for (place, fields) in records(e) {
        let mut by_label: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for f in fields {
            by_label.entry(f.label.trim()).or_default().push(&f.wire);
        }
        for (label, wires) in by_label {
            if wires.len() > 1 && !label.is_empty() {
                out.push(finding(
                    Check::RepeatedLabel,
                    e,
                    place,
                    wires.iter().map(|w| w.to_string()).collect(),
                    format!("label '{label}' on {}", wires.join(", ")),
                ));
            }
        }
    }
}

fn list_blocks(e: &Endpoint, out: &mut Vec<Finding>) {
    let blocks = &e.response.blocks;
    if e.kind != EndpointKind::Rest
        || blocks.is_empty()
        || blocks.iter().any(|b| b.shape == Shape::Array)
    {
        return;
    }
    let word = LIST_WORDS.iter().find(|w| e.name.contains(**w));
    let why = match (e.is_paginated(), word) {
        (true, _) => "the endpoint pages, yet it has no array block".to_string(),
        (false, Some(w)) => format!("the name '{}' ('{w}') announces rows", e.name),
        (false, None) => return,
    };
    for b in blocks {
        out.push(finding(
            Check::ListBlock,
            e,
            &b.wire,
            Vec::new(),
            format!("object block: {why}"),
        ));
    }
}

fn is_numeric(t: ValueType) -> bool {
    matches!(
        t,
        ValueType::Decimal
            | ValueType::Price
            | ValueType::Amount
            | ValueType::Rate
            | ValueType::Quantity
            | ValueType::Integer
    )
}

/// Whether a field's name or Korean label says it holds a code or an id.
fn is_code_like(f: &Field) -> bool {
    let name = f.wire.to_ascii_lowercase();
    let name = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let last = name.rsplit('_').next().unwrap_or(name);
    // 레코드 (record) contains 코드 but means a count
    let label = f.label.replace("레코드", "");
    CODE_PARTS.contains(&last) || label.contains("코드")
}

fn code_numeric(e: &Endpoint, out: &mut Vec<Finding>) {
    for (place, fields) in records(e)
        .into_iter()
        .chain([("body", e.response.body.as_slice())])
    {
        for f in fields {
            if is_numeric(f.ty) && is_code_like(f) {
                out.push(finding(
                    Check::CodeNumeric,
                    e,
                    place,
                    vec![f.wire.clone()],
                    format!("{} ({}) is typed {}", f.wire, f.label, f.ty.name()),
                ));
            }
        }
    }
}

fn unpaged_continuation(e: &Endpoint, out: &mut Vec<Finding>) {
    if e.is_paginated() {
        return;
    }
    let keys: Vec<String> = e
        .request
        .iter()
        .filter(|f| {
            let w = f.wire.to_ascii_uppercase();
            CONTINUATION_MARKERS.iter().any(|m| w.contains(m))
        })
        .map(|f| f.wire.clone())
        .collect();
    if !keys.is_empty() {
        let detail = format!("sends {} but has no pagination", keys.join(", "));
        out.push(finding(
            Check::UnpagedContinuation,
            e,
            "request",
            keys,
            detail,
        ));
    }
}

fn finding(
    check: Check,
    e: &Endpoint,
    place: &str,
    fields: Vec<String>,
    detail: String,
) -> Finding {
    Finding {
        check,
        endpoint: e.qualified_id.clone(),
        place: place.to_string(),
        fields,
        detail,
        reason: None,
    }
}

/// The recorded reason for a finding: a `fixes:` entry or the block's `note:` that starts with
/// `audit <check>:` and, after that tag, names the block (or, for field findings, one of the
/// fields) as a whole word.
fn recorded_reason(e: &Endpoint, f: &Finding) -> Option<String> {
    let tag = format!("audit {}:", f.check.name());
    let subjects: Vec<&str> = match f.check {
        Check::UnpagedContinuation | Check::CodeNumeric => {
            f.fields.iter().map(String::as_str).collect()
        }
        Check::RepeatedLabel | Check::ListBlock => vec![f.place.as_str()],
    };
    let reason_for = |text: &str| {
        let rest = text.trim_start().strip_prefix(&tag)?;
        subjects
            .iter()
            .any(|s| mentions(rest, s))
            .then(|| text.to_string())
    };
    e.fixes.iter().find_map(|x| reason_for(x)).or_else(|| {
        let block = e
            .response
            .blocks
            .iter()
            .find(|b: &&Block| b.wire == f.place)?;
        let note = block.note.as_deref()?;
        let at = note.find(&tag)?;
        reason_for(&note[at..])
    })
}

/// Whether `text` contains `word` with no identifier character on either side.
fn mentions(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceFile, load_from_sources};

    const COMMON: &str = r#"
hosts:
  real: {rest: "https://real", websocket: "ws://real"}
  demo: {rest: "https://demo", websocket: "ws://demo"}
headers: []
rate_limits: {real_per_second: 20, demo_per_second: 2, token_issue_interval_seconds: 60, websocket_subscriptions: 40, client_real_per_second: 19, client_demo_per_second: 2, client_token_issue_interval_seconds: 61}
errors: []
groups:
  - {id: domestic_stock, name: 국내주식, feature: domestic-stock, account: stock, doc: stocks}
fills: []
value_types:
  default: text
  rules:
    - {type: integer, names: [code]}
    - {type: price, suffixes: [prpr]}
request_types:
  default: text
  rules: []
"#;

    fn endpoint(id: &str, name: &str, extra: &str, blocks: &str) -> SourceFile {
        let tr = format!("FHTEST{}", id.to_ascii_uppercase());
        let request = if extra.contains("request:") {
            ""
        } else {
            "request: []\n"
        };
        SourceFile {
            path: format!("domestic_stock/{id}.yaml"),
            text: format!(
                "id: {id}\nname: {name}\nkind: rest\nmethod: GET\npath: /p/{id}\n\
                 tr_id: {{real: {tr}}}\ndemo: false\n{request}{extra}response:\n  blocks:\n{blocks}"
            ),
        }
    }

    const OBJECT: &str = "    - name: output\n      shape: object\n      split: source\n      \
                          fields:\n        - {name: stck_prpr, label: 현재가}\n        \
                          - {name: code, label: 종목코드}\n        - {name: bass_prpr, label: 현재가}\n";

    fn audit(files: Vec<SourceFile>) -> Audit {
        let mut sources = vec![SourceFile {
            path: "common.yaml".to_string(),
            text: COMMON.to_string(),
        }];
        sources.extend(files);
        Audit::new(&load_from_sources(&sources).expect("valid test catalog"))
    }

    fn checks(a: &Audit) -> Vec<(Check, &str)> {
        a.list
            .iter()
            .map(|f| (f.check, f.endpoint.as_str()))
            .collect()
    }

    #[test]
    fn finds_each_pattern() {
        let paged = "request:\n  - {name: CTX_AREA_FK100, label: 키, default: \"\"}\n\
                     pagination:\n  - {request: CTX_AREA_FK100, response: ctx_area_fk100}\n";
        let unpaged = "request:\n  - {name: KEYB, label: 다음키, default: \"\"}\n";
        let a = audit(vec![
            endpoint("quote", "현재가", "", OBJECT),
            endpoint("days", "휴장일조회", paged, OBJECT),
            endpoint("rank", "순위", unpaged, OBJECT),
        ]);
        let found = checks(&a);
        for ep in ["days", "quote", "rank"] {
            let id = format!("domestic_stock.{ep}");
            assert!(
                found.contains(&(Check::RepeatedLabel, id.as_str())),
                "{found:?}"
            );
            assert!(
                found.contains(&(Check::CodeNumeric, id.as_str())),
                "{found:?}"
            );
        }
        assert!(found.contains(&(Check::ListBlock, "domestic_stock.days")));
        assert!(found.contains(&(Check::ListBlock, "domestic_stock.rank")));
        assert!(!found.contains(&(Check::ListBlock, "domestic_stock.quote")));
        assert!(found.contains(&(Check::UnpagedContinuation, "domestic_stock.rank")));
        assert!(!found.contains(&(Check::UnpagedContinuation, "domestic_stock.days")));
        assert_eq!(a.findings, 9);
        assert_eq!((a.accepted, a.open), (0, 9));
        assert_eq!(a.by_check["list-block"].findings, 2);
    }

    #[test]
    fn a_recorded_reason_accepts_only_its_own_finding() {
        let extra = "request:\n  - {name: KEYB, label: 다음키, default: \"\"}\n\
            fixes:\n  - \"audit unpaged-continuation: KEYB is never returned\"\n  \
            - \"audit repeated-label: output repeats 현재가 on purpose\"\n  \
            - \"audit code-numeric: a reason about another field (stck_prpr)\"\n";
        let a = audit(vec![endpoint("rank", "순위", extra, OBJECT)]);
        let reason = |c: Check| {
            a.list
                .iter()
                .find(|f| f.check == c)
                .and_then(|f| f.reason.clone())
        };
        assert_eq!(
            reason(Check::UnpagedContinuation).as_deref(),
            Some("audit unpaged-continuation: KEYB is never returned")
        );
        assert!(reason(Check::RepeatedLabel).is_some());
        assert_eq!(reason(Check::CodeNumeric), None, "names another field");
        assert_eq!(reason(Check::ListBlock), None, "no list-block reason");
        assert_eq!((a.accepted, a.open), (2, 2));
    }

    #[test]
    fn an_array_block_or_a_plain_name_is_no_list_finding() {
        let blocks = "    - name: output1\n      shape: object\n      split: source\n      \
                      fields:\n        - {name: a_prpr, label: 가}\n    - name: output2\n      \
                      shape: array\n      split: source\n      fields:\n        \
                      - {name: b_prpr, label: 나}\n";
        let a = audit(vec![endpoint("daily", "일별", "", blocks)]);
        assert!(a.list.is_empty(), "{:?}", a.list);
    }
}
