//! The same account of a body kept as JSON (dynamic calls, the `kis` command line): which keys
//! the catalog does not know and which values their types cannot read, with the rules of the
//! typed decoder (keys in any case, blocks under their aliases, continuation keys known).

use serde_json::{Map, Value};

use super::{Unrecognized, UnrecognizedKind, ValueError, values};
use crate::meta::{BlockMeta, EndpointMeta, FieldMeta, ValueType};

/// Keys of a body the envelope owns.
const ENVELOPE: [&str; 3] = ["rt_cd", "msg_cd", "msg1"];

/// What `body` holds that the catalog entry `meta` does not account for, in body order (object
/// keys in the order `serde_json` keeps them).
pub fn unrecognized_in(meta: &'static EndpointMeta, body: &Value) -> Vec<Unrecognized> {
    let mut found = Vec::new();
    let Value::Object(top) = body else {
        return found;
    };
    for (key, value) in top {
        if ENVELOPE.contains(&key.as_str()) || is_page_key(meta, key) {
            continue;
        }
        if let Some(block) = meta.blocks.iter().find(|b| b.is_named(key)) {
            check_block(meta, block, value, &mut found);
        } else if let Some(f) = find(meta.body, key) {
            check_value(meta, None, None, f, value, &mut found);
        } else {
            found.push(unknown(meta, None, None, key, value));
        }
    }
    found
}

fn is_page_key(meta: &EndpointMeta, key: &str) -> bool {
    meta.pagination
        .iter()
        .any(|p| p.block.is_none() && p.response.eq_ignore_ascii_case(key))
}

fn find<'m>(fields: &'m [FieldMeta], key: &str) -> Option<&'m FieldMeta> {
    fields.iter().find(|f| f.wire.eq_ignore_ascii_case(key))
}

fn check_block(
    meta: &'static EndpointMeta,
    block: &'static BlockMeta,
    value: &Value,
    found: &mut Vec<Unrecognized>,
) {
    match value {
        Value::Array(rows) => {
            for (i, row) in rows.iter().enumerate() {
                if let Value::Object(record) = row {
                    check_record(meta, block, Some(i), record, found);
                }
            }
        }
        Value::Object(record) => check_record(meta, block, None, record, found),
        _ => {}
    }
}

fn check_record(
    meta: &'static EndpointMeta,
    block: &'static BlockMeta,
    row: Option<usize>,
    record: &Map<String, Value>,
    found: &mut Vec<Unrecognized>,
) {
    for (key, value) in record {
        match find(block.fields, key) {
            Some(f) => check_value(meta, Some(block.wire), row, f, value, found),
            None => found.push(unknown(meta, Some(block.wire), row, key, value)),
        }
    }
}

fn unknown(
    meta: &'static EndpointMeta,
    block: Option<&'static str>,
    row: Option<usize>,
    key: &str,
    value: &Value,
) -> Unrecognized {
    Unrecognized::new(
        meta.id,
        block,
        row,
        key.to_string(),
        UnrecognizedKind::UnknownKey,
        Some(value.clone()),
    )
}

fn check_value(
    meta: &'static EndpointMeta,
    block: Option<&'static str>,
    row: Option<usize>,
    field: &FieldMeta,
    value: &Value,
    found: &mut Vec<Unrecognized>,
) {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "Y" } else { "N" }.to_string(),
        other => other.to_string(),
    };
    if let Err(e) = readable(field.ty, &text)
        && !meta.catalog.is_sentinel(e.expected, &e.raw)
    {
        found.push(Unrecognized::new(
            meta.id,
            block,
            row,
            field.wire.to_string(),
            UnrecognizedKind::Unreadable(e.expected),
            (!field.redacted).then_some(Value::String(e.raw)),
        ));
    }
}

/// Whether `raw` reads as `ty`, with the typed decoder's parsers.
pub fn readable(ty: ValueType, raw: &str) -> Result<(), ValueError> {
    match ty {
        ValueType::Text | ValueType::Code => Ok(()),
        ValueType::Decimal => values::decimal(raw).map(drop),
        ValueType::Price => values::price(raw).map(drop),
        ValueType::Amount => values::amount(raw).map(drop),
        ValueType::Rate => values::rate(raw).map(drop),
        ValueType::Quantity => values::quantity(raw).map(drop),
        ValueType::Integer => values::integer(raw).map(drop),
        ValueType::Date => values::date(raw).map(drop),
        ValueType::Time => values::time(raw).map(drop),
        ValueType::DateTime => values::datetime(raw).map(drop),
        ValueType::YesNo => values::yes_no(raw).map(drop),
    }
}
