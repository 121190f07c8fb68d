//! Recorded answers held against the catalog: keys it does not list, values its types cannot
//! read, values that look like "no value" markers it does not know, blocks of the other shape,
//! and realtime frames with another number of columns.

use std::collections::BTreeMap;

use kis_api::meta::{EndpointKind, Shape, ValueType};
use kis_codegen::model::{Block, Catalog, Endpoint, Field};
use serde_json::Value;

use super::infer;
use super::recordings::{Entry, Recordings};

/// Values of one key kept for inferring its type.
const MAX_VALUES: usize = 200;
/// Values shown in a finding.
const MAX_EXAMPLES: usize = 3;
/// Characters of a value shown in a finding.
const EXAMPLE_CHARS: usize = 40;
/// Records of one realtime frame looked at (KIS sends a handful).
const MAX_RECORDS: usize = 1000;
/// What a recording shows for a hidden (personal) value.
const HIDDEN: &str = "***";

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A key of a known block (or the body) that the catalog does not list.
    UnknownKey,
    /// An object or list at the top of the body that is no block of the catalog.
    UnknownBlock,
    /// A value that the field's catalog type cannot read.
    Unreadable,
    /// A value that looks like a "no value" marker the catalog's `sentinels` do not list.
    Sentinel,
    /// An object block that arrived as a list.
    ListForObject,
    /// A list block that arrived as one object.
    ObjectForList,
    /// Realtime frames whose records have another number of columns than the catalog's.
    ColumnCount,
    /// A TR ID or endpoint the catalog does not have.
    UnknownTr,
}

impl Kind {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::UnknownKey => "unknown key",
            Kind::UnknownBlock => "unknown block",
            Kind::Unreadable => "unreadable value",
            Kind::Sentinel => "sentinel-looking value",
            Kind::ListForObject => "object block arrived as a list",
            Kind::ObjectForList => "list block arrived as an object",
            Kind::ColumnCount => "realtime column count",
            Kind::UnknownTr => "unknown TR",
        }
    }
}

/// One thing the recordings show that the catalog does not say.
#[derive(Debug, Clone)]
pub struct Finding {
    /// `group.id`, or the TR ID when the catalog has no such endpoint.
    pub endpoint: String,
    pub kind: Kind,
    /// The block's wire name; `None` for the top of the body (or a realtime TR).
    pub block: Option<String>,
    /// The key, field or column count concerned.
    pub key: String,
    /// How often it was seen.
    pub seen: usize,
    /// The catalog's type, for a known field.
    pub expected: Option<ValueType>,
    /// The type the values look like, for an unknown key.
    pub apparent: Option<ValueType>,
    /// A few values as recorded (already redacted), cut short.
    pub examples: Vec<String>,
    /// More to say.
    pub detail: String,
    /// Where it was first seen (`file:line`).
    pub first_seen: String,
    /// Values kept for inference.
    values: Vec<String>,
}

impl Finding {
    /// `block.key`, or the key alone.
    pub fn path(&self) -> String {
        match &self.block {
            Some(b) => format!("{b}.{}", self.key),
            None => self.key.clone(),
        }
    }
}

/// What the recordings show against the catalog.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Findings, by endpoint, kind, block and key.
    pub findings: Vec<Finding>,
    /// Successful REST answers looked at.
    pub answers: usize,
    /// Plain realtime frames looked at.
    pub frames: usize,
}

type Slot = (String, Kind, Option<String>, String);

/// Collects observations into findings.
struct Collector {
    found: BTreeMap<Slot, Finding>,
    /// The catalog's "no value" markers per type.
    sentinels: Vec<(ValueType, Vec<String>)>,
}

impl Collector {
    fn is_sentinel(&self, ty: ValueType, raw: &str) -> bool {
        self.sentinels
            .iter()
            .any(|(t, values)| *t == ty && values.iter().any(|v| v == raw.trim()))
    }

    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        at: &Entry,
        endpoint: &str,
        kind: Kind,
        block: Option<&str>,
        key: &str,
        expected: Option<ValueType>,
        value: Option<&str>,
        detail: impl FnOnce() -> String,
    ) {
        let slot = (
            endpoint.to_string(),
            kind,
            block.map(str::to_string),
            key.to_string(),
        );
        let f = self.found.entry(slot).or_insert_with(|| Finding {
            endpoint: endpoint.to_string(),
            kind,
            block: block.map(str::to_string),
            key: key.to_string(),
            seen: 0,
            expected,
            apparent: None,
            examples: Vec::new(),
            detail: detail(),
            first_seen: at.place(),
            values: Vec::new(),
        });
        f.seen += 1;
        if let Some(v) = value {
            if f.values.len() < MAX_VALUES {
                f.values.push(v.to_string());
            }
            let shown: String = v.chars().take(EXAMPLE_CHARS).collect();
            if !v.trim().is_empty()
                && f.examples.len() < MAX_EXAMPLES
                && !f.examples.contains(&shown)
            {
                f.examples.push(shown);
            }
        }
    }

    fn finish(self) -> Vec<Finding> {
        self.found
            .into_values()
            .map(|mut f| {
                if f.kind == Kind::UnknownKey {
                    f.apparent = infer::apparent_type(
                        f.values.iter().map(String::as_str).filter(|v| *v != HIDDEN),
                    );
                }
                f
            })
            .collect()
    }
}

/// A JSON value as KIS's text, or `None` for a nested object or list (or null).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Object(_) | Value::Array(_) => None,
    }
}

fn find_field<'a>(fields: &'a [Field], key: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.wire.eq_ignore_ascii_case(key))
}

fn find_block<'a>(blocks: &'a [Block], key: &str) -> Option<&'a Block> {
    blocks.iter().find(|b| {
        b.wire.eq_ignore_ascii_case(key) || b.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    })
}

/// The endpoint a REST line belongs to: its `endpoint` id, else its TR ID and path.
fn rest_endpoint<'c>(catalog: &'c Catalog, e: &Entry) -> Option<&'c Endpoint> {
    catalog.endpoint(e.text("endpoint")).or_else(|| {
        let (tr, path) = (e.text("tr_id"), e.text("path"));
        catalog
            .endpoints
            .iter()
            .find(|x| x.kind == EndpointKind::Rest && x.path == path && has_tr_id(x, tr))
    })
}

fn has_tr_id(e: &Endpoint, tr: &str) -> bool {
    !tr.is_empty()
        && e.tr.variants.iter().any(|v| {
            v.real == tr || v.demo.as_deref() == Some(tr) || v.aliases.iter().any(|a| a.tr_id == tr)
        })
}

/// Holds every recorded answer and frame against `catalog`.
pub fn analyze(catalog: &Catalog, recordings: &Recordings) -> Analysis {
    let mut c = Collector {
        found: BTreeMap::new(),
        sentinels: catalog.common.sentinels.clone(),
    };
    let mut analysis = Analysis::default();
    for e in &recordings.entries {
        match e.text("kind") {
            "rest" if rest(catalog, e, &mut c) => analysis.answers += 1,
            "ws_frame" if frame(catalog, e, &mut c) => analysis.frames += 1,
            _ => {}
        }
    }
    analysis.findings = c.finish();
    analysis
}

/// One REST line; false when it is no successful answer.
fn rest(catalog: &Catalog, e: &Entry, c: &mut Collector) -> bool {
    let status = e.value.get("status").and_then(Value::as_u64).unwrap_or(0);
    if !(200..400).contains(&status) {
        return false;
    }
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(e.text("body")) else {
        return false;
    };
    if body.get("rt_cd").and_then(Value::as_str).map(str::trim) != Some("0") {
        return false;
    }
    let Some(ep) = rest_endpoint(catalog, e) else {
        let tr = e.text("tr_id");
        c.note(e, tr, Kind::UnknownTr, None, tr, None, None, || {
            format!(
                "{} {}: no catalog endpoint has this TR ID and path",
                e.text("method"),
                e.text("path")
            )
        });
        return true;
    };
    let id = ep.qualified_id.as_str();
    for (key, v) in &body {
        if matches!(key.as_str(), "rt_cd" | "msg_cd" | "msg1") {
            continue;
        }
        if let Some(b) = find_block(&ep.response.blocks, key) {
            block(e, id, b, v, c);
        } else if let Some(f) = find_field(&ep.response.body, key) {
            if let Some(raw) = scalar(v) {
                value_in(e, id, None, f, &raw, c);
            }
        } else if matches!(v, Value::Object(_) | Value::Array(_)) {
            c.note(e, id, Kind::UnknownBlock, None, key, None, None, || {
                let shape = if v.is_array() { "list" } else { "object" };
                format!("a {shape} the catalog does not list as a block: add it by hand")
            });
        } else {
            c.note(
                e,
                id,
                Kind::UnknownKey,
                None,
                key,
                None,
                scalar(v).as_deref(),
                String::new,
            );
        }
    }
    true
}

/// One block of an answer.
fn block(e: &Entry, id: &str, b: &Block, v: &Value, c: &mut Collector) {
    let wire = Some(b.wire.as_str());
    let rows: Vec<&Value> = match v {
        Value::Array(rows) => {
            if b.shape == Shape::Object && !rows.is_empty() {
                c.note(
                    e,
                    id,
                    Kind::ListForObject,
                    None,
                    &b.wire,
                    None,
                    None,
                    || {
                        format!(
                            "the catalog says one object; a list of {} arrived",
                            rows.len()
                        )
                    },
                );
            }
            rows.iter().collect()
        }
        Value::Object(_) => {
            if b.shape == Shape::Array {
                c.note(
                    e,
                    id,
                    Kind::ObjectForList,
                    None,
                    &b.wire,
                    None,
                    None,
                    || "the catalog says a list; one object arrived".into(),
                );
            }
            vec![v]
        }
        _ => Vec::new(),
    };
    for row in rows {
        let Value::Object(row) = row else { continue };
        for (key, v) in row {
            match find_field(&b.fields, key) {
                Some(f) => {
                    if let Some(raw) = scalar(v) {
                        value_in(e, id, wire, f, &raw, c);
                    }
                }
                None => c.note(
                    e,
                    id,
                    Kind::UnknownKey,
                    wire,
                    key,
                    None,
                    scalar(v).as_deref(),
                    || {
                        if matches!(v, Value::Object(_) | Value::Array(_)) {
                            "a nested object or list: add it by hand".into()
                        } else {
                            String::new()
                        }
                    },
                ),
            }
        }
    }
}

/// A known field's value: readable by its type, and no "no value" marker the catalog lacks.
fn value_in(e: &Entry, id: &str, block: Option<&str>, f: &Field, raw: &str, c: &mut Collector) {
    if raw == HIDDEN || raw.trim().is_empty() {
        return;
    }
    if !infer::reads_as(f.ty, raw) {
        c.note(
            e,
            id,
            Kind::Unreadable,
            block,
            &f.wire,
            Some(f.ty),
            Some(raw),
            || format!("the catalog reads it as {}", f.ty.name()),
        );
    } else if infer::looks_like_sentinel(f.ty, raw) && !c.is_sentinel(f.ty, raw) {
        c.note(e, id, Kind::Sentinel, block, &f.wire, Some(f.ty), Some(raw), || {
            format!("a {} that may mean \"no value\": list it under sentinels in common.yaml if it does", f.ty.name())
        });
    }
}

/// One realtime frame; false when it is encrypted (no payload recorded) or not a frame.
fn frame(catalog: &Catalog, e: &Entry, c: &mut Collector) -> bool {
    if e.value.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return false;
    }
    let mut parts = e.text("text").splitn(4, '|');
    let (Some(flag), Some(tr), Some(count), Some(payload)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if flag != "0" {
        return false;
    }
    let Some(ep) = catalog
        .endpoints
        .iter()
        .find(|x| x.kind == EndpointKind::WebSocket && has_tr_id(x, tr))
    else {
        c.note(e, tr, Kind::UnknownTr, None, tr, None, None, || {
            "a realtime TR the catalog does not have".into()
        });
        return true;
    };
    let Some(rt) = &ep.realtime else { return true };
    let id = ep.qualified_id.as_str();
    let values: Vec<&str> = payload.split('^').collect();
    let records = count
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, MAX_RECORDS);
    if !values.len().is_multiple_of(records) {
        c.note(
            e,
            id,
            Kind::ColumnCount,
            None,
            &format!("{} values", values.len()),
            None,
            None,
            || {
                format!(
                    "{} values do not split into {records} records",
                    values.len()
                )
            },
        );
        return true;
    }
    let per = values.len() / records;
    let listed = rt.columns.len();
    if per != listed {
        c.note(e, id, Kind::ColumnCount, None, &format!("{per} columns"), None, None, || {
            if per > listed {
                format!(
                    "records carry {per} columns; the catalog lists {listed}: {} more at the end, whose names a person must find (KIS's workbook)",
                    per - listed
                )
            } else {
                format!("records carry {per} columns; the catalog lists {listed}: {} missing", listed - per)
            }
        });
    }
    for record in values.chunks(per.max(1)) {
        for (f, raw) in rt.columns.iter().zip(record) {
            value_in(e, id, None, f, raw, c);
        }
    }
    true
}
