//! `--write` with `--workbook`: the draft catalog file of an API only the workbook has. Unlike an
//! example, a sheet gives the layout, so the draft carries the response blocks with their shapes
//! (`split: source`), Required marks, lengths, and the value sets a description lists.

use std::fmt::Write as _;

use super::Example;
use super::workbook::{Api, BlockShape, Row};
use super::write::{head, q};

/// Where a drafted layout comes from.
const SOURCE_NOTE: &str = "KIS's full-document workbook";

/// Most values read out of one description.
const MAX_VALUES: usize = 64;

/// The values a description lists one to a line (`00 : 전체`, `1\t유상`, `Y: 예`), when it lists
/// at least two and every listed value is short.
pub fn value_set(description: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in description.lines() {
        let line = line.trim();
        let Some((value, label)) = line.split_once([':', '\t']) else {
            continue;
        };
        let (value, label) = (value.trim(), label.trim());
        let code = !value.is_empty()
            && value.len() <= 4
            && value.chars().all(|c| c.is_ascii_alphanumeric());
        if code && !label.is_empty() && !out.iter().any(|(v, _)| v == value) {
            out.push((value.to_string(), label.to_string()));
        }
        if out.len() > MAX_VALUES {
            return Vec::new();
        }
    }
    if out.len() < 2 { Vec::new() } else { out }
}

fn input(y: &mut String, r: &Row) {
    let mut extra = String::new();
    if r.required {
        extra.push_str(", required: true");
    }
    if let Some(n) = r.length.filter(|n| *n > 0) {
        let _ = write!(extra, ", max_length: {n}");
    }
    let values = value_set(&r.description);
    if values.is_empty() {
        let _ = writeln!(y, "  - {{name: {}, label: {}{extra}}}", r.name, q(&r.label));
        return;
    }
    let _ = writeln!(y, "  - name: {}", r.name);
    let _ = writeln!(y, "    label: {}", q(&r.label));
    for part in extra.split(", ").filter(|p| !p.is_empty()) {
        let _ = writeln!(y, "    {part}");
    }
    let _ = writeln!(y, "    values:");
    for (v, l) in &values {
        let _ = writeln!(y, "      - {{value: {}, label: {}}}", q(v), q(l));
    }
}

fn field(y: &mut String, indent: &str, r: &Row) {
    let _ = writeln!(y, "{indent}- {{name: {}, label: {}}}", r.name, q(&r.label));
}

/// The draft of `ex`, laid out as its sheet says; an example with no sheet is drafted as the
/// example import drafts it.
pub fn draft(ex: &Example, apis: &[Api]) -> String {
    let api = apis.iter().find(|a| {
        a.sheet.is_some()
            && Some(a.name.as_str()) == ex.name.as_deref()
            && Some(a.url.as_str()) == ex.path.as_deref()
    });
    let Some(api) = api else {
        return super::write::draft(ex);
    };
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Draft written by `cargo xtask import --workbook` from KIS's workbook (sheet {}); review it, then lint-spec.",
        api.sheet.as_deref().unwrap_or_default()
    );
    head(ex, &mut y);
    if api.websocket {
        let _ = writeln!(y, "encrypted: false");
        let _ = writeln!(y, "tr_key: {{meaning: symbol, label: \"종목코드\"}}");
        let _ = writeln!(y, "columns:");
        for c in &api.columns {
            field(&mut y, "  ", c);
        }
        let _ = writeln!(y, "fixes:");
        let _ = writeln!(
            y,
            "  - \"judged: drafted by cargo xtask import --workbook; encryption and the subscription key's meaning are assumed (not encrypted, a symbol)\""
        );
        return y;
    }
    if api.inputs.is_empty() {
        let _ = writeln!(y, "request: []");
    } else {
        let _ = writeln!(y, "request:");
        for i in &api.inputs {
            input(&mut y, i);
        }
    }
    let _ = writeln!(y, "response:");
    let top: Vec<&Row> = api
        .blocks
        .iter()
        .filter(|b| b.name.is_none())
        .flat_map(|b| &b.fields)
        .collect();
    if !top.is_empty() {
        let _ = writeln!(y, "  body:");
        for f in top {
            field(&mut y, "    ", f);
        }
    }
    let blocks: Vec<_> = api.blocks.iter().filter(|b| b.name.is_some()).collect();
    if blocks.is_empty() {
        let _ = writeln!(y, "  blocks: []");
        return y;
    }
    let _ = writeln!(y, "  blocks:");
    for b in blocks {
        let _ = writeln!(y, "    - name: {}", b.name.as_deref().unwrap_or("output"));
        let shape = match b.shape {
            Some(BlockShape::Array) => "array",
            _ => "object",
        };
        let _ = writeln!(y, "      shape: {shape}");
        let _ = writeln!(y, "      split: source");
        let _ = writeln!(y, "      note: {}", q(SOURCE_NOTE));
        if b.fields.is_empty() {
            let _ = writeln!(y, "      fields: []");
            continue;
        }
        let _ = writeln!(y, "      fields:");
        for f in &b.fields {
            field(&mut y, "        ", f);
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::value_set;

    #[test]
    fn a_description_that_lists_values_gives_them() {
        assert_eq!(
            value_set("00 : 전체\r\n01 : 매도\r\n02: 매수"),
            [
                ("00".to_string(), "전체".to_string()),
                ("01".to_string(), "매도".to_string()),
                ("02".to_string(), "매수".to_string())
            ]
        );
        assert_eq!(value_set(" 1\t유상\r\n2\t무상").len(), 2);
        assert!(value_set("조회시작일자(YYYYMMDD)").is_empty());
        assert!(value_set("Y : 예").is_empty(), "one value is no set");
        assert!(
            value_set("ex) 01011112222 : 번호\r\nhttps://x: y").is_empty(),
            "neither is a short code"
        );
    }
}
