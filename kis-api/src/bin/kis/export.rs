//! `kis call --format json|csv` and `kis watch --json`: replies read by the catalog's types and
//! written through the library's `Serialize` ([`TypedValue`]), so the command line writes a
//! value exactly as a program serializing the generated types would: wire names as keys,
//! decimals as exact strings, ISO dates and times, `null` for empty, personal data as `***`.

use clap::ValueEnum;
use kis_api::DynamicReply;
use kis_api::EndpointMeta;
use kis_api::decode::TypedValue;
use kis_api::meta::{BlockMeta, FieldMeta, Shape};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::Failure;
use crate::render::clean;

/// How `kis call` prints a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Blocks as aligned tables and key/value lists
    Table,
    /// Typed JSON: each block under its wire name, values by the catalog's types
    Json,
    /// One CSV row per record of one block (--block), values by the catalog's types
    Csv,
}

/// A reply (or the pages of one) as an ordered tree that serializes like the generated types.
pub enum Node {
    /// A value read by its type.
    Value(TypedValue),
    /// A personal-data field.
    Redacted,
    /// A record or body: entries in catalog order.
    Map(Vec<(&'static str, Node)>),
    /// An array block's records.
    List(Vec<Node>),
    /// An object block that is empty.
    Null,
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Value(v) => v.serialize(s),
            Node::Redacted => s.serialize_str("***"),
            Node::Null => s.serialize_none(),
            Node::Map(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Node::List(items) => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    q.serialize_element(i)?;
                }
                q.end()
            }
        }
    }
}

/// `raw` read as field `f`'s type; a value the type cannot read stays as its text (the reply's
/// "not in the catalog" notes name it), never dropped.
pub fn value(f: &FieldMeta, raw: &str) -> Node {
    if f.redacted {
        return Node::Redacted;
    }
    Node::Value(TypedValue::read(f.ty, raw).unwrap_or_else(|_| TypedValue::Text(raw.to_string())))
}

/// One record: the wanted fields in catalog order.
pub fn record(fields: &[&'static FieldMeta], raw: impl Fn(&str) -> Option<String>) -> Node {
    Node::Map(
        fields
            .iter()
            .map(|f| (f.wire, value(f, raw(f.wire).as_deref().unwrap_or(""))))
            .collect(),
    )
}

/// The records of block `b` across `replies` (arrays from every page, objects from the last).
fn block_rows<'v>(
    b: &BlockMeta,
    replies: &'v [DynamicReply],
) -> Vec<&'v serde_json::Map<String, Value>> {
    match b.shape {
        Shape::Array => replies
            .iter()
            .flat_map(|r| crate::call::records(&r.body, b))
            .collect(),
        Shape::Object => replies
            .last()
            .map(|r| crate::call::records(&r.body, b))
            .unwrap_or_default(),
    }
}

/// Text of a JSON scalar of a KIS body.
fn raw_of(row: &serde_json::Map<String, Value>, wire: &str) -> Option<String> {
    crate::call::field_in(row, wire).map(crate::call::scalar)
}

/// The typed JSON of `replies`: each block under its wire name, then the top-level fields of the
/// last page. `wanted` selects fields (`--fields`).
pub fn typed_json(
    meta: &EndpointMeta,
    replies: &[DynamicReply],
    wanted: &dyn Fn(&FieldMeta) -> bool,
) -> Node {
    let mut entries = Vec::new();
    for b in meta.blocks {
        let fields: Vec<&'static FieldMeta> = b.fields.iter().filter(|f| wanted(f)).collect();
        if fields.is_empty() {
            continue;
        }
        let rows: Vec<Node> = block_rows(b, replies)
            .into_iter()
            .map(|row| record(&fields, |w| raw_of(row, w)))
            .collect();
        let node = match b.shape {
            Shape::Array => Node::List(rows),
            Shape::Object => rows.into_iter().next().unwrap_or(Node::Null),
        };
        entries.push((b.wire, node));
    }
    if let Some(Value::Object(top)) = replies.last().map(|r| &r.body) {
        for f in meta.body.iter().filter(|f| wanted(f)) {
            if let Some(raw) = raw_of(top, f.wire) {
                entries.push((f.wire, value(f, &raw)));
            }
        }
    }
    Node::Map(entries)
}

/// One CSV row per record of one block: `block` names it, else the endpoint's only block, else
/// its first array block. A header row of wire names (or labels); values as in JSON.
pub fn csv(
    meta: &EndpointMeta,
    replies: &[DynamicReply],
    block: Option<&str>,
    wanted: &dyn Fn(&FieldMeta) -> bool,
    labels: bool,
) -> Result<String, Failure> {
    let b = pick_block(meta, block)?;
    let fields: Vec<&'static FieldMeta> = b.fields.iter().filter(|f| wanted(f)).collect();
    let mut out = String::new();
    let header: Vec<&str> = fields
        .iter()
        .map(|f| if labels { f.label } else { f.wire })
        .collect();
    csv_line(&mut out, header.iter().map(|h| h.to_string()));
    for row in block_rows(b, replies) {
        let Node::Map(cells) = record(&fields, |w| raw_of(row, w)) else {
            continue;
        };
        csv_line(&mut out, cells.iter().map(|(_, v)| cell_text(v)));
    }
    Ok(out)
}

/// The block `--block` names, or the one a CSV of this endpoint writes by default.
fn pick_block(meta: &EndpointMeta, block: Option<&str>) -> Result<&'static BlockMeta, Failure> {
    let names = || {
        meta.blocks
            .iter()
            .map(|b| b.wire)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = block {
        return meta
            .blocks
            .iter()
            .find(|b| b.is_named(name.trim()))
            .ok_or_else(|| {
                Failure::usage(format!(
                    "{} has no block '{}'; blocks: {}",
                    meta.id,
                    clean(name),
                    names()
                ))
            });
    }
    let chosen = match meta.blocks {
        [only] => Some(only),
        blocks => blocks
            .iter()
            .find(|b| b.shape == Shape::Array)
            .or(blocks.first()),
    };
    let Some(b) = chosen else {
        return Err(Failure::usage(format!(
            "{} answers no block to write as CSV; use --format json",
            meta.id
        )));
    };
    if meta.blocks.len() > 1 {
        eprintln!(
            "kis: CSV of block {} (--block chooses among {})",
            b.wire,
            names()
        );
    }
    Ok(b)
}

/// A cell as CSV text: the value as its JSON scalar reads, empty for null.
fn cell_text(v: &Node) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => clean(&s),
        Ok(Value::Null) | Err(_) => String::new(),
        Ok(other) => other.to_string(),
    }
}

/// Appends one RFC 4180 line: a cell with a comma, quote or line break is quoted, quotes doubled.
fn csv_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_when_they_must_be() {
        let mut out = String::new();
        csv_line(
            &mut out,
            ["plain", "a,b", "say \"hi\"", ""]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\r\n");
    }

    #[test]
    fn values_read_by_type_and_personal_data_hidden() {
        let price = FieldMeta::new("stck_prpr", "현재가", kis_api::meta::ValueType::Price);
        let date = FieldMeta::new("bass_dt", "기준일자", kis_api::meta::ValueType::Date);
        let account = FieldMeta::new("cano", "계좌", kis_api::meta::ValueType::Text).redacted();
        assert_eq!(cell_text(&value(&price, "+71900.50")), "71900.50");
        assert_eq!(cell_text(&value(&date, "20240105")), "2024-01-05");
        assert_eq!(cell_text(&value(&date, "")), "");
        assert_eq!(cell_text(&value(&account, "12345678")), "***");
        // a value the type cannot read is kept as sent
        assert_eq!(cell_text(&value(&price, "n/a")), "n/a");
    }
}
