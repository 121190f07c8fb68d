//! `--write`: draft files for new endpoints and the changes that need no judgement.
//!
//! Applied: a single-variant endpoint's TR ID that the example changed, and realtime columns the
//! example appends after the catalog's. Everything else is left for review; an example that
//! contradicts a recorded fix is a conflict, never applied.

use std::fmt::Write as _;
use std::path::Path;

use kis_codegen::model::{Catalog, Endpoint};

use super::{Category, Example, Report};

/// Draft note of a response block whose layout the example does not give.
const JUDGED_BLOCK_NOTE: &str = "drafted by cargo xtask import from KIS's example field list: \
    which block holds each field, the block shape and the value types are a judgement to review";

/// What `--write` did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files drafted for new endpoints.
    pub drafted: Vec<String>,
    /// Changes applied to existing files.
    pub applied: Vec<String>,
    /// Example facts that contradict a recorded fix, not applied.
    pub conflicts: Vec<String>,
    /// Differences left for a person.
    pub for_review: Vec<String>,
}

impl Outcome {
    /// The outcome as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (title, items) in [
            ("drafted", &self.drafted),
            ("applied", &self.applied),
            (
                "conflicts (a recorded fix disagrees; not applied)",
                &self.conflicts,
            ),
            ("left for review", &self.for_review),
        ] {
            let _ = writeln!(out, "{title}: {}", items.len());
            for i in items {
                let _ = writeln!(out, "  {i}");
            }
        }
        out
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
pub(super) fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The lines every draft starts with: id, name, API code, kind, method, path, TR IDs, demo.
pub(super) fn head(ex: &Example, y: &mut String) {
    let _ = writeln!(y, "id: {}", ex.id);
    let _ = writeln!(y, "name: {}", q(ex.name.as_deref().unwrap_or(&ex.id)));
    if let Some(code) = &ex.api_code {
        let _ = writeln!(y, "api_code: {}", q(code));
    }
    let real = ex.real.first().cloned().unwrap_or_default();
    if ex.method == "WS" {
        let _ = writeln!(y, "kind: websocket");
        let _ = writeln!(y, "path: /tryitout/{real}");
    } else {
        let _ = writeln!(y, "kind: rest");
        let _ = writeln!(y, "method: {}", ex.method);
        let _ = writeln!(y, "path: {}", ex.path.as_deref().unwrap_or(""));
    }
    if ex.real.len() <= 1 && ex.demo.len() <= 1 {
        match ex.demo.first() {
            Some(d) => {
                let _ = writeln!(y, "tr_id: {{real: {real}, demo: {d}}}");
            }
            None => {
                let _ = writeln!(y, "tr_id: {{real: {real}}}");
            }
        }
    } else {
        // several IDs: the source pairs them; which input selects them is a judgement
        let _ = writeln!(y, "tr_id:");
        let _ = writeln!(
            y,
            "  select: {{name: variant, label: \"judged: the example chooses by an argument; name it\"}}"
        );
        let _ = writeln!(y, "  variants:");
        for (i, r) in ex.real.iter().enumerate() {
            let _ = writeln!(y, "    - name: variant_{}", i + 1);
            let _ = writeln!(y, "      real: {r}");
            if let Some(d) = ex.demo.get(i) {
                let _ = writeln!(y, "      demo: {d}");
            }
        }
    }
    let _ = writeln!(y, "demo: {}", !ex.demo.is_empty());
}

/// The draft catalog file of an endpoint only the examples have.
pub fn draft(ex: &Example) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Draft written by `cargo xtask import` from KIS's example; review it, then lint-spec."
    );
    head(ex, &mut y);
    let ws = ex.method == "WS";
    if ws {
        let _ = writeln!(y, "encrypted: false");
        let _ = writeln!(y, "tr_key: {{meaning: symbol, label: \"종목코드\"}}");
        let _ = writeln!(y, "columns:");
        for c in &ex.columns {
            let label = ex
                .outputs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(c))
                .map_or(c.as_str(), |(_, l)| l.as_str());
            let _ = writeln!(y, "  - {{name: {c}, label: {}}}", q(label));
        }
        let _ = writeln!(y, "fixes:");
        let _ = writeln!(
            y,
            "  - \"judged: drafted by cargo xtask import; encryption and the subscription key's meaning are assumed (not encrypted, a symbol)\""
        );
        return y;
    }
    if ex.inputs.is_empty() {
        let _ = writeln!(y, "request: []");
    } else {
        let _ = writeln!(y, "request:");
        for i in &ex.inputs {
            let _ = writeln!(
                y,
                "  - {{name: {}, label: {}, required: {}}}",
                i.wire,
                q(&i.label),
                i.required
            );
        }
    }
    let _ = writeln!(y, "response:");
    if ex.outputs.is_empty() {
        let _ = writeln!(y, "  blocks: []");
        return y;
    }
    let _ = writeln!(y, "  blocks:");
    let _ = writeln!(y, "    - name: output");
    let _ = writeln!(y, "      shape: object");
    let _ = writeln!(y, "      split: judged");
    let _ = writeln!(y, "      note: {}", q(JUDGED_BLOCK_NOTE));
    let _ = writeln!(y, "      fields:");
    for (n, l) in &ex.outputs {
        let _ = writeln!(y, "        - {{name: {n}, label: {}}}", q(l));
    }
    y
}

/// Replaces the one line of `text` that holds `key: old` (as a YAML key or flow entry) with `new`.
fn replace_once(text: &str, key: &str, old: &str, new: &str) -> Option<String> {
    let pattern = format!("{key}: {old}");
    (text.matches(&pattern).count() == 1)
        .then(|| text.replacen(&pattern, &format!("{key}: {new}"), 1))
}

/// Applies what needs no judgement, drafts new endpoints and sorts out the rest.
pub fn apply(
    spec_dir: &Path,
    catalog: &Catalog,
    examples: &[Example],
    report: &Report,
    draft: &dyn Fn(&Example) -> String,
) -> Result<Outcome, String> {
    let mut outcome = Outcome::default();
    for er in &report.endpoints {
        let (group, id) = er.endpoint.split_once('/').unwrap_or_default();
        let ex = examples.iter().find(|x| x.group == group && x.id == id);
        let endpoint = catalog.endpoint(&format!("{group}.{id}"));
        let mut pending: Vec<String> = Vec::new();
        for d in &er.differences {
            let line = format!("{}: {}: {}", er.endpoint, d.category.name(), d.text);
            if let Some(why) = &d.explained_by {
                if matches!(
                    d.category,
                    Category::TrId | Category::Column | Category::Path
                ) {
                    outcome.conflicts.push(format!("{line} (recorded: {why})"));
                }
                continue;
            }
            pending.push(line);
        }
        match (ex, endpoint) {
            (Some(ex), None) => {
                if catalog.group(group).is_none() {
                    outcome.for_review.push(format!(
                        "{}: group {group} is not in common.yaml",
                        er.endpoint
                    ));
                    continue;
                }
                let path = spec_dir.join(group).join(format!("{id}.yaml"));
                if path.exists() {
                    outcome.conflicts.push(format!(
                        "{}: {} exists; not overwritten",
                        er.endpoint,
                        path.display()
                    ));
                    continue;
                }
                std::fs::write(&path, draft(ex))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                outcome.drafted.push(format!("{group}/{id}.yaml"));
            }
            (Some(ex), Some(e)) => {
                let file = spec_dir.join(&e.source);
                let mut text = std::fs::read_to_string(&file)
                    .map_err(|err| format!("{}: {err}", file.display()))?;
                let mut changed = Vec::new();
                pending.retain(|line| {
                    let done = apply_one(e, ex, line, &mut text);
                    if let Some(what) = &done {
                        let what = format!("{}: {what}", er.endpoint);
                        if !changed.contains(&what) {
                            changed.push(what);
                        }
                    }
                    done.is_none()
                });
                if !changed.is_empty() {
                    std::fs::write(&file, &text)
                        .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
                    outcome.applied.extend(changed);
                }
                outcome.for_review.extend(pending);
            }
            _ => outcome.for_review.extend(pending),
        }
    }
    Ok(outcome)
}

/// Replaces a single-variant endpoint's TR ID of one environment with the only one the example
/// sets there. Both differences of such a change (the new ID, the old one unset) resolve to it.
fn replace_tr_id(e: &Endpoint, ex: &Example, demo: bool, text: &mut String) -> Option<String> {
    let [v] = &e.tr.variants[..] else {
        return None;
    };
    let (key, old, listed) = if demo {
        ("demo", v.demo.as_deref()?, &ex.demo)
    } else {
        ("real", v.real.as_str(), &ex.real)
    };
    let [new] = &listed[..] else {
        return None;
    };
    let done = format!("{key} TR ID {old} -> {new}");
    if text.contains(&format!("{key}: {new}")) && !text.contains(&format!("{key}: {old}")) {
        return Some(done);
    }
    *text = replace_once(text, key, old, new)?;
    Some(done)
}

/// Applies one reported difference to the endpoint's file text when that needs no judgement;
/// says what it did.
fn apply_one(e: &Endpoint, ex: &Example, line: &str, text: &mut String) -> Option<String> {
    if line.contains(": tr_id: ") {
        return replace_tr_id(e, ex, line.contains(": tr_id: demo:"), text);
    }
    if line.contains(": realtime column: ") && line.ends_with(" added") {
        let rt = e.realtime.as_ref()?;
        let ours: Vec<&str> = rt.columns.iter().map(|c| c.wire.as_str()).collect();
        // unambiguous only when the example keeps every column in order and appends
        let prefix_kept = ex.columns.len() > ours.len()
            && ours
                .iter()
                .zip(&ex.columns)
                .all(|(o, c)| o.eq_ignore_ascii_case(c));
        if !prefix_kept {
            return None;
        }
        let name = line.rsplit(": ").next()?.strip_suffix(" added")?;
        let last = ours.last()?;
        let anchor = format!("{{name: {last},");
        let start = text.find(&anchor)?;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = start
            + text[start..]
                .find('\n')
                .map_or(text.len() - start, |i| i + 1);
        let indent = &text[line_start..start];
        let label = ex
            .outputs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(name, |(_, l)| l.as_str());
        // insert after the last column, or after the columns added before this one
        let mut at = line_end;
        while let Some(next) = text[at..].strip_prefix(indent) {
            if !next.starts_with("{name: ") {
                break;
            }
            at += indent.len() + next.find('\n').map_or(next.len(), |i| i + 1);
        }
        text.insert_str(
            at,
            &format!("{indent}{{name: {name}, label: {}}}\n", q(label)),
        );
        return Some(format!("realtime column {name} appended"));
    }
    None
}
