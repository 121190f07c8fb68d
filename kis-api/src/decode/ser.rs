//! `serde::Serialize` for the generated responses and records (feature `serde`), written once
//! over the field views instead of a body per record: the generated impls only name the view.
//!
//! Keys are the wire names (`stck_prpr`), in catalog order. Values: text as is; decimals as
//! strings (`"71900.5"`, exact: a JSON number would pass through `f64` in most readers);
//! integers and yes/no as numbers and booleans; dates, times and date-times as ISO 8601 text
//! (`"2024-05-13"`, `"09:00:00"`, `"2024-05-13T09:00:00"`); an empty value as `null`. Fields
//! holding personal data (the catalog's `redacted`) are written as `"***"`, as `Debug` shows
//! them: serialized records end up in files and logs; the typed field still has the value.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::Record;
use super::fields::FieldRef;
use crate::meta::FieldMeta;

impl Serialize for FieldRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            FieldRef::Text(v) => s.serialize_str(v),
            FieldRef::Decimal(Some(v)) => s.collect_str(v),
            FieldRef::Integer(Some(v)) => s.serialize_i64(*v),
            FieldRef::Date(Some(v)) => s.collect_str(&v.format("%Y-%m-%d")),
            FieldRef::Time(Some(v)) => s.collect_str(&v.format("%H:%M:%S%.f")),
            FieldRef::DateTime(Some(v)) => s.collect_str(&v.format("%Y-%m-%dT%H:%M:%S%.f")),
            FieldRef::YesNo(Some(v)) => s.serialize_bool(*v),
            FieldRef::Decimal(None)
            | FieldRef::Integer(None)
            | FieldRef::Date(None)
            | FieldRef::Time(None)
            | FieldRef::DateTime(None)
            | FieldRef::YesNo(None) => s.serialize_none(),
        }
    }
}

/// Writes `fields` as a map from wire name to value, reading each value through `view` (the
/// field at an index), personal-data fields as `"***"`. Used by generated code.
pub fn serialize_fields<'r, S: Serializer>(
    fields: &'static [FieldMeta],
    view: &dyn Fn(usize) -> Option<FieldRef<'r>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(fields.len()))?;
    for (i, meta) in fields.iter().enumerate() {
        if meta.redacted {
            map.serialize_entry(meta.wire, "***")?;
        } else if let Some(v) = view(i) {
            map.serialize_entry(meta.wire, &v)?;
        }
    }
    map.end()
}

/// Writes a response record (see [`serialize_fields`]). Used by generated code.
pub fn serialize_record<R: Record, S: Serializer>(record: &R, s: S) -> Result<S::Ok, S::Error> {
    serialize_fields(R::FIELDS, &|i| record.field(i), s)
}
