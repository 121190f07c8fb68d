//! `--write`: the findings that need no judgement, applied to the catalog's files.
//!
//! Applied: a key the catalog does not list, in a block it does list (or at the top of a body
//! that lists fields), added after the block's last field with the key as its label, the type
//! its values showed when the catalog's name rules would say otherwise, and a `doc` saying it
//! was learned from a recording of a given date and wants review. Everything else needs a
//! person: an unknown block's layout, a value a type cannot read (the type or KIS is wrong), a
//! marker that may mean "no value", a block's shape, realtime columns without names.
//!
//! Files are edited as text, line by line, the way `cargo xtask import --write` does: comments,
//! order and style stay. The edited catalog must still load, else every file is put back.

use std::path::{Path, PathBuf};

use kis_api::meta::ValueType;
use kis_codegen::model::Catalog;

use super::analyze::{Finding, Kind};
use super::infer;

/// What `--write` did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Changes applied (`endpoint: what`).
    pub applied: Vec<String>,
    /// Findings left for a person, with why.
    pub for_review: Vec<String>,
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Byte offset where the list under the line at `header` (a `fields:` or `body:` key) ends,
/// and the indentation of its items; `None` when the list is empty or written inline.
fn list_end(lines: &[&str], header: usize) -> Option<(usize, usize)> {
    let key_indent = indent(lines[header]);
    let mut item_indent = None;
    let mut last = None;
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let ind = indent(line);
        // items may sit at the key's own indentation (`fields:\n- a`) or deeper
        if ind < key_indent || (ind == key_indent && !line.trim_start().starts_with("- ")) {
            break;
        }
        match item_indent {
            None if line.trim_start().starts_with("- ") => item_indent = Some(ind),
            None => return None,
            Some(ii) if ind < ii => break,
            Some(ii) if ind == ii && !line.trim_start().starts_with("- ") => break,
            Some(_) => {}
        }
        last = Some(i);
    }
    Some((last? + 1, item_indent?))
}

/// `text` with `entry` added as the last item of `block`'s fields (or of the body's fields when
/// `block` is `None`); `None` when the place cannot be found unambiguously.
pub fn insert_field(text: &str, block: Option<&str>, entry: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let response = lines.iter().position(|l| l.trim_end() == "response:")?;
    let header = match block {
        Some(name) => {
            let starts: Vec<usize> = (response + 1..lines.len())
                .filter(|&i| {
                    let t = lines[i].trim();
                    t == format!("- name: {name}") || t == format!("- name: \"{name}\"")
                })
                .collect();
            let [start] = starts[..] else { return None };
            let block_indent = indent(lines[start]);
            (start + 1..lines.len())
                .take_while(|&i| {
                    i == start + 1 || indent(lines[i]) > block_indent || lines[i].trim().is_empty()
                })
                .find(|&i| lines[i].trim() == "fields:")?
        }
        None => (response + 1..lines.len())
            .take_while(|&i| indent(lines[i]) > 0 || lines[i].trim().is_empty())
            .find(|&i| lines[i].trim() == "body:")?,
    };
    let (at, item_indent) = list_end(&lines, header)?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out.insert(at, format!("{}- {entry}", " ".repeat(item_indent)));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Some(joined)
}

/// The catalog line of a learned field: its type only when the name rules would say another.
fn entry_of(catalog: &Catalog, f: &Finding, ty: ValueType, date: &str) -> String {
    let (rule, _) = catalog.common.response_rules.classify(&f.key);
    let ty = if infer::agrees(rule, ty) {
        String::new()
    } else {
        format!(", type: {}", ty.name())
    };
    let doc = format!(
        "learned from a recording of {date} (cargo xtask learn): a key KIS sent that no source \
         documents; review its label and type"
    );
    format!(
        "{{name: {}, label: {}{ty}, doc: {}}}",
        f.key,
        q(&f.key),
        q(&doc)
    )
}

/// Whether a key makes a catalog name as it is (the loader refuses the rest).
fn plain_name(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !key.as_bytes()[0].is_ascii_digit()
}

/// Applies what needs no judgement to the files of `spec_dir`; `date` is the recording's.
pub fn apply(
    spec_dir: &Path,
    catalog: &Catalog,
    findings: &[Finding],
    date: &str,
) -> Result<Outcome, String> {
    let mut outcome = Outcome::default();
    let mut originals: Vec<(PathBuf, String)> = Vec::new();
    for f in findings {
        let line = format!("{}: {}: {}", f.endpoint, f.kind.name(), f.path());
        let ep = catalog.endpoint(&f.endpoint);
        let why = match (f.kind, ep, f.apparent) {
            (Kind::UnknownKey, Some(_), _) if !f.detail.is_empty() => Some(f.detail.clone()),
            (Kind::UnknownKey, Some(_), None) => {
                Some("every value was empty or hidden: the type is unknown".to_string())
            }
            (Kind::UnknownKey, Some(_), Some(_)) if !plain_name(&f.key) => {
                Some("the key is no plain name".to_string())
            }
            (Kind::UnknownKey, Some(_), Some(_)) => None,
            _ => Some(f.detail.clone()),
        };
        let (Some(ep), Some(ty), None) = (ep, f.apparent, &why) else {
            outcome
                .for_review
                .push(format!("{line}: {}", why.unwrap_or_default()));
            continue;
        };
        let file = spec_dir.join(&ep.source);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let entry = entry_of(catalog, f, ty, date);
        let Some(new) = insert_field(&text, f.block.as_deref(), &entry) else {
            outcome.for_review.push(format!(
                "{line}: its block's field list was not found in {}",
                ep.source
            ));
            continue;
        };
        if !originals.iter().any(|(p, _)| *p == file) {
            originals.push((file.clone(), text));
        }
        std::fs::write(&file, new).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        outcome
            .applied
            .push(format!("{line} added as {} to {}", ty.name(), ep.source));
    }
    if !originals.is_empty()
        && let Err(d) = kis_codegen::load_catalog(spec_dir)
    {
        for (p, text) in &originals {
            let _ = std::fs::write(p, text);
        }
        return Err(format!(
            "the edited catalog does not load; every file was put back:\n{d}"
        ));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "id: x\nrequest:\n  - name: A\n    label: a\nresponse:\n  blocks:\n    - name: output1\n      shape: object\n      fields:\n        - {name: a, label: 가}\n        - name: b\n          label: 나\n    - name: output2\n      shape: array\n      fields: []\n";

    #[test]
    fn a_field_goes_after_the_last_of_its_block_and_nowhere_else() {
        let out = insert_field(FILE, Some("output1"), "{name: c, label: c}").unwrap_or_default();
        assert!(
            out.contains("          label: 나\n        - {name: c, label: c}\n    - name: output2"),
            "{out}"
        );
        assert_eq!(
            out.len(),
            FILE.len() + "        - {name: c, label: c}\n".len()
        );
        // an inline empty list, a missing block, a request field's name: no place to write
        assert_eq!(insert_field(FILE, Some("output2"), "{name: c}"), None);
        assert_eq!(insert_field(FILE, Some("output9"), "{name: c}"), None);
        assert_eq!(insert_field(FILE, Some("A"), "{name: c}"), None);
        assert_eq!(insert_field(FILE, None, "{name: c}"), None);
    }
}
